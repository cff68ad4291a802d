// SPDX-License-Identifier: GPL-2.0-or-later
// One VRRP instance on the libev loop: the thin I/O shell around the pure
// packet codec and state machine.
#include "instance.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "garp.h"
#include "ndisc.h"
#include "port.h"
#include "ratelimit.h"

struct vrrp_instance {
	struct ev_loop *loop;
	struct vrrp_ports *ports;       /* the owner's set: where our port is found */
	struct vrrp_instance_conf conf; /* arrays and strings below are owned copies */
	char *name;
	char *ifname;
	int family;                     /* AF_INET or AF_INET6, fixed for the instance's life */
	struct in_addr *vips;           /* AF_INET */
	struct in_addr *peers;
	struct in6_addr *vips6;         /* AF_INET6 */
	struct in6_addr *peers6;
	uint8_t vip_bytes[255 * 16];    /* the advert's address list, network order */
	struct vrrp_instance_ops ops;
	void *ctx;

	struct vrrp_fsm fsm;
	struct vrrp_csum_tracker csum;
	/* What received packets are judged against: fixed by the config, so
	 * built once rather than per packet. */
	struct vrrp_pkt_rx_policy rx_policy;
	struct vrrp_pkt_instance_view rx_view;
	struct vrrp_instance_stats stats;

	int ifindex;
	bool link_up;
	bool usable;                    /* link up, sockets open, a source address */
	struct in_addr primary;         /* AF_INET */
	struct in6_addr primary6;       /* AF_INET6: our link-local address */
	/* The sockets of our interface, shared with the other instances on
	 * it (vrrp/port.c); NULL while detached. multicast is fixed for the
	 * instance's life (vrrp_instance_update() refuses to change it). */
	struct vrrp_port *port;
	struct vrrp_demux_member member;
	bool multicast;

	ev_timer fsm_timer;             /* the one wakeup the FSM asked for */
	uint64_t fsm_timer_at;          /* the FSM time it is set for; 0 = to be set */
	bool stepping;                  /* inside step(): see there */
	size_t n_deferred;
	struct vrrp_fsm_event deferred[8];
	ev_timer garp_timer;            /* rounds of a burst, then the second burst */
	unsigned garp_rounds_left;
	bool garp_second_pending;
	ev_timer refresh_timer;         /* periodic ARP while master */
	bool vips_missing;              /* add_vips failed: no ARP until vrrp_instance_vips_added */

	struct vrrp_ratelimit rl_drop[VRRP_DROP__COUNT];
	struct vrrp_ratelimit rl_note[VRRP_NOTE__COUNT];
};

const char *vrrp_instance_note_name(enum vrrp_instance_note note)
{
	switch (note) {
	case VRRP_NOTE_DROP: return "drop";
	case VRRP_NOTE_ADVERT_NOTICE: return "advert-notice";
	case VRRP_NOTE_CSUM: return "checksum";
	case VRRP_NOTE_SEND_FAILED: return "send-failed";
	case VRRP_NOTE_SOCKET: return "socket";
	case VRRP_NOTE__COUNT: break;
	}
	return "unknown";
}

