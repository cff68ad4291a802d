#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two vigild with an IPv6 VIP (VRRPv3 over IPv6, RFC 5798): election, then
# the VIP moves on kill -9 of the master (Master_Down_Interval), on SIGTERM
# (priority 0, Skew_Time) and on link down (FAULT), each timed. After each
# move a client in a third namespace reaches the VIP, and its neighbour
# entry names the new master's MAC within one advert interval (the
# unsolicited Neighbor Advertisements with the Override flag). The adverts
# on the wire: from the link-local address, to ff02::12, hop limit 255,
# the IPv6 pseudo-header checksum. A host that loses its link-local
# address goes to FAULT. Last, unicast peers named by their link-local
# addresses, with ff02::12 blocked.
. "$(dirname "$0")/vigil_lab.sh"
lab_require tcpdump python3 ping

VIP=2001:db8:1::100
ADV_MS=100
lab_add_host h1 && lab_add_host h2 && lab_add_host c || exit 1
lab_add_addr6 c 2001:db8:1::13/64 || exit 1
ms=$(lab_wait_ll 5000 h1 h2 c) || { echo "FAIL: no link-local addresses after $ms ms"; exit 1; }
LL1=$(lab_ll h1) LL2=$(lab_ll h2)
echo "   link-local: h1 $LL1, h2 $LL2 (usable after $ms ms)"
# RFC 5798 6.1 at 100 ms: h2 (100) Skew_Time 60 ms, Master_Down_Interval 360 ms.
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 vips=$VIP/64
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 vips=$VIP/64

on() { lab_vip6_held_by $VIP "$1"; }
# vip6_on HOST: HOST carries the VIP, whoever else does (polled while timing).
vip6_on() { [[ $(ip -n "$(lab_ns "$1")" -6 -o addr show dev eth0 2>/dev/null) == *" inet6 $VIP/"* ]]; }
neigh_is() { [ "$(lab_neigh_host c $VIP)" = "$1" ]; }
# neigh_follows HOST: the client's neighbour entry for the VIP names HOST
# within one advert interval (+ 50 ms for the polling) of the VIP being
# seen on HOST. The entry exists from the client's earlier traffic: an
# unsolicited advertisement only updates entries (RFC 4861 7.2.5).
neigh_follows() {
	local ms
	ms=$(lab_wait_for $((ADV_MS + 50)) neigh_is "$1")
	check "the client's neighbour entry for the VIP names $1 within one advert interval ($ms ms)" \
		test "$(lab_neigh_host c $VIP)" = "$1"
	check "the client reaches the VIP" lab_ping6 c $VIP
}

echo "== election"
CAP=$LAB_DIR/adverts.pcap
lab_spawn h1 adverts.tcpdump.log tcpdump -i eth0 -n -U --immediate-mode -w "$CAP" ip6 >/dev/null
CAP_PID=$LAB_PID
lab_wait_for 3000 grep -q 'listening on' "$LAB_DIR/adverts.tcpdump.log" >/dev/null
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
h2=$LAB_PID
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
ms=$(lab_wait_for 3000 on h1)
check "h1 (priority 150) holds the VIP alone ($ms ms)" on h1
check "h1 logged MASTER" vigil_in_state h1.vigild.log MASTER
check "h2 logged BACKUP" vigil_in_state h2.vigild.log BACKUP
check "h2 names h1's link-local address as master" \
	vigil_log_has h2.vigild.log "master heard: $LL1 priority 150"
check "the client reaches the VIP" lab_ping6 c $VIP
check "the client's neighbour entry for the VIP names h1" test "$(lab_neigh_host c $VIP)" = h1
check "the VIP is usable at once on h1 (added without DAD: not tentative)" \
	lab_exec h1 sh -c "ip -6 -o addr show dev eth0 | grep ' $VIP/64' | grep -qv tentative"
