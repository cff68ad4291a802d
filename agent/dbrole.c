// SPDX-License-Identifier: GPL-2.0-or-later
// dbrole: the database side of one VRRP instance (docs/data-safety.md).
// Polling, eligibility and the local job queue live here; the statement
// sequences in dbrole_demote.c, dbrole_gate.c, dbrole_contest.c and
// dbrole_witness.c.
#include "dbrole_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The longest semi-sync wait a role write is given beyond role_timeout. */
#define SEMISYNC_WAIT_CAP_MS 60000u

static const char *const mode_names[DBROLE_MODE__COUNT] = {
	[DBROLE_UNKNOWN] = "unknown",
	[DBROLE_READ_ONLY] = "read-only",
	[DBROLE_ADOPTING] = "adopting",
	[DBROLE_GATING] = "gating",
	[DBROLE_WRITABLE] = "writable",
	[DBROLE_DEMOTING] = "demoting",
};

const char *dbrole_mode_name(enum dbrole_mode m)
{
	return (unsigned)m < DBROLE_MODE__COUNT ? mode_names[m] : "?";
}

const char *dbrole_errtext(const struct sqlbatch_result *res)
{
	return res->error[0] ? res->error : "no answer";
}

void dbrole_alarm(struct dbrole *r, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	r->stats.alarms++;
	if (r->ops.alarm)
		r->ops.alarm(r->ctx, what);
}

void dbrole_set_mode(struct dbrole *r, enum dbrole_mode m)
{
	if (r->mode == m)
		return;
	log_debug(r->log, "instance %s: role: %s -> %s", r->conf.instance,
		  dbrole_mode_name(r->mode), dbrole_mode_name(m));
	r->mode = m;
}

/* ---- reading what a server said --------------------------------------- */

static bool yes(const char *v)
{
	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "ON") == 0 || strcasecmp(v, "Yes") == 0);
}

static void parse_gtid(struct dbrole *r, const char *what, const char *text, struct gtid_list *out)
{
	char err[128];
	if (gtid_parse(text ? text : "", out, err, sizeof(err)) < 0) {
		/* A position we cannot read counts as empty: never "fresher". */
		memset(out, 0, sizeof(*out));
		log_warn(r->log, "instance %s: role: cannot read %s '%s': %s", r->conf.instance, what,
			 text ? text : "", err);
	}
}

/*
 * Fill f from a poll batch: statement 0 the variables (ro, sid,
 * binlog_pos), 1 the epoch (may have failed: no table yet = epoch 0), 2
 * SHOW SLAVE STATUS.
 */
void dbrole_parse_facts(struct dbrole *r, const struct sqlbatch_result *res, struct db_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->known = true;
	f->read_only = yes(sqlbatch_value(res, 0, 0, "ro"));
	const char *sid = sqlbatch_value(res, 0, 0, "sid");
	f->server_id = sid ? (uint32_t)strtoul(sid, NULL, 10) : 0;
	const char *ep = sqlbatch_value(res, 1, 0, "epoch");
	f->epoch = ep ? strtoull(ep, NULL, 10) : 0;
	if (sqlbatch_rows(res, 2) > 0) {
		const char *io = sqlbatch_value(res, 2, 0, "Slave_IO_Running");
		f->io = yes(io) ? DB_IO_YES : (io && strcmp(io, "Connecting") == 0) ? DB_IO_CONNECTING
										      : DB_IO_NO;
		f->sql_running = yes(sqlbatch_value(res, 2, 0, "Slave_SQL_Running"));
		/* A row with both threads stopped is a former replica (a
		 * promoted server, or one a DBA stopped): not replicating. */
		f->is_replica = f->io != DB_IO_NO || f->sql_running;
		const char *lag = sqlbatch_value(res, 2, 0, "Seconds_Behind_Master");
		f->lag_known = lag != NULL;
		f->lag_ms = lag ? strtoull(lag, NULL, 10) * 1000u : 0;
		snprintf(f->master_host, sizeof(f->master_host), "%s",
			 sqlbatch_value(res, 2, 0, "Master_Host") ? sqlbatch_value(res, 2, 0, "Master_Host") : "");
	}
	if (f->is_replica)
		parse_gtid(r, "Gtid_IO_Pos", sqlbatch_value(res, 2, 0, "Gtid_IO_Pos"), &f->received);
	else
		parse_gtid(r, "@@gtid_binlog_pos", sqlbatch_value(res, 0, 0, "binlog_pos"), &f->received);
}

