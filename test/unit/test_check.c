// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for the check scheduler, with a fake checker on a real libev loop.
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
#include <time.h>

#include "check.h"
#include "test_util.h"

/* Every loop in these tests stops after this long, whatever happens. */
#define GUARD_S 3.0
#define MAX_RESULTS 32

enum fake_mode {
	FAKE_NOW,   /* report from inside start() */
	FAKE_LATER, /* report after later_s */
	FAKE_NEVER, /* never report: only the scheduler's timeout ends it */
};

/* One test's world: the fake checker's knobs and counters, and what the
 * owner's callback saw. The fake's state is the fixture itself. */
struct fx {
	struct ev_loop *loop;
	struct check *chk;
	/* fake checker */
	enum fake_mode mode;
	double later_s;
	enum check_status status;
	int create_rc;
	ev_timer later_w;
	bool probe_open;  /* started, not yet reported or cancelled */
	bool in_start;
	bool report_late; /* report even after a cancel (a buggy checker) */
	int creates, starts, cancels, destroys;
	/* owner */
	int results;
	struct check_result res[MAX_RESULTS];
	double res_at[MAX_RESULTS];
	double start_at[MAX_RESULTS]; /* when fake_start ran, since t0 */
	int stop_after;     /* callback calls check_stop at this many results */
	int probe_now_until;/* callback calls check_probe_now below this many */
	int break_after;    /* ev_break once this many results */
	double t0;
	/* a test-driven event */
	ev_timer poke_w;
	void (*poke)(struct fx *f);
};

static struct fx *current;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the fake checker ---- */

static void fake_report(struct fx *f)
{
	struct check_result r;

	f->probe_open = false;
	check_result_set(&r, f->status, "fake %s", check_status_name(f->status));
	r.value = 42;
	check_report(f->chk, &r);
}

static void later_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fx *f = w->data;

	(void)loop;
	(void)revents;
	fake_report(f);
}

static int fake_create(struct check *chk, const struct check_params *p, void **state,
		       char *err, size_t errlen)
{
	struct fx *f = current;

	(void)p;
	f->creates++;
	if (f->create_rc < 0) {
		snprintf(err, errlen, "fake refuses");
		return f->create_rc;
	}
	/* The scheduler must be usable from create already. */
	assert_ptr_equal(check_loop(chk), f->loop);
	assert_string_equal(check_name(chk), "fake1");
	f->chk = chk;
	*state = f;
	return 0;
}

static void fake_start(void *state)
{
	struct fx *f = state;

	/* Never re-entered, never two probes at once. */
	assert_false(f->in_start);
	assert_false(f->probe_open);
	f->in_start = true;
	if (f->starts < MAX_RESULTS)
		f->start_at[f->starts] = now_s() - f->t0;
	f->starts++;
	f->probe_open = true;
	switch (f->mode) {
	case FAKE_NOW:
		fake_report(f);
		break;
	case FAKE_LATER:
		ev_timer_set(&f->later_w, f->later_s, 0.0);
		ev_timer_start(f->loop, &f->later_w);
		break;
	case FAKE_NEVER:
		break;
	}
	f->in_start = false;
}

static void fake_cancel(void *state)
{
	struct fx *f = state;

	assert_true(f->probe_open);
	f->probe_open = false;
	f->cancels++;
	if (!f->report_late)
		ev_timer_stop(f->loop, &f->later_w);
}

static void fake_destroy(void *state)
{
	struct fx *f = state;

	f->destroys++;
	ev_timer_stop(f->loop, &f->later_w);
}

static const struct check_type fake_type = {
	.name = "fake",
	.create = fake_create,
	.start = fake_start,
	.cancel = fake_cancel,
	.destroy = fake_destroy,
};

/* ---- the owner ---- */

static void on_result(void *ctx, struct check *chk, const struct check_result *r)
{
	struct fx *f = ctx;

	assert_ptr_equal(chk, f->chk);
	assert_true(f->results < MAX_RESULTS);
	f->res[f->results] = *r;
	f->res_at[f->results] = now_s() - f->t0;
	f->results++;
	if (f->stop_after && f->results == f->stop_after)
		check_stop(chk);
	if (f->results < f->probe_now_until)
		check_probe_now(chk);
	if (f->break_after && f->results >= f->break_after)
		ev_break(f->loop, EVBREAK_ONE);
}

/* Run until n results, or max_s; returns whether n results came. */
static bool run_until_results(struct fx *f, int n, double max_s)
{
	bool ok;

	f->break_after = n;
	ok = tu_run_until_count(f->loop, &f->results, n, max_s);
	f->break_after = 0;
	return ok;
}

static void poke_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fx *f = w->data;

	(void)loop;
	(void)revents;
	f->poke(f);
}

