// SPDX-License-Identifier: GPL-2.0-or-later
// dbrole_demote: leaving MASTER (or finding the server writable): read_only = ON,
// the sessions of ordinary users killed, then the VIP may go; a graceful stop.
#include "dbrole_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sessions killed per statement batch, and batches per demotion. */
#define KILLS_PER_BATCH SQLBATCH_MAX_STMTS
#define KILL_ROUNDS_MAX 8u

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
	r->gate_wait_permit = false;
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
	else if (r->demote_refused && !r->self.read_only)
		dbrole_set_mode(r, DBROLE_WRITABLE); /* a switchover that could not start: as it was */
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
	r->demote_refused = false;
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
			 r->conf.instance, dbrole_errtext(res));
		demote_finish(r);
		return;
	}
	demote_list(r);
}

static void list_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	if (!res->ok && (!res->connected || res->deadline)) {
		log_warn(r->log,
			 "instance %s: demote (%s): the server does not answer (%s): read_only %s; it takes no writes while it does not answer and is made read-only when it does",
			 r->conf.instance, r->demote_why ? r->demote_why : "not master", dbrole_errtext(res),
			 r->self.read_only ? "is set" : "not confirmed");
		r->stats.read_only_failures += !r->self.read_only;
		demote_finish(r);
		return;
	}
	if (!res->ok) {
		r->stats.role_errors++;
		log_err(r->log, "instance %s: demote: cannot list sessions to kill: %s%s", r->conf.instance,
			dbrole_errtext(res),
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
		/* docs/data-safety.md "3.3 Demotion order": a demotion because
		 * the server is dead skips what cannot run, and says so. The
		 * poll makes it read-only as soon as it answers again. */
		log_warn(r->log,
			 "instance %s: demote (%s): the server does not answer (%s): read_only not set; it takes no writes while it does not answer and is made read-only when it does",
			 r->conf.instance, why, dbrole_errtext(res));
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
	r->demote_refused = true;
	log_err(r->log,
		"instance %s: demote (%s): CANNOT MAKE THE SERVER READ-ONLY: %s%s; it stays WRITABLE while this node is not master",
		r->conf.instance, why, dbrole_errtext(res),
		res->err == 1227 ? " (the vigil user needs READ_ONLY ADMIN: GRANT READ_ONLY ADMIN ON *.* TO ...)" : "");
	dbrole_alarm(r, "cannot make the server read-only (%s): %s", why, dbrole_errtext(res));
	demote_finish(r);
}

static void demote_set(struct dbrole *r)
{
	/* The server just failed to answer a role statement (a hung or dead
	 * server met in a contest): asking again would only hold the VIP
	 * here for another role_timeout. */
	if (r->unanswered_ms && monotime_ms() - r->unanswered_ms < r->conf.stmt_timeout_ms) {
		r->unanswered_ms = 0;
		log_warn(r->log,
			 "instance %s: demote (%s): the server did not answer a moment ago: read_only not set; it takes no writes while it does not answer and is made read-only when it does",
			 r->conf.instance, r->demote_why ? r->demote_why : "not master");
		r->stats.read_only_failures++;
		demote_finish(r);
		return;
	}
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
/* Graceful stop                                                          */
/* ===================================================================== */

/* Whether the server may be taking writes that a switchover must stop. */
static bool writable_possible(const struct dbrole *r)
{
	return r->conf.manage_read_only &&
	       (r->vstate == VRRP_STATE_MASTER || r->mode == DBROLE_WRITABLE ||
		r->mode == DBROLE_GATING || r->mode == DBROLE_ADOPTING);
}

void dbrole_stop(struct dbrole *r, void (*done)(void *ctx), void *ctx)
{
	dbrole_witness_cancel(r);
	ev_timer_stop(r->loop, &r->poll_timer);
	if (!writable_possible(r)) {
		r->stopping = true;
		sqlbatch_cancel(r->local);
		r->job = DBROLE_JOB_NONE;
		done(ctx);
		return;
	}
	dbrole_switchover(r, "graceful stop: switchover", done, ctx);
	r->stopping = true;
}

/*
 * SIGTERM on the master (docs/data-safety.md "3.9 Graceful stop is a
 * switchover") and vigilctl resign: the demotion order first (read_only,
 * the ordinary sessions killed), then done, where the caller sends the
 * priority-0 advert, so the peer's gate finds this server read-only and
 * waits for its last position.
 */
void dbrole_switchover(struct dbrole *r, const char *why, void (*done)(void *ctx), void *ctx)
{
	if (!writable_possible(r)) {
		done(ctx);
		return;
	}
	r->stop_done = done;
	r->stop_ctx = ctx;
	dbrole_request_demote(r, why, false);
}
