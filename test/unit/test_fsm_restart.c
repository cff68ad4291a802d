/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_fsm_restart.c: the VRRP state machine across a restart and a reload, on a fake
 * clock: vrrp_fsm_resume_master() (a re-executed vigild resumes as MASTER at once, unless
 * a fault or the owner's eligibility says no) and vrrp_fsm_update_config() (what a reload
 * may change under a running instance keeps its state and timers; the rest is refused
 * and changes nothing). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fsm.h"
#include "fsm_steps.h"

/* The other node of these tests: 198.18.0.2. */
#define PEER 2

/* Master_Down_Interval at 1 s and priority 150. */
#define MDI150 3414u

/* ================================================================== */
/* vrrp_fsm_resume_master()                                             */
/* ================================================================== */

/* The entry into MASTER at @now because of a restart, at priority @prio,
 * with the advert timer armed one interval on. */
static void expect_restart_master(const struct vrrp_fsm *fsm, const struct vrrp_fsm_actions *out,
				  uint64_t now, uint8_t prio, uint32_t interval)
{
	EXPECT_ACTS(out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_advert_prio(out, 0, prio);
	expect_change(out, VRRP_STATE_INIT, VRRP_STATE_MASTER, VRRP_REASON_RESTART);
	assert_int_equal(out->list[3].change.priority, prio);
	assert_int_equal(out->wakeup_ms, now + interval);
	expect_state(fsm, VRRP_STATE_MASTER);
	assert_int_equal(vrrp_fsm_last_reason(fsm), VRRP_REASON_RESTART);
	assert_int_equal(vrrp_fsm_last_change_ms(fsm), now);
	assert_int_equal(ctr(fsm)->by_reason[VRRP_REASON_RESTART], 1);
	assert_false(vrrp_fsm_master(fsm)->known);
}

static void test_reason_name(void **state)
{
	(void)state;
	assert_string_equal(vrrp_fsm_reason_name(VRRP_REASON_RESTART), "restart");
}

static void test_resume_starts_master(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	c.advert_interval_ms = 500;
	fsm_setup(&fsm, &c, 1);
	/* The scoring's priority before startup is the one advertised. */
	step_prio(&fsm, 80, T0 - 10, &out);
	EXPECT_NONE(&out);
	vrrp_fsm_resume_master(&fsm);
	expect_state(&fsm, VRRP_STATE_INIT);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	expect_restart_master(&fsm, &out, T0, 80, 500);
	assert_int_equal(vrrp_fsm_master_adver_interval_ms(&fsm), 500);

	/* An ordinary MASTER from then on: the Adver_Timer fires, an advert. */
	step_type(&fsm, VRRP_EV_TIMER, T0 + 500, &out);
	EXPECT_ACTS(&out, SEND);
	expect_advert_prio(&out, 0, 80);
	assert_int_equal(out.wakeup_ms, T0 + 1000);
	/* A higher priority still takes the VIP (RFC 5798 6.4.3). */
	step_advert(&fsm, 200, 500, PEER, T0 + 600, &out);
	EXPECT_ACTS(&out, REMOVE, CHANGED);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_BACKUP, VRRP_REASON_HIGHER_PRIORITY);

	/* The flag was used up: after a shutdown, a startup listens first. */
	step_type(&fsm, VRRP_EV_SHUTDOWN, T0 + 700, &out);
	expect_state(&fsm, VRRP_STATE_INIT);
	step_type(&fsm, VRRP_EV_STARTUP, T0 + 800, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);
	assert_int_equal(ctr(&fsm)->by_reason[VRRP_REASON_RESTART], 1);
}

/* Without the call, the same startup is an ordinary one. */
static void test_no_resume_starts_backup(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);
	assert_int_equal(out.wakeup_ms, T0 + MDI100);
}

