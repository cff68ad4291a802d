// SPDX-License-Identifier: GPL-2.0-or-later
// The running daemon: wires configuration, VRRP instances, VIP addresses,
// link monitoring and notify scripts together on one libev loop.
#include "agent.h"
#include "agent_int.h"
#include "monotime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_quorum.h"
#include "dbrole.h"
#include "health.h"
#include "instance.h"
#include "linkmon.h"
#include "notify.h"
#include "vip.h"

/* A stop waits at most this long beyond the notify timeout for the STOP
 * scripts, so a wedged script cannot keep the daemon alive. */
#define STOP_DRAIN_SLACK_MS 1000u
/* If the link monitor has not reported an interface by then, the instance
 * starts anyway (in FAULT until the interface is reported). */
#define LINK_WAIT_S 3.0

/* ---- state changes and notes ---------------------------------------- */

static enum notify_state notify_state_of(enum vrrp_state s, bool stopping)
{
	switch (s) {
	case VRRP_STATE_BACKUP: return NOTIFY_STATE_BACKUP;
	case VRRP_STATE_MASTER: return NOTIFY_STATE_MASTER;
	case VRRP_STATE_FAULT: return NOTIFY_STATE_FAULT;
	case VRRP_STATE_INIT:
	case VRRP_STATE_COUNT: break;
	}
	return stopping ? NOTIFY_STATE_STOP : NOTIFY_STATE_INIT;
}

/* Queue the notify scripts of one state change, with the data-safety
 * facts as they are now. */
static void send_notify_alarm(struct agent_instance *ai, const struct deferred_notify *d,
			      const char *alarm)
{
	struct notify_change nc = {
		.state = d->state,
		.prev = d->prev,
		.priority = d->priority,
		.vips = (const char *const *)ai->vip_text,
		.n_vips = ai->ci->n_vips,
		.reason = vrrp_fsm_reason_name(d->reason),
	};
	char eligible[300], epoch[24];
	if (ai->role && ai->ci->manage_read_only) {
		snprintf(eligible, sizeof(eligible), "%s: %s", dbrole_is_eligible(ai->role) ? "yes" : "no",
			 dbrole_eligibility_reason(ai->role));
		snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)dbrole_epoch(ai->role));
		nc.db_role = dbrole_mode_name(dbrole_mode(ai->role));
		nc.db_eligible = eligible;
		nc.db_epoch = epoch;
	}
	nc.alarm = alarm;
	int rc = alarm ? notify_alarm(ai->notify, &nc) : notify_state_change(ai->notify, &nc);
	if (rc < 0)
		log_err(ai->agent->log, "instance %s: cannot queue notify scripts: %s", ai->ci->name,
			agent_errstr(rc));
}

static void send_notify(struct agent_instance *ai, const struct deferred_notify *d)
{
	send_notify_alarm(ai, d, NULL);
}

/* One line per transition: the human text (which the tests and operators
 * grep) and the same facts as key=value pairs (log.h). */
static void log_transition(const struct agent_instance *ai, const struct vrrp_instance_change *chg)
{
	const char *from = vrrp_state_name(chg->from), *to = vrrp_state_name(chg->to);
	const char *reason = vrrp_fsm_reason_name(chg->reason);
	char master[96] = "", kv[320] = "";
	log_kv(kv, sizeof(kv), "event", "transition");
	log_kv(kv, sizeof(kv), "instance", ai->ci->name);
	log_kv(kv, sizeof(kv), "from", from);
	log_kv(kv, sizeof(kv), "to", to);
	log_kv(kv, sizeof(kv), "reason", reason);
	log_kvf(kv, sizeof(kv), "priority", "%u", chg->priority);
	if (chg->master && chg->master->known &&
	    (chg->master->addr.len == 4 || chg->master->addr.len == 16)) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(chg->master->addr.len == 16 ? AF_INET6 : AF_INET, chg->master->addr.bytes, a,
			  sizeof(a));
		snprintf(master, sizeof(master), ", master heard: %s priority %u", a,
			 chg->master->priority);
		log_kv(kv, sizeof(kv), "master", a);
		log_kvf(kv, sizeof(kv), "master_priority", "%u", chg->master->priority);
	}
	log_info(ai->agent->log, "instance %s: %s -> %s (%s; priority %u%s)%s", ai->ci->name, from,
		 to, reason, chg->priority, master, kv);
}

static void state_changed(void *ctx, const struct vrrp_instance_change *chg)
{
	struct agent_instance *ai = ctx;
	struct agent *ag = ai->agent;
	log_transition(ai, chg);
	ai->state = chg->to;
	agent_lease_update(ai);
	if (chg->to != VRRP_STATE_MASTER) {
		ev_timer_stop(ag->loop, &ai->vip_retry);
		ai->vip_attempts = 0;
		ai->vip_faults.missing = false;
	}

	struct deferred_notify d = {
		.set = true,
		.state = notify_state_of(chg->to, ag->stopping || ai->retiring),
		.prev = notify_state_of(chg->from, false),
		.priority = chg->priority,
		.reason = chg->reason,
	};
	/* Scripts run after the change is carried out: when the VIP waits
	 * for the demotion, so do they (role_demoted). */
	bool defer = ai->vip_release_pending && chg->to != VRRP_STATE_MASTER;
	ai->deferred.set = false;
	if (defer && d.state != NOTIFY_STATE_INIT)
		ai->deferred = d;
	if (ai->role)
		dbrole_vrrp_state(ai->role, chg->to);
	if (chg->reason == VRRP_REASON_RESTART)
		return; /* MASTER before and after the restart: nothing changed */
	if (defer || d.state == NOTIFY_STATE_INIT)
		return; /* later, or back to INIT without a stop: nothing to report */
	send_notify(ai, &d);
}

