#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Many instances on one interface between two vigild: 32 VRIDs at 100 ms
# adverts, priorities alternating so that each node is master of half (h1
# of the odd VRIDs, h2 of the even ones). Every instance elects the right
# master, each VIP is on exactly one host, nothing flaps; both daemons'
# CPU over 10 s is printed (each is the backup of 16 instances: one
# receiver per interface reads each advert once and hands it to its VRID),
# with only a generous bound asserted; each vigild has one raw socket for
# the 32 instances; kill -9 of h1's vigild moves all its VIPs to h2, and
# h1 restarted takes the odd ones back (preempt); a reload of h2 that
# removes 4 instances and adds 4 leaves the other 28 untouched (instances
# leave and join the shared receiver at run time).
. "$(dirname "$0")/vigil_lab.sh"
. "$here/../lab/many.sh"

N=32
HALF=$((N / 2))
CPU_WINDOW=10
CPU_LIMIT=50     # percent of one core: a bound for a broken receiver, not a figure
lab_add_host h1 && lab_add_host h2 || exit 1
# 100 ms adverts: a backup at priority 100 waits Master_Down_Interval
# 3 * 100 + (256 - 100) * 100 / 256 = 360 ms.
MDI=360

many_vigil_conf "$LAB_DIR/h1.ini" h1 $N 150 100
many_vigil_conf "$LAB_DIR/h2.ini" h2 $N 100 150

# elected: h1 MASTER of the odd VRIDs and BACKUP of the even ones, h2 the
# other way round, and every VIP on its master alone.
elected() {
	[ "$(many_vigil_count h1.vigild.log MASTER odd)" = $HALF ] &&
		[ "$(many_vigil_count h1.vigild.log BACKUP even)" = $HALF ] &&
		[ "$(many_vigil_count h2.vigild.log MASTER even)" = $HALF ] &&
		[ "$(many_vigil_count h2.vigild.log BACKUP odd)" = $HALF ] &&
		[ "$(many_vips_on h1 $N odd)" = $HALF ] && [ "$(many_vips_on h1 $N even)" = 0 ] &&
		[ "$(many_vips_on h2 $N even)" = $HALF ] && [ "$(many_vips_on h2 $N odd)" = 0 ]
}

echo "== election: $N instances on eth0, h1 master of the odd VRIDs, h2 of the even ones"
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
h2=$LAB_PID
ms=$(lab_wait_for 10000 elected)
check "each of the $N instances elected its master, every VIP on it alone ($ms ms)" elected
check "h1 MASTER of $HALF odd VRIDs ($(many_vigil_count h1.vigild.log MASTER odd))" \
	test "$(many_vigil_count h1.vigild.log MASTER odd)" = $HALF
check "h2 MASTER of $HALF even VRIDs ($(many_vigil_count h2.vigild.log MASTER even))" \
	test "$(many_vigil_count h2.vigild.log MASTER even)" = $HALF

echo "== steady for ${CPU_WINDOW} s: CPU of each vigild (master of $HALF, backup of $HALF)"
t1=$(vigil_transitions h1.vigild.log) t2=$(vigil_transitions h2.vigild.log)
{ read -r cpu1; read -r cpu2; } < <(many_cpu_pct $CPU_WINDOW "$h1" "$h2")
echo "  CPU over ${CPU_WINDOW} s: h1 vigild ${cpu1}% of a core, h2 vigild ${cpu2}% (indicative: shared machine)"
check "h1's vigild below ${CPU_LIMIT}% of a core (${cpu1}%)" awk -v c="$cpu1" -v l=$CPU_LIMIT 'BEGIN { exit !(c < l) }'
check "h2's vigild below ${CPU_LIMIT}% of a core (${cpu2}%)" awk -v c="$cpu2" -v l=$CPU_LIMIT 'BEGIN { exit !(c < l) }'
check "no state change on h1 or h2 in ${CPU_WINDOW} s" \
	test "$(vigil_transitions h1.vigild.log)" -eq "$t1" -a "$(vigil_transitions h2.vigild.log)" -eq "$t2"
check "still elected as before" elected
check "h2 dropped no packet from h1" eval "! vigil_log_has h2.vigild.log 'dropped (packet|datagram)'"
check "one raw socket on h1 for the $N instances ($(many_raw_sockets h1))" test "$(many_raw_sockets h1)" = 1
check "one raw socket on h2 for the $N instances ($(many_raw_sockets h2))" test "$(many_raw_sockets h2)" = 1

