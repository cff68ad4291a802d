// SPDX-License-Identifier: GPL-2.0-or-later
// systemd's notify protocol and watchdog for vigild (see service_notify.h).
#include "service_notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

/* Send one notify message; a failure is logged once per run (the
 * watchdog would otherwise repeat it every few seconds). */
static void send_state(struct service_notify *sn, const char *state)
{
	if (!sn->enabled)
		return;
	/* unset_environment 0: later messages (reload, watchdog, stop) need
	 * NOTIFY_SOCKET again. The send is a datagram to systemd, which
	 * reads its socket at once; it could only wait on a hung PID 1. */
	int rc = sd_notify(0, state);
	if (rc < 0 && !sn->failed) {
		sn->failed = true;
		log_warn(sn->log, "systemd notify: cannot send to NOTIFY_SOCKET: %s", strerror(-rc));
	}
}

void service_notify_init(struct service_notify *sn, struct ev_loop *loop,
			 const struct logger *log)
{
	*sn = (struct service_notify){ .loop = loop, .log = log };
	const char *sock = getenv("NOTIFY_SOCKET");
	sn->enabled = sock && sock[0];
	uint64_t usec = 0;
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID is this process
	 * (or unset): a watchdog meant for another process is not ours. */
	if (sn->enabled && sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		sn->watchdog_usec = usec;
}

void service_notify_ready(struct service_notify *sn, const char *status)
{
	if (!sn->enabled)
		return;
	/* One line: a newline would start another assignment. */
	char text[256] = "";
	if (status)
		snprintf(text, sizeof(text), "%s", status);
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
	char msg[320];
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s\nMAINPID=%ld", text, (long)getpid());
	send_state(sn, msg);
}

void service_notify_reloading(struct service_notify *sn)
{
	if (!sn->enabled)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char msg[96];
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	send_state(sn, msg);
}

void service_notify_stopping(struct service_notify *sn)
{
	if (sn->stopping)
		return;
	sn->stopping = true;
	send_state(sn, "STOPPING=1");
}

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	send_state(w->data, "WATCHDOG=1");
}

void service_notify_watchdog_start(struct service_notify *sn)
{
	if (!sn->watchdog_usec || ev_is_active(&sn->watchdog))
		return;
	/* Half the interval, as sd_watchdog_enabled(3) advises: one late
	 * ping does not get a healthy daemon killed. */
	ev_tstamp every = (ev_tstamp)sn->watchdog_usec / 2e6;
	ev_timer_init(&sn->watchdog, on_watchdog, every, every);
	sn->watchdog.data = sn;
	ev_timer_start(sn->loop, &sn->watchdog);
	log_info(sn->log, "systemd watchdog: WatchdogSec %llu ms, a ping every %llu ms",
		 (unsigned long long)sn->watchdog_usec / 1000,
		 (unsigned long long)sn->watchdog_usec / 2000);
	send_state(sn, "WATCHDOG=1");
}

void service_notify_watchdog_stop(struct service_notify *sn)
{
	if (sn->watchdog_usec && ev_is_active(&sn->watchdog))
		ev_timer_stop(sn->loop, &sn->watchdog);
}

uint64_t service_notify_watchdog_interval_usec(const struct service_notify *sn)
{
	return sn->watchdog_usec / 2;
}
