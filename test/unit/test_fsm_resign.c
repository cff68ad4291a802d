/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_fsm_resign.c: the operator's resign and resume (vigilctl resign / resume) in the
 * VRRP state machine, on a fake clock: a resigned MASTER hands over with priority 0 and
 * stays BACKUP; a resigned node never becomes MASTER, by any path, until resumed; a
 * resign nobody takes over lapses; resume competes again through the normal paths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fsm.h"
#include "fsm_steps.h"

/* The master that takes over in these tests: 198.18.0.2 at priority 100. */
#define PEER 2
#define PEER_PRIO 100

/* Adverts of the peer every second from @from to @until (both included),
 * each accepted without any action; the last one's time is returned. */
static uint64_t peer_adverts(struct vrrp_fsm *fsm, uint64_t from, uint64_t until)
{
	struct vrrp_fsm_actions out;
	uint64_t t = from;

	for (; t <= until; t += 1000) {
		step_advert(fsm, PEER_PRIO, 1000, PEER, t, &out);
		EXPECT_NONE(&out);
		expect_state(fsm, VRRP_STATE_BACKUP);
		/* Accepted as the master: the Master_Down_Timer starts over. */
		assert_int_equal(out.wakeup_ms, t + MDI200);
	}
	return t - 1000;
}

/* Timer wakeups for @n Master_Down_Intervals of silence after @from:
 * every one held back, nothing sent, still BACKUP. */
static void silence(struct vrrp_fsm *fsm, uint64_t from, unsigned n)
{
	struct vrrp_fsm_actions out;
	uint64_t t = from;

	for (unsigned k = 0; k < n; k++) {
		t = vrrp_fsm_next_wakeup(fsm);
		assert_true(t > from);
		step_type(fsm, VRRP_EV_TIMER, t, &out);
		EXPECT_NONE(&out);
		expect_state(fsm, VRRP_STATE_BACKUP);
		from = t;
	}
}

/* ================================================================== */
/* A MASTER resigns                                                     */
/* ================================================================== */

static void test_master_resigns_priority_zero_then_backup(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 200);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, r, t;

	(void)state;
	make_master(&fsm, &c, 1, &now);
	assert_false(vrrp_fsm_resigned(&fsm));
	assert_int_equal(vrrp_fsm_resigned_ms(&fsm), 0);

	r = now + 300;
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, r, &out);
	/* RFC 5798 6.4.3's priority 0 (the best backup takes over after its
	 * Skew_Time), the VIPs go, BACKUP because "resign". */
	EXPECT_ACTS(&out, SEND, REMOVE, CHANGED);
	expect_advert_prio(&out, 0, 0);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_BACKUP, VRRP_REASON_RESIGN);
	assert_true(vrrp_fsm_resigned(&fsm));
	assert_int_equal(vrrp_fsm_resigned_ms(&fsm), r);
	assert_true(vrrp_fsm_handover_pending(&fsm));

	/* The peer took over: its first advert confirms the handover. */
	t = r + SKEW100;
	step_advert(&fsm, PEER_PRIO, 1000, PEER, t, &out);
	EXPECT_NONE(&out);
	assert_false(vrrp_fsm_handover_pending(&fsm));
	assert_true(vrrp_fsm_resigned(&fsm));

	/* It advertises 100, below our 200, and preempt is on: a node that
	 * is not resigned would take the VIP back. Ten Master_Down_Intervals
	 * of its adverts: accepted, never pre-empted. */
	t = peer_adverts(&fsm, t + 1000, t + 10 * MDI200);
	/* startup, master-down-timer, resign: nothing since. */
	assert_int_equal(ctr(&fsm)->transitions, 3);
	assert_int_equal(vrrp_fsm_last_reason(&fsm), VRRP_REASON_RESIGN);
	assert_int_equal(vrrp_fsm_master(&fsm)->priority, PEER_PRIO);
}

