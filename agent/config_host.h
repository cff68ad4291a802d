/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config checks against the running host: interfaces, programs, files. */
#ifndef VIGIL_CONFIG_HOST_H
#define VIGIL_CONFIG_HOST_H

#include "config.h"

/*
 * Compare a validated configuration with the facts of this host (`vigild
 * -t`). One error: a script_user that does not exist here, since no
 * script could run. Everything else is a warning (a file may be checked on
 * another machine, and an interface may appear later):
 * - an instance interface that does not exist here (if_nametoindex);
 * - a notify_* or script program that is missing, not a regular file, or
 *   not executable;
 * - a file vigild will refuse (file_safety.h): the configuration file, a
 *   script or notify program (or a directory above it) that someone other
 *   than root or script_user owns or that group or others can write, a
 *   mysql_defaults_file that is missing or that group or others can
 *   access;
 * - script checks or notify programs without script_user (they run as
 *   root);
 * - a metrics_listen port below net.ipv4.ip_unprivileged_port_start
 *   (vigild keeps no CAP_NET_BIND_SERVICE).
 *
 * cfg: the configuration (its source names the file in messages).
 * diag: receives the messages, each at the line of the key concerned.
 */
void config_check_host(const struct vigil_config *cfg, struct config_diag *diag);

/*
 * The same checks for a daemon about to run with cfg (at start, on reload,
 * before a restart): a file vigild refuses is an error here, so that the
 * caller refuses the whole configuration with FILE:LINE messages.
 */
void config_check_host_run(const struct vigil_config *cfg, struct config_diag *diag);

#endif /* VIGIL_CONFIG_HOST_H */
