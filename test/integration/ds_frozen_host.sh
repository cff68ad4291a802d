#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Data safety: a frozen host (SIGSTOP of h1's vigild and mysqld: the kernel
# still completes TCP handshakes, nothing answers) loses the VIP to h2
# within about one Master_Down_Interval (h2's witness gets no MySQL greeting
# through the VIP: not served). Then SIGCONT, the agent first: h1's vigild
# finds it stalled and must not act as master; h1's mysqld second. The VIP
# stays on h2 (the higher epoch wins), h1's server is read-only promptly,
# 0 acknowledged writes lost: an INSERT h1's mysqld finishes after waking
# must not be acknowledged (the writer waits up to 10 s per attempt, and
# one slow write, sleeping 1 s in the server, is in flight at the freeze).
# DS_BASELINE=1: today's keys.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds
# 100 ms adverts; Master_Down_Interval at priority 100: 3 * 100 + (256 - 100)
# * 100 / 256 = 360 ms.
MDI=360
DB_WRITER_PAR=6
h1='' h2=''

db_ds_pair_up 10 ${DS_EXTRA:+ds="$DS_EXTRA"}
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log)

echo "== SIGSTOP of h1's vigild and mysqld, a slow write in flight on h1"
SLOW=999001
db_slow_write_start $SLOW 1 || exit 1
lab_wait_for 3000 db_slow_write_running h1 $SLOW >/dev/null ||
	echo "   (the slow write did not show in h1's process list)"
T0=$(_lab_now_us)
db_freeze h1 "$h1" || exit 1
ms=$(lab_wait_for 5000 vip_on h2)
check_ms "h2 carries the VIP within Master_Down_Interval + 400 ms" "$ms" $((MDI + 400))
[ "${DS_BASELINE:-0}" = 1 ] ||
	check "h2's witness found the VIP not served" \
		eval "since h2.vigild.log $m2 | grep -q 'witness: VIP not served'"
ms=$(lab_wait_for 15000 db_is_writable h2)
check "h2's server became writable ($ms ms after it took the VIP)" db_is_writable h2
ms=$(db_writer_wait_acked 5 10000 2)
check "h2 acknowledges writes ($(db_writer_acked 2) so far)" test "$(db_writer_acked 2)" -ge 5

echo "== SIGCONT: h1's vigild first, then its mysqld"
T1=$(_lab_now_us)
lab_kill "$h1" CONT
ms=$(lab_wait_for 2000 eval "since h1.vigild.log $m1 | grep -q 'stalled for'")
echo "   h1's vigild logged its stall after ${ms} ms ($(since h1.vigild.log "$m1" | grep -o 'stalled for [0-9]* ms' | head -n1))"
[ "${DS_BASELINE:-0}" = 1 ] ||
	check "h1's vigild noticed it was frozen (stalled for N ms)" \
		eval "since h1.vigild.log $m1 | grep -q 'stalled for'"
db_mysqld_signal h1 CONT
T2=$(_lab_now_us)
# Until h1 is read-only, sample: h2 must carry the VIP at every sample.
h2_miss=0 n=0 ro_ms=
end=$(($(now_ms) + 5000))
for ((i = 0; i < 2000; i++)); do
	[ "$(now_ms)" -lt "$end" ] || break
	n=$((n + 1))
	vip_on h2 || h2_miss=$((h2_miss + 1))
	if db_is_read_only h1; then ro_ms=$((($(_lab_now_us) - T2) / 1000)); break; fi
	sleep 0.02
done
# read_only = ON may block on the slow write's session (seen: blocked past
# role_timeout (2 s) twice, then the ordinary sessions killed: 4.0 s).
# Bound: two role_timeouts and 2 s.
check_ms "h1's server is read-only after its mysqld woke" "${ro_ms:-99999}" 6000
check "h2 carried the VIP at every one of $n samples until then ($h2_miss misses)" test "$h2_miss" = 0
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h2)
check "h1 released the VIP: h2 alone holds it ($ms ms after h1 was read-only)" lab_vip_held_by $VIP h2
read -r miss multi _ < <(db_watch 20 100 h2)
check "the VIP on h2 alone at every one of 20 samples over 2 s ($miss misses)" test "$miss" = 0
check "one writable server at every sample ($multi samples with more)" test "$multi" = 0
check "h2 is writable, h1 read-only" eval '[ "$(db_writable_hosts)" = h2 ]'
[ "${DS_BASELINE:-0}" = 1 ] ||
	check "h1 logged the meeting of two masters (contest: ...)" \
		eval "since h1.vigild.log $m1 | grep -q 'contest: '"
lab_wait_for 20000 lab_pid_gone "$DB_SLOW_PID" >/dev/null
slow=$(db_slow_write_result $SLOW)
on_h2=$(db_sql h2 "SELECT COUNT(*) FROM appdb.w WHERE v = $SLOW")
check "the write in flight at the freeze was not acknowledged, or is on h2 ($slow; on h2: $on_h2)" \
	eval '[[ $slow == err* ]] || [ "$on_h2" = 1 ]'
db_writer_stop
late=$(awk -v t="$T1" '$4 == "ok" && $5 == 1 && $3 >= t { n++ } END { print n + 0 }' "$DB_WRITER_LOG")
lost=$(db_writer_missing h2)
db_writer_report h2
check "no write acknowledged by h1 after it woke ($late)" test "$late" = 0
check "0 acknowledged writes lost ($lost missing on h2)" test "$lost" = 0
finish
