// SPDX-License-Identifier: GPL-2.0-or-later
// The running daemon: wires configuration, VRRP instances, VIP addresses,
// link monitoring and notify scripts together on one libev loop.
#ifndef VIGIL_AGENT_H
#define VIGIL_AGENT_H

#include <ev.h>
#include <stdbool.h>

#include "config.h"
#include "log.h"

struct agent;

/*
 * Build the daemon's objects for a validated configuration: one VRRP
 * instance, VIP set and notifier per [instance], one link monitor.
 * Nothing is sent and no address is touched until agent_start().
 * loop: libev's default loop (notify scripts need ev_child).
 * cfg, log: borrowed; they must outlive the agent.
 * err/errlen: receives a message on failure.
 * Returns 0 and *out, or a negative errno.
 */
int agent_new(struct agent **out, struct ev_loop *loop, const struct vigil_config *cfg,
	      const struct logger *log, char *err, size_t errlen);

/*
 * Start: watch the interfaces; each instance leaves INIT as soon as the
 * state of its interface is known (FAULT while the interface is missing
 * or down). Returns 0 or a negative errno (message in err).
 */
int agent_start(struct agent *ag, char *err, size_t errlen);

/*
 * Begin a clean stop (SIGTERM): every MASTER sends a priority-0 advert
 * (RFC 5798 6.4.3), VIPs are removed, the STOP notify runs; when every
 * notifier has drained (bounded by the notify timeouts) the loop is
 * broken with ev_break(). Calling it twice is harmless.
 */
void agent_stop(struct agent *ag);

/* True once agent_stop() has finished its work (the loop was broken). */
bool agent_stopped(const struct agent *ag);

/* True when the agent stopped itself because its setup cannot work (a
 * server whose settings make data safety unsound): exit non-zero. */
bool agent_failed(const struct agent *ag);

/* Free everything; VIPs still held are removed (crash-safe path for a
 * stop that did not complete). Accepts NULL. */
void agent_free(struct agent *ag);

#endif
