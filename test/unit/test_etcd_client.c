// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of agent/etcd_client.c on a private loop: endpoints checked,
// then fake members served by this test on 127.0.0.1 from the same loop
// (a small accept/read/write server that answers, answers garbage, stalls,
// closes, says "no leader", or refuses the connection): results, deadlines,
// the rotation to the next endpoint and its memory, counters, cancelling,
// freeing inside a callback, no thread. Last, a real etcd 3.4 started by
// the test on loopback ports with a temp data dir: grant, create-if-absent
// won and lost (naming the holder), keepalive, revoke, the key gone after.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "etcd_client.h"
#include "test_util.h"

#define GUARD_S 10.0

/* ---- endpoints ----------------------------------------------------------- */

static void test_endpoint_check(void **state)
{
	(void)state;
	static const struct {
		const char *in, *norm;
	} ok[] = {
		{ "http://127.0.0.1:2379", "http://127.0.0.1:2379" },
		{ "http://10.0.0.5:1/", "http://10.0.0.5:1" },
		{ "http://[::1]:2379", "http://[::1]:2379" },
		{ "http://[2001:db8:0:0::1]:65535", "http://[2001:db8::1]:65535" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char norm[ETCD_ENDPOINT_MAX], err[200] = "";
		if (etcd_endpoint_check(ok[i].in, norm, err, sizeof(err)) != 0)
			fail_msg("%s: %s", ok[i].in, err);
		assert_string_equal(norm, ok[i].norm);
	}
	static const struct {
		const char *in, *err;
	} bad[] = {
		{ "https://127.0.0.1:2379",
		  "endpoint 'https://127.0.0.1:2379': must start with http:// (no TLS settings yet)" },
		{ "127.0.0.1:2379", "endpoint '127.0.0.1:2379': must start with http:// (no TLS settings yet)" },
		{ "http://etcd1:2379",
		  "endpoint 'http://etcd1:2379': 'etcd1' is not an IPv4 address (no name lookups on the event loop)" },
		{ "http://localhost:2379",
		  "endpoint 'http://localhost:2379': 'localhost' is not an IPv4 address (no name lookups on the event loop)" },
		{ "http://[::1:2379", "endpoint 'http://[::1:2379': an IPv6 address goes in [brackets]" },
		{ "http://[fe80::1%eth0]:2379",
		  "endpoint 'http://[fe80::1%eth0]:2379': 'fe80::1%eth0' is not an IPv6 address (no name lookups on the event loop)" },
		{ "http://127.0.0.1", "endpoint 'http://127.0.0.1': needs a port (http://IP:PORT)" },
		{ "http://127.0.0.1/", "endpoint 'http://127.0.0.1/': needs a port (http://IP:PORT)" },
		{ "http://127.0.0.1:", "endpoint 'http://127.0.0.1:': the port is not 1..65535" },
		{ "http://127.0.0.1:0", "endpoint 'http://127.0.0.1:0': the port is not 1..65535" },
		{ "http://127.0.0.1:02379", "endpoint 'http://127.0.0.1:02379': the port is not 1..65535" },
		{ "http://127.0.0.1:65536", "endpoint 'http://127.0.0.1:65536': the port is not 1..65535" },
		{ "http://127.0.0.1:999999", "endpoint 'http://127.0.0.1:999999': the port is not 1..65535" },
		{ "http://127.0.0.1:2379/v3", "endpoint 'http://127.0.0.1:2379/v3': unexpected '/v3' after the port" },
		{ "http://127.0.0.1:2379?x", "endpoint 'http://127.0.0.1:2379?x': unexpected '?x' after the port" },
		{ "http://user@127.0.0.1:2379",
		  "endpoint 'http://user@127.0.0.1:2379': 'user@127.0.0.1' is not an IPv4 address (no name lookups on the event loop)" },
		{ "", "endpoint '': must start with http:// (no TLS settings yet)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char norm[ETCD_ENDPOINT_MAX], err[200] = "";
		assert_int_equal(etcd_endpoint_check(bad[i].in, norm, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].err);
	}
	char norm[ETCD_ENDPOINT_MAX], err[200];
	assert_int_equal(etcd_endpoint_check(NULL, norm, err, sizeof(err)), -EINVAL);
}

/* ---- a fake member ------------------------------------------------------- */

enum fake_mode {
	FAKE_ANSWER,  /* status and body as set */
	FAKE_GARBAGE, /* 200 with a body that is not JSON */
	FAKE_STALL,   /* read the request, never answer */
	FAKE_CLOSE,   /* read the request, close without a word */
	FAKE_BIG,     /* announce a body of 2 MiB */
};

struct fake_conn {
	ev_io io;
	int fd;
	struct fake *f;
	char buf[16384];
	size_t len;
	struct fake_conn *next;
};

struct fake {
	struct ev_loop *loop;
	int lfd;
	uint16_t port;
	char url[48];
	ev_io accept_w;
	enum fake_mode mode;
	long status;
	const char *body;
	int requests;         /* whole requests read */
	int connections;      /* accepted */
	char path[64];        /* of the last request */
	char req[4096];       /* its body */
	struct fake_conn *conns;
};

static void conn_close(struct fake_conn *fc)
{
	struct fake *f = fc->f;
	for (struct fake_conn **p = &f->conns; *p; p = &(*p)->next) {
		if (*p == fc) {
			*p = fc->next;
			break;
		}
	}
	ev_io_stop(f->loop, &fc->io);
	close(fc->fd);
	free(fc);
}

static void send_all(int fd, const char *s, size_t n)
{
	/* Small answers into an empty socket buffer: one send suffices. */
	ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
	(void)w;
}

/* Act on one whole request: returns false when the connection is gone. */
static bool fake_answer(struct fake_conn *fc)
{
	struct fake *f = fc->f;
	char head[256];
	switch (f->mode) {
	case FAKE_ANSWER: {
		int n = snprintf(head, sizeof(head),
				 "HTTP/1.1 %ld X\r\nContent-Type: application/json\r\n"
				 "Content-Length: %zu\r\n\r\n",
				 f->status, strlen(f->body));
		send_all(fc->fd, head, (size_t)n);
		send_all(fc->fd, f->body, strlen(f->body));
		return true;
	}
	case FAKE_GARBAGE: {
		static const char g[] = "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\ngarbage: no json";
		send_all(fc->fd, g, sizeof(g) - 1);
		return true;
	}
	case FAKE_BIG: {
		static const char g[] = "HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\n\r\n{\"header\":";
		send_all(fc->fd, g, sizeof(g) - 1);
		return true;
	}
	case FAKE_STALL:
		ev_io_stop(f->loop, &fc->io); /* keep it open, read no more */
		return true;
	case FAKE_CLOSE:
		conn_close(fc);
		return false;
	}
	return true;
}

static void fake_read(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct fake_conn *fc = w->data;
	ssize_t n = recv(fc->fd, fc->buf + fc->len, sizeof(fc->buf) - 1 - fc->len, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_close(fc);
		return;
	}
	fc->len += (size_t)n;
	fc->buf[fc->len] = '\0';
	for (;;) {
		char *end = strstr(fc->buf, "\r\n\r\n");
		if (!end)
			return;
		size_t hlen = (size_t)(end - fc->buf) + 4;
		size_t clen = 0;
		for (char *p = fc->buf; p < end; p++)
			if (strncasecmp(p, "\r\ncontent-length:", 17) == 0)
				clen = strtoul(p + 17, NULL, 10);
		if (fc->len < hlen + clen)
			return;
		struct fake *f = fc->f;
		sscanf(fc->buf, "POST %63s", f->path);
		size_t bl = clen < sizeof(f->req) - 1 ? clen : sizeof(f->req) - 1;
		memcpy(f->req, fc->buf + hlen, bl);
		f->req[bl] = '\0';
		f->requests++;
		memmove(fc->buf, fc->buf + hlen + clen, fc->len - hlen - clen);
		fc->len -= hlen + clen;
		fc->buf[fc->len] = '\0';
		if (!fake_answer(fc) || f->mode == FAKE_STALL)
			return;
	}
}

static void fake_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	struct fake *f = w->data;
	int fd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct fake_conn *fc = calloc(1, sizeof(*fc));
	assert_non_null(fc);
	fc->fd = fd;
	fc->f = f;
	fc->next = f->conns;
	f->conns = fc;
	f->connections++;
	ev_io_init(&fc->io, fake_read, fd, EV_READ);
	fc->io.data = fc;
	ev_io_start(loop, &fc->io);
}

/* A socket bound to 127.0.0.1 on a free port; listening if listen_too
 * (else connections to it are refused). */
static int bound_socket(bool listen_too, uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listen_too)
		assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void fake_start(struct fake *f, struct ev_loop *loop, enum fake_mode mode)
{
	memset(f, 0, sizeof(*f));
	f->loop = loop;
	f->mode = mode;
	f->status = 200;
	f->lfd = bound_socket(true, &f->port);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", (unsigned)f->port);
	ev_io_init(&f->accept_w, fake_accept, f->lfd, EV_READ);
	f->accept_w.data = f;
	ev_io_start(loop, &f->accept_w);
}

static void fake_stop(struct fake *f)
{
	if (!f->loop)
		return;
	while (f->conns)
		conn_close(f->conns);
	ev_io_stop(f->loop, &f->accept_w);
	close(f->lfd);
	f->loop = NULL;
}

/* ---- fixture ----------------------------------------------------------- */

/* What a result said, copied out of the callback. */
struct got {
	int calls;
	bool done;
	uint64_t id;
	enum etcd_status status;
	char error[ETCD_ERROR_MAX];
	long http;
	int grpc;
	int64_t lease, ttl, count, revision;
	bool succeeded, lease_found, more;
	size_t nkvs;
	char key[64], value[64];
	int64_t kv_lease, kv_create;
	int endpoint;
	unsigned attempts;
	uint64_t elapsed_ms;
};

static void on_done(struct etcd_client *c, uint64_t id, const struct etcd_result *r, void *ctx)
{
	(void)c;
	struct got *g = ctx;
	g->calls++;
	g->done = true;
	g->id = id;
	g->status = r->status;
	snprintf(g->error, sizeof(g->error), "%s", r->error);
	g->http = r->http_status;
	g->grpc = r->grpc_code;
	g->lease = r->lease;
	g->ttl = r->ttl;
	g->count = r->count;
	g->revision = r->header.revision;
	g->succeeded = r->succeeded;
	g->lease_found = r->lease_found;
	g->more = r->more;
	g->nkvs = r->nkvs;
	g->key[0] = g->value[0] = '\0';
	g->kv_lease = g->kv_create = 0;
	if (r->nkvs) {
		snprintf(g->key, sizeof(g->key), "%s", r->kvs[0].key);
		snprintf(g->value, sizeof(g->value), "%s", r->kvs[0].value);
		g->kv_lease = r->kvs[0].lease;
		g->kv_create = r->kvs[0].create_revision;
	}
	g->endpoint = r->endpoint;
	g->attempts = r->attempts;
	g->elapsed_ms = r->elapsed_ms;
}

struct real_etcd {
	struct tu_dir dir;
	pid_t pid;
	char url[48];
};

struct fixture {
	struct ev_loop *loop;
	struct real_etcd etcd;      /* test_real_etcd's, stopped by teardown */
	struct fake fakes[3];
	int refused_fd;
	char refused_url[48];
	struct etcd_client *c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(f->loop);
	uint16_t port;
	f->refused_fd = bound_socket(false, &port);
	snprintf(f->refused_url, sizeof(f->refused_url), "http://127.0.0.1:%u", (unsigned)port);
	*state = f;
	return 0;
}

static void etcd_stop(struct real_etcd *e);

static int teardown(void **state)
{
	struct fixture *f = *state;
	etcd_client_free(f->c);
	etcd_stop(&f->etcd);
	for (size_t i = 0; i < 3; i++)
		fake_stop(&f->fakes[i]);
	close(f->refused_fd);
	ev_loop_destroy(f->loop);
	free(f);
	return 0;
}

/* A client for these endpoints (NULL-terminated list). */
static void client(struct fixture *f, uint32_t attempt_ms, ...)
{
	const char *eps[ETCD_ENDPOINTS_MAX];
	size_t n = 0;
	va_list ap;
	va_start(ap, attempt_ms);
	for (const char *e; (e = va_arg(ap, const char *)) != NULL;)
		eps[n++] = e;
	va_end(ap);
	struct etcd_client_conf conf = { .endpoints = eps, .n_endpoints = n,
					 .attempt_timeout_ms = attempt_ms };
	char err[200] = "";
	if (etcd_client_new(&f->c, f->loop, &conf, err, sizeof(err)) != 0)
		fail_msg("etcd_client_new: %s", err);
}

static const struct etcd_request GRANT = { .op = ETCD_OP_LEASE_GRANT, .ttl = 5 };

#define GRANT_ANSWER                                                                  \
	"{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"3\"," \
	"\"raft_term\":\"4\"},\"ID\":\"77\",\"TTL\":\"5\"}"

/* Submit rq, assert that no result comes from inside etcd_submit, run the
 * loop until the result. */
static void request(struct fixture *f, const struct etcd_request *rq, uint32_t deadline_ms,
		    struct got *g)
{
	memset(g, 0, sizeof(*g));
	uint64_t id = 0;
	char err[200] = "";
	if (etcd_submit(f->c, rq, deadline_ms, on_done, g, &id, err, sizeof(err)) != 0)
		fail_msg("etcd_submit: %s", err);
	assert_true(id > 0);
	assert_int_equal(g->calls, 0);
	assert_true(tu_run_until_flag(f->loop, &g->done, GUARD_S));
	assert_int_equal(g->calls, 1);
	assert_true(g->id == id);
	/* exactly once: nothing more comes */
	tu_run_for(f->loop, 0.02);
	assert_int_equal(g->calls, 1);
}

/* ---- the transport against fake members ------------------------------------- */

static void test_answer(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_ANSWER);
	f->fakes[0].body = GRANT_ANSWER;
	client(f, 0, f->fakes[0].url, NULL);
	struct got g;
	request(f, &GRANT, 1000, &g);
	assert_int_equal(g.status, ETCD_OK);
	assert_string_equal(g.error, "");
	assert_int_equal(g.lease, 77);
	assert_int_equal(g.ttl, 5);
	assert_int_equal(g.revision, 3);
	assert_int_equal(g.http, 200);
	assert_int_equal(g.endpoint, 0);
	assert_int_equal(g.attempts, 1);
	assert_true(g.elapsed_ms < 1000);
	/* What the member was sent. */
	assert_int_equal(f->fakes[0].requests, 1);
	assert_string_equal(f->fakes[0].path, "/v3/lease/grant");
	assert_string_equal(f->fakes[0].req, "{\"TTL\":\"5\"}");
	/* A second request reuses the connection. */
	request(f, &GRANT, 1000, &g);
	assert_int_equal(g.status, ETCD_OK);
	assert_int_equal(f->fakes[0].requests, 2);
	assert_int_equal(f->fakes[0].connections, 1);
	const struct etcd_stats *s = etcd_client_stats(f->c);
	assert_int_equal(s->requests, 2);
	assert_int_equal(s->ok, 2);
	assert_int_equal(s->failed, 0);
	assert_int_equal(s->attempts, 2);
	assert_int_equal(s->failovers, 0);
	assert_int_equal(s->results[ETCD_OK], 2);
	assert_int_equal(etcd_pending(f->c), 0);
	assert_int_equal(etcd_client_endpoint_stats(f->c, 0)->attempts, 2);
	assert_int_equal(etcd_client_endpoint_stats(f->c, 0)->failures, 0);
	assert_string_equal(etcd_client_endpoint(f->c, 0), f->fakes[0].url);
	assert_null(etcd_client_endpoint(f->c, 1));
	assert_null(etcd_client_endpoint_stats(f->c, 1));
	assert_int_equal(etcd_client_endpoints(f->c), 1);
}

