// SPDX-License-Identifier: GPL-2.0-or-later
// linkmon: rtnetlink link and IPv4 address events for named interfaces, on the libev loop.
#include "linkmon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Large enough for any rtnetlink datagram: the kernel sizes dump skbs from
 * our receive buffer but never above 32 KiB per datagram (and up to 64 KiB
 * with huge link messages); anything larger is counted as truncated and
 * triggers a full re-query (MSG_TRUNC tells us). */
#define LINKMON_BUF_SIZE 65536

/* Where a full query stands. */
enum query_phase {
	QUERY_IDLE,   /* nothing outstanding */
	QUERY_LINKS,  /* RTM_GETLINK dump running */
	QUERY_ADDRS,  /* RTM_GETADDR dump running */
};

struct watch {
	char name[IFNAMSIZ];
	int ifindex;              /* 0 when absent or unknown */
	enum linkmon_link link;
	unsigned flags;
	uint8_t operstate;
	unsigned judged_from;     /* first link dump generation that may declare it absent */
	unsigned seen_gen;        /* last link dump generation that saw it */
};

struct linkmon {
	struct ev_loop *loop;
	linkmon_cb *cb;
	void *ctx;
	size_t rcvbuf;
	struct nl_sock *sk;       /* NULL while closed */
	ev_io io;                 /* on the socket's fd */
	ev_timer timer;           /* query guard, and retry after a failed reopen */
	bool started;
	bool need_resync;         /* set while reading; acted on after the datagram */
	bool requery;             /* another full query when this one ends */
	enum query_phase phase;
	uint32_t query_seq;       /* nlmsg_seq of the dump in progress */
	uint32_t next_seq;
	unsigned gen;             /* link dump generation, +1 per full query */
	struct watch *w;
	size_t n_w, cap_w;
	struct linkmon_stats stats;
	uint8_t buf[LINKMON_BUF_SIZE];
};

/* ---- names ---------------------------------------------------------- */

const char *linkmon_link_name(enum linkmon_link l)
{
	switch (l) {
	case LINKMON_UNKNOWN: return "unknown";
	case LINKMON_ABSENT: return "absent";
	case LINKMON_DOWN: return "down";
	case LINKMON_UP: return "up";
	}
	return "invalid";
}

const char *linkmon_event_kind_name(enum linkmon_event_kind k)
{
	switch (k) {
	case LINKMON_EV_LINK: return "link";
	case LINKMON_EV_ADDR: return "addr";
	}
	return "invalid";
}

const char *linkmon_drop_name(enum linkmon_drop d)
{
	switch (d) {
	case LINKMON_DROP_NONE: return "none";
	case LINKMON_DROP_SHORT: return "short";
	case LINKMON_DROP_HDR_LEN: return "header-length";
	case LINKMON_DROP_TRUNCATED: return "truncated";
	case LINKMON_DROP_PAYLOAD: return "payload";
	case LINKMON_DROP_ATTR: return "attribute";
	case LINKMON_DROP_IFINDEX: return "ifindex";
	case LINKMON_DROP_IFNAME: return "ifname";
	case LINKMON_DROP_NO_IFNAME: return "no-ifname";
	case LINKMON_DROP_PREFIX: return "prefix";
	case LINKMON_DROP_NO_ADDR: return "no-address";
	case LINKMON_DROP_NOT_KERNEL: return "not-kernel";
	case LINKMON_DROP__COUNT: break;
	}
	return "invalid";
}

const char *linkmon_msg_type_name(enum linkmon_msg_type t)
{
	switch (t) {
	case LINKMON_MSG_IGNORED: return "ignored";
	case LINKMON_MSG_LINK_NEW: return "link-new";
	case LINKMON_MSG_LINK_DEL: return "link-del";
	case LINKMON_MSG_ADDR_NEW: return "addr-new";
	case LINKMON_MSG_ADDR_DEL: return "addr-del";
	case LINKMON_MSG_DONE: return "done";
	case LINKMON_MSG_ERROR: return "error";
	case LINKMON_MSG_OVERRUN: return "overrun";
	}
	return "invalid";
}

/* ---- pure parser ---------------------------------------------------- */

/* One route attribute, its payload still in the message. */
struct attr {
	uint16_t type; /* NLA_F_NESTED / NLA_F_NET_BYTEORDER stripped */
	const uint8_t *data;
	size_t len;
};

/* The attribute list after a message's fixed header: what is left of it. */
struct attr_list {
	const uint8_t *p;
	size_t left;
};

