// SPDX-License-Identifier: GPL-2.0-or-later
// The sockets of one interface and address family, shared by every
// instance on it: one raw protocol-112 socket (receive and send) with its
// demultiplexer, one packet socket for gratuitous ARP.
#ifndef VIGIL_VRRP_PORT_H
#define VIGIL_VRRP_PORT_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rx_demux.h"

/*
 * A port is opened by the first instance that attaches to its interface
 * and closed when the last one detaches (a reference count). Its socket
 * is read once per datagram and vrrp/rx_demux.c hands each datagram to
 * the instances of its VRID. Ports are keyed by interface name, ifindex
 * and family: when an interface comes back with a new index, the
 * instances that move to it open a new port, and the old one closes with
 * the last of them.
 *
 * The set of ports is an object of its own, owned by the agent and given
 * to every instance (no global state): instances added by a reload find
 * the ports of the running ones.
 */

struct vrrp_ports;
struct vrrp_port;

/* Callbacks into the owner of the set. ctx is the owner's pointer. */
struct vrrp_ports_ops {
	/* A datagram refused before any instance had it (a bad IP header,
	 * or a per-packet check failed for a VRID no instance here runs),
	 * rate-limited here. Required. */
	void (*note)(void *ctx, const char *ifname, const char *detail);
};

/* An empty set. Returns 0 and *out, -EINVAL (ops->note missing) or -ENOMEM. */
int vrrp_ports_new(struct ev_loop *loop, const struct vrrp_ports_ops *ops, void *ctx,
		   struct vrrp_ports **out);

/* Free the set, after every instance detached (ports still open are
 * closed, their members left dangling). Accepts NULL. */
void vrrp_ports_free(struct vrrp_ports *set);

/*
 * Attach m (vrid, deliver and ctx set) to the port of ifname / ifindex /
 * family, opening it if it is the first member. multicast: m needs
 * 224.0.0.18 joined (the port joins while at least one member does).
 * family: AF_INET or AF_INET6 (ff02::12 then). Returns 0 and *out, or a negative errno and
 * *what naming the failing step (nothing changed then).
 */
int vrrp_port_attach(struct vrrp_ports *set, const char *ifname, int ifindex, int family,
		     bool multicast, struct vrrp_demux_member *m, struct vrrp_port **out,
		     const char **what);

/* Undo vrrp_port_attach() (the same multicast); the last member closes
 * the port. Safe inside m's own deliver() callback. */
void vrrp_port_detach(struct vrrp_port *port, struct vrrp_demux_member *m, bool multicast);

/* The raw socket, for sending (source and interface set per packet). */
int vrrp_port_fd(const struct vrrp_port *port);

/* The socket that announces VIPs (IPv4: a packet socket for gratuitous
 * ARP; IPv6: an ICMPv6 socket for Neighbor Advertisements), and the
 * interface's MAC address. */
int vrrp_port_garp_fd(const struct vrrp_port *port);
const uint8_t *vrrp_port_mac(const struct vrrp_port *port);

/* The interface's receive counters, each datagram counted once. */
const struct vrrp_demux_stats *vrrp_port_stats(const struct vrrp_port *port);

/* Members attached (instances on this interface). */
size_t vrrp_port_members(const struct vrrp_port *port);

/* AF_INET or AF_INET6. */
int vrrp_port_family(const struct vrrp_port *port);

#endif
