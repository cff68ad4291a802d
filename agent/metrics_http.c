// SPDX-License-Identifier: GPL-2.0-or-later
// GET /metrics over HTTP: libmicrohttpd driven by the daemon's libev loop.
#include "metrics_http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"

#define DEFAULT_MAX_CLIENTS 8u
#define DEFAULT_TIMEOUT_S 5u
/* A scrape's request is a few hundred bytes: 16 KiB per connection bounds
 * what headers a client can make us hold. */
#define CONNECTION_MEMORY 16384u
#define LISTEN_BACKLOG 16

struct metrics_http {
	struct ev_loop *loop;
	struct MHD_Daemon *mhd;
	ev_io ready;              /* libmicrohttpd's epoll fd has events */
	ev_timer tick;            /* libmicrohttpd's next timeout */
	metrics_http_body_fn body;
	void *ctx;
	char *start_err;          /* the caller's err while starting; NULL after */
	size_t start_errlen;
};

/* libmicrohttpd's messages: kept as the reason while starting, dropped
 * once running (they would be one line per bad client). */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics_http *m = cls;
	if (!m->start_err || m->start_errlen == 0 || m->start_err[0])
		return;
	vsnprintf(m->start_err, m->start_errlen, fmt, ap);
	m->start_err[strcspn(m->start_err, "\n")] = '\0';
}

/* A constant answer (404, 405, 500). */
static enum MHD_Result answer_text(struct MHD_Connection *c, unsigned status, const char *text,
				   const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
						     "text/plain; charset=utf-8");
	if (ok == MHD_YES && allow)
		ok = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (ok == MHD_YES)
		ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result answer_metrics(struct metrics_http *m, struct MHD_Connection *c)
{
	char *text = m->body(m->ctx);
	if (!text)
		return answer_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text,
								 MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
						     METRICS_CONTENT_TYPE);
	if (ok == MHD_YES)
		ok = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ok;
}

/*
 * Every request is answered on its first call, before any body: nothing
 * here takes one, and a body queued behind an early answer is discarded
 * by libmicrohttpd with the connection.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct metrics_http *m = cls;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(url, "/metrics") != 0)
		return answer_text(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n",
				   NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: use GET\n",
				   "GET, HEAD");
	return answer_metrics(m, c);
}

/* Call MHD_run again no later than libmicrohttpd asks (its connection
 * timeouts, data it has buffered): the epoll fd alone does not say. */
static void rearm(struct metrics_http *m)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	ev_timer_stop(m->loop, &m->tick);
	if (MHD_get_timeout(m->mhd, &ms) != MHD_YES)
		return;
	ev_timer_set(&m->tick, (double)ms / 1000.0, 0.0);
	ev_timer_start(m->loop, &m->tick);
}

static void run(struct metrics_http *m)
{
	MHD_run(m->mhd);
	rearm(m);
}

static void on_ready(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	run(w->data);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	run(w->data);
}

static bool conf_valid(const struct metrics_http_conf *conf)
{
	if (!conf || !conf->addr || !conf->name)
		return false;
	if (conf->addr->sa_family == AF_INET)
		return conf->addrlen == sizeof(struct sockaddr_in);
	if (conf->addr->sa_family == AF_INET6)
		return conf->addrlen == sizeof(struct sockaddr_in6);
	return false;
}

/* The listening socket, made here rather than by libmicrohttpd so that a
 * failure says which call failed and why. Returns the fd or -errno. */
static int open_listener(const struct metrics_http_conf *conf, char *err, size_t errlen)
{
	int family = conf->addr->sa_family;
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "metrics_listen %s: socket: %s", conf->name, strerror(e));
		return -e;
	}
	int one = 1;
	/* A restart must not fail on the last run's connections in TIME_WAIT;
	 * and [::]:PORT means IPv6 only, as written. */
	const char *step = "setsockopt";
	int rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rc == 0 && family == AF_INET6)
		rc = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (rc == 0) {
		step = "cannot bind";
		rc = bind(fd, conf->addr, conf->addrlen);
	}
	if (rc == 0) {
		step = "listen";
		rc = listen(fd, LISTEN_BACKLOG);
	}
	if (rc < 0) {
		int e = errno;
		snprintf(err, errlen, "metrics_listen %s: %s: %s", conf->name, step, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

static int start_mhd(struct metrics_http *m, const struct metrics_http_conf *conf, int fd,
		     char *err, size_t errlen)
{
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (conf->addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->start_err = err;
	m->start_errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	/* No MHD_USE_INTERNAL_POLLING_THREAD: this loop drives it. */
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, m,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT,
				  conf->max_clients ? conf->max_clients : DEFAULT_MAX_CLIENTS,
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  conf->timeout_s ? conf->timeout_s : DEFAULT_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
				  MHD_OPTION_END);
	m->start_err = NULL;
	if (!m->mhd) {
		char why[256];
		snprintf(why, sizeof(why), "%s", err && err[0] ? err : "refused its settings");
		snprintf(err, errlen, "metrics_listen %s: libmicrohttpd: %s", conf->name, why);
		close(fd);
		return -EINVAL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0) {
		snprintf(err, errlen, "metrics_listen %s: libmicrohttpd has no epoll fd", conf->name);
		return -EINVAL;
	}
	ev_io_init(&m->ready, on_ready, info->epoll_fd, EV_READ);
	return 0;
}

int metrics_http_new(struct metrics_http **out, struct ev_loop *loop,
		     const struct metrics_http_conf *conf, metrics_http_body_fn body, void *ctx,
		     char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!out || !loop || !body || !conf_valid(conf)) {
		snprintf(err, errlen, "metrics_listen: internal error: incomplete setup");
		return -EINVAL;
	}
	*out = NULL;
	struct metrics_http *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->loop = loop;
	m->body = body;
	m->ctx = ctx;
	int fd = open_listener(conf, err, errlen);
	int rc = fd < 0 ? fd : start_mhd(m, conf, fd, err, errlen);
	if (rc < 0) {
		if (m->mhd)
			MHD_stop_daemon(m->mhd);
		free(m);
		return rc;
	}
	m->ready.data = m;
	ev_init(&m->tick, on_tick);
	m->tick.data = m;
	ev_io_start(loop, &m->ready);
	rearm(m);
	*out = m;
	return 0;
}

void metrics_http_free(struct metrics_http *m)
{
	if (!m)
		return;
	ev_io_stop(m->loop, &m->ready);
	ev_timer_stop(m->loop, &m->tick);
	/* Closes the clients and the listening socket. */
	MHD_stop_daemon(m->mhd);
	free(m);
}