/* The attributes that follow a fixed header of hdr bytes (already checked
 * to fit) in a payload of plen bytes; the header's padding may be cut. */
static struct attr_list attrs_after(const uint8_t *p, size_t plen, size_t hdr)
{
	size_t off = NLMSG_ALIGN(hdr);
	if (off > plen)
		off = plen;
	return (struct attr_list){ .p = p + off, .left = plen - off };
}

/* The next attribute of l, validated. Returns LINKMON_DROP_NONE with *a set
 * and l moved past it, or LINKMON_DROP_ATTR. */
static enum linkmon_drop next_attr(struct attr_list *l, struct attr *a)
{
	struct rtattr h;
	if (l->left < sizeof(h))
		return LINKMON_DROP_ATTR;
	memcpy(&h, l->p, sizeof(h)); /* crafted buffers need not be aligned */
	if (h.rta_len < sizeof(h) || h.rta_len > l->left)
		return LINKMON_DROP_ATTR;
	a->type = h.rta_type & NLA_TYPE_MASK;
	a->data = l->p + RTA_LENGTH(0);
	a->len = h.rta_len - RTA_LENGTH(0);
	/* The last attribute's padding may be missing. */
	size_t step = RTA_ALIGN(h.rta_len);
	if (step > l->left)
		step = l->left;
	l->p += step;
	l->left -= step;
	return LINKMON_DROP_NONE;
}

static enum linkmon_drop parse_link(const uint8_t *p, size_t plen, struct linkmon_msg *msg)
{
	struct ifinfomsg ifi;
	if (plen < sizeof(ifi))
		return LINKMON_DROP_PAYLOAD;
	memcpy(&ifi, p, sizeof(ifi));
	/* AF_BRIDGE (and other per-family) link messages describe ports,
	 * not the interface's own state. */
	if (ifi.ifi_family != AF_UNSPEC) {
		msg->type = LINKMON_MSG_IGNORED;
		return LINKMON_DROP_NONE;
	}
	if (ifi.ifi_index <= 0)
		return LINKMON_DROP_IFINDEX;
	struct attr_list l = attrs_after(p, plen, sizeof(ifi));
	bool named = false;
	while (l.left > 0) {
		struct attr a;
		enum linkmon_drop d = next_attr(&l, &a);
		if (d != LINKMON_DROP_NONE)
			return d;
		if (a.type == IFLA_IFNAME) {
			const uint8_t *nul = memchr(a.data, '\0', a.len);
			if (!nul || nul == a.data || (size_t)(nul - a.data) >= IFNAMSIZ)
				return LINKMON_DROP_IFNAME;
			memcpy(msg->ifname, a.data, (size_t)(nul - a.data) + 1);
			named = true;
		} else if (a.type == IFLA_OPERSTATE) {
			if (a.len < 1)
				return LINKMON_DROP_ATTR;
			msg->operstate = a.data[0];
		}
	}
	if (!named)
		return LINKMON_DROP_NO_IFNAME;
	msg->ifindex = ifi.ifi_index;
	msg->flags = ifi.ifi_flags;
	return LINKMON_DROP_NONE;
}

static enum linkmon_drop parse_addr(const uint8_t *p, size_t plen, struct linkmon_msg *msg)
{
	struct ifaddrmsg ifa;
	if (plen < sizeof(ifa))
		return LINKMON_DROP_PAYLOAD;
	memcpy(&ifa, p, sizeof(ifa));
	if (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6) {
		msg->type = LINKMON_MSG_IGNORED;
		return LINKMON_DROP_NONE;
	}
	bool v6 = ifa.ifa_family == AF_INET6;
	size_t alen = v6 ? sizeof(struct in6_addr) : sizeof(struct in_addr);
	if (ifa.ifa_prefixlen > (v6 ? 128 : 32))
		return LINKMON_DROP_PREFIX;
	if (ifa.ifa_index == 0 || ifa.ifa_index > (uint32_t)INT32_MAX)
		return LINKMON_DROP_IFINDEX;
	struct attr_list l = attrs_after(p, plen, sizeof(ifa));
	bool have_local = false, have_address = false;
	uint8_t local[16] = { 0 }, address[16] = { 0 };
	uint32_t flags = ifa.ifa_flags;
	while (l.left > 0) {
		struct attr a;
		enum linkmon_drop d = next_attr(&l, &a);
		if (d != LINKMON_DROP_NONE)
			return d;
		if (a.type == IFA_LOCAL || a.type == IFA_ADDRESS) {
			if (a.len != alen)
				return LINKMON_DROP_ATTR;
			memcpy(a.type == IFA_LOCAL ? local : address, a.data, alen);
			*(a.type == IFA_LOCAL ? &have_local : &have_address) = true;
		} else if (a.type == IFA_FLAGS) {
			/* The 32-bit flags; ifa_flags holds only the low 8. */
			if (a.len < sizeof(uint32_t))
				return LINKMON_DROP_ATTR;
			memcpy(&flags, a.data, sizeof(flags));
		}
	}
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer
	 * on point-to-point links and equal to it elsewhere. */
	if (!have_local && !have_address)
		return LINKMON_DROP_NO_ADDR;
	msg->family = ifa.ifa_family;
	if (v6)
		memcpy(&msg->addr6, have_local ? local : address, alen);
	else
		memcpy(&msg->addr, have_local ? local : address, alen);
	msg->ifindex = (int)ifa.ifa_index;
	msg->prefix = ifa.ifa_prefixlen;
	msg->ifa_flags = flags;
	return LINKMON_DROP_NONE;
}