static void note(void *ctx, enum vrrp_instance_note kind, const char *detail)
{
	struct agent_instance *ai = ctx;
	enum log_level level = kind == VRRP_NOTE_ADVERT_NOTICE ? LOG_LVL_INFO : LOG_LVL_WARN;
	log_msg(ai->agent->log, level, "instance %s: %s", ai->ci->name, detail);
}

static void notify_done(const struct notify_report *rep, void *ctx)
{
	struct agent_instance *ai = ctx;
	const struct logger *log = ai->agent->log;
	const char *prog = rep->argv && rep->argv[0] ? rep->argv[0] : "?";
	const char *which = rep->alarm ? "notify_alarm" : rep->generic ? "notify" : "notify_<state>";
	const struct proc_result *r = &rep->result;
	if (rep->dropped) {
		log_warn(log, "instance %s: %s %s for %s was not run (queue full or stopping)",
			 ai->ci->name, which, prog, notify_state_name(rep->state));
		return;
	}
	if (rep->refused) {
		log_err(log, "instance %s: %s %s %s: refused to run: %s", ai->ci->name, which, prog,
			notify_state_name(rep->state), rep->refused);
		return;
	}
	/* What it left running in its process group was killed (proc.h). */
	const char *left = r->leftovers ? " (processes it left behind killed)" : "";
	switch (r->outcome) {
	case PROC_EXITED:
		log_msg(log, r->exit_code || r->leftovers ? LOG_LVL_WARN : LOG_LVL_INFO,
			"instance %s: %s %s %s: exit %d after %llu ms%s%s%s", ai->ci->name, which, prog,
			notify_state_name(rep->state), r->exit_code,
			(unsigned long long)r->duration_ms, left, r->output[0] ? ": " : "", r->output);
		break;
	case PROC_EXEC_FAILED:
	case PROC_SPAWN_FAILED:
		log_err(log, "instance %s: %s %s: cannot run: %s", ai->ci->name, which, prog,
			strerror(r->err));
		break;
	case PROC_USER_FAILED:
		log_err(log, "instance %s: %s %s: cannot run as script_user %s: %s: %s", ai->ci->name,
			which, prog, rep->run_as ? rep->run_as : "?",
			r->step ? r->step : "?", strerror(r->err));
		break;
	default:
		log_warn(log, "instance %s: %s %s %s: %s (signal %d) after %llu ms%s", ai->ci->name,
			 which, prog, notify_state_name(rep->state), proc_outcome_name(r->outcome),
			 r->signo, (unsigned long long)r->duration_ms, left);
		break;
	}
}

/* ---- data safety: the instance and its database role ------------------- */

static void role_eligible(void *ctx, bool eligible)
{
	struct agent_instance *ai = ctx;
	vrrp_instance_set_eligible(ai->vrrp, eligible);
	agent_lease_update(ai);
}

static void role_witness_result(void *ctx, uint32_t seq, bool served)
{
	struct agent_instance *ai = ctx;
	agent_lease_witness_result(ai, seq, served);
}

static void role_contest_result(void *ctx, int epoch_cmp)
{
	struct agent_instance *ai = ctx;
	vrrp_instance_contest_result(ai->vrrp, epoch_cmp);
}

static void role_demoted(void *ctx)
{
	struct agent_instance *ai = ctx;
	/* Read-only again: the lease goes, so a peer takes the key now. */
	agent_lease_demoted(ai);
	if (!ai->vip_release_pending || ai->state == VRRP_STATE_MASTER)
		return;
	ai->vip_release_pending = false;
	if (agent_release_vips(ai) == 0)
		log_info(ai->agent->log, "instance %s: demote: VIPs released", ai->ci->name);
	if (ai->deferred.set) {
		struct deferred_notify d = ai->deferred;
		ai->deferred.set = false;
		send_notify(ai, &d);
	}
}

/* Data safety could not do its job: the error is logged and counted
 * already; notify_alarm tells whoever watches. */
static void role_alarm(void *ctx, const char *what)
{
	struct agent_instance *ai = ctx;
	struct deferred_notify d = {
		.state = notify_state_of(ai->state, ai->agent->stopping),
		.prev = notify_state_of(ai->state, ai->agent->stopping),
		.priority = vrrp_fsm_priority(vrrp_instance_fsm(ai->vrrp)),
		.reason = vrrp_fsm_last_reason(vrrp_instance_fsm(ai->vrrp)),
	};
	send_notify_alarm(ai, &d, what);
}

void agent_alarm(struct agent_instance *ai, const char *what)
{
	role_alarm(ai, what);
}

static void role_resign(void *ctx)
{
	struct agent_instance *ai = ctx;
	vrrp_instance_resign(ai->vrrp);
}

static void role_refuse(void *ctx, const char *why)
{
	struct agent_instance *ai = ctx;
	log_err(ai->agent->log, "instance %s: stopping: manage_read_only cannot work on this server: %s",
		ai->ci->name, why);
	ai->agent->failed = true;
	agent_stop(ai->agent);
}

/* Another node is master now: an advert heard within one
 * Master_Down_Interval while we are not master. */
static bool role_master_heard(void *ctx)
{
	struct agent_instance *ai = ctx;
	const struct vrrp_fsm *fsm = vrrp_instance_fsm(ai->vrrp);
	const struct vrrp_fsm_peer *m = vrrp_fsm_master(fsm);
	if (vrrp_fsm_state(fsm) == VRRP_STATE_MASTER || !m->known || m->priority == 0 ||
	    (m->addr.len != 4 && m->addr.len != 16))
		return false;
	/* heard_ms is on the instance's clock: CLOCK_MONOTONIC in ms. */
	return m->heard_ms + vrrp_fsm_master_down_interval_ms(fsm) >= monotime_ms();
}