/* v2 and an address owner resume the same way. */
static void test_resume_v2_and_owner(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(2, 120);
	struct vrrp_fsm_actions out;

	(void)state;
	c.advert_interval_ms = 2000;
	fsm_setup(&fsm, &c, 1);
	vrrp_fsm_resume_master(&fsm);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	expect_restart_master(&fsm, &out, T0, 120, 2000);

	c = cfg_make(3, 255);
	fsm_setup(&fsm, &c, 1);
	vrrp_fsm_resume_master(&fsm);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	expect_restart_master(&fsm, &out, T0, 255, 1000);
}

/* With data safety, an ineligible node starts BACKUP as at any startup,
 * and does not jump to MASTER when it becomes eligible later: it waits
 * out its Master_Down_Timer like any other BACKUP. */
static void test_resume_not_eligible(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	c.eligibility = true;
	fsm_setup(&fsm, &c, 1);
	assert_false(vrrp_fsm_eligible(&fsm));
	vrrp_fsm_resume_master(&fsm);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);
	assert_int_equal(out.wakeup_ms, T0 + MDI100);
	step_eligible(&fsm, true, T0 + 100, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	assert_int_equal(out.wakeup_ms, T0 + MDI100);
	step_type(&fsm, VRRP_EV_TIMER, T0 + MDI100, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_REASON_MASTER_DOWN_TIMER);
	assert_int_equal(ctr(&fsm)->by_reason[VRRP_REASON_RESTART], 0);

	/* Eligible before startup: the restart resumes MASTER. */
	fsm_setup(&fsm, &c, 1);
	step_eligible(&fsm, true, T0 - 5, &out);
	vrrp_fsm_resume_master(&fsm);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	expect_restart_master(&fsm, &out, T0, 100, 1000);

	/* Told ineligible again before startup: BACKUP. */
	fsm_setup(&fsm, &c, 1);
	step_eligible(&fsm, true, T0 - 5, &out);
	vrrp_fsm_resume_master(&fsm);
	step_eligible(&fsm, false, T0 - 3, &out);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);
}

/* A fault at startup wins, and clears the flag: leaving FAULT later is
 * an ordinary startup, never a resume as master. */
static void test_resume_fault(void **state)
{
	static const struct {
		enum vrrp_fsm_event_type set, clear;
		enum vrrp_fsm_reason set_reason, clear_reason;
	} faults[] = {
		{ VRRP_EV_LINK_DOWN, VRRP_EV_LINK_UP, VRRP_REASON_LINK_DOWN, VRRP_REASON_LINK_UP },
		{ VRRP_EV_FAULT_SET, VRRP_EV_FAULT_CLEAR, VRRP_REASON_FATAL_CHECK,
		  VRRP_REASON_FATAL_CHECK_CLEARED },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		struct vrrp_fsm fsm;
		struct vrrp_fsm_config c = cfg_make(3, 100);
		struct vrrp_fsm_actions out;

		fsm_setup(&fsm, &c, 1);
		step_type(&fsm, faults[i].set, T0 - 10, &out);
		EXPECT_NONE(&out);
		vrrp_fsm_resume_master(&fsm);
		step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
		EXPECT_ACTS(&out, CHANGED);
		expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_FAULT, faults[i].set_reason);
		assert_int_equal(out.wakeup_ms, 0);

		step_type(&fsm, faults[i].clear, T0 + 1000, &out);
		EXPECT_ACTS(&out, CHANGED);
		expect_change(&out, VRRP_STATE_FAULT, VRRP_STATE_BACKUP, faults[i].clear_reason);
		assert_int_equal(out.wakeup_ms, T0 + 1000 + MDI100);
		assert_int_equal(ctr(&fsm)->by_reason[VRRP_REASON_RESTART], 0);

		/* Nor after a shutdown and startup. */
		step_type(&fsm, VRRP_EV_SHUTDOWN, T0 + 2000, &out);
		step_type(&fsm, VRRP_EV_STARTUP, T0 + 3000, &out);
		expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);
	}
}

/* The operator's resign holds across the call: never MASTER. */
static void test_resume_resigned(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, T0 - 10, &out);
	assert_true(vrrp_fsm_resigned(&fsm));
	vrrp_fsm_resume_master(&fsm);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);
}

