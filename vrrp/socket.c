// SPDX-License-Identifier: GPL-2.0-or-later
// Raw IPv4 and IPv6 sockets for IP protocol 112 (VRRP): open, send, receive.
#include "socket.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const struct in6_addr vrrp_mcast_group_v6 = { { { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
						  0, 0, 0, 0, 0, 0, 0, 0x12 } } };

const char *vrrp_sock_drop_name(enum vrrp_sock_drop drop)
{
	switch (drop) {
	case VRRP_SOCK_OK: return "ok";
	case VRRP_SOCK_DROP_SHORT: return "short";
	case VRRP_SOCK_DROP_IPHDR: return "ip-header";
	case VRRP_SOCK_DROP_PROTO: return "protocol";
	case VRRP_SOCK_DROP_FRAGMENT: return "fragment";
	case VRRP_SOCK_DROP_SOURCE: return "source";
	case VRRP_SOCK_DROP__COUNT: break;
	}
	return "unknown";
}

static int set_int(int fd, int level, int opt, int value)
{
	return setsockopt(fd, level, opt, &value, sizeof(value)) < 0 ? -errno : 0;
}

/* One socket option of a table (open_raw()). */
struct sock_opt {
	int opt, value;
	const char *name;
};

/* A raw protocol-112 socket of family bound to ifname, with the int
 * options of opts at level set. Returns the fd, or -errno with *what
 * naming the call that failed. */
static int open_raw(int family, const char *ifname, int level, const struct sock_opt *opts,
		    size_t n, const char **what)
{
	*what = "socket";
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_IPPROTO);
	if (fd < 0)
		return -errno;
	int rc = 0;
	*what = "SO_BINDTODEVICE";
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0)
		rc = -errno;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		*what = opts[i].name;
		rc = set_int(fd, level, opts[i].opt, opts[i].value);
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int vrrp_sock_open(const char *ifname, int ifindex, bool multicast, const char **what)
{
	const char *dummy;
	if (!what)
		what = &dummy;
	static const struct sock_opt opts[] = {
		/* RFC 5798 5.1.1.3: TTL 255, so a receiver can tell the
		 * advert never crossed a router. */
		{ IP_TTL, 255, "IP_TTL" },
		{ IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL" },
		/* Our own adverts coming back would only have to be dropped. */
		{ IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP" },
		/* The receiving interface, to refuse adverts from elsewhere. */
		{ IP_PKTINFO, 1, "IP_PKTINFO" },
	};
	int fd = open_raw(AF_INET, ifname, IPPROTO_IP, opts, sizeof(opts) / sizeof(opts[0]), what);
	if (fd < 0)
		return fd;
	int rc;

	struct ip_mreqn mreq = { .imr_ifindex = ifindex };
	mreq.imr_multiaddr.s_addr = htonl(VRRP_MCAST_GROUP_V4);
	*what = "IP_MULTICAST_IF";
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq)) < 0) {
		rc = -errno;
		goto fail;
	}
	if (multicast) {
		/* Joined on this interface only (RFC 5798 5.1.1.2). */
		*what = "IP_ADD_MEMBERSHIP";
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0) {
			rc = -errno;
			goto fail;
		}
	}
	*what = NULL;
	return fd;
fail:
	close(fd);
	return rc;
}

int vrrp_sock_send(int fd, int ifindex, struct in_addr src, struct in_addr dst,
		   const uint8_t *msg, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = dst };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr mh = {
		.msg_name = &to, .msg_namelen = sizeof(to),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo pi = { .ipi_ifindex = ifindex, .ipi_spec_dst = src };
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));

	ssize_t n = sendmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

enum vrrp_sock_drop vrrp_sock_parse_ipv4(const uint8_t *buf, size_t len,
					 struct vrrp_rx_info *info)
{
	if (len < 20)
		return VRRP_SOCK_DROP_SHORT;
	unsigned version = buf[0] >> 4;
	size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
	size_t total = ((size_t)buf[2] << 8) | buf[3];
	if (version != 4 || ihl < 20 || ihl > len || total < ihl)
		return VRRP_SOCK_DROP_IPHDR;
	/* The kernel hands a raw socket the datagram as received; a total
	 * length beyond what was read means a truncated read. */
	if (total > len)
		return VRRP_SOCK_DROP_IPHDR;
	uint16_t frag = (uint16_t)((buf[6] << 8) | buf[7]);
	if (frag & 0x3fff) /* MF flag or a fragment offset */
		return VRRP_SOCK_DROP_FRAGMENT;
	if (buf[9] != VRRP_IPPROTO)
		return VRRP_SOCK_DROP_PROTO;
	info->ttl = buf[8];
	memcpy(&info->src.s_addr, buf + 12, 4);
	memcpy(&info->dst.s_addr, buf + 16, 4);
	info->payload = buf + ihl;
	info->payload_len = total - ihl;
	return VRRP_SOCK_OK;
}

