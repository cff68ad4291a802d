// SPDX-License-Identifier: GPL-2.0-or-later
// Tests of netlink/linkmon.c: the pure message parser on crafted bytes, and
// link/address events from the kernel on a real ev loop in a private netns.
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
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "linkmon.h"
#include "test_util.h"

/* ---- crafting netlink messages -------------------------------------- */

struct msgbuf {
	uint8_t b[1024];
	size_t len;
};

static void put(struct msgbuf *m, const void *p, size_t n)
{
	if (n == 0)
		return;
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void pad4(struct msgbuf *m)
{
	static const uint8_t zero[4];
	put(m, zero, NLMSG_ALIGN(m->len) - m->len);
}

static void put_attr(struct msgbuf *m, uint16_t type, const void *data, size_t n)
{
	struct rtattr a = { .rta_len = (unsigned short)(sizeof(a) + n), .rta_type = type };
	put(m, &a, sizeof(a));
	put(m, data, n);
	pad4(m);
}

/* Start a message: header (length fixed by finish()) and fixed body. */
static void begin(struct msgbuf *m, uint16_t type, uint16_t flags, const void *body, size_t n)
{
	m->len = 0;
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = 7 };
	put(m, &h, sizeof(h));
	if (n)
		put(m, body, n);
	pad4(m);
}

static void finish(struct msgbuf *m)
{
	uint32_t len = (uint32_t)m->len;
	memcpy(m->b + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof(len));
}

static void make_link(struct msgbuf *m, uint16_t type, int family, int ifindex,
		      unsigned flags, const char *name, int operstate)
{
	struct ifinfomsg ifi = { .ifi_family = (unsigned char)family, .ifi_index = ifindex,
				 .ifi_flags = flags };
	begin(m, type, 0, &ifi, sizeof(ifi));
	if (name)
		put_attr(m, IFLA_IFNAME, name, strlen(name) + 1);
	if (operstate >= 0) {
		uint8_t os = (uint8_t)operstate;
		put_attr(m, IFLA_OPERSTATE, &os, 1);
	}
	finish(m);
}

static void make_addr(struct msgbuf *m, uint16_t type, int family, uint32_t ifindex,
		      uint8_t prefix, const char *ip, uint32_t ifa_flags)
{
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char)family, .ifa_prefixlen = prefix,
				 .ifa_index = ifindex };
	begin(m, type, 0, &ifa, sizeof(ifa));
	if (ip) {
		uint8_t a[16];
		size_t alen = family == AF_INET6 ? 16 : 4;
		assert_int_equal(inet_pton(family == AF_INET6 ? AF_INET6 : AF_INET, ip, a), 1);
		put_attr(m, IFA_ADDRESS, a, alen);
		put_attr(m, IFA_LOCAL, a, alen);
	}
	put_attr(m, IFA_FLAGS, &ifa_flags, sizeof(ifa_flags));
	finish(m);
}

/* Parse from an exactly-sized heap copy, so ASan sees any overread. */
static enum linkmon_drop parse_exact(const uint8_t *b, size_t len, size_t *used,
				     struct linkmon_msg *msg)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, b, len);
	enum linkmon_drop d = linkmon_parse(copy, len, used, msg);
	free(copy);
	return d;
}

/* ---- parser tests ---------------------------------------------------- */

static void test_parse_link_good(void **state)
{
	(void)state;
	struct msgbuf m;
	make_link(&m, RTM_NEWLINK, AF_UNSPEC, 3, IFF_UP | IFF_RUNNING, "vt0", 6);
	struct linkmon_msg msg;
	size_t used = 0;
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NONE);
	assert_int_equal(used, m.len);
	assert_int_equal(msg.type, LINKMON_MSG_LINK_NEW);
	assert_int_equal(msg.ifindex, 3);
	assert_string_equal(msg.ifname, "vt0");
	assert_int_equal(msg.flags, IFF_UP | IFF_RUNNING);
	assert_int_equal(msg.operstate, 6);
	assert_int_equal(msg.seq, 7);

	/* A 15-character name is the longest there is. */
	make_link(&m, RTM_DELLINK, AF_UNSPEC, 9, 0, "abcdefghijklmno", -1);
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NONE);
	assert_int_equal(msg.type, LINKMON_MSG_LINK_DEL);
	assert_string_equal(msg.ifname, "abcdefghijklmno");
	assert_int_equal(msg.operstate, 0);
}

