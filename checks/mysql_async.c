/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sqlconn: one MariaDB/MySQL connection driven by Connector/C's non-blocking API on libev. */
#include "mysql_async.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <mysql.h>

/* The connector's own read/write/connect timeouts when we hold a hard
 * deadline of our own (see sqlconn_connect). */
#define CONNECTOR_TIMEOUT_S 3600u

#define container_of(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

/* Which connector call is suspended. */
enum op {
	OP_NONE = 0,
	OP_CONNECT,
	OP_QUERY,
	OP_STORE,
};

struct sqlconn_rows {
	MYSQL_RES *res;
	unsigned nrows, ncols;
	MYSQL_FIELD *fields;
	MYSQL_ROW rows[SQLCONN_MAX_ROWS];
};

struct sqlconn {
	struct ev_loop *loop;
	char *host, *socket, *defaults_file;
	uint16_t port;
	sqlconn_lost_fn lost;
	void *lost_ctx;

	MYSQL *m;                 /* NULL when IDLE */
	enum sqlconn_state state;
	enum op op;
	int status;               /* MYSQL_WAIT_* the suspended call waits for */
	MYSQL *ret_conn;          /* mysql_real_connect_start's result */
	int ret_int;              /* mysql_real_query_start's result */
	MYSQL_RES *ret_res;       /* mysql_store_result_start's result */
	char *sql;                /* the query being run (owned) */
	uint32_t deadline_ms;
	uint64_t t_start_us;
	sqlconn_done_fn done;
	void *done_ctx;

	ev_io io;                 /* connector waits, and the idle watch in READY */
	ev_timer wait_timer;      /* MYSQL_WAIT_TIMEOUT requested by the connector */
	ev_timer deadline;        /* our hard deadline for the operation */
};

static const char *const state_names[SQLCONN_STATE__COUNT] = {
	[SQLCONN_IDLE] = "idle",
	[SQLCONN_CONNECTING] = "connecting",
	[SQLCONN_READY] = "ready",
	[SQLCONN_QUERYING] = "querying",
};

