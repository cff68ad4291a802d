/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_fsm_safety.c: the VRRP state machine's data safety on a fake clock:
 * eligibility, witness, contest, stall, resign (docs/data-safety.md). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fsm.h"

/* ================================================================== */
/* Helpers (the small ones are test_fsm.c's)                           */
/* ================================================================== */

#define T0 1000000u  /* fake monotonic clock start (a real one is never 0) */
#define LEAD 300u    /* witness_lead_ms */

/* 1 s interval: Skew_Time / Master_Down_Interval at priority 100 and 200. */
#define SKEW100 609u
#define MDI100 3609u
#define SKEW200 218u
#define MDI200 3218u

static struct vrrp_fsm_config cfg_make(uint8_t version, uint8_t prio)
{
	struct vrrp_fsm_config c = {
		.version = version,
		.vrid = 51,
		.base_priority = prio,
		.advert_interval_ms = 1000,
		.preempt = true,
		.preempt_delay_ms = 0,
		.health_takeover = false,
		.resign_below = 0,
	};
	return c;
}

/* All three data safety features on. */
static struct vrrp_fsm_config cfg_safe(uint8_t prio)
{
	struct vrrp_fsm_config c = cfg_make(3, prio);

	c.eligibility = true;
	c.witness_lead_ms = LEAD;
	c.contest = true;
	return c;
}

static struct vrrp_fsm_addr addr4(uint8_t last)
{
	struct vrrp_fsm_addr a = { .len = 4, .bytes = { 198, 18, 0, last } };
	return a;
}

static void fsm_setup(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *cfg,
		      uint8_t self_last)
{
	struct vrrp_fsm_addr self = addr4(self_last);

	assert_int_equal(vrrp_fsm_init(fsm, cfg, &self), 0);
	assert_string_equal(vrrp_state_name(vrrp_fsm_state(fsm)), "INIT");
}

static void step_type(struct vrrp_fsm *fsm, enum vrrp_fsm_event_type type,
		      uint64_t now, struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = type };

	vrrp_fsm_step(fsm, &ev, now, out);
}

static void step_advert(struct vrrp_fsm *fsm, uint8_t prio, uint32_t interval_ms,
			uint8_t src_last, uint64_t now, struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_ADVERT };

	ev.advert.priority = prio;
	ev.advert.interval_ms = interval_ms;
	ev.advert.src = addr4(src_last);
	vrrp_fsm_step(fsm, &ev, now, out);
}

static void step_prio(struct vrrp_fsm *fsm, uint8_t prio, uint64_t now,
		      struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_PRIORITY };

	ev.priority = prio;
	vrrp_fsm_step(fsm, &ev, now, out);
}

static void step_eligible(struct vrrp_fsm *fsm, bool flag, uint64_t now,
			  struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_ELIGIBLE };

	ev.flag = flag;
	vrrp_fsm_step(fsm, &ev, now, out);
}

static void step_witness(struct vrrp_fsm *fsm, uint32_t seq, bool served,
			 uint64_t now, struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_WITNESS };

	ev.witness.seq = seq;
	ev.witness.served = served;
	vrrp_fsm_step(fsm, &ev, now, out);
}

static void step_contest(struct vrrp_fsm *fsm, int epoch_cmp, uint64_t now,
			 struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_CONTEST };

	ev.contest.epoch_cmp = epoch_cmp;
	vrrp_fsm_step(fsm, &ev, now, out);
}

/* Compare by name so a failure prints "announce" != "add-vips". */
static void expect_actions(const struct vrrp_fsm_actions *out,
			   const enum vrrp_fsm_action_type *types, size_t n)
{
	if (out->count != n) {
		for (size_t i = 0; i < out->count; i++)
			print_message("  got action %zu: %s\n", i,
				      vrrp_fsm_action_name(out->list[i].type));
	}
	assert_int_equal(out->count, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(vrrp_fsm_action_name(out->list[i].type),
				    vrrp_fsm_action_name(types[i]));
}

#define EXPECT_ACTS(out, ...)                                                  \
	do {                                                                   \
		const enum vrrp_fsm_action_type t_[] = { __VA_ARGS__ };        \
		expect_actions((out), t_, sizeof(t_) / sizeof(t_[0]));        \
	} while (0)

#define EXPECT_NONE(out) expect_actions((out), NULL, 0)

#define SEND VRRP_ACT_SEND_ADVERT
#define ADD VRRP_ACT_ADD_VIPS
#define REMOVE VRRP_ACT_REMOVE_VIPS
#define ANNOUNCE VRRP_ACT_ANNOUNCE
#define CHANGED VRRP_ACT_STATE_CHANGED
#define WSTART VRRP_ACT_WITNESS_START
#define WCANCEL VRRP_ACT_WITNESS_CANCEL
#define CSTART VRRP_ACT_CONTEST_START
#define REOPEN VRRP_ACT_REOPEN

static void expect_advert_prio(const struct vrrp_fsm_actions *out, size_t i,
			       uint8_t prio)
{
	assert_true(i < out->count);
	assert_int_equal(out->list[i].type, VRRP_ACT_SEND_ADVERT);
	assert_int_equal(out->list[i].advert_priority, prio);
}

/* The last action must be STATE_CHANGED from -> to because reason. */
static void expect_change(const struct vrrp_fsm_actions *out, enum vrrp_state from,
			  enum vrrp_state to, enum vrrp_fsm_reason reason)
{
	const struct vrrp_fsm_action *a;

	assert_true(out->count > 0);
	a = &out->list[out->count - 1];
	assert_string_equal(vrrp_fsm_action_name(a->type), "state-changed");
	assert_string_equal(vrrp_state_name(a->change.from), vrrp_state_name(from));
	assert_string_equal(vrrp_state_name(a->change.to), vrrp_state_name(to));
	assert_string_equal(vrrp_fsm_reason_name(a->change.reason),
			    vrrp_fsm_reason_name(reason));
}

static void expect_state(const struct vrrp_fsm *fsm, enum vrrp_state s)
{
	assert_string_equal(vrrp_state_name(vrrp_fsm_state(fsm)), vrrp_state_name(s));
}

static void expect_witness(const struct vrrp_fsm *fsm, enum vrrp_fsm_witness_state w)
{
	assert_int_equal(vrrp_fsm_witness_state(fsm), w);
}

/* Index of the first action of @type, -1 if none. */
static int find_action(const struct vrrp_fsm_actions *out,
		       enum vrrp_fsm_action_type type)
{
	for (size_t i = 0; i < out->count; i++)
		if (out->list[i].type == type)
			return (int)i;
	return -1;
}

/* The seq of the WITNESS_START in @out (which must hold exactly that). */
static uint32_t expect_probe(const struct vrrp_fsm_actions *out)
{
	EXPECT_ACTS(out, WSTART);
	return out->list[0].witness_seq;
}

static const struct vrrp_fsm_counters *ctr(const struct vrrp_fsm *fsm)
{
	return vrrp_fsm_counters(fsm);
}

/*
 * Bring an instance to MASTER: eligible (a no-op without cfg.eligibility),
 * started, and with the witness on, each probe answered "not served".
 * *now is the time it became MASTER.
 */
static void make_master(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *c,
			uint8_t self_last, uint64_t *now)
{
	struct vrrp_fsm_actions out;
	int w;

	fsm_setup(fsm, c, self_last);
	step_eligible(fsm, true, *now, &out);
	step_type(fsm, VRRP_EV_STARTUP, *now, &out);
	for (int guard = 0; vrrp_fsm_state(fsm) != VRRP_STATE_MASTER; guard++) {
		assert_true(guard < 10);
		if (out.wakeup_ms > *now)
			*now = out.wakeup_ms;
		step_type(fsm, VRRP_EV_TIMER, *now, &out);
		w = find_action(&out, WSTART);
		if (w >= 0)
			step_witness(fsm, out.list[w].witness_seq, false, *now, &out);
	}
	expect_state(fsm, VRRP_STATE_MASTER);
}

/* ================================================================== */
/* Eligibility                                                          */
/* ================================================================== */

static void test_elig_starts_ineligible(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t e;

	(void)state;
	c.eligibility = true;
	fsm_setup(&fsm, &c, 1);
	assert_false(vrrp_fsm_eligible(&fsm));
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);
	assert_int_equal(out.wakeup_ms, T0 + MDI100);

	/* Silence: the Master_Down_Timer runs out, the takeover is held
	 * back, the timer re-armed one Master_Down_Interval. */
	step_type(&fsm, VRRP_EV_TIMER, T0 + MDI100, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);
	assert_int_equal(out.wakeup_ms, T0 + 2 * MDI100);
	/* Again: still held back, the same held-back takeover (counted once). */
	step_type(&fsm, VRRP_EV_TIMER, T0 + 2 * MDI100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);
	assert_int_equal(out.wakeup_ms, T0 + 3 * MDI100);
	assert_int_equal(ctr(&fsm)->transitions, 1);

	/* "Still not eligible" changes nothing. */
	step_eligible(&fsm, false, T0 + 2 * MDI100 + 100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, T0 + 3 * MDI100);

	/* Eligible: the held-back takeover goes at once. */
	e = T0 + 2 * MDI100 + 500;
	step_eligible(&fsm, true, e, &out);
	EXPECT_NONE(&out);
	assert_true(vrrp_fsm_eligible(&fsm));
	assert_int_equal(out.wakeup_ms, e);
	assert_int_equal(vrrp_fsm_next_wakeup(&fsm), e);
	step_type(&fsm, VRRP_EV_TIMER, e, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_advert_prio(&out, 0, 100);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_MASTER_DOWN_TIMER);
	assert_int_equal(vrrp_fsm_last_change_ms(&fsm), e);

	/* The FSM does not demote a MASTER on its own when the verdict turns
	 * (the owner hands over with VRRP_EV_RESIGN): recorded, no action. */
	step_eligible(&fsm, false, e + 100, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_MASTER);
	assert_false(vrrp_fsm_eligible(&fsm));
}

static void test_elig_off_ignored(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	assert_true(vrrp_fsm_eligible(&fsm));
	step_eligible(&fsm, false, T0, &out);
	EXPECT_NONE(&out);
	assert_true(vrrp_fsm_eligible(&fsm));
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_eligible(&fsm, false, T0 + 10, &out);
	EXPECT_NONE(&out);
	assert_true(vrrp_fsm_eligible(&fsm));
	assert_int_equal(out.wakeup_ms, T0 + MDI100);
	step_type(&fsm, VRRP_EV_TIMER, T0 + MDI100, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 0);
}

