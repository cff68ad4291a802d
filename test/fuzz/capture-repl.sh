#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Captures real SHOW SLAVE STATUS rows for the repl fuzz target's seeds.
#
# Usage (as root):  test/fuzz/capture-repl.sh [OUTDIR]   (default test/fuzz/corpus/repl)
#
# Starts a throw-away MariaDB primary and a GTID replica on 127.0.0.1
# (test/lab/mariadb.sh: temp datadirs, free ports, removed at exit) and
# walks the replica through the states checks/repl_eval.c judges, writing
# one seed per state in fuzz_repl.c's layout: "@@gtid_slave_pos: ..." and
# "@@read_only: ..." (what mysql_replication.c reads after the row), then
# the row as `mariadb -e 'SHOW SLAVE STATUS\G'` prints it. The seeds are
# committed; run this only to capture them again.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/test/fuzz/corpus/repl}
# shellcheck source=../lab/mariadb.sh
. "$root/test/lab/mariadb.sh"
mdb_require
mkdir -p "$out"
tmp=$(mktemp -d /tmp/vigil-capture-repl.XXXXXX)
trap 'mdb_cleanup; rm -rf "$tmp"' EXIT
P=$tmp/p R=$tmp/r

# cap NAME [EXTRA-LINE...]: the replica's state now, as seed NAME.
cap() {
	local name=$1; shift
	{
		[ "$#" -eq 0 ] || printf '%s\n' "$@"
		printf '@@gtid_slave_pos: %s\n' "$(mdb_sql "$R" 'SELECT @@gtid_slave_pos')"
		printf '@@read_only: %s\n' "$(mdb_sql "$R" 'SELECT @@read_only')"
		"$MDB_CLIENT" --defaults-file="$R/root.cnf" -e 'SHOW SLAVE STATUS\G'
	} >"$out/$name"
	echo "capture-repl: $name"
}

# wait_field DIR COLUMN VALUE: bounded (15 s) wait for a SHOW SLAVE STATUS value.
wait_field() {
	local i
	for i in $(seq 300); do
		[ "$(mdb_slave_field "$1" "$2")" = "$3" ] && return 0
		sleep 0.05
	done
	echo "capture-repl: $2 is not $3 after 15 s" >&2
	return 1
}

caught_up() {
	local i
	for i in $(seq 300); do
		[ "$(mdb_sql "$R" 'SELECT @@gtid_slave_pos')" = "$(mdb_sql "$P" 'SELECT @@gtid_binlog_pos')" ] &&
			return 0
		sleep 0.05
	done
	return 1
}

mdb_init "$P" && mdb_start "$P"
mdb_init "$R" && mdb_start "$R"
mdb_make_replica "$R" "$P" 127.0.0.1 "$(mdb_port "$P")"
mdb_sql "$P" 'CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(40))'
mdb_sql "$P" "INSERT INTO app.t VALUES (1, 'one'), (2, 'two')"
caught_up

# The primary: no replication configured, no row.
{
	printf '@@gtid_slave_pos: %s\n' "$(mdb_sql "$P" 'SELECT @@gtid_slave_pos')"
	printf '@@read_only: %s\n' "$(mdb_sql "$P" 'SELECT @@read_only')"
	"$MDB_CLIENT" --defaults-file="$P/root.cnf" -e 'SHOW SLAVE STATUS\G'
} >"$out/primary-not-replica"
cap replica-running
cap replica-running-heartbeat '@heartbeat_us: 1250000'

# Replication stopped by a DBA on a read-only server, then what a
# promotion leaves: both threads stopped, no error, writable.
mdb_sql "$R" 'SET GLOBAL read_only = 1; STOP SLAVE'
cap stopped-read-only
mdb_sql "$R" 'SET GLOBAL read_only = 0'
cap promoted

# A delayed replica (MASTER_DELAY): lag while it waits, then the primary
# dies with events still in the relay log (IO thread Connecting, error
# 2003, applied behind received), then it catches up alone.
mdb_sql "$R" 'CHANGE MASTER TO MASTER_DELAY = 3; START SLAVE'
wait_field "$R" Slave_IO_Running Yes
for i in $(seq 3 12); do mdb_sql "$P" "INSERT INTO app.t VALUES ($i, 'delayed')"; done
sleep 1.5
cap delayed-lag '@warn_lag_ms: 1000'
mdb_stop "$P" KILL
wait_field "$R" Slave_IO_Running Connecting
cap primary-dead-applying
sleep 4
cap primary-dead-caught-up

# The primary back; a row the replica has already: the SQL thread stops
# with 1062. Logged as a statement, so that Last_SQL_Error quotes it, as
# it would a client's (two lines here: the client prints the newline as \n).
mdb_start "$P" "" "$(mdb_port "$P")"
mdb_sql "$R" 'STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE'
wait_field "$R" Slave_IO_Running Yes
caught_up
mdb_sql "$R" "SET SESSION sql_log_bin = 0; INSERT INTO app.t VALUES (100, 'local')"
mdb_sql "$P" "SET SESSION binlog_format = 'STATEMENT'; INSERT INTO app.t
	VALUES (100, 'primary')"
wait_field "$R" Slave_SQL_Running No
cap sql-error-1062

# MySQL 8 names its columns Replica_*/Source_* (MariaDB has no such
# server here): the running row renamed, so the fallback names are seeded.
sed -e 's/Slave_/Replica_/; s/Master/Source/g' "$out/replica-running" >"$out/mysql8-replica-running"
echo "capture-repl: mysql8-replica-running (renamed from replica-running)"
