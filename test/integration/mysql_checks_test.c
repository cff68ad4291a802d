// SPDX-License-Identifier: GPL-2.0-or-later
// mysql_ping and mysql_replication against real MariaDB servers, run by
// mysql_checks.sh, which starts the servers and passes their directories:
// MDB_S (standalone: ping, killed last), MDB_P (primary), MDB_R (replica),
// MDB_LIB (test/lab/mariadb.sh). Each test runs the real scheduler
// (check.c) on the default loop with a 50 ms ticker that measures the
// longest gap between ticks: the loop must never block.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <mysql.h>

#include "check.h"
#include "mysql_ping.h"
#include "mysql_replication.h"

#define MAX_RESULTS 256

struct run {
	struct ev_loop *loop;
	struct check *chk;
	struct check_result res[MAX_RESULTS];
	double at[MAX_RESULTS]; /* ev_time() of each result */
	int n;
	int seen;               /* results already looked at by wait_for */
	ev_timer ticker, stop;
	double last_tick, max_gap;
	bool (*until)(const struct check_result *r);
	bool hit;
};

static const char *env(const char *name)
{
	const char *v = getenv(name);
	if (!v) {
		fprintf(stderr, "%s not set: run this through mysql_checks.sh\n", name);
		exit(1);
	}
	return v;
}

static void on_report(void *ctx, struct check *chk, const struct check_result *r)
{
	(void)chk;
	struct run *rn = ctx;
	if (rn->n < MAX_RESULTS) {
		rn->res[rn->n] = *r;
		rn->at[rn->n] = ev_time();
		rn->n++;
	}
	printf("#   %.3f %s%s%s value=%lld %s\n", ev_time(), check_status_name(r->status),
	       r->definite ? " definite" : "", r->config_problem ? " CONFIG" : "",
	       (long long)r->value, r->detail);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct run *rn = w->data;
	double now = ev_time();
	if (rn->last_tick > 0 && now - rn->last_tick > rn->max_gap)
		rn->max_gap = now - rn->last_tick;
	rn->last_tick = now;
	if (rn->until) {
		for (; rn->seen < rn->n; rn->seen++) {
			if (rn->until(&rn->res[rn->seen])) {
				rn->hit = true;
				rn->seen++;
				ev_break(loop, EVBREAK_ONE);
				return;
			}
		}
	}
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ONE);
}

/* Run the loop up to ms, or until a new result satisfies until (checked by
 * the 50 ms ticker, so it also measures the loop's responsiveness).
 * Returns whether until matched; rn->max_gap is the longest tick gap. */
static bool run_for(struct run *rn, int ms, bool (*until)(const struct check_result *))
{
	rn->until = until;
	rn->hit = false;
	rn->max_gap = 0;
	rn->last_tick = 0;
	ev_timer_init(&rn->ticker, tick_cb, 0.05, 0.05);
	rn->ticker.data = rn;
	ev_timer_init(&rn->stop, stop_cb, ms / 1000.0, 0.);
	ev_now_update(rn->loop);
	ev_timer_start(rn->loop, &rn->ticker);
	ev_timer_start(rn->loop, &rn->stop);
	ev_run(rn->loop, 0);
	ev_timer_stop(rn->loop, &rn->ticker);
	ev_timer_stop(rn->loop, &rn->stop);
	return rn->hit;
}

static bool is_ok(const struct check_result *r) { return r->status == CHECK_OK; }
static bool is_failed(const struct check_result *r) { return r->status == CHECK_FAILED; }
static bool is_reconnected(const struct check_result *r)
{
	return r->status == CHECK_OK && strstr(r->detail, "reconnected");
}

/* The test's run: freed by teardown even when an assertion jumped out. */
static struct run *current;

static struct run *run_new(const struct check_type *type, const struct check_params *p)
{
	struct run *rn = calloc(1, sizeof *rn);
	current = rn;
	assert_non_null(rn);
	rn->loop = ev_default_loop(0);
	char err[256] = "";
	int rc = check_new(&rn->chk, rn->loop, type, p, on_report, rn, err, sizeof err);
	if (rc)
		fail_msg("check_new: %s", err);
	check_start(rn->chk);
	return rn;
}

static void run_free(struct run *rn)
{
	if (rn == current)
		current = NULL;
	check_free(rn->chk);
	free(rn);
}

static int teardown(void **s)
{
	(void)s;
	if (current)
		run_free(current);
	return 0;
}

static int count_status(const struct run *rn, int from, enum check_status st)
{
	int c = 0;
	for (int i = from; i < rn->n; i++)
		c += rn->res[i].status == st;
	return c;
}

