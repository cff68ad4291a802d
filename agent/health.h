// SPDX-License-Identifier: GPL-2.0-or-later
// Health: runs the configured checks and turns their results into each
// instance's effective priority and fault flag (checks -> score).
#ifndef VIGIL_HEALTH_H
#define VIGIL_HEALTH_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "config.h"
#include "log.h"

struct health;

/*
 * Called when instance i's effective priority or fault flag changed.
 * The agent hands both to the instance's state machine.
 */
typedef void (*health_change_fn)(void *ctx, size_t instance, uint8_t priority, bool fault);

/*
 * One check object per [check] section that some instance tracks (shared
 * by every instance tracking it) and one score per instance.
 * loop: the daemon's loop. cfg, log: borrowed, must outlive the object.
 * Returns 0 and *out, or a negative errno with a message in err.
 */
int health_new(struct health **out, struct ev_loop *loop, const struct vigil_config *cfg,
	       const struct logger *log, health_change_fn change, void *ctx,
	       char *err, size_t errlen);

/* ---- reload: build aside, then swap ---------------------------------- */

struct health_next;

/* What a reload did to the checks (those some instance tracks). */
struct health_reload_counts {
	size_t checks_kept;        /* probing as before: the same object, its state kept */
	size_t checks_restarted;   /* probe settings changed: a new object */
	size_t checks_added;
	size_t checks_removed;
};

/*
 * Build the checks and scores of cfg beside the running ones. A check
 * whose probe settings did not change (same name, type, target, timings,
 * query, command) will keep its running object and state; others get new
 * objects, not started. Each instance's new score starts with the levels
 * its checks have now (matched by instance and check name), so a changed
 * check keeps its last verdict until it reports again; a new instance
 * starts as at startup. Nothing running changes.
 * Returns 0 and *out, or a negative errno with a message in err.
 */
int health_reload_prepare(struct health *h, const struct vigil_config *cfg,
			  struct health_next **out, char *err, size_t errlen);

/*
 * Swap in what health_reload_prepare() built: checks no longer tracked
 * stop and go, new ones start, and every instance of the new
 * configuration is told its priority (change callback, in the new
 * order). counts (may be NULL) receives what happened. Frees next.
 * cfg must outlive h from now on.
 */
void health_reload_commit(struct health *h, struct health_next *next,
			  struct health_reload_counts *counts);

/*
 * Before the first results: start check `check` at level for every
 * instance tracking it (a restart carries the verdicts over, so the new
 * process advertises the priority the old one did). Priorities that move
 * are reported as usual. Returns 0, or -ENOENT (no such check, or a bad
 * level).
 */
int health_seed(struct health *h, const char *check, enum check_status level);

/* Drop what health_reload_prepare() built. Accepts NULL. */
void health_reload_abort(struct health_next *next);

/* Start every check (the first probe of each runs at once). */
void health_start(struct health *h);

/* Stop every check. */
void health_stop(struct health *h);

/* Stop and free. Accepts NULL. */
void health_free(struct health *h);

/* Instance i's effective priority now (before any result: every tracked
 * check counts as failed, so a node that just started cannot win). */
uint8_t health_priority(const struct health *h, size_t instance);

/* Instance i's fault flag (a fatal check failed, or has not passed yet). */
bool health_fault(const struct health *h, size_t instance);

/*
 * Instance i's priority explained, as logged on every change ("priority
 * 90 = 150 - 60 (ping failed)"). Returns what snprintf would; an
 * instance out of range gives "".
 */
int health_explain(const struct health *h, size_t instance, char *buf, size_t len);

/* One check as status shows it. Pointers are borrowed from the running
 * objects: valid until the loop runs again. */
struct health_check_info {
	const struct config_check *conf;    /* its [check] section */
	bool tracked;                       /* some instance tracks it, so it runs */
	const struct check_result *last;    /* the last result; NULL before the first */
	enum check_status level;            /* after rise/fall (failed until it passed) */
	unsigned penalty;                   /* subtracted now from each instance tracking it */
	uint32_t consecutive;               /* results in a row with last->status */
	uint64_t last_result_ms;            /* CLOCK_MONOTONIC ms of the last result; 0: none */
	uint64_t last_change_ms;            /* when last->status became what it is; 0: none */
	const struct check_stats *stats;    /* the scheduler's counters; NULL when not tracked */
};

/* Fill *out for check k (index into cfg->checks). Returns 0, or -EINVAL
 * when k is out of range. */
int health_check_info(const struct health *h, size_t k, struct health_check_info *out);

#endif
