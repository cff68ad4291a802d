/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vrrp/fsm.h: the pure VRRP state machine (RFC 5798 / RFC 9568 / RFC 3768 section 6). */
#ifndef VIGIL_VRRP_FSM_H
#define VIGIL_VRRP_FSM_H

/*
 * One instance of the protocol, driven by one step function:
 *
 *     vrrp_fsm_step(fsm, &event, now_ms, &actions);
 *
 * Events come in (startup, shutdown, timer, advert received, priority
 * changed, link down/up, fatal check set/cleared); actions go out as an
 * ordered list of data (send advert, add/remove VIPs, announce, state
 * changed because R) plus the absolute time of the next TIMER event the
 * caller must deliver. The code does no I/O, reads no clock, allocates
 * nothing and keeps no global state: a test drives it with a fake clock.
 *
 * The caller embeds struct vrrp_fsm in its own object; its fields are
 * private (read them through the getters below).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* States, reasons                                                      */
/* ------------------------------------------------------------------ */

/* RFC 5798 6.4 states, plus FAULT (keepalived's, not in the RFC). */
enum vrrp_state {
	VRRP_STATE_INIT,   /* RFC "Initialize": not started or shut down */
	VRRP_STATE_BACKUP,
	VRRP_STATE_MASTER,
	VRRP_STATE_FAULT,  /* link down or fatal check: no VIP, no adverts */
	VRRP_STATE_COUNT
};

/** Name of a state: "INIT", "BACKUP", "MASTER", "FAULT" ("?" if unknown). */
const char *vrrp_state_name(enum vrrp_state state);

/* Why a state changed. Every transition carries exactly one. */
enum vrrp_fsm_reason {
	VRRP_REASON_NONE,                /* no transition yet */
	VRRP_REASON_STARTUP_OWNER,       /* startup as address owner (255) -> MASTER */
	VRRP_REASON_STARTUP,             /* startup -> BACKUP */
	VRRP_REASON_MASTER_DOWN_TIMER,   /* no advert heard within Master_Down_Interval */
	VRRP_REASON_PRIORITY_ZERO,       /* master resigned (priority-0 advert), Skew_Time ran out */
	VRRP_REASON_PREEMPT,             /* preempt: master advertised below us (RFC 6.4.2) */
	VRRP_REASON_HIGHER_PRIORITY,     /* MASTER heard a higher-priority advert */
	VRRP_REASON_TIE_BREAK_LOST,      /* MASTER heard equal priority from a greater primary address */
	VRRP_REASON_HEALTH_TAKEOVER,     /* vigil's health takeover (docs/design.md) */
	VRRP_REASON_LINK_DOWN,
	VRRP_REASON_LINK_UP,
	VRRP_REASON_FATAL_CHECK,
	VRRP_REASON_FATAL_CHECK_CLEARED,
	VRRP_REASON_SHUTDOWN,
	VRRP_REASON_CONTEST_LOST,        /* two masters met and the owner's verdict went to the other */
	VRRP_REASON_RESIGN,              /* the owner asked us to hand over (priority 0 sent) */
	VRRP_REASON_RESIGN_UNANSWERED,   /* an operator's resign nobody took over: it lapsed */
	VRRP_REASON_RESTART,             /* a re-executed vigild resumed as MASTER (vigilctl restart) */
	VRRP_REASON_COUNT
};

/** Name of a reason, e.g. "master-down-timer", "health-takeover" ("?" if unknown). */
const char *vrrp_fsm_reason_name(enum vrrp_fsm_reason reason);

/* ------------------------------------------------------------------ */
/* Configuration                                                        */
/* ------------------------------------------------------------------ */

#define VRRP_PRIO_OWNER 255  /* address owner: always MASTER, never lowered */

/* An IPv4 (len 4) or IPv6 (len 16) address in network byte order; len 0 =
 * unknown. The FSM only compares addresses (RFC 5798 6.4.3 tie-break). */
