#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Data safety: a replica with unapplied relay log is not opened to writes.
# Semi-synchronous replication (AFTER_SYNC: every acknowledged write is in
# the replica's relay log), the replica h2 applies events MASTER_DELAY = 3 s
# late, a writer through the VIP; kill -9 of the primary's mysqld.
#  baseline  today's keys (no manage_read_only), servers writable from my.cnf:
#            h2 takes the VIP and the writes at once, its own rows collide
#            with the events still in its relay log (1062, or gtid_strict_mode's
#            1950), replication stops and acknowledged writes are lost. The
#            phase asserts that the loss shows.
#  safe      manage_read_only = yes (read_only = ON in every my.cnf): h2 takes
#            the VIP quickly but stays read-only (writes fail with 1290) until
#            its relay log is applied, then opens with replication stopped and
#            every acknowledged write present.
# DS_PHASES="baseline safe" (default) selects the phases.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds
DELAY=3
h1='' h2=''

# prepare MODE: the lab (a fresh pair of servers), h2 delayed, both vigild
# up with the VIP on h1, the writer running and h2's backlog steady (the
# first acknowledged write has reached h2's tables: DELAY s of writes are
# now in its relay log only).
prepare() {
	local mode=$1 ms v1
	if [ "$mode" = baseline ]; then
		DS_BASELINE=1 DB_READ_ONLY_CNF=0
	else
		DS_BASELINE=0 DB_READ_ONLY_CNF=1
	fi
	db_lab_up || exit 1
	db_master_delay h2 $DELAY || { echo "cannot delay h2" >&2; exit 1; }
	db_ds_conf h1 150 || exit 1
	db_ds_conf h2 100 || exit 1
	db_ds_start "$mode" h1 h2 || exit 1
	[ "$mode" = baseline ] ||
		check "h2 is read-only before the failover (read_only=$(db_read_only h2))" db_is_read_only h2
	db_writer_start 3000 60 || exit 1
	ms=$(db_writer_wait_acked 1 5000 1) || { echo "no write acknowledged by h1 in $ms ms" >&2; exit 1; }
	v1=$(awk '$4 == "ok" { print $1; exit }' "$DB_WRITER_LOG")
	ms=$(lab_wait_for $(((DELAY + 5) * 1000)) eval \
		"[ \"\$(db_sql h2 'SELECT COUNT(*) FROM appdb.w WHERE v = $v1')\" = 1 ]") ||
		{ echo "the first acknowledged write never reached h2 ($ms ms)" >&2; exit 1; }
	check "the first acknowledged write reached h2's table $ms ms after it was acknowledged (MASTER_DELAY $DELAY s)" \
		test "$ms" -ge $(((DELAY - 1) * 1000))
}

# kill_primary: kill -9 h1's mysqld; sets T0 (epoch us) and BACKLOG (the
# acknowledged writes h2 had not applied just before).
kill_primary() {
	BACKLOG=$(db_writer_missing h2)
	echo "   h2 has $BACKLOG acknowledged writes in its relay log only; kill -9 of h1's mysqld"
	T0=$(_lab_now_us)
	db_mysqld_signal h1 KILL
	ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h2)
	check_ms "h2 holds the VIP alone" "$ms" 1000
}

if [[ " ${DS_PHASES:-baseline safe} " == *" baseline "* ]]; then
	echo "== baseline: no manage_read_only (today's keys), servers writable"
	prepare baseline
	kill_primary
	ms=$(db_writer_wait_acked 1 5000 2)
	check "h2 acknowledges writes at once ($ms ms after it took the VIP)" test "$(db_writer_acked 2)" -ge 1
	# The relay log reaches h2's SQL thread DELAY s after it was written:
	# it stops at the first event that collides with h2's own writes.
	ms=$(lab_wait_for $(((DELAY + 6) * 1000)) eval '[ "$(db_slave h2 Slave_SQL_Running)" = No ]')
	errno=$(db_slave h2 Last_SQL_Errno)
	echo "   h2's SQL thread: $(db_slave h2 Slave_SQL_Running) after $ms ms, Last_SQL_Errno $errno: $(db_slave h2 Last_SQL_Error | cut -c1-120)"
	db_writer_stop
	lost=$(db_writer_missing h2)
	db_writer_report h2
	check "the loss shows: $lost acknowledged writes missing on h2, replication error ${errno:-none} (1062 duplicate key or 1950 GTID order)" \
		eval '[ "$lost" -gt 0 ] || [ "$errno" = 1062 ] || [ "$errno" = 1950 ]'
	vigil_term h2
	vigil_term h1
	db_lab_reset
