#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigilctl resign / resume with data safety, against two vigild and real
# MariaDB servers (db_lab.sh, profile ds: semi-sync AFTER_SYNC, read_only in
# my.cnf, preempt = yes, h1 150 primary, h2 100 its replica), a client
# writing through the VIP all along:
#  1. an unknown instance is an error (exit 1) naming the instances; resume
#     of an instance that is not resigned changes nothing;
#  2. resign on the master h1: h1 makes its server read-only, then priority
#     0; h2 takes the VIP and opens its server through its gate; never two
#     writable servers; notify reports MASTER -> BACKUP because "resign";
#  3. h1 resigned: status says so (table and JSON); made a caught-up
#     replica of h2 (eligible, higher priority, preempt), it stays BACKUP
#     for about nine of its Master_Down_Intervals; a second resign says it
#     is resigned already;
#  4. resume: h1 takes the VIP back by the normal path (health takeover),
#     through its gate (h2 read-only first); never two writable servers;
#  5. resign while h2's vigild is stopped (its server a caught-up replica):
#     accepted, nobody takes over, the resign lapses after two
#     Master_Down_Intervals and h1 takes the VIP back (resign-unanswered);
#  6. resign when h1's server cannot be made read-only (READ_ONLY ADMIN
#     revoked): the demotion says so, the resign is abandoned, h1 keeps the
#     VIP and its writable server;
#  7. resign while h2's server is down: refused (exit 1), nothing moves.
# At the end: 0 acknowledged writes lost over the whole run.
#
# Usage: bash vigilctl_resign.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"
lab_require python3

VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
if [ ! -x "$VIGILCTL" ]; then
	echo "vigilctl not found at $VIGILCTL" >&2
	exit 2
fi
VIP=$DB_VIP
DB_PROFILE=ds
h1='' h2=''
H1=198.18.0.11 H2=198.18.0.12

# ctl HOST ARGS...: vigilctl against HOST's vigild; the answer (stdout and
# stderr) in $LAB_DIR/ctl.out and CTL_OUT, the exit code in CTL_RC.
ctl() {
	local host=$1
	shift
	"$VIGILCTL" -s "$LAB_DIR/$host.sock" "$@" >"$LAB_DIR/ctl.out" 2>&1
	CTL_RC=$?
	CTL_OUT=$(<"$LAB_DIR/ctl.out")
	sed 's/^/    | /' "$LAB_DIR/ctl.out"
}

# json HOST EXPR: Python EXPR on HOST's `vigilctl status --json` (as j).
json() {
	"$VIGILCTL" -s "$LAB_DIR/$1.sock" status --json >"$LAB_DIR/st.json" 2>&1 || return 1
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$LAB_DIR/st.json" "$2"
}

# logged_since HOST LINE REGEX: HOST's vigild logged REGEX from line LINE on.
logged_since() { since "$1.vigild.log" "$2" | grep -qE "$3"; }

# watch_move HOLDER OLD MAX_MS: sample every 20 ms until the VIP is on
# HOLDER alone and HOLDER's server is the only writable one (MOVED_MS: when;
# empty if not within MAX_MS). MULTI counts samples with two writable
# servers, EARLY samples where OLD no longer held the VIP yet was writable.
# The VIP's holder is read before and after the servers (which takes a
# while): OLD counts as without the VIP only if both reads agree, so a VIP
# added (then the server opened) during a sample is not a false alarm.
watch_move() {
	local want=$1 old=$2 max=$3 t0 w before holder
	MULTI=0 EARLY=0 MOVED_MS=
	t0=$(now_ms)
	while [ $(($(now_ms) - t0)) -lt "$max" ]; do
		before=$(lab_vip_holder "$VIP")
		w=$(db_writable_hosts)
		holder=$(lab_vip_holder "$VIP")
		[ "${w// /}" = "$w" ] || MULTI=$((MULTI + 1))
		[[ " $before $holder " == *" $old "* ]] || [[ " $w " != *" $old "* ]] || EARLY=$((EARLY + 1))
		if [ "$holder" = "$want" ] && [ "$w" = "$want" ]; then
			MOVED_MS=$(($(now_ms) - t0))
			return 0
		fi
		sleep 0.02
	done
	return 1
}

# acked_again SID: the writer gets 5 more acknowledgments from server SID.
acked_again() { db_writer_wait_acked $(($(db_writer_acked "$1") + 5)) 15000 "$1" >/dev/null; }

