// SPDX-License-Identifier: GPL-2.0-or-later
// Rate limit of per-packet log notes, shared by vrrp/instance.c and
// vrrp/port.c (private to vrrp/).
#ifndef VIGIL_VRRP_RATELIMIT_H
#define VIGIL_VRRP_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* Per-packet notes are logged at most this often per reason; the counters
 * see every packet (RFC 9568 7.1 asks for rate-limited drop logging). */
#define VRRP_NOTE_INTERVAL_MS 10000u

struct vrrp_ratelimit {
	uint64_t last_ms;
	uint64_t suppressed;
	bool used;
};

/* True when a note for this key may be logged now; counts what it hides
 * and, on true, says in *suppressed how many were hidden since the last. */
static inline bool vrrp_ratelimit_pass(struct vrrp_ratelimit *rl, uint64_t now,
				       uint64_t *suppressed)
{
	if (rl->used && now - rl->last_ms < VRRP_NOTE_INTERVAL_MS) {
		rl->suppressed++;
		return false;
	}
	*suppressed = rl->suppressed;
	rl->used = true;
	rl->last_ms = now;
	rl->suppressed = 0;
	return true;
}

#endif