/* The shell reads the clock; the pure code is handed the result. */
static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void note(struct vrrp_instance *inst, enum vrrp_instance_note kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct vrrp_instance *inst, enum vrrp_instance_note kind, const char *fmt, ...)
{
	char detail[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	inst->ops.note(inst->ctx, kind, detail);
}

/* ---- sending ------------------------------------------------------- */

static bool have_primary(const struct vrrp_instance *inst)
{
	return inst->family == AF_INET6 ? !IN6_IS_ADDR_UNSPECIFIED(&inst->primary6)
					: inst->primary.s_addr != 0;
}

static void send_failed(struct vrrp_instance *inst, int family, const void *dst, int rc)
{
	inst->stats.tx_errors++;
	uint64_t hidden;
	if (vrrp_ratelimit_pass(&inst->rl_note[VRRP_NOTE_SEND_FAILED], now_ms(), &hidden)) {
		char to[INET6_ADDRSTRLEN];
		inet_ntop(family, dst, to, sizeof(to));
		note(inst, VRRP_NOTE_SEND_FAILED, "advert to %s: %s (%llu similar suppressed)",
		     to, strerror(-rc), (unsigned long long)hidden);
	}
}

static void send_advert(struct vrrp_instance *inst, uint8_t priority)
{
	if (!inst->port || !have_primary(inst)) {
		inst->stats.tx_errors++;
		return;
	}
	struct vrrp_advert_out adv = {
		.version = inst->conf.fsm.version,
		.vrid = inst->conf.fsm.vrid,
		.priority = priority,
		.count = (uint8_t)inst->conf.n_vips,
		.interval_cs = (uint16_t)(inst->conf.fsm.advert_interval_ms / 10),
		.auth_type = inst->conf.auth_type,
		.addrs = inst->vip_bytes,
	};
	memcpy(adv.auth_data, inst->conf.auth_data, VRRP_AUTH_LEN);
	uint8_t msg[VRRP_PKT_MAX_LEN];

	if (inst->family == AF_INET6) {
		/* RFC 5798 5.1.2: from our link-local address, to ff02::12
		 * (or each unicast peer), the pseudo-header checksum. */
		const struct in6_addr *dsts = inst->conf.n_peers ? inst->peers6 : &vrrp_mcast_group_v6;
		size_t n_dsts = inst->conf.n_peers ? inst->conf.n_peers : 1;
		for (size_t i = 0; i < n_dsts; i++) {
			struct vrrp_pkt_ip ip = { .family = AF_INET6, .ttl = VRRP_TTL };
			memcpy(ip.src, &inst->primary6, 16);
			memcpy(ip.dst, &dsts[i], 16);
			int len = vrrp_pkt_encode(&adv, &ip, VRRP_CSUM_KIND_PSEUDO_HEADER, msg, sizeof(msg));
			int rc = len < 0 ? len
					 : vrrp_sock_send6(vrrp_port_fd(inst->port), inst->ifindex,
							   &inst->primary6, &dsts[i], msg, (size_t)len);
			if (rc < 0)
				send_failed(inst, AF_INET6, &dsts[i], rc);
			else
				inst->stats.tx_adverts++;
		}
		return;
	}

	struct in_addr mcast = { .s_addr = htonl(VRRP_MCAST_GROUP_V4) };
	const struct in_addr *dsts = inst->conf.n_peers ? inst->peers : &mcast;
	size_t n_dsts = inst->conf.n_peers ? inst->conf.n_peers : 1;
	for (size_t i = 0; i < n_dsts; i++) {
		struct vrrp_pkt_ip ip = { .family = AF_INET, .ttl = VRRP_TTL };
		memcpy(ip.src, &inst->primary.s_addr, 4);
		memcpy(ip.dst, &dsts[i].s_addr, 4);
		int len = vrrp_pkt_encode(&adv, &ip, vrrp_csum_tracker_tx_kind(&inst->csum),
					  msg, sizeof(msg));
		int rc = len < 0 ? len
				 : vrrp_sock_send(vrrp_port_fd(inst->port), inst->ifindex,
						  inst->primary, dsts[i], msg, (size_t)len);
		if (rc < 0) {
			send_failed(inst, AF_INET, &dsts[i], rc);
			continue;
		}
		inst->stats.tx_adverts++;
	}
}

/* One ARP announcement (IPv6: one unsolicited Neighbor Advertisement)
 * for each VIP. The counters and settings are the ARP ones for both. */
static void garp_round(struct vrrp_instance *inst)
{
	/* docs/data-safety.md "3.8 Two masters: the contest": two masters
	 * met, or we were frozen: no gratuitous ARP until it is decided. */
	if (!inst->port || vrrp_fsm_contest_pending(&inst->fsm) || inst->vips_missing)
		return;
	int fd = vrrp_port_garp_fd(inst->port);
	const uint8_t *mac = vrrp_port_mac(inst->port);
	for (size_t i = 0; i < inst->conf.n_vips; i++) {
		int rc = inst->family == AF_INET6
				 ? vrrp_na_send(fd, inst->ifindex, &inst->primary6, mac, &inst->vips6[i])
				 : vrrp_garp_send(fd, inst->ifindex, mac, inst->vips[i]);
		if (rc < 0) {
			inst->stats.garp_errors++;
			uint64_t hidden;
			if (vrrp_ratelimit_pass(&inst->rl_note[VRRP_NOTE_SEND_FAILED], now_ms(), &hidden))
				note(inst, VRRP_NOTE_SEND_FAILED, "%s: %s",
				     inst->family == AF_INET6 ? "neighbor advertisement" : "gratuitous ARP",
				     strerror(-rc));
		} else {
			inst->stats.garp_sent++;
		}
	}
}

static void garp_stop(struct vrrp_instance *inst)
{
	ev_timer_stop(inst->loop, &inst->garp_timer);
	ev_timer_stop(inst->loop, &inst->refresh_timer);
	inst->garp_rounds_left = 0;
	inst->garp_second_pending = false;
}

/* Send rounds now while no gap is asked for; otherwise one round and a
 * timer for the next. Then the delayed second burst, if configured. */
static void garp_continue(struct vrrp_instance *inst)
{
	while (inst->garp_rounds_left > 0) {
		garp_round(inst);
		inst->garp_rounds_left--;
		if (inst->garp_rounds_left > 0 && inst->conf.garp_interval_ms > 0) {
			ev_timer_set(&inst->garp_timer, inst->conf.garp_interval_ms / 1000.0, 0.);
			ev_timer_start(inst->loop, &inst->garp_timer);
			return;
		}
	}
	if (inst->garp_second_pending) {
		/* The timer fires into a new burst; the flag says it is the last. */
		inst->garp_second_pending = false;
		inst->garp_rounds_left = 0;
		ev_timer_set(&inst->garp_timer, inst->conf.garp_delay_ms / 1000.0, 0.);
		ev_timer_start(inst->loop, &inst->garp_timer);
	}
}

static void garp_burst(struct vrrp_instance *inst, bool with_second)
{
	ev_timer_stop(inst->loop, &inst->garp_timer);
	inst->garp_rounds_left = inst->conf.garp_repeat ? inst->conf.garp_repeat : 1;
	inst->garp_second_pending = with_second && inst->conf.garp_delay_ms > 0;
	garp_continue(inst);
}

static void garp_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct vrrp_instance *inst = w->data;
	if (inst->garp_rounds_left == 0) /* the delayed second burst is due */
		garp_burst(inst, false);
	else
		garp_continue(inst);
}

