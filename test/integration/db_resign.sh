#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# preempt = no with resign_below (real MariaDB primary h1, replica h2): a
# merely degraded master keeps the VIP; a master that falls below
# resign_below hands it to a healthy backup; a sole degraded survivor keeps
# it; two equally degraded nodes keep it where it is (0 transitions in 30 s).
# The nodes are degraded deterministically by a script check whose exit code
# the test writes into a flag file (0 ok, 1 degraded, 2 failed), not by real
# slowness, which is noisy on a loaded 2-core machine.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"
db_lab_up || exit 1

VIP=$DB_VIP
# 100 ms adverts, priority 100: Skew_Time = (256 - 100) * 100 / 256 = 60 ms.
SKEW_100=60

db_verdict_setup || exit 1

# Both nodes: base 100, preempt = no, resign_below = 80, tracking ping and
# a script check "health" (degraded -5: 95, failed -50: 50). resign_below
# sits at base minus every degraded penalty (100 - 10 - 5 = 85 >= 80), as
# docs/design.md "Health takeover" asks, so a merely degraded master keeps
# the VIP and only a
# failing one (50 < 80) resigns. ping's slow = 300ms: see db_replication.sh.
for h in h1 h2; do
	db_flag $h 0
	db_vigil_conf $h "$LAB_DIR/$h.ini" priority=100 preempt=no \
		extra="resign_below = 80" ping="slow = 300ms" || exit 1
	# Our extra= replaced db_vigil_conf's track line: put it back after
	# resign_below, then add health to it.
	sed -i -E 's/^resign_below = 80$/&\ntrack = ping/' "$LAB_DIR/$h.ini"
	db_add_script_check "$LAB_DIR/$h.ini" health $h 5 50
	# (The lab's scripts run as root on purpose: they write into the lab
	# dir. The warning that says so is not about this configuration.)
	w=$("$VIGILD" -t -f "$LAB_DIR/$h.ini" 2>&1 >/dev/null | grep -v 'set script_user = NAME')
	check "$h's config passes vigild -t without warnings${w:+: $w}" test -z "$w"
done

h1=''  # h1's pid, set by vigil_run (printf -v), read by vigil_term

echo "== start: h1 master, h2 backup, both 100"
vigil_run h1 r0
lab_wait_for 10000 prio_is h1.vigild.log 100 >/dev/null
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP alone, priority $(prio h1.vigild.log) ($ms ms)" \
	eval 'lab_vip_held_by $VIP h1 && prio_is h1.vigild.log 100'
vigil_run h2 r0
ms=$(lab_wait_for 10000 prio_is h2.vigild.log 100)
check "h2 reached priority 100 as BACKUP, the VIP still on h1 ($ms ms)" \
	eval 'vigil_in_state h2.vigild.log BACKUP && lab_vip_held_by $VIP h1'

echo "== (a) the VIP leaves the master when it falls below resign_below"
db_flag h1 1
ms=$(lab_wait_for 5000 prio_is h1.vigild.log 95)
check "h1 merely degraded: priority 100 -> 95 ($ms ms)" \
	vigil_log_has h1.vigild.log 'priority 100 -> 95: priority 95 = 100 - 5 \(health degraded\)'
t1=$(vigil_transitions h1.vigild.log) t2=$(vigil_transitions h2.vigild.log)
bad=$(vip_misses h1 30)
check "a degraded master above resign_below (95 >= 80) keeps the VIP for 3 s ($bad misses of 30)" \
	test "$bad" -eq 0
check "no state change meanwhile" \
	test "$(vigil_transitions h1.vigild.log)/$(vigil_transitions h2.vigild.log)" = "$t1/$t2"
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log)
db_flag h1 2
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h2)
check "h1 failing (95 -> 50 < 80): h2 holds the VIP alone ($ms ms after the flag)" \
	eval 'lab_vip_held_by $VIP h2 && prio_is h1.vigild.log 50'
check "h2 took over by health takeover" \
	eval "since h2.vigild.log $m2 | grep -q 'BACKUP -> MASTER (health-takeover'"
