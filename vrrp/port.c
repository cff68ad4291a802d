// SPDX-License-Identifier: GPL-2.0-or-later
// The sockets of one interface and address family, shared by every
// instance on it: one raw protocol-112 socket (receive and send) with its
// demultiplexer, one packet socket for gratuitous ARP.
#include "port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "garp.h"
#include "ndisc.h"
#include "ratelimit.h"
#include "socket.h"

/* Datagrams read per recvmmsg(), and at most per wakeup: a burst of
 * adverts is read in a few calls, and a flood cannot starve the timers
 * (they run in the same loop iteration, after the receiver). */
#define RX_BATCH 16
#define RX_PER_WAKEUP 256
/* Largest IPv4 datagram an advert can arrive in: a 60-byte header plus
 * the largest message (an IPv6 socket reads the message alone). */
#define RX_BUF_LEN (60 + VRRP_PKT_MAX_LEN)
/* The one socket of an interface queues what one socket per instance
 * used to: a peer's masters whose timers fire together send their
 * adverts in one burst (the kernel accounts about 1 KiB for each: 128
 * take 128 KiB of the 208 KiB default), and a loop busy for a moment
 * (VIPs added by a takeover) must not lose the next ones. 1 MiB holds
 * some 800 ms of 128 instances at 100 ms. */
#define RX_SOCKBUF (1 << 20)

struct vrrp_ports {
	struct ev_loop *loop;
	struct vrrp_ports_ops ops;
	void *ctx;
	struct vrrp_port *ports;        /* open ports, a list: a host has few interfaces */
};

struct vrrp_port {
	struct vrrp_ports *set;
	struct vrrp_port *next;
	char ifname[IF_NAMESIZE];
	int ifindex;
	int family;
	int fd;                         /* raw protocol 112 */
	int garp_fd;                    /* IPv4: packet socket for ARP; IPv6: ICMPv6 socket for NA; send only */
	uint8_t mac[6];
	size_t refs;                    /* members attached */
	size_t n_mcast;                 /* of them, those that need the group joined */
	bool busy;                      /* inside rx_cb: a last detach only marks it dead */
	bool dead;                      /* closed while busy: freed when rx_cb returns */
	ev_io rx;
	struct vrrp_demux demux;
	struct vrrp_ratelimit rl_sock[VRRP_SOCK_DROP__COUNT];
	struct vrrp_ratelimit rl_drop[VRRP_DROP__COUNT];
	uint8_t bufs[RX_BATCH][RX_BUF_LEN];
};