static void refresh_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct vrrp_instance *inst = w->data;
	for (unsigned i = 0; i < (inst->conf.garp_refresh_repeat ? inst->conf.garp_refresh_repeat : 1u); i++)
		garp_round(inst);
}

/* ---- driving the state machine ------------------------------------- */

static void execute(struct vrrp_instance *inst, const struct vrrp_fsm_action *act,
		    bool becoming_master)
{
	switch (act->type) {
	case VRRP_ACT_SEND_ADVERT:
		send_advert(inst, act->advert_priority);
		break;
	case VRRP_ACT_ADD_VIPS:
		inst->vips_missing = inst->ops.add_vips(inst->ctx) < 0;
		break;
	case VRRP_ACT_REMOVE_VIPS:
		garp_stop(inst);
		inst->vips_missing = false;
		inst->ops.remove_vips(inst->ctx);
		break;
	case VRRP_ACT_ANNOUNCE:
		/* On becoming master a burst and, later, a second one; a
		 * split brain healing gets one burst (RFC 9568 6.4.3 plus
		 * keepalived's practice: switches must relearn our MAC).
		 * Not for an address we could not add: clients would send
		 * to a host that drops their packets (the owner retries and
		 * calls vrrp_instance_vips_added). */
		if (!inst->vips_missing)
			garp_burst(inst, becoming_master);
		break;
	case VRRP_ACT_STATE_CHANGED: {
		if (act->change.to == VRRP_STATE_MASTER && inst->conf.garp_refresh_ms > 0) {
			double every = inst->conf.garp_refresh_ms / 1000.0;
			ev_timer_set(&inst->refresh_timer, every, every);
			ev_timer_start(inst->loop, &inst->refresh_timer);
		} else if (act->change.to != VRRP_STATE_MASTER) {
			garp_stop(inst);
		}
		struct vrrp_instance_change chg = {
			.from = act->change.from,
			.to = act->change.to,
			.reason = act->change.reason,
			.priority = act->change.priority,
			.master = vrrp_fsm_master(&inst->fsm),
		};
		inst->ops.state_changed(inst->ctx, &chg);
		break;
	}
	case VRRP_ACT_WITNESS_START:
		if (inst->ops.witness_start)
			inst->ops.witness_start(inst->ctx, act->witness_seq, act->witness_cause);
		break;
	case VRRP_ACT_WITNESS_CANCEL:
		if (inst->ops.witness_cancel)
			inst->ops.witness_cancel(inst->ctx);
		break;
	case VRRP_ACT_CONTEST_START:
		garp_stop(inst); /* no ARP until the contest is decided */
		if (inst->ops.contest_start)
			inst->ops.contest_start(inst->ctx, &act->peer);
		break;
	case VRRP_ACT_REOPEN:
		if (inst->ops.reopen)
			inst->ops.reopen(inst->ctx);
		if (inst->conf.garp_refresh_ms > 0) {
			double every = inst->conf.garp_refresh_ms / 1000.0;
			ev_timer_set(&inst->refresh_timer, every, every);
			ev_timer_start(inst->loop, &inst->refresh_timer);
		}
		break;
	case VRRP_ACT_COUNT:
		break;
	}
}

