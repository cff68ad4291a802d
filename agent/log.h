// SPDX-License-Identifier: GPL-2.0-or-later
// Logging for the daemon: stderr (with a millisecond time stamp) and,
// optionally, syslog. Only agent/ logs; the libraries below return facts.
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdbool.h>

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

#define log_err(lg, ...) log_msg((lg), LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(lg, ...) log_msg((lg), LOG_LVL_WARN, __VA_ARGS__)
#define log_info(lg, ...) log_msg((lg), LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(lg, ...) log_msg((lg), LOG_LVL_DEBUG, __VA_ARGS__)

#endif
