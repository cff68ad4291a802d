// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of the control socket: the pure request parser, then the
// server on a private loop in a temp dir (answers, malformed and oversized
// requests, silent and slow clients dropped at their deadline while others
// are served, the client limit, the socket file's mode, parent directory,
// stale file and a live daemon's socket left alone).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "test_util.h"

/* ---- the parser ---------------------------------------------------------- */

/* Parse text; returns the rc, the request and the error line. */
static int parse(const char *text, struct control_request *req, char *err, size_t errlen)
{
	memset(req, 0xa5, sizeof(*req));
	err[0] = '\0';
	return control_parse_request(text, strlen(text), req, err, errlen);
}

static void test_parse_status(void **state)
{
	(void)state;
	struct control_request req;
	char err[160];
	assert_int_equal(parse("status", &req, err, sizeof(err)), 0);
	assert_int_equal(req.cmd, CONTROL_CMD_STATUS);
	assert_false(req.json);
	assert_int_equal(parse("  status\t json \r", &req, err, sizeof(err)), 0);
	assert_true(req.json);
	assert_int_equal(parse("status\r", &req, err, sizeof(err)), 0);
	assert_false(req.json);
	assert_string_equal(control_cmd_name(CONTROL_CMD_STATUS), "status");
}

static void test_parse_commands(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		enum control_cmd cmd;
		const char *instance;
	} ok[] = {
		{ "metrics", CONTROL_CMD_METRICS, "" },
		{ "reload\r", CONTROL_CMD_RELOAD, "" },
		{ " restart ", CONTROL_CMD_RESTART, "" },
		{ "resign db", CONTROL_CMD_RESIGN, "db" },
		{ "resume\tVI_1", CONTROL_CMD_RESUME, "VI_1" },
		{ "resign aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", CONTROL_CMD_RESIGN,
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct control_request req;
		char err[200];
		assert_int_equal(parse(ok[i].in, &req, err, sizeof(err)), 0);
		assert_int_equal(req.cmd, ok[i].cmd);
		assert_false(req.json);
		assert_string_equal(req.instance, ok[i].instance);
		assert_string_equal(control_cmd_name(ok[i].cmd), strtok(strcpy(err, ok[i].in), " \t\r"));
	}
	static const struct {
		const char *in, *err;
	} bad[] = {
		{ "metrics json", "error: metrics: unexpected argument 'json'; try: metrics\n" },
		{ "reload now", "error: reload: unexpected argument 'now'; try: reload\n" },
		{ "resign", "error: resign: which instance? try: resign INSTANCE\n" },
		{ "resume db extra", "error: resume: unexpected argument 'extra'; try: resume INSTANCE\n" },
		{ "resign aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "error: resign: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is not an instance name (1 to 32 printable characters)\n" },
		{ "resign d\x01" "b",
		  "error: resign: 'd?b' is not an instance name (1 to 32 printable characters)\n" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct control_request req;
		char err[200];
		assert_int_equal(parse(bad[i].in, &req, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].err);
	}
}

static void test_parse_errors(void **state)
{
	(void)state;
	static const struct {
		const char *in, *err;
	} cases[] = {
		{ "x", "error: unknown command 'x'; try: status, metrics, resign INSTANCE, resume INSTANCE, reload, restart\n" },
		{ "", "error: empty request; try: status, metrics, resign INSTANCE, resume INSTANCE, reload, restart\n" },
		{ " \t ", "error: empty request; try: status, metrics, resign INSTANCE, resume INSTANCE, reload, restart\n" },
		{ "STATUS", "error: unknown command 'STATUS'; try: status, metrics, resign INSTANCE, resume INSTANCE, reload, restart\n" },
		{ "status xml", "error: status: unexpected argument 'xml'; try: status, or status json\n" },
		{ "status json json", "error: status: unexpected argument 'json'; try: status, or status json\n" },
		{ "sta'\x01\x7f", "error: unknown command 'sta\?\?\?'; try: status, metrics, resign INSTANCE, resume INSTANCE, reload, restart\n" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "error: unknown command 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'; try: status, metrics, resign INSTANCE, resume INSTANCE, reload, restart\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct control_request req;
		char err[160];
		assert_int_equal(parse(cases[i].in, &req, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].err);
	}
	/* A NUL inside the line, and a small error buffer (cut, terminated). */
	struct control_request req;
	char err[160], small[12];
	assert_int_equal(control_parse_request("status\0x", 8, &req, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "error: request contains a NUL byte; try: status, metrics, resign INSTANCE, resume INSTANCE, reload, restart\n");
	assert_int_equal(parse("nope", &req, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "error: unkn");
}

/* ---- the server ---------------------------------------------------------- */

#define GUARD_S 5.0

struct fixture {
	struct ev_loop *loop;
	struct tu_dir dir;
	struct control *ctl;
	char path[100];             /* fits sun_path */
	int calls;                  /* respond() calls */
	bool last_json;
	size_t answer_size;         /* 0: a short answer; else that many bytes */
};

static char *respond(void *ctx, const struct control_request *req)
{
	struct fixture *f = ctx;
	f->calls++;
	f->last_json = req->json;
	if (!f->answer_size) {
		char *s = NULL;
		return asprintf(&s, "answer %d%s\n", f->calls, req->json ? " json" : "") < 0 ? NULL : s;
	}
	char *s = malloc(f->answer_size + 1);
	if (s) {
		memset(s, 'x', f->answer_size);
		s[f->answer_size - 1] = '\n';
		s[f->answer_size] = '\0';
	}
	return s;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(f->loop);
	assert_int_equal(tu_dir_make(&f->dir, "control"), 0);
	snprintf(f->path, sizeof(f->path), "%s/run/vigil.sock", f->dir.path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	control_free(f->ctl);
	ev_loop_destroy(f->loop);
	assert_int_equal(tu_dir_remove(&f->dir), 0);
	free(f);
	return 0;
}

static int start(struct fixture *f, unsigned max_clients, uint32_t read_ms, uint32_t write_ms)
{
	struct control_conf conf = {
		.path = f->path,
		.max_clients = max_clients,
		.read_timeout_ms = read_ms,
		.write_timeout_ms = write_ms,
	};
	char err[256] = "";
	int rc = control_new(&f->ctl, f->loop, &conf, respond, f, err, sizeof(err));
	if (rc < 0)
		print_message("control_new: %s\n", err);
	return rc;
}

/* A connected, non-blocking client. */
static int client(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_text(int fd, const char *text)
{
	assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
}

/* Run the loop and read fd until the server closes it (or max_s); returns
 * the bytes read (NUL-terminated in out, cut to cap - 1). *eof tells
 * whether the server closed. */
static size_t drain(struct fixture *f, int fd, char *out, size_t cap, double max_s, bool *eof)
{
	size_t len = 0;
	char buf[65536];
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	*eof = false;
	for (;;) {
		ev_run(f->loop, EVRUN_NOWAIT);
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0) {
			*eof = true;
			break;
		}
		if (n > 0) {
			size_t take = (size_t)n < cap - 1 - len ? (size_t)n : cap - 1 - len;
			memcpy(out + len, buf, take);
			len += take;
			continue;
		}
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 > max_s)
			break;
		struct timespec nap = { 0, 1000000 };
		nanosleep(&nap, NULL);
	}
	out[len] = '\0';
	return len;
}

/* One request, its whole answer. */
static void exchange(struct fixture *f, const char *req, char *out, size_t cap)
{
	int fd = client(f->path);
	send_text(fd, req);
	bool eof;
	drain(f, fd, out, cap, GUARD_S, &eof);
	assert_true(eof);
	close(fd);
}

static void test_serve(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(start(f, 0, 0, 0), 0);
	struct stat st;
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(tu_dir_path(&f->dir, "run"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	char out[256];
	exchange(f, "status\n", out, sizeof(out));
	assert_string_equal(out, "answer 1\n");
	exchange(f, "status json\n", out, sizeof(out));
	assert_string_equal(out, "answer 2 json\n");
	/* A last line without its newline, the write side shut. */
	int fd = client(f->path);
	send_text(fd, "status");
	shutdown(fd, SHUT_WR);
	bool eof;
	drain(f, fd, out, sizeof(out), GUARD_S, &eof);
	close(fd);
	assert_true(eof);
	assert_string_equal(out, "answer 3\n");
	/* A client that connects and leaves at once is just closed. */
	fd = client(f->path);
	close(fd);
	tu_run_for(f->loop, 0.05);

	const struct control_stats *s = control_stats(f->ctl);
	assert_int_equal(s->accepted, 4);
	assert_int_equal(s->requests, 3);
	assert_int_equal(s->malformed, 0);
	assert_int_equal(control_clients(f->ctl), 0);
	/* Freed: the socket file goes with it. */
	control_free(f->ctl);
	f->ctl = NULL;
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(start(f, 0, 0, 0), 0);
	char out[256];
	exchange(f, "reboot now\n", out, sizeof(out));
	assert_string_equal(out, "error: unknown command 'reboot'; try: status, metrics, resign INSTANCE, resume INSTANCE, reload, restart\n");
	/* Longer than the limit: refused without reading the rest. */
	char big[3 * CONTROL_REQUEST_MAX];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	exchange(f, big, out, sizeof(out));
	assert_string_equal(out, "error: request longer than 1023 bytes; try: status\n");
	/* Just under the limit is parsed (and refused as a command). */
	memset(big, ' ', CONTROL_REQUEST_MAX - 1);
	memcpy(big + CONTROL_REQUEST_MAX - 8, "status\n", 8);
	exchange(f, big, out, sizeof(out));
	assert_string_equal(out, "answer 1\n");
	/* Only the first line counts. */
	exchange(f, "status json\nreboot\n", out, sizeof(out));
	assert_string_equal(out, "answer 2 json\n");
	const struct control_stats *s = control_stats(f->ctl);
	assert_int_equal(s->malformed, 2);
	assert_int_equal(s->requests, 2);
	assert_int_equal(f->calls, 2);
}

/* A client that says nothing is dropped at the read deadline; others are
 * served meanwhile. */
static void test_silent_client(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(start(f, 0, 200, 0), 0);
	int quiet = client(f->path);
	tu_run_for(f->loop, 0.02);
	char out[256];
	exchange(f, "status\n", out, sizeof(out));
	assert_string_equal(out, "answer 1\n");
	assert_int_equal(control_clients(f->ctl), 1);
	bool eof;
	drain(f, quiet, out, sizeof(out), GUARD_S, &eof);
	close(quiet);
	assert_true(eof);
	assert_string_equal(out, "error: no request line within 200 ms\n");
	assert_int_equal(control_stats(f->ctl)->timeouts, 1);
	assert_int_equal(control_clients(f->ctl), 0);
}

/* A big answer goes out as the client drains it; a client that never
 * reads is dropped at the write deadline. */
static void test_slow_reader(void **state)
{
	struct fixture *f = *state;
	f->answer_size = 8u << 20; /* far beyond the socket buffers */
	assert_int_equal(start(f, 0, 0, 300), 0);
	int fd = client(f->path);
	send_text(fd, "status\n");
	static char out[1u << 20];
	bool eof;
	size_t total = 0;
	/* Read slowly at first: the loop keeps running in between. */
	for (int i = 0; i < 5; i++)
		total += drain(f, fd, out, 4096, 0.01, &eof);
	for (;;) {
		size_t n = drain(f, fd, out, sizeof(out), 0.2, &eof);
		total += n;
		if (eof || n == 0)
			break;
	}
	close(fd);
	assert_true(eof);
	assert_true(total > 0);
	assert_int_equal(control_stats(f->ctl)->timeouts, 0);

	fd = client(f->path);
	send_text(fd, "status\n");
	tu_run_for(f->loop, 0.5);
	assert_int_equal(control_stats(f->ctl)->timeouts, 1);
	assert_int_equal(control_clients(f->ctl), 0);
	close(fd);
}

/* With every slot busy, the next client waits in the backlog and is served
 * once a slot frees. */
static void test_client_limit(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(start(f, 2, 300, 0), 0);
	int a = client(f->path), b = client(f->path);
	tu_run_for(f->loop, 0.02);
	assert_int_equal(control_clients(f->ctl), 2);
	int c = client(f->path);
	send_text(c, "status\n");
	tu_run_for(f->loop, 0.05);
	assert_int_equal(f->calls, 0);
	assert_true(control_stats(f->ctl)->full >= 1);
	char out[256];
	bool eof;
	drain(f, c, out, sizeof(out), GUARD_S, &eof);
	assert_true(eof);
	assert_string_equal(out, "answer 1\n");
	close(a);
	close(b);
	close(c);
}

static void test_stale_socket(void **state)
{
	struct fixture *f = *state;
	/* A socket file nobody listens on: a vigild that died left it. */
	assert_int_equal(mkdir(tu_dir_path(&f->dir, "run"), 0755), 0);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	assert_int_equal(start(f, 0, 0, 0), 0);
	char out[64];
	exchange(f, "status\n", out, sizeof(out));
	assert_string_equal(out, "answer 1\n");
	/* An existing directory keeps its mode. */
	struct stat st;
	assert_int_equal(stat(tu_dir_path(&f->dir, "run"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
}

static void test_live_socket(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(start(f, 0, 0, 0), 0);
	struct stat before, after;
	assert_int_equal(lstat(f->path, &before), 0);
	/* A second daemon on the same path is refused and touches nothing. */
	struct control *second = NULL;
	struct control_conf conf = { .path = f->path };
	char err[256] = "";
	assert_int_equal(control_new(&second, f->loop, &conf, respond, f, err, sizeof(err)),
			 -EADDRINUSE);
	assert_null(second);
	char want[64];
	snprintf(want, sizeof(want), "another vigild (pid %ld) is listening", (long)getpid());
	assert_non_null(strstr(err, want));
	assert_int_equal(lstat(f->path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	/* Its probe was a client that said nothing: closed quietly, and the
	 * first daemon still answers. */
	char out[64];
	exchange(f, "status\n", out, sizeof(out));
	assert_string_equal(out, "answer 1\n");
	assert_int_equal(control_stats(f->ctl)->malformed, 0);
}

static void test_bad_paths(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	struct control_conf conf = { .path = tu_dir_write(&f->dir, "file", "x", 0600) };
	struct control *c = NULL;
	assert_int_equal(control_new(&c, f->loop, &conf, respond, f, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "exists and is not a socket"));
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	conf.path = longp;
	assert_int_equal(control_new(&c, f->loop, &conf, respond, f, err, sizeof(err)),
			 -ENAMETOOLONG);
	conf.path = tu_dir_path(&f->dir, "no/such/dir/s.sock");
	assert_int_equal(control_new(&c, f->loop, &conf, respond, f, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot create directory"));
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_parse_commands),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test_setup_teardown(test_serve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
