#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Quorum on etcd: network partitions (lease_ttl 6s, the default).
# (a) The master's host h1 cut off from every other host (h2, w, c: every
#     frame dropped at the switch, links up). h1's renewals fail and it
#     demotes itself (read_only=ON, VIP dropped) within the lease TTL; h2
#     takes the key once the lease is gone and becomes the writable master
#     only after that. At no sample (every 100 ms) are two servers writable
#     or two hosts holding the VIP. After the heal nothing flaps and no
#     acknowledged write is lost (writers on c and in h1's own namespace,
#     both through the VIP, so a write an isolated master acknowledged would
#     be counted).
# (b) From fresh servers: the backup's host h2 cut off instead. h1 keeps
#     the key and keeps writing; h2 never takes the VIP (its takeovers are
#     vetoed); after the heal nothing flaps and nothing is lost.
# Usage: bash quorum_partition.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=quorum_lab.sh
. "$here/quorum_lab.sh"
quorum_require

TTL_MS=6000
HOLD_S=${QUORUM_PARTITION_HOLD_S:-15}   # how long each cut lasts
CALM_S=8                                # observed after each heal


# ============================================================== (a)
echo "== (a) start"
quorum_pair_up 10
ms=$(lab_wait_for 10000 quorum_holder_is h1)
check "(a) h1 holds the key before the cut ($ms ms)" quorum_holder_is h1
quorum_sampler_start part-a 180
sleep 1
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log)
echo "== (a) h1 cut off from h2, w and c"
t_cut=$(_lab_now_us); tod_cut=$(tod_ms)
quorum_isolate h1 || { echo "cannot isolate h1" >&2; exit 1; }
ms=$(lab_wait_for $((TTL_MS + 4000)) eval 'log_has_after h1.vigild.log $((m1 - 1)) "instance vi: quorum: DEMOTE" &&
	db_is_read_only h1 && ! vip_on h1')
check "(a) h1 logged DEMOTE, is read-only and dropped the VIP ($ms ms after the cut)" \
	eval 'log_has_after h1.vigild.log $((m1 - 1)) "instance vi: quorum: DEMOTE" && db_is_read_only h1 && ! vip_on h1'
line=$(since h1.vigild.log "$m1" | grep -m1 'quorum: DEMOTE') && echo "   h1: ${line#*vigild }"
line=$(since h1.vigild.log "$m1" | grep -m1 -E 'quorum: (lease )?renewal failed') && echo "   h1: ${line#*vigild }"
t_dem=$(quorum_log_ms h1.vigild.log 'instance vi: quorum: DEMOTE' "$m1") && t_dem=$(dt "$tod_cut" "$t_dem") || t_dem=
check_ms "(a) h1 demoted itself within the lease TTL (log: DEMOTE after the cut)" "${t_dem:-999999}" "$TTL_MS"
ms=$(lab_wait_for $((TTL_MS + 15000)) eval 'lab_vip_held_by $VIP h2 && db_is_writable h2')
check "(a) h2 holds the VIP with its server writable ($ms ms after h1's demotion was seen)" \
	eval 'lab_vip_held_by $VIP h2 && db_is_writable h2'
t_key=$(quorum_log_ms h2.vigild.log 'instance vi: quorum: key held' "$m2") && t_key=$(dt "$tod_cut" "$t_key") || t_key=
echo "   after the cut: h1 DEMOTE at ${t_dem:-?} ms, h2 key held at ${t_key:-?} ms (logs)"
check "(a) h2 took the key after h1's demotion (${t_key:-?} >= ${t_dem:-?} ms)" \
	eval '[ -n "$t_key" ] && [ -n "$t_dem" ] && [ "$t_key" -ge "$t_dem" ]'
check "(a) etcd (from w) says h2 holds the key" quorum_holder_is h2 w
lab_wait_for 10000 qw_acked_ge c 2 5 "$t_cut" >/dev/null
check "(a) the writer on c is acknowledged by h2 during the cut ($(qw_acked c 2 "$t_cut"))" qw_acked_ge c 2 5 "$t_cut"
# The cut lasts HOLD_S in all (the majority side keeps working meanwhile).
quorum_pause_until "$t_cut" "$HOLD_S"
check "(a) h1 still read-only without the VIP at the end of the cut" eval 'db_is_read_only h1 && ! vip_on h1'
echo "== (a) heal"
t_heal=$(_lab_now_us); mh1=$(mark h1.vigild.log) mh2=$(mark h2.vigild.log)
quorum_heal h1
sleep "$CALM_S"
quorum_sampler_stop
read -r n tw tv tw_ms tv_ms none step < <(quorum_sample_stats "$QUORUM_SAMPLES")
echo "   samples: $n (longest step $step ms); two writable: $tw; VIP on two hosts: $tv; VIP nowhere: $none"
check "(a) no sample with two writable servers ($tw of $n)" test "$tw" = 0
check "(a) no sample with the VIP on two hosts ($tv of $n)" test "$tv" = 0
last_h1=$(quorum_sample_last "$QUORUM_SAMPLES" "$t_cut" writable 'h1')
first_h2=$(quorum_sample_first "$QUORUM_SAMPLES" "$t_cut" writable 'h2')
echo "   samples after the cut: h1 last writable at ${last_h1:+$(( (last_h1 - t_cut) / 1000 )) ms}, h2 first writable at ${first_h2:+$(( (first_h2 - t_cut) / 1000 )) ms}"
check "(a) h2 was writable only after h1's last writable sample" \
	eval '[ -n "$first_h2" ] && { [ -z "$last_h1" ] || [ "$first_h2" -gt "$last_h1" ]; }'
check "(a) after the heal: VIP on h2 alone, h2 the only writable server" \
	eval 'lab_vip_held_by $VIP h2 && [ "$(db_writable_hosts)" = h2 ]'
flaps=$(( $(quorum_sample_changes "$QUORUM_SAMPLES" "$t_heal" vip) + $(quorum_sample_changes "$QUORUM_SAMPLES" "$t_heal" writable) ))
check "(a) nothing flapped after the heal (sampled changes: $flaps; h1: '$(quorum_transitions_after h1.vigild.log "$mh1")', h2: '$(quorum_transitions_after h2.vigild.log "$mh2")')" \
	eval '[ "$flaps" = 0 ] && [ -z "$(quorum_transitions_after h2.vigild.log $mh2)" ] && ! quorum_transitions_after h1.vigild.log $mh1 | grep -q MASTER'
qw_stop_all
qw_report h2
lost=$(qw_missing h2)
check "(a) no acknowledged write lost ($lost missing on h2)" test "$lost" = 0
A_FIG="demote ${t_dem:-?} ms, h2 key ${t_key:-?} ms, two writable $tw, two VIP $tv, lost $lost"

# ============================================================== (b)
echo "== (b) fresh servers; start"
quorum_reset || exit 1
quorum_pair_up 10
ms=$(lab_wait_for 10000 quorum_holder_is h1)
check "(b) h1 holds the key before the cut ($ms ms)" quorum_holder_is h1
quorum_sampler_start part-b 180
sleep 1
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log)
echo "== (b) h2 cut off from h1, w and c"
t_cut=$(_lab_now_us)
quorum_isolate h2 || { echo "cannot isolate h2" >&2; exit 1; }
ms=$(lab_wait_for $((TTL_MS + 10000)) log_has_after h2.vigild.log "$((m2 - 1))" 'instance vi: quorum: takeover vetoed')
check "(b) h2's takeover was vetoed ($ms ms after the cut)" \
	log_has_after h2.vigild.log "$((m2 - 1))" 'instance vi: quorum: takeover vetoed'
