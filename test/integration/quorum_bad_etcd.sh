#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Quorum on etcd: a bad member first in etcd_endpoints. w's real member is
# stopped (h1 and h2 keep quorum) and a fake member takes w's address
# (etcd_fake_member), first in both vigilds' endpoint lists. One round per
# mode, each from fresh servers and freshly started vigilds (so the fake is
# the first endpoint they meet, not one they have already left): it stalls
# (accepts, never answers), answers garbage, a gateway error, closes,
# resets. In every mode: the fake is tried (SYNs seen on w), vigild counts
# (vigil_quorum_etcd_errors_total) and logs the errors (naming the endpoint),
# its loop never blocks (vigilctl answers at once, h1's adverts stay on
# their 100 ms cadence: a capture on h2), the real members are used (h1
# keeps the key under the same lease, state held), nothing moves.
# Usage: bash quorum_bad_etcd.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=quorum_lab.sh
. "$here/quorum_lab.sh"
quorum_require
# w's address is the fake's: every etcd look-up of the test from h1.
QUORUM_FROM=h1

WINDOW_S=${QUORUM_BAD_WINDOW_S:-10}   # per mode; above lease_ttl (6 s)
ADVERT_MAX_MS=300                     # 3 advert intervals: a blocked loop shows
CTL_MAX_MS=1000
MODES=(stall garbage gwerror close reset)

# advert_gaps FROM_US TO_US: "COUNT MAX_MS OVER150" of h1's adverts seen on
# h2 in that window (tcpdump -tt lines): how many, the largest gap between
# two, how many gaps above 150 ms.
advert_gaps() {
	awk -v from="$1" -v to="$2" '$1 ~ /^[0-9]+\.[0-9]+$/ { split($1, a, "."); t = a[1] * 1000000 + a[2]
		if (t < from || t > to) next
		if (n++ > 0) { g = (t - p) / 1000; if (g > m) m = g; if (g > 150) o++ }
		p = t }
	END { printf "%d %d %d\n", n, m, o }' "$LAB_DIR/adverts.txt"
}
# syns_from HOST FROM_US TO_US: TCP SYNs HOST sent to w:2379 (the fake).
syns_from() {
	awk -v src="$(lab_addr "$1")" -v from="$2" -v to="$3" '{ split($1, a, "."); t = a[1] * 1000000 + a[2] }
		t >= from && t <= to && index($3, src ".") == 1 { n++ } END { print n + 0 }' "$LAB_DIR/syns.txt"
}
# ctl_ms HOST: how long vigilctl status takes (ms); 99999 if it fails.
ctl_ms() {
	local t=$(_lab_now_us)
	"$VIGILCTL" -s "$LAB_DIR/$1.sock" -t 2 status --json >/dev/null 2>&1 || { echo 99999; return; }
	echo $(( ($(_lab_now_us) - t) / 1000 ))
}

