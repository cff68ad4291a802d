#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-test of the data-safety lab support (test/lab/mariadb.sh,
# test/integration/db_lab.sh), independent of vigil's data-safety features:
# the three servers' settings and grants, the read_only helpers, the writer
# and its counters (through a VIP put on h1 by hand), a hung server, the
# VRRP-only block between two hosts (with two plain vigild), SIGSTOP/SIGCONT
# helpers, MASTER_DELAY and re-pointing a replica.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds DB_NODES=3
db_lab_up || exit 1

echo "== servers: settings and grants"
for h in h1 h2 h3; do
	v=$(db_sql $h "SELECT CONCAT_WS(' ', @@server_id, @@read_only, @@log_bin, @@log_slave_updates,
		@@gtid_strict_mode, @@rpl_semi_sync_master_enabled, @@rpl_semi_sync_slave_enabled,
		@@rpl_semi_sync_master_wait_point, @@rpl_semi_sync_master_timeout,
		@@rpl_semi_sync_master_wait_no_slave)")
	check "$h: server_id ${h#h}, read_only, log_bin, log_slave_updates, gtid_strict_mode, semi-sync both sides, AFTER_SYNC, 5000 ms ($v)" \
		test "$v" = "${h#h} ON ON ON ON ON ON AFTER_SYNC 5000 ON"
done
check "h1's semi-sync master side is on with 2 replicas" \
	test "$(mdb_status "$(db_dir h1)" Rpl_semi_sync_master_status)/$(mdb_status "$(db_dir h1)" Rpl_semi_sync_master_clients)" = ON/2
check "the replicas' master side is settled (off until a replica of theirs catches up)" \
	test "$(mdb_status "$(db_dir h2)" Rpl_semi_sync_master_status)/$(mdb_status "$(db_dir h3)" Rpl_semi_sync_master_status)" = OFF/OFF
g=$(db_sql h2 "SHOW GRANTS FOR vigil@'%'" | tr '\n' ' ')
check "the vigil user has SLAVE MONITOR, READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, CONNECTION ADMIN, PROCESS and SELECT, INSERT, CREATE on vigil.*" \
	eval '[[ $g == *"SLAVE MONITOR"* && $g == *"READ_ONLY ADMIN"* && $g == *"REPLICATION SLAVE ADMIN"* &&
		$g == *"CONNECTION ADMIN"* && $g == *PROCESS* && $g == *"SELECT, INSERT, CREATE ON \`vigil\`.*"* ]]'
g=$(db_sql h1 "SHOW GRANTS FOR app@'%'" | tr '\n' ' ')
check "the app user has ALL on appdb.* and nothing global ($g)" \
	eval '[[ $g == *"ALL PRIVILEGES ON \`appdb\`.*"* && $g != *"ON *.*"*"ON *.*"* && $g != *"READ_ONLY"* && $g != *SUPER* ]]'
check "appdb.w has an AUTO_INCREMENT key" \
	test "$(db_sql h1 "SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'appdb'
		AND TABLE_NAME = 'w' AND COLUMN_NAME = 'id'")" = auto_increment
check "no server writable (db_writable_count 0)" test "$(db_writable_count)" = 0
db_set_read_only h1 0
check "h1 opened: db_writable_hosts = h1" test "$(db_writable_hosts)/$(db_writable_count)" = h1/1

echo "== the writer, through the VIP put on h1 by hand"
ip -n "$(lab_ns h1)" addr add "$VIP/24" dev eth0 || exit 1
db_writer_start 1000 30 || exit 1
ms=$(db_writer_wait_acked 20 5000 1)
check "20 writes acknowledged by server 1 ($ms ms)" test "$(db_writer_acked 1)" -ge 20
T=$(_lab_now_us)
db_set_read_only h1 1
ms=$(lab_wait_for 5000 eval "[ \"\$(db_writer_errors 1290 $T)\" -ge 3 ]")
db_set_read_only h1 0
check "read_only = ON: writes fail with 1290 ($(db_writer_errors 1290 "$T") errors, $ms ms)" \
	test "$(db_writer_errors 1290 "$T")" -ge 3
n=$(db_writer_acked)
ms=$(db_writer_wait_acked $((n + 10)) 5000)
check "read_only = OFF: writes are acknowledged again ($ms ms)" test "$(db_writer_acked)" -ge $((n + 10))
db_master_delay h2 2 || exit 1
n=$(db_writer_acked)
db_writer_wait_acked $((n + 10)) 5000 >/dev/null
db_writer_stop
check "h2 with MASTER_DELAY = 2 lacks the last acknowledged writes ($(db_writer_missing h2))" \
	test "$(db_writer_missing h2)" -gt 0
ms=$(lab_wait_for 6000 eval '[ "$(db_writer_missing h2)" = 0 ]')
check "and has them all 2 s later ($ms ms)" test "$(db_writer_missing h2)" = 0
victim=$(awk '$4 == "ok" { v = $1 } END { print v }' "$DB_WRITER_LOG")
db_sql h3 "SET SESSION sql_log_bin = 0; DELETE FROM appdb.w WHERE v = $victim"
check "an acknowledged row deleted on h3 is counted missing there (1, $victim)" \
	eval '[ "$(db_writer_missing h3)" = 1 ] && [ "$(cat "$LAB_DIR/missing.h3.txt")" = "$victim" ]'