/* Outside INIT the call changes nothing, now or at the next startup. */
static void test_resume_outside_init(void **state)
{
	struct vrrp_fsm fsm, before;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	/* BACKUP */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	before = fsm;
	vrrp_fsm_resume_master(&fsm);
	assert_memory_equal(&fsm, &before, sizeof(fsm));
	step_type(&fsm, VRRP_EV_SHUTDOWN, T0 + 100, &out);
	step_type(&fsm, VRRP_EV_STARTUP, T0 + 200, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);

	/* MASTER */
	make_master(&fsm, &c, 1, &now);
	before = fsm;
	vrrp_fsm_resume_master(&fsm);
	assert_memory_equal(&fsm, &before, sizeof(fsm));
	step_type(&fsm, VRRP_EV_SHUTDOWN, now + 100, &out);
	EXPECT_ACTS(&out, SEND, REMOVE, CHANGED);
	step_type(&fsm, VRRP_EV_STARTUP, now + 200, &out);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);

	/* FAULT */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_LINK_DOWN, T0 + 100, &out);
	expect_state(&fsm, VRRP_STATE_FAULT);
	before = fsm;
	vrrp_fsm_resume_master(&fsm);
	assert_memory_equal(&fsm, &before, sizeof(fsm));
	step_type(&fsm, VRRP_EV_LINK_UP, T0 + 200, &out);
	expect_change(&out, VRRP_STATE_FAULT, VRRP_STATE_BACKUP, VRRP_REASON_LINK_UP);
	assert_int_equal(ctr(&fsm)->by_reason[VRRP_REASON_RESTART], 0);
}

/* ================================================================== */
/* vrrp_fsm_update_config(): what a reload may change                   */
/* ================================================================== */

/* Apply @c to a running @fsm: accepted, and state, timer, counters and
 * the master heard are as they were. */
static void update_ok(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *c)
{
	struct vrrp_fsm before = *fsm;

	assert_int_equal(vrrp_fsm_update_config(fsm, c), 0);
	assert_int_equal(vrrp_fsm_state(fsm), vrrp_fsm_state(&before));
	assert_int_equal(vrrp_fsm_priority(fsm), vrrp_fsm_priority(&before));
	assert_int_equal(vrrp_fsm_next_wakeup(fsm), vrrp_fsm_next_wakeup(&before));
	/* v3's is learned from the master; v2's is our own interval. */
	if (c->version == 3)
		assert_int_equal(vrrp_fsm_master_adver_interval_ms(fsm),
				 vrrp_fsm_master_adver_interval_ms(&before));
	assert_memory_equal(vrrp_fsm_master(fsm), vrrp_fsm_master(&before),
			    sizeof(struct vrrp_fsm_peer));
	assert_memory_equal(ctr(fsm), ctr(&before), sizeof(struct vrrp_fsm_counters));
	assert_int_equal(vrrp_fsm_last_reason(fsm), vrrp_fsm_last_reason(&before));
	assert_int_equal(vrrp_fsm_last_change_ms(fsm), vrrp_fsm_last_change_ms(&before));
}

/* @c is refused and @fsm is byte for byte what it was. */
static void update_refused(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *c,
			   const char *what)
{
	struct vrrp_fsm before = *fsm;

	if (vrrp_fsm_update_config(fsm, c) != -EINVAL)
		fail_msg("a change of %s was not refused", what);
	assert_memory_equal(fsm, &before, sizeof(*fsm));
}

