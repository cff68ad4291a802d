/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing the INI configuration with inih into struct vigil_config. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "config_internal.h"

/* Bound on the file size: a real configuration is a few kilobytes. */
#define CONFIG_FILE_MAX (1024 * 1024)

/* ---- origins ------------------------------------------------------- */

static const struct config_keyline *origin_find(const struct config_origin *o,
						const char *key)
{
	for (size_t i = 0; i < o->n_keys; i++)
		if (strcmp(o->keys[i].key, key) == 0)
			return &o->keys[i];
	return NULL;
}

bool config_origin_has(const struct config_origin *origin, const char *key)
{
	return origin_find(origin, key) != NULL;
}

unsigned config_key_line(const struct config_origin *origin, const char *key)
{
	const struct config_keyline *k = origin_find(origin, key);

	return k ? k->line : origin->section_line;
}

static int origin_add(struct config_origin *o, const char *key, unsigned line)
{
	void *p = realloc(o->keys, (o->n_keys + 1) * sizeof(*o->keys));

	if (!p)
		return -ENOMEM;
	o->keys = p;
	o->keys[o->n_keys].key = strdup(key);
	if (!o->keys[o->n_keys].key)
		return -ENOMEM;
	o->keys[o->n_keys].line = line;
	o->n_keys++;
	return 0;
}

static void origin_free(struct config_origin *o)
{
	for (size_t i = 0; i < o->n_keys; i++)
		free(o->keys[i].key);
	free(o->keys);
}

/* ---- the loader's state -------------------------------------------- */

/* Section kinds, plus one for a header already reported as wrong. */
enum { SEC_GLOBAL = CONFIG_SEC_GLOBAL, SEC_INSTANCE = CONFIG_SEC_INSTANCE,
       SEC_CHECK = CONFIG_SEC_CHECK, SEC_QUORUM = CONFIG_SEC_QUORUM, SEC_IGNORED };

/* A "[...]" line found by the pre-scan; keys belong to the last header
 * above them. */
struct section_rec {
	int kind;
	unsigned line;
	size_t index;       /* into cfg->instances or cfg->checks */
};

struct loader {
	struct config_ctx ctx;   /* first: ERR() and the value parsers use it */
	struct vigil_config *cfg;
	struct section_rec *secs;
	size_t n_secs;
	unsigned char *skip;  /* per line: 1 = already reported, ignore */
	size_t n_lines;
	unsigned global_line; /* line of [global], 0 if none yet */
	bool oom;
};

#define ERR(ld, line, ...) \
	config_diag_add((ld)->ctx.diag, CONFIG_ERROR, (ld)->ctx.file, (line), __VA_ARGS__)

/* ---- sections ------------------------------------------------------ */

/* Handle a "[...]" header: record it and create its struct. inner is the
 * text between the brackets, or NULL for a header already reported bad. */
