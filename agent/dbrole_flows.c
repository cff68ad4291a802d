// SPDX-License-Identifier: GPL-2.0-or-later
// dbrole_flows: the statement sequences that change a server's role:
// demotion, the promotion gate, the contest of two masters, the witness.
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
/* How often the gate asks a still-writable old master again. */
#define GATE_RETRY_MS 100u
/* Sessions killed per statement batch, and batches per demotion. */
#define KILLS_PER_BATCH SQLBATCH_MAX_STMTS
#define KILL_ROUNDS_MAX 8u

static const char *errtext(const struct sqlbatch_result *res)
{
	return res->error[0] ? res->error : "no answer";
}

/* ===================================================================== */
/* Demotion: read_only = ON, then the sessions of ordinary users, then    */
/* the VIP (ops->demoted).                                                 */
/* ===================================================================== */

static void demote_set(struct dbrole *r);
static void demote_list(struct dbrole *r);

void dbrole_request_demote(struct dbrole *r, const char *why, bool release)
{
	if (!r->conf.manage_read_only) {
		if (release)
			r->ops.demoted(r->ctx);
		return;
	}
	r->want_demote = true;
	r->demote_why = why;
	r->demote_release = r->demote_release || release;
	r->want_gate = false;
	r->want_contest = false;
	dbrole_set_mode(r, DBROLE_DEMOTING);
	dbrole_preempt(r);
	dbrole_schedule(r);
}

static void demote_finish(struct dbrole *r)
{
	r->job = DBROLE_JOB_NONE;
	if (r->vstate != VRRP_STATE_MASTER)
		dbrole_set_mode(r, DBROLE_READ_ONLY);
	if (r->demote_release && !r->want_demote) {
		r->demote_release = false;
		r->ops.demoted(r->ctx);
	}
	if (r->stop_done && !r->want_demote) {
		void (*done)(void *) = r->stop_done;
		r->stop_done = NULL;
		done(r->stop_ctx);
	}
	dbrole_schedule(r);
}

void dbrole_run_demote(struct dbrole *r)
{
	r->want_demote = false;
	r->job = DBROLE_JOB_DEMOTE;
	r->demote_retried = false;
	r->kill_rounds = 0;
	demote_set(r);
}

static void kill_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	for (size_t i = 0; i < res->n; i++)
		if (res->stmt[i].ok)
			r->stats.sessions_killed++;
	if (!res->ok && !res->connected) {
		log_warn(r->log, "instance %s: demote: the server stopped answering while sessions were killed: %s",
			 r->conf.instance, errtext(res));
		demote_finish(r);
		return;
	}
	demote_list(r);
}

static void list_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	if (!res->ok) {
		r->stats.role_errors++;
		log_err(r->log, "instance %s: demote: cannot list sessions to kill: %s%s", r->conf.instance,
			errtext(res),
			res->err == 1227 ? " (the vigil user needs PROCESS and CONNECTION ADMIN)" : "");
		demote_finish(r);
		return;
	}
	const char *ids = sqlbatch_value(res, 0, 0, "ids");
	if (!ids || !*ids || r->kill_rounds >= KILL_ROUNDS_MAX) {
		if (!r->demote_retried && r->self.known && !r->self.read_only) {
			/* read_only blocked and we killed the lock holders: again. */
			r->demote_retried = true;
			demote_set(r);
			return;
		}
		demote_finish(r);
		return;
	}
	r->kill_rounds++;
	char sql[KILLS_PER_BATCH][48];
	struct sqlbatch_stmt s[KILLS_PER_BATCH];
	size_t n = 0;
	const char *p = ids;
	while (*p && n < KILLS_PER_BATCH) {
		char *end;
		unsigned long long id = strtoull(p, &end, 10);
		if (end == p)
			break;
		snprintf(sql[n], sizeof(sql[n]), "KILL CONNECTION %llu", id);
		/* 1094: the session ended by itself meanwhile. */
		s[n] = (struct sqlbatch_stmt){ .sql = sql[n], .deadline_ms = r->conf.stmt_timeout_ms, .may_fail = true };
		n++;
		p = *end == ',' ? end + 1 : end;
	}
	log_info(r->log, "instance %s: demote: killing %s session%s of ordinary users (%s)", r->conf.instance,
		 sqlbatch_value(res, 0, 0, "n") ? sqlbatch_value(res, 0, 0, "n") : "?",
		 n == 1 ? "" : "s", ids);
	if (n == 0 || sqlbatch_run(r->local, s, n, kill_done, r) < 0)
		demote_finish(r);
}

