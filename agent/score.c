// SPDX-License-Identifier: GPL-2.0-or-later
// Scoring: rise/fall hysteresis per tracked check, and the effective priority it gives.
#include "score.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCORE_OWNER 255u
#define SCORE_MIN 1
#define SCORE_MAX 254

/* One tracked check's hysteresis (score.h says what the runs mean). */
struct score_track {
	struct score_check_conf conf; /* conf.name is our copy */
	enum check_status level;
	bool reported;
	uint32_t worse_run[CHECK_STATUS__COUNT];
	uint32_t better_run[CHECK_STATUS__COUNT];
};

struct score {
	uint8_t base;
	size_t n;
	struct score_track *t;
};

static uint32_t sat_add(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static unsigned penalty_at(const struct score_check_conf *c, enum check_status level)
{
	switch (level) {
	case CHECK_OK:
		return 0;
	case CHECK_DEGRADED:
		return c->degraded_penalty;
	default:
		return c->penalty;
	}
}

/* base - total, clamped to 1..254; the owner's 255 never moves. */
static uint8_t clamp_priority(uint8_t base, unsigned total)
{
	int v;

	if (base == SCORE_OWNER)
		return SCORE_OWNER;
	v = (int)base - (int)total;
	if (v < SCORE_MIN)
		return SCORE_MIN;
	if (v > SCORE_MAX)
		return SCORE_MAX;
	return (uint8_t)v;
}

static void track_reset(struct score_track *t)
{
	t->level = CHECK_FAILED;
	t->reported = false;
	memset(t->worse_run, 0, sizeof(t->worse_run));
	memset(t->better_run, 0, sizeof(t->better_run));
}

int score_new(struct score **out, uint8_t base, const struct score_check_conf *checks, size_t n)
{
	struct score *s;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (base == 0 || (n > 0 && !checks))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (checks[i].rise == 0 || checks[i].fall == 0)
			return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base = base;
	s->t = calloc(n ? n : 1, sizeof(*s->t));
	if (!s->t) {
		free(s);
		return -ENOMEM;
	}
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		struct score_track *t = &s->t[i];

		t->conf = checks[i];
		t->conf.name = strdup(checks[i].name ? checks[i].name : "?");
		if (!t->conf.name) {
			score_free(s);
			return -ENOMEM;
		}
		track_reset(t);
	}
	*out = s;
	return 0;
}

void score_free(struct score *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free((char *)s->t[i].conf.name);
	free(s->t);
	free(s);
}

void score_seed(struct score *s, size_t i, enum check_status level)
{
	if (!s || i >= s->n || (unsigned)level >= CHECK_STATUS__COUNT)
		return;
	track_reset(&s->t[i]);
	s->t[i].level = level;
	s->t[i].reported = true;
}

bool score_feed(struct score *s, size_t i, enum check_status status, bool definite)
{
	struct score_track *t;
	enum check_status to;

	if (!s || i >= s->n)
		return false;
	t = &s->t[i];
	if ((unsigned)status >= CHECK_STATUS__COUNT)
		status = CHECK_FAILED;
	t->reported = true;

	for (int x = 0; x < CHECK_STATUS__COUNT; x++) {
		/* A definite answer is worth `fall` results on the way down. */
		uint32_t weight = definite ? t->conf.fall : 1;

		t->worse_run[x] = (int)status >= x ? sat_add(t->worse_run[x], weight) : 0;
		t->better_run[x] = (int)status <= x ? sat_add(t->better_run[x], 1) : 0;
	}

	to = t->level;
	/* Worse first, the worst level whose run is long enough... */
	for (int w = CHECK_STATUS__COUNT - 1; w > (int)t->level; w--) {
		if (t->worse_run[w] >= t->conf.fall) {
			to = (enum check_status)w;
			break;
		}
	}
	/* ...else better, the best level all of the last `rise` results reached. */
	if (to == t->level) {
		for (int b = 0; b < (int)t->level; b++) {
			if (t->better_run[b] >= t->conf.rise) {
				to = (enum check_status)b;
				break;
			}
		}
	}
	if (to == t->level)
		return false;
	t->level = to;
	return true;
}

