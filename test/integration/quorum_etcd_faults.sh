#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Quorum on etcd: faults of etcd itself, at the default lease_ttl (6s).
# 1. One etcd member down (SIGTERM of a follower, the first endpoint's if
#    it is one), then, with it back, the etcd leader killed (SIGKILL; a new
#    one is elected in 1-2 s): nothing moves. No state change on either
#    vigild, the VIP stays on h1 alone (every sample), h1 keeps the key and
#    no DEMOTE, the writer on c keeps going (no gap near the TTL).
# 2. Every etcd member killed, quorum_lost = demote: h1 demotes itself
#    (read-only, VIP gone) within the lease TTL, h2's takeovers are vetoed;
#    with etcd back, a master again.
# 3. From fresh servers, quorum_lost = hold: every member killed, h1 keeps
#    the VIP and keeps writing; with etcd back it holds the key again.
# Usage: bash quorum_etcd_faults.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=quorum_lab.sh
. "$here/quorum_lab.sh"
quorum_require

TTL_MS=6000
WINDOW_S=${QUORUM_FAULT_WINDOW_S:-12}   # 2 x TTL: a lease not renewed would show
GAP_MAX_MS=2000                         # the writer's longest pause, allowed

declare -A FIG=()

# still_window NAME T0_US M1 M2: the checks of a window where nothing may move.
still_window() {
	local name=$1 t0=$2 m1=$3 m2=$4 n tw tv tw_ms tv_ms none step other gap
	read -r n tw tv tw_ms tv_ms none step < <(quorum_sample_stats "$QUORUM_SAMPLES" "$t0")
	other=$(awk -v from="$t0" '$1 >= from && ($2 != "vip=h1" || $3 != "writable=h1")' "$QUORUM_SAMPLES" | wc -l)
	check "$name: every sample ($n) VIP on h1 alone, h1 the only writable server ($other differ)" test "$other" = 0
	check "$name: no state change (h1: '$(quorum_transitions_after h1.vigild.log "$m1")', h2: '$(quorum_transitions_after h2.vigild.log "$m2")')" \
		eval '[ -z "$(quorum_transitions_after h1.vigild.log $m1)$(quorum_transitions_after h2.vigild.log $m2)" ]'
	check "$name: no DEMOTE, no lease revoked on h1" \
		eval '! log_has_after h1.vigild.log $((m1 - 1)) "quorum: (DEMOTE|lease revoked)"'
	check "$name: h1 still holds the key (etcd), state held (status)" \
		eval 'quorum_holder_is h1 w && quorum_state_is h1 held'
	gap=$(qw_max_gap_ms c "$t0" "$(_lab_now_us)")
	FIG[$name]="writer gap $gap ms, renewal failures logged $(quorum_log_count h1.vigild.log 'quorum: (lease )?renewal failed' "$m1")"
	check_ms "$name: the writer on c kept going (longest time without an ack)" "$gap" "$GAP_MAX_MS"
	echo "   h1's quorum status: $(quorum_status h1 '{k: q.get(k) for k in ("state", "holder", "leaseRemainingMs", "lastRenewalAgoMs")}')"
}

# ============================================================== 1
echo "== start (quorum_lost = demote, lease_ttl default)"
quorum_pair_up 10
ms=$(lab_wait_for 10000 quorum_holder_is h1)
check "h1 holds the key ($ms ms)" quorum_holder_is h1
quorum_sampler_start faults-demote 240
sleep 1

leader=$(etcd_leader w) || leader=
victim=h1
[ "$leader" != h1 ] || victim=h2
echo "== 1a: etcd member on $victim down (SIGTERM; leader: ${leader:-?})"
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log) t0=$(_lab_now_us)
etcd_member_stop "$victim"
quorum_pause_until "$t0" "$WINDOW_S"
still_window "1a member down" "$t0" "$m1" "$m2"
etcd_member_start "$victim" && etcd_wait_healthy 3 15000 >/dev/null ||
	{ echo "etcd on $victim does not come back: $(etcd_health w)" >&2; exit 1; }

