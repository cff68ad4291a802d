/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vrrp/fsm.c: the pure VRRP state machine: one step function, one set_state(). */
#include "fsm.h"

#include <errno.h>
#include <string.h>

/*
 * Sources: RFC 5798 section 6 (VRRPv3), its successor RFC 9568 (same
 * section numbers), RFC 3768 section 6 (VRRPv2), docs/design.md "Protocol
 * notes", and docs/design.md "Health takeover" for vigil's one deviation.
 * Beyond the RFC, as keepalived does: a FAULT state, preempt_delay, an
 * advert plus a gratuitous-ARP burst when a master hears a lower priority.
 */

/* ================================================================== */
/* RFC timer formulas: the one place they live                         */
/* ================================================================== */

uint32_t vrrp_fsm_calc_skew_ms(uint8_t version, uint8_t priority,
			       uint32_t master_adver_interval_ms)
{
	uint64_t inverse = 256u - (uint64_t)priority;

	if (version == 2)
		/* RFC 3768 6.1: Skew_Time = (256 - Priority) / 256 seconds,
		 * whatever the interval. In ms so it does not truncate to 0. */
		return (uint32_t)(inverse * 1000u / 256u);
	/* RFC 5798 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval)
	 * / 256. The RFC counts centiseconds; we keep the millisecond
	 * (1 s at priority 100 -> 609 ms, not 600). */
	return (uint32_t)(inverse * master_adver_interval_ms / 256u);
}

uint32_t vrrp_fsm_calc_master_down_ms(uint8_t version, uint8_t priority,
				      uint32_t master_adver_interval_ms)
{
	/* RFC 5798 6.1 / RFC 3768 6.1:
	 * Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
	 * (v2 passes its local Advertisement_Interval, which must equal the
	 * master's.) At most 3 * 255 s + 1 s: fits in 32 bits. */
	return 3u * master_adver_interval_ms +
	       vrrp_fsm_calc_skew_ms(version, priority, master_adver_interval_ms);
}

uint32_t vrrp_fsm_answer_gap_ms(uint32_t advert_interval_ms)
{
	/* docs/design.md "The answer burst": a few ms apart, so that one
	 * short congestion does not take every copy; the whole burst well
	 * inside one interval even at 10 ms. */
	uint32_t gap = advert_interval_ms / 8u;

	if (gap > VRRP_FSM_ANSWER_GAP_MS)
		gap = VRRP_FSM_ANSWER_GAP_MS;
	return gap ? gap : 1u;
}

/* ================================================================== */
/* Names                                                                */
/* ================================================================== */

const char *vrrp_state_name(enum vrrp_state state)
{
	switch (state) {
	case VRRP_STATE_INIT: return "INIT";
	case VRRP_STATE_BACKUP: return "BACKUP";
	case VRRP_STATE_MASTER: return "MASTER";
	case VRRP_STATE_FAULT: return "FAULT";
	case VRRP_STATE_COUNT: break;
	}
	return "?";
}

const char *vrrp_fsm_reason_name(enum vrrp_fsm_reason reason)
{
	switch (reason) {
	case VRRP_REASON_NONE: return "none";
	case VRRP_REASON_STARTUP_OWNER: return "startup-owner";
	case VRRP_REASON_STARTUP: return "startup";
	case VRRP_REASON_MASTER_DOWN_TIMER: return "master-down-timer";
	case VRRP_REASON_PRIORITY_ZERO: return "priority-zero-received";
	case VRRP_REASON_PREEMPT: return "preempt";
	case VRRP_REASON_HIGHER_PRIORITY: return "higher-priority-advert";
	case VRRP_REASON_TIE_BREAK_LOST: return "tie-break-lost";
	case VRRP_REASON_HEALTH_TAKEOVER: return "health-takeover";
	case VRRP_REASON_LINK_DOWN: return "link-down";
	case VRRP_REASON_LINK_UP: return "link-up";
	case VRRP_REASON_FATAL_CHECK: return "fatal-check";
	case VRRP_REASON_FATAL_CHECK_CLEARED: return "fatal-check-cleared";
	case VRRP_REASON_SHUTDOWN: return "shutdown";
	case VRRP_REASON_CONTEST_LOST: return "contest-lost";
	case VRRP_REASON_RESIGN: return "resign";
	case VRRP_REASON_RESIGN_UNANSWERED: return "resign-unanswered";
	case VRRP_REASON_RESTART: return "restart";
	case VRRP_REASON_COUNT: break;
	}
	return "?";
}

const char *vrrp_fsm_event_name(enum vrrp_fsm_event_type type)
{
	switch (type) {
	case VRRP_EV_STARTUP: return "startup";
	case VRRP_EV_SHUTDOWN: return "shutdown";
	case VRRP_EV_TIMER: return "timer";
	case VRRP_EV_ADVERT: return "advert";
	case VRRP_EV_PRIORITY: return "priority";
	case VRRP_EV_LINK_DOWN: return "link-down";
	case VRRP_EV_LINK_UP: return "link-up";
	case VRRP_EV_FAULT_SET: return "fault-set";
	case VRRP_EV_FAULT_CLEAR: return "fault-clear";
	case VRRP_EV_ELIGIBLE: return "eligible";
	case VRRP_EV_WITNESS: return "witness";
	case VRRP_EV_CONTEST: return "contest";
	case VRRP_EV_STALLED: return "stalled";
	case VRRP_EV_RESIGN: return "resign";
	case VRRP_EV_ADMIN_RESIGN: return "admin-resign";
	case VRRP_EV_RESUME: return "resume";
	case VRRP_EV_COUNT: break;
	}
	return "?";
}

const char *vrrp_fsm_action_name(enum vrrp_fsm_action_type type)
{
	switch (type) {
	case VRRP_ACT_SEND_ADVERT: return "send-advert";
	case VRRP_ACT_ADD_VIPS: return "add-vips";
	case VRRP_ACT_REMOVE_VIPS: return "remove-vips";
	case VRRP_ACT_ANNOUNCE: return "announce";
	case VRRP_ACT_STATE_CHANGED: return "state-changed";
	case VRRP_ACT_WITNESS_START: return "witness-start";
	case VRRP_ACT_WITNESS_CANCEL: return "witness-cancel";
	case VRRP_ACT_CONTEST_START: return "contest-start";
	case VRRP_ACT_REOPEN: return "reopen";
	case VRRP_ACT_COUNT: break;
	}
	return "?";
}

/* ================================================================== */
/* Configuration                                                        */
/* ================================================================== */

