/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_fsm.c: VRRP state machine on a fake clock: RFC 5798 6.4, FAULT, health takeover. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fsm.h"
#include "fsm_steps.h"

/* ================================================================== */
/* Names, formulas, config                                              */
/* ================================================================== */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vrrp_state_name(VRRP_STATE_INIT), "INIT");
	assert_string_equal(vrrp_state_name(VRRP_STATE_BACKUP), "BACKUP");
	assert_string_equal(vrrp_state_name(VRRP_STATE_MASTER), "MASTER");
	assert_string_equal(vrrp_state_name(VRRP_STATE_FAULT), "FAULT");
	assert_string_equal(vrrp_state_name(VRRP_STATE_COUNT), "?");
	assert_string_equal(vrrp_fsm_reason_name(VRRP_REASON_HEALTH_TAKEOVER),
			    "health-takeover");
	assert_string_equal(vrrp_fsm_reason_name(VRRP_REASON_TIE_BREAK_LOST),
			    "tie-break-lost");
	assert_string_equal(vrrp_fsm_reason_name(VRRP_REASON_PRIORITY_ZERO),
			    "priority-zero-received");
	/* Every value has its own distinct, non-"?" name. */
	for (int i = 0; i < VRRP_REASON_COUNT; i++) {
		assert_string_not_equal(vrrp_fsm_reason_name(i), "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(vrrp_fsm_reason_name(i),
						vrrp_fsm_reason_name(j));
	}
	for (int i = 0; i < VRRP_EV_COUNT; i++) {
		assert_string_not_equal(vrrp_fsm_event_name(i), "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(vrrp_fsm_event_name(i),
						vrrp_fsm_event_name(j));
	}
	for (int i = 0; i < VRRP_ACT_COUNT; i++) {
		assert_string_not_equal(vrrp_fsm_action_name(i), "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(vrrp_fsm_action_name(i),
						vrrp_fsm_action_name(j));
	}
	assert_string_equal(vrrp_fsm_reason_name(VRRP_REASON_COUNT), "?");
	assert_string_equal(vrrp_fsm_event_name(VRRP_EV_COUNT), "?");
	assert_string_equal(vrrp_fsm_action_name(VRRP_ACT_COUNT), "?");
}

static void test_timer_formulas(void **state)
{
	static const struct {
		uint8_t version, prio;
		uint32_t interval, skew, mdi;
	} rows[] = {
		/* docs/design.md "Timers": 1 s, prio 100 -> 609 / 3609 ms. */
		{ 3, 100, 1000, 609, 3609 },
		{ 2, 100, 1000, 609, 3609 },
		/* v2 skew is in seconds whatever the interval (RFC 3768 6.1). */
		{ 2, 100, 3000, 609, 9609 },
		/* v3 skew scales with the (learned) interval (RFC 5798 6.1). */
		{ 3, 100, 3000, 1828, 10828 },
		{ 3, 100, 100, 60, 360 },
		{ 3, 150, 1000, 414, 3414 },
		{ 3, 120, 1000, 531, 3531 },
		{ 3, 255, 1000, 3, 3003 },
		{ 3, 1, 1000, 996, 3996 },
		{ 3, 254, 10, 0, 30 },
		{ 3, 1, 40950, 40790, 163640 },
		{ 2, 1, 255000, 996, 765996 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(vrrp_fsm_calc_skew_ms(rows[i].version, rows[i].prio,
						       rows[i].interval),
				 rows[i].skew);
		assert_int_equal(vrrp_fsm_calc_master_down_ms(rows[i].version,
							      rows[i].prio,
							      rows[i].interval),
				 rows[i].mdi);
	}
}

static void test_config_check(void **state)
{
	struct vrrp_fsm_config c;
	struct vrrp_fsm fsm;
	struct vrrp_fsm_addr bad = { .len = 5 };

	(void)state;
	c = cfg_make(3, 100);
	assert_int_equal(vrrp_fsm_config_check(&c), 0);
	c.advert_interval_ms = 10;
	assert_int_equal(vrrp_fsm_config_check(&c), 0);
	c.advert_interval_ms = 40950;
	assert_int_equal(vrrp_fsm_config_check(&c), 0);
	c.advert_interval_ms = 40960;
	assert_int_equal(vrrp_fsm_config_check(&c), -EINVAL);
	c.advert_interval_ms = 15;  /* not centiseconds */
	assert_int_equal(vrrp_fsm_config_check(&c), -EINVAL);
	c.advert_interval_ms = 0;
	assert_int_equal(vrrp_fsm_config_check(&c), -EINVAL);

	c = cfg_make(2, 100);
	assert_int_equal(vrrp_fsm_config_check(&c), 0);
	c.advert_interval_ms = 1500;  /* v2: whole seconds */
	assert_int_equal(vrrp_fsm_config_check(&c), -EINVAL);
	c.advert_interval_ms = 256000;
	assert_int_equal(vrrp_fsm_config_check(&c), -EINVAL);

	c = cfg_make(4, 100);
	assert_int_equal(vrrp_fsm_config_check(&c), -EINVAL);
	c = cfg_make(3, 0);
	assert_int_equal(vrrp_fsm_config_check(&c), -EINVAL);
	c = cfg_make(3, 100);
	c.vrid = 0;
	assert_int_equal(vrrp_fsm_config_check(&c), -EINVAL);
	assert_int_equal(vrrp_fsm_config_check(NULL), -EINVAL);
	assert_int_equal(vrrp_fsm_init(&fsm, &c, NULL), -EINVAL);
	c = cfg_make(3, 100);
	assert_int_equal(vrrp_fsm_init(&fsm, &c, &bad), -EINVAL);
	assert_int_equal(vrrp_fsm_init(&fsm, &c, NULL), 0);
	assert_int_equal(vrrp_fsm_set_self(&fsm, (const uint8_t *)"abcde", 5), -EINVAL);
	assert_int_equal(vrrp_fsm_set_self(&fsm, (const uint8_t *)"abcd", 4), 0);
	assert_int_equal(vrrp_fsm_set_self(&fsm, NULL, 0), 0);
	assert_int_equal(vrrp_fsm_priority(&fsm), 100);
	assert_int_equal(vrrp_fsm_last_reason(&fsm), VRRP_REASON_NONE);
	assert_int_equal(vrrp_fsm_next_wakeup(&fsm), 0);
}

/* ================================================================== */
/* RFC 5798 6.4.1 Initialize                                            */
/* ================================================================== */

static void test_init_owner(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 255);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_advert_prio(&out, 0, 255);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_MASTER,
		      VRRP_REASON_STARTUP_OWNER);
	assert_int_equal(out.list[3].change.priority, 255);
	assert_int_equal(out.wakeup_ms, T0 + 1000);  /* Adver_Timer */
	assert_int_equal(vrrp_fsm_last_change_ms(&fsm), T0);
	assert_int_equal(vrrp_fsm_counters(&fsm)->by_reason[VRRP_REASON_STARTUP_OWNER], 1);

	/* Adver_Timer fires: advert, re-armed (RFC 5798 6.4.3). */
	step_type(&fsm, VRRP_EV_TIMER, T0 + 1000, &out);
	EXPECT_ACTS(&out, SEND);
	expect_advert_prio(&out, 0, 255);
	assert_int_equal(out.wakeup_ms, T0 + 2000);
	/* A late wakeup keeps the cadence (docs/design.md "Advert
	 * cadence"); one more than half an interval late re-arms from now
	 * (no catch-up burst). */
	step_type(&fsm, VRRP_EV_TIMER, T0 + 2300, &out);
	EXPECT_ACTS(&out, SEND);
	assert_int_equal(out.wakeup_ms, T0 + 3000);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 3600, &out);
	EXPECT_ACTS(&out, SEND);
	assert_int_equal(out.wakeup_ms, T0 + 4600);
	/* A second STARTUP does nothing. */
	step_type(&fsm, VRRP_EV_STARTUP, T0 + 3700, &out);
	assert_int_equal(out.count, 0);
	assert_int_equal(out.wakeup_ms, T0 + 4600);
}