fi

if [[ " ${DS_PHASES:-baseline safe} " == *" safe "* ]]; then
	echo "== safe: manage_read_only = yes, read_only = ON in every my.cnf"
	prepare safe
	check "h1 logged opening its server (role: read_only = OFF)" \
		vigil_log_has h1.vigild.log 'role: read_only = OFF'
	kill_primary
	# At once: the VIP is on h2 but its server must stay read-only while
	# acknowledged writes are still in its relay log only.
	ro=$(db_read_only h2) miss=$(db_writer_missing h2)
	check "h2 is read-only right after the takeover (read_only=$ro) with $miss acknowledged writes unapplied" \
		eval '[ "$ro" = 1 ] && [ "$miss" -gt 0 ]'
	ms=$(lab_wait_for 3000 eval "[ \"\$(db_writer_errors 1290 $T0)\" -ge 1 ]")
	check "writes through the VIP fail with 1290 (read-only) meanwhile ($(db_writer_errors 1290 "$T0") so far)" \
		test "$(db_writer_errors 1290 "$T0")" -ge 1
	# Poll h2 until it opens: at no sample may it be writable while an
	# acknowledged write is missing (missing only shrinks, so a count taken
	# after a read_only = 0 sample bounds the one at that sample).
	early=0 opened=
	end=$(($(now_ms) + (DELAY + 12) * 1000))
	for ((i = 0; i < 2000; i++)); do
		[ "$(now_ms)" -lt "$end" ] || break
		ro=$(db_read_only h2)
		if [ "$ro" = 0 ]; then
			miss=$(db_writer_missing h2)
			[ "$miss" = 0 ] || early=$miss
			opened=$((($(_lab_now_us) - T0) / 1000))
			break
		fi
		sleep 0.05
	done
	check "h2 became writable (${opened:-never} ms after the kill)" test -n "$opened"
	check "no acknowledged write was missing on h2 when it opened ($early missing)" test "$early" = 0
	gate=$(grep -E 'gate: open after' "$LAB_DIR/h2.vigild.log" | tail -n1 | sed 's/.*gate: //')
	echo "   h2 logged: ${gate:-no 'gate: open' line}"
	check "h2 logged its gate opening" test -n "$gate"
	check "h2's replication is stopped (IO $(db_slave h2 Slave_IO_Running), SQL $(db_slave h2 Slave_SQL_Running), Last_SQL_Errno $(db_slave h2 Last_SQL_Errno))" \
		eval '[ "$(db_slave h2 Slave_IO_Running)/$(db_slave h2 Slave_SQL_Running)/$(db_slave h2 Last_SQL_Errno)" = No/No/0 ]'
	ms=$(db_writer_wait_acked 1 5000 2)
	check "h2 acknowledges writes ($ms ms after we saw it open)" test "$(db_writer_acked 2)" -ge 1
	db_writer_stop
	lost=$(db_writer_missing h2)
	db_writer_report h2
	check "0 acknowledged writes lost ($lost missing on h2)" test "$lost" = 0
	check "no duplicate-key error anywhere (writer 1062: $(db_writer_errors 1062))" \
		test "$(db_writer_errors 1062)" = 0
	check "h2 alone holds the VIP and is the only writable server" \
		eval 'lab_vip_held_by $VIP h2 && [ "$(db_writable_hosts)" = h2 ]'
fi
finish