/* One event at time now (our clock, ms). */
static void step_one(struct vrrp_instance *inst, const struct vrrp_fsm_event *ev, uint64_t now)
{
	struct vrrp_fsm_actions acts;
	vrrp_fsm_step(&inst->fsm, ev, now, &acts);
	bool becoming_master = false;
	for (size_t i = 0; i < acts.count; i++)
		if (acts.list[i].type == VRRP_ACT_STATE_CHANGED &&
		    acts.list[i].change.to == VRRP_STATE_MASTER)
			becoming_master = true;
	for (size_t i = 0; i < acts.count; i++)
		execute(inst, &acts.list[i], becoming_master);

	if (!acts.wakeup_ms) {
		ev_timer_stop(inst->loop, &inst->fsm_timer);
		inst->fsm_timer_at = 0;
		return;
	}
	/* Set already for that time (a MASTER hearing a lower priority, a
	 * priority change that moves nothing): leave it. */
	if (acts.wakeup_ms == inst->fsm_timer_at && ev_is_active(&inst->fsm_timer))
		return;
	/* libev's timers run on its own cached monotonic time, which may
	 * lag ours by a little: a timer can fire a moment early. The FSM
	 * absorbs an early TIMER and asks again. */
	uint64_t delay = acts.wakeup_ms > now ? acts.wakeup_ms - now : 0;
	inst->fsm_timer_at = acts.wakeup_ms;
	if (delay > 0) {
		/* A BACKUP moves its Master_Down_Timer on every advert:
		 * ev_timer_again() moves the timer within libev's heap
		 * instead of taking it out and putting it back. The repeat
		 * is only its way of carrying the delay: every firing steps
		 * the FSM, which sets the timer again or stops it. */
		inst->fsm_timer.repeat = (double)delay / 1000.0;
		ev_timer_again(inst->loop, &inst->fsm_timer);
	} else {
		ev_timer_stop(inst->loop, &inst->fsm_timer);
		ev_timer_set(&inst->fsm_timer, 0., 0.);
		ev_timer_start(inst->loop, &inst->fsm_timer);
	}
}

/*
 * Feed one event. An owner's callback may answer at once (a witness probe
 * that cannot start, a contest with nobody to ask) and so call back into
 * the instance while its actions are being carried out: such events wait
 * in a small queue and are stepped after the current one, so every step
 * sees the machine as the previous one left it.
 */
static void step_at(struct vrrp_instance *inst, const struct vrrp_fsm_event *ev, uint64_t now)
{
	if (inst->stepping) {
		if (inst->n_deferred < sizeof(inst->deferred) / sizeof(inst->deferred[0]))
			inst->deferred[inst->n_deferred++] = *ev;
		return;
	}
	inst->stepping = true;
	step_one(inst, ev, now);
	for (size_t i = 0; i < inst->n_deferred; i++)
		step_one(inst, &inst->deferred[i], now_ms());
	inst->n_deferred = 0;
	inst->stepping = false;
}

static void step(struct vrrp_instance *inst, const struct vrrp_fsm_event *ev)
{
	step_at(inst, ev, now_ms());
}

static void step_type(struct vrrp_instance *inst, enum vrrp_fsm_event_type type)
{
	struct vrrp_fsm_event ev = { .type = type };
	step(inst, &ev);
}

/* A drop of reason `drop` for this instance: counted, and logged at
 * most every VRRP_NOTE_INTERVAL_MS per reason. */
/* The sender of a received datagram, as text. */
static const char *src_text(const struct vrrp_rx_info *info, char *buf, size_t len)
{
	if (info->family == AF_INET6)
		inet_ntop(AF_INET6, &info->src6, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET, &info->src, buf, (socklen_t)len);
	return buf;
}

static void rx_drop(struct vrrp_instance *inst, enum vrrp_drop drop, const struct vrrp_rx_info *info,
		    uint64_t now)
{
	uint64_t hidden;
	inst->stats.rx_drops[drop]++;
	/* Other VRIDs on the same link are normal: counted, not logged. */
	if (drop == VRRP_DROP_VRID || !vrrp_ratelimit_pass(&inst->rl_drop[drop], now, &hidden))
		return;
	char from[INET6_ADDRSTRLEN];
	src_text(info, from, sizeof(from));
	note(inst, VRRP_NOTE_DROP, "dropped packet from %s: %s (%llu more suppressed)", from,
	     vrrp_drop_name(drop), (unsigned long long)hidden);
}

/*
 * "The" advert as VRRP's receive rules judge it, for a datagram the
 * interface's demux (vrrp/rx_demux.c) handed us because it carries our
 * VRID. The rules and their order are those of an instance reading its
 * own socket: the receiving interface, our own advert, the unicast peer
 * list, then syntax (vrrp_pkt_decode_any() ran once for every instance:
 * its verdict is in pkt; vrrp_pkt_check_policy() for our version,
 * checksum mode and authentication) and semantics
 * (vrrp_pkt_check_instance). Returns true and fills *adv for an advert
 * to feed to the state machine. No string is formatted unless logged:
 * a BACKUP runs this for every advert of its master.
 */
