// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of vrrp/rx_demux.c, the receiver one interface shares among
// its instances: dispatch by VRID, each datagram counted once under the
// right reason, members leaving (also from inside a delivery); and of the
// decoder's split into a per-packet and a per-instance half
// (vrrp_pkt_decode_any + vrrp_pkt_check_policy == vrrp_pkt_decode).
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "packet.h"
#include "rx_demux.h"

#define IFINDEX 7
static const uint8_t SRC[4] = { 198, 18, 0, 12 };
static const uint8_t DST[4] = { 224, 0, 0, 18 };
static const uint8_t VIP[4] = { 198, 18, 0, 100 };

/* One advert in an IPv4 datagram as the raw socket reads it: header
 * (TTL ttl, protocol 112, SRC -> DST), then the VRRP message. */
static size_t datagram(uint8_t *b, size_t cap, uint8_t version, uint8_t vrid, uint8_t ttl,
		       enum vrrp_csum_kind kind)
{
	struct vrrp_advert_out a = {
		.version = version, .vrid = vrid, .priority = 100, .count = 1,
		.interval_cs = 100, .addrs = VIP,
	};
	struct vrrp_pkt_ip ip = { .family = AF_INET, .ttl = ttl };
	memcpy(ip.src, SRC, 4);
	memcpy(ip.dst, DST, 4);
	int n = vrrp_pkt_encode(&a, &ip, kind, b + 20, cap - 20);
	assert_true(n > 0);
	size_t total = 20 + (size_t)n;
	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	b[8] = ttl;
	b[9] = VRRP_PROTO;
	memcpy(b + 12, SRC, 4);
	memcpy(b + 16, DST, 4);
	return total;
}

/* A member that records what it was handed. */
struct rec {
	struct vrrp_demux_member m;
	struct vrrp_demux *d;
	unsigned calls;
	enum vrrp_demux_verdict verdict;
	enum vrrp_drop drop;
	uint8_t vrid;                  /* of the decoded advert */
	uint64_t now;
	struct rec *remove_on_call;    /* removed from d inside deliver() */
};

static void rec_deliver(void *ctx, const struct vrrp_demux_packet *pkt)
{
	struct rec *r = ctx;
	r->calls++;
	r->verdict = pkt->verdict;
	r->drop = pkt->drop;
	r->now = pkt->now_ms;
	if (pkt->verdict == VRRP_DEMUX_ADVERT)
		r->vrid = pkt->adv->vrid;
	if (r->remove_on_call)
		vrrp_demux_remove(r->d, &r->remove_on_call->m);
}

static void rec_add(struct vrrp_demux *d, struct rec *r, uint8_t vrid)
{
	memset(r, 0, sizeof(*r));
	r->m = (struct vrrp_demux_member){ .vrid = vrid, .deliver = rec_deliver, .ctx = r };
	r->d = d;
	vrrp_demux_add(d, &r->m);
}

static void input(struct vrrp_demux *d, const uint8_t *b, size_t len, int ifindex,
		  struct vrrp_demux_result *res)
{
	vrrp_demux_input(d, b, len, ifindex, false, 1234, res);
}

static void test_dispatch_by_vrid(void **state)
{
	(void)state;
	struct vrrp_demux d;
	struct rec a, b;
	uint8_t buf[128];
	struct vrrp_demux_result res;
	vrrp_demux_init(&d, IFINDEX);
	rec_add(&d, &a, 10);
	rec_add(&d, &b, 20);
	assert_int_equal(d.n_members, 2);

	size_t n = datagram(buf, sizeof(buf), 3, 10, 255, VRRP_CSUM_KIND_PSEUDO_HEADER);
	input(&d, buf, n, IFINDEX, &res);
	assert_int_equal(res.delivered, 1);
	assert_int_equal(res.verdict, VRRP_DEMUX_ADVERT);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.verdict, VRRP_DEMUX_ADVERT);
	assert_int_equal(a.vrid, 10);
	assert_int_equal(a.now, 1234);
	assert_int_equal(b.calls, 0);

	n = datagram(buf, sizeof(buf), 2, 20, 255, VRRP_CSUM_KIND_MESSAGE_ONLY);
	input(&d, buf, n, 0 /* no IP_PKTINFO: not judged */, &res);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.vrid, 20);

	assert_int_equal(d.stats.rx_packets, 2);
	assert_int_equal(d.stats.rx_dispatched, 2);
	for (int r = 0; r < VRRP_DROP__COUNT; r++)
		assert_int_equal(d.stats.rx_drops[r], 0);
}

