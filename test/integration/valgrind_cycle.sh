#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild's whole life under valgrind: start, run checks (a mysql_ping and a
# tcp check that both find nothing listening, so the connector's failure
# paths run; penalty 0 keeps the priority), win the election, run notify
# scripts, answer vigilctl status, reload (vigilctl reload: the same
# file; a file with an error, refused; a second instance added and a
# check's probe changed; the first file again, the instance removed; then
# a SIGHUP), stop on SIGTERM (the control socket removed). valgrind must
# report no error and no leak.
#
# Usage: bash valgrind_cycle.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
lab_require valgrind
VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
[ -x "$VIGILCTL" ] || { echo "vigilctl not found at $VIGILCTL" >&2; exit 2; }

VIP=198.18.0.100
VIP2=198.18.0.102
lab_add_host h1 || exit 1
cat >"$LAB_DIR/notify.sh" <<'SH'
#!/bin/sh
echo "$@" >>"$(dirname "$0")/notify.out"
SH
chmod 755 "$LAB_DIR/notify.sh"
# checks PORT: the two [check] sections, the tcp one probing PORT.
checks() {
	printf '[check ping]\ntype = mysql_ping\nhost = 127.0.0.1\nport = 3306\npenalty = 0\n\n[check port]\ntype = tcp\nhost = 127.0.0.1\nport = %s\npenalty = 0\n' "$1"
}
# h1_conf [KEY=VALUE...]: h1's file.
h1_conf() {
	vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 notify="$LAB_DIR/notify.sh" \
		extra="track = ping, port" tail="$(checks 1)" "$@"
}
h1_conf
"$VIGILD" -t -f "$LAB_DIR/h1.ini" >/dev/null || exit 1
cp "$LAB_DIR/h1.ini" "$LAB_DIR/h1.orig"

lab_spawn h1 h1.vigild.log valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no \
	--log-file="$LAB_DIR/valgrind.txt" "$VIGILD" -f "$LAB_DIR/h1.ini" >/dev/null
pid=$LAB_PID
# valgrind is slow to start; the election takes Master_Down_Interval then.
ms=$(lab_wait_for 20000 lab_vip_held_by $VIP h1)
check "vigild under valgrind became master ($ms ms)" lab_vip_held_by $VIP h1
# The control socket's paths under valgrind: a table, JSON, a malformed
# request and a client that leaves without asking.
check "vigilctl status answers (table and JSON)" sh -c \
	"'$VIGILCTL' -s '$LAB_DIR/h1.sock' status | grep -q '^vi .* MASTER ' &&
	 '$VIGILCTL' -s '$LAB_DIR/h1.sock' status --json | grep -q '\"state\": \"MASTER\"'"
check "a malformed request gets an error line" sh -c \
	"printf 'nonsense\n' | python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read()); print(s.recv(200).decode().strip())' '$LAB_DIR/h1.sock' |
	 grep -q \"^error: unknown command 'nonsense'\""
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$LAB_DIR/h1.sock"

# Reloads under valgrind. reload WANT_EXIT: vigilctl reload, the answer in
# $LAB_DIR/answer (valgrind makes vigild slow: a generous timeout).
reload() {
	"$VIGILCTL" -s "$LAB_DIR/h1.sock" -t 30 reload >"$LAB_DIR/answer" 2>&1
	local rc=$?
	[ "$rc" -eq "$1" ] || { echo "    vigilctl reload: exit $rc, want $1:"; sed 's/^/    /' "$LAB_DIR/answer"; }
	[ "$rc" -eq "$1" ]
}
answer_has() { grep -qE "$1" "$LAB_DIR/answer" || { echo "    answer:"; sed 's/^/    /' "$LAB_DIR/answer"; false; }; }

# vi_transitions: how many state changes instance vi logged.
vi_transitions() { grep -cE 'instance vi: [A-Z]+ -> [A-Z]+ ' "$LAB_DIR/h1.vigild.log"; }
vi_changes=$(vi_transitions)

echo "== reload: the same file"
check "vigilctl reload exits 0" reload 0
check "... all kept" answer_has \
	"^reloaded .*h1.ini: instances: 1 kept, 0 added, 0 removed; checks: 2 kept, 0 restarted, 0 added, 0 removed$"

