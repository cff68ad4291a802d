/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent_quorum: one instance's etcd lease, the rules of quorum_rules.h carried out on etcd_client. */
#ifndef VIGIL_AGENT_QUORUM_H
#define VIGIL_AGENT_QUORUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "etcd_client.h"
#include "log.h"
#include "quorum_rules.h"

/*
 * docs/quorum.md. The instance's master holds the key PREFIX+NAME (value:
 * router_id) under a lease of its own while its server may be writable:
 *
 *   - a takeover on silence is corroborated by taking the key first
 *     (agent_quorum_probe): the answer is "won", or a veto (another node
 *     holds it, or etcd cannot be reached within the probe's time);
 *   - a MASTER that entered by another path (a priority-0 advert, a
 *     health takeover) takes the key as it enters; its server stays
 *     read-only (the promotion gate waits, agent_quorum_may_write) until
 *     it has it;
 *   - the lease is renewed every third of its TTL, the key checked to
 *     still carry it; when that fails the rules' DEMOTE comes before the
 *     lease can end in etcd (ops->demote), unless quorum_lost = hold;
 *   - the lease is revoked once a demotion is confirmed
 *     (agent_quorum_release), so a peer takes the key at once;
 *   - a BACKUP publishes its effective priority under
 *     PREFIX+NAME/candidates/ROUTER_ID with a lease of its own; the
 *     master reads them at each renewal (ops->candidate).
 *
 * Every request has a deadline (request_timeout); errors are counted and
 * logged once per run of failures, not once per retry.
 */

#define AGENT_QUORUM_CANDIDATES_MAX 8u

struct agent_quorum_ops {
	/* The answer to agent_quorum_probe(seq): won, or a veto with why. */
	void (*probe_result)(void *ctx, uint32_t seq, bool won);
	/* The key is held: a waiting promotion gate may open. */
	void (*allow)(void *ctx);
	/* The key is lost or cannot be renewed in time: hand over now. */
	void (*demote)(void *ctx, const char *why);
	/* At a renewal: the highest candidate other than this node (0: none). */
	void (*candidate)(void *ctx, uint8_t priority, const char *router_id);
};

struct agent_quorum_conf {
	const char *instance;      /* for messages */
	const char *router_id;     /* the key's value, the candidate's name */
	const char *prefix;        /* "/vigil/" */
	struct quorum_conf rules;
	uint32_t request_timeout_ms;
	uint32_t probe_timeout_ms; /* a probe not won by then is a veto */
};

struct agent_quorum_candidate {
	char router_id[64];
	uint8_t priority;
};

/* What status and metrics show. */
struct agent_quorum_status {
	enum quorum_state state;
	const char *key;
	char holder[64];               /* another node's router_id when it holds the key */
	int64_t lease;
	int64_t lease_remaining_ms;    /* until the lease can end in etcd (-1: none) */
	int64_t deadline_in_ms;        /* until a master that cannot renew demotes (-1: none) */
	int64_t last_renewal_ago_ms;   /* -1: never */
	bool may_write;
	bool publishing;               /* a candidate entry is published */
	uint8_t published_priority;
	size_t n_candidates;
	struct agent_quorum_candidate candidates[AGENT_QUORUM_CANDIDATES_MAX];
	struct quorum_counters rules;
	uint64_t probes, probes_won, vetoes;
	uint64_t request_errors;       /* etcd requests that failed on every member (all kinds) */
	uint64_t endpoint_errors;      /* tries on one member that failed (then the next was asked) */
	uint64_t demotions;
};

struct agent_quorum;

int agent_quorum_new(struct agent_quorum **out, struct ev_loop *loop, const struct logger *log,
		     struct etcd_client *etcd, const struct agent_quorum_conf *conf,
		     const struct agent_quorum_ops *ops, void *ctx, char *err, size_t errlen);
/* Cancel its requests, stop its timers, free. The lease is not revoked
 * here: agent_quorum_release() first on a stop. Accepts NULL. */
void agent_quorum_free(struct agent_quorum *q);

/* Take the key for a takeover; ops->probe_result(seq) answers. master_alive:
 * the master spoke (a health takeover or a preemption): it holds the key
 * until it hands it over, so after one probe lost to it the next ones are
 * answered from that answer for a third of the TTL, without asking etcd. */
void agent_quorum_probe(struct agent_quorum *q, uint32_t seq, bool master_alive);
/* The probe's answer is not wanted any more (a master spoke). Unless the
 * node is MASTER, the key is given back. */
void agent_quorum_probe_cancel(struct agent_quorum *q);

/* The instance entered MASTER (true: take the key if not held yet) or
 * left it (false: the lease stays until agent_quorum_release). */
void agent_quorum_set_master(struct agent_quorum *q, bool master);
/* The server is read-only again (or the instance stops): revoke the lease
 * unless the node is MASTER again. */
void agent_quorum_release(struct agent_quorum *q);

/* Give the key up now although MASTER (a hand-over to a candidate: the
 * server is read-only already): revoke, and no longer want it. */
void agent_quorum_give_up(struct agent_quorum *q);

/* MASTER: read the candidates now (ops->candidate), not at the next
 * renewal (our priority fell). */
void agent_quorum_refresh_candidates(struct agent_quorum *q);

/* The key is held and the safety deadline not passed. */
bool agent_quorum_may_write(const struct agent_quorum *q);

/* Publish this node as a candidate at priority (BACKUP and eligible), or
 * withdraw it (publish false). Cheap to call on every change. */
void agent_quorum_candidate(struct agent_quorum *q, bool publish, uint8_t priority);

/* The current state (also the revoke of a stop in flight). */
void agent_quorum_status(const struct agent_quorum *q, struct agent_quorum_status *out);

#endif
