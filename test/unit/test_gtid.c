// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of gtid: parsing (accepted and refused lists, the offset in
// each error), formatting, covers/missing/compare over several domains and
// diverged positions, and the writes one binlog state lacks of another.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gtid.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A list the test knows is valid; fails the test (naming it) if not. */
static struct gtid_list L(const char *text)
{
	struct gtid_list l;
	char err[128] = "";
	if (gtid_parse(text, &l, err, sizeof err) != 0)
		fail_msg("test list '%s' does not parse: %s", text, err);
	return l;
}

static const char *fmt(const struct gtid_list *l)
{
	static char buf[GTID_MAX * 48];
	int rc = gtid_format(l, buf, sizeof buf);
	assert_int_equal(rc, 0);
	return buf;
}

/* --- parsing: accepted ----------------------------------------------------- */

struct parse_ok {
	const char *in;
	size_t n;
	const char *canon; /* gtid_format() of the result */
};

static const struct parse_ok parse_ok_cases[] = {
	{ "", 0, "" },
	{ "   ", 0, "" },
	{ "\n", 0, "" },
	{ " \t\r\n ", 0, "" },
	{ "0-1-100", 1, "0-1-100" },
	{ "0-1-100,1-2-5", 2, "0-1-100,1-2-5" },
	{ " 0-1-100 , 1-2-5 ", 2, "0-1-100,1-2-5" },
	/* SHOW ... output wraps after commas. */
	{ "0-1-100,\n1-2-5\n", 2, "0-1-100,1-2-5" },
	{ "0-1-100,\r\n1-2-5", 2, "0-1-100,1-2-5" },
	{ "\t0-1-1\t", 1, "0-1-1" },
	{ "0-1-1\n,\n1-1-1", 2, "0-1-1,1-1-1" },
	{ "0-0-0", 1, "0-0-0" },
	{ "007-01-0005", 1, "7-1-5" },
	{ "4294967295-4294967295-18446744073709551615", 1,
	  "4294967295-4294967295-18446744073709551615" },
	/* @@gtid_binlog_state: one entry per (domain, server_id). */
	{ "0-1-100,0-2-130,1-1-7", 3, "0-1-100,0-2-130,1-1-7" },
	/* Order is kept, not sorted. */
	{ "2-1-1,0-1-1,1-1-1", 3, "2-1-1,0-1-1,1-1-1" },
};

static void parse_accepts(void **s)
{
	(void)s;
	for (size_t i = 0; i < N(parse_ok_cases); i++) {
		const struct parse_ok *c = &parse_ok_cases[i];
		struct gtid_list l;
		char err[128] = "";
		int rc = gtid_parse(c->in, &l, err, sizeof err);
		if (rc != 0 || l.n != c->n || strcmp(fmt(&l), c->canon) != 0)
			fail_msg("case %zu '%s': rc %d (%s), n %zu, '%s'; want n %zu, '%s'", i,
				 c->in, rc, err, l.n, rc ? "" : fmt(&l), c->n, c->canon);
		/* The canonical form parses back to the same list. */
		struct gtid_list back = L(c->canon);
		assert_int_equal(back.n, l.n);
		assert_memory_equal(back.e, l.e, l.n * sizeof l.e[0]);
	}
}

static void parse_fields(void **s)
{
	(void)s;
	struct gtid_list l = L("4294967295-4294967295-18446744073709551615, 1-2-3");
	assert_int_equal(l.n, 2);
	assert_int_equal(l.e[0].domain, UINT32_MAX);
	assert_int_equal(l.e[0].server, UINT32_MAX);
	assert_true(l.e[0].seq == UINT64_MAX);
	assert_int_equal(l.e[1].domain, 1);
	assert_int_equal(l.e[1].server, 2);
	assert_int_equal(l.e[1].seq, 3);
}

/* --- parsing: refused ------------------------------------------------------ */

