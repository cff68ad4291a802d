#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two vigild (h1 priority 150, h2 100; VRRPv3, 100 ms adverts) while h1's
# adverts are lost at random (nftables numgen in h1's output hook: 20% for
# 10 s, then 50% for 10 s). h2 takes over whenever three in a row are lost
# (that is VRRP: the figures are printed, not asserted); what is asserted
# does not depend on the machine's speed:
#   - h1 answers every takeover with its answer burst (docs/design.md "The
#     answer burst"): its answerBursts counter covers h2's takeovers, and
#     h1 never leaves MASTER;
#   - the VIP is on two hosts in well under a generous share of the
#     samples (every 100 ms);
#   - once the loss ends, h1 alone holds the VIP within one advert
#     interval plus h2's Skew_Time (160 ms; the lab's polling adds a
#     tolerance), and keeps it.
. "$(dirname "$0")/vigil_lab.sh"
lab_require python3

VIP=198.18.0.100
ADV_MS=100
SKEW_MS=60      # h2 at priority 100: (256 - 100) * 100 / 256
POLL_TOL_MS=150 # lab_wait_for polls every ~15 ms with two `ip` forks per poll
VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
[ -x "$VIGILCTL" ] || lab_skip_or_fail "no vigilctl beside $VIGILD"

lab_add_host h1 && lab_add_host h2 || exit 1
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 advert_interval=${ADV_MS}ms
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 advert_interval=${ADV_MS}ms
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP alone after start ($ms ms)" lab_vip_held_by $VIP h1

# stat HOST KEY: a counter of HOST's instance (vigilctl status --json).
stat() {
	local v
	v=$("$VIGILCTL" -s "$LAB_DIR/$1.sock" status --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][0]["stats"].get(sys.argv[1], -1))' "$2" 2>/dev/null)
	echo "${v:--1}"
}
# h2_follows_h1: h2 is BACKUP and its status names h1 as the master it hears.
h2_follows_h1() {
	vigil_in_state h2.vigild.log BACKUP &&
	"$VIGILCTL" -s "$LAB_DIR/h2.sock" status --json 2>/dev/null | python3 -c '
import json, sys
m = json.load(sys.stdin)["instances"][0]["master"]
sys.exit(0 if m and not m["self"] and m["address"] == sys.argv[1] else 1)' "$(lab_addr h1)"
}
# The pair settled before the loss starts: h2 a backup that hears h1.
lab_wait_for 3000 h2_follows_h1 >/dev/null || echo "  (h2 does not follow h1 after 3 s)"

total_tk=0
for pct in 20 50; do
	echo "== ${pct}% of h1's adverts lost for 10 s"
	m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log)
	b0=$(stat h1 answerBursts) l0=$(stat h1 answersRateLimited)
	lab_drop_vrrp_percent h1 "$pct" out || exit 1
	both=0 none=0 t0=$(now_ms)
	# 100 samples on a fixed 100 ms schedule (bounded: 100 iterations).
	for ((i = 1; i <= 100; i++)); do
		case $(lab_vip_holder $VIP) in
		"h1 h2") both=$((both + 1)) ;;
		"") none=$((none + 1)) ;;
		esac
		left=$(( t0 + i * 100 - $(now_ms) ))
		[ "$left" -le 0 ] || sleep "$(printf '0.%03d' "$left")"
	done
	lab_drop_vrrp_percent h1 0
	ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h1)
	tk=$(since h2.vigild.log "$m2" | grep -c 'BACKUP -> MASTER' || true)
	down=$(since h1.vigild.log "$m1" | grep -c 'MASTER -> ' || true)
	bursts=$(( $(stat h1 answerBursts) - b0 )) limited=$(( $(stat h1 answersRateLimited) - l0 ))
	expected=$(awk -v p="$pct" 'BEGIN{q=p/100; printf "%.1f", 10*(1-q)*q*q*q*10}')
	echo "   h2 took over $tk times (random loss predicts $expected for three lost in a row);"
	echo "   VIP on two hosts in $both of 100 samples, on none in $none;"
	echo "   h1 sent $bursts answer bursts ($limited lower adverts within the rate limit);"
	echo "   after the loss: h1 alone after $ms ms"
	total_tk=$((total_tk + tk))
	check "h1 stayed MASTER throughout" test "$down" -eq 0
	check "every takeover by h2 was answered with a burst ($bursts >= $tk)" test "$bursts" -ge "$tk"
	# Generous: with the answer burst, a spurious master is put back
	# within a few ms in 7 of 8 cases at 50% (the bench measures it).
	check "VIP on two hosts in at most 25 of 100 samples ($both)" test "$both" -le 25
	check "VIP never on neither host ($none samples)" test "$none" -eq 0
	check_ms "h1 alone holds the VIP after the loss ends, within interval + skew" \
		"$ms" $((ADV_MS + SKEW_MS + POLL_TOL_MS))
	stable=0
	for ((i = 0; i < 10; i++)); do
		lab_vip_held_by $VIP h1 && stable=$((stable + 1))
		sleep 0.1
	done
	check "and keeps it for 1 s ($stable of 10 samples)" test "$stable" -eq 10
done
# 20 s of loss: at 50% random loss three in a row are lost about 6 times
# in 10 s; none at all would mean the loss was not applied.
check "the loss was applied: h2 took over at least once in 20 s ($total_tk)" test "$total_tk" -ge 1
finish
