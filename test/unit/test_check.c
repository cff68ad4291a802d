// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for the check scheduler with a fake checker: on a fake clock
// (what happened and when), and once on libev's clock (that it runs).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_steps.h"
#include "test_util.h"

/* The libev test's loop stops after this long, whatever happens. */
#define GUARD_S 3.0

static int teardown(void **state)
{
	cs_free(*state);
	return 0;
}

/* ---- tests on the fake clock ---- */

static void test_first_probe_at_once(void **state)
{
	struct cs *w = cs_new(10000, 1000, 1);
	const struct check_stats *st;

	*state = w;
	assert_int_equal(w->creates, 1);
	assert_int_equal(check_slots(w->chk), 1);
	assert_int_equal(check_last(w->chk)->status, CHECK_FAILED);
	assert_string_equal(check_last(w->chk)->detail, "no result yet");
	assert_int_equal(check_last(w->chk)->value, -1);
	assert_ptr_equal(check_get_type(w->chk), &cs_fake_type);

	check_start(w->chk);
	/* Deferred to the clock: never a callback inside check_start(). */
	assert_int_equal(w->starts, 0);
	assert_int_equal(w->results, 0);
	cs_run_for(w, 0);
	assert_int_equal(w->starts, 1);
	assert_true(w->start[0].at == CS_T0);
	cs_expect_answer(w, 0, 0, CHECK_OK, CS_T0);
	assert_int_equal(w->result[0].r.value, 0);
	assert_int_equal(w->result[0].r.duration_ms, 0);
	assert_false(check_probing(w->chk));

	st = check_get_stats(w->chk);
	assert_int_equal(st->probes, 1);
	assert_int_equal(st->by_status[CHECK_OK], 1);
	assert_int_equal(st->timeouts, 0);
	assert_int_equal(st->unsolicited, 0);
	assert_int_equal(st->latency_buckets[0], 1);
	assert_string_equal(check_last(w->chk)->detail, "probe 0: ok");
	/* Starting twice changes nothing. */
	check_start(w->chk);
	cs_run_for(w, MS(50));
	assert_int_equal(w->starts, 1);
}

