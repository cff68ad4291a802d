// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for the script checker: exit codes, signals, timeouts, and who may own the program.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "script.h"
#include "test_util.h"

#define GUARD_S 5.0
#define MAX_RESULTS 8

struct fx {
	struct tu_dir dir;
	struct ev_loop *loop;
	struct check *chk;
	int results;
	struct check_result res[MAX_RESULTS];
	bool probe_again; /* the callback asks for another probe at once */
};

/* Files must be owned by root for the checker to run them: as another
 * user these cases cannot run, which is a skip, except under CI. */
static void need_root(void)
{
	TU_REQUIRE(geteuid() == 0 ? NULL : "not root: the checker runs only root-owned programs");
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tu_dir_make(&f->dir, "script") < 0)
		return -1;
	f->loop = ev_default_loop(0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	check_free(f->chk);
	rc = tu_dir_remove(&f->dir); /* the temp dir must really be gone */
	free(f);
	return rc;
}

static void on_result(void *ctx, struct check *chk, const struct check_result *r)
{
	struct fx *f = ctx;

	assert_true(f->results < MAX_RESULTS);
	f->res[f->results++] = *r;
	if (f->probe_again) {
		f->probe_again = false;
		check_probe_now(chk);
	}
	ev_break(f->loop, EVBREAK_ONE);
}

static int make_argv(struct fx *f, char *const *argv, uint32_t timeout_ms, char *err,
		     size_t errlen)
{
	struct check_params p = { .name = "s1", .interval_ms = 60000, .timeout_ms = timeout_ms,
				  .argv = argv };

	return check_new(&f->chk, f->loop, &check_script_type, &p, on_result, f, err, errlen);
}

/* Create a check running path alone, start it, wait for one result. */
static void run_once(struct fx *f, const char *path, uint32_t timeout_ms)
{
	char *argv[] = { (char *)path, NULL };
	char err[256] = "";

	if (make_argv(f, argv, timeout_ms, err, sizeof(err)) != 0)
		fail_msg("create refused %s: %s", path, err);
	check_start(f->chk);
	assert_true(tu_run_until_count(f->loop, &f->results, 1, GUARD_S));
}

/* ---- verdicts ---- */

static void test_exit_0_is_ok(void **state)
{
	struct fx *f = *state;

	need_root();
	run_once(f, tu_dir_script(&f->dir, "ok.sh", "echo all good; echo second line", 0755), 2000);
	assert_int_equal(f->res[0].status, CHECK_OK);
	assert_string_equal(f->res[0].detail, "exit 0: all good");
	assert_false(f->res[0].config_problem);
	assert_false(f->res[0].definite);
}

static void test_exit_0_silent(void **state)
{
	struct fx *f = *state;

	need_root();
	run_once(f, tu_dir_script(&f->dir, "quiet.sh", "exit 0", 0700), 2000);
	assert_int_equal(f->res[0].status, CHECK_OK);
	assert_string_equal(f->res[0].detail, "exit 0");
}

static void test_exit_1_is_degraded(void **state)
{
	struct fx *f = *state;

	need_root();
	run_once(f, tu_dir_script(&f->dir, "deg.sh", "echo lag 12 s >&2; exit 1", 0755), 2000);
	assert_int_equal(f->res[0].status, CHECK_DEGRADED);
	assert_string_equal(f->res[0].detail, "exit 1: lag 12 s");
}

static void test_exit_2_and_255_fail(void **state)
{
	struct fx *f = *state;

	need_root();
	run_once(f, tu_dir_script(&f->dir, "two.sh", "echo broken; exit 2", 0755), 2000);
	assert_int_equal(f->res[0].status, CHECK_FAILED);
	assert_string_equal(f->res[0].detail, "exit 2: broken");
	assert_false(f->res[0].config_problem);
	check_free(f->chk);
	f->chk = NULL;
	f->results = 0;
	run_once(f, tu_dir_script(&f->dir, "ff.sh", "exit 255", 0755), 2000);
	assert_int_equal(f->res[0].status, CHECK_FAILED);
	assert_string_equal(f->res[0].detail, "exit 255");
}

static void test_signal_fails(void **state)
{
	struct fx *f = *state;

	need_root();
	run_once(f, tu_dir_script(&f->dir, "sig.sh", "echo going; kill -9 $$", 0755), 2000);
	assert_int_equal(f->res[0].status, CHECK_FAILED);
	assert_string_equal(f->res[0].detail, "killed by signal 9 (Killed): going");
}

