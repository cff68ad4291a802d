// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's run: pre-flight checks, the event loop, signals, clean stop.
#include "daemon.h"
#include "monotime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ev.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "config_host.h"
#include "control.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "proc.h"
#include "reexec.h"
#include "service_notify.h"
#include "status.h"

/* One line at start: the capabilities vigild runs with (privilege.h). */
static void log_privilege(const struct logger *log, const struct privilege_report *p)
{
	if (!p)
		return;
	if (!p->managed) {
		log_warn(log, "capabilities: none (running as uid %u): nothing to drop; vigild needs root",
			 (unsigned)geteuid());
		return;
	}
	log_info(log, "capabilities: kept %s (permitted, effective, bounding); every other capability dropped",
		 p->kept[0] ? p->kept : "none");
	if (p->missing[0])
		log_warn(log, "capabilities: %s not available to vigild: what needs them will fail",
			 p->missing);
}

/* [global] log_level as the logger's level (the configuration does not
 * depend on log.h). */
static enum log_level log_level_of(enum config_log_level l)
{
	switch (l) {
	case CONFIG_LOG_ERROR: return LOG_LVL_ERR;
	case CONFIG_LOG_WARNING: return LOG_LVL_WARN;
	case CONFIG_LOG_INFO: return LOG_LVL_INFO;
	case CONFIG_LOG_DEBUG: return LOG_LVL_DEBUG;
	}
	return LOG_LVL_INFO;
}

struct run {
	struct agent *agent;
	struct control *control;
	struct metrics_http *metrics;  /* [global] metrics_listen; NULL: off */
	struct logger *log;
	const char *path;              /* the configuration file, read again on reload */
	uint64_t started_ms;
	struct service_notify notify;  /* systemd: READY, RELOADING, STOPPING, watchdog */
	ev_timer reload_retry;         /* a reload waiting for the agent to be idle */
	uint64_t reload_wait_since_ms;
	/* Restart: this binary's path, the command line to run again, the
	 * restarts so far, and the one in progress (its check of the new
	 * binary, and the vigilctl connection waiting for the outcome). */
	char exe[PATH_MAX];
	char *const *argv;
	uint64_t generation;
	struct proc *restart_check;
	int restart_reply;
};

/* The read-only view status and metrics render, with the daemon's own
 * facts. Returns 0 or -ENOMEM. */
static int collect_view(struct run *run, struct status_view *v)
{
	if (status_collect(v, run->agent, monotime_ms()) < 0)
		return -ENOMEM;
	v->pid = (long)getpid();
	v->started_ms = run->started_ms;
	v->restarts = run->generation;
	v->reloads = agent_reloads(run->agent);
	v->control = control_stats(run->control);
	return 0;
}

/* vigilctl status: a view of the running state, rendered, on the loop. */
static char *respond_status(struct run *run, bool json)
{
	struct status_view v;
	if (collect_view(run, &v) < 0)
		return NULL;
	char *out = json ? status_render_json(&v) : status_render_text(&v);
	status_view_free(&v);
	return out;
}

/* vigilctl metrics and GET /metrics: the view status takes, in the
 * Prometheus text format. */
static char *respond_metrics(void *ctx)
{
	struct run *run = ctx;
	struct status_view v;
	if (collect_view(run, &v) < 0)
		return NULL;
	char *out = metrics_render(&v);
	status_view_free(&v);
	return out;
}

/* ---- reload ------------------------------------------------------------- */

/* A reload that finds the agent busy tries again this often, and gives up
 * after this long (a promotion gate may take promote_timeout). */
#define RELOAD_RETRY_S 0.2
#define RELOAD_WAIT_MAX_MS (3700u * 1000u)
/* How long the new binary may take to check the configuration. */
#define RESTART_CHECK_TIMEOUT_MS 10000u

/* The diagnostics of a refused file: every line logged, and the answer
 * that vigilctl prints. */