static bool accept_packet(struct vrrp_instance *inst, const struct vrrp_demux_packet *pkt,
			  struct vrrp_advert *adv)
{
	const struct vrrp_rx_info *info = pkt->info;
	uint64_t now = pkt->now_ms;
	uint64_t hidden;

	if (pkt->verdict == VRRP_DEMUX_WRONG_IF) {
		inst->stats.rx_wrong_if++;
		return false;
	}
	bool v6 = inst->family == AF_INET6;
	if (v6 ? memcmp(&info->src6, &inst->primary6, 16) == 0 : info->src.s_addr == inst->primary.s_addr) {
		inst->stats.rx_own++;
		return false;
	}
	if (inst->conf.n_peers) {
		bool known = false;
		for (size_t i = 0; i < inst->conf.n_peers && !known; i++)
			known = v6 ? memcmp(&inst->peers6[i], &info->src6, 16) == 0
				   : inst->peers[i].s_addr == info->src.s_addr;
		if (!known) {
			inst->stats.rx_not_peer++;
			return false;
		}
	}
	if (pkt->verdict == VRRP_DEMUX_DROPPED) {
		rx_drop(inst, pkt->drop, info, now);
		return false;
	}

	*adv = *pkt->adv;
	enum vrrp_csum_kind kind;
	unsigned notices = 0;
	enum vrrp_drop drop = vrrp_pkt_check_policy(adv, &inst->rx_policy, &kind);
	if (drop == VRRP_DROP_NONE) {
		adv->csum_kind = kind;
		drop = vrrp_pkt_check_instance(adv, &inst->rx_view, &notices);
	}
	if (drop != VRRP_DROP_NONE) {
		rx_drop(inst, drop, info, now);
		return false;
	}
	char from[INET6_ADDRSTRLEN] = "";
	if (notices && vrrp_ratelimit_pass(&inst->rl_note[VRRP_NOTE_ADVERT_NOTICE], now, &hidden)) {
		src_text(info, from, sizeof(from));
		note(inst, VRRP_NOTE_ADVERT_NOTICE,
		     "advert from %s (priority %u, interval %u ms, %u addresses)%s%s",
		     from, adv->priority, adv->interval_cs * 10u, adv->count,
		     notices & VRRP_NOTICE_ADDR_MISMATCH ? ": address list differs from ours" : "",
		     notices & VRRP_NOTICE_INTERVAL_MISMATCH ? ": advert interval differs from ours" : "");
	}

	inst->stats.rx_csum_kind[adv->csum_kind]++;
	/* Only v3 over IPv4 has two checksum forms to track. */
	if (adv->version == 3 && !v6) {
		enum vrrp_csum_event ce = vrrp_csum_tracker_observe(&inst->csum, adv->csum_kind,
								    (const uint8_t *)&info->src.s_addr);
		if (ce != VRRP_CSUM_EV_NONE) {
			inet_ntop(AF_INET, &info->src, from, sizeof(from));
			note(inst, VRRP_NOTE_CSUM, "checksum convention: %s (peer %s uses %s; now sending %s)",
			     vrrp_csum_event_name(ce), from, vrrp_csum_kind_name(adv->csum_kind),
			     vrrp_csum_kind_name(vrrp_csum_tracker_tx_kind(&inst->csum)));
		}
	}
	return true;
}

/* The demux's delivery: a datagram for our VRID, or the reason it was
 * refused before us (counted and reported here too, as ours). */
static void rx_deliver(void *ctx, const struct vrrp_demux_packet *pkt)
{
	struct vrrp_instance *inst = ctx;
	struct vrrp_advert adv;
	inst->stats.rx_packets++;
	if (!accept_packet(inst, pkt, &adv))
		return;
	inst->stats.rx_adverts++;
	struct vrrp_fsm_event ev = { .type = VRRP_EV_ADVERT };
	ev.advert.priority = adv.priority;
	ev.advert.interval_ms = (uint32_t)adv.interval_cs * 10u;
	if (inst->family == AF_INET6) {
		ev.advert.src.len = 16;
		memcpy(ev.advert.src.bytes, &pkt->info->src6, 16);
	} else {
		ev.advert.src.len = 4;
		memcpy(ev.advert.src.bytes, &pkt->info->src.s_addr, 4);
	}
	step_at(inst, &ev, pkt->now_ms);
}

static void fsm_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct vrrp_instance *inst = w->data;
	/* libev set it again by its repeat: whatever the FSM answers now
	 * (even the same deadline, after an early firing) is set anew. */
	inst->fsm_timer_at = 0;
	step_type(inst, VRRP_EV_TIMER);
}

/* ---- sockets and link ---------------------------------------------- */

static void close_sockets(struct vrrp_instance *inst)
{
	if (inst->port)
		vrrp_port_detach(inst->port, &inst->member, inst->multicast);
	inst->port = NULL;
}

