// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of the quorum lease rules (agent/quorum_rules.h) on a fake
// clock: acquiring the key, renewing at a third of the TTL, the safety
// deadline counted from the send time of the last acknowledged keepalive,
// quorum_lost = hold, a key no longer ours, revocation on every demotion,
// losing to another node, and answers that come too late.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "quorum_rules.h"

static const struct quorum_conf CONF = {
	.ttl_ms = 6000, .demote_budget_ms = 2500, .retry_ms = 500, .hold = false,
};

static void expect_actions(const struct quorum_actions *a, size_t n, ...)
{
	va_list ap;
	va_start(ap, n);
	assert_int_equal(a->n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(a->a[i].type, va_arg(ap, int));
	va_end(ap);
}

/* want -> grant -> acquire won, at times 0, 10, 20; the lease is 7. */
static void hold_key(struct quorum *q, const struct quorum_conf *c)
{
	struct quorum_actions a;
	assert_int_equal(quorum_init(q, c), 0);
	quorum_want(q, true, 0, &a);
	expect_actions(&a, 1, QUORUM_ACT_GRANT);
	assert_int_equal(q->state, QUORUM_GRANTING);
	quorum_granted(q, true, 7, c->ttl_ms, 0, 10, &a);
	expect_actions(&a, 1, QUORUM_ACT_ACQUIRE);
	assert_int_equal(a.a[0].lease, 7);
	quorum_acquired(q, true, true, NULL, 20, &a);
	expect_actions(&a, 1, QUORUM_ACT_ALLOW);
	assert_int_equal(q->state, QUORUM_HELD);
	assert_true(quorum_may_write(q, 20));
}

static void test_init(void **state)
{
	(void)state;
	struct quorum q;
	struct quorum_conf c = CONF;
	assert_int_equal(quorum_init(&q, &c), 0);
	assert_int_equal(q.state, QUORUM_IDLE);
	assert_false(quorum_may_write(&q, 0));
	c.ttl_ms = 1999;
	assert_int_equal(quorum_init(&q, &c), -EINVAL);
	c = CONF;
	c.demote_budget_ms = 3000; /* no time left to renew */
	assert_int_equal(quorum_init(&q, &c), -EINVAL);
	c = CONF;
	c.retry_ms = 0;
	assert_int_equal(quorum_init(&q, &c), -EINVAL);
	assert_string_equal(quorum_state_name(QUORUM_HELD), "held");
	assert_string_equal(quorum_state_name(QUORUM_STATE__COUNT), "?");
}

static void test_renew_at_a_third(void **state)
{
	(void)state;
	struct quorum q;
	struct quorum_actions a;
	hold_key(&q, &CONF);
	/* Renew at a third of the TTL after the key was won. */
	assert_int_equal(quorum_deadline_ms(&q), 0 + 6000 - 2500);
	quorum_tick(&q, 1999, &a);
	expect_actions(&a, 0);
	assert_int_equal(a.wakeup_ms, 2020);
	quorum_tick(&q, 2020, &a);
	expect_actions(&a, 1, QUORUM_ACT_KEEPALIVE);
	assert_int_equal(a.a[0].lease, 7);
	/* No second keepalive while one is out. */
	quorum_tick(&q, 2500, &a);
	expect_actions(&a, 0);
	/* Acknowledged: the deadline moves to its send time + TTL - budget,
	 * not to when the answer came. */
	quorum_renewed(&q, true, 6000, true, 2020, 2900, &a);
	expect_actions(&a, 0);
	assert_int_equal(quorum_deadline_ms(&q), 2020 + 6000 - 2500);
	assert_int_equal(a.wakeup_ms, 2900 + 2000);
	assert_int_equal(q.counters.renewals, 1);
	assert_true(quorum_may_write(&q, 5000));
}

static void test_deadline_demotes(void **state)
{
	(void)state;
	struct quorum q;
	struct quorum_actions a;
	hold_key(&q, &CONF);
	quorum_tick(&q, 2020, &a);
	expect_actions(&a, 1, QUORUM_ACT_KEEPALIVE);
	/* etcd does not answer: retried every retry_ms. */
	quorum_renewed(&q, false, 0, false, 2020, 2520, &a);
	expect_actions(&a, 0);
	assert_int_equal(a.wakeup_ms, 3020);
	quorum_tick(&q, 3020, &a);
	expect_actions(&a, 1, QUORUM_ACT_KEEPALIVE);
	quorum_renewed(&q, false, 0, false, 3020, 3400, &a);
	assert_int_equal(a.wakeup_ms, 3500); /* the deadline comes before the retry */
	assert_true(quorum_may_write(&q, 3499));
	quorum_tick(&q, 3500, &a);
	expect_actions(&a, 1, QUORUM_ACT_DEMOTE);
	assert_non_null(strstr(a.a[0].why, "safety deadline"));
	assert_false(quorum_may_write(&q, 3500));
	assert_int_equal(q.state, QUORUM_LOST);
	assert_int_equal(q.counters.deadline_demotions, 1);
	assert_int_equal(q.counters.renewal_failures, 2);
	/* No more renewals of that lease: it must run out by itself. */
	assert_int_equal(q.lease, 0);
	quorum_tick(&q, 3600, &a);
	expect_actions(&a, 0);
	/* Still wanted (the owner has not left MASTER yet): a new grant later. */
	quorum_tick(&q, 4000, &a);
	expect_actions(&a, 1, QUORUM_ACT_GRANT);
	/* Leaving MASTER: nothing to revoke any more. */
	quorum_want(&q, false, 4100, &a);
	expect_actions(&a, 0);
	assert_int_equal(q.state, QUORUM_IDLE);
}

static void test_hold_keeps_writing(void **state)
{
	(void)state;
	struct quorum q;
	struct quorum_actions a;
	struct quorum_conf c = CONF;
	c.hold = true;
	hold_key(&q, &c);
	quorum_tick(&q, 2020, &a);
	quorum_renewed(&q, false, 0, false, 2020, 2520, &a);
	quorum_tick(&q, 3020, &a);
	quorum_renewed(&q, false, 0, false, 3020, 3400, &a);
	quorum_tick(&q, 3500, &a);
	expect_actions(&a, 0);
	assert_true(quorum_may_write(&q, 3500));
	assert_int_equal(q.counters.held_through_loss, 1);
	assert_int_equal(q.state, QUORUM_HELD);
	/* It goes on trying; a renewal that works re-arms the deadline. */
	quorum_tick(&q, 3900, &a);
	expect_actions(&a, 1, QUORUM_ACT_KEEPALIVE);
	quorum_renewed(&q, true, 2100, true, 3900, 3950, &a);
	assert_int_equal(quorum_deadline_ms(&q), 3900 + 6000 - 2500);
	/* But etcd saying the key is not ours closes the server even so. */
	quorum_tick(&q, 5950, &a);
	expect_actions(&a, 1, QUORUM_ACT_KEEPALIVE);
	quorum_renewed(&q, true, 4000, false, 5950, 6000, &a);
	expect_actions(&a, 2, QUORUM_ACT_REVOKE, QUORUM_ACT_DEMOTE);
	assert_false(quorum_may_write(&q, 6000));
	assert_int_equal(q.counters.not_ours, 1);
}

static void test_expired_lease(void **state)
{
	(void)state;
	struct quorum q;
	struct quorum_actions a;
	hold_key(&q, &CONF);
	quorum_tick(&q, 2020, &a);
	quorum_renewed(&q, true, 0, true, 2020, 2100, &a);
	/* An expired lease has nothing to revoke; the server closes. */
	expect_actions(&a, 2, QUORUM_ACT_REVOKE, QUORUM_ACT_DEMOTE);
	assert_non_null(strstr(a.a[1].why, "expired"));
	assert_int_equal(q.state, QUORUM_LOST);
}

static void test_revoke_on_demotion(void **state)
{
	(void)state;
	struct quorum q;
	struct quorum_actions a;
	hold_key(&q, &CONF);
	quorum_want(&q, false, 100, &a);
	expect_actions(&a, 1, QUORUM_ACT_REVOKE);
	assert_int_equal(a.a[0].lease, 7);
	assert_int_equal(q.state, QUORUM_IDLE);
	assert_false(quorum_may_write(&q, 100));
	/* Twice is nothing. */
	quorum_want(&q, false, 110, &a);
	expect_actions(&a, 0);
	/* The keepalive that was out answers late: ignored. */
	quorum_renewed(&q, true, 6000, true, 90, 120, &a);
	expect_actions(&a, 0);
}

static void test_lost_to_another(void **state)
{
	(void)state;
	struct quorum q;
	struct quorum_actions a;
	assert_int_equal(quorum_init(&q, &CONF), 0);
	quorum_want(&q, true, 0, &a);
	quorum_granted(&q, true, 9, 6000, 0, 5, &a);
	quorum_acquired(&q, true, false, "db2", 8, &a);
	/* Our lease is of no use: revoked; another try after retry_ms. */
	expect_actions(&a, 1, QUORUM_ACT_REVOKE);
	assert_int_equal(a.a[0].lease, 9);
	assert_int_equal(q.state, QUORUM_LOST);
	assert_string_equal(q.holder, "db2");
	assert_false(quorum_may_write(&q, 8));
	assert_int_equal(a.wakeup_ms, 508);
	quorum_tick(&q, 508, &a);
	expect_actions(&a, 1, QUORUM_ACT_GRANT);
	quorum_granted(&q, true, 10, 6000, 508, 510, &a);
	quorum_acquired(&q, true, true, NULL, 512, &a);
	expect_actions(&a, 1, QUORUM_ACT_ALLOW);
	assert_string_equal(q.holder, "");
	assert_int_equal(q.counters.lost_to_other, 1);
	assert_int_equal(q.counters.acquired, 1);
}

static void test_failures_retry(void **state)
{
	(void)state;
	struct quorum q;
	struct quorum_actions a;
	assert_int_equal(quorum_init(&q, &CONF), 0);
	quorum_want(&q, true, 0, &a);
	quorum_granted(&q, false, 0, 0, 0, 100, &a);
	expect_actions(&a, 0);
	assert_int_equal(a.wakeup_ms, 600);
	quorum_tick(&q, 600, &a);
	expect_actions(&a, 1, QUORUM_ACT_GRANT);
	/* A grant without a usable lease or TTL is a failure too. */
	quorum_granted(&q, true, 0, 6000, 600, 610, &a);
	assert_int_equal(q.counters.grant_failures, 2);
	quorum_tick(&q, 1110, &a);
	expect_actions(&a, 1, QUORUM_ACT_GRANT);
	/* etcd may grant another TTL than asked: its answer counts. */
	quorum_granted(&q, true, 11, 9000, 1110, 1120, &a);
	expect_actions(&a, 1, QUORUM_ACT_ACQUIRE);
	quorum_acquired(&q, false, false, NULL, 1130, &a);
	expect_actions(&a, 0);
	quorum_tick(&q, 1630, &a);
	expect_actions(&a, 1, QUORUM_ACT_ACQUIRE);
	quorum_acquired(&q, true, true, NULL, 1640, &a);
	expect_actions(&a, 1, QUORUM_ACT_ALLOW);
	assert_int_equal(quorum_deadline_ms(&q), 1110 + 9000 - 2500);
	assert_int_equal(a.wakeup_ms, 1640 + 3000);
}

static void test_late_grant_revoked(void **state)
{
	(void)state;
	struct quorum q;
	struct quorum_actions a;
	assert_int_equal(quorum_init(&q, &CONF), 0);
	quorum_want(&q, true, 0, &a);
	quorum_want(&q, false, 5, &a);
	expect_actions(&a, 0);
	/* The grant asked for before answers now: given back at once. */
	quorum_granted(&q, true, 12, 6000, 0, 20, &a);
	expect_actions(&a, 1, QUORUM_ACT_REVOKE);
	assert_int_equal(a.a[0].lease, 12);
	assert_int_equal(q.state, QUORUM_IDLE);
	assert_int_equal(q.lease, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_renew_at_a_third),
		cmocka_unit_test(test_deadline_demotes),
		cmocka_unit_test(test_hold_keeps_writing),
		cmocka_unit_test(test_expired_lease),
		cmocka_unit_test(test_revoke_on_demotion),
		cmocka_unit_test(test_lost_to_another),
		cmocka_unit_test(test_failures_retry),
		cmocka_unit_test(test_late_grant_revoked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
