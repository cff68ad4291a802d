#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild's whole life under valgrind: start, run checks (a mysql_ping and a
# tcp check that both find nothing listening, so the connector's failure
# paths run; penalty 0 keeps the priority), win the election, run notify
# scripts, answer vigilctl status, ignore a SIGHUP (reload is not
# supported yet and must change nothing), stop on SIGTERM (the control
# socket removed). valgrind must report no error and no leak.
. "$(dirname "$0")/vigil_lab.sh"
lab_require valgrind

VIP=198.18.0.100
lab_add_host h1 || exit 1
cat >"$LAB_DIR/notify.sh" <<'SH'
#!/bin/sh
echo "$@" >>"$(dirname "$0")/notify.out"
SH
chmod 755 "$LAB_DIR/notify.sh"
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 notify="$LAB_DIR/notify.sh" \
	extra="track = ping, port" \
	tail="$(printf '[check ping]\ntype = mysql_ping\nhost = 127.0.0.1\nport = 3306\npenalty = 0\n\n[check port]\ntype = tcp\nhost = 127.0.0.1\nport = 1\npenalty = 0\n')"
"$VIGILD" -t -f "$LAB_DIR/h1.ini" >/dev/null || exit 1

lab_spawn h1 h1.vigild.log valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no \
	--log-file="$LAB_DIR/valgrind.txt" "$VIGILD" -f "$LAB_DIR/h1.ini" >/dev/null
pid=$LAB_PID
# valgrind is slow to start; the election takes Master_Down_Interval then.
ms=$(lab_wait_for 20000 lab_vip_held_by $VIP h1)
check "vigild under valgrind became master ($ms ms)" lab_vip_held_by $VIP h1
# The control socket's paths under valgrind: a table, JSON, a malformed
# request and a client that leaves without asking.
VIGILCTL=$(dirname "$VIGILD")/vigilctl
check "vigilctl status answers (table and JSON)" sh -c \
	"'$VIGILCTL' -s '$LAB_DIR/h1.sock' status | grep -q '^vi .* MASTER ' &&
	 '$VIGILCTL' -s '$LAB_DIR/h1.sock' status --json | grep -q '\"state\": \"MASTER\"'"
check "a malformed request gets an error line" sh -c \
	"printf 'nonsense\n' | python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read()); print(s.recv(200).decode().strip())' '$LAB_DIR/h1.sock' |
	 grep -q \"^error: unknown command 'nonsense'\""
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$LAB_DIR/h1.sock"
lab_kill "$pid" HUP
sleep 0.5
check "SIGHUP is logged as not supported and changes nothing" \
	vigil_log_has h1.vigild.log 'SIGHUP: configuration reload is not supported'
check "still master after SIGHUP" lab_vip_held_by $VIP h1
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
