// SPDX-License-Identifier: GPL-2.0-or-later
// `vigild -t`'s effective-priority table: what each check's failure does
// to an instance's priority, and whether that can ever move the VIP.
#ifndef VIGIL_PRIORITY_TABLE_H
#define VIGIL_PRIORITY_TABLE_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"

/*
 * For every instance: its priority with all checks ok, and with each
 * tracked check failed and degraded (the others ok), compared with a
 * healthy peer of priority peer_priority that runs this instance's
 * preempt, resign_below and health_takeover settings (the backup decides
 * a takeover, so its settings are the ones that count). keepalived users' most common
 * mistake is a weight too small to cross the peer's priority: a failure
 * that cannot move the VIP is marked in the table and also written to err
 * as "FILE:LINE: warning: ..." (the check's penalty line).
 * Returns the number of such warnings.
 */
unsigned priority_table_print(const struct vigil_config *cfg, uint8_t peer_priority,
			      FILE *out, FILE *err);

#endif