static void test_update_interval_master(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	make_master(&fsm, &c, 1, &now);
	assert_int_equal(vrrp_fsm_next_wakeup(&fsm), now + 1000);
	c.advert_interval_ms = 300;
	update_ok(&fsm, &c);
	/* The advert already due comes at its time... */
	step_type(&fsm, VRRP_EV_TIMER, now + 300, &out);
	EXPECT_NONE(&out);
	step_type(&fsm, VRRP_EV_TIMER, now + 1000, &out);
	EXPECT_ACTS(&out, SEND);
	expect_advert_prio(&out, 0, 100);
	/* ...and the next ones at the new interval. */
	assert_int_equal(out.wakeup_ms, now + 1300);
	step_type(&fsm, VRRP_EV_TIMER, now + 1300, &out);
	EXPECT_ACTS(&out, SEND);
	assert_int_equal(out.wakeup_ms, now + 1600);
	/* Longer again. */
	c.advert_interval_ms = 2500;
	update_ok(&fsm, &c);
	step_type(&fsm, VRRP_EV_TIMER, now + 1600, &out);
	EXPECT_ACTS(&out, SEND);
	assert_int_equal(out.wakeup_ms, now + 4100);
	expect_state(&fsm, VRRP_STATE_MASTER);
	assert_int_equal(ctr(&fsm)->transitions, 2);
}

/* A BACKUP keeps its Master_Down_Timer; once MASTER, it advertises at the
 * new interval. */
static void test_update_interval_backup(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 200, 1000, PEER, T0 + 100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, T0 + 100 + MDI100);
	c.advert_interval_ms = 400;
	update_ok(&fsm, &c);
	/* The master went silent: the timer runs out where it was set. */
	step_type(&fsm, VRRP_EV_TIMER, T0 + 100 + MDI100 - 1, &out);
	EXPECT_NONE(&out);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 100 + MDI100, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_REASON_MASTER_DOWN_TIMER);
	assert_int_equal(out.wakeup_ms, T0 + 100 + MDI100 + 400);
}

/*
 * v2 keeps no learned interval (RFC 3768 7.1: an advert whose interval
 * differs from ours is dropped), so its Master_Down_Interval is
 * 3 * Advertisement_Interval + Skew_Time from our own configuration. After
 * a reload to a longer interval, an advert is 5 s apart: the BACKUP must
 * wait 3 * 5 s + Skew_Time, not the old 3 * 1 s + Skew_Time, or it takes
 * the VIP between two adverts of a live master.
 */
static void test_update_interval_v2_backup(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(2, 100);
	struct vrrp_fsm_actions out;
	uint32_t mdi5 = vrrp_fsm_calc_master_down_ms(2, 100, 5000);

	(void)state;
	assert_int_equal(mdi5, 15609);
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 200, 1000, PEER, T0 + 100, &out);
	assert_int_equal(out.wakeup_ms, T0 + 100 + MDI100);
	c.advert_interval_ms = 5000;
	assert_int_equal(vrrp_fsm_update_config(&fsm, &c), 0);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	/* The master, reloaded too, now advertises every 5 s. */
	step_advert(&fsm, 200, 5000, PEER, T0 + 1100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(vrrp_fsm_master_down_interval_ms(&fsm), mdi5);
	assert_int_equal(out.wakeup_ms, T0 + 1100 + mdi5);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 1100 + MDI100, &out);
	EXPECT_NONE(&out);
	step_advert(&fsm, 200, 5000, PEER, T0 + 6100, &out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
}

/* The same for a v2 MASTER reloaded to 5 s that a higher priority then
 * pre-empts: as BACKUP it must wait out 3 * 5 s + Skew_Time. */
static void test_update_interval_v2_master_yields(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(2, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;
	uint32_t mdi5 = vrrp_fsm_calc_master_down_ms(2, 100, 5000);

	(void)state;
	make_master(&fsm, &c, 1, &now);
	c.advert_interval_ms = 5000;
	update_ok(&fsm, &c);
	step_type(&fsm, VRRP_EV_TIMER, now + 1000, &out);
	EXPECT_ACTS(&out, SEND);
	assert_int_equal(out.wakeup_ms, now + 6000);
	step_advert(&fsm, 200, 5000, PEER, now + 1500, &out);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_BACKUP, VRRP_REASON_HIGHER_PRIORITY);
	assert_int_equal(vrrp_fsm_master_down_interval_ms(&fsm), mdi5);
	assert_int_equal(out.wakeup_ms, now + 1500 + mdi5);
}

/* Preempt off on a running BACKUP: a lower-priority master's advert is
 * then accepted (the timer starts over) instead of discarded. */