# The notify recorder: notify.sh FILE ... appends "PREV>STATE REASON".
mkdir -m 0755 "$LAB_DIR/bin" || exit 1
REC=$LAB_DIR/bin/notify.sh
printf '#!/bin/sh\nprintf "%%s>%%s %%s\\n" "$VIGIL_PREV_STATE" "$VIGIL_STATE" "$VIGIL_REASON" >>"$1"\n' >"$REC"
chmod 0755 "$REC"

db_lab_up || exit 1
db_ds_conf h1 150 notify="$REC $LAB_DIR/h1.notify" || exit 1
db_ds_conf h2 100 notify="$REC $LAB_DIR/h2.notify" || exit 1
echo "== start: h1 primary (150), h2 replica (100), preempt = yes"
db_ds_start run1 h1 h2 || exit 1
db_writer_start 6000 120 || exit 1
db_writer_wait_acked 20 5000 1 >/dev/null || { echo "the writer gets no acknowledgment from h1" >&2; exit 1; }

echo "== 1. errors"
ctl h1 resign nope
check "resign of an unknown instance: exit 1 ($CTL_RC)" test "$CTL_RC" = 1
check "... naming the instances there are" test "$CTL_OUT" = "error: no instance 'nope' (instances: vi)"
ctl h1 resume nope
check "resume of an unknown instance: exit 1 ($CTL_RC)" test "$CTL_RC" = 1
ctl h1 resume vi
check "resume of an instance that is not resigned: exit 0, nothing to do" \
	eval '[ "$CTL_RC" = 0 ] && grep -q "is not resigned (MASTER): nothing to resume" "$LAB_DIR/ctl.out"'
check "h1 is MASTER, not resigned (JSON)" test "$(json h1 '(j["instances"][0]["state"], j["instances"][0]["resigned"])')" = "('MASTER', False)"

echo "== 2. resign on the master h1: the VIP moves to h2 through its gate"
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log)
T2=$(_lab_now_us)
ctl h1 resign vi
check "vigilctl resign vi on h1: exit 0 ($CTL_RC)" test "$CTL_RC" = 0
check "... the answer names the peer that takes over" \
	grep -q "resigning: .*the peer $H2:3306 (replica of this server, caught up) takes over" "$LAB_DIR/ctl.out"
watch_move h2 h1 10000
check "h2 holds the VIP alone with the only writable server (${MOVED_MS:-not within 10000} ms)" \
	test -n "$MOVED_MS"
check "never two writable servers ($MULTI samples with more)" test "$MULTI" = 0
check "h1 was read-only whenever it no longer held the VIP ($EARLY samples not)" test "$EARLY" = 0
check "h1's server is read-only" db_is_read_only h1
check "h1 set read_only = ON before it left MASTER" \
	eval "since h1.vigild.log $m1 | grep -E 'role: read_only = ON|MASTER -> BACKUP' | head -n1 | grep -q 'read_only = ON'"
check "h1: MASTER -> BACKUP because resign" logged_since h1 "$m1" 'instance vi: MASTER -> BACKUP \(resign;'
check "h2: BACKUP -> MASTER after the priority-0 advert" \
	logged_since h2 "$m2" 'instance vi: BACKUP -> MASTER \(priority-zero-received;'
check "h2's gate found h1 read-only and opened" \
	eval "logged_since h2 $m2 'gate: old master $H1 is read-only' && logged_since h2 $m2 'gate: open after'"
ms=$(lab_wait_for 3000 grep -q 'MASTER>BACKUP resign' "$LAB_DIR/h1.notify")
check "h1's notify: MASTER>BACKUP, VIGIL_REASON=resign ($ms ms)" grep -q 'MASTER>BACKUP resign' "$LAB_DIR/h1.notify"
check "h2 acknowledges writes" acked_again 2

echo "== 3. h1 resigned: stays BACKUP though eligible, with the higher priority and preempt"
ctl h1 status
check "status table: vi BACKUP (resigned), priority 150, master $H2" \
	grep -Eq "^vi +eth0 +51 +BACKUP \(resigned\) +150 +150 +$H2 \(100\) " "$LAB_DIR/ctl.out"
check "status details: resigned ... until vigilctl resume vi" \
	grep -Eq '^  resigned +[0-9.]+ (ms|s) ago by vigilctl resign: stays BACKUP until vigilctl resume vi' "$LAB_DIR/ctl.out"
