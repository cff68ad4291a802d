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
struct dbrole;
struct health;
struct vip_addr;
struct vrrp_instance;

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

/* ---- a read-only view of the running state (vigilctl status) ---- */

/* The configuration the agent runs. */
const struct vigil_config *agent_config(const struct agent *ag);

/* The checks and scores. */
const struct health *agent_health(const struct agent *ag);

/* Instance i's VRRP instance (i in config order; NULL when out of range). */
const struct vrrp_instance *agent_vrrp(const struct agent *ag, size_t i);

/* Instance i's database role; NULL without manage_read_only and witness
 * (or when i is out of range). */
const struct dbrole *agent_role(const struct agent *ag, size_t i);

/* The VIPs instance i holds on its interface now, as vip_held(): out/cap,
 * n receives how many. Returns 0 or -EINVAL. */
int agent_vips_held(const struct agent *ag, size_t i, struct vip_addr *out, size_t cap,
		    size_t *n);

#endif
