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

struct ping {
	struct check *chk;
	struct sqlconn *conn;   /* persistent: the cheap query */
	struct sqlconn *fresh;  /* opened and closed every connect_interval */
	char *query;
	char *defaults_file;    /* for messages */
	uint32_t slow_ms, timeout_ms, connect_interval_ms;

	bool running;           /* a probe is in progress */
	bool confirming;        /* this probe confirms a lost connection */
	bool reconnected;       /* this probe already reconnected once */
	bool lost_in_probe;     /* lost while a probe ran: confirm after it */
	char lost_why[96];      /* why the persistent connection was lost */
	uint64_t t0_us;         /* probe start */
	uint64_t last_fresh_us; /* last fresh-connection probe (0: never) */
	struct check_result ok; /* the query's result, kept during the fresh probe */
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* What is left of the probe's timeout for the next operation (>= 1 ms). */
static uint32_t remaining_ms(const struct ping *p)
{
	uint64_t spent = (now_us() - p->t0_us) / 1000u;
	return spent + 1 >= p->timeout_ms ? 1u : (uint32_t)(p->timeout_ms - spent);
}

static void report(struct ping *p, const struct check_result *r)
{
	bool confirm_next = p->lost_in_probe;
	p->running = false;
	p->confirming = false;
	p->lost_in_probe = false;
	check_report(p->chk, r);
	if (confirm_next) {
		p->confirming = true;
		check_probe_now(p->chk); /* docs/design.md "Confirm at once" */
	}
}

/* Turn a failed operation into a result (see mysql_ping.h). */
static void report_error(struct ping *p, const char *what, const struct sqlconn_outcome *o)
{
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
			     (p->confirming && k == SQLCONN_ERRK_LOST);
	}
	if (p->confirming && p->lost_why[0]) {
		size_t n = strlen(r.detail);
		snprintf(r.detail + n, sizeof r.detail - n, " (after: %s)", p->lost_why);
	}
	r.value = -1;
	report(p, &r);
}

static void do_connect(struct ping *p);
static void do_query(struct ping *p);

static void on_fresh(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	struct ping *p = ctx;
	sqlconn_close(c);
	if (!o->ok) {
		report_error(p, "fresh connection", o);
		return;
	}
	struct check_result r = p->ok;
	size_t n = strlen(r.detail);
	snprintf(r.detail + n, sizeof r.detail - n, "; fresh connect %.2f ms",
		 (double)o->elapsed_us / 1000.0);
	report(p, &r);
}

static void on_query(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	(void)c;
	struct ping *p = ctx;
	if (!o->ok) {
		if (sqlconn_errkind(o->err) == SQLCONN_ERRK_LOST && !p->reconnected) {
			/* Lost under the query: confirm with a connect at once. */
			snprintf(p->lost_why, sizeof p->lost_why, "%u: %.80s", o->err, o->error);
			p->confirming = true;
			do_connect(p);
			return;
		}
		report_error(p, "query", o);
		return;
	}
	struct check_result *r = &p->ok;
	double ms = (double)o->elapsed_us / 1000.0;
	if (p->slow_ms && o->elapsed_us > (uint64_t)p->slow_ms * 1000u)
		check_result_set(r, CHECK_DEGRADED, "%s in %.2f ms > slow %u ms", p->query, ms,
				 (unsigned)p->slow_ms);
	else
		check_result_set(r, CHECK_OK, "%s in %.2f ms", p->query, ms);
	r->value = (int64_t)o->elapsed_us;
	if (p->reconnected) {
		size_t n = strlen(r->detail);
		snprintf(r->detail + n, sizeof r->detail - n, "; reconnected after: %s",
			 p->lost_why);
	}
	uint64_t t = now_us();
	bool fresh_due = p->connect_interval_ms &&
			 (p->last_fresh_us == 0 ||
			  t - p->last_fresh_us >= (uint64_t)p->connect_interval_ms * 1000u);
	/* A (re)connect in this probe was a fresh connection already. */
	if (fresh_due && !p->reconnected) {
		p->last_fresh_us = t;
		int rc = sqlconn_connect(p->fresh, remaining_ms(p), on_fresh, p);
		if (rc == 0)
			return;
		check_result_set(r, CHECK_FAILED, "fresh connection: %s", strerror(-rc));
	}
	report(p, r);
}

static void on_connect(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	(void)c;
	struct ping *p = ctx;
	if (!o->ok) {
		report_error(p, "connect", o);
		return;
	}
	p->last_fresh_us = now_us();
	do_query(p);
}

static void start_failed(struct ping *p, const char *what, int rc)
{
	struct check_result r;
	check_result_set(&r, CHECK_FAILED, "%s: %s", what, strerror(-rc));
	r.value = -1;
	report(p, &r);
}

static void do_connect(struct ping *p)
{
	p->reconnected = p->reconnected || p->confirming;
	int rc = sqlconn_connect(p->conn, remaining_ms(p), on_connect, p);
	if (rc)
		start_failed(p, "connect", rc);
}

static void do_query(struct ping *p)
{
	int rc = sqlconn_query(p->conn, p->query, remaining_ms(p), on_query, p);
	if (rc)
		start_failed(p, "query", rc);
}

/* The idle watch saw the persistent connection go: confirm at once. */
static void on_lost(struct sqlconn *c, unsigned err, const char *why, void *ctx)
{
	(void)c;
	struct ping *p = ctx;
	if (err)
		snprintf(p->lost_why, sizeof p->lost_why, "%u: %.80s", err, why);
	else
		snprintf(p->lost_why, sizeof p->lost_why, "%.90s", why);
	if (p->running) {
		p->lost_in_probe = true;
		return;
	}
	p->confirming = true;
	check_probe_now(p->chk);
}

static void ping_start(void *state)
{
	struct ping *p = state;
	p->running = true;
	p->reconnected = false;
	p->t0_us = now_us();
	if (!p->confirming)
		p->lost_why[0] = '\0';
	if (sqlconn_state(p->conn) == SQLCONN_READY)
		do_query(p);
	else
		do_connect(p);
}

static void ping_cancel(void *state)
{
	struct ping *p = state;
	p->running = false;
	p->confirming = false;
	p->lost_in_probe = false;
	/* An operation in flight is abandoned (the connection with it); a
	 * READY persistent connection is kept. */
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
	free(p->query);
	free(p->defaults_file);
	free(p);
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
	p->query = strdup(prm->query && *prm->query ? prm->query : PING_DEFAULT_QUERY);
	p->defaults_file = prm->defaults_file ? strdup(prm->defaults_file) : NULL;
	rc = -ENOMEM;
	if (p->query && (p->defaults_file || !prm->defaults_file) &&
	    (rc = sqlconn_new(&p->conn, check_loop(chk), &t, on_lost, p)) == 0 &&
	    (rc = sqlconn_new(&p->fresh, check_loop(chk), &t, NULL, NULL)) == 0) {
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