static void test_parse_addr_good(void **state)
{
	(void)state;
	struct msgbuf m;
	make_addr(&m, RTM_NEWADDR, AF_INET, 4, 24, "198.18.0.100", IFA_F_SECONDARY | IFA_F_NOPREFIXROUTE);
	struct linkmon_msg msg;
	size_t used = 0;
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NONE);
	assert_int_equal(used, m.len);
	assert_int_equal(msg.type, LINKMON_MSG_ADDR_NEW);
	assert_int_equal(msg.ifindex, 4);
	assert_int_equal(msg.prefix, 24);
	assert_int_equal(ntohl(msg.addr.s_addr), 0xc6120064u);
	/* IFA_FLAGS carries bits that do not fit ifa_flags. */
	assert_int_equal(msg.ifa_flags, IFA_F_SECONDARY | IFA_F_NOPREFIXROUTE);

	make_addr(&m, RTM_DELADDR, AF_INET, 4, 32, "198.18.0.7", 0);
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NONE);
	assert_int_equal(msg.type, LINKMON_MSG_ADDR_DEL);
	assert_int_equal(msg.prefix, 32);
}

static void test_parse_control_and_ignored(void **state)
{
	(void)state;
	struct msgbuf m;
	struct linkmon_msg msg;
	size_t used;

	int zero = 0;
	begin(&m, NLMSG_DONE, NLM_F_MULTI, &zero, sizeof(zero));
	finish(&m);
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NONE);
	assert_int_equal(msg.type, LINKMON_MSG_DONE);
	assert_int_equal(msg.nlflags, NLM_F_MULTI);

	struct nlmsgerr e = { .error = -EBUSY };
	begin(&m, NLMSG_ERROR, 0, &e, sizeof(e));
	finish(&m);
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NONE);
	assert_int_equal(msg.type, LINKMON_MSG_ERROR);
	assert_int_equal(msg.error, -EBUSY);

	begin(&m, NLMSG_OVERRUN, 0, NULL, 0);
	finish(&m);
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NONE);
	assert_int_equal(msg.type, LINKMON_MSG_OVERRUN);

	/* IPv6 addresses are read as IPv4 ones are (an IPv6 instance
	 * follows its link-local address, and the end of its DAD). */
	make_addr(&m, RTM_NEWADDR, AF_INET6, 3, 64, "fe80::1", IFA_F_TENTATIVE);
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NONE);
	assert_int_equal(msg.type, LINKMON_MSG_ADDR_NEW);
	assert_int_equal(msg.family, AF_INET6);
	assert_int_equal(msg.addr6.s6_addr[0], 0xfe);
	assert_int_equal(msg.addr6.s6_addr[15], 1);
	assert_int_equal(msg.prefix, 64);
	assert_int_equal(msg.ifa_flags, IFA_F_TENTATIVE);
	make_addr(&m, RTM_NEWADDR, AF_INET6, 3, 129, "fe80::1", 0);
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_PREFIX);
	make_addr(&m, RTM_NEWADDR, AF_INET6, 3, 64, NULL, 0);
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NO_ADDR);

	/* Bridge port messages, other families, routes: fine, not for us. */
	make_link(&m, RTM_NEWLINK, AF_BRIDGE, 3, 0, "vt0", -1);
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NONE);
	assert_int_equal(msg.type, LINKMON_MSG_IGNORED);
	make_addr(&m, RTM_NEWADDR, AF_BRIDGE, 3, 64, NULL, 0);
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NONE);
	assert_int_equal(msg.type, LINKMON_MSG_IGNORED);
	struct rtmsg rt = { .rtm_family = AF_INET };
	begin(&m, RTM_NEWROUTE, 0, &rt, sizeof(rt));
	finish(&m);
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_NONE);
	assert_int_equal(msg.type, LINKMON_MSG_IGNORED);
	assert_int_equal(used, m.len);
}

