// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for agent/score: hysteresis tables, penalties, clamping, fault, explain, what-if.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "score.h"

/* ---- hysteresis tables ---- */

/*
 * One scenario for a single check: results as letters, o/d/f = ok,
 * degraded, failed, upper case = definite; expect[k] is the level after
 * results[0..k], as O/D/F.
 */
struct hyst_case {
	uint16_t rise, fall;
	const char *results;
	const char *expect;
};

static const struct hyst_case hyst_cases[] = {
	/* rise 1, fall 1: every result moves at once. */
	{ 1, 1, "o", "O" },
	{ 1, 1, "d", "D" },
	{ 1, 1, "f", "F" },
	{ 1, 1, "odofdo", "ODOFDO" },
	{ 1, 1, "oFoDo", "OFODO" },
	/* rise 2, fall 2. Start: failed until 2 results at a better level. */
	{ 2, 2, "oo", "FO" },
	{ 2, 2, "ofoo", "FFFO" },
	{ 2, 2, "do", "FD" },       /* worst of the last two, never the best */
	{ 2, 2, "od", "FD" },
	{ 2, 2, "doo", "FDO" },
	{ 2, 2, "dd", "FD" },
	{ 2, 2, "ddfoo", "FDDDO" }, /* one failed is not enough to fall again */
	{ 2, 2, "ddff", "FDDF" },
	/* From ok: degraded then failed enters degraded, a further failed
	 * enters failed (the failed run was not reset by the transition). */
	{ 2, 2, "oodff", "FOODF" },
	{ 2, 2, "oofd", "FOOD" },
	{ 2, 2, "oofof", "FOOOO" }, /* alternating never reaches fall */
	{ 2, 2, "oodo", "FOOO" },
	{ 2, 2, "oodfoo", "FOODDO" },
	{ 2, 2, "oodfdo", "FOODDD" }, /* "d,o" reached only degraded */
	/* Definite counts as fall results at once, on the way down only. */
	{ 2, 2, "ooF", "FOF" },
	{ 2, 2, "ooD", "FOD" },
	{ 2, 2, "ooDF", "FODF" },
	{ 2, 2, "ooDf", "FODD" },   /* the ordinary failed after it is just one */
	{ 2, 2, "ooFo", "FOFF" },
	{ 2, 2, "O", "F" },         /* a definite ok does not skip rise */
	{ 2, 2, "OO", "FO" },
	{ 2, 2, "F", "F" },
	/* rise 3, fall 3. */
	{ 3, 3, "ooo", "FFO" },
	{ 3, 3, "oodoo", "FFDDD" }, /* d,o,o: all three at degraded or better */
	{ 3, 3, "oodooo", "FFDDDO" },
	{ 3, 3, "ooodff", "FFOOOD" },
	{ 3, 3, "ooodfff", "FFOOODF" },
	{ 3, 3, "ooofdf", "FFOOOD" },
	{ 3, 3, "ooofdo", "FFOOOO" },
	{ 3, 3, "oooffoff", "FFOOOOOO" },
	{ 3, 3, "oooF", "FFOF" },
	{ 3, 3, "oooDF", "FFODF" },
	{ 3, 3, "oooDoo", "FFODDD" },
	{ 3, 3, "oooDooo", "FFODDDO" },
	{ 3, 3, "OOO", "FFO" },
	/* Asymmetric. */
	{ 1, 3, "offf", "OOOF" },
	{ 1, 3, "offfo", "OOOFO" },
	{ 1, 3, "oddf", "OOOD" },
	{ 1, 3, "odffdo", "OOODDO" },
	{ 3, 1, "ooofoo", "FFOFFF" },
	{ 3, 1, "ooofooo", "FFOFFFO" },
	{ 3, 1, "ooodoo", "FFODDD" },
	{ 3, 1, "ooodooo", "FFODDDO" },
	{ 3, 1, "ooodf", "FFODF" },
};

static enum check_status letter_status(char c)
{
	switch (c) {
	case 'o': case 'O':
		return CHECK_OK;
	case 'd': case 'D':
		return CHECK_DEGRADED;
	default:
		return CHECK_FAILED;
	}
}

