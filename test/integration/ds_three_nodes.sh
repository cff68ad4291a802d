#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Data safety with two replicas: h1 primary (150), h3 (120) and h2 (100)
# semi-sync replicas of it; h3 lags: its SQL thread is stopped, so it has
# received every write (its IO thread runs) but applied none of the last
# ones. kill -9 of h1's mysqld: h2, caught up, takes the VIP and opens; h3
# never does, although its priority is higher (it is not eligible: it
# would never catch up). Only the ping check is tracked, so priorities
# alone would pick h3. DS_BASELINE=1: today's keys (h3 takes the VIP and
# the acknowledged writes it has not applied are missing there).
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds DB_NODES=3
h1='' h2='' h3=''

db_lab_up || exit 1
db_ds_conf h1 150 || exit 1
db_ds_conf h2 100 || exit 1
db_ds_conf h3 120 || exit 1
echo "== start: h1 primary (150), h3 (120) and h2 (100) replicas"
db_ds_start run1 h1 h3 h2 || exit 1
db_sql h3 "STOP SLAVE SQL_THREAD" || exit 1
db_writer_start 3000 60 || exit 1
db_writer_wait_acked 30 8000 1 >/dev/null || { echo "the writer gets no acknowledgment from h1" >&2; exit 1; }
lab_wait_for 5000 eval '[ "$(db_writer_missing h2)" = 0 ]' >/dev/null
behind=$(db_writer_missing h3)
echo "   h3 has not applied $behind acknowledged writes; h2 misses $(db_writer_missing h2) (IO threads: h2 $(db_slave h2 Slave_IO_Running), h3 $(db_slave h3 Slave_IO_Running))"
check "h3 lags behind ($behind acknowledged writes not applied) while receiving (IO Yes)" \
	eval '[ "$behind" -gt 0 ] && [ "$(db_slave h3 Slave_IO_Running)" = Yes ]'
t3=$(vigil_transitions h3.vigild.log)

echo "== kill -9 of h1's mysqld"
T0=$(_lab_now_us)
db_mysqld_signal h1 KILL
# Sample until h2 holds the VIP with its server writable, then 3 s more:
# h3 must never hold the VIP nor be writable.
h3_vip=0 h3_w=0 got=
end=$(($(now_ms) + 10000))
for ((i = 0; i < 2000; i++)); do
	[ "$(now_ms)" -lt "$end" ] || break
	holder=$(lab_vip_holder $VIP) w=$(db_writable_hosts)
	[[ " $holder " != *" h3 "* ]] || h3_vip=$((h3_vip + 1))
	[[ " $w " != *" h3 "* ]] || h3_w=$((h3_w + 1))
	if [ -z "$got" ] && [ "$holder" = h2 ] && [ "$w" = h2 ]; then
		got=$((($(_lab_now_us) - T0) / 1000))
		end=$(($(now_ms) + 3000))
	fi
	sleep 0.05
done
check "h2 holds the VIP with the only writable server (${got:-not within 10000} ms after the kill)" test -n "$got"
check "h3 never held the VIP ($h3_vip samples) nor was writable ($h3_w samples)" test "$h3_vip/$h3_w" = 0/0
check "h3 never became MASTER" \
	eval "! since h3.vigild.log 1 | grep -q -- '-> MASTER'"
[ "${DS_BASELINE:-0}" = 1 ] ||
	check "h3 logged that it is not eligible" vigil_log_has h3.vigild.log 'role: NOT eligible'
echo "   h3: $(grep -E 'role: NOT eligible' "$LAB_DIR/h3.vigild.log" | tail -n1 | sed 's/.*role: //')"
ms=$(db_writer_wait_acked 5 5000 2)
check "h2 acknowledges writes" test "$(db_writer_acked 2)" -ge 5
db_writer_stop
holder=$(lab_vip_holder $VIP)
[[ $holder == h[123] ]] || holder=h2
lost=$(db_writer_missing "$holder")
db_writer_report "$holder"
check "0 acknowledged writes lost on the VIP's server $holder ($lost missing)" test "$lost" = 0
finish
