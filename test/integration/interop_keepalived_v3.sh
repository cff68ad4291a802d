#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild and the real keepalived 2.2.7 in one VRRPv3 group (100 ms adverts):
# each elects, backs up and replaces the other, and neither complains about
# the other's packets. keepalived 2.2.7 checksums v3 over IPv4 with a
# pseudo-header (docs/design.md "Checksums"), so vigild runs with
# checksum = auto and = pseudo-header; a last case with checksum = rfc9568
# shows keepalived's complaint, which proves the log grep would see one.
. "$(dirname "$0")/vigil_lab.sh"
lab_require tcpdump python3

# Both sides list the same VIPs: keepalived 2.2.7 drops an advert whose
# address count differs ("received an unexpected ip number count").
VIPS=198.18.0.100/24,198.18.0.101/24
ADV_MS=100

lab_add_host h1 && lab_add_host h2 || exit 1
VG_ADDR=$(lab_addr h1)  # vigild runs on h1
KA_ADDR=$(lab_addr h2)  # keepalived on h2

# RFC 5798 6.1, in ms, for PRIO at ADV_MS (what both implementations use).
skew_ms() { echo $(( (256 - $1) * ADV_MS / 256 )); }
mdi_ms() { echo $(( 3 * ADV_MS + $(skew_ms "$1") )); }

