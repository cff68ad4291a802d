// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's run: pre-flight checks, the event loop, signals, clean stop.
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

#include <stdbool.h>

#include "config.h"

/* Exit codes of vigild (also used by main for the command line). */
enum daemon_exit {
	DAEMON_EXIT_OK = 0,
	DAEMON_EXIT_CONFIG = 1,   /* the configuration is wrong, or refused here */
	DAEMON_EXIT_RUNTIME = 3,  /* could not start (sockets, netlink, ...) */
};

/*
 * Run vigild with a validated configuration until SIGTERM or SIGINT.
 * Refuses (DAEMON_EXIT_CONFIG, with a message on stderr) what would be
 * unsafe to run: a mysql_defaults_file readable by group or others.
 * use_syslog: log to syslog as well as stderr.
 * Returns the process exit code.
 */
int daemon_run(const struct vigil_config *cfg, bool use_syslog);

#endif
