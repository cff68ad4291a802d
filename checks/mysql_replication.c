/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mysql_replication: the replica health checker (SHOW REPLICA STATUS judged by repl_eval). */
#include "mysql_replication.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mysql_async.h"
#include "repl_eval.h"

/* Columns kept from the status row (MariaDB 10.11 has about 60). */
#define REPL_MAX_FIELDS 96

enum stage {
	STAGE_STATUS = 0,  /* SHOW REPLICA/SLAVE STATUS */
	STAGE_GTID,        /* SELECT @@gtid_slave_pos (MariaDB) or NULL, @@read_only */
	STAGE_HEARTBEAT,   /* SELECT lag FROM heartbeat_table */
};

struct repl {
	struct check *chk;
	struct sqlconn *conn;
	char *defaults_file;
	char *heartbeat_sql;    /* NULL: no heartbeat mode */
	uint32_t timeout_ms, warn_lag_ms, crit_lag_ms;
	bool slave_syntax;      /* the server rejected SHOW REPLICA STATUS (1064) */

	bool running;
	uint64_t t0_us;
	enum stage stage;
	/* The status row, copied out of the result (owned). */
	bool has_row;
	size_t nfields;
	struct repl_field fields[REPL_MAX_FIELDS];
	char *gtid_slave_pos;
	bool has_gtid;          /* the row has Gtid_IO_Pos: the server is MariaDB */
	bool read_only_known, read_only;
	int64_t heartbeat_lag_ms;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint32_t remaining_ms(const struct repl *r)
{
	uint64_t spent = (now_us() - r->t0_us) / 1000u;
	return spent + 1 >= r->timeout_ms ? 1u : (uint32_t)(r->timeout_ms - spent);
}

static void clear_row(struct repl *r)
{
	for (size_t i = 0; i < r->nfields; i++) {
		free((char *)r->fields[i].name);
		free((char *)r->fields[i].value);
	}
	r->nfields = 0;
	r->has_row = false;
	free(r->gtid_slave_pos);
	r->gtid_slave_pos = NULL;
	r->has_gtid = false;
	r->read_only_known = false;
	r->read_only = false;
	r->heartbeat_lag_ms = -1;
}

static void report(struct repl *r, const struct check_result *res)
{
	r->running = false;
	clear_row(r);
	check_report(r->chk, res);
}

static void report_error(struct repl *r, const char *what, const struct sqlconn_outcome *o)
{
	struct check_result res;
	enum sqlconn_errkind k = sqlconn_errkind(o->err);
	if (o->deadline) {
		check_result_set(&res, CHECK_FAILED, "%s: %s", what, o->error);
	} else if (k == SQLCONN_ERRK_PRIVILEGE) {
		check_result_set(&res, CHECK_FAILED,
				 "%s: %u: CONFIGURATION: the check user needs GRANT SLAVE MONITOR "
				 "ON *.* (MySQL: REPLICATION CLIENT)%s: %s",
				 what, o->err,
				 r->heartbeat_sql ? " and SELECT on the heartbeat table" : "",
				 o->error);
		res.config_problem = true;
	} else if (k == SQLCONN_ERRK_AUTH) {
		check_result_set(&res, CHECK_FAILED,
				 "%s: %u: %s: check the credentials in mysql_defaults_file %s", what,
				 o->err, o->error, r->defaults_file ? r->defaults_file : "(none set)");
		res.config_problem = true;
	} else if (k == SQLCONN_ERRK_BAD_QUERY && r->stage == STAGE_HEARTBEAT) {
		check_result_set(&res, CHECK_FAILED, "%s: %u: %s: check heartbeat_table", what,
				 o->err, o->error);
		res.config_problem = true;
	} else {
		check_result_set(&res, CHECK_FAILED, "%s: %u: %s", what, o->err, o->error);
	}
	res.value = -1;
	report(r, &res);
}

static void evaluate(struct repl *r)
{
	struct repl_input in = {
		.has_row = r->has_row,
		.fields = r->fields,
		.nfields = r->nfields,
		.gtid_slave_pos = r->gtid_slave_pos,
		.read_only_known = r->read_only_known,
		.read_only = r->read_only,
		.heartbeat_lag_ms = r->heartbeat_lag_ms,
		.warn_lag_ms = r->warn_lag_ms,
		.crit_lag_ms = r->crit_lag_ms,
	};
	struct repl_verdict v;
	repl_eval(&in, &v);
	struct check_result res;
	check_result_set(&res, v.status, "%s", v.detail);
	res.value = v.lag_ms;
	report(r, &res);
}

static void run_stage(struct repl *r, enum stage s);

static bool copy_row(struct repl *r, const struct sqlconn_rows *rs)
{
	r->has_row = sqlconn_rows_count(rs) > 0;
	if (!r->has_row)
		return true;
	unsigned n = sqlconn_cols_count(rs);
	for (unsigned i = 0; i < n && r->nfields < REPL_MAX_FIELDS; i++) {
		const char *v = sqlconn_value(rs, 0, i);
		char *name = strdup(sqlconn_col_name(rs, i));
		char *val = v ? strdup(v) : NULL;
		if (!name || (v && !val)) {
			free(name);
			free(val);
			return false;
		}
		r->fields[r->nfields].name = name;
		r->fields[r->nfields].value = val;
		r->nfields++;
	}
	return true;
}

static void on_result(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	(void)c;
	struct repl *r = ctx;
	if (!o->ok) {
		if (r->stage == STAGE_STATUS && o->err == 1064 && !r->slave_syntax) {
			r->slave_syntax = true; /* MariaDB < 10.5, MySQL < 8.0.22 */
			run_stage(r, STAGE_STATUS);
			return;
		}
		report_error(r, r->stage == STAGE_STATUS ? "replica status" : "query", o);
		return;
	}
	switch (r->stage) {
	case STAGE_STATUS: {
		if (!copy_row(r, o->rows)) {
			struct check_result res;
			check_result_set(&res, CHECK_FAILED, "out of memory");
			res.value = -1;
			report(r, &res);
			return;
		}
		struct repl_input in = { .fields = r->fields, .nfields = r->nfields };
		(void)repl_field_get(&in, "Gtid_IO_Pos", &r->has_gtid);
		/* Every replica row needs @@read_only (a promoted server is told
		 * apart by it, MySQL as well as MariaDB); no row needs nothing
		 * more: not a replica. */
		if (r->has_row)
			run_stage(r, STAGE_GTID);
		else
			evaluate(r);
		return;
	}
	case STAGE_GTID: {
		const char *v = sqlconn_value(o->rows, 0, 0);
		r->gtid_slave_pos = v ? strdup(v) : NULL;
		/* "0" or "1"; anything else leaves it unknown, which keeps the
		 * verdict as it was before read_only was read. */
		const char *ro = sqlconn_value(o->rows, 0, 1);
		if (ro && (strcmp(ro, "0") == 0 || strcmp(ro, "1") == 0)) {
			r->read_only_known = true;
			r->read_only = ro[0] == '1';
		}
		if (r->heartbeat_sql)
			run_stage(r, STAGE_HEARTBEAT);
		else
			evaluate(r);
		return;
	}
	case STAGE_HEARTBEAT: {
		const char *v = sqlconn_value(o->rows, 0, 0);
		char *end;
		long long us = v ? strtoll(v, &end, 10) : 0;
		/* An empty table (NULL) falls back to Seconds_Behind_Master; a
		 * clock slightly ahead on the primary reads as 0. */
		if (v && *end == '\0')
			r->heartbeat_lag_ms = us < 0 ? 0 : (int64_t)(us / 1000);
		evaluate(r);
		return;
	}
	}
}

static void run_stage(struct repl *r, enum stage s)
{
	const char *sql = NULL;
	r->stage = s;
	switch (s) {
	case STAGE_STATUS:
		sql = r->slave_syntax ? "SHOW SLAVE STATUS" : "SHOW REPLICA STATUS";
		break;
	case STAGE_GTID:
		/* MySQL has no @@gtid_slave_pos (error 1193): ask for NULL in its
		 * place so the columns keep their places. */
		sql = r->has_gtid ? "SELECT @@gtid_slave_pos, @@read_only"
				  : "SELECT NULL, @@read_only";
		break;
	case STAGE_HEARTBEAT:
		sql = r->heartbeat_sql;
		break;
	}
	int rc = sqlconn_query(r->conn, sql, remaining_ms(r), on_result, r);
	if (rc) {
		struct check_result res;
		check_result_set(&res, CHECK_FAILED, "query: %s", strerror(-rc));
		res.value = -1;
		report(r, &res);
	}
}

static void on_connect(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	(void)c;
	struct repl *r = ctx;
	if (!o->ok) {
		report_error(r, "connect", o);
		return;
	}
	run_stage(r, STAGE_STATUS);
}

static void repl_start(void *state)
{
	struct repl *r = state;
	r->running = true;
	r->t0_us = now_us();
	clear_row(r);
	if (sqlconn_state(r->conn) == SQLCONN_READY) {
		run_stage(r, STAGE_STATUS);
		return;
	}
	int rc = sqlconn_connect(r->conn, remaining_ms(r), on_connect, r);
	if (rc) {
		struct check_result res;
		check_result_set(&res, CHECK_FAILED, "connect: %s", strerror(-rc));
		res.value = -1;
		report(r, &res);
	}
}

static void repl_cancel(void *state)
{
	struct repl *r = state;
	r->running = false;
	if (sqlconn_state(r->conn) != SQLCONN_READY)
		sqlconn_close(r->conn);
	clear_row(r);
}

static void repl_destroy(void *state)
{
	struct repl *r = state;
	if (!r)
		return;
	sqlconn_free(r->conn);
	clear_row(r);
	free(r->defaults_file);
	free(r->heartbeat_sql);
	free(r);
}

/* db.table of [A-Za-z0-9_] parts: safe to paste into SQL. */
static bool table_name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 128)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
			return false;
	return s[0] != '.' && s[strlen(s) - 1] != '.';
}