static void test_elig_master_heard_meanwhile(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t t1, e;

	(void)state;
	c.eligibility = true;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_TIMER, T0 + MDI100, &out);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);

	/* A master is accepted meanwhile: becoming eligible then is no
	 * reason to take over; the ordinary timer from its advert runs. */
	t1 = T0 + MDI100 + 100;
	step_advert(&fsm, 200, 1000, 2, t1, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, t1 + MDI100);
	step_eligible(&fsm, true, t1 + 200, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, t1 + MDI100);
	step_type(&fsm, VRRP_EV_TIMER, t1 + 200, &out);
	EXPECT_NONE(&out);
	step_type(&fsm, VRRP_EV_TIMER, t1 + MDI100 - 1, &out);
	EXPECT_NONE(&out);
	step_type(&fsm, VRRP_EV_TIMER, t1 + MDI100, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_MASTER_DOWN_TIMER);

	/* A discarded advert (lower priority, preempt) is no accepted
	 * master: the held-back preemption goes at once when eligible. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 50, 1000, 2, T0 + 100, &out);
	assert_int_equal(out.wakeup_ms, T0 + MDI100);
	step_type(&fsm, VRRP_EV_TIMER, T0 + MDI100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);
	step_advert(&fsm, 50, 1000, 2, T0 + MDI100 + 100, &out);
	EXPECT_NONE(&out);
	e = T0 + MDI100 + 200;
	step_eligible(&fsm, true, e, &out);
	assert_int_equal(out.wakeup_ms, e);
	step_type(&fsm, VRRP_EV_TIMER, e, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_REASON_PREEMPT);

	/* Eligible before anything was held back: no early takeover. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_eligible(&fsm, true, T0 + 100, &out);
	assert_int_equal(out.wakeup_ms, T0 + MDI100);
	step_type(&fsm, VRRP_EV_TIMER, T0 + MDI100, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_MASTER_DOWN_TIMER);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 0);
}

/* Every way a BACKUP's Master_Down_Timer can be set, one fsm each. */
static void test_elig_blocks_every_timer_cause(void **state)
{
	static const struct {
		const char *name;
		bool ht, preempt;
		int adv;  /* -1: silence */
		enum vrrp_fsm_reason reason;
	} rows[] = {
		{ "silence", false, true, -1, VRRP_REASON_MASTER_DOWN_TIMER },
		{ "priority 0", false, true, 0, VRRP_REASON_PRIORITY_ZERO },
		{ "preempt", false, true, 50, VRRP_REASON_PREEMPT },
		{ "health takeover", true, true, 50, VRRP_REASON_HEALTH_TAKEOVER },
	};

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct vrrp_fsm fsm;
		struct vrrp_fsm_config c = cfg_make(3, 100);
		struct vrrp_fsm_actions out;
		uint64_t t, e;

		print_message("  row: %s\n", rows[r].name);
		c.eligibility = true;
		c.health_takeover = rows[r].ht;
		c.preempt = rows[r].preempt;
		fsm_setup(&fsm, &c, 1);
		step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
		step_advert(&fsm, 200, 1000, 2, T0 + 100, &out);
		/* 60 s: the master (if any) advertises every second, every
		 * timer is delivered on time; never MASTER. */
		for (t = T0 + 1100; t < T0 + 61100; t += 1000) {
			if (rows[r].adv >= 0 && (rows[r].adv > 0 || t == T0 + 1100)) {
				step_advert(&fsm, (uint8_t)rows[r].adv, 1000, 2, t, &out);
				EXPECT_NONE(&out);
			}
			while (out.wakeup_ms && out.wakeup_ms < t + 1000) {
				step_type(&fsm, VRRP_EV_TIMER, out.wakeup_ms, &out);
				EXPECT_NONE(&out);
			}
			expect_state(&fsm, VRRP_STATE_BACKUP);
		}
		assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);
		assert_int_equal(ctr(&fsm)->transitions, 1);
		e = t;
		step_eligible(&fsm, true, e, &out);
		EXPECT_NONE(&out);
		assert_int_equal(out.wakeup_ms, e);
		step_type(&fsm, VRRP_EV_TIMER, e, &out);
		EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
		expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
			      rows[r].reason);
	}
}

static void test_elig_owner(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 255);
	struct vrrp_fsm_actions out;
	uint64_t mdi = vrrp_fsm_calc_master_down_ms(3, 255, 1000);
	uint64_t e;

	(void)state;
	c.eligibility = true;
	/* Not eligible at startup: even the address owner starts BACKUP. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);
	assert_int_equal(out.wakeup_ms, T0 + mdi);
	step_type(&fsm, VRRP_EV_TIMER, T0 + mdi, &out);
	EXPECT_NONE(&out);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);
	/* A lower master is discarded, not followed, but not taken over. */
	step_advert(&fsm, 100, 1000, 2, T0 + mdi + 10, &out);
	EXPECT_NONE(&out);
	step_type(&fsm, VRRP_EV_TIMER, out.wakeup_ms, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	e = T0 + 3 * mdi;
	step_eligible(&fsm, true, e, &out);
	assert_int_equal(out.wakeup_ms, e);
	step_type(&fsm, VRRP_EV_TIMER, e, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_advert_prio(&out, 0, 255);
	expect_state(&fsm, VRRP_STATE_MASTER);

	/* Eligible before startup: the owner starts as MASTER (RFC 6.4.1). */
	fsm_setup(&fsm, &c, 1);
	step_eligible(&fsm, true, T0, &out);
	EXPECT_NONE(&out);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_MASTER,
		      VRRP_REASON_STARTUP_OWNER);

	/* Leaving FAULT is a startup too: ineligible by then -> BACKUP. */
	step_type(&fsm, VRRP_EV_LINK_DOWN, T0 + 10, &out);
	EXPECT_ACTS(&out, SEND, REMOVE, CHANGED);
	step_eligible(&fsm, false, T0 + 20, &out);
	step_type(&fsm, VRRP_EV_LINK_UP, T0 + 30, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_FAULT, VRRP_STATE_BACKUP, VRRP_REASON_LINK_UP);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 30 + mdi, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
}

/* ================================================================== */
/* Witness                                                              */
/* ================================================================== */

static struct vrrp_fsm_config cfg_witness(uint8_t prio)
{
	struct vrrp_fsm_config c = cfg_make(3, prio);

	c.witness_lead_ms = LEAD;
	return c;
}

static void test_witness_served_vetoes(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_witness(100);
	struct vrrp_fsm_actions out;
	uint64_t d = T0 + MDI100;  /* the Master_Down_Timer's deadline */
	uint32_t seq;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	/* Woken witness_lead_ms before the deadline. */
	assert_int_equal(out.wakeup_ms, d - LEAD);
	assert_int_equal(vrrp_fsm_next_wakeup(&fsm), d - LEAD);
	step_type(&fsm, VRRP_EV_TIMER, d - LEAD - 1, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, d - LEAD);
	step_type(&fsm, VRRP_EV_TIMER, d - LEAD, &out);
	seq = expect_probe(&out);
	assert_int_equal(seq, 1);
	expect_witness(&fsm, VRRP_WITNESS_PENDING);
	assert_int_equal(out.wakeup_ms, d);
	assert_int_equal(ctr(&fsm)->witness_probes, 1);
	/* Served: nothing yet, the decision is at the deadline. */
	step_witness(&fsm, seq, true, d - LEAD + 50, &out);
	EXPECT_NONE(&out);
	expect_witness(&fsm, VRRP_WITNESS_SERVED);
	assert_int_equal(out.wakeup_ms, d);
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	expect_witness(&fsm, VRRP_WITNESS_IDLE);
	assert_int_equal(ctr(&fsm)->witness_vetoes, 1);
	/* Re-armed one Master_Down_Interval, probing lead ms early again. */
	assert_int_equal(out.wakeup_ms, d + MDI100 - LEAD);

	/* Again and again: each expiry probed, each one vetoed. */
	for (uint32_t k = 2; k <= 5; k++) {
		d += MDI100;
		step_type(&fsm, VRRP_EV_TIMER, d - LEAD, &out);
		seq = expect_probe(&out);
		assert_int_equal(seq, k);
		step_witness(&fsm, seq, true, d - LEAD + 50, &out);
		step_type(&fsm, VRRP_EV_TIMER, d, &out);
		EXPECT_NONE(&out);
		expect_state(&fsm, VRRP_STATE_BACKUP);
		assert_int_equal(ctr(&fsm)->witness_vetoes, k);
	}

	/* Not served: take over at the deadline, not before, not later. */
	d += MDI100;
	step_type(&fsm, VRRP_EV_TIMER, d - LEAD, &out);
	seq = expect_probe(&out);
	step_witness(&fsm, seq, false, d - LEAD + 50, &out);
	EXPECT_NONE(&out);
	expect_witness(&fsm, VRRP_WITNESS_NOT_SERVED);
	assert_int_equal(out.wakeup_ms, d);
	step_type(&fsm, VRRP_EV_TIMER, d - 1, &out);
	EXPECT_NONE(&out);
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_MASTER_DOWN_TIMER);
	assert_int_equal(vrrp_fsm_last_change_ms(&fsm), d);
	expect_witness(&fsm, VRRP_WITNESS_IDLE);
	assert_int_equal(ctr(&fsm)->witness_probes, 6);
	assert_int_equal(ctr(&fsm)->witness_vetoes, 5);
	assert_int_equal(ctr(&fsm)->witness_overdue, 0);
	/* A MASTER's wakeup is its Adver_Timer, no lead. */
	assert_int_equal(out.wakeup_ms, d + 1000);
}

