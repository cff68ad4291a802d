#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The VRRPv3 IPv4 checksum conventions between two vigild (keepalived 2.2.7
# cannot send the RFC 9568 form, so vigild is its own peer here):
#   rfc9568 on both: they hear each other, one master;
#   auto against rfc9568: auto switches to the peer's form (logged), one
#     master, no packet dropped after the switch;
#   pseudo-header against rfc9568: neither accepts the other (counted and
#     logged as csum drops): both become master, which is what a
#     mismatched pair does, and why auto is the default.
. "$(dirname "$0")/vigil_lab.sh"

VIP=198.18.0.100
lab_add_host h1 && lab_add_host h2 || exit 1

# round NAME H1_CHECKSUM H2_CHECKSUM: start both, h1 priority 150.
round() {
	vigil_conf "$LAB_DIR/$1-h1.ini" router_id=h1 priority=150 checksum="$2"
	vigil_conf "$LAB_DIR/$1-h2.ini" router_id=h2 priority=100 checksum="$3"
	vigil_start h2 "$LAB_DIR/$1-h2.ini" || exit 1
	p2=$LAB_PID
	mv "$LAB_DIR/h2.vigild.log" "$LAB_DIR/$1-h2.log" 2>/dev/null
	vigil_start h1 "$LAB_DIR/$1-h1.ini" || exit 1
	p1=$LAB_PID
	mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/$1-h1.log" 2>/dev/null
}

stop_round() {
	lab_kill "$p1" TERM
	lab_kill "$p2" TERM
	lab_wait_for 3000 lab_pid_gone "$p1" >/dev/null
	lab_wait_for 3000 lab_pid_gone "$p2" >/dev/null
}

# VIP on exactly HOSTS for every one of 10 samples over 2 s.
stable_on() {
	local i
	for i in $(seq 1 10); do
		lab_vip_held_by $VIP "$1" || return 1
		sleep 0.2
	done
}

echo "== rfc9568 on both"
round r9 rfc9568 rfc9568
lab_wait_for 3000 lab_vip_held_by $VIP h1 >/dev/null
check "h1 alone holds the VIP, stable for 2 s" stable_on h1
check "h2 dropped nothing from h1" sh -c "! grep -q 'dropped packet from' '$LAB_DIR/r9-h2.log'"
check "h1 dropped nothing from h2" sh -c "! grep -q 'dropped packet from' '$LAB_DIR/r9-h1.log'"
stop_round

echo "== auto (h2) against rfc9568 (h1)"
round au rfc9568 auto
lab_wait_for 3000 lab_vip_held_by $VIP h1 >/dev/null
check "h1 alone holds the VIP, stable for 2 s" stable_on h1
check "h2 logged that it switched to the peer's message-only form" \
	grep -q 'checksum convention: switched (peer 198.18.0.11 uses message-only; now sending message-only)' "$LAB_DIR/au-h2.log"
# Stop h1: h2 must take over and its adverts must verify at... nobody; then
# restart h1 as backup (priority 50) so it has to accept h2's adverts.
lab_kill "$p1" KILL
ms=$(lab_wait_for 3000 sh -c "ip -n $(lab_ns h2) -4 -o addr show dev eth0 | grep -q ' $VIP/'")
check_ms "h2 takes over from a dead rfc9568 master within Master_Down_Interval + 150 ms" "$ms" $((360 + 150))
vigil_conf "$LAB_DIR/au-h1b.ini" router_id=h1 priority=50 checksum=rfc9568
vigil_start h1 "$LAB_DIR/au-h1b.ini" || exit 1
p1=$LAB_PID
# h1 (50) starts as BACKUP; had it dropped h2's adverts, it would become
# MASTER one Master_Down_Interval later: 3 x 100 + (256 - 50) x 100 / 256
# = 380 ms. Nothing is logged while it accepts them: wait until twice that
# after its logged start as BACKUP.
lab_wait_for 3000 vigil_log_has h1.vigild.log 'INIT -> BACKUP' >/dev/null
wait_past h1.vigild.log 'INIT -> BACKUP' 760
check "the rfc9568 node (priority 50) accepts the switched node's adverts: stays BACKUP" \
	vigil_in_state h1.vigild.log BACKUP
check "VIP on h2 alone" lab_vip_held_by $VIP h2
check "the rfc9568 node dropped nothing (h2 sends message-only now)" \
	sh -c "! grep -q 'dropped packet from' '$LAB_DIR/h1.vigild.log'"
stop_round

echo "== pseudo-header (h2) against rfc9568 (h1): mismatch"
round mm rfc9568 pseudo-header
# Each becomes MASTER when its Master_Down_Timer runs out, hearing nothing it
# accepts, and logs the other's adverts as csum drops.
lab_wait_for 5000 lab_vip_held_by $VIP "h1 h2" >/dev/null
lab_wait_log 3000 "$LAB_DIR/mm-h2.log" 0 'dropped packet from 198\.18\.0\.11: csum' >/dev/null
lab_wait_log 3000 "$LAB_DIR/mm-h1.log" 0 'dropped packet from 198\.18\.0\.12: csum' >/dev/null
check "both hold the VIP (each drops the other's adverts)" lab_vip_held_by $VIP "h1 h2"
check "h2 logged csum drops from h1" grep -q 'dropped packet from 198.18.0.11: csum' "$LAB_DIR/mm-h2.log"
check "h1 logged csum drops from h2" grep -q 'dropped packet from 198.18.0.12: csum' "$LAB_DIR/mm-h1.log"
stop_round
finish
