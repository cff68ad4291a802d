// SPDX-License-Identifier: GPL-2.0-or-later
// The check scheduler: runs one checker's probes on the libev loop, with
// an interval, a hard per-probe timeout, at most one probe in flight.
#include "check.h"

#include <errno.h>
#include <ev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct check {
	struct ev_loop *loop;
	const struct check_type *type;
	void *state;            /* the checker's */
	char *name;
	uint32_t interval_ms;
	uint32_t timeout_ms;
	check_report_fn report;
	void *ctx;
	/* Periodic probes; re-armed at 0 s by check_probe_now(). */
	ev_timer interval_w;
	/* Hard deadline of the running probe: never trust a checker's own. */
	ev_timer timeout_w;
	bool started;
	bool probing;           /* a probe is in flight */
	bool tick_missed;       /* an interval passed while it was */
	uint64_t probe_start_us;
	struct check_stats stats;
	struct check_result last;
};

const char *check_status_name(enum check_status s)
{
	switch (s) {
	case CHECK_OK:
		return "ok";
	case CHECK_DEGRADED:
		return "degraded";
	case CHECK_FAILED:
		return "failed";
	case CHECK_STATUS__COUNT:
		break;
	}
	return "unknown";
}

void check_result_set(struct check_result *r, enum check_status status, const char *fmt, ...)
{
	va_list ap;

	memset(r, 0, sizeof(*r));
	r->status = status;
	r->value = -1;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const uint32_t latency_bounds_us[CHECK_LATENCY_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
};

uint32_t check_latency_bound_us(size_t i)
{
	return i < CHECK_LATENCY_BUCKETS ? latency_bounds_us[i] : UINT32_MAX;
}

/* Count one probe's latency in its bucket. In microseconds: most pings
 * take well under the 1 ms that duration_ms can show. */
static void observe_latency(struct check *chk, uint64_t us)
{
	size_t i = 0;

	while (i < CHECK_LATENCY_BUCKETS && us > latency_bounds_us[i])
		i++;
	chk->stats.latency_buckets[i]++;
	chk->stats.latency_sum_us += us;
}

/* Hand one result to the owner, after the bookkeeping every result gets. */
static void deliver(struct check *chk, const struct check_result *r)
{
	struct check_result copy = *r;

	/* A checker's detail may come unterminated from a careless memcpy;
	 * the owner logs it as a string. */
	copy.detail[sizeof(copy.detail) - 1] = '\0';
	if ((unsigned)copy.status >= CHECK_STATUS__COUNT)
		copy.status = CHECK_FAILED;
	chk->stats.by_status[copy.status]++;
	chk->last = copy;
	/* The owner gets a copy of its own: it may stop or restart the check
	 * from the callback, which must not change what it is reading. */
	chk->report(chk->ctx, chk, &copy);
}

static void begin_probe(struct check *chk)
{
	chk->probing = true;
	chk->stats.probes++;
	chk->probe_start_us = mono_us();
	/* Armed before start(): a checker that reports from inside start()
	 * finds a running timer to stop, like any other probe. */
	ev_timer_set(&chk->timeout_w, chk->timeout_ms / 1000.0, 0.0);
	ev_timer_start(chk->loop, &chk->timeout_w);
	chk->type->start(chk->state);
}

static void interval_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct check *chk = container_of(w, struct check, interval_w);

	(void)loop;
	(void)revents;
	if (chk->probing) {
		chk->stats.skipped++;
		chk->tick_missed = true;
		return;
	}
	begin_probe(chk);
}

static void arm_now(struct check *chk);

/*
 * A probe just ended. If its interval tick came and went while it ran (a
 * probe slower than the interval: a hung server timing out), start the
 * next one now rather than at the following tick: otherwise `fall` hung
 * probes would take fall x (timeout + interval) instead of the
 * fall x max(interval, timeout) operators are told.
 */
static void catch_up(struct check *chk)
{
	if (!chk->tick_missed || !chk->started || chk->probing)
		return;
	chk->tick_missed = false;
	arm_now(chk);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct check *chk = container_of(w, struct check, timeout_w);
	struct check_result r;
	uint64_t elapsed_us = mono_us() - chk->probe_start_us;
	uint64_t elapsed_ms = elapsed_us / 1000u;

	(void)loop;
	(void)revents;
	if (!chk->probing)
		return;
	observe_latency(chk, elapsed_us);
	/* Not probing before cancel(): a report from inside it (a checker
	 * bug) would count as unsolicited instead of ending this probe. */
	chk->probing = false;
	chk->stats.timeouts++;
	chk->type->cancel(chk->state);
	check_result_set(&r, CHECK_FAILED, "timeout after %u ms", (unsigned)chk->timeout_ms);
	r.duration_ms = elapsed_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)elapsed_ms;
	deliver(chk, &r);
	catch_up(chk);
}

