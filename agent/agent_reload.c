// SPDX-License-Identifier: GPL-2.0-or-later
// Reload: a new configuration, already parsed and validated aside, swapped
// into the running agent. Instances that stay keep their state, their VIPs
// and their adverts; only what changed is rebuilt (docs/operations.md
// "Reload").
#include "agent.h"
#include "agent_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "vip.h"

/* ---- comparing configurations ------------------------------------------ */

static bool notify_conf_eq(const struct notify_conf *a, const struct notify_conf *b)
{
	return config_same_str(a->router_id, b->router_id) && config_same_argv(a->notify, b->notify) &&
	       config_same_argv(a->notify_master, b->notify_master) &&
	       config_same_argv(a->notify_backup, b->notify_backup) &&
	       config_same_argv(a->notify_fault, b->notify_fault) && config_same_argv(a->notify_stop, b->notify_stop) &&
	       config_same_argv(a->notify_alarm, b->notify_alarm) && a->timeout_ms == b->timeout_ms &&
	       config_same_str(a->run_as, b->run_as);
}

static bool role_conf_eq(const struct dbrole_conf *a, const struct dbrole_conf *b)
{
	if (a->n_peers != b->n_peers)
		return false;
	for (size_t i = 0; i < a->n_peers; i++)
		if (a->peers[i].family != b->peers[i].family ||
		    a->peers[i].addr.s_addr != b->peers[i].addr.s_addr ||
		    memcmp(&a->peers[i].addr6, &b->peers[i].addr6, sizeof(a->peers[i].addr6)) != 0 ||
		    a->peers[i].port != b->peers[i].port)
			return false;
	return config_same_str(a->router_id, b->router_id) && a->manage_read_only == b->manage_read_only &&
	       config_same_str(a->local.host, b->local.host) && a->local.port == b->local.port &&
	       config_same_str(a->local.socket, b->local.socket) &&
	       config_same_str(a->local.defaults_file, b->local.defaults_file) &&
	       a->peer_port == b->peer_port && a->poll_interval_ms == b->poll_interval_ms &&
	       a->stmt_timeout_ms == b->stmt_timeout_ms &&
	       a->promote_timeout_ms == b->promote_timeout_ms &&
	       a->writable_on_timeout == b->writable_on_timeout &&
	       a->stop_replication == b->stop_replication && a->crit_lag_ms == b->crit_lag_ms &&
	       a->witness == b->witness && a->vip_family == b->vip_family &&
	       a->vip.s_addr == b->vip.s_addr && memcmp(&a->vip6, &b->vip6, sizeof(a->vip6)) == 0 &&
	       a->witness_timeout_ms == b->witness_timeout_ms;
}

static bool has_role(const struct config_instance *ci)
{
	return ci->manage_read_only || ci->witness;
}

/* Why instance o (running, of cfg oc) cannot become n (of nc) in place,
 * or NULL when it can: the keys that define the virtual router or what
 * its database role was built from. */
static const char *needs_new_instance(const struct vigil_config *oc, const struct config_instance *o,
				      const struct vigil_config *nc, const struct config_instance *n)
{
	if (strcmp(o->interface, n->interface) != 0)
		return "interface";
	if (o->vrid != n->vrid)
		return "vrid";
	if (o->version != n->version)
		return "version";
	if (o->family != n->family)
		return "virtual_ip (IPv4 <-> IPv6)";
	if ((o->priority == VRRP_PRIO_OWNER) != (n->priority == VRRP_PRIO_OWNER))
		return "priority (to or from the address owner's 255)";
	if ((o->n_peers == 0) != (n->n_peers == 0))
		return "unicast_peer (multicast <-> unicast)";
	if (o->manage_read_only != n->manage_read_only)
		return "manage_read_only";
	if (o->witness != n->witness)
		return "witness";
	if (!has_role(n))
		return NULL;
	struct dbrole_peer_conf op[CONFIG_PEER_MAX], np[CONFIG_PEER_MAX];
	struct dbrole_conf orc, nrc;
	agent_role_conf(oc, o, &orc, op);
	agent_role_conf(nc, n, &nrc, np);
	if (!role_conf_eq(&orc, &nrc))
		return "a data-safety setting (role_check and its server, database_peers, "
		       "promote_*, role_timeout, witness_timeout, the first VIP, "
		       "mysql_defaults_file or router_id)";
	return NULL;
}

/* Does this instance hold, or is it taking or giving up, the VIP? */
static bool serving(const struct agent_instance *ai)
{
	if (ai->state == VRRP_STATE_MASTER || ai->vip_release_pending)
		return true;
	if (!ai->role)
		return false;
	enum dbrole_mode m = dbrole_mode(ai->role);
	return m == DBROLE_WRITABLE || m == DBROLE_GATING || m == DBROLE_ADOPTING;
}

