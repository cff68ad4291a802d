/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_fsm_witness.c: the VRRP state machine's data safety on one instance and a fake
 * clock, before MASTER and on the way out: eligibility, witness, resign (docs/data-safety.md). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fsm.h"
#include "fsm_steps.h"

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

/* ================================================================== */
/* Quorum: a priority-0 hand-over corroborated too                      */
/* ================================================================== */

/* With corroborate_all (quorum on etcd) the takeover after a priority-0
 * advert waits for the probe (its cause says a master spoke); a veto
 * keeps the node BACKUP; without the flag the same hand-over takes over
 * at Skew_Time with no probe. */
static void test_handover_corroborated(void **state)
{
	struct vrrp_fsm_actions out;

	(void)state;
	for (int on = 0; on <= 1; on++) {
		for (int served = 0; served <= 1; served++) {
			struct vrrp_fsm fsm;
			struct vrrp_fsm_config c = cfg_make(3, 100);
			uint64_t t1 = T0 + 1000;

			c.witness_lead_ms = LEAD;
			c.corroborate_all = on;
			fsm_setup(&fsm, &c, 1);
			step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
			step_advert(&fsm, 200, 1000, 2, T0 + 100, &out);
			EXPECT_NONE(&out);
			/* The master leaves: Skew_Time, then a takeover. */
			step_advert(&fsm, 0, 1000, 2, t1, &out);
			EXPECT_NONE(&out);
			if (!on) {
				assert_int_equal(out.wakeup_ms, t1 + SKEW100);
				step_type(&fsm, VRRP_EV_TIMER, t1 + SKEW100, &out);
				EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
				expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
					      VRRP_REASON_PRIORITY_ZERO);
				assert_int_equal(ctr(&fsm)->witness_probes, 0);
				continue;
			}
			/* The probe starts LEAD before the deadline, and says
			 * it is no takeover on silence. */
			assert_int_equal(out.wakeup_ms, t1 + SKEW100 - LEAD);
			step_type(&fsm, VRRP_EV_TIMER, t1 + SKEW100 - LEAD, &out);
			EXPECT_ACTS(&out, WSTART);
			assert_int_equal(out.list[0].witness_cause, VRRP_REASON_PRIORITY_ZERO);
			step_witness(&fsm, out.list[0].witness_seq, served, t1 + SKEW100 - 100, &out);
			EXPECT_NONE(&out);
			step_type(&fsm, VRRP_EV_TIMER, t1 + SKEW100, &out);
			if (served) {
				/* Vetoed: BACKUP, looked at again one
				 * Master_Down_Interval later. */
				EXPECT_NONE(&out);
				expect_state(&fsm, VRRP_STATE_BACKUP);
				assert_int_equal(ctr(&fsm)->witness_vetoes, 1);
				assert_int_equal(out.wakeup_ms, t1 + SKEW100 + MDI100 - LEAD);
			} else {
				EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
				expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
					      VRRP_REASON_PRIORITY_ZERO);
			}
		}
	}
}

/* A takeover on silence says so in its probe. */
static void test_silence_probe_flag(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	c.witness_lead_ms = LEAD;
	c.corroborate_all = true;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	assert_int_equal(out.wakeup_ms, T0 + MDI100 - LEAD);
	step_type(&fsm, VRRP_EV_TIMER, T0 + MDI100 - LEAD, &out);
	EXPECT_ACTS(&out, WSTART);
	assert_int_equal(out.list[0].witness_cause, VRRP_REASON_MASTER_DOWN_TIMER);
}

/* With corroborate_all a health takeover waits for the probe too: vetoed
 * (the degraded master still holds the key), the node stays BACKUP. */
static void test_health_takeover_corroborated(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t t1 = T0 + 1000;

	(void)state;
	c.witness_lead_ms = LEAD;
	c.corroborate_all = true;
	c.health_takeover = true;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 200, 1000, 2, T0 + 100, &out);
	/* The master degrades below us: a health takeover after Skew_Time,
	 * whose probe starts LEAD before it. */
	step_advert(&fsm, 50, 1000, 2, t1, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, t1 + SKEW100 - LEAD);
	step_type(&fsm, VRRP_EV_TIMER, t1 + SKEW100 - LEAD, &out);
	EXPECT_ACTS(&out, WSTART);
	assert_int_equal(out.list[0].witness_cause, VRRP_REASON_HEALTH_TAKEOVER);
	step_witness(&fsm, out.list[0].witness_seq, true, t1 + SKEW100 - 100, &out);
	step_type(&fsm, VRRP_EV_TIMER, t1 + SKEW100, &out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	assert_int_equal(ctr(&fsm)->witness_vetoes, 1);
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
		/* Regressions. */
		cmocka_unit_test(test_witness_late_answer_decides_at_once),
		cmocka_unit_test(test_priority_rise_keeps_witness),
		cmocka_unit_test(test_handover_corroborated),
		cmocka_unit_test(test_silence_probe_flag),
		cmocka_unit_test(test_health_takeover_corroborated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
