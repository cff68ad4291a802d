// SPDX-License-Identifier: GPL-2.0-or-later
// vigilctl resign and resume: planned maintenance without stopping anything.
//
// resign hands an instance's VIP to the best peer and keeps the instance
// BACKUP (the state machine's "resigned" flag) until resume; it keeps
// running its checks, listening and answering status. With manage_read_only
// the handover is the switchover of a graceful stop (docs/data-safety.md
// "3.9 Graceful stop is a switchover"), reused as it is: dbrole_switchover()
// makes the server read-only and ends its sessions, then the state machine
// sends priority 0 and the VIP goes.
#include "agent.h"
#include "agent_int.h"
#include "control.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbrole.h"
#include "fsm.h"
#include "instance.h"
#include "log.h"
#include "monotime.h"

/* The answer's longest list of peers and reasons. */
#define WHO_MAX 1024

static struct agent_instance *find_instance(struct agent *ag, const char *name)
{
	for (size_t i = 0; i < ag->n_insts; i++)
		if (strcmp(ag->insts[i]->ci->name, name) == 0)
			return ag->insts[i];
	return NULL;
}

/* "error: no instance 'x' (instances: a, b)": what the operator may have
 * meant. The name passed control_proto's checks (printable, no blank). */
static char *no_such_instance(const struct agent *ag, const char *name)
{
	char *list = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < ag->n_insts; i++)
		fprintf(f, "%s%s", i ? ", " : "", ag->insts[i]->ci->name);
	if (fclose(f) != 0) {
		free(list);
		return NULL;
	}
	char *out = control_answerf("error: no instance '%s' (instances: %s)\n", name,
			    ag->n_insts ? list : "none");
	free(list);
	return out;
}

static bool manages_server(const struct agent_instance *ai)
{
	return ai->role && ai->ci->manage_read_only;
}

/* Two Master_Down_Intervals: how long a former master waits for the one
 * that takes over before its resign lapses (vrrp/fsm.c on_admin_resign). */
static uint64_t handover_limit_ms(const struct agent_instance *ai)
{
	return 2u * (uint64_t)vrrp_fsm_master_down_interval_ms(vrrp_instance_fsm(ai->vrrp));
}

/*
 * Priority 0 now. The demotion, when there is one, is over (or there is no
 * server to manage): the VIP goes with the advert, as at a graceful stop,
 * rather than after the demotion that leaving MASTER starts again (which
 * then finds the server read-only at once and changes nothing).
 */
static void hand_over(struct agent_instance *ai)
{
	bool released = ai->role_released;
	ai->role_released = true;
	vrrp_instance_admin_resign(ai->vrrp);
	ai->role_released = released;
}

/* dbrole_switchover()'s end: the server is read-only, its ordinary
 * sessions killed (or it did not answer: the log says so). */
static void switchover_done(void *ctx)
{
	struct agent_instance *ai = ctx;
	ai->resigning = false;
	if (ai->agent->stopping)
		return; /* the stop's own switchover carries on */
	bool master = vrrp_fsm_state(vrrp_instance_fsm(ai->vrrp)) == VRRP_STATE_MASTER;
	/* A server left writable would keep the peer's gate waiting (up to
	 * promote_timeout, then read-only for good): planned maintenance must
	 * not cause that, so the master keeps the VIP and the operator fixes
	 * the cause (the demotion logged it) before resigning again. */
	if (master && dbrole_demote_refused(ai->role)) {
		log_err(ai->agent->log,
			"instance %s: resign ABANDONED: the server could not be made read-only (see above): this node keeps the VIP; fix that, then resign again",
			ai->ci->name);
		return;
	}
	log_info(ai->agent->log, "instance %s: resign: %s", ai->ci->name,
		 master ? "demotion done: priority 0, then the VIP goes"
			: "no longer MASTER meanwhile: it stays BACKUP until vigilctl resume");
	hand_over(ai);
}

/* A BACKUP (or FAULT, or not started yet) has nothing to hand over: it
 * only stops competing. */
static char *resign_not_master(struct agent_instance *ai)
{
	const char *state = vrrp_state_name(vrrp_fsm_state(vrrp_instance_fsm(ai->vrrp)));
	vrrp_instance_admin_resign(ai->vrrp);
	log_info(ai->agent->log,
		 "instance %s: resigned (vigilctl) while %s: it will not become MASTER until vigilctl resume",
		 ai->ci->name, state);
	return control_answerf("instance %s resigned: %s; it will not take the VIP until `vigilctl resume %s`\n",
		       ai->ci->name, state, ai->ci->name);
}

/*
 * Without manage_read_only nothing tells this master whether a backup
 * exists: VRRP backups are silent. Refusing would make resign useless;
 * accepting blindly could leave the VIP unserved. So it hands over at once
 * and says what it cannot know; if no other master speaks within two
 * Master_Down_Intervals the state machine lets the resign lapse and takes
 * the VIP back.
 */
