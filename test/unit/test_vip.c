// SPDX-License-Identifier: GPL-2.0-or-later
// Tests of netlink/vip.c against the kernel, inside a private network namespace.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "vip.h"

#define DEV "vt0"
#define PEER "vt1"

/* Why the namespace tests cannot run here; NULL when they can. */
static const char *no_netns;
static char no_netns_buf[160];

/* Does `ip -4 -o addr show dev DEV` list CIDR? */
static bool ip_shows(const char *cidr)
{
	char out[8192];
	assert_int_equal(tu_ip_capture(out, sizeof(out), "-4", "-o", "addr", "show", "dev", DEV, NULL), 0);
	char needle[64];
	snprintf(needle, sizeof(needle), "inet %s ", cidr);
	return strstr(out, needle) != NULL;
}

static struct vip_addr va(const char *ip, uint8_t prefix)
{
	struct vip_addr a = { .prefix = prefix };
	assert_int_equal(inet_pton(AF_INET, ip, &a.addr), 1);
	return a;
}

static bool listed(struct vip_set *vs, const char *ip, uint8_t prefix, bool *secondary)
{
	struct vip_ifaddr list[32];
	size_t n = 0;
	char err[256] = "";
	int rc = vip_list(vs, list, 32, &n, err, sizeof(err));
	if (rc != 0)
		fail_msg("vip_list: %d %s", rc, err);
	assert_true(n <= 32);
	struct vip_addr want = va(ip, prefix);
	for (size_t i = 0; i < n; i++) {
		if (list[i].a.addr.s_addr == want.addr.s_addr && list[i].a.prefix == prefix) {
			if (secondary)
				*secondary = list[i].secondary;
			return true;
		}
	}
	return false;
}

/* vt0 carries exactly the host's own address 198.18.0.1/24. */
static int reset_dev(void **state)
{
	(void)state;
	if (no_netns)
		return 0;
	if (tu_ip("addr", "flush", "dev", DEV, NULL) != 0)
		return -1;
	return tu_ip("addr", "add", "198.18.0.1/24", "dev", DEV, NULL) == 0 ? 0 : -1;
}

