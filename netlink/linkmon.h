/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linkmon: watch named interfaces (present, up, IPv4 and IPv6 addresses) through rtnetlink on the libev loop. */
#ifndef VIGIL_LINKMON_H
#define VIGIL_LINKMON_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

/*
 * A linkmon owns one non-blocking rtnetlink socket subscribed to
 * RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR, read from an ev_io. The caller
 * names the interfaces it cares about (linkmon_watch); linkmon reports:
 *
 *   - LINKMON_EV_LINK when a watched interface's state changes: ABSENT (no
 *     such interface: the instance goes to FAULT until it appears), DOWN or
 *     UP. UP means IFF_UP and IFF_RUNNING: a veth whose peer is down, or a
 *     NIC without carrier, is administratively up but not running, so DOWN.
 *     Only real changes are reported (the kernel repeats RTM_NEWLINK for
 *     many reasons), plus the first state of each watch after start.
 *   - LINKMON_EV_ADDR when an IPv4 address is added to or removed from a
 *     present watched interface (also once per existing address after each
 *     full query). Treat it as "look again": ask vip_primary() for the
 *     primary address rather than tracking addresses from events, because
 *     an overrun loses removals and the full query only re-reports what
 *     exists.
 *
 * Start-up and overruns: linkmon_start() and every resync query the full
 * state (a link dump, then an IPv4 address dump). When the kernel drops
 * notifications because our receive buffer was full (recv fails with
 * ENOBUFS), a datagram was truncated, or a query got no answer within
 * LINKMON_QUERY_TIMEOUT_S, the socket is closed and reopened and the full
 * state queried again, so the reported states converge on the truth.
 *
 * Every netlink message is validated by linkmon_parse() (pure, below);
 * malformed or truncated ones are counted by reason and ignored.
 */

/* A full query not finished in this time is abandoned and started again. */
#define LINKMON_QUERY_TIMEOUT_S 2.0
/* Default receive buffer (SO_RCVBUFFORCE when root, else SO_RCVBUF). */
#define LINKMON_RCVBUF_DEFAULT (1u << 20)
/* Datagrams handled per readiness callback before yielding to the loop. */
#define LINKMON_READ_BUDGET 64

/* The state of a watched interface. */
enum linkmon_link {
	LINKMON_UNKNOWN,  /* not yet determined (never reported) */
	LINKMON_ABSENT,   /* no interface of that name */
	LINKMON_DOWN,     /* exists, but not IFF_UP or not IFF_RUNNING */
	LINKMON_UP,       /* IFF_UP and IFF_RUNNING */
};

/* "unknown", "absent", "down", "up". */
const char *linkmon_link_name(enum linkmon_link l);

enum linkmon_event_kind {
	LINKMON_EV_LINK,  /* link state changed (or first known) */
	LINKMON_EV_ADDR,  /* an IPv4 or IPv6 address was added, removed or changed */
};

/* "link", "addr". */
const char *linkmon_event_kind_name(enum linkmon_event_kind k);

/* What the callback receives; valid only during the callback. */
struct linkmon_event {
	enum linkmon_event_kind kind;
	const char *ifname;       /* the watched name */
	int ifindex;              /* 0 when ABSENT */
	enum linkmon_link link;   /* the state now */
	unsigned flags;           /* IFF_* last reported (0 when ABSENT) */
	uint8_t operstate;        /* IF_OPER_* last reported (0 when unknown) */
	/* LINKMON_EV_ADDR only: */
	bool addr_added;          /* true: added, changed (IPv6: DAD done) or found by a query; false: removed */
	int family;               /* AF_INET or AF_INET6 */
	struct in_addr addr;      /* AF_INET: network byte order */
	struct in6_addr addr6;    /* AF_INET6 */
	uint8_t prefix;
	bool secondary;           /* IFA_F_SECONDARY */
};

/* Called for each event. May call linkmon_watch(); must not call linkmon_free(). */
typedef void linkmon_cb(void *ctx, const struct linkmon_event *ev);

/* Why a netlink message was refused. */
enum linkmon_drop {
	LINKMON_DROP_NONE = 0,
	LINKMON_DROP_SHORT,        /* fewer bytes left than a netlink header */
	LINKMON_DROP_HDR_LEN,      /* nlmsg_len smaller than the header */
	LINKMON_DROP_TRUNCATED,    /* nlmsg_len beyond the bytes received */
	LINKMON_DROP_PAYLOAD,      /* payload shorter than its fixed struct */
	LINKMON_DROP_ATTR,         /* an attribute's length is impossible */
	LINKMON_DROP_IFINDEX,      /* interface index 0 or negative */
	LINKMON_DROP_IFNAME,       /* IFLA_IFNAME empty, unterminated or too long */
	LINKMON_DROP_NO_IFNAME,    /* link message without IFLA_IFNAME */
	LINKMON_DROP_PREFIX,       /* prefix length above 32 (IPv6: 128) */
	LINKMON_DROP_NO_ADDR,      /* address message without an address */
	LINKMON_DROP_NOT_KERNEL,   /* datagram not sent by the kernel (port id != 0) */
	LINKMON_DROP__COUNT
};

/* "none", "short", "header-length", "truncated", ... */
const char *linkmon_drop_name(enum linkmon_drop d);

