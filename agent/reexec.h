// SPDX-License-Identifier: GPL-2.0-or-later
// Re-executing vigild in place (vigilctl restart): what crosses execve.
#ifndef VIGIL_REEXEC_H
#define VIGIL_REEXEC_H

#include <stddef.h>

#include "restart_state.h"

/*
 * Two descriptors cross execve, named by environment variables the new
 * process removes at once:
 *   VIGILD_RESTART_STATE_FD  a memfd with restart_state_encode()'s text;
 *   VIGILD_RESTART_REPLY_FD  the vigilctl connection that asked for the
 *                            restart: the new process answers on it once
 *                            it runs (-1 / absent: nobody waits).
 * Every other descriptor is close-on-exec: sockets, MySQL connections
 * and the loop's own end with the old image.
 */
#define REEXEC_STATE_ENV "VIGILD_RESTART_STATE_FD"
#define REEXEC_REPLY_ENV "VIGILD_RESTART_REPLY_FD"

/* The running binary's path (as it was when it started: after a package
 * upgrade that path holds the new binary). Returns 0 or a negative errno. */
int reexec_self_path(char *buf, size_t len);

/*
 * Replace this process with exe (argv as given), handing over text and
 * reply_fd (-1: none). Returns only on failure: a negative errno with err
 * set; the process goes on as before.
 */
int reexec_exec(const char *exe, char *const argv[], const char *text, int reply_fd, char *err,
		size_t errlen);

/*
 * In a re-executed vigild: take what the previous process handed over.
 * Returns 1 and fills *s and *reply_fd (close-on-exec from now; -1 when
 * none) when this process is a restart; 0 when it is an ordinary start;
 * a negative errno (err says why) when the hand-over is unreadable, which
 * the caller treats as an ordinary start. The variables are removed and
 * the state descriptor closed either way.
 */
int reexec_take(struct restart_state *s, int *reply_fd, char *err, size_t errlen);

#endif
