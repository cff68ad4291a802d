// SPDX-License-Identifier: GPL-2.0-or-later
// Unsolicited Neighbor Advertisements for IPv6 VIPs.
//
// As with gratuitous ARP for IPv4, VIPs live on the interface's own MAC,
// so when one moves the hosts of the link must replace the neighbour
// entry they have for it. An unsolicited advertisement with the Override
// flag does that (RFC 4861 7.2.6: a receiver updates the cached
// link-layer address and marks the entry STALE).
#include "ndisc.h"
#include "socket.h"

#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define NA_TYPE 136           /* ND_NEIGHBOR_ADVERT */
#define NA_FLAG_OVERRIDE 0x20 /* in the first byte of the flags word */
#define OPT_TARGET_LLADDR 2

int vrrp_na_build(uint8_t *buf, size_t cap, const uint8_t mac[6], const struct in6_addr *target)
{
	if (cap < VRRP_NA_LEN)
		return -ENOSPC;
	memset(buf, 0, VRRP_NA_LEN);
	buf[0] = NA_TYPE;
	buf[1] = 0;                  /* code */
	/* bytes 2-3: checksum, filled in by the kernel */
	buf[4] = NA_FLAG_OVERRIDE;   /* R = 0, S = 0 (RFC 4861 7.2.6), O = 1 */
	memcpy(buf + 8, target, 16);
	buf[24] = OPT_TARGET_LLADDR;
	buf[25] = 1;                 /* length in units of 8 bytes */
	memcpy(buf + 26, mac, 6);
	return VRRP_NA_LEN;
}

static int set_int(int fd, int level, int opt, int value)
{
	return setsockopt(fd, level, opt, &value, sizeof(value)) < 0 ? -errno : 0;
}

int vrrp_na_open(const char *ifname, int ifindex, uint8_t mac[6])
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	int rc = 0;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		rc = -errno;
		goto fail;
	}
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		rc = -EPFNOSUPPORT;
		goto fail;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0) {
		rc = -errno;
		goto fail;
	}
	/* Sending only: nothing received may queue up on a socket nobody reads. */
	struct icmp6_filter filter;
	ICMP6_FILTER_SETBLOCKALL(&filter);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) < 0) {
		rc = -errno;
		goto fail;
	}
	/* RFC 4861 7.1.2: receivers drop an advertisement whose hop limit is
	 * not 255. */
	if ((rc = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255)) < 0 ||
	    (rc = set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255)) < 0 ||
	    (rc = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0)) < 0 ||
	    (rc = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex)) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return rc;
}

int vrrp_na_send(int fd, int ifindex, const struct in6_addr *src, const uint8_t mac[6],
		 const struct in6_addr *target)
{
	uint8_t msg[VRRP_NA_LEN];
	vrrp_na_build(msg, sizeof(msg), mac, target);
	/* All nodes, ff02::1, on this link, from src (the link-local
	 * address: RFC 4861 7.2.4), as the adverts are sent. */
	struct in6_addr all_nodes = { .s6_addr = { 0xff, 0x02, [15] = 0x01 } };
	return vrrp_sock_send6(fd, ifindex, src, &all_nodes, msg, sizeof(msg));
}
