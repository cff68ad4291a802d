// SPDX-License-Identifier: GPL-2.0-or-later
// Unsolicited Neighbor Advertisements: tell the link that an IPv6 VIP now
// lives at our MAC address (the IPv6 counterpart of gratuitous ARP).
#ifndef VIGIL_VRRP_NDISC_H
#define VIGIL_VRRP_NDISC_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* ICMPv6 Neighbor Advertisement (24 bytes) + Target Link-Layer Address option (8). */
#define VRRP_NA_LEN 32

/*
 * Pure: build an unsolicited Neighbor Advertisement for target (RFC 4861
 * 4.4 and 7.2.6): type 136, code 0, Override set, Solicited and Router
 * clear, the target, and a Target Link-Layer Address option with mac.
 * The checksum is left 0: the kernel computes it for ICMPv6 raw sockets
 * (RFC 3542 3.1). Returns VRRP_NA_LEN, or -ENOSPC.
 */
int vrrp_na_build(uint8_t *buf, size_t cap, const uint8_t mac[6], const struct in6_addr *target);

/*
 * Open a send-only ICMPv6 raw socket on the interface (bound to it, hop
 * limit 255 as RFC 4861 7.1.2 requires of receivers, every incoming type
 * filtered out) and read the interface's MAC address into mac. Returns
 * the fd (non-blocking, close-on-exec), or a negative errno.
 */
int vrrp_na_open(const char *ifname, int ifindex, uint8_t mac[6]);

/*
 * Send one advertisement for target to all nodes (ff02::1) from src (our
 * link-local address) on ifindex. Returns 0 or a negative errno.
 */
int vrrp_na_send(int fd, int ifindex, const struct in6_addr *src, const uint8_t mac[6],
		 const struct in6_addr *target);

#endif
