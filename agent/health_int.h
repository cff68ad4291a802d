// SPDX-License-Identifier: GPL-2.0-or-later
// What health.c and health_reload.c share; nothing else includes it.
#ifndef VIGIL_HEALTH_INT_H
#define VIGIL_HEALTH_INT_H

#include "health.h"
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
	struct ev_loop *loop;
	struct health_check **checks;       /* cfg->n_checks of them, each allocated alone
					     * (its check reports to its address) */
	struct score **scores;              /* one per instance */
	uint8_t *priority;                  /* last reported, per instance */
	bool *fault;
};

/* n check slots, each zeroed; NULL when out of memory. */
struct health_check **health_alloc_checks(size_t n);

/* Free n slots and their checks. Accepts NULL. */
void health_free_checks(struct health_check **a, size_t n);

/* The score of instance i of cfg into *slot. */
int health_build_score(const struct vigil_config *cfg, size_t i, struct score **slot);

/* Check k of cfg into hc (which reports to health h); no check object
 * when nobody tracks it. err: "FILE:LINE: check NAME: why". */
int health_build_check(struct health *h, const struct vigil_config *cfg, struct health_check *hc,
		       size_t k, char *err, size_t errlen);

/* Instance i's score moved: log it and tell the owner. */
void health_report_instance(struct health *h, size_t i);

#endif