/* Call fn(f) from the loop after s seconds. */
static void poke_at(struct fx *f, double s, void (*fn)(struct fx *f))
{
	f->poke = fn;
	ev_timer_set(&f->poke_w, s, 0.0);
	ev_timer_start(f->loop, &f->poke_w);
}

static int make_check(struct fx *f, uint32_t interval_ms, uint32_t timeout_ms)
{
	struct check_params p = { .name = "fake1", .interval_ms = interval_ms,
				  .timeout_ms = timeout_ms };
	char err[128];

	return check_new(&f->chk, f->loop, &fake_type, &p, on_result, f, err, sizeof(err));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->loop = ev_loop_new(EVFLAG_AUTO);
	if (!f->loop)
		return -1;
	f->status = CHECK_OK;
	ev_timer_init(&f->later_w, later_cb, 0.0, 0.0);
	f->later_w.data = f;
	ev_timer_init(&f->poke_w, poke_cb, 0.0, 0.0);
	f->poke_w.data = f;
	f->t0 = now_s();
	current = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	check_free(f->chk);
	ev_timer_stop(f->loop, &f->poke_w);
	ev_loop_destroy(f->loop);
	current = NULL;
	free(f);
	return 0;
}

/* ---- tests ---- */

static void test_first_probe_at_once(void **state)
{
	struct fx *f = *state;
	const struct check_stats *st;

	f->mode = FAKE_NOW;
	assert_int_equal(make_check(f, 10000, 1000), 0);
	assert_int_equal(f->creates, 1);
	assert_int_equal(check_last(f->chk)->status, CHECK_FAILED);
	assert_string_equal(check_last(f->chk)->detail, "no result yet");
	assert_int_equal(check_last(f->chk)->value, -1);
	assert_ptr_equal(check_get_type(f->chk), &fake_type);

	f->t0 = now_s();
	check_start(f->chk);
	/* Deferred to the loop: never a callback inside check_start(). */
	assert_int_equal(f->starts, 0);
	assert_int_equal(f->results, 0);
	assert_true(run_until_results(f, 1, GUARD_S));
	assert_true(f->res_at[0] < 0.5);
	assert_int_equal(f->res[0].status, CHECK_OK);
	assert_string_equal(f->res[0].detail, "fake ok");
	assert_int_equal(f->res[0].value, 42);
	assert_true(f->res[0].duration_ms < 100);
	assert_false(check_probing(f->chk));

	st = check_get_stats(f->chk);
	assert_int_equal(st->probes, 1);
	assert_int_equal(st->by_status[CHECK_OK], 1);
	assert_int_equal(st->timeouts, 0);
	assert_int_equal(st->unsolicited, 0);
	assert_string_equal(check_last(f->chk)->detail, "fake ok");
	/* Starting twice changes nothing. */
	check_start(f->chk);
	tu_run_for(f->loop, 0.05);
	assert_int_equal(f->starts, 1);
}

static void test_interval_repeats(void **state)
{
	struct fx *f = *state;

	f->mode = FAKE_LATER;
	f->later_s = 0.005;
	assert_int_equal(make_check(f, 30, 1000), 0);
	f->t0 = now_s();
	check_start(f->chk);
	assert_true(run_until_results(f, 4, GUARD_S));
	for (int k = 0; k < 4; k++) {
		assert_int_equal(f->res[k].status, CHECK_OK);
		/* The scheduler measured the fake's 5 ms. */
		assert_in_range(f->res[k].duration_ms, 4, 100);
	}
	/* Probe k begins no earlier than k intervals after check_start()
	 * (start to start; libev may run a late timer late, never early). */
	for (int k = 1; k < 4; k++) {
		if (f->start_at[k] < k * 0.030 - 0.002)
			fail_msg("probe %d began %.3f s after start, want >= %.3f", k,
				 f->start_at[k], k * 0.030);
	}
	assert_int_equal(check_get_stats(f->chk)->timeouts, 0);
	assert_int_equal(check_get_stats(f->chk)->unsolicited, 0);
}

static void test_timeout_cancels_and_fails(void **state)
{
	struct fx *f = *state;
	const struct check_stats *st;

	f->mode = FAKE_NEVER;
	assert_int_equal(make_check(f, 10000, 50), 0);
	check_start(f->chk);
	assert_true(run_until_results(f, 1, GUARD_S));
	assert_int_equal(f->res[0].status, CHECK_FAILED);
	assert_false(f->res[0].definite);
	assert_string_equal(f->res[0].detail, "timeout after 50 ms");
	assert_in_range(f->res[0].duration_ms, 50, 1000);
	assert_int_equal(f->cancels, 1);
	assert_false(check_probing(f->chk));
	st = check_get_stats(f->chk);
	assert_int_equal(st->timeouts, 1);
	assert_int_equal(st->by_status[CHECK_FAILED], 1);
	/* Nothing more until the next interval. */
	tu_run_for(f->loop, 0.1);
	assert_int_equal(f->starts, 1);
	assert_int_equal(f->results, 1);
}

