// SPDX-License-Identifier: GPL-2.0-or-later
// The running daemon: wires configuration, VRRP instances, VIP addresses,
// link monitoring and notify scripts together on one libev loop.
#ifndef VIGIL_AGENT_H
#define VIGIL_AGENT_H

#include <ev.h>
#include <stdbool.h>

#include "config.h"
#include "health.h"
#include "restart_state.h"
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
 * cfg: taken over (freed by agent_free, or at once when this fails).
 * log: borrowed; it must outlive the agent.
 * err/errlen: receives a message on failure.
 * Returns 0 and *out, or a negative errno.
 */
int agent_new(struct agent **out, struct ev_loop *loop, struct vigil_config *cfg,
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

/* ---- reload ------------------------------------------------------------ */

/* What a reload did. */
struct agent_reload_counts {
	size_t kept;            /* instances changed in place: state, VIPs, adverts kept */
	size_t added;           /* new instances (or replaced ones), started as at startup */
	size_t removed;         /* removed (or replaced) ones, stopping as at SIGTERM */
	struct health_reload_counts health;
};

/*
 * What the agent is in the middle of that a reload (or a restart) must
 * wait for: a promotion gate, a demotion, a contest, a witness probe, an
 * instance still stopping, or the agent stopping. Writes it into buf and
 * returns buf; NULL when idle.
 */
const char *agent_busy(const struct agent *ag, char *buf, size_t len);

/*
 * Swap in cfg (parsed, validated and host-checked aside). Instances are
 * matched by name: one whose interface, VRID, version, owner priority,
 * multicast/unicast mode, data-safety settings or role are unchanged is
 * changed in place (its state, VIPs that stay, adverts and database role
 * carry on; VIPs added or dropped are added or removed; new notify
 * scripts take effect); one whose defining keys changed is replaced,
 * which is refused (-EBUSY) while it holds the VIP; removed instances
 * stop as at SIGTERM; new ones start as at startup. Checks: see
 * health_reload_prepare().
 * On success cfg is taken over and counts filled. On failure nothing
 * changed, cfg is still the caller's and err says why: -EAGAIN (busy:
 * agent_busy()), -EBUSY, -EINVAL (control_socket changed), -ENOMEM, or
 * a check that cannot be built.
 */
int agent_reload(struct agent *ag, struct vigil_config *cfg, struct agent_reload_counts *counts,
		 char *err, size_t errlen);

/* Configurations swapped in since start. */
uint64_t agent_reloads(const struct agent *ag);

/* ---- restart ------------------------------------------------------------ */

struct restart_state;

/* Append what a re-executed vigild needs to resume (each instance's state,
 * priority and database role; each check's verdict) to s. Returns 0 or a
 * negative errno. */
int agent_collect_restart(const struct agent *ag, struct restart_state *s);

/* Between agent_new() and agent_start() of a re-executed vigild: seed the
 * checks with their verdicts and let each instance that was MASTER (with
 * its server open, under data safety) resume as MASTER at once, keeping
 * its VIPs and not touching read_only. */
void agent_adopt(struct agent *ag, const struct restart_state *s);

/* Instance i resumes as MASTER after a restart (agent_adopt() said so). */
bool agent_resuming(const struct agent *ag, size_t i);

/* ---- a read-only view of the running state (vigilctl status) ---- */

/* The configuration the agent runs. */
const struct vigil_config *agent_config(const struct agent *ag);

/* The loop the agent runs on. */
struct ev_loop *agent_loop(const struct agent *ag);

/* The checks and scores. */
const struct health *agent_health(const struct agent *ag);

/* Instance i's VRRP instance (i in config order; NULL when out of range). */
const struct vrrp_instance *agent_vrrp(const struct agent *ag, size_t i);

/* Instance i's database role; NULL without manage_read_only and witness
 * (or when i is out of range). */
const struct dbrole *agent_role(const struct agent *ag, size_t i);

/* Instance i's etcd lease ([quorum]); false (out untouched) without. */
struct agent_quorum_status;
bool agent_quorum_view(const struct agent *ag, size_t i, struct agent_quorum_status *out);

/* The VIPs instance i holds on its interface now, as vip_held(): out/cap,
 * n receives how many. Returns 0 or -EINVAL. */
int agent_vips_held(const struct agent *ag, size_t i, struct vip_addr *out, size_t cap,
		    size_t *n);

/* True while instance i carries out a vigilctl resign: its server is being
 * made read-only, priority 0 follows (agent_admin.c). */
bool agent_resigning(const struct agent *ag, size_t i);

/* A VIP the kernel would not add (README "A VIP that cannot be added"):
 * counters since start, and the state of instance i now. */
struct agent_vip_faults {
	uint64_t add_failures;   /* attempts that left a VIP missing */
	uint64_t added_on_retry; /* MASTER periods whose VIPs came on a retry */
	uint64_t handovers;      /* MASTER handed over because a VIP stayed missing */
	bool missing;            /* MASTER now without every VIP: a retry is due */
	uint64_t hold_until_ms;  /* monotonic ms its priority is held at 1 until; 0: not */
};

/* Fill *out for instance i; zeros when i is out of range. */
void agent_vip_faults(const struct agent *ag, size_t i, struct agent_vip_faults *out);

/* ---- planned maintenance (agent_admin.c) ---- */

/*
 * vigilctl resign NAME: hand instance NAME's VIP to the best peer and stay
 * BACKUP until agent_resume() (README "vigilctl resign"). A MASTER with
 * manage_read_only first checks that a database peer can take over its
 * writes (refused otherwise), then makes its server read-only and ends
 * its sessions, then sends priority 0; without it, priority 0 at once.
 * A BACKUP only stops competing. Returns the answer for vigilctl, from
 * malloc() ("error: ..." when refused: then nothing changed), or NULL
 * when out of memory.
 */
char *agent_resign(struct agent *ag, const char *name);

/* vigilctl resume NAME: end a resign; the instance competes for the VIP
 * again as from startup. Returns the answer as agent_resign() does. */
char *agent_resume(struct agent *ag, const char *name);

#endif