struct vrrp_fsm_addr {
	uint8_t len;
	uint8_t bytes[16];
};

struct vrrp_fsm_config {
	uint8_t version;              /* 3 or 2 */
	uint8_t vrid;                 /* 1..255 (kept for status; the packet code filters) */
	uint8_t base_priority;        /* 1..255, 255 = address owner */
	uint32_t advert_interval_ms;  /* v3: multiple of 10, 10..40950; v2: whole seconds 1..255 s */
	bool preempt;                 /* RFC Preempt_Mode */
	uint32_t preempt_delay_ms;    /* no preemption this long after startup / leaving FAULT */
	bool health_takeover;         /* vigil's documented deviation from RFC 5798 6.4.2 */
	uint8_t resign_below;         /* with preempt off: take over from a master below this; 0 = off */
	/* Data safety (docs/data-safety.md); all off = plain VRRP. */
	bool eligibility;             /* MASTER only while the owner says eligible (VRRP_EV_ELIGIBLE) */
	uint32_t witness_lead_ms;     /* >0: corroborate a takeover on silence; the probe starts
				       * this long before the Master_Down_Timer expires */
	bool contest;                 /* two masters meet: ask the owner before yielding or announcing */
	bool corroborate_all;         /* quorum: every takeover waits for the probe (witness_lead_ms
				       * > 0), not only one on silence: the new master holds the
				       * key before it takes the VIP */
};

/**
 * Check a configuration's ranges.
 * Returns 0 if valid, -EINVAL otherwise.
 */
int vrrp_fsm_config_check(const struct vrrp_fsm_config *cfg);

/* ------------------------------------------------------------------ */
/* Events                                                               */
/* ------------------------------------------------------------------ */

enum vrrp_fsm_event_type {
	VRRP_EV_STARTUP,      /* leave INIT (RFC 6.4.1) */
	VRRP_EV_SHUTDOWN,     /* back to INIT; a MASTER sends priority 0 */
	VRRP_EV_TIMER,        /* the wakeup the FSM asked for (actions.wakeup_ms) came */
	VRRP_EV_ADVERT,       /* a valid advert for our VRID, decoded: ev.advert */
	VRRP_EV_PRIORITY,     /* new effective priority from scoring: ev.priority */
	VRRP_EV_LINK_DOWN,    /* fault flag "link" set */
	VRRP_EV_LINK_UP,      /* fault flag "link" cleared */
	VRRP_EV_FAULT_SET,    /* fault flag "fatal check" set */
	VRRP_EV_FAULT_CLEAR,  /* fault flag "fatal check" cleared */
	VRRP_EV_ELIGIBLE,     /* the owner's verdict on eligibility changed: ev.flag */
	VRRP_EV_WITNESS,      /* a witness probe finished: ev.witness */
	VRRP_EV_CONTEST,      /* the owner's verdict on a contest: ev.contest */
	VRRP_EV_STALLED,      /* our event loop was frozen longer than a Master_Down_Interval:
			       * a BACKUP restarts its Master_Down_Timer, a MASTER with
			       * contest goes quiet and contests */
	VRRP_EV_RESIGN,       /* hand over: priority 0, BACKUP for one Master_Down_Interval */
	VRRP_EV_ADMIN_RESIGN, /* the operator's resign: a MASTER hands over as VRRP_EV_RESIGN;
			       * then (and in any state) never MASTER until VRRP_EV_RESUME */
	VRRP_EV_RESUME,       /* end the operator's resign: compete again as from startup */
	VRRP_EV_COUNT
};

/** Name of an event type, e.g. "advert" ("?" if unknown). */
const char *vrrp_fsm_event_name(enum vrrp_fsm_event_type type);

/* What the packet code learned from a received, validated advert. */
struct vrrp_fsm_advert {
	uint8_t priority;         /* 0 = the master is leaving */
	uint32_t interval_ms;     /* v3: Max Adver Int * 10; v2: ignored (must equal ours) */
	struct vrrp_fsm_addr src; /* the sender's primary address (IP source) */
};