/* Kinds of message linkmon_parse() recognises. */
enum linkmon_msg_type {
	LINKMON_MSG_IGNORED,   /* valid framing, nothing for us (other type or family) */
	LINKMON_MSG_LINK_NEW,  /* RTM_NEWLINK, AF_UNSPEC */
	LINKMON_MSG_LINK_DEL,  /* RTM_DELLINK, AF_UNSPEC */
	LINKMON_MSG_ADDR_NEW,  /* RTM_NEWADDR, AF_INET or AF_INET6 */
	LINKMON_MSG_ADDR_DEL,  /* RTM_DELADDR, AF_INET or AF_INET6 */
	LINKMON_MSG_DONE,      /* NLMSG_DONE: end of a dump */
	LINKMON_MSG_ERROR,     /* NLMSG_ERROR: error (or ack) for a request */
	LINKMON_MSG_OVERRUN,   /* NLMSG_OVERRUN */
};

/* "ignored", "link-new", "link-del", "addr-new", "addr-del", "done", "error", "overrun". */
const char *linkmon_msg_type_name(enum linkmon_msg_type t);

/* One parsed message. Fields not meaningful for its type are zero. */
struct linkmon_msg {
	enum linkmon_msg_type type;
	uint16_t nlflags;          /* nlmsg_flags (NLM_F_MULTI, NLM_F_DUMP_INTR...) */
	uint32_t seq;              /* nlmsg_seq */
	uint32_t pid;              /* nlmsg_pid */
	int ifindex;               /* LINK_* and ADDR_* */
	char ifname[IFNAMSIZ];     /* LINK_*: NUL-terminated */
	unsigned flags;            /* LINK_*: ifi_flags (IFF_*) */
	uint8_t operstate;         /* LINK_*: IFLA_OPERSTATE, 0 if absent */
	int family;                /* ADDR_*: AF_INET or AF_INET6 */
	struct in_addr addr;       /* ADDR_* AF_INET: IFA_LOCAL, else IFA_ADDRESS */
	struct in6_addr addr6;     /* ADDR_* AF_INET6: the same */
	uint8_t prefix;            /* ADDR_* */
	uint32_t ifa_flags;        /* ADDR_*: IFA_FLAGS if present, else ifa_flags */
	int error;                 /* ERROR: the negative errno (0 for an ack) */
};

/*
 * Pure: validate and decode the netlink message at the start of buf
 * (len bytes remain in the datagram). No I/O, no allocation.
 * used: receives how many bytes to skip to the next message, or 0 when the
 * framing itself is broken (SHORT, HDR_LEN, TRUNCATED) and the rest of the
 * datagram cannot be trusted. msg: filled when LINKMON_DROP_NONE is returned.
 * Returns LINKMON_DROP_NONE or the reason the message is refused (a
 * refused message with used > 0 can be skipped and the next one parsed).
 */
enum linkmon_drop linkmon_parse(const void *buf, size_t len, size_t *used,
				struct linkmon_msg *msg);

/* Counters, always on, for vigilctl. */
struct linkmon_stats {
	uint64_t datagrams;                    /* datagrams read */
	uint64_t messages;                     /* messages accepted */
	uint64_t ignored;                      /* accepted but not for us */
	uint64_t dropped[LINKMON_DROP__COUNT]; /* refused, by reason */
	uint64_t overruns;                     /* ENOBUFS from recv, NLMSG_OVERRUN */
	uint64_t truncated;                    /* datagrams larger than our buffer */
	uint64_t read_errors;                  /* other recv errors */
	uint64_t query_errors;                 /* dump request refused or timed out */
	uint64_t resyncs;                      /* full re-queries after start */
	uint64_t events;                       /* callbacks made */
};

struct linkmon;

/*
 * Create a monitor on loop (not started). rcvbuf: receive buffer size in
 * bytes, 0 for LINKMON_RCVBUF_DEFAULT. cb/ctx: the event callback.
 * Returns 0, -EINVAL or -ENOMEM.
 */
int linkmon_new(struct linkmon **out, struct ev_loop *loop, size_t rcvbuf,
		linkmon_cb *cb, void *ctx);

/*
 * Watch the interface named ifname (1..IFNAMSIZ-1 characters). Before
 * linkmon_start() it is queried at start; afterwards a new full query is
 * made, and the watch reports its first state when that query ends.
 * Returns 0, -EINVAL, -EEXIST (already watched) or -ENOMEM.
 */
int linkmon_watch(struct linkmon *lm, const char *ifname);

/*
 * Open the socket, subscribe, put its fd on the loop and query the full
 * state; the first state of each watch is reported from the loop once the
 * query completes. Returns 0, -EINVAL (NULL, already started) or the
 * negative errno of creating the socket. On later failures (a reopen after
 * an overrun) linkmon retries on its own every LINKMON_QUERY_TIMEOUT_S.
 */
int linkmon_start(struct linkmon *lm);

/*
 * The current state of a watched interface. ifindex: optional, receives
 * its index (0 when absent or unknown). Returns LINKMON_UNKNOWN for a name
 * not watched or not yet queried.
 */
enum linkmon_link linkmon_state(const struct linkmon *lm, const char *ifname, int *ifindex);

/* The counters. */
const struct linkmon_stats *linkmon_stats(const struct linkmon *lm);

/* Stop the watchers, close the socket and free. Accepts NULL. */
void linkmon_free(struct linkmon *lm);

#endif
