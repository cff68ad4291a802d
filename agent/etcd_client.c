// SPDX-License-Identifier: GPL-2.0-or-later
// etcd_client: etcd v3 JSON-gateway requests through libcurl's multi_socket API on libev.
#include "etcd_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "monotime.h"

/* A try is not started with less time than this left: it could only time
 * out (and a 0 timeout means "none" to libcurl). */
#define ATTEMPT_MIN_MS 5u
/* How long after a request's deadline libcurl's own timeout of its last
 * try is set (see start_attempt). */
#define DEADLINE_SLACK_MS 50u

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* One socket libcurl asked us to watch. */
struct etcd_sock {
	ev_io io;
	struct etcd_client *c;
	curl_socket_t fd;
	struct etcd_sock *prev, *next;
};

/* One request. */
struct etcd_call {
	struct etcd_client *c;
	struct etcd_call *prev, *next;
	uint64_t id;
	struct etcd_request rq;  /* key points to keybuf; value is not kept */
	char *keybuf;
	char *body;              /* the JSON sent to every endpoint tried */
	CURL *easy;
	bool in_multi;
	char url[ETCD_ENDPOINT_MAX + 32];
	char curl_err[CURL_ERROR_SIZE];
	/* the answer of the current try */
	char *resp;
	size_t resp_len, resp_cap;
	bool too_big, resp_nomem;
	/* tries */
	size_t ep;               /* endpoint of the current (or last) try */
	unsigned tried;
	uint64_t t0_ms, deadline_at_ms;
	uint32_t deadline_ms;
	ev_timer deadline;
	etcd_done_fn done;
	void *ctx;
};

struct etcd_client {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer;          /* libcurl's one timeout */
	struct curl_slist *headers;
	char endpoints[ETCD_ENDPOINTS_MAX][ETCD_ENDPOINT_MAX];
	struct etcd_endpoint_stats ep_stats[ETCD_ENDPOINTS_MAX];
	size_t n_endpoints;
	size_t preferred;
	uint32_t attempt_timeout_ms;
	struct etcd_call *calls; /* pending, newest first */
	size_t n_calls;
	struct etcd_sock *socks;
	uint64_t next_id;
	struct etcd_stats stats;
	/* Re-entrancy: depth counts the client's own frames on the stack
	 * (watcher callbacks); etcd_client_free() inside one of them only
	 * marks the client, and the outermost frame frees it. */
	unsigned depth;
	bool freeing;
};

/* snprintf for error lines, which are cut at their buffer on purpose. */
static void say(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
}

/* ---- process-wide ---------------------------------------------------------- */

int etcd_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void etcd_global_cleanup(void)
{
	curl_global_cleanup();
}

/* ---- endpoints ------------------------------------------------------------- */

