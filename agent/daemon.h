// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's run: pre-flight checks, the event loop, signals, clean stop.
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

#include <stdbool.h>

#include "config.h"
#include "privilege.h"
#include "restart_state.h"

/* Exit codes of vigild (also used by main for the command line). */
enum daemon_exit {
	DAEMON_EXIT_OK = 0,
	DAEMON_EXIT_CONFIG = 1,   /* the configuration is wrong, or refused here */
	DAEMON_EXIT_RUNTIME = 3,  /* could not start (sockets, netlink, ...) */
};

/* How vigild was started. */
struct daemon_opts {
	const char *path;                     /* the configuration file, read again on reload */
	bool use_syslog;                      /* log to syslog as well as stderr */
	char *const *argv;                    /* the command line, run again by a restart */
	const struct restart_state *restart;  /* a re-executed vigild: what the previous
					       * process handed over; NULL otherwise */
	int restart_reply;                    /* the vigilctl waiting for that restart; -1 */
	const struct privilege_report *privilege; /* what privilege_drop() kept, for the
						   * log; NULL: not dropped */
};

/*
 * Run vigild with a validated configuration until SIGTERM or SIGINT.
 * cfg: taken over (freed before returning); it passed
 * config_check_host_run(), as every file a reload or a restart reads must
 * (the files it names are safe to trust: file_safety.h).
 * Returns the process exit code.
 */
int daemon_run(struct vigil_config *cfg, const struct daemon_opts *o);

#endif
