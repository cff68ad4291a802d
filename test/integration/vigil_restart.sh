#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigilctl restart on two vigild in the netns lab (100 ms adverts: the
# peer's Master_Down_Interval is 360 ms, so a restart has that long).
#  - ten restarts of the master in a row: each answers "restarted", the
#    pid stays, the restart count grows; the peer sees no transition, the
#    VIP is never removed from h1 (ip monitor), h1 logs no transition but
#    "restart"; the checks' verdicts carry over (the priority never dips);
#  - an upgrade: vigild runs from a copy that is then replaced by another
#    build: after the restart the process runs the new file;
#  - a configuration with errors: the restart is refused (the new binary's
#    `vigild -t` says why) and the old process goes on;
#  - a restart of the backup: it stays backup, nothing moves; a resign
#    outlives a restart;
#  - SIGTERM keeps its meaning: a switchover.
#
# Usage: bash vigil_restart.sh PATH/TO/vigild [PATH/TO/vigilctl [OTHER/vigild]]
. "$(dirname "$0")/vigil_lab.sh"

VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
OTHER=${3:-}
[ -x "$VIGILCTL" ] || { echo "vigilctl not found at $VIGILCTL" >&2; exit 2; }
VIP=198.18.0.100
lab_add_host h1 && lab_add_host h2 || exit 1
S1=$LAB_DIR/h1.sock
S2=$LAB_DIR/h2.sock

# h1 runs from a copy of the binary, so the upgrade case can replace it.
cp "$VIGILD" "$LAB_DIR/vigild"
REAL_VIGILD=$VIGILD
VIGILD=$LAB_DIR/vigild

lab_spawn h1 h1.addrmon.log ip -o -ts monitor address dev eth0 >/dev/null
vip_deleted_on_h1() { grep -q "Deleted.* inet $VIP/" "$LAB_DIR/h1.addrmon.log"; }

check_up="$(printf '[check up]\ntype = script\ncommand = /bin/true\ninterval = 1s\nrise = 1\npenalty = 60\n')"
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 extra="track = up" tail="$check_up"
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 extra="track = up" tail="$check_up"
vigil_run h1 1
VIGILD=$REAL_VIGILD vigil_run h2 1
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP ($ms ms)" lab_vip_held_by $VIP h1
lab_wait_for 3000 vigil_in_state h2.vigild.log BACKUP >/dev/null
lab_wait_for 3000 prio_is h2.vigild.log 100 >/dev/null