line=$(since h2.vigild.log "$m2" | grep -m1 'quorum: takeover vetoed') && echo "   h2: ${line#*vigild }"
quorum_pause_until "$t_cut" "$HOLD_S"
t_end=$(_lab_now_us)
# The first writes after the cut wait out the semi-sync timeout (8 s in
# this lab: the replica is on the other side), then h1 commits alone.
acked_late=$(qw_acked c 1 $((t_cut + 10000000)))
check "(b) h1 kept writing: the writer on c acknowledged by h1 after the semi-sync timeout ($acked_late)" \
	test "$acked_late" -ge 5
check "(b) h1 still holds the key, the VIP and the only writable server" \
	eval 'quorum_holder_is h1 w && lab_vip_held_by $VIP h1 && [ "$(db_writable_hosts)" = h1 ]'
check "(b) h1 did not change state during the cut ('$(quorum_transitions_after h1.vigild.log "$m1")')" \
	test -z "$(quorum_transitions_after h1.vigild.log "$m1")"
check "(b) h1 logged no DEMOTE" eval '! log_has_after h1.vigild.log $((m1 - 1)) "quorum: DEMOTE"'
echo "== (b) heal"
t_heal=$(_lab_now_us); mh1=$(mark h1.vigild.log) mh2=$(mark h2.vigild.log)
quorum_heal h2
sleep "$CALM_S"
quorum_sampler_stop
read -r n tw tv tw_ms tv_ms none step < <(quorum_sample_stats "$QUORUM_SAMPLES")
on_h2=$(quorum_sample_first "$QUORUM_SAMPLES" 0 vip 'h2')
echo "   samples: $n (longest step $step ms); two writable: $tw; VIP on two hosts: $tv; VIP nowhere: $none"
check "(b) h2 never held the VIP (no sample)" test -z "$on_h2"
check "(b) no sample with two writable servers or the VIP on two hosts ($tw, $tv of $n)" test "$tw/$tv" = 0/0
flaps=$(( $(quorum_sample_changes "$QUORUM_SAMPLES" "$t_heal" vip) + $(quorum_sample_changes "$QUORUM_SAMPLES" "$t_heal" writable) ))
check "(b) nothing flapped after the heal (sampled changes: $flaps; h1: '$(quorum_transitions_after h1.vigild.log "$mh1")', h2: '$(quorum_transitions_after h2.vigild.log "$mh2")')" \
	eval '[ "$flaps" = 0 ] && [ -z "$(quorum_transitions_after h1.vigild.log $mh1)" ] && ! quorum_transitions_after h2.vigild.log $mh2 | grep -q MASTER'
qw_stop_all
ms=$(lab_wait_for 15000 db_caught_up h2 h1)
check "(b) h2 caught up with h1 after the heal ($ms ms)" db_caught_up h2 h1
qw_report h1
lost=$(qw_missing h1)
check "(b) no acknowledged write lost ($lost missing on h1)" test "$lost" = 0
echo "== figures: (a) $A_FIG; (b) h2 vetoed, two writable $tw, two VIP $tv, lost $lost"
finish
