// SPDX-License-Identifier: GPL-2.0-or-later
// Least privilege: the capabilities vigild keeps, and dropping the rest.
#ifndef VIGIL_PRIVILEGE_H
#define VIGIL_PRIVILEGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * vigild runs as root but needs five of root's capabilities, kept in the
 * permitted and effective sets for the whole run (a reload or a link
 * coming back needs them at any time, not only at start):
 *   CAP_NET_ADMIN  the VIPs (netlink RTM_NEWADDR/DELADDR) and the link
 *                  monitor's larger receive buffer (SO_RCVBUFFORCE);
 *   CAP_NET_RAW    the raw IP protocol 112 socket (VRRP), the packet
 *                  socket for gratuitous ARP, SO_BINDTODEVICE; reopened
 *                  when an interface comes back;
 *   CAP_SETGID, CAP_SETUID
 *                  a child becomes script_user (setgroups, setgid,
 *                  setuid) before it runs a script or notify program;
 *   CAP_KILL       signal the process group of such a child (timeout,
 *                  cancel, stop): it no longer runs as root.
 * Kept even without script_user, so that a reload may set it: the
 * bounding set cannot grow back without a new start.
 *
 * Not kept, on purpose: CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (root
 * then reads only what the mode bits give root: its own files, which is
 * why mysql_defaults_file must be root's, mode 0600), CAP_NET_BIND_SERVICE
 * (metrics_listen takes a port from 1024 up), CAP_CHOWN, CAP_FOWNER,
 * CAP_SETPCAP, CAP_SYS_*, CAP_AUDIT_WRITE and the rest.
 *
 * Everything else leaves the permitted, effective, inheritable and
 * bounding sets, and the ambient set is cleared. A root process that
 * execs gets its bounding set back as permitted, so the `vigilctl restart`
 * re-execution, and a script run as root, get exactly these five; a script
 * run as script_user gets none (setuid from root clears them).
 */

/* The kept capabilities as a mask of bits (1 << CAP_xxx), as CapPrm,
 * CapEff and CapBnd show it in /proc/PID/status. */
uint64_t privilege_kept_mask(void);

#define PRIVILEGE_TEXT_MAX 160

/* What privilege_drop() did, for the start-up log line. */
struct privilege_report {
	bool managed;                      /* false: not root and no capability:
					    * nothing to drop, nothing done */
	char kept[PRIVILEGE_TEXT_MAX];     /* "cap_net_admin cap_net_raw ..." */
	char missing[PRIVILEGE_TEXT_MAX];  /* wanted, but not permitted to this
					    * process (a container); "" normally */
};

/*
 * Keep only the capabilities above. Call once, early, before reading the
 * configuration: start and reload then read files with the same rights.
 * The bounding set goes first (that needs CAP_SETPCAP, which goes next);
 * bits already gone (the unit's CapabilityBoundingSet, a re-execution)
 * are left alone.
 * Returns 0 with *rep filled, or a negative errno with err saying what
 * could not be dropped: the daemon must not run with more than it says.
 */
int privilege_drop(struct privilege_report *rep, char *err, size_t errlen);

#endif