tp=$(log_ms h1.vigild.log 'priority 95 -> 50' "$m1")
tm=$(log_ms h2.vigild.log 'BACKUP -> MASTER' "$m2")
if [ -n "$tp" ] && [ -n "$tm" ]; then
	check_ms "h1's drop below resign_below -> h2 MASTER within Skew_Time + 150 ms" \
		"$(dt "$tp" "$tm")" $((SKEW_100 + 150))
else
	check "h1 logged its drop and h2 its MASTER transition" false
fi
check "h1 went BACKUP on h2's higher priority" \
	eval "since h1.vigild.log $m1 | grep -q 'MASTER -> BACKUP (higher-priority-advert'"
db_flag h1 0
ms=$(lab_wait_for 5000 prio_is h1.vigild.log 100)
check "h1 recovered to 100 ($ms ms)" prio_is h1.vigild.log 100
t1=$(vigil_transitions h1.vigild.log) t2=$(vigil_transitions h2.vigild.log)
bad=$(vip_misses h2 30)
check "preempt = no: the recovered h1 does not take the VIP back in 3 s ($bad misses of 30)" \
	test "$bad" -eq 0
check "no state change meanwhile" \
	test "$(vigil_transitions h1.vigild.log)/$(vigil_transitions h2.vigild.log)" = "$t1/$t2"

echo "== (b) a sole degraded survivor keeps the VIP"
vigil_term h1
check "h1's vigild exited" lab_pid_gone "$h1"
m2=$(mark h2.vigild.log)
t2=$(vigil_transitions h2.vigild.log)
db_flag h2 2
ms=$(lab_wait_for 5000 prio_is h2.vigild.log 50)
check "h2 failing: priority 100 -> 50, below resign_below ($ms ms)" \
	eval "since h2.vigild.log $m2 | grep -qE 'priority 100 -> 50: priority 50 = 100 - 50 \(health failed\)'"
bad=$(vip_misses h2 50)
check "h2, alone and below resign_below, keeps the VIP for 5 s ($bad misses of 50)" \
	test "$bad" -eq 0
check "h2 stayed MASTER (no state change)" \
	eval 'vigil_in_state h2.vigild.log MASTER && test "$(vigil_transitions h2.vigild.log)" -eq "$t2"'

echo "== (c) two equally degraded nodes keep the VIP where it is (30 s)"
db_flag h1 2
vigil_run h1 r1
ms=$(lab_wait_for 10000 prio_is h1.vigild.log 50)
check "h1 restarted failing: priority 50 as BACKUP ($ms ms)" \
	eval 'prio_is h1.vigild.log 50 && vigil_in_state h1.vigild.log BACKUP'
check "h1's priority never went above 50" \
	eval '! grep -qE "instance vi: priority [0-9]+ -> (9[0-9]|100)" "$LAB_DIR/h1.vigild.log"'
t1=$(vigil_transitions h1.vigild.log) t2=$(vigil_transitions h2.vigild.log)
bad=0
for _ in $(seq 1 150); do
	lab_vip_held_by $VIP h2 || bad=$((bad + 1))
	sleep 0.18
done
d1=$(($(vigil_transitions h1.vigild.log) - t1)) d2=$(($(vigil_transitions h2.vigild.log) - t2))
check "both at 50: the VIP stayed on h2 alone at 150 samples in 30 s ($bad misses)" test "$bad" -eq 0
check "0 transitions in 30 s (h1 $d1, h2 $d2)" test "$d1/$d2" = 0/0
check "both still at 50" eval 'prio_is h1.vigild.log 50 && prio_is h2.vigild.log 50'

echo "   control: h1 recovers (100 >= 80, master 50 < 80) and takes over"
m1=$(mark h1.vigild.log)
db_flag h1 0
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP alone ($ms ms after its flag cleared)" lab_vip_held_by $VIP h1
check "h1 took over by health takeover" \
	eval "since h1.vigild.log $m1 | grep -q 'BACKUP -> MASTER (health-takeover'"
finish