static void test_resigned_never_master_on_master_down_timer(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 200);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, r, t;

	(void)state;
	make_master(&fsm, &c, 1, &now);
	r = now + 100;
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, r, &out);
	t = peer_adverts(&fsm, r + SKEW100, r + SKEW100 + 5000);

	/* The new master dies: its Master_Down_Timer runs out, over and over,
	 * and each time the takeover is held back (counted once). */
	assert_int_equal(vrrp_fsm_next_wakeup(&fsm), t + MDI200);
	silence(&fsm, t, 10);
	assert_int_equal(ctr(&fsm)->ineligible_blocks, 1);
	assert_int_equal(ctr(&fsm)->resigns_unanswered, 0);

	/* A priority-0 advert (a master leaving) is no way in either. */
	t = vrrp_fsm_next_wakeup(&fsm) - 1000;
	step_advert(&fsm, 0, 1000, PEER, t, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, t + SKEW200);
	step_type(&fsm, VRRP_EV_TIMER, t + SKEW200, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	assert_true(vrrp_fsm_resigned(&fsm));
}

/* ================================================================== */
/* A BACKUP resigns: the flag only                                      */
/* ================================================================== */

static void test_backup_resign_sets_the_flag_only(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 200);
	struct vrrp_fsm_actions out;
	uint64_t t;

	(void)state;
	c.health_takeover = true;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, T0 + 10, &out);
	EXPECT_NONE(&out);
	assert_true(vrrp_fsm_resigned(&fsm));
	assert_false(vrrp_fsm_handover_pending(&fsm));
	assert_int_equal(out.wakeup_ms, T0 + MDI200);

	/* A master at 100 below our 200 with preempt and health takeover:
	 * no takeover is even armed. */
	t = peer_adverts(&fsm, T0 + 500, T0 + 500 + 5 * MDI200);
	assert_int_equal(ctr(&fsm)->takeovers_armed, 0);
	/* Our priority rising changes nothing either. */
	step_prio(&fsm, 254, t + 10, &out);
	EXPECT_NONE(&out);
	assert_int_equal(ctr(&fsm)->takeovers_armed, 0);
	step_prio(&fsm, 200, t + 20, &out);

	/* Silence: held back. */
	silence(&fsm, t, 5);
	assert_int_equal(ctr(&fsm)->transitions, 1);

	/* A fault and its end: back to BACKUP, still out of the running. */
	t = vrrp_fsm_next_wakeup(&fsm) - 1;
	step_type(&fsm, VRRP_EV_LINK_DOWN, t, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_FAULT, VRRP_REASON_LINK_DOWN);
	step_type(&fsm, VRRP_EV_LINK_UP, t + 100, &out);
	expect_change(&out, VRRP_STATE_FAULT, VRRP_STATE_BACKUP, VRRP_REASON_LINK_UP);
	silence(&fsm, t + 100, 5);
	assert_true(vrrp_fsm_resigned(&fsm));
	/* Nothing was handed over: there is nothing to lapse. */
	assert_int_equal(ctr(&fsm)->resigns_unanswered, 0);
}

static void test_resigned_owner_starts_backup(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, VRRP_PRIO_OWNER);
	struct vrrp_fsm_actions out;
	uint64_t mdi = vrrp_fsm_calc_master_down_ms(3, 255, 1000);

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, T0 - 10, &out);
	EXPECT_NONE(&out);
	/* The address owner goes straight to MASTER at startup; resigned, it
	 * starts as BACKUP and stays there. */
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);
	silence(&fsm, T0, 3);

	/* Resumed: as from startup, but through the Master_Down_Timer (no
	 * takeover forced). */
	step_type(&fsm, VRRP_EV_RESUME, T0 + 20000, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, T0 + 20000 + mdi);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 20000 + mdi, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_MASTER_DOWN_TIMER);
}

/* ================================================================== */
/* Resume                                                               */
/* ================================================================== */

/* A resigned BACKUP at 200 hearing the peer at 100; returns the time of
 * the peer's last advert. */