/* The shell reads the clock; the demux is handed the result. */
static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void note(struct vrrp_port *port, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct vrrp_port *port, const char *fmt, ...)
{
	char detail[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	port->set->ops.note(port->set->ctx, port->ifname, detail);
}

/* What no instance reported: a bad IP header, or a per-packet check that
 * failed for a VRID nobody here runs. Another VRID's valid advert, or a
 * packet from another interface, is only counted (as before: each
 * instance counted those without a word). */
static void report(struct vrrp_port *port, const struct vrrp_demux_result *res, uint64_t now)
{
	uint64_t hidden;
	if (res->sock_drop != VRRP_SOCK_OK) {
		if (!vrrp_ratelimit_pass(&port->rl_sock[res->sock_drop], now, &hidden))
			return;
		char from[INET6_ADDRSTRLEN] = "";
		/* An IPv6 source is known even for a refused datagram. */
		if (res->family == AF_INET6)
			inet_ntop(AF_INET6, &res->src6, from, sizeof(from));
		note(port, "dropped datagram%s%s: %s (%llu more suppressed)", *from ? " from " : "",
		     from, vrrp_sock_drop_name(res->sock_drop), (unsigned long long)hidden);
		return;
	}
	if (res->delivered || res->verdict != VRRP_DEMUX_DROPPED)
		return;
	if (vrrp_ratelimit_pass(&port->rl_drop[res->drop], now, &hidden)) {
		char from[INET6_ADDRSTRLEN];
		if (res->family == AF_INET6)
			inet_ntop(AF_INET6, &res->src6, from, sizeof(from));
		else
			inet_ntop(AF_INET, &res->src, from, sizeof(from));
		note(port, "dropped packet from %s: %s (%llu more suppressed)", from,
		     vrrp_drop_name(res->drop), (unsigned long long)hidden);
	}
}

static void port_free(struct vrrp_port *port)
{
	free(port);
}

/* Close the sockets and leave the set; the memory goes now, or when the
 * receive callback in progress returns. */
static void port_close(struct vrrp_port *port)
{
	for (struct vrrp_port **p = &port->set->ports; *p; p = &(*p)->next) {
		if (*p == port) {
			*p = port->next;
			break;
		}
	}
	ev_io_stop(port->set->loop, &port->rx);
	if (port->fd >= 0)
		close(port->fd);
	if (port->garp_fd >= 0)
		close(port->garp_fd);
	port->fd = port->garp_fd = -1;
	if (port->busy)
		port->dead = true;
	else
		port_free(port);
}

static void rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct vrrp_port *port = w->data;
	struct vrrp_sock_slot slots[RX_BATCH];
	port->busy = true;
	for (int total = 0; total < RX_PER_WAKEUP && !port->dead;) {
		for (size_t i = 0; i < RX_BATCH; i++)
			slots[i] = (struct vrrp_sock_slot){ .buf = port->bufs[i], .cap = RX_BUF_LEN };
		int n = vrrp_sock_recv_batch(port->fd, slots, RX_BATCH);
		if (n <= 0)
			break;
		for (int i = 0; i < n && !port->dead; i++) {
			/* Read per datagram: a delivery may take a while (a
			 * state change adds addresses), and the instances
			 * time their timers from it. */
			uint64_t now = now_ms();
			struct vrrp_demux_result res;
			if (port->family == AF_INET6)
				vrrp_demux_input6(&port->demux, slots[i].buf, slots[i].len,
						  &slots[i].src6, &slots[i].dst6, slots[i].hoplimit,
						  slots[i].ifindex, slots[i].truncated, now, &res);
			else
				vrrp_demux_input(&port->demux, slots[i].buf, slots[i].len,
						 slots[i].ifindex, slots[i].truncated, now, &res);
			report(port, &res, now);
		}
		total += n;
		if (n < RX_BATCH)
			break; /* the socket is empty: no call to find that out */
	}
	port->busy = false;
	if (port->dead)
		port_free(port);
}

static struct vrrp_port *port_find(struct vrrp_ports *set, const char *ifname, int ifindex,
				   int family)
{
	for (struct vrrp_port *p = set->ports; p; p = p->next)
		if (p->ifindex == ifindex && p->family == family && strcmp(p->ifname, ifname) == 0)
			return p;
	return NULL;
}

static int port_open(struct vrrp_ports *set, const char *ifname, int ifindex, int family,
		     struct vrrp_port **out, const char **what)
{
	if (strlen(ifname) >= IF_NAMESIZE) {
		*what = "interface name";
		return -ENAMETOOLONG;
	}
	struct vrrp_port *port = calloc(1, sizeof(*port));
	if (!port) {
		*what = "memory";
		return -ENOMEM;
	}
	port->set = set;
	memcpy(port->ifname, ifname, strlen(ifname) + 1);
	port->ifindex = ifindex;
	port->family = family;
	/* The group is joined while a multicast member is attached. */
	port->fd = family == AF_INET6 ? vrrp_sock_open6(ifname, ifindex, what)
				      : vrrp_sock_open(ifname, ifindex, false, what);
	if (port->fd < 0) {
		int rc = port->fd;
		free(port);
		return rc;
	}
	port->garp_fd = family == AF_INET6 ? vrrp_na_open(ifname, ifindex, port->mac)
					   : vrrp_garp_open(ifname, ifindex, port->mac);
	if (port->garp_fd < 0) {
		int rc = port->garp_fd;
		*what = family == AF_INET6 ? "ICMPv6 socket" : "ARP socket";
		close(port->fd);
		free(port);
		return rc;
	}
	/* Best effort: without it the kernel's default applies. */
	(void)vrrp_sock_rcvbuf(port->fd, RX_SOCKBUF);
	vrrp_demux_init(&port->demux, ifindex);
	ev_io_init(&port->rx, rx_cb, port->fd, EV_READ);
	port->rx.data = port;
	/* After the loop was busy, the adverts that came meanwhile are read
	 * before the timers that expired meanwhile run: a BACKUP that heard
	 * its master in time stays BACKUP (the advert resets the pending
	 * Master_Down_Timer) instead of taking over on a stale timer. */
	ev_set_priority(&port->rx, EV_MAXPRI);
	ev_io_start(set->loop, &port->rx);
	port->next = set->ports;
	set->ports = port;
	*out = port;
	return 0;
}