static void test_init_backup(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_BACKUP, VRRP_REASON_STARTUP);
	assert_int_equal(vrrp_fsm_master_adver_interval_ms(&fsm), 1000);
	assert_int_equal(vrrp_fsm_skew_ms(&fsm), 609);
	assert_int_equal(vrrp_fsm_master_down_interval_ms(&fsm), 3609);
	assert_int_equal(out.wakeup_ms, T0 + 3609);  /* Master_Down_Timer */

	/* An early wakeup changes nothing. */
	step_type(&fsm, VRRP_EV_TIMER, T0 + 3608, &out);
	assert_int_equal(out.count, 0);
	assert_int_equal(out.wakeup_ms, T0 + 3609);

	/* RFC 5798 6.4.2: Master_Down_Timer fires -> MASTER. */
	step_type(&fsm, VRRP_EV_TIMER, T0 + 3609, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_advert_prio(&out, 0, 100);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_MASTER_DOWN_TIMER);
	assert_int_equal(out.wakeup_ms, T0 + 3609 + 1000);
	assert_int_equal(vrrp_fsm_counters(&fsm)->transitions, 2);
	assert_false(vrrp_fsm_master(&fsm)->known);
}

static void test_init_backup_v2(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(2, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	assert_int_equal(out.wakeup_ms, T0 + 3609);
	/* v2 never learns the interval (RFC 3768 7.1 drops a mismatch). */
	step_advert(&fsm, 200, 3000, 2, T0 + 100, &out);
	assert_int_equal(out.count, 0);
	assert_int_equal(vrrp_fsm_master_adver_interval_ms(&fsm), 1000);
	assert_int_equal(out.wakeup_ms, T0 + 100 + 3609);
}

/* ================================================================== */
/* RFC 5798 6.4.2 Backup: scenario table for received adverts          */
/* ================================================================== */

enum expect_timer { EXP_MDI, EXP_SKEW, EXP_KEEP };

struct backup_row {
	const char *name;
	bool preempt, health, in_delay;
	uint8_t resign_below, own, adv;
	enum expect_timer timer;
	enum vrrp_fsm_reason cause;  /* reason when the timer then fires */
};

static const struct backup_row backup_rows[] = {
	/* Plain RFC 5798 6.4.2. */
	{ "rfc higher", true, false, false, 0, 100, 200, EXP_MDI, VRRP_REASON_MASTER_DOWN_TIMER },
	{ "rfc equal", true, false, false, 0, 100, 100, EXP_MDI, VRRP_REASON_MASTER_DOWN_TIMER },
	{ "rfc lower preempt", true, false, false, 0, 100, 50, EXP_KEEP, VRRP_REASON_PREEMPT },
	{ "rfc lower no preempt", false, false, false, 0, 100, 50, EXP_MDI, VRRP_REASON_MASTER_DOWN_TIMER },
	{ "rfc lower in preempt_delay", true, false, true, 0, 100, 50, EXP_MDI, VRRP_REASON_MASTER_DOWN_TIMER },
	{ "rfc priority 0", true, false, false, 0, 100, 0, EXP_SKEW, VRRP_REASON_PRIORITY_ZERO },
	{ "rfc priority 0 no preempt", false, false, false, 0, 100, 0, EXP_SKEW, VRRP_REASON_PRIORITY_ZERO },
	{ "rfc priority 0 in delay", true, false, true, 0, 100, 0, EXP_SKEW, VRRP_REASON_PRIORITY_ZERO },
	/* docs/design.md "Health takeover". */
	{ "ht lower preempt", true, true, false, 0, 150, 90, EXP_SKEW, VRRP_REASON_HEALTH_TAKEOVER },
	{ "ht equal", true, true, false, 0, 90, 90, EXP_MDI, VRRP_REASON_MASTER_DOWN_TIMER },
	{ "ht higher", true, true, false, 0, 150, 200, EXP_MDI, VRRP_REASON_MASTER_DOWN_TIMER },
	{ "ht lower in delay", true, true, true, 0, 150, 90, EXP_MDI, VRRP_REASON_MASTER_DOWN_TIMER },
	{ "ht no preempt, resign off", false, true, false, 0, 150, 10, EXP_MDI, VRRP_REASON_MASTER_DOWN_TIMER },
	{ "ht no preempt, master below resign", false, true, false, 100, 150, 90, EXP_SKEW, VRRP_REASON_HEALTH_TAKEOVER },
	{ "ht no preempt, master above resign", false, true, false, 100, 150, 120, EXP_MDI, VRRP_REASON_MASTER_DOWN_TIMER },
	{ "ht no preempt, self below resign", false, true, false, 100, 95, 90, EXP_MDI, VRRP_REASON_MASTER_DOWN_TIMER },
	{ "ht no preempt, self at resign", false, true, false, 100, 100, 99, EXP_SKEW, VRRP_REASON_HEALTH_TAKEOVER },
	{ "ht no preempt, in delay", false, true, true, 100, 150, 90, EXP_MDI, VRRP_REASON_MASTER_DOWN_TIMER },
};

static void run_backup_row(const struct backup_row *r)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, r->own);
	struct vrrp_fsm_actions out;
	const uint64_t t = T0 + 1000;
	uint64_t expect;

	c.preempt = r->preempt;
	c.health_takeover = r->health;
	c.resign_below = r->resign_below;
	c.preempt_delay_ms = r->in_delay ? 5000 : 0;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	const uint64_t first = out.wakeup_ms;
	assert_int_equal(first, T0 + vrrp_fsm_calc_master_down_ms(3, r->own, 1000));

	step_advert(&fsm, r->adv, 1000, 2, t, &out);
	assert_int_equal(out.count, 0);  /* a BACKUP never sends */
	switch (r->timer) {
	case EXP_MDI:
		expect = t + vrrp_fsm_calc_master_down_ms(3, r->own, 1000);
		break;
	case EXP_SKEW:
		expect = t + vrrp_fsm_calc_skew_ms(3, r->own, 1000);
		break;
	case EXP_KEEP:
	default:
		expect = first;
		break;
	}
	assert_int_equal(out.wakeup_ms, expect);
	assert_true(vrrp_fsm_master(&fsm)->known);
	assert_int_equal(vrrp_fsm_master(&fsm)->priority, r->adv);

	step_type(&fsm, VRRP_EV_TIMER, expect, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, r->cause);
}