static void test_witness_overdue(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_witness(100);
	struct vrrp_fsm_actions out;
	const uint64_t d = T0 + MDI100;
	uint32_t seq;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_TIMER, d - LEAD, &out);
	seq = expect_probe(&out);
	/* No answer at the deadline: wait until started + 2 * lead. */
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	assert_int_equal(out.wakeup_ms, d - LEAD + 2 * LEAD);
	step_type(&fsm, VRRP_EV_TIMER, d + LEAD - 1, &out);
	EXPECT_NONE(&out);
	/* Overdue: plain VRRP, the probe called off. */
	step_type(&fsm, VRRP_EV_TIMER, d + LEAD, &out);
	EXPECT_ACTS(&out, WCANCEL, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_MASTER_DOWN_TIMER);
	assert_int_equal(ctr(&fsm)->witness_overdue, 1);
	assert_int_equal(ctr(&fsm)->witness_vetoes, 0);
	/* Its answer, too late, is nobody's business any more. */
	step_witness(&fsm, seq, true, d + LEAD + 10, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_MASTER);

	/* Woken after the deadline (the early wakeup was missed): the probe
	 * starts then, overdue 2 * lead after that. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_TIMER, d + 100, &out);
	seq = expect_probe(&out);
	assert_int_equal(seq, 1);
	assert_int_equal(out.wakeup_ms, d + 100 + 2 * LEAD);
	step_type(&fsm, VRRP_EV_TIMER, d + 100 + 2 * LEAD, &out);
	EXPECT_ACTS(&out, WCANCEL, SEND, ADD, ANNOUNCE, CHANGED);
	assert_int_equal(ctr(&fsm)->witness_overdue, 1);
}

static void test_witness_adverts_cancel(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_witness(100);
	struct vrrp_fsm_actions out;
	const uint64_t d = T0 + MDI100;
	uint64_t d2;
	uint32_t seq;

	(void)state;
	/* The master speaks while the probe runs: cancelled, timer reset. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_TIMER, d - LEAD, &out);
	seq = expect_probe(&out);
	step_advert(&fsm, 200, 1000, 2, d - 100, &out);
	EXPECT_ACTS(&out, WCANCEL);
	expect_witness(&fsm, VRRP_WITNESS_IDLE);
	d2 = d - 100 + MDI100;
	assert_int_equal(out.wakeup_ms, d2 - LEAD);
	/* The cancelled probe's answer is stale: ignored. */
	step_witness(&fsm, seq, false, d - 50, &out);
	EXPECT_NONE(&out);
	expect_witness(&fsm, VRRP_WITNESS_IDLE);
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	/* The next silence: a new probe, a new seq; old seqs still ignored. */
	step_type(&fsm, VRRP_EV_TIMER, d2 - LEAD, &out);
	assert_int_equal(expect_probe(&out), seq + 1);
	step_witness(&fsm, seq, false, d2 - LEAD + 10, &out);
	EXPECT_NONE(&out);
	expect_witness(&fsm, VRRP_WITNESS_PENDING);
	step_witness(&fsm, seq + 7, false, d2 - LEAD + 10, &out);
	EXPECT_NONE(&out);
	expect_witness(&fsm, VRRP_WITNESS_PENDING);
	/* Our own advert looped back is no master speaking. */
	step_advert(&fsm, 100, 1000, 1, d2 - LEAD + 20, &out);
	EXPECT_NONE(&out);
	expect_witness(&fsm, VRRP_WITNESS_PENDING);
	assert_int_equal(ctr(&fsm)->own_adverts_ignored, 1);
	step_witness(&fsm, seq + 1, true, d2 - LEAD + 30, &out);
	EXPECT_NONE(&out);
	expect_witness(&fsm, VRRP_WITNESS_SERVED);
	/* An advert after the answer: nothing to cancel, answer forgotten. */
	step_advert(&fsm, 200, 1000, 2, d2 - 10, &out);
	EXPECT_NONE(&out);
	expect_witness(&fsm, VRRP_WITNESS_IDLE);
	assert_int_equal(ctr(&fsm)->witness_vetoes, 0);

	/* Priority 0: cancelled; the master spoke, the takeover after
	 * Skew_Time (here: the running timer, sooner) is not probed. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_TIMER, d - LEAD, &out);
	expect_probe(&out);
	step_advert(&fsm, 0, 1000, 2, d - 100, &out);
	EXPECT_ACTS(&out, WCANCEL);
	assert_int_equal(out.wakeup_ms, d);
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_PRIORITY_ZERO);
	/* And with plenty of time left: Skew_Time, no lead, no probe. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 0, 1000, 2, T0 + 100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, T0 + 100 + SKEW100);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 100 + SKEW100, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	assert_int_equal(ctr(&fsm)->witness_probes, 0);

	/* A lower advert with preempt: cancelled, discarded; the preemption
	 * when the timer runs out is no takeover on silence: no probe. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_TIMER, d - LEAD, &out);
	expect_probe(&out);
	step_advert(&fsm, 50, 1000, 2, d - 100, &out);
	EXPECT_ACTS(&out, WCANCEL);
	assert_int_equal(out.wakeup_ms, d);
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_REASON_PREEMPT);
	/* Lower advert heard first, then silence: still preempt, no probe. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 50, 1000, 2, T0 + 100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, d);
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	assert_int_equal(ctr(&fsm)->witness_probes, 0);

	/* Health takeover: cancelled, not probed. */
	c.health_takeover = true;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 50, 1000, 2, T0 + 100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, T0 + 100 + SKEW100);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 100 + SKEW100, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_HEALTH_TAKEOVER);
	assert_int_equal(ctr(&fsm)->witness_probes, 0);
}

static void test_witness_leaving_backup_cancels(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_witness(100);
	struct vrrp_fsm_actions out;
	const uint64_t d = T0 + MDI100;
	uint32_t seq;

	(void)state;
	/* FAULT while probing. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_TIMER, d - LEAD, &out);
	seq = expect_probe(&out);
	step_type(&fsm, VRRP_EV_LINK_DOWN, d - 200, &out);
	EXPECT_ACTS(&out, WCANCEL, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_FAULT, VRRP_REASON_LINK_DOWN);
	expect_witness(&fsm, VRRP_WITNESS_IDLE);
	step_witness(&fsm, seq, false, d - 100, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_FAULT);
	/* Back to BACKUP: a fresh probe with a fresh seq. */
	step_type(&fsm, VRRP_EV_LINK_UP, d, &out);
	EXPECT_ACTS(&out, CHANGED);
	assert_int_equal(out.wakeup_ms, d + MDI100 - LEAD);
	step_type(&fsm, VRRP_EV_TIMER, d + MDI100 - LEAD, &out);
	assert_int_equal(expect_probe(&out), seq + 1);

	/* Shutdown while probing. */
	step_type(&fsm, VRRP_EV_SHUTDOWN, d + MDI100 - 100, &out);
	EXPECT_ACTS(&out, WCANCEL, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_INIT, VRRP_REASON_SHUTDOWN);
	assert_int_equal(out.wakeup_ms, 0);

	/* Not eligible any more while probing: at the deadline the probe is
	 * called off and the takeover held back. */
	c.eligibility = true;
	fsm_setup(&fsm, &c, 1);
	step_eligible(&fsm, true, T0, &out);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_TIMER, d - LEAD, &out);
	expect_probe(&out);
	step_eligible(&fsm, false, d - 200, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, d);
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	EXPECT_ACTS(&out, WCANCEL);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);
	/* While ineligible no probe starts: the wakeup is the deadline. */
	assert_int_equal(out.wakeup_ms, d + MDI100);
	step_type(&fsm, VRRP_EV_TIMER, d + MDI100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(ctr(&fsm)->witness_probes, 1);
}

static void test_witness_ineligible_then_eligible(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_witness(100);
	struct vrrp_fsm_actions out;
	const uint64_t d = T0 + MDI100;
	uint64_t e = d + 1000;

	(void)state;
	c.eligibility = true;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	/* Ineligible: no lead (nothing to corroborate), no probe. */
	assert_int_equal(out.wakeup_ms, d);
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	EXPECT_NONE(&out);
	assert_int_equal(ctr(&fsm)->witness_probes, 0);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);
	/* Eligible: due at once (the FSM may report a time already past,
	 * which the caller treats as "now"). Still a takeover on silence:
	 * probed first. */
	step_eligible(&fsm, true, e, &out);
	EXPECT_NONE(&out);
	assert_true(out.wakeup_ms != 0 && out.wakeup_ms <= e);
	step_type(&fsm, VRRP_EV_TIMER, e, &out);
	expect_probe(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	assert_int_equal(out.wakeup_ms, e + 2 * LEAD);
	/* Nobody answers: overdue, take over. */
	step_type(&fsm, VRRP_EV_TIMER, e + 2 * LEAD, &out);
	EXPECT_ACTS(&out, WCANCEL, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_MASTER_DOWN_TIMER);

	/* Served instead: vetoed (the held-back takeover is called off). */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	step_eligible(&fsm, true, e, &out);
	step_type(&fsm, VRRP_EV_TIMER, e, &out);
	step_witness(&fsm, expect_probe(&out), true, e + 50, &out);
	for (int i = 0; i < 20 && out.wakeup_ms; i++) {
		uint64_t at = out.wakeup_ms;
		int w;

		step_type(&fsm, VRRP_EV_TIMER, at, &out);
		w = find_action(&out, WSTART);
		if (w >= 0)
			step_witness(&fsm, out.list[w].witness_seq, true, at + 50, &out);
		expect_state(&fsm, VRRP_STATE_BACKUP);
	}
	assert_true(ctr(&fsm)->witness_vetoes >= 1);
}

static void test_witness_lead_and_wakeup(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_witness(100);
	struct vrrp_fsm_actions out;

	(void)state;
	/* The lead follows the learned interval (MDI at 100 ms = 360). */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 200, 500, 2, T0 + 10, &out);
	assert_int_equal(out.wakeup_ms,
			 T0 + 10 + vrrp_fsm_calc_master_down_ms(3, 100, 500) - LEAD);
	assert_int_equal(vrrp_fsm_next_wakeup(&fsm), out.wakeup_ms);

	/* A lead longer than the Master_Down_Interval: probe at once (a past
	 * wakeup is "now" to the caller), overdue 2 * lead after. */
	c.witness_lead_ms = 5000;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	assert_true(out.wakeup_ms <= T0);
	step_type(&fsm, VRRP_EV_TIMER, T0, &out);
	expect_probe(&out);
	assert_int_equal(out.wakeup_ms, T0 + MDI100);
	step_type(&fsm, VRRP_EV_TIMER, T0 + MDI100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, T0 + 10000);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 10000, &out);
	EXPECT_ACTS(&out, WCANCEL, SEND, ADD, ANNOUNCE, CHANGED);
	assert_int_equal(ctr(&fsm)->witness_overdue, 1);
}

/* ================================================================== */
/* Resign                                                               */
/* ================================================================== */

