// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of the pure parts of vrrp/socket.c and vrrp/garp.c: the IPv4
// header check in front of the VRRP decoder, and the ARP announcement bytes.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "garp.h"
#include "ndisc.h"
#include "socket.h"

/* An IPv4 header from 198.18.0.11 to 224.0.0.18, TTL 255, protocol 112,
 * followed by a 12-byte payload; total length 32. */
static void make_datagram(uint8_t *b)
{
	static const uint8_t hdr[20] = {
		0x45, 0xc0, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00,
		0xff, 0x70, 0x00, 0x00, 198, 18, 0, 11, 224, 0, 0, 18,
	};
	memcpy(b, hdr, sizeof(hdr));
	for (int i = 0; i < 12; i++)
		b[20 + i] = (uint8_t)(0xa0 + i);
}

static void test_parse_good(void **state)
{
	(void)state;
	uint8_t b[64];
	make_datagram(b);
	struct vrrp_rx_info info;
	assert_int_equal(vrrp_sock_parse_ipv4(b, 32, &info), VRRP_SOCK_OK);
	assert_int_equal(info.ttl, 255);
	assert_int_equal(ntohl(info.src.s_addr), 0xc612000bu);
	assert_int_equal(ntohl(info.dst.s_addr), 0xe0000012u);
	assert_ptr_equal(info.payload, b + 20);
	assert_int_equal(info.payload_len, 12);
}

static void test_parse_trailing_bytes_ignored(void **state)
{
	(void)state;
	/* Ethernet pads short frames; the IP total length says where the
	 * datagram ends, not the number of bytes read. */
	uint8_t b[64];
	make_datagram(b);
	struct vrrp_rx_info info;
	assert_int_equal(vrrp_sock_parse_ipv4(b, 46, &info), VRRP_SOCK_OK);
	assert_int_equal(info.payload_len, 12);
}

static void test_parse_options_header(void **state)
{
	(void)state;
	uint8_t b[64];
	make_datagram(b);
	/* IHL 6 (one option word): the payload starts 4 bytes later. */
	b[0] = 0x46;
	struct vrrp_rx_info info;
	assert_int_equal(vrrp_sock_parse_ipv4(b, 32, &info), VRRP_SOCK_OK);
	assert_ptr_equal(info.payload, b + 24);
	assert_int_equal(info.payload_len, 8);
}

static void test_parse_drops(void **state)
{
	(void)state;
	uint8_t b[64];
	struct vrrp_rx_info info;

	make_datagram(b);
	assert_int_equal(vrrp_sock_parse_ipv4(b, 19, &info), VRRP_SOCK_DROP_SHORT);

	make_datagram(b);
	b[0] = 0x65; /* version 6 */
	assert_int_equal(vrrp_sock_parse_ipv4(b, 32, &info), VRRP_SOCK_DROP_IPHDR);

	make_datagram(b);
	b[0] = 0x44; /* IHL 16 bytes */
	assert_int_equal(vrrp_sock_parse_ipv4(b, 32, &info), VRRP_SOCK_DROP_IPHDR);

	make_datagram(b);
	b[0] = 0x4f; /* IHL 60 bytes, more than was read */
	assert_int_equal(vrrp_sock_parse_ipv4(b, 32, &info), VRRP_SOCK_DROP_IPHDR);

	make_datagram(b);
	b[3] = 0x40; /* total length 64, only 32 read */
	assert_int_equal(vrrp_sock_parse_ipv4(b, 32, &info), VRRP_SOCK_DROP_IPHDR);

	make_datagram(b);
	b[3] = 0x10; /* total length 16 < header */
	assert_int_equal(vrrp_sock_parse_ipv4(b, 32, &info), VRRP_SOCK_DROP_IPHDR);

	make_datagram(b);
	b[9] = 17; /* UDP */
	assert_int_equal(vrrp_sock_parse_ipv4(b, 32, &info), VRRP_SOCK_DROP_PROTO);

	make_datagram(b);
	b[6] = 0x20; /* more fragments */
	assert_int_equal(vrrp_sock_parse_ipv4(b, 32, &info), VRRP_SOCK_DROP_FRAGMENT);

	make_datagram(b);
	b[7] = 0x01; /* fragment offset 8 */
	assert_int_equal(vrrp_sock_parse_ipv4(b, 32, &info), VRRP_SOCK_DROP_FRAGMENT);

	make_datagram(b);
	b[6] = 0x40; /* DF alone is fine */
	assert_int_equal(vrrp_sock_parse_ipv4(b, 32, &info), VRRP_SOCK_OK);
}

static void test_drop_names_distinct(void **state)
{
	(void)state;
	for (int i = 0; i < VRRP_SOCK_DROP__COUNT; i++)
		for (int j = i + 1; j < VRRP_SOCK_DROP__COUNT; j++)
			assert_string_not_equal(vrrp_sock_drop_name(i), vrrp_sock_drop_name(j));
}

static void test_garp_bytes(void **state)
{
	(void)state;
	const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct in_addr vip;
	inet_pton(AF_INET, "198.18.0.100", &vip);
	uint8_t b[VRRP_GARP_LEN];
	assert_int_equal(vrrp_garp_build(b, sizeof(b), mac, vip), VRRP_GARP_LEN);
	/* RFC 826 layout; RFC 5227 2.3 announcement: request, SPA = TPA. */
	static const uint8_t want[VRRP_GARP_LEN] = {
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
		0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 198, 18, 0, 100,
		0, 0, 0, 0, 0, 0, 198, 18, 0, 100,
	};
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(vrrp_garp_build(b, VRRP_GARP_LEN - 1, mac, vip), -ENOSPC);
}

static void test_na_bytes(void **state)
{
	(void)state;
	const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct in6_addr vip;
	inet_pton(AF_INET6, "2001:db8:1::100", &vip);
	uint8_t b[VRRP_NA_LEN];
	assert_int_equal(vrrp_na_build(b, sizeof(b), mac, &vip), VRRP_NA_LEN);
	/* RFC 4861 4.4: type 136, code 0, checksum (the kernel's), R S O
	 * flags (unsolicited: only Override, 7.2.6), reserved, the target;
	 * 4.6.1: option 2 (target link-layer address), length 1 (8 bytes). */
	static const uint8_t want[VRRP_NA_LEN] = {
		136, 0, 0, 0, 0x20, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,
		2, 1, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55,
	};
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(vrrp_na_build(b, VRRP_NA_LEN - 1, mac, &vip), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_trailing_bytes_ignored),
		cmocka_unit_test(test_parse_options_header),
		cmocka_unit_test(test_parse_drops),
		cmocka_unit_test(test_drop_names_distinct),
		cmocka_unit_test(test_garp_bytes),
		cmocka_unit_test(test_na_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
