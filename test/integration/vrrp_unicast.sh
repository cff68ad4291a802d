#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Unicast VRRP: with multicast to 224.0.0.18 dropped on both hosts, two
# vigild configured with unicast_peer still elect exactly one master and
# fail over (kill -9: Master_Down_Interval; SIGTERM: priority 0, unicast).
# The same pair without unicast_peer ends in split brain, which shows that
# multicast is really blocked.
. "$(dirname "$0")/vigil_lab.sh"

VIP=198.18.0.100
lab_add_host h1 && lab_add_host h2 && lab_add_host c || exit 1
# 100 ms adverts (RFC 5798 6.1): h1 (150) Master_Down_Interval 341 ms;
# h2 (100) Skew_Time 60 ms, Master_Down_Interval 360 ms.
MDI_H1=341
MDI_H2=360
SKEW_H2=60
A1=$(lab_addr h1) A2=$(lab_addr h2)

# stop PID: SIGTERM one vigild and wait (bounded) for its exit.
stop() {
	lab_kill "$1" TERM
	lab_wait_for 3000 lab_pid_gone "$1" >/dev/null || echo "vigild $1 did not exit" >&2
}

lab_block_multicast h1 && lab_block_multicast h2 || exit 1

echo "== proof: without unicast_peer the blocked pair splits"
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
h2=$LAB_PID
# Each becomes master after its own Master_Down_Interval; give h2 1 s more.
lab_wait_for $((MDI_H2 + 1000)) lab_vip_held_by $VIP "h1 h2" >/dev/null
check "multicast blocked: both hosts hold the VIP (split brain)" lab_vip_held_by $VIP "h1 h2"
check "h1 logged MASTER" vigil_in_state h1.vigild.log MASTER
check "h2 logged MASTER" vigil_in_state h2.vigild.log MASTER
check "h2 never heard h1" eval "! vigil_log_has h2.vigild.log 'master heard: $A1'"
stop "$h1"
stop "$h2"
mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.multicast.log"
mv "$LAB_DIR/h2.vigild.log" "$LAB_DIR/h2.multicast.log"
check "both released the VIP on SIGTERM" lab_vip_held_by $VIP ""

echo "== unicast_peer: one master"
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 peers="$A2"
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 peers="$A1"
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
h2=$LAB_PID
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h1)
check "h1 (150) holds the VIP alone ($ms ms)" lab_vip_held_by $VIP h1
lab_wait_for 2000 vigil_in_state h2.vigild.log BACKUP >/dev/null
check "h1 logged MASTER" vigil_in_state h1.vigild.log MASTER
check "h2 logged BACKUP" vigil_in_state h2.vigild.log BACKUP
check "h2 heard h1 by unicast" vigil_log_has h2.vigild.log "master heard: ${A1//./\\.} priority 150"

echo "== stable for 3 s"
t1=$(vigil_transitions h1.vigild.log) t2=$(vigil_transitions h2.vigild.log)
bad=0
for _ in $(seq 1 30); do
	lab_vip_held_by $VIP h1 || bad=$((bad + 1))
	sleep 0.1
done
check "VIP on h1 alone at every one of 30 samples ($bad misses)" test "$bad" -eq 0
check "no state change on h1 in 3 s" test "$(vigil_transitions h1.vigild.log)" -eq "$t1"
check "no state change on h2 in 3 s" test "$(vigil_transitions h2.vigild.log)" -eq "$t2"
check "a client's ARP for the VIP is answered by h1 only" test "$(lab_arp_owner c $VIP)" = h1
check "the VIP answers ping from the client" lab_ping c $VIP
check "multicast is still blocked on both hosts" \
	eval "lab_exec h1 nft list table inet lab_mcast >/dev/null && lab_exec h2 nft list table inet lab_mcast >/dev/null"

echo "== kill -9 the master's vigild"
lab_kill "$h1" KILL
ms=$(lab_wait_for 3000 vip_on h2)
check_ms "h2 holds the VIP within Master_Down_Interval + 150 ms" "$ms" $((MDI_H2 + 150))
check "h2 logged BACKUP -> MASTER (master-down-timer)" \
	vigil_log_has h2.vigild.log 'BACKUP -> MASTER \(master-down-timer'

echo "== restart h1: it takes the VIP back over unicast"
lab_wait_for 2000 lab_pid_gone "$h1" >/dev/null
mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.killed.log"
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h1)
check_ms "h1 alone holds the VIP within its Master_Down_Interval + 300 ms" "$ms" $((MDI_H1 + 300))
check "h2 went back to BACKUP on h1's unicast advert" \
	vigil_log_has h2.vigild.log "MASTER -> BACKUP \(higher-priority-advert; priority 100, master heard: ${A1//./\\.} priority 150\)"

echo "== SIGTERM the master: priority 0 reaches h2 by unicast"
lab_kill "$h1" TERM
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h2)
check_ms "h2 holds the VIP alone within Skew_Time + 150 ms" "$ms" $((SKEW_H2 + 150))
check "h2 took over on priority 0" \
	vigil_log_has h2.vigild.log 'BACKUP -> MASTER \(priority-zero-received'
finish