static void test_resign(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, r;

	(void)state;
	make_master(&fsm, &c, 1, &now);
	r = now + 300;
	step_type(&fsm, VRRP_EV_RESIGN, r, &out);
	EXPECT_ACTS(&out, SEND, REMOVE, CHANGED);
	expect_advert_prio(&out, 0, 0);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_BACKUP, VRRP_REASON_RESIGN);
	assert_int_equal(out.wakeup_ms, r + MDI100);
	/* Nobody took over: after one Master_Down_Interval, not before. */
	step_type(&fsm, VRRP_EV_TIMER, r + MDI100 - 1, &out);
	EXPECT_NONE(&out);
	step_type(&fsm, VRRP_EV_TIMER, r + MDI100, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_MASTER_DOWN_TIMER);

	/* A priority 0 heard during the hold-down: held back until its end. */
	r = vrrp_fsm_last_change_ms(&fsm) + 5000;
	step_type(&fsm, VRRP_EV_RESIGN, r, &out);
	step_advert(&fsm, 0, 1000, 2, r + 100, &out);
	assert_int_equal(out.wakeup_ms, r + 100 + SKEW100);
	step_type(&fsm, VRRP_EV_TIMER, r + 100 + SKEW100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);
	assert_int_equal(out.wakeup_ms, r + MDI100);
	step_type(&fsm, VRRP_EV_TIMER, r + MDI100, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_PRIORITY_ZERO);

	/* Not a MASTER: nothing to resign. */
	step_type(&fsm, VRRP_EV_SHUTDOWN, r + 10000, &out);
	step_type(&fsm, VRRP_EV_RESIGN, r + 10001, &out);
	EXPECT_NONE(&out);
	step_type(&fsm, VRRP_EV_STARTUP, r + 10002, &out);
	step_type(&fsm, VRRP_EV_RESIGN, r + 10003, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
}

static void test_resign_holddown_paths(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, r;

	(void)state;
	/* Health takeover from a lower master during the hold-down: held
	 * back until its end, and eligibility news does not shorten it. */
	c.health_takeover = true;
	c.eligibility = true;
	make_master(&fsm, &c, 1, &now);
	r = now + 100;
	step_type(&fsm, VRRP_EV_RESIGN, r, &out);
	step_advert(&fsm, 50, 1000, 2, r + 100, &out);
	assert_int_equal(out.wakeup_ms, r + 100 + SKEW100);
	step_type(&fsm, VRRP_EV_TIMER, r + 100 + SKEW100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, r + MDI100);
	step_eligible(&fsm, true, r + 1000, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, r + MDI100);
	step_advert(&fsm, 50, 1000, 2, r + 1100, &out);
	step_type(&fsm, VRRP_EV_TIMER, r + 1100 + SKEW100, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);
	step_type(&fsm, VRRP_EV_TIMER, r + MDI100 - 1, &out);
	EXPECT_NONE(&out);
	step_type(&fsm, VRRP_EV_TIMER, r + MDI100, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_HEALTH_TAKEOVER);

	/* A quiet (stalled, undecided) master resigns without a word. */
	c = cfg_make(3, 100);
	c.contest = true;
	now = T0;
	make_master(&fsm, &c, 1, &now);
	step_type(&fsm, VRRP_EV_STALLED, now + 10, &out);
	EXPECT_ACTS(&out, CSTART);
	step_type(&fsm, VRRP_EV_RESIGN, now + 20, &out);
	EXPECT_ACTS(&out, REMOVE, CHANGED);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_BACKUP, VRRP_REASON_RESIGN);
	assert_false(vrrp_fsm_quiet(&fsm));
	assert_false(vrrp_fsm_contest_pending(&fsm));
	/* The verdict of the abandoned contest changes nothing. */
	step_contest(&fsm, 1, now + 30, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
}

/* ================================================================== */
/* Contest and stall (single instance)                                  */
/* ================================================================== */

static void test_contest_start_once(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	c.contest = true;
	make_master(&fsm, &c, 1, &now);
	/* A higher master: no yield, no advert, no ARP: ask the owner. */
	step_advert(&fsm, 200, 500, 2, now + 100, &out);
	EXPECT_ACTS(&out, CSTART);
	assert_int_equal(out.list[0].peer.priority, 200);
	assert_int_equal(out.list[0].peer.interval_ms, 500);
	assert_int_equal(out.list[0].peer.src.len, 4);
	assert_int_equal(out.list[0].peer.src.bytes[3], 2);
	assert_int_equal(out.wakeup_ms, now + 1000);  /* Adver_Timer kept */
	expect_state(&fsm, VRRP_STATE_MASTER);
	assert_true(vrrp_fsm_contest_pending(&fsm));
	assert_false(vrrp_fsm_quiet(&fsm));
	assert_int_equal(ctr(&fsm)->contests, 1);
	/* Once per contest. */
	step_advert(&fsm, 200, 500, 2, now + 200, &out);
	EXPECT_NONE(&out);
	/* A lower one during the contest: an advert so that it hears us,
	 * no ARP. */
	step_advert(&fsm, 50, 1000, 3, now + 300, &out);
	EXPECT_ACTS(&out, SEND);
	expect_advert_prio(&out, 0, 100);
	assert_int_equal(out.wakeup_ms, now + 1300);
	/* Priority 0: RFC 5798 6.4.3 as usual. */
	step_advert(&fsm, 0, 1000, 3, now + 400, &out);
	EXPECT_ACTS(&out, SEND);
	/* Our Adver_Timer keeps running: the adverts go on. */
	step_type(&fsm, VRRP_EV_TIMER, now + 1400, &out);
	EXPECT_ACTS(&out, SEND);
	expect_advert_prio(&out, 0, 100);
	assert_int_equal(ctr(&fsm)->contests, 1);
	assert_int_equal(ctr(&fsm)->transitions, 2);

	/* Lower first: the contest starts, then our advert. Equal priority:
	 * no advert. */
	now = T0;
	make_master(&fsm, &c, 1, &now);
	step_advert(&fsm, 50, 1000, 2, now + 100, &out);
	EXPECT_ACTS(&out, CSTART, SEND);
	assert_int_equal(out.list[0].peer.priority, 50);
	now = T0;
	make_master(&fsm, &c, 1, &now);
	step_advert(&fsm, 100, 1000, 2, now + 100, &out);
	EXPECT_ACTS(&out, CSTART);
	/* Decided: the loser may still speak until its own verdict (one
	 * Master_Down_Interval: 3 * 1000 + 609 ms): that is the same contest,
	 * ignored without an answer. Later, an advert starts a new contest. */
	step_contest(&fsm, 1, now + 200, &out);
	EXPECT_ACTS(&out, SEND, ANNOUNCE, REOPEN);
	step_advert(&fsm, 100, 1000, 2, now + 300, &out);
	EXPECT_NONE(&out);
	assert_int_equal(ctr(&fsm)->contests, 1);
	step_advert(&fsm, 100, 1000, 2, now + 200 + 3609, &out);
	EXPECT_ACTS(&out, CSTART);
	assert_int_equal(ctr(&fsm)->contests, 2);
}

static void test_contest_verdicts(void **state)
{
	static const struct {
		const char *name;
		uint8_t own, self_last, peer, peer_last;
		int cmp;
		bool won;
	} rows[] = {
		{ "newer epoch beats a higher priority", 100, 1, 200, 2, 1, true },
		{ "older epoch loses to a lower priority", 200, 1, 100, 2, -1, false },
		{ "epoch magnitude is irrelevant (win)", 100, 1, 200, 2, 42, true },
		{ "epoch magnitude is irrelevant (lose)", 200, 1, 100, 2, -42, false },
		{ "equal epochs: higher priority wins", 200, 1, 100, 2, 0, true },
		{ "equal epochs: lower priority loses", 100, 1, 200, 2, 0, false },
		{ "equal epochs and priority: greater address wins", 100, 3, 100, 2, 0, true },
		{ "equal epochs and priority: smaller address loses", 100, 1, 100, 2, 0, false },
	};

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct vrrp_fsm fsm;
		struct vrrp_fsm_config c = cfg_make(3, rows[r].own);
		struct vrrp_fsm_actions out;
		uint64_t now = T0;

		print_message("  row: %s\n", rows[r].name);
		c.contest = true;
		make_master(&fsm, &c, rows[r].self_last, &now);
		step_advert(&fsm, rows[r].peer, 500, rows[r].peer_last, now + 100, &out);
		assert_int_equal(find_action(&out, CSTART), 0);
		assert_int_equal(find_action(&out, ANNOUNCE), -1);
		step_contest(&fsm, rows[r].cmp, now + 200, &out);
		assert_false(vrrp_fsm_contest_pending(&fsm));
		if (rows[r].won) {
			EXPECT_ACTS(&out, SEND, ANNOUNCE, REOPEN);
			expect_advert_prio(&out, 0, rows[r].own);
			expect_state(&fsm, VRRP_STATE_MASTER);
			assert_int_equal(out.wakeup_ms, now + 200 + 1000);
			assert_int_equal(ctr(&fsm)->contests_lost, 0);
		} else {
			/* Demoted like a pre-empted master: no priority 0. */
			EXPECT_ACTS(&out, REMOVE, CHANGED);
			expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_BACKUP,
				      VRRP_REASON_CONTEST_LOST);
			assert_int_equal(ctr(&fsm)->contests_lost, 1);
			assert_int_equal(ctr(&fsm)->by_reason[VRRP_REASON_CONTEST_LOST], 1);
			/* The winner is the master as heard; its interval learned. */
			assert_true(vrrp_fsm_master(&fsm)->known);
			assert_int_equal(vrrp_fsm_master(&fsm)->priority, rows[r].peer);
			assert_int_equal(vrrp_fsm_master(&fsm)->addr.bytes[3],
					 rows[r].peer_last);
			assert_int_equal(vrrp_fsm_master_adver_interval_ms(&fsm), 500);
			assert_int_equal(out.wakeup_ms,
					 now + 200 +
					 vrrp_fsm_calc_master_down_ms(3, rows[r].own, 500));
		}
		assert_int_equal(ctr(&fsm)->contests, 1);
		/* A second verdict is nobody's business. */
		step_contest(&fsm, -rows[r].cmp, now + 300, &out);
		EXPECT_NONE(&out);
	}
}

static void test_contest_lost_eligibility(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, t;

	(void)state;
	/* With eligibility: the loser has data to catch up on; ineligible. */
	c.contest = true;
	c.eligibility = true;
	make_master(&fsm, &c, 1, &now);
	assert_true(vrrp_fsm_eligible(&fsm));
	step_advert(&fsm, 200, 1000, 2, now + 100, &out);
	step_contest(&fsm, -1, now + 200, &out);
	EXPECT_ACTS(&out, REMOVE, CHANGED);
	assert_false(vrrp_fsm_eligible(&fsm));
	t = now + 200 + MDI100;
	assert_int_equal(out.wakeup_ms, t);
	step_type(&fsm, VRRP_EV_TIMER, t, &out);
	EXPECT_NONE(&out);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);
	expect_state(&fsm, VRRP_STATE_BACKUP);

	/* Without: eligibility untouched, ordinary BACKUP. */
	c.eligibility = false;
	now = T0;
	make_master(&fsm, &c, 1, &now);
	step_advert(&fsm, 200, 1000, 2, now + 100, &out);
	step_contest(&fsm, -1, now + 200, &out);
	EXPECT_ACTS(&out, REMOVE, CHANGED);
	assert_true(vrrp_fsm_eligible(&fsm));
	step_type(&fsm, VRRP_EV_TIMER, now + 200 + MDI100, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);

	/* A verdict with no contest pending is absorbed. */
	now = T0;
	make_master(&fsm, &c, 1, &now);
	step_contest(&fsm, -1, now + 10, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_MASTER);
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_contest(&fsm, 1, T0 + 10, &out);
	EXPECT_NONE(&out);
	step_contest(&fsm, -1, T0 + 10, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
}