check "the error summary counts the 1290s ($(db_writer_error_summary))" \
	eval '[[ "$(db_writer_error_summary)" == *1290:* ]]'
gap=$(db_writer_max_gap_ms)
check "the longest gap spans the read-only window ($gap ms)" eval '[ "$gap" -ge 100 ] && [ "$gap" -lt 5000 ]'
db_writer_report h1

echo "== a hung server: the writer stays bounded"
DB_WRITER_TIMEOUT_S=3 db_writer_start 1000 30 || exit 1
db_writer_wait_acked 5 5000 1 >/dev/null
T=$(_lab_now_us)
db_mysqld_signal h1 STOP
ms=$(lab_wait_for 5000 eval "[ \"\$(db_writer_errors '' $T)\" -ge 1 ]")
check "attempts against the frozen server fail ($(db_writer_error_summary), $ms ms)" \
	test "$(db_writer_errors "" "$T")" -ge 1
check "db_read_only of a frozen server answers nothing, in about 1 s" \
	eval 't=$(now_ms); r=$(db_read_only h1); [ -z "$r" ] && [ $(($(now_ms) - t)) -lt 2500 ]'
t=$(now_ms)
pid=$DB_WRITER_PID
db_writer_stop
check "the writer stops within 3 s with attempts hanging ($(($(now_ms) - t)) ms)" \
	eval 'lab_pid_gone $pid && [ $(($(now_ms) - t)) -lt 3000 ]'
check "nothing of the writer is left in c's namespace" test -z "$(ip netns pids "$(lab_ns c)")"
db_mysqld_signal h1 CONT
lab_wait_for 5000 db_is_writable h1 >/dev/null
ip -n "$(lab_ns h1)" addr del "$VIP/24" dev eth0

echo "== VRRP dropped between h1 and h2 only (two plain vigild)"
db_vigil_conf h1 "$LAB_DIR/h1.ini" priority=150 advert_interval=100ms || exit 1
db_vigil_conf h2 "$LAB_DIR/h2.ini" priority=100 advert_interval=100ms || exit 1
vigil_run h1 run1
lab_wait_for 5000 lab_vip_held_by $VIP h1 >/dev/null
vigil_run h2 run1
lab_wait_for 5000 vigil_log_has h2.vigild.log 'all checks ok' >/dev/null
check "h1 holds the VIP alone" lab_vip_held_by $VIP h1
lab_drop_vrrp_between h1 h2
lab_drop_vrrp_between h1 h2
check "the block is idempotent (one rule, one element per host)" \
	eval '[ "$(lab_exec h1 nft list table inet lab_vrrp_pair | grep -c "@peers")" = 1 ]'
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP "h1 h2")
check "h2 hears nothing from h1 and takes the VIP too ($ms ms)" lab_vip_held_by $VIP "h1 h2"
check "TCP between them still works (h2 reaches h1's server)" \
	test "$(lab_exec h2 "$MDB_CLIENT" --defaults-file="$LAB_DIR/app.cnf" -h "$(lab_addr h1)" -N -B -e 'SELECT @@server_id')" = 1
check "h3 still hears h1 (its VRRP is not blocked)" \
	test -z "$(lab_exec h3 nft list tables 2>/dev/null | grep lab_vrrp_pair)"
lab_allow_vrrp_between h1 h2
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h1)
check "unblocked: h1 alone holds the VIP again ($ms ms)" lab_vip_held_by $VIP h1

echo "== SIGSTOP / SIGCONT helpers"
state() { awk '{ print $3 }' "/proc/$1/stat"; }
mpid=$(mdb_pid "$(db_dir h2)")
db_freeze h2 "$h2"
check "db_freeze: h2's vigild and mysqld stopped ($(state "$h2")/$(state "$mpid"))" \
	test "$(state "$h2")/$(state "$mpid")" = T/T
db_thaw h2 "$h2"
check "db_thaw: both running again ($(state "$h2")/$(state "$mpid"))" \
	eval '[ "$(state "$h2")" != T ] && [ "$(state "$mpid")" != T ]'
vigil_term h2
vigil_term h1

echo "== db_rejoin: h3 re-pointed from h1 to h2 (a chain h1 -> h2 -> h3)"
db_sql h2 "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE" || exit 1
db_rejoin h3 h2 || exit 1
db_sql h1 "INSERT INTO appdb.w (v, server_id) VALUES (424242, @@server_id)"
ms=$(lab_wait_for 5000 eval '[ "$(db_sql h3 "SELECT COUNT(*) FROM appdb.w WHERE v = 424242")" = 1 ]')
check "a write on h1 reaches h3 through h2 ($ms ms)" \
	test "$(db_sql h3 "SELECT COUNT(*) FROM appdb.w WHERE v = 424242")" = 1
check "db_caught_up h3 h2" db_caught_up h3 h2
check "h3 replicates from h2 (Master_Host $(db_slave h3 Master_Host))" \
	test "$(db_slave h3 Master_Host)" = "$(lab_addr h2)"
finish
