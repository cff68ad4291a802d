// SPDX-License-Identifier: GPL-2.0-or-later
// Raw IPv4 and IPv6 sockets for IP protocol 112 (VRRP): open, send, receive.
#ifndef VIGIL_VRRP_SOCKET_H
#define VIGIL_VRRP_SOCKET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5798 5.1.1.3 / RFC 3768 5.1.1.3: the IPv4 multicast group 224.0.0.18. */
#define VRRP_MCAST_GROUP_V4 0xe0000012u /* host byte order */
/* RFC 5798 5.1.2.2: the IPv6 group ff02::12 (link-local scope). */
extern const struct in6_addr vrrp_mcast_group_v6;
#define VRRP_IPPROTO 112

/* What the kernel told us about one received datagram. */
struct vrrp_rx_info {
	int family;              /* AF_INET, or AF_INET6 (0 is read as AF_INET) */
	struct in_addr src;      /* IPv4 source (from the IP header) */
	struct in_addr dst;      /* IPv4 destination (from the IP header) */
	struct in6_addr src6;    /* IPv6 source (the socket's peer address) */
	struct in6_addr dst6;    /* IPv6 destination (IPV6_PKTINFO) */
	uint8_t ttl;             /* IP TTL / IPv6 hop limit as received */
	int ifindex;             /* interface it arrived on (IP_PKTINFO), 0 if unknown */
	const uint8_t *payload;  /* the VRRP message inside the caller's buffer */
	size_t payload_len;      /* its length, bounded by the IP total length */
};

/* Reasons a datagram is refused before it reaches the VRRP decoder. */
enum vrrp_sock_drop {
	VRRP_SOCK_OK = 0,
	VRRP_SOCK_DROP_SHORT,    /* shorter than an IPv4 header */
	VRRP_SOCK_DROP_IPHDR,    /* not IPv4, bad header length or total length */
	VRRP_SOCK_DROP_PROTO,    /* not protocol 112 */
	VRRP_SOCK_DROP_FRAGMENT, /* a fragment: VRRP adverts are never fragmented */
	VRRP_SOCK_DROP_SOURCE,   /* IPv6 multicast advert not from a link-local address (RFC 5798 5.1.2.1) */
	VRRP_SOCK_DROP__COUNT
};

/* Name of a drop reason for logs and counters ("short", "ip-header"...). */
const char *vrrp_sock_drop_name(enum vrrp_sock_drop drop);

/*
 * Open a non-blocking raw socket for VRRP on one interface.
 * ifname/ifindex: the interface; the socket is bound to it (SO_BINDTODEVICE)
 * so adverts from other links never reach it. multicast: join 224.0.0.18
 * on that interface only (false: unicast only, or join later with
 * vrrp_sock_membership()).
 * Outgoing TTL is 255 (RFC 5798 5.1.1.3); our own multicast is not looped
 * back. Returns the fd, or a negative errno; *what names the failing step.
 */
int vrrp_sock_open(const char *ifname, int ifindex, bool multicast, const char **what);

/*
 * Send one VRRP message (the IP payload) to dst from src on ifindex.
 * The source is set per packet (IP_PKTINFO) rather than with bind(), because
 * a raw socket bound to an address would stop receiving the multicast group.
 * Returns 0, or a negative errno (-EAGAIN when the socket buffer is full).
 */
int vrrp_sock_send(int fd, int ifindex, struct in_addr src, struct in_addr dst,
		   const uint8_t *msg, size_t len);

/* Most datagrams vrrp_sock_recv_batch() reads in one system call. */
#define VRRP_SOCK_BATCH_MAX 16

/* One datagram of a batch read: the buffer is the caller's. */
struct vrrp_sock_slot {
	uint8_t *buf;            /* in: where the datagram goes (1500 bytes is enough for any advert) */
	size_t cap;              /* in: its size */
	size_t len;              /* out: bytes read */
	int ifindex;             /* out: interface it arrived on (IP_PKTINFO), 0 if unknown */
	bool truncated;          /* out: longer than cap (MSG_TRUNC): refuse it */
	/* IPv6 sockets only (the kernel strips the IPv6 header): */
	struct in6_addr src6;    /* out: the sender */
	struct in6_addr dst6;    /* out: the destination (IPV6_PKTINFO) */
	int hoplimit;            /* out: the hop limit (IPV6_HOPLIMIT), -1 if not told */
};

/*
 * Read up to n (at most VRRP_SOCK_BATCH_MAX) pending datagrams with one
 * recvmmsg(), so a burst of adverts costs one system call rather than
 * one per datagram plus the one that finds the socket empty. Returns how
 * many were read (0 when nothing is pending), or a negative errno.
 */
int vrrp_sock_recv_batch(int fd, struct vrrp_sock_slot *slots, size_t n);

/*
 * Make the socket's receive buffer at least bytes: SO_RCVBUFFORCE (with
 * CAP_NET_ADMIN, beyond net.core.rmem_max), else SO_RCVBUF (capped there).
 * Returns 0 or a negative errno (the buffer is then as it was).
 */
int vrrp_sock_rcvbuf(int fd, int bytes);

/*
 * Join (true) or leave (false) 224.0.0.18 on ifindex only (RFC 5798
 * 5.1.1.2). Returns 0 or a negative errno.
 */
int vrrp_sock_membership(int fd, int ifindex, bool join);

/*
 * The IPv6 counterparts. vrrp_sock_open6(): a raw IPv6 socket bound to the
 * interface, hop limit 255 for unicast and multicast, no loopback of our
 * own multicast, IPV6_RECVPKTINFO and IPV6_RECVHOPLIMIT on (the hop limit
 * is checked on receive as IPv4's TTL), the group not joined yet.
 * vrrp_sock_send6(): src is set per packet (IPV6_PKTINFO) and a
 * link-local or multicast dst is scoped to ifindex.
 * vrrp_sock_membership6(): join or leave ff02::12 on ifindex.
 */
int vrrp_sock_open6(const char *ifname, int ifindex, const char **what);
int vrrp_sock_send6(int fd, int ifindex, const struct in6_addr *src, const struct in6_addr *dst,
		    const uint8_t *msg, size_t len);
int vrrp_sock_membership6(int fd, int ifindex, bool join);

/*
 * Pure: validate an IPv4 header at the start of buf (len bytes as read)
 * and locate the payload. Returns VRRP_SOCK_OK and fills src, dst, ttl,
 * payload and payload_len of *info, or the reason for refusing it.
 */
enum vrrp_sock_drop vrrp_sock_parse_ipv4(const uint8_t *buf, size_t len,
					 struct vrrp_rx_info *info);

#endif