static void test_argv_and_env_without_shell(void **state)
{
	struct fx *f = *state;
	const char *path = tu_dir_script(&f->dir, "args.sh",
					 "echo \"$1|$2|$VIGIL_CHECK|$PATH|$HOME\"", 0755);
	char *argv[] = { (char *)path, "a b", "$HOME", NULL };
	char err[256];

	need_root();
	assert_int_equal(make_argv(f, argv, 2000, err, sizeof(err)), 0);
	check_start(f->chk);
	assert_true(tu_run_until_count(f->loop, &f->results, 1, GUARD_S));
	assert_int_equal(f->res[0].status, CHECK_OK);
	/* Arguments arrive as given (no splitting, no expansion); the
	 * environment is only PATH and VIGIL_CHECK. */
	assert_string_equal(f->res[0].detail,
			    "exit 0: a b|$HOME|s1|/usr/sbin:/usr/bin:/sbin:/bin|");
}

static void test_timeout_kills_child(void **state)
{
	struct fx *f = *state;
	pid_t pid;

	need_root();
	run_once(f, tu_dir_script(&f->dir, "hang.sh", "echo $$ > $0.pid; exec sleep 30", 0755), 150);
	assert_int_equal(f->res[0].status, CHECK_FAILED);
	assert_string_equal(f->res[0].detail, "timeout after 150 ms");
	assert_int_equal(check_get_stats(f->chk)->timeouts, 1);
	pid = tu_dir_read_pid(&f->dir, "hang.sh.pid");
	/* proc_kill sent SIGKILL; the loop reaps it. */
	tu_run_for(f->loop, 0.2);
	assert_true(tu_wait_dead(pid, 2000));
	/* No report follows a cancelled run. */
	assert_int_equal(f->results, 1);
	assert_int_equal(check_get_stats(f->chk)->unsolicited, 0);
}

static void test_probe_right_after_timeout(void **state)
{
	struct fx *f = *state;

	need_root();
	/* First run hangs; the owner asks for a new probe inside the timeout
	 * report, before the killed child is reaped: the new run waits for
	 * the reap, then runs (the second run exits 0). */
	f->probe_again = true;
	run_once(f, tu_dir_script(&f->dir, "once.sh",
				  "if [ -e $0.flag ]; then echo second; exit 0; fi\n"
				  "touch $0.flag; exec sleep 30", 0755),
		 300);
	assert_string_equal(f->res[0].detail, "timeout after 300 ms");
	assert_true(tu_run_until_count(f->loop, &f->results, 2, GUARD_S));
	assert_int_equal(f->res[1].status, CHECK_OK);
	assert_string_equal(f->res[1].detail, "exit 0: second");
	assert_int_equal(check_get_stats(f->chk)->probes, 2);
	tu_run_for(f->loop, 0.1);
	assert_int_equal(f->results, 2);
}

static void test_free_while_running_kills(void **state)
{
	struct fx *f = *state;
	const char *path = tu_dir_script(&f->dir, "long.sh", "echo $$ > $0.pid; exec sleep 30", 0755);
	char *argv[] = { (char *)path, NULL };
	char err[256];
	pid_t pid;

	need_root();
	assert_int_equal(make_argv(f, argv, 10000, err, sizeof(err)), 0);
	check_start(f->chk);
	tu_run_for(f->loop, 0.05);
	assert_true(check_probing(f->chk));
	pid = tu_dir_read_pid(&f->dir, "long.sh.pid");
	check_free(f->chk);
	f->chk = NULL;
	assert_true(tu_wait_dead(pid, 2000));
	assert_int_equal(f->results, 0);
}

static void test_exec_failure_is_config_problem(void **state)
{
	struct fx *f = *state;

	need_root();
	/* Executable, but no #! line: execve says ENOEXEC. */
	run_once(f, tu_dir_write(&f->dir, "noshebang", "echo hi\n", 0755), 2000);
	assert_int_equal(f->res[0].status, CHECK_FAILED);
	assert_true(f->res[0].config_problem);
	assert_string_equal(f->res[0].detail, "cannot execute: Exec format error");
	check_free(f->chk);
	f->chk = NULL;
	f->results = 0;
	run_once(f, tu_dir_write(&f->dir, "badinterp", "#!/nonexistent/vigil-sh\n", 0755), 2000);
	assert_int_equal(f->res[0].status, CHECK_FAILED);
	assert_true(f->res[0].config_problem);
	assert_string_equal(f->res[0].detail, "cannot execute: No such file or directory");
}