static void test_backup_advert_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(backup_rows) / sizeof(backup_rows[0]); i++) {
		print_message("  row: %s\n", backup_rows[i].name);
		run_backup_row(&backup_rows[i]);
	}
}

static void test_backup_learns_interval(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	/* RFC 5798 6.4.2 / RFC 9568: learn 100 ms, recompute skew and MDI. */
	step_advert(&fsm, 200, 100, 2, T0 + 10, &out);
	assert_int_equal(vrrp_fsm_master_adver_interval_ms(&fsm), 100);
	assert_int_equal(vrrp_fsm_skew_ms(&fsm), 60);
	assert_int_equal(vrrp_fsm_master_down_interval_ms(&fsm), 360);
	assert_int_equal(out.wakeup_ms, T0 + 10 + 360);
	/* Priority 0 now uses the learned skew. */
	step_advert(&fsm, 0, 100, 2, T0 + 100, &out);
	assert_int_equal(out.wakeup_ms, T0 + 100 + 60);
	/* A lower advert (plain preempt) does not teach its interval. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 50, 100, 2, T0 + 10, &out);
	assert_int_equal(vrrp_fsm_master_adver_interval_ms(&fsm), 1000);
	assert_int_equal(out.wakeup_ms, T0 + 3609);
	/* Restart resets Master_Adver_Interval to ours (RFC 5798 6.4.1). */
	step_advert(&fsm, 200, 2000, 2, T0 + 20, &out);
	assert_int_equal(vrrp_fsm_master_adver_interval_ms(&fsm), 2000);
	step_type(&fsm, VRRP_EV_SHUTDOWN, T0 + 30, &out);
	step_type(&fsm, VRRP_EV_STARTUP, T0 + 40, &out);
	assert_int_equal(vrrp_fsm_master_adver_interval_ms(&fsm), 1000);
}

static void test_backup_prio_zero_never_later(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 1);  /* skew 996 ms */
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	assert_int_equal(out.wakeup_ms, T0 + 3996);
	/* 3.5 s later the timer has 496 ms left: priority 0 keeps it. */
	step_advert(&fsm, 0, 1000, 2, T0 + 3500, &out);
	assert_int_equal(out.wakeup_ms, T0 + 3996);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 3996, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_PRIORITY_ZERO);
}

/* ================================================================== */
/* Shutdown                                                             */
/* ================================================================== */

/* Plain VRRP: MASTER at startup or at the first Master_Down_Timer. */
static void make_master_plain(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *c,
			      uint8_t self_last, uint64_t *now)
{
	struct vrrp_fsm_actions out;

	fsm_setup(fsm, c, self_last);
	step_type(fsm, VRRP_EV_STARTUP, *now, &out);
	if (vrrp_fsm_state(fsm) != VRRP_STATE_MASTER) {
		*now = out.wakeup_ms;
		step_type(fsm, VRRP_EV_TIMER, *now, &out);
	}
	expect_state(fsm, VRRP_STATE_MASTER);
}

static void test_shutdown(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	/* RFC 5798 6.4.3: MASTER sends priority 0, drops VIPs, INIT. */
	make_master_plain(&fsm, &c, 1, &now);
	step_type(&fsm, VRRP_EV_SHUTDOWN, now + 10, &out);
	EXPECT_ACTS(&out, SEND, REMOVE, CHANGED);
	expect_advert_prio(&out, 0, 0);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_INIT, VRRP_REASON_SHUTDOWN);
	assert_int_equal(out.wakeup_ms, 0);
	/* In INIT: nothing, not even a timer. */
	step_type(&fsm, VRRP_EV_SHUTDOWN, now + 20, &out);
	assert_int_equal(out.count, 0);
	step_type(&fsm, VRRP_EV_TIMER, now + 5000, &out);
	assert_int_equal(out.count, 0);
	step_advert(&fsm, 200, 1000, 2, now + 5001, &out);
	assert_int_equal(out.count, 0);
	assert_int_equal(out.wakeup_ms, 0);

	/* RFC 5798 6.4.2: BACKUP cancels its timer, sends nothing. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_SHUTDOWN, T0 + 5, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_INIT, VRRP_REASON_SHUTDOWN);
	assert_int_equal(out.wakeup_ms, 0);
}

/* ================================================================== */
/* RFC 5798 6.4.3 Master                                                */
/* ================================================================== */

static void test_master_rx_prio_zero(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	make_master_plain(&fsm, &c, 1, &now);
	step_advert(&fsm, 0, 1000, 2, now + 300, &out);
	EXPECT_ACTS(&out, SEND);
	expect_advert_prio(&out, 0, 100);
	assert_int_equal(out.wakeup_ms, now + 300 + 1000);
	expect_state(&fsm, VRRP_STATE_MASTER);
}

