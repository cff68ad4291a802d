/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sqlconn: one MariaDB/MySQL connection driven by Connector/C's non-blocking API on libev. */
#ifndef VIGIL_MYSQL_ASYNC_H
#define VIGIL_MYSQL_ASYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "check.h"

/*
 * A struct sqlconn is one connection with a small state machine:
 *
 *   IDLE --connect--> CONNECTING --ok--> READY --query--> QUERYING --> READY
 *     ^                   | error/deadline    |  lost (idle watch)     | error/deadline
 *     +-------------------+-------------------+------------------------+
 *
 * Every operation runs on the loop and never blocks it:
 *   - MYSQL_OPT_NONBLOCK + mysql_real_connect_start/_cont,
 *     mysql_real_query_start/_cont, mysql_store_result_start/_cont, driven
 *     by an ev_io on mysql_get_socket() with the events the connector asks
 *     for, and an ev_timer when it asks for MYSQL_WAIT_TIMEOUT;
 *   - a HARD deadline per operation, our own ev_timer, which never relies
 *     on the connector's timeouts: on expiry the connection is aborted with
 *     mariadb_cancel() (shutdown(2) of the socket, so every further read or
 *     write fails at once) followed by mysql_close(), whose COM_QUIT then
 *     cannot block. Connector/C allows mysql_close() in the middle of a
 *     non-blocking operation ("Terminating a non-blocking operation early"
 *     in its non-blocking API documentation).
 *   - in READY the socket is watched for readability: the server never
 *     speaks first, so readable (EOF, or an error packet before it closes,
 *     e.g. 1053 on shutdown or our connection KILLed) means the connection
 *     is lost; it is closed and the lost callback runs at once, so a dead
 *     server is seen without waiting for the next query.
 * A failed or aborted operation always leaves the connection IDLE (closed):
 * the next use reconnects. Credentials are only read from the defaults file
 * (MYSQL_READ_DEFAULT_FILE, group [client]). Nothing here logs.
 */

enum sqlconn_state {
	SQLCONN_IDLE = 0,   /* no connection */
	SQLCONN_CONNECTING,
	SQLCONN_READY,      /* connected, no operation; watched for loss */
	SQLCONN_QUERYING,
	SQLCONN_STATE__COUNT
};

/* "idle", "connecting", "ready", "querying". */
const char *sqlconn_state_name(enum sqlconn_state s);

/* Bounds of what a query hands back (more rows are dropped; a check's
 * queries return one row). */
#define SQLCONN_MAX_ROWS 16
/* Bytes of an error text kept, NUL included. */
#define SQLCONN_ERROR_MAX 160

/* Where to connect; strings are copied by sqlconn_new(). */
struct sqlconn_target {
	const char *host;          /* IP literal (TCP), or NULL with socket */
	uint16_t port;             /* 0: 3306 */
	const char *socket;        /* unix socket path, or NULL */
	const char *defaults_file; /* option file with [client] user/password, or NULL */
};

/* The rows of a finished query, valid only during the done callback. */
struct sqlconn_rows;

/* Number of rows kept (at most SQLCONN_MAX_ROWS) / columns. */
unsigned sqlconn_rows_count(const struct sqlconn_rows *rs);
unsigned sqlconn_cols_count(const struct sqlconn_rows *rs);
/* Column i's name, or NULL if out of range. */
const char *sqlconn_col_name(const struct sqlconn_rows *rs, unsigned i);
/* Index of the column called name (exact, case-sensitive), or -1. */
int sqlconn_col_index(const struct sqlconn_rows *rs, const char *name);
/* The value at (row, col) as text; NULL for SQL NULL or out of range. */
const char *sqlconn_value(const struct sqlconn_rows *rs, unsigned row, unsigned col);

/* How one operation ended. */
struct sqlconn_outcome {
	bool ok;
	bool deadline;        /* our hard deadline fired (no errno: no answer) */
	unsigned err;         /* MySQL error number (client 2xxx or server), 0 if none */
	char error[SQLCONN_ERROR_MAX]; /* the connector's text, or ours */
	uint64_t elapsed_us;  /* operation start to end, monotonic clock */
	const struct sqlconn_rows *rows; /* query with a result set: rows; else NULL */
};

struct sqlconn;

