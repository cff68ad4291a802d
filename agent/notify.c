/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify: run an instance's notify scripts on state changes, in order, one at a time. */
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_safety.h"

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct notify {
	struct ev_loop *loop;
	struct proc *proc;
	/* Owned copies behind conf's pointers. */
	char *instance;
	char *router_id;
	char **argvs[6]; /* notify, notify_master, _backup, _fault, _stop, _alarm */
	struct notify_conf conf;
	struct proc_user *user; /* conf.run_as looked up; NULL: vigild's user */
	struct proc_opts opts;
	notify_done_fn done;
	void *ctx;
	/* cmds[0] is the running command while proc_running(proc). */
	struct notify_cmd *cmds;
	size_t n_cmds;
	size_t cap; /* queue_max + 1 for the running one */
	struct notify_stats stats;
	/* Drain (shutdown) state. */
	ev_timer drain_w;
	bool draining;
	bool drain_expired;
	notify_drained_fn drained;
	void *drained_ctx;
};

const char *notify_state_name(enum notify_state s)
{
	switch (s) {
	case NOTIFY_STATE_INIT:
		return "INIT";
	case NOTIFY_STATE_BACKUP:
		return "BACKUP";
	case NOTIFY_STATE_MASTER:
		return "MASTER";
	case NOTIFY_STATE_FAULT:
		return "FAULT";
	case NOTIFY_STATE_STOP:
		return "STOP";
	}
	return "UNKNOWN";
}

/* ---- pure part: argv and envp for one change ---- */

static bool argv_set(char *const *argv)
{
	return argv && argv[0];
}

static size_t argv_len(char *const *argv)
{
	size_t n = 0;

	while (argv && argv[n])
		n++;
	return n;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Copy argv, leaving room for `extra` more entries before the NULL. */
static char **strv_dup(char *const *argv, size_t extra)
{
	size_t n = argv_len(argv);
	char **v = calloc(n + extra + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(argv[i]);
		if (!v[i]) {
			strv_free(v);
			return NULL;
		}
	}
	return v;
}

static char *kv(const char *key, const char *value)
{
	size_t len = strlen(key) + 1 + strlen(value) + 1;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, "%s=%s", key, value);
	return s;
}

static char *join_vips(const struct notify_change *chg)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < chg->n_vips; i++)
		len += strlen(chg->vips[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < chg->n_vips; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, chg->vips[i]);
	}
	return s;
}

static char **build_envp(const struct notify_conf *conf,
			 const struct notify_change *chg)
{
	enum { ENV_MAX = 13 };
	char prio[16];
	char *vips = join_vips(chg);
	char **envp = calloc(ENV_MAX, sizeof(*envp));
	size_t n = 0;
	bool ok;

	snprintf(prio, sizeof(prio), "%d", chg->priority);
	ok = vips && envp;
	if (ok) {
		const char *pairs[][2] = {
			{ "PATH", NOTIFY_PATH },
			{ "VIGIL_INSTANCE", conf->instance },
			{ "VIGIL_STATE", notify_state_name(chg->state) },
			{ "VIGIL_PREV_STATE", notify_state_name(chg->prev) },
			{ "VIGIL_PRIORITY", prio },
			{ "VIGIL_VIPS", vips },
			{ "VIGIL_ROUTER_ID", conf->router_id ? conf->router_id : "" },
			{ "VIGIL_REASON", chg->reason },
			{ "VIGIL_DB_ROLE", chg->db_role },
			{ "VIGIL_DB_ELIGIBLE", chg->db_eligible },
			{ "VIGIL_DB_EPOCH", chg->db_epoch },
			{ "VIGIL_ALARM", chg->alarm },
		};
		for (size_t i = 0; ok && i < sizeof(pairs) / sizeof(pairs[0]); i++) {
			if (!pairs[i][1])
				continue; /* not known: not set */
			envp[n] = kv(pairs[i][0], pairs[i][1]);
			ok = envp[n++] != NULL;
		}
	}
	free(vips);
	if (!ok) {
		for (size_t i = 0; envp && i < n; i++)
			free(envp[i]);
		free(envp);
		return NULL;
	}
	return envp;
}

static char *const *state_argv(const struct notify_conf *conf,
			       enum notify_state s)
{
	switch (s) {
	case NOTIFY_STATE_MASTER:
		return conf->notify_master;
	case NOTIFY_STATE_BACKUP:
		return conf->notify_backup;
	case NOTIFY_STATE_FAULT:
		return conf->notify_fault;
	case NOTIFY_STATE_STOP:
		return conf->notify_stop;
	case NOTIFY_STATE_INIT:
		break;
	}
	return NULL;
}