static void inst_witness_start(void *ctx, uint32_t seq, enum vrrp_fsm_reason cause)
{
	struct agent_instance *ai = ctx;
	agent_lease_probe_start(ai, seq, cause);
}

static void inst_witness_cancel(void *ctx)
{
	struct agent_instance *ai = ctx;
	agent_lease_probe_cancel(ai);
}

static void inst_contest_start(void *ctx, const struct vrrp_fsm_advert *peer)
{
	struct agent_instance *ai = ctx;
	dbrole_contest(ai->role, peer);
}

static void inst_reopen(void *ctx)
{
	struct agent_instance *ai = ctx;
	dbrole_reopen(ai->role);
}

/* The crit_lag eligibility uses: the first tracked mysql_replication
 * check's, else the documented default. */
static uint32_t eligibility_crit_lag(const struct vigil_config *cfg, const struct config_instance *ci)
{
	for (size_t j = 0; j < ci->n_track; j++) {
		const struct config_check *cc = &cfg->checks[ci->track_index[j]];
		if (cc->type == CONFIG_CHECK_MYSQL_REPLICATION)
			return cc->crit_lag_ms;
	}
	return 30000;
}

void agent_role_conf(const struct vigil_config *cfg, const struct config_instance *ci,
		     struct dbrole_conf *conf, struct dbrole_peer_conf *peers)
{
	const struct config_check *rc = &cfg->checks[ci->role_check_index];
	size_t n = 0;
	for (size_t i = 0; i < ci->n_db_peers && n < CONFIG_PEER_MAX; i++)
		peers[n++] = (struct dbrole_peer_conf){ .family = ci->db_peers[i].family,
							.addr = ci->db_peers[i].addr,
							.addr6 = ci->db_peers[i].addr6,
							.port = ci->db_peers[i].port };
	/* The witness connects to the first VIP clients can reach: over
	 * IPv6 the first global one (a link-local VIP reaches the link only). */
	const struct config_vip *vip = &ci->vips[0];
	for (size_t k = 0; ci->family == AF_INET6 && k < ci->n_vips; k++)
		if (!IN6_IS_ADDR_LINKLOCAL(&ci->vips[k].addr6)) {
			vip = &ci->vips[k];
			break;
		}
	*conf = (struct dbrole_conf){
		.instance = ci->name,
		.router_id = cfg->global.router_id,
		.manage_read_only = ci->manage_read_only,
		.local = {
			.host = rc->host,
			.port = rc->port,
			.socket = rc->socket,
			.defaults_file = cfg->global.mysql_defaults_file,
		},
		.peers = peers,
		.n_peers = n,
		.peer_port = rc->port ? rc->port : CONFIG_MYSQL_PORT,
		.poll_interval_ms = rc->interval_ms,
		.stmt_timeout_ms = ci->role_timeout_ms,
		.promote_timeout_ms = ci->promote_timeout_ms,
		.writable_on_timeout = ci->promote_on_timeout == CONFIG_PROMOTE_WRITABLE,
		.stop_replication = ci->stop_replication_on_promote,
		.crit_lag_ms = eligibility_crit_lag(cfg, ci),
		.witness = ci->witness,
		.vip_family = ci->family == AF_INET6 ? AF_INET6 : AF_INET,
		.vip = vip->addr,
		.vip6 = vip->addr6,
		.witness_timeout_ms = ci->witness_timeout_ms,
	};
}

static int build_role(struct agent *ag, struct agent_instance *ai, const struct vigil_config *cfg,
		      char *err, size_t errlen)
{
	const struct config_instance *ci = ai->ci;
	if (!ci->manage_read_only && !ci->witness)
		return 0;
	if (ci->role_check_index < 0) {
		snprintf(err, errlen, "instance %s: data safety needs a role check", ci->name);
		return -EINVAL;
	}
	struct dbrole_peer_conf peers[CONFIG_PEER_MAX];
	struct dbrole_conf conf;
	agent_role_conf(cfg, ci, &conf, peers);
	static const struct dbrole_ops ops = {
		.eligible = role_eligible,
		.witness_result = role_witness_result,
		.contest_result = role_contest_result,
		.demoted = role_demoted,
		.resign = role_resign,
		.alarm = role_alarm,
		.refuse = role_refuse,
		.master_heard = role_master_heard,
		.may_write = agent_lease_may_write,
	};
	int r = dbrole_new(&ai->role, ag->loop, ag->log, &conf, &ops, ai);
	if (r < 0)
		snprintf(err, errlen, "instance %s: data safety: %s", ci->name, agent_errstr(r));
	return r;
}

/*
 * Start-up with manage_read_only: VIPs found on the interface are not
 * removed blindly. They are held (so a later release removes them) and
 * the database role decides: a writable primary beside them is adopted
 * if no other master is heard; otherwise the server is made read-only
 * and then they go (role_demoted).
 */
static void start_role(struct agent_instance *ai)
{
	struct vip_addr found[CONFIG_VIP_MAX];
	size_t n = 0;
	char err[256] = "";
	bool present = false;
	if (ai->ci->manage_read_only &&
	    vip_find_present(ai->vips, ai->vip_addrs, ai->ci->n_vips, found, CONFIG_VIP_MAX, &n,
			     err, sizeof(err)) == 0 && n > 0) {
		for (size_t i = 0; i < n && i < CONFIG_VIP_MAX; i++)
			if (vip_add(ai->vips, &found[i], NULL, err, sizeof(err)) == 0)
				present = true;
		if (present) {
			ai->vip_release_pending = true;
			log_warn(ai->agent->log,
				 "instance %s: a VIP is already on %s (left by an earlier run): keeping it until the database says whether to adopt it",
				 ai->ci->name, ai->ci->interface);
		}
	}
	dbrole_start(ai->role, present);
}

