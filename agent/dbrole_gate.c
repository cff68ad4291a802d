// SPDX-License-Identifier: GPL-2.0-or-later
// dbrole_gate: the promotion gate: the VIP is up, the server stays read-only until
// it has every write the old master acknowledged, then the epoch row and read_only = OFF.
#include "dbrole_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A gate wait statement lasts at most this long, so progress is logged
 * and a demotion can interrupt it between two waits. */
#define GATE_WAIT_SLICE_MS 1000u
/* How long the gate waits for the old master's server to answer. */
#define OLD_MASTER_DEADLINE_MS 1000u
/* What STOP SLAVE IO_THREAD may take beyond role_timeout (see gate_stop_io). */
#define STOP_IO_SLACK_MS 3000u
/* A witness verdict this recent speaks for the takeover it preceded. */
#define WITNESS_FRESH_MS 1000u
/* How often the gate asks a still-writable old master again. */
#define GATE_RETRY_MS 100u

/* ===================================================================== */
/* The promotion gate                                                     */
/* ===================================================================== */

static uint64_t gate_elapsed(const struct dbrole *r)
{
	return monotime_ms() - r->gate_t0_ms;
}

static void gate_next(struct dbrole *r, enum gate_stage stage)
{
	r->gate_stage = stage;
	if (r->job == DBROLE_JOB_GATE)
		r->job = DBROLE_JOB_NONE;
	r->want_gate = true;
	dbrole_schedule(r);
}

static void gate_end(struct dbrole *r)
{
	if (r->job == DBROLE_JOB_GATE)
		r->job = DBROLE_JOB_NONE;
	dbrole_schedule(r);
}

static void gate_timeout(struct dbrole *r, const char *what)
{
	char target[256] = "?";
	if (r->gate_target_known)
		gtid_format(&r->gate_target, target, sizeof(target));
	r->gate_timed_out = true;
	r->stats.gate_timeouts++;
	dbrole_alarm(r, "promotion gate timed out after %" PRIu64 " ms (%s): %s", gate_elapsed(r), what,
		     r->conf.writable_on_timeout ? "opening anyway" : "the server stays read-only");
	if (r->conf.writable_on_timeout) {
		log_err(r->log,
			"instance %s: gate: TIMEOUT after %" PRIu64 " ms (%s; target %s): promote_on_timeout = writable: OPENING ANYWAY, acknowledged writes may be missing here",
			r->conf.instance, gate_elapsed(r), what, target);
		gate_next(r, GATE_STOP);
		return;
	}
	log_err(r->log,
		"instance %s: gate: TIMEOUT after %" PRIu64 " ms (%s; target %s): promote_on_timeout = stay_read_only: the server STAYS READ-ONLY (reads work through the VIP); a DBA must decide",
		r->conf.instance, gate_elapsed(r), what, target);
	gate_end(r);
}

static void open_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	if (!res->ok) {
		r->stats.role_errors++;
		log_err(r->log, "instance %s: gate: cannot open the server (statement %zu): %s%s: it stays read-only",
			r->conf.instance, res->failed_at + 1, dbrole_errtext(res),
			res->err == 1227 || res->err == 1142 || res->err == 1044
				? " (the vigil user needs READ_ONLY ADMIN on *.* and SELECT, INSERT, CREATE on vigil.*)"
				: "");
		gate_end(r);
		return;
	}
	const char *ep = sqlbatch_value(res, 3, 0, "epoch");
	uint64_t epoch = ep ? strtoull(ep, NULL, 10) : 0;
	r->self.epoch = epoch;
	r->self.read_only = false;
	r->stats.epochs_written++;
	r->stats.gates_opened++;
	r->stats.read_only_set++;
	log_info(r->log, "instance %s: epoch %" PRIu64 " written", r->conf.instance, epoch);
	uint64_t waited = r->gate_target_known
				  ? gtid_missing(&r->gate_applied_at_start, &r->gate_target)
				  : 0;
	log_info(r->log, "instance %s: gate: open after %" PRIu64 " ms, waited for %" PRIu64 " transactions%s",
		 r->conf.instance, gate_elapsed(r), waited, r->gate_timed_out ? " (after a TIMEOUT)" : "");
	log_info(r->log, "instance %s: role: read_only = OFF (promoted, epoch %" PRIu64 ")", r->conf.instance,
		 epoch);
	dbrole_set_mode(r, DBROLE_WRITABLE);
	r->gate_stopped_io = false;
	gate_end(r);
}