static int check_change(const struct notify_conf *conf,
			const struct notify_change *chg)
{
	if (!conf->instance || !conf->instance[0])
		return -EINVAL;
	if (chg->state != NOTIFY_STATE_BACKUP && chg->state != NOTIFY_STATE_MASTER &&
	    chg->state != NOTIFY_STATE_FAULT && chg->state != NOTIFY_STATE_STOP)
		return -EINVAL;
	if ((unsigned)chg->prev > NOTIFY_STATE_STOP)
		return -EINVAL;
	if (chg->priority < 0 || chg->priority > 255)
		return -EINVAL;
	if (chg->n_vips && !chg->vips)
		return -EINVAL;
	for (size_t i = 0; i < chg->n_vips; i++)
		if (!chg->vips[i])
			return -EINVAL;
	return 0;
}

/* The generic script: configured argv + INSTANCE name STATE priority,
 * the four arguments keepalived appends. */
static char **build_generic_argv(const struct notify_conf *conf,
				 const struct notify_change *chg)
{
	size_t n = argv_len(conf->notify);
	char prio[16];
	char **argv = strv_dup(conf->notify, 4);

	if (!argv)
		return NULL;
	snprintf(prio, sizeof(prio), "%d", chg->priority);
	argv[n] = strdup("INSTANCE");
	argv[n + 1] = argv[n] ? strdup(conf->instance) : NULL;
	argv[n + 2] = argv[n + 1] ? strdup(notify_state_name(chg->state)) : NULL;
	argv[n + 3] = argv[n + 2] ? strdup(prio) : NULL;
	if (!argv[n + 3]) {
		strv_free(argv);
		return NULL;
	}
	return argv;
}

void notify_cmd_clear(struct notify_cmd *cmd)
{
	if (!cmd)
		return;
	strv_free(cmd->argv);
	strv_free(cmd->envp);
	memset(cmd, 0, sizeof(*cmd));
}

int notify_cmds_build(const struct notify_conf *conf,
		      const struct notify_change *chg,
		      struct notify_cmd cmds[2], size_t *n_cmds)
{
	char *const *specific;
	size_t n = 0;
	int rc;

	if (!conf || !chg || !cmds || !n_cmds)
		return -EINVAL;
	*n_cmds = 0;
	memset(cmds, 0, 2 * sizeof(*cmds));
	rc = check_change(conf, chg);
	if (rc < 0)
		return rc;

	specific = state_argv(conf, chg->state);
	if (argv_set(specific)) {
		cmds[n].state = chg->state;
		cmds[n].generic = false;
		cmds[n].argv = strv_dup(specific, 0);
		cmds[n].envp = build_envp(conf, chg);
		n++;
	}
	if (argv_set(conf->notify)) {
		cmds[n].state = chg->state;
		cmds[n].generic = true;
		cmds[n].argv = build_generic_argv(conf, chg);
		cmds[n].envp = build_envp(conf, chg);
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		if (!cmds[i].argv || !cmds[i].envp) {
			for (size_t j = 0; j < n; j++)
				notify_cmd_clear(&cmds[j]);
			return -ENOMEM;
		}
	}
	*n_cmds = n;
	return 0;
}

/* ---- the queue ---- */

static void report(struct notify *n, const struct notify_cmd *cmd,
		   bool dropped, const struct proc_result *r, const char *refused)
{
	struct notify_report rep;

	memset(&rep, 0, sizeof(rep));
	rep.refused = refused;
	rep.run_as = n->conf.run_as;
	rep.instance = n->instance;
	rep.state = cmd->state;
	rep.generic = cmd->generic;
	rep.alarm = cmd->alarm;
	rep.argv = cmd->argv;
	rep.dropped = dropped;
	if (r)
		rep.result = *r;
	if (dropped) {
		n->stats.dropped++;
	} else if (proc_result_ok(r)) {
		n->stats.ok++;
	} else {
		n->stats.failed++;
		if (r->outcome == PROC_TIMED_OUT)
			n->stats.timed_out++;
	}
	n->done(&rep, n->ctx);
}

/* Remove cmds[i] from the queue, handing it to the caller. */
static struct notify_cmd take(struct notify *n, size_t i)
{
	struct notify_cmd c = n->cmds[i];

