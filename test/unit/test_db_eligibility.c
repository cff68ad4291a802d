// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of db_eligibility: every rule of db_eligible() and its reason,
// in the order the code applies them (docs/data-safety.md "3.6
// Eligibility"), with positions built by gtid_parse: the local server
// unknown, a peer at a higher epoch, the writable primary, the replica rules
// (SQL thread, IO thread, Master_Host, lag, a fresher peer once the master
// is gone), the standalone rules (a master heard, a fresher peer at equal
// epoch) and diverged positions.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db_eligibility.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The master the replicas replicate from, and two more database peers. */
#define H1 "198.18.0.11"
#define H2 "198.18.0.12"
#define H3 "198.18.0.13"

/* ---- building facts ------------------------------------------------------ */

/* What a server told us, in the test's terms; pos is a GTID list text. */
struct fspec {
	bool known, ro, replica;
	enum db_io_state io;
	bool sql, lag_known;
	uint64_t lag_ms;
	const char *mh;
	uint64_t epoch;
	const char *pos;
};

/* The kinds of servers the cases use. */
#define DOWN { .known = false, .ro = true, .epoch = 99, .pos = "0-1-999" }
#define PRIMARY(ep, p) { .known = true, .ro = false, .epoch = (ep), .pos = (p) }
#define STANDALONE(ep, p) { .known = true, .ro = true, .epoch = (ep), .pos = (p) }
/* A read-only replica of mh, lag 0 known. */
#define REPLICA(io_, sql_, mh_, ep, p)                                               \
	{ .known = true, .ro = true, .replica = true, .io = (io_), .sql = (sql_),     \
	  .lag_known = true, .lag_ms = 0, .mh = (mh_), .epoch = (ep), .pos = (p) }
/* A replica with a given lag (lag_known false: Seconds_Behind_Master NULL). */
#define LAGGING(io_, known_, ms, ep, p)                                               \
	{ .known = true, .ro = true, .replica = true, .io = (io_), .sql = true,       \
	  .lag_known = (known_), .lag_ms = (ms), .mh = H1, .epoch = (ep), .pos = (p) }

static struct db_facts facts(const struct fspec *s)
{
	struct db_facts f;
	memset(&f, 0, sizeof f);
	f.known = s->known;
	f.read_only = s->ro;
	f.server_id = 1;
	f.is_replica = s->replica;
	f.io = s->io;
	f.sql_running = s->sql;
	f.lag_known = s->lag_known;
	f.lag_ms = s->lag_ms;
	snprintf(f.master_host, sizeof f.master_host, "%s", s->mh ? s->mh : "");
	f.epoch = s->epoch;
	char err[128] = "";
	if (gtid_parse(s->pos ? s->pos : "", &f.received, err, sizeof err) != 0)
		fail_msg("test position '%s' does not parse: %s", s->pos, err);
	return f;
}

/* ---- the table ----------------------------------------------------------- */

#define MAX_PEERS 3
#define MAX_WHY 4

struct pspec {
	const char *host; /* NULL: a peer without a configured address */
	struct fspec f;
	bool no_facts;    /* the view's facts pointer is NULL */
};

#define PEER(h, ...) { .host = (h), .f = __VA_ARGS__, .no_facts = false }
#define PEER_NOFACTS(h) { .host = (h), .no_facts = true }

struct elig_case {
	const char *name;
	struct fspec self;
	bool no_self;          /* in.self is NULL */
	bool was;              /* io_was_connected */
	struct pspec peers[MAX_PEERS];
	size_t n_peers;
	bool heard;            /* master_heard */
	uint32_t crit;         /* crit_lag_ms */
	bool want;
	const char *why[MAX_WHY]; /* each must be a substring of the reason */
	const char *not_why;      /* must not be */
};

static bool decide(const struct elig_case *c, char *why, size_t len)
{
	struct db_facts self = facts(&c->self);
	struct db_facts pf[MAX_PEERS];
	struct db_peer_view views[MAX_PEERS];
	assert_true(c->n_peers <= MAX_PEERS);
	for (size_t i = 0; i < c->n_peers; i++) {
		pf[i] = facts(&c->peers[i].f);
		views[i] = (struct db_peer_view){ .host = c->peers[i].host,
						  .facts = c->peers[i].no_facts ? NULL : &pf[i] };
	}
	struct db_eligibility_input in = {
		.self = c->no_self ? NULL : &self,
		.io_was_connected = c->was,
		.peers = c->n_peers ? views : NULL,
		.n_peers = c->n_peers,
		.master_heard = c->heard,
		.crit_lag_ms = c->crit,
	};
	why[0] = '\0';
	return db_eligible(&in, why, len);
}

static void run_cases(const struct elig_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct elig_case *c = &cases[i];
		char why[256];
		memset(why, 'X', sizeof why);
		bool got = decide(c, why, sizeof why);
		if (got != c->want)
			fail_msg("case '%s': %s ('%s'); want %s", c->name,
				 got ? "eligible" : "not eligible", why,
				 c->want ? "eligible" : "not eligible");
		/* There is always a reason, eligible or not. */
		if (why[0] == '\0' || strlen(why) >= sizeof why)
			fail_msg("case '%s': no reason given", c->name);
		for (size_t k = 0; k < MAX_WHY && c->why[k]; k++)
			if (!strstr(why, c->why[k]))
				fail_msg("case '%s': reason '%s' lacks '%s'", c->name, why,
					 c->why[k]);
		if (c->not_why && strstr(why, c->not_why))
			fail_msg("case '%s': reason '%s' has '%s'", c->name, why, c->not_why);
	}
}

/* ---- 1. the local server unknown ----------------------------------------- */

static const struct elig_case unknown_cases[] = {
	{ .name = "no local facts", .no_self = true,
	  .want = false, .why = { "local server does not answer" } },
	{ .name = "local server did not answer its last poll", .self = DOWN,
	  .want = false, .why = { "local server does not answer" } },
	/* Before anything else: not even a writable primary counts when it
	 * did not answer, and a newer peer is not what is reported. */
	{ .name = "unknown beats writable and newer peer",
	  .self = { .known = false, .ro = false, .epoch = 1, .pos = "0-1-5" },
	  .peers = { PEER(H2, STANDALONE(7, "0-1-5")) }, .n_peers = 1,
	  .want = false, .why = { "local server does not answer" }, .not_why = "epoch" },
};

