/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proc: run one child program on the libev loop (fork+execve, timeout, kill, exit status). */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Output read after the child is reaped, at most: a grandchild that keeps
 * the pipe open and writes without end must not hold the loop. */
#define PROC_DRAIN_MAX (64 * 1024)
/* proc_free() waits this long for a SIGKILLed child, in 10 ms steps. */
#define PROC_FREE_WAIT_STEPS 100

/* Why we are killing the child, if we are. */
enum proc_kill_reason {
	PROC_KILL_NONE,
	PROC_KILL_TIMEOUT,
	PROC_KILL_CANCEL,
};

struct proc {
	struct ev_loop *loop;
	ev_child child_w; /* reaps the child */
	ev_timer timer_w; /* timeout, then the SIGTERM -> SIGKILL grace */
	ev_io out_w;      /* first line of stdout+stderr */
	int out_fd;       /* read end of the output pipe, -1 when closed */
	int err_fd;       /* read end of the execve errno pipe, -1 when closed */
	pid_t pid;        /* 0 when idle */
	enum proc_kill_reason kill_reason;
	bool term_sent;   /* SIGTERM sent, timer now counts the grace */
	uint32_t grace_ms;
	uint64_t start_ms;
	proc_done_fn done;
	void *ctx;
	char out[PROC_OUTPUT_MAX];
	size_t out_len;
	bool out_full; /* first line complete or truncated: ignore the rest */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Keep the first non-empty line of output; control characters become '?' so the
 * caller can log it as one line without escaping. */
static void collect_output(struct proc *p, const char *buf, size_t n)
{
	for (size_t i = 0; i < n && !p->out_full; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n' || c == '\r') {
			/* Blank lines before the first text are skipped. */
			if (p->out_len > 0)
				p->out_full = true;
			continue;
		}
		if (p->out_len >= sizeof(p->out) - 1) {
			p->out_full = true;
			break;
		}
		p->out[p->out_len++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	p->out[p->out_len] = '\0';
}

/* Read what the pipe holds now, up to limit bytes. Returns false on EOF or
 * error (the pipe is finished), true if it may still deliver more. */
static bool read_output(struct proc *p, size_t limit)
{
	char buf[4096];
	size_t total = 0;

	while (total < limit) {
		ssize_t n = read(p->out_fd, buf, sizeof(buf));

		if (n > 0) {
			collect_output(p, buf, (size_t)n);
			total += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		return false;
	}
	return true;
}

static void out_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proc *p = container_of(w, struct proc, out_w);

	(void)revents;
	/* Bounded per wake-up so a chatty child cannot starve other watchers. */
	if (!read_output(p, PROC_DRAIN_MAX)) {
		ev_io_stop(loop, w);
		close_fd(&p->out_fd);
	}
}

static void kill_group(pid_t pid, int sig)
{
	/* The child leads its own group (setpgid in both processes, so there
	 * is no window where the group does not exist yet). */
	if (kill(-pid, sig) < 0 && errno == ESRCH)
		kill(pid, sig);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct proc *p = container_of(w, struct proc, timer_w);

	(void)revents;
	if (!p->term_sent) {
		/* Timeout: ask politely first, so a script can clean up. */
		p->kill_reason = PROC_KILL_TIMEOUT;
		p->term_sent = true;
		kill_group(p->pid, SIGTERM);
		ev_timer_set(w, p->grace_ms / 1000.0, 0.0);
		ev_timer_start(loop, w);
		return;
	}
	kill_group(p->pid, SIGKILL);
}

/* What the child reports when it cannot reach execve: the errno and the
 * step that failed (index into child_steps). */
enum child_step { STEP_EXEC, STEP_SETGROUPS, STEP_SETGID, STEP_SETUID, STEP_CHDIR, STEP__COUNT };
static const char *const child_steps[STEP__COUNT] = {
	"execve", "setgroups", "setgid", "setuid", "chdir",
};
struct child_error {
	int err;  /* 0: the child reached execve */
	int step; /* enum child_step */
};

/* The child's report, or err 0 if it reached execve. The child is gone,
 * so its write (if any) is complete: this read cannot block. */
static struct child_error read_child_error(struct proc *p)
{
	struct child_error e = { 0, STEP_EXEC };
	ssize_t n;

	do {
		n = read(p->err_fd, &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close_fd(&p->err_fd);
	if (n != (ssize_t)sizeof(e) || e.err <= 0 || e.step < 0 || e.step >= STEP__COUNT)
		e = (struct child_error){ 0, STEP_EXEC };
	return e;
}

static void fill_result(struct proc_result *r, const struct proc *p,
			int status, struct child_error ce)
{
	int exec_err = ce.err;

	memset(r, 0, sizeof(*r));
	r->pid = p->pid;
	r->duration_ms = mono_ms() - p->start_ms;
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->signo = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	memcpy(r->output, p->out, sizeof(r->output));

	if (exec_err) {
		r->outcome = ce.step == STEP_EXEC ? PROC_EXEC_FAILED : PROC_USER_FAILED;
		r->step = ce.step == STEP_EXEC ? NULL : child_steps[ce.step];
		r->err = exec_err;
		r->exit_code = -1;
	} else if (p->kill_reason == PROC_KILL_TIMEOUT) {
		r->outcome = PROC_TIMED_OUT;
	} else if (p->kill_reason == PROC_KILL_CANCEL) {
		r->outcome = PROC_CANCELLED;
	} else if (WIFEXITED(status)) {
		r->outcome = PROC_EXITED;
	} else {
		r->outcome = PROC_SIGNALED;
	}
}

static void child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct proc *p = container_of(w, struct proc, child_w);
	struct proc_result r;
	proc_done_fn done = p->done;
	void *ctx = p->ctx;

	(void)revents;
	ev_child_stop(loop, w);
	ev_timer_stop(loop, &p->timer_w);
	if (p->out_fd >= 0) {
		ev_io_stop(loop, &p->out_w);
		read_output(p, PROC_DRAIN_MAX);
		close_fd(&p->out_fd);
	}
	fill_result(&r, p, w->rstatus, read_child_error(p));
	/* Whatever the child left in its group dies with it, however the
	 * child ended: a background process of a script that exited would
	 * otherwise run on, unseen, reparented to init. The group outlives
	 * its reaped leader while it has members, so its id cannot have been
	 * reused: ESRCH means nobody was left. */
	r.leftovers = kill(-p->pid, SIGKILL) == 0;

	p->pid = 0;
	p->done = NULL;
	p->ctx = NULL;
	/* Last use of p: the callback may start the next child or free p. */
	done(p, &r, ctx);
}

int proc_new(struct proc **out, struct ev_loop *loop)
{
	struct proc *p;

	if (!out)
		return -EINVAL;
	*out = NULL;
	/* libev delivers ev_child only on the default loop. */
	if (!loop || !ev_is_default_loop(loop))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->loop = loop;
	p->out_fd = -1;
	p->err_fd = -1;
	ev_child_init(&p->child_w, child_cb, 0, 0);
	ev_timer_init(&p->timer_w, timer_cb, 0.0, 0.0);
	ev_io_init(&p->out_w, out_cb, -1, EV_READ);
	*out = p;
	return 0;
}

bool proc_running(const struct proc *p)
{
	return p && p->pid > 0;
}

/* In the child between fork and execve: report errno and the step to the
 * parent and leave without running any of the parent's atexit handlers. */
static _Noreturn void child_fail_at(int err_w, enum child_step step)
{
	struct child_error e = { errno, (int)step };
	ssize_t n;

	do {
		n = write(err_w, &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	_exit(127);
}

static _Noreturn void child_fail(int err_w)
{
	child_fail_at(err_w, STEP_EXEC);
}

/* Become u: system calls only (see struct proc_user). Groups first, while
 * we may still change them; the user last, which drops every capability
 * of a root parent (no SECBIT_KEEP_CAPS), so the program runs with none. */
static void child_become(const struct proc_user *u, int err_w)
{
	if (setgroups(u->n_groups, u->groups) < 0)
		child_fail_at(err_w, STEP_SETGROUPS);
	if (setgid(u->gid) < 0)
		child_fail_at(err_w, STEP_SETGID);
	if (setuid(u->uid) < 0)
		child_fail_at(err_w, STEP_SETUID);
	if (chdir("/") < 0)
		child_fail_at(err_w, STEP_CHDIR);
}

static _Noreturn void child_exec(char *const argv[], char *const envp[],
				 const struct proc_user *user, int out_w, int err_w)
{
	struct sigaction sa;
	sigset_t none;
	int devnull;

	/* Own process group, so a timeout kill reaches grandchildren. */
	setpgid(0, 0);
	/* The daemon's handlers are reset by execve, but ignored signals and
	 * the mask (libev may block signals) would be inherited. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Move our pipe ends above 2 in case the daemon runs with 0..2 closed. */
	err_w = fcntl(err_w, F_DUPFD_CLOEXEC, 3);
	if (err_w < 0)
		_exit(127);
	out_w = fcntl(out_w, F_DUPFD_CLOEXEC, 3);
	if (out_w < 0)
		child_fail(err_w);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0)
		child_fail(err_w);
	if (dup2(devnull, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
	    dup2(out_w, STDERR_FILENO) < 0)
		child_fail(err_w);
	/* Scripts must not inherit sockets or files of the daemon. Failure
	 * (kernel < 5.11) is not fatal: our own fds are CLOEXEC anyway. */
	(void)close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
	if (user)
		child_become(user, err_w);
	execve(argv[0], argv, envp);
	child_fail(err_w);
}

int proc_start(struct proc *p, char *const argv[], char *const envp[],
	       const struct proc_opts *opts, proc_done_fn done, void *ctx)
{
	int out_pipe[2], err_pipe[2];
	uint32_t timeout_ms = PROC_TIMEOUT_DEFAULT_MS;
	pid_t pid;

	if (!p || !argv || !argv[0] || !argv[0][0] || !envp || !done)
		return -EINVAL;
	if (p->pid > 0)
		return -EBUSY;
	if (opts && opts->timeout_ms)
		timeout_ms = opts->timeout_ms;
	p->grace_ms = opts && opts->kill_grace_ms ? opts->kill_grace_ms
						  : PROC_KILL_GRACE_DEFAULT_MS;

	if (pipe2(out_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	if (pipe2(err_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		int e = errno;

		close(out_pipe[0]);
		close(out_pipe[1]);
		return -e;
	}
	/* The child's ends must block like any ordinary stdout. */
	fcntl(out_pipe[1], F_SETFL, 0);
	fcntl(err_pipe[1], F_SETFL, 0);

	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(out_pipe[0]);
		close(out_pipe[1]);
		close(err_pipe[0]);
		close(err_pipe[1]);
		return -e;
	}
	if (pid == 0)
		child_exec(argv, envp, opts ? opts->user : NULL, out_pipe[1], err_pipe[1]);

	/* Also set the group from the parent, so a kill right after this
	 * return already reaches it. EACCES (child already exec'd) is fine. */
	setpgid(pid, pid);
	close(out_pipe[1]);
	close(err_pipe[1]);

	p->pid = pid;
	p->start_ms = mono_ms();
	p->out_fd = out_pipe[0];
	p->err_fd = err_pipe[0];
	p->kill_reason = PROC_KILL_NONE;
	p->term_sent = false;
	p->done = done;
	p->ctx = ctx;
	p->out_len = 0;
	p->out_full = false;
	p->out[0] = '\0';

	/* Started before we return to the loop, so the reap cannot be missed. */
	ev_child_set(&p->child_w, pid, 0);
	ev_child_start(p->loop, &p->child_w);
	ev_io_set(&p->out_w, p->out_fd, EV_READ);
	ev_io_start(p->loop, &p->out_w);
	/* The timeout counts from now, not from the loop's cached time, which
	 * may be older by whatever this iteration did before (netlink work at
	 * start-up): otherwise a script is killed before its timeout. */
	ev_now_update(p->loop);
	ev_timer_set(&p->timer_w, timeout_ms / 1000.0, 0.0);
	ev_timer_start(p->loop, &p->timer_w);
	return 0;
}

void proc_kill(struct proc *p)
{
	if (!proc_running(p))
		return;
	if (p->kill_reason == PROC_KILL_NONE)
		p->kill_reason = PROC_KILL_CANCEL;
	ev_timer_stop(p->loop, &p->timer_w);
	kill_group(p->pid, SIGKILL);
}

void proc_free(struct proc *p)
{
	if (!p)
		return;
	ev_child_stop(p->loop, &p->child_w);
	ev_timer_stop(p->loop, &p->timer_w);
	ev_io_stop(p->loop, &p->out_w);
	if (p->pid > 0) {
		kill_group(p->pid, SIGKILL);
		/* Bounded: SIGKILL cannot be caught, but a child stuck in an
		 * uninterruptible sleep must not hang shutdown. If it outlives
		 * this, libev's SIGCHLD handler reaps it later. */
		for (int i = 0; i < PROC_FREE_WAIT_STEPS; i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			pid_t r = waitpid(p->pid, NULL, WNOHANG);

			if (r == p->pid || (r < 0 && errno != EINTR))
				break; /* reaped, or libev already did */
			if (r == 0)
				nanosleep(&ts, NULL);
		}
	}
	close_fd(&p->out_fd);
	close_fd(&p->err_fd);
	free(p);
}

bool proc_result_ok(const struct proc_result *r)
{
	return r && r->outcome == PROC_EXITED && r->exit_code == 0;
}

const char *proc_outcome_name(enum proc_outcome o)
{
	switch (o) {
	case PROC_EXITED:
		return "exited";
	case PROC_SIGNALED:
		return "killed by signal";
	case PROC_TIMED_OUT:
		return "timed out";
	case PROC_CANCELLED:
		return "cancelled";
	case PROC_EXEC_FAILED:
		return "exec failed";
	case PROC_USER_FAILED:
		return "cannot switch user";
	case PROC_SPAWN_FAILED:
		return "spawn failed";
	}
	return "unknown";
}

/* ---- the user a child runs as ---- */

int proc_user_lookup(const char *name, struct proc_user **out, char *err, size_t errlen)
{
	struct passwd pw, *found = NULL;
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t buflen = size > 0 ? (size_t)size : 16384;
	char *buf = NULL;
	struct proc_user *u = NULL;
	int rc;

	*out = NULL;
	if (!name || !name[0]) {
		snprintf(err, errlen, "no user name");
		return -EINVAL;
	}
	for (;;) {
		char *nb = realloc(buf, buflen);

		if (!nb) {
			rc = ENOMEM;
			goto fail;
		}
		buf = nb;
		rc = getpwnam_r(name, &pw, buf, buflen, &found);
		if (rc != ERANGE || buflen >= (1u << 20))
			break;
		buflen *= 2;
	}
	if (rc != 0 || !found) {
		if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM) {
			snprintf(err, errlen, "no user '%s' on this host", name);
			rc = ENOENT;
		} else {
			snprintf(err, errlen, "looking up user '%s': %s", name, strerror(rc));
		}
		goto fail;
	}
	u = calloc(1, sizeof(*u));
	if (!u || !(u->name = strdup(name))) {
		rc = ENOMEM;
		goto fail;
	}
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	/* The supplementary groups initgroups() would give; getgrouplist
	 * says how many there are when the array is too small. */
	for (int n = 16;;) {
		gid_t *g = realloc(u->groups, (size_t)n * sizeof(*g));
		int want = n;

		if (!g) {
			rc = ENOMEM;
			goto fail;
		}
		u->groups = g;
		if (getgrouplist(name, pw.pw_gid, u->groups, &want) >= 0) {
			u->n_groups = (size_t)want;
			break;
		}
		if (want <= n || want > 65536) {
			snprintf(err, errlen, "the groups of user '%s' cannot be read", name);
			rc = EINVAL;
			goto fail;
		}
		n = want;
	}
	free(buf);
	*out = u;
	return 0;
fail:
	if (rc == ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(buf);
	proc_user_free(u);
	return -rc;
}

void proc_user_free(struct proc_user *u)
{
	if (!u)
		return;
	free(u->name);
	free(u->groups);
	free(u);
}