leader=$(etcd_leader w) || { echo "no etcd leader" >&2; exit 1; }
echo "== 1b: the etcd leader ($leader) killed (SIGKILL)"
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log) t0=$(_lab_now_us)
etcd_member_kill "$leader"
read -r el nl < <(etcd_wait_leader 10000 "$leader" w)
echo "   a new etcd leader: $nl after $el ms"
quorum_pause_until "$t0" "$WINDOW_S"
still_window "1b leader killed" "$t0" "$m1" "$m2"
etcd_member_start "$leader" && etcd_wait_healthy 3 15000 >/dev/null ||
	{ echo "etcd on $leader does not come back: $(etcd_health w)" >&2; exit 1; }

# ============================================================== 2
echo "== 2: every etcd member killed (quorum_lost = demote)"
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log) t0=$(_lab_now_us) tod0=$(tod_ms)
for h in $(etcd_hosts); do etcd_member_kill "$h"; done
ms=$(lab_wait_for $((TTL_MS + 4000)) eval 'log_has_after h1.vigild.log $((m1 - 1)) "instance vi: quorum: DEMOTE" &&
	db_is_read_only h1 && ! vip_on h1')
check "2: h1 logged DEMOTE, read-only, VIP gone ($ms ms after the kill)" \
	eval 'log_has_after h1.vigild.log $((m1 - 1)) "instance vi: quorum: DEMOTE" && db_is_read_only h1 && ! vip_on h1'
line=$(since h1.vigild.log "$m1" | grep -m1 'quorum: DEMOTE') && echo "   h1: ${line#*vigild }"
t_dem=$(quorum_log_ms h1.vigild.log 'instance vi: quorum: DEMOTE' "$m1") && t_dem=$(dt "$tod0" "$t_dem") || t_dem=
check_ms "2: h1 demoted within the lease TTL (log)" "${t_dem:-999999}" "$TTL_MS"
quorum_pause_until "$t0" "$WINDOW_S"
check "2: h2's takeovers vetoed (etcd unreachable or not answering)" \
	log_has_after h2.vigild.log "$((m2 - 1))" 'instance vi: quorum: takeover vetoed: etcd (unreachable|did not answer)'
read -r n tw tv tw_ms tv_ms none step < <(quorum_sample_stats "$QUORUM_SAMPLES" "$t0")
on_h2=$(quorum_sample_first "$QUORUM_SAMPLES" "$t0" vip 'h2')
check "2: h2 never held the VIP, no sample with two writable or two VIP holders" \
	eval '[ -z "$on_h2" ] && [ "$tw/$tv" = 0/0 ]'
check "2: no server writable, the VIP nowhere at the end" \
	eval '[ -z "$(db_writable_hosts)" ] && lab_vip_held_by $VIP ""'
FIG[2]="demote ${t_dem:-?} ms after all members were killed"
echo "== 2: etcd back"
t1=$(_lab_now_us)
for h in $(etcd_hosts); do etcd_member_start "$h" || exit 1; done
etcd_wait_healthy 3 20000 >/dev/null || { echo "etcd not healthy: $(etcd_health w)" >&2; exit 1; }
ms=$(lab_wait_for 30000 eval '[ "$(db_writable_hosts)" = "$(lab_vip_holder $VIP)" ] && [ -n "$(db_writable_hosts)" ] &&
	quorum_holder_is "$(lab_vip_holder $VIP)" w')
check "2: with etcd back, one master again (VIP on '$(lab_vip_holder $VIP)', writable '$(db_writable_hosts)', key '$(quorum_holder w)'; $((($(_lab_now_us) - t1) / 1000)) ms)" \
	eval '[ "$(db_writable_hosts)" = "$(lab_vip_holder $VIP)" ] && [ -n "$(db_writable_hosts)" ]'
quorum_sampler_stop
read -r n tw tv tw_ms tv_ms none step < <(quorum_sample_stats "$QUORUM_SAMPLES")
check "1-2: over the whole phase ($n samples) none with two writable servers or two VIP holders" test "$tw/$tv" = 0/0
[ "$tw/$tv" = 0/0 ] || grep -E 'vip=[^ ]*,|writable=[^ ]*,' "$QUORUM_SAMPLES" | head -20 | sed 's/^/   two: /'
qw_stop_all
final=$(lab_vip_holder "$VIP")
if [[ $final == h[12] ]]; then
	qw_report "$final"
	lost=$(qw_missing "$final")
	check "1-2: no acknowledged write lost ($lost missing on $final)" test "$lost" = 0
fi

# ============================================================== 3
echo "== 3: fresh servers, quorum_lost = hold"
quorum_reset || exit 1
for h in $(etcd_hosts); do etcd_member_alive "$h" || etcd_member_start "$h" || exit 1; done
etcd_wait_healthy 3 20000 >/dev/null || { echo "etcd not healthy: $(etcd_health w)" >&2; exit 1; }
quorum_pair_up 10 q_quorum_lost=hold
ms=$(lab_wait_for 15000 quorum_holder_is h1)
check "3: h1 holds the key ($ms ms)" quorum_holder_is h1
quorum_sampler_start faults-hold 120
sleep 1
echo "== 3: every etcd member killed (quorum_lost = hold)"
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log) t0=$(_lab_now_us)
for h in $(etcd_hosts); do etcd_member_kill "$h"; done
quorum_pause_until "$t0" "$WINDOW_S"
still=$(awk -v from="$t0" '$1 >= from && ($2 != "vip=h1" || $3 != "writable=h1")' "$QUORUM_SAMPLES" | wc -l)
check "3: every sample: VIP on h1 alone, h1 the only writable server ($still differ)" test "$still" = 0
check "3: h1 did not demote (no DEMOTE, no state change)" \
	eval '! log_has_after h1.vigild.log $((m1 - 1)) "quorum: DEMOTE" && [ -z "$(quorum_transitions_after h1.vigild.log $m1)" ]'
late=$(qw_acked c 1 $((t0 + (WINDOW_S - 4) * 1000000)))
check "3: h1 kept writing: acknowledged by h1 in the window's last 4 s ($late)" test "$late" -ge 5
gap=$(qw_max_gap_ms c "$t0" "$(_lab_now_us)")
check_ms "3: the writer on c kept going (longest time without an ack)" "$gap" "$GAP_MAX_MS"
check "3: h1 logged its renewals failing" log_has_after h1.vigild.log "$((m1 - 1))" 'instance vi: quorum: (lease )?renewal failed'
check "3: h2 never took the VIP" test -z "$(quorum_sample_first "$QUORUM_SAMPLES" "$t0" vip 'h2')"
echo "   h1's quorum status: $(quorum_status h1 '{k: q.get(k) for k in ("state", "holder", "leaseRemainingMs", "lastRenewalAgoMs")}')"
FIG[3]="writer gap $gap ms, acked by h1 in the last 4 s: $late"
echo "== 3: etcd back"
for h in $(etcd_hosts); do etcd_member_start "$h" || exit 1; done
etcd_wait_healthy 3 20000 >/dev/null || { echo "etcd not healthy: $(etcd_health w)" >&2; exit 1; }
ms=$(lab_wait_for 20000 eval 'quorum_holder_is h1 w && quorum_state_is h1 held')
check "3: with etcd back h1 holds the key again, state held ($ms ms)" eval 'quorum_holder_is h1 w && quorum_state_is h1 held'
check "3: still VIP on h1 alone, h1 the only writable server" \
	eval 'lab_vip_held_by $VIP h1 && [ "$(db_writable_hosts)" = h1 ]'
quorum_sampler_stop
qw_stop_all
qw_report h1
lost=$(qw_missing h1)
check "3: no acknowledged write lost ($lost missing on h1)" test "$lost" = 0
echo "== figures"
for k in "1a member down" "1b leader killed" 2 3; do echo "   $k: ${FIG[$k]:-?}"; done
finish
