/* SPDX-License-Identifier: GPL-2.0-or-later */
/* db_eligibility: the pure rule deciding whether this node's server may take the write VIP. */
#ifndef VIGIL_DB_ELIGIBILITY_H
#define VIGIL_DB_ELIGIBILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gtid.h"

/*
 * docs/data-safety.md "3.6 Eligibility". A node may become MASTER (by any
 * path: election, preempt, health takeover, Master_Down) only if its
 * server
 *   - is the current writable primary, or
 *   - is a replica whose SQL thread runs, whose IO thread is connected
 *     to a database peer (or was, until that master died), and whose lag
 *     is below crit_lag, or
 *   - is a standalone read-only server (cold start), no master is heard,
 *     and no reachable peer holds a higher epoch or, at equal epoch, has
 *     received more transactions;
 * and in every case no reachable peer holds a higher epoch (a server that
 * missed a failover never serves writes again until a DBA rejoins it),
 * unless that peer is the server it replicates from (then the epoch row
 * is merely on its way).
 * The rules are evaluated in the order of the table in
 * db_eligibility.c; the first that decides gives the reason.
 */

enum db_io_state { DB_IO_NO = 0, DB_IO_CONNECTING, DB_IO_YES };

/* What one server told us at its last poll. */
struct db_facts {
	bool known;                 /* it answered the last poll */
	bool read_only;
	uint32_t server_id;
	bool is_replica;            /* SHOW SLAVE STATUS returned a row */
	enum db_io_state io;
	bool sql_running;
	bool lag_known;
	uint64_t lag_ms;            /* Seconds_Behind_Master * 1000 */
	char master_host[64];       /* Master_Host ("" if not a replica) */
	uint64_t epoch;             /* highest vigil.epoch row (0: none) */
	struct gtid_list received;  /* Gtid_IO_Pos of a replica, @@gtid_binlog_pos otherwise */
};

/*
 * Do two server names denote the same server? Master_Host is as the DBA
 * wrote it in CHANGE MASTER, a configured peer as inet_ntop() spells it:
 * IP literals (IPv6 ones possibly in brackets) are compared as addresses,
 * so "2001:DB8:0::12" is "2001:db8::12"; anything else by its text,
 * ignoring case. NULL or "" is no server.
 */
bool db_host_same(const char *a, const char *b);

struct db_peer_view {
	const char *host;           /* the peer's address as configured */
	const struct db_facts *facts;
};

struct db_eligibility_input {
	const struct db_facts *self;
	bool io_was_connected;      /* the IO thread was "Yes" and has not been stopped since */
	const struct db_peer_view *peers;
	size_t n_peers;
	bool master_heard;          /* VRRP: another node is master right now */
	uint32_t crit_lag_ms;       /* 0: no lag limit */
};

/**
 * Decide. @why receives the reason, a sentence for the log and status
 * (also when eligible). Returns true when eligible.
 */
bool db_eligible(const struct db_eligibility_input *in, char *why, size_t whylen);

/**
 * An operator's resign (vigilctl resign) of the master whose server is
 * this one: may the database peer whose facts are @peer take over its
 * writes? Only a replica of this very server (its Master_Host is
 * @self_addr, the address replicas use for this node) that answered its
 * last poll, with its IO thread connected and its SQL thread running,
 * lagging no more than @crit_lag_ms (0: no limit): its gate then finds
 * this server read-only and waits for its last position, and loses
 * nothing. @why receives the reason either way ("replica of this server,
 * caught up", "does not answer", ...). Returns true when it may.
 */
bool db_handover_candidate(const struct db_facts *peer, const char *self_addr,
			   uint32_t crit_lag_ms, char *why, size_t whylen);

#endif