/* The answer of a witness probe (VRRP_ACT_WITNESS_START). */
struct vrrp_fsm_witness {
	uint32_t seq;             /* the probe's number, from the action */
	bool served;              /* the VIP is served by a live, writable server */
};

/* The owner's comparison of the two masters' data (VRRP_ACT_CONTEST_START). */
struct vrrp_fsm_contest {
	int epoch_cmp;            /* >0: ours is newer; <0: the other's; 0: equal or unknown */
};

struct vrrp_fsm_event {
	enum vrrp_fsm_event_type type;
	union {
		struct vrrp_fsm_advert advert;   /* VRRP_EV_ADVERT */
		uint8_t priority;                /* VRRP_EV_PRIORITY: 1..254 (clamped) */
		bool flag;                       /* VRRP_EV_ELIGIBLE */
		struct vrrp_fsm_witness witness; /* VRRP_EV_WITNESS */
		struct vrrp_fsm_contest contest; /* VRRP_EV_CONTEST */
	};
};

/* ------------------------------------------------------------------ */
/* Actions                                                              */
/* ------------------------------------------------------------------ */

enum vrrp_fsm_action_type {
	VRRP_ACT_SEND_ADVERT,    /* send one advert with .advert_priority */
	VRRP_ACT_ADD_VIPS,       /* add the virtual addresses */
	VRRP_ACT_REMOVE_VIPS,    /* remove the virtual addresses */
	VRRP_ACT_ANNOUNCE,       /* gratuitous ARP / unsolicited NA burst for the VIPs */
	VRRP_ACT_STATE_CHANGED,  /* .change: run notify, log; always last in a step */
	VRRP_ACT_WITNESS_START,  /* probe the VIP (.witness_seq); answer with VRRP_EV_WITNESS */
	VRRP_ACT_WITNESS_CANCEL, /* the probe's answer is no longer wanted */
	VRRP_ACT_CONTEST_START,  /* another master (.peer; priority 0 = none heard, after a
				  * stall): make the server read-only, compare, answer
				  * with VRRP_EV_CONTEST */
	VRRP_ACT_REOPEN,         /* contest won: the server may be made writable again */
	VRRP_ACT_COUNT
};

/** Name of an action type, e.g. "send-advert" ("?" if unknown). */
const char *vrrp_fsm_action_name(enum vrrp_fsm_action_type type);

struct vrrp_fsm_action {
	enum vrrp_fsm_action_type type;
	union {
		uint8_t advert_priority; /* SEND_ADVERT: 0 on shutdown / fault */
		uint32_t witness_seq;    /* WITNESS_START */
		struct vrrp_fsm_advert peer; /* CONTEST_START */
		struct {
			enum vrrp_state from;
			enum vrrp_state to;
			enum vrrp_fsm_reason reason;
			uint8_t priority;  /* our effective priority at the change */
		} change;                /* STATE_CHANGED */
	};
	enum vrrp_fsm_reason witness_cause; /* WITNESS_START: what would take over: silence
					     * (master-down-timer, resign-unanswered: probe the VIP
					     * too), or a master that spoke (priority-zero,
					     * health-takeover, preempt: the owner's key alone) */
};

/*
 * The answer burst (docs/design.md "The answer burst"): a MASTER that hears
 * a lower priority (not 0) answers at once with VRRP_FSM_ANSWER_BURST
 * adverts, vrrp_fsm_answer_gap_ms() apart, without moving its Adver_Timer;
 * at most one burst per half Advertisement_Interval (lower adverts in
 * between are counted in answers_limited and not answered).
 */
#define VRRP_FSM_ANSWER_BURST 3
#define VRRP_FSM_ANSWER_GAP_MS 5u

/** Gap between the adverts of an answer burst: VRRP_FSM_ANSWER_GAP_MS, at
 * most an eighth of @advert_interval_ms, at least 1 ms. */
