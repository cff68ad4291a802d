#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Link state: a master whose link goes down (carrier lost at the switch, or
# eth0 set admin-down on the host) goes to FAULT and drops its VIP, the
# backup takes over; link up brings it back to BACKUP, then (preempt = yes)
# MASTER. An instance whose interface does not exist yet waits in FAULT and
# comes up when the interface is created.
. "$(dirname "$0")/vigil_lab.sh"

VIP=198.18.0.100
VIP2=198.18.0.101
lab_add_host h1 && lab_add_host h2 && lab_add_host c || exit 1
# 100 ms adverts (RFC 5798 6.1): h1 (150) Master_Down_Interval 341 ms,
# h2 (100) Master_Down_Interval 360 ms.
MDI_H1=341
MDI_H2=360

# link_cycle SIDE: h1 is master; take its link down on SIDE, check the
# failover to h2, bring the link back, check that h1 returns.
link_cycle() {
	local side=$1 n l1 l2 ms el t0 seq
	n=$(vigil_transitions h1.vigild.log) l1=$(lines h1.vigild.log) l2=$(lines h2.vigild.log)
	t0=$(now_ms)
	lab_link_down h1 "$side"
	ms=$(lab_wait_for 2000 vigil_in_state h1.vigild.log FAULT)
	check "$side: h1 logged MASTER -> FAULT (link-down) ($ms ms)" \
		log_has_after h1.vigild.log "$l1" 'MASTER -> FAULT \(link-down'
	lab_wait_for 1000 eval "! vip_on h1 eth0 $VIP" >/dev/null
	check "$side: h1 removed its VIP from eth0" eval "! vip_on h1 eth0 $VIP"
	lab_wait_for 3000 vip_on h2 eth0 $VIP >/dev/null
	el=$(($(now_ms) - t0))
	check_ms "$side: h2 holds the VIP within Master_Down_Interval + 150 ms of the link loss" \
		"$el" $((MDI_H2 + 150))
	check "$side: h2 logged BACKUP -> MASTER (master-down-timer)" \
		log_has_after h2.vigild.log "$l2" 'BACKUP -> MASTER \(master-down-timer'
	check "$side: the VIP is on h2 alone" lab_vip_held_by $VIP h2
	check "$side: a client's ARP for the VIP is answered by h2 only" \
		test "$(lab_arp_owner c $VIP)" = h2
	check "$side: the VIP answers ping from the client" lab_ping c $VIP
	check "$side: h1 still in FAULT" vigil_in_state h1.vigild.log FAULT

	t0=$(now_ms)
	lab_link_up h1 "$side"
	lab_wait_for 3000 lab_vip_held_by $VIP h1 >/dev/null
	el=$(($(now_ms) - t0))
	check "$side: after link up h1 alone holds the VIP again" lab_vip_held_by $VIP h1
	# After link up h1 hears h2 (100) below itself: it preempts after at
	# most one Master_Down_Interval (RFC 5798 6.4.2), sooner by health takeover.
	check_ms "$side: ... within h1's Master_Down_Interval + 300 ms of link up" \
		"$el" $((MDI_H1 + 300))
	seq=$(transitions_since h1.vigild.log "$n")
	check "$side: h1's changes: MASTER>FAULT(link-down) FAULT>BACKUP(link-up) BACKUP>MASTER (got: $seq)" \
		eval '[[ $seq =~ ^MASTER\>FAULT\(link-down\)\ FAULT\>BACKUP\(link-up\)\ BACKUP\>MASTER\((preempt|health-takeover)\)$ ]]'
	check "$side: h2 went back to BACKUP on h1's higher priority" \
		log_has_after h2.vigild.log "$l2" 'MASTER -> BACKUP \(higher-priority-advert'
	check "$side: a client's ARP for the VIP is answered by h1 only" \
		test "$(lab_arp_owner c $VIP)" = h1
}

vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100