enum linkmon_drop linkmon_parse(const void *buf, size_t len, size_t *used,
				struct linkmon_msg *msg)
{
	*used = 0;
	memset(msg, 0, sizeof(*msg));
	struct nlmsghdr h;
	if (!buf || len < sizeof(h))
		return LINKMON_DROP_SHORT;
	memcpy(&h, buf, sizeof(h));
	if (h.nlmsg_len < NLMSG_HDRLEN)
		return LINKMON_DROP_HDR_LEN;
	if (h.nlmsg_len > len)
		return LINKMON_DROP_TRUNCATED;
	/* From here the message's extent is known: a bad body can be skipped. */
	size_t step = NLMSG_ALIGN(h.nlmsg_len);
	*used = step < len ? step : len;

	msg->nlflags = h.nlmsg_flags;
	msg->seq = h.nlmsg_seq;
	msg->pid = h.nlmsg_pid;
	const uint8_t *p = (const uint8_t *)buf + NLMSG_HDRLEN;
	size_t plen = h.nlmsg_len - NLMSG_HDRLEN;
	enum linkmon_drop d = LINKMON_DROP_NONE;
	switch (h.nlmsg_type) {
	case NLMSG_DONE:
		msg->type = LINKMON_MSG_DONE;
		break;
	case NLMSG_OVERRUN:
		msg->type = LINKMON_MSG_OVERRUN;
		break;
	case NLMSG_ERROR: {
		int e;
		/* Without NETLINK_CAP_ACK the original request follows; only
		 * the error code is needed. */
		if (plen < sizeof(e)) {
			d = LINKMON_DROP_PAYLOAD;
			break;
		}
		memcpy(&e, p, sizeof(e));
		msg->type = LINKMON_MSG_ERROR;
		msg->error = e;
		break;
	}
	case RTM_NEWLINK:
	case RTM_DELLINK:
		msg->type = h.nlmsg_type == RTM_NEWLINK ? LINKMON_MSG_LINK_NEW : LINKMON_MSG_LINK_DEL;
		d = parse_link(p, plen, msg);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		msg->type = h.nlmsg_type == RTM_NEWADDR ? LINKMON_MSG_ADDR_NEW : LINKMON_MSG_ADDR_DEL;
		d = parse_addr(p, plen, msg);
		break;
	default:
		msg->type = LINKMON_MSG_IGNORED;
		break;
	}
	if (d != LINKMON_DROP_NONE) {
		size_t keep = *used;
		memset(msg, 0, sizeof(*msg));
		*used = keep;
	}
	return d;
}

/* ---- state and events ----------------------------------------------- */

static enum linkmon_link link_of(unsigned flags)
{
	/* IFF_RUNNING is the kernel's "operationally up" (operstate UP or
	 * UNKNOWN): without it (no carrier, veth peer down) nothing passes. */
	return (flags & IFF_UP) && (flags & IFF_RUNNING) ? LINKMON_UP : LINKMON_DOWN;
}

static void emit(struct linkmon *lm, const struct watch *w, const struct linkmon_event *base)
{
	/* Copy the name: the callback may call linkmon_watch(), which may
	 * move the watch array under the event it is reading. */
	char name[IFNAMSIZ];
	memcpy(name, w->name, sizeof(name));
	struct linkmon_event ev = *base;
	ev.ifname = name;
	ev.ifindex = w->ifindex;
	ev.link = w->link;
	ev.flags = w->flags;
	ev.operstate = w->operstate;
	lm->stats.events++;
	lm->cb(lm->ctx, &ev);
}

