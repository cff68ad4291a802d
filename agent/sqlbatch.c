// SPDX-License-Identifier: GPL-2.0-or-later
// sqlbatch: run a short list of SQL statements on one non-blocking connection.
#include "sqlbatch.h"
#include "monotime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sqlbatch {
	struct ev_loop *loop;
	struct sqlconn *conn;
	bool busy;
	size_t n, next;
	struct sqlbatch_stmt stmts[SQLBATCH_MAX_STMTS]; /* sql owned */
	struct sqlbatch_result res;
	uint64_t t0_ms;
	bool was_connected;   /* the connection was up when the current step began */
	sqlbatch_done_fn done;
	void *ctx;
	ev_timer kick;        /* the first step runs from the loop, never inside sqlbatch_run() */
};

const char *sqlbatch_value(const struct sqlbatch_result *r, size_t i, unsigned row,
			   const char *col)
{
	if (!r || i >= r->n || !col)
		return NULL;
	const struct sqlbatch_stmt_result *s = &r->stmt[i];
	if (!s->ran || row >= s->nrows)
		return NULL;
	for (unsigned c = 0; c < s->ncols; c++)
		if (strcmp(s->names[c], col) == 0)
			return s->values[row * s->ncols + c];
	return NULL;
}

unsigned sqlbatch_rows(const struct sqlbatch_result *r, size_t i)
{
	return r && i < r->n && r->stmt[i].ran ? r->stmt[i].nrows : 0;
}

static void free_result(struct sqlbatch_result *r)
{
	for (size_t i = 0; i < SQLBATCH_MAX_STMTS; i++) {
		struct sqlbatch_stmt_result *s = &r->stmt[i];
		for (unsigned c = 0; s->names && c < s->ncols; c++)
			free(s->names[c]);
		for (unsigned v = 0; s->values && v < s->nrows * s->ncols; v++)
			free(s->values[v]);
		free(s->names);
		free(s->values);
	}
	memset(r, 0, sizeof(*r));
}

static void free_stmts(struct sqlbatch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free((char *)b->stmts[i].sql);
	b->n = 0;
}

/* Copy the rows out of the connector's result (valid only in its callback). */
static int copy_rows(struct sqlbatch_stmt_result *s, const struct sqlconn_rows *rows)
{
	if (!rows)
		return 0;
	s->nrows = sqlconn_rows_count(rows);
	s->ncols = sqlconn_cols_count(rows);
	if (s->ncols == 0)
		return 0;
	s->names = calloc(s->ncols, sizeof(*s->names));
	s->values = calloc((size_t)s->nrows * s->ncols + 1, sizeof(*s->values));
	if (!s->names || !s->values)
		return -ENOMEM;
	for (unsigned c = 0; c < s->ncols; c++)
		if (!(s->names[c] = strdup(sqlconn_col_name(rows, c) ? sqlconn_col_name(rows, c) : "")))
			return -ENOMEM;
	for (unsigned r = 0; r < s->nrows; r++)
		for (unsigned c = 0; c < s->ncols; c++) {
			const char *v = sqlconn_value(rows, r, c);
			if (v && !(s->values[r * s->ncols + c] = strdup(v)))
				return -ENOMEM;
		}
	return 0;
}

static void finish(struct sqlbatch *b, bool ok)
{
	b->res.ok = ok;
	b->res.elapsed_ms = monotime_ms() - b->t0_ms;
	b->busy = false;
	free_stmts(b);
	sqlbatch_done_fn done = b->done;
	void *ctx = b->ctx;
	b->done = NULL;
	/* The result stays valid during the callback; the next run frees it. */
	if (done)
		done(b, &b->res, ctx);
}

static void fail(struct sqlbatch *b, const struct sqlconn_outcome *o)
{
	b->res.failed_at = b->next;
	b->res.connected = b->was_connected;
	b->res.deadline = o->deadline;
	b->res.err = o->err;
	snprintf(b->res.error, sizeof(b->res.error), "%s", o->error);
	finish(b, false);
}

