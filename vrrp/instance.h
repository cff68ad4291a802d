// SPDX-License-Identifier: GPL-2.0-or-later
// One VRRP instance on the libev loop: the thin I/O shell around the pure
// packet codec and state machine (STYLE.md 6).
#ifndef VIGIL_VRRP_INSTANCE_H
#define VIGIL_VRRP_INSTANCE_H

#include <ev.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsm.h"
#include "packet.h"
#include "port.h"
#include "socket.h"

/*
 * The instance owns its timers and its state machine, and a share of its
 * interface's sockets (raw protocol 112, packet socket for ARP: one pair
 * per interface, struct vrrp_port, read once for every instance on it). It does not know how VIPs are added,
 * what a check is, or how anything is logged: it asks its owner through
 * struct vrrp_instance_ops, and the owner (agent/) carries that out.
 *
 * Event handling: a libev callback gathers the facts (bytes, TTL, source,
 * the monotonic time), calls the pure code, then executes the actions the
 * state machine returned, in order.
 */

/* Everything an instance needs to know, copied by vrrp_instance_new(). */
struct vrrp_instance_conf {
	const char *name;             /* for messages */
	const char *ifname;           /* interface the instance runs on */
	struct vrrp_fsm_config fsm;   /* protocol settings */
	enum vrrp_csum_mode csum;     /* v3 IPv4 checksum convention */
	uint8_t auth_type;            /* v2: VRRP_AUTH_NONE or VRRP_AUTH_PASS */
	uint8_t auth_data[VRRP_AUTH_LEN]; /* v2 PASS: zero-padded password */
	int family;                   /* AF_INET (0 is taken as AF_INET) or AF_INET6 */
	const struct in_addr *vips;   /* AF_INET: VIP addresses (advert list, ARP) */
	const struct in6_addr *vips6; /* AF_INET6: VIP addresses (advert list, NA) */
	size_t n_vips;                /* 1..255 */
	const struct in_addr *peers;  /* AF_INET: unicast peers; none = multicast */
	const struct in6_addr *peers6;/* AF_INET6: unicast peers; none = multicast ff02::12 */
	size_t n_peers;
	uint16_t garp_repeat;         /* ARPs per VIP in one burst (>= 1) */
	uint32_t garp_interval_ms;    /* gap between rounds of a burst */
	uint32_t garp_delay_ms;       /* second burst this long after becoming master; 0 = none */
	uint32_t garp_refresh_ms;     /* periodic ARP while master; 0 = off */
	uint16_t garp_refresh_repeat; /* ARPs per VIP in a refresh */
};

/* Things worth a log line that are not state changes. */
enum vrrp_instance_note {
	VRRP_NOTE_DROP,            /* a received packet was refused: detail names why */
	VRRP_NOTE_ADVERT_NOTICE,   /* accepted, but differs from our config (log only) */
	VRRP_NOTE_CSUM,            /* checksum convention switched, or peers disagree */
	VRRP_NOTE_SEND_FAILED,     /* an advert or ARP could not be sent */
	VRRP_NOTE_SOCKET,          /* a socket could not be opened */
	VRRP_NOTE__COUNT
};

/* Name of a note ("drop", "advert-notice", ...). */
const char *vrrp_instance_note_name(enum vrrp_instance_note note);

/* What the state machine decided, for the owner to log and report. */
struct vrrp_instance_change {
	enum vrrp_state from, to;
	enum vrrp_fsm_reason reason;
	uint8_t priority;             /* our effective priority at the change */
	const struct vrrp_fsm_peer *master; /* the master as last heard (may be !known) */
};

/* Callbacks into the owner. ctx is the owner's pointer. All required. */
struct vrrp_instance_ops {
	/* Add every VIP to the interface (becoming master). Returns 0 or a
	 * negative errno; a failure is the owner's to report and retry: no
	 * gratuitous ARP is sent for VIPs that are not there, until the
	 * owner calls vrrp_instance_vips_added(). */
	int (*add_vips)(void *ctx);
	/* Remove every VIP we added (leaving master). */
	int (*remove_vips)(void *ctx);
	/* A state change was carried out (VIPs already changed). */
	void (*state_changed)(void *ctx, const struct vrrp_instance_change *chg);
	/* Something to log; rate-limited here for per-packet notes. */
	void (*note)(void *ctx, enum vrrp_instance_note note, const char *detail);