static uint64_t resigned_backup(struct vrrp_fsm *fsm, struct vrrp_fsm_config *c)
{
	struct vrrp_fsm_actions out;

	fsm_setup(fsm, c, 1);
	step_type(fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(fsm, VRRP_EV_ADMIN_RESIGN, T0 + 1, &out);
	return peer_adverts(fsm, T0 + 100, T0 + 100 + 3 * MDI200);
}

static void test_resume_preempts_through_the_timer(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 200);
	struct vrrp_fsm_actions out;
	uint64_t t, u;

	(void)state;
	t = resigned_backup(&fsm, &c) + 200;
	step_type(&fsm, VRRP_EV_RESUME, t, &out);
	EXPECT_NONE(&out);
	assert_false(vrrp_fsm_resigned(&fsm));
	assert_int_equal(vrrp_fsm_resigned_ms(&fsm), 0);
	assert_int_equal(out.wakeup_ms, t + MDI200);

	/* RFC 5798 6.4.2 preempt: the lower master's adverts are discarded,
	 * the timer runs out, MASTER because "preempt". */
	u = t + 800;
	step_advert(&fsm, PEER_PRIO, 1000, PEER, u, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, t + MDI200);
	step_advert(&fsm, PEER_PRIO, 1000, PEER, u + 1000, &out);
	step_type(&fsm, VRRP_EV_TIMER, t + MDI200, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_REASON_PREEMPT);
}

static void test_resume_health_takeover(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 200);
	struct vrrp_fsm_actions out;
	uint64_t t, u;

	(void)state;
	c.health_takeover = true;
	t = resigned_backup(&fsm, &c) + 200;
	assert_int_equal(ctr(&fsm)->takeovers_armed, 0);
	step_type(&fsm, VRRP_EV_RESUME, t, &out);
	EXPECT_NONE(&out);
	/* The next advert of the lower master starts the health takeover. */
	u = t + 800;
	step_advert(&fsm, PEER_PRIO, 1000, PEER, u, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, u + SKEW200);
	assert_int_equal(ctr(&fsm)->takeovers_armed, 1);
	step_type(&fsm, VRRP_EV_TIMER, u + SKEW200, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_HEALTH_TAKEOVER);
}

static void test_resume_with_a_higher_master_stays_backup(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t t;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, T0 + 1, &out);
	step_type(&fsm, VRRP_EV_RESUME, T0 + 2000, &out);
	/* A master above us: accepted as ever, no takeover. */
	for (t = T0 + 2500; t < T0 + 2500 + 5 * MDI100; t += 1000) {
		step_advert(&fsm, 200, 1000, PEER, t, &out);
		EXPECT_NONE(&out);
		assert_int_equal(out.wakeup_ms, t + MDI100);
	}
	expect_state(&fsm, VRRP_STATE_BACKUP);
}

static void test_resign_and_resume_are_idempotent(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 200);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, r;

	(void)state;
	make_master(&fsm, &c, 1, &now);
	/* Resume without a resign: nothing at all, the Adver_Timer kept. */
	step_type(&fsm, VRRP_EV_RESUME, now + 10, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_MASTER);
	assert_int_equal(out.wakeup_ms, now + 1000);

	r = now + 20;
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, r, &out);
	EXPECT_ACTS(&out, SEND, REMOVE, CHANGED);
	/* Resigned already: no second priority 0, the start time kept. */
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, r + 50, &out);
	EXPECT_NONE(&out);
	assert_int_equal(vrrp_fsm_resigned_ms(&fsm), r);
	assert_int_equal(ctr(&fsm)->by_reason[VRRP_REASON_RESIGN], 1);

	step_type(&fsm, VRRP_EV_RESUME, r + 100, &out);
	assert_false(vrrp_fsm_resigned(&fsm));
	assert_false(vrrp_fsm_handover_pending(&fsm));
	assert_int_equal(out.wakeup_ms, r + 100 + MDI200);
	step_type(&fsm, VRRP_EV_RESUME, r + 200, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, r + 100 + MDI200);
}

/* ================================================================== */
/* A resign nobody takes over lapses                                    */
/* ================================================================== */