int etcd_endpoint_check(const char *url, char *norm, char *err, size_t errlen)
{
	static const char scheme[] = "http://";
	if (!url || strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
		snprintf(err, errlen, "endpoint '%.80s': must start with http:// (no TLS settings yet)",
			 url ? url : "");
		return -EINVAL;
	}
	const char *h = url + sizeof(scheme) - 1;
	char host[INET6_ADDRSTRLEN + 1];
	const char *rest;
	bool v6 = *h == '[';
	if (v6) {
		const char *close = strchr(h, ']');
		if (!close || (size_t)(close - h - 1) >= sizeof(host)) {
			snprintf(err, errlen, "endpoint '%.80s': an IPv6 address goes in [brackets]", url);
			return -EINVAL;
		}
		memcpy(host, h + 1, (size_t)(close - h - 1));
		host[close - h - 1] = '\0';
		rest = close + 1;
	} else {
		size_t n = strcspn(h, ":/");
		if (n >= sizeof(host)) {
			snprintf(err, errlen, "endpoint '%.80s': the host is not an IP address", url);
			return -EINVAL;
		}
		memcpy(host, h, n);
		host[n] = '\0';
		rest = h + n;
	}
	unsigned char buf[sizeof(struct in6_addr)];
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, buf) != 1) {
		snprintf(err, errlen,
			 "endpoint '%.80s': '%.48s' is not an IP%s address (no name lookups on the event loop)",
			 url, host, v6 ? "v6" : "v4");
		return -EINVAL;
	}
	if (*rest != ':') {
		snprintf(err, errlen, "endpoint '%.80s': needs a port (http://IP:PORT)", url);
		return -EINVAL;
	}
	rest++;
	size_t nd = strspn(rest, "0123456789");
	unsigned long port = 0;
	for (size_t i = 0; i < nd && i < 6; i++)
		port = port * 10 + (unsigned long)(rest[i] - '0');
	if (nd == 0 || nd > 5 || rest[0] == '0' || port > 65535) {
		snprintf(err, errlen, "endpoint '%.80s': the port is not 1..65535", url);
		return -EINVAL;
	}
	rest += nd;
	if (!(rest[0] == '\0' || (rest[0] == '/' && rest[1] == '\0'))) {
		snprintf(err, errlen, "endpoint '%.80s': unexpected '%.40s' after the port", url, rest);
		return -EINVAL;
	}
	/* inet_ntop normalizes the IPv6 spelling, so equal endpoints compare equal. */
	char canon[INET6_ADDRSTRLEN];
	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, buf, canon, sizeof(canon)))
		return -EINVAL;
	snprintf(norm, ETCD_ENDPOINT_MAX, v6 ? "http://[%s]:%lu" : "http://%s:%lu", canon, port);
	return 0;
}

/* ---- re-entrancy ------------------------------------------------------------- */

static void destroy(struct etcd_client *c);

static void enter(struct etcd_client *c)
{
	c->depth++;
}

/* Leave a frame; the outermost one frees a client freed inside it.
 * Returns false when the client is gone (or going): touch nothing. */
static bool leave(struct etcd_client *c)
{
	c->depth--;
	if (c->freeing) {
		if (c->depth == 0)
			destroy(c);
		return false;
	}
	return true;
}

/* ---- calls ------------------------------------------------------------------- */

static void unlink_call(struct etcd_call *k)
{
	struct etcd_client *c = k->c;
	if (k->prev)
		k->prev->next = k->next;
	else
		c->calls = k->next;
	if (k->next)
		k->next->prev = k->prev;
	k->prev = k->next = NULL;
	c->n_calls--;
}

static void detach_easy(struct etcd_call *k)
{
	if (k->easy && k->in_multi)
		curl_multi_remove_handle(k->c->multi, k->easy);
	k->in_multi = false;
}

/* Free a call that is no longer in the list. */
static void free_call(struct etcd_call *k)
{
	ev_timer_stop(k->c->loop, &k->deadline);
	detach_easy(k);
	if (k->easy)
		curl_easy_cleanup(k->easy);
	free(k->keybuf);
	free(k->body);
	free(k->resp);
	free(k);
}

/* End k with r: bookkeeping first, the callback last (it may free the
 * client: nothing of c is touched after it). */
static void finish(struct etcd_call *k, struct etcd_result *r)
{
	struct etcd_client *c = k->c;
	unlink_call(k);
	r->op = k->rq.op;
	r->endpoint = k->tried ? (int)k->ep : -1;
	r->attempts = k->tried;
	r->elapsed_ms = monotime_ms() - k->t0_ms;
	if (r->status == ETCD_OK)
		c->stats.ok++;
	else
		c->stats.failed++;
	if ((unsigned)r->status < ETCD_STATUS__COUNT)
		c->stats.results[r->status]++;
	etcd_done_fn done = k->done;
	void *ctx = k->ctx;
	uint64_t id = k->id;
	free_call(k);
	enter(c);
	done(c, id, r, ctx);
	etcd_result_clear(r);
	leave(c);
}

/* Record one failed try on the current endpoint. */
static void count_failure(struct etcd_call *k, enum etcd_status st)
{
	struct etcd_client *c = k->c;
	c->stats.attempt_errors[st]++;
	c->ep_stats[k->ep].failures++;
	c->ep_stats[k->ep].last_status = st;
}

