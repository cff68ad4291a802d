// SPDX-License-Identifier: GPL-2.0-or-later
// Health: runs the configured checks and turns their results into each
// instance's effective priority and fault flag (checks -> score).
#include "health.h"
#include "monotime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "score.h"

struct health_check {
	struct health *h;
	size_t index;                       /* into cfg->checks */
	struct check *chk;                  /* NULL when no instance tracks it */
	bool reported;
	enum check_status status;           /* of the last result */
	bool config_problem;                /* the last result was one */
	uint32_t consecutive;               /* results in a row with that status */
	uint64_t last_result_ms;            /* CLOCK_MONOTONIC; for status */
	uint64_t last_change_ms;            /* status became what it is */
};

struct health {
	const struct vigil_config *cfg;
	const struct logger *log;
	health_change_fn change;
	void *ctx;
	struct health_check *checks;        /* cfg->n_checks of them */
	struct score **scores;              /* one per instance */
	uint8_t *priority;                  /* last reported, per instance */
	bool *fault;
};

static void report_instance(struct health *h, size_t i)
{
	uint8_t prio = score_priority(h->scores[i]);
	bool fault = score_fault(h->scores[i]);
	if (prio == h->priority[i] && fault == h->fault[i])
		return;
	char why[512];
	score_explain(h->scores[i], why, sizeof(why));
	log_info(h->log, "instance %s: priority %u -> %u%s: %s", h->cfg->instances[i].name,
		 h->priority[i], prio, fault != h->fault[i] ? (fault ? ", FAULT" : ", fault cleared") : "",
		 why);
	h->priority[i] = prio;
	h->fault[i] = fault;
	h->change(h->ctx, i, prio, fault);
}

static void on_result(void *ctx, struct check *chk, const struct check_result *r)
{
	(void)chk;
	struct health_check *hc = ctx;
	struct health *h = hc->h;
	const struct config_check *cc = &h->cfg->checks[hc->index];

	/* A configuration problem (bad credentials, a missing grant) is not a
	 * verdict on the database; say it loudly, once per episode. */
	if (r->config_problem && !hc->config_problem)
		log_err(h->log, "check %s: CONFIGURATION PROBLEM, fix vigil's setup: %s", cc->name,
			r->detail);
	else if (!hc->reported || r->status != hc->status)
		log_msg(h->log, r->status == CHECK_OK ? LOG_LVL_INFO : LOG_LVL_WARN,
			"check %s: %s%s (%s)", cc->name, check_status_name(r->status),
			r->definite ? ", definite" : "", r->detail);
	uint64_t now = monotime_ms();
	if (!hc->reported || r->status != hc->status) {
		hc->consecutive = 0;
		hc->last_change_ms = now;
	}
	if (hc->consecutive < UINT32_MAX)
		hc->consecutive++;
	hc->last_result_ms = now;
	hc->config_problem = r->config_problem;
	hc->reported = true;
	hc->status = r->status;

	for (size_t i = 0; i < h->cfg->n_instances; i++) {
		const struct config_instance *ci = &h->cfg->instances[i];
		for (size_t j = 0; j < ci->n_track; j++)
			if (ci->track_index[j] == hc->index)
				score_feed(h->scores[i], j, r->status, r->definite);
		report_instance(h, i);
	}
}