/* Our share of the interface's sockets: opened by the first instance on
 * it, after that only a reference and our VRID in its demux. */
static void open_sockets(struct vrrp_instance *inst)
{
	const char *what = NULL;
	int rc = vrrp_port_attach(inst->ports, inst->ifname, inst->ifindex, inst->family, inst->multicast,
				  &inst->member, &inst->port, &what);
	if (rc < 0)
		note(inst, VRRP_NOTE_SOCKET, "VRRP sockets on %s (%s): %s", inst->ifname,
		     what ? what : "?", strerror(-rc));
}

/* primary: 4 or 16 bytes (len), NULL when there is none. */
static void set_link(struct vrrp_instance *inst, int ifindex, bool up, const uint8_t *primary,
		     size_t len)
{
	if (ifindex != inst->ifindex || (ifindex && !inst->port)) {
		close_sockets(inst);
		inst->ifindex = ifindex;
		if (ifindex)
			open_sockets(inst);
	}
	inst->link_up = up;
	vrrp_fsm_set_self(&inst->fsm, primary, primary ? len : 0);

	/* Without a socket or a source address the instance can neither
	 * hear nor be heard: the same as a dead link for VRRP. */
	bool usable = ifindex && up && inst->port && primary;
	if (usable != inst->usable) {
		inst->usable = usable;
		step_type(inst, usable ? VRRP_EV_LINK_UP : VRRP_EV_LINK_DOWN);
	}
}

void vrrp_instance_set_link(struct vrrp_instance *inst, int ifindex, bool up,
			    struct in_addr primary)
{
	inst->primary = primary;
	set_link(inst, ifindex, up, primary.s_addr ? (const uint8_t *)&inst->primary.s_addr : NULL, 4);
}

void vrrp_instance_set_link6(struct vrrp_instance *inst, int ifindex, bool up,
			     const struct in6_addr *primary)
{
	if (primary && !IN6_IS_ADDR_UNSPECIFIED(primary))
		inst->primary6 = *primary;
	else
		memset(&inst->primary6, 0, sizeof(inst->primary6));
	set_link(inst, ifindex, up,
		 have_primary(inst) ? (const uint8_t *)&inst->primary6 : NULL, 16);
}

/* ---- lifecycle ----------------------------------------------------- */

/* The owned copies of a conf's arrays, made before anything changes so a
 * failed allocation leaves the instance as it was. */
struct conf_copy {
	struct in_addr *vips;
	struct in_addr *peers;
	struct in6_addr *vips6;
	struct in6_addr *peers6;
};

static bool is_v6(const struct vrrp_instance_conf *conf)
{
	return conf->family == AF_INET6;
}

static int copy_arrays(struct conf_copy *c, const struct vrrp_instance_conf *conf)
{
	*c = (struct conf_copy){ 0 };
	size_t np = conf->n_peers;
	if (is_v6(conf)) {
		c->vips6 = calloc(conf->n_vips, sizeof(*c->vips6));
		c->peers6 = np ? calloc(np, sizeof(*c->peers6)) : NULL;
		if (!c->vips6 || (np && !c->peers6))
			goto nomem;
		memcpy(c->vips6, conf->vips6, conf->n_vips * sizeof(*c->vips6));
		if (np)
			memcpy(c->peers6, conf->peers6, np * sizeof(*c->peers6));
		return 0;
	}
	c->vips = calloc(conf->n_vips, sizeof(*c->vips));
	c->peers = np ? calloc(np, sizeof(*c->peers)) : NULL;
	if (!c->vips || (np && !c->peers))
		goto nomem;
	memcpy(c->vips, conf->vips, conf->n_vips * sizeof(*c->vips));
	if (np)
		memcpy(c->peers, conf->peers, np * sizeof(*c->peers));
	return 0;
nomem:
	free(c->vips);
	free(c->peers);
	free(c->vips6);
	free(c->peers6);
	return -ENOMEM;
}

/* Take conf (its arrays already copied into c): the receive policy and
 * the advert's address list follow it. */
