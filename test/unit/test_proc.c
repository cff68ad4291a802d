/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for proc: real children on the real libev default loop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "test_util.h"

/* Every loop in these tests stops after this long, whatever happens. */
#define GUARD_S 5.0

struct fixture {
	struct tu_dir dir;
	struct ev_loop *loop;
	struct proc *p;
	bool done;
	int calls;
	struct proc_result res;
};

static char *const base_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tu_dir_make(&f->dir, "proc") < 0)
		return -1;
	f->loop = ev_default_loop(0);
	if (proc_new(&f->p, f->loop) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	proc_free(f->p);
	rc = tu_dir_remove(&f->dir); /* the temp dir must really be gone */
	free(f);
	return rc;
}

static void on_done(struct proc *p, const struct proc_result *r, void *ctx)
{
	struct fixture *f = ctx;

	assert_ptr_equal(p, f->p);
	assert_false(proc_running(p));
	f->res = *r;
	f->done = true;
	f->calls++;
	ev_break(f->loop, EVBREAK_ONE);
}

static void run_script(struct fixture *f, const char *path,
		       const struct proc_opts *opts)
{
	char *argv[] = { (char *)path, NULL };

	f->done = false;
	assert_int_equal(proc_start(f->p, argv, base_env, opts, on_done, f), 0);
	assert_true(proc_running(f->p));
	assert_true(tu_run_until_flag(f->loop, &f->done, GUARD_S));
	assert_int_equal(f->calls, 1);
}

static void test_exit_code_and_output(void **state)
{
	struct fixture *f = *state;

	run_script(f, tu_dir_script(&f->dir, "x.sh",
				    "printf '\\n\\tfirst line\\nsecond\\n'; echo err >&2; exit 3", 0755),
		   NULL);
	assert_int_equal(f->res.outcome, PROC_EXITED);
	assert_int_equal(f->res.exit_code, 3);
	assert_int_equal(f->res.signo, 0);
	assert_int_equal(f->res.err, 0);
	assert_true(f->res.pid > 0);
	/* Leading blank line skipped, tab replaced, only the first line kept. */
	assert_string_equal(f->res.output, "?first line");
	assert_false(proc_result_ok(&f->res));
}

static void test_exit_zero_is_ok(void **state)
{
	struct fixture *f = *state;

	/* stdin is /dev/null: cat must see EOF at once, not hang. */
	run_script(f, tu_dir_script(&f->dir, "ok.sh", "cat; echo done >&2", 0755), NULL);
	assert_int_equal(f->res.outcome, PROC_EXITED);
	assert_int_equal(f->res.exit_code, 0);
	assert_string_equal(f->res.output, "done");
	assert_true(proc_result_ok(&f->res));
	assert_true(f->res.duration_ms < 3000);
}

static void test_long_output_truncated(void **state)
{
	struct fixture *f = *state;

	/* 100 KB without a newline: more than a pipe holds, so the child only
	 * finishes if we keep draining. */
	run_script(f, tu_dir_script(&f->dir, "long.sh", "head -c 100000 /dev/zero | tr '\\0' a", 0755),
		   NULL);
	assert_int_equal(f->res.outcome, PROC_EXITED);
	assert_int_equal(f->res.exit_code, 0);
	assert_int_equal(strlen(f->res.output), PROC_OUTPUT_MAX - 1);
	assert_int_equal(f->res.output[0], 'a');
}

static void test_signal_reported(void **state)
{
	struct fixture *f = *state;

	run_script(f, tu_dir_script(&f->dir, "sig.sh", "kill -USR1 $$; sleep 5", 0755), NULL);
	assert_int_equal(f->res.outcome, PROC_SIGNALED);
	assert_int_equal(f->res.signo, SIGUSR1);
	assert_int_equal(f->res.exit_code, -1);
	assert_false(proc_result_ok(&f->res));
}

static void test_missing_program(void **state)
{
	struct fixture *f = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/does-not-exist", f->dir.path);
	run_script(f, path, NULL);
	assert_int_equal(f->res.outcome, PROC_EXEC_FAILED);
	assert_int_equal(f->res.err, ENOENT);
	assert_int_equal(f->res.exit_code, -1);
	assert_string_equal(proc_outcome_name(f->res.outcome), "exec failed");
}

