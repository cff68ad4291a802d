/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_fsm_contest.c: the VRRP state machine's data safety between masters on a fake
 * clock: contest, stall, and every feature on a simulated network (docs/data-safety.md). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fsm.h"
#include "fsm_steps.h"

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
/* The fake network (fsm_steps.h) with data safety: the owner answers  */
/* ================================================================== */

#define WITNESS_DELAY 50u   /* the owner answers a probe this fast */
#define CONTEST_DELAY 100u  /* ... and a contest */

/* All three data safety features on. */
static struct vrrp_fsm_config cfg_safe(uint8_t prio)
{
	struct vrrp_fsm_config c = cfg_make(3, prio);

	c.eligibility = true;
	c.witness_lead_ms = LEAD;
	c.contest = true;
	return c;
}

/* The network carried out @a for node i; do the data safety part. */
static void glue_action(struct net *net, int i, const struct vrrp_fsm_action *a)
{
	if (net->plain && a->type >= VRRP_ACT_WITNESS_START)
		fail_msg("node %d: %s with data safety off", i,
			 vrrp_fsm_action_name(a->type));
	switch (a->type) {
	case VRRP_ACT_SEND_ADVERT:
	case VRRP_ACT_ADD_VIPS:
	case VRRP_ACT_REMOVE_VIPS:
	case VRRP_ACT_ANNOUNCE:
	case VRRP_ACT_COUNT:
		break;  /* the network's alone */
	case VRRP_ACT_STATE_CHANGED:
		/* A probe never outlives BACKUP. */
		assert_false(net->probe_pending[i]);
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
	}
}

/* The glue's view and the FSM's must agree after every step. */
static void glue_check(struct net *net, int i)
{
	assert_int_equal(net->probe_pending[i],
			 vrrp_fsm_witness_state(&net->fsm[i]) == VRRP_WITNESS_PENDING);
	assert_int_equal(net->contest_open[i], vrrp_fsm_contest_pending(&net->fsm[i]));
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

/* When node i next needs something: its TIMER (a past wakeup means now),
 * a probe's answer, a contest's verdict. UINT64_MAX: nothing. */
static uint64_t glue_next(const struct net *net, int i)
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

/* The owner's answers that are due for node i: a probe's, a contest's. */
static void glue_due(struct net *net, int i)
{
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
}

static const struct net_glue safety_glue = {
	.action = glue_action,
	.check = glue_check,
	.next = glue_next,
	.due = glue_due,
};

/* An empty network with the owner's answers (set .plain for plain VRRP). */
static void net_init_safety(struct net *net)
{
	net_init(net);
	net->glue = &safety_glue;
}

/* Every node eligible, then net_converge(); no backup probed. */
static void net_converge_eligible(struct net *net)
{
	for (int i = 0; i < net->n; i++)
		net_eligible(net, i, true);
	net_converge(net);
	for (int i = 1; i < net->n; i++)
		assert_int_equal(net->probes[i], 0);  /* a master speaks */
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
	net_init_safety(&net);
	net_add(&net, &a);
	net_add(&net, &b);
	net_converge_eligible(&net);
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
		net_init_safety(&net);
		net_add(&net, &a);
		net_add(&net, &b);
		net_converge_eligible(&net);
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
	net_init_safety(&net);
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
	net_init_safety(&net);
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
	net_init_safety(&net);
	net_add(&net, &a);
	net_add(&net, &b);
	net_converge_eligible(&net);
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
	net_init_safety(&net);
	net_add(&net, &a);
	net_add(&net, &b);
	net_converge_eligible(&net);
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

/*
 * A BACKUP whose loop was frozen was not listening: its Master_Down_Timer
 * (silence) starts again from the moment it wakes, whatever the
 * configuration, so the adverts that were waiting count first. A timer of
 * another cause (priority 0, a health takeover) is kept.
 */
static void test_stalled_backup(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	assert_int_equal(out.wakeup_ms, T0 + MDI100);
	step_type(&fsm, VRRP_EV_STALLED, T0 + 5000, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, T0 + 5000 + MDI100);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	/* The timer then runs out as usual. */
	step_type(&fsm, VRRP_EV_TIMER, T0 + 5000 + MDI100, &out);
	expect_state(&fsm, VRRP_STATE_MASTER);

	/* Priority 0 heard: Skew_Time, kept through a stall. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 0, 1000, 2, T0 + 100, &out);
	assert_int_equal(out.wakeup_ms, T0 + 100 + SKEW100);
	step_type(&fsm, VRRP_EV_STALLED, T0 + 200, &out);
	assert_int_equal(out.wakeup_ms, T0 + 100 + SKEW100);
}

static void test_all_off_unchanged(void **state)
{
	/* (VRRP_EV_STALLED is not data safety's alone: a frozen BACKUP
	 * restarts its Master_Down_Timer; test_stalled_backup.) */
	static const enum vrrp_fsm_event_type news[] = {
		VRRP_EV_ELIGIBLE, VRRP_EV_WITNESS, VRRP_EV_CONTEST,
	};
	struct net net;
	struct vrrp_fsm_config a = cfg_make(3, 200), b = cfg_make(3, 100);
	uint64_t d, t;

	(void)state;
	net_init_safety(&net);
	net.plain = true;
	net_add(&net, &a);
	net_add(&net, &b);
	net_converge_eligible(&net);
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
	net_init_safety(&net);
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
		cmocka_unit_test(test_stalled_backup),
		cmocka_unit_test(test_all_off_unchanged),
		/* Regressions. */
		cmocka_unit_test(test_contest_loser_holddown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