struct parse_bad {
	const char *in;
	const char *msg; /* the whole message, offset included */
};

static const struct parse_bad parse_bad_cases[] = {
	{ ",", "offset 0: expected the domain (digits), found ','" },
	{ ",0-1-5", "offset 0: expected the domain (digits), found ','" },
	{ "0-1-5,", "offset 6: expected a GTID after ',', found end of text" },
	{ "0-1-5, \n", "offset 8: expected a GTID after ',', found end of text" },
	{ "0-1-5,,1-2-3", "offset 6: expected the domain (digits), found ','" },
	{ "0", "offset 1: expected '-' after the domain, found end of text" },
	{ "0-1", "offset 3: expected '-' after the server_id, found end of text" },
	{ "0-1-", "offset 4: expected the sequence number (digits), found end of text" },
	{ "0--5", "offset 2: expected the server_id (digits), found '-'" },
	{ "-1-2-3", "offset 0: expected the domain (digits), found '-'" },
	{ "+1-2-3", "offset 0: expected the domain (digits), found '+'" },
	{ "0-+1-3", "offset 2: expected the server_id (digits), found '+'" },
	{ "0-1--3", "offset 4: expected the sequence number (digits), found '-'" },
	{ "0 -1-5", "offset 1: expected '-' after the domain, found ' '" },
	{ "0-1- 5", "offset 4: expected the sequence number (digits), found ' '" },
	{ "0x1-1-1", "offset 1: expected '-' after the domain, found 'x'" },
	{ "0-1-5x", "offset 5: expected ',' or end after a GTID, found 'x'" },
	{ "0-1-5.5", "offset 5: expected ',' or end after a GTID, found '.'" },
	{ "0-1-5;1-2-3", "offset 5: expected ',' or end after a GTID, found ';'" },
	{ "0-1-5 1-2-3", "offset 6: expected ',' or end after a GTID, found '1'" },
	{ "0-1-5-6", "offset 5: expected ',' or end after a GTID, found '-'" },
	{ "0-1-5\x01", "offset 5: expected ',' or end after a GTID, found byte 0x01" },
	{ "0-1-5,\x7f", "offset 6: expected the domain (digits), found byte 0x7f" },
	{ "4294967296-1-1", "offset 0: domain out of range (max 4294967295)" },
	{ "1-4294967296-1", "offset 2: server_id out of range (max 4294967295)" },
	{ "99999999999-1-1", "offset 0: domain out of range (max 4294967295)" },
	{ "0-1-18446744073709551616",
	  "offset 4: sequence number out of range (max 18446744073709551615)" },
	{ "0-1-5,2-3-99999999999999999999999",
	  "offset 10: sequence number out of range (max 18446744073709551615)" },
	{ "0-1-5,0-1-6", "offset 6: domain 0 server_id 1 appears twice" },
	{ "0-1-5, 1-1-1 , 0-1-5", "offset 15: domain 0 server_id 1 appears twice" },
};

static void parse_refuses(void **s)
{
	(void)s;
	for (size_t i = 0; i < N(parse_bad_cases); i++) {
		const struct parse_bad *c = &parse_bad_cases[i];
		struct gtid_list l = { .n = 7 }; /* never left half-filled */
		char err[160] = "";
		int rc = gtid_parse(c->in, &l, err, sizeof err);
		if (rc != -EINVAL || l.n != 0 || strcmp(err, c->msg) != 0)
			fail_msg("case %zu '%s': rc %d, n %zu, '%s'; want -EINVAL, n 0, '%s'", i,
				 c->in, rc, l.n, err, c->msg);
	}
}