static void test_changed_after_create_is_refused(void **state)
{
	struct fx *f = *state;
	const char *path = tu_dir_script(&f->dir, "later.sh", "exit 0", 0755);
	char *argv[] = { (char *)path, NULL };
	char err[256], want[512];

	need_root();
	assert_int_equal(make_argv(f, argv, 2000, err, sizeof(err)), 0);
	assert_int_equal(chmod(path, 0777), 0);
	check_start(f->chk);
	assert_true(tu_run_until_count(f->loop, &f->results, 1, GUARD_S));
	assert_int_equal(f->res[0].status, CHECK_FAILED);
	assert_true(f->res[0].config_problem);
	snprintf(want, sizeof(want),
		 "refused to run: %s is writable by group or others (mode 0777, owner uid 0): "
		 "run chmod go-w %s", path, path);
	assert_string_equal(f->res[0].detail, want);
}

/* ---- refusals at create ---- */

/* Expect create to refuse argv0 with rc and exactly the message want
 * (each %s in want stands for the path). */
static void expect_refused(struct fx *f, const char *argv0, int rc, const char *want)
{
	char *argv[] = { (char *)argv0, NULL };
	char err[512], msg[512] = "";
	const char *hole;

	/* Not printf: the expected text is data, not a format. */
	while ((hole = strstr(want, "%s")) != NULL) {
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%.*s%s", (int)(hole - want),
			 want, argv0);
		want = hole + 2;
	}
	snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%s", want);
	assert_int_equal(make_argv(f, argv, 1000, err, sizeof(err)), rc);
	assert_null(f->chk);
	assert_string_equal(err, msg);
}

static void test_refuses_relative_and_missing(void **state)
{
	struct fx *f = *state;
	char err[256];
	struct check_params p = { .name = "s1", .interval_ms = 1000, .timeout_ms = 1000 };

	expect_refused(f, "check.sh", -EINVAL, "program must be an absolute path: \"%s\"");
	expect_refused(f, "./check.sh", -EINVAL, "program must be an absolute path: \"%s\"");
	expect_refused(f, tu_dir_path(&f->dir, "nothere"), -ENOENT, "%s: No such file or directory");
	assert_int_equal(check_new(&f->chk, f->loop, &check_script_type, &p, on_result, f, err,
				   sizeof(err)), -EINVAL);
	assert_string_equal(err, "a script check needs a command");
	assert_int_equal(mkdir(tu_dir_path(&f->dir, "adir"), 0755), 0);
	expect_refused(f, tu_dir_path(&f->dir, "adir"), -EACCES, "%s is not a regular file");
}

static void test_refuses_not_executable(void **state)
{
	struct fx *f = *state;

	expect_refused(f, tu_dir_script(&f->dir, "noexec.sh", "exit 0", 0644), -EACCES,
		       "%s is not executable (mode 0644)");
}

static void test_refuses_writable_by_others(void **state)
{
	struct fx *f = *state;

	need_root();
	expect_refused(f, tu_dir_script(&f->dir, "ww.sh", "exit 0", 0757), -EPERM,
		       "%s is writable by group or others (mode 0757, owner uid 0): run chmod go-w %s");
	expect_refused(f, tu_dir_script(&f->dir, "gw.sh", "exit 0", 0775), -EPERM,
		       "%s is writable by group or others (mode 0775, owner uid 0): run chmod go-w %s");
}

static void test_refuses_not_owned_by_root(void **state)
{
	struct fx *f = *state;
	const char *path = tu_dir_script(&f->dir, "nobody.sh", "exit 0", 0755);

	need_root();
	assert_int_equal(chown(path, 65534, 65534), 0);
	expect_refused(f, path, -EPERM,
		       "%s is not owned by root (owner uid 65534, mode 0755): run chown root %s");
}

