#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The check's own connection dies while the server is fine: a DBA KILLs it
# (several times), and wait_timeout expires on it. Either way vigild must
# confirm with a fresh connect (docs/design.md "Confirm at once"), find the
# server alive, and change nothing: no state transition on either node, no
# priority change, the VIP stays on the master.
#
# wait_timeout can only expire on an idle connection, and the shipped
# 200 ms interval never leaves one idle for a second; so h1 tracks a second
# mysql_ping check "idle" whose interval (1500 ms) exceeds wait_timeout
# (1 s): its connection is closed by the server before every one of its
# checks. "ping" keeps the shipped defaults and takes the KILLs.
. "$(dirname "$0")/vigil_lab.sh"
. "$here/db_lab.sh"

VIP=$DB_VIP
db_lab_up || exit 1

# vigil_ids: ids of the vigil user's connections on h1, one line, sorted.
vigil_ids() {
	db_sql h1 "SELECT ID FROM information_schema.PROCESSLIST
		WHERE USER = '$MDB_VIGIL_USER' ORDER BY ID" | tr '\n' ' '
}
# count REGEX LOG: matching lines in a log under $LAB_DIR.
count() { grep -cE "$1" "$LAB_DIR/$2" 2>/dev/null || true; }
# wait_timeout aborts of the vigil user's connections in h1's error log.
timeouts() {
	grep -E "Aborted connection .*user: '$MDB_VIGIL_USER'" "$(db_dir h1)/error.log" 2>/dev/null |
		grep -c 'timeout' || true
}
PRIO='instance vi: priority [0-9]+ -> [0-9]+'
BAD='check [^ ]+: (failed|degraded)|CONFIGURATION PROBLEM'

db_sql h1 "SET GLOBAL wait_timeout = 1" || exit 1
# Each connection takes its session wait_timeout from the global at connect.
check "h1's wait_timeout is 1 s" test "$(db_sql h1 'SELECT @@GLOBAL.wait_timeout')" = 1

db_vigil_conf h1 "$LAB_DIR/h1.ini" priority=150 preempt=yes advert_interval= \
	extra="track = ping, idle" \
	tail="$(printf '[check ping]\ntype = mysql_ping\nhost = 127.0.0.1\nport = 3306\n
[check idle]\ntype = mysql_ping\nhost = 127.0.0.1\nport = 3306\ninterval = 1500ms')" || exit 1
db_vigil_conf h2 "$LAB_DIR/h2.ini" priority=100 preempt=yes advert_interval= || exit 1

echo "== both nodes up, VIP on the primary"
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
ms=$(lab_wait_for 10000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP alone ($ms ms after start)" lab_vip_held_by $VIP h1
lab_wait_for 5000 vigil_log_has h1.vigild.log 'priority [0-9]+ -> 150' >/dev/null
lab_wait_for 5000 vigil_log_has h2.vigild.log 'priority [0-9]+ -> 100' >/dev/null
check "h1's checks passed: priority 150" vigil_log_has h1.vigild.log 'priority [0-9]+ -> 150'
check "h2's checks passed: priority 100" vigil_log_has h2.vigild.log 'priority [0-9]+ -> 100'
# Past h2's hold-down after h1's start-up takeover (its deadline, from h2's
# logged MASTER -> BACKUP: vigild logs no end to it).
lab_wait_for 3000 vigil_in_state h2.vigild.log BACKUP >/dev/null
past_holddown h2.vigild.log 200

tr1=$(vigil_transitions h1.vigild.log) tr2=$(vigil_transitions h2.vigild.log)
pr1=$(count "$PRIO" h1.vigild.log) pr2=$(count "$PRIO" h2.vigild.log)
bad1=$(count "$BAD" h1.vigild.log)
misses=0 samples=0
sample() {
	samples=$((samples + 1))
	lab_vip_held_by $VIP h1 || misses=$((misses + 1))
}

echo "== a DBA KILLs the check's connections on h1, 6 times, 1 s apart"
kills=0 renewed=0
for _ in $(seq 1 6); do
	before=$(vigil_ids)
	for id in $before; do
		db_sql h1 "KILL $id" 2>/dev/null && kills=$((kills + 1))
	done
	for _ in $(seq 1 5); do sample; sleep 0.2; done
	after=$(vigil_ids)
	# A connection id never comes back: a new id means a reconnect.
	for id in $after; do [[ " $before " == *" $id "* ]] || { renewed=$((renewed + 1)); break; }; done
done
echo "  $kills KILLs; the check reconnected after $renewed of 6 rounds"
check "at least 6 KILLs of vigil's connections went through" test "$kills" -ge 6
check "vigild reconnected after every round (new connection ids)" test "$renewed" -eq 6

echo "== wait_timeout expires on the idle check's connection, for 6 s"
to0=$(timeouts)
for _ in $(seq 1 30); do sample; sleep 0.2; done
to=$(( $(timeouts) - to0 ))
echo "  wait_timeout aborts of vigil connections in h1's error log during the window: $to"
check "wait_timeout closed vigil's connection at least twice in 6 s" test "$to" -ge 2

echo "== nothing moved"
check "VIP on h1 alone at every one of $samples samples ($misses misses)" test "$misses" -eq 0
check "no state change on h1 ($tr1 before, $(vigil_transitions h1.vigild.log) after)" \
	test "$(vigil_transitions h1.vigild.log)" -eq "$tr1"
check "no state change on h2 ($tr2 before, $(vigil_transitions h2.vigild.log) after)" \
	test "$(vigil_transitions h2.vigild.log)" -eq "$tr2"
check "no priority line on h1 ($pr1 before, $(count "$PRIO" h1.vigild.log) after)" \
	test "$(count "$PRIO" h1.vigild.log)" -eq "$pr1"
check "no priority line on h2 ($pr2 before, $(count "$PRIO" h2.vigild.log) after)" \
	test "$(count "$PRIO" h2.vigild.log)" -eq "$pr2"
check "no failed/degraded check on h1 ($bad1 before, $(count "$BAD" h1.vigild.log) after)" \
	test "$(count "$BAD" h1.vigild.log)" -eq "$bad1"
check "a client through the VIP is served by h1" db_answers_via_vip 1
finish