/* Prefix r's error with the endpoint it comes from. */
static void name_endpoint(struct etcd_call *k, struct etcd_result *r)
{
	char tmp[ETCD_ERROR_MAX];
	say(tmp, sizeof(tmp), "%s: %s", k->c->endpoints[k->ep], r->error);
	memcpy(r->error, tmp, sizeof(tmp));
}

/* The result of a request whose deadline passed. */
static void deadline_result(struct etcd_call *k, struct etcd_result *r)
{
	r->status = ETCD_E_TIMEOUT;
	say(r->error, sizeof(r->error), "no answer within %u ms (%u endpoint%s tried, last %s)",
	    (unsigned)k->deadline_ms, k->tried, k->tried == 1 ? "" : "s",
	    k->c->endpoints[k->ep]);
}

/* Start a try of k on endpoint ep. Returns 0, or -1 when the try could
 * not start (r then says why; the caller finishes k with it). */
static int start_attempt(struct etcd_call *k, size_t ep, struct etcd_result *r)
{
	struct etcd_client *c = k->c;
	uint64_t now = monotime_ms();
	uint64_t left = k->deadline_at_ms > now ? k->deadline_at_ms - now : 0;
	if (left < ATTEMPT_MIN_MS) {
		deadline_result(k, r);
		return -1;
	}
	/* When the request's deadline comes first, it is the one that ends
	 * the try (on_deadline, one message for one cause): libcurl's
	 * timeout is then set a little after it, only as a backstop. */
	uint64_t t = c->attempt_timeout_ms < left ? c->attempt_timeout_ms : left + DEADLINE_SLACK_MS;
	k->ep = ep;
	k->tried++;
	k->resp_len = 0;
	k->too_big = k->resp_nomem = false;
	k->curl_err[0] = '\0';
	snprintf(k->url, sizeof(k->url), "%s%s", c->endpoints[ep], etcd_op_path(k->rq.op));
	c->stats.attempts++;
	c->ep_stats[ep].attempts++;
	if (curl_easy_setopt(k->easy, CURLOPT_URL, k->url) != CURLE_OK ||
	    curl_easy_setopt(k->easy, CURLOPT_TIMEOUT_MS, (long)t) != CURLE_OK ||
	    curl_multi_add_handle(c->multi, k->easy) != CURLM_OK) {
		r->status = ETCD_E_NOMEM;
		snprintf(r->error, sizeof(r->error), "%s: libcurl refused the request", c->endpoints[ep]);
		return -1;
	}
	k->in_multi = true;
	return 0;
}

/* What a finished try's CURLcode means. */
static enum etcd_status classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return ETCD_E_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return ETCD_E_TIMEOUT;
	case CURLE_OUT_OF_MEMORY:
		return ETCD_E_NOMEM;
	default:
		return ETCD_E_TRANSPORT;
	}
}

/* A try ended (libcurl's CURLMSG_DONE): parse, then finish or move on. */
static void attempt_done(struct etcd_call *k, CURLcode rc)
{
	struct etcd_client *c = k->c;
	struct etcd_result r = { .status = ETCD_OK };
	detach_easy(k);
	if (rc == CURLE_OK) {
		long http = 0;
		curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &http);
		etcd_parse_response(&k->rq, http, k->resp, k->resp_len, &r);
	} else if ((rc == CURLE_WRITE_ERROR && k->too_big) || rc == CURLE_FILESIZE_EXCEEDED) {
		r.status = ETCD_E_MALFORMED;
		snprintf(r.error, sizeof(r.error), "an answer over %u bytes", ETCD_BODY_MAX);
	} else if (rc == CURLE_WRITE_ERROR && k->resp_nomem) {
		r.status = ETCD_E_NOMEM;
		snprintf(r.error, sizeof(r.error), "out of memory for the answer");
	} else {
		r.status = classify(rc);
		say(r.error, sizeof(r.error), "%s", k->curl_err[0] ? k->curl_err : curl_easy_strerror(rc));
	}
	if (r.status != ETCD_OK)
		name_endpoint(k, &r);
	if (r.status != ETCD_OK && etcd_result_retryable(&r)) {
		count_failure(k, r.status);
		if (k->tried < c->n_endpoints) {
			struct etcd_result next = { .status = ETCD_OK };
			c->stats.failovers++;
			etcd_result_clear(&r);
			if (start_attempt(k, (k->ep + 1) % c->n_endpoints, &next) == 0)
				return;
			r = next;
		} else if (c->n_endpoints > 1) {
			char tmp[ETCD_ERROR_MAX];
			say(tmp, sizeof(tmp), "all %zu endpoints failed; last %s", c->n_endpoints,
			    r.error);
			memcpy(r.error, tmp, sizeof(tmp));
		}
	} else {
		/* A definite answer: this member works. */
		c->ep_stats[k->ep].last_status = r.status;
		if (r.status != ETCD_OK)
			c->stats.attempt_errors[r.status]++;
		c->preferred = k->ep;
	}
	finish(k, &r);
}