static void rule1_local_unknown(void **s)
{
	(void)s;
	run_cases(unknown_cases, N(unknown_cases));
}

/* ---- 2. a reachable peer at a higher epoch ------------------------------- */

static const struct elig_case newer_cases[] = {
	/* A returning old primary: writable, but a peer was promoted since. */
	{ .name = "writable primary, peer at a higher epoch",
	  .self = PRIMARY(4, "0-1-500"),
	  .peers = { PEER(H2, STANDALONE(5, "0-1-100")) }, .n_peers = 1,
	  .want = false,
	  .why = { "peer " H2 " holds epoch 5", "this server 4", "missed a failover",
		   "rejoin it as a replica of the current master" } },
	{ .name = "healthy replica, peer at a higher epoch",
	  .self = REPLICA(DB_IO_YES, true, H1, 2, "0-1-50"),
	  .peers = { PEER(H1, PRIMARY(2, "0-1-50")), PEER(H2, REPLICA(DB_IO_YES, true, H1, 3, "0-1-1")) },
	  .n_peers = 2, .crit = 30000,
	  .want = false, .why = { "peer " H2 " holds epoch 3", "this server 2" } },
	{ .name = "standalone cold start, peer at a higher epoch",
	  .self = STANDALONE(0, "0-1-900"),
	  .peers = { PEER(H2, STANDALONE(1, "")) }, .n_peers = 1,
	  .want = false, .why = { "holds epoch 1", "this server 0", "missed a failover" } },
	/* Before the replica and standalone rules too. */
	{ .name = "newer peer beats SQL thread stopped",
	  .self = REPLICA(DB_IO_YES, false, H1, 1, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(1, "0-1-5")), PEER(H2, STANDALONE(2, "0-1-5")) }, .n_peers = 2,
	  .want = false, .why = { "peer " H2 " holds epoch 2" }, .not_why = "SQL" },
	/* Except the server it replicates from: the epoch row is on its way
	 * (a returning old primary a DBA made a replica of the new master). */
	{ .name = "replica of the newer-epoch server",
	  .self = REPLICA(DB_IO_YES, true, H1, 4, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(5, "0-1-9")) }, .n_peers = 1, .crit = 30000,
	  .want = true, .why = { "replica of " H1 ", caught up" }, .not_why = "epoch" },
	{ .name = "replica of the newer-epoch server, master gone",
	  .self = REPLICA(DB_IO_CONNECTING, true, H1, 4, "0-1-5"), .was = true,
	  .peers = { PEER(H1, STANDALONE(5, "0-1-9")) }, .n_peers = 1,
	  .want = true, .why = { "its master is gone" } },
	/* Its own replica rules still apply. */
	{ .name = "replica of the newer-epoch server, SQL stopped",
	  .self = REPLICA(DB_IO_YES, false, H1, 4, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(5, "0-1-9")) }, .n_peers = 1,
	  .want = false, .why = { "SQL thread stopped" } },
	/* Another newer peer still counts. */
	{ .name = "replica of a newer server, a third peer newer still",
	  .self = REPLICA(DB_IO_YES, true, H1, 4, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(5, "0-1-9")), PEER(H2, STANDALONE(6, "0-1-9")) }, .n_peers = 2,
	  .want = false, .why = { "peer " H2 " holds epoch 6", "this server 4" } },
	/* The exception is for replicas only. */
	{ .name = "standalone, newer peer",
	  .self = STANDALONE(4, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(5, "0-1-9")) }, .n_peers = 1,
	  .want = false, .why = { "peer " H1 " holds epoch 5" } },
	/* Both threads stopped (a promoted server): not a replica, even if
	 * SHOW SLAVE STATUS still names the newer peer as its master. */
	{ .name = "not a replica, Master_Host names the newer peer",
	  .self = { .known = true, .ro = false, .replica = false, .mh = H1, .epoch = 4, .pos = "0-1-5" },
	  .peers = { PEER(H1, PRIMARY(5, "0-1-9")) }, .n_peers = 1,
	  .want = false, .why = { "peer " H1 " holds epoch 5", "missed a failover" } },
	{ .name = "newer peer beats master heard",
	  .self = STANDALONE(1, "0-1-5"),
	  .peers = { PEER(H2, PRIMARY(2, "0-1-5")) }, .n_peers = 1, .heard = true,
	  .want = false, .why = { "holds epoch 2" }, .not_why = "another master" },
	/* The highest of several is named. */
	{ .name = "the highest newer peer is named",
	  .self = PRIMARY(4, "0-1-5"),
	  .peers = { PEER(H1, STANDALONE(5, "")), PEER(H2, STANDALONE(7, "")), PEER(H3, STANDALONE(6, "")) },
	  .n_peers = 3, .want = false, .why = { "peer " H2 " holds epoch 7", "this server 4" } },
	/* A peer without an address is still one (named "?"). */
	{ .name = "newer peer without a host",
	  .self = PRIMARY(1, "0-1-5"),
	  .peers = { PEER(NULL, STANDALONE(2, "")) }, .n_peers = 1,
	  .want = false, .why = { "peer ? holds epoch 2" } },
	/* Not newer: unreachable, no facts, same or lower epoch. */
	{ .name = "unreachable peer at a higher epoch is skipped",
	  .self = PRIMARY(1, "0-1-5"),
	  .peers = { PEER(H2, DOWN) }, .n_peers = 1,
	  .want = true, .why = { "writable primary (epoch 1)" } },
	{ .name = "peer without facts is skipped",
	  .self = PRIMARY(1, "0-1-5"),
	  .peers = { { .host = H2, .f = STANDALONE(9, ""), .no_facts = true } }, .n_peers = 1,
	  .want = true, .why = { "writable primary (epoch 1)" } },
	{ .name = "peers at the same and a lower epoch",
	  .self = PRIMARY(3, "0-1-5"),
	  .peers = { PEER(H1, STANDALONE(3, "0-1-9")), PEER(H2, REPLICA(DB_IO_YES, true, H1, 2, "0-1-9")) },
	  .n_peers = 2, .want = true, .why = { "writable primary (epoch 3)" } },
};

