#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# preempt = no after a failover (real MariaDB primary h1, replica h2): kill -9
# of the primary's mysqld moves the VIP to h2 (h1 falls below resign_below),
# writes through the VIP land on h2; the old primary's mysqld is restarted
# and recovers, h1's checks pass again at its higher base priority, and the
# VIP stays on the new master for 90 s: the old primary lacks its writes.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"
db_lab_up || exit 1

VIP=$DB_VIP
HOLD_S=90

# h1 120, h2 100, preempt = no, resign_below = 80: at or below each base
# minus its degraded penalties (100 - 10 - 5 = 85), and above each base
# minus a failed check's penalty (h1 lag failed: 120 - 60 = 60; vigild -t
# warns otherwise). Tracking mysql_ping and mysql_replication. A dead
# database fails ping (-100): h1 falls to 20 or below, under resign_below,
# and the healthy h2 takes over; the restarted h1 (120) hears h2 at 100,
# not below resign_below, and leaves it the VIP.
# ping's slow = 300ms: see db_replication.sh.
for h in h1 h2; do
	db_vigil_conf $h "$LAB_DIR/$h.ini" priority="$([ $h = h1 ] && echo 120 || echo 100)" \
		preempt=no ping="slow = 300ms" lag=1 \
		lagkeys="warn_lag = 5s;crit_lag = 30s;degraded_penalty = 5;penalty = 60" || exit 1
	sed -i -E 's/^(preempt = no)$/\1\nresign_below = 80/' "$LAB_DIR/$h.ini"
	# (The lab's scripts run as root on purpose: they write into the lab
	# dir. The warning that says so is not about this configuration.)
	w=$("$VIGILD" -t -f "$LAB_DIR/$h.ini" 2>&1 >/dev/null | grep -v 'set script_user = NAME')
	check "$h's config passes vigild -t without warnings${w:+: $w}" test -z "$w"
done

echo "== start: h1 (primary, 120) master, h2 (replica, 100) backup"
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
lab_wait_for 10000 prio_is h1.vigild.log 120 >/dev/null
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP alone, priority $(prio h1.vigild.log) ($ms ms)" \
	eval 'lab_vip_held_by $VIP h1 && prio_is h1.vigild.log 120'
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
ms=$(lab_wait_for 10000 prio_is h2.vigild.log 100)
check "h2 reached priority 100 as BACKUP, the VIP still on h1 ($ms ms)" \
	eval 'vigil_in_state h2.vigild.log BACKUP && lab_vip_held_by $VIP h1'
check "a write through the VIP lands on h1" \
	test "$(db_via_vip "INSERT INTO appdb.w (v, server_id) VALUES (1, @@server_id);
		SELECT @@server_id")" = 1

echo "== kill -9 the primary's mysqld: the VIP moves to h2"
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log)
mdb_stop "$(db_dir h1)" KILL
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h2)
check "h2 holds the VIP alone ($ms ms after kill -9)" lab_vip_held_by $VIP h2
check "h1's ping check failed (definite)" \
	eval "since h1.vigild.log $m1 | grep -q 'check ping: failed, definite'"
check "h2 took over by health takeover (h1 below resign_below)" \
	eval "since h2.vigild.log $m2 | grep -q 'BACKUP -> MASTER (health-takeover'"
rows=0
for i in 1 2 3 4 5; do
	[ "$(db_via_vip "INSERT INTO appdb.w (v, server_id) VALUES (10 + $i, @@server_id);
		SELECT @@server_id")" = 2 ] && rows=$((rows + 1))
done
check "5 writes through the VIP landed on h2 ($rows)" test "$rows" -eq 5
check "h2 has them" test "$(db_sql h2 "SELECT COUNT(*) FROM appdb.w WHERE server_id = 2")" = 5

echo "== restart the old primary's mysqld: the VIP stays on h2 for $HOLD_S s"
m1=$(mark h1.vigild.log)
t1=$(vigil_transitions h1.vigild.log) t2=$(vigil_transitions h2.vigild.log)
MDB_SERVER_ID=1 mdb_start "$(db_dir h1)" "$(lab_ns h1)" 3306 0.0.0.0 || exit 1
lab_track "$(mdb_pid "$(db_dir h1)")" h1 mariadbd
check "h1's mysqld is back (crash recovery done), with its 1 row and none of h2's writes" \
	test "$(db_sql h1 "SELECT COUNT(*) FROM appdb.w")" = 1
ms=$(lab_wait_for 10000 prio_is h1.vigild.log 120)
check "h1 logged its checks recovered: ping ok, priority back to 120 ($ms ms after mysqld was ready)" \
	eval "since h1.vigild.log $m1 | grep -q 'check ping: ok' &&
		since h1.vigild.log $m1 | grep -qE 'priority [0-9]+ -> 120: priority 120 = 120, all checks ok'"
bad=0 h1_held=0
for _ in $(seq 1 "$HOLD_S"); do
	lab_vip_held_by $VIP h2 || bad=$((bad + 1))
	case " $(lab_vip_holder $VIP) " in *" h1 "*) h1_held=$((h1_held + 1)) ;; esac
	sleep 1
done
d1=$(($(vigil_transitions h1.vigild.log) - t1)) d2=$(($(vigil_transitions h2.vigild.log) - t2))
check "the VIP on h2 alone at every one of $HOLD_S samples, 1 s apart ($bad misses)" test "$bad" -eq 0
check "h1 never held the VIP ($h1_held samples)" test "$h1_held" -eq 0
check "0 transitions since the restart (h1 $d1, h2 $d2)" test "$d1/$d2" = 0/0
check "h1 (120) stayed BACKUP behind h2 (100): preempt = no, 100 >= resign_below" \
	eval 'vigil_in_state h1.vigild.log BACKUP && prio_is h1.vigild.log 120 && prio_is h2.vigild.log 100'
check "writes through the VIP still land on h2" \
	test "$(db_via_vip "INSERT INTO appdb.w (v, server_id) VALUES (99, @@server_id);
		SELECT @@server_id")" = 2
finish