static void test_not_executable(void **state)
{
	struct fixture *f = *state;

	/* No x bit at all: EACCES even for root. */
	run_script(f, tu_dir_script(&f->dir, "noexec.sh", "exit 0", 0644), NULL);
	assert_int_equal(f->res.outcome, PROC_EXEC_FAILED);
	assert_int_equal(f->res.err, EACCES);
}

static void test_timeout_kills_group(void **state)
{
	struct fixture *f = *state;
	struct proc_opts o = { .timeout_ms = 300, .kill_grace_ms = 2000 };
	pid_t child;

	run_script(f, tu_dir_script(&f->dir, "hang.sh",
				    "sleep 100 & echo $! > \"${0%/*}/child.pid\"; wait", 0755),
		   &o);
	assert_int_equal(f->res.outcome, PROC_TIMED_OUT);
	assert_int_equal(f->res.signo, SIGTERM);
	assert_true(f->res.duration_ms >= 290);
	assert_true(f->res.duration_ms < 2000);
	child = tu_dir_read_pid(&f->dir, "child.pid");
	assert_true(tu_wait_dead(child, 1000));
	assert_true(tu_pid_dead(f->res.pid));
}

/* A script that exits at once but leaves a child behind: one keeping the
 * output pipe open (reaped on the script's exit, not at EOF), and one
 * forked twice with its output closed (reparented to init). Both are in
 * the script's group and die when the script is reaped; a clean exit
 * leaves no leftovers. */
static void test_exit_kills_leftovers(void **state)
{
	struct fixture *f = *state;
	pid_t bg, dbl;

	run_script(f, tu_dir_script(&f->dir, "bg.sh",
				    "sleep 100 & echo $! > \"${0%/*}/bg.pid\"\n"
				    "(sleep 100 </dev/null >/dev/null 2>&1 & echo $! > \"${0%/*}/dbl.pid\")\n"
				    "echo started; exit 0",
				    0755),
		   NULL);
	assert_int_equal(f->res.outcome, PROC_EXITED);
	assert_int_equal(f->res.exit_code, 0);
	assert_true(f->res.duration_ms < 3000); /* not held until the sleeps end */
	assert_string_equal(f->res.output, "started");
	assert_true(f->res.leftovers);
	bg = tu_dir_read_pid(&f->dir, "bg.pid");
	dbl = tu_dir_read_pid(&f->dir, "dbl.pid");
	assert_true(tu_wait_dead(bg, 1000));
	assert_true(tu_wait_dead(dbl, 1000));

	f->calls = 0;
	run_script(f, tu_dir_script(&f->dir, "clean.sh", "exit 0", 0755), NULL);
	assert_false(f->res.leftovers);
}

static void test_timeout_sigkill_after_grace(void **state)
{
	struct fixture *f = *state;
	struct proc_opts o = { .timeout_ms = 200, .kill_grace_ms = 300 };
	pid_t child;

	/* SIGTERM ignored by the script and (inherited) by its child. */
	run_script(f, tu_dir_script(&f->dir, "stubborn.sh",
				    "trap '' TERM; sleep 100 & echo $! > \"${0%/*}/child.pid\"; wait",
				    0755),
		   &o);
	assert_int_equal(f->res.outcome, PROC_TIMED_OUT);
	assert_int_equal(f->res.signo, SIGKILL);
	assert_true(f->res.duration_ms >= 490);
	assert_true(f->res.duration_ms < 3000);
	child = tu_dir_read_pid(&f->dir, "child.pid");
	assert_true(tu_wait_dead(child, 1000));
}

static void test_kill_cancels(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { NULL, NULL };

	argv[0] = tu_dir_script(&f->dir, "k.sh", "sleep 100", 0755);
	f->done = false;
	assert_int_equal(proc_start(f->p, argv, base_env, NULL, on_done, f), 0);
	assert_int_equal(proc_start(f->p, argv, base_env, NULL, on_done, f), -EBUSY);
	proc_kill(f->p);
	assert_true(tu_run_until_flag(f->loop, &f->done, GUARD_S));
	assert_int_equal(f->res.outcome, PROC_CANCELLED);
	assert_int_equal(f->res.signo, SIGKILL);
	assert_int_equal(f->calls, 1);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	(*(int *)w->data)++;
}