static void test_stalled(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, s;
	static const struct vrrp_fsm_addr zero;

	(void)state;
	c.contest = true;
	make_master(&fsm, &c, 1, &now);
	s = now + 5000;  /* the loop was frozen; the Adver_Timer long due */
	step_type(&fsm, VRRP_EV_STALLED, s, &out);
	EXPECT_ACTS(&out, CSTART);
	assert_int_equal(out.list[0].peer.priority, 0);
	assert_int_equal(out.list[0].peer.interval_ms, 0);
	assert_memory_equal(&out.list[0].peer.src, &zero, sizeof(zero));
	assert_true(vrrp_fsm_quiet(&fsm));
	assert_true(vrrp_fsm_contest_pending(&fsm));
	assert_int_equal(ctr(&fsm)->contests, 1);
	/* Quiet: the Adver_Timer fires, nothing is sent; it keeps ticking. */
	step_type(&fsm, VRRP_EV_TIMER, s, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, s + 1000);
	step_type(&fsm, VRRP_EV_TIMER, s + 1000, &out);
	EXPECT_NONE(&out);
	/* A priority change is not advertised either. */
	step_prio(&fsm, 90, s + 1100, &out);
	EXPECT_NONE(&out);
	step_prio(&fsm, 100, s + 1200, &out);
	/* Nobody contested, equal epochs: we were only frozen; won. */
	step_contest(&fsm, 0, s + 1500, &out);
	EXPECT_ACTS(&out, SEND, ANNOUNCE, REOPEN);
	expect_advert_prio(&out, 0, 100);
	assert_false(vrrp_fsm_quiet(&fsm));
	assert_false(vrrp_fsm_contest_pending(&fsm));
	step_type(&fsm, VRRP_EV_TIMER, s + 2500, &out);
	EXPECT_ACTS(&out, SEND);

	/* Stalled, lost (a newer epoch elsewhere): no priority 0. */
	step_type(&fsm, VRRP_EV_STALLED, s + 3000, &out);
	EXPECT_ACTS(&out, CSTART);
	assert_int_equal(out.list[0].peer.priority, 0);
	step_contest(&fsm, -1, s + 3100, &out);
	EXPECT_ACTS(&out, REMOVE, CHANGED);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_BACKUP,
		      VRRP_REASON_CONTEST_LOST);
	assert_false(vrrp_fsm_master(&fsm)->known);
	assert_false(vrrp_fsm_quiet(&fsm));
	assert_int_equal(ctr(&fsm)->contests, 2);

	/* Stalled, then leaving MASTER any other way: no priority 0. */
	now = T0;
	make_master(&fsm, &c, 1, &now);
	step_type(&fsm, VRRP_EV_STALLED, now + 10, &out);
	step_type(&fsm, VRRP_EV_SHUTDOWN, now + 20, &out);
	EXPECT_ACTS(&out, REMOVE, CHANGED);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_INIT, VRRP_REASON_SHUTDOWN);
	now = T0;
	make_master(&fsm, &c, 1, &now);
	step_type(&fsm, VRRP_EV_STALLED, now + 10, &out);
	step_type(&fsm, VRRP_EV_LINK_DOWN, now + 20, &out);
	EXPECT_ACTS(&out, REMOVE, CHANGED);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_FAULT, VRRP_REASON_LINK_DOWN);
	assert_false(vrrp_fsm_quiet(&fsm));
	assert_false(vrrp_fsm_contest_pending(&fsm));

	/* Stalled, then a master heard: the same contest, against it now;
	 * quiet even towards a lower one. */
	now = T0;
	make_master(&fsm, &c, 1, &now);
	step_type(&fsm, VRRP_EV_STALLED, now + 10, &out);
	EXPECT_ACTS(&out, CSTART);
	step_advert(&fsm, 50, 1000, 3, now + 20, &out);
	EXPECT_NONE(&out);
	step_advert(&fsm, 200, 1000, 2, now + 30, &out);
	EXPECT_NONE(&out);
	step_contest(&fsm, 0, now + 40, &out);
	EXPECT_ACTS(&out, REMOVE, CHANGED);
	assert_true(vrrp_fsm_master(&fsm)->known);
	assert_int_equal(vrrp_fsm_master(&fsm)->priority, 200);
	assert_int_equal(ctr(&fsm)->contests, 1);

	/* A contest running, then the stall: no second CONTEST_START. */
	now = T0;
	make_master(&fsm, &c, 1, &now);
	step_advert(&fsm, 50, 1000, 2, now + 10, &out);
	EXPECT_ACTS(&out, CSTART, SEND);
	step_type(&fsm, VRRP_EV_STALLED, now + 20, &out);
	EXPECT_NONE(&out);
	assert_true(vrrp_fsm_quiet(&fsm));
	step_contest(&fsm, 0, now + 30, &out);  /* 100 > 50: won */
	EXPECT_ACTS(&out, SEND, ANNOUNCE, REOPEN);
	assert_int_equal(ctr(&fsm)->contests, 1);

	/* Only a MASTER with contest on cares. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_STALLED, T0 + 10, &out);
	EXPECT_NONE(&out);
	assert_false(vrrp_fsm_quiet(&fsm));
	c.contest = false;
	now = T0;
	make_master(&fsm, &c, 1, &now);
	step_type(&fsm, VRRP_EV_STALLED, now + 10, &out);
	EXPECT_NONE(&out);
	assert_false(vrrp_fsm_quiet(&fsm));
	step_type(&fsm, VRRP_EV_TIMER, now + 1000, &out);
	EXPECT_ACTS(&out, SEND);
}

/* ================================================================== */
/* A fake network: N FSMs plus the owner's answers, zero-latency adverts */
/* ================================================================== */

#define NET_MAX 4
#define NET_QUEUE 64
#define WITNESS_DELAY 50u   /* the owner answers a probe this fast */
#define CONTEST_DELAY 100u  /* ... and a contest */

struct net {
	uint64_t now;
	int n;
	bool plain;                       /* fail on any data safety action */
	struct vrrp_fsm fsm[NET_MAX];
	bool connected[NET_MAX];          /* false: no adverts in or out */
	bool frozen[NET_MAX];             /* no events at all (host frozen) */
	bool never_master[NET_MAX];       /* fail if it becomes MASTER */
	bool vips[NET_MAX];               /* what the glue would hold */
	uint64_t wakeup[NET_MAX];
	unsigned transitions[NET_MAX];
	unsigned adverts_sent[NET_MAX];
	uint64_t master_since[NET_MAX];
	enum vrrp_fsm_reason last_reason[NET_MAX];
	/* The owner's witness: what node i's probe finds, and its answer. */
	bool served[NET_MAX];
	bool answers[NET_MAX];            /* false: the probe never answers */
	bool probe_pending[NET_MAX];
	uint32_t probe_seq[NET_MAX];
	uint64_t probe_started[NET_MAX];
	unsigned probes[NET_MAX];
	unsigned cancels[NET_MAX];
	/* The owner's contest: epochs compared CONTEST_DELAY later. */
	int epoch[NET_MAX];
	bool contest_open[NET_MAX];
	uint64_t contest_at[NET_MAX];
	struct vrrp_fsm_advert contest_peer[NET_MAX];
	unsigned contest_starts[NET_MAX];
	unsigned reopens[NET_MAX];
	struct { int from; uint8_t prio; } q[NET_QUEUE];
	int qn;
	int settled_master;               /* -1: do not check */
	unsigned master_changes;          /* after net_settle() */
};

static void net_init(struct net *net)
{
	memset(net, 0, sizeof(*net));
	net->now = T0;
	net->settled_master = -1;
}

static int net_add(struct net *net, const struct vrrp_fsm_config *c)
{
	int i = net->n++;
	struct vrrp_fsm_addr a = addr4((uint8_t)(i + 1));

	assert_true(i < NET_MAX);
	assert_int_equal(vrrp_fsm_init(&net->fsm[i], c, &a), 0);
	net->connected[i] = true;
	net->answers[i] = true;
	net->epoch[i] = 1;
	return i;
}

static void net_exec(struct net *net, int i, const struct vrrp_fsm_actions *out)
{
	for (size_t k = 0; k < out->count; k++) {
		const struct vrrp_fsm_action *a = &out->list[k];

		if (net->plain && a->type >= VRRP_ACT_WITNESS_START)
			fail_msg("node %d: %s with data safety off", i,
				 vrrp_fsm_action_name(a->type));
		switch (a->type) {
		case VRRP_ACT_SEND_ADVERT:
			net->adverts_sent[i]++;
			if (!net->connected[i])
				break;
			assert_true(net->qn < NET_QUEUE);
			net->q[net->qn].from = i;
			net->q[net->qn].prio = a->advert_priority;
			net->qn++;
			break;
		case VRRP_ACT_ADD_VIPS:
			assert_false(net->vips[i]);
			net->vips[i] = true;
			break;
		case VRRP_ACT_REMOVE_VIPS:
			assert_true(net->vips[i]);
			net->vips[i] = false;
			break;
		case VRRP_ACT_ANNOUNCE:
			assert_true(net->vips[i]);  /* GARP only for VIPs we hold */
			break;
		case VRRP_ACT_STATE_CHANGED:
			assert_int_equal(k, out->count - 1);  /* always last */
			assert_int_equal(a->change.to, vrrp_fsm_state(&net->fsm[i]));
			if (a->change.to == VRRP_STATE_MASTER && net->never_master[i])
				fail_msg("node %d became MASTER (%s) at %llu", i,
					 vrrp_fsm_reason_name(a->change.reason),
					 (unsigned long long)net->now);
			/* A probe never outlives BACKUP. */
			assert_false(net->probe_pending[i]);
			net->transitions[i]++;
			net->last_reason[i] = a->change.reason;
			if (a->change.to == VRRP_STATE_MASTER)
				net->master_since[i] = net->now;
			if (a->change.from == VRRP_STATE_MASTER)
				net->contest_open[i] = false;  /* moot */
			break;
		case VRRP_ACT_WITNESS_START:
			expect_state(&net->fsm[i], VRRP_STATE_BACKUP);
			assert_false(net->probe_pending[i]);
			assert_true(a->witness_seq > net->probe_seq[i]);
			net->probe_pending[i] = true;
			net->probe_seq[i] = a->witness_seq;
			net->probe_started[i] = net->now;
			net->probes[i]++;
			break;
		case VRRP_ACT_WITNESS_CANCEL:
			assert_true(net->probe_pending[i]);
			net->probe_pending[i] = false;
			net->cancels[i]++;
			break;
		case VRRP_ACT_CONTEST_START:
			expect_state(&net->fsm[i], VRRP_STATE_MASTER);
			assert_false(net->contest_open[i]);  /* once per contest */
			net->contest_open[i] = true;
			net->contest_at[i] = net->now + CONTEST_DELAY;
			net->contest_peer[i] = a->peer;
			net->contest_starts[i]++;
			break;
		case VRRP_ACT_REOPEN:
			assert_true(net->vips[i]);
			net->reopens[i]++;
			break;
		case VRRP_ACT_COUNT:
			fail();
		}
	}
	net->wakeup[i] = out->wakeup_ms;
	/* The glue's view and the FSM's must agree after every step. */
	assert_int_equal(net->vips[i],
			 vrrp_fsm_state(&net->fsm[i]) == VRRP_STATE_MASTER);
	assert_int_equal(net->probe_pending[i],
			 vrrp_fsm_witness_state(&net->fsm[i]) == VRRP_WITNESS_PENDING);
	assert_int_equal(net->contest_open[i], vrrp_fsm_contest_pending(&net->fsm[i]));
}