/* ---- frozen loop detection ------------------------------------------------ */


static void stall_mark_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	struct agent *ag = w->data;
	ag->loop_last_ms = monotime_ms();
}

/*
 * Runs first after every wait of the loop (highest priority), before any
 * timer or packet is handled. A MASTER woken after more than one
 * Master_Down_Interval since its last iteration (SIGSTOP, a hung kernel,
 * a VM paused) was given up for dead: a peer may hold the VIP and a
 * writable server. It goes read-only before it sends anything, then the
 * contest decides (docs/data-safety.md "3.8 Two masters: the contest",
 * a frozen master). The loop never sleeps that long otherwise: a MASTER
 * has its advert timer.
 */
static void stall_watch_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	(void)loop;
	(void)revents;
	struct agent *ag = w->data;
	uint64_t now = monotime_ms();
	uint64_t gap = ag->loop_last_ms ? now - ag->loop_last_ms : 0;
	ag->loop_last_ms = now;
	if (ag->stopping)
		return;
	for (size_t i = 0; i < ag->n_insts; i++) {
		struct agent_instance *ai = ag->insts[i];
		uint32_t mdi = vrrp_fsm_master_down_interval_ms(vrrp_instance_fsm(ai->vrrp));
		if (gap <= mdi)
			continue;
		if (ai->state == VRRP_STATE_BACKUP) {
			/* It was not listening: silence proves nothing yet. A
			 * BACKUP's loop may sleep a whole Master_Down_Interval
			 * (a dead master, no checks): only more than that by an
			 * advert interval is a freeze, not the timer coming due. */
			const struct vrrp_fsm *fsm = vrrp_instance_fsm(ai->vrrp);
			if (gap <= (uint64_t)mdi + vrrp_fsm_master_adver_interval_ms(fsm))
				continue;
			log_warn(ag->log,
				 "instance %s: stalled for %llu ms (more than the Master_Down_Interval, %u ms): the Master_Down_Timer starts again",
				 ai->ci->name, (unsigned long long)gap, mdi);
			vrrp_instance_stalled(ai->vrrp);
			continue;
		}
		if (!ai->role || !ai->ci->manage_read_only || ai->state != VRRP_STATE_MASTER)
			continue;
		log_warn(ag->log,
			 "instance %s: stalled for %llu ms (more than the Master_Down_Interval, %u ms): a peer may have taken over; read-only and silent until decided",
			 ai->ci->name, (unsigned long long)gap, mdi);
		vrrp_instance_stalled(ai->vrrp);
	}
}

/* ---- links ------------------------------------------------------------ */

static struct in_addr primary_address(struct agent_instance *ai)
{
	struct in_addr a = { 0 };
	char err[256] = "";
	int rc = vip_primary(ai->vips, ai->vip_addrs, ai->ci->n_vips, &a, err, sizeof(err));
	if (rc < 0 && rc != -ENODEV && rc != -EADDRNOTAVAIL)
		log_warn(ai->agent->log, "instance %s: cannot read the address of %s: %s",
			 ai->ci->name, ai->ci->interface, agent_why(err, rc));
	return rc < 0 ? (struct in_addr){ 0 } : a;
}

void agent_start_instance(struct agent_instance *ai)
{
	if (ai->started || ai->agent->stopping)
		return;
	ai->started = true;
	if (ai->resume_master) {
		/* A restart: the VIPs on the interface are ours, the server
		 * is as the process before this one left it. */
		agent_resume_instance(ai);
		return;
	}
	if (ai->role && ai->ci->manage_read_only)
		start_role(ai);
	else
		agent_remove_stale_vips(ai);
	if (ai->role && !ai->ci->manage_read_only)
		dbrole_start(ai->role, false);
	vrrp_instance_start(ai->vrrp);
}

/* The health score of instance i moved: tell its state machine, which
 * advertises a MASTER's new priority at once (health takeover). Before
 * the instance starts this only sets the priority it will start with. */
void agent_health_changed(void *ctx, size_t i, uint8_t priority, bool fault)
{
	struct agent *ag = ctx;
	if (ag->stopping || i >= ag->n_insts)
		return;
	/* Held down after a VIP hand-over: priority 1 until the hold ends. */
	if (ag->insts[i]->vip_faults.hold_until_ms)
		priority = 1;
	vrrp_instance_set_priority(ag->insts[i]->vrrp, priority);
	vrrp_instance_set_check_fault(ag->insts[i]->vrrp, fault);
	agent_lease_update(ag->insts[i]);
}

/* The link monitor's view of one interface changed: refresh every
 * instance on it (state, index, source address). */
/* An IPv6 instance's source: the interface's link-local address, once its
 * Duplicate Address Detection is over. */
static bool link_local_address(struct agent_instance *ai, struct in6_addr *out)
{
	char err[256] = "";
	int rc = vip_link_local(ai->vips, ai->vip_addrs, ai->ci->n_vips, out, err, sizeof(err));
	if (rc < 0 && rc != -ENODEV && rc != -EADDRNOTAVAIL)
		log_warn(ai->agent->log, "instance %s: cannot read the addresses of %s: %s",
			 ai->ci->name, ai->ci->interface, agent_why(err, rc));
	return rc == 0;
}

