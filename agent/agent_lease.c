// SPDX-License-Identifier: GPL-2.0-or-later
// agent_lease: quorum on etcd wired into an instance: the takeover probe, the
// gate's permit, the demotion a lost lease calls for, the candidate entry.
#include "agent.h"
#include "agent_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent_quorum.h"
#include "etcd_client.h"
#include "fsm.h"
#include "instance.h"
#include "monotime.h"

/* A lost request is tried again this soon: a new master waits for the
 * old one's revoke at about this granularity. */
#define QUORUM_RETRY_MS 100u

int agent_etcd_new(struct agent *ag, char *err, size_t errlen)
{
	const struct config_quorum *q = &ag->cfg->quorum;

	if (!q->enabled)
		return 0;
	struct etcd_client_conf conf = {
		.endpoints = (const char *const *)q->endpoints,
		.n_endpoints = q->n_endpoints,
		/* Each member gets a share of the request's deadline, so a
		 * stalled one leaves time to ask the next. */
		.attempt_timeout_ms = q->request_timeout_ms / (q->n_endpoints > 1 ? 2 : 1),
	};
	char why[160] = "";
	int rc = etcd_client_new(&ag->etcd, ag->loop, &conf, why, sizeof(why));

	if (rc < 0)
		snprintf(err, errlen, "[quorum]: etcd client: %s", why[0] ? why : strerror(-rc));
	return rc;
}

void agent_etcd_free(struct agent *ag)
{
	ev_timer_stop(ag->loop, &ag->etcd_drain);
	etcd_client_free(ag->etcd);
	ag->etcd = NULL;
}

static void etcd_drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct agent *ag = w->data;

	if (etcd_pending(ag->etcd) > 0 && monotime_ms() < ag->etcd_drain_until_ms)
		return;
	ev_timer_stop(ag->loop, &ag->etcd_drain);
	agent_finish_stop(ag);
}

void agent_etcd_drain(struct agent *ag)
{
	if (!ag->etcd || etcd_pending(ag->etcd) == 0) {
		agent_finish_stop(ag);
		return;
	}
	ag->etcd_drain_until_ms = monotime_ms() + ag->cfg->quorum.request_timeout_ms;
	/* etcd_client calls back per request; a short poll of the count
	 * keeps this independent of whose request it is. */
	ev_timer_init(&ag->etcd_drain, etcd_drain_cb, 0.01, 0.01);
	ag->etcd_drain.data = ag;
	ev_timer_start(ag->loop, &ag->etcd_drain);
}

bool agent_quorum_conf_equal(const struct config_quorum *a, const struct config_quorum *b)
{
	if (a->enabled != b->enabled)
		return false;
	if (!a->enabled)
		return true;
	if (a->n_endpoints != b->n_endpoints || a->lease_ttl_ms != b->lease_ttl_ms ||
	    a->quorum_lost != b->quorum_lost || a->request_timeout_ms != b->request_timeout_ms ||
	    a->etcd_election_timeout_ms != b->etcd_election_timeout_ms || strcmp(a->prefix, b->prefix) != 0)
		return false;
	for (size_t i = 0; i < a->n_endpoints; i++)
		if (strcmp(a->endpoints[i], b->endpoints[i]) != 0)
			return false;
	return true;
}

/* A master cut off from its replica and from etcd keeps committing until
 * it demotes, up to lease_ttl; semi-sync that gives up waiting sooner
 * acknowledges writes the replica never gets, which the new master then
 * lacks. Said once per value seen. */
static void semisync_advice(struct agent_instance *ai)
{
	uint32_t ss = ai->role ? dbrole_semisync_timeout_ms(ai->role) : 0;
	uint32_t ttl = ai->agent->cfg->quorum.lease_ttl_ms;

	if (!ss || ss >= ttl || ss == ai->semisync_advised_ms)
		return;
	ai->semisync_advised_ms = ss;
	log_warn(ai->agent->log, "instance %s: quorum: rpl_semi_sync_master_timeout (%u ms) is shorter "
		 "than lease_ttl (%u ms): a master cut off from its replica and from etcd can acknowledge "
		 "writes the replica never receives before it demotes; set it to at least lease_ttl",
		 ai->ci->name, ss, ttl);
}

/* ---- what the lease tells the instance ---------------------------------- */

/* Both answers are in: a takeover only with the key and no live server
 * behind the VIP. */