static void test_master_rx_higher(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	make_master_plain(&fsm, &c, 1, &now);
	/* Higher priority, 500 ms interval: learned, no advert from us. */
	step_advert(&fsm, 101, 500, 2, now + 300, &out);
	EXPECT_ACTS(&out, REMOVE, CHANGED);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_BACKUP,
		      VRRP_REASON_HIGHER_PRIORITY);
	assert_int_equal(vrrp_fsm_master_adver_interval_ms(&fsm), 500);
	/* MDI = 3 * 500 + (156 * 500) / 256 = 1500 + 304. */
	assert_int_equal(out.wakeup_ms, now + 300 + 1804);
	assert_true(vrrp_fsm_master(&fsm)->known);
	assert_int_equal(vrrp_fsm_master(&fsm)->priority, 101);
	assert_int_equal(vrrp_fsm_master(&fsm)->addr.bytes[3], 2);
	assert_int_equal(vrrp_fsm_master(&fsm)->heard_ms, now + 300);
}

static void test_master_tie_break(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	/* Equal priority, sender .9 > our .5: we yield (RFC 9568 6.4.3). */
	make_master_plain(&fsm, &c, 5, &now);
	step_advert(&fsm, 100, 1000, 9, now + 1, &out);
	EXPECT_ACTS(&out, REMOVE, CHANGED);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_BACKUP,
		      VRRP_REASON_TIE_BREAK_LOST);

	/* Equal priority, sender .3 < our .5: we stay and assert. */
	now = T0;
	make_master_plain(&fsm, &c, 5, &now);
	step_advert(&fsm, 100, 1000, 3, now + 1, &out);
	EXPECT_ACTS(&out, SEND, ANNOUNCE);
	expect_advert_prio(&out, 0, 100);
	expect_state(&fsm, VRRP_STATE_MASTER);

	/* Unsigned compare, network order: 198.18.0.200 > 198.18.0.100 and
	 * 10.0.0.1 < 198.18.0.1 although "signed bytes" would say otherwise. */
	now = T0;
	make_master_plain(&fsm, &c, 100, &now);
	step_advert(&fsm, 100, 1000, 200, now + 1, &out);
	expect_state(&fsm, VRRP_STATE_BACKUP);
	now = T0;
	make_master_plain(&fsm, &c, 1, &now);
	{
		struct vrrp_fsm_event ev = { .type = VRRP_EV_ADVERT };

		ev.advert.priority = 100;
		ev.advert.interval_ms = 1000;
		ev.advert.src.len = 4;
		memcpy(ev.advert.src.bytes, (const uint8_t[]){ 10, 0, 0, 1 }, 4);
		vrrp_fsm_step(&fsm, &ev, now + 1, &out);
		EXPECT_ACTS(&out, SEND, ANNOUNCE);
	}

	/* Our address changed to a higher one: now we win against .9. */
	now = T0;
	make_master_plain(&fsm, &c, 5, &now);
	assert_int_equal(vrrp_fsm_set_self(&fsm, (const uint8_t[]){ 198, 18, 0, 10 }, 4), 0);
	step_advert(&fsm, 100, 1000, 9, now + 1, &out);
	EXPECT_ACTS(&out, SEND, ANNOUNCE);
}

static void test_master_rx_lower(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c;
	struct vrrp_fsm_actions out;
	uint64_t now;

	(void)state;
	for (uint8_t version = 2; version <= 3; version++) {
		c = cfg_make(version, 150);
		now = T0;
		make_master_plain(&fsm, &c, 1, &now);
		/* RFC 9568 6.4.3 (and keepalived for v2): advert at once,
		 * plus a gratuitous ARP burst; the rest of the answer burst
		 * follows 5 ms apart and the Adver_Timer keeps its time
		 * (test_fsm_loss.c has the details). */
		step_advert(&fsm, 100, 1000, 2, now + 250, &out);
		EXPECT_ACTS(&out, SEND, ANNOUNCE);
		expect_advert_prio(&out, 0, 150);
		assert_int_equal(out.wakeup_ms, now + 250 + 5);
		assert_int_equal(ctr(&fsm)->answers, 1);
		expect_state(&fsm, VRRP_STATE_MASTER);
		assert_false(vrrp_fsm_master(&fsm)->known);
	}
}

static void test_own_advert_ignored(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	make_master_plain(&fsm, &c, 7, &now);
	step_advert(&fsm, 100, 1000, 7, now + 1, &out);
	assert_int_equal(out.count, 0);
	assert_int_equal(vrrp_fsm_counters(&fsm)->own_adverts_ignored, 1);
	expect_state(&fsm, VRRP_STATE_MASTER);
}

/* ================================================================== */
/* preempt_delay                                                        */
/* ================================================================== */

static void test_preempt_delay(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	uint64_t t;

	(void)state;
	c.preempt_delay_ms = 10000;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	/* A lower master (100) advertising every second: accepted for 10 s. */
	for (t = T0 + 1000; t < T0 + 10000; t += 1000) {
		step_advert(&fsm, 100, 1000, 2, t, &out);
		assert_int_equal(out.wakeup_ms, t + 3414);
		expect_state(&fsm, VRRP_STATE_BACKUP);
	}
	/* From T0 + 10 s: discarded; the timer from T0 + 9 s runs out. */
	step_advert(&fsm, 100, 1000, 2, T0 + 10000, &out);
	assert_int_equal(out.wakeup_ms, T0 + 9000 + 3414);
	step_advert(&fsm, 100, 1000, 2, T0 + 11000, &out);
	step_advert(&fsm, 100, 1000, 2, T0 + 12000, &out);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 12414, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, VRRP_REASON_PREEMPT);

	/* No master heard at all: the delay does not stop the timer. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	assert_int_equal(out.wakeup_ms, T0 + 3414);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 3414, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_MASTER_DOWN_TIMER);
}

/* ================================================================== */
/* FAULT                                                                */
/* ================================================================== */

static void test_fault_from_master(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	make_master_plain(&fsm, &c, 1, &now);
	step_type(&fsm, VRRP_EV_LINK_DOWN, now + 1, &out);
	EXPECT_ACTS(&out, SEND, REMOVE, CHANGED);
	expect_advert_prio(&out, 0, 0);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_FAULT, VRRP_REASON_LINK_DOWN);
	assert_int_equal(out.wakeup_ms, 0);  /* no timers in FAULT */
	assert_int_equal(vrrp_fsm_faults(&fsm), VRRP_FAULT_LINK);
	/* Adverts, timers, priority: absorbed. */
	step_advert(&fsm, 200, 1000, 2, now + 2, &out);
	assert_int_equal(out.count, 0);
	assert_true(vrrp_fsm_master(&fsm)->known);  /* still shown in status */
	step_type(&fsm, VRRP_EV_TIMER, now + 5000, &out);
	assert_int_equal(out.count, 0);
	step_prio(&fsm, 80, now + 5001, &out);
	assert_int_equal(out.count, 0);
	assert_int_equal(out.wakeup_ms, 0);
	/* Link up: Initialize again (non-owner -> BACKUP with its MDT). */
	step_type(&fsm, VRRP_EV_LINK_UP, now + 6000, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_FAULT, VRRP_STATE_BACKUP, VRRP_REASON_LINK_UP);
	assert_int_equal(out.wakeup_ms,
			 now + 6000 + vrrp_fsm_calc_master_down_ms(3, 80, 1000));
	assert_int_equal(vrrp_fsm_counters(&fsm)->by_reason[VRRP_REASON_LINK_DOWN], 1);
	assert_int_equal(vrrp_fsm_counters(&fsm)->by_reason[VRRP_REASON_LINK_UP], 1);
}