static void refresh_link6(struct agent_instance *ai, int ifindex, enum linkmon_link link)
{
	bool up = link == LINKMON_UP;
	struct in6_addr ll;
	bool have = up && link_local_address(ai, &ll);
	if (up && !have && !ai->link_known)
		log_warn(ai->agent->log,
			 "instance %s: %s has no usable IPv6 link-local address (none, or its duplicate address detection is not over): FAULT until it has one (VRRP over IPv6 sends from it)",
			 ai->ci->name, ai->ci->interface);
	if (link == LINKMON_ABSENT && !ai->link_known)
		log_warn(ai->agent->log, "instance %s: interface %s does not exist: FAULT until it appears",
			 ai->ci->name, ai->ci->interface);
	ai->link_known = true;
	vrrp_instance_set_link6(ai->vrrp, link == LINKMON_ABSENT ? 0 : ifindex, up, have ? &ll : NULL);
	if (ai->role && (up || link == LINKMON_ABSENT)) {
		/* Replicas name this node's server by its global address, not
		 * by the link-local one adverts come from. */
		struct in6_addr g = IN6ADDR_ANY_INIT;
		char err[256] = "";
		int rc = up ? vip_global6(ai->vips, ai->vip_addrs, ai->ci->n_vips, &g, err, sizeof(err)) : 0;
		if (rc < 0 && rc != -ENODEV && rc != -EADDRNOTAVAIL)
			log_warn(ai->agent->log, "instance %s: cannot read the addresses of %s: %s",
				 ai->ci->name, ai->ci->interface, agent_why(err, rc));
		dbrole_set_self_addr(ai->role, AF_INET6, &g);
	}
	agent_start_instance(ai);
}

void agent_refresh_link(struct agent_instance *ai, int ifindex, enum linkmon_link link)
{
	if (ai->ci->family == AF_INET6) {
		refresh_link6(ai, ifindex, link);
		return;
	}
	bool up = link == LINKMON_UP;
	struct in_addr primary = up ? primary_address(ai) : (struct in_addr){ 0 };
	if (up && primary.s_addr == 0 && !ai->link_known)
		log_warn(ai->agent->log,
			 "instance %s: %s has no IPv4 address of its own: FAULT until it has one (VRRP sends from it)",
			 ai->ci->name, ai->ci->interface);
	if (link == LINKMON_ABSENT && !ai->link_known)
		log_warn(ai->agent->log, "instance %s: interface %s does not exist: FAULT until it appears",
			 ai->ci->name, ai->ci->interface);
	ai->link_known = true;
	vrrp_instance_set_link(ai->vrrp, link == LINKMON_ABSENT ? 0 : ifindex, up, primary);
	if (ai->role && (up || link == LINKMON_ABSENT))
		dbrole_set_self_addr(ai->role, AF_INET, &primary);
	agent_start_instance(ai);
}

/*
 * Address events come in bursts: N instances taking over at once add N
 * VIPs, one event each, all read in one linkmon callback. Refreshing every
 * instance of the interface for each (each reads the interface's
 * addresses for its primary) is N * N address dumps: at a hundred
 * instances the loop stalls for seconds, masters miss their adverts and
 * the peers take over, which is the next burst. The instances an address
 * event concerns are refreshed once, from the next loop iteration, with
 * the link as linkmon knows it then. Link events stay immediate.
 */
static void addr_settle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct agent *ag = w->data;
	if (ag->stopping)
		return;
	for (size_t i = 0; i < ag->n_insts; i++) {
		struct agent_instance *ai = ag->insts[i];
		if (!ai->addr_changed)
			continue;
		ai->addr_changed = false;
		int ifindex = 0;
		enum linkmon_link link = linkmon_state(ag->linkmon, ai->ci->interface, &ifindex);
		if (link != LINKMON_UNKNOWN)
			agent_refresh_link(ai, ifindex, link);
	}
}

static void link_event(void *ctx, const struct linkmon_event *ev)
{
	struct agent *ag = ctx;
	if (ag->stopping)
		return;
	for (size_t i = 0; i < ag->n_insts; i++) {
		struct agent_instance *ai = ag->insts[i];
		if (strcmp(ai->ci->interface, ev->ifname) != 0)
			continue;
		if (ev->kind == LINKMON_EV_ADDR) {
			ai->addr_changed = true;
			if (!ev_is_active(&ag->addr_settle))
				ev_timer_start(ag->loop, &ag->addr_settle);
			continue;
		}
		ai->addr_changed = false; /* refreshed now, with the link */
		if (ev->kind == LINKMON_EV_LINK)
			log_info(ag->log, "instance %s: interface %s is %s", ai->ci->name, ev->ifname,
				 linkmon_link_name(ev->link));
		agent_refresh_link(ai, ev->ifindex, ev->link);
	}
}

static void link_wait_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct agent *ag = w->data;
	for (size_t i = 0; i < ag->n_insts; i++) {
		if (!ag->insts[i]->started) {
			log_warn(ag->log, "instance %s: state of %s not known after %.0f s: starting in FAULT",
				 ag->insts[i]->ci->name, ag->insts[i]->ci->interface, LINK_WAIT_S);
			agent_start_instance(ag->insts[i]);
		}
	}
}

/* ---- building ------------------------------------------------------- */

struct notify_conf agent_notify_conf(const struct vigil_config *cfg,
				     const struct config_instance *ci)
{
	return (struct notify_conf){
		.instance = ci->name,
		.router_id = cfg->global.router_id,
		.notify = ci->notify.argv,
		.notify_master = ci->notify_master.argv,
		.notify_backup = ci->notify_backup.argv,
		.notify_fault = ci->notify_fault.argv,
		.notify_stop = ci->notify_stop.argv,
		.notify_alarm = ci->notify_alarm.argv,
		.timeout_ms = ci->notify_timeout_ms,
		.run_as = cfg->global.script_user,
	};
}

