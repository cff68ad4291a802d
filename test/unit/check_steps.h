/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check_steps.h: a fake clock and a scripted fake checker for the tests of checks/check.h. */
/*
 * Shared by test_check.c and test_check_overlap.c. The scheduler runs on a
 * fake clock (struct check_clock) that only the test moves, so a test
 * asserts what happened and at which fake time, never how fast the machine
 * was, as the VRRP state machine is driven in fsm_steps.h. The fake
 * checker follows a script: what probe k (counted from 0, in start order)
 * does, and records every start, cancel and result with its time. Checks
 * use cmocka's assertions, so a failure fails the calling test.
 */
#ifndef VIGIL_CHECK_STEPS_H
#define VIGIL_CHECK_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "check.h"

/* Fake times are microseconds; tests speak milliseconds. */
#define MS(x) ((uint64_t)(x) * 1000u)
/* The fake clock's start (a real monotonic clock is never 0). */
#define CS_T0 MS(1000000)
/* Fake time since CS_T0, in ms. */
#define AT(x) (CS_T0 + MS(x))

#define CS_MAX_SLOTS 16
#define CS_MAX_PLAN 64
#define CS_MAX_REC 128

/* What one probe does. */
enum cs_kind {
	CS_HANG = 0,  /* never answers: only the scheduler ends it */
	CS_ANSWER,    /* answers `status` after `after_us` of fake time */
	CS_AT_ONCE,   /* answers `status` from inside start() */
};

struct cs_plan {
	enum cs_kind kind;
	uint64_t after_us;
	enum check_status status;
};

#define HANG ((struct cs_plan){ .kind = CS_HANG })
#define ANSWER(ms, st) ((struct cs_plan){ .kind = CS_ANSWER, .after_us = MS(ms), .status = (st) })
#define AT_ONCE(st) ((struct cs_plan){ .kind = CS_AT_ONCE, .status = (st) })

struct cs_start {
	uint64_t at;
	unsigned slot;
	unsigned open;      /* probes in flight in the checker with this one */
};

struct cs_cancel {
	uint64_t at;
	unsigned slot;
	unsigned probe;
};

struct cs_result {
	uint64_t at;
	struct check_result r;  /* detail "probe K: ok", or the scheduler's */
};

/* One test's world: a check of the fake type on a fake (or libev) clock. */
struct cs {
	struct ev_loop *loop;   /* for check_loop(); only run by libev tests */
	struct check *chk;
	bool libev;             /* on libev's clock: times are not recorded */
	/* fake clock */
	uint64_t now;
	bool armed;
	uint64_t armed_at;
	/* firing n of the timer comes late[n % n_late] us after its time, as
	 * a busy loop's would (n_late 0: always on time) */
	uint64_t late[8];
	unsigned n_late, firings;
	/* the script: plan[k] for probe k < n_plan, else dflt */
	struct cs_plan plan[CS_MAX_PLAN];
	unsigned n_plan;
	struct cs_plan dflt;
	bool report_after_cancel; /* a buggy checker: answers cancelled probes too */
	/* the fake checker's slots */
	struct {
		bool open;          /* started, not yet answered or cancelled */
		bool due;           /* an answer is scheduled */
		uint64_t due_at;
		unsigned probe;
		enum check_status status;
	} slot[CS_MAX_SLOTS];
	bool in_start;
	int creates, destroys;
	/* what happened */
	unsigned starts, cancels, results;
	struct cs_start start[CS_MAX_REC];
	struct cs_cancel cancel[CS_MAX_REC];
	struct cs_result result[CS_MAX_REC];
	unsigned max_open;      /* most probes the checker had at once */
	/* the owner's callback: check_stop() at this many results, and
	 * check_probe_now() while below that many (0: never) */
	unsigned stop_after, probe_now_until;
};

/* The fake checker type ("fake"). */
extern const struct check_type cs_fake_type;

/* Allocate a world and create its check ("fake1") on the fake clock at
 * CS_T0 (or on libev's clock with cs_new_libev()); the check must be
 * created. The check is not started. */
struct cs *cs_new(uint32_t interval_ms, uint32_t timeout_ms, uint32_t max_inflight);
struct cs *cs_new_libev(uint32_t interval_ms, uint32_t timeout_ms, uint32_t max_inflight);

/* Free the check, then the world. Accepts NULL. */
void cs_free(struct cs *w);

/* Every probe follows p, then probe k follows plan k of the list. */
void cs_plan_all(struct cs *w, struct cs_plan p);
void cs_plan_probe(struct cs *w, unsigned k, struct cs_plan p);

/*
 * Move the fake clock to t (absolute), firing on the way, in time order,
 * the fake checker's answers and the scheduler's timer. At one instant the
 * answers go first (an answer that arrives with the deadline counts).
 */
void cs_run_until(struct cs *w, uint64_t t);

/* The same, for d microseconds from now; 0 runs what is due now. */
void cs_run_for(struct cs *w, uint64_t d);

/* Answer slot's probe now with status (as the checker would). */
void cs_answer(struct cs *w, unsigned slot, enum check_status status);

/* Open probes in the fake checker now. */
unsigned cs_open(const struct cs *w);

/* Result i is probe k's own answer with status st, at fake time at. */
void cs_expect_answer(const struct cs *w, unsigned i, unsigned k, enum check_status st,
		      uint64_t at);

/* Result i is a scheduler timeout at fake time at. */
void cs_expect_timeout(const struct cs *w, unsigned i, uint64_t at);

/* The fake time of the n-th failed result (n from 1), or 0. */
uint64_t cs_nth_failure_at(const struct cs *w, unsigned n);

#endif
