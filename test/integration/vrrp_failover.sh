#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two vigild on two hosts: one master, the VIP on exactly one host, and the
# VIP moves when the master's vigild is killed (-9: Master_Down_Interval)
# or stopped (SIGTERM: priority 0, Skew_Time). A restarted vigild removes
# the VIP its killed predecessor left behind.
. "$(dirname "$0")/vigil_lab.sh"

VIP=198.18.0.100
lab_add_host h1 && lab_add_host h2 && lab_add_host c || exit 1
# 100 ms adverts: h2 (priority 100) has Skew_Time 60 ms and
# Master_Down_Interval 360 ms (RFC 5798 6.1).
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100

echo "== election"
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
h2=$LAB_PID
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h1)
check "h1 (priority 150) holds the VIP alone after start ($ms ms)" lab_vip_held_by $VIP h1
check "h1 logged MASTER" vigil_in_state h1.vigild.log MASTER
check "h2 logged BACKUP" vigil_in_state h2.vigild.log BACKUP

echo "== stable for 10 s"
t1=$(vigil_transitions h1.vigild.log) t2=$(vigil_transitions h2.vigild.log)
bad=0
for _ in $(seq 1 50); do
	lab_vip_held_by $VIP h1 || bad=$((bad + 1))
	sleep 0.2
done
check "VIP on h1 alone at every one of 50 samples ($bad misses)" test "$bad" -eq 0
check "no state change on h1 in 10 s" test "$(vigil_transitions h1.vigild.log)" -eq "$t1"
check "no state change on h2 in 10 s" test "$(vigil_transitions h2.vigild.log)" -eq "$t2"
check "a client's ARP for the VIP is answered by h1 only" \
	test "$(lab_arp_owner c $VIP)" = h1
check "the VIP answers ping from the client" lab_ping c $VIP

echo "== kill -9 the master's vigild"
lab_kill "$h1" KILL
ms=$(lab_wait_for 3000 sh -c "lab_vip_holder() { :; }; ip -n $(lab_ns h2) -4 -o addr show dev eth0 | grep -q ' $VIP/'")
check_ms "h2 holds the VIP within Master_Down_Interval + 150 ms" "$ms" $((360 + 150))
check "h2 logged MASTER (master-down-timer)" vigil_log_has h2.vigild.log 'BACKUP -> MASTER \(master-down-timer'

echo "== restart h1: the stale VIP goes, then h1 preempts (preempt = yes)"
check "the killed vigild left its VIP on h1" lab_exec h1 sh -c "ip -4 -o addr show dev eth0 | grep -q ' $VIP/'"
mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.first.log"
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
check "h1 removed the stale VIP at start" vigil_log_has h1.vigild.log 'removed stale VIP 198.18.0.100/24'
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h1)
check "h1 took the VIP back, h2 released it ($ms ms)" lab_vip_held_by $VIP h1
check "h2 went back to BACKUP on h1's higher priority" \
	vigil_log_has h2.vigild.log 'MASTER -> BACKUP \(higher-priority-advert'

echo "== SIGTERM the master's vigild"
lab_kill "$h1" TERM
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h2)
check_ms "h2 holds the VIP alone within Skew_Time + 150 ms" "$ms" $((60 + 150))
check "h2 took over on priority 0" vigil_log_has h2.vigild.log 'BACKUP -> MASTER \(priority-zero-received'
lab_wait_for 3000 lab_pid_gone "$h1" >/dev/null
check "h1's vigild exited" lab_pid_gone "$h1"
check "h1 logged a clean stop" vigil_log_has h1.vigild.log 'stopped$'
check "h1 removed its VIP on the way out" \
	lab_exec h1 sh -c "! ip -4 -o addr show dev eth0 | grep -q ' $VIP/'"

echo "== SIGTERM a backup: the master keeps the VIP"
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
lab_wait_for 3000 lab_vip_held_by $VIP h1 >/dev/null
lab_kill "$h2" TERM
lab_wait_for 3000 lab_pid_gone "$h2" >/dev/null
# A backup's exit sends nothing (RFC 5798: only a master sends priority 0),
# so h1 has no event to react to: what is asserted is that nothing happens,
# sampled over 1 s.
bad=0
for _ in $(seq 1 10); do
	lab_vip_held_by $VIP h1 || bad=$((bad + 1))
	sleep 0.1
done
check "VIP still on h1 alone after the backup stopped, at every one of 10 samples over 1 s ($bad misses)" \
	test "$bad" -eq 0
finish
