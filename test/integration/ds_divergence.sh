#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Data safety: real divergence. h1 and h2 are cut off from each other
# (every packet between them dropped; the client still reaches both), so
# each believes the other dead: h2's witness cannot reach the VIP on h1,
# h2 takes over and opens its server (a newer epoch), and h1 stays master
# of its own. Both take writes. When the partition heals the two masters
# meet: both go read-only, the higher epoch (h2's) keeps the VIP whatever
# the priorities, and h1, the loser, is read-only at once and logs
# DIVERGED with the transactions it took that h2 lacks.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds

# cut A B / heal A B: drop every IP packet between hosts A and B (both
# ways), in their own namespaces only.
cut() {
	_cut_one "$1" "$2" && _cut_one "$2" "$1"
}
_cut_one() {
	lab_exec "$1" nft -f - <<-EOF
	table inet ds_cut {
		chain in {
			type filter hook input priority filter; policy accept;
			ip saddr ${LAB_ADDR[$2]} drop
		}
	}
	EOF
}
heal() {
	lab_exec "$1" nft delete table inet ds_cut 2>/dev/null
	lab_exec "$2" nft delete table inet ds_cut 2>/dev/null
	return 0
}
# write HOST V: one write by the application user straight to HOST's
# server (not through the VIP); prints the server_id that acknowledged it.
write() {
	lab_exec c "$MDB_CLIENT" --defaults-file="$LAB_DIR/app.cnf" -h "$(lab_addr "$1")" -P 3306 \
		--connect-timeout=2 -N -B -e "INSERT INTO appdb.w (v, server_id) VALUES ($2, @@server_id) RETURNING server_id" 2>&1
}

db_lab_up || exit 1
db_ds_conf h1 150 || exit 1
db_ds_conf h2 100 || exit 1
echo "== start: h1 primary (150), h2 replica (100)"
db_ds_start run1 h1 h2 || exit 1
check "h1 holds the VIP with the only writable server" test "$(db_writable_hosts)" = h1

echo "== h1 and h2 cut off from each other (the client reaches both)"
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log)
cut h1 h2 || { echo "cannot install the partition" >&2; exit 1; }
ms=$(lab_wait_for 20000 db_is_writable h2)
check "h2 took over and opened its server (writable after $ms ms)" db_is_writable h2
check "h1 is still writable: two masters, one on each side" db_is_writable h1
ep1=$(db_sql h1 "SELECT MAX(epoch) FROM vigil.epoch") ep2=$(db_sql h2 "SELECT MAX(epoch) FROM vigil.epoch")
echo "   epochs: h1 $ep1, h2 $ep2"
check "h2's epoch ($ep2) is newer than h1's ($ep1)" test "${ep2:-0}" -gt "${ep1:-0}"
# The first write on each side may wait out the semi-sync timeout (its
# replica is on the other side of the cut): bounded by the client.
w1=0 w2=0
for v in 9101 9102 9103; do [ "$(write h1 $v)" = 1 ] && w1=$((w1 + 1)); done
for v in 9201 9202; do [ "$(write h2 $v)" = 2 ] && w2=$((w2 + 1)); done
check "h1 acknowledged its 3 writes during the partition ($w1)" test "$w1" = 3
check "h2 acknowledged its 2 writes during the partition ($w2)" test "$w2" = 2

echo "== the partition heals: the two masters meet"
heal h1 h2
ms=$(lab_wait_for 10000 lab_vip_held_by "$VIP" h2)
check "the VIP on h2 alone, the newer epoch ($ms ms after healing)" lab_vip_held_by "$VIP" h2
lab_wait_for 10000 db_is_read_only h1 >/dev/null
check "h1's server is read-only" db_is_read_only h1
lab_wait_for 10000 db_is_writable h2 >/dev/null
check "h2's server is writable, the only one" test "$(db_writable_hosts)" = h2
check "h1 lost the contest on the epochs" \
	log_has_after h1.vigild.log "$m1" 'MASTER -> BACKUP \(contest-lost'
check "h2 kept MASTER" vigil_in_state h2.vigild.log MASTER
line=$(since h1.vigild.log "$m1" | grep -E 'DIVERGED' | head -n1)
echo "   h1: ${line#*vigild }"
check "h1 logged DIVERGED with its 3 writes that h2 lacks (domain 0, server_id 1)" \
	grep -qE 'holds 3 transactions that 198\.18\.0\.12 lacks \(domain 0 server_id 1 seq [0-9]+\.\.[0-9]+\)' <<<"$line"
check "the report names the epoch they were written under and when it opened" grep -qE "written since epoch $ep1 \(opened [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ server time\)" <<<"$line"
check "h2 lacks h1's partition writes (they are for a DBA to reconcile)" \
	test "$(db_sql h2 'SELECT COUNT(*) FROM appdb.w WHERE v BETWEEN 9101 AND 9103')" = 0
check "h2 kept its own partition writes" \
	test "$(db_sql h2 'SELECT COUNT(*) FROM appdb.w WHERE v BETWEEN 9201 AND 9202')" = 2
read -r miss multi _ < <(db_watch 20 100 h2)
check "after the meeting: VIP on h2 alone, one writable server (20 samples: $miss misses, $multi with more)" \
	test "$miss/$multi" = 0/0
finish
