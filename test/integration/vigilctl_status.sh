#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigilctl status against two running vigild: the table and the JSON show
# the real state (h1 MASTER holding the VIP, h2 BACKUP hearing h1, base and
# effective priorities, each check's status); malformed and oversized
# requests get an error line and change nothing; silent clients (more of
# them than the daemon serves at once) are dropped at the read deadline
# without holding up anyone else; a stopped daemon makes vigilctl time out;
# a missing socket is reported; a second vigild on the same control_socket
# is refused; a clean stop removes the socket, a kill -9 leaves a stale one
# that the next start replaces.
#
# Usage: bash vigilctl_status.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
lab_require python3

VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
if [ ! -x "$VIGILCTL" ]; then
	echo "vigilctl not found at $VIGILCTL" >&2
	exit 2
fi
VIP=198.18.0.100
lab_add_host h1 && lab_add_host h2 || exit 1
H1=$(lab_addr h1)
S1=$LAB_DIR/h1.sock
S2=$LAB_DIR/h2.sock

# Both track a script check that passes; h2 also a TCP check on a port
# where nothing listens (penalty 10): its effective priority is 90.
checks="$(printf '[check up]\ntype = script\ncommand = /bin/true\ninterval = 200ms\nrise = 1\n\n[check port]\ntype = tcp\nhost = 127.0.0.1\nport = 1\npenalty = 10\ninterval = 200ms\nfall = 1\n')"
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 extra="track = up" tail="$checks"
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 extra="track = up, port" tail="$checks"

vigil_run h1 1
vigil_run h2 1
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP ($ms ms)" lab_vip_held_by $VIP h1
lab_wait_for 3000 vigil_in_state h2.vigild.log BACKUP >/dev/null
lab_wait_for 3000 prio_is h2.vigild.log 90 >/dev/null

# json FILE EXPR: evaluate the Python expression EXPR on the JSON in FILE
# (as j) and print the result.
json() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# jcheck NAME FILE EXPR WANT: check that json FILE EXPR prints WANT.
jcheck() {
	local got
	got=$(json "$2" "$3" 2>&1)
	if [ "$got" != "$4" ]; then echo "    $3: got '$got', want '$4'"; fi
	check "$1" test "$got" = "$4"
}
# request SOCKET BYTES_EXPR: send a Python bytes expression, print the answer.
request() {
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(eval(sys.argv[2]))
out = b''
while True:
    try:
        d = s.recv(65536)
    except ConnectionResetError:
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode(errors='replace'))
PY
}

echo "== the table"
"$VIGILCTL" -s "$S1" status >"$LAB_DIR/st1.txt" 2>&1
check "vigilctl status on h1: exit 0" test $? -eq 0
"$VIGILCTL" -s "$S2" status >"$LAB_DIR/st2.txt" 2>&1
check "vigilctl status on h2: exit 0" test $? -eq 0
sed 's/^/    /' "$LAB_DIR/st1.txt"
row() { grep -E "^$2 " "$LAB_DIR/$1" | tr -s ' '; }
check "h1's table: vi on eth0, vrid 51, MASTER, priority 150 of 150, this node, the VIP" \
	test "$(row st1.txt vi | cut -d' ' -f1-9)" = "vi eth0 51 MASTER 150 150 this node 198.18.0.100/24"
check "h2's table: BACKUP, priority 90 of 100, master $H1 (150), no VIP" \
	test "$(row st2.txt vi | cut -d' ' -f1-9)" = "vi eth0 51 BACKUP 90 100 $H1 (150) -"
check "h2's table: check up ok, check port failed with 10 of 10 applied" \
	sh -c "grep -Eq '^up +script +ok +ok ' '$LAB_DIR/st2.txt' &&
	       grep -Eq '^port +tcp +failed +failed .* 10 of 10 .*Connection refused' '$LAB_DIR/st2.txt'"
check "h1's table: check port, tracked by no instance there, is not run" \
	grep -Eq '^port +tcp +- .*not run: no instance tracks it' "$LAB_DIR/st1.txt"
check "h2's details explain the priority" \
	grep -q 'priority     90: priority 90 = 100 - 10 (port failed)' "$LAB_DIR/st2.txt"
check "h2's details: the master heard" grep -Eq "master +$H1 priority 150, heard [0-9]+ ms ago" "$LAB_DIR/st2.txt"

echo "== JSON"
"$VIGILCTL" -s "$S1" status --json >"$LAB_DIR/st1.json"
check "vigilctl status --json on h1: exit 0" test $? -eq 0
"$VIGILCTL" -s "$S2" status --json >"$LAB_DIR/st2.json"
check "vigilctl status --json on h2: exit 0" test $? -eq 0
jcheck "h1: routerId h1" "$LAB_DIR/st1.json" 'j["routerId"]' h1
jcheck "h1: state MASTER" "$LAB_DIR/st1.json" 'j["instances"][0]["state"]' MASTER
jcheck "h1: priority 150, effectivePriority 150" "$LAB_DIR/st1.json" \
	'(j["instances"][0]["priority"], j["instances"][0]["effectivePriority"])' '(150, 150)'
