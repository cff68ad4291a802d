// SPDX-License-Identifier: GPL-2.0-or-later
// agent_vips: an instance's VIPs on its interface: added on MASTER (with the
// retry and hand-over rule for a VIP the kernel refuses), released after the
// demotion, stale ones removed at start.
#include "agent.h"
#include "agent_int.h"
#include "monotime.h"

#include <stdio.h>
#include <string.h>

#include "health.h"
#include "instance.h"
#include "vip.h"


/*
 * A VIP the kernel will not add (an address of its subnet with another
 * scope on the interface, a conflict a driver reports, netlink not
 * answering in time) while the link is up. The rule (README "A VIP that
 * cannot be added"):
 *  1. becoming MASTER, each VIP that cannot be added is logged and
 *     counted, and tried again one advert interval later; the instance
 *     stays MASTER meanwhile (no gratuitous ARP for a missing address);
 *  2. if the retry fails too, a MASTER without its VIP serves nobody: it
 *     hands over (priority 0: the best backup takes over after its
 *     Skew_Time), runs notify_alarm, and holds its priority at 1 for a
 *     hold-down of one Master_Down_Interval, doubled with each hand-over
 *     in a row, at most VIP_HOLD_MAX_MS. It still becomes MASTER when
 *     nobody else serves (no advert for a Master_Down_Interval), and
 *     tries again then; after the hold-down it competes as usual;
 *  3. once every VIP is on, hand-overs in a row count from zero again.
 * So a MASTER is without its VIP for at most one retry interval at a time.
 */
#define VIP_HOLD_MAX_MS 60000u

static void vip_add_failed(struct agent_instance *ai, const char *err);
static void vips_complete(struct agent_instance *ai);

/* Add every VIP (present ones are adopted); log each failure. Returns 0
 * or the first failure's negative errno, its text in first (len). */
static int try_add_vips(struct agent_instance *ai, char *first, size_t len)
{
	int first_err = 0;
	for (size_t i = 0; i < ai->ci->n_vips; i++) {
		char err[256] = "";
		int rc = vip_add(ai->vips, &ai->vip_addrs[i], NULL, err, sizeof(err));
		if (rc < 0) {
			log_err(ai->agent->log, "instance %s: cannot add VIP %s on %s (attempt %u): %s",
				ai->ci->name, ai->vip_text[i], ai->ci->interface, ai->vip_attempts + 1,
				agent_why(err, rc));
			if (!first_err) {
				first_err = rc;
				snprintf(first, len, "VIP %s on %s: %s", ai->vip_text[i], ai->ci->interface,
					 agent_errstr(rc));
			}
		}
	}
	return first_err;
}

int agent_add_vips(void *ctx)
{
	struct agent_instance *ai = ctx;
	char first[320] = "";
	ai->vip_attempts = 0;
	int rc = try_add_vips(ai, first, sizeof(first));
	if (rc < 0)
		vip_add_failed(ai, first);
	else
		vips_complete(ai);
	return rc;
}

int agent_release_vips(struct agent_instance *ai)
{
	char err[256] = "";
	int rc = vip_release_all(ai->vips, err, sizeof(err));
	if (rc < 0)
		log_err(ai->agent->log, "instance %s: cannot remove VIPs from %s: %s", ai->ci->name,
			ai->ci->interface, agent_why(err, rc));
	return rc;
}

/* docs/data-safety.md "3.3 Demotion order": with manage_read_only the VIP
 * goes only after the server is read-only and its ordinary sessions are
 * killed (dbrole_ops.demoted), so no client keeps writing to a server that
 * is no longer master. */
int agent_remove_vips(void *ctx)
{
	struct agent_instance *ai = ctx;
	if (ai->role && ai->ci->manage_read_only && !ai->role_released) {
		ai->vip_release_pending = true;
		return 0;
	}
	return agent_release_vips(ai);
}

/* A VIP left on the interface by a vigild that crashed must not stay on a
 * node that is not master: two hosts answering ARP for it is split brain. */
void agent_remove_stale_vips(struct agent_instance *ai)
{
	if (ai->ci->priority == VRRP_PRIO_OWNER)
		return; /* the owner becomes master at once and keeps them */
	struct vip_addr found[CONFIG_VIP_MAX];
	size_t n = 0;
	char err[256] = "";
	int rc = vip_find_present(ai->vips, ai->vip_addrs, ai->ci->n_vips, found,
				  CONFIG_VIP_MAX, &n, err, sizeof(err));
	if (rc < 0) {
		log_warn(ai->agent->log, "instance %s: cannot list addresses of %s: %s", ai->ci->name,
			 ai->ci->interface, agent_why(err, rc));
		return;
	}
	for (size_t i = 0; i < n && i < CONFIG_VIP_MAX; i++) {
		char text[INET6_ADDRSTRLEN];
		config_addr_text(found[i].family, &found[i].addr, &found[i].addr6, text, sizeof(text));
		rc = vip_del(ai->vips, &found[i], NULL, err, sizeof(err));
		if (rc < 0)
			log_err(ai->agent->log, "instance %s: stale VIP %s/%u on %s: cannot remove: %s",
				ai->ci->name, text, found[i].prefix, ai->ci->interface, agent_why(err, rc));
		else
			log_warn(ai->agent->log,
				 "instance %s: removed stale VIP %s/%u from %s (left by an earlier run; this node starts as BACKUP)",
				 ai->ci->name, text, found[i].prefix, ai->ci->interface);
	}
}

