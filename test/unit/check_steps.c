/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check_steps.c: a fake clock and a scripted fake checker for the tests of checks/check.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_steps.h"

/* A run of the fake clock that never gets past this many firings is a
 * scheduler spinning on one instant. */
#define CS_GUARD 100000

static uint64_t rec_now(const struct cs *w)
{
	return w->libev ? 0 : w->now;
}

/* ---- the fake clock ---- */

static uint64_t fake_now(void *ctx)
{
	const struct cs *w = ctx;

	return w->now;
}

static void fake_arm(void *ctx, uint64_t at_us)
{
	struct cs *w = ctx;

	w->armed = true;
	w->armed_at = at_us;
}

static void fake_disarm(void *ctx)
{
	struct cs *w = ctx;

	w->armed = false;
}

/* ---- the fake checker ---- */

unsigned cs_open(const struct cs *w)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CS_MAX_SLOTS; i++)
		n += w->slot[i].open;
	return n;
}

void cs_answer(struct cs *w, unsigned slot, enum check_status status)
{
	struct check_result r;

	assert_true(slot < CS_MAX_SLOTS);
	w->slot[slot].open = false;
	w->slot[slot].due = false;
	check_result_set(&r, status, "probe %u: %s", w->slot[slot].probe, check_status_name(status));
	r.value = (int64_t)w->slot[slot].probe;
	check_report(w->chk, slot, &r);
}

static struct cs_plan plan_of(const struct cs *w, unsigned k)
{
	return k < w->n_plan ? w->plan[k] : w->dflt;
}

static int fake_create(struct check *chk, const struct check_params *p, void **state,
		       char *err, size_t errlen)
{
	/* The world rides on the loop: no global needed to find it. */
	struct cs *w = ev_userdata(check_loop(chk));

	(void)p;
	(void)err;
	(void)errlen;
	w->creates++;
	assert_string_equal(check_name(chk), "fake1");
	assert_true(check_slots(chk) <= CS_MAX_SLOTS);
	w->chk = chk;
	*state = w;
	return 0;
}

static void fake_start(void *state, unsigned slot)
{
	struct cs *w = state;
	unsigned k = w->starts;
	struct cs_plan p = plan_of(w, k);

	/* Never re-entered, never a slot that still runs, never beyond the
	 * slots the check announced. */
	assert_false(w->in_start);
	assert_true(slot < check_slots(w->chk));
	assert_false(w->slot[slot].open);
	w->in_start = true;
	w->slot[slot].open = true;
	w->slot[slot].probe = k;
	w->slot[slot].due = p.kind == CS_ANSWER;
	w->slot[slot].due_at = w->now + p.after_us;
	w->slot[slot].status = p.status;
	assert_true(w->starts < CS_MAX_REC);
	w->start[w->starts++] = (struct cs_start){ .at = rec_now(w), .slot = slot, .open = cs_open(w) };
	if (cs_open(w) > w->max_open)
		w->max_open = cs_open(w);
	if (p.kind == CS_AT_ONCE)
		cs_answer(w, slot, p.status);
	w->in_start = false;
}

static void fake_cancel(void *state, unsigned slot)
{
	struct cs *w = state;

	assert_true(slot < CS_MAX_SLOTS);
	assert_true(w->slot[slot].open);
	assert_true(w->cancels < CS_MAX_REC);
	w->cancel[w->cancels++] = (struct cs_cancel){ .at = rec_now(w), .slot = slot,
						      .probe = w->slot[slot].probe };
	w->slot[slot].open = false;
	/* A buggy checker keeps its answer coming. */
	if (!w->report_after_cancel)
		w->slot[slot].due = false;
}

static void fake_destroy(void *state)
{
	struct cs *w = state;

	w->destroys++;
}

const struct check_type cs_fake_type = {
	.name = "fake",
	.create = fake_create,
	.start = fake_start,
	.cancel = fake_cancel,
	.destroy = fake_destroy,
};

/* ---- the owner ---- */

static void on_result(void *ctx, struct check *chk, const struct check_result *r)
{
	struct cs *w = ctx;

	assert_ptr_equal(chk, w->chk);
	assert_true(w->results < CS_MAX_REC);
	/* Never more in flight than the check has slots. */
	assert_true(check_inflight(chk) <= check_slots(chk));
	w->result[w->results++] = (struct cs_result){ .at = rec_now(w), .r = *r };
	if (w->stop_after && w->results == w->stop_after)
		check_stop(chk);
	if (w->results < w->probe_now_until)
		check_probe_now(chk);
}

/* ---- the world ---- */