/*
 * Called once per sqlconn_connect()/sqlconn_query() that returned 0. The
 * connection is READY if o->ok, else IDLE. The callback may start the next
 * operation or free the connection.
 */
typedef void (*sqlconn_done_fn)(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx);

/*
 * Called when a READY connection is lost while idle (the server closed it
 * or sent an error packet first). err/why: the server's error number and
 * text when it sent one (1053 shutdown, 1927/4031...), else 0 and
 * "connection closed by the server". The connection is IDLE already.
 */
typedef void (*sqlconn_lost_fn)(struct sqlconn *c, unsigned err, const char *why, void *ctx);

/*
 * Allocate a connection on loop (IDLE). lost may be NULL. Returns 0 and
 * *out, or -ENOMEM / -EINVAL (no host and no socket).
 */
int sqlconn_new(struct sqlconn **out, struct ev_loop *loop, const struct sqlconn_target *t,
		sqlconn_lost_fn lost, void *ctx);

/* Close (see sqlconn_close), stop every watcher and free. Accepts NULL. No
 * callback runs. */
void sqlconn_free(struct sqlconn *c);

/*
 * Connect (state must be IDLE). deadline_ms > 0: hard deadline of the whole
 * handshake. done runs later, never from inside this call. Returns 0,
 * -EBUSY (not IDLE) or -ENOMEM.
 */
int sqlconn_connect(struct sqlconn *c, uint32_t deadline_ms, sqlconn_done_fn done, void *ctx);

/*
 * Run one statement (state must be READY) and store its result. Errors
 * 2006/2013 mean the connection is gone (it is IDLE afterwards, as after
 * any failure). Returns 0, -EBUSY (not READY) or -ENOMEM.
 */
int sqlconn_query(struct sqlconn *c, const char *sql, uint32_t deadline_ms,
		  sqlconn_done_fn done, void *ctx);

/*
 * Close now without blocking; the connection becomes IDLE, an operation in
 * progress is abandoned and its callback never runs. A READY connection
 * whose socket is writable gets a polite COM_QUIT (so the server does not
 * log an aborted connection); any other is aborted (socket shut down first).
 */
void sqlconn_close(struct sqlconn *c);

enum sqlconn_state sqlconn_state(const struct sqlconn *c);

/* How a checker treats a MySQL error number. */
enum sqlconn_errkind {
	SQLCONN_ERRK_OTHER = 0,
	SQLCONN_ERRK_AUTH,      /* 1044, 1045, 1698: vigil's credentials are wrong */
	SQLCONN_ERRK_PRIVILEGE, /* 1142, 1143, 1227: the check user lacks a grant */
	SQLCONN_ERRK_BAD_QUERY, /* 1064, 1146, 1054: the configured query is wrong */
	SQLCONN_ERRK_REFUSED,   /* 2002, 2003: nothing listens (a definite answer) */
	SQLCONN_ERRK_LOST,      /* 2006, 2013: an established connection is gone */
	SQLCONN_ERRK_SHUTDOWN,  /* 1053: server shutdown in progress */
	SQLCONN_ERRK_TOO_MANY,  /* 1040, 1203: alive but refusing clients */
	SQLCONN_ERRK__COUNT
};

/* The kind of error number err. */
enum sqlconn_errkind sqlconn_errkind(unsigned err);

/* "other", "auth", "privilege", "bad_query", "refused", "lost", "shutdown", "too_many". */
const char *sqlconn_errkind_name(enum sqlconn_errkind k);

/*
 * Validate a target for a checker: host must be an IPv4/IPv6 literal (no
 * name lookups on the loop; "localhost" would silently mean the default
 * unix socket, which may be another server's), or socket an absolute path.
 * Returns 0, or -EINVAL with a message in err.
 */
int sqlconn_target_check(const struct sqlconn_target *t, char *err, size_t errlen);

/*
 * The common start of a MySQL checker's create(): fill *t from the check's
 * params (borrowing their strings) and validate it with
 * sqlconn_target_check(), plus a timeout > 0.
 * Returns 0, or -EINVAL with a message in err.
 */
int sqlconn_target_from_check(const struct check_params *p, struct sqlconn_target *t,
			      char *err, size_t errlen);

/* The server's connection id (for KILL in tests and logs), 0 if not connected. */
unsigned long sqlconn_thread_id(const struct sqlconn *c);

#endif
