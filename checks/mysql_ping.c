/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mysql_ping: the SQL ping checker (persistent connection, fresh-connect probe, confirm at once). */
#include "mysql_ping.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mysql_async.h"

#define PING_DEFAULT_QUERY "SELECT 1"

struct ping;

/*
 * One slot's probe. A probe runs on the kept connection when no other
 * probe holds it; one that overlaps (the kept connection is busy: a handle
 * runs one query at a time) runs on a connection of its slot's own,
 * opened fresh and closed after its answer, or kept in place of a lost
 * kept connection.
 */
struct ping_probe {
	struct ping *p;
	unsigned slot;
	struct sqlconn *own;    /* this slot's connection when it overlaps */
	bool running;
	bool on_kept;           /* runs on p->conn (else on own) */
	bool confirming;        /* this probe confirms a lost connection */
	bool reconnected;       /* this probe already reconnected once */
	char lost_why[96];      /* why the connection it confirms was lost */
	uint64_t t0_us;         /* probe start */
	struct check_result ok; /* the query's result, kept during the fresh probe */
};

struct ping {
	struct check *chk;
	struct sqlconn *conn;   /* kept: the cheap query */
	struct sqlconn *fresh;  /* opened and closed every connect_interval */
	char *query;
	char *defaults_file;    /* for messages */
	uint32_t slow_ms, timeout_ms, connect_interval_ms;
	unsigned nslots;
	struct ping_probe *probes; /* one per slot */
	bool kept_busy;         /* a probe runs on conn */
	bool confirm_next;      /* conn was lost: the next probe on it confirms */
	char lost_why[96];      /* why conn was lost */
	uint64_t last_fresh_us; /* last fresh-connection probe (0: never) */
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* What is left of the probe's timeout for the next operation (>= 1 ms). */
static uint32_t remaining_ms(const struct ping_probe *pr)
{
	uint64_t spent = (now_us() - pr->t0_us) / 1000u;
	return spent + 1 >= pr->p->timeout_ms ? 1u : (uint32_t)(pr->p->timeout_ms - spent);
}

/* The connection pr runs on. */
static struct sqlconn *conn_of(const struct ping_probe *pr)
{
	return pr->on_kept ? pr->p->conn : pr->own;
}

static bool any_running(const struct ping *p)
{
	for (unsigned i = 0; i < p->nslots; i++)
		if (p->probes[i].running)
			return true;
	return false;
}

/*
 * An overlapping probe answered on its own connection. If the kept one
 * was lost meanwhile (its probe cancelled by this answer, or timed out),
 * this fresh connection takes its place rather than opening yet another;
 * otherwise it is closed: one kept connection per check.
 */
static void adopt_or_close(struct ping_probe *pr)
{
	struct ping *p = pr->p;

	if (!p->kept_busy && sqlconn_state(p->conn) != SQLCONN_READY &&
	    sqlconn_state(pr->own) == SQLCONN_READY) {
		struct sqlconn *old = p->conn;

		p->conn = pr->own;
		pr->own = old;
	}
	sqlconn_close(pr->own);
}

static void report(struct ping_probe *pr, const struct check_result *r)
{
	struct ping *p = pr->p;
	bool was_kept = pr->on_kept;

	pr->running = false;
	pr->confirming = false;
	if (was_kept)
		p->kept_busy = false;
	check_report(p->chk, pr->slot, r);
	/* The scheduler has settled the older probes by now (an ok cancels
	 * them), and starts none inside check_report(). */
	if (!was_kept)
		adopt_or_close(pr);
	if (p->confirm_next && !any_running(p))
		check_probe_now(p->chk); /* docs/design.md "Confirm at once" */
}

/* Turn a failed operation into a result (see mysql_ping.h). */
static void report_error(struct ping_probe *pr, const char *what, const struct sqlconn_outcome *o)
{
	struct ping *p = pr->p;
	struct check_result r;
	enum sqlconn_errkind k = sqlconn_errkind(o->err);
	if (o->deadline) {
		check_result_set(&r, CHECK_FAILED, "%s: %s", what, o->error);
	} else if (k == SQLCONN_ERRK_AUTH) {
		check_result_set(&r, CHECK_FAILED,
				 "%s: %u: %s: check the credentials in mysql_defaults_file %s",
				 what, o->err, o->error, p->defaults_file ? p->defaults_file : "(none set)");
		r.config_problem = true;
	} else if (k == SQLCONN_ERRK_TOO_MANY) {
		check_result_set(&r, CHECK_DEGRADED, "%s: %u: %s (alive but refusing clients)", what,
				 o->err, o->error);
	} else if (k == SQLCONN_ERRK_BAD_QUERY || k == SQLCONN_ERRK_PRIVILEGE) {
		check_result_set(&r, CHECK_FAILED, "%s: %u: %s: check the check's query and grants",
				 what, o->err, o->error);
		r.config_problem = true;
	} else {
		check_result_set(&r, CHECK_FAILED, "%s: %u: %s", what, o->err, o->error);
		/* Nothing listens, the server is shutting down, or (confirming
		 * a lost connection) it resets new ones: a definite answer, no
		 * need to wait for `fall` results. */
		r.definite = k == SQLCONN_ERRK_REFUSED || k == SQLCONN_ERRK_SHUTDOWN ||
			     (pr->confirming && k == SQLCONN_ERRK_LOST);
	}
	if (pr->confirming && pr->lost_why[0]) {
		size_t n = strlen(r.detail);
		snprintf(r.detail + n, sizeof r.detail - n, " (after: %s)", pr->lost_why);
	}
	r.value = -1;
	report(pr, &r);
}

static void do_connect(struct ping_probe *pr);
static void do_query(struct ping_probe *pr);

static void on_fresh(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	struct ping_probe *pr = ctx;
	sqlconn_close(c);
	if (!o->ok) {
		report_error(pr, "fresh connection", o);
		return;
	}
	struct check_result r = pr->ok;
	size_t n = strlen(r.detail);
	snprintf(r.detail + n, sizeof r.detail - n, "; fresh connect %.2f ms",
		 (double)o->elapsed_us / 1000.0);
	report(pr, &r);
}

static void on_query(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	(void)c;
	struct ping_probe *pr = ctx;
	struct ping *p = pr->p;
	if (!o->ok) {
		if (sqlconn_errkind(o->err) == SQLCONN_ERRK_LOST && !pr->reconnected) {
			/* Lost under the query: confirm with a connect at once. */
			snprintf(pr->lost_why, sizeof pr->lost_why, "%u: %.80s", o->err, o->error);
			pr->confirming = true;
			do_connect(pr);
			return;
		}
		report_error(pr, "query", o);
		return;
	}
	struct check_result *r = &pr->ok;
	double ms = (double)o->elapsed_us / 1000.0;
	if (p->slow_ms && o->elapsed_us > (uint64_t)p->slow_ms * 1000u)
		check_result_set(r, CHECK_DEGRADED, "%s in %.2f ms > slow %u ms", p->query, ms,
				 (unsigned)p->slow_ms);
	else
		check_result_set(r, CHECK_OK, "%s in %.2f ms", p->query, ms);
	r->value = (int64_t)o->elapsed_us;
	if (pr->reconnected) {
		size_t n = strlen(r->detail);
		snprintf(r->detail + n, sizeof r->detail - n, "; reconnected after: %s",
			 pr->lost_why);
	}
	uint64_t t = now_us();
	bool fresh_due = p->connect_interval_ms &&
			 (p->last_fresh_us == 0 ||
			  t - p->last_fresh_us >= (uint64_t)p->connect_interval_ms * 1000u);
	/* A (re)connect in this probe was a fresh connection already, and so
	 * is every overlapping probe's; the fresh probe belongs to the one on
	 * the kept connection (one fresh handle). */
	if (fresh_due && !pr->reconnected && pr->on_kept) {
		p->last_fresh_us = t;
		int rc = sqlconn_connect(p->fresh, remaining_ms(pr), on_fresh, pr);
		if (rc == 0)
			return;
		check_result_set(r, CHECK_FAILED, "fresh connection: %s", strerror(-rc));
	}
	report(pr, r);
}

static void on_connect(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	(void)c;
	struct ping_probe *pr = ctx;
	if (!o->ok) {
		report_error(pr, "connect", o);
		return;
	}
	pr->p->last_fresh_us = now_us();
	do_query(pr);
}

static void start_failed(struct ping_probe *pr, const char *what, int rc)
{
	struct check_result r;
	check_result_set(&r, CHECK_FAILED, "%s: %s", what, strerror(-rc));
	r.value = -1;
	report(pr, &r);
}

static void do_connect(struct ping_probe *pr)
{
	pr->reconnected = pr->reconnected || pr->confirming;
	int rc = sqlconn_connect(conn_of(pr), remaining_ms(pr), on_connect, pr);
	if (rc)
		start_failed(pr, "connect", rc);
}

static void do_query(struct ping_probe *pr)
{
	int rc = sqlconn_query(conn_of(pr), pr->p->query, remaining_ms(pr), on_query, pr);
	if (rc)
		start_failed(pr, "query", rc);
}

/* The idle watch saw the kept connection go: confirm at once, or after
 * the probes in flight (the next probe on it confirms). */
static void on_lost(struct sqlconn *c, unsigned err, const char *why, void *ctx)
{
	struct ping *p = ctx;
	if (c != p->conn)
		return; /* an overlapping probe's, closed after its answer anyway */
	if (err)
		snprintf(p->lost_why, sizeof p->lost_why, "%u: %.80s", err, why);
	else
		snprintf(p->lost_why, sizeof p->lost_why, "%.90s", why);
	p->confirm_next = true;
	if (!any_running(p))
		check_probe_now(p->chk);
}

static void ping_start(void *state, unsigned slot)
{
	struct ping *p = state;
	struct ping_probe *pr = &p->probes[slot];
	pr->running = true;
	pr->reconnected = false;
	pr->t0_us = now_us();
	/* The kept connection if it is free; an overlapping probe (it is
	 * busy with an older one) connects afresh on its own. */
	pr->on_kept = !p->kept_busy;
	pr->confirming = pr->on_kept && p->confirm_next;
	pr->lost_why[0] = '\0';
	if (pr->on_kept) {
		p->kept_busy = true;
		p->confirm_next = false;
		if (pr->confirming)
			memcpy(pr->lost_why, p->lost_why, sizeof pr->lost_why);
	}
	if (sqlconn_state(conn_of(pr)) == SQLCONN_READY)
		do_query(pr);
	else
		do_connect(pr);
}

static void ping_cancel(void *state, unsigned slot)
{
	struct ping *p = state;
	struct ping_probe *pr = &p->probes[slot];
	pr->running = false;
	pr->confirming = false;
	if (!pr->on_kept) {
		sqlconn_close(pr->own);
		return;
	}
	p->kept_busy = false;
	/* An operation in flight is abandoned (the connection with it); a
	 * READY kept connection is kept. */
	if (sqlconn_state(p->conn) != SQLCONN_READY)
		sqlconn_close(p->conn);
	sqlconn_close(p->fresh);
}

static void ping_destroy(void *state)
{
	struct ping *p = state;
	if (!p)
		return;
	sqlconn_free(p->conn);
	sqlconn_free(p->fresh);
	for (unsigned i = 0; p->probes && i < p->nslots; i++)
		sqlconn_free(p->probes[i].own);
	free(p->probes);
	free(p->query);
	free(p->defaults_file);
	free(p);
}

/* A probe per slot, each with a connection for when it overlaps. Every
 * connection reports losses to on_lost, since an overlapping probe's may
 * become the kept one (adopt_or_close). */
static int new_probes(struct ping *p, struct ev_loop *loop, const struct sqlconn_target *t)
{
	p->probes = calloc(p->nslots, sizeof *p->probes);
	if (!p->probes)
		return -ENOMEM;
	for (unsigned i = 0; i < p->nslots; i++) {
		p->probes[i].p = p;
		p->probes[i].slot = i;
		int rc = sqlconn_new(&p->probes[i].own, loop, t, on_lost, p);
		if (rc)
			return rc;
	}
	return 0;
}

static int ping_create(struct check *chk, const struct check_params *prm, void **state,
		       char *err, size_t errlen)
{
	struct sqlconn_target t;
	int rc = sqlconn_target_from_check(prm, &t, err, errlen);
	if (rc)
		return rc;
	struct ping *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->chk = chk;
	p->slow_ms = prm->slow_ms;
	p->timeout_ms = prm->timeout_ms;
	p->connect_interval_ms = prm->connect_interval_ms;
	p->nslots = check_slots(chk);
	p->query = strdup(prm->query && *prm->query ? prm->query : PING_DEFAULT_QUERY);
	p->defaults_file = prm->defaults_file ? strdup(prm->defaults_file) : NULL;
	rc = -ENOMEM;
	if (p->query && (p->defaults_file || !prm->defaults_file) &&
	    (rc = sqlconn_new(&p->conn, check_loop(chk), &t, on_lost, p)) == 0 &&
	    (rc = sqlconn_new(&p->fresh, check_loop(chk), &t, NULL, NULL)) == 0 &&
	    (rc = new_probes(p, check_loop(chk), &t)) == 0) {
		*state = p;
		return 0;
	}
	snprintf(err, errlen, "%s", strerror(-rc));
	ping_destroy(p);
	return rc;
}

const struct check_type mysql_ping_type = {
	.name = "mysql_ping",
	.create = ping_create,
	.start = ping_start,
	.cancel = ping_cancel,
	.destroy = ping_destroy,
};
