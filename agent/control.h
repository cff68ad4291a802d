// SPDX-License-Identifier: GPL-2.0-or-later
// The control socket: vigilctl's requests served on the daemon's loop.
#ifndef VIGIL_CONTROL_H
#define VIGIL_CONTROL_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "control_proto.h"

/*
 * A unix stream socket (mode 0600) served without ever blocking the loop:
 * every fd is non-blocking; a client sends one request line of at most
 * CONTROL_REQUEST_MAX bytes within read_timeout_ms, gets one answer
 * written as it drains it (within write_timeout_ms), and is closed. A
 * client that misses a deadline is dropped. At most max_clients are
 * served at once; more wait in the listen backlog until a slot frees.
 * Requests the protocol cannot parse are answered with one error line
 * (control_proto.h) and counted; they change nothing.
 */

struct control_conf {
	const char *path;            /* socket path; copied */
	unsigned max_clients;        /* 0: 16 */
	uint32_t read_timeout_ms;    /* 0: 2000; connect -> request line */
	uint32_t write_timeout_ms;   /* 0: 5000; request line -> answer written */
};

/* Counters, always on (shown by vigilctl status). */
struct control_stats {
	uint64_t accepted;           /* connections accepted */
	uint64_t requests;           /* well-formed requests answered */
	uint64_t malformed;          /* requests answered with an error line */
	uint64_t timeouts;           /* clients dropped at a deadline */
	uint64_t aborted;            /* clients gone before their answer was written */
	uint64_t full;               /* times every slot was busy (accepting paused) */
	uint64_t accept_errors;      /* accept() failures other than "try again" */
};

/*
 * Build the answer to one well-formed request: a NUL-terminated string
 * from malloc() (the control frees it), or NULL when out of memory (the
 * client is told so). Called on the loop, synchronously. An answer that
 * comes later (a restart's) is written on a dup() of req->client_fd, and
 * the immediate answer is "": the connection stays open until every copy
 * of it is closed.
 */
typedef char *(*control_respond_fn)(void *ctx, const struct control_request *req);

struct control;

/*
 * Listen on conf->path: create the parent directory (mode 0700) if it is
 * missing; a socket file nobody listens on (left by a vigild that died) is
 * removed; a live one means another daemon runs with the same
 * control_socket, and nothing is touched. The socket is mode 0600.
 * Clients are accepted once the loop runs.
 * respond/ctx: builds answers (respond must not be NULL).
 * err/errlen: receives the reason on failure, naming the path (and the
 * other daemon's pid when it can be learnt).
 * Returns 0 and *out, -EADDRINUSE (another daemon listens there),
 * -ENAMETOOLONG, -EINVAL, -ENOMEM, or the failing call's negative errno.
 */
int control_new(struct control **out, struct ev_loop *loop, const struct control_conf *conf,
		control_respond_fn respond, void *ctx, char *err, size_t errlen);

/* Close every client and the socket, remove the socket file (if it is
 * still the one we created), free. Accepts NULL. */
void control_free(struct control *c);

/* The counters. */
const struct control_stats *control_stats(const struct control *c);

/* Clients connected now. */
size_t control_clients(const struct control *c);

/* An answer for a respond function: formatted into a string from
 * malloc(); NULL when out of memory. */
char *control_answerf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
