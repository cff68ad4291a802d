// SPDX-License-Identifier: GPL-2.0-or-later
// dbrole_contest: two masters meet (or a master was frozen): read-only first, then
// the epochs decide; the loser reports what it holds that the winner lacks.
#include "dbrole_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===================================================================== */
/* Two masters meet                                                        */
/* ===================================================================== */

/* cmp as for ops->contest_result; why: what it rests on. */
/* The longest a contest waits for this server to go read-only. */
#define CONTEST_READ_ONLY_MS 1000u

static void contest_answer(struct dbrole *r, int cmp, const char *why)
{
	if (r->job == DBROLE_JOB_CONTEST)
		r->job = DBROLE_JOB_NONE;
	log_info(r->log, "instance %s: contest: %s: %s", r->conf.instance, why,
		 cmp > 0 ? "this server wins" : cmp < 0 ? "the other one wins" : "priority decides");
	if (cmp < 0)
		r->stats.contests_lost++;
	r->ops.contest_result(r->ctx, cmp);
	dbrole_schedule(r);
}

/* Add to @l what @more holds beyond it (per domain and server). */
static void gtid_merge(struct gtid_list *l, const struct gtid_list *more)
{
	for (size_t i = 0; i < more->n; i++) {
		size_t j = 0;
		while (j < l->n && (l->e[j].domain != more->e[i].domain || l->e[j].server != more->e[i].server))
			j++;
		if (j < l->n) {
			if (more->e[i].seq > l->e[j].seq)
				l->e[j].seq = more->e[i].seq;
		} else if (l->n < GTID_MAX) {
			l->e[l->n++] = more->e[i];
		}
	}
}

/* What this server holds that the other lacks, for the loser's report:
 * the other's binary log state plus what its IO thread received (a
 * replica of ours still applying lacks nothing: its gate waits for it). */
static void note_divergence(struct dbrole *r, const char *peer_host, const char *their_state,
			    const char *their_received)
{
	struct gtid_list ours, theirs, received;
	char err[128];
	r->diverged[0] = '\0';
	if (gtid_parse(r->our_state, &ours, err, sizeof(err)) < 0 ||
	    gtid_parse(their_state ? their_state : "", &theirs, err, sizeof(err)) < 0)
		return;
	if (their_received && gtid_parse(their_received, &received, err, sizeof(err)) == 0)
		gtid_merge(&theirs, &received);
	struct gtid_gap gaps[8];
	size_t n = gtid_state_gaps(&theirs, &ours, gaps, 8);
	if (n == 0)
		return;
	uint64_t total = 0;
	size_t len = 0;
	char list[640] = "";
	for (size_t i = 0; i < n && i < 8; i++) {
		total += gaps[i].to - gaps[i].from + 1;
		int w = snprintf(list + len, sizeof(list) - len, "%sdomain %" PRIu32 " server_id %" PRIu32 " seq %" PRIu64 "..%" PRIu64,
				 i ? ", " : "", gaps[i].domain, gaps[i].server, gaps[i].from, gaps[i].to);
		if (w < 0 || (size_t)w >= sizeof(list) - len)
			break;
		len += (size_t)w;
	}
	snprintf(r->diverged, sizeof(r->diverged),
		 "this server holds %" PRIu64 " transaction%s that %s lacks (%s%s), written since epoch %" PRIu64 "%s%s%s: reconcile them before rejoining it",
		 total, total == 1 ? "" : "s", peer_host, list, n > 8 ? ", ..." : "", r->contest_our_epoch,
		 r->our_epoch_since[0] ? " (opened " : "", r->our_epoch_since,
		 r->our_epoch_since[0] ? " server time)" : "");
	log_warn(r->log, "instance %s: contest: %s", r->conf.instance, r->diverged);
}

/* One server asked in a contest answered (or not); the highest epoch
 * among those that answered is compared with ours once all are in. */
