// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of repl_eval: every row of the decision table in repl_eval.h,
// with MariaDB and MySQL 8 column names, the promoted rule's table, and the
// GTID position arithmetic.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "repl_eval.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A MariaDB 10.11 row: both threads running, lag given. */
static void mariadb_row(struct repl_field *f, size_t *n, const char *io, const char *sql,
			const char *lag, const char *sql_errno, const char *io_pos)
{
	size_t i = 0;
	f[i++] = (struct repl_field){ "Slave_IO_State", "Waiting for master to send event" };
	f[i++] = (struct repl_field){ "Slave_IO_Running", io };
	f[i++] = (struct repl_field){ "Slave_SQL_Running", sql };
	f[i++] = (struct repl_field){ "Last_SQL_Errno", sql_errno };
	f[i++] = (struct repl_field){ "Last_SQL_Error", strcmp(sql_errno, "0") ? "Duplicate entry '1' for key 'PRIMARY'" : "" };
	f[i++] = (struct repl_field){ "Last_IO_Errno", strcmp(io, "Yes") ? "2003" : "0" };
	f[i++] = (struct repl_field){ "Last_IO_Error", strcmp(io, "Yes") ? "error reconnecting to master 'repl@198.18.0.11:3306'" : "" };
	f[i++] = (struct repl_field){ "Seconds_Behind_Master", lag };
	f[i++] = (struct repl_field){ "Gtid_IO_Pos", io_pos };
	*n = i;
}

static struct repl_verdict eval(const struct repl_field *f, size_t n, const char *slave_pos,
				int64_t hb)
{
	struct repl_input in = {
		.has_row = true, .fields = f, .nfields = n, .gtid_slave_pos = slave_pos,
		.heartbeat_lag_ms = hb, .warn_lag_ms = 5000, .crit_lag_ms = 30000,
	};
	struct repl_verdict v;
	repl_eval(&in, &v);
	return v;
}

static void row1_not_replica(void **s)
{
	(void)s;
	struct repl_input in = { .has_row = false, .heartbeat_lag_ms = -1 };
	struct repl_verdict v;
	repl_eval(&in, &v);
	assert_int_equal(v.status, CHECK_OK);
	assert_int_equal(v.rule, REPL_NOT_REPLICA);
	assert_string_equal(v.detail, "not a replica");
	assert_int_equal(v.lag_ms, -1);
}

static void row2_no_columns(void **s)
{
	(void)s;
	struct repl_field f[] = { { "Foo", "Yes" } };
	struct repl_verdict v = eval(f, N(f), NULL, -1);
	assert_int_equal(v.status, CHECK_FAILED);
	assert_int_equal(v.rule, REPL_NO_COLUMNS);
}

/* Promoted (row 3) against its neighbours: what tells a server vigil
 * promoted from a replica that broke. One row per case. */
enum ro { RO_UNKNOWN, RO_OFF, RO_ON };

struct promoted_case {
	const char *io, *sql, *sql_errno; /* NULL sql_errno: column absent */
	enum ro ro;
	enum check_status status;
	enum repl_rule rule;
	const char *detail; /* a substring of it */
};

static const struct promoted_case promoted_cases[] = {
	/* STOP SLAVE then SET GLOBAL read_only = 0: promoted. */
	{ "No", "No", "0", RO_OFF, CHECK_OK, REPL_PROMOTED,
	  "promoted: writable, replication stopped" },
	{ "no", "NO", "0", RO_OFF, CHECK_OK, REPL_PROMOTED, "promoted" },
	/* read_only ON or unknown: as before, the SQL thread is stopped. */
	{ "No", "No", "0", RO_ON, CHECK_FAILED, REPL_SQL_STOPPED, "SQL thread No (stopped)" },
	{ "No", "No", "0", RO_UNKNOWN, CHECK_FAILED, REPL_SQL_STOPPED, "SQL thread No (stopped)" },
	/* Stopped by an error: a broken replica, even if writable. */
	{ "No", "No", "1062", RO_OFF, CHECK_FAILED, REPL_SQL_STOPPED, "1062: Duplicate entry" },
	/* No proof of "no error". */
	{ "No", "No", NULL, RO_OFF, CHECK_FAILED, REPL_SQL_STOPPED, "SQL thread No" },
	{ "No", "No", "x", RO_OFF, CHECK_FAILED, REPL_SQL_STOPPED, "SQL thread No" },
	/* The IO thread still runs or retries: replication is not stopped. */
	{ "Connecting", "No", "0", RO_OFF, CHECK_FAILED, REPL_SQL_STOPPED, "SQL thread No" },
	{ "Yes", "No", "0", RO_OFF, CHECK_FAILED, REPL_SQL_STOPPED, "SQL thread No" },
	/* The SQL thread still runs: rows 6-13 judge it, read_only aside. */
	{ "No", "Yes", "0", RO_OFF, CHECK_OK, REPL_IO_DOWN_CAUGHT_UP, "IO thread No" },
	{ "Yes", "Yes", "0", RO_OFF, CHECK_OK, REPL_LAG_OK, "replicating" },
	{ "Yes", "Yes", "1205", RO_OFF, CHECK_FAILED, REPL_SQL_ERROR, "1205" },
};

