/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gtid: pure MariaDB GTID list arithmetic (parse, format, compare, gaps; no I/O, no malloc). */
#include "gtid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

/* --- parsing --------------------------------------------------------------- */

struct cursor {
	const char *text;
	const char *p;
	char *err;
	size_t errlen;
};

static size_t offset(const struct cursor *c)
{
	return (size_t)(c->p - c->text);
}

/* Write "offset N: ..." into the caller's buffer; returns -EINVAL. */
static int fail(const struct cursor *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(const struct cursor *c, const char *fmt, ...)
{
	if (c->err && c->errlen) {
		int k = snprintf(c->err, c->errlen, "offset %zu: ", offset(c));
		if (k >= 0 && (size_t)k < c->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

/* What stands at the cursor, for messages: "'x'", "end of text", "byte 0x07". */
static const char *found(const struct cursor *c, char *buf, size_t len)
{
	unsigned char ch = (unsigned char)*c->p;
	if (ch == '\0')
		snprintf(buf, len, "end of text");
	else if (ch >= ' ' && ch < 0x7f)
		snprintf(buf, len, "'%c'", ch);
	else
		snprintf(buf, len, "byte 0x%02x", ch);
	return buf;
}

static bool is_blank(char ch)
{
	/* SHOW output may wrap a long list after its commas. */
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void skip_blanks(struct cursor *c)
{
	while (is_blank(*c->p))
		c->p++;
}

/*
 * One decimal number of at most max. Digits only: strtoul() would also take
 * a sign and leading blanks, and "-1" would wrap to a huge position.
 */
static int number(struct cursor *c, const char *what, uint64_t max, uint64_t *out)
{
	char f[16];
	if (*c->p < '0' || *c->p > '9')
		return fail(c, "expected the %s (digits), found %s", what, found(c, f, sizeof f));
	const struct cursor start = *c;
	uint64_t v = 0;
	while (*c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');
		if (v > (max - d) / 10)
			return fail(&start, "%s out of range (max %" PRIu64 ")", what, max);
		v = v * 10 + d;
		c->p++;
	}
	*out = v;
	return 0;
}

static int dash(struct cursor *c, const char *after)
{
	char f[16];
	if (*c->p != '-')
		return fail(c, "expected '-' after the %s, found %s", after, found(c, f, sizeof f));
	c->p++;
	return 0;
}

/* One "D-S-N" at the cursor, nothing around it. */
static int entry(struct cursor *c, struct gtid *g)
{
	uint64_t d, s, n;
	int rc;
	if ((rc = number(c, "domain", UINT32_MAX, &d)) || (rc = dash(c, "domain")) ||
	    (rc = number(c, "server_id", UINT32_MAX, &s)) || (rc = dash(c, "server_id")) ||
	    (rc = number(c, "sequence number", UINT64_MAX, &n)))
		return rc;
	*g = (struct gtid){ .domain = (uint32_t)d, .server = (uint32_t)s, .seq = n };
	return 0;
}

static int parse(struct cursor *c, struct gtid_list *out)
{
	char f[16];
	skip_blanks(c);
	if (*c->p == '\0')
		return 0; /* the empty position: nothing received yet */
	for (;;) {
		if (*c->p == '\0')
			return fail(c, "expected a GTID after ',', found end of text");
		if (out->n == GTID_MAX)
			return fail(c, "more than %d GTIDs", GTID_MAX);
		const struct cursor at = *c;
		struct gtid g;
		int rc = entry(c, &g);
		if (rc)
			return rc;
		for (size_t i = 0; i < out->n; i++)
			if (out->e[i].domain == g.domain && out->e[i].server == g.server)
				return fail(&at, "domain %" PRIu32 " server_id %" PRIu32
					    " appears twice", g.domain, g.server);
		out->e[out->n++] = g;
		skip_blanks(c);
		if (*c->p == '\0')
			return 0;
		if (*c->p != ',')
			return fail(c, "expected ',' or end after a GTID, found %s",
				    found(c, f, sizeof f));
		c->p++;
		skip_blanks(c);
	}
}

int gtid_parse(const char *text, struct gtid_list *out, char *err, size_t errlen)
{
	out->n = 0;
	if (!text) {
		if (err && errlen)
			snprintf(err, errlen, "no GTID list (NULL)");
		return -EINVAL;
	}
	struct cursor c = { .text = text, .p = text, .err = err, .errlen = errlen };
	int rc = parse(&c, out);
	if (rc)
		out->n = 0;
	return rc;
}

/* --- formatting ------------------------------------------------------------ */

int gtid_format(const struct gtid_list *l, char *buf, size_t len)
{
	if (l->n > GTID_MAX)
		return -EINVAL;
	if (len == 0)
		return -ENOSPC;
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		const struct gtid *g = &l->e[i];
		int k = snprintf(buf + used, len - used, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64,
				 i ? "," : "", g->domain, g->server, g->seq);
		if (k < 0 || (size_t)k >= len - used) {
			buf[0] = '\0';
			return -ENOSPC;
		}
		used += (size_t)k;
	}
	return 0;
}

/* --- positions ------------------------------------------------------------- */

/* Entries actually present, so a caller's bad n never reads past e[]. */
static size_t count(const struct gtid_list *l)
{
	return l->n < GTID_MAX ? l->n : GTID_MAX;
}

/* The position of domain in l: its highest seq (a state list has one entry
 * per server there); 0 when l has nothing in that domain. */
static uint64_t domain_seq(const struct gtid_list *l, uint32_t domain)
{
	uint64_t best = 0;
	for (size_t i = 0; i < count(l); i++)
		if (l->e[i].domain == domain && l->e[i].seq > best)
			best = l->e[i].seq;
	return best;
}

/* Whether entry i is the first of its domain in l, so each domain is
 * counted once even in a state list. */
static bool first_of_domain(const struct gtid_list *l, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (l->e[j].domain == l->e[i].domain)
			return false;
	return true;
}

bool gtid_covers(const struct gtid_list *have, const struct gtid_list *want)
{
	for (size_t i = 0; i < count(want); i++)
		if (domain_seq(have, want->e[i].domain) < want->e[i].seq)
			return false;
	return true;
}

uint64_t gtid_missing(const struct gtid_list *have, const struct gtid_list *want)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < count(want); i++) {
		if (!first_of_domain(want, i))
			continue;
		uint32_t d = want->e[i].domain;
		uint64_t w = domain_seq(want, d), h = domain_seq(have, d);
		if (w > h)
			sum = w - h > UINT64_MAX - sum ? UINT64_MAX : sum + (w - h);
	}
	return sum;
}

int gtid_compare(const struct gtid_list *a, const struct gtid_list *b)
{
	bool ab = gtid_covers(a, b), ba = gtid_covers(b, a);
	if (ab != ba)
		return ab ? 1 : -1;
	if (ab)
		return 0;
	/* Diverged. sum(a) - sum(b) over all domains equals what b lacks of a
	 * minus what a lacks of b; comparing those never adds unrelated
	 * domains' seqs, so it overflows only on absurd differences. */
	uint64_t a_more = gtid_missing(b, a), b_more = gtid_missing(a, b);
	return a_more > b_more ? 1 : a_more < b_more ? -1 : 0;
}

/* --- states ---------------------------------------------------------------- */

size_t gtid_state_gaps(const struct gtid_list *have_state, const struct gtid_list *state,
		       struct gtid_gap *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < count(state); i++) {
		const struct gtid *g = &state->e[i];
		/* Compared per server, not per domain: have_state may be ahead in
		 * the domain through another server's writes and still lack these. */
		uint64_t have = 0;
		for (size_t j = 0; j < count(have_state); j++)
			if (have_state->e[j].domain == g->domain &&
			    have_state->e[j].server == g->server)
				have = have_state->e[j].seq;
		if (have >= g->seq)
			continue;
		if (n < max)
			out[n] = (struct gtid_gap){ .domain = g->domain, .server = g->server,
						    .from = have + 1, .to = g->seq };
		n++;
	}
	return n;
}