echo "== kill -9 h1's vigild: h2 takes its $HALF VIPs"
l2=$(lines h2.vigild.log)
lab_kill "$h1" KILL
ms=$(lab_wait_for $((MDI + 2000)) many_count_is $N many_vips_on h2 $N)
check "h2 holds all $N VIPs ($ms ms)" test "$(many_vips_on h2 $N)" = $N
check_ms "... within Master_Down_Interval + 500 ms" "$ms" $((MDI + 500))
check "h2 took each of the $HALF odd VRIDs on its Master_Down_Timer" \
	test "$(since h2.vigild.log $((l2 + 1)) | grep -cE 'instance v[0-9]*[13579]: BACKUP -> MASTER \(master-down-timer')" = $HALF
check "h2 MASTER of all $N" test "$(many_vigil_count h2.vigild.log MASTER)" = $N

echo "== restart h1: it takes the odd VRIDs back (preempt), stale VIPs gone"
lab_wait_for 2000 lab_pid_gone "$h1" >/dev/null
mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.killed.log"
l2=$(lines h2.vigild.log)
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
ms=$(lab_wait_for 10000 elected)
check "back to h1 master of the odd VRIDs, h2 of the even ones ($ms ms)" elected
check "h2 went back to BACKUP on the odd VRIDs ($HALF times)" \
	test "$(since h2.vigild.log $((l2 + 1)) | grep -cE 'instance v[0-9]*[13579]: MASTER -> BACKUP \(higher-priority-advert')" = $HALF

echo "== reload h2: VRIDs 1-4 removed, 33-36 added, the other $((N - 4)) untouched"
# h2 then runs instances 5..36; h1 alone runs 1..4 (it takes 2 and 4 over),
# h2 alone 33..36.
reloaded() {
	[ "$(many_vips_on h1 4)" = 4 ] && [ "$(many_vips_on h2 4)" = 0 ] &&
		[ "$(many_vips_on h2 $((N + 4)))" = $((HALF - 2 + 4)) ] &&
		vigil_log_has h2.vigild.log 'instance v36: BACKUP -> MASTER' &&
		vigil_log_has h2.vigild.log 'instance v1: stopped and removed'
}
many_vigil_conf "$LAB_DIR/h2.ini" h2 $N 100 150 100ms 5
l1=$(lines h1.vigild.log) l2=$(lines h2.vigild.log)
lab_kill "$h2" HUP
ms=$(lab_wait_for 5000 reloaded)
check "h1 alone holds VIPs 1-4, h2 those of its even VRIDs and 33-36 ($ms ms)" reloaded
check "the 28 instances kept changed state on neither host" eval \
	"! since h1.vigild.log $((l1 + 1)) | grep -E 'instance v([5-9]|[12][0-9]|3[0-2]): [A-Z]+ -> ' &&
	 ! since h2.vigild.log $((l2 + 1)) | grep -E 'instance v([5-9]|[12][0-9]|3[0-2]): [A-Z]+ -> '"
check "still one raw socket on h2 ($(many_raw_sockets h2))" test "$(many_raw_sockets h2)" = 1
VIGILCTL=$(dirname "$VIGILD")/vigilctl
if [ -x "$VIGILCTL" ]; then
	# h1's adverts for 1-4 now reach no instance on h2: counted once, by
	# the interface's receiver.
	vrid_drops() {
		"$VIGILCTL" -s "$LAB_DIR/h2.sock" status --json |
			python3 -c 'import json, sys; print(json.load(sys.stdin)["interfaces"][0]["drops"]["vrid"])'
	}
	# 20 more within 1 s (bounded wait: done as soon as they are counted).
	d0=$(vrid_drops)
	vrid_drops_ge() { [ "$(vrid_drops)" -ge "$1" ]; }
	ms=$(lab_wait_for 1000 vrid_drops_ge $((d0 + 20)))
	d1=$(vrid_drops)
	check "h2's receiver counts h1's adverts for the removed VRIDs as 'vrid' ($d0 -> $d1, 20 more in $ms ms)" \
		vrid_drops_ge $((d0 + 20))
fi

echo "== SIGTERM both: every VIP released"
lab_kill "$h1" TERM
lab_kill "$h2" TERM
lab_wait_for 5000 lab_pid_gone "$h1" >/dev/null
lab_wait_for 5000 lab_pid_gone "$h2" >/dev/null
check "no VIP left on h1 or h2" test "$(many_vips_on h1 $((N + 4)))$(many_vips_on h2 $((N + 4)))" = 00
finish