static char level_letter(enum check_status s)
{
	return s == CHECK_OK ? 'O' : s == CHECK_DEGRADED ? 'D' : 'F';
}

static void test_hysteresis_tables(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(hyst_cases) / sizeof(hyst_cases[0]); c++) {
		const struct hyst_case *hc = &hyst_cases[c];
		struct score_check_conf conf = { .name = "x", .penalty = 50, .degraded_penalty = 5,
						  .rise = hc->rise, .fall = hc->fall };
		struct score *s;
		char got[32];
		size_t n = strlen(hc->results);
		enum check_status prev = CHECK_FAILED;

		assert_int_equal(strlen(hc->expect), n);
		assert_int_equal(score_new(&s, 100, &conf, 1), 0);
		assert_int_equal(score_level(s, 0), CHECK_FAILED);
		for (size_t k = 0; k < n; k++) {
			char r = hc->results[k];
			bool changed = score_feed(s, 0, letter_status(r), r >= 'A' && r <= 'Z');
			enum check_status now = score_level(s, 0);

			/* The return value says exactly whether the level moved. */
			assert_int_equal(changed, now != prev);
			prev = now;
			got[k] = level_letter(now);
		}
		got[n] = '\0';
		if (strcmp(got, hc->expect) != 0)
			fail_msg("rise %u fall %u results \"%s\": got %s, want %s", hc->rise,
				 hc->fall, hc->results, got, hc->expect);
		score_free(s);
	}
}

/* Long runs saturate instead of wrapping. */
static void test_runs_saturate(void **state)
{
	struct score_check_conf conf = { .name = "x", .penalty = 1, .rise = 65535, .fall = 65535 };
	struct score *s;

	(void)state;
	assert_int_equal(score_new(&s, 100, &conf, 1), 0);
	for (long k = 0; k < 70000; k++)
		score_feed(s, 0, CHECK_FAILED, true);
	assert_int_equal(score_level(s, 0), CHECK_FAILED);
	for (long k = 0; k < 65534; k++)
		assert_false(score_feed(s, 0, CHECK_OK, false));
	assert_true(score_feed(s, 0, CHECK_OK, false));
	assert_int_equal(score_level(s, 0), CHECK_OK);
	score_free(s);
}

/* ---- priority ---- */

static const struct score_check_conf two[] = {
	{ .name = "ping", .penalty = 60, .degraded_penalty = 10, .rise = 1, .fall = 1 },
	{ .name = "lag", .penalty = 60, .degraded_penalty = 5, .rise = 1, .fall = 1 },
};

static void test_start_as_failed(void **state)
{
	struct score *s;
	char line[256];

	(void)state;
	assert_int_equal(score_new(&s, 150, two, 2), 0);
	assert_int_equal(score_count(s), 2);
	assert_int_equal(score_base(s), 150);
	/* No result yet counts as failed: 150 - 60 - 60. */
	assert_int_equal(score_priority(s), 30);
	assert_false(score_reported(s, 0));
	assert_int_equal(score_penalty(s, 0), 60);
	score_explain(s, line, sizeof(line));
	assert_string_equal(line,
			    "priority 30 = 150 - 60 (ping no result yet) - 60 (lag no result yet)");
	/* A first failed result changes no level, but the reason. */
	assert_false(score_feed(s, 0, CHECK_FAILED, false));
	assert_true(score_reported(s, 0));
	score_explain(s, line, sizeof(line));
	assert_string_equal(line, "priority 30 = 150 - 60 (ping failed) - 60 (lag no result yet)");
	score_free(s);
}