static void test_bad_args(void **state)
{
	(void)state;
	struct vip_set *vs = NULL;
	char err[128] = "";
	assert_int_equal(vip_new(NULL, DEV, NULL, 0), -EINVAL);
	assert_int_equal(vip_new(&vs, "", err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	assert_int_equal(vip_new(&vs, "a-name-far-too-long", NULL, 0), -EINVAL);
	assert_null(vs);
	vip_free(NULL);
}

static void test_add_idempotent_del(void **state)
{
	(void)state;
	TU_REQUIRE(no_netns);
	struct vip_set *vs;
	char err[256] = "";
	assert_int_equal(vip_new(&vs, DEV, err, sizeof(err)), 0);
	assert_string_equal(vip_ifname(vs), DEV);
	struct vip_addr v = va("198.18.0.100", 24);

	bool was = true;
	int rc = vip_add(vs, &v, &was, err, sizeof(err));
	if (rc != 0)
		fail_msg("vip_add: %d %s", rc, err);
	assert_false(was);
	bool secondary = false;
	assert_true(listed(vs, "198.18.0.100", 24, &secondary));
	assert_true(secondary); /* same subnet as 198.18.0.1/24, which came first */
	assert_true(ip_shows("198.18.0.100/24"));

	/* Again: success, and it says the address was already there. */
	assert_int_equal(vip_add(vs, &v, &was, err, sizeof(err)), 0);
	assert_true(was);
	struct vip_addr held[4];
	size_t n = 0;
	assert_int_equal(vip_held(vs, held, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(held[0].addr.s_addr, v.addr.s_addr);
	assert_int_equal(held[0].prefix, 24);

	/* A bad prefix changes nothing. */
	struct vip_addr bad = va("198.18.0.100", 33);
	assert_int_equal(vip_add(vs, &bad, NULL, err, sizeof(err)), -EINVAL);

	assert_int_equal(vip_del(vs, &v, &was, err, sizeof(err)), 0);
	assert_true(was);
	assert_false(listed(vs, "198.18.0.100", 24, NULL));
	assert_false(ip_shows("198.18.0.100/24"));
	assert_true(ip_shows("198.18.0.1/24"));
	assert_int_equal(vip_held(vs, held, 4, &n), 0);
	assert_int_equal(n, 0);

	/* Removing an absent address is fine, and says so. */
	assert_int_equal(vip_del(vs, &v, &was, err, sizeof(err)), 0);
	assert_false(was);
	vip_free(vs);
	assert_true(ip_shows("198.18.0.1/24"));
}

static void test_absent_interface(void **state)
{
	(void)state;
	TU_REQUIRE(no_netns);
	struct vip_set *vs;
	char err[256] = "";
	assert_int_equal(vip_new(&vs, "ghost0", err, sizeof(err)), 0);
	struct vip_addr v = va("198.18.0.100", 24);
	assert_int_equal(vip_add(vs, &v, NULL, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "ghost0"));
	bool was = true;
	assert_int_equal(vip_del(vs, &v, &was, NULL, 0), 0);
	assert_false(was);
	size_t n = 99;
	struct vip_addr found[2];
	assert_int_equal(vip_find_present(vs, &v, 1, found, 2, &n, NULL, 0), 0);
	assert_int_equal(n, 0);
	struct in_addr pri;
	assert_int_equal(vip_primary(vs, NULL, 0, &pri, NULL, 0), -ENODEV);
	vip_free(vs);
}

static void test_find_stale(void **state)
{
	(void)state;
	TU_REQUIRE(no_netns);
	/* What a crashed vigild leaves behind (one with another prefix). */
	assert_int_equal(tu_ip("addr", "add", "198.18.0.101/24", "dev", DEV, NULL), 0);
	assert_int_equal(tu_ip("addr", "add", "198.18.0.102/32", "dev", DEV, NULL), 0);
	struct vip_set *vs;
	assert_int_equal(vip_new(&vs, DEV, NULL, 0), 0);
	const struct vip_addr conf[3] = {
		va("198.18.0.100", 24), va("198.18.0.101", 24), va("198.18.0.102", 24),
	};
	struct vip_addr found[4];
	size_t n = 0;
	char err[256] = "";
	assert_int_equal(vip_find_present(vs, conf, 3, found, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	bool saw101 = false, saw102 = false;
	for (size_t i = 0; i < n; i++) {
		if (found[i].addr.s_addr == conf[1].addr.s_addr) {
			assert_int_equal(found[i].prefix, 24);
			saw101 = true;
		}
		if (found[i].addr.s_addr == conf[2].addr.s_addr) {
			assert_int_equal(found[i].prefix, 32); /* as the kernel has it */
			saw102 = true;
		}
	}
	assert_true(saw101 && saw102);
	/* Finding changes nothing and holds nothing. */
	size_t n_held = 9;
	assert_int_equal(vip_held(vs, NULL, 0, &n_held), 0);
	assert_int_equal(n_held, 0);
	assert_true(ip_shows("198.18.0.101/24"));

	/* A small output array still reports the full count. */
	assert_int_equal(vip_find_present(vs, conf, 3, found, 1, &n, NULL, 0), 0);
	assert_int_equal(n, 2);

	/* The caller removes them (this node did not become MASTER). */
	for (size_t i = 0; i < 2; i++) {
		bool was = false;
		assert_int_equal(vip_del(vs, &found[i], &was, err, sizeof(err)), 0);
		assert_true(was);
	}
	assert_false(ip_shows("198.18.0.101/24"));
	assert_false(ip_shows("198.18.0.102/32"));
	assert_true(ip_shows("198.18.0.1/24"));
	assert_int_equal(vip_find_present(vs, conf, 3, found, 4, &n, NULL, 0), 0);
	assert_int_equal(n, 0);
	vip_free(vs);
}

static void test_primary_ignores_vips(void **state)
{
	(void)state;
	TU_REQUIRE(no_netns);
	struct vip_set *vs;
	assert_int_equal(vip_new(&vs, DEV, NULL, 0), 0);
	struct vip_addr v = va("198.18.0.100", 24);
	struct vip_addr own = va("198.18.0.1", 24);
	char err[256] = "";
	struct in_addr pri = { 0 };

	assert_int_equal(vip_primary(vs, NULL, 0, &pri, err, sizeof(err)), 0);
	assert_int_equal(pri.s_addr, own.addr.s_addr);

	/* With a VIP on, still the host's own address. */
	assert_int_equal(vip_add(vs, &v, NULL, err, sizeof(err)), 0);
	pri.s_addr = 0;
	assert_int_equal(vip_primary(vs, NULL, 0, &pri, err, sizeof(err)), 0);
	assert_int_equal(pri.s_addr, own.addr.s_addr);

	/* Nothing but VIPs (and excluded addresses): no primary. */
	assert_int_equal(vip_primary(vs, &own, 1, &pri, err, sizeof(err)), -EADDRNOTAVAIL);
	assert_true(strlen(err) > 0);

	/* The VIP came first, so it is the subnet's primary and the host's
	 * address a secondary: the host's address is still the answer. */
	assert_int_equal(vip_release_all(vs, NULL, 0), 0);
	assert_int_equal(tu_ip("addr", "flush", "dev", DEV, NULL), 0);
	assert_int_equal(vip_add(vs, &v, NULL, err, sizeof(err)), 0);
	assert_int_equal(tu_ip("addr", "add", "198.18.0.1/24", "dev", DEV, NULL), 0);
	bool secondary = false;
	assert_true(listed(vs, "198.18.0.1", 24, &secondary));
	assert_true(secondary);
	pri.s_addr = 0;
	assert_int_equal(vip_primary(vs, NULL, 0, &pri, err, sizeof(err)), 0);
	assert_int_equal(pri.s_addr, own.addr.s_addr);
	/* A configured VIP this set does not hold is excluded by the list. */
	struct vip_set *other;
	assert_int_equal(vip_new(&other, DEV, NULL, 0), 0);
	pri.s_addr = 0;
	assert_int_equal(vip_primary(other, &v, 1, &pri, NULL, 0), 0);
	assert_int_equal(pri.s_addr, own.addr.s_addr);
	vip_free(other);
	vip_free(vs);
}

/* A link-scope address of another subnet, which the kernel lists before
 * the global ones, is not VRRP's source; it still is when it is the only
 * address. And it is a way to make the kernel refuse a VIP without
 * touching the link (fault_vip_add.sh): an address of the VIP's subnet
 * with another scope is EINVAL ("ipv4: Invalid scope value"). */
static void test_primary_prefers_global_scope(void **state)
{
	(void)state;
	TU_REQUIRE(no_netns);
	struct vip_set *vs;
	assert_int_equal(vip_new(&vs, DEV, NULL, 0), 0);
	struct vip_addr own = va("198.18.0.1", 24), link = va("198.18.0.101", 25);
	char err[256] = "";
	struct in_addr pri = { 0 };
	assert_int_equal(tu_ip("addr", "add", "198.18.0.101/25", "dev", DEV, "scope", "link", NULL), 0);
	struct vip_ifaddr list[8];
	size_t n = 0;
	assert_int_equal(vip_list(vs, list, 8, &n, err, sizeof(err)), 0);
	assert_true(n == 2);
	assert_int_equal(list[0].a.addr.s_addr, link.addr.s_addr); /* listed first */
	assert_int_equal(list[0].scope, 253);
	assert_int_equal(list[1].scope, 0);
	assert_int_equal(vip_primary(vs, NULL, 0, &pri, err, sizeof(err)), 0);
	assert_int_equal(pri.s_addr, own.addr.s_addr);

	/* The VIP 198.18.0.100/25 beside a link-scope 198.18.0.101/25. */
	struct vip_addr v = va("198.18.0.100", 25);
	assert_int_equal(vip_add(vs, &v, NULL, err, sizeof(err)), -EINVAL);
	assert_true(strstr(err, "198.18.0.100/25") != NULL);
	size_t held = 9;
	assert_int_equal(vip_held(vs, NULL, 0, &held), 0);
	assert_int_equal(held, 0);
	assert_int_equal(tu_ip("addr", "del", "198.18.0.101/25", "dev", DEV, NULL), 0);
	assert_int_equal(vip_add(vs, &v, NULL, err, sizeof(err)), 0);
	assert_int_equal(vip_release_all(vs, NULL, 0), 0);

	/* Only a link-scope address: that one. */
	assert_int_equal(tu_ip("addr", "flush", "dev", DEV, NULL), 0);
	assert_int_equal(tu_ip("addr", "add", "198.18.0.101/25", "dev", DEV, "scope", "link", NULL), 0);
	pri.s_addr = 0;
	assert_int_equal(vip_primary(vs, NULL, 0, &pri, err, sizeof(err)), 0);
	assert_int_equal(pri.s_addr, link.addr.s_addr);
	vip_free(vs);
}

static int read_promote(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/conf/" DEV "/promote_secondaries", "r");
	if (!f)
		return -1;
	int v = -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void test_del_primary_vip_keeps_host_address(void **state)
{
	(void)state;
	TU_REQUIRE(no_netns);
	/* Without promote_secondaries, deleting a subnet's primary deletes
	 * its secondaries: here the host's own address. */
	FILE *f = fopen("/proc/sys/net/ipv4/conf/" DEV "/promote_secondaries", "w");
	assert_non_null(f);
	fputs("0\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(read_promote(), 0);

	assert_int_equal(tu_ip("addr", "flush", "dev", DEV, NULL), 0);
	struct vip_set *vs;
	assert_int_equal(vip_new(&vs, DEV, NULL, 0), 0);
	struct vip_addr v = va("198.18.0.100", 24);
	char err[256] = "";
	assert_int_equal(vip_add(vs, &v, NULL, err, sizeof(err)), 0);
	assert_int_equal(tu_ip("addr", "add", "198.18.0.1/24", "dev", DEV, NULL), 0);
	bool was = false;
	int rc = vip_del(vs, &v, &was, err, sizeof(err));
	if (rc != 0)
		fail_msg("vip_del: %d %s", rc, err);
	assert_true(was);
	assert_false(ip_shows("198.18.0.100/24"));
	assert_true(ip_shows("198.18.0.1/24"));
	assert_int_equal(read_promote(), 1);
	vip_free(vs);
}

static void test_free_removes_exactly_what_it_added(void **state)
{
	(void)state;
	TU_REQUIRE(no_netns);
	/* A hand-made address never given to the set, and a leftover VIP
	 * that the set adopts when it adds it. */
	assert_int_equal(tu_ip("addr", "add", "198.18.0.104/24", "dev", DEV, NULL), 0);
	assert_int_equal(tu_ip("addr", "add", "198.18.0.105/24", "dev", DEV, NULL), 0);
	struct vip_set *vs;
	assert_int_equal(vip_new(&vs, DEV, NULL, 0), 0);
	const struct vip_addr mine[3] = {
		va("198.18.0.100", 24), va("198.18.0.103", 32), va("198.18.0.105", 24),
	};
	bool was[3];
	char err[256] = "";
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(vip_add(vs, &mine[i], &was[i], err, sizeof(err)), 0);
	assert_false(was[0]);
	assert_false(was[1]);
	assert_true(was[2]);
	struct vip_addr held[4];
	size_t n = 0;
	assert_int_equal(vip_held(vs, held, 4, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++) /* in the order they were added */
		assert_int_equal(held[i].addr.s_addr, mine[i].addr.s_addr);
	assert_true(ip_shows("198.18.0.103/32"));

	vip_free(vs);
	assert_false(ip_shows("198.18.0.100/24"));
	assert_false(ip_shows("198.18.0.103/32"));
	assert_false(ip_shows("198.18.0.105/24"));
	assert_true(ip_shows("198.18.0.104/24"));
	assert_true(ip_shows("198.18.0.1/24"));
}

static void test_release_all(void **state)
{
	(void)state;
	TU_REQUIRE(no_netns);
	struct vip_set *vs;
	assert_int_equal(vip_new(&vs, DEV, NULL, 0), 0);
	struct vip_addr a = va("198.18.0.100", 24), b = va("198.18.0.110", 24);
	assert_int_equal(vip_add(vs, &a, NULL, NULL, 0), 0);
	assert_int_equal(vip_add(vs, &b, NULL, NULL, 0), 0);
	assert_int_equal(vip_release_all(vs, NULL, 0), 0);
	size_t n = 9;
	assert_int_equal(vip_held(vs, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_false(ip_shows("198.18.0.100/24"));
	assert_false(ip_shows("198.18.0.110/24"));
	/* Taken again (MASTER again), then the interface disappears: its
	 * addresses went with it, so release succeeds and holds nothing. */
	assert_int_equal(vip_add(vs, &a, NULL, NULL, 0), 0);
	assert_int_equal(tu_ip("link", "add", "vt8", "type", "veth", "peer", "name", "vt9", NULL), 0);
	struct vip_set *gone;
	assert_int_equal(vip_new(&gone, "vt8", NULL, 0), 0);
	assert_int_equal(vip_add(gone, &b, NULL, NULL, 0), 0);
	assert_int_equal(tu_ip("link", "del", "vt8", NULL), 0);
	assert_int_equal(vip_release_all(gone, NULL, 0), 0);
	assert_int_equal(vip_held(gone, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
	vip_free(gone);
	vip_free(vs);
	assert_false(ip_shows("198.18.0.100/24"));
	assert_true(ip_shows("198.18.0.1/24"));
}

int main(void)
{
	/* A private network namespace with the veth pair vt0/vt1; everything
	 * dies with this process. */
	no_netns = tu_netns_veth(DEV, PEER, no_netns_buf, sizeof(no_netns_buf));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test_setup(test_add_idempotent_del, reset_dev),
		cmocka_unit_test_setup(test_absent_interface, reset_dev),
		cmocka_unit_test_setup(test_find_stale, reset_dev),
		cmocka_unit_test_setup(test_primary_ignores_vips, reset_dev),
		cmocka_unit_test_setup(test_primary_prefers_global_scope, reset_dev),
		cmocka_unit_test_setup(test_del_primary_vip_keeps_host_address, reset_dev),
		cmocka_unit_test_setup(test_free_removes_exactly_what_it_added, reset_dev),
		cmocka_unit_test_setup(test_release_all, reset_dev),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