echo "== lab; w's etcd member stopped, a fake (stall) on its address"
quorum_lab_up || exit 1
etcd_member_stop w
etcd_wait_healthy 2 10000 >/dev/null || { echo "h1, h2 members not healthy: $(etcd_health h1)" >&2; exit 1; }
etcd_fake_member w stall 600 || exit 1
FAKE=http://$(lab_addr w):2379
EPS="$FAKE, $(etcd_url h1), $(etcd_url h2)"
echo "   endpoints: $EPS"
# Captures: h1's adverts as h2 receives them; SYNs to the fake, on w.
lab_spawn h2 adverts.txt tcpdump -i eth0 -n -tt -l -U "ip proto 112 and src $(lab_addr h1)" >/dev/null
CAP1=$LAB_PID
lab_spawn w syns.txt tcpdump -i eth0 -n -tt -l -U "tcp dst port 2379 and tcp[tcpflags] & tcp-syn != 0" >/dev/null
CAP2=$LAB_PID
lab_wait_for 3000 eval 'grep -q "listening on" "$LAB_DIR/adverts.txt" && grep -q "listening on" "$LAB_DIR/syns.txt"' >/dev/null
t_start=$(_lab_now_us)
declare -A FIG=()
first=1
for mode in "${MODES[@]}"; do
	echo "== fake member: $mode; both vigilds started afresh, so it is the first endpoint they meet"
	t_mode=$(_lab_now_us)
	if [ "$first" = 0 ]; then
		quorum_reset || exit 1
		etcd_fake_stop w
		etcd_fake_member w "$mode" 600 || exit 1
	fi
	first=0
	quorum_pair_up 10 "q_etcd_endpoints=$EPS"
	ms=$(( ($(_lab_now_us) - t_mode) / 1000 ))
	echo "   h1 master with a writable server, h2 ready: $ms ms after the start"
	ms=$(lab_wait_for 10000 quorum_holder_is h1)
	check "$mode: start with the fake first: h1 holds the key ($ms ms more)" quorum_holder_is h1
	quorum_sampler_start "bad-$mode" 120
	m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log) t0=$(_lab_now_us)
	lease0=$(etcd_key_lease "$(quorum_key)" h1)
	worst=0
	while [ $(( ($(_lab_now_us) - t0) / 1000000 )) -lt "$WINDOW_S" ]; do
		c=$(ctl_ms h1); [ "$c" -le "$worst" ] || worst=$c
		c=$(ctl_ms h2); [ "$c" -le "$worst" ] || worst=$c
		sleep 0.3
	done
	t1=$(_lab_now_us)
	read -r na amax aover < <(advert_gaps "$t0" "$t1")
	s1=$(syns_from h1 "$t_mode" "$t1") s2=$(syns_from h2 "$t_mode" "$t1")
	err1=$("$VIGILCTL" -s "$LAB_DIR/h1.sock" -t 2 metrics 2>/dev/null | awk '$1 ~ /^vigil_quorum_etcd_errors_total/ { print $2 }')
	lease1=$(etcd_key_lease "$(quorum_key)" h1)
	e1=$(grep -c "$(lab_addr w)" "$LAB_DIR/h1.vigild.log") || true
	e2=$(grep -c "$(lab_addr w)" "$LAB_DIR/h2.vigild.log") || true
	FIG[$mode]="adverts $na, largest gap $amax ms, $aover gaps over 150 ms; vigilctl worst $worst ms; SYNs to the fake since the start h1 $s1, h2 $s2; log lines naming it h1 $e1, h2 $e2; h1 vigil_quorum_etcd_errors_total ${err1:-?}"
	echo "   ${FIG[$mode]}"
	check_ms "$mode: h1's adverts on time (largest gap seen on h2)" "$amax" "$ADVERT_MAX_MS"
	check "$mode: adverts kept flowing ($na in ${WINDOW_S} s)" test "$na" -ge $((WINDOW_S * 10 * 8 / 10))
	check_ms "$mode: vigilctl status answered at once on h1 and h2 (worst)" "$worst" "$CTL_MAX_MS"
	other=$(awk -v from="$t0" '$1 >= from && ($2 != "vip=h1" || $3 != "writable=h1")' "$QUORUM_SAMPLES" | wc -l)
	check "$mode: every sample VIP on h1 alone, h1 the only writable server ($other differ)" test "$other" = 0
	check "$mode: no state change (h1: '$(quorum_transitions_after h1.vigild.log "$m1")', h2: '$(quorum_transitions_after h2.vigild.log "$m2")')" \
		eval '[ -z "$(quorum_transitions_after h1.vigild.log $m1)$(quorum_transitions_after h2.vigild.log $m2)" ]'
	check "$mode: no DEMOTE on h1" eval '! log_has_after h1.vigild.log $((m1 - 1)) "quorum: DEMOTE"'
	check "$mode: the real members used: h1 keeps the key under the same lease ($lease0 -> $lease1), state held" \
		eval '[ -n "$lease0" ] && [ "$lease0" != 0 ] && [ "$lease0" = "$lease1" ] && quorum_holder_is h1 && quorum_state_is h1 held'
	check "$mode: the fake was tried (SYNs from h1 $s1, h2 $s2)" eval '[ "$s1" -ge 1 ] && [ "$s2" -ge 1 ]'
	check "$mode: the errors are logged, naming the bad endpoint (lines: h1 $e1, h2 $e2)" eval '[ "$e1" -ge 1 ] && [ "$e2" -ge 1 ]'
	check "$mode: the errors are counted (h1 vigil_quorum_etcd_errors_total ${err1:-?})" eval '[ "${err1:-0}" -ge 1 ]'
	check "$mode: h1 renewed lately (lastRenewalAgoMs $(quorum_status h1 'q.get("lastRenewalAgoMs")') < 3000)" \
		eval '[ "$(quorum_status h1 "int(q.get(\"lastRenewalAgoMs\", 99999) < 3000)")" = 1 ]'
	quorum_sampler_stop
	qw_stop_all
	lost=$(qw_missing h1)
	check "$mode: no acknowledged write lost ($lost missing on h1)" test "$lost" = 0
done
lab_kill "$CAP1" INT; lab_kill "$CAP2" INT
lab_wait_for 3000 eval 'lab_pid_gone $CAP1 && lab_pid_gone $CAP2' >/dev/null

echo "== over the whole run"
grep -m3 "$(lab_addr w)" "$LAB_DIR/h1.vigild.log" | sed 's/^/   h1: /'
"$VIGILCTL" -s "$LAB_DIR/h1.sock" -t 2 metrics 2>/dev/null | grep -iE '^vigil_quorum' | sed 's/^/   metrics h1: /'
check "h2 published its candidate through the real members" quorum_candidate_published h2
echo "== figures"
for mode in "${MODES[@]}"; do echo "   $mode: ${FIG[$mode]:-?}"; done
finish
