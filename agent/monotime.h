/* SPDX-License-Identifier: GPL-2.0-or-later */
/* monotime.h: the agent's one reading of the monotonic clock, in milliseconds. */
#ifndef VIGIL_MONOTIME_H
#define VIGIL_MONOTIME_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ms: the clock of every deadline and gap the agent
 * measures (the VRRP instance's timestamps use the same clock). */
static inline uint64_t monotime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
