/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config checks against the running host: interfaces, programs, files. */
#ifndef VIGIL_CONFIG_HOST_H
#define VIGIL_CONFIG_HOST_H

#include "config.h"

/*
 * Compare a validated configuration with the facts of this host and add a
 * warning (never an error: a file may be checked on another machine, and an
 * interface may appear later) for each of:
 * - an instance interface that does not exist here (if_nametoindex);
 * - a notify_* or script program that is missing, not a regular file, or
 *   not executable;
 * - a mysql_defaults_file that is missing, unreadable, or readable by group
 *   or others (the daemon refuses such a file at start, since it holds a
 *   password).
 *
 * cfg: the configuration (its source names the file in messages).
 * diag: receives the warnings, each at the line of the key concerned.
 */
void config_check_host(const struct vigil_config *cfg, struct config_diag *diag);

#endif /* VIGIL_CONFIG_HOST_H */