static void probe_answer(struct agent_instance *ai)
{
	if (ai->probe_vip_pending || ai->probe_key_pending)
		return;
	vrrp_instance_witness_result(ai->vrrp, ai->probe_seq, !ai->probe_key_won);
}

static void lease_probe_result(void *ctx, uint32_t seq, bool won)
{
	struct agent_instance *ai = ctx;

	if (seq != ai->probe_seq || !ai->probe_key_pending)
		return;
	ai->probe_key_pending = false;
	ai->probe_key_won = won;
	if (!won && ai->probe_vip_pending) {
		/* Vetoed: the witness's answer changes nothing. */
		ai->probe_vip_pending = false;
		dbrole_witness_cancel(ai->role);
	}
	probe_answer(ai);
}

static void lease_allow(void *ctx)
{
	struct agent_instance *ai = ctx;

	semisync_advice(ai);
	if (ai->role)
		dbrole_permit(ai->role);
}

static void lease_demote(void *ctx, const char *why)
{
	struct agent_instance *ai = ctx;

	(void)why;  /* logged by agent_quorum */
	if (ai->state != VRRP_STATE_MASTER)
		return;
	/* Priority 0, BACKUP: the demotion order runs (read_only first),
	 * then the VIPs go (role_demoted). Back in BACKUP, a takeover on
	 * silence needs the key again. */
	vrrp_instance_resign(ai->vrrp);
}

/* The hand-over's demotion is over: the server is read-only (or does not
 * answer). The key goes first, then priority 0, so the candidate that
 * takes over on it finds the key free. */
static void handover_done(void *ctx)
{
	struct agent_instance *ai = ctx;
	bool released = ai->role_released;

	ai->quorum_handover = false;
	if (ai->agent->stopping || ai->state != VRRP_STATE_MASTER)
		return;
	if (dbrole_demote_refused(ai->role)) {
		log_err(ai->agent->log, "instance %s: quorum: hand-over ABANDONED: the server could not be "
			"made read-only (see above): this node keeps the key and the VIP", ai->ci->name);
		return;
	}
	agent_quorum_give_up(ai->quorum);
	/* Priority 0 and the VIPs at once: the demotion is done already. */
	ai->role_released = true;
	vrrp_instance_resign(ai->vrrp);
	ai->role_released = released;
}

/*
 * A backup that may take over waits for the key (docs/quorum.md), so a
 * health takeover needs the master's consent: the rule a backup that
 * hears us applies (health_takeover; with preempt any higher priority,
 * without it only below resign_below), applied by the master to the
 * candidates it reads in etcd, but only while the master is degraded: a
 * healthy master is not preempted under quorum.
 */
static void lease_candidate(void *ctx, uint8_t priority, const char *router_id)
{
	struct agent_instance *ai = ctx;
	const struct vrrp_fsm *fsm = vrrp_instance_fsm(ai->vrrp);
	uint8_t own = vrrp_fsm_priority(fsm);
	bool takes_over;

	if (ai->state != VRRP_STATE_MASTER || !ai->ci->health_takeover || priority <= own ||
	    ai->quorum_handover || ai->resigning || !ai->role)
		return;
	takes_over = ai->ci->preempt || (ai->ci->resign_below && own < ai->ci->resign_below);
	if (!takes_over || own >= ai->ci->priority)
		return;
	log_warn(ai->agent->log, "instance %s: quorum: candidate %s at priority %u is above ours "
		 "(%u, degraded): handing over: read-only, the key, then priority 0", ai->ci->name,
		 router_id, priority, own);
	ai->quorum_handover = true;
	dbrole_switchover(ai->role, "quorum: hand-over to a candidate", handover_done, ai);
}

int agent_build_quorum(struct agent_instance *ai, const struct vigil_config *cfg, char *err,
		       size_t errlen)
{
	const struct config_instance *ci = ai->ci;
	static const struct agent_quorum_ops ops = {
		.probe_result = lease_probe_result,
		.allow = lease_allow,
		.demote = lease_demote,
		.candidate = lease_candidate,
	};

	if (!cfg->quorum.enabled || !ai->agent->etcd)
		return 0;
	struct agent_quorum_conf conf = {
		.instance = ci->name,
		.router_id = cfg->global.router_id,
		.prefix = cfg->quorum.prefix,
		.rules = {
			.ttl_ms = cfg->quorum.lease_ttl_ms,
			.demote_budget_ms = config_quorum_demote_budget_ms(ci),
			.retry_ms = QUORUM_RETRY_MS,
			.hold = cfg->quorum.quorum_lost == CONFIG_QUORUM_LOST_HOLD,
		},
		.request_timeout_ms = cfg->quorum.request_timeout_ms,
		.probe_timeout_ms = ci->witness_timeout_ms,
	};
	return agent_quorum_new(&ai->quorum, ai->agent->loop, ai->agent->log, ai->agent->etcd, &conf,
				&ops, ai, err, errlen);
}