echo "== reload: a file with an error"
printf '\n[instance broken]\ninterface = eth0\nvrid = 300\n' >>"$LAB_DIR/h1.ini"
check "vigilctl reload exits 1" reload 1
check "... refused, the running configuration stays" answer_has \
	"^error: reload refused: .*h1.ini has errors; the running configuration stays"
check "... with FILE:LINE" answer_has "h1.ini:[0-9]+: .*vrid"
check "still master, one instance" sh -c \
	"'$VIGILCTL' -s '$LAB_DIR/h1.sock' -t 30 status --json |
	 python3 -c 'import json, sys; j = json.load(sys.stdin); sys.exit(not (len(j[\"instances\"]) == 1 and j[\"instances\"][0][\"state\"] == \"MASTER\"))'"
check "the VIP stayed on h1" lab_vip_held_by $VIP h1

echo "== reload: a second instance, a check's probe changed"
h1_conf tail="$(checks 2)
$(printf '\n[instance two]\ninterface = eth0\nvrid = 52\npriority = 150\nvirtual_ip = %s/24\nadvert_interval = 100ms\ntrack = ping\n' $VIP2)"
check "vigild -t accepts the two-instance file" sh -c "'$VIGILD' -t -f '$LAB_DIR/h1.ini' >/dev/null"
check "vigilctl reload exits 0" reload 0
check "... 1 added, the tcp check restarted" answer_has \
	"instances: 1 kept, 1 added, 0 removed; checks: 1 kept, 1 restarted, 0 added, 0 removed$"
ms=$(lab_wait_for 20000 lab_vip_held_by $VIP2 h1)
check "the new instance took its VIP ($ms ms)" lab_vip_held_by $VIP2 h1
check "the first VIP stayed on h1" lab_vip_held_by $VIP h1

echo "== reload: the first file again (the instance removed)"
cp "$LAB_DIR/h1.orig" "$LAB_DIR/h1.ini"
check "vigilctl reload exits 0" reload 0
check "... 1 removed, the tcp check restarted" answer_has \
	"instances: 1 kept, 0 added, 1 removed; checks: 1 kept, 1 restarted, 0 added, 0 removed$"
lab_wait_for 20000 vigil_log_has h1.vigild.log "instance two: stopped and removed" >/dev/null
check "the removed instance stopped" vigil_log_has h1.vigild.log "instance two: stopped and removed"
ms=$(lab_wait_for 20000 eval "! lab_vip_held_by $VIP2 h1")
check "its VIP left h1 ($ms ms)" eval "! lab_vip_held_by $VIP2 h1"

echo "== SIGHUP"
m=$(mark h1.vigild.log)
lab_kill "$pid" HUP
lab_wait_for 20000 log_has_after h1.vigild.log "$((m - 1))" "SIGHUP: reloaded" >/dev/null
check "SIGHUP reloads: all kept" log_has_after h1.vigild.log "$((m - 1))" \
	"SIGHUP: reloaded .*instances: 1 kept, 0 added, 0 removed; checks: 2 kept, 0 restarted"
check "still master after the reloads" lab_vip_held_by $VIP h1
check "instance vi did not change state during the reloads" \
	test "$(vi_transitions)" = "$vi_changes"
lab_kill "$pid" TERM
lab_wait_for 20000 lab_pid_gone "$pid" >/dev/null
check "vigild exited after SIGTERM" lab_pid_gone "$pid"
check "VIP removed at stop" lab_vip_held_by $VIP ""
check "control socket removed at stop" test ! -e "$LAB_DIR/h1.sock"
check "notify saw BACKUP, MASTER, STOP" \
	test "$(cat "$LAB_DIR/notify.out" 2>/dev/null | tr '\n' '|')" = \
	"INSTANCE vi BACKUP 150|INSTANCE vi MASTER 150|INSTANCE vi STOP 150|"
check "vigild logged a clean stop" vigil_log_has h1.vigild.log 'stopped$'
check "the checks ran and failed (nothing listens)" \
	vigil_log_has h1.vigild.log 'check ping: failed.*2002'
check "the tcp check ran and failed" vigil_log_has h1.vigild.log 'check port: failed' 
check "valgrind: no errors, no leaks (report empty)" test ! -s "$LAB_DIR/valgrind.txt"
[ -s "$LAB_DIR/valgrind.txt" ] && cat "$LAB_DIR/valgrind.txt"
finish
