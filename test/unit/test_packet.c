/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for vrrp/packet.c: keepalived golden vectors, RFC vectors, round trips, every drop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "packet.h"

/*
 * ==== Golden vectors captured from the real keepalived ====
 *
 * Captured on 2026-11-25 by test/lab/capture-keepalived.sh (as root:
 * `test/lab/capture-keepalived.sh /tmp/ka_vectors.txt`) with Debian 12's
 * "Keepalived v2.2.7 (01/16,2022)". For each case the script builds two
 * private network namespaces joined by a veth pair (keepalived's side
 * 198.18.0.1/24 on "va", a silent peer 198.18.0.2/24 on "vb"), runs
 *   ip netns exec NS keepalived -n -l -D -P -f CONF -p PID -r VRRP_PID -c CHK_PID
 * records its adverts with
 *   ip netns exec NS tcpdump -i va -n -U -s 0 -w FILE -c N 'ip proto 112'
 * and prints each distinct IP payload with the IP source, destination and
 * TTL (all adverts of one case were identical). Every case uses
 *   global_defs { router_id vigcap  vrrp_version V }
 *   vrrp_instance VI { state MASTER  interface va  virtual_router_id 51
 *     priority 150  advert_int A  virtual_ipaddress { 198.18.0.100/24 } }
 * and differs only as its comment says. Bytes pasted unchanged.
 * All: src 198.18.0.1, TTL 255; dst 224.0.0.18 unless said otherwise.
 */

/* V=2 A=1: 20 bytes; auth type 0, auth data 8 zero bytes */
static const uint8_t ka_v2_1vip[] = {
	0x21, 0x33, 0x96, 0x01, 0x00, 0x01, 0x82, 0x53,
	0xc6, 0x12, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};
