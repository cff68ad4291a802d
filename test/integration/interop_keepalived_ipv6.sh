#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild and the real keepalived 2.2.7 in one VRRPv3 group over IPv6
# (ff02::12, 100 ms adverts): each elects, backs up and replaces the
# other, the higher priority holds the VIP alone, and neither complains
# about the other's packets. keepalived runs VRRPv3 over IPv6 because its
# vrrp_instance's virtual_ipaddress is IPv6 (native_ipv6 would say so
# without one).
. "$(dirname "$0")/vigil_lab.sh"
lab_require tcpdump python3

VIP=2001:db8:1::100
ADV_MS=100
lab_add_host h1 && lab_add_host h2 || exit 1
ms=$(lab_wait_ll 5000 h1 h2) || { echo "FAIL: no link-local addresses after $ms ms"; exit 1; }
VG_ADDR=$(lab_ll h1)  # vigild runs on h1
KA_ADDR=$(lab_ll h2)  # keepalived on h2
echo "   vigild on h1 ($VG_ADDR), keepalived on h2 ($KA_ADDR)"

skew_ms() { echo $(( (256 - $1) * ADV_MS / 256 )); }
mdi_ms() { echo $(( 3 * ADV_MS + $(skew_ms "$1") )); }
on() { lab_vip6_held_by $VIP "$1"; }
vip6_on() { [[ $(ip -n "$(lab_ns "$1")" -6 -o addr show dev eth0 2>/dev/null) == *" inet6 $VIP/"* ]]; }

CAP=$LAB_DIR/ipv6.pcap
lab_spawn h1 cap.tcpdump.log tcpdump -i eth0 -n -U --immediate-mode -w "$CAP" ip6 proto 112 >/dev/null
CAP_PID=$LAB_PID
lab_wait_for 3000 grep -q 'listening on' "$LAB_DIR/cap.tcpdump.log" >/dev/null

echo "== (a) vigild 150, keepalived 100"
ka=$LAB_DIR/ka100.conf
keepalived_conf "$ka" priority=100 advert_int=0.1 version=3 vips=$VIP/64 || exit 1
vigil_conf "$LAB_DIR/h1-150.ini" router_id=h1 priority=150 vips=$VIP/64
kapid=$(keepalived_start h2 "$ka") || exit 1
lab_wait_for 3000 keepalived_in_state "$ka" MASTER >/dev/null
check "keepalived (100) alone is MASTER first" keepalived_in_state "$ka" MASTER
check "keepalived holds the VIP" on h2
vg_log h1.before
vigil_start h1 "$LAB_DIR/h1-150.ini" || exit 1
vgpid=$LAB_PID
ms=$(lab_wait_for 3000 on h1)
check "vigild (150) took the VIP from keepalived (100), h1 alone ($ms ms)" on h1
lab_wait_for 1000 keepalived_in_state "$ka" BACKUP >/dev/null
check "keepalived went BACKUP on vigild's higher priority" keepalived_in_state "$ka" BACKUP
check "keepalived logged vigild's advert (from its link-local address, priority 150)" \
	grep -q "received advert from $VG_ADDR with higher priority 150, ours 100" "${ka%.conf}.log"
n=$(ka_entered "$ka") t=$(vigil_transitions h1.vigild.log) f=0
for _ in $(seq 1 20); do on h1 || f=$((f + 1)); sleep 0.1; done
check "VIP on h1 alone at every one of 20 samples in 2 s ($f misses)" test "$f" -eq 0
check "no state change in keepalived or vigild meanwhile" \
	test "$(ka_entered "$ka")/$(vigil_transitions h1.vigild.log)" = "$n/$t"
lab_kill "$vgpid" KILL
ms=$(lab_wait_for 3000 vip6_on h2)
check_ms "kill -9 vigild: keepalived holds the VIP within its MDI $(mdi_ms 100) + 150 ms" \
	"$ms" $(( $(mdi_ms 100) + 150 ))
vg_log h1.killed
vigil_start h1 "$LAB_DIR/h1-150.ini" || exit 1
vgpid=$LAB_PID
check "restarted vigild removed its stale VIP" vigil_log_has h1.vigild.log "removed stale VIP $VIP/64"
ms=$(lab_wait_for 3000 on h1)
check "restarted vigild took the VIP back, h1 alone ($ms ms)" on h1
lab_kill "$vgpid" TERM
ms=$(lab_wait_for 3000 on h2)
check_ms "SIGTERM vigild (priority 0): keepalived alone holds the VIP within Skew_Time $(skew_ms 100) + 150 ms" \
	"$ms" $(( $(skew_ms 100) + 150 ))
lab_wait_for 3000 lab_pid_gone "$vgpid" >/dev/null
vigil_stop "$kapid"
lab_wait_for 3000 keepalived_stopped "$ka" >/dev/null
check "(a) keepalived logged no complaint about vigild's packets ($(ka_complaints "$ka") lines)" \
	test "$(ka_complaints "$ka")" -eq 0

