/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fsm_steps.c: fake-clock steps, action checks and a fake network for the tests of vrrp/fsm.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fsm_steps.h"

/* ================================================================== */
/* Config and single steps                                              */
/* ================================================================== */

struct vrrp_fsm_config cfg_make(uint8_t version, uint8_t prio)
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

struct vrrp_fsm_addr addr4(uint8_t last)
{
	struct vrrp_fsm_addr a = { .len = 4, .bytes = { 198, 18, 0, last } };
	return a;
}

void fsm_setup(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *cfg,
	       uint8_t self_last)
{
	struct vrrp_fsm_addr self = addr4(self_last);

	assert_int_equal(vrrp_fsm_init(fsm, cfg, &self), 0);
	assert_string_equal(vrrp_state_name(vrrp_fsm_state(fsm)), "INIT");
}

void step_type(struct vrrp_fsm *fsm, enum vrrp_fsm_event_type type,
	       uint64_t now, struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = type };

	vrrp_fsm_step(fsm, &ev, now, out);
}

void step_advert(struct vrrp_fsm *fsm, uint8_t prio, uint32_t interval_ms,
		 uint8_t src_last, uint64_t now, struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_ADVERT };

	ev.advert.priority = prio;
	ev.advert.interval_ms = interval_ms;
	ev.advert.src = addr4(src_last);
	vrrp_fsm_step(fsm, &ev, now, out);
}

void step_prio(struct vrrp_fsm *fsm, uint8_t prio, uint64_t now,
	       struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_PRIORITY };

	ev.priority = prio;
	vrrp_fsm_step(fsm, &ev, now, out);
}

void step_eligible(struct vrrp_fsm *fsm, bool flag, uint64_t now,
		   struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_ELIGIBLE };

	ev.flag = flag;
	vrrp_fsm_step(fsm, &ev, now, out);
}

void step_witness(struct vrrp_fsm *fsm, uint32_t seq, bool served,
		  uint64_t now, struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_WITNESS };

	ev.witness.seq = seq;
	ev.witness.served = served;
	vrrp_fsm_step(fsm, &ev, now, out);
}

void step_contest(struct vrrp_fsm *fsm, int epoch_cmp, uint64_t now,
		  struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_CONTEST };

	ev.contest.epoch_cmp = epoch_cmp;
	vrrp_fsm_step(fsm, &ev, now, out);
}

/* ================================================================== */
/* Checks                                                               */
/* ================================================================== */