VIGILCTL=$(dirname "$VIGILD")/vigilctl
if [ -x "$VIGILCTL" ]; then
	"$VIGILCTL" -s "$LAB_DIR/h2.sock" status >"$LAB_DIR/st2.txt" 2>&1
	check "vigilctl status on h2 names the instance's family, its link-local source and the master" \
		grep -q "instance vi (VRRPv3 over IPv6, vrid 51 on eth0, address $LL2)" "$LAB_DIR/st2.txt"
	check "... and the master, h1's link-local address" grep -q "master *$LL1 priority 150" "$LAB_DIR/st2.txt"
	"$VIGILCTL" -s "$LAB_DIR/h1.sock" status --json >"$LAB_DIR/st1.json" 2>&1
	check "vigilctl status --json on h1 lists the IPv6 VIP as held" \
		python3 -c "import json,sys; i=json.load(open(sys.argv[1]))['instances'][0]; sys.exit(i['vipsHeld'] != ['$VIP/64'])" "$LAB_DIR/st1.json"
fi
t1=$(vigil_transitions h1.vigild.log) t2=$(vigil_transitions h2.vigild.log)
f=0
for _ in $(seq 1 20); do on h1 || f=$((f + 1)); sleep 0.1; done
check "VIP on h1 alone at every one of 20 samples in 2 s ($f misses)" test "$f" -eq 0
check "no state change meanwhile" \
	test "$(vigil_transitions h1.vigild.log)/$(vigil_transitions h2.vigild.log)" = "$t1/$t2"
capture_stop