static void test_skip_while_running(void **state)
{
	struct fx *f = *state;
	const struct check_stats *st;

	f->mode = FAKE_LATER;
	f->later_s = 0.15;
	assert_int_equal(make_check(f, 40, 1000), 0);
	check_start(f->chk);
	assert_true(run_until_results(f, 1, GUARD_S));
	st = check_get_stats(f->chk);
	/* Intervals at 40, 80, 120 ms came while the probe ran. */
	assert_int_equal(st->probes, 1);
	assert_in_range(st->skipped, 2, 4);
	assert_int_equal(f->starts, 1);
}

/* A hung server: each probe outlives the interval and times out. The next
 * probe must follow the timeout at once, not wait for the next tick, so
 * `fall` hung probes cost fall x max(interval, timeout). */
static void test_missed_tick_caught_up(void **state)
{
	struct fx *f = *state;

	f->mode = FAKE_NEVER;
	assert_int_equal(make_check(f, 100, 250), 0);
	check_start(f->chk);
	assert_true(run_until_results(f, 2, GUARD_S));
	assert_true(f->starts >= 2);
	/* The second probe starts right after the first timeout (at ~250 ms),
	 * not at the tick after it (300 ms). */
	double gap = f->start_at[1] - f->res_at[0];
	assert_true(gap >= 0.0);
	assert_true(gap < 0.04);
	assert_true(check_get_stats(f->chk)->skipped >= 1);
}

static void test_sync_report_then_stop_in_callback(void **state)
{
	struct fx *f = *state;

	f->mode = FAKE_NOW;
	f->stop_after = 1;
	assert_int_equal(make_check(f, 10, 1000), 0);
	check_start(f->chk);
	tu_run_for(f->loop, 0.1);
	assert_int_equal(f->results, 1);
	assert_int_equal(f->starts, 1);
	assert_int_equal(f->cancels, 0);
	assert_false(check_probing(f->chk));
}

static void test_probe_now_from_callback_inside_start(void **state)
{
	struct fx *f = *state;

	/* start() reports at once; the callback asks for another probe from
	 * inside that report: the scheduler must not re-enter start(). */
	f->mode = FAKE_NOW;
	f->probe_now_until = 3;
	f->stop_after = 3;
	assert_int_equal(make_check(f, 10000, 1000), 0);
	f->t0 = now_s();
	check_start(f->chk);
	tu_run_for(f->loop, 0.2);
	assert_int_equal(f->results, 3);
	assert_int_equal(f->starts, 3);
	assert_true(f->res_at[2] < 0.1);
}

static void poke_unsolicited(struct fx *f)
{
	struct check_result r;

	check_result_set(&r, CHECK_FAILED, "connection lost");
	r.duration_ms = 7;
	check_report(f->chk, &r);
}

static void test_unsolicited_passed_on(void **state)
{
	struct fx *f = *state;
	const struct check_stats *st;

	f->mode = FAKE_LATER;
	f->later_s = 0.005;
	assert_int_equal(make_check(f, 10000, 1000), 0);
	check_start(f->chk);
	poke_at(f, 0.05, poke_unsolicited);
	assert_true(run_until_results(f, 2, GUARD_S));
	assert_int_equal(f->res[1].status, CHECK_FAILED);
	assert_string_equal(f->res[1].detail, "connection lost");
	assert_int_equal(f->res[1].duration_ms, 7); /* the checker's own */
	st = check_get_stats(f->chk);
	assert_int_equal(st->unsolicited, 1);
	assert_int_equal(st->probes, 1);
	assert_int_equal(st->by_status[CHECK_FAILED], 1);
	assert_int_equal(st->by_status[CHECK_OK], 1);
	assert_string_equal(check_last(f->chk)->detail, "connection lost");
}

static void poke_lost_and_confirm(struct fx *f)
{
	poke_unsolicited(f);
	f->t0 = now_s();
	check_probe_now(f->chk);
	/* Deferred: not started inside the call. */
	assert_int_equal(f->starts, 1);
}

static void test_probe_now_by_checker(void **state)
{
	struct fx *f = *state;

	f->mode = FAKE_LATER;
	f->later_s = 0.005;
	assert_int_equal(make_check(f, 10000, 1000), 0);
	check_start(f->chk);
	poke_at(f, 0.05, poke_lost_and_confirm);
	assert_true(run_until_results(f, 3, GUARD_S));
	assert_int_equal(f->starts, 2);
	assert_int_equal(f->res[2].status, CHECK_OK);
	/* The confirming probe came at once, not after the 10 s interval. */
	assert_true(f->res_at[2] < 0.1);
	assert_int_equal(check_get_stats(f->chk)->probes, 2);
}

