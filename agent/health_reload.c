// SPDX-License-Identifier: GPL-2.0-or-later
// Health across a reload: the checks and scores of a new configuration,
// built aside, then swapped in keeping what did not change.
#include "health.h"
#include "health_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct health_next {
	const struct vigil_config *cfg;
	struct health_check **checks;       /* cfg->n_checks slots */
	bool *reused;                       /* per new check: the old slot moved over */
	bool *moved;                        /* per old check: taken by the new config */
	struct score **scores;              /* one per new instance */
	uint8_t *priority;
	bool *fault;
	struct health_reload_counts counts;
};

/* Does the check object of a keep probing exactly as b would? Rise and
 * penalties are the scores' business, not the probe's; fall is both (it
 * bounds the probes in flight). */
static bool probe_same(const struct vigil_config *ca, const struct config_check *a,
		       const struct vigil_config *cb, const struct config_check *b)
{
	return a->type == b->type && config_same_str(a->host, b->host) && a->port == b->port &&
	       config_same_str(a->socket, b->socket) && a->interval_ms == b->interval_ms &&
	       a->timeout_ms == b->timeout_ms && a->fall == b->fall && a->slow_ms == b->slow_ms &&
	       config_same_str(a->query, b->query) && a->connect_interval_ms == b->connect_interval_ms &&
	       a->warn_lag_ms == b->warn_lag_ms && a->crit_lag_ms == b->crit_lag_ms &&
	       config_same_str(a->heartbeat_table, b->heartbeat_table) &&
	       config_same_argv(a->command.argv, b->command.argv) &&
	       (a->type != CONFIG_CHECK_SCRIPT ||
		config_same_str(ca->global.script_user, cb->global.script_user)) &&
	       config_same_str(ca->global.mysql_defaults_file, cb->global.mysql_defaults_file);
}

static long find_check(const struct vigil_config *cfg, const char *name)
{
	for (size_t k = 0; k < cfg->n_checks; k++)
		if (strcmp(cfg->checks[k].name, name) == 0)
			return (long)k;
	return -1;
}

static long find_instance(const struct vigil_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_instances; i++)
		if (strcmp(cfg->instances[i].name, name) == 0)
			return (long)i;
	return -1;
}

void health_reload_abort(struct health_next *n)
{
	if (!n)
		return;
	if (n->checks) {
		/* Slots moved over from the running health are not ours. */
		for (size_t k = 0; k < n->cfg->n_checks; k++)
			if (n->reused && n->reused[k])
				n->checks[k] = NULL;
		health_free_checks(n->checks, n->cfg->n_checks);
	}
	if (n->scores)
		for (size_t i = 0; i < n->cfg->n_instances; i++)
			score_free(n->scores[i]);
	free(n->scores);
	free(n->priority);
	free(n->fault);
	free(n->reused);
	free(n->moved);
	free(n);
}

/* Seed instance i's new score with the levels its checks had, so a
 * reload does not count a check as failed until it reports again. */
static void seed_score(const struct health *h, struct health_next *n, size_t i)
{
	const struct config_instance *ci = &n->cfg->instances[i];
	long o = find_instance(h->cfg, ci->name);
	if (o < 0)
		return; /* a new instance starts as at startup */
	const struct config_instance *oi = &h->cfg->instances[o];
	for (size_t j = 0; j < ci->n_track; j++) {
		const char *name = n->cfg->checks[ci->track_index[j]].name;
		for (size_t oj = 0; oj < oi->n_track; oj++) {
			if (strcmp(h->cfg->checks[oi->track_index[oj]].name, name) != 0)
				continue;
			if (score_reported(h->scores[o], oj))
				score_seed(n->scores[i], j, score_level(h->scores[o], oj));
			break;
		}
	}
}