static void test_loop_not_blocked(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { NULL, NULL };
	ev_timer tick;
	int ticks = 0;
	ev_tstamp t0;

	argv[0] = tu_dir_script(&f->dir, "slow.sh", "sleep 0.5", 0755);
	ev_timer_init(&tick, tick_cb, 0.05, 0.05);
	tick.data = &ticks;
	ev_timer_start(f->loop, &tick);
	ev_now_update(f->loop);
	t0 = ev_time();
	f->done = false;
	assert_int_equal(proc_start(f->p, argv, base_env, NULL, on_done, f), 0);
	/* proc_start returns at once, not when the child is done. */
	assert_true(ev_time() - t0 < 0.2);
	assert_true(tu_run_until_flag(f->loop, &f->done, GUARD_S));
	ev_timer_stop(f->loop, &tick);
	assert_int_equal(f->res.outcome, PROC_EXITED);
	assert_true(f->res.duration_ms >= 490);
	/* ~10 ticks in 0.5 s; demand a clear majority. */
	assert_true(ticks >= 6);
}

static void test_no_fd_or_env_leak(void **state)
{
	struct fixture *f = *state;
	char body[256];
	int fd = open("/dev/null", O_RDONLY); /* deliberately not CLOEXEC */

	assert_true(fd > 2);
	setenv("VIGIL_TEST_LEAK", "1", 1);
	snprintf(body, sizeof(body),
		 "[ -e /proc/$$/fd/%d ] && exit 10\n"
		 "[ -n \"$VIGIL_TEST_LEAK\" ] && exit 11\n"
		 "[ \"$PATH\" = /usr/sbin:/usr/bin:/sbin:/bin ] || exit 12\n"
		 "exit 0", fd);
	run_script(f, tu_dir_script(&f->dir, "fd.sh", body, 0755), NULL);
	close(fd);
	unsetenv("VIGIL_TEST_LEAK");
	assert_int_equal(f->res.outcome, PROC_EXITED);
	assert_int_equal(f->res.exit_code, 0);
}

static void test_free_kills_running(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { NULL, NULL };
	char pidfile[128];
	pid_t child;

	argv[0] = tu_dir_script(&f->dir, "bg.sh",
				"sleep 100 & echo $! > \"${0%/*}/child.pid\"; wait", 0755);
	snprintf(pidfile, sizeof(pidfile), "%s/child.pid", f->dir.path);
	f->done = false;
	assert_int_equal(proc_start(f->p, argv, base_env, NULL, on_done, f), 0);
	/* Let the script write its child's pid (bounded). */
	for (int i = 0; i < 200; i++) {
		struct stat st;

		if (stat(pidfile, &st) == 0 && st.st_size > 0)
			break;
		tu_run_for(f->loop, 0.01);
	}
	child = tu_dir_read_pid(&f->dir, "child.pid");
	proc_free(f->p);
	f->p = NULL;
	assert_true(tu_wait_dead(child, 1000));
	assert_false(f->done); /* no callback from proc_free */
}

static void test_bad_arguments(void **state)
{
	struct fixture *f = *state;
	struct ev_loop *other = ev_loop_new(0);
	struct proc *p = (struct proc *)1;
	char *empty[] = { NULL };
	char *argv[] = { "/bin/true", NULL };

	assert_non_null(other);
	assert_int_equal(proc_new(&p, other), -EINVAL);
	assert_null(p);
	ev_loop_destroy(other);
	assert_int_equal(proc_new(NULL, f->loop), -EINVAL);
	assert_int_equal(proc_start(f->p, empty, base_env, NULL, on_done, f), -EINVAL);
	assert_int_equal(proc_start(f->p, argv, NULL, NULL, on_done, f), -EINVAL);
	assert_int_equal(proc_start(f->p, argv, base_env, NULL, NULL, f), -EINVAL);
	assert_false(proc_running(f->p));
	assert_false(proc_running(NULL));
	proc_kill(f->p); /* idle: no-op */
	proc_free(NULL);
	assert_string_equal(proc_outcome_name(PROC_TIMED_OUT), "timed out");
	assert_string_equal(proc_outcome_name(PROC_SPAWN_FAILED), "spawn failed");
}

/* The callback may immediately start the next child on the same proc. */
static int chain_left;