static void parse_null_and_err_buffers(void **s)
{
	(void)s;
	struct gtid_list l;
	char err[64] = "";
	assert_int_equal(gtid_parse(NULL, &l, err, sizeof err), -EINVAL);
	assert_int_equal(l.n, 0);
	assert_string_equal(err, "no GTID list (NULL)");
	/* No message buffer at all. */
	assert_int_equal(gtid_parse("0-1", &l, NULL, 0), -EINVAL);
	assert_int_equal(gtid_parse(NULL, &l, NULL, 0), -EINVAL);
	/* A short buffer gets a cut, terminated message. */
	char tiny[8];
	memset(tiny, 'z', sizeof tiny);
	assert_int_equal(gtid_parse("0-1-5,", &l, tiny, sizeof tiny), -EINVAL);
	assert_string_equal(tiny, "offset ");
	char one[1] = { 'z' };
	assert_int_equal(gtid_parse("x", &l, one, sizeof one), -EINVAL);
	assert_int_equal(one[0], '\0');
}

/* "D-S-N,D-S-N,..." with n entries, domain i server i+1. */
static void many(char *buf, size_t len, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%zu-%zu-%zu", i ? ",\n" : "", i,
					 i + 1, 1000 + i);
}

static void parse_limit(void **s)
{
	(void)s;
	char text[GTID_MAX * 32];
	struct gtid_list l;
	char err[128] = "";
	many(text, sizeof text, GTID_MAX);
	assert_int_equal(gtid_parse(text, &l, err, sizeof err), 0);
	assert_int_equal(l.n, GTID_MAX);
	assert_int_equal(l.e[GTID_MAX - 1].domain, GTID_MAX - 1);
	many(text, sizeof text, GTID_MAX + 1);
	assert_int_equal(gtid_parse(text, &l, err, sizeof err), -EINVAL);
	assert_int_equal(l.n, 0);
	/* The offset is where entry 65 starts. */
	char want[64];
	const char *last = strrchr(text, '\n') + 1;
	snprintf(want, sizeof want, "offset %zu: more than %d GTIDs", (size_t)(last - text),
		 GTID_MAX);
	assert_string_equal(err, want);
}

/* --- formatting ------------------------------------------------------------ */

static void format_round_trip_and_space(void **s)
{
	(void)s;
	struct gtid_list l = L("0-1-5");
	char buf[8];
	assert_int_equal(gtid_format(&l, buf, 6), 0); /* exactly "0-1-5" + NUL */
	assert_string_equal(buf, "0-1-5");
	memset(buf, 'z', sizeof buf);
	assert_int_equal(gtid_format(&l, buf, 5), -ENOSPC);
	assert_string_equal(buf, ""); /* never a shorter, valid-looking list */
	assert_int_equal(gtid_format(&l, buf, 0), -ENOSPC);

	l = L("0-1-5,1-2-7");
	char mid[9]; /* room for "0-1-5,1-" only */
	assert_int_equal(gtid_format(&l, mid, sizeof mid), -ENOSPC);
	assert_string_equal(mid, "");

	struct gtid_list empty = { .n = 0 };
	assert_int_equal(gtid_format(&empty, buf, 1), 0);
	assert_string_equal(buf, "");

	struct gtid_list bad = { .n = GTID_MAX + 1 };
	assert_int_equal(gtid_format(&bad, buf, sizeof buf), -EINVAL);

	/* The longest list there is round-trips. */
	struct gtid_list big = { .n = GTID_MAX };
	for (size_t i = 0; i < GTID_MAX; i++)
		big.e[i] = (struct gtid){ UINT32_MAX - (uint32_t)i, UINT32_MAX, UINT64_MAX };
	static char text[GTID_MAX * 44];
	assert_int_equal(gtid_format(&big, text, sizeof text), 0);
	assert_int_equal(strlen(text), GTID_MAX * 43 - 1);
	struct gtid_list back = L(text);
	assert_int_equal(back.n, GTID_MAX);
	assert_memory_equal(back.e, big.e, sizeof big.e);
}

/* --- positions: covers, missing, compare ---------------------------------- */