int vrrp_sock_recv_batch(int fd, struct vrrp_sock_slot *slots, size_t n)
{
	struct sockaddr_in6 from[VRRP_SOCK_BATCH_MAX]; /* large enough for either family */
	struct iovec iov[VRRP_SOCK_BATCH_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			 CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control[VRRP_SOCK_BATCH_MAX];
	struct mmsghdr mm[VRRP_SOCK_BATCH_MAX];

	if (n > VRRP_SOCK_BATCH_MAX)
		n = VRRP_SOCK_BATCH_MAX;
	for (size_t i = 0; i < n; i++) {
		iov[i] = (struct iovec){ .iov_base = slots[i].buf, .iov_len = slots[i].cap };
		mm[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
			.msg_iov = &iov[i], .msg_iovlen = 1,
			.msg_control = control[i].buf, .msg_controllen = sizeof(control[i].buf),
		} };
	}
	int got = recvmmsg(fd, mm, (unsigned)n, MSG_DONTWAIT, NULL);
	if (got < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;

	for (int i = 0; i < got; i++) {
		struct msghdr *mh = &mm[i].msg_hdr;
		slots[i].len = mm[i].msg_len;
		slots[i].ifindex = 0;
		slots[i].hoplimit = -1;
		memset(&slots[i].src6, 0, sizeof(slots[i].src6));
		memset(&slots[i].dst6, 0, sizeof(slots[i].dst6));
		slots[i].truncated = (mh->msg_flags & MSG_TRUNC) != 0;
		if (from[i].sin6_family == AF_INET6)
			slots[i].src6 = from[i].sin6_addr;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				slots[i].ifindex = pi.ipi_ifindex;
			} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				slots[i].ifindex = (int)pi.ipi6_ifindex;
				slots[i].dst6 = pi.ipi6_addr;
			} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT) {
				int hl;
				memcpy(&hl, CMSG_DATA(cm), sizeof(hl));
				slots[i].hoplimit = hl;
			}
		}
	}
	return got;
}

int vrrp_sock_rcvbuf(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0 ? -errno : 0;
}

int vrrp_sock_membership(int fd, int ifindex, bool join)
{
	struct ip_mreqn mreq = { .imr_ifindex = ifindex };
	mreq.imr_multiaddr.s_addr = htonl(VRRP_MCAST_GROUP_V4);
	if (setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mreq,
		       sizeof(mreq)) < 0)
		return -errno;
	return 0;
}

int vrrp_sock_open6(const char *ifname, int ifindex, const char **what)
{
	const char *dummy;
	if (!what)
		what = &dummy;
	static const struct sock_opt opts[] = {
		/* RFC 5798 5.1.2.3: hop limit 255, checked by receivers. */
		{ IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS" },
		{ IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS" },
		{ IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP" },
		/* The receiving interface and destination, and the hop limit. */
		{ IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO" },
		{ IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT" },
	};
	int fd = open_raw(AF_INET6, ifname, IPPROTO_IPV6, opts, sizeof(opts) / sizeof(opts[0]), what);
	if (fd < 0)
		return fd;
	int rc;
	*what = "IPV6_MULTICAST_IF";
	if ((rc = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex)) < 0)
		goto fail;
	/* The codec computes and checks the checksum (with the pseudo-header,
	 * RFC 5798 5.2.8): the kernel does neither for protocol 112 by
	 * default (IPV6_CHECKSUM off). */
	*what = NULL;
	return fd;
fail:
	close(fd);
	return rc;
}

int vrrp_sock_send6(int fd, int ifindex, const struct in6_addr *src, const struct in6_addr *dst,
		    const uint8_t *msg, size_t len)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = *dst };
	if (IN6_IS_ADDR_LINKLOCAL(dst) || IN6_IS_ADDR_MULTICAST(dst))
		to.sin6_scope_id = (uint32_t)ifindex;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr mh = {
		.msg_name = &to, .msg_namelen = sizeof(to),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
	struct in6_pktinfo pi = { .ipi6_addr = *src, .ipi6_ifindex = (unsigned)ifindex };
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));

	ssize_t n = sendmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

int vrrp_sock_membership6(int fd, int ifindex, bool join)
{
	struct ipv6_mreq mreq = { .ipv6mr_multiaddr = vrrp_mcast_group_v6,
				  .ipv6mr_interface = (unsigned)ifindex };
	if (setsockopt(fd, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &mreq,
		       sizeof(mreq)) < 0)
		return -errno;
	return 0;
}
