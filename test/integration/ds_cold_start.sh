#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Data safety at a cold start: after a failover to h2 (kill -9 of h1's
# mysqld; h2 wrote epoch 2 and took writes), everything is stopped: both
# vigild (SIGTERM), h2's mysqld. Then both servers start again (h1 with
# its old data; h2's replication threads start by themselves, as MariaDB
# does without skip_slave_start) and both vigild, h1 first. h2 (higher
# epoch) becomes master; h1 (higher priority, lower epoch) stays an
# ineligible BACKUP, read-only. Every write acknowledged before the stop is
# on the new master. DS_BASELINE=1: today's keys (h1 wins on priority and
# h2's writes are missing there).
# With semi-sync's wait_no_slave ON, a freshly started h2 with no replica
# waits out rpl_semi_sync_master_timeout (5 s) at its first commit (the
# epoch row): the bound on h2 opening allows for it.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds
h1='' h2=''

db_ds_pair_up 10

echo "== failover: kill -9 of h1's mysqld"
db_mysqld_signal h1 KILL
ms=$(lab_wait_for 10000 eval 'lab_vip_held_by $VIP h2 && db_is_writable h2')
check "h2 holds the VIP with its server writable ($ms ms)" eval 'lab_vip_held_by $VIP h2 && db_is_writable h2'
ms=$(db_writer_wait_acked 10 5000 2)
check "h2 acknowledges writes" test "$(db_writer_acked 2)" -ge 10
db_writer_stop
LOG1=$DB_WRITER_LOG
echo "   $(db_sql h2 "SELECT COUNT(*) FROM appdb.w") rows on h2; epochs on h2: $(db_sql h2 "SELECT GROUP_CONCAT(epoch ORDER BY epoch) FROM vigil.epoch" 2>/dev/null || echo '?')"

echo "== stop everything: both vigild, h2's mysqld"
vigil_term h2
vigil_term h1
check "nobody holds the VIP" lab_vip_held_by $VIP ""
check "h2's server was left read-only by its vigild" db_is_read_only h2
mdb_stop "$(db_dir h2)" TERM || { echo "cannot stop h2's mysqld" >&2; exit 1; }

echo "== cold start: both servers, then both vigild (h1 first)"
db_mysqld_restart h1 || exit 1
db_mysqld_restart h2 || exit 1
echo "   h2 replication after its restart: IO $(db_slave h2 Slave_IO_Running), SQL $(db_slave h2 Slave_SQL_Running)"
T0=$(_lab_now_us)
vigil_run h1 run2
vigil_run h2 run2
h1_vip=0 h1_w=0 got=
end=$(($(now_ms) + 20000))
for ((i = 0; i < 2000; i++)); do
	[ "$(now_ms)" -lt "$end" ] || break
	holder=$(lab_vip_holder $VIP) w=$(db_writable_hosts)
	[[ " $holder " != *" h1 "* ]] || h1_vip=$((h1_vip + 1))
	[[ " $w " != *" h1 "* ]] || h1_w=$((h1_w + 1))
	if [ -z "$got" ] && [ "$holder" = h2 ] && [ "$w" = h2 ]; then
		got=$((($(_lab_now_us) - T0) / 1000))
		end=$(($(now_ms) + 3000))
	fi
	sleep 0.05
done
check "h2 holds the VIP with the only writable server (${got:-not within 20000} ms after the vigild started)" \
	test -n "$got"
check "h1 never held the VIP ($h1_vip samples) nor was writable ($h1_w samples)" test "$h1_vip/$h1_w" = 0/0
check "h1 never became MASTER" eval "! vigil_log_has h1.vigild.log -- '-> MASTER'"
check "h1 is BACKUP" vigil_in_state h1.vigild.log BACKUP
[ "${DS_BASELINE:-0}" = 1 ] ||
	check "h1 logged that it is not eligible" vigil_log_has h1.vigild.log 'role: NOT eligible'
echo "   h1: $(grep -E 'role: NOT eligible' "$LAB_DIR/h1.vigild.log" | tail -n1 | sed 's/.*role: //')"
db_writer_start 200 20 || exit 1
ms=$(db_writer_wait_acked 5 10000)
holder=$(lab_vip_holder $VIP)
[[ $holder == h[12] ]] || holder=h2
check "writes through the VIP are acknowledged by h2 ($(db_writer_acked 2) of $(db_writer_acked))" \
	eval '[ "$(db_writer_acked 2)" -ge 5 ] && [ "$(db_writer_acked)" = "$(db_writer_acked 2)" ]'
db_writer_stop
db_writer_report "$holder"
lost=$(DB_WRITER_LOG=$LOG1 db_writer_missing "$holder")
check "0 of the writes acknowledged before the stop lost on $holder ($lost missing)" test "$lost" = 0
finish