static void set_state(struct linkmon *lm, size_t i, int ifindex, enum linkmon_link link,
		      unsigned flags, uint8_t operstate)
{
	struct watch *w = &lm->w[i];
	bool changed = w->link != link || w->ifindex != ifindex;
	w->ifindex = ifindex;
	w->link = link;
	w->flags = flags;
	w->operstate = operstate;
	if (changed) {
		struct linkmon_event ev = { .kind = LINKMON_EV_LINK };
		emit(lm, w, &ev);
	}
}

static void on_link(struct linkmon *lm, const struct linkmon_msg *m)
{
	/* Index loops: a callback may grow lm->w. */
	for (size_t i = 0; i < lm->n_w; i++) {
		struct watch *w = &lm->w[i];
		if (m->type == LINKMON_MSG_LINK_DEL) {
			if (w->ifindex == m->ifindex)
				set_state(lm, i, 0, LINKMON_ABSENT, 0, 0);
		} else if (strcmp(w->name, m->ifname) == 0) {
			w->seen_gen = lm->gen;
			set_state(lm, i, m->ifindex, link_of(m->flags), m->flags, m->operstate);
		} else if (w->ifindex == m->ifindex) {
			/* Renamed away: the watched name no longer exists. */
			set_state(lm, i, 0, LINKMON_ABSENT, 0, 0);
		}
	}
}

static void on_addr(struct linkmon *lm, const struct linkmon_msg *m)
{
	for (size_t i = 0; i < lm->n_w; i++) {
		if (lm->w[i].ifindex != m->ifindex || lm->w[i].ifindex == 0)
			continue;
		struct linkmon_event ev = {
			.kind = LINKMON_EV_ADDR,
			.addr_added = m->type == LINKMON_MSG_ADDR_NEW,
			.family = m->family,
			.addr = m->addr,
			.addr6 = m->addr6,
			.prefix = m->prefix,
			.secondary = (m->ifa_flags & IFA_F_SECONDARY) != 0,
		};
		emit(lm, &lm->w[i], &ev);
	}
}

/* The link dump is complete: a watch it did not see does not exist. */
static void judge_absent(struct linkmon *lm)
{
	for (size_t i = 0; i < lm->n_w; i++) {
		struct watch *w = &lm->w[i];
		if (w->judged_from <= lm->gen && w->seen_gen != lm->gen)
			set_state(lm, i, 0, LINKMON_ABSENT, 0, 0);
	}
}

/* ---- socket and queries --------------------------------------------- */

static int nlerr_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0: return 0;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_NOACCESS: return -EACCES;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_BAD_SOCK: return -EBADF;
	case NLE_INVAL: return -EINVAL;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	default: return -EIO;
	}
}

static void arm_timer(struct linkmon *lm, double after)
{
	ev_timer_stop(lm->loop, &lm->timer);
	ev_timer_set(&lm->timer, after, 0.);
	ev_timer_start(lm->loop, &lm->timer);
}

static void sock_close(struct linkmon *lm)
{
	ev_io_stop(lm->loop, &lm->io);
	if (lm->sk) {
		nl_socket_free(lm->sk);
		lm->sk = NULL;
	}
	lm->phase = QUERY_IDLE;
}

static void on_readable(struct ev_loop *loop, ev_io *io, int revents);

static int sock_open(struct linkmon *lm)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	/* We match dump replies by our own sequence numbers and read the
	 * socket ourselves; libnl only connects, subscribes and sends. */
	nl_socket_disable_seq_check(sk);
	nl_socket_disable_auto_ack(sk);
	int rc = nlerr_errno(nl_connect(sk, NETLINK_ROUTE));
	/* Subscribe before querying, so no change falls between the two. */
	if (rc == 0)
		rc = nlerr_errno(nl_socket_add_memberships(sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
							       RTNLGRP_IPV6_IFADDR, 0));
	if (rc == 0)
		rc = nlerr_errno(nl_socket_set_nonblocking(sk));
	if (rc == 0) {
		int fd = nl_socket_get_fd(sk);
		int size = lm->rcvbuf > INT32_MAX / 2 ? INT32_MAX / 2 : (int)lm->rcvbuf;
		/* FORCE passes net.core.rmem_max when we have CAP_NET_ADMIN. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		nl_socket_free(sk);
		return rc;
	}
	lm->sk = sk;
	ev_io_init(&lm->io, on_readable, nl_socket_get_fd(sk), EV_READ);
	ev_io_start(lm->loop, &lm->io);
	return 0;
}

static int send_dump(struct linkmon *lm, int type)
{
	struct nl_msg *m = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_DUMP);
	if (!m)
		return -ENOMEM;
	int rc;
	if (type == RTM_GETLINK) {
		struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
		rc = nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	} else {
		/* Both families: an IPv6 instance follows its link-local address. */
		struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
		rc = nlmsg_append(m, &ifa, sizeof(ifa), NLMSG_ALIGNTO);
	}
	if (rc == 0) {
		if (++lm->next_seq == 0) /* 0 is what notifications carry */
			lm->next_seq = 1;
		lm->query_seq = lm->next_seq;
		nlmsg_hdr(m)->nlmsg_seq = lm->query_seq;
		rc = nl_send_auto(lm->sk, m);
	}
	nlmsg_free(m);
	return rc < 0 ? nlerr_errno(rc) : 0;
}

