// SPDX-License-Identifier: GPL-2.0-or-later
// The agent's objects, shared by the files that make up the agent
// (agent.c and the control actions built on it); nothing else includes it.
#ifndef VIGIL_AGENT_INT_H
#define VIGIL_AGENT_INT_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "agent.h"
#include "dbrole.h"
#include "fsm.h"
#include "instance.h"
#include "linkmon.h"
#include "notify.h"

struct agent_quorum;
struct etcd_client;
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
	bool addr_changed;              /* an address event waits for agent.c's addr_settle */
	enum vrrp_state state;          /* as last reported by the instance */
	bool drained;
	/* Data safety (NULL without manage_read_only and witness). */
	struct dbrole *role;
	bool vip_release_pending;       /* VIPs go once the server is read-only */
	struct deferred_notify deferred;  /* notify of a change whose VIPs wait */
	bool role_released;             /* stopping: demotion done, VIPs may go at once */
	bool resigning;                 /* vigilctl resign: the demotion runs, priority 0 follows */
	bool retiring;                  /* removed by a reload: freed once stopped */
	/* Restart: MASTER in the process that re-executed into this one. */
	bool resume_master;
	enum dbrole_mode inherited_role;
	/* A VIP the kernel would not add (agent_vips.c): one retry one
	 * advert interval later, then a hand-over and a hold-down at
	 * priority 1 that doubles with each hand-over in a row. */
	ev_timer vip_retry;             /* MASTER without a VIP: the retry */
	ev_timer vip_hold;              /* end of the hold-down */
	unsigned vip_attempts;          /* failed attempts in this MASTER period */
	unsigned vip_handovers_in_row;  /* reset once every VIP is added */
	uint64_t vip_missing_since_ms;  /* monotonic ms of the first failure */
	struct agent_vip_faults vip_faults;
	/* Quorum on etcd (NULL without [quorum]); agent_lease.c. A takeover
	 * on silence waits for both the witness and the key. */
	struct agent_quorum *quorum;
	uint32_t probe_seq;
	bool probe_vip_pending;         /* the witness's answer is awaited */
	bool probe_key_pending;         /* the key's */
	bool probe_key_won;
	bool quorum_handover;           /* handing the key to a candidate: the demotion runs */
	uint8_t lease_priority;         /* the priority agent_lease_update() last saw */
	uint32_t semisync_advised_ms;   /* the semi-sync timeout last warned about */
};

struct agent {
	struct ev_loop *loop;
	struct vigil_config *cfg;       /* owned: the configuration in force */
	const struct logger *log;
	struct linkmon *linkmon;
	struct vrrp_ports *ports;       /* each interface's VRRP sockets, shared by its instances */
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
	/* Reload: instances the new configuration dropped, stopping, and
	 * the configurations they still point into. */
	struct agent_instance **retiring;
	size_t n_retiring;
	struct vigil_config **old_cfgs;
	size_t n_old_cfgs;
	ev_timer sweep;                 /* frees retired instances from the loop */
	ev_timer addr_settle;           /* address events: each instance refreshed once per burst */
	uint64_t reloads;               /* configurations swapped in */
	struct etcd_client *etcd;       /* [quorum]: shared by the instances; NULL without */
	ev_timer etcd_drain;            /* stopping: the last revokes go out */
	uint64_t etcd_drain_until_ms;
};

/* ---- shared by the agent's files ---- */

static inline const char *agent_errstr(int neg_errno)
{
	return strerror(neg_errno < 0 ? -neg_errno : neg_errno);
}

/* What to log for a call that failed with rc: the detail it wrote into
 * its err buffer, or the errno text when it wrote none. */
static inline const char *agent_why(const char *err, int rc)
{
	return err[0] ? err : agent_errstr(rc);
}

/* ---- agent_vips.c: the instance's VIPs ---- */

/* The vrrp_instance_ops callbacks (ctx: the instance). */
int agent_add_vips(void *ctx);
int agent_remove_vips(void *ctx);
/* Remove every VIP held now; logs a failure. */
int agent_release_vips(struct agent_instance *ai);
/* At start: VIPs an earlier run left on the interface go. */
void agent_remove_stale_vips(struct agent_instance *ai);
void agent_vip_timers_init(struct agent_instance *ai);
void agent_vip_timers_stop(struct agent_instance *ai);

/* ---- agent.c, for the control actions ---- */

/* notify_alarm for instance ai (data safety, a VIP refused). */
void agent_alarm(struct agent_instance *ai, const char *what);


