// SPDX-License-Identifier: GPL-2.0-or-later
// Restart without a failover: the state a vigild hands to the vigild it
// re-executes, and how the new one takes it up (docs/operations.md
// "Restart and upgrade").
#include "agent.h"
#include "agent_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "health.h"
#include "vip.h"

int agent_collect_restart(const struct agent *ag, struct restart_state *s)
{
	for (size_t i = 0; i < ag->n_insts; i++) {
		const struct agent_instance *ai = ag->insts[i];
		const struct vrrp_fsm *fsm = vrrp_instance_fsm(ai->vrrp);
		struct restart_instance ri = {
			.state = ai->state,
			.priority = vrrp_fsm_priority(fsm),
			.has_role = ai->role != NULL,
			.role = ai->role ? dbrole_mode(ai->role) : DBROLE_UNKNOWN,
			.epoch = ai->role ? dbrole_epoch(ai->role) : 0,
			.resigned = vrrp_fsm_resigned(fsm),
		};
		snprintf(ri.name, sizeof(ri.name), "%s", ai->ci->name);
		int rc = restart_state_add_instance(s, &ri);
		if (rc < 0)
			return rc;
	}
	for (size_t k = 0; k < ag->cfg->n_checks; k++) {
		struct health_check_info info;
		if (health_check_info(ag->health, k, &info) < 0 || !info.tracked || !info.last)
			continue; /* no verdict yet: the new process starts it as new */
		struct restart_check rc = { .level = info.level };
		snprintf(rc.name, sizeof(rc.name), "%s", ag->cfg->checks[k].name);
		int r = restart_state_add_check(s, &rc);
		if (r < 0)
			return r;
	}
	return 0;
}

void agent_adopt(struct agent *ag, const struct restart_state *s)
{
	for (size_t i = 0; i < s->n_chk; i++)
		if (health_seed(ag->health, s->chk[i].name, s->chk[i].level) < 0)
			log_info(ag->log, "restart: check %s is no longer configured", s->chk[i].name);
	for (size_t i = 0; i < ag->n_insts; i++) {
		struct agent_instance *ai = ag->insts[i];
		const struct restart_instance *ri = restart_state_instance(s, ai->ci->name);
		if (ri && ri->resigned) {
			/* The operator's resign outlives the restart. */
			vrrp_instance_admin_resign(ai->vrrp);
			log_info(ag->log, "instance %s: restart: still resigned (vigilctl resume ends it)",
				 ai->ci->name);
		}
		if (!ri || ri->state != VRRP_STATE_MASTER)
			continue;
		/* With data safety, only a master whose server was open: one
		 * still in its gate or adopting starts over, as at a cold start. */
		if (ai->role && ai->ci->manage_read_only &&
		    (!ri->has_role || ri->role != DBROLE_WRITABLE)) {
			log_warn(ag->log, "instance %s: restart: the server was %s, not open: starting as at a cold start",
				 ai->ci->name, ri->has_role ? dbrole_mode_name(ri->role) : "not managed");
			continue;
		}
		ai->resume_master = true;
		ai->inherited_role = ri->has_role ? ri->role : DBROLE_UNKNOWN;
		log_info(ag->log, "instance %s: restart: was MASTER (priority %u): resuming as MASTER",
			 ai->ci->name, ri->priority);
	}
}

void agent_resume_instance(struct agent_instance *ai)
{
	if (ai->role && ai->ci->manage_read_only) {
		dbrole_start_inherited(ai->role, ai->inherited_role);
		vrrp_instance_set_eligible(ai->vrrp, true);
	} else if (ai->role) {
		dbrole_start(ai->role, false);
	}
	vrrp_instance_resume_master(ai->vrrp);
	vrrp_instance_start(ai->vrrp);
}

bool agent_resuming(const struct agent *ag, size_t i)
{
	return i < ag->n_insts && ag->insts[i]->resume_master;
}