/* Epoch row, then read_only = OFF (docs/data-safety.md "3.4 Promotion
 * gate", step 5). The row is written while read_only is still on, which
 * vigil's READ_ONLY ADMIN allows, so no client write can come before it. */
static void gate_open(struct dbrole *r)
{
	uint64_t known = r->self.epoch;
	for (size_t i = 0; i < r->n_peers; i++)
		if (r->peers[i].f.known && r->peers[i].f.epoch > known)
			known = r->peers[i].f.epoch;
	/* router_id goes into a string literal: keep only harmless bytes. */
	char rid[64];
	size_t k = 0;
	for (const char *p = r->conf.router_id ? r->conf.router_id : "?"; *p && k + 1 < sizeof(rid); p++)
		rid[k++] = (strchr("'\\\"", *p) || (unsigned char)*p < 32) ? '_' : *p;
	rid[k] = '\0';
	char insert[256];
	snprintf(insert, sizeof(insert),
		 "INSERT INTO vigil.epoch (epoch, router_id, gtid_pos, created)"
		 " SELECT GREATEST(COALESCE(MAX(epoch), 0), %" PRIu64 ") + 1, '%s', @@gtid_binlog_pos, NOW(6)"
		 " FROM vigil.epoch",
		 known, rid);
	/* A write on a semi-synchronous primary waits for a replica's
	 * acknowledgement up to rpl_semi_sync_master_timeout (with no
	 * replica left, the whole of it): allow for that. */
	uint32_t wdl = r->conf.stmt_timeout_ms + r->semisync_timeout_ms;
	struct sqlbatch_stmt s[] = {
		{ .sql = "CREATE DATABASE IF NOT EXISTS vigil", .deadline_ms = wdl },
		{ .sql = "CREATE TABLE IF NOT EXISTS vigil.epoch (epoch BIGINT UNSIGNED NOT NULL PRIMARY KEY,"
			 " router_id VARCHAR(255) NOT NULL, gtid_pos TEXT NOT NULL,"
			 " created TIMESTAMP(6) NOT NULL) ENGINE=InnoDB",
		  .deadline_ms = wdl },
		{ .sql = insert, .deadline_ms = wdl },
		{ .sql = "SELECT MAX(epoch) AS epoch FROM vigil.epoch", .deadline_ms = r->conf.stmt_timeout_ms },
		{ .sql = "SET GLOBAL read_only = OFF", .deadline_ms = r->conf.stmt_timeout_ms },
	};
	if (sqlbatch_run(r->local, s, sizeof(s) / sizeof(s[0]), open_done, r) < 0)
		gate_end(r);
}

static void stop_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	if (!res->ok) {
		r->stats.role_errors++;
		log_err(r->log, "instance %s: gate: STOP SLAVE failed: %s%s", r->conf.instance, dbrole_errtext(res),
			res->err == 1227 ? " (the vigil user needs REPLICATION SLAVE ADMIN)" : "");
		gate_end(r);
		return;
	}
	struct gtid_list applied;
	char err[128];
	const char *pos = sqlbatch_value(res, 1, 0, "slave_pos");
	if (r->gate_target_known && !r->gate_timed_out &&
	    (gtid_parse(pos ? pos : "", &applied, err, sizeof(err)) < 0 ||
	     !gtid_covers(&applied, &r->gate_target))) {
		char t[256];
		gtid_format(&r->gate_target, t, sizeof(t));
		log_err(r->log, "instance %s: gate: applied position %s does not cover %s", r->conf.instance,
			pos ? pos : "(none)", t);
		gate_timeout(r, "applied position short of the target");
		return;
	}
	gate_next(r, GATE_OPEN);
}

static void gate_stop(struct dbrole *r)
{
	struct sqlbatch_stmt s[2] = {
		{ .sql = r->conf.stop_replication ? "STOP SLAVE" : "DO 0", .deadline_ms = r->conf.stmt_timeout_ms },
		{ .sql = "SELECT @@gtid_slave_pos AS slave_pos", .deadline_ms = r->conf.stmt_timeout_ms },
	};
	if (sqlbatch_run(r->local, s, 2, stop_done, r) < 0)
		gate_end(r);
}

static void wait_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	const char *w = res->ok ? sqlbatch_value(res, 0, 0, "w") : NULL;
	if (w && strcmp(w, "0") == 0) {
		gate_next(r, GATE_STOP);
		return;
	}
	if (w && strcmp(w, "-1") == 0) {
		gate_next(r, GATE_WAIT); /* another slice, or the timeout */
		return;
	}
	r->stats.role_errors++;
	log_err(r->log, "instance %s: gate: MASTER_GTID_WAIT failed: %s", r->conf.instance,
		res->ok ? "NULL (bad position?)" : dbrole_errtext(res));
	gate_timeout(r, "cannot wait for the position");
}