static void rule2_newer_peer(void **s)
{
	(void)s;
	run_cases(newer_cases, N(newer_cases));
}

/* ---- 3. the writable primary ---------------------------------------------- */

static const struct elig_case primary_cases[] = {
	{ .name = "writable primary alone", .self = PRIMARY(3, "0-1-100"),
	  .want = true, .why = { "writable primary (epoch 3)" } },
	{ .name = "writable primary without an epoch yet", .self = PRIMARY(0, ""),
	  .want = true, .why = { "writable primary (epoch 0)" } },
	/* The primary is the primary: peers that report more at its epoch
	 * (polled a moment apart), a master heard, lag: none of them matter. */
	{ .name = "writable primary, peers report more at its epoch",
	  .self = PRIMARY(3, "0-1-100"),
	  .peers = { PEER(H2, STANDALONE(3, "0-1-200")), PEER(H3, REPLICA(DB_IO_YES, true, H1, 3, "0-1-200")) },
	  .n_peers = 2, .heard = true, .crit = 1,
	  .want = true, .why = { "writable primary (epoch 3)" } },
	/* Writable but a replica (someone turned read_only off): the replica
	 * rules judge it. */
	{ .name = "writable replica is judged as a replica",
	  .self = { .known = true, .ro = false, .replica = true, .io = DB_IO_YES, .sql = false,
		    .mh = H1, .epoch = 1, .pos = "0-1-5" },
	  .want = false, .why = { "SQL thread stopped" } },
	{ .name = "writable replica replicating",
	  .self = { .known = true, .ro = false, .replica = true, .io = DB_IO_YES, .sql = true,
		    .lag_known = true, .mh = H1, .epoch = 1, .pos = "0-1-5" },
	  .want = true, .why = { "replica of " H1 ", caught up" }, .not_why = "primary" },
};

static void rule3_writable_primary(void **s)
{
	(void)s;
	run_cases(primary_cases, N(primary_cases));
}

/* ---- 4. replica: SQL thread ------------------------------------------------- */

static const struct elig_case sql_cases[] = {
	{ .name = "SQL thread stopped, IO running",
	  .self = REPLICA(DB_IO_YES, false, H1, 1, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(1, "0-1-5")) }, .n_peers = 1,
	  .want = false, .why = { "replica with its SQL thread stopped", "never catch up" } },
	/* Before the IO thread rule. */
	{ .name = "SQL stopped beats IO stopped",
	  .self = REPLICA(DB_IO_NO, false, H1, 1, "0-1-5"),
	  .want = false, .why = { "SQL thread stopped" }, .not_why = "IO thread" },
	{ .name = "SQL stopped beats IO connecting, was connected",
	  .self = REPLICA(DB_IO_CONNECTING, false, H1, 1, "0-1-5"), .was = true,
	  .want = false, .why = { "SQL thread stopped" } },
};

static void rule4_sql_stopped(void **s)
{
	(void)s;
	run_cases(sql_cases, N(sql_cases));
}

/* ---- 5. replica: IO thread -------------------------------------------------- */

static const struct elig_case io_cases[] = {
	{ .name = "IO thread stopped",
	  .self = REPLICA(DB_IO_NO, true, H1, 1, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(1, "0-1-5")) }, .n_peers = 1,
	  .want = false, .why = { "IO thread is stopped", "not replicating from the master" } },
	/* Stopped (STOP SLAVE by a DBA) is not "its master died". */
	{ .name = "IO thread stopped, was connected",
	  .self = REPLICA(DB_IO_NO, true, H1, 1, "0-1-5"), .was = true,
	  .want = false, .why = { "IO thread is stopped" } },
	/* Connecting and never connected since start: not replicating. */
	{ .name = "IO connecting, never connected",
	  .self = REPLICA(DB_IO_CONNECTING, true, H1, 1, "0-1-5"),
	  .peers = { PEER(H1, DOWN) }, .n_peers = 1,
	  .want = false, .why = { "IO thread is not connected yet", "not replicating" } },
	/* Connecting after it was connected: its master died. */
	{ .name = "IO connecting, was connected (master gone)",
	  .self = REPLICA(DB_IO_CONNECTING, true, H1, 1, "0-1-5"), .was = true,
	  .peers = { PEER(H1, DOWN) }, .n_peers = 1,
	  .want = true, .why = { "replica of " H1, "caught up", "(its master is gone)" } },
	{ .name = "IO running",
	  .self = REPLICA(DB_IO_YES, true, H1, 1, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(1, "0-1-5")) }, .n_peers = 1,
	  .want = true, .why = { "replica of " H1 ", caught up" }, .not_why = "gone" },
	/* io_was_connected is about a connecting thread only. */
	{ .name = "IO running, was_connected false",
	  .self = REPLICA(DB_IO_YES, true, H1, 1, "0-1-5"), .was = false,
	  .want = true, .why = { "caught up" }, .not_why = "gone" },
	/* Before the Master_Host rule. */
	{ .name = "IO stopped beats a foreign master",
	  .self = REPLICA(DB_IO_NO, true, "10.0.0.9", 1, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(1, "0-1-5")) }, .n_peers = 1,
	  .want = false, .why = { "IO thread is stopped" }, .not_why = "database_peers" },
};

static void rule5_io_thread(void **s)
{
	(void)s;
	run_cases(io_cases, N(io_cases));
}

/* ---- 6. replica: Master_Host among the peers ------------------------------- */