json() {
	"$VIGILCTL" -s "$1" status --json | python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

echo "== ten restarts of the master"
h2_changes=$(vigil_transitions h2.vigild.log)
h1_changes=$(vigil_transitions h1.vigild.log)
prio_lines=$(grep -c 'instance vi: priority ' "$LAB_DIR/h1.vigild.log")
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	if "$VIGILCTL" -s "$S1" -t 10 restart >"$LAB_DIR/answer" 2>&1 &&
		grep -q "^restarted: .*pid $h1, restart $i: 1 instance(s), 1 resumed as MASTER" "$LAB_DIR/answer"; then
		ok=$((ok + 1))
	else
		echo "    restart $i:"; sed 's/^/    /' "$LAB_DIR/answer"
	fi
done
check "10 of 10 restarts answered 'restarted' ($ok)" test "$ok" = 10
check "the same pid runs" lab_pid_alive "$h1"
check "status counts 10 restarts" test "$(json "$S1" 'j["restarts"]')" = 10
check "h1 logged 10 resumptions as MASTER" \
	test "$(grep -c 'restart: was MASTER (priority 150): resuming as MASTER' "$LAB_DIR/h1.vigild.log")" = 10
check "no transition on h2" test "$(vigil_transitions h2.vigild.log)" = "$h2_changes"
check "h1 logged only its resumptions (INIT -> MASTER, restart)" \
	test "$(grep -cE 'instance vi: INIT -> MASTER \(restart' "$LAB_DIR/h1.vigild.log")" = 10
check "the priority never dipped (no new priority line but the seeded 150)" \
	eval "! tail -n +$((prio_lines + 1)) <(grep 'instance vi: priority ' $LAB_DIR/h1.vigild.log) | grep -vq -- '-> 150'"
check "the VIP is on h1 alone" lab_vip_held_by $VIP h1
check "the VIP was never removed from h1" eval "! vip_deleted_on_h1"
check "h2 still hears h1 as master" test "$(json "$S2" 'j["instances"][0]["master"]["address"]')" = "$(lab_addr h1)"

echo "== an upgrade: the binary is replaced, then restarted"
NEW=${OTHER:-$REAL_VIGILD}
cp "$NEW" "$LAB_DIR/vigild.new"
mv -f "$LAB_DIR/vigild.new" "$LAB_DIR/vigild"
check "before: h1 runs a file since replaced" eval "readlink /proc/$h1/exe | grep -q '(deleted)'"
h2_changes=$(vigil_transitions h2.vigild.log)
check "vigilctl restart" "$VIGILCTL" -s "$S1" -t 10 restart
check "after: h1 runs the new file" eval "! readlink /proc/$h1/exe | grep -q '(deleted)'"
check "no transition on h2" test "$(vigil_transitions h2.vigild.log)" = "$h2_changes"
check "the VIP was never removed from h1" eval "! vip_deleted_on_h1"

echo "== a configuration with errors: refused, nothing changes"
cp "$LAB_DIR/h1.ini" "$LAB_DIR/h1.good"
printf 'bogus_key = 1\n' >>"$LAB_DIR/h1.ini"
"$VIGILCTL" -s "$S1" -t 10 restart >"$LAB_DIR/answer" 2>&1
rc=$?
check "vigilctl restart exits 1 ($rc)" test "$rc" = 1
check "... with the new binary's complaint ($(head -c 200 "$LAB_DIR/answer"))" \
	grep -qE "^error: restart refused: .* -t -f .*h1.ini: exit 1: .*h1.ini:[0-9]+" "$LAB_DIR/answer"
check "h1 still answers, same restart count" test "$(json "$S1" 'j["restarts"]')" = 11
cp "$LAB_DIR/h1.good" "$LAB_DIR/h1.ini"

echo "== a restart of the backup"
h1_changes=$(vigil_transitions h1.vigild.log)
"$VIGILCTL" -s "$S2" -t 10 restart >"$LAB_DIR/answer" 2>&1
check "h2 answers restarted, 0 resumed as MASTER" grep -q "^restarted: .* 1 instance(s), 0 resumed as MASTER" "$LAB_DIR/answer"
lab_wait_for 3000 eval '[ "$(vigil_state h2.vigild.log)" = BACKUP ]' >/dev/null
check "h2 is BACKUP" vigil_in_state h2.vigild.log BACKUP
check "no transition on h1" test "$(vigil_transitions h1.vigild.log)" = "$h1_changes"
check "the VIP is on h1 alone" lab_vip_held_by $VIP h1

echo "== a resign outlives a restart"
"$VIGILCTL" -s "$S2" resign vi >/dev/null 2>&1
check "h2 is resigned" test "$(json "$S2" 'j["instances"][0]["resigned"]')" = True
"$VIGILCTL" -s "$S2" -t 10 restart >"$LAB_DIR/answer" 2>&1
check "h2 restarted" grep -q "^restarted: " "$LAB_DIR/answer"
check "... and is still resigned" test "$(json "$S2" 'j["instances"][0]["resigned"]')" = True
"$VIGILCTL" -s "$S2" resume vi >/dev/null 2>&1
check "resume ends it" test "$(json "$S2" 'j["instances"][0]["resigned"]')" = False

echo "== SIGTERM is still a switchover"
lab_kill "$h1" TERM
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP h2)
check "h2 takes the VIP ($ms ms)" lab_vip_held_by $VIP h2
finish