/* The statements of a poll, local or peer; the local one adds the
 * settings data safety depends on. */
static size_t poll_stmts(const struct dbrole *r, bool local, struct sqlbatch_stmt *s)
{
	s[0] = (struct sqlbatch_stmt){
		.sql = local ? "SELECT @@read_only AS ro, @@server_id AS sid, @@gtid_binlog_pos AS binlog_pos,"
			       " @@log_bin AS log_bin, @@log_slave_updates AS lsu,"
			       " @@gtid_strict_mode AS strict"
			     : "SELECT @@read_only AS ro, @@server_id AS sid, @@gtid_binlog_pos AS binlog_pos",
		.deadline_ms = r->conf.stmt_timeout_ms,
	};
	s[1] = (struct sqlbatch_stmt){
		.sql = "SELECT COALESCE(MAX(epoch), 0) AS epoch FROM vigil.epoch",
		.deadline_ms = r->conf.stmt_timeout_ms,
		.may_fail = true, /* 1146: no epoch yet */
	};
	s[2] = (struct sqlbatch_stmt){ .sql = "SHOW SLAVE STATUS", .deadline_ms = r->conf.stmt_timeout_ms };
	if (!local)
		return 3;
	/* Semi-sync variables exist only with the plugin built in (MariaDB
	 * has it since 10.3); their absence just means "off". */
	s[3] = (struct sqlbatch_stmt){
		.sql = "SELECT @@rpl_semi_sync_master_enabled AS semisync,"
		       " @@rpl_semi_sync_master_wait_point AS wait_point,"
		       " @@rpl_semi_sync_master_timeout AS semisync_timeout",
		.deadline_ms = r->conf.stmt_timeout_ms,
		.may_fail = true,
	};
	return 4;
}

/* ---- eligibility ------------------------------------------------------- */

static bool master_heard(struct dbrole *r)
{
	return r->ops.master_heard(r->ctx);
}

/*
 * After the instance was in FAULT (its link down: no peer could be
 * reached, so "no reachable peer is fresher" proved nothing), eligibility
 * waits until the local server and every peer were asked again (answered
 * or not) since it left FAULT: a peer that took over meanwhile then shows
 * its newer epoch first. The local server's last answer must also be
 * recent: a server that stopped answering is judged by that, not by what
 * it said before.
 */
static bool fresh_look(struct dbrole *r)
{
	if (r->look_gen) {
		if (r->self_gen < r->look_gen)
			return false;
		for (size_t i = 0; i < r->n_peers; i++)
			if (r->peers[i].polled_gen < r->look_gen)
				return false;
		r->look_gen = 0;
		r->eligible_reported = false; /* say what the fresh look found */
	}
	return true;
}

/* The local facts, or unknown when the server has not answered for a
 * while (a poll still waiting on a hung server). */
static bool self_stale(const struct dbrole *r)
{
	uint64_t limit = 2ull * r->conf.poll_interval_ms + 1000u;
	return r->self.known && r->job == DBROLE_JOB_POLL && monotime_ms() - r->self_ms > limit;
}

/* Two reasons that differ only in their numbers. */
static bool same_but_numbers(const char *a, const char *b)
{
	while (*a && *b) {
		bool da = *a >= '0' && *a <= '9', db = *b >= '0' && *b <= '9';
		if (da && db) {
			while (*a >= '0' && *a <= '9')
				a++;
			while (*b >= '0' && *b <= '9')
				b++;
			continue;
		}
		if (*a != *b)
			return false;
		a++;
		b++;
	}
	return *a == *b;
}

