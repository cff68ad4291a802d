#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Data safety: a returning old primary never takes the VIP back while it
# lacks the writes its peer took. preempt = yes, h1 150 (primary), h2 100
# (semi-sync replica), a writer through the VIP. read_only is NOT in my.cnf
# here, so every read_only = ON seen is vigil's own doing.
#  1. kill -9 of h1's mysqld: h2 takes the VIP and the writes.
#  2. h1's mysqld restarted standalone (it comes up writable): vigil makes it
#     read-only within about one check interval; the VIP stays on h2 (h1 is
#     not eligible: lower epoch, not a replica of the current master),
#     one writable server at every sample, 0 acknowledged writes lost.
#  3. A DBA makes h1 a GTID replica of h2; once it caught up, h1 (higher
#     priority, preempt = yes) takes the VIP back through its gate: h2
#     read-only first, h1 writable after, 0 lost.
# DS_BASELINE=1: today's keys only (h1 takes the VIP back at once: the
# writes h2 took are lost); the script ends after step 2.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds DB_READ_ONLY_CNF=0
h1='' h2=''

db_lab_up || exit 1
db_ds_conf h1 150 || exit 1
db_ds_conf h2 100 || exit 1
echo "== start: h1 primary (150), h2 replica (100), preempt = yes"
db_ds_start run1 h1 h2 || exit 1
[ "${DS_BASELINE:-0}" = 1 ] ||
	check "h2 was made read-only by vigil (my.cnf says nothing): read_only=$(db_read_only h2)" db_is_read_only h2
db_writer_start 3000 90 || exit 1
db_writer_wait_acked 20 5000 1 >/dev/null || { echo "the writer gets no acknowledgment from h1" >&2; exit 1; }

echo "== 1. kill -9 of h1's mysqld"
T0=$(_lab_now_us)
db_mysqld_signal h1 KILL
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h2)
check_ms "h2 holds the VIP alone" "$ms" 1000
ms=$(lab_wait_for 10000 db_is_writable h2)
check "h2 became writable ($ms ms after the VIP)" db_is_writable h2
ms=$(db_writer_wait_acked 10 5000 2)
check "h2 acknowledges writes ($(db_writer_acked 2) so far)" test "$(db_writer_acked 2)" -ge 10

echo "== 2. h1's mysqld restarted standalone (writable by my.cnf)"
t2=$(vigil_transitions h2.vigild.log) m1=$(mark h1.vigild.log)
db_mysqld_restart h1 || exit 1
ms=$(lab_wait_for 5000 db_is_read_only h1)
check_ms "h1's server is read-only after it answered" "$ms" 1000
[ "${DS_BASELINE:-0}" = 1 ] ||
	check "h1 logged setting it (role: read_only = ON)" \
		eval "since h1.vigild.log $m1 | grep -q 'role: read_only = ON'"
h1_back=$(db_sql h1 "SELECT COUNT(*) FROM appdb.w WHERE server_id = 2")
echo "   h1 holds $h1_back of h2's writes (a standalone old primary holds none)"
read -r miss multi _ < <(db_watch 30 100 h2)
check "the VIP on h2 alone at every one of 30 samples over 3 s ($miss misses)" test "$miss" = 0
check "one writable server at every sample ($multi samples with more)" test "$multi" = 0
check "h1's server stayed read-only" db_is_read_only h1
check "h2 did not change state meanwhile" test "$(vigil_transitions h2.vigild.log)" = "$t2"
[ "${DS_BASELINE:-0}" = 1 ] ||
	check "h1 logged why it is not eligible" vigil_log_has h1.vigild.log 'role: NOT eligible'
holder=$(lab_vip_holder $VIP)
[[ $holder == h[12] ]] || holder=h2
lost=$(db_writer_missing "$holder")
check "0 acknowledged writes lost on the VIP's server $holder ($lost missing)" test "$lost" = 0

if [ "${DS_BASELINE:-0}" = 1 ]; then
	db_writer_stop
	db_writer_report "$holder"
	finish
fi

echo "== 3. h1 made a replica of h2 (MASTER_USE_GTID=slave_pos): it may take the VIP back"
db_rejoin h1 h2 || { check "h1 replicates from h2" false; finish; }
ms=$(lab_wait_for 15000 db_caught_up h1 h2)
check "h1 caught up with h2 ($ms ms)" db_caught_up h1 h2
# Sample until the VIP is on h1 with h1 writable (preempt = yes, and h1 is
# now eligible), counting samples with two writable servers on the way.
multi=0 moved=
end=$(($(now_ms) + 15000))
for ((i = 0; i < 2000; i++)); do
	[ "$(now_ms)" -lt "$end" ] || break
	w=$(db_writable_hosts)
	[ "${w// /}" = "$w" ] || multi=$((multi + 1))
	if lab_vip_held_by $VIP h1 && [ "$w" = h1 ]; then moved=$(($(now_ms) - end + 15000)); break; fi
	sleep 0.05
done
check "h1 holds the VIP and is the only writable server (${moved:-not within 15000} ms after it caught up)" \
	test -n "$moved"
check "never two writable servers during the hand-back ($multi samples)" test "$multi" = 0
check "h2 is read-only" db_is_read_only h2
T3=$(_lab_now_us)
ms=$(db_writer_wait_acked $(($(db_writer_acked 1) + 5)) 5000 1)
check "h1 acknowledges writes again" test "$(db_writer_acked 1 "$T3")" -ge 1
db_writer_stop
lost=$(db_writer_missing h1)
db_writer_report h1
check "0 acknowledged writes lost over the whole run ($lost missing on h1)" test "$lost" = 0
finish