struct pos_case {
	const char *a, *b;
	bool a_covers_b, b_covers_a;
	uint64_t a_lacks;  /* gtid_missing(a, b) */
	uint64_t b_lacks;  /* gtid_missing(b, a) */
	int cmp;           /* gtid_compare(a, b) */
};

static const struct pos_case pos_cases[] = {
	{ "", "", true, true, 0, 0, 0 },
	{ "0-1-5", "", true, false, 0, 5, 1 },
	{ "0-1-5", "0-1-5", true, true, 0, 0, 0 },
	/* The server_id is not compared: a new primary continues the domain. */
	{ "0-1-5", "0-2-5", true, true, 0, 0, 0 },
	{ "0-2-10", "0-1-7", true, false, 0, 3, 1 },
	{ "0-1-10,1-2-20", "0-1-10,1-2-25", false, true, 5, 0, -1 },
	{ "0-1-10,1-2-20", "1-2-20,0-1-10", true, true, 0, 0, 0 },
	{ "0-1-10,1-2-20,2-3-30", "0-1-10", true, false, 0, 50, 1 },
	{ "0-1-9", "0-1-9,1-2-5", false, true, 5, 0, -1 },
	{ "0-1-10,1-2-14", "0-1-12,1-2-15", false, true, 3, 0, -1 },
	/* Diverged: each has transactions the other lacks; the larger sum of
	 * seqs wins (30 against 27), equal sums tie. */
	{ "0-1-10,1-2-20", "0-1-12,1-2-15", false, false, 2, 5, 1 },
	{ "0-1-10,1-2-20", "0-1-12,1-2-18", false, false, 2, 2, 0 },
	{ "0-1-10", "1-2-3", false, false, 3, 10, 1 },
	/* A state list as a position: the highest seq of each domain counts,
	 * and the domain counts once. */
	{ "0-1-100,0-2-130", "0-2-130", true, true, 0, 0, 0 },
	{ "0-1-100,0-2-130", "0-1-120", true, false, 0, 10, 1 },
	{ "0-1-100,0-2-130,1-1-5", "0-1-140,1-1-5,1-2-3", false, true, 10, 0, -1 },
	/* Seq 0 is nothing received: the same as an absent domain. */
	{ "0-1-0", "", true, true, 0, 0, 0 },
	/* Extremes: the missing count saturates instead of wrapping. */
	{ "0-1-18446744073709551615", "", true, false, 0, UINT64_MAX, 1 },
	{ "0-1-18446744073709551615,1-1-18446744073709551615", "0-1-1", true, false, 0,
	  UINT64_MAX, 1 },
	{ "0-1-18446744073709551615,1-1-1", "0-1-1,1-1-18446744073709551615", false, false,
	  UINT64_MAX - 1, UINT64_MAX - 1, 0 },
};

static void positions(void **s)
{
	(void)s;
	for (size_t i = 0; i < N(pos_cases); i++) {
		const struct pos_case *c = &pos_cases[i];
		struct gtid_list a = L(c->a), b = L(c->b);
		bool ab = gtid_covers(&a, &b), ba = gtid_covers(&b, &a);
		uint64_t al = gtid_missing(&a, &b), bl = gtid_missing(&b, &a);
		int cmp = gtid_compare(&a, &b), rcmp = gtid_compare(&b, &a);
		if (ab != c->a_covers_b || ba != c->b_covers_a || al != c->a_lacks ||
		    bl != c->b_lacks || cmp != c->cmp || rcmp != -c->cmp)
			fail_msg("case %zu a '%s' b '%s': covers %d/%d missing %" PRIu64 "/%" PRIu64
				 " compare %d/%d; want %d/%d %" PRIu64 "/%" PRIu64 " %d/%d",
				 i, c->a, c->b, ab, ba, al, bl, cmp, rcmp, c->a_covers_b,
				 c->b_covers_a, c->a_lacks, c->b_lacks, c->cmp, -c->cmp);
		/* covers is exactly "nothing missing". */
		assert_int_equal(ab, al == 0);
		assert_int_equal(ba, bl == 0);
	}
}