static void test_penalties(void **state)
{
	struct score *s;
	char line[256];

	(void)state;
	assert_int_equal(score_new(&s, 150, two, 2), 0);
	assert_true(score_feed(s, 0, CHECK_OK, false));
	assert_int_equal(score_priority(s), 90);
	assert_true(score_feed(s, 1, CHECK_OK, false));
	assert_int_equal(score_priority(s), 150);
	score_explain(s, line, sizeof(line));
	assert_string_equal(line, "priority 150 = 150, all checks ok");

	assert_true(score_feed(s, 0, CHECK_FAILED, false));
	assert_int_equal(score_priority(s), 90);
	score_explain(s, line, sizeof(line));
	assert_string_equal(line, "priority 90 = 150 - 60 (ping failed)");

	assert_true(score_feed(s, 1, CHECK_DEGRADED, false));
	assert_int_equal(score_priority(s), 85);
	assert_int_equal(score_penalty(s, 1), 5);
	score_explain(s, line, sizeof(line));
	assert_string_equal(line, "priority 85 = 150 - 60 (ping failed) - 5 (lag degraded)");

	assert_true(score_feed(s, 0, CHECK_DEGRADED, false));
	assert_int_equal(score_priority(s), 135);
	assert_true(score_feed(s, 0, CHECK_OK, false));
	assert_true(score_feed(s, 1, CHECK_OK, false));
	assert_int_equal(score_priority(s), 150);
	assert_int_equal(score_penalty(s, 0), 0);
	score_free(s);
}

static void test_clamping(void **state)
{
	static const struct score_check_conf big[] = {
		{ .name = "a", .penalty = 100, .degraded_penalty = 200, .rise = 1, .fall = 1 },
		{ .name = "b", .penalty = 100, .rise = 1, .fall = 1 },
	};
	static const struct score_check_conf zero[] = {
		{ .name = "z", .penalty = 0, .degraded_penalty = 0, .rise = 1, .fall = 1 },
	};
	struct score *s;
	char line[256];

	(void)state;
	assert_int_equal(score_new(&s, 150, big, 2), 0);
	assert_int_equal(score_priority(s), 1); /* 150 - 200, never below 1 */
	score_explain(s, line, sizeof(line));
	assert_string_equal(line,
			    "priority 1 = 150 - 100 (a no result yet) - 100 (b no result yet), clamped");
	score_feed(s, 1, CHECK_OK, false);
	assert_int_equal(score_priority(s), 50);
	score_feed(s, 0, CHECK_DEGRADED, false);
	assert_int_equal(score_priority(s), 1);
	score_free(s);

	/* A failed check with no penalty is named, and changes nothing. */
	assert_int_equal(score_new(&s, 254, zero, 1), 0);
	assert_int_equal(score_priority(s), 254);
	score_feed(s, 0, CHECK_FAILED, false);
	score_explain(s, line, sizeof(line));
	assert_string_equal(line, "priority 254 = 254 - 0 (z failed)");
	score_free(s);

	/* No checks at all. */
	assert_int_equal(score_new(&s, 100, NULL, 0), 0);
	assert_int_equal(score_priority(s), 100);
	assert_false(score_fault(s));
	score_explain(s, line, sizeof(line));
	assert_string_equal(line, "priority 100 = 100, no checks");
	score_free(s);
}

static void test_owner_never_changes(void **state)
{
	struct score *s;
	char line[256];

	(void)state;
	assert_int_equal(score_new(&s, 255, two, 2), 0);
	assert_int_equal(score_priority(s), 255);
	score_feed(s, 0, CHECK_OK, false);
	score_feed(s, 1, CHECK_DEGRADED, false);
	assert_int_equal(score_priority(s), 255);
	score_explain(s, line, sizeof(line));
	assert_string_equal(line, "priority 255, address owner (lag degraded)");
	score_feed(s, 1, CHECK_OK, false);
	score_explain(s, line, sizeof(line));
	assert_string_equal(line, "priority 255, address owner");
	score_free(s);
}

static void test_fatal(void **state)
{
	static const struct score_check_conf conf[] = {
		{ .name = "ping", .penalty = 60, .rise = 1, .fall = 2, .fatal = true },
		{ .name = "lag", .penalty = 60, .degraded_penalty = 5, .rise = 1, .fall = 1 },
	};
	struct score *s;
	char line[256];

	(void)state;
	assert_int_equal(score_new(&s, 150, conf, 2), 0);
	/* Not heard from yet: failed, and fatal. */
	assert_true(score_fault(s));
	score_feed(s, 0, CHECK_OK, false);
	assert_false(score_fault(s));
	/* A non-fatal check failing is no fault. */
	score_feed(s, 1, CHECK_FAILED, false);
	assert_false(score_fault(s));
	/* Degraded is never a fault. */
	score_feed(s, 0, CHECK_DEGRADED, false);
	score_feed(s, 0, CHECK_DEGRADED, false);
	assert_int_equal(score_level(s, 0), CHECK_DEGRADED);
	assert_false(score_fault(s));
	score_feed(s, 0, CHECK_FAILED, true);
	assert_true(score_fault(s));
	score_explain(s, line, sizeof(line));
	assert_string_equal(line, "priority 30 = 150 - 60 (ping failed) - 60 (lag failed); "
				  "FAULT: ping failed (fatal)");
	score_free(s);
}

