/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the receive path: a raw IPv4 datagram through vrrp_sock_parse_ipv4, the advert in it through the decoder. */
/*
 * What vigild does with each datagram its raw socket reads (vrrp/instance.c
 * rx_cb and accept_packet): the IPv4 header is checked and the payload
 * located (vrrp/socket.c), then the VRRP message is decoded with the
 * header's source, destination and TTL (the v3 pseudo-header checksum
 * covers them) and compared with the instance. fuzz_packet fuzzes the
 * decoder with a fixed IP context; this one lets the header vary too, so a
 * payload located wrongly (IHL, total length) shows as an overread.
 *
 * Input layout: byte 0 picks the instance's receive policy (bit 0: version
 * 3, else 2; bits 1-2: checksum mode, 0 auto, 1 pseudo-header, 2 rfc9568,
 * 3 auto; bit 3: skip the TTL check; bit 5: v2 auth PASS "secret12"); the
 * rest is the datagram as read, IPv4 header included.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "socket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The instance of the seeds: VRID 51, 198.18.0.100, 1 s adverts. */
static const uint8_t VIP[4] = { 198, 18, 0, 100 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vrrp_pkt_rx_policy p = { 0 };
	struct vrrp_pkt_instance_view v = {
		.vrid = 51, .priority = 100, .interval_cs = 100, .addrs = VIP, .count = 1,
	};
	struct vrrp_rx_info info;
	struct vrrp_advert a;
	enum vrrp_sock_drop sd;
	enum vrrp_drop r;
	unsigned notices;
	uint8_t sel;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	p.version = (sel & 1) ? 3 : 2;
	p.csum = (enum vrrp_csum_mode)(((sel >> 1) & 3) % 3);
	p.skip_ttl_check = sel & 8;
	if (sel & 32) {
		p.auth_type = VRRP_AUTH_PASS;
		memcpy(p.auth_data, "secret12", 8);
	}

	memset(&info, 0, sizeof(info));
	sd = vrrp_sock_parse_ipv4(data, size, &info);
	if ((unsigned)sd >= VRRP_SOCK_DROP__COUNT)
		abort();
	if (sd != VRRP_SOCK_OK)
		return 0;
	/* The payload must lie after a header of at least 20 bytes and within
	 * what was read: the decoder trusts payload_len. */
	if (info.payload < data + 20 || info.payload > data + size ||
	    info.payload_len > (size_t)(data + size - info.payload))
		abort();

	struct vrrp_pkt_ip ip = { .family = AF_INET, .ttl = info.ttl };
	memcpy(ip.src, &info.src.s_addr, 4);
	memcpy(ip.dst, &info.dst.s_addr, 4);
	r = vrrp_pkt_decode(info.payload, info.payload_len, &ip, &p, &a);
	if ((unsigned)r >= VRRP_DROP__COUNT)
		abort();
	if (r != VRRP_DROP_NONE)
		return 0;
	if (a.length + (size_t)a.trailing != info.payload_len ||
	    a.addrs != info.payload + VRRP_HDR_LEN)
		abort();
	r = vrrp_pkt_check_instance(&a, &v, &notices);
	if ((unsigned)r >= VRRP_DROP__COUNT)
		abort();
	return 0;
}
