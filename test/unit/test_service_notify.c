/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the systemd notify wrapper (agent/service_notify.c): the
 * messages on a NOTIFY_SOCKET of the test's own, the watchdog timer on a
 * real loop, and silence without NOTIFY_SOCKET. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "service_notify.h"
#include "test_util.h"

struct fixture {
	struct tu_dir dir;
	int sock;                 /* the "service manager's" end */
	struct ev_loop *loop;
	struct logger log;
	struct service_notify sn;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(tu_dir_make(&f->dir, "sdnotify"), 0);
	const char *path = tu_dir_path(&f->dir, "notify.sock");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	f->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(f->sock >= 0);
	assert_int_equal(bind(f->sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", path, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	f->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(f->loop);
	log_open(&f->log, LOG_LVL_ERR, true, false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	service_notify_watchdog_stop(&f->sn);
	ev_loop_destroy(f->loop);
	close(f->sock);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(tu_dir_remove(&f->dir), 0);
	free(f);
	return 0;
}

/* The next datagram, or "" when none is waiting. */
static const char *next_msg(struct fixture *f, char *buf, size_t size)
{
	ssize_t n = recv(f->sock, buf, size - 1, 0);
	if (n < 0) {
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		n = 0;
	}
	buf[n] = '\0';
	return buf;
}

/* How many datagrams equal to want are waiting; fails on any other. */
static int count_msgs(struct fixture *f, const char *want)
{
	char buf[256];
	int n = 0;
	while (*next_msg(f, buf, sizeof(buf))) {
		assert_string_equal(buf, want);
		n++;
	}
	return n;
}

static void set_watchdog(const char *usec, long pid)
{
	char p[24];
	snprintf(p, sizeof(p), "%ld", pid);
	setenv("WATCHDOG_USEC", usec, 1);
	setenv("WATCHDOG_PID", p, 1);
}

static void test_ready_reloading_stopping(void **state)
{
	struct fixture *f = *state;
	char buf[512], want[512];
	service_notify_init(&f->sn, f->loop, &f->log);
	assert_int_equal(service_notify_watchdog_interval_usec(&f->sn), 0);

	service_notify_ready(&f->sn, "running 1 instance(s)\nfrom a.ini");
	snprintf(want, sizeof(want), "READY=1\nSTATUS=running 1 instance(s) from a.ini\nMAINPID=%ld",
		 (long)getpid());
	assert_string_equal(next_msg(f, buf, sizeof(buf)), want);

	service_notify_reloading(&f->sn);
	next_msg(f, buf, sizeof(buf));
	unsigned long long usec = 0;
	assert_int_equal(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu", &usec), 1);
	assert_true(usec > 0);

	service_notify_ready(&f->sn, NULL);
	snprintf(want, sizeof(want), "READY=1\nSTATUS=\nMAINPID=%ld", (long)getpid());
	assert_string_equal(next_msg(f, buf, sizeof(buf)), want);

	/* once only: the signal handler and the teardown both call it */
	service_notify_stopping(&f->sn);
	service_notify_stopping(&f->sn);
	assert_int_equal(count_msgs(f, "STOPPING=1"), 1);
}

static void test_watchdog(void **state)
{
	struct fixture *f = *state;
	set_watchdog("200000", (long)getpid());
	service_notify_init(&f->sn, f->loop, &f->log);
	assert_int_equal(service_notify_watchdog_interval_usec(&f->sn), 100000);
	service_notify_watchdog_start(&f->sn);
	service_notify_watchdog_start(&f->sn); /* harmless twice */
	/* the first ping at once, before the loop runs */
	assert_int_equal(count_msgs(f, "WATCHDOG=1"), 1);
	/* then one every 100 ms: about 10 in 1 s (generous bounds: a loaded
	 * machine delays timers, it does not add them) */
	tu_run_for(f->loop, 1.0);
	int n = count_msgs(f, "WATCHDOG=1");
	print_message("%d pings in 1 s\n", n);
	assert_true(n >= 5 && n <= 11);
	service_notify_watchdog_stop(&f->sn);
	tu_run_for(f->loop, 0.3);
	assert_int_equal(count_msgs(f, "WATCHDOG=1"), 0);
}

static void test_watchdog_of_another_process(void **state)
{
	struct fixture *f = *state;
	/* what a notify script inherits from vigild: not its watchdog */
	set_watchdog("200000", (long)getpid() + 1);
	service_notify_init(&f->sn, f->loop, &f->log);
	assert_int_equal(service_notify_watchdog_interval_usec(&f->sn), 0);
	service_notify_watchdog_start(&f->sn);
	tu_run_for(f->loop, 0.3);
	assert_int_equal(count_msgs(f, "WATCHDOG=1"), 0);
}

static void test_no_notify_socket(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	unsetenv("NOTIFY_SOCKET");
	set_watchdog("200000", (long)getpid());
	service_notify_init(&f->sn, f->loop, &f->log);
	assert_int_equal(service_notify_watchdog_interval_usec(&f->sn), 0);
	service_notify_ready(&f->sn, "x");
	service_notify_reloading(&f->sn);
	service_notify_watchdog_start(&f->sn);
	service_notify_stopping(&f->sn);
	tu_run_for(f->loop, 0.3);
	assert_string_equal(next_msg(f, buf, sizeof(buf)), "");
}

static void test_socket_gone(void **state)
{
	struct fixture *f = *state;
	/* a manager that went away: no crash, nothing to block on */
	setenv("NOTIFY_SOCKET", tu_dir_path(&f->dir, "absent.sock"), 1);
	set_watchdog("200000", (long)getpid());
	service_notify_init(&f->sn, f->loop, &f->log);
	service_notify_ready(&f->sn, "x");
	service_notify_watchdog_start(&f->sn);
	tu_run_for(f->loop, 0.3);
	service_notify_stopping(&f->sn);
	assert_true(f->sn.failed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready_reloading_stopping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_of_another_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_notify_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_gone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