/* V=2 A=1, virtual_ipaddress { 198.18.0.100/24 198.18.0.101/24 }: 24 bytes */
static const uint8_t ka_v2_2vip[] = {
	0x21, 0x33, 0x96, 0x02, 0x00, 0x01, 0xbb, 0xda,
	0xc6, 0x12, 0x00, 0x64, 0xc6, 0x12, 0x00, 0x65,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* V=2 A=1, authentication { auth_type PASS  auth_pass secret12 }: 20 bytes */
static const uint8_t ka_v2_pass[] = {
	0x21, 0x33, 0x96, 0x01, 0x01, 0x01, 0x13, 0xd5,
	0xc6, 0x12, 0x00, 0x64, 0x73, 0x65, 0x63, 0x72,
	0x65, 0x74, 0x31, 0x32,
};
/*
 * V=2 A=1, authentication { auth_type PASS  auth_pass vig }: keepalived
 * zero-pads a short password to the 8-byte field. A longer one is cut to
 * 8 bytes: `keepalived -t` on auth_pass secret123456 says "Truncating
 * auth_pass to 8 characters".
 */
static const uint8_t ka_v2_pass_short[] = {
	0x21, 0x33, 0x96, 0x01, 0x01, 0x01, 0xa3, 0xe9,
	0xc6, 0x12, 0x00, 0x64, 0x76, 0x69, 0x67, 0x00,
	0x00, 0x00, 0x00, 0x00,
};
/* V=3 A=1: 12 bytes; checksum includes the IPv4 pseudo-header */
static const uint8_t ka_v3_1vip[] = {
	0x31, 0x33, 0x96, 0x01, 0x00, 0x64, 0xcb, 0x4d,
	0xc6, 0x12, 0x00, 0x64,
};
/* V=3 A=0.1 (accepted: 10 cs), two VIPs 198.18.0.100/24 198.18.0.101/24: 16 bytes */
static const uint8_t ka_v3_2vip_10cs[] = {
	0x31, 0x33, 0x96, 0x02, 0x00, 0x0a, 0x05, 0x2b,
	0xc6, 0x12, 0x00, 0x64, 0xc6, 0x12, 0x00, 0x65,
};
/*
 * V=3 A=1, unicast_src_ip 198.18.0.1  unicast_peer { 198.18.0.2 }:
 * dst 198.18.0.2; the pseudo-header holds that real destination.
 */
static const uint8_t ka_v3_unicast[] = {
	0x31, 0x33, 0x96, 0x01, 0x00, 0x64, 0xe5, 0x4b,
	0xc6, 0x12, 0x00, 0x64,
};

/*
 * ==== Golden IPv6 vectors captured from the real keepalived ====
 *
 * Captured on 2026-11-30 in the lab by test/integration/
 * interop_keepalived_ipv6.sh (it prints each priority's first advert as
 * hex): Debian 12's keepalived 2.2.7 as
 *   global_defs { vrrp_version 3 }
 *   vrrp_instance VI_1 { interface eth0  virtual_router_id 51
 *     priority P  advert_int 0.1  virtual_ipaddress { 2001:db8:1::100/64 dev eth0 } }
 * (an IPv6 virtual_ipaddress makes the instance VRRPv3 over IPv6), taken
 * with `tcpdump -i eth0 'ip6 proto 112'` on the other host. All: src
 * fe80::24ef:c2ff:fe53:e3d7 (keepalived's link-local address), dst
 * ff02::12, hop limit 255, 10 cs; the checksum covers the IPv6
 * pseudo-header (RFC 5798 5.2.8). Bytes pasted unchanged.
 */
static const uint8_t KA6_SRC[16] = {
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x24, 0xef, 0xc2, 0xff, 0xfe, 0x53, 0xe3, 0xd7,
};
/* P = 100 */
static const uint8_t ka_v3_ipv6_p100[] = {
	0x31, 0x33, 0x64, 0x01, 0x00, 0x0a, 0x73, 0xce,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
};
/* P = 150 */
static const uint8_t ka_v3_ipv6_p150[] = {
	0x31, 0x33, 0x96, 0x01, 0x00, 0x0a, 0x41, 0xce,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
};
/* P = 100, stopping (SIGTERM): priority 0 */
static const uint8_t ka_v3_ipv6_p0[] = {
	0x31, 0x33, 0x00, 0x01, 0x00, 0x0a, 0xd7, 0xce,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
};

/*
 * ==== Independent RFC vectors ====
 *
 * Output of `python3 test/unit/gen_vectors.py` (RFC 1071 checksum written
 * from the RFC text in Python, sharing no code with vigil), pasted
 * unchanged. RFC 9568 5.2.8: v3 IPv4 checksum over the message only.
 */
/* rfc9568_v3_1vip: v3 IPv4 message-only csum, vrid 51 prio 150 int 100cs, 198.18.0.100, 12 bytes */
static const uint8_t rfc9568_v3_1vip[] = {
	0x31, 0x33, 0x96, 0x01, 0x00, 0x64, 0x71, 0xf0,
	0xc6, 0x12, 0x00, 0x64,
};
/* rfc9568_v3_3vip: v3 IPv4 message-only csum, vrid 7 prio 254 int 4095cs, 198.18.0.100-102, 20 bytes */
static const uint8_t rfc9568_v3_3vip[] = {
	0x31, 0x07, 0xfe, 0x03, 0x0f, 0xff, 0x6d, 0x8e,
	0xc6, 0x12, 0x00, 0x64, 0xc6, 0x12, 0x00, 0x65,
	0xc6, 0x12, 0x00, 0x66,
};
/* rfc9568_v3_prio0: v3 IPv4 message-only csum, vrid 51 prio 0 int 10cs, 198.18.0.100, 12 bytes */
static const uint8_t rfc9568_v3_prio0[] = {
	0x31, 0x33, 0x00, 0x01, 0x00, 0x0a, 0x08, 0x4b,
	0xc6, 0x12, 0x00, 0x64,
};
/* rfc5798_v3_ipv6: v3 IPv6 pseudo-header csum src fe80::1 dst ff02::12, vrid 51 prio 150 int 100cs, fe80::100 2001:db8::100, 40 bytes */
static const uint8_t rfc5798_v3_ipv6[] = {
	0x31, 0x33, 0x96, 0x02, 0x00, 0x64, 0x0b, 0xfd,
	0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
};

/* ==== helpers ==== */

static const uint8_t SRC1[4] = { 198, 18, 0, 1 };
static const uint8_t SRC2[4] = { 198, 18, 0, 2 };
static const uint8_t SRC3[4] = { 198, 18, 0, 3 };
static const uint8_t MCAST4[4] = { 224, 0, 0, 18 };
static const uint8_t VIPS4[] = { 198, 18, 0, 100, 198, 18, 0, 101, 198, 18, 0, 102 };
static const uint8_t V6_SRC[16] = { 0xfe, 0x80, [15] = 0x01 };
static const uint8_t V6_DST[16] = { 0xff, 0x02, [15] = 0x12 };

static struct vrrp_pkt_ip ip4(const uint8_t src[4], const uint8_t dst[4])
{
	struct vrrp_pkt_ip ip = { .family = AF_INET, .ttl = 255 };

	memcpy(ip.src, src, 4);
	memcpy(ip.dst, dst, 4);
	return ip;
}

static struct vrrp_pkt_ip ip4_mcast(void)
{
	return ip4(SRC1, MCAST4);
}

static struct vrrp_pkt_ip ip6_mcast(void)
{
	struct vrrp_pkt_ip ip = { .family = AF_INET6, .ttl = 255 };

	memcpy(ip.src, V6_SRC, 16);
	memcpy(ip.dst, V6_DST, 16);
	return ip;
}

static struct vrrp_pkt_rx_policy pol(uint8_t version, enum vrrp_csum_mode mode)
{
	return (struct vrrp_pkt_rx_policy){ .version = version, .csum = mode };
}

static struct vrrp_pkt_rx_policy pol_pass(const char *pass)
{
	struct vrrp_pkt_rx_policy p = pol(2, VRRP_CSUM_AUTO);

	p.auth_type = VRRP_AUTH_PASS;
	memcpy(p.auth_data, pass, strnlen(pass, VRRP_AUTH_LEN)); /* zero-padded */
	return p;
}

/* Recomputes the checksum of a mutated message in the given form. */
static void fix_csum(uint8_t *msg, size_t len, const struct vrrp_pkt_ip *ip,
		     enum vrrp_csum_kind kind)
{
	uint32_t seed = 0;
	uint16_t c;

	if (kind == VRRP_CSUM_KIND_PSEUDO_HEADER) {
		uint8_t ph[40] = { 0 };
		size_t al = ip->family == AF_INET ? 4 : 16;

		memcpy(ph, ip->src, al);
		memcpy(ph + al, ip->dst, al);
		ph[2 * al + 1] = VRRP_PROTO;
		ph[2 * al + 2] = (uint8_t)(len >> 8);
		ph[2 * al + 3] = (uint8_t)len;
		/* Fold the pseudo-header words into a seed by hand (independent path). */
		for (size_t i = 0; i < 2 * al + 4; i += 2)
			seed += (uint32_t)(ph[i] << 8 | ph[i + 1]);
	}
	msg[6] = msg[7] = 0;
	c = vrrp_pkt_inet_csum(seed, msg, len);
	msg[6] = (uint8_t)(c >> 8);
	msg[7] = (uint8_t)c;
}

/* ==== RFC 1071 helper ==== */

static void test_inet_csum_rfc1071_example(void **state)
{
	/* RFC 1071 3: words 0001 f203 f4f5 f6f7 sum to ddf2 (after carry). */
	const uint8_t data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t with[10];

	(void)state;
	assert_int_equal(vrrp_pkt_inet_csum(0, data, sizeof(data)), 0x220d);
	/* Appending the checksum makes the whole verify to 0. */
	memcpy(with, data, sizeof(data));
	with[8] = 0x22;
	with[9] = 0x0d;
	assert_int_equal(vrrp_pkt_inet_csum(0, with, sizeof(with)), 0);
	/* Odd length: the last byte is padded with zero on the right. */
	assert_int_equal(vrrp_pkt_inet_csum(0, (const uint8_t *)"\x12", 1), 0xedff);
	/* A seed is added like a leading word. */
	assert_int_equal(vrrp_pkt_inet_csum(0x0001, data + 2, 6),
			 vrrp_pkt_inet_csum(0, data, sizeof(data)));
	assert_int_equal(vrrp_pkt_inet_csum(0, NULL, 0), 0xffff);
}

/* ==== names ==== */

static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < VRRP_DROP__COUNT; i++) {
		const char *n = vrrp_drop_name((enum vrrp_drop)i);

		assert_string_not_equal(n, "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, vrrp_drop_name((enum vrrp_drop)j));
	}
	assert_string_equal(vrrp_drop_name(VRRP_DROP_CSUM), "csum");
	assert_string_equal(vrrp_drop_name(VRRP_DROP__COUNT), "unknown");
	assert_string_equal(vrrp_drop_name((enum vrrp_drop)-1), "unknown");

	assert_string_equal(vrrp_csum_kind_name(VRRP_CSUM_KIND_PSEUDO_HEADER), "pseudo-header");
	assert_string_equal(vrrp_csum_kind_name(VRRP_CSUM_KIND_MESSAGE_ONLY), "message-only");
	assert_string_equal(vrrp_csum_kind_name(VRRP_CSUM__KIND_COUNT), "unknown");
	assert_string_equal(vrrp_notice_name(VRRP_NOTICE_ADDR_MISMATCH), "addr-mismatch");
	assert_string_equal(vrrp_notice_name(VRRP_NOTICE_INTERVAL_MISMATCH), "interval-mismatch");
	assert_string_equal(vrrp_notice_name((enum vrrp_notice)0), "unknown");
	assert_string_equal(vrrp_csum_event_name(VRRP_CSUM_EV_NONE), "none");
	assert_string_equal(vrrp_csum_event_name(VRRP_CSUM_EV_SWITCHED), "switched");
	assert_string_equal(vrrp_csum_event_name(VRRP_CSUM_EV_DISAGREE), "disagree");
	assert_string_equal(vrrp_csum_event_name(VRRP_CSUM_EV_AGREE), "agree");
	assert_string_equal(vrrp_csum_event_name(VRRP_CSUM__EV_COUNT), "unknown");
}

static void test_csum_mode_parse(void **state)
{
	static const char *const words[] = { "auto", "pseudo-header", "rfc9568" };
	enum vrrp_csum_mode m = VRRP_CSUM__MODE_COUNT;

	(void)state;
	for (int i = 0; i < VRRP_CSUM__MODE_COUNT; i++) {
		assert_int_equal(vrrp_csum_mode_parse(words[i], &m), 0);
		assert_int_equal(m, i);
		assert_string_equal(vrrp_csum_mode_name(m), words[i]);
	}
	m = VRRP_CSUM_RFC9568;
	assert_int_equal(vrrp_csum_mode_parse("Auto", &m), -EINVAL);
	assert_int_equal(vrrp_csum_mode_parse("pseudo", &m), -EINVAL);
	assert_int_equal(vrrp_csum_mode_parse("", &m), -EINVAL);
	assert_int_equal(vrrp_csum_mode_parse(NULL, &m), -EINVAL);
	assert_int_equal(m, VRRP_CSUM_RFC9568); /* unchanged on error */
	assert_string_equal(vrrp_csum_mode_name(VRRP_CSUM__MODE_COUNT), "unknown");
}

