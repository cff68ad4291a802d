// SPDX-License-Identifier: GPL-2.0-or-later
// db_eligibility: the pure rule deciding whether this node's server may take the write VIP.
#include "db_eligibility.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* An IPv4 or IPv6 literal (brackets allowed) into 16 bytes; false if not one. */
static bool host_addr(const char *h, int *family, unsigned char out[16])
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(h);

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, h + 1, n - 2);
		buf[n - 2] = '\0';
		h = buf;
	}
	memset(out, 0, 16);
	if (inet_pton(AF_INET, h, out) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, h, out) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

bool db_host_same(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	int fx, fy;

	if (!a || !b || !*a || !*b)
		return false;
	if (host_addr(a, &fx, x) && host_addr(b, &fy, y))
		return fx == fy && memcmp(x, y, 16) == 0;
	return strcasecmp(a, b) == 0;
}

static const char *peer_host(const struct db_peer_view *p)
{
	return p->host ? p->host : "?";
}

/* The peer this replica replicates from, when it is a database peer. */
static const struct db_peer_view *own_master(const struct db_eligibility_input *in)
{
	if (!in->self->is_replica)
		return NULL;
	for (size_t i = 0; i < in->n_peers; i++)
		if (db_host_same(in->peers[i].host, in->self->master_host))
			return &in->peers[i];
	return NULL;
}

/* The reachable peer with the highest epoch above ours, or NULL. */
static const struct db_peer_view *newer_peer(const struct db_eligibility_input *in)
{
	const struct db_peer_view *best = NULL;
	/* A replica of the newest server is not stale, only behind: the
	 * epoch rows reach it through replication. So is one whose master
	 * holds an epoch at least as new as the peer's. */
	const struct db_peer_view *m = own_master(in);
	uint64_t through_master = m && m->facts && m->facts->known ? m->facts->epoch : 0;
	for (size_t i = 0; i < in->n_peers; i++) {
		const struct db_facts *f = in->peers[i].facts;
		if (m && (&in->peers[i] == m || (f && f->known && f->epoch <= through_master)))
			continue;
		if (f && f->known && f->epoch > in->self->epoch &&
		    (!best || f->epoch > best->facts->epoch))
			best = &in->peers[i];
	}
	return best;
}

/* A reachable peer of the kind given (replica or standalone) at our epoch
 * that received more than we did, or NULL. */
static const struct db_peer_view *fresher_peer(const struct db_eligibility_input *in,
					       bool replicas_only)
{
	for (size_t i = 0; i < in->n_peers; i++) {
		const struct db_facts *f = in->peers[i].facts;
		if (!f || !f->known || f->epoch != in->self->epoch)
			continue;
		if (replicas_only && !f->is_replica)
			continue;
		if (!replicas_only && !f->read_only)
			continue; /* a writable peer is the master: handled apart */
		if (gtid_compare(&f->received, &in->self->received) > 0)
			return &in->peers[i];
	}
	return NULL;
}

static bool master_is_peer(const struct db_eligibility_input *in)
{
	if (in->n_peers == 0)
		return true; /* nothing to compare with: trust replication's config */
	for (size_t i = 0; i < in->n_peers; i++)
		if (db_host_same(in->peers[i].host, in->self->master_host))
			return true;
	return false;
}

static bool replica_eligible(const struct db_eligibility_input *in, char *why, size_t len)
{
	const struct db_facts *s = in->self;
	if (!s->sql_running) {
		snprintf(why, len, "replica with its SQL thread stopped: it would never catch up");
		return false;
	}
	bool io_ok = s->io == DB_IO_YES || (s->io == DB_IO_CONNECTING && in->io_was_connected);
	if (!io_ok) {
		snprintf(why, len, "replica whose IO thread is %s: not replicating from the master",
			 s->io == DB_IO_NO ? "stopped" : "not connected yet");
		return false;
	}
	if (!master_is_peer(in)) {
		snprintf(why, len, "replicates from %s, which is not one of database_peers",
			 s->master_host);
		return false;
	}
	if (in->crit_lag_ms && s->lag_known && s->lag_ms > in->crit_lag_ms) {
		snprintf(why, len, "replica lagging %" PRIu64 " ms, above crit_lag %" PRIu32 " ms",
			 s->lag_ms, in->crit_lag_ms);
		return false;
	}
	/* Once the master is gone (IO thread no longer connected), positions
	 * are frozen and comparable: the replica that received most wins.
	 * While it lives, peers polled a moment apart would flap. */
	if (s->io != DB_IO_YES) {
		const struct db_peer_view *p = fresher_peer(in, true);
		if (p) {
			snprintf(why, len, "peer %s received more transactions than this replica",
				 peer_host(p));
			return false;
		}
	}
	snprintf(why, len, "replica of %s, caught up%s", s->master_host,
		 s->io == DB_IO_YES ? "" : " (its master is gone)");
	return true;
}