static const struct elig_case master_host_cases[] = {
	{ .name = "master not among peers",
	  .self = REPLICA(DB_IO_YES, true, "10.0.0.9", 1, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(1, "0-1-5")), PEER(H2, STANDALONE(1, "0-1-5")) }, .n_peers = 2,
	  .want = false, .why = { "replicates from 10.0.0.9", "not one of database_peers" } },
	{ .name = "master is the second peer",
	  .self = REPLICA(DB_IO_YES, true, H2, 1, "0-1-5"),
	  .peers = { PEER(H1, STANDALONE(1, "0-1-5")), PEER(H2, PRIMARY(1, "0-1-5")) }, .n_peers = 2,
	  .want = true, .why = { "replica of " H2 ", caught up" } },
	/* The master's address must be a peer's, not a prefix of one. */
	{ .name = "master a prefix of a peer",
	  .self = REPLICA(DB_IO_YES, true, "198.18.0.1", 1, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(1, "0-1-5")) }, .n_peers = 1,
	  .want = false, .why = { "replicates from 198.18.0.1,", "database_peers" } },
	{ .name = "empty Master_Host",
	  .self = REPLICA(DB_IO_YES, true, "", 1, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(1, "0-1-5")) }, .n_peers = 1,
	  .want = false, .why = { "not one of database_peers" } },
	/* A peer without an address matches nothing (and does not crash). */
	{ .name = "peer without a host",
	  .self = REPLICA(DB_IO_YES, true, H1, 1, "0-1-5"),
	  .peers = { PEER(NULL, PRIMARY(1, "0-1-5")), PEER(H2, STANDALONE(1, "0-1-5")) }, .n_peers = 2,
	  .want = false, .why = { "replicates from " H1, "database_peers" } },
	/* No peers configured: nothing to compare with, replication's
	 * configuration is trusted. */
	{ .name = "no peers: any master accepted",
	  .self = REPLICA(DB_IO_YES, true, "10.0.0.9", 1, "0-1-5"),
	  .want = true, .why = { "replica of 10.0.0.9, caught up" } },
	{ .name = "no peers, master gone",
	  .self = REPLICA(DB_IO_CONNECTING, true, "10.0.0.9", 1, "0-1-5"), .was = true,
	  .want = true, .why = { "replica of 10.0.0.9", "its master is gone" } },
	/* The master's peer entry counts even while it does not answer. */
	{ .name = "master among peers but unreachable",
	  .self = REPLICA(DB_IO_CONNECTING, true, H1, 1, "0-1-5"), .was = true,
	  .peers = { PEER(H1, DOWN) }, .n_peers = 1,
	  .want = true, .why = { "its master is gone" } },
	/* Before the lag rule. */
	/* IPv6: Master_Host as the DBA spelled it, the peer as inet_ntop does. */
	{ .name = "IPv6 master among peers, another spelling",
	  .self = REPLICA(DB_IO_YES, true, "2001:DB8:0::11", 1, "0-1-5"),
	  .peers = { PEER("2001:db8::11", PRIMARY(1, "0-1-5")) }, .n_peers = 1,
	  .want = true, .why = { "replica of 2001:DB8:0::11, caught up" } },
	{ .name = "IPv6 master not among peers",
	  .self = REPLICA(DB_IO_YES, true, "2001:db8::9", 1, "0-1-5"),
	  .peers = { PEER("2001:db8::11", PRIMARY(1, "0-1-5")) }, .n_peers = 1,
	  .want = false, .why = { "replicates from 2001:db8::9", "not one of database_peers" } },
	{ .name = "foreign master beats lag",
	  .self = LAGGING(DB_IO_YES, true, 99000, 1, "0-1-5"),
	  .peers = { PEER(H2, STANDALONE(1, "0-1-5")) }, .n_peers = 1, .crit = 30000,
	  .want = false, .why = { "database_peers" }, .not_why = "lagging" },
};

static void rule6_master_host(void **s)
{
	(void)s;
	run_cases(master_host_cases, N(master_host_cases));
}

/* ---- 7. replica: lag ---------------------------------------------------------- */

static const struct elig_case lag_cases[] = {
	{ .name = "lag above crit_lag",
	  .self = LAGGING(DB_IO_YES, true, 31000, 1, "0-1-5"),
	  .peers = { PEER(H1, PRIMARY(1, "0-1-9")) }, .n_peers = 1, .crit = 30000,
	  .want = false, .why = { "replica lagging 31000 ms", "above crit_lag 30000 ms" } },
	{ .name = "lag just above crit_lag",
	  .self = LAGGING(DB_IO_YES, true, 30001, 1, "0-1-5"), .crit = 30000,
	  .want = false, .why = { "lagging 30001 ms" } },
	/* "failed above this": crit_lag itself still passes. */
	{ .name = "lag at crit_lag",
	  .self = LAGGING(DB_IO_YES, true, 30000, 1, "0-1-5"), .crit = 30000,
	  .want = true, .why = { "caught up" } },
	{ .name = "lag below crit_lag",
	  .self = LAGGING(DB_IO_YES, true, 29000, 1, "0-1-5"), .crit = 30000,
	  .want = true, .why = { "replica of " H1 ", caught up" } },
	{ .name = "crit_lag 0: no limit",
	  .self = LAGGING(DB_IO_YES, true, UINT64_C(86400000), 1, "0-1-5"), .crit = 0,
	  .want = true, .why = { "caught up" } },
	/* Seconds_Behind_Master NULL: lag_ms is not looked at. */
	{ .name = "lag unknown",
	  .self = LAGGING(DB_IO_YES, false, UINT64_C(86400000), 1, "0-1-5"), .crit = 30000,
	  .want = true, .why = { "caught up" } },
	{ .name = "lag unknown, master gone",
	  .self = LAGGING(DB_IO_CONNECTING, false, 0, 1, "0-1-5"), .was = true, .crit = 30000,
	  .want = true, .why = { "its master is gone" } },
	/* Before the fresher peer rule. */
	{ .name = "lag beats a fresher peer",
	  .self = LAGGING(DB_IO_CONNECTING, true, 40000, 1, "0-1-5"), .was = true, .crit = 30000,
	  .peers = { PEER(H1, DOWN), PEER(H2, REPLICA(DB_IO_CONNECTING, true, H1, 1, "0-1-9")) }, .n_peers = 2,
	  .want = false, .why = { "lagging 40000 ms" }, .not_why = "received more" },
};

