// SPDX-License-Identifier: GPL-2.0-or-later
// vigilctl metrics and GET /metrics: the status view in the Prometheus
// text exposition format.
#ifndef VIGIL_METRICS_H
#define VIGIL_METRICS_H

#include "status.h"

/* The Content-Type of the answer, for the HTTP server. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Pure: a function of the view (status.h) alone, as status_render_text is.
 * Families are named after the keepalived exporter's where it has one
 * (vigil_vrrp_state 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT), each with its
 * HELP and TYPE lines; label values are escaped (backslash, double quote,
 * newline). Instances carry instance, interface and vrid labels; checks a
 * check label. Families without a sample (no instance with data safety, no
 * tracked check) are left out.
 * Returns a NUL-terminated string from malloc(), ending in a newline, or
 * NULL when out of memory.
 */
char *metrics_render(const struct status_view *v);

#endif