static void contest_peer_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole_peer *p = ctx;
	struct dbrole *r = p->r;
	if (r->job != DBROLE_JOB_CONTEST)
		return;
	if (!res->ok) {
		log_warn(r->log, "instance %s: contest: %s's server does not answer (%s)", r->conf.instance,
			 p->host, dbrole_errtext(res));
	} else {
		const char *ep = sqlbatch_value(res, 0, 0, "epoch");
		uint64_t theirs = ep ? strtoull(ep, NULL, 10) : 0;
		p->f.epoch = theirs;
		/* The other master's server replicates from ours (a replica
		 * that took over and is still applying): everything it will
		 * have is ours, its gate waits for it: count our epoch as its.
		 * The gating side counts the same way, so both decide alike. */
		const char *mh = sqlbatch_value(res, 2, 0, "Master_Host");
		const char *io = sqlbatch_value(res, 2, 0, "Slave_IO_Running");
		if (r->self_addr[0] && db_host_same(mh, r->self_addr) && io && strcmp(io, "No") != 0 &&
		    theirs < r->contest_our_epoch) {
			log_info(r->log, "instance %s: contest: %s replicates from this server: its epoch counts as ours",
				 r->conf.instance, p->host);
			theirs = r->contest_our_epoch;
		}
		if (!r->contest_best_peer || theirs > r->contest_best) {
			r->contest_best = theirs;
			r->contest_best_peer = p;
		}
		if (theirs >= r->contest_our_epoch)
			note_divergence(r, p->host, sqlbatch_value(res, 1, 0, "state"),
					sqlbatch_value(res, 2, 0, "Gtid_IO_Pos"));
	}
	if (--r->contest_asked > 0)
		return;
	char why[160];
	if (!r->contest_best_peer) {
		contest_answer(r, 0, "no other server answered: the other epoch is unknown");
		return;
	}
	snprintf(why, sizeof(why), "epoch %" PRIu64 " here, %" PRIu64 " on %s", r->contest_our_epoch,
		 r->contest_best, r->contest_best_peer->host);
	contest_answer(r, r->contest_our_epoch > r->contest_best ? 1
			  : r->contest_our_epoch < r->contest_best ? -1 : 0, why);
}

/*
 * The database peer of the master heard (its advert source a), or NULL
 * when it cannot be told (then every peer is asked).
 *
 * IPv4: the advert source is the other node's primary address, which
 * database_peers (by default the unicast peers) name it by.
 * IPv6: adverts come from link-local addresses (RFC 5798 5.1.2.1), which
 * name no server; the master is told from database_peers alone: the only
 * peer, or else the only peer whose server was no replica at its last
 * poll (the others replicate; a master's server does not).
 */
static struct dbrole_peer *peer_by_addr(struct dbrole *r, const struct vrrp_fsm_addr *a)
{
	if (a->len == 4) {
		char host[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, a->bytes, host, sizeof(host));
		for (size_t i = 0; i < r->n_peers; i++)
			if (db_host_same(r->peers[i].host, host))
				return &r->peers[i];
		return NULL;
	}
	if (a->len != 16)
		return NULL;
	if (r->n_peers == 1)
		return &r->peers[0];
	struct dbrole_peer *found = NULL;
	for (size_t i = 0; i < r->n_peers; i++) {
		struct dbrole_peer *p = &r->peers[i];
		if (!p->f.known || p->f.is_replica)
			continue;
		if (found)
			return NULL; /* two candidates: ask them all */
		found = p;
	}
	return found;
}

static void contest_local_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	const char *ro = res->ok ? sqlbatch_value(res, res->n - 3, 0, "ro") : NULL;
	if (!ro || strcmp(ro, "1") != 0) {
		if (!res->ok && (res->deadline || !res->connected))
			r->unanswered_ms = monotime_ms(); /* the demotion that follows need not wait again */
		log_warn(r->log, "instance %s: contest: cannot confirm this server is read-only (%s)",
			 r->conf.instance, res->ok ? "read_only is still 0" : dbrole_errtext(res));
		contest_answer(r, -1, "a server that may be writable gives way");
		return;
	}
	if (r->contest_reopen) {
		r->stats.read_only_set++;
		log_info(r->log, "instance %s: role: read_only = ON (another master: contest)", r->conf.instance);
	}
	r->self.read_only = true;
	const char *ep = sqlbatch_value(res, res->n - 2, 0, "epoch");
	r->contest_our_epoch = ep ? strtoull(ep, NULL, 10) : r->self.epoch;
	const char *since = sqlbatch_value(res, res->n - 2, 0, "since");
	snprintf(r->our_epoch_since, sizeof(r->our_epoch_since), "%s", since ? since : "");
	const char *st = sqlbatch_value(res, res->n - 1, 0, "state");
	snprintf(r->our_state, sizeof(r->our_state), "%s", st ? st : "");

	/* Ask the other master's server; when nobody was heard (we were
	 * frozen) or the master is not a database peer, ask every peer:
	 * what they said before we froze is stale. */
	struct dbrole_peer *p = r->contest_peer.priority ? peer_by_addr(r, &r->contest_peer.src) : NULL;
	r->contest_asked = 0;
	r->contest_best = 0;
	r->contest_best_peer = NULL;
	for (size_t i = 0; i < r->n_peers; i++) {
		struct dbrole_peer *q = &r->peers[i];
		if (p && q != p)
			continue;
		if (sqlbatch_busy(q->b)) {
			sqlbatch_cancel(q->b);
			q->polling = false;
		}
		struct sqlbatch_stmt s[3] = {
			{ .sql = "SELECT COALESCE(MAX(epoch), 0) AS epoch FROM vigil.epoch",
			  .deadline_ms = r->conf.stmt_timeout_ms, .may_fail = true },
			{ .sql = "SELECT @@gtid_binlog_state AS state, @@read_only AS ro",
			  .deadline_ms = r->conf.stmt_timeout_ms },
			/* What it received but may not have applied yet. */
			{ .sql = "SHOW SLAVE STATUS", .deadline_ms = r->conf.stmt_timeout_ms, .may_fail = true },
		};
		if (sqlbatch_run(q->b, s, 3, contest_peer_done, q) == 0)
			r->contest_asked++;
	}
	if (r->contest_asked == 0)
		contest_answer(r, 0, p || !r->n_peers ? "cannot ask the other server" : "no database peer to ask");
}