static void test_refuses_unsafe_directory(void **state)
{
	struct fx *f = *state;
	char sub[128], prog[160], want[512], err[512];
	char *argv[] = { prog, NULL };

	need_root();
	snprintf(sub, sizeof(sub), "%s/sub", f->dir.path);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(prog, sizeof(prog), "%s/p.sh", sub);
	tu_dir_script(&f->dir, "sub/p.sh", "exit 0", 0755);
	assert_int_equal(make_argv(f, argv, 1000, err, sizeof(err)), 0);
	check_free(f->chk);
	f->chk = NULL;

	/* Its own directory writable by others: even sticky is not enough. */
	assert_int_equal(chmod(sub, 01777), 0);
	snprintf(want, sizeof(want),
		 "directory %s is writable by group or others (mode 1777, owner uid 0): keep the "
		 "program in a directory only root can write", sub);
	expect_refused(f, prog, -EPERM, want);
	assert_int_equal(chmod(sub, 0775), 0);
	snprintf(want, sizeof(want),
		 "directory %s is writable by group or others (mode 0775, owner uid 0): run chmod go-w %s",
		 sub, sub);
	expect_refused(f, prog, -EPERM, want);

	/* Its directory not root's. */
	assert_int_equal(chmod(sub, 0755), 0);
	assert_int_equal(chown(sub, 65534, 65534), 0);
	snprintf(want, sizeof(want),
		 "directory %s is not owned by root (owner uid 65534, mode 0755): run chown root %s",
		 sub, sub);
	expect_refused(f, prog, -EPERM, want);
	assert_int_equal(chown(sub, 0, 0), 0);

	/* A directory above it writable by others, without the sticky bit. */
	assert_int_equal(chmod(f->dir.path, 0777), 0);
	snprintf(want, sizeof(want),
		 "directory %s is writable by group or others (mode 0777, owner uid 0): run chmod go-w %s",
		 f->dir.path, f->dir.path);
	expect_refused(f, prog, -EPERM, want);
	/* With the sticky bit (as /tmp) it is fine above the program's own. */
	assert_int_equal(chmod(f->dir.path, 01777), 0);
	assert_int_equal(make_argv(f, argv, 1000, err, sizeof(err)), 0);
}

static void test_refuses_symlink_to_unsafe_place(void **state)
{
	struct fx *f = *state;
	char sub[128], target[160], link[160], want[512];

	need_root();
	snprintf(sub, sizeof(sub), "%s/open", f->dir.path);
	assert_int_equal(mkdir(sub, 0755), 0);
	tu_dir_script(&f->dir, "open/real.sh", "exit 0", 0755);
	assert_int_equal(chmod(sub, 0777), 0);
	snprintf(target, sizeof(target), "%s/real.sh", sub);
	snprintf(link, sizeof(link), "%s/link.sh", f->dir.path);
	assert_int_equal(symlink(target, link), 0);
	snprintf(want, sizeof(want),
		 "directory %s is writable by group or others (mode 0777, owner uid 0): run chmod go-w %s",
		 sub, sub);
	expect_refused(f, link, -EPERM, want);
}

static void test_needs_default_loop(void **state)
{
	struct fx *f = *state;
	const char *path = tu_dir_script(&f->dir, "loop.sh", "exit 0", 0755);
	char *argv[] = { (char *)path, NULL };
	struct check_params p = { .name = "s1", .interval_ms = 1000, .timeout_ms = 1000,
				  .argv = argv };
	struct ev_loop *other = ev_loop_new(EVFLAG_AUTO);
	char err[256];

	need_root();
	assert_non_null(other);
	assert_int_equal(check_new(&f->chk, other, &check_script_type, &p, on_result, f, err,
				   sizeof(err)), -EINVAL);
	assert_string_equal(err, "a script check needs the default event loop");
	ev_loop_destroy(other);
}

static void test_verify_directly(void **state)
{
	struct fx *f = *state;
	char err[256];

	need_root();
	/* The system's own shell passes: root's, in root's directories. */
	assert_int_equal(check_script_verify("/bin/sh", err, sizeof(err)), 0);
	assert_int_equal(check_script_verify(NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(check_script_verify(tu_dir_script(&f->dir, "v.sh", "exit 0", 0755), err,
					     sizeof(err)),
			 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_exit_0_is_ok),
		T(test_exit_0_silent),
		T(test_exit_1_is_degraded),
		T(test_exit_2_and_255_fail),
		T(test_signal_fails),
		T(test_argv_and_env_without_shell),
		T(test_timeout_kills_child),
		T(test_probe_right_after_timeout),
		T(test_free_while_running_kills),
		T(test_exec_failure_is_config_problem),
		T(test_changed_after_create_is_refused),
		T(test_refuses_relative_and_missing),
		T(test_refuses_not_executable),
		T(test_refuses_writable_by_others),
		T(test_refuses_not_owned_by_root),
		T(test_refuses_unsafe_directory),
		T(test_refuses_symlink_to_unsafe_place),
		T(test_needs_default_loop),
		T(test_verify_directly),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
