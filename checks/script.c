// SPDX-License-Identifier: GPL-2.0-or-later
// The script checker: runs a trusted program via proc; exit 0/1/other = ok/degraded/failed.
#include "script.h"

#include <errno.h>
#include <ev.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file_safety.h"
#include "proc.h"

#define SCRIPT_PATH_ENV "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
/* proc's own timeout is only a backstop: the scheduler cancels first. */
#define SCRIPT_BACKSTOP_EXTRA_MS 1000u

struct script_state;

/* One slot's child: overlapping probes run children of their own. */
struct script_run {
	struct script_state *s;
	unsigned slot;
	struct proc *proc;
	/* A cancelled child is still being reaped: its result is ignored. */
	bool killing;
	/* start() came while killing: run as soon as the old child is gone
	 * (the scheduler's timeout still covers the wait). */
	bool start_pending;
};

struct script_state {
	struct check *chk;
	char **argv;            /* our copy, NULL-terminated */
	char *envp[3];          /* PATH, VIGIL_CHECK, NULL */
	uint32_t backstop_ms;
	unsigned nslots;
	struct script_run *runs; /* one per slot */
	struct proc_user *user;  /* script_user, or NULL: run as vigild */
};

/* ---- who may have written the program ---- */

/* The rules are file_safety.h's, shared with notify programs and the
 * daemon's start and reload checks. */
static int verify_program(const struct script_state *s, const char *path, char *err,
			  size_t errlen)
{
	struct file_owners o = file_owners_of(s->user ? s->user->name : NULL,
					       s->user ? s->user->uid : 0);

	return file_safety_check(path, FILE_ROLE_PROGRAM, &o, err, errlen);
}

int check_script_verify(const char *path, char *err, size_t errlen)
{
	struct file_owners o = file_owners_of(NULL, 0);

	return file_safety_check(path, FILE_ROLE_PROGRAM, &o, err, errlen);
}

/* ---- running it ---- */

static void report_failed(struct script_run *run, bool config_problem, const char *what,
			  const char *why)
{
	struct check_result r;

	check_result_set(&r, CHECK_FAILED, "%s: %s", what, why);
	r.config_problem = config_problem;
	check_report(run->s->chk, run->slot, &r);
}

/* Turn how the child ended into the verdict documented in script.h. */
static void result_of(struct check_result *r, const struct proc_result *pr)
{
	const char *sep = pr->output[0] ? ": " : "";

	switch (pr->outcome) {
	case PROC_EXITED:
		check_result_set(r, pr->exit_code == 0 ? CHECK_OK
				    : pr->exit_code == 1 ? CHECK_DEGRADED
							 : CHECK_FAILED,
				 "exit %d%s%s", pr->exit_code, sep, pr->output);
		break;
	case PROC_SIGNALED:
		check_result_set(r, CHECK_FAILED, "killed by signal %d (%s)%s%s", pr->signo,
				 strsignal(pr->signo), sep, pr->output);
		break;
	case PROC_TIMED_OUT:
	case PROC_CANCELLED:
		/* Only proc's backstop gets here; the scheduler's timeout
		 * normally reports first. */
		check_result_set(r, CHECK_FAILED, "timed out, killed%s%s", sep, pr->output);
		break;
	case PROC_USER_FAILED:
		/* The setup's fault too: vigild lacks CAP_SETUID/CAP_SETGID,
		 * or the user cannot have those groups. */
		check_result_set(r, CHECK_FAILED, "cannot run as script_user: %s: %s",
				 pr->step ? pr->step : "?", strerror(pr->err));
		r->config_problem = true;
		break;
	case PROC_EXEC_FAILED:
	case PROC_SPAWN_FAILED:
	default:
		check_result_set(r, CHECK_FAILED, "cannot execute: %s", strerror(pr->err));
		/* A missing interpreter or a file the kernel cannot run is the
		 * setup's fault, not the database's. */
		r->config_problem = pr->outcome == PROC_EXEC_FAILED;
		break;
	}
}

static void launch(struct script_run *run);

static void done_cb(struct proc *p, const struct proc_result *pr, void *ctx)
{
	struct script_run *run = ctx;
	struct check_result r;

	(void)p;
	if (run->killing) {
		/* The cancelled child is gone; its result belongs to no probe. */
		run->killing = false;
		if (run->start_pending) {
			run->start_pending = false;
			launch(run);
		}
		return;
	}
	result_of(&r, pr);
	check_report(run->s->chk, run->slot, &r);
}