echo "== (b) keepalived 150, vigild 100"
ka=$LAB_DIR/ka150.conf
keepalived_conf "$ka" priority=150 advert_int=0.1 version=3 vips=$VIP/64 || exit 1
vigil_conf "$LAB_DIR/h1-100.ini" router_id=h1 priority=100 vips=$VIP/64
kapid=$(keepalived_start h2 "$ka") || exit 1
lab_wait_for 3000 keepalived_in_state "$ka" MASTER >/dev/null
check "keepalived (150) is MASTER" keepalived_in_state "$ka" MASTER
vg_log h1.stopped
vigil_start h1 "$LAB_DIR/h1-100.ini" || exit 1
vgpid=$LAB_PID
# 1 s is almost 3 x vigild's MDI (361 ms): had it dropped keepalived's
# adverts, it would have become MASTER by now.
f=0
for _ in $(seq 1 10); do on h2 || f=$((f + 1)); sleep 0.1; done
check "VIP on keepalived's h2 alone for 1 s after vigild (100) started ($f misses)" test "$f" -eq 0
check "vigild is BACKUP" vigil_in_state h1.vigild.log BACKUP
check "vigild never was MASTER" test "$(grep -c -- "-> MASTER" "$LAB_DIR/h1.vigild.log")" -eq 0
kachild=$(keepalived_vrrp_pid "$ka") || exit 1
lab_kill "$kachild" KILL
ms=$(lab_wait_for 3000 vip6_on h1)
check_ms "kill -9 keepalived's VRRP child: vigild holds the VIP within MDI $(mdi_ms 100) + 150 ms" \
	"$ms" $(( $(mdi_ms 100) + 150 ))
check "vigild took over on its master-down-timer" \
	vigil_log_has h1.vigild.log 'BACKUP -> MASTER \(master-down-timer'
lab_wait_for 3000 keepalived_stopped "$ka" >/dev/null
kapid=$(keepalived_start h2 "$ka") || exit 1
ms=$(lab_wait_for 3000 on h2)
check "restarted keepalived (150) preempted vigild, h2 alone holds the VIP ($ms ms)" on h2
check "vigild went BACKUP on keepalived's higher priority" \
	vigil_log_has h1.vigild.log "MASTER -> BACKUP \(higher-priority-advert; priority 100, master heard: $KA_ADDR priority 150"
lab_kill "$kapid" TERM
ms=$(lab_wait_for 3000 on h1)
check_ms "SIGTERM keepalived (priority 0): vigild alone holds the VIP within Skew_Time $(skew_ms 100) + 150 ms" \
	"$ms" $(( $(skew_ms 100) + 150 ))
check "vigild took over on priority 0" \
	vigil_log_has h1.vigild.log 'BACKUP -> MASTER \(priority-zero-received'
lab_wait_for 3000 keepalived_stopped "$ka" >/dev/null
vigil_stop "$vgpid"
check "(b) keepalived logged no complaint about vigild's packets ($(ka_complaints "$ka") lines)" \
	test "$(ka_complaints "$ka")" -eq 0
lab_kill "$CAP_PID" INT
lab_wait_for 3000 lab_pid_gone "$CAP_PID" >/dev/null

echo "== the packets"
for f in h1.before.log h1.killed.log h1.stopped.log h1.vigild.log; do
	[ -f "$LAB_DIR/$f" ] || continue
	check "vigild dropped no packet from keepalived ($f)" \
		test "$(grep -c "dropped packet from $KA_ADDR\|dropped datagram from $KA_ADDR" "$LAB_DIR/$f")" -eq 0
done
# Both sides' adverts: hop limit 255, to ff02::12, the IPv6 pseudo-header
# checksum; print keepalived's, one per priority, as hex (the codec's
# IPv6 vectors in test/unit/test_packet.c were taken this way).
v6_forms() {
	python3 - "$CAP" "$1" "${2:-}" <<-'PY'
	import socket, struct, sys
	data = open(sys.argv[1], 'rb').read()
	e = '<' if struct.unpack('<I', data[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else '>'
	l2 = 14 if struct.unpack(e + 'I', data[20:24])[0] == 1 else 16
	me = socket.inet_pton(socket.AF_INET6, sys.argv[2])
	def ok(b):
	    b += b'\0' * (len(b) % 2)
	    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
	    while s >> 16:
	        s = (s & 0xffff) + (s >> 16)
	    return s == 0xffff
	n = [0] * 4
	off = 24
	dumped = set()
	while off + 16 <= len(data):
	    incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
	    ip = data[off + 16 + l2:off + 16 + incl]
	    off += 16 + incl
	    if len(ip) < 48 or ip[0] >> 4 != 6 or ip[6] != 112 or ip[8:24] != me:
	        continue
	    msg = ip[40:40 + struct.unpack('!H', ip[4:6])[0]]
	    n[0] += 1
	    n[1] += ip[7] == 255
	    n[2] += ip[24:40] == socket.inet_pton(socket.AF_INET6, 'ff02::12')
	    n[3] += ok(ip[8:40] + struct.pack('!IxxxB', len(msg), 112) + msg)
	    if sys.argv[3] == 'dump' and msg[2] not in dumped:
	        sys.stderr.write('     one with priority %d, from %s: %s\n' % (msg[2], sys.argv[2], msg.hex()))
	        dumped.add(msg[2])
	print(*n)
	PY
}
read -r t hl d ck < <(v6_forms "$VG_ADDR")
echo "     vigild's adverts: $t, hop limit 255: $hl, to ff02::12: $d, pseudo-header checksum: $ck"
check "vigild sent adverts (20 or more), all hop limit 255 to ff02::12 with the pseudo-header checksum" \
	test "${t:-0}" -ge 20 -a "$hl/$d/$ck" = "$t/$t/$t"
read -r t hl d ck < <(v6_forms "$KA_ADDR" dump)
echo "     keepalived's adverts: $t, hop limit 255: $hl, to ff02::12: $d, pseudo-header checksum: $ck"
check "keepalived's adverts ($t) all verify the same way (analyser sanity)" \
	test "${t:-0}" -ge 10 -a "$hl/$d/$ck" = "$t/$t/$t"
finish