# v3_forms PCAP SRC: for the VRRPv3 adverts SRC sent, print "total ttl255
# to224.0.0.18 pseudo-header message-only", the last two counting the
# adverts whose checksum verifies with and without the IPv4 pseudo-header
# {src, dst, 0, 112, length} (RFC 5798 5.2.8 as keepalived reads it).
v3_forms() {
	python3 - "$1" "$2" <<-'EOF'
	import socket, struct, sys
	def ok(b):
	    b += b'\0' * (len(b) % 2)
	    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
	    while s >> 16:
	        s = (s & 0xffff) + (s >> 16)
	    return s == 0xffff
	data = open(sys.argv[1], 'rb').read()
	e = '<' if struct.unpack('<I', data[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else '>'
	l2 = 14 if struct.unpack(e + 'I', data[20:24])[0] == 1 else 16
	n = [0] * 5
	off = 24
	while off + 16 <= len(data):
	    incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
	    ip = data[off + 16 + l2:off + 16 + incl]
	    off += 16 + incl
	    if len(ip) < 20 or ip[9] != 112 or socket.inet_ntoa(ip[12:16]) != sys.argv[2]:
	        continue
	    msg = ip[(ip[0] & 15) * 4:struct.unpack('!H', ip[2:4])[0]]
	    if not msg or msg[0] >> 4 != 3:
	        continue
	    pseudo = ip[12:20] + struct.pack('!BBH', 0, 112, len(msg))
	    for i, c in enumerate((True, ip[8] == 255, ip[16:20] == bytes([224, 0, 0, 18]),
	                           ok(pseudo + msg), ok(msg))):
	        n[i] += c
	print(*n)
	EOF
}

# round MODE: cases (a) and (b) with vigild's checksum = MODE.
round() {
	local mode=$1 ka kapid kachild vgpid ms n t f a ph mo
	echo "== v3, vigild checksum = $mode"
	capture_start "cap-$mode"

	echo "-- (a) vigild 150, keepalived 100"
	ka=$LAB_DIR/ka100-$mode.conf
	keepalived_conf "$ka" priority=100 advert_int=0.1 version=3 vips="$VIPS" || return 1
	vigil_conf "$LAB_DIR/h1-150-$mode.ini" router_id=h1 priority=150 vips="$VIPS" checksum="$mode"
	kapid=$(keepalived_start h2 "$ka") || return 1
	lab_wait_for 3000 keepalived_in_state "$ka" MASTER >/dev/null
	check "keepalived (100) alone is MASTER first" keepalived_in_state "$ka" MASTER
	vg_log "h1.before-$mode"
	vigil_start h1 "$LAB_DIR/h1-150-$mode.ini" || return 1
	vgpid=$LAB_PID
	ms=$(lab_wait_for 3000 vips_held_by h1)
	check "vigild (150) took the VIPs from keepalived (100), h1 alone ($ms ms)" vips_held_by h1
	check "vigild logged MASTER" vigil_in_state h1.vigild.log MASTER
	lab_wait_for 1000 keepalived_in_state "$ka" BACKUP >/dev/null
	check "keepalived went BACKUP on vigild's higher priority" \
		grep -q "received advert from $VG_ADDR with higher priority 150, ours 100" "${ka%.conf}.log"
	check "keepalived is BACKUP" keepalived_in_state "$ka" BACKUP
	n=$(ka_entered "$ka") t=$(vigil_transitions h1.vigild.log) f=0
	for _ in $(seq 1 20); do vips_held_by h1 || f=$((f + 1)); sleep 0.1; done
	check "VIPs on h1 alone at every one of 20 samples in 2 s ($f misses)" test "$f" -eq 0
	check "no state change in keepalived or vigild meanwhile" \
		test "$(ka_entered "$ka")/$(vigil_transitions h1.vigild.log)" = "$n/$t"

	lab_kill "$vgpid" KILL
	ms=$(lab_wait_for 3000 vips_on h2)
	check_ms "kill -9 vigild: keepalived holds the VIPs within its MDI $(mdi_ms 100) + 150 ms" \
		"$ms" $(( $(mdi_ms 100) + 150 ))
	check "keepalived logged MASTER" keepalived_in_state "$ka" MASTER

	vg_log "h1.killed-$mode"
	vigil_start h1 "$LAB_DIR/h1-150-$mode.ini" || return 1
	vgpid=$LAB_PID
	ms=$(lab_wait_for 3000 vips_held_by h1)
	check "restarted vigild removed its stale VIPs and took them back ($ms ms)" vips_held_by h1
	lab_wait_for 1000 keepalived_in_state "$ka" BACKUP >/dev/null
	check "keepalived is BACKUP again" keepalived_in_state "$ka" BACKUP
	lab_kill "$vgpid" TERM
	ms=$(lab_wait_for 3000 vips_held_by h2)
	check_ms "SIGTERM vigild (priority 0): keepalived alone holds the VIPs within Skew_Time $(skew_ms 100) + 150 ms" \
		"$ms" $(( $(skew_ms 100) + 150 ))
	check "keepalived logged MASTER" keepalived_in_state "$ka" MASTER
	lab_wait_for 3000 lab_pid_gone "$vgpid" >/dev/null
	check "vigild exited cleanly" vigil_log_has h1.vigild.log 'stopped$'
	vigil_stop "$kapid"
	lab_wait_for 3000 keepalived_stopped "$ka" >/dev/null
	check "(a) keepalived logged no complaint about vigild's packets" test "$(ka_complaints "$ka")" -eq 0

	echo "-- (b) keepalived 150, vigild 100"
	ka=$LAB_DIR/ka150-$mode.conf
	keepalived_conf "$ka" priority=150 advert_int=0.1 version=3 vips="$VIPS" || return 1
	vigil_conf "$LAB_DIR/h1-100-$mode.ini" router_id=h1 priority=100 vips="$VIPS" checksum="$mode"
	kapid=$(keepalived_start h2 "$ka") || return 1
	lab_wait_for 3000 keepalived_in_state "$ka" MASTER >/dev/null
	check "keepalived (150) is MASTER" keepalived_in_state "$ka" MASTER
	vg_log "h1.stopped-$mode"
	vigil_start h1 "$LAB_DIR/h1-100-$mode.ini" || return 1
	vgpid=$LAB_PID
	# 1 s is almost 3 x vigild's MDI (361 ms): had it dropped keepalived's
	# adverts, it would have become MASTER by now.
	f=0
	for _ in $(seq 1 10); do vips_held_by h2 || f=$((f + 1)); sleep 0.1; done
	check "VIPs on keepalived's h2 alone for 1 s after vigild (100) started ($f misses)" test "$f" -eq 0
	check "vigild is BACKUP" vigil_in_state h1.vigild.log BACKUP
	check "vigild never was MASTER" test "$(grep -c -- '-> MASTER' "$LAB_DIR/h1.vigild.log")" -eq 0

	kachild=$(keepalived_vrrp_pid "$ka") || return 1
	lab_kill "$kachild" KILL
	ms=$(lab_wait_for 3000 vips_on h1)
	check_ms "kill -9 keepalived's VRRP child: vigild holds the VIPs within MDI $(mdi_ms 100) + 150 ms" \
		"$ms" $(( $(mdi_ms 100) + 150 ))
	check "vigild took over on its master-down-timer" \
		vigil_log_has h1.vigild.log 'BACKUP -> MASTER \(master-down-timer'
	lab_wait_for 3000 keepalived_stopped "$ka" >/dev/null

	kapid=$(keepalived_start h2 "$ka") || return 1
	ms=$(lab_wait_for 3000 vips_held_by h2)
	check "restarted keepalived (150) preempted vigild, h2 alone holds the VIPs ($ms ms)" vips_held_by h2
	check "vigild went BACKUP on keepalived's higher priority" \
		vigil_log_has h1.vigild.log 'MASTER -> BACKUP \(higher-priority-advert'
	lab_kill "$kapid" TERM
	ms=$(lab_wait_for 3000 vips_held_by h1)
	check_ms "SIGTERM keepalived (priority 0): vigild alone holds the VIPs within Skew_Time $(skew_ms 100) + 150 ms" \
		"$ms" $(( $(skew_ms 100) + 150 ))
	check "vigild took over on priority 0" \
		vigil_log_has h1.vigild.log 'BACKUP -> MASTER \(priority-zero-received'
	lab_wait_for 3000 keepalived_stopped "$ka" >/dev/null
	vigil_stop "$vgpid"
	check "(b) keepalived logged no complaint about vigild's packets" test "$(ka_complaints "$ka")" -eq 0

	echo "-- (c) the packets"
	capture_stop
	for f in h1.before-$mode.log h1.killed-$mode.log h1.stopped-$mode.log h1.vigild.log; do
		[ -f "$LAB_DIR/$f" ] || continue
		check "vigild dropped no packet from keepalived ($f)" test "$(vg_drops_from_ka "$f")" -eq 0
		check "vigild logged no checksum-convention change ($f)" \
			test "$(grep -c 'checksum convention' "$LAB_DIR/$f")" -eq 0
	done
	read -r t n a ph mo < <(v3_forms "$CAP" "$VG_ADDR")
	echo "     vigild's adverts: $t, TTL 255: $n, to 224.0.0.18: $a, pseudo-header: $ph, message-only: $mo"
	# Master for about 2.5 s in (a) and 0.3 s in (b), at 10 adverts a second.
	check "vigild sent adverts (20 or more)" test "${t:-0}" -ge 20
	check "all of them with TTL 255 to 224.0.0.18" test "$n/$a" = "$t/$t"
	check "all of them checksummed with the pseudo-header (checksum = $mode)" test "$ph/$mo" = "$t/0"
	read -r t n a ph mo < <(v3_forms "$CAP" "$KA_ADDR")
	check "keepalived's adverts ($t) all verify with the pseudo-header (analyser sanity)" \
		test "${t:-0}" -gt 10 -a "$ph/$mo" = "$t/0"
	mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.end-$mode.log"
}

# A round that cannot set up (a daemon refused to start) ends the test.
for m in auto pseudo-header; do
	round "$m" || { echo "FAIL: round $m could not set up"; lab_dump_logs 40; exit 1; }
done

echo "== negative control: vigild checksum = rfc9568 against keepalived 2.2.7"
ka=$LAB_DIR/ka-rfc9568.conf
keepalived_conf "$ka" priority=100 advert_int=0.1 version=3 vips="$VIPS" || exit 1
vigil_conf "$LAB_DIR/h1-rfc9568.ini" router_id=h1 priority=150 vips="$VIPS" checksum=rfc9568
kapid=$(keepalived_start h2 "$ka") || exit 1
vigil_start h1 "$LAB_DIR/h1-rfc9568.ini" || exit 1
vgpid=$LAB_PID
ms=$(lab_wait_for 3000 vips_held_by "h1 h2")
check "each drops the other's adverts: both hold the VIPs (split brain, $ms ms)" vips_held_by "h1 h2"
check "keepalived complains: the complaint grep finds it ($(ka_complaints "$ka") lines)" \
	test "$(ka_complaints "$ka")" -gt 0
check "keepalived's words: \"Invalid VRRPv3 checksum\"" grep -q 'Invalid VRRPv3 checksum' "${ka%.conf}.log"
check "vigild (rfc9568 only) logs keepalived's adverts as dropped: csum" \
	vigil_log_has h1.vigild.log "dropped packet from $KA_ADDR: csum"
vigil_stop "$vgpid"
vigil_stop "$kapid"
finish