static int build_score(struct health *h, size_t i)
{
	const struct config_instance *ci = &h->cfg->instances[i];
	struct score_check_conf *sc = calloc(ci->n_track ? ci->n_track : 1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	for (size_t j = 0; j < ci->n_track; j++) {
		const struct config_check *cc = &h->cfg->checks[ci->track_index[j]];
		sc[j] = (struct score_check_conf){
			.name = cc->name,
			.penalty = cc->penalty,
			.degraded_penalty = cc->degraded_penalty,
			.rise = cc->rise,
			.fall = cc->fall,
			.fatal = cc->fatal,
		};
	}
	int rc = score_new(&h->scores[i], ci->priority, ci->n_track ? sc : NULL, ci->n_track);
	free(sc);
	if (rc == 0) {
		h->priority[i] = score_priority(h->scores[i]);
		h->fault[i] = score_fault(h->scores[i]);
	}
	return rc;
}

static int build_check(struct health *h, struct ev_loop *loop, size_t k, char *err, size_t errlen)
{
	const struct config_check *cc = &h->cfg->checks[k];
	struct health_check *hc = &h->checks[k];
	hc->h = h;
	hc->index = k;
	if (cc->n_tracked_by == 0)
		return 0; /* nobody listens: do not spend a connection on it */
	const struct check_type *type = check_type_find(config_check_type_name(cc->type));
	if (!type) {
		snprintf(err, errlen, "%s:%u: check %s: type %s is not available in this build",
			 h->cfg->source, config_key_line(&cc->origin, "type"), cc->name,
			 config_check_type_name(cc->type));
		return -ENOTSUP;
	}
	struct check_params p = {
		.name = cc->name,
		.host = cc->host,
		.port = cc->port,
		.socket = cc->socket,
		.interval_ms = cc->interval_ms,
		.timeout_ms = cc->timeout_ms,
		.defaults_file = h->cfg->global.mysql_defaults_file,
		.slow_ms = cc->slow_ms,
		.query = cc->query,
		.connect_interval_ms = cc->connect_interval_ms,
		.warn_lag_ms = cc->warn_lag_ms,
		.crit_lag_ms = cc->crit_lag_ms,
		.heartbeat_table = cc->heartbeat_table,
		.argv = cc->command.argv,
	};
	char why[256] = "";
	int rc = check_new(&hc->chk, loop, type, &p, on_result, hc, why, sizeof(why));
	if (rc < 0)
		snprintf(err, errlen, "%s:%u: check %s: %s", h->cfg->source, cc->origin.section_line,
			 cc->name, why[0] ? why : strerror(-rc));
	return rc;
}

int health_new(struct health **out, struct ev_loop *loop, const struct vigil_config *cfg,
	       const struct logger *log, health_change_fn change, void *ctx,
	       char *err, size_t errlen)
{
	*out = NULL;
	struct health *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cfg = cfg;
	h->log = log;
	h->change = change;
	h->ctx = ctx;
	size_t ni = cfg->n_instances ? cfg->n_instances : 1;
	h->checks = calloc(cfg->n_checks ? cfg->n_checks : 1, sizeof(*h->checks));
	h->scores = calloc(ni, sizeof(*h->scores));
	h->priority = calloc(ni, sizeof(*h->priority));
	h->fault = calloc(ni, sizeof(*h->fault));
	int rc = (h->checks && h->scores && h->priority && h->fault) ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < cfg->n_instances; i++)
		rc = build_score(h, i);
	for (size_t k = 0; rc == 0 && k < cfg->n_checks; k++)
		rc = build_check(h, loop, k, err, errlen);
	if (rc < 0) {
		if (rc == -ENOMEM && err[0] == '\0')
			snprintf(err, errlen, "out of memory");
		health_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void health_start(struct health *h)
{
	for (size_t k = 0; k < h->cfg->n_checks; k++)
		if (h->checks[k].chk)
			check_start(h->checks[k].chk);
}

void health_stop(struct health *h)
{
	for (size_t k = 0; k < h->cfg->n_checks; k++)
		if (h->checks[k].chk)
			check_stop(h->checks[k].chk);
}

void health_free(struct health *h)
{
	if (!h)
		return;
	if (h->checks)
		for (size_t k = 0; k < h->cfg->n_checks; k++)
			check_free(h->checks[k].chk);
	if (h->scores)
		for (size_t i = 0; i < h->cfg->n_instances; i++)
			score_free(h->scores[i]);
	free(h->checks);
	free(h->scores);
	free(h->priority);
	free(h->fault);
	free(h);
}

uint8_t health_priority(const struct health *h, size_t instance)
{
	return h->priority[instance];
}

bool health_fault(const struct health *h, size_t instance)
{
	return h->fault[instance];
}

int health_explain(const struct health *h, size_t instance, char *buf, size_t len)
{
	if (instance >= h->cfg->n_instances) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	return score_explain(h->scores[instance], buf, len);
}

int health_check_info(const struct health *h, size_t k, struct health_check_info *out)
{
	if (k >= h->cfg->n_checks)
		return -EINVAL;
	const struct health_check *hc = &h->checks[k];
	*out = (struct health_check_info){
		.conf = &h->cfg->checks[k],
		.tracked = hc->chk != NULL,
		.last = hc->chk && hc->reported ? check_last(hc->chk) : NULL,
		.level = CHECK_FAILED,
		.consecutive = hc->consecutive,
		.last_result_ms = hc->last_result_ms,
		.last_change_ms = hc->last_change_ms,
		.stats = hc->chk ? check_get_stats(hc->chk) : NULL,
	};
	/* Every instance tracking the check feeds it the same results with
	 * the same rise, fall and penalties: the first one speaks for all. */
	for (size_t i = 0; i < h->cfg->n_instances; i++) {
		const struct config_instance *ci = &h->cfg->instances[i];
		for (size_t j = 0; j < ci->n_track; j++) {
			if (ci->track_index[j] != k)
				continue;
			out->level = score_level(h->scores[i], j);
			out->penalty = score_penalty(h->scores[i], j);
			return 0;
		}
	}
	return 0;
}