uint32_t vrrp_fsm_answer_gap_ms(uint32_t advert_interval_ms);

/* The largest step emits 5 actions (an overdue witness probe: cancel,
 * advert, add, announce, changed); the rest is headroom. */
#define VRRP_FSM_MAX_ACTIONS 8

struct vrrp_fsm_actions {
	size_t count;
	struct vrrp_fsm_action list[VRRP_FSM_MAX_ACTIONS]; /* execute in order */
	/* Absolute monotonic ms of the next VRRP_EV_TIMER to deliver; 0 = none
	 * (a deadline that falls on 0 is reported as 1). Valid after every
	 * step, changed or not: the caller re-arms its one timer to it. */
	uint64_t wakeup_ms;
};

/* ------------------------------------------------------------------ */
/* The machine                                                          */
/* ------------------------------------------------------------------ */

/* Fault reasons are independent; the instance is in FAULT while any is set. */
#define VRRP_FAULT_LINK  0x1u
#define VRRP_FAULT_CHECK 0x2u

/* The master as last heard (any advert from another node). */
struct vrrp_fsm_peer {
	bool known;               /* false before the first advert, and while we are MASTER */
	uint8_t priority;
	uint32_t interval_ms;
	struct vrrp_fsm_addr addr;
	uint64_t heard_ms;
};

struct vrrp_fsm_counters {
	uint64_t transitions;                           /* all state changes */
	uint64_t by_reason[VRRP_REASON_COUNT];          /* state changes per reason */
	uint64_t own_adverts_ignored;                   /* adverts from our own address */
	uint64_t takeovers_armed;                       /* health takeover timers set */
	uint64_t takeovers_cancelled;                   /* ... then called off (good advert, or we degraded) */
	uint64_t ineligible_blocks;                     /* a takeover held back: not eligible / resigned */
	uint64_t witness_probes;                        /* witness probes started */
	uint64_t witness_vetoes;                        /* takeovers on silence called off: VIP served */
	uint64_t witness_overdue;                       /* probes that never answered (took over) */
	uint64_t contests;                              /* two masters met (or we were frozen) */
	uint64_t contests_lost;
	uint64_t resigns_unanswered;                    /* operator's resigns nobody took over */
	uint64_t answers;                               /* MASTER heard a lower priority: answer bursts sent */
	uint64_t answers_limited;                       /* ... not answered: a burst went out less than
							 * half an interval before (the rate limit) */
};

/* Where a witness probe stands (BACKUP only). */
enum vrrp_fsm_witness_state {
	VRRP_WITNESS_IDLE,
	VRRP_WITNESS_PENDING,      /* started, no answer yet */
	VRRP_WITNESS_SERVED,       /* answered: the VIP is served elsewhere */
	VRRP_WITNESS_NOT_SERVED,   /* answered: nobody serves it */
};

