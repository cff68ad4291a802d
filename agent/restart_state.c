// SPDX-License-Identifier: GPL-2.0-or-later
// What a vigild hands to the vigild it re-executes (restart_state.h).
#include "restart_state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest line the decoder takes. */
#define LINE_MAX_LEN 256
/* More entries than any configuration allows is not a state but junk. */
#define ENTRIES_MAX 4096

void restart_state_free(struct restart_state *s)
{
	if (!s)
		return;
	free(s->inst);
	free(s->chk);
	*s = (struct restart_state){ 0 };
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > RESTART_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] <= 0x20 || name[i] >= 0x7f)
			return false;
	return true;
}

int restart_state_add_instance(struct restart_state *s, const struct restart_instance *ri)
{
	if (!name_ok(ri->name) || s->n_inst >= ENTRIES_MAX)
		return -EINVAL;
	struct restart_instance *grown = realloc(s->inst, (s->n_inst + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	s->inst = grown;
	s->inst[s->n_inst++] = *ri;
	return 0;
}

int restart_state_add_check(struct restart_state *s, const struct restart_check *rc)
{
	if (!name_ok(rc->name) || s->n_chk >= ENTRIES_MAX)
		return -EINVAL;
	struct restart_check *grown = realloc(s->chk, (s->n_chk + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	s->chk = grown;
	s->chk[s->n_chk++] = *rc;
	return 0;
}

char *restart_state_encode(const struct restart_state *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	fprintf(f, "%s\ngeneration %" PRIu64 "\n", RESTART_STATE_MAGIC, s->generation);
	for (size_t i = 0; i < s->n_inst; i++) {
		const struct restart_instance *ri = &s->inst[i];
		fprintf(f, "instance %s %s %u %s %" PRIu64 " %s\n", ri->name, vrrp_state_name(ri->state),
			ri->priority, ri->has_role ? dbrole_mode_name(ri->role) : "none", ri->epoch,
			ri->resigned ? "resigned" : "active");
	}
	for (size_t i = 0; i < s->n_chk; i++)
		fprintf(f, "check %s %s\n", s->chk[i].name, check_status_name(s->chk[i].level));
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static bool parse_u64(const char *w, uint64_t max, uint64_t *out)
{
	if (!w || *w < '0' || *w > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(w, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_state(const char *w, enum vrrp_state *out)
{
	for (int st = 0; st < VRRP_STATE_COUNT; st++) {
		if (strcmp(w, vrrp_state_name((enum vrrp_state)st)) == 0) {
			*out = (enum vrrp_state)st;
			return true;
		}
	}
	return false;
}

static bool parse_role(const char *w, bool *has, enum dbrole_mode *out)
{
	if (strcmp(w, "none") == 0) {
		*has = false;
		return true;
	}
	for (int m = 0; m < DBROLE_MODE__COUNT; m++) {
		if (strcmp(w, dbrole_mode_name((enum dbrole_mode)m)) == 0) {
			*has = true;
			*out = (enum dbrole_mode)m;
			return true;
		}
	}
	return false;
}

static bool parse_level(const char *w, enum check_status *out)
{
	for (int st = 0; st < CHECK_STATUS__COUNT; st++) {
		if (strcmp(w, check_status_name((enum check_status)st)) == 0) {
			*out = (enum check_status)st;
			return true;
		}
	}
	return false;
}

/* Split line into at most max blank-separated words; returns the count
 * (max + 1 when there are more). */
static size_t words(char *line, char **w, size_t max)
{
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = t;
	}
	return n;
}

/* One line after the header. Returns NULL or what is wrong with it. */
static const char *decode_line(char *line, struct restart_state *s, bool *have_gen, int *rc)
{
	char *w[8];
	size_t n = words(line, w, 7);
	uint64_t v, prio;
	if (n == 2 && strcmp(w[0], "generation") == 0) {
		if (*have_gen)
			return "generation given twice";
		if (!parse_u64(w[1], UINT64_MAX, &s->generation))
			return "generation is not a number";
		*have_gen = true;
		return NULL;
	}
	if (n == 7 && strcmp(w[0], "instance") == 0) {
		struct restart_instance ri = { 0 };
		if (strlen(w[1]) > RESTART_NAME_MAX)
			return "instance name too long";
		strcpy(ri.name, w[1]);
		if (!parse_state(w[2], &ri.state))
			return "unknown state";
		if (!parse_u64(w[3], 255, &prio) || prio == 0)
			return "priority is not 1..255";
		ri.priority = (uint8_t)prio;
		if (!parse_role(w[4], &ri.has_role, &ri.role))
			return "unknown role";
		if (!parse_u64(w[5], UINT64_MAX, &v))
			return "epoch is not a number";
		ri.epoch = v;
		if (strcmp(w[6], "resigned") != 0 && strcmp(w[6], "active") != 0)
			return "the last word is not resigned or active";
		ri.resigned = strcmp(w[6], "resigned") == 0;
		if (restart_state_instance(s, ri.name))
			return "instance given twice";
		*rc = restart_state_add_instance(s, &ri);
		return *rc == -ENOMEM ? "out of memory" : *rc ? "bad instance name, or too many" : NULL;
	}
	if (n == 3 && strcmp(w[0], "check") == 0) {
		struct restart_check rc2 = { 0 };
		if (strlen(w[1]) > RESTART_NAME_MAX)
			return "check name too long";
		strcpy(rc2.name, w[1]);
		if (!parse_level(w[2], &rc2.level))
			return "unknown check level";
		if (restart_state_check(s, rc2.name))
			return "check given twice";
		*rc = restart_state_add_check(s, &rc2);
		return *rc == -ENOMEM ? "out of memory" : *rc ? "bad check name, or too many" : NULL;
	}
	return "not an instance, check or generation line";
}

int restart_state_decode(const char *text, size_t len, struct restart_state *s, char *err,
			 size_t errlen)
{
	*s = (struct restart_state){ 0 };
	bool have_gen = false;
	size_t off = 0;
	unsigned lineno = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) : len - off;
		lineno++;
		char line[LINE_MAX_LEN];
		const char *why = NULL;
		int rc = 0;
		if (l >= sizeof(line))
			why = "line too long";
		else if (memchr(text + off, '\0', l))
			why = "NUL byte";
		if (!why) {
			memcpy(line, text + off, l);
			line[l] = '\0';
			if (lineno == 1)
				why = strcmp(line, RESTART_STATE_MAGIC) ? "not a vigil restart state" : NULL;
			else
				why = decode_line(line, s, &have_gen, &rc);
		}
		if (why) {
			snprintf(err, errlen, "line %u: %s", lineno, why);
			restart_state_free(s);
			return rc == -ENOMEM ? -ENOMEM : -EINVAL;
		}
		off += l + (nl ? 1 : 0);
	}
	if (lineno == 0 || !have_gen) {
		snprintf(err, errlen, lineno == 0 ? "line 1: empty" : "line %u: no generation line",
			 lineno);
		restart_state_free(s);
		return -EINVAL;
	}
	return 0;
}

const struct restart_instance *restart_state_instance(const struct restart_state *s,
						      const char *name)
{
	for (size_t i = 0; i < s->n_inst; i++)
		if (strcmp(s->inst[i].name, name) == 0)
			return &s->inst[i];
	return NULL;
}

const struct restart_check *restart_state_check(const struct restart_state *s, const char *name)
{
	for (size_t i = 0; i < s->n_chk; i++)
		if (strcmp(s->chk[i].name, name) == 0)
			return &s->chk[i];
	return NULL;
}
