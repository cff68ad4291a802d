/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sqlbatch: run a short list of SQL statements on one non-blocking connection, each with a deadline. */
#ifndef VIGIL_SQLBATCH_H
#define VIGIL_SQLBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "mysql_async.h"

/*
 * The data-safety code talks to MySQL in short scripts: "SET GLOBAL
 * read_only = ON, then SELECT @@read_only", "STOP SLAVE IO_THREAD, then SHOW
 * SLAVE STATUS". A struct sqlbatch owns one struct sqlconn (the
 * non-blocking connector on the loop), connects when it has to, runs the
 * statements of one batch in order, each under its own hard deadline, and
 * calls back once with what every statement returned (rows copied, so the
 * callback may read them at leisure and start the next batch). One batch
 * at a time. Nothing here logs.
 */

#define SQLBATCH_MAX_STMTS 8

struct sqlbatch_stmt {
	const char *sql;       /* copied by sqlbatch_run() */
	uint32_t deadline_ms;  /* hard deadline of this statement (connect included for the first) */
	bool may_fail;         /* a server error (1xxx) here is recorded and the batch goes on */
};

/* What one statement returned. */
struct sqlbatch_stmt_result {
	bool ran;              /* reached and answered (ok or a server error) */
	bool ok;
	unsigned err;          /* MySQL error number, 0 if none */
	char error[SQLCONN_ERROR_MAX];
	unsigned nrows, ncols;
	char **names;          /* ncols column names */
	char **values;         /* nrows * ncols values, NULL = SQL NULL */
};

struct sqlbatch_result {
	bool ok;               /* every statement ran, none failed (may_fail ones excepted) */
	size_t failed_at;      /* the statement that stopped the batch (when !ok) */
	bool deadline;         /* ... because its deadline passed (no answer) */
	bool connected;        /* ... on an open connection (false: the server could not be reached) */
	unsigned err;          /* ... with this MySQL error, 0 if none */
	char error[SQLCONN_ERROR_MAX];
	uint64_t elapsed_ms;   /* the whole batch */
	size_t n;
	struct sqlbatch_stmt_result stmt[SQLBATCH_MAX_STMTS];
};

/* The value of column col in row row of statement i, or NULL (SQL NULL,
 * no such row/column, or the statement did not run). */
const char *sqlbatch_value(const struct sqlbatch_result *r, size_t i, unsigned row,
			   const char *col);

/* Number of rows statement i returned (0 if it did not run). */
unsigned sqlbatch_rows(const struct sqlbatch_result *r, size_t i);

struct sqlbatch;

/* Called once per sqlbatch_run() that returned 0; never from inside it.
 * r is valid during the call only. The callback may run the next batch. */
typedef void (*sqlbatch_done_fn)(struct sqlbatch *b, const struct sqlbatch_result *r, void *ctx);

/* A batch runner for target t (copied). Returns 0, -ENOMEM or -EINVAL. */
int sqlbatch_new(struct sqlbatch **out, struct ev_loop *loop, const struct sqlconn_target *t);

/* Cancel (no callback) and free. Accepts NULL. */
void sqlbatch_free(struct sqlbatch *b);

/*
 * Run n statements (1..SQLBATCH_MAX_STMTS). The connection is opened
 * first if it is not (under the first statement's deadline). Returns 0,
 * -EBUSY (a batch is running), -EINVAL or -ENOMEM.
 */
int sqlbatch_run(struct sqlbatch *b, const struct sqlbatch_stmt *stmts, size_t n,
		 sqlbatch_done_fn done, void *ctx);

/* True while a batch runs. */
bool sqlbatch_busy(const struct sqlbatch *b);

/* Abandon the running batch (its callback never runs) and close the
 * connection. */
void sqlbatch_cancel(struct sqlbatch *b);

/* The server's connection id of the batch's connection, 0 if none (so a
 * session-killing statement can spare its own). */
unsigned long sqlbatch_thread_id(const struct sqlbatch *b);

#endif