static char *resign_plain_master(struct agent_instance *ai)
{
	uint64_t limit = handover_limit_ms(ai);
	log_info(ai->agent->log,
		 "instance %s: resign (vigilctl): priority 0 and the VIP released; it stays BACKUP until vigilctl resume (the resign lapses if no other master is heard within %" PRIu64 " ms)",
		 ai->ci->name, limit);
	hand_over(ai);
	return control_answerf("instance %s resigned: priority 0 sent, the VIP released; it stays BACKUP until `vigilctl resume %s`.\n"
		       "vigil cannot see backups (they are silent in VRRP): the VIP moves only if a backup is running and may take it. "
		       "If no other master is heard within %" PRIu64 " ms, nobody took over: the resign lapses and this node takes the VIP back.\n",
		       ai->ci->name, ai->ci->name, limit);
}

/*
 * With manage_read_only: only when a database peer is a replica of this
 * server, connected and caught up (as last polled), since that peer's
 * gate then loses nothing; then the switchover order of a graceful stop.
 */
static char *resign_managed_master(struct agent_instance *ai)
{
	char who[WHO_MAX];
	if (!dbrole_handover_peer(ai->role, who, sizeof(who))) {
		log_warn(ai->agent->log,
			 "instance %s: resign (vigilctl) refused: no database peer can take over the writes (%s)",
			 ai->ci->name, who);
		return control_answerf("error: instance %s: no database peer can take over its writes, nothing changed: %s\n",
			       ai->ci->name, who);
	}
	uint64_t limit = handover_limit_ms(ai);
	log_info(ai->agent->log,
		 "instance %s: resign (vigilctl): the peer %s can take over; making the server read-only first, then priority 0",
		 ai->ci->name, who);
	ai->resigning = true;
	dbrole_switchover(ai->role, "resign: switchover", switchover_done, ai);
	return control_answerf("instance %s resigning: the server is made read-only and its sessions ended, then priority 0 and the VIP goes; "
		       "the peer %s takes over through its promotion gate. It stays BACKUP until `vigilctl resume %s`.\n"
		       "If no other master is heard within %" PRIu64 " ms (the peer's vigild not running), the resign lapses and this node takes the VIP back.\n"
		       "This server is then behind the new master's epoch: make it a replica of the new master before resuming (docs/data-safety.md, section 7).\n",
		       ai->ci->name, who, ai->ci->name, limit);
}

char *agent_resign(struct agent *ag, const char *name)
{
	struct agent_instance *ai = find_instance(ag, name);
	if (!ai)
		return no_such_instance(ag, name);
	if (ag->stopping)
		return control_answerf("error: vigild is stopping: nothing changed\n");
	const struct vrrp_fsm *fsm = vrrp_instance_fsm(ai->vrrp);
	if (ai->resigning)
		return control_answerf("instance %s is resigning already (its server is being made read-only)\n", name);
	if (vrrp_fsm_resigned(fsm)) {
		uint64_t since = monotime_ms() - vrrp_fsm_resigned_ms(fsm);
		return control_answerf("instance %s is resigned already (for %" PRIu64 ".%" PRIu64 " s): it stays BACKUP until `vigilctl resume %s`\n",
			       name, since / 1000, since % 1000 / 100, name);
	}
	if (vrrp_fsm_state(fsm) != VRRP_STATE_MASTER)
		return resign_not_master(ai);
	/* Two masters met: the contest decides who keeps the VIP; a handover
	 * in the middle of it would only muddle the verdict. */
	if (vrrp_fsm_contest_pending(fsm) || vrrp_fsm_quiet(fsm))
		return control_answerf("error: instance %s: a contest of two masters is being decided: nothing changed; try again in a moment\n",
			       name);
	return manages_server(ai) ? resign_managed_master(ai) : resign_plain_master(ai);
}

/* The eligibility verdict, for the answer: resuming does not by itself
 * make a stale server eligible. */
static void eligibility_text(const struct agent_instance *ai, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!manages_server(ai))
		return;
	if (dbrole_is_eligible(ai->role))
		snprintf(buf, len, "; eligible (%s)", dbrole_eligibility_reason(ai->role));
	else
		snprintf(buf, len, "; NOT eligible (%s): it takes the VIP only once that changes",
			 dbrole_eligibility_reason(ai->role));
}

char *agent_resume(struct agent *ag, const char *name)
{
	struct agent_instance *ai = find_instance(ag, name);
	if (!ai)
		return no_such_instance(ag, name);
	if (ag->stopping)
		return control_answerf("error: vigild is stopping: nothing changed\n");
	if (ai->resigning)
		return control_answerf("error: instance %s: its resign is being carried out (the server is being made read-only): nothing changed; try again in a moment\n",
			       name);
	const struct vrrp_fsm *fsm = vrrp_instance_fsm(ai->vrrp);
	const char *state = vrrp_state_name(vrrp_fsm_state(fsm));
	if (!vrrp_fsm_resigned(fsm))
		return control_answerf("instance %s is not resigned (%s): nothing to resume\n", name, state);
	vrrp_instance_resume(ai->vrrp);
	char elig[320];
	eligibility_text(ai, elig, sizeof(elig));
	log_info(ag->log, "instance %s: resumed (vigilctl): competes for the VIP again%s", name, elig);
	return control_answerf("instance %s resumed: %s, competing for the VIP again as from startup (preempt, priorities and the usual rules decide)%s\n",
		       name, state, elig);
}

bool agent_resigning(const struct agent *ag, size_t i)
{
	return i < ag->n_insts && ag->insts[i]->resigning;
}