void dbrole_evaluate(struct dbrole *r)
{
	/* Nothing to say before the local server was asked once; nothing
	 * to decide while MASTER (eligibility gates the way in; the verdict
	 * is given again on the way out). */
	if (!r->conf.manage_read_only || r->stats.polls == 0 || r->vstate == VRRP_STATE_MASTER ||
	    r->vstate == VRRP_STATE_FAULT)
		return;
	struct db_peer_view views[DBROLE_MAX_PEERS];
	size_t n = 0;
	for (size_t i = 0; i < r->n_peers && n < DBROLE_MAX_PEERS; i++)
		views[n++] = (struct db_peer_view){ .host = r->peers[i].host, .facts = &r->peers[i].f };
	struct db_facts stale;
	if (self_stale(r)) {
		stale = r->self;
		stale.known = false;
	}
	struct db_eligibility_input in = {
		.self = self_stale(r) ? &stale : &r->self,
		.io_was_connected = r->io_was_connected,
		.peers = views,
		.n_peers = n,
		.master_heard = master_heard(r),
		.crit_lag_ms = r->conf.crit_lag_ms,
	};
	char why[sizeof(r->why)];
	bool e = !r->refused && db_eligible(&in, why, sizeof(why));
	if (r->refused)
		snprintf(why, sizeof(why), "the server's settings are unsound for data safety");
	else if (!fresh_look(r))
		e = false, snprintf(why, sizeof(why),
				     "waiting for a fresh look at the local server and every peer (after a fault or a loss of contact)");
	if (r->eligible_reported && e == r->eligible && strcmp(why, r->why) == 0)
		return;
	bool changed = !r->eligible_reported || e != r->eligible;
	/* A new reason for the same verdict is news too (the server answers
	 * again, but a peer holds a newer epoch), unless only a number in it
	 * moved (a lag): that would be a line per poll. */
	bool new_reason = !changed && !same_but_numbers(why, r->why);
	r->eligible = e;
	r->eligible_reported = true;
	snprintf(r->why, sizeof(r->why), "%s", why);
	if (changed || new_reason) {
		if (e)
			log_info(r->log, "instance %s: role: eligible (%s)", r->conf.instance, why);
		else
			log_warn(r->log, "instance %s: role: NOT eligible: %s", r->conf.instance, why);
	} else {
		log_debug(r->log, "instance %s: role: %s", r->conf.instance, why);
	}
	if (changed)
		r->ops.eligible(r->ctx, e);
}

/* ---- settings ------------------------------------------------------------ */

/* The rules are sound only with GTID replication set up so that every
 * server can be a primary and positions compare (docs/data-safety.md
 * "4. Server settings"). */
static void check_settings(struct dbrole *r, const struct sqlbatch_result *res)
{
	const char *why = NULL;
	if (!yes(sqlbatch_value(res, 0, 0, "log_bin")))
		why = "log_bin is OFF: a replica promoted without a binary log cannot be followed; set log_bin in my.cnf";
	else if (!yes(sqlbatch_value(res, 0, 0, "lsu")))
		why = "log_slave_updates is OFF: a promoted replica would lack the old primary's transactions in its binary log; set log_slave_updates = ON";
	else if (!yes(sqlbatch_value(res, 0, 0, "strict")))
		why = "gtid_strict_mode is OFF: positions of diverged servers would not compare; set gtid_strict_mode = ON";
	else if (sqlbatch_rows(res, 2) > 0) {
		const char *g = sqlbatch_value(res, 2, 0, "Using_Gtid");
		if (g && strcmp(g, "No") == 0)
			why = "replication does not use GTID (Using_Gtid = No): CHANGE MASTER TO MASTER_USE_GTID = slave_pos";
	}
	if (why && !r->refused) {
		r->refused = true;
		log_err(r->log, "instance %s: REFUSING to manage this server: %s", r->conf.instance, why);
		r->ops.refuse(r->ctx, why);
		return;
	}
	/* Zero loss on a crash needs semi-sync AFTER_SYNC: say which it is,
	 * once, and again when it changes. */
	bool semi = yes(sqlbatch_value(res, 3, 0, "semisync"));
	const char *st = sqlbatch_value(res, 3, 0, "semisync_timeout");
	r->semisync_timeout_ms = semi && st ? (uint32_t)strtoul(st, NULL, 10) : 0;
	if (r->semisync_timeout_ms > SEMISYNC_WAIT_CAP_MS)
		r->semisync_timeout_ms = SEMISYNC_WAIT_CAP_MS; /* never wait a "forever" setting */
	const char *wp = sqlbatch_value(res, 3, 0, "wait_point");
	int state = semi ? (wp && strcmp(wp, "AFTER_SYNC") == 0 ? 2 : 1) : 0;
	if (state != r->semisync_state) {
		r->semisync_state = state;
		if (state == 2)
			log_info(r->log, "instance %s: semi-synchronous replication: on (AFTER_SYNC): an acknowledged write is on a replica before the client hears OK",
				 r->conf.instance);
		else
			log_warn(r->log, "instance %s: semi-synchronous replication: %s: if this primary crashes, writes it acknowledged but had not sent yet are lost (rpl_semi_sync_master_enabled = ON, rpl_semi_sync_master_wait_point = AFTER_SYNC avoid it)",
				 r->conf.instance, state == 1 ? "on, but AFTER_COMMIT" : "off");
	}
}