/* Shell helpers: SQL as root on a server's socket, and mariadb.sh calls. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static void sql(const char *dir, const char *q)
{
	sh("mariadb --defaults-file=%s/root.cnf -N -B -e \"%s\"", dir, q);
}

static pid_t server_pid(const char *dir)
{
	char path[512];
	snprintf(path, sizeof path, "%s/mysqld.pid", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	long pid = 0;
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_true(pid > 1);
	return (pid_t)pid;
}

static uint16_t server_port(const char *dir)
{
	char path[512];
	snprintf(path, sizeof path, "%s/port", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	unsigned port = 0;
	assert_int_equal(fscanf(f, "%u", &port), 1);
	fclose(f);
	return (uint16_t)port;
}

static char cnf_buf[4][512];
static struct check_params ping_params(const char *dir, const char *cnf_name)
{
	static int k;
	char *cnf = cnf_buf[k++ % 4];
	snprintf(cnf, 512, "%s/%s", dir, cnf_name);
	struct check_params p = {
		.name = "ping", .host = "127.0.0.1", .port = server_port(dir),
		.interval_ms = 200, .timeout_ms = 500, .defaults_file = cnf,
		.slow_ms = 200, .connect_interval_ms = 1000,
	};
	return p;
}

/* --- mysql_ping ------------------------------------------------------------ */

static void ping_ok(void **s)
{
	(void)s;
	struct check_params p = ping_params(env("MDB_S"), "vigil.cnf");
	struct run *rn = run_new(&mysql_ping_type, &p);
	assert_true(run_for(rn, 3000, is_ok));
	const struct check_result *r = &rn->res[rn->seen - 1];
	assert_true(r->value > 0 && r->value < 200000); /* microseconds */
	assert_non_null(strstr(r->detail, "SELECT 1 in"));
	/* Keep probing over a fresh-connect period: still ok, nothing failed. */
	run_for(rn, 1500, NULL);
	assert_int_equal(count_status(rn, 0, CHECK_FAILED), 0);
	assert_true(count_status(rn, 0, CHECK_OK) >= 5);
	assert_true(rn->max_gap < 0.15);
	run_free(rn);
}

/* host = ::1: the check connects over IPv6 (S listens on :: as well). */
static void ping_ok_ipv6(void **s)
{
	(void)s;
	struct check_params p = ping_params(env("MDB_S"), "vigil.cnf");
	p.host = "::1";
	struct run *rn = run_new(&mysql_ping_type, &p);
	assert_true(run_for(rn, 3000, is_ok));
	assert_non_null(strstr(rn->res[rn->seen - 1].detail, "SELECT 1 in"));
	run_free(rn);
}

static void ping_wrong_password(void **s)
{
	(void)s;
	const char *dir = env("MDB_S");
	sh("umask 077; printf '[client]\\nuser=vigil\\npassword=wrong\\n' > %s/bad.cnf", dir);
	struct check_params p = ping_params(dir, "bad.cnf");
	struct run *rn = run_new(&mysql_ping_type, &p);
	assert_true(run_for(rn, 3000, is_failed));
	const struct check_result *r = &rn->res[rn->seen - 1];
	assert_true(r->config_problem);
	assert_non_null(strstr(r->detail, "1045"));
	assert_non_null(strstr(r->detail, "check the credentials in mysql_defaults_file"));
	run_free(rn);
}

static void ping_refused(void **s)
{
	(void)s;
	struct check_params p = ping_params(env("MDB_S"), "vigil.cnf");
	p.port = 1; /* nothing listens on port 1 */
	struct run *rn = run_new(&mysql_ping_type, &p);
	assert_true(run_for(rn, 3000, is_failed));
	const struct check_result *r = &rn->res[rn->seen - 1];
	assert_true(r->definite);
	assert_false(r->config_problem);
	/* Connector/C 3.3 says 2002 for a refused TCP connect, older 2003. */
	assert_true(strstr(r->detail, "2002: ") || strstr(r->detail, "2003: "));
	run_free(rn);
}

