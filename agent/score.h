// SPDX-License-Identifier: GPL-2.0-or-later
// Scoring: rise/fall hysteresis per tracked check, and the effective priority it gives.
#ifndef VIGIL_SCORE_H
#define VIGIL_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h" /* enum check_status: the levels are the checks' verdicts */

/*
 * Pure: no libev, no logging, no clock. One struct score per VRRP
 * instance; it tracks the instance's checks by index (the order of its
 * `track` list) and turns their results into an effective priority.
 *
 * Hysteresis (docs/design.md "Scoring": a result enters a worse level
 * after `fall` results at that level or worse, and leaves it after `rise`
 * results at a better one; a definite answer counts as `fall` results at
 * once). Precisely, for each check:
 *
 *   - The levels are ok < degraded < failed (worse is larger). Each check
 *     has a current level, which is what penalties use.
 *   - Two kinds of run are kept for every level X, over the whole history
 *     of results (a transition does not reset them):
 *       worse_run(X)  = consecutive latest results with status >= X
 *       better_run(X) = consecutive latest results with status <= X
 *     A definite result adds `fall` to worse_run(X) for every X up to its
 *     status, instead of 1; it counts as one ordinary result in
 *     better_run (the rule gives definite answers no power to improve).
 *   - After each result: if some level W worse than the current one has
 *     worse_run(W) >= fall, the level becomes the worst such W. Otherwise,
 *     if some level B better than the current one has
 *     better_run(B) >= rise, the level becomes the best such B. Otherwise
 *     it stays. (Both cannot hold at once: the latest result would have
 *     to be both worse and better than the current level.)
 *   - Consequences: from ok with fall = 2, "degraded, failed" enters
 *     degraded (two results at degraded or worse, only one failed), and a
 *     further "failed" then enters failed. From failed with rise = 2,
 *     "ok, degraded" moves to degraded (the worst of the last `rise`
 *     results, never the best), "ok, ok" moves to ok. A single result at
 *     the current level breaks every run in both directions.
 *   - Start: every check is at failed, with "no result yet", until `rise`
 *     results at a better level: a node just started never takes the VIP
 *     from a healthy master before its checks pass (docs/design.md
 *     "Scoring").
 *
 * Effective priority = base - sum of (penalty of each check at failed,
 * degraded_penalty of each check at degraded), clamped to 1..254; a base
 * of 255 (address owner) is never changed (RFC 5798 5.2.4: only the owner
 * may use 255, and it always does). Any `fatal` check at failed (no
 * result yet included) sets the fault flag: the instance must not hold
 * the VIP.
 */

/* How one tracked check counts. */
struct score_check_conf {
	const char *name;          /* for score_explain(); copied by score_new() */
	uint8_t penalty;           /* subtracted while failed */
	uint8_t degraded_penalty;  /* subtracted while degraded */
	uint16_t rise;             /* >= 1 */
	uint16_t fall;             /* >= 1 */
	bool fatal;                /* failed puts the instance in FAULT */
};

struct score;

/*
 * Create the score of one instance.
 * out: receives it. base: the configured priority (1..255).
 * checks/n: the tracked checks (copied; n may be 0, checks then NULL).
 * Returns 0, -EINVAL (NULL out, base 0, rise or fall 0, NULL checks with
 * n > 0), or -ENOMEM.
 */
int score_new(struct score **out, uint8_t base, const struct score_check_conf *checks, size_t n);

/* Free. Accepts NULL. */
void score_free(struct score *s);

/* Start tracked check i at level, as if rise or fall had just reached it
 * (a reload or a restart carries a check's verdict over: "no result yet
 * counts as failed" would otherwise lower the priority and move the VIP).
 * Out-of-range i or level: nothing changes. */
void score_seed(struct score *s, size_t i, enum check_status level);

/*
 * Feed one result of check i.
 * status: the result's verdict (out of range counts as failed).
 * definite: the result's definite flag (counts as `fall` results).
 * Returns true when the check's level changed (the priority may have
 * changed with it: compare score_priority() before and after), false
 * otherwise or when i is out of range.
 */
bool score_feed(struct score *s, size_t i, enum check_status status, bool definite);

/* Forget check i's results: back to failed, "no result yet" (e.g. after
 * the check was restarted). No-op when i is out of range. */
void score_reset(struct score *s, size_t i);

/* The effective priority now (1..254, or 255 for an owner). */
uint8_t score_priority(const struct score *s);

/* Returns true while a fatal check is at failed. */
bool score_fault(const struct score *s);

/* The base priority given to score_new(). */
uint8_t score_base(const struct score *s);

/* Number of tracked checks. */
size_t score_count(const struct score *s);

/* Check i's current level (CHECK_FAILED when i is out of range). */
enum check_status score_level(const struct score *s, size_t i);

/* Returns true once check i has had at least one result. */
bool score_reported(const struct score *s, size_t i);

/* What check i subtracts now (0 when ok or out of range). */
unsigned score_penalty(const struct score *s, size_t i);

/*
 * One line for the log saying why the priority is what it is, e.g.
 *   "priority 85 = 150 - 60 (ping failed) - 5 (lag degraded)"
 *   "priority 1 = 150 - 100 (a failed) - 100 (b no result yet), clamped"
 *   "priority 150 = 150, all checks ok"
 *   "priority 255, address owner (ping failed)"
 * followed by "; FAULT: NAME failed (fatal)" for each fatal check down.
 * Every check not at ok is named, even with a penalty of 0.
 * Returns what snprintf would: the length of the whole line, so a result
 * >= len means buf (always NUL-terminated when len > 0) was cut.
 */
int score_explain(const struct score *s, char *buf, size_t len);

/*
 * What-if, for `vigild -t`: the effective priority of an instance with
 * this base and these checks when check i is at level status and every
 * other check is ok. fault (may be NULL) receives whether the instance
 * would be in FAULT. Without i (i >= n) every check is ok. Pure: builds
 * no score, needs no results. Compare with a peer's priority to see
 * whether a failure can move the VIP: under the health takeover rule a
 * healthy backup takes over only from a master advertising below its
 * own priority.
 */
uint8_t score_what_if(uint8_t base, const struct score_check_conf *checks, size_t n,
		      size_t i, enum check_status status, bool *fault);

#endif
