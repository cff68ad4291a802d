/* SPDX-License-Identifier: GPL-2.0-or-later */
/* repl_eval: pure verdict on one SHOW REPLICA/SLAVE STATUS row (no I/O, no clock). */
#include "repl_eval.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gtid.h"

static const char *const rule_names[REPL_RULE__COUNT] = {
	[REPL_NOT_REPLICA] = "not_replica",
	[REPL_NO_COLUMNS] = "no_columns",
	[REPL_PROMOTED] = "promoted",
	[REPL_SQL_STOPPED] = "sql_stopped",
	[REPL_SQL_ERROR] = "sql_error",
	[REPL_IO_DOWN_CAUGHT_UP] = "io_down_caught_up",
	[REPL_IO_DOWN_APPLYING] = "io_down_applying",
	[REPL_IO_DOWN] = "io_down",
	[REPL_LAG_NULL] = "lag_null",
	[REPL_LAG_BAD] = "lag_bad",
	[REPL_LAG_CRIT] = "lag_crit",
	[REPL_LAG_WARN] = "lag_warn",
	[REPL_LAG_OK] = "lag_ok",
};

const char *repl_rule_name(enum repl_rule r)
{
	return (unsigned)r < REPL_RULE__COUNT ? rule_names[r] : "?";
}

const char *repl_field_get(const struct repl_input *in, const char *name, bool *found)
{
	for (size_t i = 0; i < in->nfields; i++) {
		if (in->fields[i].name && strcasecmp(in->fields[i].name, name) == 0) {
			if (found)
				*found = true;
			return in->fields[i].value;
		}
	}
	if (found)
		*found = false;
	return NULL;
}

/* MariaDB's column name, else MySQL 8's. */
static const char *field2(const struct repl_input *in, const char *mariadb, const char *mysql8,
			  bool *found)
{
	const char *v = repl_field_get(in, mariadb, found);
	if (*found)
		return v;
	return repl_field_get(in, mysql8, found);
}

static bool is_yes(const char *v)
{
	return v && strcasecmp(v, "Yes") == 0;
}

static bool is_no(const char *v)
{
	return v && strcasecmp(v, "No") == 0;
}

/* Parse a non-negative decimal integer; false if v is not one. */
static bool parse_u64(const char *v, uint64_t *out)
{
	if (!v || *v < '0' || *v > '9')
		return false;
	errno = 0;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || *end != '\0')
		return false;
	*out = n;
	return true;
}

static unsigned errno_of(const char *v)
{
	uint64_t n;
	return parse_u64(v, &n) && n <= 65535 ? (unsigned)n : 0;
}

/* --- GTID positions -------------------------------------------------------- */

int repl_gtid_covers(const char *applied, const char *received)
{
	struct gtid_list a, r;
	if (gtid_parse(applied, &a, NULL, 0) || gtid_parse(received, &r, NULL, 0))
		return -1;
	return gtid_covers(&a, &r) ? 1 : 0;
}

/* --- the verdict ---------------------------------------------------------- */

static void set(struct repl_verdict *out, enum check_status st, enum repl_rule rule)
{
	out->status = st;
	out->rule = rule;
}

/* " (IO: Connecting, 2003: error text)" for the detail. */
static void io_note(const struct repl_input *in, const char *io, char *buf, size_t len)
{
	bool f;
	unsigned e = errno_of(repl_field_get(in, "Last_IO_Errno", &f));
	const char *t = repl_field_get(in, "Last_IO_Error", &f);
	if (e)
		snprintf(buf, len, "IO thread %s, %u: %s", io ? io : "NULL", e, t ? t : "");
	else
		snprintf(buf, len, "IO thread %s", io ? io : "NULL");
}