static void rule7_lag(void **s)
{
	(void)s;
	run_cases(lag_cases, N(lag_cases));
}

/* ---- 8. replica whose master is gone: a fresher replica peer ---------------- */

#define GONE(p) REPLICA(DB_IO_CONNECTING, true, H1, 2, (p))

static const struct elig_case fresher_replica_cases[] = {
	{ .name = "master gone, peer replica received more",
	  .self = GONE("0-1-100"), .was = true,
	  .peers = { PEER(H1, DOWN), PEER(H2, GONE("0-1-105")) }, .n_peers = 2, .crit = 30000,
	  .want = false, .why = { "peer " H2 " received more transactions than this replica" } },
	/* The same positions while the IO thread runs: positions polled a
	 * moment apart differ without meaning anything; no flapping. */
	{ .name = "io Yes, peer replica received more",
	  .self = REPLICA(DB_IO_YES, true, H1, 2, "0-1-100"), .was = true,
	  .peers = { PEER(H1, PRIMARY(2, "0-1-105")), PEER(H2, REPLICA(DB_IO_YES, true, H1, 2, "0-1-105")) },
	  .n_peers = 2, .crit = 30000,
	  .want = true, .why = { "replica of " H1 ", caught up" }, .not_why = "gone" },
	{ .name = "master gone, peer replica received less",
	  .self = GONE("0-1-105"), .was = true,
	  .peers = { PEER(H1, DOWN), PEER(H2, GONE("0-1-100")) }, .n_peers = 2,
	  .want = true, .why = { "its master is gone" } },
	{ .name = "master gone, peer replica received the same",
	  .self = GONE("0-1-105"), .was = true,
	  .peers = { PEER(H1, DOWN), PEER(H2, GONE("0-1-105")) }, .n_peers = 2,
	  .want = true, .why = { "its master is gone" } },
	{ .name = "master gone, the second peer received more",
	  .self = GONE("0-1-100"), .was = true,
	  .peers = { PEER(H1, DOWN), PEER(H2, GONE("0-1-90")), PEER(H3, GONE("0-1-101")) }, .n_peers = 3,
	  .want = false, .why = { "peer " H3 " received more" } },
	/* Only reachable replicas at the same epoch compare. */
	{ .name = "master gone, fresher peer unreachable",
	  .self = GONE("0-1-100"), .was = true,
	  .peers = { PEER(H1, DOWN),
		     PEER(H2, { .known = false, .ro = true, .replica = true, .io = DB_IO_CONNECTING,
			     .sql = true, .mh = H1, .epoch = 2, .pos = "0-1-200" }) }, .n_peers = 2,
	  .want = true, .why = { "its master is gone" } },
	{ .name = "master gone, fresher peer at a lower epoch",
	  .self = GONE("0-1-100"), .was = true,
	  .peers = { PEER(H1, DOWN), PEER(H2, REPLICA(DB_IO_CONNECTING, true, H1, 1, "0-1-200")) }, .n_peers = 2,
	  .want = true, .why = { "its master is gone" } },
	/* A standalone read-only peer (the old master back, read-only) is not
	 * compared here: the promotion gate waits for its position. */
	{ .name = "master gone, standalone peer received more",
	  .self = GONE("0-1-100"), .was = true,
	  .peers = { PEER(H1, STANDALONE(2, "0-1-200")) }, .n_peers = 1,
	  .want = true, .why = { "its master is gone" } },
};

static void rule8_fresher_replica(void **s)
{
	(void)s;
	run_cases(fresher_replica_cases, N(fresher_replica_cases));
}

/* Two replicas judged from each side. While both IO threads run, both stay
 * eligible whoever was polled later; once the master is gone exactly the
 * one that received more is. */
static void rule8_pair_no_flap(void **s)
{
	(void)s;
	const char *pa = "0-1-100", *pb = "0-1-103";
	for (int gone = 0; gone <= 1; gone++) {
		enum db_io_state io = gone ? DB_IO_CONNECTING : DB_IO_YES;
		struct elig_case a = {
			.name = "A", .self = REPLICA(io, true, H1, 2, pa), .was = true,
			.peers = { PEER(H1, DOWN), PEER(H2, REPLICA(io, true, H1, 2, pb)) }, .n_peers = 2,
		};
		struct elig_case b = {
			.name = "B", .self = REPLICA(io, true, H1, 2, pb), .was = true,
			.peers = { PEER(H1, DOWN), PEER(H3, REPLICA(io, true, H1, 2, pa)) }, .n_peers = 2,
		};
		char wa[256], wb[256];
		bool ea = decide(&a, wa, sizeof wa), eb = decide(&b, wb, sizeof wb);
		if (gone ? (ea || !eb) : (!ea || !eb))
			fail_msg("io %s: A %d ('%s'), B %d ('%s')", gone ? "Connecting" : "Yes",
				 ea, wa, eb, wb);
	}
}

/* ---- 9. standalone read-only while a master is heard ------------------------ */

static const struct elig_case heard_cases[] = {
	{ .name = "standalone, master heard",
	  .self = STANDALONE(2, "0-1-100"), .heard = true,
	  .peers = { PEER(H1, PRIMARY(2, "0-1-100")) }, .n_peers = 1,
	  .want = false,
	  .why = { "standalone server while another master serves",
		   "make it a replica of the current master first" } },
	/* Even when it is the freshest of all (an old primary back). */
	{ .name = "standalone, freshest, master heard",
	  .self = STANDALONE(2, "0-1-900"), .heard = true,
	  .peers = { PEER(H2, STANDALONE(2, "0-1-1")) }, .n_peers = 1,
	  .want = false, .why = { "another master serves" } },
	{ .name = "standalone alone, master heard",
	  .self = STANDALONE(0, ""), .heard = true,
	  .want = false, .why = { "another master serves" } },
	/* Before the fresher peer rule. */
	{ .name = "master heard beats a fresher peer",
	  .self = STANDALONE(2, "0-1-1"), .heard = true,
	  .peers = { PEER(H2, STANDALONE(2, "0-1-900")) }, .n_peers = 1,
	  .want = false, .why = { "another master serves" }, .not_why = "received more" },
	/* A replica is not judged by master_heard. */
	{ .name = "replica, master heard",
	  .self = REPLICA(DB_IO_YES, true, H1, 2, "0-1-5"), .heard = true,
	  .want = true, .why = { "caught up" } },
};