static void poke_probe_now(struct fx *f)
{
	assert_true(check_probing(f->chk));
	check_probe_now(f->chk);
}

static void test_probe_now_ignored_while_running(void **state)
{
	struct fx *f = *state;

	f->mode = FAKE_LATER;
	f->later_s = 0.1;
	assert_int_equal(make_check(f, 10000, 1000), 0);
	check_start(f->chk);
	poke_at(f, 0.02, poke_probe_now);
	assert_true(run_until_results(f, 1, GUARD_S));
	tu_run_for(f->loop, 0.1);
	assert_int_equal(f->starts, 1);
	assert_int_equal(f->results, 1);
}

static void poke_stop(struct fx *f)
{
	check_stop(f->chk);
}

static void test_stop_cancels_running_probe(void **state)
{
	struct fx *f = *state;
	struct check_result r;

	f->mode = FAKE_NEVER;
	assert_int_equal(make_check(f, 10000, 1000), 0);
	check_start(f->chk);
	poke_at(f, 0.02, poke_stop);
	tu_run_for(f->loop, 0.1);
	assert_int_equal(f->starts, 1);
	assert_int_equal(f->cancels, 1);
	assert_int_equal(f->results, 0);
	assert_false(check_probing(f->chk));
	/* Reports while stopped go nowhere. */
	check_result_set(&r, CHECK_OK, "late");
	check_report(f->chk, &r);
	assert_int_equal(f->results, 0);
	assert_int_equal(check_get_stats(f->chk)->ignored, 1);
	assert_string_equal(check_last(f->chk)->detail, "no result yet");
	/* check_probe_now while stopped starts nothing. */
	check_probe_now(f->chk);
	tu_run_for(f->loop, 0.05);
	assert_int_equal(f->starts, 1);
	/* Restart: a new probe; free while it runs cancels then destroys. */
	check_start(f->chk);
	tu_run_for(f->loop, 0.05);
	assert_int_equal(f->starts, 2);
	assert_true(check_probing(f->chk));
	check_free(f->chk);
	f->chk = NULL;
	assert_int_equal(f->cancels, 2);
	assert_int_equal(f->destroys, 1);
}

static void test_late_report_after_timeout(void **state)
{
	struct fx *f = *state;

	/* A buggy checker reports after its probe was cancelled: the result
	 * is not mistaken for a probe's, it counts as unsolicited. */
	f->mode = FAKE_LATER;
	f->later_s = 0.1;
	f->report_late = true;
	assert_int_equal(make_check(f, 10000, 30), 0);
	check_start(f->chk);
	assert_true(run_until_results(f, 2, GUARD_S));
	assert_string_equal(f->res[0].detail, "timeout after 30 ms");
	assert_string_equal(f->res[1].detail, "fake ok");
	assert_int_equal(check_get_stats(f->chk)->timeouts, 1);
	assert_int_equal(check_get_stats(f->chk)->unsolicited, 1);
}

static void test_new_errors(void **state)
{
	struct fx *f = *state;
	struct check_params p = { .name = "fake1", .interval_ms = 0, .timeout_ms = 100 };
	char err[128];
	struct check *chk = (struct check *)&p;

	assert_int_equal(check_new(&chk, f->loop, &fake_type, &p, on_result, f, err,
				   sizeof(err)), -EINVAL);
	assert_null(chk);
	assert_string_equal(err, "interval and timeout must be greater than 0");
	p.interval_ms = 100;
	p.timeout_ms = 0;
	assert_int_equal(check_new(&chk, f->loop, &fake_type, &p, on_result, f, err,
				   sizeof(err)), -EINVAL);
	p.timeout_ms = 100;
	assert_int_equal(check_new(&chk, f->loop, &fake_type, &p, NULL, f, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(f->creates, 0);
	/* The checker's refusal and message come through. */
	f->create_rc = -ENOENT;
	assert_int_equal(check_new(&chk, f->loop, &fake_type, &p, on_result, f, err,
				   sizeof(err)), -ENOENT);
	assert_null(chk);
	assert_string_equal(err, "fake refuses");
	assert_int_equal(f->creates, 1);
	assert_int_equal(f->destroys, 0);
	check_free(NULL);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_probe_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interval_repeats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_cancels_and_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_while_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missed_tick_caught_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_report_then_stop_in_callback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_probe_now_from_callback_inside_start, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited_passed_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_now_by_checker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_now_ignored_while_running, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_cancels_running_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_report_after_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_errors, setup, teardown),
		cmocka_unit_test(test_result_helpers),
		cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