int health_reload_prepare(struct health *h, const struct vigil_config *cfg,
			  struct health_next **out, char *err, size_t errlen)
{
	*out = NULL;
	struct health_next *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->cfg = cfg;
	size_t ni = cfg->n_instances ? cfg->n_instances : 1;
	size_t nk = cfg->n_checks ? cfg->n_checks : 1;
	n->checks = health_alloc_checks(cfg->n_checks);
	n->reused = calloc(nk, sizeof(*n->reused));
	n->moved = calloc(h->cfg->n_checks ? h->cfg->n_checks : 1, sizeof(*n->moved));
	n->scores = calloc(ni, sizeof(*n->scores));
	n->priority = calloc(ni, sizeof(*n->priority));
	n->fault = calloc(ni, sizeof(*n->fault));
	int rc = n->checks && n->reused && n->moved && n->scores && n->priority && n->fault
			 ? 0 : -ENOMEM;
	for (size_t k = 0; rc == 0 && k < cfg->n_checks; k++) {
		const struct config_check *cc = &cfg->checks[k];
		long o = find_check(h->cfg, cc->name);
		struct health_check *old = o >= 0 ? h->checks[o] : NULL;
		if (old && old->chk && cc->n_tracked_by > 0 &&
		    probe_same(h->cfg, &h->cfg->checks[o], cfg, cc)) {
			free(n->checks[k]);
			n->checks[k] = old;
			n->reused[k] = true;
			n->moved[o] = true;
			n->counts.checks_kept++;
			continue;
		}
		rc = health_build_check(h, cfg, n->checks[k], k, err, errlen);
		if (rc == 0 && cc->n_tracked_by > 0) {
			if (old && old->chk)
				n->counts.checks_restarted++;
			else
				n->counts.checks_added++;
		}
	}
	for (size_t o = 0; rc == 0 && o < h->cfg->n_checks; o++)
		if (h->checks[o]->chk && !n->moved[o] && find_check(cfg, h->cfg->checks[o].name) < 0)
			n->counts.checks_removed++;
	for (size_t i = 0; rc == 0 && i < cfg->n_instances; i++) {
		rc = health_build_score(cfg, i, &n->scores[i]);
		if (rc == 0) {
			seed_score(h, n, i);
			n->priority[i] = score_priority(n->scores[i]);
			n->fault[i] = score_fault(n->scores[i]);
		}
	}
	if (rc < 0) {
		if (rc == -ENOMEM && (!err[0]))
			snprintf(err, errlen, "out of memory");
		health_reload_abort(n);
		return rc;
	}
	*out = n;
	return 0;
}

/* A kept instance whose priority the new configuration moved (a new base
 * priority, a new penalty) says so, as a check would. */
static void log_priority_changes(struct health *h, const struct vigil_config *old_cfg,
				 const uint8_t *old_priority, const bool *old_fault)
{
	for (size_t i = 0; i < h->cfg->n_instances; i++) {
		long o = find_instance(old_cfg, h->cfg->instances[i].name);
		if (o < 0 || (old_priority[o] == h->priority[i] && old_fault[o] == h->fault[i]))
			continue;
		char why[512], kv[768] = "";
		score_explain(h->scores[i], why, sizeof(why));
		log_kv(kv, sizeof(kv), "event", "priority");
		log_kv(kv, sizeof(kv), "instance", h->cfg->instances[i].name);
		log_kvf(kv, sizeof(kv), "from", "%u", old_priority[o]);
		log_kvf(kv, sizeof(kv), "to", "%u", h->priority[i]);
		log_kv(kv, sizeof(kv), "fault", h->fault[i] ? "yes" : "no");
		log_kvf(kv, sizeof(kv), "reason", "reload: %s", why);
		log_info(h->log, "instance %s: priority %u -> %u (reload)%s: %s%s",
			 h->cfg->instances[i].name, old_priority[o], h->priority[i],
			 old_fault[o] != h->fault[i] ? (h->fault[i] ? ", FAULT" : ", fault cleared") : "",
			 why, kv);
	}
}

void health_reload_commit(struct health *h, struct health_next *n,
			  struct health_reload_counts *counts)
{
	const struct vigil_config *old_cfg = h->cfg;
	uint8_t *old_priority = h->priority;
	bool *old_fault = h->fault;
	/* The old slots nobody took go, with their checks. */
	for (size_t o = 0; o < h->cfg->n_checks; o++)
		if (n->moved[o])
			h->checks[o] = NULL;
	health_free_checks(h->checks, h->cfg->n_checks);
	for (size_t i = 0; i < h->cfg->n_instances; i++)
		score_free(h->scores[i]);
	free(h->scores);

	h->cfg = n->cfg;
	h->checks = n->checks;
	h->scores = n->scores;
	h->priority = n->priority;
	h->fault = n->fault;
	for (size_t k = 0; k < h->cfg->n_checks; k++) {
		h->checks[k]->h = h;
		h->checks[k]->index = k;
		if (!n->reused[k] && h->checks[k]->chk)
			check_start(h->checks[k]->chk);
	}
	if (counts)
		*counts = n->counts;
	log_priority_changes(h, old_cfg, old_priority, old_fault);
	free(old_priority);
	free(old_fault);
	free(n->reused);
	free(n->moved);
	free(n);
	/* Instance indices may have moved: every instance hears its priority. */
	for (size_t i = 0; i < h->cfg->n_instances; i++)
		h->change(h->ctx, i, h->priority[i], h->fault[i]);
}

int health_seed(struct health *h, const char *check, enum check_status level)
{
	long k = find_check(h->cfg, check);
	if (k < 0 || (unsigned)level >= CHECK_STATUS__COUNT)
		return -ENOENT;
	for (size_t i = 0; i < h->cfg->n_instances; i++) {
		const struct config_instance *ci = &h->cfg->instances[i];
		for (size_t j = 0; j < ci->n_track; j++)
			if (ci->track_index[j] == (size_t)k)
				score_seed(h->scores[i], j, level);
		health_report_instance(h, i);
	}
	return 0;
}