	/* Data safety (optional: NULL when the config does not use them). */
	/* Probe whether the VIP is served; answer with
	 * vrrp_instance_witness_result(seq, served). */
	void (*witness_start)(void *ctx, uint32_t seq, enum vrrp_fsm_reason cause);
	/* The probe's answer is no longer wanted. */
	void (*witness_cancel)(void *ctx);
	/* Another master (peer->priority 0: none heard, we were frozen):
	 * make the server read-only, compare epochs, answer with
	 * vrrp_instance_contest_result(). */
	void (*contest_start)(void *ctx, const struct vrrp_fsm_advert *peer);
	/* The contest was won: the server may be made writable again. */
	void (*reopen)(void *ctx);
};

/* Counters, always on, for status and tests. The receive counters see
 * the datagrams that carry our VRID (the interface's demux hands us
 * those, and counts the rest once: vrrp_instance_port_stats()). */
struct vrrp_instance_stats {
	uint64_t rx_packets;                      /* datagrams for our VRID */
	uint64_t rx_adverts;                      /* accepted and fed to the FSM */
	/* Refused at the IP header, a datagram's VRID is not known: such
	 * drops are the interface's (vrrp_instance_port_stats()); these
	 * stay 0 and are kept for the status and metrics layouts. */
	uint64_t rx_sock_drops[VRRP_SOCK_DROP__COUNT];
	uint64_t rx_drops[VRRP_DROP__COUNT];
	uint64_t rx_wrong_if;                     /* arrived on another interface */
	uint64_t rx_own;                          /* our own adverts looped back */
	uint64_t rx_not_peer;                     /* unicast mode: sender not a peer */
	uint64_t rx_csum_kind[VRRP_CSUM__KIND_COUNT];
	uint64_t tx_adverts;
	uint64_t tx_errors;
	uint64_t garp_sent;
	uint64_t garp_errors;
};

struct vrrp_instance;

/*
 * Create an instance in state INIT, not yet attached to its interface.
 * loop: the event loop. ports: the owner's set of interface sockets,
 * shared by all its instances (it must outlive them). conf: copied.
 * ops/ctx: the owner's callbacks.
 * Returns 0 and *out, -EINVAL for a bad conf, or -ENOMEM.
 */
int vrrp_instance_new(struct ev_loop *loop, struct vrrp_ports *ports,
		      const struct vrrp_instance_conf *conf, const struct vrrp_instance_ops *ops,
		      void *ctx, struct vrrp_instance **out);

/*
 * Apply a changed configuration (a reload) without touching the state,
 * the timers or the sockets: VIP list, unicast peers, checksum mode,
 * authentication, ARP settings and what vrrp_fsm_update_config() allows.
 * A MASTER announces its VIPs again when the list changed (the owner adds
 * and removes the addresses themselves). conf: copied.
 * Returns 0, -EINVAL when conf changes what needs a new instance (the
 * interface, multicast <-> unicast, and vrrp_fsm_update_config()'s
 * list), or -ENOMEM (then nothing changed).
 */
int vrrp_instance_update(struct vrrp_instance *inst, const struct vrrp_instance_conf *conf);

/* Stop every watcher, let go of the interface's sockets, free. Does not send anything or
 * touch VIPs: call vrrp_instance_stop() first for a clean exit. Accepts NULL. */
void vrrp_instance_free(struct vrrp_instance *inst);

/*
 * Tell the instance what the link looks like now. ifindex 0 = the interface
 * does not exist (FAULT until it appears). up: administratively up with
 * carrier. primary: the interface's primary IPv4 address (source of our
 * adverts and the tie-break), 0.0.0.0 if none (then we cannot send: FAULT).
 * May be called any time; sockets are (re)opened when the ifindex changes.
 */
