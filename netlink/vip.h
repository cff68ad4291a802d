/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vip: add and remove an instance's virtual IPv4 and IPv6 addresses on one interface, and undo exactly what it did. */
#ifndef VIGIL_VIP_H
#define VIGIL_VIP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A vip_set stands for the addresses one VRRP instance puts on one
 * interface. It talks to the kernel through its own synchronous
 * libnl-route socket: every call below sends one request and waits for the
 * kernel's answer on the calling thread.
 *
 * Why synchronous is fine on the event loop: an address request is handled
 * by the kernel inside sendmsg() under the RTNL lock, so the answer is
 * already queued when we read it (tens of microseconds; a full address dump
 * of a host with a few interfaces is well under a millisecond). These calls
 * happen only on state changes (becoming or leaving MASTER, start, stop),
 * never per advert. The only way to wait longer is RTNL lock contention
 * with another process reconfiguring the network; a receive timeout
 * (VIP_REPLY_TIMEOUT_MS) bounds even that, so an advert timer is never
 * held back for long.
 *
 * The interface is named, not numbered: each call resolves the name, so a
 * set can be created before its interface exists (the instance is in FAULT
 * until it appears) and keeps working when the interface is re-created
 * with a new index.
 *
 * Addresses carry no label (as keepalived by default), so `ip addr` shows a
 * VIP as a plain (usually secondary) address of the interface.
 */

/* The longest we wait for the kernel's answer to one request. */
#define VIP_REPLY_TIMEOUT_MS 1000

/*
 * One address with its prefix length, as configured ("198.18.0.100/24",
 * "2001:db8:1::100/64"). family 0 is taken as AF_INET, so an IPv4
 * address may be written { .addr = ..., .prefix = ... }.
 *
 * IPv6 addresses are added with IFA_F_NODAD: usable at once rather than
 * after Duplicate Address Detection (a second or more of "tentative",
 * during which clients cannot reach the VIP). A VIP moves between hosts
 * by design; VRRP, not DAD, decides who holds it.
 */
struct vip_addr {
	int family;          /* AF_INET (or 0) or AF_INET6 */
	struct in_addr addr; /* AF_INET: network byte order */
	struct in6_addr addr6; /* AF_INET6 */
	uint8_t prefix;      /* 0..32, 0..128 for IPv6 */
};

/* One address found on the interface (of the set's family). */
struct vip_ifaddr {
	struct vip_addr a;
	bool secondary;      /* IFA_F_SECONDARY: another address of the same subnet came first */
	uint8_t scope;       /* RT_SCOPE_*: 0 global (universe), 253 link, 254 host */
	uint32_t flags;      /* IFA_F_* (IPv6: TENTATIVE, DADFAILED, NODAD...) */
};

struct vip_set;

/*
 * Create a set for the interface named ifname (1..IFNAMSIZ-1 characters;
 * it need not exist yet) and open its netlink socket.
 * out: receives the set. err/errlen: optional buffer for a message.
 * Returns 0, -EINVAL (bad name or NULL out), -ENOMEM, or the negative
 * errno of opening the netlink socket.
 */
int vip_new(struct vip_set **out, const char *ifname, char *err, size_t errlen);

/* The family vip_list(), vip_find_present() and vip_primary() look at:
 * AF_INET (the default) or AF_INET6. vip_add() and vip_del() go by each
 * address's own family. Returns 0 or -EINVAL. */
int vip_set_family(struct vip_set *vs, int family);

/*
 * Remove every address this set holds (see vip_add), ignoring errors (each
 * is tried), close the socket and free the set. Addresses it never claimed
 * are left alone. Accepts NULL.
 */
void vip_free(struct vip_set *vs);

/* The interface name given to vip_new(). */
const char *vip_ifname(const struct vip_set *vs);

/*
 * Add address a to the interface and hold it: the set then removes it on
 * vip_release_all() and vip_free().
 * An address already present with the same prefix is success; it is held
 * from then on too (adopted), because a VIP found on the interface of a
 * node becoming MASTER was left by a crashed vigild, and leaving it behind
 * on stop would put the VIP on two nodes. (The same address with another
 * prefix is a different kernel address and is added beside it.)
 * was_present: optional; receives true if the address was already there.
 * err/errlen: optional buffer for a message.
 * Returns 0, -EINVAL (NULL or prefix > 32), -ENODEV (no such interface),
 * -ENOMEM, -ETIMEDOUT (no answer within VIP_REPLY_TIMEOUT_MS) or the
 * kernel's negative errno.
 */
int vip_add(struct vip_set *vs, const struct vip_addr *a, bool *was_present,
	    char *err, size_t errlen);