/* ==== golden vectors: decode byte for byte, re-encode identically ==== */

struct golden {
	const char *name;
	const uint8_t *bytes;
	size_t len;
	uint8_t version;
	const uint8_t *dst;
	uint8_t count;
	uint16_t interval_raw;
	uint16_t interval_cs;
	uint8_t priority;
	uint8_t vrid;
	uint8_t auth_type;
	const char *pass;           /* v2 PASS password, NULL if none */
	enum vrrp_csum_mode mode;   /* rx mode the vector must pass */
	enum vrrp_csum_mode wrong;  /* rx mode it must fail (v3 IPv4 only) */
	enum vrrp_csum_kind kind;
};

#define G(arr) #arr, arr, sizeof(arr)

static const uint8_t PEER2[4] = { 198, 18, 0, 2 };

static const struct golden goldens[] = {
	{ G(ka_v2_1vip), 2, MCAST4, 1, 1, 100, 150, 51, 0, NULL,
	  VRRP_CSUM_AUTO, VRRP_CSUM__MODE_COUNT, VRRP_CSUM_KIND_MESSAGE_ONLY },
	{ G(ka_v2_2vip), 2, MCAST4, 2, 1, 100, 150, 51, 0, NULL,
	  VRRP_CSUM_AUTO, VRRP_CSUM__MODE_COUNT, VRRP_CSUM_KIND_MESSAGE_ONLY },
	{ G(ka_v2_pass), 2, MCAST4, 1, 1, 100, 150, 51, 1, "secret12",
	  VRRP_CSUM_AUTO, VRRP_CSUM__MODE_COUNT, VRRP_CSUM_KIND_MESSAGE_ONLY },
	{ G(ka_v2_pass_short), 2, MCAST4, 1, 1, 100, 150, 51, 1, "vig",
	  VRRP_CSUM_AUTO, VRRP_CSUM__MODE_COUNT, VRRP_CSUM_KIND_MESSAGE_ONLY },
	{ G(ka_v3_1vip), 3, MCAST4, 1, 100, 100, 150, 51, 0, NULL,
	  VRRP_CSUM_PSEUDO_HEADER, VRRP_CSUM_RFC9568, VRRP_CSUM_KIND_PSEUDO_HEADER },
	{ G(ka_v3_2vip_10cs), 3, MCAST4, 2, 10, 10, 150, 51, 0, NULL,
	  VRRP_CSUM_PSEUDO_HEADER, VRRP_CSUM_RFC9568, VRRP_CSUM_KIND_PSEUDO_HEADER },
	{ G(ka_v3_unicast), 3, PEER2, 1, 100, 100, 150, 51, 0, NULL,
	  VRRP_CSUM_PSEUDO_HEADER, VRRP_CSUM_RFC9568, VRRP_CSUM_KIND_PSEUDO_HEADER },
	{ G(rfc9568_v3_1vip), 3, MCAST4, 1, 100, 100, 150, 51, 0, NULL,
	  VRRP_CSUM_RFC9568, VRRP_CSUM_PSEUDO_HEADER, VRRP_CSUM_KIND_MESSAGE_ONLY },
	{ G(rfc9568_v3_3vip), 3, MCAST4, 3, 4095, 4095, 254, 7, 0, NULL,
	  VRRP_CSUM_RFC9568, VRRP_CSUM_PSEUDO_HEADER, VRRP_CSUM_KIND_MESSAGE_ONLY },
	{ G(rfc9568_v3_prio0), 3, MCAST4, 1, 10, 10, 0, 51, 0, NULL,
	  VRRP_CSUM_RFC9568, VRRP_CSUM_PSEUDO_HEADER, VRRP_CSUM_KIND_MESSAGE_ONLY },
};

static void check_golden(const struct golden *g)
{
	struct vrrp_pkt_ip ip = ip4(SRC1, g->dst);
	struct vrrp_pkt_rx_policy p = g->pass ? pol_pass(g->pass) : pol(g->version, g->mode);
	struct vrrp_advert a;
	struct vrrp_advert_out o;
	uint8_t buf[VRRP_PKT_MAX_LEN];
	int n;

	print_message("golden %s\n", g->name);
	assert_int_equal(vrrp_pkt_decode(g->bytes, g->len, &ip, &p, &a), VRRP_DROP_NONE);
	assert_int_equal(a.version, g->version);
	assert_int_equal(a.vrid, g->vrid);
	assert_int_equal(a.priority, g->priority);
	assert_int_equal(a.count, g->count);
	assert_int_equal(a.interval_raw, g->interval_raw);
	assert_int_equal(a.interval_cs, g->interval_cs);
	assert_int_equal(a.auth_type, g->auth_type);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.addr_len, 4);
	assert_ptr_equal(a.addrs, g->bytes + VRRP_HDR_LEN);
	assert_memory_equal(a.addrs, VIPS4, (size_t)g->count * 4);
	assert_int_equal(a.csum_kind, g->kind);
	assert_int_equal(a.length, g->len);
	assert_int_equal(a.trailing, 0);

	/* Auto mode accepts every vector and names the form that verified. */
	p.csum = VRRP_CSUM_AUTO;
	assert_int_equal(vrrp_pkt_decode(g->bytes, g->len, &ip, &p, &a), VRRP_DROP_NONE);
	assert_int_equal(a.csum_kind, g->kind);
	/* The other explicit mode refuses it. */
	if (g->wrong != VRRP_CSUM__MODE_COUNT) {
		p.csum = g->wrong;
		assert_int_equal(vrrp_pkt_decode(g->bytes, g->len, &ip, &p, &a), VRRP_DROP_CSUM);
	}

	/* vigil's encoder produces the identical bytes for the same fields. */
	o = (struct vrrp_advert_out){
		.version = g->version, .vrid = g->vrid, .priority = g->priority,
		.count = g->count, .interval_cs = g->interval_cs,
		.auth_type = g->auth_type, .addrs = VIPS4,
	};
	if (g->pass)
		memcpy(o.auth_data, g->pass, strnlen(g->pass, VRRP_AUTH_LEN));
	memset(buf, 0xa5, sizeof(buf)); /* no stale byte may survive */
	n = vrrp_pkt_encode(&o, &ip, g->kind, buf, sizeof(buf));
	assert_int_equal(n, g->len);
	assert_memory_equal(buf, g->bytes, g->len);
}

static void test_golden_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++)
		check_golden(&goldens[i]);
}

static void test_keepalived_unicast_pseudo_header_uses_real_dst(void **state)
{
	struct vrrp_pkt_ip ip = ip4_mcast(); /* wrong: the packet went to 198.18.0.2 */
	struct vrrp_pkt_rx_policy p = pol(3, VRRP_CSUM_AUTO);
	struct vrrp_advert a;

	(void)state;
	assert_int_equal(vrrp_pkt_decode(ka_v3_unicast, sizeof(ka_v3_unicast), &ip, &p, &a),
			 VRRP_DROP_CSUM);
	/* Same fields, multicast destination: keepalived's multicast vector. */
	assert_int_equal(memcmp(ka_v3_unicast + 8, ka_v3_1vip + 8, 4), 0);
	assert_int_not_equal(memcmp(ka_v3_unicast, ka_v3_1vip, 8), 0);
}