/* Start a full query: links, then (on its NLMSG_DONE) IPv4 addresses. */
static void query_start(struct linkmon *lm)
{
	lm->gen++;
	int rc = lm->sk ? send_dump(lm, RTM_GETLINK) : -EBADF;
	if (rc < 0) {
		/* The guard timer reopens the socket and tries again. */
		lm->stats.query_errors++;
		lm->phase = QUERY_IDLE;
		arm_timer(lm, LINKMON_QUERY_TIMEOUT_S);
		return;
	}
	lm->phase = QUERY_LINKS;
	arm_timer(lm, LINKMON_QUERY_TIMEOUT_S);
}

/* Forget the socket and everything in flight; reopen and query it all. */
static void resync(struct linkmon *lm)
{
	lm->stats.resyncs++;
	lm->need_resync = false;
	lm->requery = false;
	sock_close(lm);
	if (sock_open(lm) < 0) {
		lm->stats.query_errors++;
		arm_timer(lm, LINKMON_QUERY_TIMEOUT_S);
		return;
	}
	query_start(lm);
}

static void on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	struct linkmon *lm = container_of(t, struct linkmon, timer);
	/* A query that never ended (or a socket that could not be opened). */
	if (lm->phase != QUERY_IDLE)
		lm->stats.query_errors++;
	resync(lm);
}

static void on_done(struct linkmon *lm)
{
	if (lm->phase == QUERY_LINKS) {
		judge_absent(lm);
		int rc = send_dump(lm, RTM_GETADDR);
		if (rc < 0) {
			lm->stats.query_errors++;
			lm->need_resync = true;
			return;
		}
		lm->phase = QUERY_ADDRS;
		return;
	}
	lm->phase = QUERY_IDLE;
	ev_timer_stop(lm->loop, &lm->timer);
	if (lm->requery) {
		lm->requery = false;
		query_start(lm);
	}
}

static void handle_msg(struct linkmon *lm, const struct linkmon_msg *m)
{
	bool ours = lm->phase != QUERY_IDLE && m->seq == lm->query_seq;
	/* The kernel flags a dump that raced with changes: its snapshot may
	 * be inconsistent, so take another once it ends. */
	if (ours && (m->nlflags & NLM_F_DUMP_INTR))
		lm->requery = true;
	switch (m->type) {
	case LINKMON_MSG_LINK_NEW:
	case LINKMON_MSG_LINK_DEL:
		on_link(lm, m);
		break;
	case LINKMON_MSG_ADDR_NEW:
	case LINKMON_MSG_ADDR_DEL:
		on_addr(lm, m);
		break;
	case LINKMON_MSG_DONE:
		if (ours)
			on_done(lm);
		break;
	case LINKMON_MSG_ERROR:
		/* A refused dump: the guard timer starts it again. */
		if (ours && m->error != 0)
			lm->stats.query_errors++;
		break;
	case LINKMON_MSG_OVERRUN:
		lm->stats.overruns++;
		lm->need_resync = true;
		break;
	case LINKMON_MSG_IGNORED:
		lm->stats.ignored++;
		break;
	}
}

static void handle_datagram(struct linkmon *lm, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	/* Bounded: every accepted or skipped message consumes >= 16 bytes. */
	while (off < len && !lm->need_resync) {
		struct linkmon_msg m;
		size_t used;
		enum linkmon_drop d = linkmon_parse(buf + off, len - off, &used, &m);
		if (d != LINKMON_DROP_NONE) {
			lm->stats.dropped[d]++;
			if (used == 0)
				return; /* framing broken: the rest is unreadable */
			off += used;
			continue;
		}
		lm->stats.messages++;
		off += used;
		handle_msg(lm, &m);
	}
}