static void take_conf(struct vrrp_instance *inst, const struct vrrp_instance_conf *conf,
		      struct conf_copy *c)
{
	free(inst->vips);
	free(inst->peers);
	free(inst->vips6);
	free(inst->peers6);
	inst->vips = c->vips;
	inst->peers = c->peers;
	inst->vips6 = c->vips6;
	inst->peers6 = c->peers6;
	inst->conf = *conf;
	inst->conf.family = inst->family;
	inst->conf.name = inst->name;
	inst->conf.ifname = inst->ifname;
	inst->conf.vips = inst->vips;
	inst->conf.peers = inst->peers;
	inst->conf.vips6 = inst->vips6;
	inst->conf.peers6 = inst->peers6;
	for (size_t i = 0; i < conf->n_vips; i++) {
		if (is_v6(conf))
			memcpy(inst->vip_bytes + 16 * i, &conf->vips6[i], 16);
		else
			memcpy(inst->vip_bytes + 4 * i, &conf->vips[i].s_addr, 4);
	}
	inst->rx_policy = (struct vrrp_pkt_rx_policy){
		.version = conf->fsm.version,
		.csum = conf->csum,
		.auth_type = conf->auth_type,
	};
	memcpy(inst->rx_policy.auth_data, conf->auth_data, VRRP_AUTH_LEN);
	inst->rx_view = (struct vrrp_pkt_instance_view){
		.vrid = conf->fsm.vrid,
		.priority = conf->fsm.base_priority,
		.interval_cs = (uint16_t)(conf->fsm.advert_interval_ms / 10),
		.addrs = inst->vip_bytes,
		.count = (uint8_t)conf->n_vips,
	};
}

static bool conf_shape_ok(const struct vrrp_instance_conf *conf)
{
	if (conf->family != 0 && conf->family != AF_INET && conf->family != AF_INET6)
		return false;
	/* VRRPv2 (RFC 3768) is IPv4 only. */
	if (is_v6(conf))
		return conf->ifname && conf->n_vips > 0 && conf->n_vips <= 255 && conf->vips6 &&
		       (!conf->n_peers || conf->peers6) && conf->fsm.version == 3;
	return conf->ifname && conf->n_vips > 0 && conf->n_vips <= 255 && conf->vips &&
	       (!conf->n_peers || conf->peers);
}

static int copy_conf(struct vrrp_instance *inst, const struct vrrp_instance_conf *conf)
{
	struct conf_copy c;
	inst->name = strdup(conf->name ? conf->name : "");
	inst->ifname = strdup(conf->ifname);
	if (!inst->name || !inst->ifname || copy_arrays(&c, conf) < 0)
		return -ENOMEM;
	take_conf(inst, conf, &c);
	return 0;
}

int vrrp_instance_update(struct vrrp_instance *inst, const struct vrrp_instance_conf *conf)
{
	if (!conf_shape_ok(conf) || strcmp(conf->ifname, inst->ifname) != 0 ||
	    (conf->n_peers == 0) != (inst->conf.n_peers == 0) ||
	    (is_v6(conf) ? AF_INET6 : AF_INET) != inst->family)
		return -EINVAL;
	struct vrrp_fsm probe = inst->fsm;
	if (vrrp_fsm_update_config(&probe, &conf->fsm) < 0)
		return -EINVAL;
	struct conf_copy c;
	if (copy_arrays(&c, conf) < 0)
		return -ENOMEM;
	bool vips_changed = conf->n_vips != inst->conf.n_vips ||
			    (is_v6(conf) ? memcmp(conf->vips6, inst->vips6, conf->n_vips * sizeof(*conf->vips6))
					 : memcmp(conf->vips, inst->vips, conf->n_vips * sizeof(*conf->vips))) != 0;
	bool csum_changed = conf->csum != inst->conf.csum;
	uint32_t refresh_was = inst->conf.garp_refresh_ms;
	take_conf(inst, conf, &c);
	vrrp_fsm_update_config(&inst->fsm, &conf->fsm);
	if (csum_changed)
		vrrp_csum_tracker_init(&inst->csum, conf->csum);
	if (vrrp_fsm_state(&inst->fsm) != VRRP_STATE_MASTER)
		return 0;
	/* A master announces the addresses it now serves; the periodic
	 * refresh follows its new period. */
	if (vips_changed)
		garp_burst(inst, false);
	if (conf->garp_refresh_ms != refresh_was) {
		ev_timer_stop(inst->loop, &inst->refresh_timer);
		if (conf->garp_refresh_ms > 0) {
			double every = conf->garp_refresh_ms / 1000.0;
			ev_timer_set(&inst->refresh_timer, every, every);
			ev_timer_start(inst->loop, &inst->refresh_timer);
		}
	}
	return 0;
}