static void rule9_master_heard(void **s)
{
	(void)s;
	run_cases(heard_cases, N(heard_cases));
}

/* ---- 10. standalone cold start ----------------------------------------------- */

static const struct elig_case cold_cases[] = {
	{ .name = "cold start alone",
	  .self = STANDALONE(0, ""),
	  .want = true, .why = { "freshest reachable server (epoch 0)" } },
	{ .name = "cold start, peers received less",
	  .self = STANDALONE(3, "0-1-100"),
	  .peers = { PEER(H1, STANDALONE(3, "0-1-99")), PEER(H2, REPLICA(DB_IO_NO, true, H1, 3, "0-1-50")) },
	  .n_peers = 2,
	  .want = true, .why = { "freshest reachable server (epoch 3)" } },
	/* Equal: both are eligible, VRRP priority picks one. */
	{ .name = "cold start, peer received the same",
	  .self = STANDALONE(3, "0-1-100"),
	  .peers = { PEER(H2, STANDALONE(3, "0-1-100")) }, .n_peers = 1,
	  .want = true, .why = { "freshest reachable server" } },
	{ .name = "cold start, standalone peer received more",
	  .self = STANDALONE(3, "0-1-100"),
	  .peers = { PEER(H2, STANDALONE(3, "0-1-101")) }, .n_peers = 1,
	  .want = false, .why = { "peer " H2 " received more transactions at the same epoch 3" } },
	{ .name = "cold start, replica peer received more",
	  .self = STANDALONE(3, "0-1-100"),
	  .peers = { PEER(H2, REPLICA(DB_IO_CONNECTING, true, H1, 3, "0-1-150")) }, .n_peers = 1,
	  .want = false, .why = { "peer " H2 " received more transactions at the same epoch 3" } },
	/* A replica peer someone made writable: still compared. */
	{ .name = "cold start, writable replica peer received more",
	  .self = STANDALONE(3, "0-1-100"),
	  .peers = { PEER(H2, { .known = true, .ro = false, .replica = true, .io = DB_IO_YES,
			     .sql = true, .mh = H1, .epoch = 3, .pos = "0-1-150" }) }, .n_peers = 1,
	  .want = false, .why = { "peer " H2 " received more", "epoch 3" } },
	{ .name = "cold start, the third peer received more",
	  .self = STANDALONE(3, "0-1-100"),
	  .peers = { PEER(H1, STANDALONE(3, "0-1-1")), PEER(H2, DOWN), PEER(H3, STANDALONE(3, "0-1-101")) },
	  .n_peers = 3,
	  .want = false, .why = { "peer " H3 " received more" } },
	/* Unreachable peers are skipped, never waited for. */
	{ .name = "cold start, fresher peers unreachable",
	  .self = STANDALONE(3, "0-1-100"),
	  .peers = { PEER(H1, { .known = false, .ro = true, .epoch = 3, .pos = "0-1-500" }),
		     PEER(H2, { .known = false, .ro = true, .replica = true, .io = DB_IO_YES, .sql = true,
			     .mh = H1, .epoch = 3, .pos = "0-1-500" }),
		     PEER_NOFACTS(H3) },
	  .n_peers = 3,
	  .want = true, .why = { "freshest reachable server (epoch 3)" } },
	/* A peer that received more at a lower epoch lost a failover. */
	{ .name = "cold start, fresher peer at a lower epoch",
	  .self = STANDALONE(3, "0-1-100"),
	  .peers = { PEER(H1, STANDALONE(2, "0-1-500")), PEER(H2, REPLICA(DB_IO_NO, true, H1, 2, "0-1-500")) },
	  .n_peers = 2,
	  .want = true, .why = { "freshest reachable server (epoch 3)" } },
};

static void rule10_cold_start(void **s)
{
	(void)s;
	run_cases(cold_cases, N(cold_cases));
}

/* Two standalone servers at a cold start, judged from each side: exactly
 * the one that received more is eligible. */
static void rule10_pair(void **s)
{
	(void)s;
	struct elig_case a = { .name = "A", .self = STANDALONE(1, "0-1-7,1-3-2"),
			       .peers = { PEER(H2, STANDALONE(1, "0-1-7,1-3-4")) }, .n_peers = 1 };
	struct elig_case b = { .name = "B", .self = STANDALONE(1, "0-1-7,1-3-4"),
			       .peers = { PEER(H1, STANDALONE(1, "0-1-7,1-3-2")) }, .n_peers = 1 };
	char wa[256], wb[256];
	bool ea = decide(&a, wa, sizeof wa), eb = decide(&b, wb, sizeof wb);
	if (ea || !eb)
		fail_msg("A %d ('%s'), B %d ('%s')", ea, wa, eb, wb);
}

/*
 * A standalone read-only server beside a reachable writable primary at
 * its epoch or a newer one is not eligible, master heard or not: VRRP may
 * be silent (a VRRP-only partition, the primary's agent dead or not
 * started yet), and a non-replica's gate opens at once. A writable peer at
 * an older epoch is a stale server someone opened: it does not count.
 */
