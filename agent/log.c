// SPDX-License-Identifier: GPL-2.0-or-later
// Logging for the daemon: stderr and, optionally, syslog.
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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
	/* Room for a priority explanation (up to 512) and its key=value tail. */
	char line[2048];
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

/* A value that needs no quotes: non-empty, no blank, quote, '=', backslash
 * or control character (bytes >= 0x80, UTF-8, pass as they are). */
static bool kv_bare(const char *v)
{
	if (!*v)
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '=' || *p == '\\')
			return false;
	return true;
}

/* Append c (escaped as log_kv() says) at *at; false when it does not fit
 * before end (one byte is kept for the NUL). */
static bool kv_put(char **at, const char *end, unsigned char c, bool quoted)
{
	char esc[5];
	int n;
	if (!quoted || (c >= ' ' && c != 0x7f && c != '"' && c != '\\')) {
		esc[0] = (char)c;
		n = 1;
	} else if (c == '"' || c == '\\') {
		n = snprintf(esc, sizeof(esc), "\\%c", c);
	} else if (c == '\n' || c == '\r' || c == '\t') {
		n = snprintf(esc, sizeof(esc), "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
	} else {
		n = snprintf(esc, sizeof(esc), "\\x%02x", c);
	}
	if (end - *at <= n)
		return false;
	memcpy(*at, esc, (size_t)n);
	*at += n;
	return true;
}

bool log_kv(char *buf, size_t size, const char *key, const char *value)
{
	if (!buf || size == 0)
		return false;
	size_t len = strnlen(buf, size);
	if (len == size) /* not a string: refuse rather than read past it */
		return false;
	if (!value)
		value = "";
	bool quoted = !kv_bare(value);
	char *at = buf + len;
	const char *end = buf + size;
	bool ok = kv_put(&at, end, ' ', false);
	for (const char *k = key; ok && *k; k++)
		ok = kv_put(&at, end, (unsigned char)*k, false);
	ok = ok && kv_put(&at, end, '=', false);
	if (quoted)
		ok = ok && kv_put(&at, end, '"', false);
	for (const char *v = value; ok && *v; v++)
		ok = kv_put(&at, end, (unsigned char)*v, quoted);
	if (quoted)
		ok = ok && kv_put(&at, end, '"', false);
	if (!ok) {
		buf[len] = '\0'; /* all or nothing */
		return false;
	}
	*at = '\0';
	return true;
}

bool log_kvf(char *buf, size_t size, const char *key, const char *fmt, ...)
{
	char value[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	return log_kv(buf, size, key, value);
}
