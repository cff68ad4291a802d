// SPDX-License-Identifier: GPL-2.0-or-later
// Gratuitous ARP: tell the link that a VIP now lives at our MAC address.
#ifndef VIGIL_VRRP_GARP_H
#define VIGIL_VRRP_GARP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define VRRP_GARP_LEN 28 /* an Ethernet/IPv4 ARP message */

/*
 * Pure: build an ARP announcement (RFC 5227 2.3: an ARP request whose
 * sender and target protocol addresses are both the VIP, target hardware
 * address zero) into buf. Returns VRRP_GARP_LEN, or -ENOSPC.
 */
int vrrp_garp_build(uint8_t *buf, size_t cap, const uint8_t mac[6], struct in_addr vip);

/*
 * Open a packet socket for sending ARP on ifindex and read the interface's
 * MAC address into mac. Returns the fd (non-blocking, close-on-exec), or a
 * negative errno.
 */
int vrrp_garp_open(const char *ifname, int ifindex, uint8_t mac[6]);

/*
 * Broadcast one announcement for vip from mac on ifindex.
 * Returns 0 or a negative errno.
 */
int vrrp_garp_send(int fd, int ifindex, const uint8_t mac[6], struct in_addr vip);

#endif