echo "-- the adverts on the wire"
# pcap: Ethernet, IPv6 (next header 112, no extension headers here).
read -r total hl dst src ck na < <(python3 - "$CAP" "$LL1" <<-'PY'
	import socket, struct, sys
	data = open(sys.argv[1], 'rb').read()
	e = '<' if struct.unpack('<I', data[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else '>'
	l2 = 14 if struct.unpack(e + 'I', data[20:24])[0] == 1 else 16
	me = socket.inet_pton(socket.AF_INET6, sys.argv[2])
	def csum(b):
	    b += b'\0' * (len(b) % 2)
	    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
	    while s >> 16:
	        s = (s & 0xffff) + (s >> 16)
	    return s == 0xffff
	n = [0] * 6
	off = 24
	while off + 16 <= len(data):
	    incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
	    ip = data[off + 16 + l2:off + 16 + incl]
	    off += 16 + incl
	    if len(ip) < 40 or ip[0] >> 4 != 6:
	        continue
	    if ip[6] == 112 and ip[8:24] == me:
	        msg = ip[40:40 + struct.unpack('!H', ip[4:6])[0]]
	        pseudo = ip[8:40] + struct.pack('!IxxxB', len(msg), 112)
	        n[0] += 1
	        n[1] += ip[7] == 255
	        n[2] += ip[24:40] == socket.inet_pton(socket.AF_INET6, 'ff02::12')
	        n[3] += 1
	        n[4] += csum(pseudo + msg)
	    elif ip[6] == 58 and len(ip) > 40 and ip[40] == 136 and ip[8:24] == me and ip[7] == 255:
	        n[5] += 1
	print(*n)
	PY
)
echo "     h1's adverts: $total, hop limit 255: $hl, to ff02::12: $dst, from $LL1: $src, pseudo-header checksum ok: $ck; its NAs: $na"
check "h1 sent adverts (10 or more)" test "${total:-0}" -ge 10
check "all with hop limit 255, to ff02::12, from h1's link-local address" test "$hl/$dst/$src" = "$total/$total/$total"
check "all checksummed with the IPv6 pseudo-header (RFC 5798 5.2.8)" test "$ck" = "$total"
check "h1 sent Neighbor Advertisements with hop limit 255 on becoming master" test "${na:-0}" -ge 1

echo "== kill -9 the master's vigild"
lab_kill "$h1" KILL
ms=$(lab_wait_for 3000 vip6_on h2)
check_ms "h2 holds the VIP within Master_Down_Interval + 150 ms" "$ms" $((360 + 150))
check "h2 logged MASTER (master-down-timer)" vigil_log_has h2.vigild.log 'BACKUP -> MASTER \(master-down-timer'
neigh_follows h2

echo "== restart h1: the stale VIP goes, then h1 preempts"
check "the killed vigild left its VIP on h1" vip6_on h1
mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.first.log"
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
check "h1 removed the stale VIP at start" vigil_log_has h1.vigild.log "removed stale VIP $VIP/64"
ms=$(lab_wait_for 3000 on h1)
check "h1 took the VIP back, h2 released it ($ms ms)" on h1
neigh_follows h1

echo "== SIGTERM the master's vigild"
lab_kill "$h1" TERM
ms=$(lab_wait_for 3000 on h2)
check_ms "h2 holds the VIP alone within Skew_Time + 150 ms" "$ms" $((60 + 150))
check "h2 took over on priority 0" vigil_log_has h2.vigild.log 'BACKUP -> MASTER \(priority-zero-received'
lab_wait_for 3000 lab_pid_gone "$h1" >/dev/null
check "h1 removed its VIP on the way out" eval "! vip6_on h1"
neigh_follows h2

echo "== link down on the master"
mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.second.log"
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
lab_wait_for 3000 on h1 >/dev/null
lab_wait_for $((ADV_MS + 50)) sh -c "ip -n $(lab_ns c) -6 neigh show $VIP | grep -q ${LAB_MAC[h1]}" >/dev/null
check "h1 is master again" on h1
lab_ping6 c $VIP
lab_link_down h1
ms=$(lab_wait_for 3000 vip6_on h2)
check_ms "h2 holds the VIP within Master_Down_Interval + 150 ms" "$ms" $((360 + 150))
lab_wait_log 1000 "$LAB_DIR/h1.vigild.log" 0 'MASTER -> FAULT' >/dev/null
check "h1 went to FAULT" vigil_in_state h1.vigild.log FAULT
neigh_follows h2
lab_link_up h1
ms=$(lab_wait_for 5000 on h1)
check "link up: h1 preempts again ($ms ms)" on h1

echo "== no usable link-local address: FAULT"
n=$(vigil_transitions h2.vigild.log)
lab_exec h2 ip -6 addr del "$LL2/64" dev eth0
ms=$(lab_wait_log 2000 "$LAB_DIR/h2.vigild.log" 0 'BACKUP -> FAULT') 
check "h2 without its link-local address went to FAULT ($ms ms)" vigil_in_state h2.vigild.log FAULT
lab_exec h2 ip -6 addr add "$LL2/64" dev eth0 nodad
ms=$(lab_wait_log 2000 "$LAB_DIR/h2.vigild.log" 0 'FAULT -> BACKUP')
check "the address back: h2 is BACKUP again ($ms ms)" vigil_in_state h2.vigild.log BACKUP
check "the VIP stayed on h1 alone" on h1

echo "== unicast peers (link-local addresses), ff02::12 blocked"
vigil_stop "$h1"
vigil_stop "$h2"
lab_block_multicast h1 && lab_block_multicast h2 || exit 1
vigil_conf "$LAB_DIR/h1u.ini" router_id=h1 priority=150 vips=$VIP/64 peers="$LL2"
vigil_conf "$LAB_DIR/h2u.ini" router_id=h2 priority=100 vips=$VIP/64 peers="$LL1"
mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.multicast.log"
mv "$LAB_DIR/h2.vigild.log" "$LAB_DIR/h2.multicast.log"
vigil_start h2 "$LAB_DIR/h2u.ini" || exit 1
h2=$LAB_PID
vigil_start h1 "$LAB_DIR/h1u.ini" || exit 1
h1=$LAB_PID
ms=$(lab_wait_for 3000 on h1)
check "unicast: h1 holds the VIP alone ($ms ms)" on h1
f=0
for _ in $(seq 1 10); do on h1 || f=$((f + 1)); sleep 0.1; done
check "unicast: VIP on h1 alone at every one of 10 samples in 1 s ($f misses)" test "$f" -eq 0
lab_kill "$h1" TERM
ms=$(lab_wait_for 3000 on h2)
check_ms "unicast: SIGTERM h1, h2 holds the VIP alone within Skew_Time + 150 ms" "$ms" $((60 + 150))
finish