/* keepalived's IPv6 adverts decode, and vigil encodes the same fields
 * into the same bytes (so keepalived reads vigil's as its own). */
static void test_keepalived_ipv6_vectors(void **state)
{
	static const struct {
		const uint8_t *b;
		size_t len;
		uint8_t prio;
	} v[] = {
		{ ka_v3_ipv6_p100, sizeof(ka_v3_ipv6_p100), 100 },
		{ ka_v3_ipv6_p150, sizeof(ka_v3_ipv6_p150), 150 },
		{ ka_v3_ipv6_p0, sizeof(ka_v3_ipv6_p0), 0 },
	};
	static const uint8_t vip[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, [14] = 0x01 };
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct vrrp_pkt_ip ip = ip6_mcast();
		struct vrrp_pkt_rx_policy p = pol(3, VRRP_CSUM_AUTO);
		struct vrrp_advert a;
		uint8_t buf[64];
		memcpy(ip.src, KA6_SRC, 16);
		assert_int_equal(vrrp_pkt_decode(v[i].b, v[i].len, &ip, &p, &a), VRRP_DROP_NONE);
		assert_int_equal(a.version, 3);
		assert_int_equal(a.vrid, 51);
		assert_int_equal(a.priority, v[i].prio);
		assert_int_equal(a.count, 1);
		assert_int_equal(a.interval_cs, 10);
		assert_int_equal(a.family, AF_INET6);
		assert_memory_equal(a.addrs, vip, 16);
		assert_int_equal(a.csum_kind, VRRP_CSUM_KIND_PSEUDO_HEADER);
		/* The per-packet half agrees. */
		assert_int_equal(vrrp_pkt_decode_any(v[i].b, v[i].len, &ip, &a), VRRP_DROP_NONE);

		struct vrrp_advert_out o = {
			.version = 3, .vrid = 51, .priority = v[i].prio, .count = 1,
			.interval_cs = 10, .addrs = vip,
		};
		assert_int_equal(vrrp_pkt_encode(&o, &ip, VRRP_CSUM_KIND_PSEUDO_HEADER, buf, sizeof(buf)),
				 (int)v[i].len);
		assert_memory_equal(buf, v[i].b, v[i].len);

		/* From another address, or to a unicast one, the checksum fails. */
		ip.src[15] ^= 1;
		assert_int_equal(vrrp_pkt_decode(v[i].b, v[i].len, &ip, &p, &a), VRRP_DROP_CSUM);
		ip.src[15] ^= 1;
		memcpy(ip.dst, KA6_SRC, 16);
		assert_int_equal(vrrp_pkt_decode(v[i].b, v[i].len, &ip, &p, &a), VRRP_DROP_CSUM);
		/* A hop limit other than 255. */
		ip = ip6_mcast();
		memcpy(ip.src, KA6_SRC, 16);
		ip.ttl = 254;
		assert_int_equal(vrrp_pkt_decode(v[i].b, v[i].len, &ip, &p, &a), VRRP_DROP_TTL);
	}
}

static void test_ipv6_vector(void **state)
{
	static const uint8_t addrs[32] = {
		0xfe, 0x80, [14] = 0x01, [15] = 0x00,
		[16] = 0x20, [17] = 0x01, [18] = 0x0d, [19] = 0xb8, [30] = 0x01, [31] = 0x00,
	};
	struct vrrp_pkt_ip ip = ip6_mcast();
	struct vrrp_pkt_rx_policy p;
	struct vrrp_advert a;
	struct vrrp_advert_out o = {
		.version = 3, .vrid = 51, .priority = 150, .count = 2,
		.interval_cs = 100, .addrs = addrs,
	};
	uint8_t buf[64];

	(void)state;
	/* IPv6 always uses the pseudo-header, whatever the IPv4 mode says. */
	for (int m = 0; m < VRRP_CSUM__MODE_COUNT; m++) {
		p = pol(3, (enum vrrp_csum_mode)m);
		assert_int_equal(vrrp_pkt_decode(rfc5798_v3_ipv6, sizeof(rfc5798_v3_ipv6),
						 &ip, &p, &a), VRRP_DROP_NONE);
		assert_int_equal(a.family, AF_INET6);
		assert_int_equal(a.addr_len, 16);
		assert_int_equal(a.count, 2);
		assert_memory_equal(a.addrs, addrs, 32);
		assert_int_equal(a.csum_kind, VRRP_CSUM_KIND_PSEUDO_HEADER);
	}
	assert_int_equal(vrrp_pkt_encode(&o, &ip, VRRP_CSUM_KIND_MESSAGE_ONLY, buf, sizeof(buf)),
			 sizeof(rfc5798_v3_ipv6));
	assert_memory_equal(buf, rfc5798_v3_ipv6, sizeof(rfc5798_v3_ipv6));
	/* Another source changes the pseudo-header: checksum fails. */
	ip.src[15] = 2;
	assert_int_equal(vrrp_pkt_decode(rfc5798_v3_ipv6, sizeof(rfc5798_v3_ipv6), &ip, &p, &a),
			 VRRP_DROP_CSUM);
	/* v2 does not exist over IPv6. */
	o.version = 2;
	assert_int_equal(vrrp_pkt_encode(&o, &ip, VRRP_CSUM_KIND_MESSAGE_ONLY, buf, sizeof(buf)),
			 -EINVAL);
	p = pol(2, VRRP_CSUM_AUTO);
	assert_int_equal(vrrp_pkt_decode(rfc5798_v3_ipv6, sizeof(rfc5798_v3_ipv6), &ip, &p, &a),
			 VRRP_DROP_FAMILY);
}

/* ==== round trips ==== */

static void roundtrip(uint8_t version, int family, uint8_t count, enum vrrp_csum_kind kind,
		      uint8_t auth_type, uint16_t interval_cs, uint8_t prio)
{
	uint8_t addrs[255 * 16];
	uint8_t buf[VRRP_PKT_MAX_LEN];
	struct vrrp_pkt_ip ip = family == AF_INET ? ip4_mcast() : ip6_mcast();
	struct vrrp_pkt_rx_policy p = auth_type ? pol_pass("pw") : pol(version, VRRP_CSUM_AUTO);
	struct vrrp_advert_out o = {
		.version = version, .vrid = 200, .priority = prio, .count = count,
		.interval_cs = interval_cs, .auth_type = auth_type, .addrs = addrs,
	};
	struct vrrp_advert a;
	size_t alen = family == AF_INET ? 4 : 16;
	int n;

	for (size_t i = 0; i < sizeof(addrs); i++)
		addrs[i] = (uint8_t)(i * 7 + 3);
	if (auth_type)
		memcpy(o.auth_data, "pw", 2);
	n = vrrp_pkt_encode(&o, &ip, kind, buf, sizeof(buf));
	assert_int_equal(n, 8 + count * alen + (version == 2 ? 8 : 0));
	assert_int_equal(vrrp_pkt_decode(buf, (size_t)n, &ip, &p, &a), VRRP_DROP_NONE);
	assert_int_equal(a.version, version);
	assert_int_equal(a.vrid, 200);
	assert_int_equal(a.priority, prio);
	assert_int_equal(a.count, count);
	assert_int_equal(a.interval_cs, interval_cs);
	assert_int_equal(a.interval_raw, version == 2 ? interval_cs / 100 : interval_cs);
	assert_int_equal(a.auth_type, auth_type);
	assert_int_equal(a.addr_len, alen);
	assert_memory_equal(a.addrs, addrs, count * alen);
	assert_int_equal(a.csum_kind, version == 2 ? VRRP_CSUM_KIND_MESSAGE_ONLY
				  : family == AF_INET6 ? VRRP_CSUM_KIND_PSEUDO_HEADER : kind);
	if (version == 2) {
		static const uint8_t zero[8];

		assert_memory_equal(buf + n - 8, auth_type ? (const uint8_t *)"pw\0\0\0\0\0\0" : zero, 8);
	}
	/* Exactly n bytes are needed: one less is too short, and -ENOSPC. */
	assert_int_equal(vrrp_pkt_decode(buf, (size_t)n - 1, &ip, &p, &a), VRRP_DROP_LENGTH);
	assert_int_equal(vrrp_pkt_encode(&o, &ip, kind, buf, (size_t)n - 1), -ENOSPC);
}