/* The sessions that could still write: everyone's but the server's own
 * threads, replication, vigil's own user and root (which bypasses
 * read_only anyway: killing it would only be rude). */
static void demote_list(struct dbrole *r)
{
	struct sqlbatch_stmt s = {
		.sql = "SELECT COUNT(*) AS n, GROUP_CONCAT(ID) AS ids FROM information_schema.PROCESSLIST"
		       " WHERE ID <> CONNECTION_ID()"
		       " AND USER NOT IN ('system user', 'event_scheduler', 'unauthenticated user', 'root',"
		       " SUBSTRING_INDEX(CURRENT_USER(), '@', 1))"
		       " AND COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon',"
		       " 'Slave_IO', 'Slave_SQL', 'Slave_worker')",
		.deadline_ms = r->conf.stmt_timeout_ms,
	};
	if (sqlbatch_run(r->local, &s, 1, list_done, r) < 0)
		demote_finish(r);
}

static void set_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	const char *why = r->demote_why ? r->demote_why : "not master";
	const char *ro = sqlbatch_value(res, 2, 0, "ro");
	if (res->ok && ro && strcmp(ro, "1") == 0) {
		const char *was = sqlbatch_value(res, 0, 0, "was");
		bool was_ro = was && strcmp(was, "1") == 0;
		r->self.read_only = true;
		r->stats.read_only_set++;
		log_msg(r->log, was_ro ? LOG_LVL_DEBUG : LOG_LVL_INFO, "instance %s: role: read_only = ON (%s)",
			r->conf.instance, why);
		/* Sessions of a server that was read-only already could not
		 * write (the application user lacks READ ONLY ADMIN): leave
		 * them, e.g. reads on a replica when vigild starts. */
		if (was_ro && !r->demote_retried) {
			demote_finish(r);
			return;
		}
		demote_list(r);
		return;
	}
	if (!res->ok && !res->connected) {
		/* DESIGN.md: a demotion because the server is dead skips what
		 * cannot run, and says so. The poll makes it read-only as soon
		 * as it answers again. */
		log_warn(r->log,
			 "instance %s: demote (%s): the server does not answer (%s): read_only not set; it takes no writes while it does not answer and is made read-only when it does",
			 r->conf.instance, why, errtext(res));
		demote_finish(r);
		return;
	}
	if (!res->ok && res->deadline && !r->demote_retried) {
		/* SET GLOBAL read_only waits for sessions holding locks or
		 * running commits: kill them, then try once more. */
		log_warn(r->log,
			 "instance %s: demote: SET GLOBAL read_only = ON blocked for %" PRIu64 " ms (sessions holding locks): killing ordinary sessions and retrying",
			 r->conf.instance, res->elapsed_ms);
		r->self.read_only = false;
		demote_list(r);
		return;
	}
	r->stats.read_only_failures++;
	r->stats.role_errors++;
	log_err(r->log,
		"instance %s: demote (%s): CANNOT MAKE THE SERVER READ-ONLY: %s%s; it stays WRITABLE while this node is not master",
		r->conf.instance, why, errtext(res),
		res->err == 1227 ? " (the vigil user needs READ_ONLY ADMIN: GRANT READ_ONLY ADMIN ON *.* TO ...)" : "");
	demote_finish(r);
}

static void demote_set(struct dbrole *r)
{
	struct sqlbatch_stmt s[4] = {
		{ .sql = "SELECT @@read_only AS was", .deadline_ms = r->conf.stmt_timeout_ms },
		{ .sql = "SET GLOBAL read_only = ON", .deadline_ms = r->conf.stmt_timeout_ms },
		{ .sql = "SELECT @@read_only AS ro", .deadline_ms = r->conf.stmt_timeout_ms },
		/* A gate given up before it opened stopped the IO thread of a
		 * replica that never became writable: let it replicate again
		 * (it re-reads from what it applied; nothing of its own to lose). */
		{ .sql = "START SLAVE IO_THREAD", .deadline_ms = r->conf.stmt_timeout_ms, .may_fail = true },
	};
	bool restart_io = r->gate_stopped_io;
	r->gate_stopped_io = false;
	if (restart_io)
		log_info(r->log, "instance %s: demote: the promotion gate did not open: restarting the IO thread it stopped",
			 r->conf.instance);
	if (sqlbatch_run(r->local, s, restart_io ? 4 : 3, set_done, r) < 0)
		demote_finish(r);
}

