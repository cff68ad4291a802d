/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mysql_replication: the replica health checker (SHOW REPLICA STATUS judged by repl_eval). */
#ifndef VIGIL_MYSQL_REPLICATION_H
#define VIGIL_MYSQL_REPLICATION_H

#include "check.h"

/*
 * type = mysql_replication. Params: host/port or socket, defaults_file,
 * timeout_ms, warn_lag_ms, crit_lag_ms, heartbeat_table (optional).
 *
 * One probe on a persistent connection (reconnected when lost); one that
 * overlaps an older probe still waiting (check.h) runs on a fresh
 * connection of its own, as in mysql_ping.h:
 *   1. SHOW REPLICA STATUS (MariaDB >= 10.5, MySQL >= 8.0.22); on error
 *      1064 it falls back to SHOW SLAVE STATUS and remembers that;
 *   2. every replica: SELECT @@gtid_slave_pos (MariaDB; NULL on MySQL),
 *      @@read_only, so an IO thread that cannot reach a dead primary is
 *      judged by what the SQL thread applied of what it received, and a
 *      promoted server (writable, both threads stopped) is told apart
 *      from a broken replica;
 *   3. heartbeat mode: the lag read from the heartbeat table (below);
 *   4. repl_eval() (see repl_eval.h for the decision table); value = lag
 *      in milliseconds, -1 when unknown.
 * Errors: 1227/1142/1143 (missing privilege) and 1045/1044/1698 (auth) are
 * failed + config_problem with a loud detail naming the GRANT needed; on
 * MariaDB 10.11 the check user needs SLAVE MONITOR (alias REPLICA MONITOR)
 * for SHOW REPLICA STATUS, plus SELECT on the heartbeat table in heartbeat
 * mode. Other errors and timeouts are failed with "ERRNO: text".
 *
 * Heartbeat mode (the pt-heartbeat idea): Seconds_Behind_Master only
 * measures how far the SQL thread is behind the relay log the IO thread
 * has received, so a stalled IO thread can show lag 0 while the replica
 * falls behind. A row written on the primary every second and replicated
 * gives a lag that does not lie:
 *
 *   CREATE DATABASE vigil;
 *   CREATE TABLE vigil.heartbeat (server_id INT UNSIGNED PRIMARY KEY,
 *                                 ts DATETIME(6) NOT NULL);
 *   -- written on the primary by the event scheduler (event_scheduler=ON);
 *   -- events are replicated disabled, so only the current primary writes
 *   -- (enable it on a promoted replica), or by cron/pt-heartbeat alike:
 *   CREATE EVENT vigil.heartbeat ON SCHEDULE EVERY 1 SECOND DO
 *     REPLACE INTO vigil.heartbeat VALUES (@@server_id, UTC_TIMESTAMP(6));
 *
 * The checker reads SELECT TIMESTAMPDIFF(MICROSECOND, MAX(ts),
 * UTC_TIMESTAMP(6)) FROM <heartbeat_table>: both clocks must be in sync
 * (NTP), as with pt-heartbeat. The heartbeat lag replaces
 * Seconds_Behind_Master only while the IO thread runs; an empty table falls
 * back to Seconds_Behind_Master. heartbeat_table must be [A-Za-z0-9_.]
 * (db.table), checked at create.
 */
extern const struct check_type mysql_replication_type;

#endif
