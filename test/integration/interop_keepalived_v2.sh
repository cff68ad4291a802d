#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild and the real keepalived 2.2.7 in one VRRPv2 group (1 s adverts),
# without authentication and with keepalived's `auth_type PASS`: the higher
# priority wins whichever daemon has it, each replaces the other when it is
# killed, neither complains about the other's packets; with different
# passwords each drops the other's adverts and both become master.
. "$(dirname "$0")/vigil_lab.sh"
lab_require tcpdump python3

# Same VIP list on both: keepalived 2.2.7 drops an advert whose address
# count differs.
VIPS=198.18.0.100/24,198.18.0.101/24

lab_add_host h1 && lab_add_host h2 || exit 1
VG_ADDR=$(lab_addr h1)  # vigild runs on h1
KA_ADDR=$(lab_addr h2)  # keepalived on h2

# RFC 3768 6.1 with Advertisement_Interval = 1 s: Skew_Time =
# (256 - Priority) / 256 s, Master_Down_Interval = 3 s + Skew_Time (in ms).
mdi_ms() { echo $(( 3000 + (256 - $1) * 1000 / 256 )); }
# A takeover measured from the kill comes at most one MDI after the dead
# master's last advert, so at most MDI after the kill; SLACK_MS covers the
# 15 ms poll, the VIP install and scheduling on a busy 2-core machine.
SLACK_MS=400