static void test_fault_from_backup_fatal_check(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_FAULT_SET, T0 + 5, &out);
	EXPECT_ACTS(&out, CHANGED);  /* a BACKUP sends nothing */
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_FAULT, VRRP_REASON_FATAL_CHECK);
	assert_int_equal(out.wakeup_ms, 0);
	step_type(&fsm, VRRP_EV_FAULT_CLEAR, T0 + 10, &out);
	expect_change(&out, VRRP_STATE_FAULT, VRRP_STATE_BACKUP,
		      VRRP_REASON_FATAL_CHECK_CLEARED);
	assert_int_equal(out.wakeup_ms, T0 + 10 + 3609);
}

static void test_fault_both_flags(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	make_master_plain(&fsm, &c, 1, &now);
	step_type(&fsm, VRRP_EV_FAULT_SET, now + 1, &out);
	expect_change(&out, VRRP_STATE_MASTER, VRRP_STATE_FAULT, VRRP_REASON_FATAL_CHECK);
	step_type(&fsm, VRRP_EV_LINK_DOWN, now + 2, &out);
	assert_int_equal(out.count, 0);
	assert_int_equal(vrrp_fsm_faults(&fsm), VRRP_FAULT_LINK | VRRP_FAULT_CHECK);
	/* One flag cleared: still FAULT. */
	step_type(&fsm, VRRP_EV_FAULT_CLEAR, now + 3, &out);
	assert_int_equal(out.count, 0);
	expect_state(&fsm, VRRP_STATE_FAULT);
	/* Repeated set of the same flag: nothing. */
	step_type(&fsm, VRRP_EV_LINK_DOWN, now + 4, &out);
	assert_int_equal(out.count, 0);
	step_type(&fsm, VRRP_EV_LINK_UP, now + 5, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_FAULT, VRRP_STATE_BACKUP, VRRP_REASON_LINK_UP);
	assert_int_equal(vrrp_fsm_faults(&fsm), 0);
	/* LINK_UP without a fault: nothing. */
	step_type(&fsm, VRRP_EV_LINK_UP, now + 6, &out);
	assert_int_equal(out.count, 0);
	expect_state(&fsm, VRRP_STATE_BACKUP);
}

static void test_fault_at_startup(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_LINK_DOWN, T0, &out);  /* link down before start */
	assert_int_equal(out.count, 0);
	expect_state(&fsm, VRRP_STATE_INIT);
	step_type(&fsm, VRRP_EV_STARTUP, T0 + 1, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_FAULT, VRRP_REASON_LINK_DOWN);
	assert_int_equal(out.wakeup_ms, 0);
	/* SHUTDOWN from FAULT: INIT, nothing sent. */
	step_type(&fsm, VRRP_EV_SHUTDOWN, T0 + 2, &out);
	EXPECT_ACTS(&out, CHANGED);
	expect_change(&out, VRRP_STATE_FAULT, VRRP_STATE_INIT, VRRP_REASON_SHUTDOWN);
	/* Fault flags persist across a restart: still FAULT. */
	step_type(&fsm, VRRP_EV_STARTUP, T0 + 3, &out);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_FAULT, VRRP_REASON_LINK_DOWN);
	step_type(&fsm, VRRP_EV_LINK_UP, T0 + 4, &out);
	expect_change(&out, VRRP_STATE_FAULT, VRRP_STATE_BACKUP, VRRP_REASON_LINK_UP);

	/* A fatal check failing before start. */
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_FAULT_SET, T0, &out);
	step_type(&fsm, VRRP_EV_STARTUP, T0 + 1, &out);
	expect_change(&out, VRRP_STATE_INIT, VRRP_STATE_FAULT, VRRP_REASON_FATAL_CHECK);
}

static void test_fault_owner(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 255);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	make_master_plain(&fsm, &c, 1, &now);
	step_type(&fsm, VRRP_EV_LINK_DOWN, now + 1, &out);
	EXPECT_ACTS(&out, SEND, REMOVE, CHANGED);
	expect_advert_prio(&out, 0, 0);
	/* The owner leaves FAULT straight to MASTER. */
	step_type(&fsm, VRRP_EV_LINK_UP, now + 2, &out);
	EXPECT_ACTS(&out, SEND, ADD, ANNOUNCE, CHANGED);
	expect_advert_prio(&out, 0, 255);
	expect_change(&out, VRRP_STATE_FAULT, VRRP_STATE_MASTER, VRRP_REASON_LINK_UP);
}

static void test_fault_clear_starts_preempt_delay(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	const uint64_t up = T0 + 60000;

	(void)state;
	c.preempt_delay_ms = 5000;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_LINK_DOWN, T0, &out);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_type(&fsm, VRRP_EV_LINK_UP, up, &out);
	/* Within 5 s of leaving FAULT a lower master is accepted. */
	step_advert(&fsm, 100, 1000, 2, up + 4000, &out);
	assert_int_equal(out.wakeup_ms, up + 4000 + 3414);
	/* After: discarded (plain preempt), timer keeps running. */
	step_advert(&fsm, 100, 1000, 2, up + 5000, &out);
	assert_int_equal(out.wakeup_ms, up + 4000 + 3414);
}

/* ================================================================== */
/* Priority changes                                                     */
/* ================================================================== */