int vrrp_instance_new(struct ev_loop *loop, struct vrrp_ports *ports,
		      const struct vrrp_instance_conf *conf, const struct vrrp_instance_ops *ops,
		      void *ctx, struct vrrp_instance **out)
{
	*out = NULL;
	if (!ports || !conf_shape_ok(conf) || !ops->add_vips || !ops->remove_vips ||
	    !ops->state_changed || !ops->note)
		return -EINVAL;
	struct vrrp_instance *inst = calloc(1, sizeof(*inst));
	if (!inst)
		return -ENOMEM;
	inst->loop = loop;
	inst->ops = *ops;
	inst->ctx = ctx;
	inst->ports = ports;
	inst->multicast = conf->n_peers == 0;
	inst->family = is_v6(conf) ? AF_INET6 : AF_INET;
	inst->member = (struct vrrp_demux_member){
		.vrid = conf->fsm.vrid, .deliver = rx_deliver, .ctx = inst,
	};
	int rc = copy_conf(inst, conf);
	if (rc == 0)
		rc = vrrp_fsm_init(&inst->fsm, &conf->fsm, NULL);
	if (rc < 0) {
		vrrp_instance_free(inst);
		return rc;
	}
	vrrp_csum_tracker_init(&inst->csum, conf->csum);

	ev_timer_init(&inst->fsm_timer, fsm_timer_cb, 0., 0.);
	inst->fsm_timer.data = inst;
	ev_timer_init(&inst->garp_timer, garp_timer_cb, 0., 0.);
	inst->garp_timer.data = inst;
	ev_timer_init(&inst->refresh_timer, refresh_timer_cb, 0., 0.);
	inst->refresh_timer.data = inst;

	/* Until the owner reports the link, it is not there. */
	step_type(inst, VRRP_EV_LINK_DOWN);
	*out = inst;
	return 0;
}

void vrrp_instance_free(struct vrrp_instance *inst)
{
	if (!inst)
		return;
	if (inst->loop) {
		ev_timer_stop(inst->loop, &inst->fsm_timer);
		garp_stop(inst);
		close_sockets(inst);
	}
	free(inst->name);
	free(inst->ifname);
	free(inst->vips);
	free(inst->peers);
	free(inst->vips6);
	free(inst->peers6);
	free(inst);
}

void vrrp_instance_start(struct vrrp_instance *inst)
{
	step_type(inst, VRRP_EV_STARTUP);
}

void vrrp_instance_stop(struct vrrp_instance *inst)
{
	step_type(inst, VRRP_EV_SHUTDOWN);
	garp_stop(inst);
}

void vrrp_instance_set_priority(struct vrrp_instance *inst, uint8_t priority)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_PRIORITY, .priority = priority };
	step(inst, &ev);
}

void vrrp_instance_set_check_fault(struct vrrp_instance *inst, bool fault)
{
	step_type(inst, fault ? VRRP_EV_FAULT_SET : VRRP_EV_FAULT_CLEAR);
}

void vrrp_instance_set_eligible(struct vrrp_instance *inst, bool eligible)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_ELIGIBLE, .flag = eligible };
	step(inst, &ev);
}

void vrrp_instance_witness_result(struct vrrp_instance *inst, uint32_t seq, bool served)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_WITNESS,
				     .witness = { .seq = seq, .served = served } };
	step(inst, &ev);
}

void vrrp_instance_contest_result(struct vrrp_instance *inst, int epoch_cmp)
{
	struct vrrp_fsm_event ev = { .type = VRRP_EV_CONTEST,
				     .contest = { .epoch_cmp = epoch_cmp } };
	step(inst, &ev);
}

void vrrp_instance_stalled(struct vrrp_instance *inst)
{
	step_type(inst, VRRP_EV_STALLED);
}

void vrrp_instance_resume_master(struct vrrp_instance *inst)
{
	vrrp_fsm_resume_master(&inst->fsm);
}

void vrrp_instance_resign(struct vrrp_instance *inst)
{
	step_type(inst, VRRP_EV_RESIGN);
}

void vrrp_instance_vips_added(struct vrrp_instance *inst)
{
	bool was_missing = inst->vips_missing;
	inst->vips_missing = false;
	if (was_missing && vrrp_fsm_state(&inst->fsm) == VRRP_STATE_MASTER &&
	    !vrrp_fsm_contest_pending(&inst->fsm))
		garp_burst(inst, true);
}

void vrrp_instance_admin_resign(struct vrrp_instance *inst)
{
	step_type(inst, VRRP_EV_ADMIN_RESIGN);
}

void vrrp_instance_resume(struct vrrp_instance *inst)
{
	step_type(inst, VRRP_EV_RESUME);
}

const struct vrrp_fsm *vrrp_instance_fsm(const struct vrrp_instance *inst)
{
	return &inst->fsm;
}

const struct vrrp_instance_stats *vrrp_instance_stats(const struct vrrp_instance *inst)
{
	return &inst->stats;
}

const struct vrrp_demux_stats *vrrp_instance_port_stats(const struct vrrp_instance *inst)
{
	return inst->port ? vrrp_port_stats(inst->port) : NULL;
}

struct in_addr vrrp_instance_primary(const struct vrrp_instance *inst)
{
	return inst->primary;
}

struct in6_addr vrrp_instance_primary6(const struct vrrp_instance *inst)
{
	return inst->primary6;
}

int vrrp_instance_family(const struct vrrp_instance *inst)
{
	return inst->family;
}
