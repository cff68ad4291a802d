/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for notify: the pure argv/envp builder, then real scripts on the default loop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify.h"
#include "test_util.h"

/* Every loop in these tests stops after this long, whatever happens. */
#define GUARD_S 5.0
#define MAX_REPORTS 16

static const char *const two_vips[] = { "198.18.0.100/24", "198.18.0.101/24" };

/* ---- pure builder ---- */

static void assert_strv(char **got, const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++) {
		assert_non_null(got[i]);
		assert_string_equal(got[i], want[i]);
	}
	assert_null(got[i]);
}

static void test_build_both(void **state)
{
	char *generic[] = { "/etc/vigil/notify.sh", "--verbose", NULL };
	char *master[] = { "/etc/vigil/master.sh", "a b", NULL };
	struct notify_conf conf = {
		.instance = "writer", .router_id = "db1",
		.notify = generic, .notify_master = master,
	};
	struct notify_change chg = {
		.state = NOTIFY_STATE_MASTER, .prev = NOTIFY_STATE_BACKUP,
		.priority = 150, .vips = two_vips, .n_vips = 2,
	};
	struct notify_cmd cmds[2];
	size_t n = 99;
	static const char *const want_master[] = { "/etc/vigil/master.sh", "a b", NULL };
	static const char *const want_generic[] = {
		"/etc/vigil/notify.sh", "--verbose", "INSTANCE", "writer", "MASTER", "150", NULL
	};
	static const char *const want_env[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"VIGIL_INSTANCE=writer",
		"VIGIL_STATE=MASTER",
		"VIGIL_PREV_STATE=BACKUP",
		"VIGIL_PRIORITY=150",
		"VIGIL_VIPS=198.18.0.100/24 198.18.0.101/24",
		"VIGIL_ROUTER_ID=db1",
		NULL
	};

	(void)state;
	assert_int_equal(notify_cmds_build(&conf, &chg, cmds, &n), 0);
	assert_int_equal(n, 2);
	/* notify_<state> first, with only its configured arguments. */
	assert_false(cmds[0].generic);
	assert_int_equal(cmds[0].state, NOTIFY_STATE_MASTER);
	assert_strv(cmds[0].argv, want_master);
	assert_strv(cmds[0].envp, want_env);
	assert_true(cmds[1].generic);
	assert_int_equal(cmds[1].state, NOTIFY_STATE_MASTER);
	assert_strv(cmds[1].argv, want_generic);
	assert_strv(cmds[1].envp, want_env);
	notify_cmd_clear(&cmds[0]);
	notify_cmd_clear(&cmds[1]);
	assert_null(cmds[0].argv);
	notify_cmd_clear(NULL);
}