static void test_garbage(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_GARBAGE);
	client(f, 0, f->fakes[0].url, NULL);
	struct got g;
	request(f, &GRANT, 1000, &g);
	assert_int_equal(g.status, ETCD_E_MALFORMED);
	char want[200];
	snprintf(want, sizeof(want), "%s: malformed answer to lease_grant: not JSON (unexpected character)",
		 f->fakes[0].url);
	assert_string_equal(g.error, want);
	assert_int_equal(g.lease, 0);
	const struct etcd_stats *s = etcd_client_stats(f->c);
	assert_int_equal(s->failed, 1);
	assert_int_equal(s->results[ETCD_E_MALFORMED], 1);
	assert_int_equal(s->attempt_errors[ETCD_E_MALFORMED], 1);
	assert_int_equal(etcd_client_endpoint_stats(f->c, 0)->failures, 1);
	assert_int_equal(etcd_client_endpoint_stats(f->c, 0)->last_status, ETCD_E_MALFORMED);
}

static void test_big_answer(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_BIG);
	client(f, 0, f->fakes[0].url, NULL);
	struct got g;
	request(f, &GRANT, 1000, &g);
	assert_int_equal(g.status, ETCD_E_MALFORMED);
	char want[200];
	snprintf(want, sizeof(want), "%s: an answer over 1048576 bytes", f->fakes[0].url);
	assert_string_equal(g.error, want);
}

