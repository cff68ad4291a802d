// SPDX-License-Identifier: GPL-2.0-or-later
// The service manager's side of vigild: systemd's notify protocol
// (sd_notify) for Type=notify units, and its watchdog on the event loop.
#ifndef VIGIL_SERVICE_NOTIFY_H
#define VIGIL_SERVICE_NOTIFY_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"

/*
 * One per daemon, embedded in its owner (no allocation, so nothing can
 * fail). The fields are private to service_notify.c.
 *
 * Without NOTIFY_SOCKET in the environment (vigild started by hand, or
 * by a unit that is not Type=notify) every call is a no-op. The
 * environment is left as it is, so a vigild that re-executes itself (same
 * pid) finds NOTIFY_SOCKET and WATCHDOG_* again. Scripts never see them:
 * notify and check scripts get only PATH and VIGIL_* (notify.h,
 * checks/script.c), and the unit's NotifyAccess=main would make systemd
 * ignore them anyway.
 */
struct service_notify {
	struct ev_loop *loop;
	const struct logger *log;
	ev_timer watchdog;        /* sends WATCHDOG=1 every interval / 2 */
	uint64_t watchdog_usec;   /* systemd's WatchdogSec; 0 = no watchdog */
	bool enabled;             /* NOTIFY_SOCKET is set */
	bool stopping;            /* STOPPING=1 was sent */
	bool failed;              /* a send failed: said once, not per ping */
};

/* Read the environment (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID).
 * loop and log are borrowed and must outlive sn. Sends nothing. */
void service_notify_init(struct service_notify *sn, struct ev_loop *loop,
			 const struct logger *log);

/* READY=1 with STATUS=status (a one-line text shown by systemctl status;
 * NULL for none) and MAINPID. Sent once the daemon serves, and again
 * after every reload (it ends the RELOADING=1 state). */
void service_notify_ready(struct service_notify *sn, const char *status);

/* RELOADING=1 with MONOTONIC_USEC (systemd 253's Type=notify-reload
 * requires it; 252 ignores it). Send before a reload starts; end the
 * reload with service_notify_ready(), whether it applied or not. */
void service_notify_reloading(struct service_notify *sn);

/* STOPPING=1: a stop has begun (SIGTERM, SIGINT, or the daemon stopping
 * itself). Sent once; later calls do nothing. */
void service_notify_stopping(struct service_notify *sn);

/* Start sending WATCHDOG=1 every WatchdogSec / 2 from a timer on the
 * loop, so a loop that hangs stops the pings and systemd restarts vigild.
 * Sends the first ping at once. Does nothing without a watchdog. */
void service_notify_watchdog_start(struct service_notify *sn);

/* Stop the watchdog timer (before the loop is destroyed). Idempotent. */
void service_notify_watchdog_stop(struct service_notify *sn);

/* The watchdog's ping interval in microseconds, 0 when there is none. */
uint64_t service_notify_watchdog_interval_usec(const struct service_notify *sn);

#endif