int check_new(struct check **out, struct ev_loop *loop, const struct check_type *type,
	      const struct check_params *p, check_report_fn report, void *ctx,
	      char *err, size_t errlen)
{
	struct check *chk;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!loop || !type || !p || !report || !type->create || !type->start ||
	    !type->cancel || !type->destroy) {
		snprintf(err, errlen, "internal error: incomplete check setup");
		return -EINVAL;
	}
	if (p->interval_ms == 0 || p->timeout_ms == 0) {
		snprintf(err, errlen, "interval and timeout must be greater than 0");
		return -EINVAL;
	}
	chk = calloc(1, sizeof(*chk));
	if (!chk)
		return -ENOMEM;
	chk->name = strdup(p->name ? p->name : "check");
	if (!chk->name) {
		free(chk);
		return -ENOMEM;
	}
	chk->loop = loop;
	chk->type = type;
	chk->interval_ms = p->interval_ms;
	chk->timeout_ms = p->timeout_ms;
	chk->report = report;
	chk->ctx = ctx;
	ev_timer_init(&chk->interval_w, interval_cb, 0.0, 0.0);
	ev_timer_init(&chk->timeout_w, timeout_cb, 0.0, 0.0);
	check_result_set(&chk->last, CHECK_FAILED, "no result yet");

	rc = type->create(chk, p, &chk->state, err, errlen);
	if (rc < 0) {
		free(chk->name);
		free(chk);
		return rc;
	}
	*out = chk;
	return 0;
}

/* Next probe on the next loop iteration, then every interval. */
static void arm_now(struct check *chk)
{
	/* The loop's cached time may be old (check_start() before the loop
	 * ran, after a slow config load): the schedule would start in the
	 * past and libev would catch up with back-to-back probes. */
	ev_now_update(chk->loop);
	ev_timer_stop(chk->loop, &chk->interval_w);
	ev_timer_set(&chk->interval_w, 0.0, chk->interval_ms / 1000.0);
	ev_timer_start(chk->loop, &chk->interval_w);
}

void check_start(struct check *chk)
{
	if (!chk || chk->started)
		return;
	chk->started = true;
	arm_now(chk);
}

void check_stop(struct check *chk)
{
	if (!chk || !chk->started)
		return;
	chk->started = false;
	chk->tick_missed = false;
	ev_timer_stop(chk->loop, &chk->interval_w);
	ev_timer_stop(chk->loop, &chk->timeout_w);
	if (chk->probing) {
		chk->probing = false;
		chk->type->cancel(chk->state);
	}
}

void check_free(struct check *chk)
{
	if (!chk)
		return;
	check_stop(chk);
	chk->type->destroy(chk->state);
	free(chk->name);
	free(chk);
}

void check_report(struct check *chk, const struct check_result *r)
{
	struct check_result copy;

	if (!chk || !r)
		return;
	if (!chk->started) {
		chk->stats.ignored++;
		return;
	}
	copy = *r;
	bool ended_probe = chk->probing;
	if (chk->probing) {
		uint64_t us = mono_us() - chk->probe_start_us;
		uint64_t ms = us / 1000u;

		observe_latency(chk, us);
		chk->probing = false;
		ev_timer_stop(chk->loop, &chk->timeout_w);
		copy.duration_ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	} else {
		chk->stats.unsolicited++;
	}
	deliver(chk, &copy);
	if (ended_probe)
		catch_up(chk);
}

void check_probe_now(struct check *chk)
{
	if (!chk || !chk->started || chk->probing)
		return;
	/* Deferred to the loop: the caller may be a checker in the middle of
	 * its own callback, or the owner inside check_report(); starting the
	 * probe here would re-enter the checker. */
	arm_now(chk);
}

struct ev_loop *check_loop(const struct check *chk)
{
	return chk->loop;
}

const char *check_name(const struct check *chk)
{
	return chk->name;
}

const struct check_type *check_get_type(const struct check *chk)
{
	return chk->type;
}

bool check_probing(const struct check *chk)
{
	return chk && chk->probing;
}

const struct check_stats *check_get_stats(const struct check *chk)
{
	return &chk->stats;
}

const struct check_result *check_last(const struct check *chk)
{
	return &chk->last;
}