/* What each running object is built from: pure fills from the config. */
struct notify_conf agent_notify_conf(const struct vigil_config *cfg,
				     const struct config_instance *ci);
/* The arrays a vrrp_instance_conf points to (one pair per family, the
 * other pair NULL). */
struct agent_addr_arrays {
	struct in_addr *addrs, *peers;
	struct in6_addr *addrs6, *peers6;
};
int agent_addr_arrays_new(const struct config_instance *ci, struct agent_addr_arrays *a);
void agent_addr_arrays_free(struct agent_addr_arrays *a);
void agent_vrrp_conf(const struct config_instance *ci, struct vrrp_instance_conf *vconf,
		     const struct agent_addr_arrays *a);
/* ci->role_check_index must be valid (data safety on). peers: CONFIG_PEER_MAX. */
void agent_role_conf(const struct vigil_config *cfg, const struct config_instance *ci,
		     struct dbrole_conf *conf, struct dbrole_peer_conf *peers);
/* The VIPs as vip.c takes them and as notify prints them. */
int agent_vip_lists(const struct config_instance *ci, struct vip_addr **addrs, char ***text);
void agent_free_vip_lists(struct vip_addr *addrs, char **text);

/* Build instance ci of cfg into ai (allocated, zeroed). */
int agent_build_instance(struct agent *ag, struct agent_instance *ai, const struct vigil_config *cfg,
			 const struct config_instance *ci, char *err, size_t errlen);
int agent_build_notify(struct agent_instance *ai, const struct vigil_config *cfg,
		       struct notify **out);
int agent_build_role(struct agent_instance *ai, const struct vigil_config *cfg, char *err,
		     size_t errlen);
void agent_free_instance(struct agent_instance *ai);
/* Start (VIP adoption, stale VIPs, leave INIT) once the link is known. */
void agent_start_instance(struct agent_instance *ai);
void agent_refresh_link(struct agent_instance *ai, int ifindex, enum linkmon_link link);
/* The health callback: instance i's priority and fault flag. */
void agent_health_changed(void *ctx, size_t i, uint8_t priority, bool fault);
/* Stop one instance: priority 0 and VIPs away, notify drains. With a role
 * the demotion order first: dbrole_stop(role, agent_role_stopped, ai). */
void agent_stop_instance(struct agent_instance *ai);
void agent_role_stopped(void *ctx);
/* Every instance stopped: leave the loop. */
void agent_finish_stop(struct agent *ag);

/* ---- agent_lease.c: quorum on etcd ---- */

/* The etcd client of [quorum] (nothing without it); freed after the
 * instances. */
int agent_etcd_new(struct agent *ag, char *err, size_t errlen);
void agent_etcd_free(struct agent *ag);
/* Stopping, every notify drained: agent_finish_stop() once the etcd
 * requests still out (the revokes) have ended, within request_timeout. */
void agent_etcd_drain(struct agent *ag);
/* ai->quorum for an instance of a configuration with [quorum]. */
int agent_build_quorum(struct agent_instance *ai, const struct vigil_config *cfg, char *err,
		       size_t errlen);
/* Two [quorum] sections that run the same (a reload may not change it). */
bool agent_quorum_conf_equal(const struct config_quorum *a, const struct config_quorum *b);
/* The takeover probe: the witness (when configured) and the key. */
void agent_lease_probe_start(struct agent_instance *ai, uint32_t seq, enum vrrp_fsm_reason cause);
void agent_lease_probe_cancel(struct agent_instance *ai);
void agent_lease_witness_result(struct agent_instance *ai, uint32_t seq, bool served);
/* The instance's state, priority or eligibility changed. */
void agent_lease_update(struct agent_instance *ai);
/* The server is read-only again after leaving MASTER. */
void agent_lease_demoted(struct agent_instance *ai);
/* Stopping, the server read-only: revoke, withdraw the candidate. */
void agent_lease_stop(struct agent_instance *ai);
/* dbrole's may_write (ctx: the instance). */
bool agent_lease_may_write(void *ctx);

/* ---- agent_restart.c ---- */

/* Start an instance that was MASTER before the restart (ai->resume_master). */
void agent_resume_instance(struct agent_instance *ai);

/* ---- agent_reload.c ---- */

/* The loop callback that frees retired instances. */
void agent_sweep_cb(struct ev_loop *loop, ev_timer *w, int revents);
/* Free configurations no retiring instance points into any more. */
void agent_free_old_configs(struct agent *ag);

#endif