static void launch(struct script_run *run)
{
	struct script_state *s = run->s;
	char why[256];
	struct proc_opts opts = { .timeout_ms = s->backstop_ms, .user = s->user };
	int rc;

	/* Again before every run: the file may have changed since create. */
	if (verify_program(s, s->argv[0], why, sizeof(why)) < 0) {
		report_failed(run, true, "refused to run", why);
		return;
	}
	rc = proc_start(run->proc, s->argv, s->envp, &opts, done_cb, run);
	if (rc < 0)
		report_failed(run, false, "cannot start", strerror(-rc));
}

static void script_start(void *state, unsigned slot)
{
	struct script_state *s = state;
	struct script_run *run = &s->runs[slot];

	if (run->killing) {
		run->start_pending = true;
		return;
	}
	launch(run);
}

static void script_cancel(void *state, unsigned slot)
{
	struct script_state *s = state;
	struct script_run *run = &s->runs[slot];

	if (run->start_pending) {
		/* The probe never got its child: nothing to kill. */
		run->start_pending = false;
		return;
	}
	if (proc_running(run->proc)) {
		run->killing = true;
		proc_kill(run->proc);
	}
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void script_destroy(void *state)
{
	struct script_state *s = state;

	if (!s)
		return;
	/* Kills and reaps running children without calling done_cb. */
	for (unsigned i = 0; s->runs && i < s->nslots; i++)
		proc_free(s->runs[i].proc);
	free(s->runs);
	free_strv(s->argv);
	free(s->envp[0]);
	free(s->envp[1]);
	proc_user_free(s->user);
	free(s);
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *r = malloc(la + lb + 1);

	if (r) {
		memcpy(r, a, la);
		memcpy(r + la, b, lb + 1);
	}
	return r;
}

static int copy_argv(struct script_state *s, char *const *argv)
{
	size_t n = 0;

	while (argv[n])
		n++;
	s->argv = calloc(n + 1, sizeof(*s->argv));
	if (!s->argv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		s->argv[i] = strdup(argv[i]);
		if (!s->argv[i])
			return -ENOMEM;
	}
	return 0;
}

/* A runner per slot; -EINVAL when loop is not the default loop. */
static int new_runs(struct script_state *s, struct ev_loop *loop, unsigned n)
{
	s->runs = calloc(n, sizeof(*s->runs));
	if (!s->runs)
		return -ENOMEM;
	s->nslots = n;
	for (unsigned i = 0; i < n; i++) {
		int rc = proc_new(&s->runs[i].proc, loop);

		if (rc < 0)
			return rc;
		s->runs[i].s = s;
		s->runs[i].slot = i;
	}
	return 0;
}

static int script_create(struct check *chk, const struct check_params *p, void **state,
			 char *err, size_t errlen)
{
	struct script_state *s;
	int rc;

	if (!p->argv || !p->argv[0] || !p->argv[0][0]) {
		snprintf(err, errlen, "a script check needs a command");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (p->run_as) {
		char why[200];

		rc = proc_user_lookup(p->run_as, &s->user, why, sizeof(why));
		if (rc < 0) {
			snprintf(err, errlen, "script_user %s: %s", p->run_as, why);
			script_destroy(s);
			return rc;
		}
	}
	rc = verify_program(s, p->argv[0], err, errlen);
	if (rc < 0) {
		script_destroy(s);
		return rc;
	}
	s->chk = chk;
	s->backstop_ms = p->timeout_ms > UINT32_MAX - SCRIPT_BACKSTOP_EXTRA_MS
				 ? UINT32_MAX
				 : p->timeout_ms + SCRIPT_BACKSTOP_EXTRA_MS;
	rc = new_runs(s, check_loop(chk), check_slots(chk));
	if (rc == -EINVAL) {
		snprintf(err, errlen, "a script check needs the default event loop");
		script_destroy(s);
		return rc;
	}
	if (rc == 0)
		rc = copy_argv(s, p->argv);
	if (rc == 0) {
		s->envp[0] = strdup(SCRIPT_PATH_ENV);
		s->envp[1] = join("VIGIL_CHECK=", check_name(chk));
		if (!s->envp[0] || !s->envp[1])
			rc = -ENOMEM;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", strerror(-rc));
		script_destroy(s);
		return rc;
	}
	*state = s;
	return 0;
}

const struct check_type check_script_type = {
	.name = "script",
	.create = script_create,
	.start = script_start,
	.cancel = script_cancel,
	.destroy = script_destroy,
};