static void net_deliver(struct net *net);

static void net_event(struct net *net, int i, const struct vrrp_fsm_event *ev)
{
	struct vrrp_fsm_actions out;

	assert_false(net->frozen[i]);
	vrrp_fsm_step(&net->fsm[i], ev, net->now, &out);
	net_exec(net, i, &out);
	net_deliver(net);
}

static void net_deliver(struct net *net)
{
	/* Bounded: each delivery can only cause a bounded number of sends. */
	for (int guard = 0; net->qn > 0; guard++) {
		int from = net->q[0].from;
		uint8_t prio = net->q[0].prio;
		struct vrrp_fsm_event ev = { .type = VRRP_EV_ADVERT };

		assert_true(guard < 1000);
		memmove(&net->q[0], &net->q[1], (size_t)(net->qn - 1) * sizeof(net->q[0]));
		net->qn--;
		ev.advert.priority = prio;
		ev.advert.interval_ms = net->fsm[from].cfg.advert_interval_ms;
		ev.advert.src = addr4((uint8_t)(from + 1));
		for (int j = 0; j < net->n; j++) {
			struct vrrp_fsm_actions out;

			if (j == from || !net->connected[j] || net->frozen[j])
				continue;
			vrrp_fsm_step(&net->fsm[j], &ev, net->now, &out);
			net_exec(net, j, &out);
		}
	}
}

static void net_type(struct net *net, int i, enum vrrp_fsm_event_type type)
{
	struct vrrp_fsm_event ev = { .type = type };

	net_event(net, i, &ev);
}

static void net_prio(struct net *net, int i, uint8_t prio)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_PRIORITY };

	ev.priority = prio;
	net_event(net, i, &ev);
}

static void net_eligible(struct net *net, int i, bool flag)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_ELIGIBLE };

	ev.flag = flag;
	net_event(net, i, &ev);
}

/* The owner's epoch comparison: against the peer it was told about, or
 * (a stall: nobody heard) against the newest epoch elsewhere. */
static int net_epoch_cmp(const struct net *net, int i)
{
	const struct vrrp_fsm_advert *p = &net->contest_peer[i];
	int other = -1000000;

	for (int j = 0; j < net->n; j++) {
		if (j == i)
			continue;
		if (p->priority != 0 && p->src.bytes[3] != (uint8_t)(j + 1))
			continue;
		if (net->epoch[j] > other)
			other = net->epoch[j];
	}
	return (net->epoch[i] > other) - (net->epoch[i] < other);
}

static int net_master_count(const struct net *net, int *which)
{
	int count = 0;

	for (int i = 0; i < net->n; i++) {
		if (vrrp_fsm_state(&net->fsm[i]) == VRRP_STATE_MASTER) {
			count++;
			if (which)
				*which = i;
		}
	}
	return count;
}

/* After every instant: if settled, exactly one master, the same one. */
static void net_check(struct net *net)
{
	int m = -1;

	if (net->settled_master < 0)
		return;
	assert_int_equal(net_master_count(net, &m), 1);
	if (m != net->settled_master) {
		net->master_changes++;
		net->settled_master = m;
	}
}

/* When node i next needs something: its TIMER (a past wakeup means now),
 * a probe's answer, a contest's verdict. UINT64_MAX: nothing. */
static uint64_t net_next(const struct net *net, int i)
{
	uint64_t next = UINT64_MAX;

	if (net->frozen[i])
		return next;
	if (net->wakeup[i])
		next = net->wakeup[i] > net->now ? net->wakeup[i] : net->now;
	if (net->probe_pending[i] && net->answers[i] &&
	    net->probe_started[i] + WITNESS_DELAY < next)
		next = net->probe_started[i] + WITNESS_DELAY;
	if (net->contest_open[i] && net->contest_at[i] < next)
		next = net->contest_at[i];
	return next;
}

/* Advance the fake clock to @until, delivering everything on time. */
static void net_run(struct net *net, uint64_t until)
{
	for (unsigned guard = 0;; guard++) {
		uint64_t next = UINT64_MAX;

		assert_true(guard < 100000000u);
		for (int i = 0; i < net->n; i++) {
			uint64_t t = net_next(net, i);

			if (t < next)
				next = t;
		}
		if (next > until)
			break;
		assert_true(next >= net->now);
		net->now = next;
		for (int i = 0; i < net->n; i++) {
			if (net->frozen[i])
				continue;
			if (net->probe_pending[i] && net->answers[i] &&
			    net->probe_started[i] + WITNESS_DELAY <= net->now) {
				struct vrrp_fsm_event ev = { .type = VRRP_EV_WITNESS };

				ev.witness.seq = net->probe_seq[i];
				ev.witness.served = net->served[i];
				net->probe_pending[i] = false;
				net_event(net, i, &ev);
			}
			if (net->contest_open[i] && net->contest_at[i] <= net->now) {
				struct vrrp_fsm_event ev = { .type = VRRP_EV_CONTEST };

				ev.contest.epoch_cmp = net_epoch_cmp(net, i);
				net->contest_open[i] = false;
				net_event(net, i, &ev);
			}
			if (net->wakeup[i] && net->wakeup[i] <= net->now)
				net_type(net, i, VRRP_EV_TIMER);
		}
		net_check(net);
	}
	net->now = until;
}

/* Start counting master changes from the current master. */
static void net_settle(struct net *net)
{
	int m = -1;

	assert_int_equal(net_master_count(net, &m), 1);
	net->settled_master = m;
	net->master_changes = 0;
}

/* Node 0 starts alone and becomes master, then the others: converged. */
static void net_converge(struct net *net)
{
	for (int i = 0; i < net->n; i++)
		net_eligible(net, i, true);
	net_type(net, 0, VRRP_EV_STARTUP);
	net_run(net, net->now + 5000);
	for (int i = 1; i < net->n; i++)
		net_type(net, i, VRRP_EV_STARTUP);
	net_run(net, net->now + 10000);
	expect_state(&net->fsm[0], VRRP_STATE_MASTER);
	for (int i = 1; i < net->n; i++) {
		expect_state(&net->fsm[i], VRRP_STATE_BACKUP);
		assert_int_equal(net->probes[i], 0);  /* a master speaks */
	}
	net_settle(net);
}

/* ================================================================== */
/* Interactions on the fake network                                     */
/* ================================================================== */

/* The master falls silent while its VIP stays served (a VRRP-only
 * partition, a dead agent beside a healthy database): the backup's
 * witness vetoes every takeover; once the VIP is not served any more, the
 * backup takes over exactly at its deadline, the probe lead ms before. */
static void test_net_witness_served_then_not(void **state)
{
	struct net net;
	struct vrrp_fsm_config a = cfg_safe(200), b = cfg_safe(100);
	uint64_t d;
	uint64_t last = 0;
	unsigned n;

	(void)state;
	net_init(&net);
	net_add(&net, &a);
	net_add(&net, &b);
	net_converge(&net);
	/* Node 0 started alone: its own silence takeover was probed. */
	assert_int_equal(net.probes[0], 1);
	assert_int_equal(net.last_reason[0], VRRP_REASON_MASTER_DOWN_TIMER);

	net.settled_master = -1;
	net.connected[0] = false;   /* A's adverts are lost ... */
	net.served[1] = true;       /* ... its database still serves the VIP */
	net.never_master[1] = true;
	d = vrrp_fsm_master(&net.fsm[1])->heard_ms + MDI100;
	for (int chunk = 1; chunk <= 6; chunk++) {
		net_run(&net, d + (uint64_t)chunk * 10000);
		n = (unsigned)ctr(&net.fsm[1])->witness_vetoes;
		assert_true(n > last);  /* the counter keeps growing */
		last = n;
		expect_state(&net.fsm[1], VRRP_STATE_BACKUP);
	}
	/* One veto per Master_Down_Interval since the first deadline. */
	n = 1 + 60000 / MDI100;
	assert_int_equal(ctr(&net.fsm[1])->witness_vetoes, n);
	assert_int_equal(ctr(&net.fsm[1])->witness_probes, n);
	assert_int_equal(net.probes[1], n);
	assert_int_equal(net.cancels[1], 0);
	assert_int_equal(net.probe_started[1], d + (uint64_t)(n - 1) * MDI100 - LEAD);
	assert_int_equal(net.transitions[1], 1);

	/* The old master's server is gone too: not served. */
	net.served[1] = false;
	net.never_master[1] = false;
	net_run(&net, net.now + 10000);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	assert_int_equal(net.last_reason[1], VRRP_REASON_MASTER_DOWN_TIMER);
	assert_int_equal(net.master_since[1], d + (uint64_t)n * MDI100);
	assert_int_equal(net.probe_started[1], net.master_since[1] - LEAD);
	assert_int_equal(ctr(&net.fsm[1])->witness_vetoes, n);
	assert_int_equal(ctr(&net.fsm[1])->witness_overdue, 0);

	/* The partition heals; B promoted and wrote a newer epoch: A loses
	 * the contest, B keeps the VIP. Exactly one MASTER after. */
	net.epoch[1] = 2;
	net.connected[0] = true;
	net_run(&net, net.now + 10000);
	assert_int_equal(net_master_count(&net, NULL), 1);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	expect_state(&net.fsm[0], VRRP_STATE_BACKUP);
	assert_int_equal(net.last_reason[0], VRRP_REASON_CONTEST_LOST);
	assert_false(vrrp_fsm_eligible(&net.fsm[0]));
	net_settle(&net);
	net_run(&net, net.now + 3600000);
	assert_int_equal(net.master_changes, 0);
}