/* Hand every finished transfer to its call. Stops when the client is
 * being freed (a callback did it). */
static void drain(struct etcd_client *c)
{
	CURLMsg *m;
	int left;
	while (!c->freeing && (m = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		/* m is invalid once its handle is removed: copy first. */
		CURL *easy = m->easy_handle;
		CURLcode rc = m->data.result;
		char *priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		if (priv)
			attempt_done((struct etcd_call *)(void *)priv, rc);
	}
}

/* ---- libcurl's callbacks ----------------------------------------------------------- */

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	struct etcd_sock *s = container_of(w, struct etcd_sock, io);
	struct etcd_client *c = s->c;
	curl_socket_t fd = s->fd; /* s may be freed inside the action */
	int action = (revents & EV_READ ? CURL_CSELECT_IN : 0) |
		     (revents & EV_WRITE ? CURL_CSELECT_OUT : 0) |
		     (revents & EV_ERROR ? CURL_CSELECT_ERR : 0);
	int running = 0;
	enter(c);
	curl_multi_socket_action(c->multi, fd, action, &running);
	drain(c);
	leave(c);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct etcd_client *c = container_of(w, struct etcd_client, timer);
	int running = 0;
	enter(c);
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(c);
	leave(c);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what libcurl wants, or stop. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)easy;
	struct etcd_client *c = userp;
	struct etcd_sock *s = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			ev_io_stop(c->loop, &s->io);
			if (s->prev)
				s->prev->next = s->next;
			else
				c->socks = s->next;
			if (s->next)
				s->next->prev = s->prev;
			free(s);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1; /* libcurl fails that transfer */
		s->c = c;
		s->fd = fd;
		ev_init(&s->io, on_io);
		s->next = c->socks;
		if (c->socks)
			c->socks->prev = s;
		c->socks = s;
		curl_multi_assign(c->multi, fd, s);
	}
	int events = (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
	ev_io_stop(c->loop, &s->io);
	ev_io_set(&s->io, fd, events);
	if (events)
		ev_io_start(c->loop, &s->io);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timeout, -1 = none. Never calls libcurl
 * from here (not allowed inside its callback): a 0 ms timer runs the
 * action from the loop. */
static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct etcd_client *c = userp;
	ev_timer_stop(c->loop, &c->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&c->timer, (double)timeout_ms / 1000.0, 0.);
		ev_timer_start(c->loop, &c->timer);
	}
	return 0;
}

/* CURLOPT_WRITEFUNCTION: collect the answer, at most ETCD_BODY_MAX bytes
 * (returning less than given makes libcurl fail the try). */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct etcd_call *k = userdata;
	size_t n = size * nmemb;
	if (n > ETCD_BODY_MAX || k->resp_len + n > ETCD_BODY_MAX) {
		k->too_big = true;
		return 0;
	}
	if (k->resp_len + n > k->resp_cap) {
		size_t cap = k->resp_cap ? k->resp_cap : 1024;
		while (cap < k->resp_len + n)
			cap *= 2;
		char *p = realloc(k->resp, cap);
		if (!p) {
			k->resp_nomem = true;
			return 0;
		}
		k->resp = p;
		k->resp_cap = cap;
	}
	memcpy(k->resp + k->resp_len, ptr, n);
	k->resp_len += n;
	return n;
}