echo "== election"
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
h2=$LAB_PID
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h1)
check "h1 (150) holds the VIP alone after start ($ms ms)" lab_vip_held_by $VIP h1
lab_wait_for 2000 vigil_in_state h2.vigild.log BACKUP >/dev/null

echo "== bridge side: h1 loses carrier (switch port down)"
link_cycle bridge
echo "== host side: h1's eth0 set admin-down"
link_cycle host

echo "== an interface that does not exist at start (eth1 on h1, vrid 52)"
lab_kill "$h1" TERM
lab_kill "$h2" TERM
lab_wait_for 3000 lab_pid_gone "$h1" >/dev/null
lab_wait_for 3000 lab_pid_gone "$h2" >/dev/null
mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.eth0.log"
mv "$LAB_DIR/h2.vigild.log" "$LAB_DIR/h2.eth0.log"
vigil_conf "$LAB_DIR/h1e.ini" router_id=h1 priority=150 vrid=52 vips=$VIP2/24
sed -i 's/^interface = eth0$/interface = eth1/' "$LAB_DIR/h1e.ini"
vigil_conf "$LAB_DIR/h2e.ini" router_id=h2 priority=100 vrid=52 vips=$VIP2/24
check "h1's config names eth1" grep -qx 'interface = eth1' "$LAB_DIR/h1e.ini"
check "h1 has no eth1 yet" eval "! ip -n $(lab_ns h1) link show dev eth1 >/dev/null 2>&1"
# A missing interface is a fact of this host, not of the file: a warning.
check "vigild -t accepts it, warning that eth1 does not exist" eval \
	'"$VIGILD" -t -f "$LAB_DIR/h1e.ini" 2>&1 >/dev/null | grep -q "warning: interface eth1 does not exist"'
vigil_start h1 "$LAB_DIR/h1e.ini" 2>/dev/null || exit 1
h1=$LAB_PID
vigil_start h2 "$LAB_DIR/h2e.ini" || exit 1
h2=$LAB_PID
ms=$(lab_wait_for 3000 vigil_in_state h1.vigild.log FAULT)
check "h1 logged FAULT for the missing eth1 ($ms ms)" vigil_in_state h1.vigild.log FAULT
check "h1 said why" vigil_log_has h1.vigild.log 'interface eth1 does not exist: FAULT until it appears'
check "h1's vigild keeps running" lab_pid_alive "$h1"
ms=$(lab_wait_for 3000 vip_on h2 eth0 $VIP2)
check "h2 (100), alone in vrid 52, holds $VIP2 ($ms ms)" lab_vip_held_by $VIP2 h2
# Nothing happens on h1 until eth1 appears: sampled over half a second.
bad=0
for _ in $(seq 1 5); do
	vigil_in_state h1.vigild.log FAULT || bad=$((bad + 1))
	sleep 0.1
done
check "h1 still in FAULT over the next half second (5 samples, $bad misses)" test "$bad" -eq 0
check "h1 holds no VIP anywhere" eval "! ip -n $(lab_ns h1) -4 -o addr show | grep -q ' $VIP2/'"

# Create eth1 as lab_add_host makes eth0: a veth pair born in the switch
# namespace, the host end placed straight into h1, the other on the bridge.
t0=$(now_ms)
ip -n "$(lab_ns sw)" link add p-h1e type veth peer name eth1 netns "$(lab_ns h1)" &&
	ip -n "$(lab_ns sw)" link set p-h1e master br0 &&
	ip -n "$(lab_ns sw)" link set p-h1e up &&
	ip -n "$(lab_ns h1)" addr add 198.18.0.21/24 dev eth1 &&
	ip -n "$(lab_ns h1)" link set eth1 up