/* A DBA's KILL of our connection: reconnect, never a failure. */
static void ping_kill_connection(void **s)
{
	(void)s;
	const char *dir = env("MDB_S");
	struct check_params p = ping_params(dir, "vigil.cnf");
	p.interval_ms = 1000; /* idle long enough to see the idle watch act */
	struct run *rn = run_new(&mysql_ping_type, &p);
	assert_true(run_for(rn, 3000, is_ok));
	int from = rn->n;
	sh("mariadb --defaults-file=%s/root.cnf -N -B -e \"SELECT id FROM "
	   "information_schema.processlist WHERE user='vigil'\" | "
	   "while read id; do mariadb --defaults-file=%s/root.cnf -e \"KILL $id\"; done", dir, dir);
	double t_kill = ev_time();
	assert_true(run_for(rn, 2500, is_reconnected));
	/* Confirmed at once by the idle watch, not at the next interval. */
	printf("#   reconnected %.0f ms after KILL\n", (rn->at[rn->seen - 1] - t_kill) * 1000);
	assert_true(rn->at[rn->seen - 1] - t_kill < 0.5);
	assert_int_equal(count_status(rn, from, CHECK_FAILED), 0);
	run_free(rn);
}

/* wait_timeout expiring on the idle connection: no failure. */
static void ping_wait_timeout(void **s)
{
	(void)s;
	const char *dir = env("MDB_S");
	sql(dir, "SET GLOBAL wait_timeout=2");
	struct check_params p = ping_params(dir, "vigil.cnf");
	p.interval_ms = 3500;
	p.connect_interval_ms = 0;
	struct run *rn = run_new(&mysql_ping_type, &p);
	bool ok = run_for(rn, 3000, is_ok);
	bool again = run_for(rn, 4000, is_reconnected);
	sql(dir, "SET GLOBAL wait_timeout=28800");
	assert_true(ok);
	assert_true(again);
	assert_int_equal(count_status(rn, 0, CHECK_FAILED), 0);
	run_free(rn);
}

/* Hung server (SIGSTOP): failed by the deadline, loop never blocked. */
static void ping_sigstop(void **s)
{
	(void)s;
	const char *dir = env("MDB_S");
	struct check_params p = ping_params(dir, "vigil.cnf");
	struct run *rn = run_new(&mysql_ping_type, &p);
	assert_true(run_for(rn, 3000, is_ok));
	pid_t pid = server_pid(dir);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	double t0 = ev_time();
	bool failed = run_for(rn, 3000, is_failed);
	double took = rn->at[rn->seen - 1] - t0;
	double gap = rn->max_gap;
	/* Two more probes against the hung server: fresh connects hang too. */
	run_for(rn, 1200, NULL);
	double gap2 = rn->max_gap;
	int failed_more = count_status(rn, rn->seen, CHECK_FAILED);
	kill(pid, SIGCONT);
	assert_true(failed);
	printf("#   failed %.0f ms after SIGSTOP; longest loop gap %.0f / %.0f ms\n", took * 1000,
	       gap * 1000, gap2 * 1000);
	assert_true(took < 0.2 + 0.5 + 0.2); /* interval + timeout + slack */
	assert_true(gap < 0.15 && gap2 < 0.15);
	assert_true(failed_more >= 1);
	assert_true(run_for(rn, 3000, is_ok)); /* recovers after SIGCONT */
	run_free(rn);
}

/* Connections the vigil user holds on a server (root's own not counted). */
static int vigil_connections(const char *dir)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
		 "mariadb --defaults-file=%s/root.cnf -N -B -e \"SELECT COUNT(*) FROM "
		 "information_schema.processlist WHERE user='vigil'\"", dir);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	int n = -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	pclose(f);
	assert_true(n >= 0);
	return n;
}

/* Seconds between the n-th and (n+1)-th failed results from index from. */
static double failure_gap(const struct run *rn, int from, double *first)
{
	int a = -1, b = -1;
	for (int i = from; i < rn->n && b < 0; i++) {
		if (rn->res[i].status != CHECK_FAILED)
			continue;
		if (a < 0)
			a = i;
		else
			b = i;
	}
	assert_true(a >= 0 && b >= 0);
	*first = rn->at[a];
	return rn->at[b] - rn->at[a];
}

/*
 * Hung server with overlapping probes (max_inflight 2, as fall 2): the
 * second probe starts on a fresh connection an interval after the first,
 * so the second failure comes an interval after the first, not a timeout
 * after it. After SIGCONT the check recovers and one connection is left.
 */
