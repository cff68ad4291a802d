// SPDX-License-Identifier: GPL-2.0-or-later
// dbrole_witness: before a takeover on silence, is the VIP still served by a live,
// writable server? One fresh connection through the VIP, with a deadline.
#include "dbrole_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===================================================================== */
/* The witness                                                            */
/* ===================================================================== */

static void witness_verdict(struct dbrole *r, bool served, const char *detail)
{
	uint32_t seq = r->wseq;
	r->wrunning = false;
	sqlconn_close(r->wconn); /* each probe is a fresh handshake */
	if (served)
		r->stats.witness_served++;
	if (r->wlast != (int)served)
		log_msg(r->log, served ? LOG_LVL_WARN : LOG_LVL_INFO, "instance %s: witness: %s", r->conf.instance,
			detail);
	r->wlast = served;
	r->wlast_ms = monotime_ms();
	r->ops.witness_result(r->ctx, seq, served);
}

static void witness_query_done(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	(void)c;
	struct dbrole *r = ctx;
	char d[256];
	if (!o->ok) {
		snprintf(d, sizeof(d), "VIP not served (%s): taking over", o->deadline ? "no answer to a query" : o->error);
		witness_verdict(r, false, d);
		return;
	}
	const char *sid = sqlconn_value(o->rows, 0, 0);
	const char *ro = sqlconn_value(o->rows, 0, 1);
	uint32_t id = sid ? (uint32_t)strtoul(sid, NULL, 10) : 0;
	bool own = r->self.known && id == r->self.server_id;
	bool writable = ro && strcmp(ro, "0") == 0;
	if (!own && writable) {
		snprintf(d, sizeof(d), "VIP served by server_id %" PRIu32 " (writable): staying BACKUP", id);
		witness_verdict(r, true, d);
		return;
	}
	snprintf(d, sizeof(d), "VIP not served by a writable server (server_id %" PRIu32 "%s, read_only %s): taking over",
		 id, own ? ", this node's own" : "", ro ? ro : "?");
	witness_verdict(r, false, d);
}

static void witness_connect_done(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	struct dbrole *r = ctx;
	char d[256];
	if (!o->ok) {
		/* An error packet (1040 too many connections, 1045...) is a
		 * live server answering; a refused or silent port is not (a
		 * frozen host still completes the TCP handshake). */
		bool live = !o->deadline && o->err >= 1000 && o->err < 2000;
		if (live)
			snprintf(d, sizeof(d), "VIP served: a live server answered with error %u (%s): staying BACKUP",
				 o->err, o->error);
		else
			snprintf(d, sizeof(d), "VIP not served (%s): taking over",
				 o->deadline ? "no MySQL greeting in time" : o->error);
		witness_verdict(r, live, d);
		return;
	}
	uint32_t left = (uint32_t)(o->elapsed_us / 1000u) < r->conf.witness_timeout_ms
				? r->conf.witness_timeout_ms - (uint32_t)(o->elapsed_us / 1000u)
				: 1u;
	if (sqlconn_query(c, "SELECT @@server_id, @@read_only", left, witness_query_done, r) < 0)
		witness_verdict(r, false, "VIP not served (cannot query): taking over");
}

void dbrole_witness(struct dbrole *r, uint32_t seq)
{
	if (!r->wconn) {
		r->ops.witness_result(r->ctx, seq, false);
		return;
	}
	sqlconn_close(r->wconn);
	r->wseq = seq;
	r->wrunning = true;
	r->stats.witness_probes++;
	if (sqlconn_connect(r->wconn, r->conf.witness_timeout_ms, witness_connect_done, r) < 0)
		witness_verdict(r, false, "VIP not served (cannot start a connection): taking over");
}

void dbrole_witness_cancel(struct dbrole *r)
{
	if (!r->wrunning)
		return;
	sqlconn_close(r->wconn);
	r->wrunning = false;
}
