#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs mysql_checks_test (the mysql_ping and mysql_replication checkers)
# against real MariaDB servers on loopback: a standalone server S, a primary
# P and its GTID replica R, with the vigil check user (SLAVE MONITOR only)
# and a user without privileges. Usage: mysql_checks.sh PATH/TO/mysql_checks_test
# Exit 0 pass, 1 fail, 77 skip (not root outside CI; under CI=true a missing
# prerequisite fails).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lab/mariadb.sh"

bin=${1:?usage: mysql_checks.sh PATH/TO/mysql_checks_test}
mdb_require
dir=$(mktemp -d "${TMPDIR:-/tmp}/vigil-mysql-checks.XXXXXX") || exit 1
MDB_NO_TRAP=1
trap 'mdb_cleanup; rm -rf "$dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$(_mdb_now_ms)
# S listens on 127.0.0.1 and ::1: one case checks it over IPv6.
for s in S P R; do
	bind=; [ "$s" != S ] || bind=127.0.0.1,::1
	mdb_init "$dir/$s" && mdb_start "$dir/$s" "" "" "$bind" ||
		{ echo "mysql_checks: cannot start server $s" >&2; exit 1; }
done
echo "mysql_checks: 3 servers up in $(($(_mdb_now_ms) - t0)) ms (first includes mariadb-install-db)"
mdb_make_replica "$dir/R" "$dir/P" 127.0.0.1 "$(mdb_port "$dir/P")" || exit 1
mdb_add_vigil_user "$dir/S" || exit 1
# Users made on the primary replicate to R; write each client file beside
# the server it is used with.
mdb_add_vigil_user "$dir/P" || exit 1
cp -p "$dir/P/vigil.cnf" "$dir/R/vigil.cnf"
MDB_VIGIL_USER=vigil_np mdb_add_vigil_user "$dir/P" % "" "$dir/R/noprivs.cnf" || exit 1
# Let the grants reach the replica (bounded).
for _ in $(seq 1 100); do
	[ "$(mdb_sql "$dir/R" "SELECT COUNT(*) FROM mysql.user WHERE user LIKE 'vigil%'")" = 2 ] && break
	sleep 0.05
done

MDB_S=$dir/S MDB_P=$dir/P MDB_R=$dir/R MDB_LIB=$here/../lab/mariadb.sh \
	CMOCKA_MESSAGE_OUTPUT=STDOUT "$bin"