static void judge(const struct repl_input *in, struct repl_verdict *out)
{
	memset(out, 0, sizeof *out);
	out->lag_ms = -1;
	char *d = out->detail;
	const size_t dl = sizeof out->detail;

	if (!in->has_row) {
		set(out, CHECK_OK, REPL_NOT_REPLICA);
		snprintf(d, dl, "not a replica");
		return;
	}
	bool has_sql, has_io, has_lag, f;
	const char *sql = field2(in, "Slave_SQL_Running", "Replica_SQL_Running", &has_sql);
	const char *io = field2(in, "Slave_IO_Running", "Replica_IO_Running", &has_io);
	const char *lag = field2(in, "Seconds_Behind_Master", "Seconds_Behind_Source", &has_lag);
	if (!has_sql) {
		set(out, CHECK_FAILED, REPL_NO_COLUMNS);
		snprintf(d, dl, "replica status without Slave_SQL_Running/Replica_SQL_Running column");
		return;
	}
	const char *sql_errno_v = repl_field_get(in, "Last_SQL_Errno", &f);
	unsigned sql_errno = errno_of(sql_errno_v);
	const char *sql_error = repl_field_get(in, "Last_SQL_Error", &f);

	/* Row 3: both threads stopped cleanly on a writable server is what a
	 * promotion leaves behind (see repl_eval.h). This rule turns a failure
	 * into ok, so it wants positive evidence: "Connecting" is a running IO
	 * thread, so only "No" counts as stopped, and Last_SQL_Errno must read
	 * "0" (absent or garbled is not "no error"). */
	uint64_t e;
	if (is_no(sql) && has_io && is_no(io) && parse_u64(sql_errno_v, &e) && e == 0 &&
	    in->read_only_known && !in->read_only) {
		set(out, CHECK_OK, REPL_PROMOTED);
		snprintf(d, dl, "promoted: writable, replication stopped");
		return;
	}
	/* Rows 4-5: the data is judged by the SQL thread first. */
	if (!is_yes(sql)) {
		set(out, CHECK_FAILED, REPL_SQL_STOPPED);
		if (sql_errno)
			snprintf(d, dl, "SQL thread %s, %u: %s", sql ? sql : "NULL", sql_errno,
				 sql_error ? sql_error : "");
		else
			snprintf(d, dl, "SQL thread %s (stopped)", sql ? sql : "NULL");
		return;
	}
	if (sql_errno) {
		set(out, CHECK_FAILED, REPL_SQL_ERROR);
		snprintf(d, dl, "SQL thread in error, %u: %s", sql_errno, sql_error ? sql_error : "");
		return;
	}

	uint64_t secs;
	bool lag_known = lag && parse_u64(lag, &secs);
	if (lag_known)
		out->lag_ms = (int64_t)(secs > INT64_MAX / 1000 ? INT64_MAX / 1000 : secs) * 1000;

	/* Rows 6-8: the IO thread cannot reach its source (e.g. the primary is
	 * dead). Judge what was applied of what was received. */
	if (!is_yes(io)) {
		char note[120];
		io_note(in, has_io ? io : "missing", note, sizeof note);
		const char *received = repl_field_get(in, "Gtid_IO_Pos", &f);
		int cov = -1;
		if (in->gtid_slave_pos && received && *received)
			cov = repl_gtid_covers(in->gtid_slave_pos, received);
		if (cov == 1) {
			set(out, CHECK_OK, REPL_IO_DOWN_CAUGHT_UP);
			snprintf(d, dl, "applied all received (%s); %s", received, note);
		} else if (cov == 0) {
			set(out, CHECK_DEGRADED, REPL_IO_DOWN_APPLYING);
			snprintf(d, dl, "applied %s of received %s; %s", in->gtid_slave_pos, received,
				 note);
		} else {
			set(out, CHECK_OK, REPL_IO_DOWN);
			snprintf(d, dl, "SQL thread running; %s", note);
		}
		return;
	}

	/* Rows 9-13: both threads running. */
	int64_t lag_ms;
	const char *what;
	if (in->heartbeat_lag_ms >= 0) {
		lag_ms = in->heartbeat_lag_ms;
		out->lag_ms = lag_ms;
		what = "heartbeat lag";
	} else {
		if (!lag) {
			set(out, CHECK_FAILED, REPL_LAG_NULL);
			snprintf(d, dl, "Seconds_Behind_Master NULL with both threads running: broken");
			return;
		}
		if (!lag_known) {
			set(out, CHECK_FAILED, REPL_LAG_BAD);
			snprintf(d, dl, "Seconds_Behind_Master '%.40s' is not a number", lag);
			return;
		}
		lag_ms = out->lag_ms;
		what = "lag";
	}
	if (in->crit_lag_ms && lag_ms > (int64_t)in->crit_lag_ms) {
		set(out, CHECK_FAILED, REPL_LAG_CRIT);
		snprintf(d, dl, "%s %" PRId64 " ms > crit_lag %" PRIu32 " ms", what, lag_ms,
			 in->crit_lag_ms);
	} else if (in->warn_lag_ms && lag_ms > (int64_t)in->warn_lag_ms) {
		set(out, CHECK_DEGRADED, REPL_LAG_WARN);
		snprintf(d, dl, "%s %" PRId64 " ms > warn_lag %" PRIu32 " ms", what, lag_ms,
			 in->warn_lag_ms);
	} else {
		set(out, CHECK_OK, REPL_LAG_OK);
		snprintf(d, dl, "replicating, %s %" PRId64 " ms", what, lag_ms);
	}
}

/*
 * The detail is one line (repl_eval.h): health.c logs it as the human part
 * of a log line. The server's text in it is not: Last_SQL_Error quotes the
 * failed statement, newlines and tabs included, so a multi-line statement
 * that broke replication would split the log line (and a crafted one could
 * forge lines). Control characters become blanks.
 */
static void one_line(char *d)
{
	for (; *d; d++)
		if ((unsigned char)*d < 0x20 || *d == 0x7f)
			*d = ' ';
}

void repl_eval(const struct repl_input *in, struct repl_verdict *out)
{
	judge(in, out);
	one_line(out->detail);
}
