// SPDX-License-Identifier: GPL-2.0-or-later
// vip: add and remove an instance's virtual IPv4 and IPv6 addresses through libnl-route.
#include "vip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/ip.h> /* IPV4_DEVCONF_PROMOTE_SECONDARIES */
#include <linux/if_addr.h> /* IFA_F_SECONDARY */
#include <linux/rtnetlink.h> /* RT_SCOPE_UNIVERSE */

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet.h>

struct vip_set {
	char ifname[IFNAMSIZ];
	int family;               /* what list, find and primary look at */
	struct nl_sock *sk;       /* synchronous; NULL after a timeout until reopened */
	struct vip_addr *held;    /* what we put (or adopted) on the interface */
	size_t n_held, cap_held;
};

/* libnl folds errno into its own NLE_* codes; give callers errno back. */
static int nlerr_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0: return 0;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_EXIST: return -EEXIST;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_INTR: return -EINTR;
	/* The socket has SO_RCVTIMEO: "again" means the kernel did not answer in time. */
	case NLE_AGAIN: return -ETIMEDOUT;
	case NLE_BAD_SOCK: return -EBADF;
	case NLE_INVAL: return -EINVAL;
	case NLE_NOACCESS: return -EACCES;
	case NLE_PERM: return -EPERM;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_BUSY: return -EBUSY;
	case NLE_RANGE: return -ERANGE;
	case NLE_NODEV: return -ENODEV;
	default: return -EIO;
	}
}

static int fam(const struct vip_addr *a)
{
	return a->family == AF_INET6 ? AF_INET6 : AF_INET;
}

/* The same address, whatever the prefix. */
static bool same_ip(const struct vip_addr *x, const struct vip_addr *y)
{
	if (fam(x) != fam(y))
		return false;
	return fam(x) == AF_INET6 ? memcmp(&x->addr6, &y->addr6, sizeof(x->addr6)) == 0
				  : x->addr.s_addr == y->addr.s_addr;
}

static bool same_addr(const struct vip_addr *x, const struct vip_addr *y)
{
	return same_ip(x, y) && x->prefix == y->prefix;
}

/* Write "what A/P on IF: reason" into the caller's buffer; returns rc. */
static int report(char *err, size_t errlen, int rc, const struct vip_set *vs,
		  const char *what, const struct vip_addr *a)
{
	if (!err || errlen == 0)
		return rc;
	if (a) {
		char ip[INET6_ADDRSTRLEN];
		if (fam(a) == AF_INET6)
			inet_ntop(AF_INET6, &a->addr6, ip, sizeof(ip));
		else
			inet_ntop(AF_INET, &a->addr, ip, sizeof(ip));
		snprintf(err, errlen, "%s %s/%u on %s: %s", what, ip, (unsigned)a->prefix,
			 vs ? vs->ifname : "?", strerror(-rc));
	} else {
		snprintf(err, errlen, "%s on %s: %s", what, vs ? vs->ifname : "?", strerror(-rc));
	}
	return rc;
}

static void sock_close(struct vip_set *vs)
{
	if (vs->sk) {
		nl_socket_free(vs->sk); /* closes the fd too */
		vs->sk = NULL;
	}
}

static int sock_open(struct vip_set *vs)
{
	if (vs->sk)
		return 0;
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	int rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		nl_socket_free(sk);
		return nlerr_errno(rc);
	}
	/* Bound every wait for the kernel (see vip.h). */
	struct timeval tv = {
		.tv_sec = VIP_REPLY_TIMEOUT_MS / 1000,
		.tv_usec = (VIP_REPLY_TIMEOUT_MS % 1000) * 1000,
	};
	if (setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		rc = -errno;
		nl_socket_free(sk);
		return rc;
	}
	vs->sk = sk;
	return 0;
}

/* After a timeout a late answer may still arrive and would be read as the
 * answer to the next request: start the next one on a fresh socket. */
static int after_request(struct vip_set *vs, int rc)
{
	if (rc == -ETIMEDOUT || rc == -EBADF)
		sock_close(vs);
	return rc;
}

/* Resolve the interface and make sure the socket is open. Returns the
 * ifindex (> 0) or a negative errno. */
static int prepare(struct vip_set *vs)
{
	unsigned idx = if_nametoindex(vs->ifname);
	if (idx == 0)
		return errno == ENODEV || errno == ENXIO || errno == 0 ? -ENODEV : -errno;
	int rc = sock_open(vs);
	return rc < 0 ? rc : (int)idx;
}