/*
 * Remove address a (same address and prefix) from the interface and stop
 * holding it. It need not be held: this is also how the caller removes
 * addresses left by a crashed vigild (see vip_find_present).
 * An absent address, or an absent interface (its addresses died with it),
 * is success. If a is the subnet's primary address and other addresses of
 * that subnet follow it, the interface's promote_secondaries is switched on
 * first, because otherwise the kernel deletes every secondary of the subnet
 * with it, possibly the host's own address.
 * was_present: optional; receives true if the address was there.
 * Returns 0, -EINVAL, -ENOMEM, -ETIMEDOUT or the kernel's negative errno.
 */
int vip_del(struct vip_set *vs, const struct vip_addr *a, bool *was_present,
	    char *err, size_t errlen);

/*
 * Remove every held address (leaving MASTER). Each one is tried; those
 * removed (or already gone) are no longer held, those that failed stay held
 * so a later call or vip_free() tries again.
 * Returns 0, or the first failure's negative errno (message in err).
 */
int vip_release_all(struct vip_set *vs, char *err, size_t errlen);

/*
 * Copy the held addresses, in the order they were added, into out (cap
 * entries). n: receives how many are held (may exceed cap: then out holds
 * the first cap). Returns 0 or -EINVAL.
 */
int vip_held(const struct vip_set *vs, struct vip_addr *out, size_t cap, size_t *n);

/*
 * List the addresses of the set's family now on the interface, in the
 * kernel's order (primaries of each subnet before their secondaries).
 * out/cap: as for vip_held; n receives the total (may exceed cap).
 * Returns 0, -ENODEV, -ENOMEM, -ETIMEDOUT or a negative errno.
 */
int vip_list(struct vip_set *vs, struct vip_ifaddr *out, size_t cap, size_t *n,
	     char *err, size_t errlen);

/*
 * Find which addresses of list (n entries, usually the instance's
 * configured VIPs) are already on the interface: left by a crashed vigild,
 * or configured by hand. Matching is on the address alone, and found[]
 * receives each as the kernel has it (with its prefix there), ready for
 * vip_del(). Held addresses are reported too. Nothing is changed.
 * found/cap: output array; n_found: receives the count (may exceed cap).
 * An absent interface has none: returns 0 with *n_found = 0.
 * Returns 0, -EINVAL, -ENOMEM, -ETIMEDOUT or a negative errno.
 */
int vip_find_present(struct vip_set *vs, const struct vip_addr *list, size_t n,
		     struct vip_addr *found, size_t cap, size_t *n_found,
		     char *err, size_t errlen);

/*
 * The interface's own IPv4 address, which VRRP sends from (RFC 5798 5.1.1.1)
 * and compares in the equal-priority tie-break (RFC 5798 6.4.3): the first
 * non-secondary address that is neither held by this set nor in exclude
 * (n_exclude entries, usually every configured VIP; matched on the address
 * alone). If every such address is secondary (a VIP was added before the
 * host's address, so the VIP is its subnet's primary), the first of them.
 * Global-scope addresses come first: a link- or host-scope address (which
 * the kernel lists before them) is taken only when there is no other, so
 * adding one (avahi-autoipd, an operator) does not change VRRP's source.
 * out: receives it in network byte order.
 * Returns 0, -EADDRNOTAVAIL (no such address), -ENODEV, -ENOMEM,
 * -ETIMEDOUT or a negative errno.
 */
int vip_primary(struct vip_set *vs, const struct vip_addr *exclude, size_t n_exclude,
		struct in_addr *out, char *err, size_t errlen);

/*
 * The interface's link-local IPv6 address, which VRRP over IPv6 sends from
 * (RFC 5798 5.1.2.1): the first of scope link that is neither tentative
 * (its Duplicate Address Detection still running) nor a failed duplicate,
 * and not in exclude. Returns 0, -EADDRNOTAVAIL (none usable yet), -ENODEV,
 * -ENOMEM, -ETIMEDOUT or a negative errno.
 */
int vip_link_local(struct vip_set *vs, const struct vip_addr *exclude, size_t n_exclude,
		   struct in6_addr *out, char *err, size_t errlen);

/*
 * The interface's own global IPv6 address, the one other hosts (a replica
 * naming its master) reach this host by: the first of scope global that is
 * not a failed duplicate, not held by this set and not in exclude (the
 * VIPs). Returns 0, -EADDRNOTAVAIL (none), -ENODEV, -ENOMEM, -ETIMEDOUT or
 * a negative errno.
 */
int vip_global6(struct vip_set *vs, const struct vip_addr *exclude, size_t n_exclude,
		struct in6_addr *out, char *err, size_t errlen);

#endif
