// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for overlapping probes (checks/check.h), on a fake clock: the
// bound, the start rule, results in start order, a success cancelling
// older probes, and when the fall-th failure of a hung server comes.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "check_steps.h"

static int teardown(void **state)
{
	cs_free(*state);
	return 0;
}

/* Results of the scheduler's timeouts. */
static unsigned count_timeouts(const struct cs *w)
{
	unsigned n = 0;

	for (unsigned i = 0; i < w->results; i++)
		n += strstr(w->result[i].r.detail, "timeout after") != NULL;
	return n;
}

/* The first result at or after fake time t, or w->results. */
static unsigned first_result_from(const struct cs *w, uint64_t t)
{
	unsigned i = 0;

	while (i < w->results && w->result[i].at < t)
		i++;
	return i;
}

/* No probe started at or after t while another one ran. */
static void expect_alone_from(const struct cs *w, uint64_t t)
{
	for (unsigned k = 0; k < w->starts; k++)
		if (w->start[k].at >= t && w->start[k].open != 1)
			fail_msg("probe %u started at +%llu ms beside %u other(s)", k,
				 (unsigned long long)(w->start[k].at - CS_T0) / 1000,
				 w->start[k].open - 1);
}

/* min(max_inflight, ceil(timeout / interval)), at least 1. */
static void test_slots(void **state)
{
	static const struct { uint32_t iv, to, fall; unsigned slots; } c[] = {
		{ 200, 500, 2, 2 }, { 200, 500, 5, 3 }, { 100, 250, 2, 2 }, { 500, 200, 3, 1 },
		{ 200, 400, 9, 2 }, { 200, 401, 9, 3 }, { 200, 500, 0, 1 }, { 200, 500, 1, 1 },
		{ 100, 1000, 100, 10 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct cs *w = cs_new(c[i].iv, c[i].to, c[i].fall);

		if (check_slots(w->chk) != c[i].slots)
			fail_msg("interval %u, timeout %u, fall %u: %u slots, want %u", c[i].iv,
				 c[i].to, c[i].fall, check_slots(w->chk), c[i].slots);
		cs_free(w);
	}
}

/*
 * A server hung from the start: the n-th failure (n <= fall) comes at
 * timeout + (n - 1) x interval, so the fall-th at timeout + (fall - 1) x
 * interval, never with more than fall probes in flight. Shipped defaults
 * first, then the 100 ms pairs, more falls, and timeouts shorter than
 * the interval (no overlap needed: the same formula).
 */
static void test_hang_fall_th_failure(void **state)
{
	static const struct { uint32_t iv, to, fall; } c[] = {
		{ 200, 500, 2 }, { 100, 250, 2 }, { 100, 200, 2 }, { 200, 400, 2 },
		{ 200, 500, 3 }, { 100, 1000, 5 }, { 1000, 500, 2 }, { 200, 500, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct cs *w = cs_new(c[i].iv, c[i].to, c[i].fall);

		cs_plan_all(w, HANG);
		check_start(w->chk);
		cs_run_until(w, AT(c[i].to + c[i].fall * c[i].iv + 1));
		for (unsigned n = 1; n <= c[i].fall; n++) {
			uint64_t want = AT(c[i].to + (n - 1) * c[i].iv);

			if (cs_nth_failure_at(w, n) != want)
				fail_msg("interval %u, timeout %u, fall %u: failure %u at +%lld ms, "
					 "want +%lld ms", c[i].iv, c[i].to, c[i].fall, n,
					 (long long)(cs_nth_failure_at(w, n) - CS_T0) / 1000,
					 (long long)(want - CS_T0) / 1000);
		}
		assert_true(w->max_open <= c[i].fall);
		assert_int_equal(w->max_open, check_slots(w->chk));
		cs_free(w);
	}
}

/* The same when the server hangs after answering fast: counted from the
 * first probe that hangs. */
static void test_hang_after_answers(void **state)
{
	struct cs *w = cs_new(200, 500, 2);

	*state = w;
	cs_plan_all(w, HANG);
	for (unsigned k = 0; k < 5; k++)
		cs_plan_probe(w, k, ANSWER(1, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(2000));
	assert_true(w->start[5].at == AT(1000)); /* the first that hangs */
	assert_true(w->start[6].at == AT(1200)); /* beside it, an interval later */
	assert_int_equal(w->start[6].open, 2);
	assert_true(cs_nth_failure_at(w, 1) == AT(1500));
	assert_true(cs_nth_failure_at(w, 2) == AT(1700)); /* 500 + (2 - 1) x 200 */
	assert_int_equal(w->max_open, 2);
}

/*
 * On a busy loop timers fire a little late, by different amounts. The
 * start rule counts ages on the schedule, so the interval after a late one
 * still finds the hung probe an interval old and starts the second probe:
 * the fall-th failure is late only by the lateness, never by an interval.
 */
static void test_late_timer_keeps_overlap(void **state)
{
	struct cs *w = cs_new(200, 500, 2);

	*state = w;
	/* Every other firing 3 ms late: the hung probe starts late, the
	 * next interval comes on time. */
	w->late[0] = MS(3);
	w->late[1] = 0;
	w->n_late = 2;
	cs_plan_all(w, HANG);
	check_start(w->chk);
	cs_run_until(w, AT(2000));
	assert_int_equal(w->start[1].open, 2);
	assert_true(w->start[1].at - w->start[0].at <= MS(200));
	assert_true(cs_nth_failure_at(w, 2) <= w->start[0].at + MS(500 + 200 + 3));
}

/* A failure is no answer from the server: a checker's own deadline (which
 * fails at about the timeout, as mysql_ping's does) must not teach the
 * scheduler that the server takes that long, and stop the overlap. */
static void test_failure_is_not_a_pace(void **state)
{
	struct cs *w = cs_new(200, 500, 2);

	*state = w;
	cs_plan_all(w, ANSWER(499, CHECK_FAILED));
	cs_plan_probe(w, 0, ANSWER(1, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(3000));
	/* Probes from 200 hang until their own deadline; each keeps getting
	 * a second one beside it. */
	assert_true(cs_nth_failure_at(w, 1) == AT(200 + 499));
	assert_true(cs_nth_failure_at(w, 2) == AT(400 + 499));
	assert_int_equal(w->max_open, 2);
	assert_true(check_get_stats(w->chk)->overlapped >= 4);
}

/* At most max_inflight at once; intervals beyond it are skipped, and the
 * next probe follows the oldest's timeout at once. */
static void test_bound(void **state)
{
	struct cs *w = cs_new(100, 1000, 3);
	const struct check_stats *st;

	*state = w;
	cs_plan_all(w, HANG);
	check_start(w->chk);
	cs_run_until(w, AT(999));
	assert_int_equal(w->starts, 3);
	assert_true(w->start[1].at == AT(100));
	assert_true(w->start[2].at == AT(200));
	assert_int_equal(w->max_open, 3);
	st = check_get_stats(w->chk);
	assert_int_equal(st->overlapped, 2);
	assert_int_equal(st->skipped, 7); /* 300 .. 900 */
	cs_run_until(w, AT(1000));
	cs_expect_timeout(w, 0, AT(1000));
	assert_int_equal(w->starts, 4);
	assert_true(w->start[3].at == AT(1000));
	cs_run_until(w, AT(5000));
	assert_int_equal(w->max_open, 3);
	assert_int_equal(check_inflight(w->chk), 3);
}

/* A result that comes before an older probe's waits for it: here the
 * older one times out, then the newer's result follows at that instant. */
static void test_held_until_older_times_out(void **state)
{
	struct cs *w = cs_new(200, 500, 2);

	*state = w;
	cs_plan_probe(w, 0, HANG);
	cs_plan_probe(w, 1, ANSWER(10, CHECK_FAILED));
	cs_plan_all(w, HANG);
	check_start(w->chk);
	cs_run_until(w, AT(499));
	assert_int_equal(w->results, 0); /* probe 1 answered at 210: held */
	assert_int_equal(check_inflight(w->chk), 2);
	cs_run_until(w, AT(500));
	assert_int_equal(w->results, 2);
	cs_expect_timeout(w, 0, AT(500));
	cs_expect_answer(w, 1, 1, CHECK_FAILED, AT(500));
	assert_int_equal(w->result[1].r.duration_ms, 10); /* its own, not the wait */
	assert_string_equal(check_last(w->chk)->detail, "probe 1: failed");
}

/* ... or until the older one answers: both in start order. */
static void test_held_until_older_answers(void **state)
{
	struct cs *w = cs_new(200, 500, 2);

	*state = w;
	cs_plan_probe(w, 0, ANSWER(300, CHECK_DEGRADED));
	cs_plan_probe(w, 1, ANSWER(10, CHECK_FAILED));
	cs_plan_all(w, ANSWER(1, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(299));
	assert_int_equal(w->results, 0);
	cs_run_until(w, AT(300));
	assert_int_equal(w->results, 2);
	cs_expect_answer(w, 0, 0, CHECK_DEGRADED, AT(300));
	cs_expect_answer(w, 1, 1, CHECK_FAILED, AT(300));
	assert_int_equal(count_timeouts(w), 0);
}

/* A newer probe's success: the older one still waiting is cancelled at
 * once, its timeout never counts, and the success counts once. */
static void test_success_cancels_older(void **state)
{
	struct cs *w = cs_new(200, 500, 2);
	const struct check_stats *st;

	*state = w;
	cs_plan_probe(w, 0, HANG);
	cs_plan_probe(w, 1, ANSWER(5, CHECK_OK));
	cs_plan_all(w, ANSWER(1, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(205));
	assert_int_equal(w->results, 1);
	cs_expect_answer(w, 0, 1, CHECK_OK, AT(205));
	assert_int_equal(w->cancels, 1);
	assert_int_equal(w->cancel[0].probe, 0);
	assert_true(w->cancel[0].at == AT(205));
	/* The next probe at once (probe 0's interval gave no result), alone,
	 * then the schedule from there. */
	assert_int_equal(w->starts, 3);
	assert_true(w->start[2].at == AT(205));
	assert_int_equal(check_inflight(w->chk), 1);
	cs_run_until(w, AT(405));
	assert_true(w->start[3].at == AT(405));
	cs_run_until(w, AT(2000));
	assert_int_equal(count_timeouts(w), 0);
	st = check_get_stats(w->chk);
	assert_int_equal(st->superseded, 1);
	assert_int_equal(st->timeouts, 0);
	assert_int_equal(st->by_status[CHECK_FAILED], 0);
	/* Each probe's success once: probes 1, 2, ... and never probe 0. */
	for (unsigned i = 0; i < w->results; i++)
		assert_int_equal(w->result[i].r.value, (int64_t)i + 1);
	expect_alone_from(w, AT(205));
}

/* Results already held for older probes still go first, in start order;
 * only the older probes still waiting are cancelled. */
static void test_success_after_held(void **state)
{
	struct cs *w = cs_new(200, 500, 3);

	*state = w;
	cs_plan_probe(w, 0, HANG);
	cs_plan_probe(w, 1, ANSWER(10, CHECK_FAILED));
	cs_plan_probe(w, 2, ANSWER(10, CHECK_OK));
	cs_plan_all(w, HANG);
	check_start(w->chk);
	cs_run_until(w, AT(410));
	assert_int_equal(w->results, 2);
	cs_expect_answer(w, 0, 1, CHECK_FAILED, AT(410));
	cs_expect_answer(w, 1, 2, CHECK_OK, AT(410));
	assert_int_equal(w->cancels, 1);
	assert_int_equal(w->cancel[0].probe, 0);
	assert_int_equal(check_get_stats(w->chk)->superseded, 1);
}

/* A hung server that comes back: the first success cancels the probe still
 * hanging beside it, then one probe at a time again. */
static void test_hang_then_recovers(void **state)
{
	struct cs *w = cs_new(200, 500, 2);

	*state = w;
	cs_plan_probe(w, 0, HANG);
	cs_plan_probe(w, 1, HANG);
	cs_plan_probe(w, 2, HANG);
	cs_plan_all(w, ANSWER(1, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(3000));
	cs_expect_timeout(w, 0, AT(500));
	cs_expect_timeout(w, 1, AT(700));
	/* Probe 2 began at 500 and hangs; probe 3 (at 700) answers at 701. */
	cs_expect_answer(w, 2, 3, CHECK_OK, AT(701));
	assert_int_equal(w->cancel[0].probe, 0);
	assert_int_equal(w->cancel[2].probe, 2);
	assert_true(w->cancel[2].at == AT(701));
	assert_int_equal(count_timeouts(w), 2);
	/* The success counted once, and the next probe confirms it at once
	 * (rise), not an interval later. */
	assert_true(w->start[4].at == AT(701));
	cs_expect_answer(w, 3, 4, CHECK_OK, AT(702));
	assert_true(w->start[5].at == AT(901));
	expect_alone_from(w, AT(701));
}

/*
 * A server that is slow but answers (300 ms, more than the interval, less
 * than the timeout): before its first answer the rule cannot tell it from
 * a hung one and may add a probe; after the first success there is never
 * more than one in flight, and it never fails.
 */
static void test_slow_server_one_at_a_time(void **state)
{
	static const uint32_t latency[] = { 300, 450, 210, 399 };

	(void)state;
	for (size_t i = 0; i < sizeof(latency) / sizeof(latency[0]); i++) {
		struct cs *w = cs_new(200, 500, 3);
		uint64_t first_ok;

		cs_plan_all(w, ANSWER(latency[i], CHECK_OK));
		check_start(w->chk);
		cs_run_until(w, AT(10000));
		assert_true(w->results > 0);
		first_ok = w->result[0].at;
		assert_true(first_ok == AT(latency[i]));
		expect_alone_from(w, first_ok);
		assert_int_equal(count_timeouts(w), 0);
		assert_int_equal(check_get_stats(w->chk)->by_status[CHECK_FAILED], 0);
		/* One after the other, back to back: no interval lost. */
		assert_true(w->results >= 10000 / latency[i] - 2);
		cs_free(w);
	}
}

/* A fast server that turns slow: its first slow probe gets one beside it
 * (it could be hung), then the pace is learnt and probes go one at a time. */
static void test_fast_then_slow(void **state)
{
	struct cs *w = cs_new(200, 500, 2);
	unsigned i;

	*state = w;
	cs_plan_all(w, ANSWER(300, CHECK_OK));
	for (unsigned k = 0; k < 3; k++)
		cs_plan_probe(w, k, ANSWER(1, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(5000));
	assert_true(w->start[3].at == AT(600));
	assert_true(w->start[4].at == AT(800));
	assert_int_equal(w->start[4].open, 2);
	i = first_result_from(w, AT(900));
	cs_expect_answer(w, i, 3, CHECK_OK, AT(900));
	expect_alone_from(w, AT(900));
	assert_int_equal(count_timeouts(w), 0);
}

/* Stop with probes in flight and a result held: every probe cancelled, the
 * held result dropped, nothing reported afterwards. */
static void test_stop_drops_held(void **state)
{
	struct cs *w = cs_new(100, 1000, 3);

	*state = w;
	cs_plan_probe(w, 0, HANG);
	cs_plan_probe(w, 1, ANSWER(10, CHECK_FAILED));
	cs_plan_all(w, HANG);
	check_start(w->chk);
	cs_run_until(w, AT(250));
	assert_int_equal(check_inflight(w->chk), 3);
	assert_int_equal(cs_open(w), 2);
	check_stop(w->chk);
	assert_int_equal(check_inflight(w->chk), 0);
	assert_int_equal(w->cancels, 2);
	assert_int_equal(cs_open(w), 0);
	cs_run_until(w, AT(5000));
	assert_int_equal(w->results, 0);
	assert_false(w->armed);
}

/* The owner stops the check from the callback while results are held:
 * the rest are dropped, and probes never restart by themselves. */
static void test_owner_stops_while_draining(void **state)
{
	struct cs *w = cs_new(200, 500, 2);

	*state = w;
	cs_plan_probe(w, 0, ANSWER(300, CHECK_FAILED));
	cs_plan_probe(w, 1, ANSWER(10, CHECK_FAILED));
	w->stop_after = 1;
	check_start(w->chk);
	cs_run_until(w, AT(3000));
	assert_int_equal(w->results, 1);
	cs_expect_answer(w, 0, 0, CHECK_FAILED, AT(300));
	assert_int_equal(w->starts, 2);
	assert_false(w->armed);
}

/* A restarted check forgets the server's pace: a slow server seen before
 * the stop does not hold back overlapping after check_start(). */
static void test_restart_forgets_pace(void **state)
{
	struct cs *w = cs_new(200, 500, 2);

	*state = w;
	cs_plan_all(w, ANSWER(300, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(1000));
	check_stop(w->chk);
	cs_plan_all(w, HANG);
	w->n_plan = 0;
	check_start(w->chk);
	cs_run_until(w, AT(2000));
	assert_true(cs_nth_failure_at(w, 2) == AT(1700)); /* 1000 + 500 + 200 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_hang_fall_th_failure),
		cmocka_unit_test_teardown(test_hang_after_answers, teardown),
		cmocka_unit_test_teardown(test_late_timer_keeps_overlap, teardown),
		cmocka_unit_test_teardown(test_failure_is_not_a_pace, teardown),
		cmocka_unit_test_teardown(test_bound, teardown),
		cmocka_unit_test_teardown(test_held_until_older_times_out, teardown),
		cmocka_unit_test_teardown(test_held_until_older_answers, teardown),
		cmocka_unit_test_teardown(test_success_cancels_older, teardown),
		cmocka_unit_test_teardown(test_success_after_held, teardown),
		cmocka_unit_test_teardown(test_hang_then_recovers, teardown),
		cmocka_unit_test(test_slow_server_one_at_a_time),
		cmocka_unit_test_teardown(test_fast_then_slow, teardown),
		cmocka_unit_test_teardown(test_stop_drops_held, teardown),
		cmocka_unit_test_teardown(test_owner_stops_while_draining, teardown),
		cmocka_unit_test_teardown(test_restart_forgets_pace, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