/* A stalled member: the request's own deadline ends it, on time. */
static void test_stall_deadline(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_STALL);
	client(f, 5000, f->fakes[0].url, NULL);
	struct got g;
	request(f, &GRANT, 300, &g);
	assert_int_equal(g.status, ETCD_E_TIMEOUT);
	char want[200];
	snprintf(want, sizeof(want), "no answer within 300 ms (1 endpoint tried, last %s)",
		 f->fakes[0].url);
	assert_string_equal(g.error, want);
	assert_true(g.elapsed_ms >= 300 && g.elapsed_ms < 2000);
	assert_int_equal(f->fakes[0].requests, 1); /* it was asked, and said nothing */
	const struct etcd_stats *s = etcd_client_stats(f->c);
	assert_int_equal(s->results[ETCD_E_TIMEOUT], 1);
	assert_int_equal(s->attempt_errors[ETCD_E_TIMEOUT], 1);
	assert_int_equal(etcd_pending(f->c), 0);
}

/* A stalled first member: its try times out, the next one answers, and
 * is the first one asked from then on. */
static void test_stall_rotation(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_STALL);
	fake_start(&f->fakes[1], f->loop, FAKE_ANSWER);
	f->fakes[1].body = GRANT_ANSWER;
	client(f, 200, f->fakes[0].url, f->fakes[1].url, NULL);
	assert_int_equal(etcd_client_preferred(f->c), 0);
	struct got g;
	request(f, &GRANT, 3000, &g);
	assert_int_equal(g.status, ETCD_OK);
	assert_int_equal(g.lease, 77);
	assert_int_equal(g.endpoint, 1);
	assert_int_equal(g.attempts, 2);
	assert_true(g.elapsed_ms >= 200 && g.elapsed_ms < 2500);
	assert_int_equal(f->fakes[0].requests, 1);
	assert_int_equal(f->fakes[1].requests, 1);
	assert_int_equal(etcd_client_preferred(f->c), 1);
	const struct etcd_stats *s = etcd_client_stats(f->c);
	assert_int_equal(s->attempts, 2);
	assert_int_equal(s->failovers, 1);
	assert_int_equal(s->attempt_errors[ETCD_E_TIMEOUT], 1);
	assert_int_equal(s->ok, 1);
	assert_int_equal(etcd_client_endpoint_stats(f->c, 0)->last_status, ETCD_E_TIMEOUT);
	assert_int_equal(etcd_client_endpoint_stats(f->c, 1)->last_status, ETCD_OK);
	/* Remembered: the next request goes straight to the good one. */
	request(f, &GRANT, 3000, &g);
	assert_int_equal(g.status, ETCD_OK);
	assert_int_equal(g.endpoint, 1);
	assert_int_equal(g.attempts, 1);
	assert_int_equal(f->fakes[0].requests, 1);
	assert_int_equal(f->fakes[1].requests, 2);
}