	memmove(&n->cmds[i], &n->cmds[i + 1],
		(n->n_cmds - i - 1) * sizeof(*n->cmds));
	n->n_cmds--;
	memset(&n->cmds[n->n_cmds], 0, sizeof(*n->cmds));
	return c;
}

/* Drop and report the pending command at index i. */
static void drop(struct notify *n, size_t i)
{
	struct notify_cmd c = take(n, i);

	report(n, &c, true, NULL, NULL);
	notify_cmd_clear(&c);
}

static void finish_drain(struct notify *n)
{
	notify_drained_fn cb = n->drained;
	void *ctx = n->drained_ctx;
	bool complete = !n->drain_expired;

	ev_timer_stop(n->loop, &n->drain_w);
	n->draining = false;
	n->drain_expired = false;
	n->drained = NULL;
	n->drained_ctx = NULL;
	cb(n, complete, ctx);
}

static void proc_done(struct proc *p, const struct proc_result *r, void *ctx);

/* Whether the program may run (file_safety.h, as a script check's): 0,
 * or -EPERM with why. Missing or not executable is execve's to report. */
static int trusted(const struct notify *n, const char *prog, char *why, size_t len)
{
	struct file_owners o = file_owners_of(n->user ? n->user->name : NULL,
					       n->user ? n->user->uid : 0);

	return file_safety_check(prog, FILE_ROLE_PROGRAM, &o, why, len) == -EPERM ? -EPERM : 0;
}

/* Start the head command if nothing runs; a command that cannot start is
 * reported and the next one tried. */
static void pump(struct notify *n)
{
	while (n->n_cmds > 0 && !proc_running(n->proc)) {
		struct notify_cmd c;
		struct proc_result r;
		char why[512];
		int rc = trusted(n, n->cmds[0].argv[0], why, sizeof(why));
		bool refused = rc < 0;

		if (!refused)
			rc = proc_start(n->proc, n->cmds[0].argv, n->cmds[0].envp, &n->opts,
					proc_done, n);
		if (rc == 0) {
			n->stats.started++;
			return;
		}
		c = take(n, 0);
		memset(&r, 0, sizeof(r));
		r.outcome = PROC_SPAWN_FAILED;
		r.exit_code = -1;
		r.err = -rc;
		report(n, &c, false, &r, refused ? why : NULL);
		notify_cmd_clear(&c);
	}
	if (n->n_cmds == 0 && n->draining)
		finish_drain(n);
}

static void proc_done(struct proc *p, const struct proc_result *r, void *ctx)
{
	struct notify *n = ctx;
	struct notify_cmd c = take(n, 0);

	(void)p;
	report(n, &c, false, r, NULL);
	notify_cmd_clear(&c);
	pump(n);
}

static void drain_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct notify *n = container_of(w, struct notify, drain_w);
	size_t keep = proc_running(n->proc) ? 1 : 0;

	(void)loop;
	(void)revents;
	/* Out of time: what has not started never will; the running command
	 * is killed and finish_drain() runs from its reap. */
	n->drain_expired = true;
	while (n->n_cmds > keep)
		drop(n, keep);
	if (keep)
		proc_kill(n->proc);
	else
		finish_drain(n);
}

int notify_state_change(struct notify *n, const struct notify_change *chg)
{
	struct notify_cmd cmds[2];
	size_t k;
	int rc;

	if (!n || !chg)
		return -EINVAL;
	rc = notify_cmds_build(&n->conf, chg, cmds, &k);
	if (rc < 0)
		return rc;
	n->stats.changes++;
	for (size_t i = 0; i < k; i++) {
		/* Full: drop the oldest pending command (never the running
		 * one: it is already in the world). */
		if (n->n_cmds >= n->cap)
			drop(n, proc_running(n->proc) ? 1 : 0);
		n->cmds[n->n_cmds++] = cmds[i];
	}
	pump(n);
	return 0;
}

