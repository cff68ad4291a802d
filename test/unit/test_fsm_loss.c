/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_fsm_loss.c: VRRP state machine on a fake clock: the answer burst, the advert cadence, random loss. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fsm.h"
#include "fsm_steps.h"

/*
 * docs/design.md "The answer burst" and "Advert cadence":
 *   - a MASTER that hears a lower priority (not 0) answers at once with
 *     VRRP_FSM_ANSWER_BURST adverts, vrrp_fsm_answer_gap_ms() apart, and
 *     one ARP announcement; its Adver_Timer keeps its schedule;
 *   - at most one burst per half Advertisement_Interval; the lower adverts
 *     in between are counted, not answered;
 *   - priority 0 is answered as RFC 5798 6.4.3 says: one advert, the
 *     Adver_Timer reset;
 *   - the Adver_Timer is re-armed from its deadline, not from a late
 *     wakeup, unless the wakeup was more than half an interval late.
 * Then two nodes on the fake network with random loss of the master's
 * adverts (a seeded generator: the same figures every run).
 */

/* A plain MASTER (no data safety) at 198.18.0.<self_last>; *now is when. */
static void make_master_plain(struct vrrp_fsm *fsm, struct vrrp_fsm_config *c,
			      uint8_t self_last, uint64_t *now)
{
	make_master(fsm, c, self_last, now);
}

/* Count the SEND_ADVERT actions of @out. */
static int sends(const struct vrrp_fsm_actions *out)
{
	int n = 0;

	for (size_t i = 0; i < out->count; i++)
		n += out->list[i].type == SEND;
	return n;
}

/* ================================================================== */
/* The answer burst                                                     */
/* ================================================================== */

static void test_answer_gap(void **state)
{
	(void)state;
	assert_int_equal(vrrp_fsm_answer_gap_ms(10), 1);
	assert_int_equal(vrrp_fsm_answer_gap_ms(20), 2);
	assert_int_equal(vrrp_fsm_answer_gap_ms(40), 5);
	assert_int_equal(vrrp_fsm_answer_gap_ms(100), 5);
	assert_int_equal(vrrp_fsm_answer_gap_ms(1000), 5);
	assert_int_equal(vrrp_fsm_answer_gap_ms(255000), 5);
	/* The whole burst fits well inside one interval, even at 10 ms. */
	for (uint32_t iv = 10; iv <= 40950; iv += 10)
		assert_true((VRRP_FSM_ANSWER_BURST - 1) * vrrp_fsm_answer_gap_ms(iv) <= iv / 4);
}

static void test_answer_burst(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c;
	struct vrrp_fsm_actions out;
	uint64_t now, adver, t;

	(void)state;
	for (uint8_t version = 2; version <= 3; version++) {
		c = cfg_make(version, 150);
		if (version == 3)
			c.advert_interval_ms = 100;
		now = T0;
		make_master_plain(&fsm, &c, 1, &now);
		adver = vrrp_fsm_next_wakeup(&fsm);
		assert_int_equal(adver, now + c.advert_interval_ms);

		/* A lower priority is heard: the first advert and the ARP
		 * announcement at once. */
		t = now + 30;
		step_advert(&fsm, 100, c.advert_interval_ms, 2, t, &out);
		EXPECT_ACTS(&out, SEND, ANNOUNCE);
		expect_advert_prio(&out, 0, 150);
		assert_int_equal(ctr(&fsm)->answers, 1);
		/* The next one 5 ms later; the Adver_Timer is untouched. */
		assert_int_equal(out.wakeup_ms, t + 5);
		step_type(&fsm, VRRP_EV_TIMER, t + 5, &out);
		EXPECT_ACTS(&out, SEND);
		expect_advert_prio(&out, 0, 150);
		assert_int_equal(out.wakeup_ms, t + 10);
		/* A wakeup before it is due sends nothing. */
		step_type(&fsm, VRRP_EV_TIMER, t + 9, &out);
		EXPECT_NONE(&out);
		assert_int_equal(out.wakeup_ms, t + 10);
		step_type(&fsm, VRRP_EV_TIMER, t + 10, &out);
		EXPECT_ACTS(&out, SEND);
		/* Three in all: back to the periodic schedule, unchanged. */
		assert_int_equal(out.wakeup_ms, adver);
		step_type(&fsm, VRRP_EV_TIMER, adver, &out);
		EXPECT_ACTS(&out, SEND);
		assert_int_equal(out.wakeup_ms, adver + c.advert_interval_ms);
		expect_state(&fsm, VRRP_STATE_MASTER);
		assert_int_equal(ctr(&fsm)->answers_limited, 0);
	}
}

