// SPDX-License-Identifier: GPL-2.0-or-later
// The check scheduler: runs one checker's probes with an interval and a
// hard per-probe timeout, overlapping them (bounded) while the server does
// not answer; on libev's clock, or on a test's.
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

/* One slot's probe while it is in flight. */
struct probe {
	uint64_t start_us;
	/* When the schedule wanted it (its interval's time, or when a
	 * catch-up or check_probe_now() made it due): ages for the start
	 * rule are counted on the schedule, so that a timer that fired a
	 * little late does not make the next interval find the probe a
	 * little short of an interval old. */
	uint64_t due_us;
	bool held;                 /* answered; waits for an older probe */
	struct check_result res;   /* the held result */
};

struct check {
	struct ev_loop *loop;
	const struct check_type *type;
	void *state;            /* the checker's */
	char *name;
	uint64_t interval_us;
	uint64_t timeout_us;
	uint32_t timeout_ms;    /* for the timeout's detail */
	check_report_fn report;
	void *ctx;
	struct check_clock clock;
	/* The libev clock's one timer (idle with another clock). */
	ev_timer timer_w;
	bool started;
	bool tick_missed;       /* an interval passed while no probe could start */
	uint64_t next_tick_us;  /* the next periodic start, while started */
	/* How long the last ok or degraded answer took (0: none yet): what
	 * "slow" means for this server when deciding to overlap. Not a
	 * failure's: a checker's own deadline is no answer from the server. */
	uint64_t answer_us;
	unsigned nslots;
	unsigned ninflight;
	unsigned *order;        /* the slots in flight, oldest first */
	struct probe *probes;   /* indexed by slot */
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

/* ---- the libev clock: the default ---- */

static uint64_t ev_clock_now(void *ctx)
{
	(void)ctx;
	return mono_us();
}

static void ev_clock_arm(void *ctx, uint64_t at_us)
{
	struct check *chk = ctx;
	uint64_t now;

	/* libev counts a timer from the loop's cached time, which may be old
	 * (a slow callback, check_start() before the loop ran): the timer
	 * would fire early, or a schedule start in the past. */
	ev_now_update(chk->loop);
	now = mono_us();
	ev_timer_stop(chk->loop, &chk->timer_w);
	ev_timer_set(&chk->timer_w, at_us > now ? (double)(at_us - now) / 1e6 : 0.0, 0.0);
	ev_timer_start(chk->loop, &chk->timer_w);
}

static void ev_clock_disarm(void *ctx)
{
	struct check *chk = ctx;

	ev_timer_stop(chk->loop, &chk->timer_w);
}

static void ev_clock_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	check_clock_fired(container_of(w, struct check, timer_w));
}

static uint64_t now_us(const struct check *chk)
{
	return chk->clock.now_us(chk->clock.ctx);
}