/* ---- polling --------------------------------------------------------- */

static void local_poll_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx);

void dbrole_start_poll(struct dbrole *r)
{
	struct sqlbatch_stmt s[4];
	size_t n = poll_stmts(r, true, s);
	r->poll_gen_started = r->gen;
	if (sqlbatch_run(r->local, s, n, local_poll_done, r) == 0)
		r->job = DBROLE_JOB_POLL;
}

static void after_local_poll(struct dbrole *r)
{
	if (r->self.io == DB_IO_YES)
		r->io_was_connected = true;
	else if (!r->self.is_replica || r->self.io == DB_IO_NO)
		r->io_was_connected = false;

	if (!r->self.known || !r->conf.manage_read_only)
		goto evaluate;
	if (r->mode == DBROLE_UNKNOWN) {
		/* docs/data-safety.md "3.2 Start-up": a cold start that finds
		 * its VIP on the interface and its server a writable primary
		 * listens one Master_Down_Interval before it adopts them (the
		 * witness and the VRRP timers decide); any other cold start
		 * begins read-only. */
		if (r->vip_present_at_start && !r->self.read_only && !r->self.is_replica) {
			log_info(r->log,
				 "instance %s: role: the VIP is on this host and the server is a writable primary: adopting them if no other master is heard",
				 r->conf.instance);
			dbrole_set_mode(r, DBROLE_ADOPTING);
		} else {
			dbrole_request_demote(r, r->vip_present_at_start
						      ? "cold start: stale VIP, server not a writable primary"
						      : "cold start",
					      r->vip_present_at_start);
		}
	} else if (r->mode == DBROLE_ADOPTING && master_heard(r)) {
		log_warn(r->log, "instance %s: role: another master is serving: not adopting; demoting",
			 r->conf.instance);
		dbrole_request_demote(r, "another master serves", true);
	} else if (r->mode == DBROLE_READ_ONLY && !r->self.read_only) {
		r->stats.reasserted++;
		log_err(r->log,
			"instance %s: role: the server is WRITABLE while this node is %s: read_only = ON again (someone turned it off, it restarted without read_only = ON in my.cnf, or it did not answer when this node last left MASTER)",
			r->conf.instance, vrrp_state_name(r->vstate));
		dbrole_alarm(r, "server found writable while this node is %s", vrrp_state_name(r->vstate));
		dbrole_request_demote(r, "found writable while not master", false);
	}
evaluate:
	dbrole_evaluate(r);
}

static void local_poll_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole *r = ctx;
	r->job = DBROLE_JOB_NONE;
	r->stats.polls++;
	r->self_gen = r->poll_gen_started;
	if (res->ok) {
		if (!r->self.known && r->poll_failing)
			log_info(r->log, "instance %s: role: the local server answers again",
				 r->conf.instance);
		r->poll_failing = false;
		dbrole_parse_facts(r, res, &r->self);
		r->self_ms = monotime_ms();
		if (r->conf.manage_read_only)
			check_settings(r, res);
	} else {
		r->stats.poll_errors++;
		if (!r->poll_failing)
			log_warn(r->log, "instance %s: role: cannot read the local server's role: %s%s",
				 r->conf.instance, res->deadline ? "no answer: " : "", res->error);
		r->poll_failing = true;
		r->self.known = false;
	}
	after_local_poll(r);
	dbrole_schedule(r);
}