static void rule10_writable_peer(void **s)
{
	(void)s;
	static const struct elig_case c[] = {
		{ .name = "cold start, writable standalone peer received more, no master heard",
		  .self = STANDALONE(0, ""),
		  .peers = { PEER(H2, PRIMARY(0, "0-2-5000")) }, .n_peers = 1,
		  .want = false, .why = { "while " H2 " is a writable primary" } },
		{ .name = "same at epoch 4",
		  .self = STANDALONE(4, "0-1-100"),
		  .peers = { PEER(H2, PRIMARY(4, "0-1-150")) }, .n_peers = 1,
		  .want = false, .why = { "while " H2 " is a writable primary" } },
		{ .name = "a writable peer with less data still wins: it is the primary",
		  .self = STANDALONE(4, "0-1-200"),
		  .peers = { PEER(H2, PRIMARY(4, "0-1-150")) }, .n_peers = 1,
		  .want = false, .why = { "while " H2 " is a writable primary" } },
		{ .name = "a writable peer at an older epoch is stale",
		  .self = STANDALONE(5, "0-1-100"),
		  .peers = { PEER(H2, PRIMARY(4, "0-1-150")) }, .n_peers = 1,
		  .want = true, .why = { "freshest reachable server" } },
	};
	run_cases(c, N(c));
}

/* ---- 11. diverged positions ------------------------------------------------- */

/* Neither position covers the other: the larger sum of sequence numbers
 * counts as "received more" (gtid_compare). */
static const struct elig_case diverged_cases[] = {
	{ .name = "cold start, diverged, peer sum larger",
	  .self = STANDALONE(2, "0-1-10,1-2-3"),
	  .peers = { PEER(H2, STANDALONE(2, "0-1-8,1-2-6")) }, .n_peers = 1,
	  .want = false, .why = { "peer " H2 " received more", "epoch 2" } },
	{ .name = "cold start, diverged, own sum larger",
	  .self = STANDALONE(2, "0-1-8,1-2-6"),
	  .peers = { PEER(H2, STANDALONE(2, "0-1-10,1-2-3")) }, .n_peers = 1,
	  .want = true, .why = { "freshest reachable server" } },
	/* Equal sums: neither received more; both sides eligible. */
	{ .name = "cold start, diverged, equal sums",
	  .self = STANDALONE(2, "0-1-10,1-2-4"),
	  .peers = { PEER(H2, STANDALONE(2, "0-1-8,1-2-6")) }, .n_peers = 1,
	  .want = true, .why = { "freshest reachable server" } },
	{ .name = "master gone, diverged, peer sum larger",
	  .self = GONE("0-1-10,1-2-3"), .was = true,
	  .peers = { PEER(H1, DOWN), PEER(H2, GONE("1-2-6,0-1-8")) }, .n_peers = 2,
	  .want = false, .why = { "peer " H2 " received more transactions than this replica" } },
	{ .name = "master gone, diverged, own sum larger",
	  .self = GONE("0-1-8,1-2-6"), .was = true,
	  .peers = { PEER(H1, DOWN), PEER(H2, GONE("0-1-10,1-2-3")) }, .n_peers = 2,
	  .want = true, .why = { "its master is gone" } },
	/* A domain the server lacks counts as 0. */
	{ .name = "peer has one more domain",
	  .self = STANDALONE(2, "0-1-10"),
	  .peers = { PEER(H2, STANDALONE(2, "0-1-10,1-2-1")) }, .n_peers = 1,
	  .want = false, .why = { "received more" } },
	{ .name = "this server has one more domain",
	  .self = STANDALONE(2, "0-1-10,1-2-1"),
	  .peers = { PEER(H2, STANDALONE(2, "0-1-10")) }, .n_peers = 1,
	  .want = true, .why = { "freshest reachable server" } },
	/* The server_id that wrote the transaction is not compared. */
	{ .name = "same sequence, other server_id",
	  .self = STANDALONE(2, "0-1-10"),
	  .peers = { PEER(H2, STANDALONE(2, "0-2-10")) }, .n_peers = 1,
	  .want = true, .why = { "freshest reachable server" } },
	/* Nothing received at all against anything: the peer has more. */
	{ .name = "empty position, peer has one transaction",
	  .self = STANDALONE(0, ""),
	  .peers = { PEER(H2, STANDALONE(0, "0-1-1")) }, .n_peers = 1,
	  .want = false, .why = { "received more transactions at the same epoch 0" } },
};

static void rule11_diverged(void **s)
{
	(void)s;
	run_cases(diverged_cases, N(diverged_cases));
}

/* ---- the reason buffer ----------------------------------------------------- */

/* A short buffer gets a cut, terminated reason; the verdict is the same. */
static void why_truncated(void **s)
{
	(void)s;
	const struct elig_case c = {
		.name = "newer", .self = PRIMARY(4, "0-1-5"),
		.peers = { PEER(H2, STANDALONE(5, "")) }, .n_peers = 1,
	};
	char buf[16];
	memset(buf, 'X', sizeof buf);
	assert_false(decide(&c, buf, 8));
	assert_string_equal(buf, "peer 19");
	assert_int_equal(buf[8], 'X');
	const struct elig_case ok = { .name = "primary", .self = PRIMARY(4, "0-1-5") };
	memset(buf, 'X', sizeof buf);
	assert_true(decide(&ok, buf, 9));
	assert_string_equal(buf, "writable");
	assert_int_equal(buf[9], 'X');
}