void vrrp_instance_set_link(struct vrrp_instance *inst, int ifindex, bool up,
			    struct in_addr primary);

/* The same for an IPv6 instance: primary is the interface's link-local
 * address (RFC 5798 5.1.2.1: the source of adverts), NULL or :: if it
 * has none usable (none yet, or still tentative): then FAULT. */
void vrrp_instance_set_link6(struct vrrp_instance *inst, int ifindex, bool up,
			     const struct in6_addr *primary);

/* Leave INIT (RFC 5798 6.4.1): BACKUP, MASTER for an owner, or FAULT. */
void vrrp_instance_start(struct vrrp_instance *inst);

/* Before vrrp_instance_start(): this instance was MASTER in the process
 * that re-executed into this one; start straight as MASTER
 * (vrrp_fsm_resume_master()). */
void vrrp_instance_resume_master(struct vrrp_instance *inst);

/* Shut down: a MASTER sends priority 0 and removes its VIPs; back to INIT. */
void vrrp_instance_stop(struct vrrp_instance *inst);

/* New effective priority from the health score (1..254; ignored by an owner). */
void vrrp_instance_set_priority(struct vrrp_instance *inst, uint8_t priority);

/* A fatal check failed (true) or recovered (false). */
void vrrp_instance_set_check_fault(struct vrrp_instance *inst, bool fault);

/* Data safety: the owner's verdict on whether this node may become MASTER. */
void vrrp_instance_set_eligible(struct vrrp_instance *inst, bool eligible);

/* Data safety: the answer to ops.witness_start(seq). */
void vrrp_instance_witness_result(struct vrrp_instance *inst, uint32_t seq, bool served);

/* Data safety: the answer to ops.contest_start(): >0 our epoch is newer,
 * <0 the other's, 0 equal or unknown (priority decides). */
void vrrp_instance_contest_result(struct vrrp_instance *inst, int epoch_cmp);

/* Our event loop was frozen for gap_ms (the owner measured it): a MASTER
 * sends nothing until its contest is decided. */
void vrrp_instance_stalled(struct vrrp_instance *inst);

/* Hand the VIP to the best backup: priority 0, BACKUP for one
 * Master_Down_Interval. */
void vrrp_instance_resign(struct vrrp_instance *inst);

/* The owner added, on a later attempt, the VIPs its add_vips could not
 * add: a MASTER announces them now (the burst of becoming master). */
void vrrp_instance_vips_added(struct vrrp_instance *inst);

/* The operator's resign: a MASTER hands over as vrrp_instance_resign();
 * in any state the instance then never becomes MASTER until
 * vrrp_instance_resume() (VRRP_EV_ADMIN_RESIGN). */
void vrrp_instance_admin_resign(struct vrrp_instance *inst);

/* End the operator's resign: compete for the VIP again (VRRP_EV_RESUME). */
void vrrp_instance_resume(struct vrrp_instance *inst);

/* The state machine, read-only (state, priorities, timers, master, counters). */
const struct vrrp_fsm *vrrp_instance_fsm(const struct vrrp_instance *inst);

/* Our primary IPv4 address (the adverts' source), 0.0.0.0 when unknown. */
struct in_addr vrrp_instance_primary(const struct vrrp_instance *inst);

/* An IPv6 instance's link-local source address, :: when unknown. */
struct in6_addr vrrp_instance_primary6(const struct vrrp_instance *inst);

/* AF_INET or AF_INET6. */
int vrrp_instance_family(const struct vrrp_instance *inst);

/* The I/O counters. */
const struct vrrp_instance_stats *vrrp_instance_stats(const struct vrrp_instance *inst);

/* The receive counters of the instance's interface (every datagram read
 * there, each counted once), NULL while it has no socket. */
const struct vrrp_demux_stats *vrrp_instance_port_stats(const struct vrrp_instance *inst);

#endif