static void peer_poll_done(struct sqlbatch *b, const struct sqlbatch_result *res, void *ctx)
{
	(void)b;
	struct dbrole_peer *p = ctx;
	struct dbrole *r = p->r;
	p->polling = false;
	p->polled_gen = p->gen_started;
	if (res->ok) {
		dbrole_parse_facts(r, res, &p->f);
	} else {
		if (p->f.known || !p->failing)
			log_info(r->log, "instance %s: role: database peer %s not readable: %s",
				 r->conf.instance, p->where, res->error);
		p->f.known = false;
	}
	p->failing = !res->ok;
	dbrole_evaluate(r);
}

static void poll_peers(struct dbrole *r)
{
	for (size_t i = 0; i < r->n_peers; i++) {
		struct dbrole_peer *p = &r->peers[i];
		if (p->polling || sqlbatch_busy(p->b))
			continue;
		struct sqlbatch_stmt s[4];
		size_t n = poll_stmts(r, false, s);
		p->gen_started = r->gen;
		if (sqlbatch_run(p->b, s, n, peer_poll_done, p) == 0)
			p->polling = true;
	}
}

static void poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct dbrole *r = w->data;
	r->poll_due = true;
	if (r->conf.manage_read_only)
		poll_peers(r);
	dbrole_schedule(r);
}

/* ---- the local job queue --------------------------------------------- */

void dbrole_schedule(struct dbrole *r)
{
	if (r->job != DBROLE_JOB_NONE || sqlbatch_busy(r->local))
		return;
	if (r->want_demote)
		dbrole_run_demote(r);
	else if (r->want_contest)
		dbrole_run_contest(r);
	else if (r->want_gate)
		dbrole_run_gate(r);
	else if (r->poll_due) {
		r->poll_due = false;
		dbrole_start_poll(r);
	}
}

/* Cancel a poll or a gate wait that holds the local connection, so that
 * urgent work (demotion, contest) starts now. */
void dbrole_preempt(struct dbrole *r)
{
	if (r->job == DBROLE_JOB_POLL || r->job == DBROLE_JOB_GATE) {
		sqlbatch_cancel(r->local);
		if (r->job == DBROLE_JOB_GATE && r->gate_old && sqlbatch_busy(r->gate_old->b)) {
			sqlbatch_cancel(r->gate_old->b);
			r->gate_old->polling = false;
		}
		ev_timer_stop(r->loop, &r->gate_timer);
		if (r->job == DBROLE_JOB_GATE && r->vstate == VRRP_STATE_MASTER)
			r->want_gate = true; /* resume it afterwards */
		r->job = DBROLE_JOB_NONE;
	}
}

/* ---- public ------------------------------------------------------------ */

