#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A node that starts while a healthy master holds the VIP takes it only
# after its own checks pass, even with a higher priority and preempt on:
# a check with no result counts as failed (docs/design.md "Scoring"), so
# a fresh vigild advertises base - penalty until its first rise.
#  A: h2 (priority 100) is master; h1 (150, preempt) starts with its mysqld
#     stopped: the VIP stays on h2. Then h1's mysqld starts: after rise, h1
#     takes the VIP.
#  B: h1's mysqld up, h1's vigild restarted: h1 raises its priority first,
#     then takes the VIP (log order).
# Shipped timing defaults.
. "$(dirname "$0")/vigil_lab.sh"
. "$here/db_lab.sh"

VIP=$DB_VIP
db_lab_up || exit 1
# line_of REGEX LOG: number of the first matching line (empty if none).
line_of() { grep -nE "$1" "$LAB_DIR/$2" 2>/dev/null | head -n1 | cut -d: -f1; }

db_vigil_conf h1 "$LAB_DIR/h1.ini" priority=150 preempt=yes advert_interval= || exit 1
db_vigil_conf h2 "$LAB_DIR/h2.ini" priority=100 preempt=yes advert_interval= || exit 1

echo "== A: h2 is master; h1's mysqld is down when h1's vigild starts"
mdb_stop "$(db_dir h1)" TERM || { echo "cannot stop h1's mysqld" >&2; exit 1; }
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h2)
check "h2 alone holds the VIP ($ms ms after start)" lab_vip_held_by $VIP h2
lab_wait_for 3000 vigil_log_has h2.vigild.log 'priority [0-9]+ -> 100' >/dev/null
check "h2's checks passed: priority 100" vigil_log_has h2.vigild.log 'priority [0-9]+ -> 100'
tr2=$(vigil_transitions h2.vigild.log)

vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
bad=0
for _ in $(seq 1 50); do
	lab_vip_held_by $VIP h2 || bad=$((bad + 1))
	sleep 0.1
done
check "VIP on h2 alone at every one of 50 samples over 5 s ($bad misses)" test "$bad" -eq 0
check "h1 never became MASTER" sh -c "! grep -q -- '-> MASTER' '$LAB_DIR/h1.vigild.log'"
check "h1 started with the failed-until-checked priority 50" \
	vigil_log_has h1.vigild.log 'INIT -> BACKUP \(startup; priority 50\)'
check "h1 logged its check failing (refused)" vigil_log_has h1.vigild.log 'check ping: failed'
check "h1 never raised its priority to 150" sh -c "! grep -qE 'priority [0-9]+ -> 150' '$LAB_DIR/h1.vigild.log'"
check "no state change on h2" test "$(vigil_transitions h2.vigild.log)" -eq "$tr2"

echo "== A: h1's mysqld starts: h1 takes the VIP after its checks pass"
t0=${EPOCHREALTIME//[!0-9]/}
MDB_SERVER_ID=1 mdb_start "$(db_dir h1)" "$(lab_ns h1)" 3306 0.0.0.0 || exit 1
lab_track "$(mdb_pid "$(db_dir h1)")" h1 mariadbd
t1=${EPOCHREALTIME//[!0-9]/}
# connect_interval (5 s) paces reconnects to a down server; then rise (2)
# checks 200 ms apart, then one Skew_Time of h1.
ms=$(lab_wait_for 8000 lab_vip_held_by $VIP h1)
echo "  h1's mysqld started in $(( (t1 - t0) / 1000 )) ms; h1 held the VIP $ms ms after that"
check "h1 alone holds the VIP within connect_interval + 3 s (${ms} ms)" lab_vip_held_by $VIP h1
l_prio=$(line_of 'instance vi: priority 50 -> 150' h1.vigild.log)
l_master=$(line_of 'BACKUP -> MASTER' h1.vigild.log)
check "h1 raised its priority (line ${l_prio:-none}) before BACKUP -> MASTER (line ${l_master:-none})" \
	test "${l_prio:-999999}" -lt "${l_master:-0}"
check "h2 went MASTER -> BACKUP" vigil_in_state h2.vigild.log BACKUP
check "a client through the VIP is served by h1" db_answers_via_vip 1

echo "== B: h1's mysqld up, h1's vigild started later"
lab_kill "$h1" TERM
lab_wait_for 3000 lab_vip_held_by $VIP h2 >/dev/null
check "h2 holds the VIP after h1's vigild stopped" lab_vip_held_by $VIP h2
lab_wait_for 3000 vigil_log_has h1.vigild.log 'stopped$' >/dev/null
mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.first.log"
# Past h2's hold-down (it lost the VIP to h1's health takeover): its
# deadline, from h2's logged MASTER -> BACKUP (vigild logs no end to it).
past_holddown h2.vigild.log 200
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h1)
check "h1 alone holds the VIP again (${ms} ms after start)" lab_vip_held_by $VIP h1
l_start=$(line_of 'INIT -> BACKUP \(startup; priority 50\)' h1.vigild.log)
l_prio=$(line_of 'instance vi: priority 50 -> 150' h1.vigild.log)
l_master=$(line_of 'BACKUP -> MASTER' h1.vigild.log)
check "h1 started as BACKUP at priority 50 (line ${l_start:-none})" test -n "$l_start"
check "log order: startup (${l_start:-none}) < priority 50 -> 150 (${l_prio:-none}) < BACKUP -> MASTER (${l_master:-none})" \
	test "${l_start:-999999}" -lt "${l_prio:-999999}" -a "${l_prio:-999999}" -lt "${l_master:-0}"
check "h1 never became MASTER at priority 50" sh -c "! grep -q 'MASTER (.*priority 50)' '$LAB_DIR/h1.vigild.log'"
finish