static void test_update_preempt_backup(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	uint64_t t;

	(void)state;
	assert_int_equal(vrrp_fsm_calc_master_down_ms(3, 150, 1000), MDI150);
	/* Preempt on: the lower master is discarded and preempted. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	for (t = T0 + 100; t < T0 + MDI150; t += 1000) {
		step_advert(&fsm, 100, 1000, PEER, t, &out);
		EXPECT_NONE(&out);
		assert_int_equal(out.wakeup_ms, T0 + MDI150);
	}
	step_type(&fsm, VRRP_EV_TIMER, T0 + MDI150, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_REASON_PREEMPT);

	/* The same with preempt turned off after the first advert. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 100, 1000, PEER, T0 + 100, &out);
	assert_int_equal(out.wakeup_ms, T0 + MDI150);  /* discarded */
	c.preempt = false;
	update_ok(&fsm, &c);
	for (t = T0 + 1100; t < T0 + 20000; t += 1000) {
		/* Were the timer due (the advert discarded), it would fire here. */
		step_type(&fsm, VRRP_EV_TIMER, t, &out);
		EXPECT_NONE(&out);
		step_advert(&fsm, 100, 1000, PEER, t, &out);
		EXPECT_NONE(&out);
		/* Accepted: Master_Down_Timer = Master_Down_Interval from now. */
		assert_int_equal(out.wakeup_ms, t + MDI150);
		expect_state(&fsm, VRRP_STATE_BACKUP);
	}
	assert_int_equal(ctr(&fsm)->by_reason[VRRP_REASON_PREEMPT], 0);

	/* And on again: the next lower advert is discarded, then preempted. */
	c.preempt = true;
	update_ok(&fsm, &c);
	t -= 1000;
	step_advert(&fsm, 100, 1000, PEER, t + 1000, &out);
	assert_int_equal(out.wakeup_ms, t + MDI150);
	step_type(&fsm, VRRP_EV_TIMER, t + MDI150, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_REASON_PREEMPT);
}

/* A new preempt_delay applies from the next startup or leaving FAULT. */
static void test_update_preempt_delay(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	c.preempt_delay_ms = 10000;
	update_ok(&fsm, &c);
	/* Not retroactive: this startup had none, the lower master is discarded. */
	step_advert(&fsm, 100, 1000, PEER, T0 + 100, &out);
	assert_int_equal(out.wakeup_ms, T0 + MDI150);
	/* Through FAULT: within the new delay, the lower master is accepted. */
	step_type(&fsm, VRRP_EV_LINK_DOWN, T0 + 200, &out);
	step_type(&fsm, VRRP_EV_LINK_UP, T0 + 300, &out);
	expect_change(&out, VRRP_STATE_FAULT, VRRP_STATE_BACKUP, VRRP_REASON_LINK_UP);
	uint64_t t;
	for (t = T0 + 400; t < T0 + 300 + 10000; t += 1000) {
		step_type(&fsm, VRRP_EV_TIMER, t, &out);
		EXPECT_NONE(&out);
		step_advert(&fsm, 100, 1000, PEER, t, &out);
		EXPECT_NONE(&out);
		assert_int_equal(out.wakeup_ms, t + MDI150);
	}
	/* After it, discarded again: the timer runs out, preempt. */
	step_advert(&fsm, 100, 1000, PEER, t, &out);
	assert_int_equal(out.wakeup_ms, t - 1000 + MDI150);
	step_type(&fsm, VRRP_EV_TIMER, t - 1000 + MDI150, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_REASON_PREEMPT);
}

/* Health takeover turned on: a lower master's advert arms the takeover
 * (Master_Down_Timer = Skew_Time) instead of being discarded. */