check "eth1 created in h1 and up" eval "ip -n $(lab_ns h1) -o link show dev eth1 | grep -q 'state UP'"
lab_wait_for 3000 vip_on h1 eth1 $VIP2 >/dev/null
el=$(($(now_ms) - t0))
check "h1 holds $VIP2 on eth1 after eth1 appeared" vip_on h1 eth1 $VIP2
# Plain RFC 5798 6.4.2 preemption takes at most one Master_Down_Interval
# after h1 starts listening; health takeover is faster.
check_ms "... within h1's Master_Down_Interval + 300 ms of the interface's creation" \
	"$el" $((MDI_H1 + 300))
seq=$(transitions h1.vigild.log)
check "h1's changes: INIT>FAULT(link-down) FAULT>BACKUP(link-up) BACKUP>MASTER (got: $seq)" \
	eval '[[ $seq =~ ^INIT\>FAULT\(link-down\)\ FAULT\>BACKUP\(link-up\)\ BACKUP\>MASTER\((preempt|health-takeover)\)$ ]]'
lab_wait_for 2000 eval "! vip_on h2 eth0 $VIP2" >/dev/null
check "h2 released $VIP2 (no host's eth0 has it)" lab_vip_held_by $VIP2 ""
check "h2 heard h1's eth1 address as master" \
	vigil_log_has h2.vigild.log 'MASTER -> BACKUP \(higher-priority-advert; priority 100, master heard: 198\.18\.0\.21 priority 150\)'
check "$VIP2 answers ping from the client" lab_ping c $VIP2

echo "== eth1 deleted and created again (a new ifindex): new sockets, the VIP back on h1"
raw_sockets() { lab_exec h1 awk 'NR > 1' /proc/net/raw | wc -l; }
idx0=$(ip -n "$(lab_ns h1)" -o link show dev eth1 | cut -d: -f1)
n=$(vigil_transitions h1.vigild.log)
ip -n "$(lab_ns sw)" link del p-h1e # the pair goes, eth1 with it
ms=$(lab_wait_for 3000 vigil_in_state h1.vigild.log FAULT)
check "h1 FAULT once eth1 is gone ($ms ms)" vigil_in_state h1.vigild.log FAULT
lab_wait_for 3000 vip_on h2 eth0 $VIP2 >/dev/null
check "h2 holds $VIP2 meanwhile" lab_vip_held_by $VIP2 h2
check "h1's socket for the old eth1 closed ($(raw_sockets) raw sockets)" test "$(raw_sockets)" = 0
ip -n "$(lab_ns sw)" link add p-h1e type veth peer name eth1 netns "$(lab_ns h1)" &&
	ip -n "$(lab_ns sw)" link set p-h1e master br0 &&
	ip -n "$(lab_ns sw)" link set p-h1e up &&
	ip -n "$(lab_ns h1)" addr add 198.18.0.21/24 dev eth1 &&
	ip -n "$(lab_ns h1)" link set eth1 up
idx1=$(ip -n "$(lab_ns h1)" -o link show dev eth1 | cut -d: -f1)
check "eth1 is back with a new index ($idx0 -> $idx1)" test "$idx1" != "$idx0"
ms=$(lab_wait_for 3000 vip_on h1 eth1 $VIP2)
check "h1 holds $VIP2 on the new eth1 ($ms ms)" vip_on h1 eth1 $VIP2
lab_wait_for 2000 eval "! vip_on h2 eth0 $VIP2" >/dev/null
check "h2 released $VIP2" eval "! vip_on h2 eth0 $VIP2"
check "one raw socket in h1, on the new eth1 ($(raw_sockets))" test "$(raw_sockets)" = 1
seq=$(transitions_since h1.vigild.log "$n")
check "h1's changes: MASTER>FAULT(link-down) FAULT>BACKUP(link-up) BACKUP>MASTER (got: $seq)" \
	eval '[[ $seq =~ ^MASTER\>FAULT\(link-down\)\ FAULT\>BACKUP\(link-up\)\ BACKUP\>MASTER\((preempt|health-takeover)\)$ ]]'
finish