/* An ineligible backup never becomes MASTER, by any path; once eligible
 * it takes over at once. */
static void test_net_ineligible_every_path(void **state)
{
	enum how { SILENCE, SHUTDOWN, DEGRADE, RESIGN_PEER };
	static const struct {
		const char *name;
		enum how how;
		bool ht, preempt;
		uint8_t resign_below;
		enum vrrp_fsm_reason reason;
	} rows[] = {
		{ "silence", SILENCE, false, true, 0, VRRP_REASON_MASTER_DOWN_TIMER },
		{ "priority 0 (shutdown)", SHUTDOWN, false, true, 0, VRRP_REASON_PRIORITY_ZERO },
		{ "priority 0 (resign)", RESIGN_PEER, false, false, 0, VRRP_REASON_PRIORITY_ZERO },
		{ "preempt", DEGRADE, false, true, 0, VRRP_REASON_PREEMPT },
		{ "health takeover", DEGRADE, true, true, 0, VRRP_REASON_HEALTH_TAKEOVER },
		{ "health takeover, resign_below", DEGRADE, true, false, 100,
		  VRRP_REASON_HEALTH_TAKEOVER },
	};

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct net net;
		struct vrrp_fsm_config a = cfg_safe(200), b = cfg_safe(150);
		uint64_t e;

		print_message("  row: %s\n", rows[r].name);
		a.health_takeover = b.health_takeover = rows[r].ht;
		a.preempt = b.preempt = rows[r].preempt;
		a.resign_below = b.resign_below = rows[r].resign_below;
		net_init(&net);
		net_add(&net, &a);
		net_add(&net, &b);
		net_converge(&net);
		net.settled_master = -1;
		net.never_master[1] = true;
		net_eligible(&net, 1, false);
		switch (rows[r].how) {
		case SILENCE:
			net.connected[0] = false;
			break;
		case SHUTDOWN:
			net_type(&net, 0, VRRP_EV_SHUTDOWN);
			break;
		case RESIGN_PEER:
			/* A resigns; it is made ineligible too (a stale server
			 * until rejoined), so nobody takes over. */
			net.never_master[0] = true;
			net_eligible(&net, 0, false);
			net_type(&net, 0, VRRP_EV_RESIGN);
			break;
		case DEGRADE:
			net_prio(&net, 0, 50);
			break;
		}
		net_run(&net, net.now + 120000);
		expect_state(&net.fsm[1], VRRP_STATE_BACKUP);
		assert_int_equal(ctr(&net.fsm[1])->ineligible_blocks, 1);
		/* Nothing to corroborate while ineligible; never for a master
		 * that spoke. */
		assert_int_equal(net.probes[1], 0);
		assert_int_equal(net.transitions[1], 1);

		net.never_master[1] = false;
		e = net.now;
		net_eligible(&net, 1, true);
		net_run(&net, e + 2 * LEAD + WITNESS_DELAY);
		expect_state(&net.fsm[1], VRRP_STATE_MASTER);
		assert_int_equal(net.last_reason[1], rows[r].reason);
		if (rows[r].how == SILENCE) {
			/* A takeover on silence is probed first, at once. */
			assert_int_equal(net.probes[1], 1);
			assert_int_equal(net.probe_started[1], e);
			assert_true(net.master_since[1] <= e + 2 * LEAD);
		} else {
			assert_int_equal(net.probes[1], 0);
			assert_int_equal(net.master_since[1], e);
		}
		if (rows[r].how == DEGRADE)  /* A hears B (150 > 50) and contests */
			assert_int_equal(net.contest_starts[0], 1);
	}
}

/* Two masters meet (a partition heals) at equal epochs: priority decides,
 * exactly one MASTER after, stable. */
static void test_net_contest_equal_epochs(void **state)
{
	struct net net;
	struct vrrp_fsm_config a = cfg_safe(200), b = cfg_safe(100);
	unsigned sent;

	(void)state;
	net_init(&net);
	net_add(&net, &a);
	net_add(&net, &b);
	net.connected[1] = false;  /* partitioned from the start */
	net_eligible(&net, 0, true);
	net_eligible(&net, 1, true);
	net_type(&net, 0, VRRP_EV_STARTUP);
	net_type(&net, 1, VRRP_EV_STARTUP);
	net_run(&net, net.now + 10000);
	assert_int_equal(net_master_count(&net, NULL), 2);

	net.connected[1] = true;
	sent = net.adverts_sent[1];
	net_run(&net, net.now + 10000);
	assert_int_equal(net_master_count(&net, NULL), 1);
	expect_state(&net.fsm[0], VRRP_STATE_MASTER);
	expect_state(&net.fsm[1], VRRP_STATE_BACKUP);
	assert_int_equal(net.last_reason[1], VRRP_REASON_CONTEST_LOST);
	/* B heard A first and lost before its own next advert: A, which
	 * only ever heard B as a backup, may not have contested at all. */
	assert_int_equal(net.contest_starts[1], 1);
	assert_true(net.contest_starts[0] <= 1);
	assert_int_equal(net.reopens[0], net.contest_starts[0]);
	assert_int_equal(net.reopens[1], 0);
	assert_int_equal(ctr(&net.fsm[1])->contests_lost, 1);
	assert_int_equal(ctr(&net.fsm[0])->contests_lost, 0);
	assert_false(vrrp_fsm_eligible(&net.fsm[1]));
	/* The loser never sent priority 0 (it was not shutting down): at
	 * most its ordinary adverts before the verdict. */
	assert_true(net.adverts_sent[1] - sent <= 1 + CONTEST_DELAY / 1000 + 1);
	net_settle(&net);
	net_run(&net, net.now + 3600000);
	assert_int_equal(net.master_changes, 0);
}

/* The newer epoch wins whatever the priorities; the loser (higher
 * priority, preempt on) stays out while ineligible; rejoined and caught
 * up (equal epochs) it preempts, and priority decides again. */
static void test_net_contest_epoch_beats_priority(void **state)
{
	struct net net;
	struct vrrp_fsm_config a = cfg_safe(200), b = cfg_safe(100);
	uint64_t e;

	(void)state;
	net_init(&net);
	net_add(&net, &a);
	net_add(&net, &b);
	net.connected[1] = false;
	net_eligible(&net, 0, true);
	net_eligible(&net, 1, true);
	net_type(&net, 0, VRRP_EV_STARTUP);
	net_type(&net, 1, VRRP_EV_STARTUP);
	net_run(&net, net.now + 10000);
	assert_int_equal(net_master_count(&net, NULL), 2);
	net.epoch[1] = 2;  /* B took writes the other did not see */

	net.connected[1] = true;
	net_run(&net, net.now + 10000);
	assert_int_equal(net_master_count(&net, NULL), 1);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	expect_state(&net.fsm[0], VRRP_STATE_BACKUP);
	assert_int_equal(net.last_reason[0], VRRP_REASON_CONTEST_LOST);
	assert_false(vrrp_fsm_eligible(&net.fsm[0]));
	/* Each contest B won ended in a REOPEN. B may have had two: A's
	 * answer to B's winning advert reached B before A's own verdict,
	 * and a decided contest restarts on the next advert. */
	assert_true(net.reopens[1] >= 1);
	assert_int_equal(net.reopens[1], net.contest_starts[1]);
	assert_int_equal(net.contest_starts[0], 1);
	assert_int_equal(net.reopens[0], 0);

	/* A (200) hears B (100) and would preempt: held back. */
	net_settle(&net);
	net.never_master[0] = true;
	net_run(&net, net.now + 600000);
	assert_int_equal(net.master_changes, 0);
	assert_int_equal(ctr(&net.fsm[0])->ineligible_blocks, 1);

	/* Rejoined as a replica and caught up: equal epochs, eligible. */
	net.never_master[0] = false;
	net.settled_master = -1;
	net.epoch[0] = 2;
	e = net.now;
	net_eligible(&net, 0, true);
	net_run(&net, e + 10000);
	assert_int_equal(net.master_since[0], e);
	assert_int_equal(net_master_count(&net, NULL), 1);
	expect_state(&net.fsm[0], VRRP_STATE_MASTER);
	assert_int_equal(net.last_reason[1], VRRP_REASON_CONTEST_LOST);
	net_settle(&net);
	net_run(&net, net.now + 3600000);
	assert_int_equal(net.master_changes, 0);
}

/* A frozen master wakes up after its backup took over: it says nothing,
 * contests, loses to the newer epoch, and steps down without a word. */
static void test_net_frozen_master_wakes(void **state)
{
	struct net net;
	struct vrrp_fsm_config a = cfg_safe(200), b = cfg_safe(100);
	uint64_t d;
	unsigned sent;

	(void)state;
	net_init(&net);
	net_add(&net, &a);
	net_add(&net, &b);
	net_converge(&net);
	net.settled_master = -1;

	net.frozen[0] = true;
	net.served[1] = false;  /* a frozen host answers no query */
	d = vrrp_fsm_master(&net.fsm[1])->heard_ms + MDI100;
	net_run(&net, d + 100);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	assert_int_equal(net.master_since[1], d);
	assert_int_equal(net.probe_started[1], d - LEAD);
	net.epoch[1] = 2;
	net_run(&net, net.now + 10000);
	assert_int_equal(net_master_count(&net, NULL), 2);  /* A is frozen */

	/* A wakes: the glue reports the stall before anything else. */
	net.frozen[0] = false;
	sent = net.adverts_sent[0];
	net_type(&net, 0, VRRP_EV_STALLED);
	assert_int_equal(net.contest_starts[0], 1);
	assert_true(vrrp_fsm_quiet(&net.fsm[0]));
	net_run(&net, net.now + 10000);
	expect_state(&net.fsm[0], VRRP_STATE_BACKUP);
	assert_int_equal(net.last_reason[0], VRRP_REASON_CONTEST_LOST);
	assert_int_equal(net.adverts_sent[0], sent);  /* not a word */
	assert_int_equal(net.contest_starts[1], 0);   /* B never heard it */
	assert_false(vrrp_fsm_quiet(&net.fsm[0]));
	assert_int_equal(net_master_count(&net, NULL), 1);
	net_settle(&net);
	net_run(&net, net.now + 3600000);
	assert_int_equal(net.master_changes, 0);
}

