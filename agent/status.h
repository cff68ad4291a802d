// SPDX-License-Identifier: GPL-2.0-or-later
// vigilctl status: a read-only view of the running daemon, as a table or JSON.
#ifndef VIGIL_STATUS_H
#define VIGIL_STATUS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "control.h"
#include "agent_quorum.h"
#include "dbrole.h"
#include "fsm.h"
#include "health.h"
#include "instance.h"

struct agent;

/*
 * The view is taken (status_collect) from the running objects through
 * their const getters and rendered (status_render_text/_json) by pure
 * functions of the view. Its pointers are borrowed from the running
 * objects: take, render and free it within one loop callback. Tests build
 * views by hand.
 */

/* One address held on the interface. */
struct status_vip {
	int family;              /* AF_INET (or 0) or AF_INET6 */
	struct in_addr addr;
	struct in6_addr addr6;
	uint8_t prefix;
};

struct status_instance {
	const struct config_instance *conf;     /* name, interface, vrid, version, base priority,
						 * advert interval, VIPs configured, data-safety keys */
	enum vrrp_state state;
	uint8_t priority;                       /* effective, as advertised */
	unsigned faults;                        /* VRRP_FAULT_* */
	enum vrrp_fsm_reason last_reason;       /* VRRP_REASON_NONE before the first change */
	uint64_t last_change_ms;                /* monotonic ms of the last change; 0: none */
	struct in_addr primary;                 /* our address (0.0.0.0: none yet) */
	struct in6_addr primary6;               /* an IPv6 instance's link-local source (::: none yet) */
	const struct vrrp_fsm_peer *master;     /* as heard; !known while we are MASTER */
	uint32_t master_adver_ms;               /* RFC Master_Adver_Interval */
	uint32_t skew_ms;                       /* RFC Skew_Time */
	uint32_t master_down_ms;                /* RFC Master_Down_Interval */
	char explain[256];                      /* "priority 90 = 150 - 60 (ping failed)" */
	struct status_vip held[CONFIG_VIP_MAX]; /* the VIPs on the interface now */
	size_t n_held;
	const struct vrrp_fsm_counters *fsm;    /* transitions by reason, takeovers, contests */
	const struct vrrp_instance_stats *io;   /* adverts, drops by reason */
	/* The receiver of the instance's interface, shared by every instance
	 * on it (each datagram counted once there); NULL without a socket. */
	const struct vrrp_demux_stats *port_io;
	/* Data safety: role is false without manage_read_only and witness. */
	bool role;
	enum dbrole_mode db_mode;
	bool db_eligible;
	const char *db_reason;
	uint64_t db_epoch;
	const char *db_semisync;      /* "AFTER_SYNC", "AFTER_COMMIT", "off", "unknown" */
	const struct dbrole_stats *db_stats;
	bool fsm_eligible;                      /* the state machine's copy of the verdict */
	bool contest_pending;                   /* MASTER waiting for a contest's verdict */
	bool quiet;                             /* MASTER silent after a stall, until decided */
	/* vigilctl resign (agent_admin.c): out of the running until resume. */
	bool resigned;                          /* the state machine's flag */
	uint64_t resigned_ms;                   /* monotonic ms it was set; 0: not resigned */
	bool resigning;                         /* MASTER: the server is made read-only first */
	bool handover_pending;                  /* handed over, no new master heard yet */
	/* VIPs the kernel would not add (agent.c, README "A VIP that cannot
	 * be added"): counters since start and the state now. */
	uint64_t vip_add_failures;              /* attempts that left a VIP missing */
	uint64_t vip_added_on_retry;            /* MASTER periods whose VIPs came on the retry */
	uint64_t vip_handovers;                 /* hand-overs because a VIP stayed missing */
	bool vip_missing;                       /* MASTER without every VIP: a retry is due */
	uint64_t vip_hold_until_ms;             /* monotonic ms the priority is held at 1 until; 0: not */
	/* Quorum on etcd: false without [quorum]. */
	bool quorum;
	struct agent_quorum_status q;
};

struct status_view {
	const char *router_id;
	long pid;
	uint64_t now_ms;                        /* monotonic ms when the view was taken */
	uint64_t started_ms;                    /* monotonic ms when vigild started
						 * (this process image: a restart starts it again) */
	uint64_t restarts;                      /* vigilctl restarts since the first start */
	uint64_t reloads;                       /* configurations reloaded by this image */
	struct status_instance *instances;
	size_t n_instances;
	struct health_check_info *checks;       /* every [check], in file order */
	size_t n_checks;
	const struct control_stats *control;    /* NULL: not shown */
};

/*
 * Take the view of agent ag at monotonic time now_ms (router_id, the
 * instances and the checks; pid, started_ms and control are the
 * caller's to set). Allocates the arrays: free with status_view_free().
 * Returns 0 or -ENOMEM (v is then empty).
 */
int status_collect(struct status_view *v, const struct agent *ag, uint64_t now_ms);

/* Free what status_collect() allocated. Accepts an empty view. */
void status_view_free(struct status_view *v);

/*
 * The operator's form: a table of the instances, a table of the checks,
 * then each instance's timers, counters and data-safety state. Times are
 * shown as durations before v->now_ms.
 * Returns a NUL-terminated string from malloc(), ending in a newline, or
 * NULL when out of memory.
 */
char *status_render_text(const struct status_view *v);

/*
 * The same view as one JSON object (json-c), field names after FRR's
 * `show vrrp json` where it has one (vrid, interface, state, priority,
 * effectivePriority, advertisementInterval, masterAdverInterval,
 * skewTime, masterDownInterval, stats.adverTx, adverRx, garpTx,
 * transitions), camelCase for the rest; durations in milliseconds.
 * Returns a NUL-terminated string from malloc(), ending in a newline, or
 * NULL when out of memory.
 */
char *status_render_json(const struct status_view *v);

#endif
