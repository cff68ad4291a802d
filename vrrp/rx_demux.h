// SPDX-License-Identifier: GPL-2.0-or-later
// The receive demultiplexer of one interface and address family: each
// datagram read once, checked once, handed to the instances of its VRID.
#ifndef VIGIL_VRRP_RX_DEMUX_H
#define VIGIL_VRRP_RX_DEMUX_H

/*
 * With one raw socket per instance, the kernel hands every advert on the
 * link to every instance, and each decodes it only to find that most are
 * for another VRID: N instances cost N^2 reads and decodes per advert
 * interval. Like keepalived, vigil reads once per interface and family
 * (vrrp/port.c owns the socket) and this code does the rest of the work
 * once per datagram:
 *
 *   IPv4 header (vrrp_sock_parse_ipv4)   -> stats.rx_sock_drops[reason]
 *   arrived on another interface          -> stats.rx_wrong_if
 *   the per-packet VRRP checks            -> stats.rx_drops[reason]
 *     (vrrp_pkt_decode_any: TTL, length, version, checksum, ...)
 *   no instance for the VRID              -> stats.rx_drops[VRRP_DROP_VRID]
 *   else: every member with that VRID gets the packet (deliver)
 *
 * A packet refused here whose VRID can still be read is handed to that
 * VRID's members too, with the verdict, so each counts and reports it as
 * it did when it read the packet itself; the checks that depend on the
 * instance (own advert, unicast peer, version, checksum mode,
 * authentication, address list) stay in the instance (vrrp/instance.c).
 *
 * Pure: no sockets, no clock, no logging, no allocation. The caller
 * passes the datagram, the kernel's facts and the time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"
#include "socket.h"

/* What the demux decided about one datagram before handing it on. */
enum vrrp_demux_verdict {
	VRRP_DEMUX_ADVERT,      /* passed the per-packet checks: pkt->adv is set */
	VRRP_DEMUX_WRONG_IF,    /* arrived on another interface */
	VRRP_DEMUX_DROPPED,     /* failed a per-packet check: pkt->drop says which */
};

/* One datagram as the members of its VRID see it. */
struct vrrp_demux_packet {
	enum vrrp_demux_verdict verdict;
	enum vrrp_drop drop;              /* VRRP_DEMUX_DROPPED: the reason */
	const struct vrrp_rx_info *info;  /* source, destination, TTL, ifindex, payload */
	const struct vrrp_advert *adv;    /* VRRP_DEMUX_ADVERT: decoded (points into the datagram) */
	uint64_t now_ms;                  /* when it was read, as the caller's clock says */
};

/*
 * An instance's entry in the demux, embedded in the instance. The owner
 * sets vrid, deliver and ctx; next is the demux's. deliver() may add and
 * remove members, this one included.
 */
struct vrrp_demux_member {
	uint8_t vrid;
	void (*deliver)(void *ctx, const struct vrrp_demux_packet *pkt);
	void *ctx;
	struct vrrp_demux_member *next;   /* private: the next member of this VRID */
};

/* Counters of the datagrams read on one interface, each counted once. */
struct vrrp_demux_stats {
	uint64_t rx_packets;                      /* datagrams read */
	uint64_t rx_dispatched;                   /* adverts handed to an instance */
	uint64_t rx_sock_drops[VRRP_SOCK_DROP__COUNT]; /* refused at the IP header */
	uint64_t rx_drops[VRRP_DROP__COUNT];      /* per-packet checks; VRRP_DROP_VRID: no instance */
	uint64_t rx_wrong_if;                     /* arrived on another interface */
};

/* What became of one datagram, for the caller to report. */
struct vrrp_demux_result {
	size_t delivered;                 /* members it was handed to */
	enum vrrp_sock_drop sock_drop;    /* refused at the IP header (then nothing else is set) */
	enum vrrp_demux_verdict verdict;
	enum vrrp_drop drop;              /* VRRP_DEMUX_DROPPED, or VRRP_DROP_VRID: nobody's VRID */
	int family;                       /* AF_INET or AF_INET6: which source is set */
	struct in_addr src;               /* the IPv4 source, once the header parsed */
	struct in6_addr src6;             /* the IPv6 source */
};

struct vrrp_demux {
	int ifindex;                              /* the interface the socket is bound to */
	size_t n_members;
	struct vrrp_demux_member *by_vrid[256];   /* VRID 0 is never valid: unused */
	struct vrrp_demux_member *cursor;         /* the next member of a dispatch in progress */
	struct vrrp_demux_stats stats;
};

/* An empty demux for the interface with this index. */
void vrrp_demux_init(struct vrrp_demux *d, int ifindex);

/* Hand m the datagrams for m->vrid from now on. Several members may share
 * a VRID (a reload briefly runs the instance it replaces beside the new
 * one): each gets every such datagram. */
void vrrp_demux_add(struct vrrp_demux *d, struct vrrp_demux_member *m);

/* m gets nothing more; safe inside a deliver() callback. No-op if m is
 * not a member. */
void vrrp_demux_remove(struct vrrp_demux *d, struct vrrp_demux_member *m);

/*
 * One datagram as read: buf/len from the IPv4 header on, ifindex from
 * IP_PKTINFO (0: unknown), truncated when the read was cut short. Counts
 * it, checks it, hands it to the members of its VRID, and says in *res
 * what happened.
 */
void vrrp_demux_input(struct vrrp_demux *d, const uint8_t *buf, size_t len, int ifindex,
		      bool truncated, uint64_t now_ms, struct vrrp_demux_result *res);

/*
 * The same for an IPv6 socket, which hands over the VRRP message without
 * the IPv6 header: buf/len the message, src and dst the addresses (the
 * sender and IPV6_PKTINFO's destination), hoplimit from IPV6_HOPLIMIT
 * (-1: unknown, dropped as a bad TTL). An advert sent to ff02::12 must
 * come from a link-local address (RFC 5798 5.1.2.1), or it is refused as
 * VRRP_SOCK_DROP_SOURCE; one sent to a unicast address is judged by the
 * instance's unicast_peer list instead.
 */
void vrrp_demux_input6(struct vrrp_demux *d, const uint8_t *buf, size_t len,
		       const struct in6_addr *src, const struct in6_addr *dst, int hoplimit,
		       int ifindex, bool truncated, uint64_t now_ms, struct vrrp_demux_result *res);

#endif