static void test_parse_framing(void **state)
{
	(void)state;
	struct msgbuf m;
	struct linkmon_msg msg;
	size_t used = 99;
	make_link(&m, RTM_NEWLINK, AF_UNSPEC, 3, 0, "vt0", -1);

	assert_int_equal(linkmon_parse(NULL, 0, &used, &msg), LINKMON_DROP_SHORT);
	assert_int_equal(used, 0);
	assert_int_equal(parse_exact(m.b, 15, &used, &msg), LINKMON_DROP_SHORT);
	assert_int_equal(used, 0);

	/* nlmsg_len smaller than the header itself. */
	uint32_t small = 8;
	memcpy(m.b, &small, sizeof(small));
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_HDR_LEN);
	assert_int_equal(used, 0);

	/* nlmsg_len beyond what was received. */
	uint32_t big = 4000;
	memcpy(m.b, &big, sizeof(big));
	assert_int_equal(parse_exact(m.b, m.len, &used, &msg), LINKMON_DROP_TRUNCATED);
	assert_int_equal(used, 0);
}

/* Every truncation of a valid message is refused as a framing error. */
static void test_parse_every_truncation(void **state)
{
	(void)state;
	struct msgbuf m;
	make_addr(&m, RTM_NEWADDR, AF_INET, 4, 24, "198.18.0.100", 0);
	for (size_t len = 0; len < m.len; len++) {
		struct linkmon_msg msg;
		size_t used = 99;
		enum linkmon_drop d = parse_exact(m.b, len, &used, &msg);
		assert_int_equal(d, len < sizeof(struct nlmsghdr) ? LINKMON_DROP_SHORT
								  : LINKMON_DROP_TRUNCATED);
		assert_int_equal(used, 0);
	}
}

/* A message whose header length is consistent but whose body lies:
 * refused with its reason, and skippable (used = its length). */
static void expect_body_drop(struct msgbuf *m, enum linkmon_drop want)
{
	struct linkmon_msg msg;
	size_t used = 0;
	enum linkmon_drop d = parse_exact(m->b, m->len, &used, &msg);
	if (d != want)
		fail_msg("got %s, want %s", linkmon_drop_name(d), linkmon_drop_name(want));
	/* Its whole length (the buffer ends there, padded or not). */
	assert_int_equal(used, m->len);
	assert_int_equal(msg.type, LINKMON_MSG_IGNORED); /* nothing half-filled */
	assert_int_equal(msg.ifindex, 0);
}

static void test_parse_bad_link(void **state)
{
	(void)state;
	struct msgbuf m;

	/* Payload shorter than struct ifinfomsg. */
	uint8_t half[8] = { 0 };
	begin(&m, RTM_NEWLINK, 0, half, sizeof(half));
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_PAYLOAD);

	make_link(&m, RTM_NEWLINK, AF_UNSPEC, 0, 0, "vt0", -1);
	expect_body_drop(&m, LINKMON_DROP_IFINDEX);
	make_link(&m, RTM_NEWLINK, AF_UNSPEC, -5, 0, "vt0", -1);
	expect_body_drop(&m, LINKMON_DROP_IFINDEX);

	make_link(&m, RTM_NEWLINK, AF_UNSPEC, 3, 0, NULL, 6);
	expect_body_drop(&m, LINKMON_DROP_NO_IFNAME);

	struct ifinfomsg ifi = { .ifi_index = 3 };
	/* Name without its NUL. */
	begin(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	put_attr(&m, IFLA_IFNAME, "vt0x", 4);
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_IFNAME);
	/* Empty name. */
	begin(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	put_attr(&m, IFLA_IFNAME, "", 1);
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_IFNAME);
	/* 16 characters: longer than IFNAMSIZ allows. */
	begin(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	put_attr(&m, IFLA_IFNAME, "abcdefghijklmnop", 17);
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_IFNAME);
	/* Operstate without its byte. */
	begin(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	put_attr(&m, IFLA_IFNAME, "vt0", 4);
	put_attr(&m, IFLA_OPERSTATE, NULL, 0);
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_ATTR);

	/* Attribute length below its own header. */
	begin(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	struct rtattr a = { .rta_len = 2, .rta_type = IFLA_IFNAME };
	put(&m, &a, sizeof(a));
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_ATTR);
	/* Attribute running past the message. */
	begin(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	a.rta_len = 200;
	put(&m, &a, sizeof(a));
	put(&m, "vt0", 4);
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_ATTR);
	/* Trailing bytes too few for an attribute header. */
	begin(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	put_attr(&m, IFLA_IFNAME, "vt0", 4);
	put(&m, "\1\2", 2);
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_ATTR);
}