/* Private: read through the getters. Embed it; no allocation needed. */
struct vrrp_fsm {
	struct vrrp_fsm_config cfg;
	struct vrrp_fsm_addr self;         /* our primary address */
	enum vrrp_state state;
	uint8_t priority;                  /* effective priority */
	unsigned faults;                   /* VRRP_FAULT_* */
	uint32_t master_adver_ms;          /* RFC Master_Adver_Interval */
	uint64_t deadline_ms;              /* Adver_Timer (MASTER) or Master_Down_Timer (BACKUP) */
	bool timer_armed;
	enum vrrp_fsm_reason mdt_cause;    /* why the Master_Down_Timer has its value */
	uint64_t no_preempt_until_ms;      /* preempt_delay window and hold-down */
	enum vrrp_fsm_reason last_reason;
	uint64_t last_change_ms;
	struct vrrp_fsm_peer master;
	struct vrrp_fsm_counters counters;
	/* Data safety */
	bool eligible;                     /* the owner's last verdict (true without cfg.eligibility) */
	bool takeover_blocked;             /* a takeover was held back; retry when eligible */
	uint64_t no_master_until_ms;       /* after a resign or a lost contest */
	enum vrrp_fsm_witness_state witness;
	uint32_t witness_seq;
	uint64_t witness_started_ms;
	bool witness_waited;               /* the timer ran out while the probe was pending */
	bool contest_pending;              /* MASTER: waiting for the owner's verdict */
	bool quiet;                        /* MASTER after a stall: send nothing until decided */
	struct vrrp_fsm_advert contest_peer;
	uint64_t contest_grace_until_ms;   /* after a won contest: the loser's last adverts */
	struct vrrp_fsm_addr contest_grace_addr;
	/* The operator's resign (VRRP_EV_ADMIN_RESIGN .. VRRP_EV_RESUME) */
	bool resigned;                     /* never MASTER, by any path, until resumed */
	bool resume_master;                /* startup goes straight to MASTER (a restart) */
	uint64_t resigned_ms;              /* when it was set */
	uint64_t handover_until_ms;        /* a MASTER handed over: if no master is heard by
					    * then, nobody took over and the resign lapses
					    * (0: none pending) */
	/* The answer to a lower priority (docs/design.md "The answer burst") */
	uint8_t answer_left;               /* MASTER: adverts of the burst still to send */
	uint64_t answer_next_ms;           /* when the next one is due */
	uint64_t answer_quiet_until_ms;    /* no new burst before this (rate limit) */
};

/**
 * Apply a changed configuration to a running state machine (a reload):
 * state, timers and the master heard stay as they are. Only what can
 * change under a running virtual router may differ: advert interval,
 * base priority (not to or from the owner's 255), preempt, preempt
 * delay, health takeover, resign_below, the witness lead time.
 * Returns 0, or -EINVAL when cfg is invalid or changes anything else
 * (version, VRID, owner, eligibility, contest, witness on/off).
 */
int vrrp_fsm_update_config(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *cfg);

/**
 * Initialize an instance in state INIT with the effective priority equal to
 * the base priority.
 * @fsm: the instance to fill.
 * @cfg: configuration, copied.
 * @self: our primary address (RFC 5798 6.4.3 tie-break), copied; may be NULL
 *        (unknown: then we lose every tie-break) and set later.
 * Returns 0, or -EINVAL if @cfg is out of range (@fsm is then untouched).
 */
int vrrp_fsm_init(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *cfg,
		  const struct vrrp_fsm_addr *self);

/**
 * Set our primary address (the interface address can change at any time).
 * @bytes: address in network byte order; @len: 4, 16, or 0 to forget it.
 * Returns 0, or -EINVAL for another length.
 */
int vrrp_fsm_set_self(struct vrrp_fsm *fsm, const uint8_t *bytes, size_t len);

/**
 * Feed one event at monotonic time @now_ms.
 * @out is overwritten: the ordered actions to carry out, and wakeup_ms.
 * STATE_CHANGED, if any, is the last action, so notify runs after the VIPs
 * changed. Never fails: an event that does not apply in the current state
 * is absorbed (e.g. ADVERT in FAULT, an early TIMER).
 */
void vrrp_fsm_step(struct vrrp_fsm *fsm, const struct vrrp_fsm_event *ev,
		   uint64_t now_ms, struct vrrp_fsm_actions *out);

/* ---- getters (status display, tests) ---- */