static void on_readable(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	struct linkmon *lm = container_of(io, struct linkmon, io);
	for (int i = 0; i < LINKMON_READ_BUDGET; i++) {
		struct sockaddr_nl from;
		socklen_t flen = sizeof(from);
		memset(&from, 0, sizeof(from));
		/* MSG_TRUNC: return the real length, so a datagram larger than
		 * our buffer is noticed instead of silently cut. */
		ssize_t n = recvfrom(io->fd, lm->buf, sizeof(lm->buf), MSG_TRUNC | MSG_DONTWAIT,
				     (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* ENOBUFS: the kernel dropped notifications for us. */
			if (errno == ENOBUFS)
				lm->stats.overruns++;
			else
				lm->stats.read_errors++;
			resync(lm);
			return;
		}
		lm->stats.datagrams++;
		if ((size_t)n > sizeof(lm->buf)) {
			lm->stats.truncated++;
			resync(lm);
			return;
		}
		/* Only the kernel (port 0) speaks for the network state. */
		if (flen < sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0) {
			lm->stats.dropped[LINKMON_DROP_NOT_KERNEL]++;
			continue;
		}
		handle_datagram(lm, lm->buf, (size_t)n);
		if (lm->need_resync) {
			resync(lm);
			return;
		}
	}
}

/* ---- public --------------------------------------------------------- */

int linkmon_new(struct linkmon **out, struct ev_loop *loop, size_t rcvbuf,
		linkmon_cb *cb, void *ctx)
{
	if (!out || !loop || !cb)
		return -EINVAL;
	*out = NULL;
	struct linkmon *lm = calloc(1, sizeof(*lm));
	if (!lm)
		return -ENOMEM;
	lm->loop = loop;
	lm->cb = cb;
	lm->ctx = ctx;
	lm->rcvbuf = rcvbuf ? rcvbuf : LINKMON_RCVBUF_DEFAULT;
	ev_io_init(&lm->io, on_readable, -1, EV_READ);
	ev_timer_init(&lm->timer, on_timer, 0., 0.);
	*out = lm;
	return 0;
}

int linkmon_watch(struct linkmon *lm, const char *ifname)
{
	if (!lm || !ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	for (size_t i = 0; i < lm->n_w; i++)
		if (strcmp(lm->w[i].name, ifname) == 0)
			return -EEXIST;
	if (lm->n_w == lm->cap_w) {
		size_t ncap = lm->cap_w ? lm->cap_w * 2 : 4;
		struct watch *grown = realloc(lm->w, ncap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		lm->w = grown;
		lm->cap_w = ncap;
	}
	struct watch *w = &lm->w[lm->n_w++];
	memset(w, 0, sizeof(*w));
	memcpy(w->name, ifname, strlen(ifname) + 1);
	w->link = LINKMON_UNKNOWN;
	/* A link dump already running may have passed this name before the
	 * watch existed: only the next full query may call it absent. */
	w->judged_from = lm->gen + 1;
	if (lm->started) {
		if (lm->phase == QUERY_IDLE && lm->sk)
			query_start(lm);
		else
			lm->requery = true;
	}
	return 0;
}

int linkmon_start(struct linkmon *lm)
{
	if (!lm || lm->started)
		return -EINVAL;
	int rc = sock_open(lm);
	if (rc < 0)
		return rc;
	lm->started = true;
	query_start(lm);
	return 0;
}

enum linkmon_link linkmon_state(const struct linkmon *lm, const char *ifname, int *ifindex)
{
	if (ifindex)
		*ifindex = 0;
	if (!lm || !ifname)
		return LINKMON_UNKNOWN;
	for (size_t i = 0; i < lm->n_w; i++) {
		if (strcmp(lm->w[i].name, ifname) == 0) {
			if (ifindex)
				*ifindex = lm->w[i].ifindex;
			return lm->w[i].link;
		}
	}
	return LINKMON_UNKNOWN;
}

const struct linkmon_stats *linkmon_stats(const struct linkmon *lm)
{
	return &lm->stats;
}

void linkmon_free(struct linkmon *lm)
{
	if (!lm)
		return;
	ev_timer_stop(lm->loop, &lm->timer);
	sock_close(lm);
	free(lm->w);
	free(lm);
}