static void test_roundtrip_v2(void **state)
{
	static const uint8_t counts[] = { 1, 2, 3, 17, 255 };

	(void)state;
	for (size_t i = 0; i < sizeof(counts); i++) {
		roundtrip(2, AF_INET, counts[i], VRRP_CSUM_KIND_PSEUDO_HEADER, 0, 100, 100);
		roundtrip(2, AF_INET, counts[i], VRRP_CSUM_KIND_MESSAGE_ONLY, 1, 25500, 255);
		roundtrip(2, AF_INET, counts[i], VRRP_CSUM_KIND_MESSAGE_ONLY, 0, 300, 0);
	}
}

static void test_roundtrip_v3(void **state)
{
	static const uint8_t counts[] = { 1, 2, 3, 17, 255 };

	(void)state;
	for (size_t i = 0; i < sizeof(counts); i++) {
		roundtrip(3, AF_INET, counts[i], VRRP_CSUM_KIND_PSEUDO_HEADER, 0, 100, 150);
		roundtrip(3, AF_INET, counts[i], VRRP_CSUM_KIND_MESSAGE_ONLY, 0, 1, 1);
		roundtrip(3, AF_INET, counts[i], VRRP_CSUM_KIND_MESSAGE_ONLY, 0, 4095, 0);
		roundtrip(3, AF_INET6, counts[i], VRRP_CSUM_KIND_PSEUDO_HEADER, 0, 10, 254);
		roundtrip(3, AF_INET6, counts[i], VRRP_CSUM_KIND_MESSAGE_ONLY, 0, 2000, 255);
	}
}

/* ==== every syntax drop, each from a mutated good packet ==== */

struct mut {
	uint8_t buf[64];
	size_t len;
	struct vrrp_pkt_ip ip;
	struct vrrp_pkt_rx_policy p;
	enum vrrp_csum_kind kind;
};

static struct mut good_v3(void)
{
	struct mut m = { .len = sizeof(ka_v3_2vip_10cs), .ip = ip4_mcast(),
			 .p = pol(3, VRRP_CSUM_AUTO), .kind = VRRP_CSUM_KIND_PSEUDO_HEADER };

	memcpy(m.buf, ka_v3_2vip_10cs, m.len);
	return m;
}

static struct mut good_v2(void)
{
	struct mut m = { .len = sizeof(ka_v2_pass), .ip = ip4_mcast(),
			 .p = pol_pass("secret12"), .kind = VRRP_CSUM_KIND_MESSAGE_ONLY };

	memcpy(m.buf, ka_v2_pass, m.len);
	return m;
}

static enum vrrp_drop run(struct mut *m)
{
	struct vrrp_advert a;

	return vrrp_pkt_decode(m->buf, m->len, &m->ip, &m->p, &a);
}

static void refix(struct mut *m, size_t len)
{
	fix_csum(m->buf, len, &m->ip, m->kind);
}

static void test_drop_each_reason(void **state)
{
	struct mut m;

	(void)state;
	/* Baselines are accepted, so each drop below is caused by its mutation. */
	m = good_v3();
	assert_int_equal(run(&m), VRRP_DROP_NONE);
	m = good_v2();
	assert_int_equal(run(&m), VRRP_DROP_NONE);

	/* family */
	m = good_v3();
	m.ip.family = AF_UNIX;
	assert_int_equal(run(&m), VRRP_DROP_FAMILY);

	/* TTL (RFC 5798 7.1 first check), both versions, and the unicast opt-out */
	m = good_v3();
	m.ip.ttl = 254;
	assert_int_equal(run(&m), VRRP_DROP_TTL);
	m.ip.ttl = 1;
	assert_int_equal(run(&m), VRRP_DROP_TTL);
	m.p.skip_ttl_check = true;
	assert_int_equal(run(&m), VRRP_DROP_NONE);
	m = good_v2();
	m.ip.ttl = 64;
	assert_int_equal(run(&m), VRRP_DROP_TTL);

	/* shorter than the fixed header */
	m = good_v3();
	m.len = 7;
	assert_int_equal(run(&m), VRRP_DROP_SHORT);
	m.len = 0;
	assert_int_equal(run(&m), VRRP_DROP_SHORT);

	/* version: v2 packet on a v3 instance and back, and nonsense versions */
	m = good_v2();
	m.p = pol(3, VRRP_CSUM_AUTO);
	assert_int_equal(run(&m), VRRP_DROP_VERSION);
	m = good_v3();
	m.p = pol(2, VRRP_CSUM_AUTO);
	assert_int_equal(run(&m), VRRP_DROP_VERSION);
	m = good_v3();
	m.buf[0] = 0x41;
	refix(&m, m.len);
	assert_int_equal(run(&m), VRRP_DROP_VERSION);
	m = good_v3();
	m.p.version = 4;
	m.buf[0] = 0x41;
	refix(&m, m.len);
	assert_int_equal(run(&m), VRRP_DROP_VERSION);

	/* type != 1 (RFC 5798 5.2.2) */
	m = good_v3();
	m.buf[0] = 0x32;
	refix(&m, m.len);
	assert_int_equal(run(&m), VRRP_DROP_TYPE);
	m = good_v2();
	m.buf[0] = 0x20;
	refix(&m, m.len);
	assert_int_equal(run(&m), VRRP_DROP_TYPE);

	/* v3 count 0 (RFC 5798 5.2.5: minimum 1) */
	m = good_v3();
	m.buf[3] = 0;
	m.len = 8;
	refix(&m, m.len);
	assert_int_equal(run(&m), VRRP_DROP_COUNT);

	/* count says more addresses than the packet holds */
	m = good_v3();
	m.buf[3] = 3;
	refix(&m, m.len);
	assert_int_equal(run(&m), VRRP_DROP_LENGTH);
	m = good_v3();
	m.len -= 1; /* truncated address */
	assert_int_equal(run(&m), VRRP_DROP_LENGTH);
	m = good_v2();
	m.len -= 1; /* truncated auth data (RFC 3768 7.1: includes it) */
	assert_int_equal(run(&m), VRRP_DROP_LENGTH);
	m = good_v2();
	m.len = 12; /* addresses present, auth data missing entirely */
	assert_int_equal(run(&m), VRRP_DROP_LENGTH);

	/* checksum: any flipped bit */
	m = good_v3();
	m.buf[7] ^= 0x01;
	assert_int_equal(run(&m), VRRP_DROP_CSUM);
	m = good_v3();
	m.buf[2] = 100; /* priority changed, checksum not updated */
	assert_int_equal(run(&m), VRRP_DROP_CSUM);
	m = good_v2();
	m.buf[19] ^= 0x80; /* the auth data is covered by the v2 checksum */
	assert_int_equal(run(&m), VRRP_DROP_CSUM);
	m = good_v3();
	m.ip.src[3] = 9; /* different source changes the pseudo-header */
	assert_int_equal(run(&m), VRRP_DROP_CSUM);

	/* v2 auth type differs from the configured one */
	m = good_v2();
	m.p = pol(2, VRRP_CSUM_AUTO); /* we expect none, peer sends PASS */
	assert_int_equal(run(&m), VRRP_DROP_AUTH_TYPE);
	m = good_v2();
	m.buf[4] = VRRP_AUTH_AH;
	refix(&m, m.len);
	assert_int_equal(run(&m), VRRP_DROP_AUTH_TYPE);
	m = good_v2();
	m.buf[4] = VRRP_AUTH_AH;
	refix(&m, m.len);
	m.p.auth_type = VRRP_AUTH_AH; /* vigil never performs AH */
	assert_int_equal(run(&m), VRRP_DROP_AUTH_TYPE);
	m.len = sizeof(ka_v2_1vip);
	memcpy(m.buf, ka_v2_1vip, m.len);
	m.p = pol_pass("secret12"); /* we expect PASS, peer sends none */
	assert_int_equal(run(&m), VRRP_DROP_AUTH_TYPE);

	/* v2 wrong password: correct checksum, other auth data */
	m = good_v2();
	m.p = pol_pass("secret13");
	assert_int_equal(run(&m), VRRP_DROP_AUTH_DATA);
	m.p = pol_pass("secret1"); /* a prefix is not the password */
	assert_int_equal(run(&m), VRRP_DROP_AUTH_DATA);
	m.len = sizeof(ka_v2_pass_short);
	memcpy(m.buf, ka_v2_pass_short, m.len);
	m.p = pol_pass("vig");
	assert_int_equal(run(&m), VRRP_DROP_NONE);
	/* Auth type 0: auth data is ignored on receive (RFC 3768 5.3.10). */
	m = good_v2();
	m.buf[4] = 0;
	refix(&m, m.len);
	m.p = pol(2, VRRP_CSUM_AUTO);
	assert_int_equal(run(&m), VRRP_DROP_NONE);

	/* zero interval, both versions (v3: the 4 rsvd bits do not count) */
	m = good_v3();
	m.buf[4] = 0xf0;
	m.buf[5] = 0;
	refix(&m, m.len);
	assert_int_equal(run(&m), VRRP_DROP_INTERVAL);
	m = good_v2();
	m.buf[5] = 0;
	refix(&m, m.len);
	assert_int_equal(run(&m), VRRP_DROP_INTERVAL);
}