static void test_explain_truncates(void **state)
{
	struct score *s;
	char line[16];
	char full[256];
	int n;

	(void)state;
	assert_int_equal(score_new(&s, 150, two, 2), 0);
	n = score_explain(s, full, sizeof(full));
	assert_int_equal(n, (int)strlen(full));
	n = score_explain(s, line, sizeof(line));
	assert_int_equal(n, (int)strlen(full));
	assert_int_equal(strlen(line), sizeof(line) - 1);
	assert_memory_equal(line, full, sizeof(line) - 1);
	assert_int_equal(score_explain(s, NULL, 0), (int)strlen(full));
	score_free(s);
}

static void test_reset_and_bad_index(void **state)
{
	struct score *s;

	(void)state;
	assert_int_equal(score_new(&s, 150, two, 2), 0);
	score_feed(s, 0, CHECK_OK, false);
	assert_int_equal(score_level(s, 0), CHECK_OK);
	score_reset(s, 0);
	assert_int_equal(score_level(s, 0), CHECK_FAILED);
	assert_false(score_reported(s, 0));
	/* Out of range: ignored, reported as failed, no penalty. */
	assert_false(score_feed(s, 2, CHECK_OK, false));
	assert_int_equal(score_level(s, 2), CHECK_FAILED);
	assert_int_equal(score_penalty(s, 2), 0);
	score_reset(s, 7);
	/* An out-of-range status counts as failed. */
	score_feed(s, 1, CHECK_OK, false);
	assert_true(score_feed(s, 1, (enum check_status)42, false));
	assert_int_equal(score_level(s, 1), CHECK_FAILED);
	score_free(s);
	score_free(NULL);
}

/* ---- seeding (a reload or restart carries a verdict over) ---- */