void expect_actions(const struct vrrp_fsm_actions *out,
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

void expect_advert_prio(const struct vrrp_fsm_actions *out, size_t i,
			uint8_t prio)
{
	assert_true(i < out->count);
	assert_int_equal(out->list[i].type, VRRP_ACT_SEND_ADVERT);
	assert_int_equal(out->list[i].advert_priority, prio);
}

void expect_change(const struct vrrp_fsm_actions *out, enum vrrp_state from,
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

void expect_state(const struct vrrp_fsm *fsm, enum vrrp_state s)
{
	assert_string_equal(vrrp_state_name(vrrp_fsm_state(fsm)), vrrp_state_name(s));
}

void expect_witness(const struct vrrp_fsm *fsm, enum vrrp_fsm_witness_state w)
{
	assert_int_equal(vrrp_fsm_witness_state(fsm), w);
}

int find_action(const struct vrrp_fsm_actions *out,
		enum vrrp_fsm_action_type type)
{
	for (size_t i = 0; i < out->count; i++)
		if (out->list[i].type == type)
			return (int)i;
	return -1;
}

uint32_t expect_probe(const struct vrrp_fsm_actions *out)
{
	EXPECT_ACTS(out, WSTART);
	return out->list[0].witness_seq;
}

const struct vrrp_fsm_counters *ctr(const struct vrrp_fsm *fsm)
{
	return vrrp_fsm_counters(fsm);
}

void make_master(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *c,
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
/* A fake network                                                       */
/* ================================================================== */

void net_init(struct net *net)
{
	memset(net, 0, sizeof(*net));
	net->now = T0;
	net->settled_master = -1;
}

int net_add(struct net *net, const struct vrrp_fsm_config *c)
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

/* 0..99, from a xorshift64 generator: the same sequence every run. */
static unsigned net_rand_pct(struct net *net)
{
	uint64_t x = net->rng ? net->rng : 1;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	net->rng = x;
	return (unsigned)((x >> 11) % 100u);
}

/* Carry out node i's actions as the glue would, checking each. */
static void net_exec(struct net *net, int i, const struct vrrp_fsm_actions *out)
{
	for (size_t k = 0; k < out->count; k++) {
		const struct vrrp_fsm_action *a = &out->list[k];

		switch (a->type) {
		case VRRP_ACT_SEND_ADVERT:
			net->adverts_sent[i]++;
			if (!net->connected[i])
				break;
			if (net->loss_pct[i] && net_rand_pct(net) < net->loss_pct[i]) {
				net->adverts_lost[i]++;
				break;
			}
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
			net->transitions[i]++;
			net->last_reason[i] = a->change.reason;
			if (a->change.to == VRRP_STATE_MASTER)
				net->master_since[i] = net->now;
			break;
		case VRRP_ACT_WITNESS_START:
		case VRRP_ACT_WITNESS_CANCEL:
		case VRRP_ACT_CONTEST_START:
		case VRRP_ACT_REOPEN:
			if (!net->glue)
				fail();  /* data safety is off on a plain network */
			break;
		case VRRP_ACT_COUNT:
			fail();
		}
		if (net->glue)
			net->glue->action(net, i, a);
	}
	net->wakeup[i] = out->wakeup_ms;
	/* The glue's view and the FSM's must agree after every step. */
	assert_int_equal(net->vips[i],
			 vrrp_fsm_state(&net->fsm[i]) == VRRP_STATE_MASTER);
	if (net->glue)
		net->glue->check(net, i);
}

static void net_deliver(struct net *net);

void net_event(struct net *net, int i, const struct vrrp_fsm_event *ev)
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

void net_type(struct net *net, int i, enum vrrp_fsm_event_type type)
{
	struct vrrp_fsm_event ev = { .type = type };

	net_event(net, i, &ev);
}

void net_prio(struct net *net, int i, uint8_t prio)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_PRIORITY };

	ev.priority = prio;
	net_event(net, i, &ev);
}

void net_eligible(struct net *net, int i, bool flag)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_ELIGIBLE };

	ev.flag = flag;
	net_event(net, i, &ev);
}

int net_master_count(const struct net *net, int *which)
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

/* When node i next needs something; UINT64_MAX: nothing. Plain: its TIMER,
 * which the run below checks is never in the past. */
static uint64_t net_next(const struct net *net, int i)
{
	if (net->glue)
		return net->glue->next(net, i);
	if (net->frozen[i] || !net->wakeup[i])
		return UINT64_MAX;
	return net->wakeup[i];
}

void net_run(struct net *net, uint64_t until)
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
		assert_true(next >= net->now);  /* never asked to go back */
		if (net_master_count(net, NULL) >= 2)
			net->two_masters_ms += next - net->now;
		net->now = next;
		for (int i = 0; i < net->n; i++) {
			if (net->frozen[i])
				continue;
			if (net->glue)
				net->glue->due(net, i);
			if (net->wakeup[i] && net->wakeup[i] <= net->now)
				net_type(net, i, VRRP_EV_TIMER);
		}
		net_check(net);
	}
	if (net_master_count(net, NULL) >= 2 && until > net->now)
		net->two_masters_ms += until - net->now;
	net->now = until;
}

void net_settle(struct net *net)
{
	int m = -1;

	assert_int_equal(net_master_count(net, &m), 1);
	net->settled_master = m;
	net->master_changes = 0;
}

void net_converge(struct net *net)
{
	net_type(net, 0, VRRP_EV_STARTUP);
	net_run(net, net->now + 5000);   /* node 0 alone becomes master */
	for (int i = 1; i < net->n; i++)
		net_type(net, i, VRRP_EV_STARTUP);
	net_run(net, net->now + 10000);
	expect_state(&net->fsm[0], VRRP_STATE_MASTER);
	for (int i = 1; i < net->n; i++)
		expect_state(&net->fsm[i], VRRP_STATE_BACKUP);
	net_settle(net);
}