/* --- states: the writes one server took that another lacks ----------------- */

struct gap_case {
	const char *have, *state;
	const char *gaps; /* "D-S:FROM..TO" joined by ',' */
};

static const struct gap_case gap_cases[] = {
	{ "", "", "" },
	{ "0-1-100", "", "" },
	{ "0-1-100", "0-1-100", "" },
	{ "0-1-120", "0-1-100", "" }, /* have is ahead: it lacks nothing */
	{ "0-1-100", "0-1-120", "0-1:101..120" },
	{ "", "0-1-120", "0-1:1..120" },
	/* The diverged failover: the new primary (server 2) went on writing in
	 * domain 0, so its domain position is ahead, yet it never received the
	 * old primary's last writes 101..120. Per server, not per domain. */
	{ "0-1-100,0-2-130", "0-1-120", "0-1:101..120" },
	{ "0-1-120", "0-1-100,0-2-130", "0-2:1..130" },
	{ "0-1-100", "0-1-100,0-3-105", "0-3:1..105" },
	/* Several domains and servers; gaps in the order of state. */
	{ "0-1-100,1-1-50,1-2-60", "0-1-100,0-2-110,1-1-55,1-2-60,2-7-3",
	  "0-2:1..110,1-1:51..55,2-7:1..3" },
	{ "1-2-60,0-1-99,1-1-50", "2-7-3,1-1-55,0-1-100", "2-7:1..3,1-1:51..55,0-1:100..100" },
	/* Seq 0: no transaction, nothing to lack. */
	{ "", "0-9-0", "" },
	{ "0-1-18446744073709551614", "0-1-18446744073709551615",
	  "0-1:18446744073709551615..18446744073709551615" },
};

static void state_gaps(void **s)
{
	(void)s;
	for (size_t i = 0; i < N(gap_cases); i++) {
		const struct gap_case *c = &gap_cases[i];
		struct gtid_list have = L(c->have), state = L(c->state);
		struct gtid_gap g[GTID_MAX];
		size_t n = gtid_state_gaps(&have, &state, g, N(g));
		char got[512] = "";
		size_t used = 0;
		for (size_t k = 0; k < n; k++)
			used += (size_t)snprintf(got + used, sizeof got - used,
						 "%s%" PRIu32 "-%" PRIu32 ":%" PRIu64 "..%" PRIu64,
						 k ? "," : "", g[k].domain, g[k].server, g[k].from,
						 g[k].to);
		if (strcmp(got, c->gaps) != 0)
			fail_msg("case %zu have '%s' state '%s': gaps '%s'; want '%s'", i, c->have,
				 c->state, got, c->gaps);
	}
}

static void state_gaps_cut_short(void **s)
{
	(void)s;
	struct gtid_list have = L("0-1-1"), state = L("0-1-5,1-1-5,2-1-5");
	struct gtid_gap g[3];
	memset(g, 0xee, sizeof g);
	/* The full count comes back even when only one fits. */
	assert_int_equal(gtid_state_gaps(&have, &state, g, 1), 3);
	assert_int_equal(g[0].domain, 0);
	assert_int_equal(g[0].from, 2);
	assert_int_equal(g[0].to, 5);
	assert_int_equal(g[1].domain, 0xeeeeeeee); /* untouched */
	assert_int_equal(gtid_state_gaps(&have, &state, NULL, 0), 3);
	assert_int_equal(gtid_state_gaps(&state, &have, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_accepts),
		cmocka_unit_test(parse_fields),
		cmocka_unit_test(parse_refuses),
		cmocka_unit_test(parse_null_and_err_buffers),
		cmocka_unit_test(parse_limit),
		cmocka_unit_test(format_round_trip_and_space),
		cmocka_unit_test(positions),
		cmocka_unit_test(state_gaps),
		cmocka_unit_test(state_gaps_cut_short),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