static void test_parse_bad_addr(void **state)
{
	(void)state;
	struct msgbuf m;
	uint8_t half[4] = { AF_INET };
	begin(&m, RTM_NEWADDR, 0, half, sizeof(half));
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_PAYLOAD);

	make_addr(&m, RTM_NEWADDR, AF_INET, 3, 33, "198.18.0.1", 0);
	expect_body_drop(&m, LINKMON_DROP_PREFIX);
	make_addr(&m, RTM_NEWADDR, AF_INET, 0, 24, "198.18.0.1", 0);
	expect_body_drop(&m, LINKMON_DROP_IFINDEX);
	make_addr(&m, RTM_DELADDR, AF_INET, 3, 24, NULL, 0);
	expect_body_drop(&m, LINKMON_DROP_NO_ADDR);

	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 24, .ifa_index = 3 };
	begin(&m, RTM_NEWADDR, 0, &ifa, sizeof(ifa));
	put_attr(&m, IFA_LOCAL, "\xc6\x12\x00", 3); /* 3-byte IPv4 address */
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_ATTR);
	begin(&m, RTM_NEWADDR, 0, &ifa, sizeof(ifa));
	put_attr(&m, IFA_LOCAL, "\xc6\x12\x00\x01", 4);
	put_attr(&m, IFA_FLAGS, "\x01", 1);
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_ATTR);

	/* An error message too short for its error code. */
	begin(&m, NLMSG_ERROR, 0, "\x01\x02", 2);
	finish(&m);
	m.len = NLMSG_HDRLEN + 2;
	finish(&m);
	expect_body_drop(&m, LINKMON_DROP_PAYLOAD);
}

/* One datagram of three messages, the middle one bad: the bad one is
 * skipped and both good ones are read. */
static void test_parse_datagram_walk(void **state)
{
	(void)state;
	struct msgbuf one, bad, two;
	make_link(&one, RTM_NEWLINK, AF_UNSPEC, 3, IFF_UP, "vt0", -1);
	make_addr(&bad, RTM_NEWADDR, AF_INET, 3, 40, "198.18.0.1", 0);
	make_addr(&two, RTM_NEWADDR, AF_INET, 3, 24, "198.18.0.1", 0);
	struct msgbuf d = { .len = 0 };
	put(&d, one.b, one.len);
	put(&d, bad.b, bad.len);
	put(&d, two.b, two.len);
	size_t off = 0, good = 0, dropped = 0, rounds = 0;
	while (off < d.len && rounds++ < 10) {
		struct linkmon_msg msg;
		size_t used;
		enum linkmon_drop r = parse_exact(d.b + off, d.len - off, &used, &msg);
		if (r == LINKMON_DROP_NONE)
			good++;
		else
			dropped++;
		assert_true(used > 0);
		off += used;
	}
	assert_int_equal(off, d.len);
	assert_int_equal(good, 2);
	assert_int_equal(dropped, 1);
}

/* Random bytes (some with a plausible header) never crash the parser and
 * never claim more than they were given. */
static void test_parse_random(void **state)
{
	(void)state;
	uint32_t x = 0x12345678u;
	uint8_t b[300];
	static const uint16_t types[] = { RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR,
					  NLMSG_ERROR, NLMSG_DONE };
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 0;
		x = x * 1103515245u + 12345u;
		len = (x >> 8) % sizeof(b);
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			b[i] = (uint8_t)(x >> 16);
		}
		if (len >= 16 && (iter & 1)) {
			uint32_t nl = (uint32_t)len - ((x >> 4) & 7);
			uint16_t ty = types[(x >> 12) % 6];
			memcpy(b, &nl, 4);
			memcpy(b + 4, &ty, 2);
			if (len >= 17 && (iter & 2))
				b[16] = (ty == RTM_NEWADDR || ty == RTM_DELADDR) ? AF_INET : AF_UNSPEC;
		}
		struct linkmon_msg msg;
		size_t used = 0;
		enum linkmon_drop d = parse_exact(b, len, &used, &msg);
		assert_true(d < LINKMON_DROP__COUNT);
		assert_true(used <= len);
		if (d == LINKMON_DROP_NONE) {
			assert_true(used >= NLMSG_HDRLEN);
			assert_true(strlen(msg.ifname) < IFNAMSIZ);
		}
	}
}