static void test_seed(void **state)
{
	static const struct score_check_conf conf[] = {
		{ .name = "ping", .penalty = 60, .degraded_penalty = 10, .rise = 2, .fall = 3,
		  .fatal = true },
		{ .name = "lag", .penalty = 40, .degraded_penalty = 5, .rise = 2, .fall = 3 },
	};
	struct score *s;
	char line[256];

	(void)state;
	assert_int_equal(score_new(&s, 150, conf, 2), 0);
	assert_int_equal(score_priority(s), 50);
	assert_true(score_fault(s));

	/* A seeded level counts at once: no `rise` results needed. */
	score_seed(s, 0, CHECK_OK);
	assert_int_equal(score_level(s, 0), CHECK_OK);
	assert_true(score_reported(s, 0));
	assert_int_equal(score_penalty(s, 0), 0);
	assert_false(score_fault(s));
	assert_int_equal(score_priority(s), 110);
	score_seed(s, 1, CHECK_DEGRADED);
	assert_int_equal(score_level(s, 1), CHECK_DEGRADED);
	assert_int_equal(score_penalty(s, 1), 5);
	assert_int_equal(score_priority(s), 145);
	score_explain(s, line, sizeof(line));
	assert_string_equal(line, "priority 145 = 150 - 5 (lag degraded)");
	score_seed(s, 1, CHECK_FAILED);
	assert_int_equal(score_priority(s), 110);
	assert_true(score_reported(s, 1));
	score_explain(s, line, sizeof(line));
	assert_string_equal(line, "priority 110 = 150 - 40 (lag failed)");
	score_seed(s, 0, CHECK_FAILED);
	assert_int_equal(score_priority(s), 50);
	assert_true(score_fault(s));
	score_seed(s, 0, CHECK_DEGRADED);
	assert_int_equal(score_priority(s), 100);
	assert_false(score_fault(s));

	/* From a seeded ok, `fall` (3) failures are needed to go failed. */
	score_seed(s, 0, CHECK_OK);
	assert_false(score_feed(s, 0, CHECK_FAILED, false));
	assert_false(score_feed(s, 0, CHECK_FAILED, false));
	assert_int_equal(score_level(s, 0), CHECK_OK);
	assert_true(score_feed(s, 0, CHECK_FAILED, false));
	assert_int_equal(score_level(s, 0), CHECK_FAILED);

	/* From a seeded failed, `rise` (2) oks are needed to go ok. */
	score_seed(s, 0, CHECK_FAILED);
	assert_false(score_feed(s, 0, CHECK_OK, false));
	assert_int_equal(score_level(s, 0), CHECK_FAILED);
	assert_true(score_feed(s, 0, CHECK_OK, false));
	assert_int_equal(score_level(s, 0), CHECK_OK);

	/* From a seeded degraded: one ok is not enough, 3 failures are. */
	score_seed(s, 1, CHECK_DEGRADED);
	assert_false(score_feed(s, 1, CHECK_OK, false));
	assert_int_equal(score_level(s, 1), CHECK_DEGRADED);
	assert_false(score_feed(s, 1, CHECK_FAILED, false));
	assert_false(score_feed(s, 1, CHECK_FAILED, false));
	assert_true(score_feed(s, 1, CHECK_FAILED, false));
	assert_int_equal(score_level(s, 1), CHECK_FAILED);

	/* The runs before the seed are forgotten: two failures, a seed at
	 * ok, then a third failure does not reach fall. */
	score_seed(s, 1, CHECK_OK);
	assert_false(score_feed(s, 1, CHECK_FAILED, false));
	assert_false(score_feed(s, 1, CHECK_FAILED, false));
	score_seed(s, 1, CHECK_OK);
	assert_false(score_feed(s, 1, CHECK_FAILED, false));
	assert_int_equal(score_level(s, 1), CHECK_OK);
	/* A definite answer still counts as `fall` at once. */
	assert_true(score_feed(s, 1, CHECK_FAILED, true));
	assert_int_equal(score_level(s, 1), CHECK_FAILED);
	score_free(s);
}

static void test_seed_out_of_range(void **state)
{
	struct score *s;

	(void)state;
	assert_int_equal(score_new(&s, 150, two, 2), 0); /* rise 1, fall 1 */
	/* Out of range index or level: nothing changes. */
	score_seed(s, 2, CHECK_OK);
	score_seed(s, (size_t)-1, CHECK_OK);
	score_seed(s, 0, CHECK_STATUS__COUNT);
	score_seed(s, 1, (enum check_status)42);
	score_seed(s, 1, (enum check_status)-1);
	assert_int_equal(score_priority(s), 30);
	assert_false(score_reported(s, 0));
	assert_false(score_reported(s, 1));
	assert_int_equal(score_level(s, 0), CHECK_FAILED);
	assert_int_equal(score_level(s, 1), CHECK_FAILED);
	score_seed(NULL, 0, CHECK_OK);
	score_free(s);

	/* Nor the runs: with fall 3, two failures, an invalid seed, and the
	 * third failure still reaches failed. */
	static const struct score_check_conf f3 = { .name = "x", .penalty = 50, .rise = 1,
						    .fall = 3 };
	assert_int_equal(score_new(&s, 100, &f3, 1), 0);
	score_seed(s, 0, CHECK_OK);
	assert_false(score_feed(s, 0, CHECK_FAILED, false));
	assert_false(score_feed(s, 0, CHECK_FAILED, false));
	score_seed(s, 0, CHECK_STATUS__COUNT);
	score_seed(s, 1, CHECK_OK);
	assert_int_equal(score_level(s, 0), CHECK_OK);
	assert_int_equal(score_priority(s), 100);
	assert_true(score_feed(s, 0, CHECK_FAILED, false));
	assert_int_equal(score_priority(s), 50);
	score_free(s);
}

