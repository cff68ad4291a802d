/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private interface between the config parser (config.c) and its validator. */
#ifndef VIGIL_CONFIG_INTERNAL_H
#define VIGIL_CONFIG_INTERNAL_H

#include "config.h"

/* Where messages go while loading. */
struct config_ctx {
	struct config_diag *diag;
	const char *file;
};

enum config_section_kind {
	CONFIG_SEC_GLOBAL,
	CONFIG_SEC_INSTANCE,
	CONFIG_SEC_CHECK,
	CONFIG_SEC_QUORUM,
};

/* One known key of a section (config_keys.c). */
struct config_keydef;

/* The definition of key name in a section of the given kind, or NULL. */
const struct config_keydef *config_keydef_find(enum config_section_kind kind,
					       const char *name);

/* True for keys that may be repeated (virtual_ip, unicast_peer, track,
 * database_peers). */
bool config_keydef_repeatable(const struct config_keydef *k);

/*
 * Parse value and store it into the section struct at base (a struct
 * config_global, config_instance or config_check matching the key's table).
 * Syntax and range errors go to ctx->diag; the field is then unchanged.
 * Returns 0 (also after a reported error) or -ENOMEM.
 */
int config_store_value(const struct config_ctx *ctx, void *base,
		       const struct config_keydef *k, const char *value, unsigned line);

/* Fill a new section struct with the defaults that need no other key. */
void config_instance_defaults(struct config_instance *in);
void config_check_defaults(struct config_check *c);
void config_quorum_defaults(struct config_quorum *q);

/* True for a valid instance or check name (1..CONFIG_NAME_MAX of A-Za-z0-9_-.). */
bool config_valid_name(const char *s);

/* Strip blanks at both ends in place; returns the new start. */
char *config_trim(char *s);

/* Bit of a check type in a key's type mask. */
#define CONFIG_TYPE_BIT(t) (1u << (t))
#define CONFIG_TYPES_ALL 0xfu
#define CONFIG_TYPES_MYSQL \
	(CONFIG_TYPE_BIT(CONFIG_CHECK_MYSQL_PING) | CONFIG_TYPE_BIT(CONFIG_CHECK_MYSQL_REPLICATION))

/*
 * The check types a [check] key is valid for (CONFIG_TYPE_BIT mask).
 * Returns 0 for a key that is not a check key.
 */
unsigned config_check_key_types(const char *key);

/* True when key was written in the section. */
bool config_origin_has(const struct config_origin *origin, const char *key);

/*
 * Cross-key and cross-section validation after parsing: version-dependent
 * ranges and defaults, required keys, check type rules, references between
 * instances and checks, duplicates, warnings. Fills defaults that depend on
 * other keys (advert_interval, port, degraded_penalty, witness,
 * database_peers, role_check_index).
 *
 * cfg: the parsed configuration (modified: defaults, track_index).
 * file: name for messages. diag: receives errors and warnings.
 */
void config_validate(struct vigil_config *cfg, const char *file,
		     struct config_diag *diag);

#endif /* VIGIL_CONFIG_INTERNAL_H */