static void test_interval_repeats(void **state)
{
	struct cs *w = cs_new(30, 1000, 1);

	*state = w;
	cs_plan_all(w, ANSWER(5, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(100));
	/* Start to start, at once and then every interval, each answer 5 ms
	 * later with the duration the scheduler measured. */
	assert_int_equal(w->starts, 4);
	assert_int_equal(w->results, 4);
	for (unsigned k = 0; k < 4; k++) {
		assert_true(w->start[k].at == AT(30 * k));
		cs_expect_answer(w, k, k, CHECK_OK, AT(30 * k + 5));
		assert_int_equal(w->result[k].r.duration_ms, 5);
	}
	assert_int_equal(check_get_stats(w->chk)->timeouts, 0);
	assert_int_equal(check_get_stats(w->chk)->skipped, 0);
	assert_int_equal(check_get_stats(w->chk)->latency_buckets[2], 4); /* 2.5..5 ms */
}

static void test_timeout_cancels_and_fails(void **state)
{
	struct cs *w = cs_new(10000, 50, 1);
	const struct check_stats *st;

	*state = w;
	cs_plan_all(w, HANG);
	check_start(w->chk);
	cs_run_until(w, AT(49));
	assert_int_equal(w->results, 0);
	assert_true(check_probing(w->chk));
	cs_run_until(w, AT(50));
	cs_expect_timeout(w, 0, AT(50));
	assert_string_equal(w->result[0].r.detail, "timeout after 50 ms");
	assert_false(w->result[0].r.definite);
	assert_int_equal(w->result[0].r.duration_ms, 50);
	assert_int_equal(w->cancels, 1);
	assert_true(w->cancel[0].at == AT(50));
	assert_false(check_probing(w->chk));
	st = check_get_stats(w->chk);
	assert_int_equal(st->timeouts, 1);
	assert_int_equal(st->by_status[CHECK_FAILED], 1);
	/* Nothing more until the next interval, start to start. */
	cs_run_until(w, AT(9999));
	assert_int_equal(w->starts, 1);
	assert_int_equal(w->results, 1);
	cs_run_until(w, AT(10000));
	assert_int_equal(w->starts, 2);
	assert_true(w->start[1].at == AT(10000));
}

/* One slot: intervals that come while the probe runs are skipped and
 * counted, and the next probe follows its answer at once. */
static void test_skip_while_running(void **state)
{
	struct cs *w = cs_new(40, 1000, 1);
	const struct check_stats *st;

	*state = w;
	cs_plan_probe(w, 0, ANSWER(150, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(149));
	st = check_get_stats(w->chk);
	/* Intervals at 40, 80, 120 ms came while the probe ran. */
	assert_int_equal(st->probes, 1);
	assert_int_equal(st->skipped, 3);
	assert_int_equal(st->overlapped, 0);
	cs_run_until(w, AT(150));
	cs_expect_answer(w, 0, 0, CHECK_OK, AT(150));
	assert_int_equal(w->starts, 2);
	assert_true(w->start[1].at == AT(150));
	/* And the schedule goes on from there. */
	cs_run_until(w, AT(190));
	assert_int_equal(w->starts, 3);
	assert_true(w->start[2].at == AT(190));
}

/* A hung server with one probe at a time (fall 1, or max_inflight 0):
 * the next probe follows each timeout at once, not the next interval. */
static void test_missed_tick_caught_up(void **state)
{
	struct cs *w = cs_new(100, 250, 0);

	*state = w;
	assert_int_equal(check_slots(w->chk), 1);
	cs_plan_all(w, HANG);
	check_start(w->chk);
	cs_run_until(w, AT(599));
	cs_expect_timeout(w, 0, AT(250));
	cs_expect_timeout(w, 1, AT(500));
	assert_true(w->start[1].at == AT(250));
	assert_true(w->start[2].at == AT(500));
	assert_int_equal(w->max_open, 1);
	assert_int_equal(check_get_stats(w->chk)->skipped, 4); /* 100, 200, 350, 450 */
}

static void test_sync_report_then_stop_in_callback(void **state)
{
	struct cs *w = cs_new(10, 1000, 1);

	*state = w;
	w->stop_after = 1;
	check_start(w->chk);
	cs_run_for(w, MS(100));
	assert_int_equal(w->results, 1);
	assert_int_equal(w->starts, 1);
	assert_int_equal(w->cancels, 0);
	assert_false(check_probing(w->chk));
	assert_false(w->armed);
}

/* start() reports at once and the callback asks for another probe from
 * inside that report: the scheduler must not re-enter start(), and the
 * probes still come at once (the same fake instant). */
static void test_probe_now_from_callback_inside_start(void **state)
{
	struct cs *w = cs_new(10000, 1000, 1);

	*state = w;
	w->probe_now_until = 3;
	w->stop_after = 3;
	check_start(w->chk);
	cs_run_for(w, MS(200));
	assert_int_equal(w->results, 3);
	assert_int_equal(w->starts, 3);
	for (unsigned k = 0; k < 3; k++)
		cs_expect_answer(w, k, k, CHECK_OK, CS_T0);
}

static void report_unsolicited(struct cs *w)
{
	struct check_result r;

	check_result_set(&r, CHECK_FAILED, "connection lost");
	r.duration_ms = 7;
	check_report(w->chk, CHECK_NO_SLOT, &r);
}

static void test_unsolicited_passed_on(void **state)
{
	struct cs *w = cs_new(10000, 1000, 1);
	const struct check_stats *st;

	*state = w;
	cs_plan_all(w, ANSWER(5, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(50));
	report_unsolicited(w);
	assert_int_equal(w->results, 2);
	assert_int_equal(w->result[1].r.status, CHECK_FAILED);
	assert_string_equal(w->result[1].r.detail, "connection lost");
	assert_int_equal(w->result[1].r.duration_ms, 7); /* the checker's own */
	st = check_get_stats(w->chk);
	assert_int_equal(st->unsolicited, 1);
	assert_int_equal(st->probes, 1);
	assert_int_equal(st->by_status[CHECK_FAILED], 1);
	assert_int_equal(st->by_status[CHECK_OK], 1);
	assert_string_equal(check_last(w->chk)->detail, "connection lost");
}

/* A checker saw its connection go and asks for a confirming probe: it
 * starts at once (deferred to the clock), not after the interval. */
static void test_probe_now_by_checker(void **state)
{
	struct cs *w = cs_new(10000, 1000, 1);

	*state = w;
	cs_plan_all(w, ANSWER(5, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(50));
	report_unsolicited(w);
	check_probe_now(w->chk);
	assert_int_equal(w->starts, 1); /* not inside the call */
	cs_run_for(w, 0);
	assert_int_equal(w->starts, 2);
	assert_true(w->start[1].at == AT(50));
	cs_run_until(w, AT(100));
	cs_expect_answer(w, 2, 1, CHECK_OK, AT(55));
	assert_int_equal(check_get_stats(w->chk)->probes, 2);
	/* The next periodic probe an interval after the confirming one. */
	cs_run_until(w, AT(10049));
	assert_int_equal(w->starts, 2);
	cs_run_until(w, AT(10050));
	assert_int_equal(w->starts, 3);
}

static void test_probe_now_ignored_while_running(void **state)
{
	struct cs *w = cs_new(10000, 1000, 1);

	*state = w;
	cs_plan_all(w, ANSWER(100, CHECK_OK));
	check_start(w->chk);
	cs_run_until(w, AT(20));
	assert_true(check_probing(w->chk));
	check_probe_now(w->chk);
	cs_run_until(w, AT(300));
	assert_int_equal(w->starts, 1);
	assert_int_equal(w->results, 1);
}

static void test_stop_cancels_running_probe(void **state)
{
	struct cs *w = cs_new(10000, 1000, 1);
	struct check_result r;

	*state = w;
	cs_plan_all(w, HANG);
	check_start(w->chk);
	cs_run_until(w, AT(20));
	check_stop(w->chk);
	cs_run_until(w, AT(2000));
	assert_int_equal(w->starts, 1);
	assert_int_equal(w->cancels, 1);
	assert_int_equal(w->results, 0);
	assert_false(check_probing(w->chk));
	assert_false(w->armed);
	/* Reports while stopped go nowhere. */
	check_result_set(&r, CHECK_OK, "late");
	check_report(w->chk, 0, &r);
	assert_int_equal(w->results, 0);
	assert_int_equal(check_get_stats(w->chk)->ignored, 1);
	assert_string_equal(check_last(w->chk)->detail, "no result yet");
	/* check_probe_now while stopped starts nothing. */
	check_probe_now(w->chk);
	cs_run_for(w, MS(50));
	assert_int_equal(w->starts, 1);
	/* Restart: a new probe; free while it runs cancels then destroys. */
	check_start(w->chk);
	cs_run_for(w, 0);
	assert_int_equal(w->starts, 2);
	assert_true(check_probing(w->chk));
	check_free(w->chk);
	w->chk = NULL;
	assert_int_equal(w->cancels, 2);
	assert_int_equal(w->destroys, 1);
}

/* A buggy checker reports after its probe was cancelled: the result is
 * not mistaken for a probe's, it counts as unsolicited. */
static void test_late_report_after_timeout(void **state)
{
	struct cs *w = cs_new(10000, 30, 1);

	*state = w;
	cs_plan_all(w, ANSWER(100, CHECK_OK));
	w->report_after_cancel = true;
	check_start(w->chk);
	cs_run_until(w, AT(200));
	cs_expect_timeout(w, 0, AT(30));
	assert_string_equal(w->result[0].r.detail, "timeout after 30 ms");
	cs_expect_answer(w, 1, 0, CHECK_OK, AT(100));
	assert_int_equal(check_get_stats(w->chk)->timeouts, 1);
	assert_int_equal(check_get_stats(w->chk)->unsolicited, 1);
}

/* The schedule keeps its phase but does not burst after a stalled loop:
 * a clock that jumps past several intervals gives one probe, then the
 * interval from there. */
static void test_no_burst_after_stall(void **state)
{
	struct cs *w = cs_new(100, 50, 1);

	*state = w;
	check_start(w->chk);
	cs_run_for(w, 0);
	w->now = AT(1000); /* the loop was frozen: the timer fires late */
	cs_run_for(w, 0);
	assert_int_equal(w->starts, 2);
	assert_true(w->start[1].at == AT(1000));
	cs_run_until(w, AT(1099));
	assert_int_equal(w->starts, 2);
	cs_run_until(w, AT(1100));
	assert_int_equal(w->starts, 3);
}

/* An owner callback for checks that never report. */
static void no_report(void *ctx, struct check *chk, const struct check_result *r)
{
	(void)ctx;
	(void)chk;
	(void)r;
	fail_msg("no result expected");
}

static void test_new_errors(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct check_params p = { .name = "fake1", .interval_ms = 100, .timeout_ms = 100 };
	struct check_clock half = { .now_us = NULL };
	char err[128];
	struct check *chk = (struct check *)&p;

	(void)state;
	assert_non_null(loop);
	assert_int_equal(check_new(&chk, loop, &cs_fake_type, &p, NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_null(chk);
	assert_string_equal(err, "internal error: incomplete check setup");
	p.interval_ms = 0;
	assert_int_equal(check_new(&chk, loop, &cs_fake_type, &p, no_report, NULL, err,
				   sizeof(err)), -EINVAL);
	assert_string_equal(err, "interval and timeout must be greater than 0");
	p.interval_ms = 100;
	p.timeout_ms = 0;
	assert_int_equal(check_new(&chk, loop, &cs_fake_type, &p, no_report, NULL, err,
				   sizeof(err)), -EINVAL);
	p.timeout_ms = 100;
	assert_int_equal(check_new_clock(&chk, loop, &half, &cs_fake_type, &p, no_report, NULL,
					 err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "internal error: incomplete check setup");
	assert_int_equal(check_new(NULL, loop, &cs_fake_type, &p, no_report, NULL, err,
				   sizeof(err)), -EINVAL);
	assert_null(chk);
	check_free(NULL);
	ev_loop_destroy(loop);
}

/* A checker's refusal and message come through. */
static int refusing_create(struct check *chk, const struct check_params *p, void **state,
			   char *err, size_t errlen)
{
	(void)chk;
	(void)p;
	(void)state;
	snprintf(err, errlen, "fake refuses");
	return -ENOENT;
}

static void test_create_refused(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct check_type t = cs_fake_type;
	struct check_params p = { .name = "fake1", .interval_ms = 100, .timeout_ms = 100 };
	struct check *chk = NULL;
	char err[128];

	(void)state;
	assert_non_null(loop);
	t.create = refusing_create;
	assert_int_equal(check_new(&chk, loop, &t, &p, no_report, NULL, err, sizeof(err)),
			 -ENOENT);
	assert_null(chk);
	assert_string_equal(err, "fake refuses");
	ev_loop_destroy(loop);
}

static void test_result_helpers(void **state)
{
	struct check_result r;
	char long_text[500];

	(void)state;
	assert_string_equal(check_status_name(CHECK_OK), "ok");
	assert_string_equal(check_status_name(CHECK_DEGRADED), "degraded");
	assert_string_equal(check_status_name(CHECK_FAILED), "failed");
	assert_string_equal(check_status_name(CHECK_STATUS__COUNT), "unknown");

	memset(&r, 0xab, sizeof(r));
	check_result_set(&r, CHECK_DEGRADED, "slow: %d ms", 70);
	assert_int_equal(r.status, CHECK_DEGRADED);
	assert_string_equal(r.detail, "slow: 70 ms");
	assert_int_equal(r.value, -1);
	assert_false(r.definite);
	assert_false(r.config_problem);
	assert_int_equal(r.duration_ms, 0);

	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	check_result_set(&r, CHECK_FAILED, "%s", long_text);
	assert_int_equal(strlen(r.detail), CHECK_DETAIL_MAX - 1);
}

static void test_registry(void **state)
{
	(void)state;
	assert_non_null(check_type_find("tcp"));
	assert_string_equal(check_type_find("tcp")->name, "tcp");
	assert_non_null(check_type_find("script"));
	assert_string_equal(check_type_find("script")->name, "script");
	assert_null(check_type_find("nope"));
	assert_null(check_type_find("TCP"));
	assert_null(check_type_find(NULL));
}

/* ---- the libev clock, on a real loop ---- */

/*
 * The default clock runs the same scheduler: the first probe comes from
 * the loop (not inside check_start()), a probe that never answers is
 * cancelled by the loop's timer, and the next one follows. Only order and
 * lower bounds (a timer never fires early), not speed.
 */
static void test_libev_clock(void **state)
{
	struct cs *w = cs_new_libev(20, 50, 1);

	*state = w;
	cs_plan_probe(w, 0, AT_ONCE(CHECK_OK));
	cs_plan_all(w, HANG);
	check_start(w->chk);
	assert_int_equal(w->starts, 0);
	for (int i = 0; i < 300 && w->results < 3; i++)
		tu_run_for(w->loop, GUARD_S / 300);
	assert_true(w->results >= 3);
	assert_string_equal(w->result[0].r.detail, "probe 0: ok");
	assert_string_equal(w->result[1].r.detail, "timeout after 50 ms");
	assert_true(w->result[1].r.duration_ms >= 50);
	assert_string_equal(w->result[2].r.detail, "timeout after 50 ms");
	assert_true(w->cancels >= 2);
	assert_true(check_get_stats(w->chk)->skipped >= 1);
	check_stop(w->chk);
	assert_false(check_probing(w->chk));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_first_probe_at_once, teardown),
		cmocka_unit_test_teardown(test_interval_repeats, teardown),
		cmocka_unit_test_teardown(test_timeout_cancels_and_fails, teardown),
		cmocka_unit_test_teardown(test_skip_while_running, teardown),
		cmocka_unit_test_teardown(test_missed_tick_caught_up, teardown),
		cmocka_unit_test_teardown(test_sync_report_then_stop_in_callback, teardown),
		cmocka_unit_test_teardown(test_probe_now_from_callback_inside_start, teardown),
		cmocka_unit_test_teardown(test_unsolicited_passed_on, teardown),
		cmocka_unit_test_teardown(test_probe_now_by_checker, teardown),
		cmocka_unit_test_teardown(test_probe_now_ignored_while_running, teardown),
		cmocka_unit_test_teardown(test_stop_cancels_running_probe, teardown),
		cmocka_unit_test_teardown(test_late_report_after_timeout, teardown),
		cmocka_unit_test_teardown(test_no_burst_after_stall, teardown),
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_create_refused),
		cmocka_unit_test(test_result_helpers),
		cmocka_unit_test(test_registry),
		cmocka_unit_test_teardown(test_libev_clock, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