const char *sqlconn_state_name(enum sqlconn_state s)
{
	return (unsigned)s < SQLCONN_STATE__COUNT ? state_names[s] : "?";
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- rows ---------------------------------------------------------------- */

unsigned sqlconn_rows_count(const struct sqlconn_rows *rs)
{
	return rs ? rs->nrows : 0;
}

unsigned sqlconn_cols_count(const struct sqlconn_rows *rs)
{
	return rs ? rs->ncols : 0;
}

const char *sqlconn_col_name(const struct sqlconn_rows *rs, unsigned i)
{
	return rs && i < rs->ncols ? rs->fields[i].name : NULL;
}

int sqlconn_col_index(const struct sqlconn_rows *rs, const char *name)
{
	for (unsigned i = 0; rs && name && i < rs->ncols; i++)
		if (strcmp(rs->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *sqlconn_value(const struct sqlconn_rows *rs, unsigned row, unsigned col)
{
	if (!rs || row >= rs->nrows || col >= rs->ncols)
		return NULL;
	return rs->rows[row][col];
}

/* --- closing --------------------------------------------------------------- */

static void stop_watchers(struct sqlconn *c)
{
	ev_io_stop(c->loop, &c->io);
	ev_timer_stop(c->loop, &c->wait_timer);
	ev_timer_stop(c->loop, &c->deadline);
}

/* Close the MYSQL handle without ever blocking (see the header). */
static void close_handle(struct sqlconn *c)
{
	if (!c->m)
		return;
	bool polite = false;
	if (c->state == SQLCONN_READY && c->op == OP_NONE) {
		/* COM_QUIT is 5 bytes: it cannot block when the socket is
		 * writable right now (empty send buffer). */
		struct pollfd pfd = { .fd = (int)mysql_get_socket(c->m), .events = POLLOUT };
		polite = pfd.fd >= 0 && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT) &&
			 !(pfd.revents & (POLLERR | POLLHUP));
	}
	if (!polite)
		mariadb_cancel(c->m); /* shutdown(2): COM_QUIT then fails at once */
	mysql_close(c->m);
	c->m = NULL;
}

void sqlconn_close(struct sqlconn *c)
{
	if (!c)
		return;
	stop_watchers(c);
	close_handle(c);
	free(c->sql);
	c->sql = NULL;
	c->op = OP_NONE;
	c->state = SQLCONN_IDLE;
	c->done = NULL;
}

/* --- finishing an operation ---------------------------------------------- */

static void start_idle_watch(struct sqlconn *c)
{
	int fd = (int)mysql_get_socket(c->m);
	if (fd < 0)
		return;
	ev_io_stop(c->loop, &c->io);
	ev_io_set(&c->io, fd, EV_READ);
	ev_io_start(c->loop, &c->io);
}

/*
 * End the running operation and call its callback last (it may free c).
 * keep: leave the connection READY (success, or a server-side error on a
 * healthy connection); otherwise it is closed.
 */
static void finish(struct sqlconn *c, bool ok, bool keep, bool deadline, unsigned err,
		   const char *text, struct sqlconn_rows *rows)
{
	struct sqlconn_outcome o = {
		.ok = ok,
		.deadline = deadline,
		.err = err,
		.elapsed_us = now_us() - c->t_start_us,
		.rows = rows,
	};
	snprintf(o.error, sizeof o.error, "%s", text ? text : "");
	sqlconn_done_fn done = c->done;
	void *ctx = c->done_ctx;

	stop_watchers(c);
	free(c->sql);
	c->sql = NULL;
	c->op = OP_NONE;
	c->done = NULL;
	if (keep) {
		c->state = SQLCONN_READY;
		start_idle_watch(c);
	} else {
		close_handle(c);
		c->state = SQLCONN_IDLE;
	}
	if (done)
		done(c, &o, ctx);
}

static void finish_mysql_error(struct sqlconn *c)
{
	unsigned err = mysql_errno(c->m);
	char text[SQLCONN_ERROR_MAX];
	snprintf(text, sizeof text, "%s", err ? mysql_error(c->m) : "unknown error");
	/* A server error on a live connection (syntax, privilege) leaves it
	 * usable; a client error (2xxx: lost, gone, can't connect) does not. */
	bool keep = c->op != OP_CONNECT && err != 0 && (err < 2000 || err >= 3000);
	finish(c, false, keep, false, err, text, NULL);
}

/* --- driving the connector --------------------------------------------- */

/* Arm the watchers for what the suspended call waits for. */
static void wait_for(struct sqlconn *c, int status)
{
	c->status = status;
	ev_io_stop(c->loop, &c->io);
	ev_timer_stop(c->loop, &c->wait_timer);
	int events = 0;
	if (status & MYSQL_WAIT_READ)
		events |= EV_READ;
	if (status & MYSQL_WAIT_WRITE)
		events |= EV_WRITE;
	if (status & MYSQL_WAIT_EXCEPT)
		events |= EV_READ; /* out-of-band data: libev has no EXCEPT; READ wakes us */
	int fd = (int)mysql_get_socket(c->m);
	if (events && fd >= 0) {
		ev_io_set(&c->io, fd, events);
		ev_io_start(c->loop, &c->io);
	}
	if (status & MYSQL_WAIT_TIMEOUT) {
		ev_timer_set(&c->wait_timer, mysql_get_timeout_value_ms(c->m) / 1000.0, 0.);
		ev_timer_start(c->loop, &c->wait_timer);
	}
}

static void step_done(struct sqlconn *c);

/* Resume the suspended call with the events that happened. */
static void resume(struct sqlconn *c, int events)
{
	int st = 0;
	switch (c->op) {
	case OP_CONNECT:
		st = mysql_real_connect_cont(&c->ret_conn, c->m, events);
		break;
	case OP_QUERY:
		st = mysql_real_query_cont(&c->ret_int, c->m, events);
		break;
	case OP_STORE:
		st = mysql_store_result_cont(&c->ret_res, c->m, events);
		break;
	case OP_NONE:
		return;
	}
	if (st)
		wait_for(c, st);
	else
		step_done(c);
}

static void start_store(struct sqlconn *c)
{
	c->op = OP_STORE;
	int st = mysql_store_result_start(&c->ret_res, c->m);
	if (st)
		wait_for(c, st);
	else
		step_done(c);
}

/* The suspended call completed: go on to the next step or finish. */
static void step_done(struct sqlconn *c)
{
	switch (c->op) {
	case OP_CONNECT:
		if (!c->ret_conn) {
			finish_mysql_error(c);
			return;
		}
		c->state = SQLCONN_READY;
		finish(c, true, true, false, 0, NULL, NULL);
		return;
	case OP_QUERY:
		if (c->ret_int != 0) {
			finish_mysql_error(c);
			return;
		}
		start_store(c);
		return;
	case OP_STORE: {
		MYSQL_RES *res = c->ret_res;
		if (!res) {
			if (mysql_field_count(c->m) != 0 || mysql_errno(c->m) != 0) {
				finish_mysql_error(c);
				return;
			}
			finish(c, true, true, false, 0, NULL, NULL); /* no result set */
			return;
		}
		struct sqlconn_rows rows = {
			.res = res,
			.ncols = mysql_num_fields(res),
			.fields = mysql_fetch_fields(res),
		};
		/* A stored result is in memory: fetching never touches the socket. */
		MYSQL_ROW r;
		while (rows.nrows < SQLCONN_MAX_ROWS && (r = mysql_fetch_row(res)) != NULL)
			rows.rows[rows.nrows++] = r;
		/* A stored result outlives the connection, so c may be freed in
		 * the callback: free the result after it. */
		finish(c, true, true, false, 0, NULL, &rows);
		mysql_free_result(res);
		return;
	}
	case OP_NONE:
		return;
	}
}

/* --- watchers ------------------------------------------------------------ */

/*
 * In READY the server has nothing to say until we ask: readable means it
 * closed the connection (EOF) or sent an error packet just before closing
 * (shutdown, KILL). Decode such a packet for the reason.
 */
static void idle_readable(struct sqlconn *c)
{
	unsigned char buf[256];
	ssize_t n = recv((int)mysql_get_socket(c->m), buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return; /* spurious wake-up */
	unsigned err = 0;
	char why[SQLCONN_ERROR_MAX];
	snprintf(why, sizeof why, "%s", n < 0 ? strerror(errno) : "connection closed by the server");
	/* MySQL packet: 3-byte length, sequence, then 0xff errno(2 LE)
	 * ['#' sqlstate(5)] message. */
	if (n >= 7 && buf[4] == 0xff) {
		size_t len = (size_t)buf[0] | (size_t)buf[1] << 8 | (size_t)buf[2] << 16;
		size_t end = 4 + len < (size_t)n ? 4 + len : (size_t)n;
		size_t p = 7;
		err = (unsigned)buf[5] | (unsigned)buf[6] << 8;
		if (p < end && buf[p] == '#')
			p += 6;
		size_t mlen = end > p ? end - p : 0;
		if (mlen >= sizeof why)
			mlen = sizeof why - 1;
		for (size_t i = 0; i < mlen; i++) /* one printable line */
			why[i] = buf[p + i] >= 0x20 && buf[p + i] < 0x7f ? (char)buf[p + i] : '?';
		why[mlen] = '\0';
	}
	sqlconn_close(c);
	if (c->lost)
		c->lost(c, err, why, c->lost_ctx);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	struct sqlconn *c = container_of(w, struct sqlconn, io);
	if (c->state == SQLCONN_READY) {
		idle_readable(c);
		return;
	}
	if (revents & EV_CUSTOM) { /* the _start call completed at once */
		step_done(c);
		return;
	}
	int events = 0;
	if (revents & EV_READ)
		events |= MYSQL_WAIT_READ | (c->status & MYSQL_WAIT_EXCEPT);
	if (revents & EV_WRITE)
		events |= MYSQL_WAIT_WRITE;
	resume(c, events);
}

static void wait_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct sqlconn *c = container_of(w, struct sqlconn, wait_timer);
	ev_io_stop(c->loop, &c->io);
	resume(c, MYSQL_WAIT_TIMEOUT);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct sqlconn *c = container_of(w, struct sqlconn, deadline);
	char text[SQLCONN_ERROR_MAX];
	snprintf(text, sizeof text, "no answer within %u ms (%s)", (unsigned)c->deadline_ms,
		 c->op == OP_CONNECT ? "connect" : "query");
	finish(c, false, false, true, 0, text, NULL);
}

/* --- public operations ----------------------------------------------------- */

static char *dup_or_null(const char *s, bool *fail)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*fail = true;
	return d;
}

int sqlconn_new(struct sqlconn **out, struct ev_loop *loop, const struct sqlconn_target *t,
		sqlconn_lost_fn lost, void *ctx)
{
	*out = NULL;
	if (!t || (!t->host && !t->socket))
		return -EINVAL;
	struct sqlconn *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	bool fail = false;
	c->loop = loop;
	c->host = dup_or_null(t->host, &fail);
	c->socket = dup_or_null(t->socket, &fail);
	c->defaults_file = dup_or_null(t->defaults_file, &fail);
	c->port = t->port ? t->port : 3306;
	c->lost = lost;
	c->lost_ctx = ctx;
	ev_init(&c->io, io_cb);
	ev_init(&c->wait_timer, wait_timer_cb);
	ev_init(&c->deadline, deadline_cb);
	if (fail) {
		sqlconn_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void sqlconn_free(struct sqlconn *c)
{
	if (!c)
		return;
	sqlconn_close(c);
	free(c->host);
	free(c->socket);
	free(c->defaults_file);
	free(c);
}

static void begin_op(struct sqlconn *c, uint32_t deadline_ms, sqlconn_done_fn done, void *ctx)
{
	c->done = done;
	c->done_ctx = ctx;
	c->deadline_ms = deadline_ms;
	c->t_start_us = now_us();
	ev_io_stop(c->loop, &c->io); /* the idle watch, if any */
	if (deadline_ms) {
		ev_timer_set(&c->deadline, deadline_ms / 1000.0, 0.);
		ev_timer_start(c->loop, &c->deadline);
	}
}

int sqlconn_connect(struct sqlconn *c, uint32_t deadline_ms, sqlconn_done_fn done, void *ctx)
{
	if (c->state != SQLCONN_IDLE)
		return -EBUSY;
	c->m = mysql_init(NULL);
	if (!c->m)
		return -ENOMEM;
	/* The connector's own timeouts (whole seconds) are fixed here for
	 * the connection's life, while every later operation brings its own
	 * hard deadline (a role statement may rightly wait for a semi-sync
	 * acknowledgement far longer than this connect): ours decide; theirs
	 * only cover deadline_ms == 0. */
	unsigned secs = deadline_ms ? CONNECTOR_TIMEOUT_S : 10u;
	enum mysql_protocol_type proto = c->socket ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
	if (mysql_options(c->m, MYSQL_OPT_NONBLOCK, 0) != 0 ||
	    mysql_options(c->m, MYSQL_OPT_CONNECT_TIMEOUT, &secs) != 0 ||
	    mysql_options(c->m, MYSQL_OPT_READ_TIMEOUT, &secs) != 0 ||
	    mysql_options(c->m, MYSQL_OPT_WRITE_TIMEOUT, &secs) != 0 ||
	    mysql_options(c->m, MYSQL_OPT_PROTOCOL, &proto) != 0 ||
	    (c->defaults_file &&
	     (mysql_options(c->m, MYSQL_READ_DEFAULT_FILE, c->defaults_file) != 0 ||
	      mysql_options(c->m, MYSQL_READ_DEFAULT_GROUP, "client") != 0))) {
		mysql_close(c->m);
		c->m = NULL;
		return -ENOMEM;
	}
	begin_op(c, deadline_ms, done, ctx);
	c->state = SQLCONN_CONNECTING;
	c->op = OP_CONNECT;
	/* user/password NULL: taken from the defaults file's [client] group.
	 * host is an IP literal (the checkers refuse names), so no DNS. */
	int st = mysql_real_connect_start(&c->ret_conn, c->m, c->socket ? "localhost" : c->host,
					  NULL, NULL, NULL, c->port, c->socket, 0);
	if (st)
		wait_for(c, st);
	else
		ev_feed_event(c->loop, &c->io, EV_CUSTOM); /* done runs from the loop */
	return 0;
}

int sqlconn_query(struct sqlconn *c, const char *sql, uint32_t deadline_ms,
		  sqlconn_done_fn done, void *ctx)
{
	if (c->state != SQLCONN_READY)
		return -EBUSY;
	char *s = strdup(sql);
	if (!s)
		return -ENOMEM;
	begin_op(c, deadline_ms, done, ctx);
	c->sql = s;
	c->state = SQLCONN_QUERYING;
	c->op = OP_QUERY;
	int st = mysql_real_query_start(&c->ret_int, c->m, c->sql, (unsigned long)strlen(c->sql));
	if (st)
		wait_for(c, st);
	else
		ev_feed_event(c->loop, &c->io, EV_CUSTOM);
	return 0;
}

enum sqlconn_state sqlconn_state(const struct sqlconn *c)
{
	return c->state;
}

unsigned long sqlconn_thread_id(const struct sqlconn *c)
{
	return c->m && (c->state == SQLCONN_READY || c->state == SQLCONN_QUERYING)
		       ? mysql_thread_id(c->m)
		       : 0;
}

/* --- helpers for checkers ------------------------------------------------ */

enum sqlconn_errkind sqlconn_errkind(unsigned err)
{
	switch (err) {
	case 1044: case 1045: case 1698:
		return SQLCONN_ERRK_AUTH;
	case 1142: case 1143: case 1227:
		return SQLCONN_ERRK_PRIVILEGE;
	case 1054: case 1064: case 1146:
		return SQLCONN_ERRK_BAD_QUERY;
	case 2002: case 2003:
		return SQLCONN_ERRK_REFUSED;
	case 2006: case 2013:
		return SQLCONN_ERRK_LOST;
	case 1053:
		return SQLCONN_ERRK_SHUTDOWN;
	case 1040: case 1203:
		return SQLCONN_ERRK_TOO_MANY;
	default:
		return SQLCONN_ERRK_OTHER;
	}
}

static const char *const errkind_names[SQLCONN_ERRK__COUNT] = {
	[SQLCONN_ERRK_OTHER] = "other",
	[SQLCONN_ERRK_AUTH] = "auth",
	[SQLCONN_ERRK_PRIVILEGE] = "privilege",
	[SQLCONN_ERRK_BAD_QUERY] = "bad_query",
	[SQLCONN_ERRK_REFUSED] = "refused",
	[SQLCONN_ERRK_LOST] = "lost",
	[SQLCONN_ERRK_SHUTDOWN] = "shutdown",
	[SQLCONN_ERRK_TOO_MANY] = "too_many",
};

const char *sqlconn_errkind_name(enum sqlconn_errkind k)
{
	return (unsigned)k < SQLCONN_ERRK__COUNT ? errkind_names[k] : "?";
}

int sqlconn_target_check(const struct sqlconn_target *t, char *err, size_t errlen)
{
	unsigned char buf[sizeof(struct in6_addr)];
	if (t->socket) {
		if (t->socket[0] != '/') {
			snprintf(err, errlen, "socket '%s' must be an absolute path", t->socket);
			return -EINVAL;
		}
		return 0;
	}
	if (!t->host) {
		snprintf(err, errlen, "needs host (an IP address) or socket");
		return -EINVAL;
	}
	if (inet_pton(AF_INET, t->host, buf) != 1 && inet_pton(AF_INET6, t->host, buf) != 1) {
		snprintf(err, errlen,
			 "host '%s' is not an IP address (no name lookups on the event loop; "
			 "for the local socket use socket = PATH)", t->host);
		return -EINVAL;
	}
	return 0;
}

int sqlconn_target_from_check(const struct check_params *p, struct sqlconn_target *t,
			      char *err, size_t errlen)
{
	*t = (struct sqlconn_target){
		.host = p->host,
		.port = p->port,
		.socket = p->socket,
		.defaults_file = p->defaults_file,
	};
	int rc = sqlconn_target_check(t, err, errlen);
	if (rc)
		return rc;
	if (p->timeout_ms == 0) {
		snprintf(err, errlen, "timeout must be > 0");
		return -EINVAL;
	}
	return 0;
}
