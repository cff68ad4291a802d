#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 of the master's mysqld: the lost check connection and the refused
# fresh connect are a definite failure, so h1 advertises priority 50 at once
# and h2 takes the VIP after one Skew_Time; a client through the VIP is then
# served by h2 and its writes succeed there. Shipped timing defaults.
. "$(dirname "$0")/vigil_lab.sh"
. "$here/db_lab.sh"

VIP=$DB_VIP
db_lab_up || exit 1

# advert_interval= (empty): vigild's shipped 200 ms. Skew_Time at priority
# 100 is (256 - 100) * 200 / 256 = 121 ms (RFC 5798 6.1).
db_vigil_conf h1 "$LAB_DIR/h1.ini" priority=150 preempt=yes advert_interval= || exit 1
db_vigil_conf h2 "$LAB_DIR/h2.ini" priority=100 preempt=yes advert_interval= || exit 1
SKEW=121

echo "== both nodes up, VIP on the primary"
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
ms=$(lab_wait_for 10000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP alone ($ms ms after start)" lab_vip_held_by $VIP h1
lab_wait_for 5000 vigil_log_has h2.vigild.log 'priority [0-9]+ -> 100' >/dev/null
check "h1's checks passed: priority 150" vigil_log_has h1.vigild.log 'priority [0-9]+ -> 150'
check "h2's checks passed: priority 100" vigil_log_has h2.vigild.log 'priority [0-9]+ -> 100'
check "a client through the VIP is served by h1" db_answers_via_vip 1
# h1 took the VIP from h2 (master first, alone) by a health takeover: h2
# does not take it back within one Master_Down_Interval (721 ms, the
# hold-down of docs/design.md "Health takeover"). Start the clock after
# that, as in a running pair: vigild logs no end to the hold-down, so wait
# for its deadline, counted from h2's logged MASTER -> BACKUP.
lab_wait_for 3000 vigil_in_state h2.vigild.log BACKUP >/dev/null
past_holddown h2.vigild.log 200

echo "== kill -9 mysqld on h1"
pid=$(mdb_pid "$(db_dir h1)")
t0=$(now_ms)
kill -KILL "$pid"
# Bounded polls: the VIP on h2 within 3 s, the client served by h2 within 5 s.
db_time_takeover "$t0" 3000 5000
echo "  kill -> VIP on h2: ${t_vip:-never} ms; kill -> client served by h2: ${t_cli:-never} ms"
check_ms "VIP on h2 within Skew_Time + 150 = $SKEW + 150 ms" "${t_vip:-99999}" $((SKEW + 150))
check_ms "client served by h2 through the VIP within Skew_Time + 150 = $SKEW + 150 ms" \
	"${t_cli:-99999}" $((SKEW + 150))
lab_wait_for 2000 lab_vip_held_by $VIP h2 >/dev/null
check "h2 holds the VIP alone" lab_vip_held_by $VIP h2
check "h2 logged BACKUP -> MASTER" vigil_in_state h2.vigild.log MASTER
check "h1 logged MASTER -> BACKUP" vigil_in_state h1.vigild.log BACKUP
check "h1 logged the check failure with a MySQL error number" \
	vigil_log_has h1.vigild.log 'check ping: failed.*[^0-9](20[0-9][0-9]|1[0-9]{3})[^0-9]'
check "h1 logged its priority change 150 -> 50" \
	vigil_log_has h1.vigild.log 'instance vi: priority 150 -> 50'

echo "== writes resume through the VIP"
ins=$(db_via_vip "INSERT INTO appdb.w (v, server_id) VALUES (4242, @@server_id);
	SELECT server_id FROM appdb.w WHERE v = 4242")
check "INSERT through the VIP succeeded on h2 (answered '$ins')" test "$ins" = 2
check "the row is in h2's own table" \
	test "$(db_sql h2 'SELECT COUNT(*) FROM appdb.w WHERE v = 4242 AND server_id = 2')" = 1

echo "== the VIP stays on h2 (h1's mysqld is still dead)"
t1=$(vigil_transitions h1.vigild.log) t2=$(vigil_transitions h2.vigild.log)
bad=0
for _ in $(seq 1 15); do
	lab_vip_held_by $VIP h2 || bad=$((bad + 1))
	sleep 0.2
done
check "VIP on h2 alone at every one of 15 samples over 3 s ($bad misses)" test "$bad" -eq 0
check "no further state change on h1" test "$(vigil_transitions h1.vigild.log)" -eq "$t1"
check "no further state change on h2" test "$(vigil_transitions h2.vigild.log)" -eq "$t2"
finish