static int copy_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int dbrole_new(struct dbrole **out, struct ev_loop *loop, const struct logger *log,
	       const struct dbrole_conf *conf, const struct dbrole_ops *ops, void *ctx)
{
	*out = NULL;
	if (!ops->eligible || !ops->witness_result || !ops->contest_result || !ops->demoted ||
	    !ops->resign || !ops->refuse || !ops->master_heard || conf->n_peers > DBROLE_MAX_PEERS)
		return -EINVAL;
	struct dbrole *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->loop = loop;
	r->log = log;
	r->conf = *conf;
	r->ops = *ops;
	r->ctx = ctx;
	r->conf.peers = NULL;
	int rc = 0;
	rc = rc ? rc : copy_str(&r->instance, conf->instance);
	rc = rc ? rc : copy_str(&r->router_id, conf->router_id);
	rc = rc ? rc : copy_str(&r->host, conf->local.host);
	rc = rc ? rc : copy_str(&r->socket, conf->local.socket);
	rc = rc ? rc : copy_str(&r->defaults_file, conf->local.defaults_file);
	if (rc == 0) {
		r->conf.instance = r->instance;
		r->conf.router_id = r->router_id;
		r->conf.local.host = r->host;
		r->conf.local.socket = r->socket;
		r->conf.local.defaults_file = r->defaults_file;
		rc = sqlbatch_new(&r->local, loop, &r->conf.local);
	}
	for (size_t i = 0; rc == 0 && i < conf->n_peers; i++) {
		struct dbrole_peer *p = &r->peers[i];
		p->r = r;
		bool v6 = conf->peers[i].family == AF_INET6;
		inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (const void *)&conf->peers[i].addr6
						      : (const void *)&conf->peers[i].addr,
			  p->host, sizeof(p->host));
		p->port = conf->peers[i].port;
		snprintf(p->where, sizeof(p->where), v6 ? "[%s]:%u" : "%s:%u", p->host, p->port);
		struct sqlconn_target t = {
			.host = p->host, .port = p->port, .defaults_file = r->defaults_file,
		};
		rc = sqlbatch_new(&p->b, loop, &t);
		r->n_peers = i + 1;
	}
	if (rc == 0 && conf->witness) {
		char vip[INET6_ADDRSTRLEN];
		bool v6 = conf->vip_family == AF_INET6;
		inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (const void *)&conf->vip6 : (const void *)&conf->vip,
			  vip, sizeof(vip));
		struct sqlconn_target t = {
			.host = vip,
			.port = conf->peer_port,
			.defaults_file = r->defaults_file,
		};
		rc = sqlconn_new(&r->wconn, loop, &t, NULL, NULL);
	}
	if (rc < 0) {
		dbrole_free(r);
		return rc;
	}
	ev_timer_init(&r->poll_timer, poll_cb, 0., conf->poll_interval_ms / 1000.0);
	r->poll_timer.data = r;
	ev_timer_init(&r->gate_timer, dbrole_gate_timer_cb, 0., 0.);
	r->gate_timer.data = r;
	r->vstate = VRRP_STATE_INIT;
	r->wlast = -1;
	r->semisync_state = -1;
	*out = r;
	return 0;
}

void dbrole_free(struct dbrole *r)
{
	if (!r)
		return;
	ev_timer_stop(r->loop, &r->poll_timer);
	ev_timer_stop(r->loop, &r->gate_timer);
	sqlbatch_free(r->local);
	for (size_t i = 0; i < r->n_peers; i++)
		sqlbatch_free(r->peers[i].b);
	sqlconn_free(r->wconn);
	free(r->instance);
	free(r->router_id);
	free(r->host);
	free(r->socket);
	free(r->defaults_file);
	free(r);
}

void dbrole_start(struct dbrole *r, bool vip_present)
{
	if (r->started)
		return;
	r->started = true;
	r->vip_present_at_start = vip_present;
	/* The first poll at once: start-up decisions wait for it. */
	ev_timer_set(&r->poll_timer, 0., r->conf.poll_interval_ms / 1000.0);
	ev_timer_start(r->loop, &r->poll_timer);
}

void dbrole_start_inherited(struct dbrole *r, enum dbrole_mode mode)
{
	if (r->started)
		return;
	if (mode == DBROLE_WRITABLE && r->conf.manage_read_only) {
		/* The process before this one opened the server (its gate ran)
		 * and is this process: nothing to decide again, nothing to
		 * write. Polls go on as usual from here. */
		log_info(r->log, "instance %s: role: the server stays writable (carried over by the restart)",
			 r->conf.instance);
		dbrole_set_mode(r, DBROLE_WRITABLE);
		r->eligible = true;
		snprintf(r->why, sizeof(r->why), "master before the restart");
	}
	dbrole_start(r, false);
}