bool db_eligible(const struct db_eligibility_input *in, char *why, size_t len)
{
	const struct db_facts *s = in->self;
	if (!s || !s->known) {
		snprintf(why, len, "the local server does not answer");
		return false;
	}
	const struct db_peer_view *newer = newer_peer(in);
	if (newer) {
		snprintf(why, len,
			 "peer %s holds epoch %" PRIu64 ", this server %" PRIu64
			 ": it missed a failover; rejoin it as a replica of the current master",
			 peer_host(newer), newer->facts->epoch, s->epoch);
		return false;
	}
	if (!s->is_replica && !s->read_only) {
		snprintf(why, len, "writable primary (epoch %" PRIu64 ")", s->epoch);
		return true;
	}
	if (s->is_replica)
		return replica_eligible(in, why, len);
	/* A standalone read-only server: a cold start, or an old primary. */
	if (in->master_heard) {
		snprintf(why, len,
			 "standalone server while another master serves: make it a replica of the current master first");
		return false;
	}
	for (size_t i = 0; i < in->n_peers; i++) {
		const struct db_facts *f = in->peers[i].facts;
		/* VRRP may be silent (a partition, a dead agent): a writable
		 * primary that answers is the master all the same. */
		if (f && f->known && !f->read_only && !f->is_replica && f->epoch >= s->epoch) {
			snprintf(why, len,
				 "standalone server while %s is a writable primary: make it a replica of that server first",
				 peer_host(&in->peers[i]));
			return false;
		}
	}
	const struct db_peer_view *p = fresher_peer(in, false);
	if (!p) {
		for (size_t i = 0; i < in->n_peers; i++) {
			const struct db_facts *f = in->peers[i].facts;
			if (f && f->known && f->is_replica && f->epoch == s->epoch &&
			    gtid_compare(&f->received, &s->received) > 0) {
				p = &in->peers[i];
				break;
			}
		}
	}
	if (p) {
		snprintf(why, len, "peer %s received more transactions at the same epoch %" PRIu64,
			 peer_host(p), s->epoch);
		return false;
	}
	snprintf(why, len, "freshest reachable server (epoch %" PRIu64 ")", s->epoch);
	return true;
}

bool db_handover_candidate(const struct db_facts *peer, const char *self_addr,
			   uint32_t crit_lag_ms, char *why, size_t len)
{
	if (!peer || !peer->known) {
		snprintf(why, len, "does not answer");
		return false;
	}
	if (!peer->is_replica) {
		snprintf(why, len, "is not a replica (read_only %s)", peer->read_only ? "ON" : "OFF");
		return false;
	}
	/* Without this node's own address nothing proves the peer replicates
	 * from this server rather than from some other one. */
	if (!self_addr || !*self_addr || !db_host_same(peer->master_host, self_addr)) {
		snprintf(why, len, "replicates from %s, not from this server%s",
			 peer->master_host[0] ? peer->master_host : "nowhere",
			 self_addr && *self_addr ? "" : " (this node's address is unknown)");
		return false;
	}
	if (!peer->sql_running) {
		snprintf(why, len, "its SQL thread is stopped: it would never catch up");
		return false;
	}
	if (peer->io != DB_IO_YES) {
		snprintf(why, len, "its IO thread is %s", peer->io == DB_IO_NO ? "stopped" : "not connected");
		return false;
	}
	if (crit_lag_ms && peer->lag_known && peer->lag_ms > crit_lag_ms) {
		snprintf(why, len, "lags %" PRIu64 " ms, above crit_lag %" PRIu32 " ms", peer->lag_ms,
			 crit_lag_ms);
		return false;
	}
	if (peer->lag_known && peer->lag_ms > 0)
		snprintf(why, len, "replica of this server, lagging %" PRIu64 " ms (its gate waits for the rest)",
			 peer->lag_ms);
	else
		snprintf(why, len, "replica of this server, caught up");
	return true;
}
