/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fsm_steps.h: fake-clock steps, action checks and a fake network for the tests of vrrp/fsm.h. */
/*
 * Shared by test_fsm.c, test_fsm_witness.c and test_fsm_contest.c. The
 * checks use cmocka's assertions, so a failure fails the calling test.
 * Nodes are 198.18.0.<last>; on a network node i is 198.18.0.<i + 1>.
 */
#ifndef VIGIL_FSM_STEPS_H
#define VIGIL_FSM_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsm.h"

/* ---- clock and timers -------------------------------------------------- */

#define T0 1000000u  /* fake monotonic clock start (a real one is never 0) */
#define LEAD 300u    /* witness_lead_ms of the data safety tests */

/* 1 s interval: Skew_Time / Master_Down_Interval at priority 100 and 200. */
#define SKEW100 609u
#define MDI100 3609u
#define SKEW200 218u
#define MDI200 3218u

/* ---- config and single steps ------------------------------------------- */

/* VRID 51, 1 s interval, preempt on, no delay, everything else off. */
struct vrrp_fsm_config cfg_make(uint8_t version, uint8_t prio);

/* 198.18.0.<last>. */
struct vrrp_fsm_addr addr4(uint8_t last);

/* Init @fsm as 198.18.0.<self_last>; it must accept @cfg and be in INIT. */
void fsm_setup(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *cfg,
	       uint8_t self_last);

/* One event at @now into @out: a bare @type, or with its payload. */
void step_type(struct vrrp_fsm *fsm, enum vrrp_fsm_event_type type,
	       uint64_t now, struct vrrp_fsm_actions *out);
void step_advert(struct vrrp_fsm *fsm, uint8_t prio, uint32_t interval_ms,
		 uint8_t src_last, uint64_t now, struct vrrp_fsm_actions *out);
void step_prio(struct vrrp_fsm *fsm, uint8_t prio, uint64_t now,
	       struct vrrp_fsm_actions *out);
void step_eligible(struct vrrp_fsm *fsm, bool flag, uint64_t now,
		   struct vrrp_fsm_actions *out);
void step_witness(struct vrrp_fsm *fsm, uint32_t seq, bool served,
		  uint64_t now, struct vrrp_fsm_actions *out);
void step_contest(struct vrrp_fsm *fsm, int epoch_cmp, uint64_t now,
		  struct vrrp_fsm_actions *out);

/* ---- checks ------------------------------------------------------------ */

/* @out holds exactly @types, in order. Compared by name so a failure prints
 * "announce" != "add-vips"; on a count mismatch it lists what @out got. */
void expect_actions(const struct vrrp_fsm_actions *out,
		    const enum vrrp_fsm_action_type *types, size_t n);

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

/* Action @i of @out is a SEND_ADVERT at @prio. */
void expect_advert_prio(const struct vrrp_fsm_actions *out, size_t i,
			uint8_t prio);

/* The last action must be STATE_CHANGED from -> to because reason. */
void expect_change(const struct vrrp_fsm_actions *out, enum vrrp_state from,
		   enum vrrp_state to, enum vrrp_fsm_reason reason);

void expect_state(const struct vrrp_fsm *fsm, enum vrrp_state s);
void expect_witness(const struct vrrp_fsm *fsm, enum vrrp_fsm_witness_state w);

/* Index of the first action of @type, -1 if none. */
int find_action(const struct vrrp_fsm_actions *out,
		enum vrrp_fsm_action_type type);

/* The seq of the WITNESS_START in @out (which must hold exactly that). */
uint32_t expect_probe(const struct vrrp_fsm_actions *out);

const struct vrrp_fsm_counters *ctr(const struct vrrp_fsm *fsm);

/*
 * Bring an instance to MASTER: eligible (a no-op without cfg.eligibility),
 * started, and with the witness on, each probe answered "not served".
 * *now is the time it became MASTER.
 */
void make_master(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *c,
		 uint8_t self_last, uint64_t *now);