static void gate_wait(struct dbrole *r)
{
	uint64_t spent = gate_elapsed(r);
	if (spent >= r->conf.promote_timeout_ms) {
		gate_timeout(r, "the relay log was not applied in time");
		return;
	}
	uint64_t slice = r->conf.promote_timeout_ms - spent;
	if (slice > GATE_WAIT_SLICE_MS)
		slice = GATE_WAIT_SLICE_MS;
	char pos[GTID_MAX * 48];
	if (gtid_format(&r->gate_target, pos, sizeof(pos)) < 0) {
		gate_timeout(r, "position too long");
		return;
	}
	char sql[sizeof(pos) + 64];
	snprintf(sql, sizeof(sql), "SELECT MASTER_GTID_WAIT('%s', %.3f) AS w", pos, (double)slice / 1000.0);
	struct sqlbatch_stmt s = { .sql = sql, .deadline_ms = (uint32_t)slice + r->conf.stmt_timeout_ms };
	if (sqlbatch_run(r->local, &s, 1, wait_done, r) < 0)
		gate_end(r);
}

static void stop_io_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	if (!res->ok) {
		r->stats.role_errors++;
		log_err(r->log, "instance %s: gate: STOP SLAVE IO_THREAD failed: %s%s", r->conf.instance,
			dbrole_errtext(res), res->err == 1227 ? " (the vigil user needs REPLICATION SLAVE ADMIN)" : "");
		if (res->err == 1227 || gate_elapsed(r) >= r->conf.promote_timeout_ms) {
			gate_timeout(r, "cannot freeze the received position");
			return;
		}
		/* Again: the server may have been busy stopping the thread. */
		gate_next(r, GATE_STOP_IO);
		return;
	}
	r->gate_stopped_io = true;
	char err[128];
	const char *io = sqlbatch_value(res, 1, 0, "Gtid_IO_Pos");
	if (gtid_parse(io ? io : "", &r->gate_target, err, sizeof(err)) < 0) {
		log_err(r->log, "instance %s: gate: cannot read Gtid_IO_Pos '%s': %s", r->conf.instance,
			io ? io : "", err);
		gate_timeout(r, "unreadable Gtid_IO_Pos");
		return;
	}
	r->gate_target_known = true;
	const char *sql_run = sqlbatch_value(res, 1, 0, "Slave_SQL_Running");
	if (!sql_run || strcmp(sql_run, "Yes") != 0) {
		const char *e = sqlbatch_value(res, 1, 0, "Last_SQL_Error");
		log_err(r->log,
			"instance %s: gate: the SQL thread is stopped (%s): the relay log cannot be applied",
			r->conf.instance, e && *e ? e : "no error recorded");
		gate_timeout(r, "SQL thread stopped");
		return;
	}
	/* Several replicas: the one that received most must win. */
	for (size_t i = 0; i < r->n_peers; i++) {
		const struct db_facts *f = &r->peers[i].f;
		if (f->known && f->is_replica && f->epoch == r->self.epoch &&
		    gtid_compare(&f->received, &r->gate_target) > 0) {
			log_warn(r->log, "instance %s: gate: peer %s received more than this server: handing over to it",
				 r->conf.instance, r->peers[i].host);
			gate_end(r);
			r->ops.resign(r->ctx);
			return;
		}
	}
	char t[256];
	gtid_format(&r->gate_target, t, sizeof(t));
	log_info(r->log, "instance %s: gate: IO thread stopped; applying the relay log up to %s (%" PRIu64 " transactions to go)",
		 r->conf.instance, t, gtid_missing(&r->gate_applied_at_start, &r->gate_target));
	gate_next(r, GATE_WAIT);
}

static void gate_stop_io(struct dbrole *r)
{
	/* Keeps the relay log (never RESET SLAVE, never restart the IO
	 * thread: both delete relay logs), and freezes Gtid_IO_Pos. */
	/* An IO thread blocked reading from a frozen master only notices
	 * STOP when the server signals it again, every 2 s (MariaDB's
	 * terminate_slave_thread): allow for that. */
	struct sqlbatch_stmt s[2] = {
		{ .sql = "STOP SLAVE IO_THREAD", .deadline_ms = r->conf.stmt_timeout_ms + STOP_IO_SLACK_MS },
		{ .sql = "SHOW SLAVE STATUS", .deadline_ms = r->conf.stmt_timeout_ms },
	};
	if (sqlbatch_run(r->local, s, 2, stop_io_done, r) < 0)
		gate_end(r);
}