static void row3_promoted(void **s)
{
	(void)s;
	for (size_t i = 0; i < N(promoted_cases); i++) {
		const struct promoted_case *c = &promoted_cases[i];
		struct repl_field f[] = {
			{ "Slave_IO_Running", c->io },
			{ "Slave_SQL_Running", c->sql },
			{ "Seconds_Behind_Master", strcmp(c->sql, "Yes") == 0 ? "0" : NULL },
			{ "Gtid_IO_Pos", "0-1-10" },
			{ "Last_SQL_Error", c->sql_errno && strcmp(c->sql_errno, "1062") == 0
						   ? "Duplicate entry '1' for key 'PRIMARY'" : "" },
			{ "Last_SQL_Errno", c->sql_errno },
		};
		/* Without Last_SQL_Errno the row is one column shorter. */
		size_t n = c->sql_errno ? N(f) : N(f) - 1;
		struct repl_input in = {
			.has_row = true, .fields = f, .nfields = n, .gtid_slave_pos = "0-1-10",
			.read_only_known = c->ro != RO_UNKNOWN, .read_only = c->ro == RO_ON,
			.heartbeat_lag_ms = -1, .warn_lag_ms = 5000, .crit_lag_ms = 30000,
		};
		struct repl_verdict v;
		repl_eval(&in, &v);
		if (v.status != c->status || v.rule != c->rule || !strstr(v.detail, c->detail))
			fail_msg("case %zu (IO %s, SQL %s, errno %s, ro %d): %s/%s '%s'; "
				 "want %s/%s '%s'", i, c->io, c->sql,
				 c->sql_errno ? c->sql_errno : "absent", (int)c->ro,
				 check_status_name(v.status), repl_rule_name(v.rule), v.detail,
				 check_status_name(c->status), repl_rule_name(c->rule), c->detail);
		if (v.rule == REPL_PROMOTED) {
			assert_string_equal(v.detail, "promoted: writable, replication stopped");
			assert_int_equal(v.lag_ms, -1);
		}
	}
	/* MySQL 8 names. */
	struct repl_field m[] = {
		{ "Replica_IO_Running", "No" }, { "Replica_SQL_Running", "No" },
		{ "Seconds_Behind_Source", NULL }, { "Last_SQL_Errno", "0" },
	};
	struct repl_input in = { .has_row = true, .fields = m, .nfields = N(m),
				 .read_only_known = true, .read_only = false,
				 .heartbeat_lag_ms = -1 };
	struct repl_verdict v;
	repl_eval(&in, &v);
	assert_int_equal(v.status, CHECK_OK);
	assert_int_equal(v.rule, REPL_PROMOTED);
	/* No IO column at all: not proven stopped. */
	struct repl_field no_io[] = { { "Slave_SQL_Running", "No" }, { "Last_SQL_Errno", "0" } };
	in.fields = no_io;
	in.nfields = N(no_io);
	repl_eval(&in, &v);
	assert_int_equal(v.rule, REPL_SQL_STOPPED);
	/* A zeroed input is "read_only unknown", never "writable". */
	struct repl_input zero = { .has_row = true, .fields = m, .nfields = N(m),
				   .heartbeat_lag_ms = -1 };
	repl_eval(&zero, &v);
	assert_int_equal(v.rule, REPL_SQL_STOPPED);
}

static void row4_sql_stopped(void **s)
{
	(void)s;
	struct repl_field f[12];
	size_t n;
	mariadb_row(f, &n, "Yes", "No", NULL, "0", "0-1-10");
	struct repl_verdict v = eval(f, n, "0-1-10", -1);
	assert_int_equal(v.status, CHECK_FAILED);
	assert_int_equal(v.rule, REPL_SQL_STOPPED);
	assert_non_null(strstr(v.detail, "SQL thread No"));
	/* Stopped by an error: the error number is in the detail. */
	mariadb_row(f, &n, "Yes", "No", NULL, "1062", "0-1-10");
	v = eval(f, n, "0-1-9", -1);
	assert_int_equal(v.rule, REPL_SQL_STOPPED);
	assert_non_null(strstr(v.detail, "1062: Duplicate entry"));
}

static void row5_sql_error(void **s)
{
	(void)s;
	struct repl_field f[12];
	size_t n;
	mariadb_row(f, &n, "Yes", "Yes", "0", "1205", "0-1-10");
	struct repl_verdict v = eval(f, n, "0-1-10", -1);
	assert_int_equal(v.status, CHECK_FAILED);
	assert_int_equal(v.rule, REPL_SQL_ERROR);
	assert_non_null(strstr(v.detail, "1205"));
}