static int repl_create(struct check *chk, const struct check_params *prm, void **state,
		       char *err, size_t errlen)
{
	struct sqlconn_target t;
	int rc = sqlconn_target_from_check(prm, &t, err, errlen);
	if (rc)
		return rc;
	if (prm->warn_lag_ms && prm->crit_lag_ms && prm->warn_lag_ms > prm->crit_lag_ms) {
		snprintf(err, errlen, "warn_lag (%u ms) must not exceed crit_lag (%u ms)",
			 (unsigned)prm->warn_lag_ms, (unsigned)prm->crit_lag_ms);
		return -EINVAL;
	}
	if (prm->heartbeat_table && !table_name_ok(prm->heartbeat_table)) {
		snprintf(err, errlen, "heartbeat_table '%s' must be db.table of [A-Za-z0-9_]",
			 prm->heartbeat_table);
		return -EINVAL;
	}
	struct repl *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->chk = chk;
	r->timeout_ms = prm->timeout_ms;
	r->warn_lag_ms = prm->warn_lag_ms;
	r->crit_lag_ms = prm->crit_lag_ms;
	r->heartbeat_lag_ms = -1;
	rc = -ENOMEM;
	if (prm->defaults_file && !(r->defaults_file = strdup(prm->defaults_file)))
		goto fail;
	if (prm->heartbeat_table) {
		char sql[256];
		snprintf(sql, sizeof sql,
			 "SELECT TIMESTAMPDIFF(MICROSECOND, MAX(ts), UTC_TIMESTAMP(6)) FROM %s",
			 prm->heartbeat_table);
		if (!(r->heartbeat_sql = strdup(sql)))
			goto fail;
	}
	/* A lost idle connection needs no action here: the next probe
	 * reconnects (mysql_ping confirms losses for the server). */
	rc = sqlconn_new(&r->conn, check_loop(chk), &t, NULL, NULL);
	if (rc)
		goto fail;
	*state = r;
	return 0;
fail:
	snprintf(err, errlen, "%s", strerror(-rc));
	repl_destroy(r);
	return rc;
}

const struct check_type mysql_replication_type = {
	.name = "mysql_replication",
	.create = repl_create,
	.start = repl_start,
	.cancel = repl_cancel,
	.destroy = repl_destroy,
};
