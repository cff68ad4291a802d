// SPDX-License-Identifier: GPL-2.0-or-later
// The agent's objects, shared by the files that make up the agent
// (agent.c and the control actions built on it); nothing else includes it.
#ifndef VIGIL_AGENT_INT_H
#define VIGIL_AGENT_INT_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "dbrole.h"
#include "fsm.h"
#include "notify.h"

struct health;
struct linkmon;
struct vip_addr;
struct vip_set;
struct vrrp_instance;

/* A state change whose notify scripts wait for the VIPs to go. */
struct deferred_notify {
	bool set;
	enum notify_state state, prev;
	int priority;
	enum vrrp_fsm_reason reason;
};

struct agent_instance {
	struct agent *agent;
	const struct config_instance *ci;
	struct vrrp_instance *vrrp;
	struct vip_set *vips;
	struct notify *notify;
	struct vip_addr *vip_addrs;     /* configured VIPs */
	char **vip_text;                /* "198.18.0.100/24", for notify */
	bool started;
	bool link_known;
	enum vrrp_state state;          /* as last reported by the instance */
	bool drained;
	/* Data safety (NULL without manage_read_only and witness). */
	struct dbrole *role;
	bool vip_release_pending;       /* VIPs go once the server is read-only */
	struct deferred_notify deferred;  /* notify of a change whose VIPs wait */
	bool role_released;             /* stopping: demotion done, VIPs may go at once */
};

struct agent {
	struct ev_loop *loop;
	const struct vigil_config *cfg;
	const struct logger *log;
	struct linkmon *linkmon;
	struct health *health;
	struct agent_instance **insts;  /* each allocated alone: callbacks hold its address */
	size_t n_insts;
	ev_timer link_wait;
	ev_check stall_watch;           /* the loop ran again: was it frozen? */
	ev_prepare stall_mark;
	uint64_t loop_last_ms;
	bool stopping;
	bool stopped;
	bool failed;                    /* stopping because the setup is unsound */
};

#endif