void dbrole_vrrp_state(struct dbrole *r, enum vrrp_state state)
{
	enum vrrp_state was = r->vstate;
	r->vstate = state;
	if (!r->conf.manage_read_only || r->stopping || state == was)
		return;
	if (state == VRRP_STATE_FAULT || was == VRRP_STATE_FAULT) {
		/* Whatever was seen before or during the fault is stale: not
		 * eligible until the server and every peer were asked again
		 * after it; that verdict is reported whatever it is. */
		r->gen++;
		r->look_gen = r->gen;
		if (state == VRRP_STATE_FAULT) {
			if (r->eligible || !r->eligible_reported)
				log_warn(r->log, "instance %s: role: NOT eligible: in FAULT; judged again once the link is back",
					 r->conf.instance);
			r->eligible = false;
			snprintf(r->why, sizeof(r->why), "in FAULT");
			r->ops.eligible(r->ctx, false);
		}
		r->eligible_reported = false;
	}
	if (state == VRRP_STATE_MASTER) {
		if (r->mode == DBROLE_WRITABLE)
			return; /* carried over by a restart: already open */
		/* With quorum only under the key: otherwise through the gate,
		 * which waits for it. */
		if (r->mode == DBROLE_ADOPTING && r->self.known && !r->self.read_only &&
		    (!r->ops.may_write || r->ops.may_write(r->ctx))) {
			log_info(r->log, "instance %s: role: adopted the writable primary (epoch %" PRIu64 ")",
				 r->conf.instance, r->self.epoch);
			dbrole_set_mode(r, DBROLE_WRITABLE);
			return;
		}
		dbrole_begin_gate(r);
		return;
	}
	/* The state machine forgets eligibility when it loses a contest or
	 * resigns: tell it the current verdict again at the next poll. */
	if (was == VRRP_STATE_MASTER)
		r->eligible_reported = false;
	if (was == VRRP_STATE_MASTER || r->mode == DBROLE_GATING || r->mode == DBROLE_WRITABLE) {
		if (r->diverged[0]) {
			log_err(r->log, "instance %s: DIVERGED: lost the contest of two masters; %s",
				r->conf.instance, r->diverged);
			r->diverged[0] = '\0';
		}
		dbrole_request_demote(r, "leaving MASTER", true);
	}
}

void dbrole_set_self_addr(struct dbrole *r, int family, const void *addr)
{
	static const unsigned char zero[16];
	size_t len = family == AF_INET6 ? 16 : 4;

	r->self_addr[0] = '\0';
	if (addr && memcmp(addr, zero, len) != 0 &&
	    !inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, r->self_addr, sizeof(r->self_addr)))
		r->self_addr[0] = '\0';
}

const char *dbrole_busy(const struct dbrole *r)
{
	if (r->mode == DBROLE_GATING || r->want_gate || r->job == DBROLE_JOB_GATE)
		return "a promotion gate";
	if (r->mode == DBROLE_DEMOTING || r->want_demote || r->job == DBROLE_JOB_DEMOTE)
		return "a demotion";
	if (r->want_contest || r->job == DBROLE_JOB_CONTEST)
		return "a contest of two masters";
	if (r->wrunning)
		return "a witness probe";
	return NULL;
}

bool dbrole_demote_refused(const struct dbrole *r)
{
	return r->demote_refused;
}

bool dbrole_handover_peer(const struct dbrole *r, char *who, size_t len)
{
	size_t off = 0;
	who[0] = '\0';
	if (r->n_peers == 0) {
		snprintf(who, len, "no database_peers are configured");
		return false;
	}
	for (size_t i = 0; i < r->n_peers; i++) {
		const struct dbrole_peer *p = &r->peers[i];
		char why[160];
		if (db_handover_candidate(&p->f, r->self_addr, r->conf.crit_lag_ms, why, sizeof(why))) {
			snprintf(who, len, "%s (%s)", p->where, why);
			return true;
		}
		/* None yet: say why not, for each peer. */
		if (off < len) {
			int n = snprintf(who + off, len - off, "%s%s %s", off ? "; " : "", p->where, why);
			off += n > 0 ? (size_t)n : 0;
		}
	}
	return false;
}

enum dbrole_mode dbrole_mode(const struct dbrole *r)
{
	return r->mode;
}

bool dbrole_is_eligible(const struct dbrole *r)
{
	return r->eligible;
}

const char *dbrole_eligibility_reason(const struct dbrole *r)
{
	return r->why;
}

const char *dbrole_semisync(const struct dbrole *r)
{
	switch (r->semisync_state) {
	case 0: return "off";
	case 1: return "AFTER_COMMIT";
	case 2: return "AFTER_SYNC";
	default: return "unknown";
	}
}

uint64_t dbrole_epoch(const struct dbrole *r)
{
	return r->self.epoch;
}

uint32_t dbrole_semisync_timeout_ms(const struct dbrole *r)
{
	return r->semisync_timeout_ms;
}

const struct dbrole_stats *dbrole_stats(const struct dbrole *r)
{
	return &r->stats;
}
