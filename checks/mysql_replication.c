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

struct repl;

/*
 * One slot's probe. As in mysql_ping: the kept connection when no other
 * probe holds it, else (overlapping an older probe that hangs) a
 * connection of the slot's own, opened fresh and closed after its answer,
 * or kept in place of a kept connection lost meanwhile.
 */
struct repl_probe {
	struct repl *r;
	unsigned slot;
	struct sqlconn *own;
	bool running;
	bool on_kept;
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

struct repl {
	struct check *chk;
	struct sqlconn *conn;   /* kept */
	char *defaults_file;
	char *heartbeat_sql;    /* NULL: no heartbeat mode */
	uint32_t timeout_ms, warn_lag_ms, crit_lag_ms;
	bool slave_syntax;      /* the server rejected SHOW REPLICA STATUS (1064) */
	bool kept_busy;         /* a probe runs on conn */
	unsigned nslots;
	struct repl_probe *probes; /* one per slot */
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint32_t remaining_ms(const struct repl_probe *pr)
{
	uint64_t spent = (now_us() - pr->t0_us) / 1000u;
	return spent + 1 >= pr->r->timeout_ms ? 1u : (uint32_t)(pr->r->timeout_ms - spent);
}

static struct sqlconn *conn_of(const struct repl_probe *pr)
{
	return pr->on_kept ? pr->r->conn : pr->own;
}

static void clear_row(struct repl_probe *pr)
{
	for (size_t i = 0; i < pr->nfields; i++) {
		free((char *)pr->fields[i].name);
		free((char *)pr->fields[i].value);
	}
	pr->nfields = 0;
	pr->has_row = false;
	free(pr->gtid_slave_pos);
	pr->gtid_slave_pos = NULL;
	pr->has_gtid = false;
	pr->read_only_known = false;
	pr->read_only = false;
	pr->heartbeat_lag_ms = -1;
}

/* An overlapping probe answered: its fresh connection replaces a kept one
 * lost meanwhile, or is closed (one kept connection per check). */
static void adopt_or_close(struct repl_probe *pr)
{
	struct repl *r = pr->r;

	if (!r->kept_busy && sqlconn_state(r->conn) != SQLCONN_READY &&
	    sqlconn_state(pr->own) == SQLCONN_READY) {
		struct sqlconn *old = r->conn;

		r->conn = pr->own;
		pr->own = old;
	}
	sqlconn_close(pr->own);
}

static void report(struct repl_probe *pr, const struct check_result *res)
{
	struct repl *r = pr->r;
	bool was_kept = pr->on_kept;

	pr->running = false;
	if (was_kept)
		r->kept_busy = false;
	clear_row(pr);
	check_report(r->chk, pr->slot, res);
	if (!was_kept)
		adopt_or_close(pr);
}

static void report_error(struct repl_probe *pr, const char *what, const struct sqlconn_outcome *o)
{
	struct repl *r = pr->r;
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
	} else if (k == SQLCONN_ERRK_BAD_QUERY && pr->stage == STAGE_HEARTBEAT) {
		check_result_set(&res, CHECK_FAILED, "%s: %u: %s: check heartbeat_table", what,
				 o->err, o->error);
		res.config_problem = true;
	} else {
		check_result_set(&res, CHECK_FAILED, "%s: %u: %s", what, o->err, o->error);
	}
	res.value = -1;
	report(pr, &res);
}

static void evaluate(struct repl_probe *pr)
{
	struct repl_input in = {
		.has_row = pr->has_row,
		.fields = pr->fields,
		.nfields = pr->nfields,
		.gtid_slave_pos = pr->gtid_slave_pos,
		.read_only_known = pr->read_only_known,
		.read_only = pr->read_only,
		.heartbeat_lag_ms = pr->heartbeat_lag_ms,
		.warn_lag_ms = pr->r->warn_lag_ms,
		.crit_lag_ms = pr->r->crit_lag_ms,
	};
	struct repl_verdict v;
	repl_eval(&in, &v);
	struct check_result res;
	check_result_set(&res, v.status, "%s", v.detail);
	res.value = v.lag_ms;
	report(pr, &res);
}

static void run_stage(struct repl_probe *pr, enum stage s);

static bool copy_row(struct repl_probe *pr, const struct sqlconn_rows *rs)
{
	pr->has_row = sqlconn_rows_count(rs) > 0;
	if (!pr->has_row)
		return true;
	unsigned n = sqlconn_cols_count(rs);
	for (unsigned i = 0; i < n && pr->nfields < REPL_MAX_FIELDS; i++) {
		const char *v = sqlconn_value(rs, 0, i);
		char *name = strdup(sqlconn_col_name(rs, i));
		char *val = v ? strdup(v) : NULL;
		if (!name || (v && !val)) {
			free(name);
			free(val);
			return false;
		}
		pr->fields[pr->nfields].name = name;
		pr->fields[pr->nfields].value = val;
		pr->nfields++;
	}
	return true;
}

static void on_result(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	(void)c;
	struct repl_probe *pr = ctx;
	if (!o->ok) {
		if (pr->stage == STAGE_STATUS && o->err == 1064 && !pr->r->slave_syntax) {
			pr->r->slave_syntax = true; /* MariaDB < 10.5, MySQL < 8.0.22 */
			run_stage(pr, STAGE_STATUS);
			return;
		}
		report_error(pr, pr->stage == STAGE_STATUS ? "replica status" : "query", o);
		return;
	}
	switch (pr->stage) {
	case STAGE_STATUS: {
		if (!copy_row(pr, o->rows)) {
			struct check_result res;
			check_result_set(&res, CHECK_FAILED, "out of memory");
			res.value = -1;
			report(pr, &res);
			return;
		}
		struct repl_input in = { .fields = pr->fields, .nfields = pr->nfields };
		(void)repl_field_get(&in, "Gtid_IO_Pos", &pr->has_gtid);
		/* Every replica row needs @@read_only (a promoted server is told
		 * apart by it, MySQL as well as MariaDB); no row needs nothing
		 * more: not a replica. */
		if (pr->has_row)
			run_stage(pr, STAGE_GTID);
		else
			evaluate(pr);
		return;
	}
	case STAGE_GTID: {
		const char *v = sqlconn_value(o->rows, 0, 0);
		pr->gtid_slave_pos = v ? strdup(v) : NULL;
		/* "0" or "1"; anything else leaves it unknown, which keeps the
		 * verdict as it was before read_only was read. */
		const char *ro = sqlconn_value(o->rows, 0, 1);
		if (ro && (strcmp(ro, "0") == 0 || strcmp(ro, "1") == 0)) {
			pr->read_only_known = true;
			pr->read_only = ro[0] == '1';
		}
		if (pr->r->heartbeat_sql)
			run_stage(pr, STAGE_HEARTBEAT);
		else
			evaluate(pr);
		return;
	}
	case STAGE_HEARTBEAT: {
		const char *v = sqlconn_value(o->rows, 0, 0);
		char *end;
		long long us = v ? strtoll(v, &end, 10) : 0;
		/* An empty table (NULL) falls back to Seconds_Behind_Master; a
		 * clock slightly ahead on the primary reads as 0. */
		if (v && *end == '\0')
			pr->heartbeat_lag_ms = us < 0 ? 0 : (int64_t)(us / 1000);
		evaluate(pr);
		return;
	}
	}
}

static void run_stage(struct repl_probe *pr, enum stage s)
{
	const char *sql = NULL;
	pr->stage = s;
	switch (s) {
	case STAGE_STATUS:
		sql = pr->r->slave_syntax ? "SHOW SLAVE STATUS" : "SHOW REPLICA STATUS";
		break;
	case STAGE_GTID:
		/* MySQL has no @@gtid_slave_pos (error 1193): ask for NULL in its
		 * place so the columns keep their places. */
		sql = pr->has_gtid ? "SELECT @@gtid_slave_pos, @@read_only"
				   : "SELECT NULL, @@read_only";
		break;
	case STAGE_HEARTBEAT:
		sql = pr->r->heartbeat_sql;
		break;
	}
	int rc = sqlconn_query(conn_of(pr), sql, remaining_ms(pr), on_result, pr);
	if (rc) {
		struct check_result res;
		check_result_set(&res, CHECK_FAILED, "query: %s", strerror(-rc));
		res.value = -1;
		report(pr, &res);
	}
}

static void on_connect(struct sqlconn *c, const struct sqlconn_outcome *o, void *ctx)
{
	(void)c;
	struct repl_probe *pr = ctx;
	if (!o->ok) {
		report_error(pr, "connect", o);
		return;
	}
	run_stage(pr, STAGE_STATUS);
}

static void repl_start(void *state, unsigned slot)
{
	struct repl *r = state;
	struct repl_probe *pr = &r->probes[slot];
	pr->running = true;
	pr->t0_us = now_us();
	clear_row(pr);
	/* The kept connection if it is free, else a fresh one of its own. */
	pr->on_kept = !r->kept_busy;
	if (pr->on_kept)
		r->kept_busy = true;
	if (sqlconn_state(conn_of(pr)) == SQLCONN_READY) {
		run_stage(pr, STAGE_STATUS);
		return;
	}
	int rc = sqlconn_connect(conn_of(pr), remaining_ms(pr), on_connect, pr);
	if (rc) {
		struct check_result res;
		check_result_set(&res, CHECK_FAILED, "connect: %s", strerror(-rc));
		res.value = -1;
		report(pr, &res);
	}
}

static void repl_cancel(void *state, unsigned slot)
{
	struct repl *r = state;
	struct repl_probe *pr = &r->probes[slot];
	pr->running = false;
	clear_row(pr);
	if (!pr->on_kept) {
		sqlconn_close(pr->own);
		return;
	}
	r->kept_busy = false;
	if (sqlconn_state(r->conn) != SQLCONN_READY)
		sqlconn_close(r->conn);
}

static void repl_destroy(void *state)
{
	struct repl *r = state;
	if (!r)
		return;
	sqlconn_free(r->conn);
	for (unsigned i = 0; r->probes && i < r->nslots; i++) {
		sqlconn_free(r->probes[i].own);
		clear_row(&r->probes[i]);
	}
	free(r->probes);
	free(r->defaults_file);
	free(r->heartbeat_sql);
	free(r);
}

/* A probe per slot, each with a connection for when it overlaps. */
static int new_probes(struct repl *r, struct ev_loop *loop, const struct sqlconn_target *t)
{
	r->probes = calloc(r->nslots, sizeof *r->probes);
	if (!r->probes)
		return -ENOMEM;
	for (unsigned i = 0; i < r->nslots; i++) {
		r->probes[i].r = r;
		r->probes[i].slot = i;
		r->probes[i].heartbeat_lag_ms = -1;
		int rc = sqlconn_new(&r->probes[i].own, loop, t, NULL, NULL);
		if (rc)
			return rc;
	}
	return 0;
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
	r->nslots = check_slots(chk);
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
	if (rc == 0)
		rc = new_probes(r, check_loop(chk), &t);
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
