// SPDX-License-Identifier: GPL-2.0-or-later
// Logging for the daemon: stderr (with a millisecond time stamp) and,
// optionally, syslog. Only agent/ logs; the libraries below return facts.
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Where log lines go. One per process, owned by main and passed down. */
struct logger {
	enum log_level max_level; /* lines above this level are dropped */
	bool to_stderr;
	bool to_syslog;
};

/* Name of a level as printed ("error", "warning", "info", "debug"). */
const char *log_level_name(enum log_level level);

/* Start logging: opens syslog (ident "vigild") when to_syslog is set. */
void log_open(struct logger *lg, enum log_level max_level, bool to_stderr, bool to_syslog);

/* Stop logging: closes syslog if it was opened. Accepts NULL. */
void log_close(struct logger *lg);

/* Write one line (no trailing newline needed) at level. */
void log_msg(const struct logger *lg, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Machine-readable tails of log lines: the events an operator's tools
 * follow (transitions, priority changes, check status changes) end in
 * " key=value" pairs after the human text, e.g.
 *   instance db: BACKUP -> MASTER (master-down; priority 150)
 *       event=transition instance=db from=BACKUP to=MASTER reason=master-down priority=150
 * (one line). The human text comes first so that greps for it keep working.
 *
 * log_kv() appends " key=value" to the NUL-terminated string in buf (size
 * bytes in all). value is written bare when it is non-empty and made of
 * printable characters other than space, '"', '=' and '\'; otherwise in
 * double quotes, with '"' and '\' escaped by a backslash and control
 * characters as \n, \r, \t or \xHH, so the line stays one line. NULL is
 * written as "". key is written as given (a fixed identifier).
 * All or nothing: a pair that does not fit is left out whole, so a reader
 * never sees half a quoted value. Returns true when the pair was appended.
 */
bool log_kv(char *buf, size_t size, const char *key, const char *value);

/* log_kv() with the value formatted printf-style (values up to 255 bytes). */
bool log_kvf(char *buf, size_t size, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_err(lg, ...) log_msg((lg), LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(lg, ...) log_msg((lg), LOG_LVL_WARN, __VA_ARGS__)
#define log_info(lg, ...) log_msg((lg), LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(lg, ...) log_msg((lg), LOG_LVL_DEBUG, __VA_ARGS__)

#endif