/* ---- a fake network ---------------------------------------------------- */

/*
 * N FSMs wired together on the fake clock with zero-latency adverts, and
 * the glue's view (VIPs held, counters) checked against each FSM after
 * every step. Plain VRRP by itself: any data safety action fails the test.
 * A test that turns data safety on sets .glue, which carries out those
 * actions and answers them (test_fsm_contest.c).
 */

#define NET_MAX 4
#define NET_QUEUE 64

struct net;

/* The data safety part of the glue (the owner's answers among it). */
struct net_glue {
	/* After the network handled action @a of node i: any type, but the
	 * data safety ones are the glue's alone. */
	void (*action)(struct net *net, int i, const struct vrrp_fsm_action *a);
	/* After node i's step: the glue's view and the FSM's agree. */
	void (*check)(struct net *net, int i);
	/* When node i next needs something, its TIMER included; UINT64_MAX:
	 * nothing. Replaces the plain "its TIMER, never in the past". */
	uint64_t (*next)(const struct net *net, int i);
	/* Deliver what is due for node i at net->now, before its TIMER. */
	void (*due)(struct net *net, int i);
};

struct net {
	uint64_t now;
	int n;
	const struct net_glue *glue;      /* NULL: plain VRRP */
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
	struct { int from; uint8_t prio; } q[NET_QUEUE];
	int qn;
	int settled_master;               /* -1: do not check */
	unsigned master_changes;          /* after net_settle() */
	/* Random loss (test_fsm_loss.c): each advert node i sends is lost
	 * with probability loss_pct[i] / 100 (0: none), drawn from rng. */
	unsigned loss_pct[NET_MAX];
	uint64_t rng;                     /* xorshift64 state; 0 is taken as 1 */
	unsigned adverts_lost[NET_MAX];
	uint64_t two_masters_ms;          /* net_run() time with two or more MASTERs */

	/* The data safety glue's state, used only when .glue is set. */
	bool plain;                       /* fail on any data safety action */
	/* The owner's witness: what node i's probe finds, and its answer. */
	bool served[NET_MAX];
	bool answers[NET_MAX];            /* false: the probe never answers */
	bool probe_pending[NET_MAX];
	uint32_t probe_seq[NET_MAX];
	uint64_t probe_started[NET_MAX];
	unsigned probes[NET_MAX];
	unsigned cancels[NET_MAX];
	/* The owner's contest: epochs compared some time later. */
	int epoch[NET_MAX];
	bool contest_open[NET_MAX];
	uint64_t contest_at[NET_MAX];
	struct vrrp_fsm_advert contest_peer[NET_MAX];
	unsigned contest_starts[NET_MAX];
	unsigned reopens[NET_MAX];
};

/* Empty, plain, clock at T0, nothing checked until net_settle(). */
void net_init(struct net *net);

/* Add a node (connected; probes answered, epoch 1); returns its index. */
int net_add(struct net *net, const struct vrrp_fsm_config *c);

/* One event into node i at net->now, its actions carried out, and every
 * advert then delivered (with what those cause in turn). */
void net_event(struct net *net, int i, const struct vrrp_fsm_event *ev);
void net_type(struct net *net, int i, enum vrrp_fsm_event_type type);
void net_prio(struct net *net, int i, uint8_t prio);
void net_eligible(struct net *net, int i, bool flag);

/* How many nodes are MASTER; *which (if not NULL) is the last one. */
int net_master_count(const struct net *net, int *which);

/* Advance the fake clock to @until, delivering everything on time. After
 * every instant: if settled, exactly one master (changes are counted). */
void net_run(struct net *net, uint64_t until);

/* Start counting master changes from the current master. */
void net_settle(struct net *net);

/* Node 0 starts alone and becomes master, then the others start and stay
 * BACKUP: converged and settled. */
void net_converge(struct net *net);

#endif /* VIGIL_FSM_STEPS_H */