/*
 * Found by test/fuzz (fuzz_repl, seed corpus/repl/sql-error-1062, captured
 * from MariaDB 10.11): Last_SQL_Error quotes the failed statement as the
 * client sent it, newlines and tabs included. The detail must stay one
 * line: health.c logs it as the human part of a log line.
 */
static void detail_one_line(void **s)
{
	(void)s;
	struct repl_field f[12];
	size_t n;
	mariadb_row(f, &n, "Yes", "No", NULL, "1062", "0-1-13");
	f[4].value = "Error 'Duplicate entry '100' for key 'PRIMARY'' on query. Default database: ''. "
		     "Query: 'INSERT INTO app.t\n\tVALUES (100, 'primary')'\r\n\x7f";
	struct repl_verdict v = eval(f, n, "0-1-13", -1);
	assert_int_equal(v.rule, REPL_SQL_STOPPED);
	assert_null(strpbrk(v.detail, "\n\r\t\x7f"));
	assert_non_null(strstr(v.detail, "Query: 'INSERT INTO app.t  VALUES (100, 'primary')'"));
	/* The IO thread's error too (rows 6-8). */
	mariadb_row(f, &n, "Connecting", "Yes", NULL, "0", "0-1-13");
	f[6].value = "error reconnecting\nto master";
	v = eval(f, n, NULL, -1);
	assert_int_equal(v.rule, REPL_IO_DOWN);
	assert_null(strchr(v.detail, '\n'));
	assert_non_null(strstr(v.detail, "error reconnecting to master"));
}

static void row6_io_down_caught_up(void **s)
{
	(void)s;
	struct repl_field f[12];
	size_t n;
	mariadb_row(f, &n, "Connecting", "Yes", NULL, "0", "0-1-206");
	struct repl_verdict v = eval(f, n, "0-1-206", -1);
	assert_int_equal(v.status, CHECK_OK);
	assert_int_equal(v.rule, REPL_IO_DOWN_CAUGHT_UP);
	assert_non_null(strstr(v.detail, "IO thread Connecting, 2003"));
	/* The heartbeat lag is ignored while the IO thread is down. */
	v = eval(f, n, "0-1-206", 999999);
	assert_int_equal(v.status, CHECK_OK);
	assert_int_equal(v.rule, REPL_IO_DOWN_CAUGHT_UP);
}

static void row7_io_down_applying(void **s)
{
	(void)s;
	struct repl_field f[12];
	size_t n;
	mariadb_row(f, &n, "Connecting", "Yes", NULL, "0", "0-1-206");
	struct repl_verdict v = eval(f, n, "0-1-6", -1);
	assert_int_equal(v.status, CHECK_DEGRADED);
	assert_int_equal(v.rule, REPL_IO_DOWN_APPLYING);
	assert_non_null(strstr(v.detail, "applied 0-1-6 of received 0-1-206"));
}

static void row8_io_down_unknown(void **s)
{
	(void)s;
	/* MySQL 8 names, no GTID columns, IO thread "No". */
	struct repl_field f[] = {
		{ "Replica_IO_Running", "No" }, { "Replica_SQL_Running", "Yes" },
		{ "Seconds_Behind_Source", NULL }, { "Last_SQL_Errno", "0" },
		{ "Last_IO_Errno", "2003" }, { "Last_IO_Error", "can't connect" },
	};
	struct repl_verdict v = eval(f, N(f), NULL, -1);
	assert_int_equal(v.status, CHECK_OK);
	assert_int_equal(v.rule, REPL_IO_DOWN);
	assert_non_null(strstr(v.detail, "IO thread No, 2003: can't connect"));
}

static void row9_lag_null(void **s)
{
	(void)s;
	struct repl_field f[12];
	size_t n;
	mariadb_row(f, &n, "Yes", "Yes", NULL, "0", "0-1-10");
	struct repl_verdict v = eval(f, n, "0-1-10", -1);
	assert_int_equal(v.status, CHECK_FAILED);
	assert_int_equal(v.rule, REPL_LAG_NULL);
	/* In heartbeat mode the heartbeat lag decides instead. */
	v = eval(f, n, "0-1-10", 300);
	assert_int_equal(v.status, CHECK_OK);
	assert_int_equal(v.lag_ms, 300);
}

static void row10_lag_bad(void **s)
{
	(void)s;
	struct repl_field f[12];
	size_t n;
	mariadb_row(f, &n, "Yes", "Yes", "12abc", "0", "0-1-10");
	struct repl_verdict v = eval(f, n, NULL, -1);
	assert_int_equal(v.status, CHECK_FAILED);
	assert_int_equal(v.rule, REPL_LAG_BAD);
}