int agent_addr_arrays_new(const struct config_instance *ci, struct agent_addr_arrays *a)
{
	*a = (struct agent_addr_arrays){ 0 };
	size_t np = ci->n_peers ? ci->n_peers : 1;
	if (ci->family == AF_INET6) {
		a->addrs6 = calloc(ci->n_vips, sizeof(*a->addrs6));
		a->peers6 = calloc(np, sizeof(*a->peers6));
		if (!a->addrs6 || !a->peers6)
			goto nomem;
	} else {
		a->addrs = calloc(ci->n_vips, sizeof(*a->addrs));
		a->peers = calloc(np, sizeof(*a->peers));
		if (!a->addrs || !a->peers)
			goto nomem;
	}
	return 0;
nomem:
	agent_addr_arrays_free(a);
	return -ENOMEM;
}

void agent_addr_arrays_free(struct agent_addr_arrays *a)
{
	free(a->addrs);
	free(a->peers);
	free(a->addrs6);
	free(a->peers6);
	*a = (struct agent_addr_arrays){ 0 };
}

void agent_vrrp_conf(const struct config_instance *ci, struct vrrp_instance_conf *vconf,
		     const struct agent_addr_arrays *a)
{
	bool v6 = ci->family == AF_INET6;
	for (size_t i = 0; i < ci->n_vips; i++) {
		if (v6)
			a->addrs6[i] = ci->vips[i].addr6;
		else
			a->addrs[i] = ci->vips[i].addr;
	}
	for (size_t i = 0; i < ci->n_peers; i++) {
		if (v6)
			a->peers6[i] = ci->peers[i].addr6;
		else
			a->peers[i] = ci->peers[i].addr;
	}
	*vconf = (struct vrrp_instance_conf){
		.name = ci->name,
		.ifname = ci->interface,
		.fsm = {
			.version = ci->version,
			.vrid = ci->vrid,
			.base_priority = ci->priority,
			.advert_interval_ms = ci->advert_interval_ms,
			.preempt = ci->preempt,
			.preempt_delay_ms = ci->preempt_delay_ms,
			.health_takeover = ci->health_takeover,
			.resign_below = ci->resign_below,
			.eligibility = ci->manage_read_only,
			/* With [quorum] a takeover on silence also waits for the key. */
			.witness_lead_ms = ci->witness || ci->quorum ? ci->witness_timeout_ms : 0,
			.contest = ci->manage_read_only,
			.corroborate_all = ci->quorum,
		},
		.csum = ci->checksum == CONFIG_CHECKSUM_PSEUDO_HEADER ? VRRP_CSUM_PSEUDO_HEADER
			: ci->checksum == CONFIG_CHECKSUM_RFC9568 ? VRRP_CSUM_RFC9568
			: VRRP_CSUM_AUTO,
		.auth_type = ci->auth_type == CONFIG_AUTH_PASS ? VRRP_AUTH_PASS : VRRP_AUTH_NONE,
		.family = v6 ? AF_INET6 : AF_INET,
		.vips = a->addrs,
		.vips6 = a->addrs6,
		.n_vips = ci->n_vips,
		.peers = ci->n_peers && !v6 ? a->peers : NULL,
		.peers6 = ci->n_peers && v6 ? a->peers6 : NULL,
		.n_peers = ci->n_peers,
		.garp_repeat = ci->garp_master_repeat,
		.garp_interval_ms = ci->garp_interval_ms,
		.garp_delay_ms = ci->garp_master_delay_ms,
		.garp_refresh_ms = ci->garp_master_refresh_ms,
		.garp_refresh_repeat = ci->garp_master_refresh_repeat,
	};
	/* RFC 2338 5.3.7: the password is zero-padded to 8 bytes. */
	memcpy(vconf->auth_data, ci->auth_pass, strnlen(ci->auth_pass, VRRP_AUTH_LEN));
}

int agent_vip_lists(const struct config_instance *ci, struct vip_addr **addrs, char ***text)
{
	*addrs = calloc(ci->n_vips, sizeof(**addrs));
	*text = calloc(ci->n_vips + 1, sizeof(**text));
	if (!*addrs || !*text)
		goto fail;
	for (size_t i = 0; i < ci->n_vips; i++) {
		char a[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN + 5];
		(*addrs)[i].family = ci->vips[i].family;
		(*addrs)[i].addr = ci->vips[i].addr;
		(*addrs)[i].addr6 = ci->vips[i].addr6;
		(*addrs)[i].prefix = ci->vips[i].prefix_len;
		config_addr_text(ci->vips[i].family, &ci->vips[i].addr, &ci->vips[i].addr6, a, sizeof(a));
		snprintf(t, sizeof(t), "%s/%u", a, ci->vips[i].prefix_len);
		if (!((*text)[i] = strdup(t)))
			goto fail;
	}
	return 0;
fail:
	agent_free_vip_lists(*addrs, *text);
	*addrs = NULL;
	*text = NULL;
	return -ENOMEM;
}

void agent_free_vip_lists(struct vip_addr *addrs, char **text)
{
	if (text)
		for (size_t i = 0; text[i]; i++)
			free(text[i]);
	free(text);
	free(addrs);
}

int agent_build_notify(struct agent_instance *ai, const struct vigil_config *cfg,
		       struct notify **out)
{
	struct notify_conf nconf = agent_notify_conf(cfg, ai->ci);
	return notify_new(out, ai->agent->loop, &nconf, notify_done, ai);
}

int agent_build_role(struct agent_instance *ai, const struct vigil_config *cfg, char *err,
		     size_t errlen)
{
	return build_role(ai->agent, ai, cfg, err, errlen);
}

