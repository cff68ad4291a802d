/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mysql_ping: the SQL ping checker (persistent connection, fresh-connect probe, confirm at once). */
#ifndef VIGIL_MYSQL_PING_H
#define VIGIL_MYSQL_PING_H

#include "check.h"

/*
 * type = mysql_ping. Params: host (IP literal) + port, or socket;
 * defaults_file (credentials, [client] group); query (default "SELECT 1");
 * slow_ms (degraded above, 0 = never); connect_interval_ms (fresh-connection
 * probe period, 0 = never); timeout_ms (hard deadline of each probe, also
 * enforced by our own timers).
 *
 * One probe:
 *   1. no persistent connection: connect (hard deadline);
 *   2. run the query on the persistent connection, timed: value = latency
 *      in microseconds; ok, or degraded when slower than slow_ms;
 *   3. every connect_interval_ms, also open and close a fresh connection,
 *      because a persistent connection can look healthy while new
 *      connections hang or are refused.
 * A probe that overlaps an older one still waiting (a hung server: see
 * check.h) cannot use the persistent connection, which runs one query at
 * a time: it connects afresh on a connection of its own slot and runs the
 * query there. After its answer that connection takes the place of a
 * persistent one lost meanwhile (its probe cancelled or timed out), or is
 * closed: one persistent connection per check, and none left over.
 * Results:
 *   - a lost persistent connection (seen at once by the idle watch, or a
 *     query failing with 2006/2013) is confirmed at once: the probe (or
 *     check_probe_now() when idle) reconnects; success is a plain ok (a
 *     DBA's KILL or wait_timeout never causes a failover); a refused
 *     connect (2002/2003), 1053 (shutdown), or a reset during that
 *     confirming handshake (2013: mysqld dying) is failed + definite;
 *   - 1040 Too many connections: degraded (alive but refusing clients);
 *   - 1045/1044/1698 (auth): failed + config_problem, the detail says
 *     "check the credentials in mysql_defaults_file";
 *   - a bad query (1064, 1146, 1142, 1227...): failed + config_problem;
 *   - no answer before the deadline (hung server: TCP accepted, no
 *     greeting): failed;
 *   - any other error: failed. Every detail carries "ERRNO: text".
 */
extern const struct check_type mysql_ping_type;

#endif