static void test_unknown_vrid_counted_once(void **state)
{
	(void)state;
	struct vrrp_demux d;
	struct rec a;
	uint8_t buf[128];
	struct vrrp_demux_result res;
	vrrp_demux_init(&d, IFINDEX);
	rec_add(&d, &a, 10);

	size_t n = datagram(buf, sizeof(buf), 3, 30, 255, VRRP_CSUM_KIND_PSEUDO_HEADER);
	input(&d, buf, n, IFINDEX, &res);
	assert_int_equal(res.delivered, 0);
	assert_int_equal(res.verdict, VRRP_DEMUX_ADVERT);
	assert_int_equal(res.drop, VRRP_DROP_VRID);
	assert_int_equal(ntohl(res.src.s_addr), 0xc612000cu);
	assert_int_equal(a.calls, 0);
	assert_int_equal(d.stats.rx_packets, 1);
	assert_int_equal(d.stats.rx_drops[VRRP_DROP_VRID], 1);
	assert_int_equal(d.stats.rx_dispatched, 0);
}

static void test_member_leaves(void **state)
{
	(void)state;
	struct vrrp_demux d;
	struct rec a, b;
	uint8_t buf[128];
	struct vrrp_demux_result res;
	vrrp_demux_init(&d, IFINDEX);
	rec_add(&d, &a, 10);
	rec_add(&d, &b, 11);
	size_t n = datagram(buf, sizeof(buf), 3, 10, 255, VRRP_CSUM_KIND_PSEUDO_HEADER);

	vrrp_demux_remove(&d, &a.m);
	assert_int_equal(d.n_members, 1);
	input(&d, buf, n, IFINDEX, &res);
	assert_int_equal(a.calls, 0);
	assert_int_equal(res.delivered, 0);
	assert_int_equal(d.stats.rx_drops[VRRP_DROP_VRID], 1);
	/* Removing twice, or what was never added, changes nothing. */
	vrrp_demux_remove(&d, &a.m);
	assert_int_equal(d.n_members, 1);

	/* Back again: it gets its VRID's packets. */
	vrrp_demux_add(&d, &a.m);
	input(&d, buf, n, IFINDEX, &res);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
}

static void test_same_vrid_both_get_it(void **state)
{
	(void)state;
	/* A reload runs the instance it replaces beside the new one for a
	 * while: both hear their VRID. */
	struct vrrp_demux d;
	struct rec a, b;
	uint8_t buf[128];
	struct vrrp_demux_result res;
	vrrp_demux_init(&d, IFINDEX);
	rec_add(&d, &a, 10);
	rec_add(&d, &b, 10);
	size_t n = datagram(buf, sizeof(buf), 3, 10, 255, VRRP_CSUM_KIND_PSEUDO_HEADER);
	input(&d, buf, n, IFINDEX, &res);
	assert_int_equal(res.delivered, 2);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(d.stats.rx_dispatched, 1); /* one datagram */
}

