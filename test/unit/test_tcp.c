// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for the tcp checker: loopback only (a listener, a closed port, a full backlog).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "tcp.h"
#include "test_util.h"

#define GUARD_S 3.0

struct fx {
	struct ev_loop *loop;
	struct check *chk;
	int listen_fd;
	int extra_fd[4];   /* backlog fillers */
	uint16_t port;
	int results;
	struct check_result res;
	int fds_before;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static void on_result(void *ctx, struct check *chk, const struct check_result *r)
{
	struct fx *f = ctx;

	(void)chk;
	f->results++;
	f->res = *r;
	ev_break(f->loop, EVBREAK_ONE);
}

static void guard_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	*(bool *)w->data = true;
	ev_break(loop, EVBREAK_ONE);
}

static bool run_until_result(struct fx *f, double max_s)
{
	ev_timer guard;
	bool expired = false;

	ev_timer_init(&guard, guard_cb, max_s, 0.0);
	guard.data = &expired;
	ev_timer_start(f->loop, &guard);
	while (f->results == 0 && !expired)
		ev_run(f->loop, EVRUN_ONCE);
	ev_timer_stop(f->loop, &guard);
	return f->results > 0;
}

/* A TCP socket bound to addr:0 of family af; the port chosen goes to *port. */
static int bound_socket(int af, const char *addr, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &s4->sin_addr);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		len = sizeof(*s6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*port = ntohs(af == AF_INET ? ((struct sockaddr_in *)(void *)&ss)->sin_port
				    : ((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	return fd;
}

static int make_check(struct fx *f, const char *host, uint16_t port, uint32_t timeout_ms,
		      char *err, size_t errlen)
{
	struct check_params p = { .name = "t", .host = host, .port = port,
				  .interval_ms = 10000, .timeout_ms = timeout_ms };

	return check_new(&f->chk, f->loop, &check_tcp_type, &p, on_result, f, err, errlen);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->listen_fd = -1;
	for (int i = 0; i < 4; i++)
		f->extra_fd[i] = -1;
	f->fds_before = count_fds();
	f->loop = ev_loop_new(EVFLAG_AUTO);
	if (!f->loop)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int leaked;

	check_free(f->chk);
	if (f->listen_fd >= 0)
		close(f->listen_fd);
	for (int i = 0; i < 4; i++)
		if (f->extra_fd[i] >= 0)
			close(f->extra_fd[i]);
	ev_loop_destroy(f->loop);
	/* Every probe socket was closed (the loop's own fds are gone too). */
	leaked = count_fds() - f->fds_before;
	free(f);
	return leaked == 0 ? 0 : -1;
}

static void test_connect_ok(void **state)
{
	struct fx *f = *state;
	char err[128], want[96];
	int fds, c;

	f->listen_fd = bound_socket(AF_INET, "127.0.0.1", &f->port);
	assert_true(f->listen_fd >= 0);
	assert_int_equal(listen(f->listen_fd, 8), 0);
	assert_int_equal(make_check(f, "127.0.0.1", f->port, 1000, err, sizeof(err)), 0);
	fds = count_fds();
	check_start(f->chk);
	assert_true(run_until_result(f, GUARD_S));
	assert_int_equal(f->res.status, CHECK_OK);
	assert_false(f->res.definite);
	assert_true(f->res.value > 0);
	assert_true(f->res.value < 1000000);
	snprintf(want, sizeof(want), "connected to 127.0.0.1:%u in %lld us", (unsigned)f->port,
		 (long long)f->res.value);
	assert_string_equal(f->res.detail, want);
	/* The socket was closed at once. */
	assert_int_equal(count_fds(), fds);
	/* And the connection really reached the listener. */
	c = accept4(f->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(c >= 0);
	close(c);
}

static void test_connect_ok_ipv6(void **state)
{
	struct fx *f = *state;
	char err[128], want[96];

	f->listen_fd = bound_socket(AF_INET6, "::1", &f->port);
	TU_REQUIRE(f->listen_fd < 0 ? "no IPv6 loopback (::1) on this host" : NULL);
	assert_int_equal(listen(f->listen_fd, 8), 0);
	assert_int_equal(make_check(f, "::1", f->port, 1000, err, sizeof(err)), 0);
	check_start(f->chk);
	assert_true(run_until_result(f, GUARD_S));
	assert_int_equal(f->res.status, CHECK_OK);
	assert_true(f->res.value > 0);
	snprintf(want, sizeof(want), "connected to [::1]:%u in %lld us", (unsigned)f->port,
		 (long long)f->res.value);
	assert_string_equal(f->res.detail, want);
}

static void test_refused_is_definite(void **state)
{
	struct fx *f = *state;
	char err[128], want[96];
	int fd = bound_socket(AF_INET, "127.0.0.1", &f->port);

	/* Bound, never listening: the port answers with RST. */
	assert_true(fd >= 0);
	f->listen_fd = fd;
	assert_int_equal(make_check(f, "127.0.0.1", f->port, 1000, err, sizeof(err)), 0);
	check_start(f->chk);
	assert_true(run_until_result(f, GUARD_S));
	assert_int_equal(f->res.status, CHECK_FAILED);
	assert_true(f->res.definite);
	assert_int_equal(f->res.value, -1);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u: Connection refused",
		 (unsigned)f->port);
	assert_string_equal(f->res.detail, want);
	assert_int_equal(check_get_stats(f->chk)->by_status[CHECK_FAILED], 1);
}

/* A listener whose accept queue is full drops new SYNs: the connect hangs
 * (on loopback, no traffic leaves the host) until the scheduler's timeout
 * cancels it, which must close the socket. */
static void test_hung_connect_times_out(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char err[128];
	int fds;

	f->listen_fd = bound_socket(AF_INET, "127.0.0.1", &f->port);
	assert_true(f->listen_fd >= 0);
	assert_int_equal(listen(f->listen_fd, 0), 0);
	sin.sin_port = htons(f->port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	/* Backlog 0 holds one connection; two more make sure it is full. */
	for (int i = 0; i < 3; i++) {
		f->extra_fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(f->extra_fd[i] >= 0);
		connect(f->extra_fd[i], (struct sockaddr *)&sin, sizeof(sin));
		usleep(20 * 1000);
	}
	assert_int_equal(make_check(f, "127.0.0.1", f->port, 150, err, sizeof(err)), 0);
	fds = count_fds();
	check_start(f->chk);
	assert_true(run_until_result(f, GUARD_S));
	assert_int_equal(f->res.status, CHECK_FAILED);
	assert_false(f->res.definite);
	assert_string_equal(f->res.detail, "timeout after 150 ms");
	assert_int_equal(check_get_stats(f->chk)->timeouts, 1);
	/* cancel closed the probe's socket */
	assert_int_equal(count_fds(), fds);
}

static void test_stop_closes_socket(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char err[128];
	int fds;

	f->listen_fd = bound_socket(AF_INET, "127.0.0.1", &f->port);
	assert_true(f->listen_fd >= 0);
	assert_int_equal(listen(f->listen_fd, 0), 0);
	sin.sin_port = htons(f->port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	for (int i = 0; i < 3; i++) {
		f->extra_fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(f->extra_fd[i] >= 0);
		connect(f->extra_fd[i], (struct sockaddr *)&sin, sizeof(sin));
		usleep(20 * 1000);
	}
	assert_int_equal(make_check(f, "127.0.0.1", f->port, 1000, err, sizeof(err)), 0);
	fds = count_fds();
	check_start(f->chk);
	ev_run(f->loop, EVRUN_NOWAIT); /* the first probe begins */
	assert_true(check_probing(f->chk));
	assert_int_equal(count_fds(), fds + 1);
	check_stop(f->chk);
	assert_int_equal(count_fds(), fds);
	assert_int_equal(f->results, 0);
}

static void test_create_refuses(void **state)
{
	struct fx *f = *state;
	char err[128];

	assert_int_equal(make_check(f, NULL, 3306, 100, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "a tcp check needs host (an IP address)");
	assert_null(f->chk);
	assert_int_equal(make_check(f, "127.0.0.1", 0, 100, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "a tcp check needs port (1..65535)");
	/* Names are never resolved on the loop. */
	assert_int_equal(make_check(f, "localhost", 3306, 100, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "host \"localhost\" is not an IP address");
	assert_int_equal(make_check(f, "999.1.1.1", 3306, 100, err, sizeof(err)), -EINVAL);
	assert_null(f->chk);
	assert_non_null(check_type_find("tcp"));
	assert_ptr_equal(check_type_find("tcp"), &check_tcp_type);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_ok_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_is_definite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hung_connect_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_closes_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_refuses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