static void test_new_rejects(void **state)
{
	struct score_check_conf bad = { .name = "x", .rise = 0, .fall = 1 };
	struct score *s = (struct score *)&bad;

	(void)state;
	assert_int_equal(score_new(&s, 100, &bad, 1), -EINVAL);
	assert_null(s);
	bad.rise = 1;
	bad.fall = 0;
	assert_int_equal(score_new(&s, 100, &bad, 1), -EINVAL);
	bad.fall = 1;
	assert_int_equal(score_new(&s, 0, &bad, 1), -EINVAL);
	assert_int_equal(score_new(&s, 100, NULL, 1), -EINVAL);
	assert_int_equal(score_new(NULL, 100, &bad, 1), -EINVAL);
	/* The name is copied: the caller's string may go. */
	{
		char name[8] = "temp";

		bad.name = name;
		assert_int_equal(score_new(&s, 100, &bad, 1), 0);
		strcpy(name, "XXXX");
		char line[128];

		score_explain(s, line, sizeof(line));
		assert_string_equal(line, "priority 100 = 100 - 0 (temp no result yet)");
		score_free(s);
	}
}

/* ---- what-if, for vigild -t ---- */

static void test_what_if(void **state)
{
	static const struct score_check_conf conf[] = {
		{ .name = "ping", .penalty = 60, .degraded_penalty = 10, .rise = 2, .fall = 2 },
		{ .name = "lag", .penalty = 30, .degraded_penalty = 5, .rise = 2, .fall = 2 },
		{ .name = "must", .penalty = 200, .degraded_penalty = 0, .rise = 1, .fall = 1,
		  .fatal = true },
	};
	bool fault = true;

	(void)state;
	assert_int_equal(score_what_if(150, conf, 3, 0, CHECK_FAILED, &fault), 90);
	assert_false(fault);
	assert_int_equal(score_what_if(150, conf, 3, 0, CHECK_DEGRADED, &fault), 140);
	assert_int_equal(score_what_if(150, conf, 3, 1, CHECK_FAILED, &fault), 120);
	assert_int_equal(score_what_if(150, conf, 3, 1, CHECK_DEGRADED, &fault), 145);
	assert_false(fault);
	/* Clamped, and fatal. */
	assert_int_equal(score_what_if(150, conf, 3, 2, CHECK_FAILED, &fault), 1);
	assert_true(fault);
	assert_int_equal(score_what_if(150, conf, 3, 2, CHECK_DEGRADED, &fault), 150);
	assert_false(fault);
	/* No check named: all ok. */
	assert_int_equal(score_what_if(150, conf, 3, 3, CHECK_FAILED, &fault), 150);
	assert_false(fault);
	assert_int_equal(score_what_if(150, conf, 3, 0, CHECK_OK, NULL), 150);
	/* The owner never moves; 255 is not reachable by a non-owner. */
	assert_int_equal(score_what_if(255, conf, 3, 0, CHECK_FAILED, NULL), 255);
	assert_int_equal(score_what_if(254, conf, 3, 0, CHECK_OK, NULL), 254);
	/* The keepalived mistake this catches: weight too small to cross the
	 * peer. 150 - 30 = 120 stays above a peer at 100. */
	assert_true(score_what_if(150, conf, 3, 1, CHECK_FAILED, NULL) > 100);
	assert_true(score_what_if(150, conf, 3, 0, CHECK_FAILED, NULL) < 100);
}

/* What-if agrees with a real score driven to the same levels. */
static void test_what_if_matches_score(void **state)
{
	struct score *s;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		for (int st = CHECK_OK; st < CHECK_STATUS__COUNT; st++) {
			assert_int_equal(score_new(&s, 150, two, 2), 0);
			for (size_t j = 0; j < 2; j++)
				score_feed(s, j, j == i ? (enum check_status)st : CHECK_OK, false);
			assert_int_equal(score_priority(s),
					 score_what_if(150, two, 2, i, (enum check_status)st, NULL));
			score_free(s);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hysteresis_tables),
		cmocka_unit_test(test_runs_saturate),
		cmocka_unit_test(test_start_as_failed),
		cmocka_unit_test(test_penalties),
		cmocka_unit_test(test_clamping),
		cmocka_unit_test(test_owner_never_changes),
		cmocka_unit_test(test_fatal),
		cmocka_unit_test(test_explain_truncates),
		cmocka_unit_test(test_reset_and_bad_index),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_seed_out_of_range),
		cmocka_unit_test(test_new_rejects),
		cmocka_unit_test(test_what_if),
		cmocka_unit_test(test_what_if_matches_score),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
