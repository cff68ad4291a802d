/* SPDX-License-Identifier: GPL-2.0-or-later */
/* repl_eval: pure verdict on one SHOW REPLICA/SLAVE STATUS row (no I/O, no clock). */
#ifndef VIGIL_REPL_EVAL_H
#define VIGIL_REPL_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"

/*
 * Columns are read by name, MariaDB's first, then MySQL 8's:
 *   Slave_IO_Running      | Replica_IO_Running      Yes / No / Connecting
 *   Slave_SQL_Running     | Replica_SQL_Running     Yes / No
 *   Seconds_Behind_Master | Seconds_Behind_Source   integer or NULL
 *   Last_SQL_Errno, Last_SQL_Error, Last_IO_Errno, Last_IO_Error (same names)
 *   Gtid_IO_Pos (MariaDB only: GTIDs received into the relay log)
 * plus, optionally, @@gtid_slave_pos (MariaDB: GTIDs applied) and the
 * server's @@read_only.
 *
 * Decision table: the first matching row wins. "lag" is the heartbeat lag
 * in heartbeat mode, else Seconds_Behind_Master (seconds, reported in ms).
 *
 * | # | rule                  | condition                                   | status   |
 * |---|-----------------------|---------------------------------------------|----------|
 * | 1 | REPL_NOT_REPLICA      | no row (replication not configured)         | ok       |
 * | 2 | REPL_NO_COLUMNS       | row without an SQL-running column           | failed   |
 * | 3 | REPL_PROMOTED         | IO and SQL threads both "No", no SQL error  | ok       |
 * |   |                       | (Last_SQL_Errno 0), @@read_only known and 0 |          |
 * | 4 | REPL_SQL_STOPPED      | SQL thread not "Yes"                        | failed   |
 * | 5 | REPL_SQL_ERROR        | SQL thread "Yes" but Last_SQL_Errno != 0    | failed   |
 * | 6 | REPL_IO_DOWN_CAUGHT_UP| IO thread not "Yes"; gtid_slave_pos covers  | ok       |
 * |   |                       | Gtid_IO_Pos (applied all it received)       |          |
 * | 7 | REPL_IO_DOWN_APPLYING | IO thread not "Yes"; applied is behind      | degraded |
 * |   |                       | received ("applied 0-1-6 of received        |          |
 * |   |                       | 0-1-206"): still applying its relay log     |          |
 * | 8 | REPL_IO_DOWN          | IO thread not "Yes"; positions unknown      | ok       |
 * | 9 | REPL_LAG_NULL         | both threads "Yes", lag NULL/absent         | failed   |
 * |10 | REPL_LAG_BAD          | lag not a number                            | failed   |
 * |11 | REPL_LAG_CRIT         | lag > crit_lag (crit_lag > 0)               | failed   |
 * |12 | REPL_LAG_WARN         | lag > warn_lag (warn_lag > 0)               | degraded |
 * |13 | REPL_LAG_OK           | otherwise                                   | ok       |
 *
 * Why row 3: a replica that vigil promoted keeps its replication settings
 * (the status row still exists) but has both threads stopped and is
 * writable. That is a healthy primary, not a broken replica; reporting it
 * failed (row 4) would take the VIP away from the server that now holds
 * the writes. Stopped without an error and writable is what a promotion
 * leaves; an SQL thread stopped by an error, "Connecting" (the IO thread
 * still runs), or read_only unknown or ON stay as rows 4-8 judge them, so
 * a replica that merely broke is never mistaken for a primary.
 *
 * Why rows 6-8: when the primary dies the replica's IO thread cannot
 * connect (Connecting, error 2003) and Seconds_Behind_Master turns NULL
 * while the SQL thread still applies the relay log. That says nothing bad
 * about this replica's data; punishing it would keep the VIP on the dead
 * primary. The data is judged by the SQL thread (rows 4-5) and by what it
 * applied of what it received: all of it is ok; not yet all of it is
 * degraded (a small, temporary penalty: it will be complete in moments, and
 * a promotion gate may want to wait for it), never failed. The IO thread's
 * state and last error are in the detail. The same holds in heartbeat mode:
 * with the IO thread down no new heartbeat can arrive, so the heartbeat lag
 * grows without saying anything about this replica; it is ignored there.
 * Row 9: with both threads running, NULL lag means replication is broken.
 */
enum repl_rule {
	REPL_NOT_REPLICA = 0,
	REPL_NO_COLUMNS,
	REPL_PROMOTED,
	REPL_SQL_STOPPED,
	REPL_SQL_ERROR,
	REPL_IO_DOWN_CAUGHT_UP,
	REPL_IO_DOWN_APPLYING,
	REPL_IO_DOWN,
	REPL_LAG_NULL,
	REPL_LAG_BAD,
	REPL_LAG_CRIT,
	REPL_LAG_WARN,
	REPL_LAG_OK,
	REPL_RULE__COUNT
};

/* "not_replica", "no_columns", ... (the rule's name in lower case). */
const char *repl_rule_name(enum repl_rule r);

/* One column of the status row; value NULL is SQL NULL. Both borrowed. */
struct repl_field {
	const char *name;
	const char *value;
};

struct repl_input {
	bool has_row;                   /* false: the statement returned no row */
	const struct repl_field *fields;
	size_t nfields;
	const char *gtid_slave_pos;     /* @@gtid_slave_pos, or NULL if unknown */
	/* @@read_only. Two flags so that a zeroed input means "unknown": only
	 * a server known to be writable can be judged promoted (row 3). */
	bool read_only_known;
	bool read_only;
	int64_t heartbeat_lag_ms;       /* heartbeat mode: measured lag; -1 otherwise */
	uint32_t warn_lag_ms;           /* 0: no degraded level */
	uint32_t crit_lag_ms;           /* 0: no failed level */
};

struct repl_verdict {
	enum check_status status;
	enum repl_rule rule;
	int64_t lag_ms;                 /* -1 when unknown */
	char detail[CHECK_DETAIL_MAX];  /* one line */
};

/* Judge one status row (see the table above). Fills *out; never fails. */
void repl_eval(const struct repl_input *in, struct repl_verdict *out);

/*
 * GTID position arithmetic on the server's text (MariaDB "D-S-N,D-S-N,...",
 * parsed by gtid_parse()): 1 if every domain of received has a sequence
 * number in applied at least as large (gtid_covers()), 0 if not, -1 if
 * either is NULL or does not parse. An empty received is covered by anything.
 */
int repl_gtid_covers(const char *applied, const char *received);

/* The value of column name (case-insensitive) in in->fields; *found tells
 * whether the column exists (its value may still be NULL). */
const char *repl_field_get(const struct repl_input *in, const char *name, bool *found);

#endif