static void run_next(struct sqlbatch *b);

static void query_done(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	(void)c;
	struct sqlbatch *b = ctx;
	struct sqlbatch_stmt_result *s = &b->res.stmt[b->next];
	s->ran = !o->deadline && (o->ok || o->err < 2000 || o->err >= 3000);
	s->ok = o->ok;
	s->err = o->err;
	snprintf(s->error, sizeof(s->error), "%s", o->error);
	if (o->ok && copy_rows(s, o->rows) < 0) {
		struct sqlconn_outcome oom = { .err = 0 };
		snprintf(oom.error, sizeof(oom.error), "out of memory");
		fail(b, &oom);
		return;
	}
	if (!o->ok && !(s->ran && b->stmts[b->next].may_fail)) {
		fail(b, o);
		return;
	}
	b->next++;
	run_next(b);
}

static void connect_done(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	(void)c;
	struct sqlbatch *b = ctx;
	if (!o->ok) {
		fail(b, o);
		return;
	}
	run_next(b);
}

static void run_next(struct sqlbatch *b)
{
	if (b->next >= b->n) {
		finish(b, true);
		return;
	}
	const struct sqlbatch_stmt *st = &b->stmts[b->next];
	int rc;
	b->was_connected = sqlconn_state(b->conn) != SQLCONN_IDLE;
	if (sqlconn_state(b->conn) == SQLCONN_IDLE)
		rc = sqlconn_connect(b->conn, st->deadline_ms, connect_done, b);
	else
		rc = sqlconn_query(b->conn, st->sql, st->deadline_ms, query_done, b);
	if (rc < 0) {
		struct sqlconn_outcome o = { .err = 0 };
		snprintf(o.error, sizeof(o.error), "%s", strerror(-rc));
		fail(b, &o);
	}
}

static void kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	run_next(w->data);
}

int sqlbatch_new(struct sqlbatch **out, struct ev_loop *loop, const struct sqlconn_target *t)
{
	*out = NULL;
	struct sqlbatch *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->loop = loop;
	int rc = sqlconn_new(&b->conn, loop, t, NULL, NULL);
	if (rc < 0) {
		free(b);
		return rc;
	}
	ev_timer_init(&b->kick, kick_cb, 0., 0.);
	b->kick.data = b;
	*out = b;
	return 0;
}

void sqlbatch_cancel(struct sqlbatch *b)
{
	if (!b)
		return;
	ev_timer_stop(b->loop, &b->kick);
	sqlconn_close(b->conn);
	free_stmts(b);
	b->busy = false;
	b->done = NULL;
}

void sqlbatch_free(struct sqlbatch *b)
{
	if (!b)
		return;
	sqlbatch_cancel(b);
	sqlconn_free(b->conn);
	free_result(&b->res);
	free(b);
}

int sqlbatch_run(struct sqlbatch *b, const struct sqlbatch_stmt *stmts, size_t n,
		 sqlbatch_done_fn done, void *ctx)
{
	if (b->busy)
		return -EBUSY;
	if (n == 0 || n > SQLBATCH_MAX_STMTS)
		return -EINVAL;
	free_result(&b->res);
	for (size_t i = 0; i < n; i++) {
		b->stmts[i] = stmts[i];
		b->stmts[i].sql = strdup(stmts[i].sql ? stmts[i].sql : "");
		b->n = i + 1;
		if (!b->stmts[i].sql) {
			b->n = i;
			free_stmts(b);
			return -ENOMEM;
		}
	}
	b->res.n = n;
	b->next = 0;
	b->busy = true;
	b->done = done;
	b->ctx = ctx;
	b->t0_ms = monotime_ms();
	ev_timer_start(b->loop, &b->kick);
	return 0;
}

bool sqlbatch_busy(const struct sqlbatch *b)
{
	return b && b->busy;
}

unsigned long sqlbatch_thread_id(const struct sqlbatch *b)
{
	return b ? sqlconn_thread_id(b->conn) : 0;
}