static int open_section(struct loader *ld, const char *inner, unsigned line)
{
	struct vigil_config *cfg = ld->cfg;
	char buf[256], *s, *name;
	struct section_rec rec = { .kind = SEC_IGNORED, .line = line };
	void *p;

	if (!inner)
		goto record;
	snprintf(buf, sizeof(buf), "%s", inner);
	s = config_trim(buf);
	name = s + strcspn(s, " \t");
	if (*name)
		*name++ = '\0';
	name = config_trim(name);

	if (strcmp(s, "global") == 0 && *name == '\0') {
		if (ld->global_line)
			ERR(ld, line, "duplicate section [global] (first at line %u)", ld->global_line);
		else {
			ld->global_line = line;
			cfg->global.origin.section_line = line;
			rec.kind = SEC_GLOBAL;
		}
	} else if (strcmp(s, "quorum") == 0 && *name == '\0') {
		if (cfg->quorum.enabled)
			ERR(ld, line, "duplicate section [quorum] (first at line %u)",
			    cfg->quorum.origin.section_line);
		else {
			cfg->quorum.enabled = true;
			cfg->quorum.origin.section_line = line;
			rec.kind = SEC_QUORUM;
		}
	} else if (strcmp(s, "instance") == 0 || strcmp(s, "check") == 0) {
		bool inst = s[0] == 'i';

		if (!config_valid_name(name)) {
			ERR(ld, line, "[%s NAME]: '%s' is not a valid name (1..%d of A-Z a-z 0-9 _ - .)",
			    s, name, CONFIG_NAME_MAX);
			goto record;
		}
		for (size_t i = 0; i < (inst ? cfg->n_instances : cfg->n_checks); i++) {
			const char *other = inst ? cfg->instances[i].name : cfg->checks[i].name;
			unsigned at = inst ? cfg->instances[i].origin.section_line
					   : cfg->checks[i].origin.section_line;

			if (strcmp(other, name) == 0) {
				ERR(ld, line, "duplicate section [%s %s] (first at line %u)", s, name, at);
				goto record;
			}
		}
		if (inst) {
			p = realloc(cfg->instances, (cfg->n_instances + 1) * sizeof(*cfg->instances));
			if (!p)
				return -ENOMEM;
			cfg->instances = p;
			struct config_instance *in = &cfg->instances[cfg->n_instances];
			memset(in, 0, sizeof(*in));
			config_instance_defaults(in);
			in->origin.section_line = line;
			in->name = strdup(name);
			rec.index = cfg->n_instances++;
			if (!in->name)
				return -ENOMEM;
			rec.kind = SEC_INSTANCE;
		} else {
			p = realloc(cfg->checks, (cfg->n_checks + 1) * sizeof(*cfg->checks));
			if (!p)
				return -ENOMEM;
			cfg->checks = p;
			struct config_check *c = &cfg->checks[cfg->n_checks];
			memset(c, 0, sizeof(*c));
			config_check_defaults(c);
			c->origin.section_line = line;
			c->name = strdup(name);
			rec.index = cfg->n_checks++;
			if (!c->name)
				return -ENOMEM;
			rec.kind = SEC_CHECK;
		}
	} else {
		ERR(ld, line, "unknown section [%s]; expected [global], [instance NAME], [check NAME] or [quorum]",
		    *name ? inner : s);
	}
record:
	p = realloc(ld->secs, (ld->n_secs + 1) * sizeof(*ld->secs));
	if (!p)
		return -ENOMEM;
	ld->secs = p;
	ld->secs[ld->n_secs++] = rec;
	return 0;
}

/* ---- pre-scan ------------------------------------------------------ */

/* Where inih would stop a value: at ';' preceded by a blank. */
static const char *comment_start(const char *s, const char *end)
{
	for (const char *p = s; p < end; p++)
		if (*p == ';' && p > s && (p[-1] == ' ' || p[-1] == '\t'))
			return p;
	return end;
}

/*
 * Walk the text the way inih will, before inih sees it: refuse long lines
 * (inih would split them), report lines inih rejects without calling the
 * handler (so every such line gets its own message, not only the first),
 * refuse multi-line continuations, and record the section headers, which
 * inih does not pass to the handler. Returns false if a line is too long:
 * inih's line numbers would then be wrong, so parsing stops here.
 */
static int prescan(struct loader *ld, const char *text, bool *too_long)
{
	const char *p = text;
	unsigned line = 0;
	bool have_key = false;
	char prev_key[64] = "";

	*too_long = false;
	while (*p) {
		const char *eol = strchr(p, '\n'), *end, *s, *e;
		size_t len;

		if (!eol)
			eol = p + strlen(p);
		line++;
		end = eol;
		if (end > p && end[-1] == '\r')
			end--;
		len = (size_t)(end - p);
		if (line == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
			p += 3, len -= 3;  /* inih skips a UTF-8 BOM */
		if (len > CONFIG_LINE_MAX) {
			ERR(ld, line, "line is %zu characters long; the limit is %d", len,
			    CONFIG_LINE_MAX);
			*too_long = true;
		}
		p = *eol ? eol + 1 : eol;
		if (*too_long)
			continue;

		s = end - len;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		e = end;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s == e || *s == ';' || *s == '#')
			continue;
		if (have_key && s > end - len) {
			ERR(ld, line, "indented line continues the value of '%s' (multi-line values "
			    "are not supported): remove the indentation; for a list, repeat the key "
			    "or separate items with commas", prev_key);
			if (line - 1 < ld->n_lines)
				ld->skip[line - 1] = 1;
			continue;
		}
		if (*s == '[') {
			const char *c = comment_start(s + 1, e), *close = memchr(s, ']', (size_t)(c - s));
			char inner[256];

			have_key = false;
			const char *q = close ? close + 1 : c;

			/* inih ignores text after ']'; we refuse it */
			while (q < c && (*q == ' ' || *q == '\t'))
				q++;
			if (close)
				snprintf(inner, sizeof(inner), "%.*s", (int)(close - s - 1), s + 1);
			if (!close)
				ERR(ld, line, "section header without ']'");
			else if (q < c)
				ERR(ld, line, "unexpected text after ']'");
			else if (strlen(inner) >= 50) /* inih truncates longer names */
				ERR(ld, line, "section header is too long (at most 49 characters)");
			else
				q = NULL;  /* a good header */
			/* A bad header still starts a section, whose keys are ignored
			 * rather than blamed on the section above it. */
			if (open_section(ld, q ? NULL : inner, line) < 0)
				return -ENOMEM;
			continue;
		}
		{
			const char *c = comment_start(s, e);
			size_t klen = strcspn(s, "=:");

			if (s + klen >= c) {
				ERR(ld, line, "expected 'key = value', '[section]' or a comment");
				continue;
			}
			while (klen > 0 && (s[klen - 1] == ' ' || s[klen - 1] == '\t'))
				klen--;
			snprintf(prev_key, sizeof(prev_key), "%.*s", (int)klen, s);
			have_key = klen > 0;  /* inih: an empty name starts no continuation */
		}
	}
	return 0;
}