/* The full sentence of each rule once, as the log and status show it. */
static void why_sentences(void **s)
{
	(void)s;
	static const struct {
		struct elig_case c;
		const char *why;
	} t[] = {
		{ { .self = DOWN }, "the local server does not answer" },
		{ { .self = PRIMARY(4, ""), .peers = { PEER(H2, STANDALONE(5, "")) }, .n_peers = 1 },
		  "peer " H2 " holds epoch 5, this server 4: it missed a failover; rejoin it as a "
		  "replica of the current master" },
		{ { .self = PRIMARY(4, "") }, "writable primary (epoch 4)" },
		{ { .self = REPLICA(DB_IO_YES, false, H1, 1, "") },
		  "replica with its SQL thread stopped: it would never catch up" },
		{ { .self = REPLICA(DB_IO_NO, true, H1, 1, "") },
		  "replica whose IO thread is stopped: not replicating from the master" },
		{ { .self = REPLICA(DB_IO_CONNECTING, true, H1, 1, "") },
		  "replica whose IO thread is not connected yet: not replicating from the master" },
		{ { .self = REPLICA(DB_IO_YES, true, "10.0.0.9", 1, ""),
		    .peers = { PEER(H1, DOWN) }, .n_peers = 1 },
		  "replicates from 10.0.0.9, which is not one of database_peers" },
		{ { .self = LAGGING(DB_IO_YES, true, 45000, 1, ""), .crit = 30000 },
		  "replica lagging 45000 ms, above crit_lag 30000 ms" },
		{ { .self = GONE("0-1-1"), .was = true,
		    .peers = { PEER(H1, DOWN), PEER(H2, GONE("0-1-2")) }, .n_peers = 2 },
		  "peer " H2 " received more transactions than this replica" },
		{ { .self = GONE("0-1-1"), .was = true }, "replica of " H1 ", caught up (its master is gone)" },
		{ { .self = REPLICA(DB_IO_YES, true, H1, 1, "") }, "replica of " H1 ", caught up" },
		{ { .self = STANDALONE(1, ""), .heard = true },
		  "standalone server while another master serves: make it a replica of the current "
		  "master first" },
		{ { .self = STANDALONE(1, ""), .peers = { PEER(H2, STANDALONE(1, "0-1-1")) }, .n_peers = 1 },
		  "peer " H2 " received more transactions at the same epoch 1" },
		{ { .self = STANDALONE(1, "") }, "freshest reachable server (epoch 1)" },
	};
	for (size_t i = 0; i < N(t); i++) {
		char why[256];
		decide(&t[i].c, why, sizeof why);
		if (strcmp(why, t[i].why) != 0)
			fail_msg("sentence %zu: '%s'; want '%s'", i, why, t[i].why);
	}
}

/* ---- vigilctl resign: may a peer take over this master's writes? -------- */

/* Seen from the master H1: each peer kind, its verdict and reason. */
static void host_same(void **s)
{
	(void)s;
	assert_true(db_host_same("198.18.0.11", "198.18.0.11"));
	assert_false(db_host_same("198.18.0.11", "198.18.0.1"));
	assert_true(db_host_same("2001:db8::11", "2001:DB8:0:0::11"));
	assert_true(db_host_same("[2001:db8::11]", "2001:db8::11"));
	assert_false(db_host_same("2001:db8::11", "2001:db8::12"));
	/* ::ffff:198.18.0.11 is another family's spelling: not the same. */
	assert_false(db_host_same("::ffff:198.18.0.11", "198.18.0.11"));
	assert_true(db_host_same("db1.example", "DB1.example"));
	assert_false(db_host_same("", ""));
	assert_false(db_host_same(NULL, "198.18.0.11"));
}

static void handover_candidate(void **s)
{
	(void)s;
	static const struct {
		struct fspec peer;
		bool ok;
		const char *why;
	} cases[] = {
		{ DOWN, false, "does not answer" },
		{ STANDALONE(1, "0-1-5"), false, "is not a replica (read_only ON)" },
		{ PRIMARY(1, "0-1-5"), false, "is not a replica (read_only OFF)" },
		{ REPLICA(DB_IO_YES, true, H3, 1, "0-1-5"), false,
		  "replicates from " H3 ", not from this server" },
		{ REPLICA(DB_IO_YES, false, H1, 1, "0-1-5"), false,
		  "its SQL thread is stopped: it would never catch up" },
		{ REPLICA(DB_IO_NO, true, H1, 1, "0-1-5"), false, "its IO thread is stopped" },
		{ REPLICA(DB_IO_CONNECTING, true, H1, 1, "0-1-5"), false,
		  "its IO thread is not connected" },
		{ LAGGING(DB_IO_YES, true, 31000, 1, "0-1-5"), false,
		  "lags 31000 ms, above crit_lag 30000 ms" },
		{ LAGGING(DB_IO_YES, true, 4000, 1, "0-1-5"), true,
		  "replica of this server, lagging 4000 ms (its gate waits for the rest)" },
		{ LAGGING(DB_IO_YES, false, 0, 1, "0-1-5"), true, "replica of this server, caught up" },
		{ REPLICA(DB_IO_YES, true, H1, 1, "0-1-5"), true, "replica of this server, caught up" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct db_facts f = facts(&cases[i].peer);
		char why[160];
		bool ok = db_handover_candidate(&f, H1, 30000, why, sizeof(why));
		if (ok != cases[i].ok || strcmp(why, cases[i].why) != 0)
			fail_msg("case %zu: got %s '%s', want %s '%s'", i, ok ? "yes" : "no", why,
				 cases[i].ok ? "yes" : "no", cases[i].why);
	}
	/* Without this node's own address nothing proves whose replica it is. */
	const struct fspec r = REPLICA(DB_IO_YES, true, H1, 1, "0-1-5");
	struct db_facts f = facts(&r);
	char why[160];
	assert_false(db_handover_candidate(&f, "", 30000, why, sizeof(why)));
	assert_string_equal(why, "replicates from " H1 ", not from this server (this node's address is unknown)");
	assert_false(db_handover_candidate(NULL, H1, 0, why, sizeof(why)));
	assert_string_equal(why, "does not answer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rule1_local_unknown),
		cmocka_unit_test(handover_candidate),
		cmocka_unit_test(host_same),
		cmocka_unit_test(rule2_newer_peer),
		cmocka_unit_test(rule3_writable_primary),
		cmocka_unit_test(rule4_sql_stopped),
		cmocka_unit_test(rule5_io_thread),
		cmocka_unit_test(rule6_master_host),
		cmocka_unit_test(rule7_lag),
		cmocka_unit_test(rule8_fresher_replica),
		cmocka_unit_test(rule8_pair_no_flap),
		cmocka_unit_test(rule9_master_heard),
		cmocka_unit_test(rule10_cold_start),
		cmocka_unit_test(rule10_pair),
		cmocka_unit_test(rule10_writable_peer),
		cmocka_unit_test(rule11_diverged),
		cmocka_unit_test(why_truncated),
		cmocka_unit_test(why_sentences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