static void test_names(void **state)
{
	(void)state;
	for (int d = 0; d < LINKMON_DROP__COUNT; d++)
		assert_string_not_equal(linkmon_drop_name((enum linkmon_drop)d), "invalid");
	assert_string_equal(linkmon_drop_name(LINKMON_DROP_TRUNCATED), "truncated");
	assert_string_equal(linkmon_link_name(LINKMON_ABSENT), "absent");
	assert_string_equal(linkmon_link_name(LINKMON_UP), "up");
	assert_string_equal(linkmon_event_kind_name(LINKMON_EV_ADDR), "addr");
	assert_string_equal(linkmon_msg_type_name(LINKMON_MSG_LINK_DEL), "link-del");
	assert_string_equal(linkmon_msg_type_name(LINKMON_MSG_OVERRUN), "overrun");
}

/* ---- namespace --------------------------------------------------------- */

/* Why the namespace tests cannot run here; NULL when they can. */
static const char *no_netns;
static char no_netns_buf[160];

/* ---- event recording on a real loop ---------------------------------- */

#define MAX_EVENTS 4096

struct rec {
	struct linkmon_event ev[MAX_EVENTS];
	char name[MAX_EVENTS][IFNAMSIZ];
	size_t n;
	struct linkmon *lm;
	const char *watch_from_cb; /* linkmon_watch() this name from the callback */
};

static void record(void *ctx, const struct linkmon_event *ev)
{
	struct rec *r = ctx;
	if (r->n < MAX_EVENTS) {
		r->ev[r->n] = *ev;
		snprintf(r->name[r->n], IFNAMSIZ, "%s", ev->ifname);
		r->ev[r->n].ifname = r->name[r->n];
		r->n++;
	}
	if (r->watch_from_cb) {
		const char *w = r->watch_from_cb;
		r->watch_from_cb = NULL;
		assert_int_equal(linkmon_watch(r->lm, w), 0);
	}
}

struct env {
	struct ev_loop *loop;
	struct linkmon *lm;
	struct rec *rec;
	ev_timer tick;
};

static void on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)t;
	(void)revents;
	/* Only makes ev_run(EVRUN_ONCE) return regularly. */
}

/* Index of the first LINK event for name with state link at or after
 * *from, or -1. */
static long find_link(const struct rec *r, size_t from, const char *name, enum linkmon_link link)
{
	for (size_t i = from; i < r->n; i++)
		if (r->ev[i].kind == LINKMON_EV_LINK && strcmp(r->name[i], name) == 0 &&
		    r->ev[i].link == link)
			return (long)i;
	return -1;
}

static long find_addr(const struct rec *r, size_t from, const char *name, bool added,
		      const char *ip, uint8_t prefix)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, ip, &a), 1);
	for (size_t i = from; i < r->n; i++)
		if (r->ev[i].kind == LINKMON_EV_ADDR && strcmp(r->name[i], name) == 0 &&
		    r->ev[i].addr_added == added && r->ev[i].addr.s_addr == a.s_addr &&
		    r->ev[i].prefix == prefix)
			return (long)i;
	return -1;
}

/* Guard: run the loop until a LINK event (name, link) appears after from,
 * for at most 3 seconds. Returns its index; fails the test on timeout. */
static long wait_link(struct env *e, size_t from, const char *name, enum linkmon_link link)
{
	ev_now_update(e->loop);
	double deadline = ev_now(e->loop) + 3.0;
	long i;
	while ((i = find_link(e->rec, from, name, link)) < 0) {
		if (ev_now(e->loop) > deadline)
			fail_msg("no '%s %s' event within 3 s (state now %s)", name,
				 linkmon_link_name(link),
				 linkmon_link_name(linkmon_state(e->lm, name, NULL)));
		ev_run(e->loop, EVRUN_ONCE);
	}
	return i;
}

static long wait_addr(struct env *e, size_t from, const char *name, bool added,
		      const char *ip, uint8_t prefix)
{
	ev_now_update(e->loop);
	double deadline = ev_now(e->loop) + 3.0;
	long i;
	while ((i = find_addr(e->rec, from, name, added, ip, prefix)) < 0) {
		if (ev_now(e->loop) > deadline)
			fail_msg("no address event %s %s/%u on %s within 3 s",
				 added ? "add" : "del", ip, prefix, name);
		ev_run(e->loop, EVRUN_ONCE);
	}
	return i;
}