static char *refuse_file(struct run *run, const char *origin, const struct config_diag *diag, int rc)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	fprintf(f, "error: reload refused: %s %s; the running configuration stays\n", run->path,
		rc == -EINVAL ? "has errors" : "cannot be read");
	log_err(run->log, "%s: reload refused: %s %s; the running configuration stays", origin,
		run->path, rc == -EINVAL ? "has errors" : "cannot be read");
	for (size_t i = 0; i < diag->count; i++) {
		log_msg(run->log, diag->entries[i].severity == CONFIG_ERROR ? LOG_LVL_ERR : LOG_LVL_WARN,
			"%s", diag->entries[i].text);
		fprintf(f, "%s\n", diag->entries[i].text);
	}
	if (diag->count == 0) {
		log_err(run->log, "%s: %s", run->path, strerror(-rc));
		fprintf(f, "%s: %s\n", run->path, strerror(-rc));
	}
	if (diag->dropped)
		fprintf(f, "(%zu more messages not shown)\n", diag->dropped);
	fclose(f);
	return out;
}

/* A new metrics listener when metrics_listen changed. Returns 0 (*out
 * NULL: keep the running one, or none wanted), or a negative errno. */
static int metrics_for(struct run *run, const struct vigil_config *now,
		       const struct vigil_config *next, struct metrics_http **out, bool *changed,
		       char *err, size_t errlen)
{
	*out = NULL;
	const char *a = now->global.metrics_listen, *b = next->global.metrics_listen;
	*changed = !((!a && !b) || (a && b && strcmp(a, b) == 0));
	if (!*changed || !next->global.metrics_addrlen)
		return 0;
	/* The old listener may hold the port: free it first if so. */
	if (run->metrics && now->global.metrics_addrlen == next->global.metrics_addrlen &&
	    memcmp(&now->global.metrics_addr, &next->global.metrics_addr,
		   next->global.metrics_addrlen) == 0)
		return 0;
	struct metrics_http_conf mc = {
		.addr = (const struct sockaddr *)&next->global.metrics_addr,
		.addrlen = next->global.metrics_addrlen,
		.name = next->global.metrics_listen,
	};
	return metrics_http_new(out, agent_loop(run->agent), &mc, respond_metrics, run, err, errlen);
}

static void reload_retry_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* The configuration file read again with every check the daemon makes at
 * start (main.c): a file it cannot trust (file_safety.h) is an error.
 * Returns 0 with *cfg, or a negative errno (-EINVAL: errors in diag). */
static int load_checked(const char *path, struct vigil_config **cfg, struct config_diag *diag)
{
	int rc = config_load_file(path, cfg, diag);
	if (rc == 0)
		config_check_host_run(*cfg, diag);
	if (rc == 0 && diag->errors) {
		config_free(*cfg);
		*cfg = NULL;
		rc = -EINVAL;
	}
	return rc;
}

/*
 * Read the configuration file again, parsed and validated aside; a file
 * with errors is refused and the running configuration stays. A good one
 * is swapped in by agent_reload(). While a promotion gate, a demotion, a
 * contest or a witness probe runs, the reload waits for it.
 * Returns the answer for vigilctl (malloc; NULL when out of memory).
 */