/* The request's own deadline: whatever libcurl is doing, it ends now. */
static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct etcd_call *k = container_of(w, struct etcd_call, deadline);
	struct etcd_client *c = k->c;
	/* libev counts from the loop's cached time, which lags when the
	 * submit came late in a busy turn: never end a request early. */
	uint64_t now = monotime_ms();
	if (now < k->deadline_at_ms) {
		ev_timer_set(w, (double)(k->deadline_at_ms - now) / 1000.0, 0.);
		ev_timer_start(c->loop, w);
		return;
	}
	struct etcd_result r = { .status = ETCD_E_TIMEOUT };
	if (k->in_multi)
		count_failure(k, ETCD_E_TIMEOUT);
	deadline_result(k, &r);
	enter(c);
	finish(k, &r);
	leave(c);
}

/* ---- the client --------------------------------------------------------------------- */

int etcd_client_new(struct etcd_client **out, struct ev_loop *loop,
		    const struct etcd_client_conf *conf, char *err, size_t errlen)
{
	*out = NULL;
	if (!loop || !conf || !conf->endpoints || conf->n_endpoints == 0 ||
	    conf->n_endpoints > ETCD_ENDPOINTS_MAX) {
		snprintf(err, errlen, "etcd: 1 to %u endpoints", ETCD_ENDPOINTS_MAX);
		return -EINVAL;
	}
	struct etcd_client *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < conf->n_endpoints; i++) {
		int rc = etcd_endpoint_check(conf->endpoints[i], c->endpoints[i], err, errlen);
		if (rc < 0) {
			free(c);
			return rc;
		}
	}
	c->n_endpoints = conf->n_endpoints;
	c->attempt_timeout_ms = conf->attempt_timeout_ms ? conf->attempt_timeout_ms
							 : ETCD_ATTEMPT_TIMEOUT_DEFAULT_MS;
	c->loop = loop;
	c->next_id = 1;
	ev_init(&c->timer, on_timer);
	c->multi = curl_multi_init();
	/* "Expect:" off: no 100-continue round trip for a large body. */
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	c->headers = h ? curl_slist_append(h, "Expect:") : NULL;
	if (!c->headers)
		curl_slist_free_all(h);
	if (!c->multi || !c->headers ||
	    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_set) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK) {
		snprintf(err, errlen, "etcd: libcurl refused its setup");
		destroy(c);
		return -EIO;
	}
	*out = c;
	return 0;
}

void etcd_cancel_all(struct etcd_client *c)
{
	while (c && c->calls) {
		struct etcd_call *k = c->calls;
		unlink_call(k);
		free_call(k);
		c->stats.cancelled++;
	}
}

static void destroy(struct etcd_client *c)
{
	etcd_cancel_all(c);
	/* libcurl closes its cached connections here, telling on_socket to
	 * stop watching each (the client is still whole for that). */
	if (c->multi)
		curl_multi_cleanup(c->multi);
	while (c->socks) {
		struct etcd_sock *s = c->socks;
		c->socks = s->next;
		ev_io_stop(c->loop, &s->io);
		free(s);
	}
	ev_timer_stop(c->loop, &c->timer);
	curl_slist_free_all(c->headers);
	free(c);
}

void etcd_client_free(struct etcd_client *c)
{
	if (!c || c->freeing)
		return;
	c->freeing = true;
	if (c->depth == 0) {
		destroy(c);
		return;
	}
	/* Inside one of our callbacks: end the requests now (no callback
	 * for any of them), free the rest when the outermost frame returns. */
	etcd_cancel_all(c);
}

/* A fresh easy handle for k, with everything but the URL and timeout. */
static CURL *make_easy(struct etcd_call *k)
{
	CURL *e = curl_easy_init();
	if (!e)
		return NULL;
	bool ok = curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)k) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
		  /* Never a proxy from the environment (http_proxy): etcd is
		   * spoken to directly or not at all. */
		  curl_easy_setopt(e, CURLOPT_PROXY, "") == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http") == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_HTTPHEADER, k->c->headers) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_POSTFIELDS, k->body) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(k->body)) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_MAXFILESIZE, (long)ETCD_BODY_MAX) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)k) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, k->curl_err) == CURLE_OK;
	if (!ok) {
		curl_easy_cleanup(e);
		return NULL;
	}
	return e;
}

