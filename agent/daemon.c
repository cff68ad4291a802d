// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's run: pre-flight checks, the event loop, signals, clean stop.
#include "daemon.h"
#include "monotime.h"

#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "control.h"
#include "log.h"
#include "status.h"

/* Credentials must not be readable by anyone but their owner: a database
 * password in a world-readable file is a leak waiting to happen. */
static bool defaults_file_safe(const struct vigil_config *cfg, const struct logger *log)
{
	const char *path = cfg->global.mysql_defaults_file;
	if (!path)
		return true;
	struct stat st;
	if (stat(path, &st) < 0) {
		log_err(log, "%s:%u: mysql_defaults_file %s: %s", cfg->source,
			config_key_line(&cfg->global.origin, "mysql_defaults_file"), path,
			strerror(errno));
		return false;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		log_err(log,
			"%s:%u: mysql_defaults_file %s is accessible by group or others (mode %03o): "
			"refusing to use credentials others can read; run: chmod 600 %s",
			cfg->source, config_key_line(&cfg->global.origin, "mysql_defaults_file"), path,
			(unsigned)(st.st_mode & 0777), path);
		return false;
	}
	return true;
}

struct run {
	struct agent *agent;
	struct control *control;
	const struct logger *log;
	uint64_t started_ms;
};

/* An answer from malloc(), formatted; NULL when out of memory. */
static char *answerf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *answerf(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&out, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : out;
}

/* vigilctl status: a view of the running state, rendered, on the loop. */
static char *respond_status(struct run *run, bool json)
{
	struct status_view v;
	if (status_collect(&v, run->agent, monotime_ms()) < 0)
		return NULL;
	v.pid = (long)getpid();
	v.started_ms = run->started_ms;
	v.control = control_stats(run->control);
	char *out = json ? status_render_json(&v) : status_render_text(&v);
	status_view_free(&v);
	return out;
}

static char *respond(void *ctx, const struct control_request *req)
{
	struct run *run = ctx;
	switch (req->cmd) {
	case CONTROL_CMD_STATUS:
		return respond_status(run, req->json);
	case CONTROL_CMD_METRICS:
	case CONTROL_CMD_RESIGN:
	case CONTROL_CMD_RESUME:
	case CONTROL_CMD_RELOAD:
	case CONTROL_CMD_RESTART:
	case CONTROL_CMD__COUNT:
		break;
	}
	return answerf("error: %s is not available in this build\n", control_cmd_name(req->cmd));
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	struct run *run = w->data;
	log_info(run->log, "received %s", strsignal(w->signum));
	agent_stop(run->agent);
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	struct run *run = w->data;
	log_warn(run->log, "SIGHUP: configuration reload is not supported by this version; "
			   "the running configuration stays in force (restart vigild to apply changes)");
}

int daemon_run(const struct vigil_config *cfg, bool use_syslog)
{
	struct logger log;
	log_open(&log, LOG_LVL_INFO, true, use_syslog);
	if (!defaults_file_safe(cfg, &log)) {
		log_close(&log);
		return DAEMON_EXIT_CONFIG;
	}

	/* A notify script or check whose reader went away must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	/* notify scripts are reaped with ev_child: that needs the default loop. */
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		log_err(&log, "cannot create the event loop");
		log_close(&log);
		return DAEMON_EXIT_RUNTIME;
	}

	char err[512] = "";
	struct run run = { .log = &log, .started_ms = monotime_ms() };
	int rc = agent_new(&run.agent, loop, cfg, &log, err, sizeof(err));
	/* The control socket before anything runs: a second vigild on the
	 * same configuration stops here, before it touches an address. */
	if (rc == 0) {
		struct control_conf cc = { .path = cfg->global.control_socket };
		rc = control_new(&run.control, loop, &cc, respond, &run, err, sizeof(err));
	}
	if (rc == 0)
		rc = agent_start(run.agent, err, sizeof(err));
	if (rc < 0) {
		log_err(&log, "cannot start: %s", err[0] ? err : strerror(-rc));
		control_free(run.control);
		agent_free(run.agent);
		ev_loop_destroy(loop);
		log_close(&log);
		return DAEMON_EXIT_RUNTIME;
	}
	log_info(&log, "started: %zu instance(s) from %s; control socket %s", cfg->n_instances,
		 cfg->source, cfg->global.control_socket);

	ev_signal sigterm, sigint, sighup;
	ev_signal_init(&sigterm, on_stop_signal, SIGTERM);
	ev_signal_init(&sigint, on_stop_signal, SIGINT);
	ev_signal_init(&sighup, on_hup, SIGHUP);
	sigterm.data = sigint.data = sighup.data = &run;
	ev_signal_start(loop, &sigterm);
	ev_signal_start(loop, &sigint);
	ev_signal_start(loop, &sighup);

	ev_run(loop, 0);

	ev_signal_stop(loop, &sigterm);
	ev_signal_stop(loop, &sigint);
	ev_signal_stop(loop, &sighup);
	bool clean = agent_stopped(run.agent) && !agent_failed(run.agent);
	control_free(run.control);
	agent_free(run.agent);
	ev_loop_destroy(loop);
	log_info(&log, "stopped%s", clean ? "" : " (event loop ended early)");
	log_close(&log);
	return clean ? DAEMON_EXIT_OK : DAEMON_EXIT_RUNTIME;
}
