/* SPDX-License-Identifier: GPL-2.0-or-later */
/* etcd_client: etcd v3 JSON-gateway requests with libcurl's multi interface on libev. */
#ifndef VIGIL_ETCD_CLIENT_H
#define VIGIL_ETCD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "etcd_proto.h"

/*
 * The transport under etcd_proto.h: every request is one HTTP POST made by
 * a libcurl easy handle inside one multi handle per client, driven by the
 * loop the way libcurl's "multi_socket" API asks (its "hiperfifo" example):
 * CURLMOPT_SOCKETFUNCTION tells which sockets to watch for what, and each
 * becomes an ev_io; CURLMOPT_TIMERFUNCTION asks for one timeout, an
 * ev_timer; both call curl_multi_socket_action(), which never blocks. No
 * thread: endpoints are IP literals, so libcurl never resolves a name (its
 * resolver thread never starts), and no signal (CURLOPT_NOSIGNAL).
 *
 * Deadlines. Every request has one (deadline_ms, from etcd_submit() to
 * its result), kept by an ev_timer of its own, so it holds whatever
 * libcurl does. Within it the endpoints are tried in turn, starting with
 * the last one that answered; each try is bounded by attempt_timeout_ms
 * (CURLOPT_TIMEOUT_MS), or by the request's deadline when that comes
 * first (the try is then ended by the deadline's timer). A try
 * moves on to the next endpoint when the member could not be reached,
 * did not answer in time, broke the connection, answered something that
 * is not etcd (malformed, a foreign HTTP error), or said it cannot serve
 * now (gRPC "unavailable": no leader); each endpoint at most once per
 * request. A definite answer (success, lease not found, invalid argument)
 * ends the request and makes that endpoint the first one tried next
 * time. See etcd_proto.h for why a repeated txn is harmless.
 *
 * Results. The callback runs exactly once for every request etcd_submit()
 * accepted, never from inside etcd_submit(), unless the request is
 * cancelled first: etcd_cancel(), etcd_cancel_all() and etcd_client_free()
 * end requests WITHOUT calling their callbacks (the caller knows what it
 * cancelled; a callback into a half-freed owner is the worse danger). The
 * callback may submit, cancel, and free the client.
 *
 * Nothing here logs: results carry the facts (status, one-line error
 * naming the endpoint, HTTP status, gRPC code), struct etcd_stats counts
 * them, and the agent decides what to say. Every byte from the network
 * goes through etcd_proto.c's strict parser; an answer larger than
 * ETCD_BODY_MAX is cut off and malformed.
 */

/* Endpoints a client takes at most. */
#define ETCD_ENDPOINTS_MAX 8u
/* Requests a client holds at once at most (etcd_submit: -EBUSY beyond). */
#define ETCD_PENDING_MAX 64u
/* A request's deadline at most, ms. */
#define ETCD_DEADLINE_MAX_MS 60000u
/* The default bound of one try on one endpoint, ms. */
#define ETCD_ATTEMPT_TIMEOUT_DEFAULT_MS 1000u
/* Characters of a normalized endpoint, NUL included ("http://[v6]:port"). */
#define ETCD_ENDPOINT_MAX 64u

struct etcd_client_conf {
	const char *const *endpoints; /* "http://IP:PORT", IPv6 as "http://[::1]:2379" */
	size_t n_endpoints;           /* 1..ETCD_ENDPOINTS_MAX */
	uint32_t attempt_timeout_ms;  /* one try on one endpoint; 0: the default */
};

/* Counters since etcd_client_new(). Every try that ended in an error
 * counts in attempt_errors by kind (a request that fails over counts
 * each); every result counts once in ok or failed, and in results. */