void dbrole_run_contest(struct dbrole *r)
{
	r->want_contest = false;
	r->job = DBROLE_JOB_CONTEST;
	/* A master that two masters meet makes its server read-only first
	 * (docs/data-safety.md "3.8 Two masters: the contest"); one still
	 * gating is read-only already. */
	r->contest_reopen = r->mode == DBROLE_WRITABLE || r->mode == DBROLE_ADOPTING;
	struct sqlbatch_stmt s[4];
	size_t n = 0;
	/* Short: a server too slow to go read-only gives way (the other
	 * master is alive); the VIP must not stay on two hosts meanwhile. */
	uint32_t dl = r->conf.stmt_timeout_ms < CONTEST_READ_ONLY_MS ? r->conf.stmt_timeout_ms : CONTEST_READ_ONLY_MS;
	if (r->contest_reopen)
		s[n++] = (struct sqlbatch_stmt){ .sql = "SET GLOBAL read_only = ON", .deadline_ms = dl };
	s[n++] = (struct sqlbatch_stmt){ .sql = "SELECT @@read_only AS ro", .deadline_ms = dl };
	/* created only grows with the epoch: MAX() is the newest row's. */
	s[n++] = (struct sqlbatch_stmt){ .sql = "SELECT COALESCE(MAX(epoch), 0) AS epoch, MAX(created) AS since"
						" FROM vigil.epoch",
					 .deadline_ms = r->conf.stmt_timeout_ms, .may_fail = true };
	s[n++] = (struct sqlbatch_stmt){ .sql = "SELECT @@gtid_binlog_state AS state", .deadline_ms = r->conf.stmt_timeout_ms };
	if (sqlbatch_run(r->local, s, n, contest_local_done, r) < 0)
		contest_answer(r, -1, "cannot make this server read-only");
}

void dbrole_contest(struct dbrole *r, const struct vrrp_fsm_advert *peer)
{
	r->stats.contests++;
	char who[80] = "nobody heard: this node was frozen";
	if (peer->priority && (peer->src.len == 4 || peer->src.len == 16)) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(peer->src.len == 16 ? AF_INET6 : AF_INET, peer->src.bytes, a, sizeof(a));
		snprintf(who, sizeof(who), "%s priority %u", a, peer->priority);
	}
	log_warn(r->log, "instance %s: contest: another master (%s): read-only and no ARP until the epochs are compared",
		 r->conf.instance, who);
	if (!r->conf.manage_read_only) {
		r->ops.contest_result(r->ctx, 0);
		return;
	}
	r->contest_peer = *peer;
	if (r->mode == DBROLE_GATING) {
		/* Read-only already, and it was eligible a moment ago: the
		 * peers' last polls suffice (asking the other server again
		 * would hold up the gate when that server hangs). */
		struct dbrole_peer *p = peer->priority ? peer_by_addr(r, &peer->src) : NULL;
		r->contest_reopen = false;
		r->contest_our_epoch = r->self.epoch;
		char why[200];
		if (!p || !p->f.known) {
			/* Not open yet, nothing to lose: the other one, open or
			 * not, decides with what it knows. */
			contest_answer(r, -1, "gating here, the other master's epoch unknown: giving way");
			return;
		}
		uint64_t ours = r->self.epoch;
		/* A replica of that very master gets its epoch rows through
		 * replication, and the gate waits for all of them: count them
		 * as ours (then priority decides). */
		if (r->self.is_replica && db_host_same(r->self.master_host, p->host) && p->f.epoch > ours)
			ours = p->f.epoch;
		snprintf(why, sizeof(why), "gating here at epoch %" PRIu64 "%s, %s polled at %" PRIu64,
			 r->self.epoch, ours != r->self.epoch ? " (its replica: the same)" : "", p->host, p->f.epoch);
		contest_answer(r, ours > p->f.epoch ? 1 : ours < p->f.epoch ? -1 : 0, why);
		return;
	}
	r->want_contest = true;
	dbrole_preempt(r);
	dbrole_schedule(r);
}

void dbrole_reopen(struct dbrole *r)
{
	log_info(r->log, "instance %s: contest: won: this node stays MASTER", r->conf.instance);
	if (!r->conf.manage_read_only || !r->contest_reopen || r->vstate != VRRP_STATE_MASTER)
		return; /* a gate still running opens the server itself */
	r->contest_reopen = false;
	dbrole_begin_gate(r);
}