static char *reload_now(struct run *run, const char *origin)
{
	struct config_diag diag;
	struct vigil_config *cfg = NULL;
	config_diag_init(&diag);
	int rc = load_checked(run->path, &cfg, &diag);
	if (rc < 0) {
		char *out = refuse_file(run, origin, &diag, rc);
		config_diag_free(&diag);
		return out;
	}
	for (size_t i = 0; i < diag.count; i++)
		log_warn(run->log, "%s", diag.entries[i].text);
	config_diag_free(&diag);

	char err[512] = "";
	struct metrics_http *metrics = NULL;
	bool metrics_changed = false;
	const struct vigil_config *now = agent_config(run->agent);
	rc = metrics_for(run, now, cfg, &metrics, &metrics_changed, err, sizeof(err));
	if (rc < 0) {
		log_err(run->log, "%s: reload refused: %s", origin, err);
		config_free(cfg);
		return control_answerf("error: reload refused: %s; the running configuration stays\n", err);
	}
	enum log_level level = log_level_of(cfg->global.log_level);
	bool new_listener = metrics != NULL, metrics_off = metrics_changed && !cfg->global.metrics_addrlen;

	struct agent_reload_counts c;
	rc = agent_reload(run->agent, cfg, &c, err, sizeof(err));
	if (rc == -EAGAIN) {
		metrics_http_free(metrics);
		config_free(cfg);
		uint64_t now_ms = monotime_ms();
		if (!ev_is_active(&run->reload_retry)) {
			run->reload_wait_since_ms = now_ms;
			ev_timer_start(agent_loop(run->agent), &run->reload_retry);
			log_info(run->log, "%s: reload waits: %s", origin, err);
		} else if (now_ms - run->reload_wait_since_ms > RELOAD_WAIT_MAX_MS) {
			ev_timer_stop(agent_loop(run->agent), &run->reload_retry);
			log_err(run->log, "reload abandoned: still waiting for %s after %u s", err,
				RELOAD_WAIT_MAX_MS / 1000);
		}
		return control_answerf("reload of %s waits for %s; it runs as soon as that ends "
			       "(the log says when)\n", run->path, err);
	}
	ev_timer_stop(agent_loop(run->agent), &run->reload_retry);
	if (rc < 0) {
		metrics_http_free(metrics);
		config_free(cfg);
		log_err(run->log, "%s: reload refused: %s; the running configuration stays", origin, err);
		return control_answerf("error: reload refused: %s; the running configuration stays\n", err);
	}
	if (new_listener || metrics_off) {
		metrics_http_free(run->metrics);
		run->metrics = metrics;
	}
	run->log->max_level = level;
	char summary[400];
	snprintf(summary, sizeof(summary),
		 "instances: %zu kept, %zu added, %zu removed; checks: %zu kept, %zu restarted, %zu added, %zu removed",
		 c.kept, c.added, c.removed, c.health.checks_kept, c.health.checks_restarted,
		 c.health.checks_added, c.health.checks_removed);
	log_info(run->log, "%s: reloaded %s (reload %llu): %s", origin, run->path,
		 (unsigned long long)agent_reloads(run->agent), summary);
	return control_answerf("reloaded %s: %s\n", run->path, summary);
}

/* A reload, whatever its outcome, is bracketed for systemd: RELOADING=1,
 * then READY=1 with the configuration in force. */
static char *daemon_reload(struct run *run, const char *origin)
{
	service_notify_reloading(&run->notify);
	char *out = reload_now(run, origin);
	const struct vigil_config *in_force = agent_config(run->agent);
	char ready[200];
	snprintf(ready, sizeof(ready), "running %zu instance(s) from %s", in_force->n_instances,
		 in_force->source);
	service_notify_ready(&run->notify, ready);
	return out;
}

static void reload_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct run *run = w->data;
	char buf[200];
	if (agent_busy(run->agent, buf, sizeof(buf))) {
		if (monotime_ms() - run->reload_wait_since_ms <= RELOAD_WAIT_MAX_MS)
			return; /* still busy: the timer repeats */
		ev_timer_stop(loop, w);
		log_err(run->log, "reload abandoned: still waiting for %s after %u s", buf,
			RELOAD_WAIT_MAX_MS / 1000);
		return;
	}
	ev_timer_stop(loop, w);
	free(daemon_reload(run, "deferred reload"));
}

/* ---- restart ------------------------------------------------------------- */

/* The vigilctl that asked for the restart learns the outcome; then the
 * connection closes. */