static void old_master_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	struct dbrole_peer *old = r->gate_old;
	if (r->vstate != VRRP_STATE_MASTER) {
		gate_end(r);
		return;
	}
	if (!res->ok) {
		log_info(r->log, "instance %s: gate: old master %s does not answer (%s): waiting for what this replica received",
			 r->conf.instance, old->host, dbrole_errtext(res));
		gate_next(r, GATE_STOP_IO);
		return;
	}
	const char *ro = sqlbatch_value(res, 0, 0, "ro");
	if (!ro || strcmp(ro, "1") != 0) {
		if (gate_elapsed(r) >= r->conf.promote_timeout_ms) {
			gate_timeout(r, "the old master stayed writable");
			return;
		}
		if (!r->gate_old_writable_logged)
			log_warn(r->log, "instance %s: gate: old master %s is still writable: waiting for it to turn read-only",
				 r->conf.instance, old->host);
		r->gate_old_writable_logged = true;
		r->job = DBROLE_JOB_GATE; /* hold the local connection: nothing else to do */
		ev_timer_set(&r->gate_timer, GATE_RETRY_MS / 1000.0, 0.);
		ev_timer_start(r->loop, &r->gate_timer);
		return;
	}
	char err[128];
	const char *pos = sqlbatch_value(res, 0, 0, "binlog_pos");
	if (gtid_parse(pos ? pos : "", &r->gate_target, err, sizeof(err)) < 0) {
		log_err(r->log, "instance %s: gate: cannot read the old master's @@gtid_binlog_pos '%s': %s",
			r->conf.instance, pos ? pos : "", err);
		gate_next(r, GATE_STOP_IO);
		return;
	}
	r->gate_target_known = true;
	log_info(r->log, "instance %s: gate: old master %s is read-only at %s: waiting for all of it (%" PRIu64 " transactions to go)",
		 r->conf.instance, old->host, pos ? pos : "",
		 gtid_missing(&r->gate_applied_at_start, &r->gate_target));
	gate_next(r, GATE_WAIT);
}

static void gate_old_master(struct dbrole *r)
{
	struct dbrole_peer *old = r->gate_old;
	if (sqlbatch_busy(old->b)) {
		sqlbatch_cancel(old->b);
		old->polling = false;
	}
	/* A frozen host completes the TCP handshake and then says nothing:
	 * wait for it no longer than this before going by what we received
	 * (if it wakes up writable, the contest of two masters handles it). */
	struct sqlbatch_stmt s = {
		.sql = "SELECT @@read_only AS ro, @@gtid_binlog_pos AS binlog_pos",
		.deadline_ms = r->conf.stmt_timeout_ms < OLD_MASTER_DEADLINE_MS ? r->conf.stmt_timeout_ms
										 : OLD_MASTER_DEADLINE_MS,
	};
	if (sqlbatch_run(old->b, &s, 1, old_master_done, r) < 0)
		gate_next(r, GATE_STOP_IO);
}

void dbrole_gate_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct dbrole *r = w->data;
	if (r->job == DBROLE_JOB_GATE)
		gate_next(r, r->gate_stage);
}