int etcd_submit(struct etcd_client *c, const struct etcd_request *rq, uint32_t deadline_ms,
		etcd_done_fn done, void *ctx, uint64_t *id, char *err, size_t errlen)
{
	if (id)
		*id = 0;
	if (!c || c->freeing || !done) {
		snprintf(err, errlen, "etcd: no client or no callback");
		return -EINVAL;
	}
	if (deadline_ms == 0 || deadline_ms > ETCD_DEADLINE_MAX_MS) {
		snprintf(err, errlen, "etcd: deadline %u ms is not 1..%u", (unsigned)deadline_ms,
			 ETCD_DEADLINE_MAX_MS);
		return -EINVAL;
	}
	if (c->n_calls >= ETCD_PENDING_MAX) {
		snprintf(err, errlen, "etcd: %u requests pending already", ETCD_PENDING_MAX);
		return -EBUSY;
	}
	struct etcd_call *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->c = c;
	int rc = etcd_request_body(rq, &k->body, err, errlen);
	if (rc < 0) {
		free(k);
		return rc;
	}
	/* Keep the key: the parser checks the answer against it. */
	k->rq = *rq;
	k->rq.value = NULL;
	k->rq.value_len = 0;
	if (rq->key) {
		size_t n = rq->key_len ? rq->key_len : strlen(rq->key);
		k->keybuf = malloc(n + 1);
		if (!k->keybuf) {
			free(k->body);
			free(k);
			return -ENOMEM;
		}
		memcpy(k->keybuf, rq->key, n);
		k->keybuf[n] = '\0';
		k->rq.key = k->keybuf;
		k->rq.key_len = n;
	}
	k->easy = make_easy(k);
	if (!k->easy) {
		snprintf(err, errlen, "etcd: libcurl refused the request");
		free(k->keybuf);
		free(k->body);
		free(k);
		return -EIO;
	}
	k->id = c->next_id++;
	k->done = done;
	k->ctx = ctx;
	k->deadline_ms = deadline_ms;
	k->t0_ms = monotime_ms();
	k->deadline_at_ms = k->t0_ms + deadline_ms;
	ev_timer_init(&k->deadline, on_deadline, deadline_ms / 1000.0, 0.);
	k->next = c->calls;
	if (c->calls)
		c->calls->prev = k;
	c->calls = k;
	c->n_calls++;
	struct etcd_result r = { .status = ETCD_OK };
	/* Adding the handle only arms libcurl's timer (on_timer_set): the
	 * connect starts from the loop, so no result can come from here. */
	if (start_attempt(k, c->preferred, &r) < 0) {
		unlink_call(k);
		free_call(k);
		snprintf(err, errlen, "%s", r.error);
		return -EIO;
	}
	ev_timer_start(c->loop, &k->deadline);
	c->stats.requests++;
	if (id)
		*id = k->id;
	return 0;
}

int etcd_cancel(struct etcd_client *c, uint64_t id)
{
	for (struct etcd_call *k = c ? c->calls : NULL; k; k = k->next) {
		if (k->id == id) {
			unlink_call(k);
			free_call(k);
			c->stats.cancelled++;
			return 0;
		}
	}
	return -ENOENT;
}

size_t etcd_pending(const struct etcd_client *c)
{
	return c ? c->n_calls : 0;
}

const struct etcd_stats *etcd_client_stats(const struct etcd_client *c)
{
	return &c->stats;
}

size_t etcd_client_endpoints(const struct etcd_client *c)
{
	return c->n_endpoints;
}

const char *etcd_client_endpoint(const struct etcd_client *c, size_t i)
{
	return i < c->n_endpoints ? c->endpoints[i] : NULL;
}

const struct etcd_endpoint_stats *etcd_client_endpoint_stats(const struct etcd_client *c, size_t i)
{
	return i < c->n_endpoints ? &c->ep_stats[i] : NULL;
}

size_t etcd_client_preferred(const struct etcd_client *c)
{
	return c->preferred;
}