static void test_priority_master_advertised(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 150);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	make_master_plain(&fsm, &c, 1, &now);
	/* Every change is advertised at once and re-arms Adver_Timer. */
	step_prio(&fsm, 90, now + 100, &out);
	EXPECT_ACTS(&out, SEND);
	expect_advert_prio(&out, 0, 90);
	assert_int_equal(out.wakeup_ms, now + 1100);
	assert_int_equal(vrrp_fsm_priority(&fsm), 90);
	step_prio(&fsm, 150, now + 200, &out);
	EXPECT_ACTS(&out, SEND);
	expect_advert_prio(&out, 0, 150);
	assert_int_equal(out.wakeup_ms, now + 1200);
	/* No change: nothing. */
	step_prio(&fsm, 150, now + 300, &out);
	assert_int_equal(out.count, 0);
	assert_int_equal(out.wakeup_ms, now + 1200);
	/* Out of range is clamped to 1..254. */
	step_prio(&fsm, 0, now + 400, &out);
	expect_advert_prio(&out, 0, 1);
	step_prio(&fsm, 255, now + 500, &out);
	expect_advert_prio(&out, 0, 254);
}

static void test_priority_backup_recomputes(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 100);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_prio(&fsm, 150, T0 + 10, &out);
	assert_int_equal(out.count, 0);
	assert_int_equal(out.wakeup_ms, T0 + 3609);  /* running timer kept */
	assert_int_equal(vrrp_fsm_skew_ms(&fsm), 414);
	assert_int_equal(vrrp_fsm_master_down_interval_ms(&fsm), 3414);
	step_advert(&fsm, 200, 1000, 2, T0 + 20, &out);
	assert_int_equal(out.wakeup_ms, T0 + 20 + 3414);  /* later timers use it */
}

static void test_owner_never_lowers(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_make(3, 255);
	struct vrrp_fsm_actions out;
	uint64_t now = T0;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_prio(&fsm, 50, now, &out);  /* before start */
	assert_int_equal(vrrp_fsm_priority(&fsm), 255);
	make_master_plain(&fsm, &c, 1, &now);
	step_prio(&fsm, 50, now + 1, &out);
	assert_int_equal(out.count, 0);
	assert_int_equal(vrrp_fsm_priority(&fsm), 255);
	step_type(&fsm, VRRP_EV_TIMER, now + 1000, &out);
	expect_advert_prio(&out, 0, 255);
}

/* ================================================================== */
/* Health takeover (docs/design.md)                                    */
/* ================================================================== */

/* Health takeover on, preempt as given: the nodes of the fake network. */
static struct vrrp_fsm_config cfg_ht(uint8_t prio, bool preempt)
{
	struct vrrp_fsm_config c = cfg_make(3, prio);

	c.preempt = preempt;
	c.health_takeover = true;
	return c;
}

static void test_ht_one_backup(void **state)
{
	struct net net;
	struct vrrp_fsm_config m = cfg_ht(200, true), b = cfg_ht(150, true);
	uint64_t t;

	(void)state;
	net_init(&net);
	net_add(&net, &m);
	net_add(&net, &b);
	net_converge(&net);
	net_run(&net, net.now + 300);  /* mid-interval */
	t = net.now;
	net.settled_master = -1;
	net_prio(&net, 0, 90);  /* the master degrades: advertised at once */
	assert_int_equal(net.wakeup[1], t + 414);  /* Skew_Time at 150 */
	net_run(&net, t + 413);
	expect_state(&net.fsm[1], VRRP_STATE_BACKUP);
	net_run(&net, t + 414);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	assert_int_equal(net.last_reason[1], VRRP_REASON_HEALTH_TAKEOVER);
	/* Its first advert made the old master step down at once. */
	expect_state(&net.fsm[0], VRRP_STATE_BACKUP);
	assert_int_equal(net.last_reason[0], VRRP_REASON_HIGHER_PRIORITY);
	assert_int_equal(vrrp_fsm_counters(&net.fsm[1])->takeovers_armed, 1);

	/* Same story with health_takeover off: plain RFC, the lower master
	 * is discarded and the backup waits out its Master_Down_Timer. */
	m.health_takeover = b.health_takeover = false;
	net_init(&net);
	net_add(&net, &m);
	net_add(&net, &b);
	net_converge(&net);
	net_run(&net, net.now + 300);
	t = net.now;
	net.settled_master = -1;
	net_prio(&net, 0, 90);
	net_run(&net, t + 2000);
	expect_state(&net.fsm[1], VRRP_STATE_BACKUP);
	net_run(&net, t + 3500);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	assert_int_equal(net.last_reason[1], VRRP_REASON_PREEMPT);
}

static void test_ht_two_backups_best_wins(void **state)
{
	struct net net;
	struct vrrp_fsm_config m = cfg_ht(200, true), b1 = cfg_ht(150, true),
			       b2 = cfg_ht(120, true);
	uint64_t t;

	(void)state;
	net_init(&net);
	net_add(&net, &m);
	net_add(&net, &b2);  /* node 1: the worse backup */
	net_add(&net, &b1);  /* node 2: the better one */
	net_converge(&net);
	t = net.now;
	net_prio(&net, 0, 90);
	/* Both arm Skew_Time from their own priority: 531 vs 414 ms. */
	assert_int_equal(net.wakeup[1], t + 531);
	assert_int_equal(net.wakeup[2], t + 414);
	net_run(&net, t + 10000);
	assert_int_equal(vrrp_fsm_state(&net.fsm[2]), VRRP_STATE_MASTER);
	expect_state(&net.fsm[1], VRRP_STATE_BACKUP);
	expect_state(&net.fsm[0], VRRP_STATE_BACKUP);
	assert_int_equal(net.master_since[2], t + 414);
	assert_int_equal(net.master_changes, 1);
	/* The worse backup's takeover was called off by the new master's
	 * advert (150 >= 120), and it never was master. */
	assert_int_equal(vrrp_fsm_counters(&net.fsm[1])->takeovers_armed, 1);
	assert_int_equal(vrrp_fsm_counters(&net.fsm[1])->takeovers_cancelled, 1);
	assert_int_equal(net.transitions[1], 1);  /* only INIT -> BACKUP */
	assert_int_equal(vrrp_fsm_master(&net.fsm[1])->addr.bytes[3], 3);
	assert_int_equal(vrrp_fsm_master(&net.fsm[1])->priority, 150);
}

static void test_ht_master_recovers_in_time(void **state)
{
	struct net net;
	struct vrrp_fsm_config m = cfg_ht(200, true), b = cfg_ht(150, true);
	uint64_t t;

	(void)state;
	net_init(&net);
	net_add(&net, &m);
	net_add(&net, &b);
	net_converge(&net);
	t = net.now;
	net_prio(&net, 0, 90);
	net_run(&net, t + 200);
	net_prio(&net, 0, 200);  /* recovered before Skew_Time (414) ran out */
	assert_int_equal(net.wakeup[1], t + 200 + 3414);
	net_run(&net, t + 60000);
	expect_state(&net.fsm[0], VRRP_STATE_MASTER);
	assert_int_equal(net.master_changes, 0);
	assert_int_equal(vrrp_fsm_counters(&net.fsm[1])->takeovers_cancelled, 1);
}