static void ping_sigstop_overlap(void **s)
{
	(void)s;
	const char *dir = env("MDB_S");
	struct check_params p = ping_params(dir, "vigil.cnf");
	p.max_inflight = 2;
	p.connect_interval_ms = 0;
	struct run *rn = run_new(&mysql_ping_type, &p);
	assert_true(run_for(rn, 3000, is_ok));
	int from = rn->n;
	pid_t pid = server_pid(dir);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	double t0 = ev_time();
	run_for(rn, 1500, NULL);
	kill(pid, SIGCONT);
	double first;
	double gap = failure_gap(rn, from, &first);
	printf("#   failures %.0f and %.0f ms after SIGSTOP (interval 200, timeout 500)\n",
	       (first - t0) * 1000, (first + gap - t0) * 1000);
	assert_true(first - t0 < 0.2 + 0.5 + 0.2);
	assert_true(gap < 0.2 + 0.1);       /* an interval, not the 500 ms timeout */
	assert_true(rn->max_gap < 0.15);
	assert_true(check_get_stats(rn->chk)->overlapped >= 1);
	assert_true(run_for(rn, 3000, is_ok)); /* recovers after SIGCONT */
	run_for(rn, 1000, NULL);
	assert_true(vigil_connections(dir) <= 1);
	run_free(rn);
}

/*
 * A slow server that answers (the query takes 300 ms, the interval 200):
 * after the first answer probes go one at a time, on one connection.
 */
static void ping_slow_one_connection(void **s)
{
	(void)s;
	const char *dir = env("MDB_S");
	struct check_params p = ping_params(dir, "vigil.cnf");
	p.max_inflight = 2;
	p.connect_interval_ms = 0;
	p.slow_ms = 1000;
	p.query = "SELECT SLEEP(0.3)";
	struct run *rn = run_new(&mysql_ping_type, &p);
	assert_true(run_for(rn, 3000, is_ok));
	run_for(rn, 800, NULL);
	uint64_t overlapped = check_get_stats(rn->chk)->overlapped;
	int most = 0;
	for (int i = 0; i < 6; i++) {
		run_for(rn, 250, NULL);
		int n = vigil_connections(dir);
		most = n > most ? n : most;
	}
	printf("#   at most %d connection(s) of vigil; %llu overlapping probe(s) in all\n", most,
	       (unsigned long long)check_get_stats(rn->chk)->overlapped);
	assert_int_equal(check_get_stats(rn->chk)->overlapped, overlapped);
	assert_true(most <= 1);
	assert_int_equal(count_status(rn, 0, CHECK_FAILED), 0);
	run_free(rn);
}

/* --- mysql_replication ----------------------------------------------------- */

static struct check_params repl_params(const char *dir, const char *cnf_name)
{
	struct check_params p = ping_params(dir, cnf_name);
	p.name = "lag";
	p.warn_lag_ms = 5000;
	p.crit_lag_ms = 30000;
	p.connect_interval_ms = 0;
	return p;
}

static void repl_not_replica(void **s)
{
	(void)s;
	struct check_params p = repl_params(env("MDB_P"), "vigil.cnf");
	struct run *rn = run_new(&mysql_replication_type, &p);
	assert_true(run_for(rn, 3000, is_ok));
	assert_string_equal(rn->res[rn->seen - 1].detail, "not a replica");
	run_free(rn);
}

static void repl_running_then_sql_stopped(void **s)
{
	(void)s;
	const char *r = env("MDB_R");
	struct check_params p = repl_params(r, "vigil.cnf");
	struct run *rn = run_new(&mysql_replication_type, &p);
	assert_true(run_for(rn, 3000, is_ok));
	const struct check_result *res = &rn->res[rn->seen - 1];
	assert_true(res->value >= 0 && res->value <= 1000);
	assert_non_null(strstr(res->detail, "replicating"));
	sql(r, "STOP SLAVE SQL_THREAD");
	bool failed = run_for(rn, 3000, is_failed);
	char detail[CHECK_DETAIL_MAX];
	snprintf(detail, sizeof detail, "%s", rn->res[rn->seen - 1].detail);
	sql(r, "START SLAVE SQL_THREAD");
	assert_true(failed);
	assert_non_null(strstr(detail, "SQL thread No"));
	assert_true(run_for(rn, 3000, is_ok));
	run_free(rn);
}

static void repl_missing_privilege(void **s)
{
	(void)s;
	struct check_params p = repl_params(env("MDB_R"), "noprivs.cnf");
	struct run *rn = run_new(&mysql_replication_type, &p);
	assert_true(run_for(rn, 3000, is_failed));
	const struct check_result *r = &rn->res[rn->seen - 1];
	assert_true(r->config_problem);
	assert_non_null(strstr(r->detail, "1227"));
	assert_non_null(strstr(r->detail, "SLAVE MONITOR"));
	run_free(rn);
}

/* The trap: the primary dies, the replica's IO thread cannot connect, its
 * lag turns NULL: the replica is still ok. */