/* ---- VIPs that could not be added (the rule at the top) ------------------- */

static size_t inst_index(const struct agent_instance *ai)
{
	const struct agent *ag = ai->agent;
	for (size_t i = 0; i < ag->n_insts; i++)
		if (ag->insts[i] == ai)
			return i;
	return ag->n_insts;
}

static uint32_t advert_interval_ms(const struct agent_instance *ai)
{
	return ai->ci->advert_interval_ms ? ai->ci->advert_interval_ms : 1000u;
}

/* Every VIP is on: whatever went wrong before is over. */
static void vips_complete(struct agent_instance *ai)
{
	ev_timer_stop(ai->agent->loop, &ai->vip_retry);
	ai->vip_attempts = 0;
	ai->vip_handovers_in_row = 0;
	ai->vip_faults.missing = false;
}

static void vip_add_failed(struct agent_instance *ai, const char *err)
{
	struct agent *ag = ai->agent;
	ai->vip_faults.add_failures++;
	if (ai->vip_attempts++ == 0) {
		/* Rule 1: one retry, one advert interval on. */
		uint32_t every = advert_interval_ms(ai);
		ai->vip_missing_since_ms = monotime_ms();
		ai->vip_faults.missing = true;
		log_warn(ag->log,
			 "instance %s: MASTER without its VIP (%s): trying again in %u ms, handing over if that fails too",
			 ai->ci->name, err, every);
		ev_timer_set(&ai->vip_retry, every / 1000.0, 0.);
		ev_timer_start(ag->loop, &ai->vip_retry);
		return;
	}
	/* Rule 2: hand over and hold down. */
	uint32_t mdi = vrrp_fsm_master_down_interval_ms(vrrp_instance_fsm(ai->vrrp));
	uint64_t hold = mdi ? mdi : 1000u;
	for (unsigned k = 0; k < ai->vip_handovers_in_row && hold < VIP_HOLD_MAX_MS; k++)
		hold *= 2;
	if (hold > VIP_HOLD_MAX_MS)
		hold = VIP_HOLD_MAX_MS;
	ai->vip_handovers_in_row++;
	ai->vip_faults.handovers++;
	ai->vip_faults.missing = false;
	uint64_t missing_ms = monotime_ms() - ai->vip_missing_since_ms;
	char alarm[512];
	snprintf(alarm, sizeof(alarm),
		 "cannot add %s after %u attempts over %llu ms: handed over (priority 0); priority 1 for %llu ms (hand-over %u in a row), then it competes again",
		 err, ai->vip_attempts, (unsigned long long)missing_ms, (unsigned long long)hold,
		 ai->vip_handovers_in_row);
	log_err(ag->log, "instance %s: %s", ai->ci->name, alarm);
	agent_alarm(ai, alarm);
	ai->vip_faults.hold_until_ms = monotime_ms() + hold;
	ev_timer_stop(ag->loop, &ai->vip_hold);
	ev_timer_set(&ai->vip_hold, (double)hold / 1000.0, 0.);
	ev_timer_start(ag->loop, &ai->vip_hold);
	vrrp_instance_resign(ai->vrrp);
	vrrp_instance_set_priority(ai->vrrp, 1);
}

static void vip_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct agent_instance *ai = w->data;
	if (ai->agent->stopping || ai->state != VRRP_STATE_MASTER || !ai->vip_attempts)
		return;
	char first[320] = "";
	unsigned attempt = ai->vip_attempts + 1;
	if (try_add_vips(ai, first, sizeof(first)) < 0) {
		vip_add_failed(ai, first);
		return;
	}
	log_info(ai->agent->log, "instance %s: VIPs added on attempt %u, %llu ms after the first failure",
		 ai->ci->name, attempt,
		 (unsigned long long)(monotime_ms() - ai->vip_missing_since_ms));
	ai->vip_faults.added_on_retry++;
	vips_complete(ai);
	vrrp_instance_vips_added(ai->vrrp);
}

static void vip_hold_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct agent_instance *ai = w->data;
	struct agent *ag = ai->agent;
	ai->vip_faults.hold_until_ms = 0;
	size_t i = inst_index(ai);
	if (ag->stopping || i >= ag->n_insts)
		return;
	uint8_t prio = health_priority(ag->health, i);
	log_info(ag->log, "instance %s: VIP hold-down over: priority %u again, competing as usual",
		 ai->ci->name, prio);
	vrrp_instance_set_priority(ai->vrrp, prio);
}

void agent_vip_timers_stop(struct agent_instance *ai)
{
	if (!ai->agent || !ai->agent->loop)
		return;
	ev_timer_stop(ai->agent->loop, &ai->vip_retry);
	ev_timer_stop(ai->agent->loop, &ai->vip_hold);
}

void agent_vip_faults(const struct agent *ag, size_t i, struct agent_vip_faults *out)
{
	*out = (struct agent_vip_faults){ 0 };
	if (i < ag->n_insts)
		*out = ag->insts[i]->vip_faults;
}


void agent_vip_timers_init(struct agent_instance *ai)
{
	ev_timer_init(&ai->vip_retry, vip_retry_cb, 0., 0.);
	ai->vip_retry.data = ai;
	ev_timer_init(&ai->vip_hold, vip_hold_cb, 0., 0.);
	ai->vip_hold.data = ai;
}
