/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proc: run one child program on the libev loop (fork+execve, timeout, kill, exit status). */
#ifndef VIGIL_PROC_H
#define VIGIL_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <ev.h>

/*
 * A struct proc runs at most one child at a time and can be reused for the
 * next one once its callback has fired. The child:
 *   - is started by fork + execve(argv[0], argv, envp): no shell, no PATH
 *     search, and only the environment the caller passes;
 *   - leads its own process group (setpgid), so a kill reaches whatever it
 *     started too;
 *   - has stdin on /dev/null, stdout and stderr on one pipe of which the
 *     first non-empty line is kept for the caller's log (the rest is read and
 *     discarded so the child never blocks on a full pipe);
 *   - gets default signal dispositions and an empty signal mask, and none of
 *     the daemon's file descriptors above 2 (close_range CLOEXEC);
 *   - is reaped by an ev_child watcher, which libev supports only on the
 *     default loop (ev_default_loop): proc_new() refuses any other loop;
 *   - on timeout gets SIGTERM on its whole group, then SIGKILL after the
 *     kill grace;
 *   - once reaped, however it ended, whatever is left in its group gets
 *     SIGKILL: a background child (`sleep 1000 &`, with the output pipe or
 *     not, forked twice or not) does not outlive the program that started
 *     it. Only a process that left the group (setsid, setpgid) escapes;
 *   - with proc_opts.user, becomes that user before execve (supplementary
 *     groups, group, user, then the working directory "/", so that it
 *     never starts in a directory the user cannot read). From root this
 *     needs CAP_SETGID and CAP_SETUID, and signalling its group
 *     afterwards CAP_KILL.
 * An execve failure travels back through a close-on-exec pipe and is
 * reported as PROC_EXEC_FAILED with the child's errno, never as exit 127;
 * a failure to become the user likewise, as PROC_USER_FAILED.
 * Nothing here logs: every fact goes to the caller's callback.
 */

/* Default time a child may run before it is killed. */
#define PROC_TIMEOUT_DEFAULT_MS 10000u
/* Default time between SIGTERM and SIGKILL once a child is being killed. */
#define PROC_KILL_GRACE_DEFAULT_MS 1000u
/* Bytes kept of the first output line, including the terminating NUL. */
#define PROC_OUTPUT_MAX 256

/* How a child ended. */
enum proc_outcome {
	PROC_EXITED,       /* exited on its own; see exit_code */
	PROC_SIGNALED,     /* killed by a signal we did not send; see signo */
	PROC_TIMED_OUT,    /* outlived its timeout and was killed; signo ended it */
	PROC_CANCELLED,    /* killed by proc_kill(); signo ended it */
	PROC_EXEC_FAILED,  /* the child could not execve; see err */
	PROC_USER_FAILED,  /* the child could not become proc_opts.user; see
			      err and step */
	PROC_SPAWN_FAILED, /* no child at all (pipe/fork failed); see err.
			      proc never reports this itself: callers use it
			      to report a proc_start() error in the same shape */
};

/* Facts about one finished child, handed to the proc_done_fn. */
struct proc_result {
	enum proc_outcome outcome;
	int exit_code;        /* PROC_EXITED: 0..255; otherwise -1 */
	int signo;            /* signal that ended the child, 0 if it exited */
	int err;              /* PROC_EXEC_FAILED / _USER_FAILED / _SPAWN_FAILED: errno (> 0) */
	const char *step;     /* PROC_USER_FAILED: the call that failed ("setgroups",
			       * "setgid", "setuid", "chdir"); NULL otherwise */
	pid_t pid;            /* the child's pid (0 for PROC_SPAWN_FAILED) */
	bool leftovers;       /* processes were left in its group when it was
			       * reaped, and were killed (SIGKILL) */
	uint64_t duration_ms; /* start to reap, monotonic clock */
	/* First non-empty line of stdout+stderr, without the newline, control
	 * characters replaced by '?', truncated to PROC_OUTPUT_MAX - 1 bytes. */
	char output[PROC_OUTPUT_MAX];
};

/*
 * A user a child runs as, resolved once in the parent (proc_user_lookup):
 * between fork and execve the child may only make system calls, and
 * getpwnam or initgroups read files through NSS and may take locks. The
 * supplementary groups are those initgroups would set (getgrouplist).
 */
struct proc_user {
	char *name;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t n_groups;
};

/*
 * Look up the user called name (getpwnam_r, getgrouplist).
 * Returns 0 and *out (free with proc_user_free), -ENOENT when there is no
 * such user, -ENOMEM, or another negative errno of the lookup; err says
 * why in words.
 */
int proc_user_lookup(const char *name, struct proc_user **out, char *err, size_t errlen);

/* Free a user from proc_user_lookup(). Accepts NULL. */
void proc_user_free(struct proc_user *u);

/* Options for one run; a zero field takes its default. */
struct proc_opts {
	uint32_t timeout_ms;    /* 0: PROC_TIMEOUT_DEFAULT_MS */
	uint32_t kill_grace_ms; /* 0: PROC_KILL_GRACE_DEFAULT_MS */
	const struct proc_user *user; /* NULL: vigild's own user; read during
				       * proc_start() only */
};

struct proc;

/*
 * Called once per proc_start() that returned 0, from the loop, after the
 * child was reaped. p is idle again when this runs: the callback may call
 * proc_start() for the next child or proc_free(p). r is valid only during
 * the call.
 */
typedef void (*proc_done_fn)(struct proc *p, const struct proc_result *r,
			     void *ctx);

/*
 * Create an idle runner on loop.
 * out: receives the new object. loop: must be the default loop.
 * Returns 0, -EINVAL if loop is NULL or not the default loop, -ENOMEM.
 */
int proc_new(struct proc **out, struct ev_loop *loop);

/*
 * Stop the runner. A running child's process group gets SIGKILL and the
 * child is reaped with a bounded wait (about 1 s; after that it is left to
 * libev's SIGCHLD handler). Its callback is NOT called. Accepts NULL.
 */
void proc_free(struct proc *p);

/*
 * Start argv[0] with arguments argv and environment envp (both
 * NULL-terminated; copied by the kernel at execve, so the caller may free
 * them once this returns).
 * opts: NULL for defaults. done: called when the child is gone. ctx: for done.
 * Returns 0 (done will be called exactly once), -EBUSY if a child is still
 * running, -EINVAL on a NULL/empty argv or NULL envp/done, or the negative
 * errno of pipe2/fork (done will not be called).
 */
int proc_start(struct proc *p, char *const argv[], char *const envp[],
	       const struct proc_opts *opts, proc_done_fn done, void *ctx);

/* Returns true while a started child has not been reported yet. */
bool proc_running(const struct proc *p);

/*
 * Kill the running child's process group now with SIGKILL; the callback
 * still comes when it is reaped, with outcome PROC_CANCELLED (unless the
 * timeout already fired: then PROC_TIMED_OUT). No-op when idle.
 */
void proc_kill(struct proc *p);

/* Returns true if r is a clean run: exited with status 0. */
bool proc_result_ok(const struct proc_result *r);

/* Returns a fixed lower-case name for o ("exited", "timed out", ...). */
const char *proc_outcome_name(enum proc_outcome o);

#endif /* VIGIL_PROC_H */
