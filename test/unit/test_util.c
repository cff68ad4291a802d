// SPDX-License-Identifier: GPL-2.0-or-later
// Helpers shared by the unit tests (see test_util.h).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- skip or fail ------------------------------------------------------ */

bool tu_ci(void)
{
	const char *ci = getenv("CI");
	return ci && strcmp(ci, "true") == 0;
}

/* ---- network namespace ------------------------------------------------- */

static const char *ip_path(void)
{
	static const char *const paths[] = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return "ip";
}

/* Run ip with argv[1..] from first and ap; stdout to out (NULL: dropped). */
static int ip_v(char *out, size_t cap, const char *first, va_list ap)
{
	const char *argv[24];
	size_t n = 0;
	argv[n++] = "ip";
	const char *a = first;
	while (a && n < 23) {
		argv[n++] = a;
		a = va_arg(ap, const char *);
	}
	argv[n] = NULL;

	int fds[2];
	if (pipe(fds) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 2);
		close(fds[0]);
		execv(ip_path(), (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	/* Drain the pipe to the end even when out is full or absent, so ip
	 * never blocks on a write. */
	size_t len = 0;
	char sink[512];
	for (;;) {
		char *dst = out && len + 1 < cap ? out + len : sink;
		size_t room = out && len + 1 < cap ? cap - 1 - len : sizeof(sink);
		ssize_t r = read(fds[0], dst, room);
		if (r <= 0)
			break;
		if (dst != sink)
			len += (size_t)r;
	}
	close(fds[0]);
	if (out && cap)
		out[len] = '\0';
	int st;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int tu_ip(const char *first, ...)
{
	va_list ap;
	va_start(ap, first);
	int rc = ip_v(NULL, 0, first, ap);
	va_end(ap);
	return rc;
}

int tu_ip_capture(char *out, size_t cap, ...)
{
	va_list ap;
	va_start(ap, cap);
	const char *first = va_arg(ap, const char *);
	int rc = ip_v(out, cap, first, ap);
	va_end(ap);
	return rc;
}

const char *tu_netns_veth(const char *dev, const char *peer, char *why, size_t cap)
{
	if (geteuid() != 0)
		return "not root: network namespace tests need CAP_NET_ADMIN";
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(why, cap, "unshare(CLONE_NEWNET): %s", strerror(errno));
		return why;
	}
	if (tu_ip("link", "add", dev, "type", "veth", "peer", "name", peer, NULL) != 0)
		return "cannot create a veth pair (ip link add ... type veth)";
	return NULL;
}

/* ---- temp dir and scripts ---------------------------------------------- */

int tu_dir_make(struct tu_dir *d, const char *tag)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "/tmp/vigil-test-%s.XXXXXX", tag);
	return mkdtemp(d->path) ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int tu_dir_remove(struct tu_dir *d)
{
	/* A test may have made the dir itself unreadable or world-writable. */
	chmod(d->path, 0700);
	int rc = nftw(d->path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return rc == 0 && access(d->path, F_OK) != 0 ? 0 : -1;
}

char *tu_dir_path(struct tu_dir *d, const char *name)
{
	/* Built aside first: name may itself be one of the rotating buffers. */
	char tmp[sizeof(d->bufs[0])];
	snprintf(tmp, sizeof(tmp), "%s/%s", d->path, name);
	char *p = d->bufs[d->next++ % 4];
	memcpy(p, tmp, sizeof(tmp));
	return p;
}

/* Write head, text, tail to DIR/name, then chmod it to mode. */
static char *write_parts(struct tu_dir *d, const char *name, const char *head,
			 const char *text, const char *tail, mode_t mode)
{
	char *path = tu_dir_path(d, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(head, fp);
	fputs(text, fp);
	fputs(tail, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

char *tu_dir_write(struct tu_dir *d, const char *name, const char *text, mode_t mode)
{
	return write_parts(d, name, "", text, "", mode);
}

char *tu_dir_script(struct tu_dir *d, const char *name, const char *body, mode_t mode)
{
	return write_parts(d, name, "#!/bin/sh\n", body, "\n", mode);
}

pid_t tu_dir_read_pid(struct tu_dir *d, const char *name)
{
	const char *path = tu_dir_path(d, name);
	/* The child writes it before it sleeps; give it a moment. */
	for (int i = 0; i < 100 && access(path, F_OK) != 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	int pid = 0;
	assert_int_equal(fscanf(fp, "%d", &pid), 1);
	fclose(fp);
	assert_true(pid > 1);
	return (pid_t)pid;
}

/* ---- processes ----------------------------------------------------------- */

bool tu_pid_dead(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return true;
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* The state follows the command name, which may itself hold ')'. */
	const char *rp = strrchr(buf, ')');
	return !rp || rp[2] == 'Z' || rp[2] == 'X';
}

bool tu_wait_dead(pid_t pid, int max_ms)
{
	for (int i = 0; i < max_ms / 10; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		if (tu_pid_dead(pid))
			return true;
		nanosleep(&ts, NULL);
	}
	return tu_pid_dead(pid);
}

/* ---- bounded loop runs --------------------------------------------------- */

static void guard_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	*(bool *)w->data = true;
	ev_break(loop, EVBREAK_ONE);
}

/* Run loop until done(ctx) or max_s; returns done(ctx). */
static bool run_until(struct ev_loop *loop, bool (*done)(const void *ctx), const void *ctx,
		      double max_s)
{
	ev_timer guard;
	bool expired = false;
	ev_timer_init(&guard, guard_cb, max_s, 0.0);
	guard.data = &expired;
	ev_timer_start(loop, &guard);
	while (!done(ctx) && !expired)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &guard);
	return done(ctx);
}

static bool flag_set(const void *ctx)
{
	return *(const bool *)ctx;
}

bool tu_run_until_flag(struct ev_loop *loop, const bool *flag, double max_s)
{
	return run_until(loop, flag_set, flag, max_s);
}

struct count_goal {
	const int *count;
	int n;
};

static bool count_reached(const void *ctx)
{
	const struct count_goal *g = ctx;
	return *g->count >= g->n;
}

bool tu_run_until_count(struct ev_loop *loop, const int *count, int n, double max_s)
{
	struct count_goal g = { count, n };
	return run_until(loop, count_reached, &g, max_s);
}

static bool never(const void *ctx)
{
	(void)ctx;
	return false;
}

void tu_run_for(struct ev_loop *loop, double s)
{
	run_until(loop, never, NULL, s);
}
