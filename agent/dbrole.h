/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dbrole: the database side of one VRRP instance: read_only, promotion gate, epochs, eligibility, witness, contest. */
#ifndef VIGIL_DBROLE_H
#define VIGIL_DBROLE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "db_eligibility.h"
#include "fsm.h"
#include "log.h"
#include "mysql_async.h"

/*
 * docs/data-safety.md: the write VIP goes only to a server that has
 * the data. One struct dbrole per instance with manage_read_only (or the
 * witness alone). It talks to the local server (the role check's
 * address, vigil's credentials), to the database peers (their MySQL
 * addresses) and, for the witness, to the VIP, each through the
 * non-blocking connector with a deadline per statement, and tells the
 * VRRP instance what it found through struct dbrole_ops:
 *
 *   - every poll interval: the local server's role (read_only, replica,
 *     positions, epoch) and the peers' (epoch, what they received); a
 *     server that is writable while this node is not MASTER is made
 *     read-only again (counted, logged loudly); eligibility is decided
 *     (db_eligibility.h) and reported on every change;
 *   - on MASTER: the promotion gate (the VIP is up already; the server
 *     stays read-only until it has everything the old master
 *     acknowledged, then the epoch row, then read_only = OFF);
 *   - on leaving MASTER, and before a graceful stop: the demotion order
 *     (read_only = ON, killing lock holders if it blocks; the sessions of
 *     ordinary users killed); only then may the VIP go (ops->demoted);
 *   - the witness probe of the VIP, and the contest of two masters.
 *
 * Without manage_read_only (witness alone) only the witness runs.
 */

struct dbrole_peer_conf {
	int family;                        /* AF_INET or AF_INET6 */
	struct in_addr addr;
	struct in6_addr addr6;
	uint16_t port;
};

struct dbrole_conf {
	const char *instance;              /* for messages */
	const char *router_id;             /* written into epoch rows */
	bool manage_read_only;
	struct sqlconn_target local;       /* the role check's server and credentials */
	const struct dbrole_peer_conf *peers;
	size_t n_peers;
	uint16_t peer_port;                /* MySQL port of a master heard but not in peers */
	uint32_t poll_interval_ms;
	uint32_t stmt_timeout_ms;          /* role_timeout */
	uint32_t promote_timeout_ms;
	bool writable_on_timeout;          /* promote_on_timeout = writable */
	bool stop_replication;             /* stop_replication_on_promote */
	uint32_t crit_lag_ms;              /* eligibility: a replica lagging more is not */
	bool witness;
	int vip_family;                    /* AF_INET or AF_INET6 */
	struct in_addr vip;                /* what the witness connects to (IPv4) */
	struct in6_addr vip6;              /* (IPv6: a global VIP) */
	uint32_t witness_timeout_ms;
};

/* Callbacks into the agent. ctx is the agent's. All required but alarm. */
struct dbrole_ops {
	/* Eligibility changed. */
	void (*eligible)(void *ctx, bool eligible);
	/* The answer to dbrole_witness(). */
	void (*witness_result)(void *ctx, uint32_t seq, bool served);
	/* The answer to dbrole_contest(). */
	void (*contest_result)(void *ctx, int epoch_cmp);
	/* A demotion finished (read_only confirmed, or the server is dead):
	 * the VIP may be released now. */
	void (*demoted)(void *ctx);
	/* The promotion gate wants to hand over: a peer received more. */
	void (*resign)(void *ctx);
	/* The server's settings make the rules unsound: refuse to run. */
	void (*refuse)(void *ctx, const char *why);
	/* Optional: data safety failed at something it must do (a server
	 * left writable while not master, a gate that timed out); the error
	 * is logged and counted already. */
	void (*alarm)(void *ctx, const char *what);
	/* Is another node master right now? (Which one is not asked: over
	 * IPv6 the advert source is a link-local address, no server's.) */
	bool (*master_heard)(void *ctx);
	/* Optional (quorum on etcd): may the server be opened now? The gate
	 * waits before read_only = OFF until it may (dbrole_permit()). */
	bool (*may_write)(void *ctx);
};

/* What the local server is, as vigil manages it (status, logs, notify). */
enum dbrole_mode {
	DBROLE_UNKNOWN = 0,   /* not polled yet */
	DBROLE_READ_ONLY,     /* not master: read-only (asserted) */
	DBROLE_ADOPTING,      /* cold start beside a writable primary holding the VIP: wait, listen */
	DBROLE_GATING,        /* master, read-only until the gate opens */
	DBROLE_WRITABLE,      /* master, gate open */
	DBROLE_DEMOTING,      /* leaving master: read_only, sessions, then the VIP */
	DBROLE_MODE__COUNT
};

/* "unknown", "read-only", "adopting", "gating", "writable", "demoting". */
const char *dbrole_mode_name(enum dbrole_mode m);