static void test_drop_order_follows_rfc(void **state)
{
	struct mut m;

	(void)state;
	/* Bad TTL and bad everything else: TTL is reported (checked first). */
	m = good_v3();
	m.ip.ttl = 0;
	m.buf[0] = 0x22;
	m.buf[7] ^= 1;
	assert_int_equal(run(&m), VRRP_DROP_TTL);
	/* Wrong version and bad checksum: version first. */
	m.ip.ttl = 255;
	assert_int_equal(run(&m), VRRP_DROP_VERSION);
	/* Too short for its count and bad checksum: length first. */
	m = good_v3();
	m.buf[3] = 5;
	assert_int_equal(run(&m), VRRP_DROP_LENGTH);
	/* Bad checksum and wrong password: checksum first. */
	m = good_v2();
	m.buf[12] = 'X';
	assert_int_equal(run(&m), VRRP_DROP_CSUM);
	refix(&m, m.len);
	assert_int_equal(run(&m), VRRP_DROP_AUTH_DATA);
}

static void test_trailing_bytes_ignored(void **state)
{
	struct mut m = good_v3();
	struct vrrp_advert a;

	(void)state;
	m.buf[m.len] = 0xde;
	m.buf[m.len + 1] = 0xad;
	m.buf[m.len + 2] = 0xbe;
	assert_int_equal(vrrp_pkt_decode(m.buf, m.len + 3, &m.ip, &m.p, &a), VRRP_DROP_NONE);
	assert_int_equal(a.length, m.len);
	assert_int_equal(a.trailing, 3);
	assert_int_equal(a.count, 2);
	assert_int_equal(a.csum_kind, VRRP_CSUM_KIND_PSEUDO_HEADER);

	/* v2: trailing bytes come after the 8 auth bytes. */
	m = good_v2();
	memset(m.buf + m.len, 0xff, 4);
	assert_int_equal(vrrp_pkt_decode(m.buf, m.len + 4, &m.ip, &m.p, &a), VRRP_DROP_NONE);
	assert_int_equal(a.length, 20);
	assert_int_equal(a.trailing, 4);
}

/* RFC 1071: 0x0000 and 0xffff are both zero; a field of 0xffff verifies too. */
static void test_csum_negative_zero_accepted(void **state)
{
	struct vrrp_pkt_ip ip = ip4_mcast();
	struct vrrp_pkt_rx_policy p = pol(3, VRRP_CSUM_RFC9568);
	struct vrrp_advert_out o = {
		.version = 3, .vrid = 1, .priority = 1, .count = 1,
		.interval_cs = 100, .addrs = VIPS4,
	};
	struct vrrp_advert a;
	uint8_t buf[16];
	bool found = false;

	(void)state;
	/* Bounded search for fields whose checksum is 0x0000. */
	for (unsigned vrid = 1; vrid <= 255 && !found; vrid++) {
		for (unsigned prio = 0; prio <= 255 && !found; prio++) {
			o.vrid = (uint8_t)vrid;
			o.priority = (uint8_t)prio;
			assert_int_equal(vrrp_pkt_encode(&o, &ip, VRRP_CSUM_KIND_MESSAGE_ONLY,
							 buf, sizeof(buf)), 12);
			found = buf[6] == 0 && buf[7] == 0;
		}
	}
	assert_true(found);
	assert_int_equal(vrrp_pkt_decode(buf, 12, &ip, &p, &a), VRRP_DROP_NONE);
	buf[6] = buf[7] = 0xff;
	assert_int_equal(vrrp_pkt_decode(buf, 12, &ip, &p, &a), VRRP_DROP_NONE);
	assert_int_equal(a.vrid, o.vrid);
	assert_int_equal(a.priority, o.priority);
}

static void test_v2_count_zero_accepted(void **state)
{
	/* RFC 3768 5.3.5 sets no minimum for v2: header + auth only. */
	uint8_t b[16] = { 0x21, 51, 100, 0, 0, 1, 0, 0 };
	struct vrrp_pkt_ip ip = ip4_mcast();
	struct vrrp_pkt_rx_policy p = pol(2, VRRP_CSUM_AUTO);
	struct vrrp_advert a;

	(void)state;
	fix_csum(b, sizeof(b), &ip, VRRP_CSUM_KIND_MESSAGE_ONLY);
	assert_int_equal(vrrp_pkt_decode(b, sizeof(b), &ip, &p, &a), VRRP_DROP_NONE);
	assert_int_equal(a.count, 0);
	assert_int_equal(a.length, 16);
}