/* ---- what the instance tells the lease ---------------------------------- */



void agent_lease_probe_start(struct agent_instance *ai, uint32_t seq, enum vrrp_fsm_reason cause)
{
	bool silence = cause == VRRP_REASON_MASTER_DOWN_TIMER || cause == VRRP_REASON_RESIGN_UNANSWERED;

	ai->probe_seq = seq;
	/* After a priority-0 advert the old master is leaving: the key alone
	 * decides (its server is read-only already, the VIP on its way). */
	ai->probe_vip_pending = ai->ci->witness && silence;
	ai->probe_key_pending = ai->quorum != NULL;
	ai->probe_key_won = ai->quorum == NULL;
	if (ai->probe_vip_pending)
		dbrole_witness(ai->role, seq);
	if (ai->quorum)
		agent_quorum_probe(ai->quorum, seq,
				   cause == VRRP_REASON_HEALTH_TAKEOVER || cause == VRRP_REASON_PREEMPT);
}

void agent_lease_probe_cancel(struct agent_instance *ai)
{
	if (ai->probe_vip_pending)
		dbrole_witness_cancel(ai->role);
	ai->probe_vip_pending = false;
	ai->probe_key_pending = false;
	if (ai->quorum)
		agent_quorum_probe_cancel(ai->quorum);
}

void agent_lease_witness_result(struct agent_instance *ai, uint32_t seq, bool served)
{
	if (!ai->quorum) {
		vrrp_instance_witness_result(ai->vrrp, seq, served);
		return;
	}
	if (seq != ai->probe_seq || !ai->probe_vip_pending)
		return;
	ai->probe_vip_pending = false;
	if (served) {
		/* A live server behind the VIP: no takeover, and no key. */
		ai->probe_key_pending = false;
		agent_quorum_probe_cancel(ai->quorum);
		vrrp_instance_witness_result(ai->vrrp, seq, true);
		return;
	}
	probe_answer(ai);
}

void agent_lease_update(struct agent_instance *ai)
{
	if (!ai->quorum || !ai->vrrp)
		return;
	bool master = ai->state == VRRP_STATE_MASTER;
	const struct vrrp_fsm *fsm = vrrp_instance_fsm(ai->vrrp);

	agent_quorum_set_master(ai->quorum, master);
	/* A master whose priority fell looks for a healthier candidate now,
	 * not at its next renewal: that backup waits for the key. */
	if (master && vrrp_fsm_priority(fsm) < ai->lease_priority)
		agent_quorum_refresh_candidates(ai->quorum);
	ai->lease_priority = vrrp_fsm_priority(fsm);
	semisync_advice(ai);
	/* A backup that may take over says at which priority. */
	agent_quorum_candidate(ai->quorum,
			       ai->state == VRRP_STATE_BACKUP && !ai->agent->stopping && !ai->retiring &&
				       (!ai->role || dbrole_is_eligible(ai->role)),
			       vrrp_fsm_priority(fsm));
}

void agent_lease_demoted(struct agent_instance *ai)
{
	if (ai->quorum && ai->state != VRRP_STATE_MASTER)
		agent_quorum_release(ai->quorum);
}

void agent_lease_stop(struct agent_instance *ai)
{
	if (!ai->quorum)
		return;
	agent_lease_probe_cancel(ai);
	agent_quorum_set_master(ai->quorum, false);
	agent_quorum_release(ai->quorum);
	agent_quorum_candidate(ai->quorum, false, 0);
}

bool agent_lease_may_write(void *ctx)
{
	struct agent_instance *ai = ctx;

	return !ai->quorum || agent_quorum_may_write(ai->quorum);
}

bool agent_quorum_view(const struct agent *ag, size_t i, struct agent_quorum_status *out)
{
	if (i >= ag->n_insts || !ag->insts[i]->quorum)
		return false;
	agent_quorum_status(ag->insts[i]->quorum, out);
	return true;
}