void score_reset(struct score *s, size_t i)
{
	if (s && i < s->n)
		track_reset(&s->t[i]);
}

static unsigned total_penalty(const struct score *s)
{
	unsigned total = 0;

	for (size_t i = 0; i < s->n; i++)
		total += penalty_at(&s->t[i].conf, s->t[i].level);
	return total;
}

uint8_t score_priority(const struct score *s)
{
	return clamp_priority(s->base, total_penalty(s));
}

bool score_fault(const struct score *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->t[i].conf.fatal && s->t[i].level == CHECK_FAILED)
			return true;
	}
	return false;
}

uint8_t score_base(const struct score *s)
{
	return s->base;
}

size_t score_count(const struct score *s)
{
	return s->n;
}

enum check_status score_level(const struct score *s, size_t i)
{
	return s && i < s->n ? s->t[i].level : CHECK_FAILED;
}

bool score_reported(const struct score *s, size_t i)
{
	return s && i < s->n && s->t[i].reported;
}

unsigned score_penalty(const struct score *s, size_t i)
{
	return s && i < s->n ? penalty_at(&s->t[i].conf, s->t[i].level) : 0;
}

/* ---- explain ---- */

/* snprintf that keeps appending; pos counts what the whole line needs. */
struct line {
	char *buf;
	size_t len;
	size_t pos;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (l->pos < l->len)
		n = vsnprintf(l->buf + l->pos, l->len - l->pos, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->pos += (size_t)n;
}

/* "failed", "degraded", or "no result yet" for a check never heard from. */
static const char *state_word(const struct score_track *t)
{
	return t->reported ? check_status_name(t->level) : "no result yet";
}

int score_explain(const struct score *s, char *buf, size_t len)
{
	struct line l = { buf, len, 0 };
	unsigned total = total_penalty(s);
	uint8_t prio = clamp_priority(s->base, total);
	bool any = false;

	if (buf && len)
		buf[0] = '\0';
	if (s->base == SCORE_OWNER) {
		add(&l, "priority 255, address owner");
		for (size_t i = 0; i < s->n; i++) {
			if (s->t[i].level == CHECK_OK)
				continue;
			add(&l, "%s%s %s", any ? ", " : " (", s->t[i].conf.name,
			    state_word(&s->t[i]));
			any = true;
		}
		if (any)
			add(&l, ")");
	} else {
		add(&l, "priority %u = %u", (unsigned)prio, (unsigned)s->base);
		for (size_t i = 0; i < s->n; i++) {
			const struct score_track *t = &s->t[i];

			if (t->level == CHECK_OK)
				continue;
			add(&l, " - %u (%s %s)", penalty_at(&t->conf, t->level), t->conf.name,
			    state_word(t));
			any = true;
		}
		if (!any)
			add(&l, s->n ? ", all checks ok" : ", no checks");
		else if ((int)s->base - (int)total != (int)prio)
			add(&l, ", clamped");
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct score_track *t = &s->t[i];

		if (t->conf.fatal && t->level == CHECK_FAILED)
			add(&l, "; FAULT: %s %s (fatal)", t->conf.name, state_word(t));
	}
	return l.pos > INT32_MAX ? INT32_MAX : (int)l.pos;
}

uint8_t score_what_if(uint8_t base, const struct score_check_conf *checks, size_t n,
		      size_t i, enum check_status status, bool *fault)
{
	unsigned total = 0;
	bool down = false;

	if ((unsigned)status >= CHECK_STATUS__COUNT)
		status = CHECK_FAILED;
	if (checks && i < n) {
		total = penalty_at(&checks[i], status);
		down = checks[i].fatal && status == CHECK_FAILED;
	}
	if (fault)
		*fault = down;
	return clamp_priority(base, total);
}