static void test_build_picks_state_script(void **state)
{
	char *m[] = { "/m", NULL }, *b[] = { "/b", NULL };
	char *fl[] = { "/f", NULL }, *s[] = { "/s", NULL };
	struct notify_conf conf = {
		.instance = "i", .notify_master = m, .notify_backup = b,
		.notify_fault = fl, .notify_stop = s,
	};
	static const struct {
		enum notify_state st;
		const char *prog;
	} cases[] = {
		{ NOTIFY_STATE_MASTER, "/m" }, { NOTIFY_STATE_BACKUP, "/b" },
		{ NOTIFY_STATE_FAULT, "/f" },  { NOTIFY_STATE_STOP, "/s" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct notify_change chg = { .state = cases[i].st, .priority = 100 };
		struct notify_cmd cmds[2];
		size_t n = 0;

		assert_int_equal(notify_cmds_build(&conf, &chg, cmds, &n), 0);
		assert_int_equal(n, 1);
		assert_false(cmds[0].generic);
		assert_string_equal(cmds[0].argv[0], cases[i].prog);
		assert_null(cmds[0].argv[1]);
		notify_cmd_clear(&cmds[0]);
	}
}

static void test_build_defaults_and_none(void **state)
{
	char *g[] = { "/g", NULL };
	char *empty[] = { NULL };
	struct notify_conf conf = { .instance = "reader", .notify = g,
				    .notify_master = empty };
	struct notify_change chg = { .state = NOTIFY_STATE_FAULT,
				     .prev = NOTIFY_STATE_INIT, .priority = 0 };
	struct notify_cmd cmds[2];
	size_t n = 0;
	static const char *const want_argv[] = { "/g", "INSTANCE", "reader", "FAULT", "0", NULL };

	(void)state;
	assert_int_equal(notify_cmds_build(&conf, &chg, cmds, &n), 0);
	assert_int_equal(n, 1);
	assert_strv(cmds[0].argv, want_argv);
	assert_string_equal(cmds[0].envp[3], "VIGIL_PREV_STATE=INIT");
	assert_string_equal(cmds[0].envp[5], "VIGIL_VIPS=");
	assert_string_equal(cmds[0].envp[6], "VIGIL_ROUTER_ID=");
	notify_cmd_clear(&cmds[0]);

	/* Nothing configured for this state: nothing to run. */
	conf.notify = NULL;
	chg.state = NOTIFY_STATE_MASTER; /* notify_master is an empty argv */
	n = 7;
	assert_int_equal(notify_cmds_build(&conf, &chg, cmds, &n), 0);
	assert_int_equal(n, 0);
}

static void test_build_rejects(void **state)
{
	char *g[] = { "/g", NULL };
	const char *bad_vips[] = { "198.18.0.1/24", NULL };
	struct notify_conf conf = { .instance = "i", .notify = g };
	struct notify_change ok = { .state = NOTIFY_STATE_BACKUP, .priority = 255 };
	struct notify_change chg;
	struct notify_cmd cmds[2];
	size_t n;

	(void)state;
	assert_int_equal(notify_cmds_build(&conf, &ok, cmds, &n), 0);
	notify_cmd_clear(&cmds[0]);

	chg = ok;
	chg.state = NOTIFY_STATE_INIT;
	assert_int_equal(notify_cmds_build(&conf, &chg, cmds, &n), -EINVAL);
	chg = ok;
	chg.state = (enum notify_state)42;
	assert_int_equal(notify_cmds_build(&conf, &chg, cmds, &n), -EINVAL);
	chg = ok;
	chg.prev = (enum notify_state)42;
	assert_int_equal(notify_cmds_build(&conf, &chg, cmds, &n), -EINVAL);
	chg = ok;
	chg.priority = 256;
	assert_int_equal(notify_cmds_build(&conf, &chg, cmds, &n), -EINVAL);
	chg.priority = -1;
	assert_int_equal(notify_cmds_build(&conf, &chg, cmds, &n), -EINVAL);
	chg = ok;
	chg.vips = bad_vips;
	chg.n_vips = 2;
	assert_int_equal(notify_cmds_build(&conf, &chg, cmds, &n), -EINVAL);
	chg.vips = NULL;
	assert_int_equal(notify_cmds_build(&conf, &chg, cmds, &n), -EINVAL);
	conf.instance = "";
	assert_int_equal(notify_cmds_build(&conf, &ok, cmds, &n), -EINVAL);
	assert_int_equal(notify_cmds_build(NULL, &ok, cmds, &n), -EINVAL);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(notify_state_name(NOTIFY_STATE_INIT), "INIT");
	assert_string_equal(notify_state_name(NOTIFY_STATE_BACKUP), "BACKUP");
	assert_string_equal(notify_state_name(NOTIFY_STATE_MASTER), "MASTER");
	assert_string_equal(notify_state_name(NOTIFY_STATE_FAULT), "FAULT");
	assert_string_equal(notify_state_name(NOTIFY_STATE_STOP), "STOP");
	assert_string_equal(notify_state_name((enum notify_state)9), "UNKNOWN");
}

/* ---- real scripts ---- */

struct rep {
	enum notify_state state;
	bool generic;
	bool dropped;
	char prog[128];
	char refused[512]; /* "" when run */
	struct proc_result result;
};

struct fixture {
	struct tu_dir dir;
	struct ev_loop *loop;
	struct notify *n;
	struct rep reps[MAX_REPORTS];
	int n_reps;
	bool drained;
	bool drain_complete;
	int drain_calls;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tu_dir_make(&f->dir, "notify") < 0)
		return -1;
	f->loop = ev_default_loop(0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	notify_free(f->n);
	rc = tu_dir_remove(&f->dir); /* the temp dir must really be gone */
	free(f);
	return rc;
}

/* Whole file as a string (caller frees); "" if missing. */
static char *slurp(struct fixture *f, const char *name)
{
	FILE *fp = fopen(tu_dir_path(&f->dir, name), "r");
	char *buf = calloc(1, 8192);
	size_t n;

	assert_non_null(buf);
	if (!fp)
		return buf;
	n = fread(buf, 1, 8191, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void on_report(const struct notify_report *r, void *ctx)
{
	struct fixture *f = ctx;
	struct rep *x;

	assert_true(f->n_reps < MAX_REPORTS);
	assert_non_null(r->instance);
	x = &f->reps[f->n_reps++];
	x->state = r->state;
	x->generic = r->generic;
	x->dropped = r->dropped;
	snprintf(x->prog, sizeof(x->prog), "%s", r->argv[0]);
	snprintf(x->refused, sizeof(x->refused), "%s", r->refused ? r->refused : "");
	x->result = r->result;
}

static void on_drained(struct notify *n, bool complete, void *ctx)
{
	struct fixture *f = ctx;

	assert_ptr_equal(n, f->n);
	f->drained = true;
	f->drain_complete = complete;
	f->drain_calls++;
	ev_break(f->loop, EVBREAK_ONE);
}

/* Drain with a deadline and run the loop until drained or the guard. */
static void drain(struct fixture *f, uint32_t deadline_ms)
{
	f->drained = false;
	assert_int_equal(notify_drain(f->n, deadline_ms, on_drained, f), 0);
	assert_true(tu_run_until_flag(f->loop, &f->drained, GUARD_S));
	assert_int_equal(notify_pending(f->n), 0);
}

static void change(struct fixture *f, enum notify_state st,
		   enum notify_state prev, int prio)
{
	struct notify_change chg = { .state = st, .prev = prev, .priority = prio,
				     .vips = two_vips, .n_vips = 2 };

	assert_int_equal(notify_state_change(f->n, &chg), 0);
}

static void make(struct fixture *f, struct notify_conf *conf)
{
	conf->instance = "writer";
	conf->router_id = "db1";
	assert_int_equal(notify_new(&f->n, f->loop, conf, on_report, f), 0);
}

static void test_args_and_env(void **state)
{
	struct fixture *f = *state;
	char *g[] = { NULL, NULL };
	struct notify_conf conf = { 0 };
	char *args, *env;

	g[0] = tu_dir_script(&f->dir, "g.sh",
			     "d=${0%/*}; printf '%s\\n' \"$@\" > \"$d/args\"; env > \"$d/env\"", 0755);
	conf.notify = g;
	make(f, &conf);
	setenv("VIGIL_TEST_LEAK", "1", 1);
	change(f, NOTIFY_STATE_MASTER, NOTIFY_STATE_BACKUP, 150);
	unsetenv("VIGIL_TEST_LEAK");
	drain(f, 0);
	assert_true(f->drain_complete);

	args = slurp(f, "args");
	assert_string_equal(args, "INSTANCE\nwriter\nMASTER\n150\n");
	env = slurp(f, "env");
	assert_non_null(strstr(env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"));
	assert_non_null(strstr(env, "VIGIL_INSTANCE=writer\n"));
	assert_non_null(strstr(env, "VIGIL_STATE=MASTER\n"));
	assert_non_null(strstr(env, "VIGIL_PREV_STATE=BACKUP\n"));
	assert_non_null(strstr(env, "VIGIL_PRIORITY=150\n"));
	assert_non_null(strstr(env, "VIGIL_VIPS=198.18.0.100/24 198.18.0.101/24\n"));
	assert_non_null(strstr(env, "VIGIL_ROUTER_ID=db1\n"));
	/* Nothing of the daemon's own environment. */
	assert_null(strstr(env, "VIGIL_TEST_LEAK"));
	assert_null(strstr(env, "HOME="));
	free(args);
	free(env);

	assert_int_equal(f->n_reps, 1);
	assert_true(f->reps[0].generic);
	assert_false(f->reps[0].dropped);
	assert_int_equal(f->reps[0].state, NOTIFY_STATE_MASTER);
	assert_string_equal(f->reps[0].prog, g[0]);
	assert_true(proc_result_ok(&f->reps[0].result));
	assert_int_equal(notify_get_stats(f->n)->ok, 1);
	assert_int_equal(notify_get_stats(f->n)->started, 1);
	assert_int_equal(notify_get_stats(f->n)->changes, 1);
}

static void test_specific_then_generic(void **state)
{
	struct fixture *f = *state;
	char *m[] = { NULL, "from-config", NULL };
	char *g[] = { NULL, NULL };
	struct notify_conf conf = { 0 };
	char *log;

	m[0] = tu_dir_script(&f->dir, "m.sh",
			     "echo \"master $# $1 $VIGIL_STATE\" >> \"${0%/*}/log\"", 0755);
	g[0] = tu_dir_script(&f->dir, "g.sh", "echo \"notify $3\" >> \"${0%/*}/log\"", 0755);
	conf.notify = g;
	conf.notify_master = m;
	make(f, &conf);
	change(f, NOTIFY_STATE_MASTER, NOTIFY_STATE_BACKUP, 150);
	drain(f, 0);
	log = slurp(f, "log");
	assert_string_equal(log, "master 1 from-config MASTER\nnotify MASTER\n");
	free(log);
	assert_int_equal(f->n_reps, 2);
	assert_false(f->reps[0].generic);
	assert_true(f->reps[1].generic);
}

static void test_order_across_quick_changes(void **state)
{
	struct fixture *f = *state;
	char *spec[] = { NULL, "specific", NULL };
	char *g[] = { NULL, "generic", NULL };
	struct notify_conf conf = { 0 };
	const char *body =
		"d=${0%/*}; echo \"start $1 $VIGIL_STATE\" >> \"$d/log\"; "
		"sleep 0.05; echo \"end $1 $VIGIL_STATE\" >> \"$d/log\"";
	char *log;
	char want[1024] = "";
	static const char *const states[] = { "MASTER", "BACKUP", "FAULT", "STOP" };

	g[0] = spec[0] = tu_dir_script(&f->dir, "s.sh", body, 0755);
	conf.notify = g;
	conf.notify_master = conf.notify_backup = spec;
	conf.notify_fault = conf.notify_stop = spec;
	make(f, &conf);
	/* All queued while the first is still running. */
	change(f, NOTIFY_STATE_MASTER, NOTIFY_STATE_INIT, 150);
	change(f, NOTIFY_STATE_BACKUP, NOTIFY_STATE_MASTER, 90);
	change(f, NOTIFY_STATE_FAULT, NOTIFY_STATE_BACKUP, 90);
	change(f, NOTIFY_STATE_STOP, NOTIFY_STATE_FAULT, 90);
	assert_int_equal(notify_pending(f->n), 8);
	drain(f, 0);
	assert_true(f->drain_complete);

	for (size_t i = 0; i < 4; i++) {
		char line[128];

		snprintf(line, sizeof(line),
			 "start specific %s\nend specific %s\nstart generic %s\nend generic %s\n",
			 states[i], states[i], states[i], states[i]);
		strcat(want, line);
	}
	log = slurp(f, "log");
	assert_string_equal(log, want);
	free(log);
	assert_int_equal(f->n_reps, 8);
	assert_int_equal(f->reps[7].state, NOTIFY_STATE_STOP);
	assert_int_equal(notify_get_stats(f->n)->ok, 8);
}

static void test_timeout_kills_script_and_child(void **state)
{
	struct fixture *f = *state;
	char *g[] = { NULL, NULL };
	struct notify_conf conf = { .timeout_ms = 300, .kill_grace_ms = 500 };
	char *pidtxt;
	int child;

	g[0] = tu_dir_script(&f->dir, "hang.sh",
			     "sleep 100 & echo $! > \"${0%/*}/child.pid\"; wait", 0755);
	conf.notify = g;
	make(f, &conf);
	change(f, NOTIFY_STATE_MASTER, NOTIFY_STATE_BACKUP, 150);
	drain(f, 0);
	assert_int_equal(f->n_reps, 1);
	assert_int_equal(f->reps[0].result.outcome, PROC_TIMED_OUT);
	assert_int_equal(f->reps[0].result.signo, SIGTERM);
	assert_true(f->reps[0].result.duration_ms >= 290);
	assert_int_equal(notify_get_stats(f->n)->timed_out, 1);
	assert_int_equal(notify_get_stats(f->n)->failed, 1);

	pidtxt = slurp(f, "child.pid");
	child = atoi(pidtxt);
	free(pidtxt);
	assert_true(child > 1);
	/* The sleep was in the script's process group: it died too (gone,
	 * or a zombie waiting for its new parent). */
	for (int i = 0; i < 100; i++) {
		char path[64];
		char buf[256] = "";
		FILE *fp;
		const char *rp;

		snprintf(path, sizeof(path), "/proc/%d/stat", child);
		fp = fopen(path, "r");
		if (!fp)
			return;
		buf[fread(buf, 1, sizeof(buf) - 1, fp)] = '\0';
		fclose(fp);
		rp = strrchr(buf, ')');
		if (rp && rp[2] == 'Z')
			return;
		usleep(10000);
	}
	fail_msg("child %d of the timed-out script still alive", child);
}

static void test_missing_and_not_executable(void **state)
{
	struct fixture *f = *state;
	char *m[] = { NULL, NULL };
	char *g[] = { NULL, NULL };
	char *b[] = { NULL, NULL };
	struct notify_conf conf = { 0 };

	m[0] = tu_dir_path(&f->dir, "missing.sh");
	g[0] = tu_dir_script(&f->dir, "noexec.sh", "exit 0", 0644);
	b[0] = tu_dir_script(&f->dir, "ok.sh", "exit 0", 0755);
	conf.notify_master = m;
	conf.notify = g;
	conf.notify_backup = b;
	make(f, &conf);
	change(f, NOTIFY_STATE_MASTER, NOTIFY_STATE_INIT, 150);
	change(f, NOTIFY_STATE_BACKUP, NOTIFY_STATE_MASTER, 100);
	drain(f, 0);
	assert_int_equal(f->n_reps, 4);
	assert_int_equal(f->reps[0].result.outcome, PROC_EXEC_FAILED);
	assert_int_equal(f->reps[0].result.err, ENOENT);
	assert_string_equal(f->reps[0].prog, m[0]);
	assert_int_equal(f->reps[1].result.outcome, PROC_EXEC_FAILED);
	assert_int_equal(f->reps[1].result.err, EACCES);
	/* A failure does not stop the queue. */
	assert_true(proc_result_ok(&f->reps[2].result));
	assert_false(f->reps[2].generic);
	assert_int_equal(f->reps[3].result.err, EACCES);
	assert_int_equal(notify_get_stats(f->n)->failed, 3);
	assert_int_equal(notify_get_stats(f->n)->ok, 1);
}

static void test_exit_code_and_signal(void **state)
{
	struct fixture *f = *state;
	char *m[] = { NULL, NULL };
	char *g[] = { NULL, NULL };
	struct notify_conf conf = { 0 };

	m[0] = tu_dir_script(&f->dir, "m.sh", "echo oops; exit 7", 0755);
	g[0] = tu_dir_script(&f->dir, "g.sh", "kill -TERM $$; sleep 5", 0755);
	conf.notify_master = m;
	conf.notify = g;
	make(f, &conf);
	change(f, NOTIFY_STATE_MASTER, NOTIFY_STATE_BACKUP, 150);
	drain(f, 0);
	assert_int_equal(f->n_reps, 2);
	assert_int_equal(f->reps[0].result.outcome, PROC_EXITED);
	assert_int_equal(f->reps[0].result.exit_code, 7);
	assert_string_equal(f->reps[0].result.output, "oops");
	assert_int_equal(f->reps[1].result.outcome, PROC_SIGNALED);
	assert_int_equal(f->reps[1].result.signo, SIGTERM);
}

static void test_overflow_drops_oldest(void **state)
{
	struct fixture *f = *state;
	char *g[] = { NULL, NULL };
	struct notify_conf conf = { .queue_max = 2 };
	char *log;

	g[0] = tu_dir_script(&f->dir, "g.sh", "echo \"$3\" >> \"${0%/*}/log\"; sleep 0.1", 0755);
	conf.notify = g;
	make(f, &conf);
	change(f, NOTIFY_STATE_MASTER, NOTIFY_STATE_INIT, 150); /* runs */
	change(f, NOTIFY_STATE_BACKUP, NOTIFY_STATE_MASTER, 100);
	change(f, NOTIFY_STATE_FAULT, NOTIFY_STATE_BACKUP, 100);
	assert_int_equal(f->n_reps, 0);
	change(f, NOTIFY_STATE_STOP, NOTIFY_STATE_FAULT, 100); /* drops BACKUP */
	assert_int_equal(f->n_reps, 1);
	assert_true(f->reps[0].dropped);
	assert_int_equal(f->reps[0].state, NOTIFY_STATE_BACKUP);
	assert_int_equal(notify_pending(f->n), 3);
	drain(f, 0);
	log = slurp(f, "log");
	assert_string_equal(log, "MASTER\nFAULT\nSTOP\n");
	free(log);
	assert_int_equal(notify_get_stats(f->n)->dropped, 1);
	assert_int_equal(notify_get_stats(f->n)->ok, 3);
	assert_int_equal(notify_get_stats(f->n)->changes, 4);
}

static void test_drain_deadline(void **state)
{
	struct fixture *f = *state;
	char *g[] = { NULL, NULL };
	struct notify_conf conf = { .timeout_ms = 10000 };
	ev_tstamp t0;

	g[0] = tu_dir_script(&f->dir, "hang.sh", "sleep 100", 0755);
	conf.notify = g;
	make(f, &conf);
	change(f, NOTIFY_STATE_BACKUP, NOTIFY_STATE_MASTER, 100);
	change(f, NOTIFY_STATE_STOP, NOTIFY_STATE_BACKUP, 100);
	t0 = ev_time();
	drain(f, 200);
	assert_true(ev_time() - t0 < 2.0);
	assert_false(f->drain_complete);
	assert_int_equal(f->drain_calls, 1);
	assert_int_equal(f->n_reps, 2);
	assert_true(f->reps[0].dropped); /* STOP never started */
	assert_int_equal(f->reps[0].state, NOTIFY_STATE_STOP);
	assert_int_equal(f->reps[1].result.outcome, PROC_CANCELLED);
	assert_int_equal(f->reps[1].result.signo, SIGKILL);
	/* A second drain on an empty queue answers at once. */
	f->drained = false;
	assert_int_equal(notify_drain(f->n, 100, on_drained, f), 0);
	assert_true(f->drained);
	assert_true(f->drain_complete);
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
	char *g[] = { NULL, NULL };
	struct notify_conf conf = { 0 };
	ev_timer tick;
	int ticks = 0;

	g[0] = tu_dir_script(&f->dir, "slow.sh", "sleep 0.5", 0755);
	conf.notify = g;
	make(f, &conf);
	ev_timer_init(&tick, tick_cb, 0.05, 0.05);
	tick.data = &ticks;
	ev_timer_start(f->loop, &tick);
	change(f, NOTIFY_STATE_MASTER, NOTIFY_STATE_BACKUP, 150);
	drain(f, 0);
	ev_timer_stop(f->loop, &tick);
	assert_true(proc_result_ok(&f->reps[0].result));
	assert_true(ticks >= 6); /* ~10 expected in 0.5 s */
}

static void test_free_while_running(void **state)
{
	struct fixture *f = *state;
	char *g[] = { NULL, NULL };
	struct notify_conf conf = { 0 };
	char *pidtxt;
	int pid;

	g[0] = tu_dir_script(&f->dir, "hang.sh", "echo $$ > \"${0%/*}/pid\"; exec sleep 100", 0755);
	conf.notify = g;
	make(f, &conf);
	change(f, NOTIFY_STATE_MASTER, NOTIFY_STATE_BACKUP, 150);
	change(f, NOTIFY_STATE_STOP, NOTIFY_STATE_MASTER, 150);
	tu_run_for(f->loop, 0.1);
	assert_int_equal(notify_pending(f->n), 2);
	pidtxt = slurp(f, "pid");
	pid = atoi(pidtxt);
	free(pidtxt);
	assert_true(pid > 1);
	assert_int_equal(kill(pid, 0), 0);
	notify_free(f->n); /* kills and reaps within its bounded wait */
	f->n = NULL;
	assert_int_equal(f->n_reps, 0); /* no callbacks from free */
	/* Reaped by notify_free: not even a zombie is left. */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void test_new_rejects(void **state)
{
	struct fixture *f = *state;
	struct notify_conf conf = { .instance = "x" };
	struct ev_loop *other = ev_loop_new(0);
	struct notify *n = (struct notify *)1;

	assert_int_equal(notify_new(&n, other, &conf, on_report, f), -EINVAL);
	assert_null(n);
	ev_loop_destroy(other);
	assert_int_equal(notify_new(&n, f->loop, &conf, NULL, f), -EINVAL);
	conf.instance = NULL;
	assert_int_equal(notify_new(&n, f->loop, &conf, on_report, f), -EINVAL);
	conf.instance = "x";
	/* Nothing configured: a change is accepted and runs nothing. */
	assert_int_equal(notify_new(&f->n, f->loop, &conf, on_report, f), 0);
	change(f, NOTIFY_STATE_MASTER, NOTIFY_STATE_BACKUP, 150);
	assert_int_equal(notify_pending(f->n), 0);
	assert_int_equal(f->n_reps, 0);
	assert_int_equal(notify_get_stats(f->n)->changes, 1);
	notify_free(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* A program others could change is not run (the rules of a script
 * check, file_safety.h), and the queue goes on with the next one. */
static void test_untrusted_program_refused(void **state)
{
	struct fixture *f = *state;
	char *m[] = { NULL, NULL };
	char *g[] = { NULL, NULL };
	struct notify_conf conf = { 0 };
	char want[512];

	m[0] = tu_dir_script(&f->dir, "ww.sh", "echo ran >> \"${0%/*}/log\"", 0757);
	g[0] = tu_dir_script(&f->dir, "g.sh", "echo generic >> \"${0%/*}/log\"", 0755);
	conf.notify_master = m;
	conf.notify = g;
	make(f, &conf);
	change(f, NOTIFY_STATE_MASTER, NOTIFY_STATE_INIT, 150);
	drain(f, 0);
	assert_int_equal(f->n_reps, 2);
	assert_int_equal(f->reps[0].result.outcome, PROC_SPAWN_FAILED);
	assert_int_equal(f->reps[0].result.err, EPERM);
	snprintf(want, sizeof(want), "%s is writable by group or others (mode 0757, owner uid %u): "
		 "run chmod go-w %s", m[0], (unsigned)geteuid(), m[0]);
	assert_string_equal(f->reps[0].refused, want);
	assert_true(proc_result_ok(&f->reps[1].result));
	assert_string_equal(f->reps[1].refused, "");
	char *log = slurp(f, "log");
	assert_string_equal(log, "generic\n");
	free(log);
	assert_int_equal(notify_get_stats(f->n)->failed, 1);
}

/* run_as (script_user): the program runs as that user, which may own it. */
static void test_runs_as_script_user(void **state)
{
	struct fixture *f = *state;
	char *g[] = { NULL, NULL };
	struct notify_conf conf = { .run_as = "nobody" };
	const struct passwd *pw = getpwnam("nobody");
	char want[64], *uid;
	int fd;

	TU_REQUIRE(geteuid() == 0 ? NULL : "not root: only root may run a child as another user");
	assert_non_null(pw);
	/* nobody must reach the script (the temp dir is 0700) and write its
	 * answer into a file of its own. */
	assert_int_equal(chmod(f->dir.path, 0755), 0);
	g[0] = tu_dir_script(&f->dir, "who.sh", "id -u > \"${0%/*}/uid\"", 0755);
	assert_int_equal(chown(g[0], pw->pw_uid, pw->pw_gid), 0);
	fd = open(tu_dir_path(&f->dir, "uid"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fchown(fd, pw->pw_uid, pw->pw_gid), 0);
	close(fd);
	conf.notify = g;
	make(f, &conf);
	change(f, NOTIFY_STATE_BACKUP, NOTIFY_STATE_INIT, 100);
	drain(f, 0);
	assert_int_equal(f->n_reps, 1);
	assert_string_equal(f->reps[0].refused, "");
	assert_true(proc_result_ok(&f->reps[0].result));
	uid = slurp(f, "uid");
	snprintf(want, sizeof(want), "%u\n", (unsigned)pw->pw_uid);
	assert_string_equal(uid, want);
	free(uid);
}

static void test_run_as_unknown_user(void **state)
{
	struct fixture *f = *state;
	struct notify_conf conf = { .instance = "writer", .run_as = "vigil-no-such-user" };

	assert_int_equal(notify_new(&f->n, f->loop, &conf, on_report, f), -ENOENT);
	assert_null(f->n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_both),
		cmocka_unit_test(test_build_picks_state_script),
		cmocka_unit_test(test_build_defaults_and_none),
		cmocka_unit_test(test_build_rejects),
		cmocka_unit_test(test_state_names),
		T(test_args_and_env),
		T(test_specific_then_generic),
		T(test_order_across_quick_changes),
		T(test_timeout_kills_script_and_child),
		T(test_missing_and_not_executable),
		T(test_exit_code_and_signal),
		T(test_overflow_drops_oldest),
		T(test_drain_deadline),
		T(test_loop_not_blocked),
		T(test_free_while_running),
		T(test_new_rejects),
		T(test_untrusted_program_refused),
		T(test_runs_as_script_user),
		T(test_run_as_unknown_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