/* Run the loop for about secs seconds, whatever happens. */
static void run_for(struct env *e, double secs)
{
	ev_now_update(e->loop);
	double end = ev_now(e->loop) + secs;
	while (ev_now(e->loop) < end)
		ev_run(e->loop, EVRUN_ONCE);
}

static size_t count_link(const struct rec *r, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->ev[i].kind == LINKMON_EV_LINK && strcmp(r->name[i], name) == 0)
			n++;
	return n;
}

/* vt0/vt1 down with no addresses; vt2..vt5 gone. */
static void reset_links(void)
{
	assert_int_equal(tu_ip("link", "set", "vt0", "down", NULL), 0);
	assert_int_equal(tu_ip("link", "set", "vt1", "down", NULL), 0);
	assert_int_equal(tu_ip("addr", "flush", "dev", "vt0", NULL), 0);
	(void)tu_ip("link", "del", "vt2", NULL);
	(void)tu_ip("link", "del", "vt5", NULL);
}

static int env_setup(void **state)
{
	if (no_netns) {
		*state = NULL;
		return 0;
	}
	reset_links();
	struct env *e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->rec = calloc(1, sizeof(*e->rec));
	e->loop = ev_loop_new(EVFLAG_AUTO);
	if (!e->rec || !e->loop)
		return -1;
	ev_timer_init(&e->tick, on_tick, 0.05, 0.05);
	ev_timer_start(e->loop, &e->tick);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	if (!e)
		return 0;
	linkmon_free(e->lm);
	ev_timer_stop(e->loop, &e->tick);
	ev_loop_destroy(e->loop);
	free(e->rec);
	free(e);
	return 0;
}

static void start(struct env *e, size_t rcvbuf, const char *const *names)
{
	assert_int_equal(linkmon_new(&e->lm, e->loop, rcvbuf, record, e->rec), 0);
	e->rec->lm = e->lm;
	for (; *names; names++)
		assert_int_equal(linkmon_watch(e->lm, *names), 0);
	assert_int_equal(linkmon_start(e->lm), 0);
}

/* ---- kernel tests ---------------------------------------------------- */

static void test_bad_args(void **state)
{
	(void)state;
	struct linkmon *lm = NULL;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(loop);
	assert_int_equal(linkmon_new(NULL, loop, 0, record, NULL), -EINVAL);
	assert_int_equal(linkmon_new(&lm, NULL, 0, record, NULL), -EINVAL);
	assert_int_equal(linkmon_new(&lm, loop, 0, NULL, NULL), -EINVAL);
	assert_int_equal(linkmon_new(&lm, loop, 0, record, NULL), 0);
	assert_int_equal(linkmon_watch(lm, ""), -EINVAL);
	assert_int_equal(linkmon_watch(lm, "a-name-far-too-long"), -EINVAL);
	assert_int_equal(linkmon_watch(lm, "vt0"), 0);
	assert_int_equal(linkmon_watch(lm, "vt0"), -EEXIST);
	assert_int_equal(linkmon_state(lm, "vt0", NULL), LINKMON_UNKNOWN);
	assert_int_equal(linkmon_state(lm, "other", NULL), LINKMON_UNKNOWN);
	linkmon_free(lm); /* never started: nothing to stop */
	linkmon_free(NULL);
	ev_loop_destroy(loop);
}

