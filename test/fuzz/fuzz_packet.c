/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for vrrp/packet.c: decode never misbehaves, accepted input re-encodes identically. */
/*
 * Built as fuzz_packet with -DVIGIL_FUZZ=ON (test/fuzz/CMakeLists.txt);
 * seeds in corpus/packet/, run by test/fuzz/run.sh.
 *
 * Input layout: byte 0 picks the receive context (bit 0: version 3, else 2;
 * bits 1-2: checksum mode, 0 auto, 1 pseudo-header, 2 rfc9568, 3 auto;
 * bit 3: skip the TTL check; bit 4: IPv6; bit 5: v2 auth PASS "secret12";
 * bit 6: IPv4 unicast to 198.18.0.2 rather than 224.0.0.18, as keepalived's
 * unicast_peer sends), byte 1 the TTL; the rest is the VRRP message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t SRC6[16] = { 0xfe, 0x80, [15] = 1 };
static const uint8_t DST6[16] = { 0xff, 0x02, [15] = 0x12 };

/* Accepted input must be exactly what vigil would send for the same fields. */
static void check_reencode(const uint8_t *msg, const struct vrrp_advert *a,
			   const struct vrrp_pkt_ip *ip, const struct vrrp_pkt_rx_policy *p)
{
	static const uint8_t zero[VRRP_AUTH_LEN];
	uint8_t out[VRRP_PKT_MAX_LEN];
	struct vrrp_advert_out o = {
		.version = a->version, .vrid = a->vrid, .priority = a->priority,
		.count = a->count, .interval_cs = a->interval_cs,
		.auth_type = a->auth_type, .addrs = a->addrs,
	};
	const uint8_t *auth = msg + VRRP_HDR_LEN + (size_t)a->count * a->addr_len;
	int n;

	/* Inputs the encoder cannot or will not produce: not canonical. */
	if (a->vrid == 0 || a->count == 0)
		return;
	if (a->version == 3 && (msg[4] & 0xf0))
		return; /* rsvd bits set */
	if (a->version == 2 && a->auth_type == VRRP_AUTH_NONE &&
	    memcmp(auth, zero, VRRP_AUTH_LEN) != 0)
		return; /* auth data ignored on receive, zero on send */
	if (a->version == 2)
		memcpy(o.auth_data, p->auth_data, VRRP_AUTH_LEN);

	n = vrrp_pkt_encode(&o, ip, a->csum_kind, out, sizeof(out));
	if (n != a->length)
		abort();
	/*
	 * Ones' complement has two zeros: a field of 0xffff verifies wherever
	 * the encoder writes 0x0000 (RFC 1071 2(1)); everything else must match.
	 */
	if (out[6] == 0 && out[7] == 0 && msg[6] == 0xff && msg[7] == 0xff) {
		out[6] = 0xff;
		out[7] = 0xff;
	}
	if (memcmp(out, msg, (size_t)n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vrrp_pkt_ip ip = { .family = AF_INET };
	struct vrrp_pkt_rx_policy p = { 0 };
	struct vrrp_pkt_instance_view v = { .vrid = 51, .priority = 100, .interval_cs = 100 };
	struct vrrp_csum_tracker t;
	struct vrrp_advert a;
	enum vrrp_drop r;
	uint8_t sel;
	unsigned notices;

	if (size < 2)
		return 0;
	sel = data[0];
	ip.ttl = data[1];
	data += 2;
	size -= 2;

	p.version = (sel & 1) ? 3 : 2;
	p.csum = (enum vrrp_csum_mode)(((sel >> 1) & 3) % 3);
	p.skip_ttl_check = sel & 8;
	if (sel & 16) {
		ip.family = AF_INET6;
		memcpy(ip.src, SRC6, 16);
		memcpy(ip.dst, DST6, 16);
	} else {
		memcpy(ip.src, (const uint8_t[]){ 198, 18, 0, 1 }, 4);
		memcpy(ip.dst, (const uint8_t[]){ 224, 0, 0, 18 }, 4);
		/* The v3 pseudo-header checksum covers the destination: a
		 * unicast advert verifies only against its real one. */
		if (sel & 64)
			memcpy(ip.dst, (const uint8_t[]){ 198, 18, 0, 2 }, 4);
	}
	if (sel & 32) {
		p.auth_type = VRRP_AUTH_PASS;
		memcpy(p.auth_data, "secret12", 8);
	}

	r = vrrp_pkt_decode(data, size, &ip, &p, &a);
	if ((unsigned)r >= VRRP_DROP__COUNT)
		abort();
	if (r != VRRP_DROP_NONE)
		return 0;
	if (a.length + (size_t)a.trailing != size || a.addrs != data + VRRP_HDR_LEN)
		abort();

	v.addrs = a.addrs; /* compare against itself: must match */
	v.count = a.count;
	v.vrid = a.vrid;
	if (vrrp_pkt_check_instance(&a, &v, &notices) == VRRP_DROP_NONE &&
	    (notices & VRRP_NOTICE_ADDR_MISMATCH))
		abort();

	vrrp_csum_tracker_init(&t, VRRP_CSUM_AUTO);
	(void)vrrp_csum_tracker_observe(&t, a.csum_kind, ip.src);

	check_reencode(data, &a, &ip, &p);
	return 0;
}