jcheck "h1: the VIP held" "$LAB_DIR/st1.json" 'j["instances"][0]["vipsHeld"]' "['198.18.0.100/24']"
jcheck "h1: master is itself" "$LAB_DIR/st1.json" 'j["instances"][0]["master"]["self"]' True
jcheck "h1: adverts sent, none received (h2 is silent)" "$LAB_DIR/st1.json" \
	'(j["instances"][0]["stats"]["adverTx"] > 0, j["instances"][0]["stats"]["adverRx"])' '(True, 0)'
jcheck "h1: timers (100 ms adverts, priority 150)" "$LAB_DIR/st1.json" \
	'[j["instances"][0][k] for k in ("advertisementInterval", "skewTime", "masterDownInterval")]' \
	'[100, 41, 341]'
jcheck "h1: became master (master-down-timer, health-takeover or preempt)" "$LAB_DIR/st1.json" \
	'j["instances"][0]["lastTransition"]["reason"] in ("master-down-timer", "health-takeover", "preempt")' True
jcheck "h1: check up ok" "$LAB_DIR/st1.json" \
	'[(c["name"], c["status"], c["level"]) for c in j["checks"] if c["name"] == "up"]' \
	"[('up', 'ok', 'ok')]"
jcheck "h1: dataSafety null (no manage_read_only)" "$LAB_DIR/st1.json" 'j["instances"][0]["dataSafety"]' None
jcheck "h2: state BACKUP" "$LAB_DIR/st2.json" 'j["instances"][0]["state"]' BACKUP
jcheck "h2: priority 100, effectivePriority 90" "$LAB_DIR/st2.json" \
	'(j["instances"][0]["priority"], j["instances"][0]["effectivePriority"])' '(100, 90)'
jcheck "h2: master $H1 at 150, heard lately" "$LAB_DIR/st2.json" \
	'(j["instances"][0]["master"]["address"], j["instances"][0]["master"]["priority"], j["instances"][0]["master"]["heardAgoMs"] < 1000)' \
	"('$H1', 150, True)"
jcheck "h2: no VIP held" "$LAB_DIR/st2.json" 'j["instances"][0]["vipsHeld"]' '[]'
jcheck "h2: adverts received from h1" "$LAB_DIR/st2.json" 'j["instances"][0]["stats"]["adverRx"] > 0' True
jcheck "h2: check port failed, penalty 10 applied, value none" "$LAB_DIR/st2.json" \
	'[(c["status"], c["penaltyApplied"], c["value"], c["consecutive"] > 0) for c in j["checks"] if c["name"] == "port"]' \
	"[('failed', 10, None, True)]"

echo "== malformed requests"
t1=$(vigil_transitions h1.vigild.log)
out=$(request "$S1" "b'bogus\\n'")
check "an unknown command gets an error line ($out)" \
	test "$out" = "error: unknown command 'bogus'; try: status, metrics, resign INSTANCE, resume INSTANCE, reload, restart"
out=$(request "$S1" "bytes(range(11, 256)) * 9")
check "2 KiB of junk without a newline gets an error line ($out)" \
	test "$out" = "error: request longer than 1023 bytes; try: status"
out=$(request "$S1" "bytes(range(256))")
check "binary junk gets an error line ($out)" \
	test "$out" = "error: request contains a NUL byte; try: status, metrics, resign INSTANCE, resume INSTANCE, reload, restart"
out=$(request "$S1" "b'status yaml\\n'")
check "a bad argument gets an error line" \
	test "$out" = "error: status: unexpected argument 'yaml'; try: status, or status json"
"$VIGILCTL" -s "$S1" status --json >"$LAB_DIR/st1b.json"
check "h1's vigild still answers" test $? -eq 0
jcheck "the four are counted as malformed" "$LAB_DIR/st1b.json" 'j["control"]["malformed"]' 4
check "h1's vigild still runs" lab_pid_alive "$h1"
check "the VIP is still on h1 alone" lab_vip_held_by $VIP h1
check "no state change on h1" test "$(vigil_transitions h1.vigild.log)" -eq "$t1"

echo "== silent clients"
# One client that connects and says nothing does not hold up the others,
# and is dropped at the read deadline (2 s) with an error line.
python3 - "$S1" "$LAB_DIR/silent1.ready" >"$LAB_DIR/silent1.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
open(sys.argv[2], 'w').close()  # connected: queued for vigild's accept
t0 = time.monotonic()
s.settimeout(6)
d = s.recv(200)
print(f"{d.decode().strip()} after {time.monotonic() - t0:.1f} s")
PY
silent=$!
# Once it is connected, vigild accepts it before vigilctl's (one queue).
lab_wait_for 3000 test -e "$LAB_DIR/silent1.ready" >/dev/null
t0=$(now_ms)
"$VIGILCTL" -s "$S1" -t 5 status >/dev/null 2>&1
rc=$?
t=$(($(now_ms) - t0))
check "status answered while a silent client is connected (exit $rc)" test "$rc" -eq 0
check_ms "... at once" "$t" 500
wait "$silent"
check "the silent client was dropped with an error line ($(cat "$LAB_DIR/silent1.out"))" \
	grep -Eq '^error: no request line within 2000 ms after (1\.[7-9]|2\.[0-4]) s' "$LAB_DIR/silent1.out"
