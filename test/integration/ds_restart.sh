#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigilctl restart with data safety and real MariaDB servers: ten restarts
# of the master's vigild in a row while a client writes through the VIP
# (100 ms adverts: the peer's Master_Down_Interval is 360 ms). Each answers
# "restarted" with the instance resumed as MASTER; no write attempt fails;
# the peer sees no transition; the VIP is never removed from h1 (ip
# monitor); h1's server stays writable and vigild never sets read_only
# (its log has no read_only = ON); 0 acknowledged writes lost.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
[ -x "$VIGILCTL" ] || { echo "vigilctl not found at $VIGILCTL" >&2; exit 2; }
VIP=$DB_VIP
DB_PROFILE=ds
h1='' h2=''

db_ds_pair_up 20
lab_spawn h1 h1.addrmon.log ip -o -ts monitor address dev eth0 >/dev/null

echo "== ten restarts of h1's vigild while the client writes"
h2_changes=$(vigil_transitions h2.vigild.log)
m1=$(mark h1.vigild.log)
T0=$(_lab_now_us)
ok=0 writable=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	before=$(db_writer_acked)
	if "$VIGILCTL" -s "$LAB_DIR/h1.sock" -t 10 restart >"$LAB_DIR/answer" 2>&1 &&
		grep -q "^restarted: .*restart $i: 1 instance(s), 1 resumed as MASTER" "$LAB_DIR/answer"; then
		ok=$((ok + 1))
	else
		echo "    restart $i:"; sed 's/^/    /' "$LAB_DIR/answer"
	fi
	db_is_writable h1 && writable=$((writable + 1))
	db_writer_wait_acked $((before + 5)) 5000 >/dev/null
done
T1=$(_lab_now_us)
check "10 of 10 restarts answered 'restarted' with the instance resumed as MASTER ($ok)" test "$ok" = 10
check "h1's server was writable after each ($writable of 10)" test "$writable" = 10
check "vigild never set read_only on h1" eval "! since h1.vigild.log $m1 | grep -q 'read_only = ON'"
check "h1 said 10 times it keeps the server open" \
	test "$(since h1.vigild.log "$m1" | grep -c 'the server stays writable (carried over by the restart)')" = 10
errs=$(db_writer_errors "" "$T0")
check "no write attempt failed ($errs; $(db_writer_error_summary))" test "$errs" = 0
echo "   longest time without an acknowledged write across the restarts: $(db_writer_max_gap_ms "$T0" "$T1") ms"
check "no transition on h2" test "$(vigil_transitions h2.vigild.log)" = "$h2_changes"
check "the VIP never left h1" eval "! grep -q 'Deleted.* inet $VIP/' $LAB_DIR/h1.addrmon.log"
check "h2's server is read-only" db_is_read_only h2
db_writer_stop
lost=$(db_writer_missing h1)
db_writer_report h1
check "0 acknowledged writes lost ($lost missing on h1)" test "$lost" = 0
finish