/* Refused, then closed without an answer, then a good one. */
static void test_refused_and_closed(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_CLOSE);
	fake_start(&f->fakes[1], f->loop, FAKE_ANSWER);
	f->fakes[1].body = GRANT_ANSWER;
	client(f, 3000, f->refused_url, f->fakes[0].url, f->fakes[1].url, NULL);
	struct got g;
	request(f, &GRANT, 5000, &g);
	assert_int_equal(g.status, ETCD_OK);
	assert_int_equal(g.endpoint, 2);
	assert_int_equal(g.attempts, 3);
	assert_true(g.elapsed_ms < 2500); /* neither failure waits for a timeout */
	const struct etcd_stats *s = etcd_client_stats(f->c);
	assert_int_equal(s->attempt_errors[ETCD_E_CONNECT], 1);
	assert_int_equal(s->attempt_errors[ETCD_E_TRANSPORT], 1);
	assert_int_equal(s->failovers, 2);
	assert_int_equal(etcd_client_preferred(f->c), 2);
}

/* Every endpoint fails: the last error, saying so. */
static void test_all_fail(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_CLOSE);
	fake_start(&f->fakes[1], f->loop, FAKE_GARBAGE);
	client(f, 1000, f->fakes[0].url, f->refused_url, f->fakes[1].url, NULL);
	struct got g;
	request(f, &GRANT, 3000, &g);
	assert_int_equal(g.status, ETCD_E_MALFORMED);
	char want[200];
	snprintf(want, sizeof(want),
		 "all 3 endpoints failed; last %s: malformed answer to lease_grant: not JSON (unexpected character)",
		 f->fakes[1].url);
	assert_string_equal(g.error, want);
	assert_int_equal(g.attempts, 3);
	assert_int_equal(etcd_client_preferred(f->c), 0); /* nobody answered: unchanged */
	/* A single refused endpoint: a connect error, at once. */
	etcd_client_free(f->c);
	client(f, 3000, f->refused_url, NULL);
	request(f, &GRANT, 5000, &g);
	assert_int_equal(g.status, ETCD_E_CONNECT);
	assert_non_null(strstr(g.error, f->refused_url));
	assert_true(g.elapsed_ms < 2500);
}