/** Current state. */
enum vrrp_state vrrp_fsm_state(const struct vrrp_fsm *fsm);
/** Current effective priority (always 255 for the owner). */
uint8_t vrrp_fsm_priority(const struct vrrp_fsm *fsm);
/** Bit set of VRRP_FAULT_* currently set. */
unsigned vrrp_fsm_faults(const struct vrrp_fsm *fsm);
/** RFC Master_Adver_Interval in ms (v3: learned from the master). */
uint32_t vrrp_fsm_master_adver_interval_ms(const struct vrrp_fsm *fsm);
/** RFC Skew_Time in ms at the current priority and interval. */
uint32_t vrrp_fsm_skew_ms(const struct vrrp_fsm *fsm);
/** RFC Master_Down_Interval in ms at the current priority and interval. */
uint32_t vrrp_fsm_master_down_interval_ms(const struct vrrp_fsm *fsm);
/** Absolute ms of the pending timer, 0 if none (same as actions.wakeup_ms). */
uint64_t vrrp_fsm_next_wakeup(const struct vrrp_fsm *fsm);
/** The master as last heard; .known is false while we are MASTER. */
const struct vrrp_fsm_peer *vrrp_fsm_master(const struct vrrp_fsm *fsm);
/** Transition counters. */
const struct vrrp_fsm_counters *vrrp_fsm_counters(const struct vrrp_fsm *fsm);
/**
 * Before VRRP_EV_STARTUP: this instance was MASTER in the vigild that
 * re-executed itself into this process (vigilctl restart). Startup then
 * goes straight to MASTER (reason "restart"), as an address owner does,
 * instead of listening a Master_Down_Interval first: the peer's
 * Master_Down_Timer has been running since the old process's last
 * advert. Ignored when a fault is set or the owner's eligibility says no
 * (then it starts as BACKUP, as at any startup).
 */
void vrrp_fsm_resume_master(struct vrrp_fsm *fsm);

/** Reason of the last transition (VRRP_REASON_NONE before the first). */
enum vrrp_fsm_reason vrrp_fsm_last_reason(const struct vrrp_fsm *fsm);
/** Monotonic ms of the last transition (0 before the first). */
uint64_t vrrp_fsm_last_change_ms(const struct vrrp_fsm *fsm);
/** The owner's last eligibility verdict (always true without cfg.eligibility). */
bool vrrp_fsm_eligible(const struct vrrp_fsm *fsm);
/** True while a MASTER waits for a contest verdict. */
bool vrrp_fsm_contest_pending(const struct vrrp_fsm *fsm);
/** True while a MASTER sends nothing (frozen, not yet decided): no adverts, no ARP. */
bool vrrp_fsm_quiet(const struct vrrp_fsm *fsm);
/** Where the witness probe stands. */
enum vrrp_fsm_witness_state vrrp_fsm_witness_state(const struct vrrp_fsm *fsm);
/** True while the operator's resign holds (VRRP_EV_ADMIN_RESIGN until VRRP_EV_RESUME). */
bool vrrp_fsm_resigned(const struct vrrp_fsm *fsm);
/** Monotonic ms the operator's resign began (0 when not resigned). */
uint64_t vrrp_fsm_resigned_ms(const struct vrrp_fsm *fsm);
/** True while a resigned former MASTER has not yet heard who took over. */
bool vrrp_fsm_handover_pending(const struct vrrp_fsm *fsm);

/* ---- RFC timer formulas (pure; also for `vigild -t` failover tables) ---- */

/**
 * Skew_Time in ms.
 * v3 (RFC 5798 6.1): ((256 - @priority) * @master_adver_interval_ms) / 256.
 * v2 (RFC 3768 6.1): (256 - @priority) / 256 seconds, whatever the interval.
 * Kept to the millisecond (interval 1 s, priority 100 -> 609 ms).
 */
uint32_t vrrp_fsm_calc_skew_ms(uint8_t version, uint8_t priority,
			       uint32_t master_adver_interval_ms);

/**
 * Master_Down_Interval in ms: 3 * @master_adver_interval_ms + Skew_Time
 * (RFC 5798 6.1; RFC 3768 6.1 with the local Advertisement_Interval).
 */
uint32_t vrrp_fsm_calc_master_down_ms(uint8_t version, uint8_t priority,
				      uint32_t master_adver_interval_ms);

#endif /* VIGIL_VRRP_FSM_H */