# v2_adverts PCAP SRC AUTH_TYPE PASS: for the VRRPv2 adverts SRC sent,
# print "total good": good = TTL 255, to 224.0.0.18, Adver Int 1, 2
# addresses, checksum over the VRRP message only (RFC 3768 5.3.8), auth
# type AUTH_TYPE and the 8 auth bytes PASS zero-padded (RFC 2338 5.3.6.1;
# all zero for type 0).
v2_adverts() {
	python3 - "$@" <<-'EOF'
	import socket, struct, sys
	def ok(b):
	    b += b'\0' * (len(b) % 2)
	    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
	    while s >> 16:
	        s = (s & 0xffff) + (s >> 16)
	    return s == 0xffff
	data = open(sys.argv[1], 'rb').read()
	auth = (int(sys.argv[3]), sys.argv[4].encode().ljust(8, b'\0'))
	e = '<' if struct.unpack('<I', data[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else '>'
	l2 = 14 if struct.unpack(e + 'I', data[20:24])[0] == 1 else 16
	total = good = 0
	off = 24
	while off + 16 <= len(data):
	    incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
	    ip = data[off + 16 + l2:off + 16 + incl]
	    off += 16 + incl
	    if len(ip) < 20 or ip[9] != 112 or socket.inet_ntoa(ip[12:16]) != sys.argv[2]:
	        continue
	    m = ip[(ip[0] & 15) * 4:struct.unpack('!H', ip[2:4])[0]]
	    if len(m) < 8 or m[0] != 0x21:
	        continue
	    total += 1
	    good += (ip[8] == 255 and ip[16:20] == bytes([224, 0, 0, 18]) and m[3] == 2
	             and m[5] == 1 and len(m) == 8 + 4 * 2 + 8 and ok(m)
	             and (m[4], m[16:24]) == auth)
	print(total, good)
	EOF
}

# round NAME PASS: keepalived 100 + vigild 150, kill -9 vigild; vigild 50
# under keepalived 100, kill -9 keepalived's VRRP child. PASS empty = no
# authentication.
round() {
	local name=$1 pass=$2 ka kapid kachild vgpid ms n t f good
	local vgauth=() at=0 what="no authentication"
	[ -z "$pass" ] || { vgauth=(auth_type=pass auth_pass="$pass") at=1 what="auth_type PASS \"$pass\""; }
	echo "== v2, $what"
	capture_start "cap-$name"
	ka=$LAB_DIR/ka-$name.conf
	keepalived_conf "$ka" priority=100 advert_int=1 version=2 vips="$VIPS" \
		${pass:+auth_pass="$pass"} || return 1
	vigil_conf "$LAB_DIR/h1-150-$name.ini" router_id=h1 priority=150 version=2 \
		advert_interval=1s vips="$VIPS" "${vgauth[@]}"
	vigil_conf "$LAB_DIR/h1-50-$name.ini" router_id=h1 priority=50 version=2 \
		advert_interval=1s vips="$VIPS" "${vgauth[@]}"

	echo "-- vigild 150, keepalived 100"
	vg_log "h1.before-$name"
	vigil_start h1 "$LAB_DIR/h1-150-$name.ini" || return 1
	vgpid=$LAB_PID
	kapid=$(keepalived_start h2 "$ka") || return 1
	# vigild's MDI at 150 is 3414 ms, keepalived's at 100 3609 ms.
	ms=$(lab_wait_for 6000 vips_held_by h1)
	check "vigild (150) is master, the VIPs on h1 alone ($ms ms)" vips_held_by h1
	check "keepalived is BACKUP" keepalived_in_state "$ka" BACKUP
	n=$(ka_entered "$ka") t=$(vigil_transitions h1.vigild.log) f=0
	for _ in $(seq 1 10); do vips_held_by h1 || f=$((f + 1)); sleep 0.2; done
	check "VIPs on h1 alone at every one of 10 samples in 2 s ($f misses)" test "$f" -eq 0
	check "no state change in keepalived or vigild meanwhile" \
		test "$(ka_entered "$ka")/$(vigil_transitions h1.vigild.log)" = "$n/$t"
	lab_kill "$vgpid" KILL
	ms=$(lab_wait_for 6000 vips_on h2)
	check_ms "kill -9 vigild: keepalived holds the VIPs within MDI $(mdi_ms 100) + $SLACK_MS ms" \
		"$ms" $(( $(mdi_ms 100) + SLACK_MS ))
	check "keepalived logged MASTER" keepalived_in_state "$ka" MASTER

	echo "-- keepalived 100, vigild 50"
	vg_log "h1.killed-$name"
	vigil_start h1 "$LAB_DIR/h1-50-$name.ini" || return 1
	vgpid=$LAB_PID
	# 4.5 s > vigild's MDI at 50 (3804 ms): had it dropped keepalived's
	# adverts, it would have become MASTER in that time.
	n=$(ka_entered "$ka") f=0
	for _ in $(seq 1 30); do vips_held_by h2 || f=$((f + 1)); sleep 0.15; done
	check "VIPs on keepalived's h2 alone for 4.5 s after vigild (50) started ($f misses)" \
		test "$f" -eq 0
	check "vigild is BACKUP and never was MASTER" \
		test "$(vigil_state h1.vigild.log)/$(grep -c -- '-> MASTER' "$LAB_DIR/h1.vigild.log")" = BACKUP/0
	check "keepalived stayed MASTER" test "$(ka_entered "$ka")" -eq "$n"
	kachild=$(keepalived_vrrp_pid "$ka") || return 1
	lab_kill "$kachild" KILL
	ms=$(lab_wait_for 6000 vips_on h1)
	check_ms "kill -9 keepalived's VRRP child: vigild holds the VIPs within MDI $(mdi_ms 50) + $SLACK_MS ms" \
		"$ms" $(( $(mdi_ms 50) + SLACK_MS ))
	check "vigild took over on its master-down-timer" \
		vigil_log_has h1.vigild.log 'BACKUP -> MASTER \(master-down-timer'
	lab_wait_for 3000 keepalived_stopped "$ka" >/dev/null
	vigil_stop "$vgpid"
	capture_stop

	echo "-- the packets and the logs"
	check "keepalived logged no complaint about vigild's packets" test "$(ka_complaints "$ka")" -eq 0
	for f in h1.killed-$name.log h1.vigild.log; do
		check "vigild dropped no packet from keepalived ($f)" test "$(vg_drops_from_ka "$f")" -eq 0
	done
	read -r t good < <(v2_adverts "$CAP" "$VG_ADDR" "$at" "$pass")
	echo "     vigild's v2 adverts: $t, well-formed: $good"
	check "vigild sent v2 adverts, all TTL 255, v2 checksum, $what" \
		test "${t:-0}" -ge 3 -a "$good" = "$t"
	read -r t good < <(v2_adverts "$CAP" "$KA_ADDR" "$at" "$pass")
	check "keepalived's adverts ($t) pass the same test (analyser sanity)" \
		test "${t:-0}" -ge 3 -a "$good" = "$t"
	mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.end-$name.log"
}

# A round that cannot set up (a daemon refused to start) ends the test.
round none '' || { echo "FAIL: round none could not set up"; lab_dump_logs 40; exit 1; }
round pass secret || { echo "FAIL: round pass could not set up"; lab_dump_logs 40; exit 1; }

echo "== v2, different passwords: each drops the other's adverts"
ka=$LAB_DIR/ka-wrongpw.conf
keepalived_conf "$ka" priority=100 advert_int=1 version=2 vips="$VIPS" auth_pass=other || exit 1
vigil_conf "$LAB_DIR/h1-wrongpw.ini" router_id=h1 priority=150 version=2 \
	advert_interval=1s vips="$VIPS" auth_type=pass auth_pass=secret
vigil_start h1 "$LAB_DIR/h1-wrongpw.ini" || exit 1
vgpid=$LAB_PID
kapid=$(keepalived_start h2 "$ka") || exit 1
# Split brain is the expected result: neither hears a valid master.
ms=$(lab_wait_for 6000 vips_held_by "h1 h2")
check "both hold the VIPs (split brain, as a mismatched password must give; $ms ms)" \
	vips_held_by "h1 h2"
lab_wait_for 2000 vigil_log_has h1.vigild.log "dropped packet from $KA_ADDR: auth-data" >/dev/null
check "vigild logged keepalived's adverts as dropped: auth-data" \
	vigil_log_has h1.vigild.log "dropped packet from $KA_ADDR: auth-data"
check "vigild is MASTER" vigil_in_state h1.vigild.log MASTER
check "keepalived is MASTER" keepalived_in_state "$ka" MASTER
check "keepalived logged vigild's adverts as \"received an invalid passwd!\"" \
	grep -q 'received an invalid passwd' "${ka%.conf}.log"
check "the complaint grep finds it ($(ka_complaints "$ka") lines)" test "$(ka_complaints "$ka")" -gt 0
vigil_stop "$vgpid"
vigil_stop "$kapid"
finish