/* "No leader" sends the request on; a definite error does not. */
static void test_unavailable_and_definite(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_ANSWER);
	f->fakes[0].status = 503;
	f->fakes[0].body = "{\"error\":\"etcdserver: no leader\",\"message\":\"etcdserver: no leader\",\"code\":14}";
	fake_start(&f->fakes[1], f->loop, FAKE_ANSWER);
	f->fakes[1].status = 404;
	f->fakes[1].body = "{\"error\":\"etcdserver: requested lease not found\","
			   "\"message\":\"etcdserver: requested lease not found\",\"code\":5}";
	fake_start(&f->fakes[2], f->loop, FAKE_ANSWER);
	f->fakes[2].body = GRANT_ANSWER;
	client(f, 1000, f->fakes[0].url, f->fakes[1].url, f->fakes[2].url, NULL);
	struct etcd_request create = { .op = ETCD_OP_CREATE, .key = "vigil/leader/db",
				       .value = "node-a", .lease = 77 };
	struct got g;
	request(f, &create, 3000, &g);
	assert_int_equal(g.status, ETCD_E_SERVER);
	assert_int_equal(g.grpc, 5);
	assert_int_equal(g.http, 404);
	char want[200];
	snprintf(want, sizeof(want), "%s: etcd: etcdserver: requested lease not found (code 5, HTTP 404)",
		 f->fakes[1].url);
	assert_string_equal(g.error, want);
	assert_int_equal(g.endpoint, 1);
	assert_int_equal(g.attempts, 2);
	assert_int_equal(f->fakes[2].requests, 0);
	assert_string_equal(f->fakes[1].path, "/v3/kv/txn");
	const struct etcd_stats *s = etcd_client_stats(f->c);
	assert_int_equal(s->attempt_errors[ETCD_E_SERVER], 2);
	assert_int_equal(s->results[ETCD_E_SERVER], 1);
	assert_int_equal(etcd_client_preferred(f->c), 1); /* it answered */
}

/* Cancelled and freed requests never call back. */
static void test_cancel_and_free(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_STALL);
	client(f, 0, f->fakes[0].url, NULL);
	struct got g1 = { 0 }, g2 = { 0 }, g3 = { 0 };
	uint64_t id1, id2, id3;
	char err[200];
	assert_int_equal(etcd_submit(f->c, &GRANT, 300, on_done, &g1, &id1, err, sizeof(err)), 0);
	assert_int_equal(etcd_submit(f->c, &GRANT, 300, on_done, &g2, &id2, err, sizeof(err)), 0);
	assert_int_equal(etcd_submit(f->c, &GRANT, 300, on_done, &g3, &id3, err, sizeof(err)), 0);
	assert_true(id1 != id2 && id2 != id3);
	assert_int_equal(etcd_pending(f->c), 3);
	tu_run_for(f->loop, 0.05);
	assert_int_equal(etcd_cancel(f->c, id2), 0);
	assert_int_equal(etcd_cancel(f->c, id2), -ENOENT);
	assert_int_equal(etcd_cancel(f->c, 9999), -ENOENT);
	assert_int_equal(etcd_pending(f->c), 2);
	assert_true(tu_run_until_count(f->loop, &g1.calls, 1, GUARD_S));
	tu_run_for(f->loop, 0.1);
	assert_int_equal(g1.calls, 1);
	assert_int_equal(g2.calls, 0);
	assert_int_equal(g3.calls, 1);
	assert_int_equal(etcd_cancel(f->c, id1), -ENOENT); /* finished */
	/* Freeing with requests pending: no callbacks, nothing left on the loop. */
	struct got g4 = { 0 };
	assert_int_equal(etcd_submit(f->c, &GRANT, 300, on_done, &g4, NULL, err, sizeof(err)), 0);
	assert_int_equal(etcd_client_stats(f->c)->cancelled, 1);
	etcd_client_free(f->c);
	f->c = NULL;
	tu_run_for(f->loop, 0.4);
	assert_int_equal(g4.calls, 0);
	assert_int_equal(ev_pending_count(f->loop), 0);
	/* cancel_all */
	client(f, 0, f->fakes[0].url, NULL);
	assert_int_equal(etcd_submit(f->c, &GRANT, 300, on_done, &g4, NULL, err, sizeof(err)), 0);
	assert_int_equal(etcd_submit(f->c, &GRANT, 300, on_done, &g4, NULL, err, sizeof(err)), 0);
	etcd_cancel_all(f->c);
	assert_int_equal(etcd_pending(f->c), 0);
	assert_int_equal(etcd_client_stats(f->c)->cancelled, 2);
	tu_run_for(f->loop, 0.4);
	assert_int_equal(g4.calls, 0);
}