int agent_build_instance(struct agent *ag, struct agent_instance *ai, const struct vigil_config *cfg,
			 const struct config_instance *ci, char *err, size_t errlen)
{
	ai->agent = ag;
	ai->ci = ci;
	ai->state = VRRP_STATE_INIT;
	agent_vip_timers_init(ai);
	struct agent_addr_arrays arrays;
	int rc = -ENOMEM;
	if (agent_addr_arrays_new(ci, &arrays) < 0)
		return rc;
	if (agent_vip_lists(ci, &ai->vip_addrs, &ai->vip_text) < 0)
		goto out;
	rc = vip_new(&ai->vips, ci->interface, err, errlen);
	if (rc < 0)
		goto out;
	vip_set_family(ai->vips, ci->family == AF_INET6 ? AF_INET6 : AF_INET);
	rc = agent_build_notify(ai, cfg, &ai->notify);
	if (rc < 0) {
		snprintf(err, errlen, "instance %s: notify: %s", ci->name, agent_errstr(rc));
		goto out;
	}
	struct vrrp_instance_conf vconf;
	agent_vrrp_conf(ci, &vconf, &arrays);
	static const struct vrrp_instance_ops ops = {
		.add_vips = agent_add_vips,
		.remove_vips = agent_remove_vips,
		.state_changed = state_changed,
		.note = note,
		.witness_start = inst_witness_start,
		.witness_cancel = inst_witness_cancel,
		.contest_start = inst_contest_start,
		.reopen = inst_reopen,
	};
	static const struct vrrp_instance_ops plain_ops = {
		.add_vips = agent_add_vips,
		.remove_vips = agent_remove_vips,
		.state_changed = state_changed,
		.note = note,
	};
	rc = build_role(ag, ai, cfg, err, errlen);
	if (rc == 0)
		rc = agent_build_quorum(ai, cfg, err, errlen);
	if (rc == 0) {
		rc = vrrp_instance_new(ag->loop, ag->ports, &vconf, ai->role ? &ops : &plain_ops, ai,
				       &ai->vrrp);
		if (rc < 0)
			snprintf(err, errlen, "instance %s: %s", ci->name, agent_errstr(rc));
	}
out:
	agent_addr_arrays_free(&arrays);
	return rc;
}

void agent_free_instance(struct agent_instance *ai)
{
	agent_vip_timers_stop(ai);
	agent_quorum_free(ai->quorum);
	dbrole_free(ai->role);
	vrrp_instance_free(ai->vrrp);
	notify_free(ai->notify);
	if (ai->vips) {
		char err[256];
		vip_release_all(ai->vips, err, sizeof(err));
	}
	vip_free(ai->vips);
	agent_free_vip_lists(ai->vip_addrs, ai->vip_text);
}

/* A datagram the interface's receiver refused before any instance had
 * it (rate-limited there). */
static void port_note(void *ctx, const char *ifname, const char *detail)
{
	struct agent *ag = ctx;
	log_warn(ag->log, "interface %s: %s", ifname, detail);
}

int agent_new(struct agent **out, struct ev_loop *loop, struct vigil_config *cfg,
	      const struct logger *log, char *err, size_t errlen)
{
	*out = NULL;
	struct agent *ag = calloc(1, sizeof(*ag));
	if (!ag) {
		config_free(cfg);
		return -ENOMEM;
	}
	ag->loop = loop;
	ag->cfg = cfg;
	ag->log = log;
	ev_timer_init(&ag->link_wait, link_wait_cb, LINK_WAIT_S, 0.);
	ag->link_wait.data = ag;
	ev_prepare_init(&ag->stall_mark, stall_mark_cb);
	ag->stall_mark.data = ag;
	ev_check_init(&ag->stall_watch, stall_watch_cb);
	ev_set_priority(&ag->stall_watch, EV_MAXPRI);
	ag->stall_watch.data = ag;
	ev_timer_init(&ag->sweep, agent_sweep_cb, 0., 0.);
	ev_timer_init(&ag->addr_settle, addr_settle_cb, 0., 0.);
	ag->addr_settle.data = ag;
	ag->sweep.data = ag;
	ag->insts = calloc(cfg->n_instances ? cfg->n_instances : 1, sizeof(*ag->insts));
	if (!ag->insts) {
		agent_free(ag);
		return -ENOMEM;
	}
	static const struct vrrp_ports_ops ports_ops = { .note = port_note };
	int rc = vrrp_ports_new(loop, &ports_ops, ag, &ag->ports);
	if (rc < 0)
		snprintf(err, errlen, "VRRP sockets: %s", agent_errstr(rc));
	if (rc == 0)
		rc = agent_etcd_new(ag, err, errlen);
	if (rc == 0)
		rc = health_new(&ag->health, loop, cfg, log, agent_health_changed, ag, err, errlen);
	if (rc == 0) {
		rc = linkmon_new(&ag->linkmon, loop, LINKMON_RCVBUF_DEFAULT, link_event, ag);
		if (rc < 0)
			snprintf(err, errlen, "link monitor: %s", agent_errstr(rc));
	}
	for (size_t i = 0; rc == 0 && i < cfg->n_instances; i++) {
		if (!(ag->insts[i] = calloc(1, sizeof(*ag->insts[i])))) {
			rc = -ENOMEM;
			break;
		}
		ag->n_insts = i + 1;
		rc = agent_build_instance(ag, ag->insts[i], cfg, &cfg->instances[i], err, errlen);
		if (rc == 0) {
			/* Until its checks pass, an instance starts below its base
			 * priority: a node just started must not win the VIP. */
			agent_health_changed(ag, i, health_priority(ag->health, i),
				       health_fault(ag->health, i));
			rc = linkmon_watch(ag->linkmon, cfg->instances[i].interface);
			if (rc == -EEXIST) /* two instances on one interface */
				rc = 0;
			else if (rc < 0)
				snprintf(err, errlen, "watch %s: %s", cfg->instances[i].interface, agent_errstr(rc));
		}
	}
	if (rc < 0) {
		agent_free(ag);
		return rc;
	}
	*out = ag;
	return 0;
}