/* A periodic advert due in the middle of a burst goes out as well. */
static void test_answer_meets_periodic(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, adver;

	(void)state;
	c.advert_interval_ms = 100;
	make_master_plain(&fsm, &c, 1, &now);
	adver = vrrp_fsm_next_wakeup(&fsm);
	step_advert(&fsm, 100, 100, 2, adver - 5, &out);
	EXPECT_ACTS(&out, SEND, ANNOUNCE);
	assert_int_equal(out.wakeup_ms, adver);
	step_type(&fsm, VRRP_EV_TIMER, adver, &out);
	EXPECT_ACTS(&out, SEND, SEND);  /* the burst's second and the periodic */
	assert_int_equal(out.wakeup_ms, adver + 5);
	step_type(&fsm, VRRP_EV_TIMER, adver + 5, &out);
	EXPECT_ACTS(&out, SEND);
	assert_int_equal(out.wakeup_ms, adver + 100);
}

static void test_answer_rate_limit(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, t;

	(void)state;
	c.advert_interval_ms = 100;
	make_master_plain(&fsm, &c, 1, &now);
	t = now + 10;
	step_advert(&fsm, 100, 100, 2, t, &out);
	EXPECT_ACTS(&out, SEND, ANNOUNCE);
	/* Within half an interval: counted, not answered (no ARP either),
	 * and the burst already under way goes on as planned. */
	step_advert(&fsm, 100, 100, 2, t + 1, &out);
	EXPECT_NONE(&out);
	assert_int_equal(out.wakeup_ms, t + 5);
	step_advert(&fsm, 90, 100, 3, t + 49, &out);
	EXPECT_NONE(&out);
	assert_int_equal(ctr(&fsm)->answers, 1);
	assert_int_equal(ctr(&fsm)->answers_limited, 2);
	/* Half an interval on, a new burst. */
	step_type(&fsm, VRRP_EV_TIMER, t + 5, &out);
	step_type(&fsm, VRRP_EV_TIMER, t + 10, &out);
	step_advert(&fsm, 100, 100, 2, t + 50, &out);
	EXPECT_ACTS(&out, SEND, ANNOUNCE);
	assert_int_equal(ctr(&fsm)->answers, 2);
}

/* Two masters that each hear the other as lower would answer each
 * other's answers: whatever arrives, at most one burst per half interval
 * (here a lower advert every millisecond for 10 s). */
static void test_answer_flood_bounded(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, start;
	unsigned sent = 0, announces = 0;

	(void)state;
	c.advert_interval_ms = 100;
	make_master_plain(&fsm, &c, 1, &now);
	start = now;
	for (uint64_t t = start; t < start + 10000; t++) {
		if (vrrp_fsm_next_wakeup(&fsm) <= t) {
			step_type(&fsm, VRRP_EV_TIMER, t, &out);
			sent += (unsigned)sends(&out);
		}
		step_advert(&fsm, 100, 100, 2, t, &out);
		sent += (unsigned)sends(&out);
		announces += find_action(&out, ANNOUNCE) >= 0;
	}
	/* 100 periodic adverts, 200 bursts of 3: 700 in 10 s, against
	 * 10000 lower adverts. */
	assert_true(sent <= 100 + 200 * VRRP_FSM_ANSWER_BURST + 1);
	assert_true(sent >= 100 + 199 * VRRP_FSM_ANSWER_BURST);
	assert_int_equal(announces, ctr(&fsm)->answers);
	assert_true(ctr(&fsm)->answers <= 201);
	assert_true(ctr(&fsm)->answers_limited >= 9700);
	expect_state(&fsm, VRRP_STATE_MASTER);
}

/* Priority 0 is not a lower master: RFC 5798 6.4.3, one advert at once and
 * the Adver_Timer reset; no burst, no ARP. */
static void test_priority_zero_not_a_burst(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	c.advert_interval_ms = 100;
	make_master_plain(&fsm, &c, 1, &now);
	step_advert(&fsm, 0, 100, 2, now + 30, &out);
	EXPECT_ACTS(&out, SEND);
	assert_int_equal(out.wakeup_ms, now + 130);
	assert_int_equal(ctr(&fsm)->answers, 0);
}

/* A burst ends with the MASTER state: a higher priority heard in the
 * middle of one stops it. */
