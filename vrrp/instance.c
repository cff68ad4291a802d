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

/* Per-packet notes are logged at most this often per reason; the counters
 * see every packet (RFC 9568 7.1 asks for rate-limited drop logging). */
#define NOTE_INTERVAL_MS 10000u
/* Datagrams read per wakeup, so a flood cannot starve the timers. */
#define RX_BURST 32
/* Largest IPv4 datagram an advert can arrive in: a 60-byte header plus
 * the largest message. */
#define RX_BUF_LEN (60 + VRRP_PKT_MAX_LEN)

struct ratelimit {
	uint64_t last_ms;
	uint64_t suppressed;
	bool used;
};

struct vrrp_instance {
	struct ev_loop *loop;
	struct vrrp_instance_conf conf; /* arrays and strings below are owned copies */
	char *name;
	char *ifname;
	struct in_addr *vips;
	struct in_addr *peers;
	uint8_t vip_bytes[255 * 4];     /* the advert's address list, network order */
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
	struct in_addr primary;
	int fd;                         /* raw protocol-112 socket, -1 if closed */
	int garp_fd;                    /* packet socket for ARP, -1 if closed */
	uint8_t mac[6];

	ev_io rx;
	ev_timer fsm_timer;             /* the one wakeup the FSM asked for */
	bool stepping;                  /* inside step(): see there */
	size_t n_deferred;
	struct vrrp_fsm_event deferred[8];
	ev_timer garp_timer;            /* rounds of a burst, then the second burst */
	unsigned garp_rounds_left;
	bool garp_second_pending;
	ev_timer refresh_timer;         /* periodic ARP while master */