/* ===================================================================== */
/* The promotion gate                                                     */
/* ===================================================================== */

static uint64_t gate_elapsed(const struct dbrole *r)
{
	return dbrole_now_ms() - r->gate_t0_ms;
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
			r->conf.instance, res->failed_at + 1, errtext(res),
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

/* Epoch row, then read_only = OFF (DESIGN.md promotion gate, step 3). The
 * row is written while read_only is still on, which vigil's READ_ONLY
 * ADMIN allows, so no client write can come before it. */
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
		log_err(r->log, "instance %s: gate: STOP SLAVE failed: %s%s", r->conf.instance, errtext(res),
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
		res->ok ? "NULL (bad position?)" : errtext(res));
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
			errtext(res), res->err == 1227 ? " (the vigil user needs REPLICATION SLAVE ADMIN)" : "");
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
			 r->conf.instance, old->host, errtext(res));
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
			r->conf.instance, errtext(res));
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
		if (ro && strcmp(ro, "0") == 0) {
			log_info(r->log, "instance %s: gate: the server is already a writable primary", r->conf.instance);
			dbrole_set_mode(r, DBROLE_WRITABLE);
			gate_end(r);
			return;
		}
		/* DESIGN.md: a server that is not a replica (and is eligible)
		 * becomes writable at once. */
		gate_next(r, GATE_OPEN);
		return;
	}
	const char *mh = sqlbatch_value(res, 0, 0, "Master_Host");
	r->gate_old = NULL;
	for (size_t i = 0; mh && i < r->n_peers; i++)
		if (strcmp(r->peers[i].host, mh) == 0)
			r->gate_old = &r->peers[i];
	if (!r->gate_old)
		log_info(r->log, "instance %s: gate: the old master %s is not among database_peers: waiting for what this replica received",
			 r->conf.instance, mh ? mh : "?");
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
	r->gate_t0_ms = dbrole_now_ms();
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
	case GATE_OPEN: gate_open(r); break;
	}
}

/* ===================================================================== */
/* Two masters meet                                                        */
/* ===================================================================== */

/* cmp as for ops->contest_result; why: what it rests on. */
static void contest_answer(struct dbrole *r, int cmp, const char *why)
{
	r->job = DBROLE_JOB_NONE;
	log_info(r->log, "instance %s: contest: %s: %s", r->conf.instance, why,
		 cmp > 0 ? "this server wins" : cmp < 0 ? "the other one wins" : "priority decides");
	if (cmp < 0)
		r->stats.contests_lost++;
	r->ops.contest_result(r->ctx, cmp);
	dbrole_schedule(r);
}

/* What this server holds that the other lacks, for the loser's report. */
static void note_divergence(struct dbrole *r, const char *peer_host, const char *their_state)
{
	struct gtid_list ours, theirs;
	char err[128];
	r->diverged[0] = '\0';
	if (gtid_parse(r->our_state, &ours, err, sizeof(err)) < 0 ||
	    gtid_parse(their_state ? their_state : "", &theirs, err, sizeof(err)) < 0)
		return;
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
		 "this server holds %" PRIu64 " transaction%s that %s lacks (%s%s), written since epoch %" PRIu64 ": reconcile them before rejoining it",
		 total, total == 1 ? "" : "s", peer_host, list, n > 8 ? ", ..." : "", r->contest_our_epoch);
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
			 p->host, errtext(res));
	} else {
		const char *ep = sqlbatch_value(res, 0, 0, "epoch");
		uint64_t theirs = ep ? strtoull(ep, NULL, 10) : 0;
		p->f.epoch = theirs;
		if (!r->contest_best_peer || theirs > r->contest_best) {
			r->contest_best = theirs;
			r->contest_best_peer = p;
		}
		if (theirs >= r->contest_our_epoch)
			note_divergence(r, p->host, sqlbatch_value(res, 1, 0, "state"));
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

static struct dbrole_peer *peer_by_addr(struct dbrole *r, const struct vrrp_fsm_addr *a)
{
	if (a->len != 4)
		return NULL;
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, a->bytes, host, sizeof(host));
	for (size_t i = 0; i < r->n_peers; i++)
		if (strcmp(r->peers[i].host, host) == 0)
			return &r->peers[i];
	return NULL;
}

