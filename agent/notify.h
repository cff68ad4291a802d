/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify: run an instance's notify scripts on state changes, in order, one at a time. */
#ifndef VIGIL_NOTIFY_H
#define VIGIL_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "proc.h"

/*
 * On each state change of an instance, as keepalived does:
 *   1. notify_<state> (notify_master, notify_backup, notify_fault,
 *      notify_stop), if configured, with exactly the argv of the config;
 *   2. notify, if configured, with the argv of the config followed by
 *      "INSTANCE" <instance name> <new state> <effective priority>.
 * Both see only this environment (never the daemon's own, which may hold
 * anything; PATH is fixed so scripts find the usual tools):
 *   PATH=/usr/sbin:/usr/bin:/sbin:/bin
 *   VIGIL_INSTANCE, VIGIL_STATE, VIGIL_PREV_STATE, VIGIL_PRIORITY,
 *   VIGIL_VIPS (CIDRs separated by one space), VIGIL_ROUTER_ID.
 * Programs run through proc (fork+execve, no shell, no PATH search, own
 * process group, timeout then SIGTERM/SIGKILL; see proc.h), one at a time
 * per instance, in the order the changes were reported, as run_as
 * ([global] script_user) when set. The loop must be libev's default loop
 * (ev_child).
 *
 * Before each run the program must pass the rules of a script check
 * (file_safety.h, PROGRAM: owned by root or run_as, not writable by group
 * or others, nor its directories): one that fails them is not run and is
 * reported with refused set. A program that is missing or not executable
 * is left to execve, which reports it (PROC_EXEC_FAILED).
 *
 * The queue is bounded: when it is full the OLDEST pending command is
 * dropped (counted, and reported with dropped = true), because the last
 * command queued describes the state the instance is really in.
 */

/* Default pending commands per instance (the running one not counted). */
#define NOTIFY_QUEUE_DEFAULT 64u
/* Smallest queue: one state change queues up to two commands. */
#define NOTIFY_QUEUE_MIN 2u
/* The only PATH scripts see. */
#define NOTIFY_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

/* States reported to scripts. STOP is the daemon shutting the instance
 * down; INIT only ever appears as the previous state (nothing before). */
enum notify_state {
	NOTIFY_STATE_INIT,
	NOTIFY_STATE_BACKUP,
	NOTIFY_STATE_MASTER,
	NOTIFY_STATE_FAULT,
	NOTIFY_STATE_STOP,
};

/* Returns the word scripts see: "INIT", "BACKUP", "MASTER", "FAULT", "STOP". */
const char *notify_state_name(enum notify_state s);

/*
 * What one instance runs. Each argv is NULL-terminated, already split by
 * the config (no shell); NULL (or an empty argv) means not configured.
 * notify_new() copies everything: the caller keeps ownership.
 */
struct notify_conf {
	const char *instance;     /* instance name; required, non-empty */
	const char *router_id;    /* [global] router_id; NULL means "" */
	char *const *notify;      /* generic script: gets the 4 arguments */
	char *const *notify_master;
	char *const *notify_backup;
	char *const *notify_fault;
	char *const *notify_stop;
	char *const *notify_alarm; /* data safety failed: run with VIGIL_ALARM set */
	uint32_t timeout_ms;      /* per command; 0: PROC_TIMEOUT_DEFAULT_MS */
	uint32_t kill_grace_ms;   /* SIGTERM to SIGKILL; 0: PROC_KILL_GRACE_DEFAULT_MS */
	unsigned queue_max;       /* 0: NOTIFY_QUEUE_DEFAULT; raised to NOTIFY_QUEUE_MIN */
	const char *run_as;       /* [global] script_user; NULL: run as vigild's user */
};

/* One state change, as the agent saw it after carrying it out. */
struct notify_change {
	enum notify_state state;  /* new state: BACKUP, MASTER, FAULT or STOP */
	enum notify_state prev;   /* previous state (INIT at start-up) */
	int priority;             /* effective priority, 0..255 */
	const char *const *vips;  /* CIDR strings ("198.18.0.100/24"), n_vips of them */
	size_t n_vips;
	const char *reason;       /* why (the state machine's reason name), or NULL */
	/* Data safety (NULL without manage_read_only): the server's role
	 * ("read-only", "gating", "writable"...), eligibility ("yes: ..." or
	 * "no: ...") and epoch, as VIGIL_DB_ROLE, VIGIL_DB_ELIGIBLE and
	 * VIGIL_DB_EPOCH. */
	const char *db_role;
	const char *db_eligible;
	const char *db_epoch;
	const char *alarm;        /* notify_alarm only: what failed (VIGIL_ALARM) */
};

/* One program to run: argv and envp ready for execve, both owned. */
struct notify_cmd {
	enum notify_state state;  /* the change it reports */
	bool generic;             /* true: `notify`; false: `notify_<state>` */
	bool alarm;               /* true: `notify_alarm` */
	char **argv;              /* NULL-terminated */
	char **envp;              /* NULL-terminated, "KEY=value" */
};