int notify_alarm(struct notify *n, const struct notify_change *chg)
{
	struct notify_cmd cmd;
	int rc;

	if (!n || !chg || !chg->alarm)
		return -EINVAL;
	if (!argv_set(n->conf.notify_alarm))
		return 0;
	rc = check_change(&n->conf, chg);
	if (rc < 0)
		return rc;
	memset(&cmd, 0, sizeof(cmd));
	cmd.state = chg->state;
	cmd.alarm = true;
	cmd.argv = strv_dup(n->conf.notify_alarm, 0);
	cmd.envp = build_envp(&n->conf, chg);
	if (!cmd.argv || !cmd.envp) {
		notify_cmd_clear(&cmd);
		return -ENOMEM;
	}
	if (n->n_cmds >= n->cap)
		drop(n, proc_running(n->proc) ? 1 : 0);
	n->cmds[n->n_cmds++] = cmd;
	pump(n);
	return 0;
}

int notify_drain(struct notify *n, uint32_t timeout_ms, notify_drained_fn cb,
		 void *ctx)
{
	if (!n || !cb)
		return -EINVAL;
	if (n->draining)
		return -EBUSY;
	n->draining = true;
	n->drain_expired = false;
	n->drained = cb;
	n->drained_ctx = ctx;
	if (n->n_cmds == 0) {
		finish_drain(n);
		return 0;
	}
	if (timeout_ms) {
		ev_timer_set(&n->drain_w, timeout_ms / 1000.0, 0.0);
		ev_timer_start(n->loop, &n->drain_w);
	}
	return 0;
}

size_t notify_pending(const struct notify *n)
{
	return n ? n->n_cmds : 0;
}

const struct notify_stats *notify_get_stats(const struct notify *n)
{
	return n ? &n->stats : NULL;
}

/* ---- lifetime ---- */

int notify_new(struct notify **out, struct ev_loop *loop,
	       const struct notify_conf *conf, notify_done_fn done, void *ctx)
{
	char *const *src[6];
	struct notify *n;
	unsigned qmax;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!loop || !conf || !done || !conf->instance || !conf->instance[0])
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->loop = loop;
	n->done = done;
	n->ctx = ctx;
	ev_timer_init(&n->drain_w, drain_timer_cb, 0.0, 0.0);
	rc = proc_new(&n->proc, loop);
	if (rc < 0)
		goto fail;

	if (conf->run_as) {
		char why[200];

		rc = proc_user_lookup(conf->run_as, &n->user, why, sizeof(why));
		if (rc < 0)
			goto fail;
		n->conf.run_as = n->user->name;
	}
	rc = -ENOMEM;
	n->instance = strdup(conf->instance);
	n->router_id = strdup(conf->router_id ? conf->router_id : "");
	if (!n->instance || !n->router_id)
		goto fail;
	src[0] = conf->notify;
	src[1] = conf->notify_master;
	src[2] = conf->notify_backup;
	src[3] = conf->notify_fault;
	src[4] = conf->notify_stop;
	src[5] = conf->notify_alarm;
	for (size_t i = 0; i < 6; i++) {
		if (!argv_set(src[i]))
			continue;
		n->argvs[i] = strv_dup(src[i], 0);
		if (!n->argvs[i])
			goto fail;
	}
	n->conf.instance = n->instance;
	n->conf.router_id = n->router_id;
	n->conf.notify = n->argvs[0];
	n->conf.notify_master = n->argvs[1];
	n->conf.notify_backup = n->argvs[2];
	n->conf.notify_fault = n->argvs[3];
	n->conf.notify_stop = n->argvs[4];
	n->conf.notify_alarm = n->argvs[5];
	n->conf.timeout_ms = conf->timeout_ms;
	n->conf.kill_grace_ms = conf->kill_grace_ms;
	qmax = conf->queue_max ? conf->queue_max : NOTIFY_QUEUE_DEFAULT;
	if (qmax < NOTIFY_QUEUE_MIN)
		qmax = NOTIFY_QUEUE_MIN;
	n->conf.queue_max = qmax;
	n->opts.timeout_ms = conf->timeout_ms;
	n->opts.kill_grace_ms = conf->kill_grace_ms;
	n->opts.user = n->user;

	n->cap = (size_t)qmax + 1;
	n->cmds = calloc(n->cap, sizeof(*n->cmds));
	if (!n->cmds)
		goto fail;
	*out = n;
	return 0;
fail:
	notify_free(n);
	return rc;
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	ev_timer_stop(n->loop, &n->drain_w);
	proc_free(n->proc);
	for (size_t i = 0; i < n->n_cmds; i++)
		notify_cmd_clear(&n->cmds[i]);
	free(n->cmds);
	for (size_t i = 0; i < 6; i++)
		strv_free(n->argvs[i]);
	free(n->instance);
	free(n->router_id);
	proc_user_free(n->user);
	free(n);
}