struct dbrole_stats {
	uint64_t polls, poll_errors;
	uint64_t read_only_set, read_only_failures;
	uint64_t reasserted;                /* found writable while not master */
	uint64_t sessions_killed;
	uint64_t gates_opened, gate_timeouts;
	uint64_t epochs_written;
	uint64_t witness_probes, witness_served;
	uint64_t contests, contests_lost;
	uint64_t role_errors;               /* statements that failed */
	uint64_t alarms;                    /* notify_alarm occasions */
};

struct dbrole;

/* Create (nothing runs until dbrole_start). conf is copied. */
int dbrole_new(struct dbrole **out, struct ev_loop *loop, const struct logger *log,
	       const struct dbrole_conf *conf, const struct dbrole_ops *ops, void *ctx);

/* Stop every watcher and connection, free. Accepts NULL. */
void dbrole_free(struct dbrole *r);

/*
 * Begin polling. vip_present: the instance's VIP is on the interface at
 * start (left by a vigild that died): if the server is a writable primary
 * it is adopted (nothing asserted; ops->demoted is called if another
 * master turns out to be serving, so the agent drops the VIP), otherwise
 * the server is made read-only and ops->demoted tells the agent to drop
 * the stale VIP.
 */
void dbrole_start(struct dbrole *r, bool vip_present);

/* Start as the process before a restart left the role: WRITABLE (it was
 * MASTER with its gate open) starts open and eligible, without touching
 * read_only or writing an epoch; anything else starts as dbrole_start(r,
 * false). */
void dbrole_start_inherited(struct dbrole *r, enum dbrole_mode mode);

/* The VRRP state changed (after its actions ran). MASTER starts the gate;
 * leaving MASTER starts the demotion, whose end is ops->demoted. */
void dbrole_vrrp_state(struct dbrole *r, enum vrrp_state state);

/* Probe the VIP (ops->witness_result with seq), or forget the probe. */
void dbrole_witness(struct dbrole *r, uint32_t seq);
void dbrole_witness_cancel(struct dbrole *r);

/* Two masters met (peer->priority 0: we were frozen): read-only, compare
 * epochs, ops->contest_result. */
void dbrole_contest(struct dbrole *r, const struct vrrp_fsm_advert *peer);

/* The contest was won: open the server again (new epoch). */
void dbrole_reopen(struct dbrole *r);

/* ops->may_write became true: a gate waiting for it goes on. */
void dbrole_permit(struct dbrole *r);

/* Graceful stop: the demotion order, then done(ctx) (at once when there
 * is nothing to do). */
void dbrole_stop(struct dbrole *r, void (*done)(void *ctx), void *ctx);

/* A switchover without stopping (vigilctl resign): the demotion order of
 * a graceful stop, why naming it in the log (a static string), then
 * done(ctx) (at once when there is nothing to do); polling goes on. The
 * caller sends priority 0 in done. A later dbrole_stop() replaces done. */
void dbrole_switchover(struct dbrole *r, const char *why, void (*done)(void *ctx), void *ctx);

/* The last demotion reached the server but could not make it read-only
 * (a missing grant: logged and alarmed already). A switchover that is not
 * a stop (vigilctl resign) then keeps the VIP rather than hand it to a
 * peer whose gate would wait for a server that stays writable. */
bool dbrole_demote_refused(const struct dbrole *r);

/* vigilctl resign on the master: is a database peer able to take over
 * its writes (db_handover_candidate(), on each peer's last poll)? who
 * receives the first such peer and why ("198.18.0.12:3306 (replica of
 * this server, caught up)"), or, when there is none, each peer and why
 * not ("198.18.0.12:3306 does not answer; ..."). Returns true when there
 * is one. */
bool dbrole_handover_peer(const struct dbrole *r, char *who, size_t len);

/* This node's own address (the interface's primary IPv4 address, or its
 * first global IPv6 one that is no VIP: the one replicas use as
 * Master_Host), so a contest can tell its own replica. family AF_INET
 * (addr a struct in_addr) or AF_INET6 (a struct in6_addr); addr NULL or
 * all zero = unknown. */
void dbrole_set_self_addr(struct dbrole *r, int family, const void *addr);

/* What the role is in the middle of, which a reload or a restart must not
 * cut short: "a promotion gate", "a demotion", "a contest of two
 * masters", "a witness probe"; NULL when idle (polls do not count). */
const char *dbrole_busy(const struct dbrole *r);
enum dbrole_mode dbrole_mode(const struct dbrole *r);
bool dbrole_is_eligible(const struct dbrole *r);
const char *dbrole_eligibility_reason(const struct dbrole *r);
uint64_t dbrole_epoch(const struct dbrole *r);
/* The local server's semi-synchronous replication as last read:
 * "unknown", "off", "AFTER_COMMIT" or "AFTER_SYNC". */
const char *dbrole_semisync(const struct dbrole *r);
const struct dbrole_stats *dbrole_stats(const struct dbrole *r);
/* rpl_semi_sync_master_timeout as last read (capped), 0 when semi-sync is
 * off or not read yet. */
uint32_t dbrole_semisync_timeout_ms(const struct dbrole *r);

#endif