check "status JSON on h1: resigned true, no handover pending" \
	test "$(json h1 '(j["instances"][0]["resigned"], j["instances"][0]["handoverPending"])')" = "(True, False)"
check "status JSON on h2: MASTER, not resigned" \
	test "$(json h2 '(j["instances"][0]["state"], j["instances"][0]["resigned"])')" = "('MASTER', False)"
ctl h1 resign vi
check "a second resign: exit 0, resigned already" \
	eval '[ "$CTL_RC" = 0 ] && grep -q "is resigned already" "$LAB_DIR/ctl.out"'
m1=$(mark h1.vigild.log)
db_rejoin h1 h2 || { check "h1 replicates from h2" false; finish; }
ms=$(lab_wait_for 15000 db_caught_up h1 h2)
check "h1 made a replica of h2, caught up ($ms ms)" db_caught_up h1 h2
ms=$(lab_wait_for 5000 logged_since h1 "$m1" "role: eligible \(replica of $H2")
check "h1 is eligible ($ms ms): only the resign keeps it out" logged_since h1 "$m1" "role: eligible \(replica of $H2"
t1=$(vigil_transitions h1.vigild.log)
mdi=$(json h1 'j["instances"][0]["masterDownInterval"]')
read -r miss multi _ < <(db_watch 30 100 h2)
check "the VIP on h2 alone at each of 30 samples over 3 s, $((3000 / mdi)) of h1's Master_Down_Intervals ($miss misses)" \
	test "$miss" = 0
check "one writable server at every sample ($multi with more)" test "$multi" = 0
check "h1 did not change state" test "$(vigil_transitions h1.vigild.log)" = "$t1"
check "h1 still resigned" test "$(json h1 'j["instances"][0]["resigned"]')" = True

echo "== 4. resume on h1: it takes the VIP back through its gate"
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log)
ctl h1 resume vi
check "vigilctl resume vi: exit 0 ($CTL_RC), eligible" \
	eval '[ "$CTL_RC" = 0 ] && grep -q "resumed: BACKUP, competing for the VIP again.*; eligible (replica of $H2" "$LAB_DIR/ctl.out"'
watch_move h1 h2 15000
check "h1 holds the VIP alone with the only writable server (${MOVED_MS:-not within 15000} ms)" \
	test -n "$MOVED_MS"
check "never two writable servers ($MULTI samples with more)" test "$MULTI" = 0
check "h2 was read-only whenever it no longer held the VIP ($EARLY samples not)" test "$EARLY" = 0
check "h1 became MASTER by the normal path (health takeover or preempt)" \
	logged_since h1 "$m1" 'instance vi: BACKUP -> MASTER \((health-takeover|preempt);'
check "h1's gate waited for h2's last position and opened" \
	eval "logged_since h1 $m1 'gate: old master $H2 is read-only' && logged_since h1 $m1 'gate: open after'"
check "h1 not resigned any more (JSON)" test "$(json h1 'j["instances"][0]["resigned"]')" = False
check "h1 acknowledges writes" acked_again 1
# h2 made h1's replica again, as a DBA would after a failback.
db_rejoin h2 h1 || { check "h2 replicates from h1" false; finish; }
ms=$(lab_wait_for 15000 db_caught_up h2 h1)
check "h2 made a replica of h1, caught up ($ms ms)" db_caught_up h2 h1
ms=$(lab_wait_for 5000 logged_since h2 "$m2" "role: eligible \(replica of $H1")
check "h2 is eligible again ($ms ms)" logged_since h2 "$m2" "role: eligible \(replica of $H1"

echo "== 5. resign while h2's vigild is stopped: nobody takes over, the resign lapses"
vigil_term h2
m1=$(mark h1.vigild.log)
ctl h1 resign vi
check "accepted (h2's server is a caught-up replica): exit 0 ($CTL_RC), the answer says it may lapse" \
	eval '[ "$CTL_RC" = 0 ] && grep -q "the resign lapses and this node takes the VIP back" "$LAB_DIR/ctl.out"'
ms=$(lab_wait_for 5000 logged_since h1 "$m1" 'instance vi: MASTER -> BACKUP \(resign;')
check "h1 handed over ($ms ms)" logged_since h1 "$m1" 'instance vi: MASTER -> BACKUP \(resign;'
watch_move h1 h1 10000
check "h1 holds the VIP again with the only writable server (${MOVED_MS:-not within 10000} ms later)" \
	test -n "$MOVED_MS"