static uint32_t clamp_ms(uint64_t us)
{
	uint64_t ms = us / 1000u;

	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
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

/* ---- the probes in flight, oldest first ---- */

/* Where slot is in the start order, or -1 when it runs no probe. */
static int inflight_index(const struct check *chk, unsigned slot)
{
	for (unsigned i = 0; i < chk->ninflight; i++)
		if (chk->order[i] == slot)
			return (int)i;
	return -1;
}

/* Take the probe at index i out of flight; returns its slot. Always before
 * the checker's cancel(): a report from inside it (a checker bug) then
 * counts as unsolicited instead of ending a probe. */
static unsigned remove_at(struct check *chk, unsigned i)
{
	unsigned slot = chk->order[i];

	memmove(&chk->order[i], &chk->order[i + 1], (chk->ninflight - i - 1) * sizeof(*chk->order));
	chk->ninflight--;
	return slot;
}

static unsigned free_slot(const struct check *chk)
{
	unsigned slot = 0;

	while (inflight_index(chk, slot) >= 0)
		slot++;
	return slot;
}

/* When the oldest probe in flight runs out of time. */
static uint64_t head_deadline(const struct check *chk)
{
	return chk->probes[chk->order[0]].start_us + chk->timeout_us;
}

/*
 * May a probe due at time `due` start? Always when none runs. Beside
 * others, only below the bound and once the oldest has run for an
 * interval and for twice as long as the server's last ok or degraded
 * answer took: a hung server gets a fresh probe every interval, so fall
 * failures come timeout + (fall - 1) x interval after the first hung
 * probe began, while a server that answers slowly keeps one probe at a
 * time (twice: its answers vary, a hung one's never come).
 */
static bool may_start(const struct check *chk, uint64_t due)
{
	uint64_t age;

	if (chk->ninflight == 0)
		return true;
	if (chk->ninflight >= chk->nslots)
		return false;
	age = due - chk->probes[chk->order[0]].due_us; /* due times never go back */
	return age >= chk->interval_us && age >= 2 * chk->answer_us;
}

static void begin_probe(struct check *chk, uint64_t now, uint64_t due)
{
	unsigned slot = free_slot(chk);

	chk->probes[slot] = (struct probe){ .start_us = now, .due_us = due };
	chk->order[chk->ninflight++] = slot;
	chk->stats.probes++;
	if (chk->ninflight > 1)
		chk->stats.overlapped++;
	chk->type->start(chk->state, slot);
}

/* Pass on the held results at the head of the start order. The owner may
 * stop or restart the check from its callback: look again each time. */
static void drain(struct check *chk)
{
	while (chk->started && chk->ninflight > 0 && chk->probes[chk->order[0]].held) {
		struct check_result r = chk->probes[chk->order[0]].res;

		remove_at(chk, 0);
		deliver(chk, &r);
	}
}

/*
 * Slot's probe succeeded: the older ones still waiting for an answer are
 * stale (the server answers now), so cancel them rather than count their
 * timeouts later. Held results of older probes stay and go first. The
 * intervals of the cancelled probes gave no result: catch up as after a
 * skipped one, so that a server coming back confirms its success (rise)
 * with the next probe at once, as a single probe spanning an interval
 * would, instead of an interval later.
 */
static void supersede_older(struct check *chk, unsigned slot)
{
	for (;;) {
		int idx = inflight_index(chk, slot);
		int old = -1;

		for (int i = 0; i < idx && old < 0; i++)
			if (!chk->probes[chk->order[i]].held)
				old = i;
		if (old < 0)
			return;
		chk->stats.superseded++;
		chk->tick_missed = true;
		chk->type->cancel(chk->state, remove_at(chk, (unsigned)old));
	}
}

/* The oldest probe ran out of time: cancel it, report the timeout. */
static void expire_head(struct check *chk, uint64_t now)
{
	struct check_result r;
	uint64_t elapsed = now - chk->probes[chk->order[0]].start_us;
	unsigned slot = remove_at(chk, 0);

	observe_latency(chk, elapsed);
	chk->stats.timeouts++;
	chk->type->cancel(chk->state, slot);
	check_result_set(&r, CHECK_FAILED, "timeout after %u ms", (unsigned)chk->timeout_ms);
	r.duration_ms = clamp_ms(elapsed);
	deliver(chk, &r);
	drain(chk);
}

/*
 * A probe just ended. If an interval came and went while none could start
 * (a hung server timing out), start the next one now rather than at the
 * following interval: otherwise each hung probe would cost timeout +
 * interval. Due now, so it begins on the clock's next run: never inside
 * check_report().
 */
static void catch_up(struct check *chk, uint64_t now)
{
	if (!chk->started || !chk->tick_missed || !may_start(chk, now))
		return;
	chk->tick_missed = false;
	chk->next_tick_us = now;
}

/* The clock's timer at the earliest of the next interval and the oldest
 * probe's deadline; none when stopped. */
static void rearm(struct check *chk)
{
	uint64_t at;

	if (!chk->started) {
		chk->clock.disarm(chk->clock.ctx);
		return;
	}
	at = chk->next_tick_us;
	if (chk->ninflight > 0 && head_deadline(chk) < at)
		at = head_deadline(chk);
	chk->clock.arm(chk->clock.ctx, at);
}

/* An interval: a probe if one may start, else remember it. The schedule
 * keeps its phase (start to start) unless it fell a whole interval
 * behind, as after a stalled loop: then it restarts from now instead of
 * firing in a burst. */
static void tick(struct check *chk, uint64_t now)
{
	uint64_t due = chk->next_tick_us;

	if (due + chk->interval_us <= now)
		due = now;
	chk->next_tick_us = due + chk->interval_us;
	if (!may_start(chk, due)) {
		chk->stats.skipped++;
		chk->tick_missed = true;
		return;
	}
	chk->tick_missed = false;
	begin_probe(chk, now, due);
}

void check_clock_fired(struct check *chk)
{
	uint64_t now = now_us(chk);

	/* Deadlines first: a slot that times out now is free for the probe
	 * that an interval due now may start. */
	while (chk->started && chk->ninflight > 0 && head_deadline(chk) <= now) {
		expire_head(chk, now);
		catch_up(chk, now);
	}
	if (chk->started && chk->next_tick_us <= now)
		tick(chk, now);
	rearm(chk);
}

/* Probes in flight at most: the owner's bound, but never more than can
 * overlap, since starts come an interval apart and none outlives timeout. */
static unsigned slots_for(const struct check_params *p)
{
	uint64_t fit = ((uint64_t)p->timeout_ms + p->interval_ms - 1) / p->interval_ms;
	uint64_t want = p->max_inflight ? p->max_inflight : 1;

	return (unsigned)(want < fit ? want : fit);
}

static void free_check(struct check *chk)
{
	free(chk->order);
	free(chk->probes);
	free(chk->name);
	free(chk);
}

int check_new_clock(struct check **out, struct ev_loop *loop, const struct check_clock *clock,
		    const struct check_type *type, const struct check_params *p,
		    check_report_fn report, void *ctx, char *err, size_t errlen)
{
	struct check *chk;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!loop || !type || !p || !report || !type->create || !type->start ||
	    !type->cancel || !type->destroy ||
	    (clock && (!clock->now_us || !clock->arm || !clock->disarm))) {
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
	chk->nslots = slots_for(p);
	chk->name = strdup(p->name ? p->name : "check");
	chk->order = calloc(chk->nslots, sizeof(*chk->order));
	chk->probes = calloc(chk->nslots, sizeof(*chk->probes));
	if (!chk->name || !chk->order || !chk->probes) {
		free_check(chk);
		return -ENOMEM;
	}
	chk->loop = loop;
	chk->type = type;
	chk->interval_us = (uint64_t)p->interval_ms * 1000u;
	chk->timeout_us = (uint64_t)p->timeout_ms * 1000u;
	chk->timeout_ms = p->timeout_ms;
	chk->report = report;
	chk->ctx = ctx;
	ev_timer_init(&chk->timer_w, ev_clock_cb, 0.0, 0.0);
	if (clock)
		chk->clock = *clock;
	else
		chk->clock = (struct check_clock){ .now_us = ev_clock_now, .arm = ev_clock_arm,
						   .disarm = ev_clock_disarm, .ctx = chk };
	check_result_set(&chk->last, CHECK_FAILED, "no result yet");

	rc = type->create(chk, p, &chk->state, err, errlen);
	if (rc < 0) {
		free_check(chk);
		return rc;
	}
	*out = chk;
	return 0;
}

int check_new(struct check **out, struct ev_loop *loop, const struct check_type *type,
	      const struct check_params *p, check_report_fn report, void *ctx,
	      char *err, size_t errlen)
{
	return check_new_clock(out, loop, NULL, type, p, report, ctx, err, errlen);
}

/* The next probe as soon as the clock runs again, then every interval. */
static void due_now(struct check *chk)
{
	chk->tick_missed = false;
	chk->next_tick_us = now_us(chk);
	rearm(chk);
}

void check_start(struct check *chk)
{
	if (!chk || chk->started)
		return;
	chk->started = true;
	/* A restarted check learns the server's pace again. */
	chk->answer_us = 0;
	due_now(chk);
}

void check_stop(struct check *chk)
{
	if (!chk || !chk->started)
		return;
	chk->started = false;
	chk->tick_missed = false;
	chk->clock.disarm(chk->clock.ctx);
	while (chk->ninflight > 0) {
		/* A held result's probe has ended already: drop the result. */
		bool held = chk->probes[chk->order[0]].held;
		unsigned slot = remove_at(chk, 0);

		if (!held)
			chk->type->cancel(chk->state, slot);
	}
}

void check_free(struct check *chk)
{
	if (!chk)
		return;
	check_stop(chk);
	chk->type->destroy(chk->state);
	free_check(chk);
}

/* slot's probe answered r at now. */
static void probe_answered(struct check *chk, unsigned slot, const struct check_result *r,
			   uint64_t now)
{
	struct probe *pr = &chk->probes[slot];
	uint64_t us = now - pr->start_us;

	observe_latency(chk, us);
	if (r->status == CHECK_OK || r->status == CHECK_DEGRADED)
		chk->answer_us = us;
	pr->res = *r;
	pr->res.duration_ms = clamp_ms(us);
	pr->held = true;
	if (r->status == CHECK_OK)
		supersede_older(chk, slot);
	drain(chk);
	catch_up(chk, now);
	rearm(chk);
}

void check_report(struct check *chk, unsigned slot, const struct check_result *r)
{
	if (!chk || !r)
		return;
	if (!chk->started) {
		chk->stats.ignored++;
		return;
	}
	/* No probe in that slot, or one that answered already (a checker
	 * bug): not a probe's result. */
	if (slot == CHECK_NO_SLOT || inflight_index(chk, slot) < 0 || chk->probes[slot].held) {
		chk->stats.unsolicited++;
		deliver(chk, r);
		return;
	}
	probe_answered(chk, slot, r, now_us(chk));
}

void check_probe_now(struct check *chk)
{
	if (!chk || !chk->started || chk->ninflight > 0)
		return;
	/* Deferred to the clock: the caller may be a checker in the middle of
	 * its own callback, or the owner inside check_report(); starting the
	 * probe here would re-enter the checker. */
	due_now(chk);
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
	return chk && chk->ninflight > 0;
}

unsigned check_inflight(const struct check *chk)
{
	return chk ? chk->ninflight : 0;
}

unsigned check_slots(const struct check *chk)
{
	return chk->nslots;
}

const struct check_stats *check_get_stats(const struct check *chk)
{
	return &chk->stats;
}

const struct check_result *check_last(const struct check *chk)
{
	return &chk->last;
}