static void repl_primary_killed(void **s)
{
	(void)s;
	const char *pdir = env("MDB_P"), *r = env("MDB_R");
	sql(pdir, "CREATE DATABASE IF NOT EXISTS t; CREATE TABLE IF NOT EXISTS t.x (id INT PRIMARY KEY); "
		  "REPLACE INTO t.x VALUES (1),(2),(3)");
	struct check_params p = repl_params(r, "vigil.cnf");
	struct run *rn = run_new(&mysql_replication_type, &p);
	assert_true(run_for(rn, 3000, is_ok));
	assert_int_equal(kill(server_pid(pdir), SIGKILL), 0);
	/* Wait (bounded) until the replica notices. */
	sh("for i in $(seq 1 100); do s=$(mariadb --defaults-file=%s/root.cnf -e 'SHOW SLAVE STATUS\\G' "
	   "| awk '/Slave_IO_Running:/ {print $2}'); [ \"$s\" != Yes ] && exit 0; sleep 0.05; done; exit 1",
	   r);
	int from = rn->n;
	run_for(rn, 1500, NULL);
	assert_true(rn->n - from >= 3);
	for (int i = from; i < rn->n; i++) {
		assert_int_equal(rn->res[i].status, CHECK_OK);
		assert_non_null(strstr(rn->res[i].detail, "IO thread"));
	}
	assert_non_null(strstr(rn->res[rn->n - 1].detail, "applied all received"));
	run_free(rn);
}

/* The replica hung, with overlapping probes: failures an interval apart,
 * then ok again after SIGCONT. */
static void repl_sigstop_overlap(void **s)
{
	(void)s;
	const char *r = env("MDB_R");
	struct check_params p = repl_params(r, "vigil.cnf");
	p.max_inflight = 2;
	struct run *rn = run_new(&mysql_replication_type, &p);
	assert_true(run_for(rn, 3000, is_ok));
	int from = rn->n;
	pid_t pid = server_pid(r);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	double t0 = ev_time();
	run_for(rn, 1500, NULL);
	kill(pid, SIGCONT);
	double first;
	double gap = failure_gap(rn, from, &first);
	printf("#   failures %.0f and %.0f ms after SIGSTOP\n", (first - t0) * 1000,
	       (first + gap - t0) * 1000);
	assert_true(gap < 0.2 + 0.1);
	assert_true(run_for(rn, 3000, is_ok));
	run_free(rn);
}

/* Last: kill -9 of the standalone server, seen at once by the idle watch. */
static void ping_server_killed(void **s)
{
	(void)s;
	const char *dir = env("MDB_S");
	struct check_params p = ping_params(dir, "vigil.cnf");
	p.interval_ms = 1000;
	struct run *rn = run_new(&mysql_ping_type, &p);
	assert_true(run_for(rn, 3000, is_ok));
	assert_int_equal(kill(server_pid(dir), SIGKILL), 0);
	double t0 = ev_time();
	assert_true(run_for(rn, 2000, is_failed));
	const struct check_result *r = &rn->res[rn->seen - 1];
	double took = rn->at[rn->seen - 1] - t0;
	printf("#   failed %.0f ms after kill -9 (interval 1000 ms)\n", took * 1000);
	assert_true(r->definite);
	assert_true(strstr(r->detail, "connect: 20") != NULL);
	assert_true(took < 0.3); /* not waiting for the next interval */
	run_free(rn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(ping_ok, teardown),
		cmocka_unit_test_teardown(ping_ok_ipv6, teardown),
		cmocka_unit_test_teardown(ping_wrong_password, teardown),
		cmocka_unit_test_teardown(ping_refused, teardown),
		cmocka_unit_test_teardown(ping_kill_connection, teardown),
		cmocka_unit_test_teardown(ping_wait_timeout, teardown),
		cmocka_unit_test_teardown(ping_sigstop, teardown),
		cmocka_unit_test_teardown(ping_sigstop_overlap, teardown),
		cmocka_unit_test_teardown(ping_slow_one_connection, teardown),
		cmocka_unit_test_teardown(repl_not_replica, teardown),
		cmocka_unit_test_teardown(repl_running_then_sql_stopped, teardown),
		cmocka_unit_test_teardown(repl_missing_privilege, teardown),
		cmocka_unit_test_teardown(repl_sigstop_overlap, teardown),
		cmocka_unit_test_teardown(repl_primary_killed, teardown),
		cmocka_unit_test_teardown(ping_server_killed, teardown),
	};
	signal(SIGPIPE, SIG_IGN); /* as vigild does */
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	mysql_library_end();
	return rc;
}