static void test_resign_unanswered_lapses(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 200);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, r;

	(void)state;
	make_master(&fsm, &c, 1, &now);
	r = now + 100;
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, r, &out);
	assert_int_equal(out.wakeup_ms, r + MDI200);
	/* Nobody speaks: held back at one Master_Down_Interval... */
	step_type(&fsm, VRRP_EV_TIMER, r + MDI200, &out);
	EXPECT_NONE(&out);
	assert_true(vrrp_fsm_resigned(&fsm));
	assert_int_equal(out.wakeup_ms, r + 2 * MDI200);
	step_type(&fsm, VRRP_EV_TIMER, r + 2 * MDI200 - 1, &out);
	EXPECT_NONE(&out);
	/* ...and at two nobody took over: the VIP is not served, the resign
	 * lapses and this node takes it back. */
	step_type(&fsm, VRRP_EV_TIMER, r + 2 * MDI200, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_RESIGN_UNANSWERED);
	assert_false(vrrp_fsm_resigned(&fsm));
	assert_false(vrrp_fsm_handover_pending(&fsm));
	assert_int_equal(ctr(&fsm)->resigns_unanswered, 1);
}

static void test_resign_unanswered_goes_through_data_safety(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 200);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, r, t;
	uint32_t seq;

	(void)state;
	c.eligibility = true;
	c.witness_lead_ms = LEAD;
	make_master(&fsm, &c, 1, &now);
	r = now + 100;
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, r, &out);
	/* No witness probe while resigned: the wakeups are the plain ones. */
	assert_int_equal(out.wakeup_ms, r + MDI200);
	step_type(&fsm, VRRP_EV_TIMER, r + MDI200, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, r + 2 * MDI200);

	/* The lapse is a takeover on silence: the witness corroborates it.
	 * The VIP is served (a VRRP-only partition): stay BACKUP, try again. */
	t = r + 2 * MDI200;
	step_type(&fsm, VRRP_EV_TIMER, t, &out);
	seq = expect_probe(&out);
	assert_int_equal(out.wakeup_ms, t + 2 * LEAD);
	assert_false(vrrp_fsm_resigned(&fsm));
	step_witness(&fsm, seq, true, t + 50, &out);
	EXPECT_NONE(&out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	assert_int_equal(ctr(&fsm)->witness_vetoes, 1);

	/* Not served: MASTER, because the resign went unanswered. */
	t = vrrp_fsm_next_wakeup(&fsm);
	step_type(&fsm, VRRP_EV_TIMER, t, &out);
	seq = expect_probe(&out);
	step_witness(&fsm, seq, false, t + LEAD, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_RESIGN_UNANSWERED);
}

static void test_resign_answered_never_lapses(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 200);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, r;

	(void)state;
	make_master(&fsm, &c, 1, &now);
	r = now + 100;
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, r, &out);
	/* One advert of the new master, then it dies at once: the handover
	 * happened, so the silence after it is the operator's business. */
	step_advert(&fsm, PEER_PRIO, 1000, PEER, r + SKEW100, &out);
	silence(&fsm, r + SKEW100, 10);
	assert_int_equal(ctr(&fsm)->resigns_unanswered, 0);
	assert_true(vrrp_fsm_resigned(&fsm));
}

/* ================================================================== */
/* Data safety: eligibility does not override a resign                  */
/* ================================================================== */

static void test_resigned_eligible_backup_stays_out(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 200);
	struct vrrp_fsm_actions out;
	uint64_t t;

	(void)state;
	c.eligibility = true;
	c.witness_lead_ms = LEAD;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_ADMIN_RESIGN, T0 + 1, &out);
	/* Silence while ineligible, then the verdict turns: an eligible node
	 * would take over at once; a resigned one does not even wake up. */
	step_type(&fsm, VRRP_EV_TIMER, T0 + MDI200, &out);
	EXPECT_NONE(&out);
	t = T0 + MDI200 + 100;
	step_eligible(&fsm, true, t, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, T0 + 2 * MDI200);
	silence(&fsm, t, 5);
	assert_int_equal(ctr(&fsm)->witness_probes, 0);

	/* Resumed: the takeover on silence goes through the witness. */
	t = vrrp_fsm_next_wakeup(&fsm) - 1;
	step_type(&fsm, VRRP_EV_RESUME, t, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, t + MDI200 - LEAD);
	step_type(&fsm, VRRP_EV_TIMER, t + MDI200 - LEAD, &out);
	(void)expect_probe(&out);
}

