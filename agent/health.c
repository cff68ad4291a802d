// SPDX-License-Identifier: GPL-2.0-or-later
// Health: runs the configured checks and turns their results into each
// instance's effective priority and fault flag (checks -> score).
#include "health.h"
#include "health_int.h"
#include "monotime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "score.h"

void health_report_instance(struct health *h, size_t i)
{
	uint8_t prio = score_priority(h->scores[i]);
	bool fault = score_fault(h->scores[i]);
	if (prio == h->priority[i] && fault == h->fault[i])
		return;
	char why[512], kv[768] = "";
	score_explain(h->scores[i], why, sizeof(why));
	/* The human text first (tests grep "priority A -> B"), then the same
	 * facts as key=value pairs (log.h). */
	log_kv(kv, sizeof(kv), "event", "priority");
	log_kv(kv, sizeof(kv), "instance", h->cfg->instances[i].name);
	log_kvf(kv, sizeof(kv), "from", "%u", h->priority[i]);
	log_kvf(kv, sizeof(kv), "to", "%u", prio);
	log_kv(kv, sizeof(kv), "fault", fault ? "yes" : "no");
	log_kv(kv, sizeof(kv), "reason", why);
	log_info(h->log, "instance %s: priority %u -> %u%s: %s%s", h->cfg->instances[i].name,
		 h->priority[i], prio, fault != h->fault[i] ? (fault ? ", FAULT" : ", fault cleared") : "",
		 why, kv);
	h->priority[i] = prio;
	h->fault[i] = fault;
	h->change(h->ctx, i, prio, fault);
}

/* One line when a check's status changes, or a configuration problem
 * begins; nothing while the status stays the same (a check that stays ok
 * logs nothing, however often it runs). hc still holds the previous result. */
static void log_result(const struct health *h, const struct health_check *hc, const char *name,
		       const struct check_result *r)
{
	bool problem = r->config_problem && !hc->config_problem;
	if (!problem && hc->reported && r->status == hc->status)
		return;
	char kv[512] = "";
	log_kv(kv, sizeof(kv), "event", "check");
	log_kv(kv, sizeof(kv), "check", name);
	log_kv(kv, sizeof(kv), "from", hc->reported ? check_status_name(hc->status) : "none");
	log_kv(kv, sizeof(kv), "to", check_status_name(r->status));
	log_kv(kv, sizeof(kv), "definite", r->definite ? "yes" : "no");
	if (problem)
		log_kv(kv, sizeof(kv), "config_problem", "yes");
	log_kv(kv, sizeof(kv), "reason", r->detail);
	/* A configuration problem (bad credentials, a missing grant) is not a
	 * verdict on the database; say it loudly, once per episode. */
	if (problem)
		log_err(h->log, "check %s: CONFIGURATION PROBLEM, fix vigil's setup: %s%s", name,
			r->detail, kv);
	else
		log_msg(h->log, r->status == CHECK_OK ? LOG_LVL_INFO : LOG_LVL_WARN,
			"check %s: %s%s (%s)%s", name, check_status_name(r->status),
			r->definite ? ", definite" : "", r->detail, kv);
}

static void on_result(void *ctx, struct check *chk, const struct check_result *r)
{
	(void)chk;
	struct health_check *hc = ctx;
	struct health *h = hc->h;
	const struct config_check *cc = &h->cfg->checks[hc->index];

	log_result(h, hc, cc->name, r);
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
		health_report_instance(h, i);
	}
}

/* n check slots, each zeroed; NULL when out of memory. */
struct health_check **health_alloc_checks(size_t n)
{
	struct health_check **a = calloc(n ? n : 1, sizeof(*a));
	for (size_t k = 0; a && k < n; k++) {
		if (!(a[k] = calloc(1, sizeof(*a[k])))) {
			while (k--)
				free(a[k]);
			free(a);
			return NULL;
		}
	}
	return a;
}

/* Free n slots and their checks. Accepts NULL. */
void health_free_checks(struct health_check **a, size_t n)
{
	if (!a)
		return;
	for (size_t k = 0; k < n; k++) {
		if (a[k])
			check_free(a[k]->chk);
		free(a[k]);
	}
	free(a);
}