static void test_burst_ends_with_master(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, mdt;

	(void)state;
	c.advert_interval_ms = 100;
	make_master_plain(&fsm, &c, 5, &now);
	step_advert(&fsm, 100, 100, 2, now + 10, &out);
	EXPECT_ACTS(&out, SEND, ANNOUNCE);
	step_advert(&fsm, 200, 100, 3, now + 12, &out);
	EXPECT_ACTS(&out, REMOVE, CHANGED);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	/* The Master_Down_Timer, not the burst's next advert. */
	mdt = now + 12 + vrrp_fsm_master_down_interval_ms(&fsm);
	assert_int_equal(out.wakeup_ms, mdt);
	step_type(&fsm, VRRP_EV_TIMER, now + 15, &out);
	EXPECT_NONE(&out);
	/* Master again later: no stale burst comes back with it. */
	step_type(&fsm, VRRP_EV_TIMER, mdt, &out);
	expect_state(&fsm, VRRP_STATE_MASTER);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	assert_int_equal(out.wakeup_ms, mdt + 100);
}

/* ================================================================== */
/* Advert cadence                                                       */
/* ================================================================== */

static void test_cadence_late_wakeups(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, due;

	(void)state;
	c.advert_interval_ms = 100;
	make_master_plain(&fsm, &c, 1, &now);
	due = vrrp_fsm_next_wakeup(&fsm);
	/* Woken 1, 7 and 30 ms late: the cadence stays on due + k * 100. */
	for (unsigned k = 0, late[] = { 1, 7, 30 }; k < 3; k++) {
		step_type(&fsm, VRRP_EV_TIMER, due + late[k], &out);
		EXPECT_ACTS(&out, SEND);
		assert_int_equal(out.wakeup_ms, due + 100);
		due += 100;
	}
	/* 49 ms late is still on the cadence; 51 ms late starts again from
	 * now, so no two adverts are ever closer than half an interval. */
	step_type(&fsm, VRRP_EV_TIMER, due + 49, &out);
	assert_int_equal(out.wakeup_ms, due + 100);
	due += 100;
	step_type(&fsm, VRRP_EV_TIMER, due + 51, &out);
	EXPECT_ACTS(&out, SEND);
	assert_int_equal(out.wakeup_ms, due + 51 + 100);
	/* A priority change is advertised at once and restarts the cadence
	 * from there (docs/design.md "Health takeover", point 1). */
	due = out.wakeup_ms;
	step_prio(&fsm, 140, due - 40, &out);
	EXPECT_ACTS(&out, SEND);
	assert_int_equal(out.wakeup_ms, due - 40 + 100);
}

/* A backup at priority 254 has Skew_Time 0 at 100 ms adverts (under 1 ms
 * by the RFC's formula): its Master_Down_Interval is three intervals and
 * nothing more. A master that re-armed from each wakeup and woke 1 ms late
 * each time drifted 1 ms per advert: after two lost adverts the third
 * would come 3 ms after such a backup gave up. On the cadence the
 * hundredth advert is still due on time. */
static void test_cadence_no_drift(void **state)
{
	struct vrrp_fsm fsm, b;
	struct vrrp_fsm_config c = cfg_make(3, 150), cb = cfg_make(3, 254);
	struct vrrp_fsm_actions out;
	uint64_t now = T0, first;

	(void)state;
	c.advert_interval_ms = cb.advert_interval_ms = 100;
	fsm_setup(&b, &cb, 2);
	step_type(&b, VRRP_EV_STARTUP, now, &out);
	assert_int_equal(vrrp_fsm_master_down_interval_ms(&b), 300);
	make_master_plain(&fsm, &c, 1, &now);
	first = vrrp_fsm_next_wakeup(&fsm);
	for (unsigned k = 0; k < 100; k++) {
		step_type(&fsm, VRRP_EV_TIMER, vrrp_fsm_next_wakeup(&fsm) + 1, &out);
		EXPECT_ACTS(&out, SEND);
	}
	assert_int_equal(vrrp_fsm_next_wakeup(&fsm), first + 100 * 100);
}

/* ================================================================== */
/* Random loss of the master's adverts                                  */
/* ================================================================== */

struct loss_figures {
	unsigned takeovers;      /* node 1: BACKUP -> MASTER */
	uint64_t two_masters_ms; /* both MASTER */
	unsigned answers;        /* node 0's bursts */
	unsigned limited;
	unsigned sent0, lost0;
};

/* Node 0 (priority 150) and node 1 (100), preempt on, 100 ms VRRPv3 or
 * 1 s VRRPv2; node 0's adverts lost at @pct %; @minutes of protocol time. */