/* ---- the inih handler ---------------------------------------------- */

static const struct section_rec *section_of(const struct loader *ld, unsigned line)
{
	const struct section_rec *found = NULL;

	for (size_t i = 0; i < ld->n_secs && ld->secs[i].line < line; i++)
		found = &ld->secs[i];
	return found;
}

static int handle_key(void *user, const char *section, const char *name, const char *value,
		      int lineno)
{
	struct loader *ld = user;
	unsigned line = (unsigned)lineno;
	const struct section_rec *sec = section_of(ld, line);
	const struct config_keydef *k;
	struct config_origin *origin;
	const char *where;
	char where_buf[64];
	void *base;

	(void)section;  /* we use our own record, which also tells duplicates apart */
	if (ld->oom)
		return 0;
	if (line >= 1 && line - 1 < ld->n_lines && ld->skip[line - 1])
		return 1;
	if (!sec) {
		ERR(ld, line, "key '%s' is outside any section; put it under [global], "
		    "[instance NAME], [check NAME] or [quorum]", name);
		return 1;
	}
	switch (sec->kind) {
	case SEC_GLOBAL:
		base = &ld->cfg->global;
		origin = &ld->cfg->global.origin;
		where = "[global]";
		break;
	case SEC_INSTANCE:
		base = &ld->cfg->instances[sec->index];
		origin = &ld->cfg->instances[sec->index].origin;
		snprintf(where_buf, sizeof(where_buf), "[instance %s]",
			 ld->cfg->instances[sec->index].name);
		where = where_buf;
		break;
	case SEC_QUORUM:
		base = &ld->cfg->quorum;
		origin = &ld->cfg->quorum.origin;
		where = "[quorum]";
		break;
	case SEC_CHECK:
		base = &ld->cfg->checks[sec->index];
		origin = &ld->cfg->checks[sec->index].origin;
		snprintf(where_buf, sizeof(where_buf), "[check %s]", ld->cfg->checks[sec->index].name);
		where = where_buf;
		break;
	default:
		return 1;  /* section already reported */
	}
	k = config_keydef_find((enum config_section_kind)sec->kind, name);
	if (!k) {
		ERR(ld, line, "unknown key '%s' in %s", name, where);
		return 1;
	}
	{
		const struct config_keyline *prev = origin_find(origin, name);
		bool repeatable = config_keydef_repeatable(k);

		if (prev && !repeatable) {
			ERR(ld, line, "key '%s' given twice in %s (first at line %u)", name, where,
			    prev->line);
			return 1;
		}
		if (!prev && origin_add(origin, name, line) < 0) {
			ld->oom = true;
			return 0;
		}
	}
	if (config_store_value(&ld->ctx, base, k, value, line) < 0) {
		ld->oom = true;
		return 0;
	}
	return 1;
}

/* ---- load and free ------------------------------------------------- */

static void cmd_free(struct config_cmd *c)
{
	free(c->raw);
	cmdline_free(c->argv);
}