static long find_instance(const struct vigil_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_instances; i++)
		if (strcmp(cfg->instances[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* ---- what is in progress --------------------------------------------------- */

const char *agent_busy(const struct agent *ag, char *buf, size_t len)
{
	if (ag->stopping) {
		snprintf(buf, len, "vigild is stopping");
		return buf;
	}
	for (size_t i = 0; i < ag->n_insts; i++) {
		const struct agent_instance *ai = ag->insts[i];
		const char *what = ai->role ? dbrole_busy(ai->role) : NULL;
		if (!what && vrrp_fsm_witness_state(vrrp_instance_fsm(ai->vrrp)) == VRRP_WITNESS_PENDING)
			what = "a witness probe";
		if (!what && ai->vip_release_pending)
			what = "a demotion";
		if (what) {
			snprintf(buf, len, "%s on instance %s", what, ai->ci->name);
			return buf;
		}
	}
	if (ag->n_retiring) {
		snprintf(buf, len, "instance %s, removed by the last reload, is still stopping",
			 ag->retiring[0]->ci->name);
		return buf;
	}
	return NULL;
}

/* ---- the plan: built aside, then carried out --------------------------- */

/* What becomes of one instance of the new configuration. */
struct inst_plan {
	struct agent_instance *keep;       /* the running one, changed in place; NULL: new */
	struct agent_instance *fresh;      /* built for a new or replaced instance */
	struct notify *notify;             /* a new notifier for keep (its scripts changed) */
	struct vip_addr *vip_addrs;        /* keep's new VIP lists */
	char **vip_text;
	struct vrrp_instance_conf vconf;
	struct agent_addr_arrays arrays;   /* vconf's arrays */
};

struct plan {
	struct inst_plan *p;               /* one per new instance */
	size_t n;
	bool *gone;                        /* per running instance: removed or replaced */
	struct health_next *health;
};

static void plan_free(struct plan *pl, bool built_objects_too)
{
	for (size_t i = 0; pl->p && i < pl->n; i++) {
		struct inst_plan *ip = &pl->p[i];
		if (built_objects_too) {
			if (ip->fresh) {
				agent_free_instance(ip->fresh);
				free(ip->fresh);
			}
			notify_free(ip->notify);
			agent_free_vip_lists(ip->vip_addrs, ip->vip_text);
		}
		agent_addr_arrays_free(&ip->arrays);
	}
	free(pl->p);
	free(pl->gone);
	if (built_objects_too)
		health_reload_abort(pl->health);
}

/* Prepare instance i of cfg: what is kept, what must be built. Nothing
 * running changes. */
static int plan_instance(struct agent *ag, struct plan *pl, const struct vigil_config *cfg, size_t i,
			 char *err, size_t errlen)
{
	const struct config_instance *ci = &cfg->instances[i];
	struct inst_plan *ip = &pl->p[i];
	long o = find_instance(ag->cfg, ci->name);
	struct agent_instance *old = o >= 0 ? ag->insts[o] : NULL;
	const char *why = old ? needs_new_instance(ag->cfg, old->ci, cfg, ci) : NULL;
	if (old && why && serving(old)) {
		snprintf(err, errlen,
			 "%s:%u: instance %s holds the VIP: changing %s needs a new instance, which would move the VIP; "
			 "hand it over first (vigilctl resign %s), or make this change where it is BACKUP",
			 cfg->source, ci->origin.section_line, ci->name, why, ci->name);
		return -EBUSY;
	}
	if (old && !why) {
		ip->keep = old;
		if (agent_addr_arrays_new(ci, &ip->arrays) < 0 ||
		    agent_vip_lists(ci, &ip->vip_addrs, &ip->vip_text) < 0)
			return -ENOMEM;
		agent_vrrp_conf(ci, &ip->vconf, &ip->arrays);
		struct notify_conf a = agent_notify_conf(ag->cfg, old->ci);
		struct notify_conf b = agent_notify_conf(cfg, ci);
		if (!notify_conf_eq(&a, &b)) {
			if (notify_pending(old->notify)) {
				snprintf(err, errlen, "instance %s: notify scripts are running", ci->name);
				return -EAGAIN;
			}
			/* The notifier reports to old's address, which stays. */
			const struct config_instance *was = old->ci;
			old->ci = ci;
			int rc = agent_build_notify(old, cfg, &ip->notify);
			old->ci = was;
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	if (old) {
		pl->gone[o] = true;
		log_info(ag->log, "instance %s: %s changed: the instance is replaced (it is %s)", ci->name,
			 why, vrrp_state_name(old->state));
	}
	ip->fresh = calloc(1, sizeof(*ip->fresh));
	if (!ip->fresh)
		return -ENOMEM;
	int rc = agent_build_instance(ag, ip->fresh, cfg, ci, err, errlen);
	/* The operator's resign outlives a replacement (it starts in INIT:
	 * only the flag is set). */
	if (rc == 0 && old && vrrp_fsm_resigned(vrrp_instance_fsm(old->vrrp)))
		vrrp_instance_admin_resign(ip->fresh->vrrp);
	return rc;
}

static int plan_build(struct agent *ag, struct plan *pl, const struct vigil_config *cfg, char *err,
		      size_t errlen)
{
	pl->n = cfg->n_instances;
	pl->p = calloc(pl->n ? pl->n : 1, sizeof(*pl->p));
	pl->gone = calloc(ag->n_insts ? ag->n_insts : 1, sizeof(*pl->gone));
	if (!pl->p || !pl->gone)
		return -ENOMEM;
	for (size_t o = 0; o < ag->n_insts; o++)
		if (find_instance(cfg, ag->insts[o]->ci->name) < 0)
			pl->gone[o] = true;
	for (size_t i = 0; i < pl->n; i++) {
		int rc = plan_instance(ag, pl, cfg, i, err, errlen);
		if (rc < 0)
			return rc;
	}
	return health_reload_prepare(ag->health, cfg, &pl->health, err, errlen);
}

/* ---- carrying it out --------------------------------------------------- */

static bool vip_listed(const struct vip_addr *list, size_t n, const struct vip_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].addr.s_addr == a->addr.s_addr && list[i].prefix == a->prefix)
			return true;
	return false;
}

/* A kept MASTER's addresses follow the new list: the ones that stay are
 * not touched (no gap for clients), new ones are added, dropped ones go. */
static void apply_vips(struct agent_instance *ai, const struct config_instance *ci,
		       struct vip_addr *addrs)
{
	char err[256];
	if (ai->state != VRRP_STATE_MASTER)
		return;
	for (size_t i = 0; i < ai->ci->n_vips; i++) {
		if (vip_listed(addrs, ci->n_vips, &ai->vip_addrs[i]))
			continue;
		err[0] = '\0';
		if (vip_del(ai->vips, &ai->vip_addrs[i], NULL, err, sizeof(err)) < 0)
			log_err(ai->agent->log, "instance %s: reload: cannot remove VIP %s: %s",
				ci->name, ai->vip_text[i], err[0] ? err : "failed");
	}
	for (size_t i = 0; i < ci->n_vips; i++) {
		if (vip_listed(ai->vip_addrs, ai->ci->n_vips, &addrs[i]))
			continue;
		err[0] = '\0';
		if (vip_add(ai->vips, &addrs[i], NULL, err, sizeof(err)) < 0)
			log_err(ai->agent->log, "instance %s: reload: cannot add a VIP: %s", ci->name,
				err[0] ? err : "failed");
	}
}

static void apply_kept(struct agent_instance *ai, struct inst_plan *ip,
		       const struct config_instance *ci)
{
	apply_vips(ai, ci, ip->vip_addrs);
	agent_free_vip_lists(ai->vip_addrs, ai->vip_text);
	ai->vip_addrs = ip->vip_addrs;
	ai->vip_text = ip->vip_text;
	ip->vip_addrs = NULL;
	ip->vip_text = NULL;
	if (ip->notify) {
		notify_free(ai->notify); /* idle: checked when planning */
		ai->notify = ip->notify;
		ip->notify = NULL;
	}
	ai->ci = ci;
	int rc = vrrp_instance_update(ai->vrrp, &ip->vconf);
	if (rc < 0)
		log_err(ai->agent->log, "instance %s: reload: VRRP settings not applied: %s", ci->name,
			strerror(-rc));
}

/* A removed (or replaced) instance stops as at SIGTERM: a master goes
 * through the demotion order, sends priority 0 and releases its VIPs. */
static int retire(struct agent *ag, struct agent_instance *ai)
{
	struct agent_instance **grown =
		realloc(ag->retiring, (ag->n_retiring + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	ag->retiring = grown;
	ag->retiring[ag->n_retiring++] = ai;
	ai->retiring = true;
	log_info(ag->log, "instance %s: removed by the reload: stopping it%s", ai->ci->name,
		 ai->state == VRRP_STATE_MASTER ? " (a switchover: it is MASTER)" : "");
	if (ai->role && ai->started)
		dbrole_stop(ai->role, agent_role_stopped, ai);
	else
		agent_stop_instance(ai);
	return 0;
}

static void start_fresh(struct agent *ag, struct agent_instance *ai)
{
	int rc = linkmon_watch(ag->linkmon, ai->ci->interface);
	if (rc < 0 && rc != -EEXIST) {
		log_err(ag->log, "instance %s: cannot watch %s: %s", ai->ci->name, ai->ci->interface,
			strerror(-rc));
		return;
	}
	int ifindex = 0;
	enum linkmon_link link = linkmon_state(ag->linkmon, ai->ci->interface, &ifindex);
	if (link != LINKMON_UNKNOWN)
		agent_refresh_link(ai, ifindex, link);
	/* else the link monitor's query reports it, and that starts it */
}

int agent_reload(struct agent *ag, struct vigil_config *cfg, struct agent_reload_counts *counts,
		 char *err, size_t errlen)
{
	*counts = (struct agent_reload_counts){ 0 };
	char busy[160];
	if (agent_busy(ag, busy, sizeof(busy))) {
		snprintf(err, errlen, "%s", busy);
		return -EAGAIN;
	}
	if (strcmp(cfg->global.control_socket, ag->cfg->global.control_socket) != 0) {
		snprintf(err, errlen,
			 "%s:%u: control_socket cannot change on a reload (vigilctl would lose the daemon); "
			 "use vigilctl restart",
			 cfg->source, config_key_line(&cfg->global.origin, "control_socket"));
		return -EINVAL;
	}
	if (!agent_quorum_conf_equal(&cfg->quorum, &ag->cfg->quorum)) {
		snprintf(err, errlen,
			 "%s:%u: [quorum] cannot change on a reload (the etcd leases in force were "
			 "taken under it); restart vigild with systemctl restart",
			 cfg->source, cfg->quorum.enabled ? cfg->quorum.origin.section_line : 1);
		return -EINVAL;
	}
	struct plan pl = { 0 };
	int rc = plan_build(ag, &pl, cfg, err, errlen);
	struct agent_instance **insts = rc == 0 ? calloc(pl.n ? pl.n : 1, sizeof(*insts)) : NULL;
	if (rc == 0 && !insts)
		rc = -ENOMEM;
	if (rc < 0) {
		if (rc == -ENOMEM && !err[0])
			snprintf(err, errlen, "out of memory");
		plan_free(&pl, true);
		return rc;
	}

	/* Nothing can fail from here on, but adding or removing a VIP. */
	size_t old_n = ag->n_insts;
	struct agent_instance **old = ag->insts;
	for (size_t i = 0; i < pl.n; i++) {
		struct inst_plan *ip = &pl.p[i];
		if (ip->keep) {
			apply_kept(ip->keep, ip, &cfg->instances[i]);
			insts[i] = ip->keep;
			counts->kept++;
		} else {
			insts[i] = ip->fresh;
			ip->fresh = NULL;
			counts->added++;
		}
	}
	struct vigil_config *old_cfg = ag->cfg;
	ag->cfg = cfg;
	ag->insts = insts;
	ag->n_insts = pl.n;
	bool parked = false;
	for (size_t o = 0; o < old_n; o++) {
		if (!pl.gone[o])
			continue;
		counts->removed++;
		if (retire(ag, old[o]) < 0) {
			/* Out of memory for the list: stop it the hard way. */
			agent_free_instance(old[o]);
			free(old[o]);
			continue;
		}
		parked = true;
	}
	free(old);
	health_reload_commit(ag->health, pl.health, &counts->health);
	pl.health = NULL;
	for (size_t i = 0; i < pl.n; i++)
		if (!pl.p[i].keep)
			start_fresh(ag, insts[i]);
	plan_free(&pl, true);

	/* Retiring instances still point into the old configuration. */
	struct vigil_config **grown = parked ? realloc(ag->old_cfgs,
						      (ag->n_old_cfgs + 1) * sizeof(*grown)) : NULL;
	if (grown) {
		ag->old_cfgs = grown;
		ag->old_cfgs[ag->n_old_cfgs++] = old_cfg;
	} else if (!parked) {
		config_free(old_cfg);
	} else {
		/* Cannot park it: leak it rather than leave dangling pointers. */
		log_err(ag->log, "reload: out of memory keeping the old configuration");
	}
	ag->reloads++;
	return 0;
}

/* ---- retired instances ---------------------------------------------------- */

void agent_free_old_configs(struct agent *ag)
{
	for (size_t i = 0; i < ag->n_old_cfgs; i++)
		config_free(ag->old_cfgs[i]);
	free(ag->old_cfgs);
	ag->old_cfgs = NULL;
	ag->n_old_cfgs = 0;
}

void agent_sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct agent *ag = w->data;
	size_t kept = 0;
	for (size_t i = 0; i < ag->n_retiring; i++) {
		struct agent_instance *ai = ag->retiring[i];
		if (!ai->drained) {
			ag->retiring[kept++] = ai;
			continue;
		}
		log_info(ag->log, "instance %s: stopped and removed", ai->ci->name);
		agent_free_instance(ai);
		free(ai);
	}
	ag->n_retiring = kept;
	if (kept == 0)
		agent_free_old_configs(ag);
}

uint64_t agent_reloads(const struct agent *ag)
{
	return ag->reloads;
}
