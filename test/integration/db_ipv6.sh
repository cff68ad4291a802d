#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Data safety over IPv6: the db_kill scenario on an IPv6 lab. h1 a MariaDB
# primary, h2 its GTID replica, replication over 2001:db8:1::11; both
# vigild with manage_read_only and the witness on the IPv6 VIP
# 2001:db8:1::100 (VRRPv3 over IPv6, adverts from link-local addresses),
# database_peers = [2001:db8:1::1N]:3306, checks on ::1; the writer on host
# c writes through the IPv6 VIP. kill -9 of h1's mysqld: the VIP moves to
# h2, h2's promotion gate finds the old master by its Master_Host (an IPv6
# literal) among database_peers, the server opens, the writer's writes
# continue through the VIP on h2, 0 acknowledged writes lost. Prints the
# takeover time (kill -> VIP on h2, -> first write acknowledged by h2).
DB_FAMILY=6
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds
h1='' h2=''

db_ds_pair_up 10
A1=$(db_addr h1) A2=$(db_addr h2)
echo "   h1 $A1, h2 $A2, c $(db_addr c), VIP $DB_VIP; link-local h1 $(lab_ll h1), h2 $(lab_ll h2)"

echo "== the IPv6 set-up"
check "h1 holds the IPv6 VIP alone" db_vip_held_by h1
check "the VIP has no IPv4 twin: no 198.18.0.100 anywhere" test -z "$(lab_vip_holder 198.18.0.100)"
check "h2 replicates from h1 over IPv6 (Master_Host $(db_slave h2 Master_Host))" \
	test "$(db_slave h2 Master_Host)" = "$A1"
check "h2's IO thread runs" test "$(db_slave h2 Slave_IO_Running)" = Yes
check "h1.ini: database_peers = [$A2]:3306, ping on ::1" \
	eval "grep -qx 'database_peers = \[$A2\]:3306' '$LAB_DIR/h1.ini' && grep -qx 'host = ::1' '$LAB_DIR/h1.ini'"
check "h1 is master with its server writable" db_is_writable h1
check "h1 logged MASTER" vigil_in_state h1.vigild.log MASTER
check "h2 logged BACKUP" vigil_in_state h2.vigild.log BACKUP
# An IPv6 master is heard (link-local source) and h2's server is a replica
# of a database peer named by its IPv6 address: eligible.
ms=$(lab_wait_for 5000 vigil_log_has h2.vigild.log "role: eligible \(replica of $A1, caught up")
check "h2 is eligible: replica of $A1, caught up ($ms ms)" \
	vigil_log_has h2.vigild.log "role: eligible \(replica of $A1, caught up"
check "h1 is eligible" vigil_log_has h1.vigild.log 'role: eligible \('
# h1 started alone: its Master_Down_Timer ran out and its witness probed
# the IPv6 VIP (nobody served it yet) before it took over.
check "h1's witness probed the IPv6 VIP at its cold start (not served: took over)" \
	vigil_log_has h1.vigild.log 'witness: VIP not served.*taking over'
check "no data-safety refusal or alarm on either node" \
	eval "! grep -qE 'not supported|cannot work|ALARM' '$LAB_DIR/h1.vigild.log' '$LAB_DIR/h2.vigild.log'"
acked1=$(db_writer_acked 1)
check "writes through the IPv6 VIP acknowledged by h1 ($acked1 so far)" test "$acked1" -ge 10
m2=$(mark h2.vigild.log)

echo "== kill -9 of h1's mysqld"
pid=$(mdb_pid "$(db_dir h1)") || exit 1
T0=$(_lab_now_us)
t0=$((T0 / 1000))
kill -KILL "$pid"
# Bounded: the VIP on h2 within 5 s, a client served by h2 within 10 s.
db_time_takeover "$t0" 5000 10000
ms=$(lab_wait_for 15000 db_is_writable h2)
check "h2's server became writable ($ms ms after the client was served)" db_is_writable h2
lab_wait_for 10000 eval "[ \"\$(db_writer_acked 2)\" -ge 10 ]" >/dev/null
first2=$(awk '$4 == "ok" && $5 == 2 { print $3 }' "$DB_WRITER_LOG" | sort -n | head -n1)
t_write=
[ -z "$first2" ] || t_write=$(((first2 - T0) / 1000))
echo "   takeover: kill -> VIP on h2 ${t_vip:-never} ms; -> client served by h2 through the VIP ${t_cli:-never} ms; -> first write acknowledged by h2 ${t_write:-never} ms"
check_ms "the VIP on h2 within 3 s of the kill" "${t_vip:-99999}" 3000
check_ms "the first write acknowledged by h2 within 10 s of the kill" "${t_write:-99999}" 10000
check "h2 acknowledges writes through the IPv6 VIP ($(db_writer_acked 2) so far)" \
	test "$(db_writer_acked 2)" -ge 10
lab_wait_for 3000 db_vip_held_by h2 >/dev/null
check "h2 holds the VIP alone" db_vip_held_by h2
check "h2 logged BACKUP -> MASTER" vigil_in_state h2.vigild.log MASTER
check "h1 logged MASTER -> BACKUP" vigil_in_state h1.vigild.log BACKUP
# The promotion gate's old-master lookup: Master_Host (an IPv6 literal) is
# the database peer [2001:db8:1::11]:3306.
check "h2's gate found the old master $A1 among database_peers" \
	eval "since h2.vigild.log $m2 | grep -qE 'gate: (old master|the witness found the old master) $A1 '"
check "... and did not call it a stranger" \
	eval "! since h2.vigild.log $m2 | grep -q 'not among database_peers'"
check "h2's gate opened" eval "since h2.vigild.log $m2 | grep -q 'gate: open after'"

echo "== the VIP stays on h2"
read -r miss multi _ < <(db_watch 20 100 h2)
check "the VIP on h2 alone at every one of 20 samples over 2 s ($miss misses)" test "$miss" = 0
check "one writable server at every sample ($multi samples with more)" test "$multi" = 0
db_writer_stop
lost=$(db_writer_missing h2)
db_writer_report h2
check "0 acknowledged writes lost ($lost missing on h2)" test "$lost" = 0
finish