static void test_v3_reserved_bits_ignored(void **state)
{
	struct mut m = good_v3();
	struct vrrp_advert a;

	(void)state;
	m.buf[4] |= 0xf0; /* RFC 5798 5.2.6: rsvd ignored on reception */
	refix(&m, m.len);
	assert_int_equal(vrrp_pkt_decode(m.buf, m.len, &m.ip, &m.p, &a), VRRP_DROP_NONE);
	assert_int_equal(a.interval_raw, 10);
	assert_int_equal(a.interval_cs, 10);
}

static void test_csum_modes_on_mutated_packets(void **state)
{
	struct mut m = good_v3();
	struct vrrp_advert a;

	(void)state;
	/* Re-checksum the same message in RFC 9568 form. */
	m.kind = VRRP_CSUM_KIND_MESSAGE_ONLY;
	refix(&m, m.len);
	m.p.csum = VRRP_CSUM_AUTO;
	assert_int_equal(vrrp_pkt_decode(m.buf, m.len, &m.ip, &m.p, &a), VRRP_DROP_NONE);
	assert_int_equal(a.csum_kind, VRRP_CSUM_KIND_MESSAGE_ONLY);
	m.p.csum = VRRP_CSUM_RFC9568;
	assert_int_equal(run(&m), VRRP_DROP_NONE);
	m.p.csum = VRRP_CSUM_PSEUDO_HEADER;
	assert_int_equal(run(&m), VRRP_DROP_CSUM);
	/* v2 never uses a pseudo-header, whatever the mode field says. */
	m = good_v2();
	m.kind = VRRP_CSUM_KIND_PSEUDO_HEADER;
	refix(&m, m.len);
	m.p.csum = VRRP_CSUM_PSEUDO_HEADER;
	assert_int_equal(run(&m), VRRP_DROP_CSUM);
}

/* ==== semantic checks ==== */

static struct vrrp_advert decoded_v3_2vip(void)
{
	struct vrrp_pkt_ip ip = ip4_mcast();
	struct vrrp_pkt_rx_policy p = pol(3, VRRP_CSUM_AUTO);
	struct vrrp_advert a;

	assert_int_equal(vrrp_pkt_decode(ka_v3_2vip_10cs, sizeof(ka_v3_2vip_10cs), &ip, &p, &a),
			 VRRP_DROP_NONE);
	return a;
}

static struct vrrp_advert decoded_v2_2vip(void)
{
	struct vrrp_pkt_ip ip = ip4_mcast();
	struct vrrp_pkt_rx_policy p = pol(2, VRRP_CSUM_AUTO);
	struct vrrp_advert a;

	assert_int_equal(vrrp_pkt_decode(ka_v2_2vip, sizeof(ka_v2_2vip), &ip, &p, &a),
			 VRRP_DROP_NONE);
	return a;
}

static void test_semantic_v3(void **state)
{
	static const uint8_t reversed[8] = { 198, 18, 0, 101, 198, 18, 0, 100 };
	struct vrrp_advert a = decoded_v3_2vip();
	struct vrrp_pkt_instance_view v = {
		.vrid = 51, .priority = 100, .interval_cs = 10, .addrs = VIPS4, .count = 2,
	};
	unsigned n = 0xdead;

	(void)state;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_NONE);
	assert_int_equal(n, 0);
	/* Order of the list does not matter. */
	v.addrs = reversed;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_NONE);
	assert_int_equal(n, 0);
	/* NULL notices is allowed. */
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, NULL), VRRP_DROP_NONE);

	/* VRID not ours */
	v.vrid = 52;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_VRID);
	assert_int_equal(n, 0);
	v.vrid = 51;
	/* We are the owner (RFC 5798 7.1) */
	v.priority = 255;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_OWNER);
	v.priority = 100;

	/* v3 address mismatch: notice only, even with the v2 drop flag set */
	v.count = 1;
	v.v2_drop_addr_mismatch = true;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_NONE);
	assert_int_equal(n, VRRP_NOTICE_ADDR_MISMATCH);
	v.count = 2;
	v.addrs = VIPS4 + 4; /* .101 .102: one differs */
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_NONE);
	assert_int_equal(n, VRRP_NOTICE_ADDR_MISMATCH);
	v.addrs = VIPS4;

	/* v3 interval differs: RFC 9568 says log, not drop */
	v.interval_cs = 100;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_NONE);
	assert_int_equal(n, VRRP_NOTICE_INTERVAL_MISMATCH);
	v.count = 1;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_NONE);
	assert_int_equal(n, VRRP_NOTICE_ADDR_MISMATCH | VRRP_NOTICE_INTERVAL_MISMATCH);
}

static void test_semantic_v2(void **state)
{
	struct vrrp_advert a = decoded_v2_2vip();
	struct vrrp_pkt_instance_view v = {
		.vrid = 51, .priority = 100, .interval_cs = 100, .addrs = VIPS4, .count = 2,
	};
	unsigned n = 0xdead;

	(void)state;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_NONE);
	assert_int_equal(n, 0);
	v.vrid = 1;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_VRID);
	v.vrid = 51;
	v.priority = 255;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_OWNER);
	v.priority = 100;

	/* Address mismatch: default logs only ... */
	v.count = 1;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_NONE);
	assert_int_equal(n, VRRP_NOTICE_ADDR_MISMATCH);
	/* ... with the policy flag, dropped like keepalived 2.2.7 does ... */
	v.v2_drop_addr_mismatch = true;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_ADDR_MISMATCH);
	assert_int_equal(n, 0);
	/* ... except from the owner (RFC 3768 7.1: "otherwise continue"). */
	a.priority = 255;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_NONE);
	assert_int_equal(n, VRRP_NOTICE_ADDR_MISMATCH);
	a.priority = 150;
	v.count = 2;

	/* RFC 3768 7.1: Adver Int MUST equal ours. */
	v.interval_cs = 200;
	assert_int_equal(vrrp_pkt_check_instance(&a, &v, &n), VRRP_DROP_INTERVAL_MISMATCH);
	assert_int_equal(n, 0);
}

/* ==== encoder argument checks ==== */

static void test_encode_errors(void **state)
{
	struct vrrp_pkt_ip ip = ip4_mcast();
	struct vrrp_advert_out o = {
		.version = 3, .vrid = 51, .priority = 100, .count = 1,
		.interval_cs = 100, .addrs = VIPS4,
	};
	struct vrrp_advert_out b;
	uint8_t buf[64];
	const enum vrrp_csum_kind k = VRRP_CSUM_KIND_PSEUDO_HEADER;

	(void)state;
	assert_int_equal(vrrp_pkt_encode(&o, &ip, k, buf, sizeof(buf)), 12);
	assert_int_equal(vrrp_pkt_encode(&o, &ip, k, buf, 12), 12);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(vrrp_pkt_encode(&o, &ip, k, buf, 11), -ENOSPC);
	assert_int_equal(buf[0], 0x5a); /* untouched */
	assert_int_equal(vrrp_pkt_encode(&o, &ip, k, buf, 0), -ENOSPC);

	b = o; b.interval_cs = 0;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), -EINVAL);
	b = o; b.interval_cs = 4096;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), -EINVAL);
	b = o; b.interval_cs = 4095;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), 12);
	b = o; b.vrid = 0;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), -EINVAL);
	b = o; b.count = 0;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), -EINVAL);
	b = o; b.addrs = NULL;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), -EINVAL);
	b = o; b.version = 4;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), -EINVAL);
	b = o; b.auth_type = VRRP_AUTH_PASS; /* v3 has no authentication */
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vrrp_pkt_encode(&o, &ip, VRRP_CSUM__KIND_COUNT, buf, sizeof(buf)), -EINVAL);
	ip.family = AF_UNIX;
	assert_int_equal(vrrp_pkt_encode(&o, &ip, k, buf, sizeof(buf)), -EINVAL);
	ip.family = AF_INET;
	assert_int_equal(vrrp_pkt_encode(NULL, &ip, k, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vrrp_pkt_encode(&o, NULL, k, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vrrp_pkt_encode(&o, &ip, k, NULL, sizeof(buf)), -EINVAL);

	/* v2: whole seconds 1..255, auth type 0 or 1 */
	o.version = 2;
	assert_int_equal(vrrp_pkt_encode(&o, &ip, k, buf, sizeof(buf)), 20);
	b = o; b.interval_cs = 150;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), -EINVAL);
	b = o; b.interval_cs = 0;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), -EINVAL);
	b = o; b.interval_cs = 25600;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), -EINVAL);
	b = o; b.interval_cs = 25500;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), 20);
	b = o; b.auth_type = VRRP_AUTH_AH;
	assert_int_equal(vrrp_pkt_encode(&b, &ip, k, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vrrp_pkt_encode(&o, &ip, k, buf, 19), -ENOSPC);
}