struct etcd_stats {
	uint64_t requests;   /* accepted by etcd_submit() */
	uint64_t ok;         /* results ETCD_OK */
	uint64_t failed;     /* results with an error */
	uint64_t cancelled;  /* requests ended without a result (cancel, free) */
	uint64_t attempts;   /* tries on an endpoint */
	uint64_t failovers;  /* tries moved on to the next endpoint */
	uint64_t results[ETCD_STATUS__COUNT];        /* results by status */
	uint64_t attempt_errors[ETCD_STATUS__COUNT]; /* tries that ended in an error, by
						      * status: timeouts, connect, malformed,
						      * etcd's own errors... */
};

/* One endpoint's record. */
struct etcd_endpoint_stats {
	uint64_t attempts;
	uint64_t failures;             /* tries that did not bring a definite answer */
	enum etcd_status last_status;  /* of its last try */
};

struct etcd_client;

/*
 * A request's result, called once (see above). id: etcd_submit()'s. r is
 * valid during the call only.
 */
typedef void (*etcd_done_fn)(struct etcd_client *c, uint64_t id, const struct etcd_result *r,
			     void *ctx);

/*
 * libcurl's process-wide setup (curl_global_init), the one global state
 * vigil allows: call once from main() before any client exists and
 * before any thread could (vigild has none); etcd_global_cleanup() at
 * exit. Returns 0 or -EIO.
 */
int etcd_global_init(void);
void etcd_global_cleanup(void);

/*
 * Check one endpoint: "http://" then an IPv4 literal or [IPv6 literal],
 * ':' and a port 1..65535, and at most a final '/'. Names are refused (a
 * lookup would block or need a thread), so are https (no TLS settings
 * yet), user info, paths and queries. On success the normalized form
 * ("http://127.0.0.1:2379") goes to norm (ETCD_ENDPOINT_MAX bytes).
 * Returns 0, or -EINVAL with the reason in err.
 */
int etcd_endpoint_check(const char *url, char *norm, char *err, size_t errlen);

/*
 * A client on loop for conf's endpoints (copied). Returns 0 and *out, or
 * -EINVAL (reason in err), -ENOMEM, -EIO (libcurl refused its setup).
 */
int etcd_client_new(struct etcd_client **out, struct ev_loop *loop,
		    const struct etcd_client_conf *conf, char *err, size_t errlen);

/* Cancel every request (no callbacks), close every connection, free.
 * Safe inside a callback (the memory goes when the callback returns).
 * Accepts NULL. */
void etcd_client_free(struct etcd_client *c);

/*
 * Start rq (copied) under deadline_ms (1..ETCD_DEADLINE_MAX_MS); done(ctx)
 * gets the result. *id (may be NULL) receives the request's id, > 0.
 * Returns 0, -EINVAL (rq or the deadline; reason in err), -EBUSY
 * (ETCD_PENDING_MAX requests pending), -ENOMEM or -EIO (libcurl refused).
 */
int etcd_submit(struct etcd_client *c, const struct etcd_request *rq, uint32_t deadline_ms,
		etcd_done_fn done, void *ctx, uint64_t *id, char *err, size_t errlen);

/* End request id without its callback. Returns 0, or -ENOENT (finished,
 * cancelled, or never). */
int etcd_cancel(struct etcd_client *c, uint64_t id);

/* End every pending request without callbacks. */
void etcd_cancel_all(struct etcd_client *c);

/* Requests pending (submitted, no result yet). */
size_t etcd_pending(const struct etcd_client *c);

const struct etcd_stats *etcd_client_stats(const struct etcd_client *c);

/* The number of endpoints; endpoint i's normalized URL (NULL past the end)
 * and record. */
size_t etcd_client_endpoints(const struct etcd_client *c);
const char *etcd_client_endpoint(const struct etcd_client *c, size_t i);
const struct etcd_endpoint_stats *etcd_client_endpoint_stats(const struct etcd_client *c,
							      size_t i);

/* The endpoint the next request tries first: the last that gave a
 * definite answer (0 before any). */
size_t etcd_client_preferred(const struct etcd_client *c);

#endif