static struct loss_figures run_loss(uint8_t version, uint32_t interval_ms, unsigned pct,
				    unsigned minutes, uint64_t seed)
{
	static struct net net;  /* static: large */
	struct vrrp_fsm_config c0 = cfg_make(version, 150), c1 = cfg_make(version, 100);
	struct loss_figures f;
	uint64_t before;

	c0.advert_interval_ms = c1.advert_interval_ms = interval_ms;
	net_init(&net);
	net_add(&net, &c0);
	net_add(&net, &c1);
	net_converge(&net);
	net.settled_master = -1;  /* two masters are expected now */
	before = ctr(&net.fsm[1])->by_reason[VRRP_REASON_MASTER_DOWN_TIMER];
	net.rng = seed;
	net.loss_pct[0] = pct;
	net.two_masters_ms = 0;
	net_run(&net, net.now + (uint64_t)minutes * 60000u);
	memset(&f, 0, sizeof(f));
	f.takeovers = (unsigned)(ctr(&net.fsm[1])->by_reason[VRRP_REASON_MASTER_DOWN_TIMER] - before);
	f.two_masters_ms = net.two_masters_ms;
	f.answers = (unsigned)ctr(&net.fsm[0])->answers;
	f.limited = (unsigned)ctr(&net.fsm[0])->answers_limited;
	f.sent0 = net.adverts_sent[0];
	f.lost0 = net.adverts_lost[0];
	/* The loss ends: within one interval plus Skew_Time one master, node
	 * 0, and it stays so. */
	net.loss_pct[0] = 0;
	net_run(&net, net.now + interval_ms + vrrp_fsm_skew_ms(&net.fsm[1]) + 1);
	expect_state(&net.fsm[0], VRRP_STATE_MASTER);
	expect_state(&net.fsm[1], VRRP_STATE_BACKUP);
	net_settle(&net);
	net_run(&net, net.now + 10 * interval_ms);
	assert_int_equal(net.master_changes, 0);
	return f;
}

/* Takeovers: what "three adverts lost in a row" predicts, adverts/s *
 * (1 - p) * p^3 per second, give or take; the spurious master is put
 * back within a few ms most of the time (one of eight bursts lost at
 * 50%, against one answer of two). */
static void test_random_loss_v3(void **state)
{
	(void)state;
	for (unsigned pct = 20; pct <= 50; pct += 30) {
		struct loss_figures f = run_loss(3, 100, pct, 30, 0x5eed + pct);
		double p = pct / 100.0;
		double expect = 10.0 * (1 - p) * p * p * p * 30 * 60;

		print_message("v3 100 ms, %u%% loss, 30 min: %u takeovers (expected %.0f), "
			      "two masters %llu ms, %u bursts, %u rate-limited, %u of %u lost\n",
			      pct, f.takeovers, expect, (unsigned long long)f.two_masters_ms,
			      f.answers, f.limited, f.lost0, f.sent0);
		assert_true(f.takeovers > expect * 0.7 && f.takeovers < expect * 1.3);
		/* Every takeover was answered with a burst. */
		assert_true(f.answers >= f.takeovers);
		/* The VIP on two hosts for a few ms per takeover on average:
		 * a whole interval only when the burst and the periodic
		 * advert are all lost. */
		assert_true(f.two_masters_ms < (uint64_t)f.takeovers * 30u);
	}
}

static void test_random_loss_v2(void **state)
{
	struct loss_figures f;

	(void)state;
	f = run_loss(2, 1000, 50, 120, 0xbeef);
	print_message("v2 1 s, 50%% loss, 120 min: %u takeovers (expected %.0f), two masters "
		      "%llu ms, %u bursts, %u rate-limited\n", f.takeovers,
		      1.0 * 0.5 * 0.125 * 120 * 60, (unsigned long long)f.two_masters_ms,
		      f.answers, f.limited);
	assert_true(f.takeovers > 450 * 0.7 && f.takeovers < 450 * 1.3);
	assert_true(f.answers >= f.takeovers);
	/* One second on two hosts only when the burst and the periodic
	 * advert after it are all lost (1 in 16 at 50%): well under 200 ms
	 * per takeover on average, against about 1 s for one answer. */
	assert_true(f.two_masters_ms < (uint64_t)f.takeovers * 200u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_gap),
		cmocka_unit_test(test_answer_burst),
		cmocka_unit_test(test_answer_meets_periodic),
		cmocka_unit_test(test_answer_rate_limit),
		cmocka_unit_test(test_answer_flood_bounded),
		cmocka_unit_test(test_priority_zero_not_a_burst),
		cmocka_unit_test(test_burst_ends_with_master),
		cmocka_unit_test(test_cadence_late_wakeups),
		cmocka_unit_test(test_cadence_no_drift),
		cmocka_unit_test(test_random_loss_v3),
		cmocka_unit_test(test_random_loss_v2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
