/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Human-readable summary of a configuration, for `vigild -t`. */
#ifndef VIGIL_CONFIG_PRINT_H
#define VIGIL_CONFIG_PRINT_H

#include <stdio.h>

#include "config.h"

/*
 * Print what the configuration will do, one block per instance (interface,
 * VRID, version, priority, advert interval, checksum, VIPs, preempt, peers,
 * tracked checks, data safety when manage_read_only or witness is on: role
 * check, database peers, witness and its timeout, promotion gate; notify) and per check (type, target, timing, rise/fall,
 * penalties and type-specific thresholds).
 *
 * cfg: a validated configuration. out: the stream (stdout for vigild -t).
 */
void config_print_summary(const struct vigil_config *cfg, FILE *out);

#endif /* VIGIL_CONFIG_PRINT_H */