int vrrp_fsm_config_check(const struct vrrp_fsm_config *cfg)
{
	uint32_t iv;

	if (!cfg)
		return -EINVAL;
	iv = cfg->advert_interval_ms;
	if (cfg->vrid == 0 || cfg->base_priority == 0)
		return -EINVAL;
	if (cfg->version == 3) {
		/* RFC 5798 5.2.7: 12-bit Max Adver Int in centiseconds. */
		if (iv < 10 || iv > 40950 || iv % 10 != 0)
			return -EINVAL;
	} else if (cfg->version == 2) {
		/* RFC 3768 5.3.7: 8-bit Adver Int in whole seconds. */
		if (iv < 1000 || iv > 255000 || iv % 1000 != 0)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	return 0;
}

static bool addr_len_ok(size_t len)
{
	return len == 0 || len == 4 || len == 16;
}

int vrrp_fsm_init(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *cfg,
		  const struct vrrp_fsm_addr *self)
{
	if (!fsm || vrrp_fsm_config_check(cfg) != 0)
		return -EINVAL;
	if (self && !addr_len_ok(self->len))
		return -EINVAL;
	memset(fsm, 0, sizeof(*fsm));
	fsm->cfg = *cfg;
	if (self)
		fsm->self = *self;
	fsm->state = VRRP_STATE_INIT;
	fsm->priority = cfg->base_priority;
	fsm->master_adver_ms = cfg->advert_interval_ms;
	fsm->mdt_cause = VRRP_REASON_MASTER_DOWN_TIMER;
	fsm->last_reason = VRRP_REASON_NONE;
	/* With data safety a node is ineligible until its owner has looked
	 * at the database: a node that just started must not promote. */
	fsm->eligible = !cfg->eligibility;
	return 0;
}

int vrrp_fsm_update_config(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *cfg)
{
	if (!fsm || vrrp_fsm_config_check(cfg) != 0)
		return -EINVAL;
	const struct vrrp_fsm_config *old = &fsm->cfg;
	/* What defines the virtual router, or what the state machine set up
	 * around it, cannot change under a running instance. */
	if (cfg->version != old->version || cfg->vrid != old->vrid ||
	    (cfg->base_priority == VRRP_PRIO_OWNER) != (old->base_priority == VRRP_PRIO_OWNER) ||
	    cfg->eligibility != old->eligibility || cfg->contest != old->contest ||
	    (cfg->witness_lead_ms > 0) != (old->witness_lead_ms > 0) ||
	    cfg->corroborate_all != old->corroborate_all)
		return -EINVAL;
	/* The rest is read where it is used: a new advert interval shows
	 * from the next advert, a new preempt rule at the next advert heard. */
	fsm->cfg = *cfg;
	/* VRRPv2 adverts carry no usable interval (both ends must agree):
	 * the master is timed with ours, so it follows the new one. */
	if (cfg->version == 2)
		fsm->master_adver_ms = cfg->advert_interval_ms;
	return 0;
}

int vrrp_fsm_set_self(struct vrrp_fsm *fsm, const uint8_t *bytes, size_t len)
{
	if (!addr_len_ok(len) || (len && !bytes))
		return -EINVAL;
	memset(&fsm->self, 0, sizeof(fsm->self));
	fsm->self.len = (uint8_t)len;
	if (len)
		memcpy(fsm->self.bytes, bytes, len);
	return 0;
}

/* ================================================================== */
/* Small helpers                                                        */
/* ================================================================== */

static bool is_owner(const struct vrrp_fsm *fsm)
{
	return fsm->cfg.base_priority == VRRP_PRIO_OWNER;
}

static uint32_t skew_ms(const struct vrrp_fsm *fsm)
{
	return vrrp_fsm_calc_skew_ms(fsm->cfg.version, fsm->priority,
				     fsm->master_adver_ms);
}

static uint32_t master_down_ms(const struct vrrp_fsm *fsm)
{
	return vrrp_fsm_calc_master_down_ms(fsm->cfg.version, fsm->priority,
					    fsm->master_adver_ms);
}

/* v3 learns the master's interval (RFC 5798 6.4.2, RFC 9568 6.4.2 also
 * recomputes Skew_Time, which skew_ms() does on every use). v2 keeps the
 * local one: RFC 3768 7.1 drops adverts whose interval differs. */
static void learn_interval(struct vrrp_fsm *fsm, uint32_t interval_ms)
{
	if (fsm->cfg.version == 3 && interval_ms > 0)
		fsm->master_adver_ms = interval_ms;
}

static void push(struct vrrp_fsm_actions *out, const struct vrrp_fsm_action *a)
{
	/* VRRP_FSM_MAX_ACTIONS is twice the largest step; never reached. */
	if (out->count < VRRP_FSM_MAX_ACTIONS)
		out->list[out->count++] = *a;
}

static void push_simple(struct vrrp_fsm_actions *out, enum vrrp_fsm_action_type type)
{
	struct vrrp_fsm_action a = { .type = type };

	push(out, &a);
}

static void push_advert(struct vrrp_fsm_actions *out, uint8_t priority)
{
	struct vrrp_fsm_action a = { .type = VRRP_ACT_SEND_ADVERT,
				     .advert_priority = priority };

	push(out, &a);
}

static void arm(struct vrrp_fsm *fsm, uint64_t deadline_ms)
{
	fsm->deadline_ms = deadline_ms;
	fsm->timer_armed = true;
}

/* Move the timer earlier, never later. */
static void arm_no_later(struct vrrp_fsm *fsm, uint64_t deadline_ms)
{
	if (!fsm->timer_armed || deadline_ms < fsm->deadline_ms)
		arm(fsm, deadline_ms);
}

static void disarm(struct vrrp_fsm *fsm)
{
	fsm->timer_armed = false;
	fsm->deadline_ms = 0;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The Master_Down_Timer runs because nobody spoke: no master heard at
 * all, or none after this node handed the VIP over (a resign that
 * lapsed). */
static bool on_silence(const struct vrrp_fsm *fsm)
{
	return fsm->mdt_cause == VRRP_REASON_MASTER_DOWN_TIMER ||
	       fsm->mdt_cause == VRRP_REASON_RESIGN_UNANSWERED;
}

/* docs/data-safety.md "3.7 Witness": only a takeover on silence (nobody
 * said anything: no priority-0 advert, no lower priority heard) is
 * corroborated; every other cause is a master that spoke. With quorum
 * (docs/quorum.md) every takeover is: the new master holds the key before
 * it takes the VIP (the owner asks etcd; a master that spoke gives the
 * key up first, by priority 0 or by handing it to a higher candidate). */
static bool witness_applies(const struct vrrp_fsm *fsm)
{
	return fsm->cfg.witness_lead_ms > 0 && (on_silence(fsm) || fsm->cfg.corroborate_all);
}

/* Forget a probe; if one is running, tell the owner its answer is not
 * wanted any more (an advert arrived, or we left BACKUP). */
static void witness_reset(struct vrrp_fsm *fsm, struct vrrp_fsm_actions *out)
{
	if (fsm->witness == VRRP_WITNESS_PENDING)
		push_simple(out, VRRP_ACT_WITNESS_CANCEL);
	fsm->witness = VRRP_WITNESS_IDLE;
	fsm->witness_waited = false;
}

static void witness_start(struct vrrp_fsm *fsm, uint64_t now_ms,
			  struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_action a = { .type = VRRP_ACT_WITNESS_START };

	fsm->witness = VRRP_WITNESS_PENDING;
	fsm->witness_started_ms = now_ms;
	a.witness_seq = ++fsm->witness_seq;
	a.witness_cause = fsm->mdt_cause;
	fsm->counters.witness_probes++;
	push(out, &a);
}

/* Keep lower-priority masters acceptable until @until_ms (never shortens). */
static void hold_preempt_until(struct vrrp_fsm *fsm, uint64_t until_ms)
{
	fsm->no_preempt_until_ms = max_u64(fsm->no_preempt_until_ms, until_ms);
}

/* RFC 9568 6.4.3: compare primary addresses "as unsigned integers in
 * network byte order". Returns >0 if @a is greater than @b. An address of
 * another family (length) compares by length; an unknown one (len 0) is
 * the smallest, so a node that does not know its address yields. */
static int addr_cmp(const struct vrrp_fsm_addr *a, const struct vrrp_fsm_addr *b)
{
	if (a->len != b->len)
		return a->len > b->len ? 1 : -1;
	return memcmp(a->bytes, b->bytes, a->len);
}

static bool is_self(const struct vrrp_fsm *fsm, const struct vrrp_fsm_addr *src)
{
	return fsm->self.len != 0 && addr_cmp(&fsm->self, src) == 0;
}

static enum vrrp_fsm_reason fault_reason(unsigned faults)
{
	return (faults & VRRP_FAULT_LINK) ? VRRP_REASON_LINK_DOWN
					  : VRRP_REASON_FATAL_CHECK;
}

/* ================================================================== */
/* set_state: every transition goes through here                       */
/* ================================================================== */

/*
 * Carry out the exit actions of the old state and the entry actions of the
 * new one, record why, count it, and append STATE_CHANGED last so that the
 * caller runs notify after the VIPs changed. Callers set what the entry
 * depends on first (e.g. a learned Master_Adver_Interval before BACKUP).
 */
static void set_state(struct vrrp_fsm *fsm, enum vrrp_state to,
		      enum vrrp_fsm_reason reason, uint64_t now_ms,
		      struct vrrp_fsm_actions *out)
{
	enum vrrp_state from = fsm->state;
	struct vrrp_fsm_action change = { .type = VRRP_ACT_STATE_CHANGED };

	if (to == from)
		return;

	/*
	 * Data safety: the way into MASTER is held back in backup_expire()
	 * (eligibility, witness), before set_state() is called; the promotion
	 * gate itself (relay log applied, epoch written, read_only off) is
	 * the owner's, after the VIP is up, so reads keep working meanwhile.
	 */

	/* Exit actions. */
	if (from == VRRP_STATE_BACKUP)
		witness_reset(fsm, out);
	if (from == VRRP_STATE_MASTER) {
		/* RFC 5798 6.4.3: on shutdown send an advert with priority 0
		 * so the backups take over after Skew_Time; keepalived does the
		 * same on entering FAULT. Pre-empted (-> BACKUP): no advert. A
		 * quiet (frozen, undecided) master sends nothing at all. */
		if (to != VRRP_STATE_BACKUP && !fsm->quiet)
			push_advert(out, 0);
		push_simple(out, VRRP_ACT_REMOVE_VIPS);
		fsm->contest_pending = false;
		fsm->quiet = false;
	}
	disarm(fsm);
	fsm->takeover_blocked = false;
	fsm->answer_left = 0;  /* an answer burst ends with the state it began in */

	/* Entry actions. */
	switch (to) {
	case VRRP_STATE_MASTER:
		/* RFC 5798 6.4.1 / 6.4.2: send an advert, broadcast
		 * gratuitous ARP (here: add the VIPs, then announce them), arm
		 * Adver_Timer with our Advertisement_Interval. */
		push_advert(out, fsm->priority);
		push_simple(out, VRRP_ACT_ADD_VIPS);
		push_simple(out, VRRP_ACT_ANNOUNCE);
		arm(fsm, now_ms + fsm->cfg.advert_interval_ms);
		fsm->master.known = false;  /* we are the master now */
		break;
	case VRRP_STATE_BACKUP:
		/* RFC 5798 6.4.1 / 6.4.3: Master_Down_Timer =
		 * Master_Down_Interval. */
		arm(fsm, now_ms + master_down_ms(fsm));
		fsm->mdt_cause = VRRP_REASON_MASTER_DOWN_TIMER;
		break;
	case VRRP_STATE_INIT:
	case VRRP_STATE_FAULT:
	case VRRP_STATE_COUNT:
		break;  /* no timers: nothing to send, nothing to wait for */
	}

	fsm->state = to;
	fsm->last_reason = reason;
	fsm->last_change_ms = now_ms;
	fsm->counters.transitions++;
	if ((unsigned)reason < VRRP_REASON_COUNT)
		fsm->counters.by_reason[reason]++;

	change.change.from = from;
	change.change.to = to;
	change.change.reason = reason;
	change.change.priority = fsm->priority;
	push(out, &change);
}

/* RFC 5798 6.4.1 Initialize, also used when the last fault clears. */
static void initialize(struct vrrp_fsm *fsm, enum vrrp_fsm_reason owner_reason,
		       enum vrrp_fsm_reason reason, uint64_t now_ms,
		       struct vrrp_fsm_actions *out)
{
	/* keepalived's preempt_delay: no preemption this long after start
	 * (or after leaving FAULT), so a node whose database just came up
	 * does not grab the VIP before it has heard the group. */
	if (fsm->cfg.preempt_delay_ms)
		hold_preempt_until(fsm, now_ms + fsm->cfg.preempt_delay_ms);

	/* An owner takes the VIP at once, unless the operator resigned it. */
	if (is_owner(fsm) && fsm->eligible && !fsm->resigned) {
		set_state(fsm, VRRP_STATE_MASTER, owner_reason, now_ms, out);
		return;
	}
	/* RFC 5798 6.4.1: Master_Adver_Interval = Advertisement_Interval. */
	fsm->master_adver_ms = fsm->cfg.advert_interval_ms;
	set_state(fsm, VRRP_STATE_BACKUP, reason, now_ms, out);
}

/* ================================================================== */
/* Backup                                                               */
/* ================================================================== */

enum lower_verdict {
	LOWER_ACCEPT,    /* treat as an acceptable master: reset the timer */
	LOWER_DISCARD,   /* RFC 5798 6.4.2 preempt: ignore, let the timer run out */
	LOWER_TAKEOVER,  /* health takeover: Master_Down_Timer = Skew_Time */
};

/* What a BACKUP does with a master advertising @master_prio, below ours. */
static enum lower_verdict judge_lower(const struct vrrp_fsm *fsm,
				      uint8_t master_prio, uint64_t now_ms)
{
	const struct vrrp_fsm_config *cfg = &fsm->cfg;

	/* Resigned by the operator: any master is welcome, none is taken
	 * over (no takeover timer armed only to be held back). */
	if (fsm->resigned)
		return LOWER_ACCEPT;
	/* preempt_delay window, and the hold-down after losing MASTER
	 * (docs/design.md "Health takeover", point 3): accept the master. */
	if (now_ms < fsm->no_preempt_until_ms)
		return LOWER_ACCEPT;
	/* RFC 5798 6.4.2: with Preempt_Mode false, any master is accepted;
	 * with it true, a lower advert is discarded. */
	if (!cfg->health_takeover)
		return cfg->preempt ? LOWER_DISCARD : LOWER_ACCEPT;
	/* docs/design.md "Health takeover" (deviation from RFC 5798 6.4.2): the
	 * backup knows it is healthier; with preempt on it takes over after
	 * Skew_Time; with preempt off only from a master below resign_below
	 * while it is not below it itself. */
	if (cfg->preempt)
		return LOWER_TAKEOVER;
	if (cfg->resign_below && master_prio < cfg->resign_below &&
	    fsm->priority >= cfg->resign_below)
		return LOWER_TAKEOVER;
	return LOWER_ACCEPT;
}

static void backup_accept(struct vrrp_fsm *fsm, uint32_t interval_ms,
			  uint64_t now_ms, struct vrrp_fsm_actions *out)
{
	/* RFC 5798 6.4.2: set Master_Adver_Interval to the advert's
	 * interval, recompute Skew_Time and Master_Down_Interval, reset the
	 * Master_Down_Timer to Master_Down_Interval. This also cancels a
	 * pending health takeover: the master recovered, or a better backup
	 * already took over. */
	learn_interval(fsm, interval_ms);
	if (fsm->mdt_cause == VRRP_REASON_HEALTH_TAKEOVER)
		fsm->counters.takeovers_cancelled++;
	arm(fsm, now_ms + master_down_ms(fsm));
	fsm->mdt_cause = VRRP_REASON_MASTER_DOWN_TIMER;
	fsm->takeover_blocked = false;
	witness_reset(fsm, out);  /* the master spoke: nothing to corroborate */
}

static void backup_arm_takeover(struct vrrp_fsm *fsm, uint64_t now_ms)
{
	/* docs/design.md "Health takeover": Master_Down_Timer = Skew_Time,
	 * never later than it already is. Skew_Time is shorter the healthier
	 * we are, so among several backups the best fires first; its adverts
	 * then reset the others' timers. */
	arm_no_later(fsm, now_ms + skew_ms(fsm));
	if (fsm->mdt_cause != VRRP_REASON_HEALTH_TAKEOVER)
		fsm->counters.takeovers_armed++;
	fsm->mdt_cause = VRRP_REASON_HEALTH_TAKEOVER;
}

static void backup_rx(struct vrrp_fsm *fsm, const struct vrrp_fsm_advert *adv,
		      uint64_t now_ms, struct vrrp_fsm_actions *out)
{
	enum lower_verdict verdict;

	/* Any advert is a master speaking: a probe of the silence is moot. */
	witness_reset(fsm, out);
	/* After a resign: another master speaks, so someone took over. */
	if (adv->priority > 0)
		fsm->handover_until_ms = 0;
	if (adv->priority == 0) {
		/* RFC 5798 6.4.2: the master is leaving: set the
		 * Master_Down_Timer to Skew_Time (no later than it is already
		 * set: a sooner expiry would only be delayed). */
		arm_no_later(fsm, now_ms + skew_ms(fsm));
		fsm->mdt_cause = VRRP_REASON_PRIORITY_ZERO;
		return;
	}
	verdict = adv->priority >= fsm->priority
			  ? LOWER_ACCEPT
			  : judge_lower(fsm, adv->priority, now_ms);
	switch (verdict) {
	case LOWER_ACCEPT:
		backup_accept(fsm, adv->interval_ms, now_ms, out);
		break;
	case LOWER_DISCARD:
		/* RFC 5798 6.4.2: discard; when the running timer runs out we
		 * preempt, and say so. */
		if (fsm->mdt_cause == VRRP_REASON_MASTER_DOWN_TIMER)
			fsm->mdt_cause = VRRP_REASON_PREEMPT;
		break;
	case LOWER_TAKEOVER:
		backup_arm_takeover(fsm, now_ms);
		break;
	}
}

/*
 * Our effective priority changed while BACKUP. Skew_Time and
 * Master_Down_Interval are recomputed from it when next armed; the running
 * timer is kept, except for a health takeover, whose condition is judged
 * again against the master as last heard: it starts if it now holds (a
 * recovered backup need not wait for the next advert) and is called off if
 * it no longer does (we degraded too), falling back to the ordinary
 * Master_Down_Timer from that last advert.
 */
static void backup_priority_changed(struct vrrp_fsm *fsm, uint64_t now_ms,
				    struct vrrp_fsm_actions *out)
{
	const struct vrrp_fsm_peer *m = &fsm->master;
	uint64_t deadline;

	if (!fsm->cfg.health_takeover || !m->known ||
	    m->heard_ms < fsm->last_change_ms || m->priority == 0)
		return;
	/* A health takeover answers a master that speaks at a lower
	 * priority. One silent for two intervals no longer speaks: its fate
	 * is the Master_Down_Timer's (and the witness's), not ours to cut
	 * short because our own priority rose. */
	if (m->priority < fsm->priority &&
	    now_ms - m->heard_ms <= 2u * (uint64_t)fsm->master_adver_ms &&
	    judge_lower(fsm, m->priority, now_ms) == LOWER_TAKEOVER) {
		witness_reset(fsm, out);
		backup_arm_takeover(fsm, now_ms);
		return;
	}
	if (fsm->mdt_cause != VRRP_REASON_HEALTH_TAKEOVER)
		return;
	deadline = max_u64(now_ms, m->heard_ms + master_down_ms(fsm));
	arm(fsm, deadline);
	fsm->mdt_cause = VRRP_REASON_MASTER_DOWN_TIMER;
	fsm->counters.takeovers_cancelled++;
}

/*
 * The Master_Down_Timer ran out (whatever armed it: silence, priority 0,
 * preempt, health takeover). Plain VRRP becomes MASTER here; with data
 * safety (docs/data-safety.md) two things may hold it back first:
 *   - eligibility: an ineligible node never enters MASTER, by any path;
 *     it stays BACKUP, and takes over as soon as it is told it is
 *     eligible if no master was heard meanwhile;
 *   - the witness: a takeover on silence is corroborated by a probe of
 *     the VIP started witness_lead_ms earlier; if the VIP is served by a
 *     live writable server (a VRRP-only partition, a dead agent beside a
 *     healthy database) we stay BACKUP and try again one
 *     Master_Down_Interval later.
 */
/*
 * The operator's resign of a MASTER (on_admin_resign) that nobody took
 * over: no other master spoke within the handover limit, so the VIP is
 * served by no one (no backup runs, or none may take it). Staying out
 * would turn planned maintenance into an outage: the resign lapses and
 * the silence counts as any other (the witness corroborates it).
 */
static void resign_lapses(struct vrrp_fsm *fsm, uint64_t now_ms)
{
	if (!fsm->resigned || !fsm->handover_until_ms || now_ms < fsm->handover_until_ms)
		return;
	fsm->resigned = false;
	fsm->resigned_ms = 0;
	fsm->handover_until_ms = 0;
	fsm->counters.resigns_unanswered++;
	fsm->takeover_blocked = false;
	fsm->mdt_cause = VRRP_REASON_RESIGN_UNANSWERED;
}

/* When a held-back takeover is looked at again: the end of a resign
 * hold-down, else one Master_Down_Interval on (eligibility news arrives
 * as an event); never after the limit of a pending handover. */
static uint64_t blocked_recheck_ms(const struct vrrp_fsm *fsm, uint64_t now_ms)
{
	uint64_t at = now_ms < fsm->no_master_until_ms ? fsm->no_master_until_ms
						       : now_ms + master_down_ms(fsm);

	if (fsm->resigned && fsm->handover_until_ms && fsm->handover_until_ms < at)
		at = fsm->handover_until_ms;
	return at;
}

static void backup_expire(struct vrrp_fsm *fsm, uint64_t now_ms,
			  struct vrrp_fsm_actions *out)
{
	resign_lapses(fsm, now_ms);
	if (!fsm->eligible || now_ms < fsm->no_master_until_ms || fsm->resigned) {
		witness_reset(fsm, out);
		if (!fsm->takeover_blocked)
			fsm->counters.ineligible_blocks++;
		fsm->takeover_blocked = true;
		arm(fsm, blocked_recheck_ms(fsm, now_ms));
		return;
	}
	if (witness_applies(fsm)) {
		switch (fsm->witness) {
		case VRRP_WITNESS_IDLE:
			/* Woken late (or the lead exceeds the interval): probe
			 * now, decide when it answers or is overdue. */
			witness_start(fsm, now_ms, out);
			arm(fsm, now_ms + 2u * fsm->cfg.witness_lead_ms);
			fsm->witness_waited = true;
			return;
		case VRRP_WITNESS_PENDING:
			if (now_ms < fsm->witness_started_ms + 2u * fsm->cfg.witness_lead_ms) {
				/* The timer ran out: the answer decides as soon
				 * as it comes (on_witness), this is the limit. */
				arm(fsm, fsm->witness_started_ms + 2u * fsm->cfg.witness_lead_ms);
				fsm->witness_waited = true;
				return;
			}
			/* The owner promised an answer within the lead; none
			 * came: do what plain VRRP does. */
			fsm->counters.witness_overdue++;
			witness_reset(fsm, out);
			break;
		case VRRP_WITNESS_SERVED:
			fsm->witness = VRRP_WITNESS_IDLE;
			fsm->witness_waited = false;
			fsm->counters.witness_vetoes++;
			arm(fsm, now_ms + master_down_ms(fsm));
			return;
		case VRRP_WITNESS_NOT_SERVED:
			fsm->witness = VRRP_WITNESS_IDLE;
			fsm->witness_waited = false;
			break;
		}
	}
	set_state(fsm, VRRP_STATE_MASTER, fsm->mdt_cause, now_ms, out);
}

/* ================================================================== */
/* Master                                                               */
/* ================================================================== */

static void record_master(struct vrrp_fsm *fsm, const struct vrrp_fsm_advert *adv,
			  uint64_t now_ms)
{
	fsm->master.known = true;
	fsm->master.priority = adv->priority;
	fsm->master.interval_ms = adv->interval_ms;
	fsm->master.addr = adv->src;
	fsm->master.heard_ms = now_ms;
}

static void master_send_advert(struct vrrp_fsm *fsm, uint64_t now_ms,
			       struct vrrp_fsm_actions *out)
{
	if (!fsm->quiet)
		push_advert(out, fsm->priority);
	arm(fsm, now_ms + fsm->cfg.advert_interval_ms);
}

/*
 * RFC 5798 6.4.3: the Adver_Timer fired: send an advert, reset the timer.
 * The next one is due one Advertisement_Interval after this one was due,
 * not after the wakeup: re-armed from a late wakeup, every delay would
 * stretch the cadence for good, while a backup's Master_Down_Interval
 * allows three intervals plus Skew_Time, and Skew_Time is 0 ms for a
 * backup at priority 254 and 100 ms adverts (docs/design.md "Advert
 * cadence"). Woken more than half an interval late, it starts again from
 * now, so a late wakeup never sends two adverts in a row.
 */
static void master_periodic(struct vrrp_fsm *fsm, uint64_t now_ms,
			    struct vrrp_fsm_actions *out)
{
	uint32_t iv = fsm->cfg.advert_interval_ms;
	uint64_t next = fsm->deadline_ms + iv;

	if (!fsm->quiet)
		push_advert(out, fsm->priority);
	if (next < now_ms + iv / 2u)
		next = now_ms + iv;
	arm(fsm, next);
}

/*
 * docs/design.md "The answer burst": a MASTER that hears a lower priority
 * answers at once, with VRRP_FSM_ANSWER_BURST adverts a few ms apart, and
 * announces its VIPs again. One answer lost to the loss that made the
 * other node take over would leave the VIP on two hosts until our next
 * advert gets through; of a burst of three, at 50% random loss, all are
 * lost one time in eight. The Adver_Timer keeps its schedule: the burst
 * comes on top, so the periodic advert stays another chance. At most one
 * burst per half Advertisement_Interval: two masters that each hear the
 * other as lower (a misconfiguration) must not answer each other's
 * answers at wire speed.
 */
static void master_answer(struct vrrp_fsm *fsm, uint64_t now_ms,
			  struct vrrp_fsm_actions *out)
{
	uint32_t iv = fsm->cfg.advert_interval_ms;

	if (now_ms < fsm->answer_quiet_until_ms) {
		fsm->counters.answers_limited++;
		return;
	}
	fsm->counters.answers++;
	fsm->answer_quiet_until_ms = now_ms + (iv / 2u ? iv / 2u : 1u);
	if (!fsm->quiet)
		push_advert(out, fsm->priority);
	fsm->answer_left = VRRP_FSM_ANSWER_BURST - 1;
	fsm->answer_next_ms = now_ms + vrrp_fsm_answer_gap_ms(iv);
	push_simple(out, VRRP_ACT_ANNOUNCE);
}

/* The rest of an answer burst: one advert per wakeup that is due. */
static void master_answer_more(struct vrrp_fsm *fsm, uint64_t now_ms,
			       struct vrrp_fsm_actions *out)
{
	if (!fsm->answer_left || now_ms < fsm->answer_next_ms)
		return;
	if (!fsm->quiet)
		push_advert(out, fsm->priority);
	fsm->answer_left--;
	fsm->answer_next_ms = now_ms + vrrp_fsm_answer_gap_ms(fsm->cfg.advert_interval_ms);
}

/*
 * docs/data-safety.md "3.8 Two masters: the contest": with contest on, a MASTER
 * that hears another master (or finds it was frozen) neither yields nor
 * announces by priority alone; the owner first makes its server
 * read-only, then compares the two servers' epochs and answers with
 * VRRP_EV_CONTEST. A later advert only updates who the other one is.
 */
static void contest_begin(struct vrrp_fsm *fsm, const struct vrrp_fsm_advert *peer,
			  struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_action a = { .type = VRRP_ACT_CONTEST_START };
	bool was = fsm->contest_pending;

	if (peer)
		fsm->contest_peer = *peer;
	else if (!was)
		memset(&fsm->contest_peer, 0, sizeof(fsm->contest_peer));
	if (was)
		return;
	fsm->answer_left = 0;  /* from now on the contest decides what we send */
	fsm->contest_pending = true;
	fsm->counters.contests++;
	a.peer = fsm->contest_peer;
	push(out, &a);
}

/* The other master wins at equal epochs if it has the higher priority, or
 * the same one and the greater address (RFC 9568 6.4.3's tie-break). */
static bool contest_won(const struct vrrp_fsm *fsm, int epoch_cmp)
{
	const struct vrrp_fsm_advert *p = &fsm->contest_peer;

	if (epoch_cmp != 0)
		return epoch_cmp > 0;
	if (p->priority == 0)
		return true;  /* nobody contested: we were only frozen */
	if (p->priority != fsm->priority)
		return fsm->priority > p->priority;
	return addr_cmp(&fsm->self, &p->src) > 0;
}

static void on_contest(struct vrrp_fsm *fsm, int epoch_cmp, uint64_t now_ms,
		       struct vrrp_fsm_actions *out)
{
	struct vrrp_fsm_advert peer = fsm->contest_peer;

	if (fsm->state != VRRP_STATE_MASTER || !fsm->contest_pending)
		return;
	fsm->contest_pending = false;
	fsm->quiet = false;
	if (contest_won(fsm, epoch_cmp)) {
		/* The loser may still advertise until its own verdict: that
		 * is the same contest, not a new one. */
		fsm->contest_grace_until_ms = now_ms + master_down_ms(fsm);
		fsm->contest_grace_addr = peer.src;
		/* Tell the other side now, make switches relearn our MAC. */
		master_send_advert(fsm, now_ms, out);
		push_simple(out, VRRP_ACT_ANNOUNCE);
		push_simple(out, VRRP_ACT_REOPEN);
		return;
	}
	fsm->counters.contests_lost++;
	learn_interval(fsm, peer.interval_ms);
	set_state(fsm, VRRP_STATE_BACKUP, VRRP_REASON_CONTEST_LOST, now_ms, out);
	/* Do not take it straight back (fsm.h: no_master_until_ms). */
	fsm->no_master_until_ms = max_u64(fsm->no_master_until_ms, now_ms + master_down_ms(fsm));
	if (peer.priority)
		record_master(fsm, &peer, now_ms);
	/* Stay out until the owner finds us eligible again (a lost contest
	 * means the other server has data we lack). */
	if (fsm->cfg.eligibility)
		fsm->eligible = false;
}

static void master_rx(struct vrrp_fsm *fsm, const struct vrrp_fsm_advert *adv,
		      uint64_t now_ms, struct vrrp_fsm_actions *out)
{
	enum vrrp_fsm_reason reason;

	if (adv->priority == 0) {
		/* RFC 5798 6.4.3: send an advert at once, reset Adver_Timer. */
		master_send_advert(fsm, now_ms, out);
		return;
	}
	if (fsm->cfg.contest) {
		/* Another master: decided by the owner's contest, never by
		 * priority alone; meanwhile no ARP, and adverts only to a
		 * lower one (as below), so that it hears us. The loser of
		 * the contest just won may still speak for a moment. */
		if (!fsm->contest_pending && now_ms < fsm->contest_grace_until_ms &&
		    fsm->contest_grace_addr.len && addr_cmp(&adv->src, &fsm->contest_grace_addr) == 0)
			return;  /* no answer either: two answering masters would ping-pong */
		contest_begin(fsm, adv, out);
		if (adv->priority < fsm->priority)
			master_send_advert(fsm, now_ms, out);
		return;
	}
	if (adv->priority > fsm->priority)
		reason = VRRP_REASON_HIGHER_PRIORITY;
	else if (adv->priority == fsm->priority &&
		 addr_cmp(&adv->src, &fsm->self) > 0)
		reason = VRRP_REASON_TIE_BREAK_LOST;  /* RFC 9568 6.4.3 */
	else
		reason = VRRP_REASON_NONE;

	if (reason != VRRP_REASON_NONE) {
		/* RFC 5798 / 9568 6.4.3: cancel Adver_Timer, learn the
		 * interval, Master_Down_Timer = Master_Down_Interval, BACKUP;
		 * stop answering for the VIPs. No advert. */
		learn_interval(fsm, adv->interval_ms);
		set_state(fsm, VRRP_STATE_BACKUP, reason, now_ms, out);
		record_master(fsm, adv, now_ms);
		/* docs/design.md "Health takeover", hold-down: after losing the
		 * VIP to a higher priority, do not preempt it back within
		 * max(preempt_delay, Master_Down_Interval). */
		if (fsm->cfg.health_takeover &&
		    reason == VRRP_REASON_HIGHER_PRIORITY)
			hold_preempt_until(fsm, now_ms +
				max_u64(fsm->cfg.preempt_delay_ms,
					master_down_ms(fsm)));
		return;
	}
	/*
	 * Lower priority (or equal from a smaller address): RFC 5798 6.4.3
	 * says discard; RFC 9568 6.4.3 adds "send an advert at once" so the
	 * other side steps down now, and keepalived does the same for v2
	 * (RFC 3768 6.4.3 discards silently: we follow keepalived, a peer
	 * that believes it is master is a split brain to heal, whatever the
	 * version). vigil answers with a short burst, rate-limited
	 * (master_answer). The ANNOUNCE makes switches relearn the VIPs'
	 * MAC, which the other master may have taken over meanwhile.
	 */
	master_answer(fsm, now_ms, out);
}

/* ================================================================== */
/* Events                                                               */
/* ================================================================== */

static void on_startup(struct vrrp_fsm *fsm, uint64_t now_ms,
		       struct vrrp_fsm_actions *out)
{
	if (fsm->state != VRRP_STATE_INIT)
		return;
	if (fsm->faults) {
		/* A link already down, or a fatal check already failing. */
		fsm->resume_master = false;
		set_state(fsm, VRRP_STATE_FAULT, fault_reason(fsm->faults),
			  now_ms, out);
		return;
	}
	if (fsm->resume_master && fsm->eligible && !fsm->resigned) {
		fsm->resume_master = false;
		fsm->master_adver_ms = fsm->cfg.advert_interval_ms;
		set_state(fsm, VRRP_STATE_MASTER, VRRP_REASON_RESTART, now_ms, out);
		return;
	}
	fsm->resume_master = false;
	initialize(fsm, VRRP_REASON_STARTUP_OWNER, VRRP_REASON_STARTUP,
		   now_ms, out);
}

void vrrp_fsm_resume_master(struct vrrp_fsm *fsm)
{
	if (fsm->state == VRRP_STATE_INIT)
		fsm->resume_master = true;
}

static void on_timer(struct vrrp_fsm *fsm, uint64_t now_ms,
		     struct vrrp_fsm_actions *out)
{
	/* The witness probe starts witness_lead_ms before the timer runs
	 * out, so its verdict is ready when it does. */
	if (fsm->state == VRRP_STATE_BACKUP && fsm->timer_armed &&
	    witness_applies(fsm) && fsm->witness == VRRP_WITNESS_IDLE &&
	    fsm->eligible && !fsm->resigned && now_ms >= fsm->no_master_until_ms &&
	    now_ms + fsm->cfg.witness_lead_ms >= fsm->deadline_ms &&
	    now_ms < fsm->deadline_ms) {
		witness_start(fsm, now_ms, out);
		return;
	}
	/* The next advert of an answer burst, if it is due. */
	if (fsm->state == VRRP_STATE_MASTER)
		master_answer_more(fsm, now_ms, out);
	/* An early or stale wakeup changes nothing. */
	if (!fsm->timer_armed || now_ms < fsm->deadline_ms)
		return;
	switch (fsm->state) {
	case VRRP_STATE_MASTER:
		/* RFC 5798 6.4.3: Adver_Timer fires: send an advert, reset
		 * the timer (on the cadence: master_periodic). */
		master_periodic(fsm, now_ms, out);
		break;
	case VRRP_STATE_BACKUP:
		/* RFC 5798 6.4.2: Master_Down_Timer fires: become MASTER as
		 * in 6.4.1 (set_state() sends, adds, announces, arms), unless
		 * data safety holds it back (backup_expire). */
		backup_expire(fsm, now_ms, out);
		break;
	case VRRP_STATE_INIT:
	case VRRP_STATE_FAULT:
	case VRRP_STATE_COUNT:
		disarm(fsm);
		break;
	}
}

static void on_advert(struct vrrp_fsm *fsm, const struct vrrp_fsm_advert *adv,
		      uint64_t now_ms, struct vrrp_fsm_actions *out)
{
	/* Our own advert looped back: answering it would be an advert storm. */
	if (is_self(fsm, &adv->src)) {
		fsm->counters.own_adverts_ignored++;
		return;
	}
	switch (fsm->state) {
	case VRRP_STATE_MASTER:
		master_rx(fsm, adv, now_ms, out);  /* records it if we yield */
		break;
	case VRRP_STATE_BACKUP:
		record_master(fsm, adv, now_ms);
		backup_rx(fsm, adv, now_ms, out);
		break;
	case VRRP_STATE_INIT:
	case VRRP_STATE_FAULT:
	case VRRP_STATE_COUNT:
		record_master(fsm, adv, now_ms);  /* for status only */
		break;
	}
}

static void on_priority(struct vrrp_fsm *fsm, uint8_t priority, uint64_t now_ms,
			struct vrrp_fsm_actions *out)
{
	/* RFC 5798 6.1 / docs/design.md "Scoring": the owner's 255 never
	 * changes. */
	if (is_owner(fsm))
		return;
	/* 0 and 255 are not effective priorities (RFC 5798 5.2.4). */
	if (priority < 1)
		priority = 1;
	if (priority > 254)
		priority = 254;
	if (priority == fsm->priority)
		return;
	fsm->priority = priority;
	switch (fsm->state) {
	case VRRP_STATE_MASTER:
		/* docs/design.md "Health takeover": every change of effective
		 * priority is advertised at once (down and up), so backups
		 * judge the master by its current health. Done whatever
		 * health_takeover says: an extra advert is harmless to RFC
		 * peers and makes their preemption timely too. */
		master_send_advert(fsm, now_ms, out);
		break;
	case VRRP_STATE_BACKUP:
		backup_priority_changed(fsm, now_ms, out);
		break;
	case VRRP_STATE_INIT:
	case VRRP_STATE_FAULT:
	case VRRP_STATE_COUNT:
		break;  /* used when the instance starts or leaves FAULT */
	}
}

static void on_fault_set(struct vrrp_fsm *fsm, unsigned flag,
			 enum vrrp_fsm_reason reason, uint64_t now_ms,
			 struct vrrp_fsm_actions *out)
{
	fsm->faults |= flag;
	/* Not in the RFC, keepalived's FAULT: a MASTER sends priority 0 and
	 * drops its VIPs (set_state's exit actions); a BACKUP goes quietly. */
	if (fsm->state == VRRP_STATE_MASTER || fsm->state == VRRP_STATE_BACKUP)
		set_state(fsm, VRRP_STATE_FAULT, reason, now_ms, out);
}

static void on_fault_clear(struct vrrp_fsm *fsm, unsigned flag,
			   enum vrrp_fsm_reason reason, uint64_t now_ms,
			   struct vrrp_fsm_actions *out)
{
	fsm->faults &= ~flag;
	/* Leave FAULT only when every reason is gone, as if starting up. */
	if (fsm->state == VRRP_STATE_FAULT && fsm->faults == 0)
		initialize(fsm, reason, reason, now_ms, out);
}

static void on_eligible(struct vrrp_fsm *fsm, bool eligible, uint64_t now_ms)
{
	if (!fsm->cfg.eligibility)
		return;
	fsm->eligible = eligible;
	/* A takeover held back only for this: go now, unless a master
	 * spoke meanwhile (which cleared takeover_blocked). */
	if (eligible && fsm->state == VRRP_STATE_BACKUP && fsm->takeover_blocked &&
	    !fsm->resigned && now_ms >= fsm->no_master_until_ms)
		arm(fsm, now_ms);
}

static void on_witness(struct vrrp_fsm *fsm, const struct vrrp_fsm_witness *w,
		       uint64_t now_ms, struct vrrp_fsm_actions *out)
{
	if (fsm->state != VRRP_STATE_BACKUP || fsm->witness != VRRP_WITNESS_PENDING ||
	    w->seq != fsm->witness_seq)
		return;  /* an answer nobody waits for any more */
	fsm->witness = w->served ? VRRP_WITNESS_SERVED : VRRP_WITNESS_NOT_SERVED;
	if (fsm->witness_waited || (fsm->timer_armed && now_ms >= fsm->deadline_ms))
		backup_expire(fsm, now_ms, out);
}

static void on_stalled(struct vrrp_fsm *fsm, uint64_t now_ms,
		       struct vrrp_fsm_actions *out)
{
	/* A BACKUP frozen that long heard nothing because it was not
	 * listening, not because the master died: its Master_Down_Timer
	 * starts again from now, so the adverts waiting in the socket (and
	 * those that follow) count before it may take over. */
	if (fsm->state == VRRP_STATE_BACKUP && fsm->timer_armed && on_silence(fsm)) {
		witness_reset(fsm, out);
		arm(fsm, now_ms + master_down_ms(fsm));
		return;
	}
	/* docs/data-safety.md "3.8 Two masters: the contest": a master whose
	 * loop was frozen longer than a Master_Down_Interval was given up for
	 * dead; a peer may hold the VIP. It sends nothing until the owner has
	 * made its server read-only and decided the contest. */
	if (fsm->state != VRRP_STATE_MASTER || !fsm->cfg.contest)
		return;
	fsm->quiet = true;
	contest_begin(fsm, NULL, out);
}

static void on_resign(struct vrrp_fsm *fsm, uint64_t now_ms,
		      struct vrrp_fsm_actions *out)
{
	if (fsm->state != VRRP_STATE_MASTER)
		return;
	/* RFC 5798 6.4.3's priority 0, without shutting down: the best
	 * backup takes over after its Skew_Time; we stay BACKUP for one
	 * Master_Down_Interval so that we do not take it straight back. */
	if (!fsm->quiet)
		push_advert(out, 0);
	set_state(fsm, VRRP_STATE_BACKUP, VRRP_REASON_RESIGN, now_ms, out);
	fsm->no_master_until_ms = now_ms + master_down_ms(fsm);
}

/*
 * The operator's resign (vigilctl resign): planned maintenance. A MASTER
 * hands over as above (its owner made the server read-only first, with
 * data safety); then, in every state, the node never becomes MASTER until
 * VRRP_EV_RESUME: not on the Master_Down_Timer, not by preempt or health
 * takeover, not as the owner at startup. It still listens and records the
 * master, so status and eligibility go on as usual.
 *
 * VRRP backups are silent: a master cannot know that anyone will take
 * over. One that handed over therefore waits for the new master's advert;
 * if none comes within two Master_Down_Intervals, nobody took over and the
 * resign lapses (resign_lapses) instead of leaving the VIP unserved.
 */
static void on_admin_resign(struct vrrp_fsm *fsm, uint64_t now_ms,
			    struct vrrp_fsm_actions *out)
{
	if (fsm->resigned)
		return;
	fsm->resigned = true;
	fsm->resigned_ms = now_ms;
	if (fsm->state != VRRP_STATE_MASTER)
		return;
	on_resign(fsm, now_ms, out);
	fsm->handover_until_ms = now_ms + 2u * (uint64_t)master_down_ms(fsm);
}

/*
 * End the operator's resign. A BACKUP competes again as from startup
 * (RFC 5798 6.4.1): Master_Down_Timer = Master_Down_Interval from now, and
 * the next advert is judged as usual (a lower master is taken over by
 * preempt or health takeover, through eligibility with data safety).
 * Nothing is forced. INIT and FAULT compete when they start or recover.
 */
static void on_resume(struct vrrp_fsm *fsm, uint64_t now_ms,
		      struct vrrp_fsm_actions *out)
{
	if (!fsm->resigned)
		return;
	fsm->resigned = false;
	fsm->resigned_ms = 0;
	fsm->handover_until_ms = 0;
	if (fsm->state != VRRP_STATE_BACKUP)
		return;
	witness_reset(fsm, out);
	fsm->takeover_blocked = false;
	arm(fsm, now_ms + master_down_ms(fsm));
	fsm->mdt_cause = VRRP_REASON_MASTER_DOWN_TIMER;
}

void vrrp_fsm_step(struct vrrp_fsm *fsm, const struct vrrp_fsm_event *ev,
		   uint64_t now_ms, struct vrrp_fsm_actions *out)
{
	out->count = 0;
	out->wakeup_ms = 0;

	switch (ev->type) {
	case VRRP_EV_STARTUP:
		on_startup(fsm, now_ms, out);
		break;
	case VRRP_EV_SHUTDOWN:
		/* RFC 5798 6.4.2 / 6.4.3 Shutdown: BACKUP cancels its timer,
		 * MASTER sends priority 0 (set_state's exit actions). */
		if (fsm->state != VRRP_STATE_INIT)
			set_state(fsm, VRRP_STATE_INIT, VRRP_REASON_SHUTDOWN,
				  now_ms, out);
		break;
	case VRRP_EV_TIMER:
		on_timer(fsm, now_ms, out);
		break;
	case VRRP_EV_ADVERT:
		on_advert(fsm, &ev->advert, now_ms, out);
		break;
	case VRRP_EV_PRIORITY:
		on_priority(fsm, ev->priority, now_ms, out);
		break;
	case VRRP_EV_LINK_DOWN:
		on_fault_set(fsm, VRRP_FAULT_LINK, VRRP_REASON_LINK_DOWN,
			     now_ms, out);
		break;
	case VRRP_EV_LINK_UP:
		on_fault_clear(fsm, VRRP_FAULT_LINK, VRRP_REASON_LINK_UP,
			       now_ms, out);
		break;
	case VRRP_EV_FAULT_SET:
		on_fault_set(fsm, VRRP_FAULT_CHECK, VRRP_REASON_FATAL_CHECK,
			     now_ms, out);
		break;
	case VRRP_EV_FAULT_CLEAR:
		on_fault_clear(fsm, VRRP_FAULT_CHECK,
			       VRRP_REASON_FATAL_CHECK_CLEARED, now_ms, out);
		break;
	case VRRP_EV_ELIGIBLE:
		on_eligible(fsm, ev->flag, now_ms);
		break;
	case VRRP_EV_WITNESS:
		on_witness(fsm, &ev->witness, now_ms, out);
		break;
	case VRRP_EV_CONTEST:
		on_contest(fsm, ev->contest.epoch_cmp, now_ms, out);
		break;
	case VRRP_EV_STALLED:
		on_stalled(fsm, now_ms, out);
		break;
	case VRRP_EV_RESIGN:
		on_resign(fsm, now_ms, out);
		break;
	case VRRP_EV_ADMIN_RESIGN:
		on_admin_resign(fsm, now_ms, out);
		break;
	case VRRP_EV_RESUME:
		on_resume(fsm, now_ms, out);
		break;
	case VRRP_EV_COUNT:
		break;
	}
	out->wakeup_ms = vrrp_fsm_next_wakeup(fsm);
}

/* ================================================================== */
/* Getters                                                              */
/* ================================================================== */

enum vrrp_state vrrp_fsm_state(const struct vrrp_fsm *fsm)
{
	return fsm->state;
}

uint8_t vrrp_fsm_priority(const struct vrrp_fsm *fsm)
{
	return fsm->priority;
}

unsigned vrrp_fsm_faults(const struct vrrp_fsm *fsm)
{
	return fsm->faults;
}

uint32_t vrrp_fsm_master_adver_interval_ms(const struct vrrp_fsm *fsm)
{
	return fsm->master_adver_ms;
}

uint32_t vrrp_fsm_skew_ms(const struct vrrp_fsm *fsm)
{
	return skew_ms(fsm);
}

uint32_t vrrp_fsm_master_down_interval_ms(const struct vrrp_fsm *fsm)
{
	return master_down_ms(fsm);
}

uint64_t vrrp_fsm_next_wakeup(const struct vrrp_fsm *fsm)
{
	uint64_t at;

	if (!fsm->timer_armed)
		return 0;
	at = fsm->deadline_ms;
	/* The next advert of an answer burst. */
	if (fsm->state == VRRP_STATE_MASTER && fsm->answer_left && fsm->answer_next_ms < at)
		at = fsm->answer_next_ms;
	/* The witness probe's start, witness_lead_ms before the deadline. */
	if (fsm->state == VRRP_STATE_BACKUP && witness_applies(fsm) &&
	    fsm->witness == VRRP_WITNESS_IDLE && fsm->eligible && !fsm->resigned &&
	    at > fsm->cfg.witness_lead_ms &&
	    at - fsm->cfg.witness_lead_ms >= fsm->no_master_until_ms)
		at -= fsm->cfg.witness_lead_ms;
	/* 0 means "none" to the caller: a deadline at time 0 becomes 1. */
	return at ? at : 1;
}

bool vrrp_fsm_eligible(const struct vrrp_fsm *fsm)
{
	return fsm->eligible;
}

bool vrrp_fsm_contest_pending(const struct vrrp_fsm *fsm)
{
	return fsm->contest_pending;
}

bool vrrp_fsm_quiet(const struct vrrp_fsm *fsm)
{
	return fsm->quiet;
}

enum vrrp_fsm_witness_state vrrp_fsm_witness_state(const struct vrrp_fsm *fsm)
{
	return fsm->witness;
}

bool vrrp_fsm_resigned(const struct vrrp_fsm *fsm)
{
	return fsm->resigned;
}

uint64_t vrrp_fsm_resigned_ms(const struct vrrp_fsm *fsm)
{
	return fsm->resigned ? fsm->resigned_ms : 0;
}

bool vrrp_fsm_handover_pending(const struct vrrp_fsm *fsm)
{
	return fsm->resigned && fsm->handover_until_ms != 0;
}

const struct vrrp_fsm_peer *vrrp_fsm_master(const struct vrrp_fsm *fsm)
{
	return &fsm->master;
}

const struct vrrp_fsm_counters *vrrp_fsm_counters(const struct vrrp_fsm *fsm)
{
	return &fsm->counters;
}

enum vrrp_fsm_reason vrrp_fsm_last_reason(const struct vrrp_fsm *fsm)
{
	return fsm->last_reason;
}

uint64_t vrrp_fsm_last_change_ms(const struct vrrp_fsm *fsm)
{
	return fsm->last_change_ms;
}