static void contest_local_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	const char *ro = res->ok ? sqlbatch_value(res, res->n - 3, 0, "ro") : NULL;
	if (!ro || strcmp(ro, "1") != 0) {
		log_warn(r->log, "instance %s: contest: cannot confirm this server is read-only (%s)",
			 r->conf.instance, res->ok ? "read_only is still 0" : errtext(res));
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
		struct sqlbatch_stmt s[2] = {
			{ .sql = "SELECT COALESCE(MAX(epoch), 0) AS epoch FROM vigil.epoch",
			  .deadline_ms = r->conf.stmt_timeout_ms, .may_fail = true },
			{ .sql = "SELECT @@gtid_binlog_state AS state, @@read_only AS ro",
			  .deadline_ms = r->conf.stmt_timeout_ms },
		};
		if (sqlbatch_run(q->b, s, 2, contest_peer_done, q) == 0)
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
	 * (DESIGN.md); one still gating is read-only already. */
	r->contest_reopen = r->mode == DBROLE_WRITABLE || r->mode == DBROLE_ADOPTING;
	struct sqlbatch_stmt s[4];
	size_t n = 0;
	if (r->contest_reopen)
		s[n++] = (struct sqlbatch_stmt){ .sql = "SET GLOBAL read_only = ON", .deadline_ms = r->conf.stmt_timeout_ms };
	s[n++] = (struct sqlbatch_stmt){ .sql = "SELECT @@read_only AS ro", .deadline_ms = r->conf.stmt_timeout_ms };
	s[n++] = (struct sqlbatch_stmt){ .sql = "SELECT COALESCE(MAX(epoch), 0) AS epoch FROM vigil.epoch",
					 .deadline_ms = r->conf.stmt_timeout_ms, .may_fail = true };
	s[n++] = (struct sqlbatch_stmt){ .sql = "SELECT @@gtid_binlog_state AS state", .deadline_ms = r->conf.stmt_timeout_ms };
	if (sqlbatch_run(r->local, s, n, contest_local_done, r) < 0)
		contest_answer(r, -1, "cannot make this server read-only");
}

void dbrole_contest(struct dbrole *r, const struct vrrp_fsm_advert *peer)
{
	r->stats.contests++;
	char who[64] = "nobody heard: this node was frozen";
	if (peer->priority && peer->src.len == 4) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, peer->src.bytes, a, sizeof(a));
		snprintf(who, sizeof(who), "%s priority %u", a, peer->priority);
	}
	log_warn(r->log, "instance %s: contest: another master (%s): read-only and no ARP until the epochs are compared",
		 r->conf.instance, who);
	if (!r->conf.manage_read_only) {
		r->ops.contest_result(r->ctx, 0);
		return;
	}
	r->contest_peer = *peer;
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

/* ===================================================================== */
/* Graceful stop                                                          */
/* ===================================================================== */

void dbrole_stop(struct dbrole *r, void (*done)(void *ctx), void *ctx)
{
	dbrole_witness_cancel(r);
	ev_timer_stop(r->loop, &r->poll_timer);
	bool writable_possible = r->vstate == VRRP_STATE_MASTER || r->mode == DBROLE_WRITABLE ||
				 r->mode == DBROLE_GATING || r->mode == DBROLE_ADOPTING;
	if (!r->conf.manage_read_only || !writable_possible) {
		r->stopping = true;
		sqlbatch_cancel(r->local);
		r->job = DBROLE_JOB_NONE;
		done(ctx);
		return;
	}
	/* DESIGN.md: SIGTERM on the master is a switchover: the demotion
	 * order first, then the priority-0 advert (the caller's). */
	r->stop_done = done;
	r->stop_ctx = ctx;
	dbrole_request_demote(r, "graceful stop: switchover", false);
	r->stopping = true;
}