int agent_start(struct agent *ag, char *err, size_t errlen)
{
	int rc = linkmon_start(ag->linkmon);
	if (rc < 0) {
		snprintf(err, errlen, "link monitor: %s", agent_errstr(rc));
		return rc;
	}
	ev_timer_start(ag->loop, &ag->link_wait);
	ev_prepare_start(ag->loop, &ag->stall_mark);
	ev_check_start(ag->loop, &ag->stall_watch);
	health_start(ag->health);
	return 0;
}

/* ---- stopping ------------------------------------------------------- */

static void drained(struct notify *n, bool complete, void *ctx)
{
	(void)n;
	struct agent_instance *ai = ctx;
	struct agent *ag = ai->agent;
	ai->drained = true;
	if (!complete)
		log_warn(ag->log, "instance %s: notify scripts still running at stop were killed",
			 ai->ci->name);
	if (ai->retiring) {
		/* Removed by a reload: freed from the loop, not from inside
		 * its own notifier's callback. */
		ev_timer_start(ag->loop, &ag->sweep);
		return;
	}
	for (size_t i = 0; i < ag->n_insts; i++)
		if (!ag->insts[i]->drained)
			return;
	/* The revokes of the leases go out before the process does. */
	agent_etcd_drain(ag);
}

void agent_finish_stop(struct agent *ag)
{
	ag->stopped = true;
	ev_break(ag->loop, EVBREAK_ALL);
}

/* The VRRP side of stopping one instance: priority 0 and the VIPs away
 * (a MASTER), then the notify scripts drain. */
void agent_stop_instance(struct agent_instance *ai)
{
	agent_vip_timers_stop(ai);
	ai->role_released = true;
	/* A change still waiting for its demotion first, in order. */
	if (ai->vip_release_pending) {
		ai->vip_release_pending = false;
		agent_release_vips(ai);
	}
	if (ai->deferred.set) {
		struct deferred_notify d = ai->deferred;
		ai->deferred.set = false;
		send_notify(ai, &d);
	}
	if (ai->started)
		vrrp_instance_stop(ai->vrrp);
	uint32_t limit = ai->ci->notify_timeout_ms + STOP_DRAIN_SLACK_MS;
	int rc = notify_drain(ai->notify, limit, drained, ai);
	if (rc < 0 && rc != -EBUSY)
		drained(ai->notify, false, ai);
}

void agent_role_stopped(void *ctx)
{
	struct agent_instance *ai = ctx;
	/* Read-only: the lease goes before priority 0 does. */
	agent_lease_stop(ai);
	agent_stop_instance(ai);
}

void agent_stop(struct agent *ag)
{
	if (ag->stopping)
		return;
	ag->stopping = true;
	log_info(ag->log, "stopping: masters make their server read-only (manage_read_only), then send priority 0 and release their VIPs");
	ev_timer_stop(ag->loop, &ag->link_wait);
	ev_check_stop(ag->loop, &ag->stall_watch);
	ev_prepare_stop(ag->loop, &ag->stall_mark);
	health_stop(ag->health);
	for (size_t i = 0; i < ag->n_insts; i++) {
		struct agent_instance *ai = ag->insts[i];
		/* SIGTERM on the master is a switchover: the demotion order
		 * first, then priority 0 (docs/data-safety.md "3.9 Graceful
		 * stop is a switchover"). */
		if (ai->role && ai->started)
			dbrole_stop(ai->role, agent_role_stopped, ai);
		else
			agent_stop_instance(ai);
	}
}

bool agent_failed(const struct agent *ag)
{
	return ag->failed;
}

bool agent_stopped(const struct agent *ag)
{
	return ag->stopped;
}

void agent_free(struct agent *ag)
{
	if (!ag)
		return;
	ev_timer_stop(ag->loop, &ag->link_wait);
	ev_check_stop(ag->loop, &ag->stall_watch);
	ev_prepare_stop(ag->loop, &ag->stall_mark);
	health_free(ag->health);
	linkmon_free(ag->linkmon);
	ev_timer_stop(ag->loop, &ag->sweep);
	ev_timer_stop(ag->loop, &ag->addr_settle);
	for (size_t i = 0; i < ag->n_insts; i++) {
		agent_free_instance(ag->insts[i]);
		free(ag->insts[i]);
	}
	free(ag->insts);
	for (size_t i = 0; i < ag->n_retiring; i++) {
		agent_free_instance(ag->retiring[i]);
		free(ag->retiring[i]);
	}
	free(ag->retiring);
	/* After every instance: they held the ports open, and the etcd client. */
	vrrp_ports_free(ag->ports);
	agent_etcd_free(ag);
	agent_free_old_configs(ag);
	config_free(ag->cfg);
	free(ag);
}

/* ---- read-only view ---------------------------------------------------- */

const struct vigil_config *agent_config(const struct agent *ag)
{
	return ag->cfg;
}

struct ev_loop *agent_loop(const struct agent *ag)
{
	return ag->loop;
}

const struct health *agent_health(const struct agent *ag)
{
	return ag->health;
}

const struct vrrp_instance *agent_vrrp(const struct agent *ag, size_t i)
{
	return i < ag->n_insts ? ag->insts[i]->vrrp : NULL;
}

const struct dbrole *agent_role(const struct agent *ag, size_t i)
{
	return i < ag->n_insts ? ag->insts[i]->role : NULL;
}

int agent_vips_held(const struct agent *ag, size_t i, struct vip_addr *out, size_t cap,
		    size_t *n)
{
	*n = 0;
	if (i >= ag->n_insts || !ag->insts[i]->vips)
		return -EINVAL;
	return vip_held(ag->insts[i]->vips, out, cap, n);
}