/* A callback that frees the client while other requests are pending. */
struct free_ctx {
	struct fixture *f;
	int calls;
	bool done;
};

static void free_in_cb(struct etcd_client *c, uint64_t id, const struct etcd_result *r, void *ctx)
{
	(void)id;
	(void)r;
	struct free_ctx *x = ctx;
	x->calls++;
	x->done = true;
	assert_ptr_equal(c, x->f->c);
	etcd_client_free(c);
	x->f->c = NULL;
	/* Freed: refused, not a crash. */
	char err[100];
	assert_int_equal(etcd_submit(c, &GRANT, 100, on_done, NULL, NULL, err, sizeof(err)), -EINVAL);
}

static void test_free_in_callback(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_ANSWER);
	f->fakes[0].body = GRANT_ANSWER;
	client(f, 0, f->fakes[0].url, NULL);
	struct free_ctx x = { .f = f };
	char err[200];
	/* Several answered in the same loop turn: the first frees all. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(etcd_submit(f->c, &GRANT, 1000, free_in_cb, &x, NULL, err, sizeof(err)),
				 0);
	assert_true(tu_run_until_flag(f->loop, &x.done, GUARD_S));
	tu_run_for(f->loop, 0.1);
	assert_int_equal(x.calls, 1);
	assert_null(f->c);
}

/* A callback that submits the next request. */
struct chain_ctx {
	int calls;
	bool done;
	enum etcd_status last;
};

static void chain_cb(struct etcd_client *c, uint64_t id, const struct etcd_result *r, void *ctx)
{
	(void)id;
	struct chain_ctx *x = ctx;
	x->calls++;
	x->last = r->status;
	char err[100];
	if (x->calls < 3)
		assert_int_equal(etcd_submit(c, &GRANT, 1000, chain_cb, x, NULL, err, sizeof(err)), 0);
	else
		x->done = true;
}

static void test_submit_in_callback(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_ANSWER);
	f->fakes[0].body = GRANT_ANSWER;
	client(f, 0, f->fakes[0].url, NULL);
	struct chain_ctx x = { 0 };
	char err[200];
	assert_int_equal(etcd_submit(f->c, &GRANT, 1000, chain_cb, &x, NULL, err, sizeof(err)), 0);
	assert_true(tu_run_until_flag(f->loop, &x.done, GUARD_S));
	assert_int_equal(x.calls, 3);
	assert_int_equal(x.last, ETCD_OK);
	assert_int_equal(f->fakes[0].requests, 3);
}

