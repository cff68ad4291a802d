// SPDX-License-Identifier: GPL-2.0-or-later
// vigilctl status: taking the read-only view of the running daemon.
#include "status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "vip.h"

static void collect_instance(struct status_instance *si, const struct agent *ag, size_t i)
{
	const struct vigil_config *cfg = agent_config(ag);
	const struct vrrp_instance *inst = agent_vrrp(ag, i);
	const struct vrrp_fsm *fsm = vrrp_instance_fsm(inst);
	si->conf = &cfg->instances[i];
	si->state = vrrp_fsm_state(fsm);
	si->priority = vrrp_fsm_priority(fsm);
	si->faults = vrrp_fsm_faults(fsm);
	si->last_reason = vrrp_fsm_last_reason(fsm);
	si->last_change_ms = vrrp_fsm_last_change_ms(fsm);
	si->primary = vrrp_instance_primary(inst);
	si->primary6 = vrrp_instance_primary6(inst);
	si->master = vrrp_fsm_master(fsm);
	si->master_adver_ms = vrrp_fsm_master_adver_interval_ms(fsm);
	si->skew_ms = vrrp_fsm_skew_ms(fsm);
	si->master_down_ms = vrrp_fsm_master_down_interval_ms(fsm);
	health_explain(agent_health(ag), i, si->explain, sizeof(si->explain));
	si->fsm = vrrp_fsm_counters(fsm);
	si->io = vrrp_instance_stats(inst);
	si->port_io = vrrp_instance_port_stats(inst);
	si->fsm_eligible = vrrp_fsm_eligible(fsm);
	si->contest_pending = vrrp_fsm_contest_pending(fsm);
	si->quiet = vrrp_fsm_quiet(fsm);
	si->resigned = vrrp_fsm_resigned(fsm);
	si->resigned_ms = vrrp_fsm_resigned_ms(fsm);
	si->resigning = agent_resigning(ag, i);
	si->handover_pending = vrrp_fsm_handover_pending(fsm);
	struct agent_vip_faults vf;
	agent_vip_faults(ag, i, &vf);
	si->vip_add_failures = vf.add_failures;
	si->vip_added_on_retry = vf.added_on_retry;
	si->vip_handovers = vf.handovers;
	si->vip_missing = vf.missing;
	si->vip_hold_until_ms = vf.hold_until_ms;

	struct vip_addr held[CONFIG_VIP_MAX];
	size_t n = 0;
	if (agent_vips_held(ag, i, held, CONFIG_VIP_MAX, &n) < 0)
		n = 0;
	si->n_held = n < CONFIG_VIP_MAX ? n : CONFIG_VIP_MAX;
	for (size_t k = 0; k < si->n_held; k++)
		si->held[k] = (struct status_vip){ .family = held[k].family, .addr = held[k].addr,
						   .addr6 = held[k].addr6, .prefix = held[k].prefix };

	si->quorum = agent_quorum_view(ag, i, &si->q);

	const struct dbrole *role = agent_role(ag, i);
	si->role = role != NULL;
	if (role) {
		si->db_mode = dbrole_mode(role);
		si->db_eligible = dbrole_is_eligible(role);
		si->db_reason = dbrole_eligibility_reason(role);
		si->db_epoch = dbrole_epoch(role);
		si->db_semisync = dbrole_semisync(role);
		si->db_stats = dbrole_stats(role);
	}
}

int status_collect(struct status_view *v, const struct agent *ag, uint64_t now_ms)
{
	const struct vigil_config *cfg = agent_config(ag);
	memset(v, 0, sizeof(*v));
	v->router_id = cfg->global.router_id;
	v->now_ms = now_ms;
	v->instances = calloc(cfg->n_instances ? cfg->n_instances : 1, sizeof(*v->instances));
	v->checks = calloc(cfg->n_checks ? cfg->n_checks : 1, sizeof(*v->checks));
	if (!v->instances || !v->checks) {
		status_view_free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_instances; i++)
		collect_instance(&v->instances[i], ag, i);
	v->n_instances = cfg->n_instances;
	for (size_t k = 0; k < cfg->n_checks; k++)
		health_check_info(agent_health(ag), k, &v->checks[k]);
	v->n_checks = cfg->n_checks;
	return 0;
}

void status_view_free(struct status_view *v)
{
	free(v->instances);
	free(v->checks);
	v->instances = NULL;
	v->checks = NULL;
	v->n_instances = v->n_checks = 0;
}
