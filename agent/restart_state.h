// SPDX-License-Identifier: GPL-2.0-or-later
// What a vigild hands to the vigild it re-executes (vigilctl restart): the
// role of each instance and the verdict of each check, so the new process
// resumes without a failover.
#ifndef VIGIL_RESTART_STATE_H
#define VIGIL_RESTART_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "dbrole.h"
#include "fsm.h"

/*
 * Pure: text in, struct out (and back). The text travels in a memfd
 * across execve, one fact per line:
 *
 *   vigil-restart 1
 *   generation 3
 *   instance db MASTER 150 writable 12 active
 *   check ping ok
 *
 * "instance NAME STATE PRIORITY ROLE EPOCH RESIGN" (ROLE a dbrole mode
 * name or "none"; RESIGN "resigned" after vigilctl resign, else
 * "active"), "check NAME LEVEL" (a check status name). Anything else is
 * refused with the line's number: the new process then starts as at a
 * cold start, which is safe (it may cost a failover, never two masters).
 */

#define RESTART_STATE_MAGIC "vigil-restart 1"
/* Names as the configuration allows them. */
#define RESTART_NAME_MAX 32

struct restart_instance {
	char name[RESTART_NAME_MAX + 1];
	enum vrrp_state state;          /* MASTER or BACKUP (others start as at startup) */
	uint8_t priority;               /* the effective priority advertised */
	bool has_role;
	enum dbrole_mode role;          /* data safety's view of the server */
	uint64_t epoch;
	bool resigned;                  /* vigilctl resign in force: stays BACKUP */
};

struct restart_check {
	char name[RESTART_NAME_MAX + 1];
	enum check_status level;        /* after rise/fall */
};

struct restart_state {
	uint64_t generation;            /* restarts so far, this one included */
	struct restart_instance *inst;
	size_t n_inst;
	struct restart_check *chk;
	size_t n_chk;
};

/* Free the arrays; the struct is empty afterwards. Accepts NULL. */
void restart_state_free(struct restart_state *s);

/* Append one instance or check (copied). Returns 0 or -ENOMEM, -EINVAL
 * (a name that is empty, too long, or has a blank). */
int restart_state_add_instance(struct restart_state *s, const struct restart_instance *ri);
int restart_state_add_check(struct restart_state *s, const struct restart_check *rc);

/* The text form, NUL-terminated, from malloc. Returns NULL when out of memory. */
char *restart_state_encode(const struct restart_state *s);

/*
 * Parse text (len bytes; need not be NUL-terminated). On success *s holds
 * the state (free with restart_state_free). On failure err says "line N:
 * why" and *s is empty. Returns 0, -EINVAL or -ENOMEM.
 */
int restart_state_decode(const char *text, size_t len, struct restart_state *s, char *err,
			 size_t errlen);

/* The entries by name; NULL when absent. */
const struct restart_instance *restart_state_instance(const struct restart_state *s,
						      const char *name);
const struct restart_check *restart_state_check(const struct restart_state *s, const char *name);

#endif