void config_free(struct vigil_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->source);
	free(cfg->global.router_id);
	free(cfg->global.control_socket);
	free(cfg->global.mysql_defaults_file);
	free(cfg->global.metrics_listen);
	free(cfg->global.script_user);
	origin_free(&cfg->global.origin);
	free(cfg->quorum.endpoints_raw);
	for (size_t i = 0; i < cfg->quorum.n_endpoints; i++)
		free(cfg->quorum.endpoints[i]);
	free(cfg->quorum.endpoints);
	free(cfg->quorum.prefix);
	origin_free(&cfg->quorum.origin);
	for (size_t i = 0; i < cfg->n_instances; i++) {
		struct config_instance *in = &cfg->instances[i];

		free(in->name);
		free(in->interface);
		free(in->vips);
		free(in->peers);
		free(in->role_check);
		free(in->db_peers);
		for (size_t t = 0; t < in->n_track; t++)
			free(in->track[t]);
		free(in->track);
		free(in->track_index);
		free(in->track_lines);
		cmd_free(&in->notify);
		cmd_free(&in->notify_master);
		cmd_free(&in->notify_backup);
		cmd_free(&in->notify_fault);
		cmd_free(&in->notify_stop);
		cmd_free(&in->notify_alarm);
		origin_free(&in->origin);
	}
	free(cfg->instances);
	for (size_t i = 0; i < cfg->n_checks; i++) {
		struct config_check *c = &cfg->checks[i];

		free(c->name);
		free(c->host);
		free(c->socket);
		free(c->query);
		free(c->heartbeat_table);
		cmd_free(&c->command);
		origin_free(&c->origin);
	}
	free(cfg->checks);
	free(cfg);
}

long config_find_check(const struct vigil_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_checks; i++)
		if (strcmp(cfg->checks[i].name, name) == 0)
			return (long)i;
	return -1;
}

int config_load_string(const char *text, const char *name, struct vigil_config **out,
		       struct config_diag *diag)
{
	struct loader ld = { .ctx = { .diag = diag, .file = name ? name : "<config>" } };
	size_t errors_before = diag->errors;
	bool too_long;
	int rc = 0;

	*out = NULL;
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	ld.n_lines = 1;
	for (const char *p = text; *p; p++)
		ld.n_lines += *p == '\n';
	ld.skip = calloc(ld.n_lines, 1);
	if (!ld.cfg || !ld.skip) {
		rc = -ENOMEM;
		goto out;
	}
	config_quorum_defaults(&ld.cfg->quorum);
	ld.cfg->source = strdup(ld.ctx.file);
	if (!ld.cfg->source || prescan(&ld, text, &too_long) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (too_long) {
		rc = -EINVAL;
		goto out;
	}
	/* inih's return value only repeats the first syntax error, which the
	 * pre-scan already reported with every other one. */
	(void)ini_parse_string(text, handle_key, &ld);
	if (ld.oom) {
		rc = -ENOMEM;
		goto out;
	}
	config_validate(ld.cfg, ld.ctx.file, diag);
	if (diag->errors > errors_before)
		rc = -EINVAL;
out:
	free(ld.secs);
	free(ld.skip);
	if (rc == 0)
		*out = ld.cfg;
	else
		config_free(ld.cfg);
	return rc;
}

int config_load_file(const char *path, struct vigil_config **out, struct config_diag *diag)
{
	FILE *f;
	char *buf;
	size_t n;
	const char *nul;
	int rc;

	*out = NULL;
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		config_diag_add(diag, CONFIG_ERROR, path, 0, "cannot open: %s", strerror(-rc));
		return rc;
	}
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f)) {
		rc = -EIO;
		config_diag_add(diag, CONFIG_ERROR, path, 0, "cannot read: %s", strerror(EIO));
		goto out;
	}
	if (n > CONFIG_FILE_MAX) {
		rc = -EFBIG;
		config_diag_add(diag, CONFIG_ERROR, path, 0, "file is larger than %d bytes",
				CONFIG_FILE_MAX);
		goto out;
	}
	buf[n] = '\0';
	nul = memchr(buf, '\0', n);
	if (nul) {
		unsigned line = 1;

		for (const char *p = buf; p < nul; p++)
			line += *p == '\n';
		rc = -EINVAL;
		config_diag_add(diag, CONFIG_ERROR, path, line, "NUL byte in the file (not a text file?)");
		goto out;
	}
	rc = config_load_string(buf, path, out, diag);
out:
	free(buf);
	fclose(f);
	return rc;
}

bool config_same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool config_same_argv(char *const *a, char *const *b)
{
	if (!a || !b)
		return a == b;
	size_t i = 0;
	for (; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return !a[i] && !b[i];
}
