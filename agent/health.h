// SPDX-License-Identifier: GPL-2.0-or-later
// Health: runs the configured checks and turns their results into each
// instance's effective priority and fault flag (checks -> score).
#ifndef VIGIL_HEALTH_H
#define VIGIL_HEALTH_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