static void test_submit_invalid(void **state)
{
	struct fixture *f = *state;
	fake_start(&f->fakes[0], f->loop, FAKE_STALL);
	client(f, 0, f->fakes[0].url, NULL);
	struct got g = { 0 };
	char err[200];
	uint64_t id = 5;
	assert_int_equal(etcd_submit(f->c, &GRANT, 0, on_done, &g, &id, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "etcd: deadline 0 ms is not 1..60000");
	assert_true(id == 0);
	assert_int_equal(etcd_submit(f->c, &GRANT, 60001, on_done, &g, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(etcd_submit(f->c, &GRANT, 100, NULL, &g, NULL, err, sizeof(err)), -EINVAL);
	struct etcd_request bad = { .op = ETCD_OP_GET };
	assert_int_equal(etcd_submit(f->c, &bad, 100, on_done, &g, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "get: the key is empty");
	/* At most ETCD_PENDING_MAX at once. */
	for (unsigned i = 0; i < ETCD_PENDING_MAX; i++)
		assert_int_equal(etcd_submit(f->c, &GRANT, 5000, on_done, &g, NULL, err, sizeof(err)), 0);
	assert_int_equal(etcd_submit(f->c, &GRANT, 5000, on_done, &g, NULL, err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "etcd: 64 requests pending already");
	assert_int_equal(etcd_client_stats(f->c)->requests, ETCD_PENDING_MAX);
	/* Invalid client settings. */
	struct etcd_client *c = NULL;
	const char *eps[ETCD_ENDPOINTS_MAX + 1];
	for (size_t i = 0; i <= ETCD_ENDPOINTS_MAX; i++)
		eps[i] = "http://127.0.0.1:2379";
	struct etcd_client_conf conf = { .endpoints = eps, .n_endpoints = 0 };
	assert_int_equal(etcd_client_new(&c, f->loop, &conf, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "etcd: 1 to 8 endpoints");
	conf.n_endpoints = ETCD_ENDPOINTS_MAX + 1;
	assert_int_equal(etcd_client_new(&c, f->loop, &conf, err, sizeof(err)), -EINVAL);
	eps[1] = "http://etcd:2379";
	conf.n_endpoints = 2;
	assert_int_equal(etcd_client_new(&c, f->loop, &conf, err, sizeof(err)), -EINVAL);
	assert_null(c);
	etcd_client_free(NULL);
}

/* Threads of this process, from /proc. */
static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* No thread, ever: an IP literal is never resolved. */
static void test_no_thread(void **state)
{
	struct fixture *f = *state;
	int before = threads();
	fake_start(&f->fakes[0], f->loop, FAKE_ANSWER);
	f->fakes[0].body = GRANT_ANSWER;
	client(f, 0, f->fakes[0].url, NULL);
	struct got g;
	memset(&g, 0, sizeof(g));
	char err[200];
	assert_int_equal(etcd_submit(f->c, &GRANT, 1000, on_done, &g, NULL, err, sizeof(err)), 0);
	/* while the connect is under way, too */
	ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(threads(), before);
	assert_true(tu_run_until_flag(f->loop, &g.done, GUARD_S));
	assert_int_equal(g.status, ETCD_OK);
	assert_int_equal(threads(), before);
}

/* ---- a real etcd ------------------------------------------------------------- */

static const char *find_etcd(void)
{
	static const char *const paths[] = { "/usr/bin/etcd", "/usr/local/bin/etcd" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* A free port on 127.0.0.1 (bound for a moment by the kernel's choice). */
static uint16_t free_port(void)
{
	uint16_t port;
	int fd = bound_socket(false, &port);
	close(fd);
	return port;
}

static void print_etcd_log(struct real_etcd *e)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "tail -n 20 %s/etcd.log", e->dir.path);
	print_message("etcd's log:\n");
	fflush(stdout);
	int rc = system(cmd);
	(void)rc;
}

/* Start etcd on two free loopback ports with a data dir in e->dir. */
static const char *etcd_start(struct real_etcd *e)
{
	const char *bin = find_etcd();
	if (!bin)
		return "etcd is not installed (apt-get install etcd-server)";
	assert_int_equal(tu_dir_make(&e->dir, "etcd"), 0);
	uint16_t cport = free_port(), pport = free_port();
	char client_url[48], peer_url[48], cluster[80], data[128], log[128];
	snprintf(client_url, sizeof(client_url), "http://127.0.0.1:%u", (unsigned)cport);
	snprintf(peer_url, sizeof(peer_url), "http://127.0.0.1:%u", (unsigned)pport);
	snprintf(cluster, sizeof(cluster), "vigiltest=%s", peer_url);
	snprintf(data, sizeof(data), "%s", tu_dir_path(&e->dir, "data"));
	snprintf(log, sizeof(log), "%s", tu_dir_path(&e->dir, "etcd.log"));
	snprintf(e->url, sizeof(e->url), "%s", client_url);
	e->pid = fork();
	assert_true(e->pid >= 0);
	if (e->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* Fast elections: a single member leads after one timeout. */
		execl(bin, "etcd", "--name", "vigiltest", "--data-dir", data,
		      "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
		      "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
		      "--initial-cluster", cluster, "--heartbeat-interval", "50",
		      "--election-timeout", "500", (char *)NULL);
		_exit(127);
	}
	return NULL;
}

static void etcd_stop(struct real_etcd *e)
{
	if (e->pid > 0) {
		kill(e->pid, SIGTERM);
		if (!tu_wait_dead(e->pid, 5000))
			kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
		e->pid = 0;
	}
	if (e->dir.path[0])
		assert_int_equal(tu_dir_remove(&e->dir), 0);
	e->dir.path[0] = '\0';
}

/* Run rq against the real member; assert it succeeded at the transport. */
static void real(struct fixture *f, const struct etcd_request *rq, struct got *g)
{
	request(f, rq, 3000, g);
	if (g->status != ETCD_OK)
		fail_msg("%s: %s", etcd_op_name(rq->op), g->error);
}

static void test_real_etcd(void **state)
{
	struct fixture *f = *state;
	struct real_etcd *e = &f->etcd;
	TU_REQUIRE(etcd_start(e));
	/* A refused endpoint first: the client moves on and remembers. */
	client(f, 500, f->refused_url, e->url, NULL);
	struct got g;
	const char *why = NULL;
	const char *key = "vigil-test/leader/db";
	struct etcd_request get = { .op = ETCD_OP_GET, .key = key };
	/* Ready once it answers a read (bounded: 20 s). */
	for (int i = 0; i < 80; i++) {
		request(f, &get, 1000, &g);
		if (g.status == ETCD_OK)
			break;
		tu_run_for(f->loop, 0.25);
	}
	if (g.status != ETCD_OK) {
		print_etcd_log(e);
		why = "etcd did not start on 127.0.0.1 within 20 s";
	}
	TU_REQUIRE(why);
	uint64_t failed_before = etcd_client_stats(f->c)->failed;
	assert_int_equal(etcd_client_preferred(f->c), 1);
	assert_int_equal(g.nkvs, 0);

	struct etcd_request grant = { .op = ETCD_OP_LEASE_GRANT, .ttl = 10 };
	real(f, &grant, &g);
	int64_t l1 = g.lease;
	assert_true(l1 > 0);
	assert_int_equal(g.ttl, 10);
	assert_int_equal(g.endpoint, 1);
	assert_int_equal(g.attempts, 1);
	real(f, &grant, &g);
	int64_t l2 = g.lease;
	assert_true(l2 > 0 && l2 != l1);

	/* create-if-absent: the first wins, ... */
	struct etcd_request create = { .op = ETCD_OP_CREATE, .key = key, .value = "node-a", .lease = l1 };
	real(f, &create, &g);
	assert_true(g.succeeded);
	int64_t created = g.revision;
	/* ... the second loses and learns who holds it, ... */
	struct etcd_request create2 = { .op = ETCD_OP_CREATE, .key = key, .value = "node-b", .lease = l2 };
	real(f, &create2, &g);
	assert_false(g.succeeded);
	assert_int_equal(g.nkvs, 1);
	assert_string_equal(g.key, key);
	assert_string_equal(g.value, "node-a");
	assert_int_equal(g.kv_lease, l1);
	assert_int_equal(g.kv_create, created);
	/* ... and the winner asking again is told it holds it. */
	real(f, &create, &g);
	assert_true(g.succeeded);
	real(f, &get, &g);
	assert_int_equal(g.nkvs, 1);
	assert_string_equal(g.value, "node-a");
	assert_int_equal(g.kv_lease, l1);

	/* Guarded writes. */
	struct etcd_request put = { .op = ETCD_OP_PUT_IF_OURS, .key = key, .value = "node-a2", .lease = l1 };
	real(f, &put, &g);
	assert_true(g.succeeded);
	struct etcd_request put2 = { .op = ETCD_OP_PUT_IF_OURS, .key = key, .value = "node-b", .lease = l2 };
	real(f, &put2, &g);
	assert_false(g.succeeded);
	assert_string_equal(g.value, "node-a2");
	struct etcd_request del2 = { .op = ETCD_OP_DELETE_IF_OURS, .key = key, .lease = l2 };
	real(f, &del2, &g);
	assert_false(g.succeeded);
	assert_int_equal(g.kv_lease, l1);

	/* The candidates under a prefix. */
	struct etcd_request cand = { .op = ETCD_OP_CREATE, .key = "vigil-test/cand/node-b",
				     .value = "100", .lease = l2 };
	real(f, &cand, &g);
	assert_true(g.succeeded);
	struct etcd_request prefix = { .op = ETCD_OP_GET_PREFIX, .key = "vigil-test/" };
	real(f, &prefix, &g);
	assert_int_equal(g.nkvs, 2);
	assert_int_equal(g.count, 2);
	assert_string_equal(g.key, "vigil-test/cand/node-b"); /* sorted by key */

	/* keepalive */
	struct etcd_request ka = { .op = ETCD_OP_LEASE_KEEPALIVE, .lease = l1 };
	real(f, &ka, &g);
	assert_int_equal(g.lease, l1);
	assert_true(g.ttl >= 9 && g.ttl <= 10);

	/* revoke: the key goes with the lease */
	struct etcd_request revoke = { .op = ETCD_OP_LEASE_REVOKE, .lease = l1 };
	real(f, &revoke, &g);
	assert_true(g.lease_found);
	real(f, &get, &g);
	assert_int_equal(g.nkvs, 0);
	real(f, &ka, &g);
	assert_int_equal(g.ttl, 0);
	real(f, &revoke, &g);
	assert_false(g.lease_found);
	/* A lease etcd does not know: its error, definite (not retried). */
	request(f, &create, 3000, &g);
	assert_int_equal(g.status, ETCD_E_SERVER);
	assert_int_equal(g.grpc, 5);
	assert_int_equal(g.attempts, 1);

	/* Free now: the other candidate takes it, and lets it go. */
	real(f, &create2, &g);
	assert_true(g.succeeded);
	struct etcd_request del = { .op = ETCD_OP_DELETE_IF_OURS, .key = key, .lease = l2 };
	real(f, &del, &g);
	assert_true(g.succeeded);
	real(f, &get, &g);
	assert_int_equal(g.nkvs, 0);
	revoke.lease = l2;
	real(f, &revoke, &g);
	assert_true(g.lease_found);

	const struct etcd_stats *s = etcd_client_stats(f->c);
	assert_int_equal(s->failed - failed_before, 1); /* the unknown lease */
	assert_true(s->attempt_errors[ETCD_E_CONNECT] >= 1);
	etcd_client_free(f->c);
	f->c = NULL;
	etcd_stop(e);
}

int main(void)
{
	if (etcd_global_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_check),
		cmocka_unit_test_setup_teardown(test_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stall_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stall_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_and_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unavailable_and_definite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_etcd, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	etcd_global_cleanup();
	return rc;
}
