#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Data safety when vigil cannot do its job: the vigil user lacks READ_ONLY
# ADMIN (it has the other grants data safety needs), read_only = ON in
# every my.cnf. vigild must say so, naming the grant, and do the safe
# thing: no server becomes writable (vigil can neither open one nor
# vouch for one), so no write through the VIP is acknowledged. Where the VIP
# ends up (on a read-only server, or nowhere) is printed, not asserted; it
# is never on two hosts. vigild refusing to start counts as safe too, if it
# names the grant. Then, with the grant given, the server hangs during a
# demotion (h1's mysqld stopped with SIGSTOP, then SIGTERM to h1's
# vigild): the demotion says what it could not do, is bounded, the VIP
# goes, and h2 takes over through its gate; when h1's vigild starts again
# the woken server is made read-only. DS_BASELINE=1: today's keys.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds DB_READ_ONLY_CNF=1
DB_VIGIL_PRIV="SLAVE MONITOR, REPLICATION SLAVE ADMIN, CONNECTION ADMIN, PROCESS"
h1='' h2=''

db_lab_up || exit 1
check "the vigil user lacks READ_ONLY ADMIN" \
	eval '! db_sql h1 "SHOW GRANTS FOR vigil@\"%\"" | grep -q "READ_ONLY ADMIN"'
# notify_alarm records what data safety could not do.
mkdir -m 0755 "$LAB_DIR/bin"
cat >"$LAB_DIR/bin/alarm.sh" <<'SH'
#!/bin/sh
echo "$VIGIL_INSTANCE $VIGIL_STATE $VIGIL_ALARM" >>"$(dirname "$0")/alarm.out"
SH
chmod 0755 "$LAB_DIR/bin/alarm.sh"
db_ds_conf h1 150 ds="notify_alarm = $LAB_DIR/bin/alarm.sh" || exit 1
db_ds_conf h2 100 ds="notify_alarm = $LAB_DIR/bin/alarm.sh" || exit 1

echo "== start both vigild (h1 first)"
# vigil_start, not vigil_run: a vigild that refuses to start is allowed.
vigil_start h1 "$LAB_DIR/h1.ini"; h1=$LAB_PID
vigil_start h2 "$LAB_DIR/h2.ini"; h2=$LAB_PID
ms=$(lab_wait_for 5000 eval 'vigil_log_has h1.vigild.log "READ.ONLY ADMIN" && vigil_log_has h2.vigild.log "READ.ONLY ADMIN"')
check "both vigild logged an error naming the READ_ONLY ADMIN grant ($ms ms)" \
	eval 'vigil_log_has h1.vigild.log "READ.ONLY ADMIN" && vigil_log_has h2.vigild.log "READ.ONLY ADMIN"'
echo "   h1: $(grep -m1 -E 'READ.ONLY ADMIN' "$LAB_DIR/h1.vigild.log" | cut -c1-200)"
lab_wait_for 5000 test -s "$LAB_DIR/bin/alarm.out" >/dev/null
check "notify_alarm ran, saying the server could not be made read-only" \
	grep -q 'vi .* cannot make the server read-only' "$LAB_DIR/bin/alarm.out"
echo "   alarm: $(head -n1 "$LAB_DIR/bin/alarm.out" 2>/dev/null | cut -c1-160)"
echo "   vigild running: h1 $(lab_pid_alive "$h1" && echo yes || echo no), h2 $(lab_pid_alive "$h2" && echo yes || echo no)"
db_writer_start 200 20 || exit 1
read -r _ multi any < <(db_watch 30 100 "")
check "no server writable at any of 30 samples over 3 s ($any samples with one, $multi with more)" \
	test "$any" = 0
holder=$(lab_vip_holder $VIP)
check "the VIP is on at most one host ('$holder')" eval '[ "${holder// /}" = "$holder" ]'
db_writer_stop
db_writer_report h1
check "no write through the VIP was acknowledged ($(db_writer_acked))" test "$(db_writer_acked)" = 0

echo "== the server hangs during a demotion"
for p in "$h1" "$h2"; do lab_pid_alive "$p" && vigil_stop "$p"; done
db_vip_clear
db_sql h1 "GRANT READ_ONLY ADMIN ON *.* TO '$MDB_VIGIL_USER'@'%'" || exit 1
lab_wait_for 5000 eval 'db_sql h2 "SHOW GRANTS FOR vigil@\"%\"" | grep -q "READ_ONLY ADMIN"' >/dev/null
db_set_read_only h1 0
db_ds_start run2 h1 h2 || exit 1
m1=$(mark h1.vigild.log)
db_mysqld_signal h1 STOP
lab_kill "$h1" TERM
ms=$(lab_wait_for 15000 lab_pid_gone "$h1")
check "h1's vigild finished its stop in a bounded time ($ms ms) though its server hangs" lab_pid_gone "$h1"
check "the demotion said it could not make the hung server read-only" \
	log_has_after h1.vigild.log "$m1" 'demote \(graceful stop: switchover\): (the server does not answer|the server did not answer a moment ago).*read_only (is set|not set|not confirmed)'
ms=$(lab_wait_for 15000 eval "lab_vip_held_by $DB_VIP h2 && db_is_writable h2")
check "h2 holds the VIP with its server writable ($ms ms)" eval "lab_vip_held_by $DB_VIP h2 && db_is_writable h2"
db_mysqld_signal h1 CONT
vigil_run h1 run3
ms=$(lab_wait_for 10000 db_is_read_only h1)
check "h1's woken server is read-only once its vigild runs again ($ms ms)" db_is_read_only h1
check "h2's is the only writable server" test "$(db_writable_hosts)" = h2
finish