/* ================================================================== */
/* Two nodes on the fake network                                        */
/* ================================================================== */

static void test_net_resign_and_resume(void **state)
{
	struct net net;
	struct vrrp_fsm_config hi = cfg_make(3, 200), lo = cfg_make(3, 100);
	int m = -1;

	(void)state;
	net_init(&net);
	net_add(&net, &hi);
	net_add(&net, &lo);
	net_converge(&net);
	assert_int_equal(net_master_count(&net, &m), 1);
	assert_int_equal(m, 0);

	/* Node 0 resigns: node 1 holds the VIP within its Skew_Time, and
	 * node 0 stays out for a minute although it has the higher priority
	 * and preempt. */
	net.never_master[0] = true;
	net_type(&net, 0, VRRP_EV_ADMIN_RESIGN);
	net_run(&net, net.now + SKEW100);
	assert_int_equal(net_master_count(&net, &m), 1);
	assert_int_equal(m, 1);
	assert_int_equal(net.last_reason[1], VRRP_REASON_PRIORITY_ZERO);
	net_settle(&net);
	net_run(&net, net.now + 60000);
	assert_int_equal(net.master_changes, 0);
	assert_false(vrrp_fsm_handover_pending(&net.fsm[0]));

	/* Resumed: node 0 pre-empts node 1 again (one change). */
	net.never_master[0] = false;
	net_type(&net, 0, VRRP_EV_RESUME);
	net_run(&net, net.now + 2 * MDI200);
	assert_int_equal(net.master_changes, 1);
	assert_int_equal(net.settled_master, 0);
	assert_int_equal(net.last_reason[0], VRRP_REASON_PREEMPT);
}

static void test_net_resign_with_no_backup_running(void **state)
{
	struct net net;
	struct vrrp_fsm_config hi = cfg_make(3, 200), lo = cfg_make(3, 100);
	int m = -1;

	(void)state;
	net_init(&net);
	net_add(&net, &hi);
	net_add(&net, &lo);
	/* Node 1's daemon is not running: only node 0 starts. */
	net_type(&net, 0, VRRP_EV_STARTUP);
	net_run(&net, net.now + 5000);
	assert_int_equal(net_master_count(&net, &m), 1);
	net_type(&net, 0, VRRP_EV_ADMIN_RESIGN);
	net_run(&net, net.now + 2 * MDI200 - 1);
	assert_int_equal(net_master_count(&net, NULL), 0);
	/* The resign lapses: the VIP is served again, by node 0. */
	net_run(&net, net.now + 1);
	assert_int_equal(net_master_count(&net, &m), 1);
	assert_int_equal(m, 0);
	assert_int_equal(net.last_reason[0], VRRP_REASON_RESIGN_UNANSWERED);
	assert_false(vrrp_fsm_resigned(&net.fsm[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master_resigns_priority_zero_then_backup),
		cmocka_unit_test(test_resigned_never_master_on_master_down_timer),
		cmocka_unit_test(test_backup_resign_sets_the_flag_only),
		cmocka_unit_test(test_resigned_owner_starts_backup),
		cmocka_unit_test(test_resume_preempts_through_the_timer),
		cmocka_unit_test(test_resume_health_takeover),
		cmocka_unit_test(test_resume_with_a_higher_master_stays_backup),
		cmocka_unit_test(test_resign_and_resume_are_idempotent),
		cmocka_unit_test(test_resign_unanswered_lapses),
		cmocka_unit_test(test_resign_unanswered_goes_through_data_safety),
		cmocka_unit_test(test_resign_answered_never_lapses),
		cmocka_unit_test(test_resigned_eligible_backup_stays_out),
		cmocka_unit_test(test_net_resign_and_resume),
		cmocka_unit_test(test_net_resign_with_no_backup_running),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