static void test_initial_state(void **state)
{
	TU_REQUIRE(no_netns);
	struct env *e = *state;
	static const char *const names[] = { "vt0", "ghost0", NULL };
	start(e, 0, names);
	assert_int_equal(linkmon_start(e->lm), -EINVAL); /* once only */
	long a = wait_link(e, 0, "vt0", LINKMON_DOWN);
	long g = wait_link(e, 0, "ghost0", LINKMON_ABSENT);
	assert_true(e->rec->ev[a].ifindex > 0);
	assert_false(e->rec->ev[a].flags & IFF_UP);
	assert_int_equal(e->rec->ev[g].ifindex, 0);
	int idx = -1;
	assert_int_equal(linkmon_state(e->lm, "vt0", &idx), LINKMON_DOWN);
	assert_int_equal(idx, e->rec->ev[a].ifindex);
	assert_int_equal(linkmon_state(e->lm, "ghost0", &idx), LINKMON_ABSENT);
	assert_int_equal(idx, 0);
	/* Each first state is reported once, nothing repeats. */
	run_for(e, 0.2);
	assert_int_equal(count_link(e->rec, "vt0"), 1);
	assert_int_equal(count_link(e->rec, "ghost0"), 1);
	const struct linkmon_stats *st = linkmon_stats(e->lm);
	assert_true(st->messages > 0);
	assert_int_equal(st->resyncs, 0);
	for (int d = 0; d < LINKMON_DROP__COUNT; d++)
		assert_int_equal(st->dropped[d], 0);
}

static void test_down_up(void **state)
{
	TU_REQUIRE(no_netns);
	struct env *e = *state;
	static const char *const names[] = { "vt0", NULL };
	start(e, 0, names);
	wait_link(e, 0, "vt0", LINKMON_DOWN);

	/* Up, but the peer is down: no carrier, not RUNNING, still down. */
	assert_int_equal(tu_ip("link", "set", "vt0", "up", NULL), 0);
	run_for(e, 0.2);
	assert_int_equal(linkmon_state(e->lm, "vt0", NULL), LINKMON_DOWN);
	assert_int_equal(count_link(e->rec, "vt0"), 1);

	size_t from = e->rec->n;
	assert_int_equal(tu_ip("link", "set", "vt1", "up", NULL), 0);
	long i = wait_link(e, from, "vt0", LINKMON_UP);
	assert_true(e->rec->ev[i].flags & IFF_UP);
	assert_true(e->rec->ev[i].flags & IFF_RUNNING);

	/* The peer goes down: carrier lost, down. */
	from = e->rec->n;
	assert_int_equal(tu_ip("link", "set", "vt1", "down", NULL), 0);
	i = wait_link(e, from, "vt0", LINKMON_DOWN);
	assert_true(e->rec->ev[i].flags & IFF_UP);
	assert_false(e->rec->ev[i].flags & IFF_RUNNING);

	from = e->rec->n;
	assert_int_equal(tu_ip("link", "set", "vt1", "up", NULL), 0);
	wait_link(e, from, "vt0", LINKMON_UP);

	from = e->rec->n;
	assert_int_equal(tu_ip("link", "set", "vt0", "down", NULL), 0);
	i = wait_link(e, from, "vt0", LINKMON_DOWN);
	assert_false(e->rec->ev[i].flags & IFF_UP);
}

static void test_appear_disappear_rename(void **state)
{
	TU_REQUIRE(no_netns);
	struct env *e = *state;
	static const char *const names[] = { "vt2", NULL };
	start(e, 0, names);
	wait_link(e, 0, "vt2", LINKMON_ABSENT);

	size_t from = e->rec->n;
	assert_int_equal(tu_ip("link", "add", "vt2", "type", "veth", "peer", "name", "vt3", NULL), 0);
	long i = wait_link(e, from, "vt2", LINKMON_DOWN);
	int idx = e->rec->ev[i].ifindex;
	assert_true(idx > 0);

	/* Renamed away: the watched name is gone; renamed back: here again. */
	from = e->rec->n;
	assert_int_equal(tu_ip("link", "set", "vt2", "name", "vt5", NULL), 0);
	wait_link(e, from, "vt2", LINKMON_ABSENT);
	from = e->rec->n;
	assert_int_equal(tu_ip("link", "set", "vt5", "name", "vt2", NULL), 0);
	i = wait_link(e, from, "vt2", LINKMON_DOWN);
	assert_int_equal(e->rec->ev[i].ifindex, idx);

	from = e->rec->n;
	assert_int_equal(tu_ip("link", "del", "vt2", NULL), 0);
	i = wait_link(e, from, "vt2", LINKMON_ABSENT);
	assert_int_equal(e->rec->ev[i].ifindex, 0);
	assert_int_equal(linkmon_state(e->lm, "vt2", NULL), LINKMON_ABSENT);
}