/* ==== auto-mode checksum tracker ==== */

static void test_tracker_switches_to_peer_form(void **state)
{
	struct vrrp_csum_tracker t;

	(void)state;
	vrrp_csum_tracker_init(&t, VRRP_CSUM_AUTO);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_PSEUDO_HEADER);
	/* A keepalived peer: same form, nothing to say. */
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_PSEUDO_HEADER, SRC2),
			 VRRP_CSUM_EV_NONE);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_PSEUDO_HEADER);

	/* A Cisco-like peer from scratch: switch once, then stay. */
	vrrp_csum_tracker_init(&t, VRRP_CSUM_AUTO);
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_MESSAGE_ONLY, SRC2),
			 VRRP_CSUM_EV_SWITCHED);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_MESSAGE_ONLY);
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_MESSAGE_ONLY, SRC2),
			 VRRP_CSUM_EV_NONE);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_MESSAGE_ONLY);

	/* The same peer changes its form (reconfigured): follow it back. */
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_PSEUDO_HEADER, SRC2),
			 VRRP_CSUM_EV_SWITCHED);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_PSEUDO_HEADER);
}

static void test_tracker_disagreement(void **state)
{
	struct vrrp_csum_tracker t;

	(void)state;
	vrrp_csum_tracker_init(&t, VRRP_CSUM_AUTO);
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_PSEUDO_HEADER, SRC2),
			 VRRP_CSUM_EV_NONE);
	/* Another peer of the VRID uses the other form: warn once, do not flap. */
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_MESSAGE_ONLY, SRC3),
			 VRRP_CSUM_EV_DISAGREE);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_PSEUDO_HEADER);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_MESSAGE_ONLY, SRC3),
				 VRRP_CSUM_EV_NONE);
		assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_PSEUDO_HEADER, SRC2),
				 VRRP_CSUM_EV_NONE);
		assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_PSEUDO_HEADER);
	}
	/* SRC3 moves to the pseudo-header form: agreement again, no switch needed. */
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_PSEUDO_HEADER, SRC3),
			 VRRP_CSUM_EV_AGREE);
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_PSEUDO_HEADER, SRC2),
			 VRRP_CSUM_EV_NONE);

	/* Disagreement that ends by the first peer moving: switch (ends it too). */
	vrrp_csum_tracker_init(&t, VRRP_CSUM_AUTO);
	vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_PSEUDO_HEADER, SRC2);
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_MESSAGE_ONLY, SRC3),
			 VRRP_CSUM_EV_DISAGREE);
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_MESSAGE_ONLY, SRC2),
			 VRRP_CSUM_EV_SWITCHED);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_MESSAGE_ONLY);
	/* And a new disagreement is reported again. */
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_PSEUDO_HEADER, SRC1),
			 VRRP_CSUM_EV_DISAGREE);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_MESSAGE_ONLY);
}

static void test_tracker_explicit_modes_never_switch(void **state)
{
	struct vrrp_csum_tracker t;

	(void)state;
	vrrp_csum_tracker_init(&t, VRRP_CSUM_RFC9568);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_MESSAGE_ONLY);
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_PSEUDO_HEADER, SRC2),
			 VRRP_CSUM_EV_NONE);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_MESSAGE_ONLY);

	vrrp_csum_tracker_init(&t, VRRP_CSUM_PSEUDO_HEADER);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_PSEUDO_HEADER);
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_MESSAGE_ONLY, SRC2),
			 VRRP_CSUM_EV_NONE);
	assert_int_equal(vrrp_csum_tracker_observe(&t, VRRP_CSUM_KIND_PSEUDO_HEADER, SRC3),
			 VRRP_CSUM_EV_NONE);
	assert_int_equal(vrrp_csum_tracker_tx_kind(&t), VRRP_CSUM_KIND_PSEUDO_HEADER);
}

/* The tracker's answer feeds the encoder: the peer can read what we send. */
static void test_tracker_drives_encoder(void **state)
{
	struct vrrp_csum_tracker t;
	struct vrrp_pkt_ip ip = ip4_mcast();
	struct vrrp_pkt_rx_policy p = pol(3, VRRP_CSUM_AUTO);
	struct vrrp_advert a;
	struct vrrp_advert_out o = {
		.version = 3, .vrid = 51, .priority = 150, .count = 1,
		.interval_cs = 100, .addrs = VIPS4,
	};
	uint8_t buf[32];
	int n;

	(void)state;
	vrrp_csum_tracker_init(&t, VRRP_CSUM_AUTO);
	assert_int_equal(vrrp_pkt_decode(rfc9568_v3_1vip, sizeof(rfc9568_v3_1vip), &ip, &p, &a),
			 VRRP_DROP_NONE);
	assert_int_equal(vrrp_csum_tracker_observe(&t, a.csum_kind, ip.src),
			 VRRP_CSUM_EV_SWITCHED);
	n = vrrp_pkt_encode(&o, &ip, vrrp_csum_tracker_tx_kind(&t), buf, sizeof(buf));
	assert_int_equal(n, sizeof(rfc9568_v3_1vip));
	assert_memory_equal(buf, rfc9568_v3_1vip, sizeof(rfc9568_v3_1vip));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inet_csum_rfc1071_example),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_csum_mode_parse),
		cmocka_unit_test(test_golden_vectors),
		cmocka_unit_test(test_keepalived_unicast_pseudo_header_uses_real_dst),
		cmocka_unit_test(test_ipv6_vector),
		cmocka_unit_test(test_keepalived_ipv6_vectors),
		cmocka_unit_test(test_roundtrip_v2),
		cmocka_unit_test(test_roundtrip_v3),
		cmocka_unit_test(test_drop_each_reason),
		cmocka_unit_test(test_drop_order_follows_rfc),
		cmocka_unit_test(test_trailing_bytes_ignored),
		cmocka_unit_test(test_csum_negative_zero_accepted),
		cmocka_unit_test(test_v2_count_zero_accepted),
		cmocka_unit_test(test_v3_reserved_bits_ignored),
		cmocka_unit_test(test_csum_modes_on_mutated_packets),
		cmocka_unit_test(test_semantic_v3),
		cmocka_unit_test(test_semantic_v2),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_tracker_switches_to_peer_form),
		cmocka_unit_test(test_tracker_disagreement),
		cmocka_unit_test(test_tracker_explicit_modes_never_switch),
		cmocka_unit_test(test_tracker_drives_encoder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