# 17 clients that connect and say nothing: one more than vigild serves at
# once. Each should be dropped at the read deadline (2 s) with an error.
python3 - "$S1" "$LAB_DIR/silent.ready" >"$LAB_DIR/silent.out" 2>&1 <<'PY' &
import socket, sys, time
socks = []
for _ in range(17):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    socks.append(s)
open(sys.argv[2], 'w').close()  # all 17 connected
t0 = time.monotonic()
dropped = 0
for s in socks:
    s.settimeout(8)
    try:
        d = s.recv(200)
        if d.startswith(b'error: no request line within 2000 ms'):
            dropped += 1
    except OSError:
        pass
print(f"dropped {dropped} in {time.monotonic() - t0:.1f} s")
PY
silent=$!
# All 17 connected: vigilctl's connection queues behind them.
lab_wait_for 3000 test -e "$LAB_DIR/silent.ready" >/dev/null
t0=$(now_ms)
"$VIGILCTL" -s "$S1" -t 5 status >"$LAB_DIR/st1c.txt" 2>&1
rc=$?
t=$(($(now_ms) - t0))
check "status answered while 17 silent clients are connected (exit $rc)" test "$rc" -eq 0
check_ms "... once the first 16 are dropped, at the read deadline" "$t" 3000
wait "$silent"
check "every silent client was dropped with an error line ($(cat "$LAB_DIR/silent.out"))" \
	grep -Eq '^dropped 17 in [0-4]\.' "$LAB_DIR/silent.out"
"$VIGILCTL" -s "$S1" status --json >"$LAB_DIR/st1d.json"
jcheck "their timeouts are counted (1 + 17)" "$LAB_DIR/st1d.json" 'j["control"]["timeouts"]' 18

echo "== errors vigilctl reports"
"$VIGILCTL" -s "$LAB_DIR/nope.sock" status >/dev/null 2>"$LAB_DIR/err1"
rc=$?
check "a missing socket: exit 3 ($rc)" test "$rc" -eq 3
check "... 'is vigild running? socket ...'" \
	grep -q "is vigild running? socket $LAB_DIR/nope.sock: No such file or directory" "$LAB_DIR/err1"
"$VIGILCTL" -s "$S1" reboot >/dev/null 2>&1
check "an unknown subcommand: exit 2" test $? -eq 2
"$VIGILCTL" -s "$S1" resign >/dev/null 2>&1
check "resign without an instance: exit 2" test $? -eq 2

echo "== the socket file"
check "the socket is mode 600" test "$(stat -c %a "$S1")" = 600
lab_exec h1 "$VIGILD" -f "$LAB_DIR/h1.ini" >"$LAB_DIR/second.log" 2>&1
rc=$?
check "a second vigild with h1's configuration refuses to start (exit $rc)" test "$rc" -eq 3
check "... saying another vigild (pid $h1) listens there" \
	grep -q "another vigild (pid $h1) is listening there" "$LAB_DIR/second.log"
"$VIGILCTL" -s "$S1" status >/dev/null
check "h1 still answers after that" test $? -eq 0
check "the VIP is still on h1 alone" lab_vip_held_by $VIP h1
vigil_term h1
check "a clean stop removes the socket" test ! -e "$S1"
lab_kill "$h2" KILL
lab_wait_for 3000 lab_pid_gone "$h2" >/dev/null
check "kill -9 leaves a stale socket" test -S "$S2"
vigil_run h2 2
lab_wait_for 3000 vigil_in_state h2.vigild.log MASTER >/dev/null
"$VIGILCTL" -s "$S2" status --json >"$LAB_DIR/st2b.json"
check "vigild started over the stale socket and answers" test $? -eq 0
jcheck "h2 is MASTER now (h1 stopped)" "$LAB_DIR/st2b.json" 'j["instances"][0]["state"]' MASTER

echo "== a stopped vigild"
# h2 is alone now: freezing it for a second moves nothing.
lab_kill "$h2" STOP
t0=$(now_ms)
"$VIGILCTL" -s "$S2" -t 1 status >/dev/null 2>"$LAB_DIR/err2"
rc=$?
t=$(($(now_ms) - t0))
lab_kill "$h2" CONT
check "vigilctl gives up: exit 4 ($rc)" test "$rc" -eq 4
check_ms "... after the 1 s timeout" "$t" 1500
check "... 'did not answer within 1.0 s'" grep -q 'vigild did not answer within 1.0 s' "$LAB_DIR/err2"
"$VIGILCTL" -s "$S2" status >/dev/null
check "h2 answers again once resumed" test $? -eq 0
vigil_term h2
finish
