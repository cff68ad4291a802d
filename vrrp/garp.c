// SPDX-License-Identifier: GPL-2.0-or-later
// Gratuitous ARP: tell the link that a VIP now lives at our MAC address.
//
// vigil keeps VIPs on the interface's own MAC (keepalived's default, a
// documented deviation from RFC 5798 7.3's virtual MAC), so switches and
// clients must be told where a VIP moved; an ARP announcement does that.
#include "garp.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int vrrp_garp_build(uint8_t *buf, size_t cap, const uint8_t mac[6], struct in_addr vip)
{
	if (cap < VRRP_GARP_LEN)
		return -ENOSPC;
	uint8_t *p = buf;
	*p++ = 0; *p++ = ARPHRD_ETHER;              /* hardware type */
	*p++ = 0x08; *p++ = 0x00;                   /* protocol type IPv4 */
	*p++ = 6; *p++ = 4;                         /* address lengths */
	*p++ = 0; *p++ = ARPOP_REQUEST;             /* RFC 5227 2.3 */
	memcpy(p, mac, 6); p += 6;                  /* sender hardware */
	memcpy(p, &vip.s_addr, 4); p += 4;          /* sender protocol */
	memset(p, 0, 6); p += 6;                    /* target hardware */
	memcpy(p, &vip.s_addr, 4);                  /* target protocol */
	return VRRP_GARP_LEN;
}

int vrrp_garp_open(const char *ifname, int ifindex, uint8_t mac[6])
{
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (strlen(ifname) >= sizeof(ifr.ifr_name)) {
		close(fd);
		return -ENAMETOOLONG;
	}
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		close(fd);
		return -EPFNOSUPPORT;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	/* Sending only: a zero protocol in bind() keeps received ARP
	 * traffic from queueing up on a socket nobody reads. */
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_protocol = 0 };
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int vrrp_garp_send(int fd, int ifindex, const uint8_t mac[6], struct in_addr vip)
{
	uint8_t msg[VRRP_GARP_LEN];
	vrrp_garp_build(msg, sizeof(msg), mac, vip);
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = ifindex,
		.sll_halen = 6,
	};
	memset(to.sll_addr, 0xff, 6);
	if (sendto(fd, msg, sizeof(msg), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}