int vrrp_port_attach(struct vrrp_ports *set, const char *ifname, int ifindex, int family,
		     bool multicast, struct vrrp_demux_member *m, struct vrrp_port **out,
		     const char **what)
{
	const char *dummy;
	if (!what)
		what = &dummy;
	*what = NULL;
	*out = NULL;
	if (family != AF_INET && family != AF_INET6) {
		*what = "address family";
		return -EAFNOSUPPORT;
	}
	struct vrrp_port *port = port_find(set, ifname, ifindex, family);
	bool opened = false;
	if (!port) {
		int rc = port_open(set, ifname, ifindex, family, &port, what);
		if (rc < 0)
			return rc;
		opened = true;
	}
	if (multicast && port->n_mcast == 0) {
		int rc = family == AF_INET6 ? vrrp_sock_membership6(port->fd, ifindex, true)
					    : vrrp_sock_membership(port->fd, ifindex, true);
		if (rc < 0) {
			*what = family == AF_INET6 ? "IPV6_ADD_MEMBERSHIP" : "IP_ADD_MEMBERSHIP";
			if (opened)
				port_close(port);
			return rc;
		}
	}
	if (multicast)
		port->n_mcast++;
	port->refs++;
	vrrp_demux_add(&port->demux, m);
	*out = port;
	return 0;
}

void vrrp_port_detach(struct vrrp_port *port, struct vrrp_demux_member *m, bool multicast)
{
	vrrp_demux_remove(&port->demux, m);
	if (multicast && port->n_mcast > 0)
		port->n_mcast--;
	if (--port->refs == 0) {
		port_close(port);
		return;
	}
	/* Unicast members stay: stop taking the group's traffic for them
	 * (a failure only costs reads that the demux drops). */
	if (multicast && port->n_mcast == 0) {
		if (port->family == AF_INET6)
			(void)vrrp_sock_membership6(port->fd, port->ifindex, false);
		else
			(void)vrrp_sock_membership(port->fd, port->ifindex, false);
	}
}

int vrrp_port_fd(const struct vrrp_port *port)
{
	return port->fd;
}

int vrrp_port_garp_fd(const struct vrrp_port *port)
{
	return port->garp_fd;
}

const uint8_t *vrrp_port_mac(const struct vrrp_port *port)
{
	return port->mac;
}

const struct vrrp_demux_stats *vrrp_port_stats(const struct vrrp_port *port)
{
	return &port->demux.stats;
}

size_t vrrp_port_members(const struct vrrp_port *port)
{
	return port->refs;
}

int vrrp_port_family(const struct vrrp_port *port)
{
	return port->family;
}

int vrrp_ports_new(struct ev_loop *loop, const struct vrrp_ports_ops *ops, void *ctx,
		   struct vrrp_ports **out)
{
	*out = NULL;
	if (!ops || !ops->note)
		return -EINVAL;
	struct vrrp_ports *set = calloc(1, sizeof(*set));
	if (!set)
		return -ENOMEM;
	set->loop = loop;
	set->ops = *ops;
	set->ctx = ctx;
	*out = set;
	return 0;
}

void vrrp_ports_free(struct vrrp_ports *set)
{
	if (!set)
		return;
	while (set->ports)
		port_close(set->ports);
	free(set);
}