static void test_ht_no_preempt_resign_below(void **state)
{
	struct net net;
	struct vrrp_fsm_config m = cfg_ht(150, false), b = cfg_ht(140, false);
	uint64_t t;

	(void)state;
	m.resign_below = b.resign_below = 100;
	net_init(&net);
	net_add(&net, &m);
	net_add(&net, &b);
	net_converge(&net);
	/* A healthy-enough master (120 < 140, but not below 100): kept. */
	net_prio(&net, 0, 120);
	net_run(&net, net.now + 60000);
	expect_state(&net.fsm[0], VRRP_STATE_MASTER);
	assert_int_equal(net.master_changes, 0);
	/* The backup is degraded below resign_below too: kept. */
	net_prio(&net, 1, 95);
	net_prio(&net, 0, 60);
	net_run(&net, net.now + 60000);
	expect_state(&net.fsm[0], VRRP_STATE_MASTER);
	assert_int_equal(net.master_changes, 0);
	/* The backup recovers while the master is below 100: takeover within
	 * Skew_Time of the recovery (re-judged at once, no advert needed). */
	net_run(&net, net.now + 500);  /* mid-interval */
	t = net.now;
	net_prio(&net, 1, 140);
	assert_int_equal(net.wakeup[1], t + vrrp_fsm_calc_skew_ms(3, 140, 1000));
	net_run(&net, t + 1000);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	assert_int_equal(net.last_reason[1], VRRP_REASON_HEALTH_TAKEOVER);
	assert_int_equal(net.master_changes, 1);
	/* preempt = no: the old master, healthy again, does not take back. */
	net_prio(&net, 0, 150);
	net_run(&net, net.now + 3600000);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	assert_int_equal(net.master_changes, 1);
}

static void test_ht_sole_degraded_keeps_vip(void **state)
{
	struct net net;
	struct vrrp_fsm_config m = cfg_ht(150, true);

	(void)state;
	net_init(&net);
	net_add(&net, &m);
	net_type(&net, 0, VRRP_EV_STARTUP);
	net_run(&net, net.now + 5000);
	net_settle(&net);
	net_prio(&net, 0, 1);
	net_run(&net, net.now + 3600000);
	expect_state(&net.fsm[0], VRRP_STATE_MASTER);
	assert_true(net.vips[0]);
	assert_int_equal(net.master_changes, 0);
}

static void test_ht_equal_degraded_keep(void **state)
{
	struct net net;
	struct vrrp_fsm_config m = cfg_ht(150, true), b = cfg_ht(140, true);

	(void)state;
	net_init(&net);
	net_add(&net, &m);
	net_add(&net, &b);
	net_converge(&net);
	/* Both degrade to the same priority: the master keeps the VIP. */
	net_prio(&net, 1, 90);
	net_prio(&net, 0, 90);
	net_run(&net, net.now + 3600000);
	expect_state(&net.fsm[0], VRRP_STATE_MASTER);
	assert_int_equal(net.master_changes, 0);
	assert_int_equal(vrrp_fsm_counters(&net.fsm[1])->takeovers_armed, 0);
}

static void test_ht_backup_degrades_during_takeover(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_ht(150, true);
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	step_advert(&fsm, 90, 1000, 2, T0 + 1000, &out);
	assert_int_equal(out.wakeup_ms, T0 + 1000 + 414);
	/* We degrade below the master before it fires: called off, back to
	 * the ordinary timer from the master's last advert. */
	step_prio(&fsm, 80, T0 + 1100, &out);
	assert_int_equal(out.count, 0);
	assert_int_equal(out.wakeup_ms,
			 T0 + 1000 + vrrp_fsm_calc_master_down_ms(3, 80, 1000));
	assert_int_equal(vrrp_fsm_counters(&fsm)->takeovers_cancelled, 1);
	/* Healthy again: armed again from now. */
	step_prio(&fsm, 150, T0 + 1200, &out);
	assert_int_equal(out.wakeup_ms, T0 + 1200 + 414);
	step_type(&fsm, VRRP_EV_TIMER, T0 + 1614, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_HEALTH_TAKEOVER);
}

/* A takeover never delays a Master_Down_Timer that is about to fire. */
static void test_ht_never_later(void **state)
{
	struct vrrp_fsm fsm;
	struct vrrp_fsm_config c = cfg_ht(10, true);  /* skew 960, MDI 3960 */
	struct vrrp_fsm_actions out;

	(void)state;
	fsm_setup(&fsm, &c, 1);
	step_type(&fsm, VRRP_EV_STARTUP, T0, &out);
	assert_int_equal(out.wakeup_ms, T0 + 3960);
	step_advert(&fsm, 5, 1000, 2, T0 + 3500, &out);
	assert_int_equal(out.wakeup_ms, T0 + 3960);  /* not T0 + 4460 */
	step_type(&fsm, VRRP_EV_TIMER, T0 + 3960, &out);
	expect_change(&out, VRRP_STATE_BACKUP, VRRP_STATE_MASTER,
		      VRRP_REASON_HEALTH_TAKEOVER);
}

/* Old master degrades, loses the VIP, recovers at once: hold-down. */
static void run_holddown(uint32_t preempt_delay_ms)
{
	struct net net;
	struct vrrp_fsm_config a = cfg_ht(150, true), b = cfg_ht(120, true);
	uint64_t t, lost, hold;

	a.preempt_delay_ms = b.preempt_delay_ms = preempt_delay_ms;
	net_init(&net);
	net_add(&net, &a);
	net_add(&net, &b);
	net_type(&net, 0, VRRP_EV_STARTUP);
	net_run(&net, net.now + preempt_delay_ms + 5000);
	net_type(&net, 1, VRRP_EV_STARTUP);
	net_run(&net, net.now + preempt_delay_ms + 10000);
	net_settle(&net);
	expect_state(&net.fsm[0], VRRP_STATE_MASTER);

	t = net.now;
	net_prio(&net, 0, 90);
	net_run(&net, t + 531);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	expect_state(&net.fsm[0], VRRP_STATE_BACKUP);
	lost = net.now;
	/* Hold-down: max(preempt_delay, MDI at priority 90 = 3648 ms). */
	hold = lost + (preempt_delay_ms > 3648 ? preempt_delay_ms : 3648);
	net_prio(&net, 0, 150);  /* recovered right away */
	net_run(&net, hold - 1);
	expect_state(&net.fsm[0], VRRP_STATE_BACKUP);
	expect_state(&net.fsm[1], VRRP_STATE_MASTER);
	/* After it: the next lower advert from B arms Skew_Time (414). */
	net_run(&net, hold + 1000 + 414);
	expect_state(&net.fsm[0], VRRP_STATE_MASTER);
	assert_int_equal(net.last_reason[0], VRRP_REASON_HEALTH_TAKEOVER);
	assert_true(net.master_since[0] >= hold);
	assert_int_equal(net.master_changes, 2);
	/* And it stays there. */
	net_run(&net, net.now + 3600000);
	assert_int_equal(net.master_changes, 2);
}