/* The score of instance i of cfg into *slot. */
int health_build_score(const struct vigil_config *cfg, size_t i, struct score **slot)
{
	const struct config_instance *ci = &cfg->instances[i];
	struct score_check_conf *sc = calloc(ci->n_track ? ci->n_track : 1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	for (size_t j = 0; j < ci->n_track; j++) {
		const struct config_check *cc = &cfg->checks[ci->track_index[j]];
		sc[j] = (struct score_check_conf){
			.name = cc->name,
			.penalty = cc->penalty,
			.degraded_penalty = cc->degraded_penalty,
			.rise = cc->rise,
			.fall = cc->fall,
			.fatal = cc->fatal,
		};
	}
	int rc = score_new(slot, ci->priority, ci->n_track ? sc : NULL, ci->n_track);
	free(sc);
	return rc;
}

/* Check k of cfg into hc (which reports to health h); no check object
 * when nobody tracks it. */
int health_build_check(struct health *h, const struct vigil_config *cfg, struct health_check *hc,
		       size_t k, char *err, size_t errlen)
{
	const struct config_check *cc = &cfg->checks[k];
	hc->h = h;
	hc->index = k;
	if (cc->n_tracked_by == 0)
		return 0; /* nobody listens: do not spend a connection on it */
	const struct check_type *type = check_type_find(config_check_type_name(cc->type));
	if (!type) {
		snprintf(err, errlen, "%s:%u: check %s: type %s is not available in this build",
			 cfg->source, config_key_line(&cc->origin, "type"), cc->name,
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
		/* fall hung probes then fail after timeout + (fall - 1) x
		 * interval: as many may be in flight. */
		.max_inflight = cc->fall,
		.defaults_file = cfg->global.mysql_defaults_file,
		.slow_ms = cc->slow_ms,
		.query = cc->query,
		.connect_interval_ms = cc->connect_interval_ms,
		.warn_lag_ms = cc->warn_lag_ms,
		.crit_lag_ms = cc->crit_lag_ms,
		.heartbeat_table = cc->heartbeat_table,
		.argv = cc->command.argv,
		.run_as = cfg->global.script_user,
	};
	char why[256] = "";
	int rc = check_new(&hc->chk, h->loop, type, &p, on_result, hc, why, sizeof(why));
	if (rc < 0)
		snprintf(err, errlen, "%s:%u: check %s: %s", cfg->source, cc->origin.section_line,
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
	h->loop = loop;
	h->log = log;
	h->change = change;
	h->ctx = ctx;
	size_t ni = cfg->n_instances ? cfg->n_instances : 1;
	h->checks = health_alloc_checks(cfg->n_checks);
	h->scores = calloc(ni, sizeof(*h->scores));
	h->priority = calloc(ni, sizeof(*h->priority));
	h->fault = calloc(ni, sizeof(*h->fault));
	int rc = (h->checks && h->scores && h->priority && h->fault) ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < cfg->n_instances; i++) {
		rc = health_build_score(cfg, i, &h->scores[i]);
		if (rc == 0) {
			h->priority[i] = score_priority(h->scores[i]);
			h->fault[i] = score_fault(h->scores[i]);
		}
	}
	for (size_t k = 0; rc == 0 && k < cfg->n_checks; k++)
		rc = health_build_check(h, cfg, h->checks[k], k, err, errlen);
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
		if (h->checks[k]->chk)
			check_start(h->checks[k]->chk);
}

void health_stop(struct health *h)
{
	for (size_t k = 0; k < h->cfg->n_checks; k++)
		if (h->checks[k]->chk)
			check_stop(h->checks[k]->chk);
}

void health_free(struct health *h)
{
	if (!h)
		return;
	health_free_checks(h->checks, h->cfg->n_checks);
	if (h->scores)
		for (size_t i = 0; i < h->cfg->n_instances; i++)
			score_free(h->scores[i]);
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
	const struct health_check *hc = h->checks[k];
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