static void test_leave_inside_delivery(void **state)
{
	(void)state;
	struct vrrp_demux d;
	struct rec a, b, c;
	uint8_t buf[128];
	struct vrrp_demux_result res;
	vrrp_demux_init(&d, IFINDEX);
	/* Added in this order, visited c, b, a (newest first). */
	rec_add(&d, &a, 10);
	rec_add(&d, &b, 10);
	rec_add(&d, &c, 10);
	size_t n = datagram(buf, sizeof(buf), 3, 10, 255, VRRP_CSUM_KIND_PSEUDO_HEADER);

	/* c removes b, the next one to be visited: the dispatch skips it. */
	c.remove_on_call = &b;
	input(&d, buf, n, IFINDEX, &res);
	assert_int_equal(c.calls, 1);
	assert_int_equal(b.calls, 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(res.delivered, 2);

	/* a removes itself while it is being visited. */
	c.remove_on_call = NULL;
	a.remove_on_call = &a;
	input(&d, buf, n, IFINDEX, &res);
	assert_int_equal(a.calls, 2);
	assert_int_equal(c.calls, 2);
	assert_int_equal(d.n_members, 1);
	input(&d, buf, n, IFINDEX, &res);
	assert_int_equal(a.calls, 2);
	assert_int_equal(c.calls, 3);
}

static void test_per_packet_drops(void **state)
{
	(void)state;
	struct vrrp_demux d;
	struct rec a;
	uint8_t buf[128];
	struct vrrp_demux_result res;
	vrrp_demux_init(&d, IFINDEX);
	rec_add(&d, &a, 10);

	/* TTL 254: refused once here, and the instance of its VRID is told
	 * (it counts and logs it as its own, as when it read it itself). */
	size_t n = datagram(buf, sizeof(buf), 3, 10, 254, VRRP_CSUM_KIND_PSEUDO_HEADER);
	input(&d, buf, n, IFINDEX, &res);
	assert_int_equal(res.verdict, VRRP_DEMUX_DROPPED);
	assert_int_equal(res.drop, VRRP_DROP_TTL);
	assert_int_equal(res.delivered, 1);
	assert_int_equal(a.verdict, VRRP_DEMUX_DROPPED);
	assert_int_equal(a.drop, VRRP_DROP_TTL);
	assert_int_equal(d.stats.rx_drops[VRRP_DROP_TTL], 1);

	/* A bad checksum (in both forms) for a VRID nobody runs: counted
	 * under csum, not under vrid, and nobody is told. */
	n = datagram(buf, sizeof(buf), 3, 40, 255, VRRP_CSUM_KIND_PSEUDO_HEADER);
	buf[20 + 6] ^= 0x5a;
	input(&d, buf, n, IFINDEX, &res);
	assert_int_equal(res.verdict, VRRP_DEMUX_DROPPED);
	assert_int_equal(res.drop, VRRP_DROP_CSUM);
	assert_int_equal(res.delivered, 0);
	assert_int_equal(d.stats.rx_drops[VRRP_DROP_CSUM], 1);
	assert_int_equal(d.stats.rx_drops[VRRP_DROP_VRID], 0);
	assert_int_equal(a.calls, 1);

	/* A bad IP header: nobody's packet. */
	input(&d, buf, 19, IFINDEX, &res);
	assert_int_equal(res.sock_drop, VRRP_SOCK_DROP_SHORT);
	assert_int_equal(res.delivered, 0);
	assert_int_equal(d.stats.rx_sock_drops[VRRP_SOCK_DROP_SHORT], 1);
	/* A truncated read. */
	n = datagram(buf, sizeof(buf), 3, 10, 255, VRRP_CSUM_KIND_PSEUDO_HEADER);
	vrrp_demux_input(&d, buf, n, IFINDEX, true, 1, &res);
	assert_int_equal(res.sock_drop, VRRP_SOCK_DROP_IPHDR);
	assert_int_equal(a.calls, 1);

	/* Another interface: counted, and the VRID's instance told. */
	input(&d, buf, n, IFINDEX + 1, &res);
	assert_int_equal(res.verdict, VRRP_DEMUX_WRONG_IF);
	assert_int_equal(a.verdict, VRRP_DEMUX_WRONG_IF);
	assert_int_equal(d.stats.rx_wrong_if, 1);

	/* Version 4: no instance speaks it. */
	n = datagram(buf, sizeof(buf), 3, 10, 255, VRRP_CSUM_KIND_PSEUDO_HEADER);
	buf[20] = (uint8_t)(4 << 4 | 1);
	input(&d, buf, n, IFINDEX, &res);
	assert_int_equal(res.drop, VRRP_DROP_VERSION);
	assert_int_equal(a.drop, VRRP_DROP_VERSION);

	assert_int_equal(d.stats.rx_packets, 6);
	assert_int_equal(d.stats.rx_dispatched, 0);
}

/* Both halves together accept exactly what vrrp_pkt_decode() accepts,
 * with the same checksum form: checked over valid adverts of both
 * versions and both forms, every policy, and single-byte corruptions. */
static void test_split_decode_agrees(void **state)
{
	(void)state;
	static const uint8_t pass[8] = { 's', 'e', 'c', 'r', 'e', 't', '1', '2' };
	unsigned checked = 0, accepted = 0;
	for (int version = 2; version <= 3; version++) {
		for (int kind = 0; kind < VRRP_CSUM__KIND_COUNT; kind++) {
			uint8_t msg[64];
			struct vrrp_advert_out a = {
				.version = (uint8_t)version, .vrid = 51, .priority = 100, .count = 1,
				.interval_cs = 100, .addrs = VIP,
				.auth_type = version == 2 ? VRRP_AUTH_PASS : 0,
			};
			memcpy(a.auth_data, pass, 8);
			struct vrrp_pkt_ip ip = { .family = AF_INET, .ttl = 255 };
			memcpy(ip.src, SRC, 4);
			memcpy(ip.dst, DST, 4);
			int len = vrrp_pkt_encode(&a, &ip, (enum vrrp_csum_kind)kind, msg, sizeof(msg));
			assert_true(len > 0);
			/* pos -1: unchanged; else one byte flipped (and the TTL
			 * when pos == len). */
			for (int pos = -1; pos <= len; pos++) {
				for (int flip = 0; flip < 3; flip++) {
					uint8_t m[64];
					memcpy(m, msg, sizeof(m));
					struct vrrp_pkt_ip rip = ip;
					static const uint8_t masks[3] = { 0x01, 0x10, 0xff };
					if (pos >= 0 && pos < len)
						m[pos] ^= masks[flip];
					else if (pos == len)
						rip.ttl = (uint8_t)(255 - 1 - flip);
					for (int pv = 2; pv <= 3; pv++) {
						for (int mode = 0; mode < VRRP_CSUM__MODE_COUNT; mode++) {
							for (int auth = 0; auth < 2; auth++) {
								struct vrrp_pkt_rx_policy p = {
									.version = (uint8_t)pv,
									.csum = (enum vrrp_csum_mode)mode,
									.auth_type = (uint8_t)auth,
								};
								memcpy(p.auth_data, pass, 8);
								struct vrrp_advert whole, any;
								enum vrrp_drop dw = vrrp_pkt_decode(m, (size_t)len, &rip, &p, &whole);
								enum vrrp_drop da = vrrp_pkt_decode_any(m, (size_t)len, &rip, &any);
								enum vrrp_csum_kind k = VRRP_CSUM__KIND_COUNT;
								if (da == VRRP_DROP_NONE)
									da = vrrp_pkt_check_policy(&any, &p, &k);
								checked++;
								assert_int_equal(dw == VRRP_DROP_NONE, da == VRRP_DROP_NONE);
								if (dw != VRRP_DROP_NONE)
									continue;
								accepted++;
								assert_int_equal(whole.csum_kind, k);
								assert_int_equal(whole.vrid, any.vrid);
								assert_int_equal(whole.priority, any.priority);
								assert_int_equal(whole.interval_cs, any.interval_cs);
								assert_int_equal(whole.length, any.length);
							}
						}
					}
				}
			}
		}
	}
	print_message("%u combinations, %u accepted\n", checked, accepted);
	assert_true(accepted > 0);
}

/* IPv6: the socket hands over the message alone; the addresses and the
 * hop limit come beside it. */
static size_t message6(uint8_t *b, size_t cap, const struct in6_addr *src, const struct in6_addr *dst,
		       uint8_t vrid)
{
	uint8_t vip[16];
	inet_pton(AF_INET6, "2001:db8:1::100", vip);
	struct vrrp_advert_out a = {
		.version = 3, .vrid = vrid, .priority = 100, .count = 1, .interval_cs = 100, .addrs = vip,
	};
	struct vrrp_pkt_ip ip = { .family = AF_INET6, .ttl = 255 };
	memcpy(ip.src, src, 16);
	memcpy(ip.dst, dst, 16);
	int n = vrrp_pkt_encode(&a, &ip, VRRP_CSUM_KIND_PSEUDO_HEADER, b, cap);
	assert_true(n > 0);
	return (size_t)n;
}

static void test_ipv6_input(void **state)
{
	(void)state;
	struct vrrp_demux d;
	struct rec r;
	struct vrrp_demux_result res;
	uint8_t b[256];
	struct in6_addr ll, global, group, unicast;
	inet_pton(AF_INET6, "fe80::12", &ll);
	inet_pton(AF_INET6, "2001:db8:1::12", &global);
	inet_pton(AF_INET6, "ff02::12", &group);
	inet_pton(AF_INET6, "fe80::11", &unicast);
	vrrp_demux_init(&d, IFINDEX);
	rec_add(&d, &r, 51);

	/* From a link-local address to ff02::12, hop limit 255: delivered. */
	size_t n = message6(b, sizeof(b), &ll, &group, 51);
	vrrp_demux_input6(&d, b, n, &ll, &group, 255, IFINDEX, false, 5, &res);
	assert_int_equal(res.delivered, 1);
	assert_int_equal(res.family, AF_INET6);
	assert_memory_equal(&res.src6, &ll, 16);
	assert_int_equal(r.verdict, VRRP_DEMUX_ADVERT);
	assert_int_equal(r.vrid, 51);

	/* The checksum covers the pseudo-header: another destination breaks it. */
	vrrp_demux_input6(&d, b, n, &ll, &unicast, 255, IFINDEX, false, 5, &res);
	assert_int_equal(res.verdict, VRRP_DEMUX_DROPPED);
	assert_int_equal(res.drop, VRRP_DROP_CSUM);

	/* Hop limit 254, or not told: dropped as for an IPv4 TTL. */
	vrrp_demux_input6(&d, b, n, &ll, &group, 254, IFINDEX, false, 5, &res);
	assert_int_equal(res.drop, VRRP_DROP_TTL);
	vrrp_demux_input6(&d, b, n, &ll, &group, -1, IFINDEX, false, 5, &res);
	assert_int_equal(res.drop, VRRP_DROP_TTL);

	/* RFC 5798 5.1.2.1: a multicast advert comes from a link-local address. */
	n = message6(b, sizeof(b), &global, &group, 51);
	unsigned calls = r.calls;
	vrrp_demux_input6(&d, b, n, &global, &group, 255, IFINDEX, false, 5, &res);
	assert_int_equal(res.sock_drop, VRRP_SOCK_DROP_SOURCE);
	assert_int_equal(res.delivered, 0);
	assert_int_equal(r.calls, calls);
	assert_int_equal(d.stats.rx_sock_drops[VRRP_SOCK_DROP_SOURCE], 1);
	/* A unicast one may come from a global address (the peer list judges it). */
	n = message6(b, sizeof(b), &global, &unicast, 51);
	vrrp_demux_input6(&d, b, n, &global, &unicast, 255, IFINDEX, false, 5, &res);
	assert_int_equal(res.verdict, VRRP_DEMUX_ADVERT);
	assert_int_equal(res.delivered, 1);

	/* Another interface; a truncated read. */
	n = message6(b, sizeof(b), &ll, &group, 51);
	vrrp_demux_input6(&d, b, n, &ll, &group, 255, IFINDEX + 1, false, 5, &res);
	assert_int_equal(res.verdict, VRRP_DEMUX_WRONG_IF);
	vrrp_demux_input6(&d, b, n, &ll, &group, 255, IFINDEX, true, 5, &res);
	assert_int_equal(res.sock_drop, VRRP_SOCK_DROP_IPHDR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_by_vrid),
		cmocka_unit_test(test_unknown_vrid_counted_once),
		cmocka_unit_test(test_member_leaves),
		cmocka_unit_test(test_same_vrid_both_get_it),
		cmocka_unit_test(test_leave_inside_delivery),
		cmocka_unit_test(test_per_packet_drops),
		cmocka_unit_test(test_split_decode_agrees),
		cmocka_unit_test(test_ipv6_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
