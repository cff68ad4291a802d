/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for checks/repl_eval.c: a SHOW SLAVE STATUS row, as mysql -e '...\G' prints it, judged by repl_eval. */
/*
 * checks/mysql_replication.c copies the status row column by column (at
 * most 96 columns, names and values as the server sent them, SQL NULL as
 * a NULL value), reads @@gtid_slave_pos and @@read_only ("0" or "1", else
 * unknown) and in heartbeat mode the lag in microseconds (strtoll; an
 * integer, negative read as 0), then calls repl_eval(). This harness
 * builds the same struct repl_input from text in the `\G` layout, so
 * seeds are rows pasted from a real server:
 *
 *   *************************** 1. row ***************************
 *                   Slave_IO_State: Waiting for master to send event
 *                 Slave_IO_Running: Yes
 *            Seconds_Behind_Master: NULL
 *
 * One "NAME: VALUE" per line (blanks before NAME ignored; VALUE "NULL" is
 * SQL NULL); a line starting with '*' or any column line means a row
 * exists. A line without ": " continues the value above it, newline
 * included, as the client prints a value that holds newlines (MariaDB's
 * Last_SQL_Error quotes the failed statement, which may span lines).
 * Lines naming the other inputs, also optional:
 *   @@gtid_slave_pos: 0-1-206      @@read_only: 0
 *   @heartbeat_us: 1200000         (absent: not heartbeat mode)
 *   @warn_lag_ms: 5000             @crit_lag_ms: 30000  (absent: the defaults)
 *
 * Checked beyond "no crash": the rule and status agree with the decision
 * table in repl_eval.h, "not a replica" exactly when there is no row,
 * "promoted" only on a server known to be writable, a lag of -1 or more,
 * and a detail that is one terminated line (health.c logs it as the human
 * part of a line; a newline in it would split the log line).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "repl_eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* mysql_replication.c's REPL_MAX_FIELDS: further columns are not kept. */
#define MAX_FIELDS 96

/* The status each rule gives (repl_eval.h's table). */
static const enum check_status rule_status[REPL_RULE__COUNT] = {
	[REPL_NOT_REPLICA] = CHECK_OK,
	[REPL_NO_COLUMNS] = CHECK_FAILED,
	[REPL_PROMOTED] = CHECK_OK,
	[REPL_SQL_STOPPED] = CHECK_FAILED,
	[REPL_SQL_ERROR] = CHECK_FAILED,
	[REPL_IO_DOWN_CAUGHT_UP] = CHECK_OK,
	[REPL_IO_DOWN_APPLYING] = CHECK_DEGRADED,
	[REPL_IO_DOWN] = CHECK_OK,
	[REPL_LAG_NULL] = CHECK_FAILED,
	[REPL_LAG_BAD] = CHECK_FAILED,
	[REPL_LAG_CRIT] = CHECK_FAILED,
	[REPL_LAG_WARN] = CHECK_DEGRADED,
	[REPL_LAG_OK] = CHECK_OK,
};

static const char *sql_value(const char *v)
{
	return strcmp(v, "NULL") == 0 ? NULL : v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct repl_field fields[MAX_FIELDS];
	struct repl_input in = {
		.fields = fields, .heartbeat_lag_ms = -1, .warn_lag_ms = 5000, .crit_lag_ms = 30000,
	};
	struct repl_verdict v;
	char *text, *line, *next;

	/* The server's strings are C strings: a NUL ends a value there. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	bool continues = false; /* the line before was a column's value */
	for (line = text; line; line = next) {
		char *sep, *name, *value;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '*') {
			in.has_row = true;
			continues = false;
			continue;
		}
		sep = strstr(line, ": ");
		if (!sep) {
			/* Join it to the value above: put back the newline that
			 * ended the line before. */
			if (continues)
				line[-1] = '\n';
			continue;
		}
		continues = false;
		*sep = '\0';
		value = sep + 2;
		for (name = line; *name == ' '; name++)
			;
		if (strcmp(name, "@@gtid_slave_pos") == 0) {
			in.gtid_slave_pos = sql_value(value);
		} else if (strcmp(name, "@@read_only") == 0) {
			in.read_only_known = strcmp(value, "0") == 0 || strcmp(value, "1") == 0;
			in.read_only = in.read_only_known && value[0] == '1';
		} else if (strcmp(name, "@heartbeat_us") == 0) {
			char *end;
			long long us = strtoll(value, &end, 10);
			if (*value && *end == '\0')
				in.heartbeat_lag_ms = us < 0 ? 0 : (int64_t)(us / 1000);
		} else if (strcmp(name, "@warn_lag_ms") == 0) {
			in.warn_lag_ms = (uint32_t)strtoul(value, NULL, 10);
		} else if (strcmp(name, "@crit_lag_ms") == 0) {
			in.crit_lag_ms = (uint32_t)strtoul(value, NULL, 10);
		} else if (in.nfields < MAX_FIELDS) {
			fields[in.nfields].name = name;
			fields[in.nfields].value = sql_value(value);
			in.nfields++;
			in.has_row = true;
			continues = fields[in.nfields - 1].value != NULL;
		}
	}

	repl_eval(&in, &v);
	if ((unsigned)v.rule >= REPL_RULE__COUNT || v.status != rule_status[v.rule])
		abort();
	if ((v.rule == REPL_NOT_REPLICA) != !in.has_row)
		abort();
	if (v.rule == REPL_PROMOTED && !(in.read_only_known && !in.read_only))
		abort();
	if (v.lag_ms < -1)
		abort();
	if (!memchr(v.detail, '\0', sizeof(v.detail)) || strchr(v.detail, '\n') ||
	    strchr(v.detail, '\r'))
		abort();
	if (strcmp(repl_rule_name(v.rule), "?") == 0)
		abort();

	/* The position arithmetic the rules 6-7 use, on the same texts. */
	bool found;
	const char *received = repl_field_get(&in, "Gtid_IO_Pos", &found);
	if (in.gtid_slave_pos && received) {
		int cov = repl_gtid_covers(in.gtid_slave_pos, received);
		if (cov < -1 || cov > 1)
			abort();
		/* What was applied covers itself. */
		if (repl_gtid_covers(received, received) == 0)
			abort();
	}

	free(text);
	return 0;
}
