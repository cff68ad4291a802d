// SPDX-License-Identifier: GPL-2.0-or-later
// Benchmark client: a fresh MariaDB connection through the VIP every TICK ms.
//
// Built by test/bench/run.sh (not by CMake: it is a lab tool, not part of
// vigil). Each tick starts one read attempt (SELECT @@server_id) and, with
// -w, one write attempt (SELECT @@server_id, then INSERT of a unique
// sequence number into appdb.bench), each in its own detached thread, so a
// connect that hangs (a SIGSTOPped server accepts TCP but never greets)
// does not delay the next tick: the schedule is what a busy application
// sees. One line per attempt goes to the output file with a single
// write(2) on an O_APPEND descriptor (whole lines, any thread order):
//
//   KIND SEQ START_US END_US RESULT SERVER_ID ERRNO
//
// KIND is R or W; times are CLOCK_REALTIME microseconds (the same clock as
// bash's EPOCHREALTIME, so run.sh's fault times line up); RESULT is ok or
// err; SERVER_ID is the answering server's @@server_id (0 if unknown);
// ERRNO is the client error code (0 on success). A write is "ok" only when
// the server acknowledged the INSERT (autocommit).
//
// Bounded: it stops after -d seconds or on SIGTERM/SIGINT, waits at most
// 3 s for attempts still running, and never runs more than MAX_INFLIGHT
// attempts at once (a tick over the limit is logged as KIND SEQ T T skip).

#include <errno.h>
#include <fcntl.h>
#include <mysql.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_INFLIGHT 128

struct opts {
	const char *host, *user, *password, *out;
	unsigned port, tick_ms, duration_s, timeout_s;
	int writes;
	long long seq_base;
};

struct attempt {
	const struct opts *o;
	int fd;
	char kind;
	long long seq;
};

static atomic_int inflight;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void emit(int fd, char kind, long long seq, long long t0, long long t1, const char *res,
		 long sid, unsigned err)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "%c %lld %lld %lld %s %ld %u\n", kind, seq, t0, t1, res,
			 sid, err);

	// O_APPEND + one write: lines from several threads never interleave.
	if (n > 0 && write(fd, line, (size_t)n) < 0)
		perror("bench_client: write");
}

// query_server_id: run SELECT @@server_id on MY; returns it, or -1.
static long query_server_id(MYSQL *my)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	long sid = -1;

	if (mysql_query(my, "SELECT @@server_id"))
		return -1;
	res = mysql_store_result(my);
	if (!res)
		return -1;
	row = mysql_fetch_row(res);
	if (row && row[0])
		sid = strtol(row[0], NULL, 10);
	mysql_free_result(res);
	return sid;
}

static void *run_attempt(void *arg)
{
	struct attempt *a = arg;
	const struct opts *o = a->o;
	long long t0 = now_us();
	long sid = 0;
	unsigned err = 0;
	MYSQL *my;

	mysql_thread_init();
	my = mysql_init(NULL);
	if (!my) {
		emit(a->fd, a->kind, a->seq, t0, now_us(), "err", 0, ENOMEM);
		goto out;
	}
	// Whole seconds only in the C API: 1 s bounds connect, greeting and
	// each read, so a hung server shows as an error after about 1 s.
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &o->timeout_s);
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &o->timeout_s);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &o->timeout_s);
	if (!mysql_real_connect(my, o->host, o->user, o->password, NULL, o->port, NULL, 0)) {
		err = mysql_errno(my);
		goto done;
	}
	sid = query_server_id(my);
	if (sid < 0) {
		sid = 0;
		err = mysql_errno(my);
		goto done;
	}
	if (a->kind == 'W') {
		char sql[160];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO appdb.bench (seq, server_id) VALUES (%lld, @@server_id)", a->seq);
		if (mysql_query(my, sql))
			err = mysql_errno(my);
	}
done:
	emit(a->fd, a->kind, a->seq, t0, now_us(), err ? "err" : "ok", sid, err);
	mysql_close(my);
out:
	mysql_thread_end();
	free(a);
	atomic_fetch_sub(&inflight, 1);
	return NULL;
}

static void launch(const struct opts *o, int fd, char kind, long long seq)
{
	pthread_attr_t attr;
	pthread_t th;
	struct attempt *a;

	if (atomic_load(&inflight) >= MAX_INFLIGHT) {
		long long t = now_us();
		emit(fd, kind, seq, t, t, "skip", 0, 0);
		return;
	}
	a = malloc(sizeof(*a));
	if (!a)
		return;
	*a = (struct attempt){ .o = o, .fd = fd, .kind = kind, .seq = seq };
	atomic_fetch_add(&inflight, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&th, &attr, run_attempt, a)) {
		atomic_fetch_sub(&inflight, 1);
		free(a);
	}
	pthread_attr_destroy(&attr);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_client -h HOST -u USER -p PASSWORD -o FILE [-P PORT] [-t TICK_MS]\n"
			"                    [-d SECONDS] [-T TIMEOUT_S] [-w] [-s SEQ_BASE]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	struct opts o = { .port = 3306, .tick_ms = 20, .duration_s = 120, .timeout_s = 1 };
	struct sigaction sa;
	struct timespec next;
	long long seq = 0;
	int c, fd, waited;

	while ((c = getopt(argc, argv, "h:u:p:o:P:t:d:T:ws:")) != -1) {
		switch (c) {
		case 'h': o.host = optarg; break;
		case 'u': o.user = optarg; break;
		case 'p': o.password = optarg; break;
		case 'o': o.out = optarg; break;
		case 'P': o.port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': o.tick_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': o.duration_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'T': o.timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': o.writes = 1; break;
		case 's': o.seq_base = strtoll(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!o.host || !o.user || !o.password || !o.out || o.tick_ms == 0 || o.duration_s == 0 ||
	    o.timeout_s == 0)
		usage();
	fd = open(o.out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(o.out);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (mysql_library_init(0, NULL, NULL)) {
		fprintf(stderr, "bench_client: mysql_library_init failed\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	// Absolute ticks: a slow launch does not shift the schedule.
	for (unsigned long n = 0; !stop && n < (unsigned long)o.duration_s * 1000 / o.tick_ms; n++) {
		seq++;
		launch(&o, fd, 'R', o.seq_base + seq);
		if (o.writes)
			launch(&o, fd, 'W', o.seq_base + seq);
		next.tv_nsec += (long)o.tick_ms * 1000000L;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR && !stop)
			;
	}
	// Let running attempts finish (each is bounded by its timeouts).
	for (waited = 0; atomic_load(&inflight) > 0 && waited < 300; waited++)
		usleep(10000);
	close(fd);
	return atomic_load(&inflight) > 0 ? 2 : 0;
}