static void test_ht_holddown(void **state)
{
	(void)state;
	run_holddown(0);      /* one Master_Down_Interval */
	run_holddown(20000);  /* preempt_delay is longer */
}

/* ================================================================== */
/* Long runs: hours of protocol time, no flapping                       */
/* ================================================================== */

static void test_long_run_stable(void **state)
{
	static const struct {
		uint8_t version;
		uint32_t interval;
		bool health, preempt;
	} rows[] = {
		{ 3, 1000, true, true },
		{ 3, 100, true, false },
		{ 2, 1000, false, true },
		{ 3, 10, false, false },
	};

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct net net;
		struct vrrp_fsm_config a = cfg_make(rows[r].version, 150);
		struct vrrp_fsm_config b = cfg_make(rows[r].version, 100);
		uint64_t hours = rows[r].interval >= 1000 ? 6 : 1;

		a.advert_interval_ms = b.advert_interval_ms = rows[r].interval;
		a.health_takeover = b.health_takeover = rows[r].health;
		a.preempt = b.preempt = rows[r].preempt;
		net_init(&net);
		net_add(&net, &a);
		net_add(&net, &b);
		/* Both start at the same instant: A's shorter timer wins. */
		net_type(&net, 0, VRRP_EV_STARTUP);
		net_type(&net, 1, VRRP_EV_STARTUP);
		net_run(&net, net.now + 5 * rows[r].interval);
		net_settle(&net);
		expect_state(&net.fsm[0], VRRP_STATE_MASTER);
		net_run(&net, net.now + hours * 3600000u);
		assert_int_equal(net.master_changes, 0);
		assert_int_equal(net.transitions[0], 2);  /* INIT->BACKUP->MASTER */
		assert_int_equal(net.transitions[1], 1);  /* INIT->BACKUP */
		/* One advert per interval, give or take the start. */
		assert_true(net.adverts_sent[0] >= hours * 3600000u / rows[r].interval);
		assert_true(net.adverts_sent[0] <= hours * 3600000u / rows[r].interval + 10);
		assert_int_equal(net.adverts_sent[1], 0);
	}
}

/* Hours of degradations, alternating between the two nodes. */
static void test_long_run_degradations(void **state)
{
	struct net net;
	struct vrrp_fsm_config a = cfg_ht(150, false), b = cfg_ht(140, false);
	unsigned cycles = 0;

	(void)state;
	a.resign_below = b.resign_below = 100;
	net_init(&net);
	net_add(&net, &a);
	net_add(&net, &b);
	net_converge(&net);
	/* Every 10 minutes the master's database is down for a minute
	 * (priority 60, below resign_below): the peer takes over within
	 * Skew_Time; preempt = no, so the VIP stays there afterwards. */
	for (int cycle = 0; cycle < 36; cycle++) {
		int m = -1, other;
		uint64_t t;

		net_run(&net, net.now + 600000 + (uint64_t)cycle * 7);
		assert_int_equal(net_master_count(&net, &m), 1);
		other = 1 - m;
		t = net.now;
		net_prio(&net, m, 60);
		net_run(&net, t + 1000);
		expect_state(&net.fsm[other], VRRP_STATE_MASTER);
		expect_state(&net.fsm[m], VRRP_STATE_BACKUP);
		assert_true(net.master_since[other] - t <=
			    vrrp_fsm_calc_skew_ms(3, vrrp_fsm_priority(&net.fsm[other]), 1000));
		net_run(&net, t + 60000);
		net_prio(&net, m, m == 0 ? 150 : 140);
		cycles++;
	}
	net_run(&net, net.now + 600000);
	assert_int_equal(net.master_changes, cycles);  /* one handover each, no flaps */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_timer_formulas),
		cmocka_unit_test(test_config_check),
		cmocka_unit_test(test_init_owner),
		cmocka_unit_test(test_init_backup),
		cmocka_unit_test(test_init_backup_v2),
		cmocka_unit_test(test_backup_advert_table),
		cmocka_unit_test(test_backup_learns_interval),
		cmocka_unit_test(test_backup_prio_zero_never_later),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_master_rx_prio_zero),
		cmocka_unit_test(test_master_rx_higher),
		cmocka_unit_test(test_master_tie_break),
		cmocka_unit_test(test_master_rx_lower),
		cmocka_unit_test(test_own_advert_ignored),
		cmocka_unit_test(test_preempt_delay),
		cmocka_unit_test(test_fault_from_master),
		cmocka_unit_test(test_fault_from_backup_fatal_check),
		cmocka_unit_test(test_fault_both_flags),
		cmocka_unit_test(test_fault_at_startup),
		cmocka_unit_test(test_fault_owner),
		cmocka_unit_test(test_fault_clear_starts_preempt_delay),
		cmocka_unit_test(test_priority_master_advertised),
		cmocka_unit_test(test_priority_backup_recomputes),
		cmocka_unit_test(test_owner_never_lowers),
		cmocka_unit_test(test_ht_one_backup),
		cmocka_unit_test(test_ht_two_backups_best_wins),
		cmocka_unit_test(test_ht_master_recovers_in_time),
		cmocka_unit_test(test_ht_no_preempt_resign_below),
		cmocka_unit_test(test_ht_sole_degraded_keeps_vip),
		cmocka_unit_test(test_ht_equal_degraded_keep),
		cmocka_unit_test(test_ht_backup_degrades_during_takeover),
		cmocka_unit_test(test_ht_never_later),
		cmocka_unit_test(test_ht_holddown),
		cmocka_unit_test(test_long_run_stable),
		cmocka_unit_test(test_long_run_degradations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