static void row11_12_13_lag_levels(void **s)
{
	(void)s;
	struct repl_field f[12];
	size_t n;
	mariadb_row(f, &n, "Yes", "Yes", "31", "0", "0-1-10");
	struct repl_verdict v = eval(f, n, NULL, -1);
	assert_int_equal(v.status, CHECK_FAILED);
	assert_int_equal(v.rule, REPL_LAG_CRIT);
	assert_int_equal(v.lag_ms, 31000);
	mariadb_row(f, &n, "Yes", "Yes", "30", "0", "0-1-10"); /* not above crit */
	v = eval(f, n, NULL, -1);
	assert_int_equal(v.status, CHECK_DEGRADED);
	assert_int_equal(v.rule, REPL_LAG_WARN);
	mariadb_row(f, &n, "Yes", "Yes", "5", "0", "0-1-10"); /* not above warn */
	v = eval(f, n, NULL, -1);
	assert_int_equal(v.status, CHECK_OK);
	assert_int_equal(v.rule, REPL_LAG_OK);
	assert_int_equal(v.lag_ms, 5000);
	/* MySQL 8 names. */
	struct repl_field m[] = {
		{ "Replica_IO_Running", "Yes" }, { "Replica_SQL_Running", "Yes" },
		{ "Seconds_Behind_Source", "6" }, { "Last_SQL_Errno", "0" },
	};
	v = eval(m, N(m), NULL, -1);
	assert_int_equal(v.status, CHECK_DEGRADED);
	assert_int_equal(v.lag_ms, 6000);
	/* Heartbeat lag above crit. */
	v = eval(m, N(m), NULL, 45000);
	assert_int_equal(v.status, CHECK_FAILED);
	assert_int_equal(v.rule, REPL_LAG_CRIT);
	assert_non_null(strstr(v.detail, "heartbeat lag 45000 ms"));
	/* No thresholds: never degraded. */
	struct repl_input in = { .has_row = true, .fields = m, .nfields = N(m), .heartbeat_lag_ms = -1 };
	repl_eval(&in, &v);
	assert_int_equal(v.status, CHECK_OK);
}

static void gtid_covers(void **s)
{
	(void)s;
	assert_int_equal(repl_gtid_covers("0-1-206", "0-1-206"), 1);
	assert_int_equal(repl_gtid_covers("0-1-6", "0-1-206"), 0);
	assert_int_equal(repl_gtid_covers("0-2-300", "0-1-206"), 1); /* server id ignored */
	assert_int_equal(repl_gtid_covers("0-1-9,1-2-5", "1-2-5, 0-1-9"), 1);
	assert_int_equal(repl_gtid_covers("0-1-9", "0-1-9,1-2-5"), 0);
	assert_int_equal(repl_gtid_covers("0-1-9", ""), 1);
	assert_int_equal(repl_gtid_covers("", "0-1-1"), 0);
	assert_int_equal(repl_gtid_covers("x", "0-1-1"), -1);
	assert_int_equal(repl_gtid_covers("0-1", "0-1-1"), -1);
	assert_int_equal(repl_gtid_covers(NULL, "0-1-1"), -1);
	assert_int_equal(repl_gtid_covers("0-1-1", NULL), -1);
	/* Strict now: junk and signs refuse instead of half-parsing. */
	assert_int_equal(repl_gtid_covers("0-1-9,", "0-1-1"), -1);
	assert_int_equal(repl_gtid_covers("0-1-9", "0-1--1"), -1);
	assert_int_equal(repl_gtid_covers("0-1-9\n,\n1-1-3", "1-2-3,\n0-1-9"), 1);
}

static void names(void **s)
{
	(void)s;
	for (int r = 0; r < REPL_RULE__COUNT; r++)
		assert_string_not_equal(repl_rule_name((enum repl_rule)r), "?");
	assert_string_equal(repl_rule_name(REPL_RULE__COUNT), "?");
	assert_string_equal(repl_rule_name(REPL_IO_DOWN_APPLYING), "io_down_applying");
	assert_string_equal(repl_rule_name(REPL_PROMOTED), "promoted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(row1_not_replica),
		cmocka_unit_test(row2_no_columns),
		cmocka_unit_test(row3_promoted),
		cmocka_unit_test(row4_sql_stopped),
		cmocka_unit_test(row5_sql_error),
		cmocka_unit_test(detail_one_line),
		cmocka_unit_test(row6_io_down_caught_up),
		cmocka_unit_test(row7_io_down_applying),
		cmocka_unit_test(row8_io_down_unknown),
		cmocka_unit_test(row9_lag_null),
		cmocka_unit_test(row10_lag_bad),
		cmocka_unit_test(row11_12_13_lag_levels),
		cmocka_unit_test(gtid_covers),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
