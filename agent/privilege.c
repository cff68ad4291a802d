// SPDX-License-Identifier: GPL-2.0-or-later
// Least privilege (privilege.h): keep five capabilities, drop the rest.
#include "privilege.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

/* Why each one: privilege.h. */
static const cap_value_t keep[] = { CAP_NET_ADMIN, CAP_NET_RAW, CAP_SETUID, CAP_SETGID, CAP_KILL };
#define N_KEEP (sizeof(keep) / sizeof(keep[0]))

static bool is_kept(cap_value_t c)
{
	for (size_t i = 0; i < N_KEEP; i++)
		if (keep[i] == c)
			return true;
	return false;
}

uint64_t privilege_kept_mask(void)
{
	uint64_t m = 0;

	for (size_t i = 0; i < N_KEEP; i++)
		m |= UINT64_C(1) << keep[i];
	return m;
}

/* Append c's name ("cap_net_raw") to buf, space-separated. */
static void add_name(char *buf, size_t len, cap_value_t c)
{
	char *name = cap_to_name(c);
	size_t used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, "%s%s", used ? " " : "", name ? name : "?");
	cap_free(name);
}

static bool has(cap_t caps, cap_value_t c, cap_flag_t set)
{
	cap_flag_value_t v = CAP_CLEAR;

	return cap_get_flag(caps, c, set, &v) == 0 && v == CAP_SET;
}

/* Whether this process holds any capability at all (a non-root vigild
 * usually does not: then there is nothing to drop). */
static bool holds_any(cap_t caps)
{
	for (cap_value_t c = 0; c < cap_max_bits(); c++)
		if (has(caps, c, CAP_PERMITTED))
			return true;
	return false;
}

int privilege_drop(struct privilege_report *rep, char *err, size_t errlen)
{
	cap_t now = NULL, next = NULL;
	char *name;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	now = cap_get_proc();
	if (!now) {
		rc = -errno;
		snprintf(err, errlen, "cannot read this process's capabilities: %s", strerror(-rc));
		return rc;
	}
	if (geteuid() != 0 && !holds_any(now)) {
		cap_free(now);
		return 0;
	}
	rep->managed = true;

	/* 1. The bounding set, while CAP_SETPCAP is still effective. It is
	 * what a root execve (vigilctl restart, a script run as root) gives
	 * back, so it must shrink first and for good. */
	for (cap_value_t c = 0; c < cap_max_bits(); c++) {
		if (is_kept(c) || cap_get_bound(c) != 1)
			continue;
		if (cap_drop_bound(c) < 0) {
			rc = -errno;
			name = cap_to_name(c);
			snprintf(err, errlen,
				 "cannot remove %s from the capability bounding set: %s (without "
				 "cap_setpcap vigild cannot drop it: keep it out of the unit's "
				 "CapabilityBoundingSet=)", name ? name : "?", strerror(-rc));
			cap_free(name);
			goto out;
		}
	}

	/* 2. Permitted and effective: the kept ones this process has (in a
	 * container it may lack some; the socket or netlink call that needs
	 * it then fails with its own message). Inheritable: none. */
	next = cap_init();
	if (!next) {
		rc = -errno;
		snprintf(err, errlen, "cap_init: %s", strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < N_KEEP; i++) {
		if (!has(now, keep[i], CAP_PERMITTED)) {
			add_name(rep->missing, sizeof(rep->missing), keep[i]);
			continue;
		}
		if (cap_set_flag(next, CAP_PERMITTED, 1, &keep[i], CAP_SET) < 0 ||
		    cap_set_flag(next, CAP_EFFECTIVE, 1, &keep[i], CAP_SET) < 0) {
			rc = -errno;
			snprintf(err, errlen, "cap_set_flag: %s", strerror(-rc));
			goto out;
		}
		add_name(rep->kept, sizeof(rep->kept), keep[i]);
	}
	if (cap_set_proc(next) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot set this process's capabilities: %s", strerror(-rc));
		goto out;
	}

	/* 3. Ambient: a root process gains nothing from it, and a child must
	 * not carry any across its own execve. */
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(-rc));
		goto out;
	}

	/* 4. Trust, but verify: nothing outside the kept set may be left in
	 * the bounding set. */
	for (cap_value_t c = 0; c < cap_max_bits(); c++) {
		if (!is_kept(c) && cap_get_bound(c) == 1) {
			rc = -EPERM;
			name = cap_to_name(c);
			snprintf(err, errlen, "%s is still in the capability bounding set",
				 name ? name : "?");
			cap_free(name);
			goto out;
		}
	}
out:
	cap_free(next);
	cap_free(now);
	return rc;
}