static int build_addr(int ifindex, const struct vip_addr *a, struct rtnl_addr **out)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	bool v6 = fam(a) == AF_INET6;
	struct nl_addr *local = v6 ? nl_addr_build(AF_INET6, &a->addr6, sizeof(a->addr6))
				   : nl_addr_build(AF_INET, &a->addr, sizeof(a->addr));
	if (!ra || !local) {
		rtnl_addr_put(ra);
		nl_addr_put(local);
		return -ENOMEM;
	}
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, v6 ? AF_INET6 : AF_INET);
	/* See vip.h: VRRP, not Duplicate Address Detection, decides. */
	if (v6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	int rc = rtnl_addr_set_local(ra, local);
	nl_addr_put(local);
	if (rc < 0) {
		rtnl_addr_put(ra);
		return nlerr_errno(rc);
	}
	/* After set_local, which resets the prefix to the nl_addr's (32). */
	rtnl_addr_set_prefixlen(ra, a->prefix);
	*out = ra;
	return 0;
}

/* One dump of the kernel's addresses, keeping those of ifindex in the
 * set's family, in kernel order. *out is malloc'ed (NULL when none). */
static int dump_ifaddrs(struct vip_set *vs, int ifindex, struct vip_ifaddr **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct nl_cache *cache = NULL;
	int rc = rtnl_addr_alloc_cache(vs->sk, &cache);
	if (rc < 0)
		return after_request(vs, nlerr_errno(rc));

	size_t cap = 0;
	rc = 0;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(ra);
		bool v6 = vs->family == AF_INET6;
		if (rtnl_addr_get_ifindex(ra) != ifindex || rtnl_addr_get_family(ra) != vs->family ||
		    !local ||
		    nl_addr_get_len(local) != (v6 ? sizeof(struct in6_addr) : sizeof(struct in_addr)))
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct vip_ifaddr *grown = realloc(*out, ncap * sizeof(**out));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			*out = grown;
			cap = ncap;
		}
		struct vip_ifaddr *e = &(*out)[(*n)++];
		memset(e, 0, sizeof(*e));
		e->a.family = vs->family;
		if (v6)
			memcpy(&e->a.addr6, nl_addr_get_binary_addr(local), sizeof(e->a.addr6));
		else
			memcpy(&e->a.addr, nl_addr_get_binary_addr(local), sizeof(e->a.addr));
		e->a.prefix = (uint8_t)rtnl_addr_get_prefixlen(ra);
		e->flags = (uint32_t)rtnl_addr_get_flags(ra);
		e->secondary = (rtnl_addr_get_flags(ra) & IFA_F_SECONDARY) != 0;
		e->scope = (uint8_t)rtnl_addr_get_scope(ra);
	}
	nl_cache_free(cache);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static ssize_t held_index(const struct vip_set *vs, const struct vip_addr *a)
{
	for (size_t i = 0; i < vs->n_held; i++)
		if (same_addr(&vs->held[i], a))
			return (ssize_t)i;
	return -1;
}