check "h1 was read-only whenever it did not hold the VIP ($EARLY samples not)" test "$EARLY" = 0
check "h1: BACKUP -> MASTER because resign-unanswered" \
	logged_since h1 "$m1" 'instance vi: BACKUP -> MASTER \(resign-unanswered;'
check "h1 not resigned, one resign unanswered (JSON)" \
	test "$(json h1 '(j["instances"][0]["resigned"], j["instances"][0]["stats"]["resignsUnanswered"])')" = "(False, 1)"
check "h1 acknowledges writes" acked_again 1

echo "== 6. resign when h1's server cannot be made read-only: abandoned, h1 keeps the VIP"
# The grant goes, and vigil's sessions with it (global privileges are read
# at connect time); its checks and role reconnect.
kill_vigil_sessions() {
	local ids id
	ids=$(db_sql h1 "SELECT GROUP_CONCAT(ID) FROM information_schema.PROCESSLIST WHERE USER = '$MDB_VIGIL_USER'")
	for id in ${ids//,/ }; do db_sql h1 "KILL $id" 2>/dev/null || true; done
}
db_sql h1 "REVOKE READ_ONLY ADMIN ON *.* FROM '$MDB_VIGIL_USER'@'%'" || exit 1
kill_vigil_sessions
m1=$(mark h1.vigild.log) t1=$(vigil_transitions h1.vigild.log)
ctl h1 resign vi
check "accepted at first: exit 0 ($CTL_RC)" test "$CTL_RC" = 0
ms=$(lab_wait_for 5000 logged_since h1 "$m1" 'resign ABANDONED')
check "h1 abandoned the resign ($ms ms)" logged_since h1 "$m1" 'resign ABANDONED: the server could not be made read-only'
check "... having said why" logged_since h1 "$m1" 'CANNOT MAKE THE SERVER READ-ONLY'
read -r miss multi _ < <(db_watch 10 100 h1)
check "the VIP on h1 alone at each of 10 samples ($miss misses)" test "$miss" = 0
check "h1's server writable, the only one ($multi samples with more)" \
	eval '[ "$multi" = 0 ] && db_is_writable h1'
check "h1 did not change state" test "$(vigil_transitions h1.vigild.log)" = "$t1"
check "h1 not resigned, its server writable (JSON)" \
	test "$(json h1 '(j["instances"][0]["resigned"], j["instances"][0]["dataSafety"]["mode"])')" = "(False, 'writable')"
db_sql h1 "GRANT READ_ONLY ADMIN ON *.* TO '$MDB_VIGIL_USER'@'%'" || exit 1
kill_vigil_sessions
check "h1 acknowledges writes" acked_again 1

echo "== 7. resign while h2's server is down: refused, nothing moves"
m1=$(mark h1.vigild.log)
db_mysqld_signal h2 KILL
ms=$(lab_wait_for 5000 logged_since h1 "$m1" "database peer $H2:3306 not readable")
check "h1 noticed h2's server is gone ($ms ms)" logged_since h1 "$m1" "database peer $H2:3306 not readable"
t1=$(vigil_transitions h1.vigild.log)
ctl h1 resign vi
check "refused: exit 1 ($CTL_RC)" test "$CTL_RC" = 1
check "... because no peer can take over" \
	test "$CTL_OUT" = "error: instance vi: no database peer can take over its writes, nothing changed: $H2:3306 does not answer"
check "h1 logged the refusal" logged_since h1 "$m1" 'resign \(vigilctl\) refused: no database peer can take over'
read -r miss multi _ < <(db_watch 10 100 h1)
check "the VIP on h1 alone at each of 10 samples ($miss misses)" test "$miss" = 0
check "h1's server writable" db_is_writable h1
check "h1 did not change state" test "$(vigil_transitions h1.vigild.log)" = "$t1"
check "h1 not resigned (JSON)" test "$(json h1 'j["instances"][0]["resigned"]')" = False
check "h1 acknowledges writes" acked_again 1

db_writer_stop
lost=$(db_writer_missing h1)
db_writer_report h1
check "0 acknowledged writes lost over the whole run ($lost missing on h1)" test "$lost" = 0
finish