static void local_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	if (!res->ok) {
		r->stats.role_errors++;
		log_err(r->log, "instance %s: gate: cannot read the local server: %s: it stays read-only",
			r->conf.instance, dbrole_errtext(res));
		/* Try again: the server may answer in a moment. */
		if (gate_elapsed(r) < r->conf.promote_timeout_ms) {
			r->job = DBROLE_JOB_GATE;
			ev_timer_set(&r->gate_timer, r->conf.poll_interval_ms / 1000.0, 0.);
			ev_timer_start(r->loop, &r->gate_timer);
		} else {
			gate_timeout(r, "the local server did not answer");
		}
		return;
	}
	char err[128];
	const char *applied = sqlbatch_value(res, 1, 0, "slave_pos");
	if (gtid_parse(applied ? applied : "", &r->gate_applied_at_start, err, sizeof(err)) < 0)
		memset(&r->gate_applied_at_start, 0, sizeof(r->gate_applied_at_start));
	bool replica = false;
	if (sqlbatch_rows(res, 0) > 0) {
		const char *io = sqlbatch_value(res, 0, 0, "Slave_IO_Running");
		const char *sql = sqlbatch_value(res, 0, 0, "Slave_SQL_Running");
		replica = (io && strcmp(io, "No") != 0) || (sql && strcmp(sql, "Yes") == 0);
	}
	if (!replica) {
		const char *ro = sqlbatch_value(res, 1, 0, "ro");
		if (ro && strcmp(ro, "0") == 0 && (!r->ops.may_write || r->ops.may_write(r->ctx))) {
			log_info(r->log, "instance %s: gate: the server is already a writable primary", r->conf.instance);
			dbrole_set_mode(r, DBROLE_WRITABLE);
			gate_end(r);
			return;
		}
		/* A server that is not a replica (and is eligible) becomes
		 * writable at once (docs/data-safety.md "3.4 Promotion gate",
		 * step 1). */
		gate_next(r, GATE_OPEN);
		return;
	}
	const char *mh = sqlbatch_value(res, 0, 0, "Master_Host");
	r->gate_old = NULL;
	for (size_t i = 0; mh && i < r->n_peers; i++)
		if (db_host_same(r->peers[i].host, mh))
			r->gate_old = &r->peers[i];
	if (!r->gate_old)
		log_info(r->log, "instance %s: gate: the old master %s is not among database_peers: waiting for what this replica received",
			 r->conf.instance, mh ? mh : "?");
	/* The witness of this very takeover found the VIP, that is the old
	 * master's server, not answering a moment ago: asking it again
	 * would only cost OLD_MASTER_DEADLINE_MS. */
	if (r->gate_old && r->wlast == 0 && r->gate_t0_ms - r->wlast_ms < WITNESS_FRESH_MS) {
		log_info(r->log, "instance %s: gate: the witness found the old master %s not answering: waiting for what this replica received",
			 r->conf.instance, r->gate_old->host);
		gate_next(r, GATE_STOP_IO);
		return;
	}
	gate_next(r, r->gate_old ? GATE_OLD_MASTER : GATE_STOP_IO);
}

static void gate_local(struct dbrole *r)
{
	struct sqlbatch_stmt s[2] = {
		{ .sql = "SHOW SLAVE STATUS", .deadline_ms = r->conf.stmt_timeout_ms },
		{ .sql = "SELECT @@gtid_slave_pos AS slave_pos, @@read_only AS ro", .deadline_ms = r->conf.stmt_timeout_ms },
	};
	if (sqlbatch_run(r->local, s, 2, local_done, r) < 0)
		gate_end(r);
}

void dbrole_begin_gate(struct dbrole *r)
{
	r->gate_stage = GATE_LOCAL;
	r->gate_wait_permit = false;
	r->gate_t0_ms = monotime_ms();
	r->gate_target_known = false;
	r->gate_old = NULL;
	r->gate_old_writable_logged = false;
	r->gate_timed_out = false;
	r->gate_stopped_io = false;
	memset(&r->gate_applied_at_start, 0, sizeof(r->gate_applied_at_start));
	r->want_gate = true;
	dbrole_set_mode(r, DBROLE_GATING);
	log_info(r->log, "instance %s: gate: MASTER: the VIP is up; the server stays read-only until it has every write the old master acknowledged",
		 r->conf.instance);
	dbrole_schedule(r);
}

void dbrole_run_gate(struct dbrole *r)
{
	r->want_gate = false;
	if (r->vstate != VRRP_STATE_MASTER || r->stopping)
		return;
	r->job = DBROLE_JOB_GATE;
	switch (r->gate_stage) {
	case GATE_LOCAL: gate_local(r); break;
	case GATE_OLD_MASTER: gate_old_master(r); break;
	case GATE_STOP_IO: gate_stop_io(r); break;
	case GATE_WAIT: gate_wait(r); break;
	case GATE_STOP: gate_stop(r); break;
	case GATE_OPEN:
		if (r->ops.may_write && !r->ops.may_write(r->ctx)) {
			/* Quorum on etcd: the key is not ours (yet). The
			 * server stays read-only; dbrole_permit() goes on. */
			if (!r->gate_wait_permit)
				log_info(r->log, "instance %s: gate: waiting for the quorum key before opening the server",
					 r->conf.instance);
			r->gate_wait_permit = true;
			r->job = DBROLE_JOB_NONE;
			dbrole_schedule(r);
			break;
		}
		r->gate_wait_permit = false;
		gate_open(r);
		break;
	}
}

void dbrole_permit(struct dbrole *r)
{
	if (!r->gate_wait_permit || r->vstate != VRRP_STATE_MASTER)
		return;
	gate_next(r, GATE_OPEN);
}
