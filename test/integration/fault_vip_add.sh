#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault injection: the kernel refuses to add the VIP while the link stays
# up (README "A VIP that cannot be added").
#
# How the add is made to fail: the VIP is 198.18.0.100/25, and h1's eth0
# gets 198.18.0.101/25 with scope link. The kernel refuses an address whose
# subnet (same prefix) already has an address of another scope on the
# interface: RTM_NEWADDR fails with EINVAL ("ipv4: Invalid scope value").
# It is a real refusal of the request vigild sends, the link is never
# touched (no link event), and removing the link-scope address ends it.
# (What does not work on Linux: the same address on another interface of
# the namespace, or the same address with another prefix, are both
# accepted, as separate addresses; an ipvlan sibling holding it would be
# refused with EADDRINUSE, but this kernel has no ipvlan; a down or deleted
# interface is a link event, handled as FAULT.)
#
#   1. persistent: h2 holds the VIP, h1 (priority 150, preempt) takes over
#      and cannot add it: attempt 1 fails, the retry one advert interval
#      later fails, h1 hands over (priority 0, notify_alarm) and holds its
#      priority at 1; after the hold-down it takes over again; each
#      hand-over in a row doubles the hold-down. h1 is MASTER without its
#      VIP for one retry each time, never longer; the VIP is never on both.
#   2. the refusal ends: the next takeover adds the VIP at the first
#      attempt; the hold-down's doubling starts over.
#   3. transient: h1 becomes MASTER, the add fails once, the address is
#      removed before the retry: the retry adds it, h1 stays MASTER and
#      announces it (a client's ARP is answered by h1 alone).
#   4. alone (no peer): h1 hands over to nobody, becomes MASTER again on
#      silence one Master_Down_Interval later and tries again, until the
#      refusal ends.
# Counters in `vigilctl status --json` (vipAddFailures, vipAddedOnRetry,
# vipHandovers, vipHoldDownMs) are checked; figures printed at the end.
#
# Usage: bash fault_vip_add.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
. "$here/fault_lab.sh"
lab_require python3

VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
[ -x "$VIGILCTL" ] || { echo "vigilctl not found at $VIGILCTL" >&2; exit 2; }
VIP=198.18.0.100
BLOCK=198.18.0.101/25
lab_add_host h1 && lab_add_host h2 && lab_add_host c || exit 1
H1=$(lab_addr h1)

block() { lab_exec h1 ip addr add "$BLOCK" dev eth0 scope link; }
unblock() { lab_exec h1 ip addr del "$BLOCK" dev eth0; }

ALARM=$LAB_DIR/alarm.sh
cat >"$ALARM" <<EOF
#!/bin/sh
printf '%s | %s\n' "\$VIGIL_STATE" "\$VIGIL_ALARM" >>"$LAB_DIR/alarms"
EOF
chmod 0755 "$ALARM"
nalarms() { if [ -f "$LAB_DIR/alarms" ]; then wc -l <"$LAB_DIR/alarms"; else echo 0; fi; }

