// SPDX-License-Identifier: GPL-2.0-or-later
// Logging for the daemon: stderr and, optionally, syslog.
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

const char *log_level_name(enum log_level level)
{
	switch (level) {
	case LOG_LVL_ERR: return "error";
	case LOG_LVL_WARN: return "warning";
	case LOG_LVL_INFO: return "info";
	case LOG_LVL_DEBUG: return "debug";
	}
	return "unknown";
}

void log_open(struct logger *lg, enum log_level max_level, bool to_stderr, bool to_syslog)
{
	lg->max_level = max_level;
	lg->to_stderr = to_stderr;
	lg->to_syslog = to_syslog;
	if (to_syslog)
		openlog("vigild", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_close(struct logger *lg)
{
	if (lg && lg->to_syslog) {
		closelog();
		lg->to_syslog = false;
	}
}

static int syslog_priority(enum log_level level)
{
	switch (level) {
	case LOG_LVL_ERR: return LOG_ERR;
	case LOG_LVL_WARN: return LOG_WARNING;
	case LOG_LVL_INFO: return LOG_INFO;
	case LOG_LVL_DEBUG: return LOG_DEBUG;
	}
	return LOG_INFO;
}

void log_msg(const struct logger *lg, enum log_level level, const char *fmt, ...)
{
	if (level > lg->max_level)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	if (lg->to_stderr) {
		/* Millisecond wall-clock stamps: failover is judged in ms,
		 * and operators line these up with client logs. */
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "%02d:%02d:%02d.%03ld vigild %s: %s\n", tm.tm_hour, tm.tm_min,
			tm.tm_sec, ts.tv_nsec / 1000000, log_level_name(level), line);
	}
	if (lg->to_syslog)
		syslog(syslog_priority(level), "%s", line);
}