static int hold(struct vip_set *vs, const struct vip_addr *a)
{
	if (held_index(vs, a) >= 0)
		return 0;
	if (vs->n_held == vs->cap_held) {
		size_t ncap = vs->cap_held ? vs->cap_held * 2 : 4;
		struct vip_addr *grown = realloc(vs->held, ncap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		vs->held = grown;
		vs->cap_held = ncap;
	}
	vs->held[vs->n_held++] = *a;
	return 0;
}

static void unhold(struct vip_set *vs, const struct vip_addr *a)
{
	ssize_t i = held_index(vs, a);
	if (i < 0)
		return;
	/* Keep the order of the rest: vip_held() reports it. */
	memmove(&vs->held[i], &vs->held[i + 1], (vs->n_held - (size_t)i - 1) * sizeof(vs->held[0]));
	vs->n_held--;
}

int vip_new(struct vip_set **out, const char *ifname, char *err, size_t errlen)
{
	if (!out || !ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
		return report(err, errlen, -EINVAL, NULL, "vip_new: interface name", NULL);
	*out = NULL;
	struct vip_set *vs = calloc(1, sizeof(*vs));
	if (!vs)
		return report(err, errlen, -ENOMEM, NULL, "vip_new", NULL);
	memcpy(vs->ifname, ifname, strlen(ifname) + 1);
	vs->family = AF_INET;
	int rc = sock_open(vs);
	if (rc < 0) {
		report(err, errlen, rc, vs, "netlink socket", NULL);
		free(vs);
		return rc;
	}
	*out = vs;
	return 0;
}

void vip_free(struct vip_set *vs)
{
	if (!vs)
		return;
	/* Undo exactly what we did; nothing else on the interface is touched. */
	(void)vip_release_all(vs, NULL, 0);
	sock_close(vs);
	free(vs->held);
	free(vs);
}

int vip_set_family(struct vip_set *vs, int family)
{
	if (!vs || (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	vs->family = family;
	return 0;
}

const char *vip_ifname(const struct vip_set *vs)
{
	return vs ? vs->ifname : "";
}

static bool addr_ok(const struct vip_addr *a)
{
	return a && (a->family == 0 || a->family == AF_INET || a->family == AF_INET6) &&
	       a->prefix <= (fam(a) == AF_INET6 ? 128 : 32);
}

int vip_add(struct vip_set *vs, const struct vip_addr *a, bool *was_present,
	    char *err, size_t errlen)
{
	if (was_present)
		*was_present = false;
	if (!vs || !addr_ok(a))
		return report(err, errlen, -EINVAL, vs, "add", NULL);
	int ifindex = prepare(vs);
	if (ifindex < 0)
		return report(err, errlen, ifindex, vs, "add", a);
	struct rtnl_addr *ra;
	int rc = build_addr(ifindex, a, &ra);
	if (rc < 0)
		return report(err, errlen, rc, vs, "add", a);
	/* NLM_F_EXCL rather than NLM_F_REPLACE: the kernel then tells us the
	 * address was already there (EEXIST) instead of silently rewriting
	 * it (REPLACE would also reset the lifetimes of a hand-made address),
	 * and "already there" is what the caller needs to know. */
	rc = nlerr_errno(rtnl_addr_add(vs->sk, ra, NLM_F_EXCL));
	rtnl_addr_put(ra);
	bool present = false;
	if (rc == -EEXIST) {
		present = true;
		rc = 0;
	}
	if (rc < 0)
		return report(err, errlen, after_request(vs, rc), vs, "add", a);
	if (was_present)
		*was_present = present;
	rc = hold(vs, a);
	if (rc < 0) {
		/* We could not remember it, so we could not undo it on stop:
		 * take back an address we just created. */
		if (!present && build_addr(ifindex, a, &ra) == 0) {
			rtnl_addr_delete(vs->sk, ra, 0);
			rtnl_addr_put(ra);
		}
		return report(err, errlen, rc, vs, "add", a);
	}
	return 0;
}

/* Switch promote_secondaries on for the interface (no-op if it is on). */
static int ensure_promote_secondaries(struct vip_set *vs, int ifindex)
{
	struct rtnl_link *link = NULL, *chg = NULL;
	int rc = nlerr_errno(rtnl_link_get_kernel(vs->sk, ifindex, NULL, &link));
	if (rc < 0)
		return after_request(vs, rc);
	uint32_t on = 0;
	if (rtnl_link_inet_get_conf(link, IPV4_DEVCONF_PROMOTE_SECONDARIES, &on) == 0 && on) {
		rtnl_link_put(link);
		return 0;
	}
	chg = rtnl_link_alloc();
	if (!chg) {
		rtnl_link_put(link);
		return -ENOMEM;
	}
	rc = nlerr_errno(rtnl_link_inet_set_conf(chg, IPV4_DEVCONF_PROMOTE_SECONDARIES, 1));
	if (rc == 0)
		rc = after_request(vs, nlerr_errno(rtnl_link_change(vs->sk, link, chg, 0)));
	rtnl_link_put(chg);
	rtnl_link_put(link);
	return rc;
}

/* Is a the primary of its subnet with secondaries behind it? Then deleting
 * it without promote_secondaries deletes them all (the kernel's rule for
 * IPv4 primaries), and one of them may be the host's own address. */
static int protect_secondaries(struct vip_set *vs, int ifindex, const struct vip_addr *a)
{
	/* IPv6 has no primaries and secondaries: a deletion takes one address. */
	if (fam(a) != AF_INET || vs->family != AF_INET)
		return 0;
	struct vip_ifaddr *list;
	size_t n;
	int rc = dump_ifaddrs(vs, ifindex, &list, &n);
	if (rc < 0)
		return rc;
	bool primary = false, followers = false;
	for (size_t i = 0; i < n; i++)
		if (same_addr(&list[i].a, a) && !list[i].secondary)
			primary = true;
	if (primary) {
		uint32_t mask = a->prefix ? htonl(~0u << (32 - a->prefix)) : 0;
		for (size_t i = 0; i < n; i++)
			if (list[i].secondary && list[i].a.prefix == a->prefix &&
			    ((list[i].a.addr.s_addr ^ a->addr.s_addr) & mask) == 0)
				followers = true;
	}
	free(list);
	return primary && followers ? ensure_promote_secondaries(vs, ifindex) : 0;
}

int vip_del(struct vip_set *vs, const struct vip_addr *a, bool *was_present,
	    char *err, size_t errlen)
{
	if (was_present)
		*was_present = false;
	if (!vs || !addr_ok(a))
		return report(err, errlen, -EINVAL, vs, "delete", NULL);
	int ifindex = prepare(vs);
	if (ifindex == -ENODEV) {
		/* The interface is gone and its addresses with it. */
		unhold(vs, a);
		return 0;
	}
	if (ifindex < 0)
		return report(err, errlen, ifindex, vs, "delete", a);
	int rc = protect_secondaries(vs, ifindex, a);
	if (rc < 0)
		return report(err, errlen, rc, vs, "delete (promote_secondaries)", a);
	struct rtnl_addr *ra;
	rc = build_addr(ifindex, a, &ra);
	if (rc < 0)
		return report(err, errlen, rc, vs, "delete", a);
	rc = nlerr_errno(rtnl_addr_delete(vs->sk, ra, 0));
	rtnl_addr_put(ra);
	bool present = true;
	/* EADDRNOTAVAIL: no such address; ENODEV: the interface went away
	 * between resolving it and asking. Both mean "not there": done. */
	if (rc == -EADDRNOTAVAIL || rc == -ENODEV) {
		present = false;
		rc = 0;
	}
	if (rc < 0)
		return report(err, errlen, after_request(vs, rc), vs, "delete", a);
	unhold(vs, a);
	if (was_present)
		*was_present = present;
	return 0;
}

int vip_release_all(struct vip_set *vs, char *err, size_t errlen)
{
	if (!vs)
		return -EINVAL;
	int first = 0;
	size_t i = 0;
	/* vip_del() drops a removed address from held[], so index i then
	 * already names the next one; a failure stays and i moves past it. */
	while (i < vs->n_held) {
		struct vip_addr a = vs->held[i];
		char *e = first ? NULL : err;
		int rc = vip_del(vs, &a, NULL, e, first ? 0 : errlen);
		if (rc < 0) {
			if (!first)
				first = rc;
			i++;
		}
	}
	return first;
}

int vip_held(const struct vip_set *vs, struct vip_addr *out, size_t cap, size_t *n)
{
	if (!vs || !n || (cap && !out))
		return -EINVAL;
	*n = vs->n_held;
	for (size_t i = 0; i < vs->n_held && i < cap; i++)
		out[i] = vs->held[i];
	return 0;
}

int vip_list(struct vip_set *vs, struct vip_ifaddr *out, size_t cap, size_t *n,
	     char *err, size_t errlen)
{
	if (!vs || !n || (cap && !out))
		return report(err, errlen, -EINVAL, vs, "list", NULL);
	*n = 0;
	int ifindex = prepare(vs);
	if (ifindex < 0)
		return report(err, errlen, ifindex, vs, "list", NULL);
	struct vip_ifaddr *list;
	size_t total;
	int rc = dump_ifaddrs(vs, ifindex, &list, &total);
	if (rc < 0)
		return report(err, errlen, rc, vs, "list", NULL);
	for (size_t i = 0; i < total && i < cap; i++)
		out[i] = list[i];
	*n = total;
	free(list);
	return 0;
}

static bool addr_in(const struct vip_addr *list, size_t n, const struct vip_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (same_ip(&list[i], a))
			return true;
	return false;
}

int vip_find_present(struct vip_set *vs, const struct vip_addr *list, size_t n,
		     struct vip_addr *found, size_t cap, size_t *n_found,
		     char *err, size_t errlen)
{
	if (!vs || !n_found || (n && !list) || (cap && !found))
		return report(err, errlen, -EINVAL, vs, "find", NULL);
	*n_found = 0;
	int ifindex = prepare(vs);
	if (ifindex == -ENODEV)
		return 0;
	if (ifindex < 0)
		return report(err, errlen, ifindex, vs, "find", NULL);
	struct vip_ifaddr *have;
	size_t n_have;
	int rc = dump_ifaddrs(vs, ifindex, &have, &n_have);
	if (rc < 0)
		return report(err, errlen, rc, vs, "find", NULL);
	size_t k = 0;
	for (size_t i = 0; i < n_have; i++) {
		if (!addr_in(list, n, &have[i].a))
			continue;
		if (k < cap)
			found[k] = have[i].a;
		k++;
	}
	*n_found = k;
	free(have);
	return 0;
}

int vip_primary(struct vip_set *vs, const struct vip_addr *exclude, size_t n_exclude,
		struct in_addr *out, char *err, size_t errlen)
{
	if (!vs || !out || (n_exclude && !exclude))
		return report(err, errlen, -EINVAL, vs, "primary address", NULL);
	int ifindex = prepare(vs);
	if (ifindex < 0)
		return report(err, errlen, ifindex, vs, "primary address", NULL);
	struct vip_ifaddr *have;
	size_t n_have;
	int rc = dump_ifaddrs(vs, ifindex, &have, &n_have);
	if (rc < 0)
		return report(err, errlen, rc, vs, "primary address", NULL);
	/* Rank: global and primary, global, primary, any; the first of the
	 * best rank wins (kernel order). */
	const struct vip_ifaddr *best = NULL;
	int best_rank = -1;
	for (size_t i = 0; i < n_have; i++) {
		const struct vip_ifaddr *e = &have[i];
		if (addr_in(exclude, n_exclude, &e->a) || addr_in(vs->held, vs->n_held, &e->a))
			continue;
		int rank = (e->scope == RT_SCOPE_UNIVERSE ? 2 : 0) + (e->secondary ? 0 : 1);
		if (rank > best_rank) {
			best = e;
			best_rank = rank;
		}
	}
	rc = best ? 0 : -EADDRNOTAVAIL;
	if (best)
		*out = best->a.addr;
	free(have);
	return rc ? report(err, errlen, rc, vs, "primary address", NULL) : 0;
}

int vip_link_local(struct vip_set *vs, const struct vip_addr *exclude, size_t n_exclude,
		   struct in6_addr *out, char *err, size_t errlen)
{
	if (!vs || !out || (n_exclude && !exclude) || vs->family != AF_INET6)
		return report(err, errlen, -EINVAL, vs, "link-local address", NULL);
	int ifindex = prepare(vs);
	if (ifindex < 0)
		return report(err, errlen, ifindex, vs, "link-local address", NULL);
	struct vip_ifaddr *have;
	size_t n_have;
	int rc = dump_ifaddrs(vs, ifindex, &have, &n_have);
	if (rc < 0)
		return report(err, errlen, rc, vs, "link-local address", NULL);
	rc = -EADDRNOTAVAIL;
	for (size_t i = 0; i < n_have; i++) {
		const struct vip_ifaddr *e = &have[i];
		/* A tentative address cannot be a source yet (the kernel
		 * refuses it); the address event at the end of DAD says when. */
		if (!IN6_IS_ADDR_LINKLOCAL(&e->a.addr6) ||
		    (e->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) ||
		    addr_in(exclude, n_exclude, &e->a) || addr_in(vs->held, vs->n_held, &e->a))
			continue;
		*out = e->a.addr6;
		rc = 0;
		break;
	}
	free(have);
	return rc ? report(err, errlen, rc, vs, "link-local address", NULL) : 0;
}

int vip_global6(struct vip_set *vs, const struct vip_addr *exclude, size_t n_exclude,
		struct in6_addr *out, char *err, size_t errlen)
{
	if (!vs || !out || (n_exclude && !exclude) || vs->family != AF_INET6)
		return report(err, errlen, -EINVAL, vs, "global IPv6 address", NULL);
	int ifindex = prepare(vs);
	if (ifindex < 0)
		return report(err, errlen, ifindex, vs, "global IPv6 address", NULL);
	struct vip_ifaddr *have;
	size_t n_have;
	int rc = dump_ifaddrs(vs, ifindex, &have, &n_have);
	if (rc < 0)
		return report(err, errlen, rc, vs, "global IPv6 address", NULL);
	rc = -EADDRNOTAVAIL;
	for (size_t i = 0; i < n_have; i++) {
		const struct vip_ifaddr *e = &have[i];
		if (e->scope != RT_SCOPE_UNIVERSE || IN6_IS_ADDR_LINKLOCAL(&e->a.addr6) ||
		    (e->flags & IFA_F_DADFAILED) ||
		    addr_in(exclude, n_exclude, &e->a) || addr_in(vs->held, vs->n_held, &e->a))
			continue;
		*out = e->a.addr6;
		rc = 0;
		break;
	}
	free(have);
	return rc ? report(err, errlen, rc, vs, "global IPv6 address", NULL) : 0;
}