json() { python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
status() { "$VIGILCTL" -s "$LAB_DIR/$1.sock" status --json >"$LAB_DIR/$1.$2.json"; }
# log_count HOST REGEX: matching lines in HOST's current vigild log.
log_count() { grep -cE "$2" "$LAB_DIR/$1.vigild.log" || true; }
handovers() { log_count h1 'cannot add VIP .* attempts over [0-9]+ ms: handed over'; }
has_handovers() { [ "$(handovers)" -ge "$1" ]; }

FIG=()
# 100 ms adverts: h1 (150) Master_Down_Interval 341 ms, h2 (100) 360 ms.
MDI_H1=341
for h in h1 h2; do
	p=150; [ $h = h2 ] && p=100
	vigil_conf "$LAB_DIR/$h.ini" router_id=$h priority=$p vips=$VIP/25 \
		extra="notify_alarm = $ALARM"
done
check "vigild -t accepts the configuration" eval '"$VIGILD" -t -f "$LAB_DIR/h1.ini" >/dev/null'

echo "== 1. h2 holds the VIP; h1 cannot add it (a link-scope $BLOCK on its eth0)"
vigil_run h2 1
lab_wait_for 5000 lab_vip_held_by $VIP h2 >/dev/null
check "h2 alone holds the VIP" lab_vip_held_by $VIP h2
block
check "the kernel refuses the VIP on h1 (ip addr add: Invalid scope value)" \
	eval '! lab_exec h1 ip addr add $VIP/25 dev eth0 2>"$LAB_DIR/refused.txt" && grep -q "Invalid scope" "$LAB_DIR/refused.txt"'
fl_sample_start $VIP "$LAB_DIR/holders.1" 3000 40 h1 h2
t_start=$(_lab_now_us)
vigil_run h1 1
# Three hand-overs in a row: hold-downs of 341, 682 and 1364 ms.
ms=$(lab_wait_for 20000 has_handovers 3)
check "h1 handed over three times ($ms ms)" has_handovers 3
status h1 held
check "status: vipAddFailures 6, vipHandovers 3, vipAddedOnRetry 0" \
	test "$(json "$LAB_DIR/h1.held.json" '[j["instances"][0]["stats"][k] for k in ("vipAddFailures", "vipHandovers", "vipAddedOnRetry")]')" = "[6, 3, 0]"
check "status: priority held at 1 (effectivePriority 1, vipHoldDownMs > 0)" \
	test "$(json "$LAB_DIR/h1.held.json" '(j["instances"][0]["effectivePriority"], (j["instances"][0]["vipHoldDownMs"] or 0) > 0)')" = "(1, True)"
"$VIGILCTL" -s "$LAB_DIR/h1.sock" status >"$LAB_DIR/h1.held.txt"
check "status table: the VIP faults line" \
	grep -Eq 'VIP faults +add failures 6, added on retry 0, handed over 3; priority held at 1 for' "$LAB_DIR/h1.held.txt"
grep 'VIP faults' "$LAB_DIR/h1.held.txt" | sed 's/^/    /'

# Each MASTER period of h1: from BACKUP -> MASTER to MASTER -> BACKUP
# (resign), the attempts in it and its length (log times).
python3 - "$LAB_DIR/h1.vigild.log" >"$LAB_DIR/periods" <<'PY'
import re, sys
def ms(l):
    h, m, s = l[:12].split(":")
    return (int(h) * 60 + int(m)) * 60000 + int(float(s) * 1000)
# Becoming MASTER adds the VIPs before the change is logged: a period
# starts at its first failed attempt.
start = None
for l in open(sys.argv[1]):
    m = re.search(r"cannot add VIP .*\(attempt (\d+)\)", l)
    if m and m.group(1) == "1":
        start, attempts = ms(l), 1
    elif m and start is not None:
        attempts += 1
    elif start is not None and re.search(r"instance vi: MASTER -> BACKUP \(resign", l):
        print(ms(l) - start, attempts)
        start = None
PY
sed 's/^/    MASTER without the VIP (ms, failed attempts): /' "$LAB_DIR/periods"
check "every MASTER period of h1: exactly 2 failed attempts (the first and one retry)" \
	eval '[ "$(wc -l <"$LAB_DIR/periods")" -ge 3 ] && awk "\$2 != 2 { bad = 1 } END { exit bad }" "$LAB_DIR/periods"'
worst=$(sort -n "$LAB_DIR/periods" | tail -n1 | cut -d' ' -f1)
FIG+=("persistent refusal: h1 MASTER without the VIP for at most ${worst} ms per takeover (advert interval 100 ms, one retry)")
holds=$(sed -nE 's/.*priority 1 for ([0-9]+) ms \(hand-over ([0-9]+) in a row\).*/\2:\1/p' "$LAB_DIR/h1.vigild.log" | head -n3 | tr '\n' ' ')
check "hold-downs double: 1:$MDI_H1 2:$((2 * MDI_H1)) 3:$((4 * MDI_H1)) (got $holds)" \
	test "$holds" = "1:$MDI_H1 2:$((2 * MDI_H1)) 3:$((4 * MDI_H1)) "
FIG+=("hold-downs after hand-overs 1, 2, 3 in a row: $holds(ms)")
check "notify_alarm ran for each hand-over, in MASTER, naming the VIP and the error" \
	eval '[ "$(grep -c "^MASTER | cannot add VIP $VIP/25 on eth0: Invalid argument after 2 attempts" "$LAB_DIR/alarms")" -ge 3 ]'
check "h1 sent no gratuitous ARP for the VIP it did not have (garpTx 0)" \
	test "$(json "$LAB_DIR/h1.held.json" 'j["instances"][0]["stats"]["garpTx"]')" = 0
check "h2 heard h1 from its own address $H1 throughout (the link-scope address is not VRRP's source)" \
	eval '! grep -E "master heard: [0-9.]+" "$LAB_DIR/h2.vigild.log" | grep -v "master heard: $H1 " | grep -q .'

echo "== 2. the refusal ends: the next takeover adds the VIP"
unblock
ms=$(lab_wait_for 10000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP alone after its hold-down ($ms ms)" lab_vip_held_by $VIP h1
lab_wait_for 3000 vigil_in_state h2.vigild.log BACKUP >/dev/null
fl_sample_stop
t_end=$(_lab_now_us)
runs=$(fl_holder_runs "$LAB_DIR/holders.1" "$t_start" "$t_end")
check "the VIP never on h1 and h2 at once (samples: $(fl_kv "$runs" samples), every $(fl_kv "$runs" period_ms) ms)" \
	test "$(fl_kv "$runs" two_runs)" -eq 0
# h2 leaves when h1 takes over and takes the VIP back after h1's priority
# 0: without a holder one retry plus h2's Skew_Time (60 ms); bounded here
# by one retry plus h2's Master_Down_Interval (360 ms).
check "without a holder for at most one retry + h2's Master_Down_Interval ($(fl_kv "$runs" none_lo_ms)..$(fl_kv "$runs" none_hi_ms) ms <= 460)" \
	test "$(fl_kv "$runs" none_lo_ms)" -le $((100 + 360))
FIG+=("persistent refusal: ${runs}")
status h1 ok
check "status: vipHoldDownMs null, vipMissing false once the VIP is on" \
	test "$(json "$LAB_DIR/h1.ok.json" '(j["instances"][0]["vipHoldDownMs"], j["instances"][0]["vipMissing"], j["instances"][0]["state"])')" = "(None, False, 'MASTER')"

echo "== 3. transient: the add fails once, the address goes before the retry"
# h1 with 1 s adverts, so that the test has a whole retry interval to
# remove the address after the first failure is logged.
vigil_term h1
lab_wait_for 5000 lab_vip_held_by $VIP h2 >/dev/null
check "h2 holds the VIP after h1's stop" lab_vip_held_by $VIP h2
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 vips=$VIP/25 advert_interval=1s \
	extra="notify_alarm = $ALARM"
block
a0=$(nalarms)
vigil_run h1 3
ms=$(lab_wait_for 10000 vigil_log_has h1.vigild.log 'cannot add VIP .*\(attempt 1\)')
check "h1 MASTER, attempt 1 failed ($ms ms)" vigil_log_has h1.vigild.log 'cannot add VIP .*\(attempt 1\)'
unblock
ms=$(lab_wait_for 3000 vigil_log_has h1.vigild.log 'VIPs added on attempt 2')
check "the retry added it ($ms ms after the address went)" vigil_log_has h1.vigild.log 'VIPs added on attempt 2'
lab_wait_for 3000 lab_vip_held_by $VIP h1 >/dev/null
check "h1 alone holds the VIP, still MASTER (no hand-over, no alarm)" \
	eval 'lab_vip_held_by $VIP h1 && vigil_in_state h1.vigild.log MASTER && [ "$(nalarms)" = "$a0" ] && ! vigil_log_has h1.vigild.log "handed over"'
took=$(sed -nE 's/.*VIPs added on attempt 2, ([0-9]+) ms after the first failure.*/\1/p' "$LAB_DIR/h1.vigild.log")
FIG+=("transient refusal: the VIP added on the retry ${took} ms after the first failure (advert interval 1000 ms)")
status h1 retry
check "status: vipAddFailures 1, vipAddedOnRetry 1, vipHandovers 0; gratuitous ARP sent" \
	test "$(json "$LAB_DIR/h1.retry.json" '([j["instances"][0]["stats"][k] for k in ("vipAddFailures", "vipAddedOnRetry", "vipHandovers")], j["instances"][0]["stats"]["garpTx"] > 0)')" = "([1, 1, 0], True)"
check "a client's ARP for the VIP is answered by h1 alone" test "$(lab_arp_owner c $VIP)" = h1

echo "== 4. alone: nobody else serves, so h1 keeps trying (MASTER on silence)"
vigil_term h1
vigil_term h2
nobody=$(lab_vip_holder $VIP)
check "nobody holds the VIP after both stopped" test -z "$nobody"
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 vips=$VIP/25 extra="notify_alarm = $ALARM"
block
vigil_run h1 4
ms=$(lab_wait_for 10000 has_handovers 3)
check "h1 alone: three MASTER periods without the VIP, each handed over ($ms ms)" has_handovers 3
n_md=$(log_count h1 'BACKUP -> MASTER \(master-down-timer')
check "each after a Master_Down_Interval of silence (master-down-timer: $n_md)" test "$n_md" -ge 3
unblock
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h1)
check "the VIP on h1 once the refusal ends ($ms ms)" lab_vip_held_by $VIP h1
FIG+=("alone: a takeover attempt every $(grep -E 'BACKUP -> MASTER' "$LAB_DIR/h1.vigild.log" | head -n3 | python3 -c '
import sys
t = [(int(l[0:2]) * 60 + int(l[3:5])) * 60000 + int(float(l[6:12]) * 1000) for l in sys.stdin]
print(" and ".join("%d ms" % (b - a) for a, b in zip(t, t[1:])))') (one retry of 100 ms + a Master_Down_Interval)")

echo "== figures"
printf '  %s\n' "${FIG[@]}"
finish