static void restart_reply(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void restart_reply(struct run *run, const char *fmt, ...)
{
	if (run->restart_reply < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vdprintf(run->restart_reply, fmt, ap);
	va_end(ap);
	close(run->restart_reply);
	run->restart_reply = -1;
}

/* The new binary accepted the configuration: hand over and re-execute. */
static void restart_exec(struct run *run)
{
	char busy[200];
	if (agent_busy(run->agent, busy, sizeof(busy))) {
		log_err(run->log, "restart refused: %s began meanwhile", busy);
		restart_reply(run, "error: restart refused: %s began meanwhile; vigild goes on unchanged\n",
			      busy);
		return;
	}
	struct restart_state st = { .generation = run->generation + 1 };
	char *text = NULL;
	if (agent_collect_restart(run->agent, &st) == 0)
		text = restart_state_encode(&st);
	restart_state_free(&st);
	if (!text) {
		log_err(run->log, "restart refused: out of memory");
		restart_reply(run, "error: restart refused: out of memory; vigild goes on unchanged\n");
		return;
	}
	log_info(run->log, "restart: re-executing %s (restart %llu); VIPs, adverts and read_only carry on",
		 run->exe, (unsigned long long)(run->generation + 1));
	char err[300];
	reexec_exec(run->exe, run->argv, text, run->restart_reply, err, sizeof(err));
	free(text);
	/* Still here: execve failed, nothing was torn down. */
	log_err(run->log, "restart failed: %s; vigild goes on unchanged", err);
	restart_reply(run, "error: restart failed: %s; vigild goes on unchanged\n", err);
}

/* `vigild -t` only warns about the files of this host, which the new
 * process would then refuse at its start, after the exec: check them here,
 * as a reload would. Returns true when they are fine; else answers. */
static bool restart_files_ok(struct run *run)
{
	struct config_diag diag;
	struct vigil_config *cfg = NULL;
	config_diag_init(&diag);
	int rc = load_checked(run->path, &cfg, &diag);
	config_free(cfg);
	if (rc == 0) {
		config_diag_free(&diag);
		return true;
	}
	log_err(run->log, "restart refused: %s %s; vigild goes on unchanged", run->path,
		rc == -EINVAL ? "has errors" : "cannot be read");
	char first[600] = "";
	for (size_t i = 0; i < diag.count; i++) {
		if (diag.entries[i].severity != CONFIG_ERROR)
			continue;
		log_err(run->log, "%s", diag.entries[i].text);
		if (!first[0])
			snprintf(first, sizeof(first), "%s", diag.entries[i].text);
	}
	config_diag_free(&diag);
	restart_reply(run, "error: restart refused: %s; vigild goes on unchanged\n",
		      first[0] ? first : strerror(-rc));
	return false;
}

static void restart_checked(struct proc *p, const struct proc_result *r, void *ctx)
{
	(void)p;
	struct run *run = ctx;
	if (r->outcome == PROC_EXITED && r->exit_code == 0) {
		if (restart_files_ok(run))
			restart_exec(run);
		return;
	}
	char why[PROC_OUTPUT_MAX + 64];
	if (r->outcome == PROC_EXITED)
		snprintf(why, sizeof(why), "exit %d%s%s", r->exit_code, r->output[0] ? ": " : "",
			 r->output);
	else if (r->outcome == PROC_EXEC_FAILED)
		snprintf(why, sizeof(why), "cannot run it: %s", strerror(r->err));
	else
		snprintf(why, sizeof(why), "%s", proc_outcome_name(r->outcome));
	log_err(run->log, "restart refused: %s -t -f %s: %s", run->exe, run->path, why);
	restart_reply(run, "error: restart refused: %s -t -f %s: %s; vigild goes on unchanged\n",
		      run->exe, run->path, why);
}

/*
 * vigilctl restart: first the binary now at our path checks the file
 * (`vigild -t`, on the loop, bounded), then this process re-executes it
 * handing over its state (agent_collect_restart); the new process answers
 * the waiting vigilctl once it runs.
 */
static char *respond_restart(struct run *run, int client_fd)
{
	char busy[200];
	if (run->restart_reply >= 0)
		return control_answerf("error: a restart is already in progress\n");
	if (agent_busy(run->agent, busy, sizeof(busy)))
		return control_answerf("error: restart refused: vigild is in the middle of %s; try again when it ends\n",
			       busy);
	if (!run->exe[0] || !run->restart_check)
		return control_answerf("error: restart refused: the path of the running binary is unknown\n");
	/* The etcd lease would not cross execve: the new process would find
	 * the key held under a lease it does not know and demote. */
	if (agent_config(run->agent)->quorum.enabled)
		return control_answerf("error: restart refused: not supported with [quorum] (the etcd lease "
				       "does not cross the re-execution); use systemctl restart, which hands the "
				       "VIP over\n");
	int fd = client_fd >= 0 ? fcntl(client_fd, F_DUPFD_CLOEXEC, 3) : -1;
	if (fd < 0)
		return control_answerf("error: restart refused: %s\n", strerror(errno));
	char *argv[] = { run->exe, (char *)"-t", (char *)"-f", (char *)run->path, NULL };
	char *envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct proc_opts opts = { .timeout_ms = RESTART_CHECK_TIMEOUT_MS };
	int rc = proc_start(run->restart_check, argv, envp, &opts, restart_checked, run);
	if (rc < 0) {
		close(fd);
		return control_answerf("error: restart refused: cannot run %s -t: %s\n", run->exe, strerror(-rc));
	}
	run->restart_reply = fd;
	log_info(run->log, "restart: checking %s -t -f %s", run->exe, run->path);
	return strdup(""); /* the outcome follows on the kept connection */
}

static char *respond(void *ctx, const struct control_request *req)
{
	struct run *run = ctx;
	switch (req->cmd) {
	case CONTROL_CMD_STATUS:
		return respond_status(run, req->json);
	case CONTROL_CMD_METRICS:
		return respond_metrics(run);
	case CONTROL_CMD_RELOAD:
		return daemon_reload(run, "vigilctl reload");
	case CONTROL_CMD_RESIGN:
		return agent_resign(run->agent, req->instance);
	case CONTROL_CMD_RESUME:
		return agent_resume(run->agent, req->instance);
	case CONTROL_CMD_RESTART:
		return respond_restart(run, req->client_fd);
	case CONTROL_CMD__COUNT:
		break;
	}
	return control_answerf("error: %s is not available in this build\n", control_cmd_name(req->cmd));
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	struct run *run = w->data;
	log_info(run->log, "received %s", strsignal(w->signum));
	service_notify_stopping(&run->notify);
	agent_stop(run->agent);
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	struct run *run = w->data;
	free(daemon_reload(run, "SIGHUP"));
}

/* The vigilctl that asked for a restart hears from the new process. */
static void answer_restarted(struct run *run, const struct daemon_opts *o)
{
	if (o->restart_reply < 0)
		return;
	size_t resumed = 0, n = agent_config(run->agent)->n_instances;
	for (size_t i = 0; o->restart && i < n; i++)
		if (agent_resuming(run->agent, i))
			resumed++;
	dprintf(o->restart_reply,
		"restarted: %s, pid %ld, restart %llu: %zu instance(s), %zu resumed as MASTER\n",
		run->exe, (long)getpid(), (unsigned long long)run->generation, n, resumed);
	close(o->restart_reply);
}

int daemon_run(struct vigil_config *cfg, const struct daemon_opts *o)
{
	struct logger log;
	log_open(&log, log_level_of(cfg->global.log_level), true, o->use_syslog);
	log_privilege(&log, o->privilege);

	/* A notify script or check whose reader went away must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	/* notify scripts are reaped with ev_child: that needs the default loop. */
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		log_err(&log, "cannot create the event loop");
		config_free(cfg);
		log_close(&log);
		return DAEMON_EXIT_RUNTIME;
	}

	char err[512] = "";
	struct run run = {
		.log = &log,
		.path = o->path,
		.started_ms = monotime_ms(),
		.argv = o->argv,
		.generation = o->restart ? o->restart->generation : 0,
		.restart_reply = -1,
	};
	ev_timer_init(&run.reload_retry, reload_retry_cb, RELOAD_RETRY_S, RELOAD_RETRY_S);
	run.reload_retry.data = &run;
	if (reexec_self_path(run.exe, sizeof(run.exe)) < 0 || proc_new(&run.restart_check, loop) < 0) {
		run.exe[0] = '\0';
		log_warn(&log, "vigilctl restart will not work: the running binary's path is unknown");
	}
	/* The agent owns the configuration from here (a reload swaps it). */
	int rc = agent_new(&run.agent, loop, cfg, &log, err, sizeof(err));
	cfg = rc == 0 ? (struct vigil_config *)agent_config(run.agent) : NULL;
	/* The control socket before anything runs: a second vigild on the
	 * same configuration stops here, before it touches an address. */
	if (rc == 0) {
		struct control_conf cc = { .path = cfg->global.control_socket };
		rc = control_new(&run.control, loop, &cc, respond, &run, err, sizeof(err));
	}
	/* Before anything runs too: a port taken is a setup error. */
	if (rc == 0 && cfg->global.metrics_addrlen) {
		struct metrics_http_conf mc = {
			.addr = (const struct sockaddr *)&cfg->global.metrics_addr,
			.addrlen = cfg->global.metrics_addrlen,
			.name = cfg->global.metrics_listen,
		};
		rc = metrics_http_new(&run.metrics, loop, &mc, respond_metrics, &run, err,
				      sizeof(err));
	}
	if (rc == 0 && o->restart)
		agent_adopt(run.agent, o->restart);
	if (rc == 0)
		rc = agent_start(run.agent, err, sizeof(err));
	if (rc < 0) {
		log_err(&log, "cannot start: %s", err[0] ? err : strerror(-rc));
		if (o->restart_reply >= 0) {
			dprintf(o->restart_reply, "error: the restarted vigild cannot start: %s\n",
				err[0] ? err : strerror(-rc));
			close(o->restart_reply);
		}
		proc_free(run.restart_check);
		metrics_http_free(run.metrics);
		control_free(run.control);
		agent_free(run.agent);
		ev_loop_destroy(loop);
		log_close(&log);
		return DAEMON_EXIT_RUNTIME;
	}
	log_info(&log, "started%s: %zu instance(s) from %s; control socket %s",
		 o->restart ? " (restart)" : "", cfg->n_instances, cfg->source,
		 cfg->global.control_socket);
	answer_restarted(&run, o);
	if (run.metrics)
		log_info(&log, "metrics: GET http://%s/metrics", cfg->global.metrics_listen);

	ev_signal sigterm, sigint, sighup;
	ev_signal_init(&sigterm, on_stop_signal, SIGTERM);
	ev_signal_init(&sigint, on_stop_signal, SIGINT);
	ev_signal_init(&sighup, on_hup, SIGHUP);
	sigterm.data = sigint.data = sighup.data = &run;
	ev_signal_start(loop, &sigterm);
	ev_signal_start(loop, &sigint);
	ev_signal_start(loop, &sighup);
	/* systemd (Type=notify): ready once the control socket answers, the
	 * instances run and the signals are handled (a SIGHUP from
	 * `systemctl reload` must not find the default action, which kills);
	 * from now on the loop must also keep the watchdog fed. */
	service_notify_init(&run.notify, loop, &log);
	char ready[200];
	snprintf(ready, sizeof(ready), "running %zu instance(s) from %s", cfg->n_instances,
		 cfg->source);
	service_notify_ready(&run.notify, ready);
	service_notify_watchdog_start(&run.notify);

	ev_run(loop, 0);

	ev_signal_stop(loop, &sigterm);
	ev_signal_stop(loop, &sigint);
	ev_signal_stop(loop, &sighup);
	ev_timer_stop(loop, &run.reload_retry);
	proc_free(run.restart_check);
	if (run.restart_reply >= 0)
		close(run.restart_reply);
	/* Also when the agent stopped itself (no signal): say so before the
	 * slow part of the teardown. */
	service_notify_stopping(&run.notify);
	service_notify_watchdog_stop(&run.notify);
	bool clean = agent_stopped(run.agent) && !agent_failed(run.agent);
	metrics_http_free(run.metrics);
	control_free(run.control);
	agent_free(run.agent);
	ev_loop_destroy(loop);
	log_info(&log, "stopped%s", clean ? "" : " (event loop ended early)");
	log_close(&log);
	return clean ? DAEMON_EXIT_OK : DAEMON_EXIT_RUNTIME;
}
