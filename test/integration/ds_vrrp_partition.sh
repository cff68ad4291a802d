#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Data safety: a VRRP-only partition (IP protocol 112 dropped between h1
# and h2 for 10 s; TCP, so MySQL and the VIP, still work) moves nothing.
# h2 hears no advert, its Master_Down_Timer expires again and again, and
# each time its witness finds the VIP served by h1's writable server: it
# stays BACKUP. The VIP stays on h1 alone, one writable server at every
# sample, writes keep working, 0 acknowledged writes lost; after healing
# nothing moves. DS_BASELINE=1: today's keys (h2 takes the VIP too).
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds
PART_S=10
h1='' h2=''

db_ds_pair_up 10
t1=$(vigil_transitions h1.vigild.log) t2=$(vigil_transitions h2.vigild.log)
m2=$(mark h2.vigild.log)

echo "== VRRP (protocol 112) dropped between h1 and h2 for $PART_S s"
T0=$(_lab_now_us)
lab_drop_vrrp_between h1 h2 || exit 1
# The partition has bitten when h2 reacts to the silence: a witness verdict
# (or, without one, a takeover). Master_Down_Interval is 360 ms.
ms=$(lab_wait_for 3000 eval "since h2.vigild.log $m2 | grep -qE 'witness: VIP served|BACKUP -> MASTER'")
echo "   h2 reacted to the silence after $ms ms"
read -r miss multi _ < <(db_watch $((PART_S * 10)) 100 h1)
lab_allow_vrrp_between h1 h2
vetoes=$(since h2.vigild.log "$m2" | grep -c 'witness: VIP served by server_id 1')
echo "   h2's witness found the VIP served by server_id 1 $vetoes times"
check "the VIP on h1 alone at every one of $((PART_S * 10)) samples over $PART_S s ($miss misses)" test "$miss" = 0
check "one writable server at every sample ($multi samples with more)" test "$multi" = 0
check "h2's witness vetoed the takeover (logged $vetoes times)" test "$vetoes" -ge 1
acked=$(db_writer_acked 1 "$T0")
check "writes kept working through the partition ($acked acknowledged by h1)" test "$acked" -ge $((PART_S * 5))

echo "== healed: nothing moves"
read -r miss multi _ < <(db_watch 20 100 h1)
check "the VIP on h1 alone at every one of 20 samples over 2 s ($miss misses)" test "$miss" = 0
check "one writable server at every sample ($multi samples with more)" test "$multi" = 0
check "no state change on h1 or h2 since before the partition" \
	test "$(vigil_transitions h1.vigild.log)/$(vigil_transitions h2.vigild.log)" = "$t1/$t2"
db_writer_stop
lost=$(db_writer_missing h1)
db_writer_report h1
check "0 acknowledged writes lost ($lost missing on h1)" test "$lost" = 0
finish