/* A planned handover: the master resigns, the peer takes over after its
 * Skew_Time, the old master stays BACKUP. */
static void test_net_resign(void **state)
{
	struct net net;
	struct vrrp_fsm_config a = cfg_safe(200), b = cfg_safe(100);
	uint64_t r;

	(void)state;
	a.preempt = b.preempt = false;
	net_init(&net);
	net_add(&net, &a);
	net_add(&net, &b);
	net_converge(&net);
	net_run(&net, net.now + 300);
	r = net.now;
	net_type(&net, 0, VRRP_EV_RESIGN);
	expect_state(&net.fsm[0], VRRP_STATE_BACKUP);
	assert_int_equal(net.last_reason[0], VRRP_REASON_RESIGN);
	net_run(&net, r + 10000);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	assert_int_equal(net.master_since[1], r + SKEW100);
	assert_int_equal(net.last_reason[1], VRRP_REASON_PRIORITY_ZERO);
	assert_int_equal(net.probes[1], 0);
	assert_int_equal(net.master_changes, 1);
	net_run(&net, net.now + 3600000);
	assert_int_equal(net.master_changes, 1);
	assert_int_equal(net.contest_starts[0] + net.contest_starts[1], 0);
}

/* ================================================================== */
/* All off: plain VRRP, unchanged                                       */
/* ================================================================== */

static void test_all_off_unchanged(void **state)
{
	static const enum vrrp_fsm_event_type news[] = {
		VRRP_EV_ELIGIBLE, VRRP_EV_WITNESS, VRRP_EV_CONTEST, VRRP_EV_STALLED,
	};
	struct net net;
	struct vrrp_fsm_config a = cfg_make(3, 200), b = cfg_make(3, 100);
	uint64_t d, t;

	(void)state;
	net_init(&net);
	net.plain = true;
	net_add(&net, &a);
	net_add(&net, &b);
	net_converge(&net);
	net.settled_master = -1;

	/* The new events are absorbed in every state, changing nothing. */
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < sizeof(news) / sizeof(news[0]); k++) {
			for (int v = -1; v <= 1; v++) {
				struct vrrp_fsm_event ev = { .type = news[k] };
				struct vrrp_fsm_actions out;
				uint64_t before = vrrp_fsm_next_wakeup(&net.fsm[i]);
				enum vrrp_state st = vrrp_fsm_state(&net.fsm[i]);

				if (news[k] == VRRP_EV_ELIGIBLE)
					ev.flag = v > 0;
				else if (news[k] == VRRP_EV_WITNESS)
					ev.witness = (struct vrrp_fsm_witness){ (uint32_t)(v + 1), v > 0 };
				else if (news[k] == VRRP_EV_CONTEST)
					ev.contest.epoch_cmp = v;
				vrrp_fsm_step(&net.fsm[i], &ev, net.now, &out);
				EXPECT_NONE(&out);
				assert_int_equal(out.wakeup_ms, before);
				assert_int_equal(vrrp_fsm_state(&net.fsm[i]), st);
				assert_true(vrrp_fsm_eligible(&net.fsm[i]));
				assert_false(vrrp_fsm_quiet(&net.fsm[i]));
				assert_false(vrrp_fsm_contest_pending(&net.fsm[i]));
			}
		}
	}

	/* Silence: takeover exactly at the Master_Down_Timer. */
	net.connected[0] = false;
	d = vrrp_fsm_master(&net.fsm[1])->heard_ms + MDI100;
	assert_int_equal(net.wakeup[1], d);  /* no lead */
	net_run(&net, d - 1);
	expect_state(&net.fsm[1], VRRP_STATE_BACKUP);
	net_run(&net, d);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	assert_int_equal(net.last_reason[1], VRRP_REASON_MASTER_DOWN_TIMER);
	/* Healed: the lower master yields on the higher's advert. */
	net.connected[0] = true;
	net_run(&net, net.now + 2000);
	expect_state(&net.fsm[1], VRRP_STATE_BACKUP);
	assert_int_equal(net.last_reason[1], VRRP_REASON_HIGHER_PRIORITY);
	expect_state(&net.fsm[0], VRRP_STATE_MASTER);
	/* Shutdown: priority 0, takeover after Skew_Time. */
	net_run(&net, net.now + 5000);
	t = net.now;
	net_type(&net, 0, VRRP_EV_SHUTDOWN);
	net_run(&net, t + SKEW100);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	assert_int_equal(net.last_reason[1], VRRP_REASON_PRIORITY_ZERO);
	assert_int_equal(net.master_since[1], t + SKEW100);

	for (int i = 0; i < 2; i++) {
		const struct vrrp_fsm_counters *k = ctr(&net.fsm[i]);

		assert_int_equal(k->ineligible_blocks, 0);
		assert_int_equal(k->witness_probes, 0);
		assert_int_equal(k->witness_vetoes, 0);
		assert_int_equal(k->witness_overdue, 0);
		assert_int_equal(k->contests, 0);
		assert_int_equal(k->contests_lost, 0);
		expect_witness(&net.fsm[i], VRRP_WITNESS_IDLE);
	}
}

/* ================================================================== */
/* Regressions: cases these tests found in the first version            */
/* ================================================================== */

/*
 * "Not served" takes over at the deadline, or at once when the answer
 * comes after it: the overdue limit (started + 2 * lead) must not delay an
 * answer that arrives in between. Also when the probe started late.
 */
static void test_witness_late_answer_decides_at_once(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_witness(100);
	struct vrrp_fsm_actions out;
	const uint64_t d = T0 + MDI100;
	uint32_t seq;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_TIMER, d - LEAD, &out);
	seq = expect_probe(&out);
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	EXPECT_NONE(&out);  /* no answer yet: wait for it */
	step_witness(&fsm, seq, false, d + 50, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_MASTER_DOWN_TIMER);

	/* Probe started late (woken after the deadline). */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_TIMER, d + 100, &out);
	seq = expect_probe(&out);
	step_witness(&fsm, seq, false, d + 150, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
}

/*
 * A witness veto cannot be bypassed by a rise of our own priority: a
 * master silent for two intervals no longer "advertises below us", so
 * no health takeover is armed from its last advert; the takeover stays
 * one on silence, corroborated first.
 */
static void test_priority_rise_keeps_witness(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_witness(100);
	struct vrrp_fsm_actions out;
	const uint64_t t1 = T0 + 100;
	const uint64_t d = t1 + MDI100;
	uint64_t now;

	(void)state;
	c.health_takeover = true;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 150, 1000, 2, t1, &out);
	step_type(&fsm, VRRP_EV_TIMER, d - LEAD, &out);
	step_witness(&fsm, expect_probe(&out), true, d - LEAD + 50, &out);
	step_type(&fsm, VRRP_EV_TIMER, d, &out);
	EXPECT_NONE(&out);
	assert_int_equal(ctr(&fsm)->witness_vetoes, 1);

	now = d + 400;
	step_prio(&fsm, 200, now, &out);
	/* The VIP stays served: 30 s of timers, every probe says so. */
	for (int i = 0; i < 100 && out.wakeup_ms && out.wakeup_ms < now + 30000; i++) {
		int w;

		now = out.wakeup_ms;
		step_type(&fsm, VRRP_EV_TIMER, now, &out);
		expect_state(&fsm, VRRP_STATE_BACKUP);
		w = find_action(&out, WSTART);
		if (w >= 0)
			step_witness(&fsm, out.list[w].witness_seq, true, now, &out);
	}
}

/*
 * A contest loser stays out for one Master_Down_Interval (fsm.h,
 * no_master_until_ms), even with eligibility off, so a higher-priority
 * loser cannot flap the VIP back and forth.
 */
static void test_contest_loser_holddown(void **state)
{
	struct net net;
	struct vrrp_fsm_config a = cfg_make(3, 200), b = cfg_make(3, 100);
	uint64_t lost;

	(void)state;
	a.contest = b.contest = true;
	a.health_takeover = b.health_takeover = true;
	net_init(&net);
	net_add(&net, &a);
	net_add(&net, &b);
	net.connected[1] = false;
	net_type(&net, 0, VRRP_EV_STARTUP);
	net_type(&net, 1, VRRP_EV_STARTUP);
	net_run(&net, net.now + 10000);
	assert_int_equal(net_master_count(&net, NULL), 2);
	net.epoch[1] = 2;
	net.connected[1] = true;
	/* Run until A has lost. */
	for (int i = 0; i < 100 && ctr(&net.fsm[0])->contests_lost == 0; i++)
		net_run(&net, net.now + 10);
	assert_int_equal(ctr(&net.fsm[0])->contests_lost, 1);
	lost = vrrp_fsm_last_change_ms(&net.fsm[0]);
	net.never_master[0] = true;
	net_run(&net, lost + MDI200 - 1);
	expect_state(&net.fsm[0], VRRP_STATE_BACKUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elig_starts_ineligible),
		cmocka_unit_test(test_elig_off_ignored),
		cmocka_unit_test(test_elig_master_heard_meanwhile),
		cmocka_unit_test(test_elig_blocks_every_timer_cause),
		cmocka_unit_test(test_elig_owner),
		cmocka_unit_test(test_witness_served_vetoes),
		cmocka_unit_test(test_witness_overdue),
		cmocka_unit_test(test_witness_adverts_cancel),
		cmocka_unit_test(test_witness_leaving_backup_cancels),
		cmocka_unit_test(test_witness_ineligible_then_eligible),
		cmocka_unit_test(test_witness_lead_and_wakeup),
		cmocka_unit_test(test_resign),
		cmocka_unit_test(test_resign_holddown_paths),
		cmocka_unit_test(test_contest_start_once),
		cmocka_unit_test(test_contest_verdicts),
		cmocka_unit_test(test_contest_lost_eligibility),
		cmocka_unit_test(test_stalled),
		cmocka_unit_test(test_net_witness_served_then_not),
		cmocka_unit_test(test_net_ineligible_every_path),
		cmocka_unit_test(test_net_contest_equal_epochs),
		cmocka_unit_test(test_net_contest_epoch_beats_priority),
		cmocka_unit_test(test_net_frozen_master_wakes),
		cmocka_unit_test(test_net_resign),
		cmocka_unit_test(test_all_off_unchanged),
		/* Regressions. */
		cmocka_unit_test(test_witness_late_answer_decides_at_once),
		cmocka_unit_test(test_priority_rise_keeps_witness),
		cmocka_unit_test(test_contest_loser_holddown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