/*
 * Build the commands for one change (pure: no I/O, no clock; allocates).
 * conf: the instance's scripts. chg: the change.
 * cmds: receives 0, 1 or 2 commands, notify_<state> first, then notify.
 * n_cmds: receives how many.
 * Returns 0, -EINVAL (no instance name, state not BACKUP/MASTER/FAULT/STOP,
 * prev out of range, priority outside 0..255, a NULL VIP) or -ENOMEM
 * (nothing is left allocated on error).
 * Free each command with notify_cmd_clear().
 */
int notify_cmds_build(const struct notify_conf *conf,
		      const struct notify_change *chg,
		      struct notify_cmd cmds[2], size_t *n_cmds);

/* Free what a notify_cmd owns and zero it. Accepts NULL and zeroed commands. */
void notify_cmd_clear(struct notify_cmd *cmd);

/* What became of one command; valid only during the callback. */
struct notify_report {
	const char *instance;
	enum notify_state state;  /* the change it reported */
	bool generic;             /* true: `notify`; false: `notify_<state>` */
	bool alarm;               /* true: `notify_alarm` */
	char *const *argv;        /* what was (or would have been) run */
	bool dropped;             /* never started: queue overflow or drain deadline */
	struct proc_result result; /* how it ended; meaningless when dropped.
				      A proc_start() failure is PROC_SPAWN_FAILED. */
	const char *run_as;       /* the user it ran as (script_user), or NULL */
	const char *refused;      /* not run: why the program is not trusted
				      (file_safety.h; result.outcome is
				      PROC_SPAWN_FAILED, result.err EPERM); NULL otherwise */
};

/* Counters, always on, for vigilctl. */
struct notify_stats {
	uint64_t changes;   /* state changes reported */
	uint64_t started;   /* commands started */
	uint64_t ok;        /* exited 0 */
	uint64_t failed;    /* anything else that ran or tried to (incl. timed out) */
	uint64_t timed_out; /* killed by the timeout */
	uint64_t dropped;   /* never started (overflow or drain deadline) */
};

struct notify;

/*
 * Called once per command: when it ended, failed to start, or was dropped.
 * Must not call notify_free(). May call notify_state_change().
 */
typedef void (*notify_done_fn)(const struct notify_report *rep, void *ctx);

/*
 * Called once by notify_drain() when the queue is empty.
 * complete: false if the deadline was hit (pending commands were dropped
 * and the running one killed). Must not call notify_free().
 */
typedef void (*notify_drained_fn)(struct notify *n, bool complete, void *ctx);

/*
 * Create an instance's notifier.
 * out: receives it. loop: libev's default loop. conf: copied; its run_as
 * is looked up now (proc_user_lookup).
 * done: receives every command's report (required). ctx: for done.
 * Returns 0, -EINVAL (NULL argument, no instance name, loop not the
 * default loop), -ENOENT (no user run_as) or -ENOMEM.
 */
int notify_new(struct notify **out, struct ev_loop *loop,
	       const struct notify_conf *conf, notify_done_fn done, void *ctx);

/*
 * Stop everything now: the running command's process group is killed and
 * reaped (bounded wait, see proc_free), pending commands are discarded
 * without callbacks. Accepts NULL.
 */
void notify_free(struct notify *n);

/*
 * Queue the commands for one state change; start the first if idle.
 * Reports of dropped commands (overflow) and of commands that could not
 * start may be delivered before this returns.
 * Returns 0 (also when no script is configured), or the error of
 * notify_cmds_build() (nothing queued).
 */
int notify_state_change(struct notify *n, const struct notify_change *chg);

/*
 * Data safety could not do what it must (a server left writable while its
 * node is not master, a gate that timed out): queue notify_alarm, if
 * configured, with the config's argv and the environment of @chg (the
 * current state) plus VIGIL_ALARM = chg->alarm. Same queue and order as
 * the state changes. Returns 0 (also when notify_alarm is not set),
 * -EINVAL, -ENOMEM.
 */
int notify_alarm(struct notify *n, const struct notify_change *chg);

/*
 * Wait, without blocking the loop, until the queue is empty: the
 * daemon's SIGTERM path (remove VIPs, queue STOP, drain, exit).
 * timeout_ms: deadline (0: no deadline beyond each command's own
 * timeout); at the deadline pending commands are dropped and the running
 * one is killed. cb: called once when empty, synchronously if it already
 * is. ctx: for cb.
 * Returns 0, -EINVAL on NULL, -EBUSY if a drain is already in progress.
 */
int notify_drain(struct notify *n, uint32_t timeout_ms, notify_drained_fn cb,
		 void *ctx);

/* Returns the commands queued, the running one included. */
size_t notify_pending(const struct notify *n);

/* Returns the counters (never NULL for a valid n). */
const struct notify_stats *notify_get_stats(const struct notify *n);

#endif /* VIGIL_NOTIFY_H */