static void test_watch_after_start(void **state)
{
	TU_REQUIRE(no_netns);
	struct env *e = *state;
	static const char *const names[] = { "vt0", NULL };
	/* Added from inside the first callback (during the initial query). */
	e->rec->watch_from_cb = "ghost1";
	start(e, 0, names);
	wait_link(e, 0, "vt0", LINKMON_DOWN);
	wait_link(e, 0, "ghost1", LINKMON_ABSENT);
	/* And from outside, with the monitor idle. */
	size_t from = e->rec->n;
	assert_int_equal(linkmon_watch(e->lm, "vt1"), 0);
	long i = wait_link(e, from, "vt1", LINKMON_DOWN);
	assert_true(e->rec->ev[i].ifindex > 0);
}

static void test_addr_events(void **state)
{
	TU_REQUIRE(no_netns);
	struct env *e = *state;
	assert_int_equal(tu_ip("addr", "add", "198.18.0.1/24", "dev", "vt0", NULL), 0);
	static const char *const names[] = { "vt0", NULL };
	start(e, 0, names);
	/* The initial query reports what is there. */
	wait_addr(e, 0, "vt0", true, "198.18.0.1", 24);

	size_t from = e->rec->n;
	assert_int_equal(tu_ip("addr", "add", "198.18.0.100/24", "dev", "vt0", NULL), 0);
	long i = wait_addr(e, from, "vt0", true, "198.18.0.100", 24);
	assert_true(e->rec->ev[i].secondary);
	from = e->rec->n;
	assert_int_equal(tu_ip("addr", "del", "198.18.0.100/24", "dev", "vt0", NULL), 0);
	wait_addr(e, from, "vt0", false, "198.18.0.100", 24);
	/* Addresses on interfaces nobody watches are not reported. */
	from = e->rec->n;
	assert_int_equal(tu_ip("addr", "add", "198.18.0.2/24", "dev", "vt1", NULL), 0);
	run_for(e, 0.2);
	assert_int_equal(e->rec->n, from);
	assert_int_equal(tu_ip("addr", "flush", "dev", "vt1", NULL), 0);
}

/* Flood a tiny receive buffer while the loop is not reading: the kernel
 * drops notifications (ENOBUFS), linkmon re-queries and converges on the
 * truth, including a link change whose notification was lost. */
static void test_overrun_resync(void **state)
{
	TU_REQUIRE(no_netns);
	struct env *e = *state;
	static const char *const names[] = { "vt0", NULL };
	start(e, 1, names); /* the kernel raises it to its minimum */
	wait_link(e, 0, "vt0", LINKMON_DOWN);

	char path[] = "/tmp/test_linkmon_batch_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	for (int i = 1; i <= 200; i++)
		fprintf(f, "addr add 198.18.0.%d/32 dev vt0\n", i);
	fputs("link set vt1 up\nlink set vt0 up\n", f);
	assert_int_equal(fclose(f), 0);
	int rc = tu_ip("-batch", path, NULL);
	unlink(path);
	assert_int_equal(rc, 0);

	size_t from = e->rec->n;
	wait_link(e, from, "vt0", LINKMON_UP);
	const struct linkmon_stats *st = linkmon_stats(e->lm);
	assert_true(st->overruns >= 1);
	assert_true(st->resyncs >= 1);
	/* After the re-query the last address is reported as present. */
	wait_addr(e, from, "vt0", true, "198.18.0.200", 32);
	assert_int_equal(tu_ip("addr", "flush", "dev", "vt0", NULL), 0);
}

int main(void)
{
	/* A private network namespace with the veth pair vt0/vt1; everything
	 * dies with this process. */
	no_netns = tu_netns_veth("vt0", "vt1", no_netns_buf, sizeof(no_netns_buf));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_link_good),
		cmocka_unit_test(test_parse_addr_good),
		cmocka_unit_test(test_parse_control_and_ignored),
		cmocka_unit_test(test_parse_framing),
		cmocka_unit_test(test_parse_every_truncation),
		cmocka_unit_test(test_parse_bad_link),
		cmocka_unit_test(test_parse_bad_addr),
		cmocka_unit_test(test_parse_datagram_walk),
		cmocka_unit_test(test_parse_random),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test_setup_teardown(test_initial_state, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_down_up, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_appear_disappear_rename, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_watch_after_start, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_addr_events, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_overrun_resync, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