static void test_update_health_takeover(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	uint32_t skew150 = vrrp_fsm_calc_skew_ms(3, 150, 1000);

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 200, 1000, PEER, T0 + 100, &out);
	assert_int_equal(out.wakeup_ms, T0 + 100 + MDI150);
	c.health_takeover = true;
	update_ok(&fsm, &c);
	assert_int_equal(ctr(&fsm)->takeovers_armed, 0);
	/* The master degrades below us. */
	step_advert(&fsm, 100, 1000, PEER, T0 + 1100, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, T0 + 1100 + skew150);
	assert_int_equal(ctr(&fsm)->takeovers_armed, 1);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 1100 + skew150, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_REASON_HEALTH_TAKEOVER);
}

/* resign_below set, preempt off, health takeover on: a master below it is
 * taken over; before the change, it was accepted. */
static void test_update_resign_below(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	uint32_t skew150 = vrrp_fsm_calc_skew_ms(3, 150, 1000);

	(void)state;
	c.preempt = false;
	c.health_takeover = true;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 100, 1000, PEER, T0 + 100, &out);
	assert_int_equal(out.wakeup_ms, T0 + 100 + MDI150);  /* accepted */
	c.resign_below = 120;
	update_ok(&fsm, &c);
	step_advert(&fsm, 100, 1000, PEER, T0 + 1100, &out);
	assert_int_equal(out.wakeup_ms, T0 + 1100 + skew150);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 1100 + skew150, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_REASON_HEALTH_TAKEOVER);
}

/* The base priority of a non-owner: no state change, no timer moved, and
 * the effective priority is the scoring's to send (VRRP_EV_PRIORITY). */
static void test_update_base_priority(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	make_master(&fsm, &c, 1, &now);
	c.base_priority = 140;
	update_ok(&fsm, &c);
	step_type(&fsm, VRRP_EV_TIMER, now + 1000, &out);
	EXPECT_ACTS(&out, SEND);
	step_prio(&fsm, 140, now + 1100, &out);
	EXPECT_ACTS(&out, SEND);
	expect_advert_prio(&out, 0, 140);
	expect_state(&fsm, VRRP_STATE_MASTER);
	c.base_priority = 1;
	update_ok(&fsm, &c);
	c.base_priority = 254;
	update_ok(&fsm, &c);

	/* A BACKUP too. */
	c = cfg_make(3, 100);
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 200, 1000, PEER, T0 + 100, &out);
	c.base_priority = 150;
	update_ok(&fsm, &c);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	/* The owner's 255 stays the owner's. */
	c = cfg_make(3, 255);
	now = T0;
	make_master(&fsm, &c, 1, &now);
	c.advert_interval_ms = 500;
	update_ok(&fsm, &c);
	assert_int_equal(vrrp_fsm_priority(&fsm), 255);
}

/* Everything a reload may change, at once, on a data-safety instance. */
static void test_update_many_with_data_safety(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);

	(void)state;
	c.eligibility = true;
	c.contest = true;
	c.witness_lead_ms = LEAD;
	fsm_setup(&fsm, &c, 1);
	struct vrrp_fsm_actions out;
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	c.advert_interval_ms = 200;
	c.base_priority = 90;
	c.preempt = false;
	c.preempt_delay_ms = 5000;
	c.health_takeover = true;
	c.resign_below = 50;
	c.witness_lead_ms = LEAD + 200;  /* still on */
	update_ok(&fsm, &c);
	assert_false(vrrp_fsm_eligible(&fsm));
	/* Applied: a second update with the same config is a no-op, and a
	 * change back is accepted too. */
	update_ok(&fsm, &c);
	c = cfg_make(3, 100);
	c.eligibility = true;
	c.contest = true;
	c.witness_lead_ms = LEAD;
	update_ok(&fsm, &c);
}

/* What defines the virtual router, or what was set up around it: refused,
 * nothing changed, in every running state. */