static void chain_done(struct proc *p, const struct proc_result *r, void *ctx)
{
	struct fixture *f = ctx;
	char *argv[] = { "/bin/true", NULL };

	assert_int_equal(r->outcome, PROC_EXITED);
	f->calls++;
	if (--chain_left > 0) {
		assert_int_equal(proc_start(p, argv, base_env, NULL, chain_done, f), 0);
		return;
	}
	f->done = true;
}

static void test_restart_from_callback(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "/bin/true", NULL };

	chain_left = 3;
	f->done = false;
	assert_int_equal(proc_start(f->p, argv, base_env, NULL, chain_done, f), 0);
	assert_true(tu_run_until_flag(f->loop, &f->done, GUARD_S));
	assert_int_equal(f->calls, 3);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* script_user: the child becomes the user (groups, gid, uid), starts in
 * "/", and keeps none of a root parent's capabilities. */
static void test_runs_as_user(void **state)
{
	struct fixture *f = *state;
	struct proc_user *u = NULL;
	char err[200], want[128];
	struct proc_opts opts = { 0 };

	TU_REQUIRE(geteuid() == 0 ? NULL : "not root: only root may run a child as another user");
	assert_int_equal(proc_user_lookup("nobody", &u, err, sizeof(err)), 0);
	assert_string_equal(u->name, "nobody");
	/* nobody must reach the script: the temp dir is 0700. */
	assert_int_equal(chmod(f->dir.path, 0755), 0);
	opts.user = u;
	run_script(f, tu_dir_script(&f->dir, "who.sh",
				    "echo \"$(id -u):$(id -g):$(pwd):$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)\"",
				    0755),
		   &opts);
	assert_int_equal(f->res.outcome, PROC_EXITED);
	assert_int_equal(f->res.exit_code, 0);
	snprintf(want, sizeof(want), "%u:%u:/:0000000000000000", (unsigned)u->uid, (unsigned)u->gid);
	assert_string_equal(f->res.output, want);
	proc_user_free(u);
}

/* A child that cannot become the user is reported as such, with the call
 * that failed, never as the program's exit 127. More groups than the
 * kernel takes make setgroups fail for anyone, root or not. */
static void test_user_failure_reported(void **state)
{
	struct fixture *f = *state;
	enum { TOO_MANY = 70000 };
	gid_t *groups = calloc(TOO_MANY, sizeof(*groups));
	struct proc_user u = { .name = "bogus", .uid = 65534, .gid = 65534, .groups = groups,
			       .n_groups = TOO_MANY };
	struct proc_opts opts = { .user = &u };

	assert_non_null(groups);
	run_script(f, tu_dir_script(&f->dir, "never.sh", "echo ran", 0755), &opts);
	assert_int_equal(f->res.outcome, PROC_USER_FAILED);
	assert_string_equal(f->res.step, "setgroups");
	assert_int_equal(f->res.err, EINVAL);
	assert_int_equal(f->res.exit_code, -1);
	assert_string_equal(f->res.output, "");
	assert_string_equal(proc_outcome_name(f->res.outcome), "cannot switch user");
	free(groups);
}

static void test_user_lookup(void **state)
{
	struct proc_user *u = NULL;
	char err[200];

	(void)state;
	assert_int_equal(proc_user_lookup("root", &u, err, sizeof(err)), 0);
	assert_int_equal(u->uid, 0);
	assert_int_equal(u->gid, 0);
	assert_true(u->n_groups >= 1);
	proc_user_free(u);
	assert_int_equal(proc_user_lookup("vigil-no-such-user", &u, err, sizeof(err)), -ENOENT);
	assert_null(u);
	assert_string_equal(err, "no user 'vigil-no-such-user' on this host");
	assert_int_equal(proc_user_lookup("", &u, err, sizeof(err)), -EINVAL);
	proc_user_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_exit_code_and_output),
		T(test_exit_zero_is_ok),
		T(test_long_output_truncated),
		T(test_signal_reported),
		T(test_missing_program),
		T(test_not_executable),
		T(test_timeout_kills_group),
		T(test_exit_kills_leftovers),
		T(test_timeout_sigkill_after_grace),
		T(test_kill_cancels),
		T(test_loop_not_blocked),
		T(test_no_fd_or_env_leak),
		T(test_free_kills_running),
		T(test_bad_arguments),
		T(test_restart_from_callback),
		T(test_runs_as_user),
		T(test_user_failure_reported),
		T(test_user_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
