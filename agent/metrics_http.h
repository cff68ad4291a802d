// SPDX-License-Identifier: GPL-2.0-or-later
// GET /metrics over HTTP ([global] metrics_listen), served on the daemon's
// loop by libmicrohttpd.
#ifndef VIGIL_METRICS_HTTP_H
#define VIGIL_METRICS_HTTP_H

#include <ev.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * libmicrohttpd in its external-polling epoll mode: no thread of its own.
 * One ev_io watches its epoll fd and one ev_timer follows MHD_get_timeout;
 * both call MHD_run, which never blocks (every socket is non-blocking).
 * At most max_clients are served at once (more wait in the listen backlog
 * until a slot frees), and a client idle for timeout_s seconds is dropped,
 * so a slow or silent client costs a slot for a while, never the loop's
 * time.
 *
 * GET (or HEAD) /metrics: 200 with the body callback's text, as
 * METRICS_CONTENT_TYPE (metrics.h); another path: 404; another method on
 * /metrics: 405 (Allow: GET, HEAD); a request HTTP cannot parse: 400 from
 * libmicrohttpd itself (or the connection closed, for junk that is no
 * request line at all). Nothing is logged per request: a scanner must not
 * be able to fill the log.
 */

struct metrics_http_conf {
	const struct sockaddr *addr; /* IPv4 or IPv6 address and port to listen on */
	socklen_t addrlen;
	const char *name;            /* the address as configured, for messages */
	unsigned max_clients;        /* 0: 8 */
	unsigned timeout_s;          /* 0: 5; a client idle this long is dropped */
};

/*
 * The answer to one scrape: a NUL-terminated string from malloc() (the
 * server frees it), or NULL when out of memory (answered 500). Called on
 * the loop, synchronously.
 */
typedef char *(*metrics_http_body_fn)(void *ctx);

struct metrics_http;

/*
 * Listen on conf->addr and serve scrapes once the loop runs.
 * body/ctx: builds each answer (body must not be NULL).
 * err/errlen: the reason on failure, naming the address ("metrics_listen
 * 127.0.0.1:9717: cannot bind: Address already in use").
 * Returns 0 and *out, -EINVAL, -ENOMEM, or the failing call's negative
 * errno.
 */
int metrics_http_new(struct metrics_http **out, struct ev_loop *loop,
		     const struct metrics_http_conf *conf, metrics_http_body_fn body, void *ctx,
		     char *err, size_t errlen);

/* Close every client and the socket, free. Accepts NULL. */
void metrics_http_free(struct metrics_http *m);

#endif