static void test_update_refused(void **state)
{
	(void)state;
	for (int which = 0; which < 3; which++) {
		struct vrrp_fsm fsm;
		struct vrrp_fsm_config base = cfg_make(3, 100), c;
		struct vrrp_fsm_actions out;
		uint64_t now = T0;

		if (which == 0) {
			make_master(&fsm, &base, 1, &now);
		} else {
			fsm_setup(&fsm, &base, 1);
			step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
			step_advert(&fsm, 200, 1000, PEER, T0 + 100, &out);
			if (which == 2)
				step_type(&fsm, VRRP_EV_LINK_DOWN, T0 + 200, &out);
		}
		c = base; c.version = 2;  /* 1 s is valid for both */
		assert_int_equal(vrrp_fsm_config_check(&c), 0);
		update_refused(&fsm, &c, "version");
		c = base; c.vrid = 52;
		update_refused(&fsm, &c, "vrid");
		c = base; c.base_priority = 255;
		update_refused(&fsm, &c, "non-owner -> owner");
		c = base; c.eligibility = true;
		update_refused(&fsm, &c, "eligibility on");
		c = base; c.contest = true;
		update_refused(&fsm, &c, "contest on");
		c = base; c.witness_lead_ms = LEAD;
		update_refused(&fsm, &c, "witness on");
		c = base; c.advert_interval_ms = 15;
		update_refused(&fsm, &c, "advert interval 15 ms");
		c = base; c.advert_interval_ms = 0;
		update_refused(&fsm, &c, "advert interval 0");
		c = base; c.advert_interval_ms = 40960;
		update_refused(&fsm, &c, "advert interval 40960 ms");
		c = base; c.base_priority = 0;
		update_refused(&fsm, &c, "base priority 0");
		/* One refused key among allowed ones: nothing is applied. */
		c = base; c.advert_interval_ms = 500; c.preempt = false; c.vrid = 9;
		update_refused(&fsm, &c, "vrid with the interval");
		/* The unchanged config is still fine. */
		update_ok(&fsm, &base);
	}
}

static void test_update_refused_owner_and_off(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config base = cfg_make(3, 255), c;
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	make_master(&fsm, &base, 1, &now);
	c = base; c.base_priority = 254;
	update_refused(&fsm, &c, "owner -> non-owner");
	c = base; c.base_priority = 100;
	update_refused(&fsm, &c, "owner -> non-owner");

	/* Data safety turned off. */
	base = cfg_make(3, 100);
	base.eligibility = true;
	base.contest = true;
	base.witness_lead_ms = LEAD;
	fsm_setup(&fsm, &base, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	c = base; c.eligibility = false;
	update_refused(&fsm, &c, "eligibility off");
	c = base; c.contest = false;
	update_refused(&fsm, &c, "contest off");
	c = base; c.witness_lead_ms = 0;
	update_refused(&fsm, &c, "witness off");
	/* v2 intervals are whole seconds. */
	base = cfg_make(2, 100);
	fsm_setup(&fsm, &base, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	c = base; c.advert_interval_ms = 1500;
	update_refused(&fsm, &c, "v2 interval 1.5 s");
	c = base; c.version = 3;
	update_refused(&fsm, &c, "version 2 -> 3");
	assert_int_equal(vrrp_fsm_update_config(NULL, &base), -EINVAL);
	assert_int_equal(vrrp_fsm_update_config(&fsm, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_name),
		cmocka_unit_test(test_resume_starts_master),
		cmocka_unit_test(test_no_resume_starts_backup),
		cmocka_unit_test(test_resume_v2_and_owner),
		cmocka_unit_test(test_resume_not_eligible),
		cmocka_unit_test(test_resume_fault),
		cmocka_unit_test(test_resume_resigned),
		cmocka_unit_test(test_resume_outside_init),
		cmocka_unit_test(test_update_interval_master),
		cmocka_unit_test(test_update_interval_backup),
		cmocka_unit_test(test_update_interval_v2_backup),
		cmocka_unit_test(test_update_interval_v2_master_yields),
		cmocka_unit_test(test_update_preempt_backup),
		cmocka_unit_test(test_update_preempt_delay),
		cmocka_unit_test(test_update_health_takeover),
		cmocka_unit_test(test_update_resign_below),
		cmocka_unit_test(test_update_base_priority),
		cmocka_unit_test(test_update_many_with_data_safety),
		cmocka_unit_test(test_update_refused),
		cmocka_unit_test(test_update_refused_owner_and_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
