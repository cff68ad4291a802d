// SPDX-License-Identifier: GPL-2.0-or-later
// The tcp checker: one non-blocking connect per probe, timed, closed at once.
#include "tcp.h"

#include <errno.h>
#include <ev.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* One slot's connect. */
struct tcp_probe {
	struct tcp_state *t;
	unsigned slot;
	ev_io io_w;             /* writability of the connecting socket */
	int fd;                 /* -1 when no probe runs */
	uint64_t t0_ns;
};

struct tcp_state {
	struct check *chk;
	struct ev_loop *loop;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char where[NI_MAXHOST + 16];   /* "127.0.0.1:3306", "[::1]:3306" */
	unsigned nslots;
	struct tcp_probe *probes;      /* one per slot: overlapping probes never share a socket */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void close_probe(struct tcp_probe *pr)
{
	if (pr->fd >= 0) {
		ev_io_stop(pr->t->loop, &pr->io_w);
		close(pr->fd);
		pr->fd = -1;
	}
}

/* Report how the connect ended; err is 0 on success. The socket is closed
 * first: the result is the connect, nothing will be sent on it. */
static void finish(struct tcp_probe *pr, int err)
{
	struct tcp_state *t = pr->t;
	struct check_result r;
	uint64_t us = (mono_ns() - pr->t0_ns) / 1000u;

	close_probe(pr);
	if (err == 0) {
		check_result_set(&r, CHECK_OK, "connected to %s in %llu us", t->where,
				 (unsigned long long)us);
		r.value = (int64_t)us;
	} else {
		check_result_set(&r, CHECK_FAILED, "connect to %s: %s", t->where, strerror(err));
		/* Nothing listens: asking again cannot give another answer. */
		r.definite = err == ECONNREFUSED;
	}
	check_report(t->chk, pr->slot, &r);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_probe *pr = container_of(w, struct tcp_probe, io_w);
	int err = 0;
	socklen_t len = sizeof(err);

	(void)loop;
	(void)revents;
	/* Writable means the connect finished; SO_ERROR says how. */
	if (getsockopt(pr->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	finish(pr, err);
}

static void tcp_start(void *state, unsigned slot)
{
	struct tcp_state *t = state;
	struct tcp_probe *pr = &t->probes[slot];
	struct check_result r;

	close_probe(pr); /* defensive: the scheduler cancels before a new probe */
	pr->t0_ns = mono_ns();
	pr->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pr->fd < 0) {
		check_result_set(&r, CHECK_FAILED, "socket for %s: %s", t->where, strerror(errno));
		check_report(t->chk, slot, &r);
		return;
	}
	if (connect(pr->fd, (const struct sockaddr *)&t->addr, t->addrlen) == 0) {
		finish(pr, 0);
		return;
	}
	/* EINTR: the connect goes on in the background, as for EINPROGRESS. */
	if (errno != EINPROGRESS && errno != EINTR) {
		finish(pr, errno);
		return;
	}
	ev_io_set(&pr->io_w, pr->fd, EV_WRITE);
	ev_io_start(t->loop, &pr->io_w);
}

static void tcp_cancel(void *state, unsigned slot)
{
	struct tcp_state *t = state;

	close_probe(&t->probes[slot]);
}

static void tcp_destroy(void *state)
{
	struct tcp_state *t = state;

	if (!t)
		return;
	for (unsigned i = 0; t->probes && i < t->nslots; i++)
		close_probe(&t->probes[i]);
	free(t->probes);
	free(t);
}

/* Parse a numeric host (no name lookup: AI_NUMERICHOST) and port. */
static int parse_addr(struct tcp_state *t, const char *host, uint16_t port,
		      char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8], num[NI_MAXHOST];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "host \"%s\" is not an IP address", host);
		if (res)
			freeaddrinfo(res);
		return -EINVAL;
	}
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addrlen = res->ai_addrlen;
	freeaddrinfo(res);

	/* getnameinfo keeps an IPv6 scope ("fe80::1%eth0") that inet_ntop drops. */
	if (getnameinfo((const struct sockaddr *)&t->addr, t->addrlen, num, sizeof(num),
			NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(num, sizeof(num), "%s", host);
	snprintf(t->where, sizeof(t->where), t->addr.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 num, (unsigned)port);
	return 0;
}

static int tcp_create(struct check *chk, const struct check_params *p, void **state,
		      char *err, size_t errlen)
{
	struct tcp_state *t;
	int rc;

	if (!p->host || !p->host[0]) {
		snprintf(err, errlen, "a tcp check needs host (an IP address)");
		return -EINVAL;
	}
	if (p->port == 0) {
		snprintf(err, errlen, "a tcp check needs port (1..65535)");
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	rc = parse_addr(t, p->host, p->port, err, errlen);
	if (rc < 0) {
		free(t);
		return rc;
	}
	t->chk = chk;
	t->loop = check_loop(chk);
	t->nslots = check_slots(chk);
	t->probes = calloc(t->nslots, sizeof(*t->probes));
	if (!t->probes) {
		free(t);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < t->nslots; i++) {
		t->probes[i] = (struct tcp_probe){ .t = t, .slot = i, .fd = -1 };
		ev_io_init(&t->probes[i].io_w, io_cb, -1, EV_WRITE);
	}
	*state = t;
	return 0;
}

const struct check_type check_tcp_type = {
	.name = "tcp",
	.create = tcp_create,
	.start = tcp_start,
	.cancel = tcp_cancel,
	.destroy = tcp_destroy,
};