static struct cs *world_new(uint32_t interval_ms, uint32_t timeout_ms, uint32_t max_inflight,
			    bool libev)
{
	struct cs *w = calloc(1, sizeof(*w));
	struct check_params p = { .name = "fake1", .interval_ms = interval_ms,
				  .timeout_ms = timeout_ms, .max_inflight = max_inflight };
	struct check_clock clock = { .now_us = fake_now, .arm = fake_arm,
				     .disarm = fake_disarm };
	char err[128] = "";

	assert_non_null(w);
	w->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(w->loop);
	ev_set_userdata(w->loop, w);
	w->libev = libev;
	w->now = CS_T0;
	w->dflt = AT_ONCE(CHECK_OK);
	clock.ctx = w;
	if (check_new_clock(&w->chk, w->loop, libev ? NULL : &clock, &cs_fake_type, &p, on_result,
			    w, err, sizeof(err)) != 0)
		fail_msg("check_new_clock: %s", err);
	return w;
}

struct cs *cs_new(uint32_t interval_ms, uint32_t timeout_ms, uint32_t max_inflight)
{
	return world_new(interval_ms, timeout_ms, max_inflight, false);
}

struct cs *cs_new_libev(uint32_t interval_ms, uint32_t timeout_ms, uint32_t max_inflight)
{
	return world_new(interval_ms, timeout_ms, max_inflight, true);
}

void cs_free(struct cs *w)
{
	if (!w)
		return;
	check_free(w->chk);
	ev_loop_destroy(w->loop);
	free(w);
}

void cs_plan_all(struct cs *w, struct cs_plan p)
{
	w->dflt = p;
}

void cs_plan_probe(struct cs *w, unsigned k, struct cs_plan p)
{
	assert_true(k < CS_MAX_PLAN);
	w->plan[k] = p;
	for (unsigned i = w->n_plan; i < k; i++)
		w->plan[i] = w->dflt;
	if (k >= w->n_plan)
		w->n_plan = k + 1;
}

/* The slot with the earliest answer due, or -1. */
static int next_answer(const struct cs *w)
{
	int best = -1;

	for (unsigned i = 0; i < CS_MAX_SLOTS; i++)
		if (w->slot[i].due && (best < 0 || w->slot[i].due_at < w->slot[best].due_at))
			best = (int)i;
	return best;
}

void cs_run_until(struct cs *w, uint64_t t)
{
	assert_false(w->libev);
	for (unsigned guard = 0;; guard++) {
		int s = next_answer(w);
		uint64_t next = s >= 0 ? w->slot[s].due_at : UINT64_MAX;
		uint64_t fire_at = w->armed_at + (w->n_late ? w->late[w->firings % w->n_late] : 0);
		bool timer = w->armed && fire_at < next;

		if (guard >= CS_GUARD)
			fail_msg("the scheduler keeps its timer at %llu us",
				 (unsigned long long)w->armed_at);
		if (timer)
			next = fire_at;
		if (next > t)
			break;
		if (next > w->now)
			w->now = next;
		if (timer) {
			w->armed = false;
			w->firings++;
			check_clock_fired(w->chk);
		} else {
			/* Also a cancelled probe's (report_after_cancel). */
			cs_answer(w, (unsigned)s, w->slot[s].status);
		}
	}
	if (t > w->now)
		w->now = t;
}

void cs_run_for(struct cs *w, uint64_t d)
{
	cs_run_until(w, w->now + d);
}

void cs_expect_answer(const struct cs *w, unsigned i, unsigned k, enum check_status st,
		      uint64_t at)
{
	char want[64];

	if (i >= w->results)
		fail_msg("result %u expected, only %u came", i, w->results);
	snprintf(want, sizeof(want), "probe %u: %s", k, check_status_name(st));
	assert_string_equal(w->result[i].r.detail, want);
	assert_int_equal(w->result[i].r.status, st);
	if (w->result[i].at != at)
		fail_msg("result %u (%s) at +%lld ms, want +%lld ms", i, want,
			 (long long)(w->result[i].at - CS_T0) / 1000,
			 (long long)(at - CS_T0) / 1000);
}

void cs_expect_timeout(const struct cs *w, unsigned i, uint64_t at)
{
	if (i >= w->results)
		fail_msg("result %u expected, only %u came", i, w->results);
	assert_int_equal(w->result[i].r.status, CHECK_FAILED);
	assert_non_null(strstr(w->result[i].r.detail, "timeout after"));
	if (w->result[i].at != at)
		fail_msg("timeout %u at +%lld ms, want +%lld ms", i,
			 (long long)(w->result[i].at - CS_T0) / 1000,
			 (long long)(at - CS_T0) / 1000);
}

uint64_t cs_nth_failure_at(const struct cs *w, unsigned n)
{
	unsigned seen = 0;

	for (unsigned i = 0; i < w->results; i++)
		if (w->result[i].r.status == CHECK_FAILED && ++seen == n)
			return w->result[i].at;
	return 0;
}