	struct ratelimit rl_sock[VRRP_SOCK_DROP__COUNT];
	struct ratelimit rl_drop[VRRP_DROP__COUNT];
	struct ratelimit rl_note[VRRP_NOTE__COUNT];
	uint8_t rxbuf[RX_BUF_LEN];
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

/* True when a note for this key may be logged now; counts what it hides. */
static bool ratelimit_pass(struct ratelimit *rl, uint64_t now, uint64_t *suppressed)
{
	if (rl->used && now - rl->last_ms < NOTE_INTERVAL_MS) {
		rl->suppressed++;
		return false;
	}
	*suppressed = rl->suppressed;
	rl->used = true;
	rl->last_ms = now;
	rl->suppressed = 0;
	return true;
}

/* ---- sending ------------------------------------------------------- */

static void send_advert(struct vrrp_instance *inst, uint8_t priority)
{
	if (inst->fd < 0 || inst->primary.s_addr == 0) {
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

	struct in_addr mcast = { .s_addr = htonl(VRRP_MCAST_GROUP_V4) };
	const struct in_addr *dsts = inst->conf.n_peers ? inst->peers : &mcast;
	size_t n_dsts = inst->conf.n_peers ? inst->conf.n_peers : 1;
	for (size_t i = 0; i < n_dsts; i++) {
		struct vrrp_pkt_ip ip = { .family = AF_INET, .ttl = VRRP_TTL };
		memcpy(ip.src, &inst->primary.s_addr, 4);
		memcpy(ip.dst, &dsts[i].s_addr, 4);
		uint8_t msg[VRRP_PKT_MAX_LEN];
		int len = vrrp_pkt_encode(&adv, &ip, vrrp_csum_tracker_tx_kind(&inst->csum),
					  msg, sizeof(msg));
		int rc = len < 0 ? len
				 : vrrp_sock_send(inst->fd, inst->ifindex, inst->primary, dsts[i],
						  msg, (size_t)len);
		if (rc < 0) {
			inst->stats.tx_errors++;
			uint64_t hidden;
			if (ratelimit_pass(&inst->rl_note[VRRP_NOTE_SEND_FAILED], now_ms(), &hidden)) {
				char to[INET_ADDRSTRLEN];
				inet_ntop(AF_INET, &dsts[i], to, sizeof(to));
				note(inst, VRRP_NOTE_SEND_FAILED, "advert to %s: %s (%llu similar suppressed)",
				     to, strerror(-rc), (unsigned long long)hidden);
			}
			continue;
		}
		inst->stats.tx_adverts++;
	}
}

/* One ARP announcement for each VIP. */
static void garp_round(struct vrrp_instance *inst)
{
	/* docs/data-safety.md "3.8 Two masters: the contest": two masters
	 * met, or we were frozen: no gratuitous ARP until it is decided. */
	if (inst->garp_fd < 0 || vrrp_fsm_contest_pending(&inst->fsm))
		return;
	for (size_t i = 0; i < inst->conf.n_vips; i++) {
		int rc = vrrp_garp_send(inst->garp_fd, inst->ifindex, inst->mac, inst->vips[i]);
		if (rc < 0) {
			inst->stats.garp_errors++;
			uint64_t hidden;
			if (ratelimit_pass(&inst->rl_note[VRRP_NOTE_SEND_FAILED], now_ms(), &hidden))
				note(inst, VRRP_NOTE_SEND_FAILED, "gratuitous ARP: %s", strerror(-rc));
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
		inst->ops.add_vips(inst->ctx);
		break;
	case VRRP_ACT_REMOVE_VIPS:
		garp_stop(inst);
		inst->ops.remove_vips(inst->ctx);
		break;
	case VRRP_ACT_ANNOUNCE:
		/* On becoming master a burst and, later, a second one; a
		 * split brain healing gets one burst (RFC 9568 6.4.3 plus
		 * keepalived's practice: switches must relearn our MAC). */
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
			inst->ops.witness_start(inst->ctx, act->witness_seq);
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

static void step_one(struct vrrp_instance *inst, const struct vrrp_fsm_event *ev)
{
	struct vrrp_fsm_actions acts;
	uint64_t now = now_ms();
	vrrp_fsm_step(&inst->fsm, ev, now, &acts);
	bool becoming_master = false;
	for (size_t i = 0; i < acts.count; i++)
		if (acts.list[i].type == VRRP_ACT_STATE_CHANGED &&
		    acts.list[i].change.to == VRRP_STATE_MASTER)
			becoming_master = true;
	for (size_t i = 0; i < acts.count; i++)
		execute(inst, &acts.list[i], becoming_master);

	ev_timer_stop(inst->loop, &inst->fsm_timer);
	if (acts.wakeup_ms) {
		/* libev's timers run on its own cached monotonic time, which
		 * may lag ours by a little: a timer can fire a moment early.
		 * The FSM absorbs an early TIMER and asks again. */
		uint64_t delay = acts.wakeup_ms > now ? acts.wakeup_ms - now : 0;
		ev_timer_set(&inst->fsm_timer, (double)delay / 1000.0, 0.);
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
static void step(struct vrrp_instance *inst, const struct vrrp_fsm_event *ev)
{
	if (inst->stepping) {
		if (inst->n_deferred < sizeof(inst->deferred) / sizeof(inst->deferred[0]))
			inst->deferred[inst->n_deferred++] = *ev;
		return;
	}
	inst->stepping = true;
	step_one(inst, ev);
	for (size_t i = 0; i < inst->n_deferred; i++)
		step_one(inst, &inst->deferred[i]);
	inst->n_deferred = 0;
	inst->stepping = false;
}

static void step_type(struct vrrp_instance *inst, enum vrrp_fsm_event_type type)
{
	struct vrrp_fsm_event ev = { .type = type };
	step(inst, &ev);
}

/*
 * "The" advert as VRRP's receive rules judge it: socket facts, syntax
 * (vrrp_pkt_decode) and semantics (vrrp_pkt_check_instance). Returns true
 * and fills *adv for an advert to feed to the state machine.
 */
static bool accept_packet(struct vrrp_instance *inst, const struct vrrp_rx_info *info,
			  struct vrrp_advert *adv)
{
	uint64_t now = now_ms();
	uint64_t hidden;
	char from[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &info->src, from, sizeof(from));

	if (info->ifindex && info->ifindex != inst->ifindex) {
		inst->stats.rx_wrong_if++;
		return false;
	}
	if (info->src.s_addr == inst->primary.s_addr) {
		inst->stats.rx_own++;
		return false;
	}
	if (inst->conf.n_peers) {
		bool known = false;
		for (size_t i = 0; i < inst->conf.n_peers && !known; i++)
			known = inst->peers[i].s_addr == info->src.s_addr;
		if (!known) {
			inst->stats.rx_not_peer++;
			return false;
		}
	}

	struct vrrp_pkt_ip ip = { .family = AF_INET, .ttl = info->ttl };
	memcpy(ip.src, &info->src.s_addr, 4);
	memcpy(ip.dst, &info->dst.s_addr, 4);
	enum vrrp_drop drop = vrrp_pkt_decode(info->payload, info->payload_len, &ip,
					      &inst->rx_policy, adv);
	if (drop == VRRP_DROP_NONE) {
		unsigned notices = 0;
		drop = vrrp_pkt_check_instance(adv, &inst->rx_view, &notices);
		if (drop == VRRP_DROP_NONE && notices &&
		    ratelimit_pass(&inst->rl_note[VRRP_NOTE_ADVERT_NOTICE], now, &hidden)) {
			note(inst, VRRP_NOTE_ADVERT_NOTICE,
			     "advert from %s (priority %u, interval %u ms, %u addresses)%s%s",
			     from, adv->priority, adv->interval_cs * 10u, adv->count,
			     notices & VRRP_NOTICE_ADDR_MISMATCH ? ": address list differs from ours" : "",
			     notices & VRRP_NOTICE_INTERVAL_MISMATCH ? ": advert interval differs from ours" : "");
		}
	}
	if (drop != VRRP_DROP_NONE) {
		inst->stats.rx_drops[drop]++;
		/* Other VRIDs on the same link are normal: counted, not logged. */
		if (drop != VRRP_DROP_VRID && ratelimit_pass(&inst->rl_drop[drop], now, &hidden))
			note(inst, VRRP_NOTE_DROP, "dropped packet from %s: %s (%llu more suppressed)",
			     from, vrrp_drop_name(drop), (unsigned long long)hidden);
		return false;
	}

	inst->stats.rx_csum_kind[adv->csum_kind]++;
	if (adv->version == 3) {
		enum vrrp_csum_event ce = vrrp_csum_tracker_observe(&inst->csum, adv->csum_kind, ip.src);
		if (ce != VRRP_CSUM_EV_NONE)
			note(inst, VRRP_NOTE_CSUM, "checksum convention: %s (peer %s uses %s; now sending %s)",
			     vrrp_csum_event_name(ce), from, vrrp_csum_kind_name(adv->csum_kind),
			     vrrp_csum_kind_name(vrrp_csum_tracker_tx_kind(&inst->csum)));
	}
	return true;
}

static void rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct vrrp_instance *inst = w->data;
	for (int n = 0; n < RX_BURST && inst->fd >= 0; n++) {
		struct vrrp_rx_info info;
		enum vrrp_sock_drop sdrop;
		int rc = vrrp_sock_recv(inst->fd, inst->rxbuf, sizeof(inst->rxbuf), &info, &sdrop);
		if (rc <= 0)
			return;
		inst->stats.rx_packets++;
		if (sdrop != VRRP_SOCK_OK) {
			inst->stats.rx_sock_drops[sdrop]++;
			uint64_t hidden;
			if (ratelimit_pass(&inst->rl_sock[sdrop], now_ms(), &hidden))
				note(inst, VRRP_NOTE_DROP, "dropped datagram: %s (%llu more suppressed)",
				     vrrp_sock_drop_name(sdrop), (unsigned long long)hidden);
			continue;
		}
		struct vrrp_advert adv;
		if (!accept_packet(inst, &info, &adv))
			continue;
		inst->stats.rx_adverts++;
		struct vrrp_fsm_event ev = { .type = VRRP_EV_ADVERT };
		ev.advert.priority = adv.priority;
		ev.advert.interval_ms = (uint32_t)adv.interval_cs * 10u;
		ev.advert.src.len = 4;
		memcpy(ev.advert.src.bytes, &info.src.s_addr, 4);
		step(inst, &ev);
	}
}

static void fsm_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	step_type(w->data, VRRP_EV_TIMER);
}

/* ---- sockets and link ---------------------------------------------- */

static void close_sockets(struct vrrp_instance *inst)
{
	ev_io_stop(inst->loop, &inst->rx);
	if (inst->fd >= 0)
		close(inst->fd);
	if (inst->garp_fd >= 0)
		close(inst->garp_fd);
	inst->fd = -1;
	inst->garp_fd = -1;
}

static void open_sockets(struct vrrp_instance *inst)
{
	const char *what = NULL;
	int fd = vrrp_sock_open(inst->ifname, inst->ifindex, inst->conf.n_peers == 0, &what);
	if (fd < 0) {
		note(inst, VRRP_NOTE_SOCKET, "VRRP socket on %s (%s): %s", inst->ifname,
		     what ? what : "?", strerror(-fd));
		return;
	}
	int gfd = vrrp_garp_open(inst->ifname, inst->ifindex, inst->mac);
	if (gfd < 0) {
		note(inst, VRRP_NOTE_SOCKET, "ARP socket on %s: %s", inst->ifname, strerror(-gfd));
		close(fd);
		return;
	}
	inst->fd = fd;
	inst->garp_fd = gfd;
	ev_io_set(&inst->rx, fd, EV_READ);
	ev_io_start(inst->loop, &inst->rx);
}

void vrrp_instance_set_link(struct vrrp_instance *inst, int ifindex, bool up,
			    struct in_addr primary)
{
	if (ifindex != inst->ifindex || (ifindex && inst->fd < 0)) {
		close_sockets(inst);
		inst->ifindex = ifindex;
		if (ifindex)
			open_sockets(inst);
	}
	inst->link_up = up;
	inst->primary = primary;
	vrrp_fsm_set_self(&inst->fsm, primary.s_addr ? (const uint8_t *)&primary.s_addr : NULL,
			  primary.s_addr ? 4 : 0);

	/* Without a socket or a source address the instance can neither
	 * hear nor be heard: the same as a dead link for VRRP. */
	bool usable = ifindex && up && inst->fd >= 0 && primary.s_addr != 0;
	if (usable != inst->usable) {
		inst->usable = usable;
		step_type(inst, usable ? VRRP_EV_LINK_UP : VRRP_EV_LINK_DOWN);
	}
}

/* ---- lifecycle ----------------------------------------------------- */

/* The owned copies of a conf's arrays, made before anything changes so a
 * failed allocation leaves the instance as it was. */
struct conf_copy {
	struct in_addr *vips;
	struct in_addr *peers;
};

static int copy_arrays(struct conf_copy *c, const struct vrrp_instance_conf *conf)
{
	c->vips = calloc(conf->n_vips, sizeof(*c->vips));
	c->peers = conf->n_peers ? calloc(conf->n_peers, sizeof(*c->peers)) : NULL;
	if (!c->vips || (conf->n_peers && !c->peers)) {
		free(c->vips);
		free(c->peers);
		return -ENOMEM;
	}
	memcpy(c->vips, conf->vips, conf->n_vips * sizeof(*c->vips));
	if (conf->n_peers)
		memcpy(c->peers, conf->peers, conf->n_peers * sizeof(*c->peers));
	return 0;
}

/* Take conf (its arrays already copied into c): the receive policy and
 * the advert's address list follow it. */
static void take_conf(struct vrrp_instance *inst, const struct vrrp_instance_conf *conf,
		      struct conf_copy *c)
{
	free(inst->vips);
	free(inst->peers);
	inst->vips = c->vips;
	inst->peers = c->peers;
	inst->conf = *conf;
	inst->conf.name = inst->name;
	inst->conf.ifname = inst->ifname;
	inst->conf.vips = inst->vips;
	inst->conf.peers = inst->peers;
	for (size_t i = 0; i < conf->n_vips; i++)
		memcpy(inst->vip_bytes + 4 * i, &conf->vips[i].s_addr, 4);
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
	    (conf->n_peers == 0) != (inst->conf.n_peers == 0))
		return -EINVAL;
	struct vrrp_fsm probe = inst->fsm;
	if (vrrp_fsm_update_config(&probe, &conf->fsm) < 0)
		return -EINVAL;
	struct conf_copy c;
	if (copy_arrays(&c, conf) < 0)
		return -ENOMEM;
	bool vips_changed = conf->n_vips != inst->conf.n_vips ||
			    memcmp(conf->vips, inst->vips, conf->n_vips * sizeof(*conf->vips)) != 0;
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

int vrrp_instance_new(struct ev_loop *loop, const struct vrrp_instance_conf *conf,
		      const struct vrrp_instance_ops *ops, void *ctx,
		      struct vrrp_instance **out)
{
	*out = NULL;
	if (!conf_shape_ok(conf) || !ops->add_vips || !ops->remove_vips || !ops->state_changed ||
	    !ops->note)
		return -EINVAL;
	struct vrrp_instance *inst = calloc(1, sizeof(*inst));
	if (!inst)
		return -ENOMEM;
	inst->loop = loop;
	inst->ops = *ops;
	inst->ctx = ctx;
	inst->fd = -1;
	inst->garp_fd = -1;
	int rc = copy_conf(inst, conf);
	if (rc == 0)
		rc = vrrp_fsm_init(&inst->fsm, &conf->fsm, NULL);
	if (rc < 0) {
		vrrp_instance_free(inst);
		return rc;
	}
	vrrp_csum_tracker_init(&inst->csum, conf->csum);

	ev_io_init(&inst->rx, rx_cb, -1, EV_READ);
	inst->rx.data = inst;
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

struct in_addr vrrp_instance_primary(const struct vrrp_instance *inst)
{
	return inst->primary;
}
