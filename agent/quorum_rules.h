// SPDX-License-Identifier: GPL-2.0-or-later
// Quorum on etcd: the lease rules, as a pure state machine.
#ifndef VIGIL_QUORUM_RULES_H
#define VIGIL_QUORUM_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A master may write only while it holds its instance's key in etcd with a
 * lease of its own; etcd's majority, not VRRP, decides who may write when
 * the network splits. This file holds the rules and nothing else: no I/O,
 * no clock. The owner feeds it what happened (with the monotonic time),
 * and carries out the actions it returns, in order. Times are monotonic
 * milliseconds.
 *
 *   want (becoming master)  -> GRANT -> (granted) -> ACQUIRE (txn: create
 *   the key if absent, with our lease) -> (won) -> HELD: writes allowed;
 *   every ttl/3 a KEEPALIVE, which also checks the key still carries our
 *   lease.
 *
 * The safety rule: etcd counts a lease's TTL from when it last received a
 * keepalive, which is after we sent it. So the lease surely lives until
 * (send time of the last acknowledged keepalive) + TTL, and no longer can
 * we be sure. A master that cannot renew must be read-only before then:
 * it demotes at that time minus demote_budget (the time its demotion takes
 * at most: the read_only statement's deadline plus a margin). With
 * quorum_lost = hold it keeps writing instead (availability over safety:
 * it cannot tell "etcd is down everywhere" from "I am cut off"), unless
 * etcd answered that the key is not ours.
 */

struct quorum_conf {
	uint32_t ttl_ms;            /* asked of the grant (lease_ttl) */
	uint32_t demote_budget_ms;  /* demotion's worst case: role_timeout + margin */
	uint32_t retry_ms;          /* a failed grant/acquire/keepalive is tried again after this */
	bool hold;                  /* quorum_lost = hold */
};

enum quorum_state {
	QUORUM_IDLE,        /* no lease, not wanted */
	QUORUM_GRANTING,    /* asking for a lease */
	QUORUM_ACQUIRING,   /* lease granted, taking the key */
	QUORUM_HELD,        /* the key is ours: writes allowed */
	QUORUM_LOST,        /* wanted, but another node holds the key, or etcd is unreachable */
	QUORUM_STATE__COUNT
};

/* "idle", "granting", "acquiring", "held", "lost". */
const char *quorum_state_name(enum quorum_state s);

enum quorum_action_type {
	QUORUM_ACT_GRANT,       /* lease grant with conf.ttl_ms; answer quorum_granted() */
	QUORUM_ACT_ACQUIRE,     /* txn create-if-absent with .lease; answer quorum_acquired() */
	QUORUM_ACT_KEEPALIVE,   /* lease keepalive of .lease + check the key's lease;
				 * answer quorum_renewed() with the send time */
	QUORUM_ACT_REVOKE,      /* revoke .lease (fire and forget) */
	QUORUM_ACT_ALLOW,       /* the key is ours: the server may be opened */
	QUORUM_ACT_DEMOTE,      /* close the server now (.why says why) */
};

struct quorum_action {
	enum quorum_action_type type;
	int64_t lease;
	const char *why;
};

#define QUORUM_ACTIONS_MAX 4

struct quorum_actions {
	struct quorum_action a[QUORUM_ACTIONS_MAX];
	size_t n;
	uint64_t wakeup_ms;     /* call quorum_tick() at this time (0: nothing due) */
};

struct quorum_counters {
	uint64_t grants, grant_failures;
	uint64_t acquired, lost_to_other, acquire_failures;
	uint64_t renewals, renewal_failures, not_ours;
	uint64_t deadline_demotions;        /* renewals failed until the safety deadline */
	uint64_t held_through_loss;         /* quorum_lost = hold: deadline passed, kept writing */
};

struct quorum {
	struct quorum_conf conf;
	enum quorum_state state;
	bool wanted;
	int64_t lease;                  /* 0: none */
	uint32_t granted_ttl_ms;
	uint64_t acked_send_ms;         /* send time of the last acknowledged grant/keepalive */
	uint64_t next_renew_ms;
	bool in_flight;                 /* a request is out; its answer comes */
	uint64_t retry_at_ms;           /* a failed request is tried again then (0: none) */
	bool demoted;                   /* DEMOTE already returned for this holding */
	char holder[64];                /* who holds the key when LOST to another node */
	struct quorum_counters counters;
};

/* Set up (IDLE). Returns 0, or -EINVAL for a TTL of less than 2 s or a
 * budget that leaves no time to renew (budget >= ttl / 2). */
int quorum_init(struct quorum *q, const struct quorum_conf *conf);

/* The node wants to be master (true) or no longer (false: its lease is
 * revoked at once, so a peer takes the key without waiting a TTL). */
void quorum_want(struct quorum *q, bool want, uint64_t now_ms, struct quorum_actions *out);

/* Answers. sent_ms: when the request was sent. ok false: no answer (timeout,
 * connection refused, malformed). */
void quorum_granted(struct quorum *q, bool ok, int64_t lease, uint32_t ttl_ms, uint64_t sent_ms,
		    uint64_t now_ms, struct quorum_actions *out);
/* won: the key is ours (created now, or already ours); otherwise holder
 * names who has it ("" unknown). */
void quorum_acquired(struct quorum *q, bool ok, bool won, const char *holder, uint64_t now_ms,
		     struct quorum_actions *out);
/* ttl_left_ms 0 means etcd says the lease expired; ours false: the key no
 * longer carries our lease. */
void quorum_renewed(struct quorum *q, bool ok, uint32_t ttl_left_ms, bool ours, uint64_t sent_ms,
		    uint64_t now_ms, struct quorum_actions *out);

/* Time passed (the wakeup asked for, or any later time). */
void quorum_tick(struct quorum *q, uint64_t now_ms, struct quorum_actions *out);

/* Writes allowed now: the key is held and the safety deadline not passed
 * (or passed under quorum_lost = hold). */
bool quorum_may_write(const struct quorum *q, uint64_t now_ms);

/* The time by which a master that cannot renew is read-only (0: no lease). */
uint64_t quorum_deadline_ms(const struct quorum *q);

#endif
