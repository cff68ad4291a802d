// SPDX-License-Identifier: GPL-2.0-or-later
// The script checker: runs a root-owned program via proc; exit 0/1/other = ok/degraded/failed.
#include "script.h"

#include <errno.h>
#include <ev.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proc.h"

#define SCRIPT_PATH_ENV "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
/* proc's own timeout is only a backstop: the scheduler cancels first. */
#define SCRIPT_BACKSTOP_EXTRA_MS 1000u

struct script_state {
	struct check *chk;
	struct proc *proc;
	char **argv;            /* our copy, NULL-terminated */
	char *envp[3];          /* PATH, VIGIL_CHECK, NULL */
	uint32_t backstop_ms;
	/* A cancelled child is still being reaped: its result is ignored. */
	bool killing;
	/* start() came while killing: run as soon as the old child is gone
	 * (the scheduler's timeout still covers the wait). */
	bool start_pending;
};

/* ---- who may have written the program ---- */

/* Check dir and every directory above it (dir is absolute, modified). The
 * program's own directory must not be writable by others at all; above it
 * the sticky bit is enough, since then only root may rename root's
 * entries. */
static int verify_dirs(char *dir, char *err, size_t errlen)
{
	bool own_dir = true;

	for (;;) {
		char *slash = strrchr(dir, '/');
		struct stat st;

		if (!slash)
			return 0;
		if (slash == dir)
			slash[1] = '\0'; /* "/x" -> "/" */
		else
			*slash = '\0';
		if (stat(dir, &st) < 0) {
			int e = errno;

			snprintf(err, errlen, "%s: %s", dir, strerror(e));
			return -e;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s is not a directory", dir);
			return -ENOTDIR;
		}
		if (st.st_uid != 0) {
			snprintf(err, errlen, "directory %s is not owned by root (uid %u)", dir,
				 (unsigned)st.st_uid);
			return -EPERM;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    (own_dir || !(st.st_mode & S_ISVTX))) {
			snprintf(err, errlen, "directory %s is writable by group or others (mode %04o)",
				 dir, (unsigned)(st.st_mode & 07777));
			return -EPERM;
		}
		if (strcmp(dir, "/") == 0)
			return 0;
		own_dir = false;
	}
}

int check_script_verify(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], *real;
	struct stat st;
	int rc;

	if (!path || path[0] != '/') {
		snprintf(err, errlen, "program must be an absolute path: \"%s\"", path ? path : "");
		return -EINVAL;
	}
	if (stat(path, &st) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		return -EACCES;
	}
	if (!(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
		snprintf(err, errlen, "%s is not executable (mode %04o)", path,
			 (unsigned)(st.st_mode & 07777));
		return -EACCES;
	}
	if (st.st_uid != 0) {
		snprintf(err, errlen, "%s is not owned by root (uid %u)", path, (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s is writable by group or others (mode %04o)", path,
			 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (strlen(path) >= sizeof(dir)) {
		snprintf(err, errlen, "program path too long");
		return -ENAMETOOLONG;
	}
	/* The path as written: whoever can change a symlink on it chooses
	 * the program. */
	memcpy(dir, path, strlen(path) + 1);
	rc = verify_dirs(dir, err, errlen);
	if (rc < 0)
		return rc;
	/* And where it really lives (stat above judged the target file). */
	real = realpath(path, NULL);
	if (!real) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	rc = 0;
	if (strcmp(real, path) != 0 && strlen(real) < sizeof(dir)) {
		memcpy(dir, real, strlen(real) + 1);
		rc = verify_dirs(dir, err, errlen);
	}
	free(real);
	return rc;
}

/* ---- running it ---- */

static void report_failed(struct script_state *s, bool config_problem, const char *what,
			  const char *why)
{
	struct check_result r;

	check_result_set(&r, CHECK_FAILED, "%s: %s", what, why);
	r.config_problem = config_problem;
	check_report(s->chk, &r);
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

static void launch(struct script_state *s);

static void done_cb(struct proc *p, const struct proc_result *pr, void *ctx)
{
	struct script_state *s = ctx;
	struct check_result r;

	(void)p;
	if (s->killing) {
		/* The cancelled child is gone; its result belongs to no probe. */
		s->killing = false;
		if (s->start_pending) {
			s->start_pending = false;
			launch(s);
		}
		return;
	}
	result_of(&r, pr);
	check_report(s->chk, &r);
}

static void launch(struct script_state *s)
{
	char why[256];
	struct proc_opts opts = { .timeout_ms = s->backstop_ms };
	int rc;

	/* Again before every run: the file may have changed since create. */
	if (check_script_verify(s->argv[0], why, sizeof(why)) < 0) {
		report_failed(s, true, "refused to run", why);
		return;
	}
	rc = proc_start(s->proc, s->argv, s->envp, &opts, done_cb, s);
	if (rc < 0)
		report_failed(s, false, "cannot start", strerror(-rc));
}

static void script_start(void *state)
{
	struct script_state *s = state;

	if (s->killing) {
		s->start_pending = true;
		return;
	}
	launch(s);
}

static void script_cancel(void *state)
{
	struct script_state *s = state;

	if (s->start_pending) {
		/* The probe never got its child: nothing to kill. */
		s->start_pending = false;
		return;
	}
	if (proc_running(s->proc)) {
		s->killing = true;
		proc_kill(s->proc);
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
	/* Kills and reaps a running child without calling done_cb. */
	proc_free(s->proc);
	free_strv(s->argv);
	free(s->envp[0]);
	free(s->envp[1]);
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

static int script_create(struct check *chk, const struct check_params *p, void **state,
			 char *err, size_t errlen)
{
	struct script_state *s;
	int rc;

	if (!p->argv || !p->argv[0] || !p->argv[0][0]) {
		snprintf(err, errlen, "a script check needs a command");
		return -EINVAL;
	}
	rc = check_script_verify(p->argv[0], err, errlen);
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->chk = chk;
	s->backstop_ms = p->timeout_ms > UINT32_MAX - SCRIPT_BACKSTOP_EXTRA_MS
				 ? UINT32_MAX
				 : p->timeout_ms + SCRIPT_BACKSTOP_EXTRA_MS;
	rc = proc_new(&s->proc, check_loop(chk));
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
