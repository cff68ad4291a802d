#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd's notify protocol (etc/vigil.service: Type=notify, WatchdogSec):
# the test plays the service manager. A listener on a unix datagram socket
# in the lab dir (NOTIFY_SOCKET) writes every datagram it gets, with the
# time and the sender's pid, to notify.log; vigild runs with NOTIFY_SOCKET,
# WATCHDOG_USEC and WATCHDOG_PID set to its own pid, as systemd starts it.
# Asserted: READY=1 (with STATUS= and MAINPID=) is the first message and
# comes once the control socket exists; WATCHDOG=1 follows at about
# WatchdogSec/2; none comes while vigild is stopped (SIGSTOP: a hung loop
# would get it restarted), and they resume after SIGCONT; SIGHUP gives
# RELOADING=1 then READY=1, also when the file is refused; SIGTERM gives one
# STOPPING=1; every message was sent by vigild itself (NotifyAccess=main).
#
# To check another notification, add a section that marks notify.log
# (n_mark), does something, and waits for the messages with n_wait and
# n_after.
#
# Usage: bash systemd_notify.sh PATH/TO/vigild
. "$(dirname "$0")/vigil_lab.sh"
lab_require python3

# The watchdog interval systemd would give (WatchdogSec=600ms): vigild
# should ping every 300 ms.
WD_USEC=600000
WD_PING_MS=300

lab_add_host h1 || exit 1
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150
NSOCK=$LAB_DIR/notify.sock
NLOG=$LAB_DIR/notify.log
CTL=$LAB_DIR/h1.sock

# The service manager's end: one line per datagram, "EPOCH_MS PID TEXT",
# the datagram's newlines shown as " ; ", the sender's pid from
# SCM_CREDENTIALS. On READY=1 it also notes whether the control socket
# exists at that moment.
cat >"$LAB_DIR/listener.py" <<'PY'
import os, socket, stat, struct, sys, time
path, out, ctl = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
with open(out, "a", buffering=1) as f:
    while True:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        now = int(time.time() * 1000)
        pid = 0
        for level, kind, d in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", d[:12])[0]
        msg = data.decode(errors="replace")
        extra = ""
        if "READY=1" in msg.split("\n"):
            try:
                kind = "present" if stat.S_ISSOCK(os.stat(ctl).st_mode) else "not-a-socket"
            except OSError:
                kind = "absent"
            extra = " control_socket=" + kind
        f.write("%d %d %s%s\n" % (now, pid, msg.replace("\n", " ; "), extra))
PY
: >"$NLOG"
lab_spawn h1 listener.log python3 "$LAB_DIR/listener.py" "$NSOCK" "$NLOG" "$CTL" >/dev/null
LISTENER=$LAB_PID
lab_wait_for 3000 test -S "$NSOCK" >/dev/null || { echo "the listener did not start" >&2; exit 1; }

# notify.log helpers. LINE is a line number from n_mark; REGEX an ERE on
# the message text (anchor with ' ' around a whole assignment).
n_mark() { echo $(($(wc -l <"$NLOG") + 1)); }
n_after() { tail -n +"$1" "$NLOG" | grep -cE -- "$2" || true; }
n_has() { [ "$(n_after "$1" "$2")" -ge "${3:-1}" ]; }
# n_wait MS LINE REGEX [N]: wait (bounded) for N (default 1) messages
# matching REGEX from line LINE on; prints the ms it took.
n_wait() { lab_wait_for "$1" n_has "$2" "$3" "${4:-1}"; }
# n_between FROM_MS TO_MS REGEX: messages received in that window.
n_between() {
	awk -v a="$1" -v b="$2" -v re="$3" '$1 > a && $1 < b && $0 ~ re { n++ } END { print n + 0 }' "$NLOG"
}
WD=' WATCHDOG=1$'

echo "== start: READY=1 once the control socket exists"
# The wrapper execs vigild, so WATCHDOG_PID is vigild's own pid, as
# systemd sets it.
lab_spawn h1 h1.vigild.log env NOTIFY_SOCKET="$NSOCK" WATCHDOG_USEC=$WD_USEC \
	sh -c 'export WATCHDOG_PID=$$; exec "$0" -f "$1"' "$VIGILD" "$LAB_DIR/h1.ini" >/dev/null
h1=$LAB_PID
ms=$(n_wait 5000 1 ' READY=1 ')
check "READY=1 arrives (after $ms ms)" n_has 1 ' READY=1 '
check "vigild runs as pid $h1 with WATCHDOG_PID=$h1" \
	sh -c "[ \"\$(cat /proc/$h1/comm)\" = vigild ] && tr '\\0' '\\n' </proc/$h1/environ | grep -qx WATCHDOG_PID=$h1"
first=$(head -n1 "$NLOG")
echo "    $first"
check "READY=1 is the first message" grep -q ' READY=1 ' <<<"$first"
check "... the control socket existed when it came" grep -q 'control_socket=present$' <<<"$first"
check "... with STATUS= and MAINPID=$h1" \
	grep -qE " STATUS=running 1 instance\(s\) from $LAB_DIR/h1.ini ; MAINPID=$h1 " <<<"$first"
check "... sent by vigild (pid $h1)" test "$(cut -d' ' -f2 <<<"$first")" = "$h1"
check "vigild logged the control socket before it" \
	vigil_log_has h1.vigild.log "started: 1 instance\(s\) from .*; control socket $CTL"
check "vigild logged the watchdog: a ping every $WD_PING_MS ms" \
	vigil_log_has h1.vigild.log "systemd watchdog: WatchdogSec 600 ms, a ping every $WD_PING_MS ms"

echo "== the watchdog: WATCHDOG=1 every WatchdogSec/2"
m=$(n_mark)
ms=$(n_wait 5000 "$m" "$WD" 6)
n=$(n_after "$m" "$WD")
check "6 pings arrive ($n after $ms ms)" test "$n" -ge 6
# 6 pings span at least 5 intervals (1500 ms) when counted from a random
# instant; generous bounds: not a burst, not much slower than asked.
check "... at about one per $WD_PING_MS ms ($ms ms for 6; 1000..4000 expected)" \
	test "$ms" -ge 1000 -a "$ms" -le 4000

echo "== SIGSTOP: no ping while vigild is stopped; they resume after SIGCONT"
lab_kill "$h1" STOP
lab_wait_for 2000 sh -c "grep -q '^State:.*T (stopped)' /proc/$h1/status" >/dev/null
check "vigild is stopped" grep -q '^State:.*T (stopped)' "/proc/$h1/status"
t_stop=$(now_ms)
# A ping sent just before the stop may still be on its way: count from
# 100 ms after it. Three intervals without one: systemd would have
# restarted vigild by then.
m=$(n_mark)
ms=$(lab_wait_for $((3 * WD_PING_MS + 300)) n_has "$m" "$WD" 2)
check "... no more than the one in flight in $ms ms" test "$(n_after "$m" "$WD")" -le 1
t_cont=$(now_ms)
lab_kill "$h1" CONT
check "... none received while it was stopped" \
	test "$(n_between $((t_stop + 100)) "$t_cont" "$WD")" -eq 0
m=$(n_mark)
ms=$(n_wait 3000 "$m" "$WD" 3)
check "pings resume after SIGCONT (3 after $ms ms)" n_has "$m" "$WD" 3
check "vigild still runs" lab_pid_alive "$h1"

echo "== SIGHUP: RELOADING=1, then READY=1"
m=$(n_mark)
lab_kill "$h1" HUP
ms=$(n_wait 3000 "$m" ' READY=1 ')
check "RELOADING=1 arrives" n_has "$m" ' RELOADING=1 '
check "... then READY=1 ($ms ms after SIGHUP)" n_has "$m" ' READY=1 '
check "... in that order" \
	test "$(tail -n +"$m" "$NLOG" | grep -nE ' RELOADING=1 | READY=1 ' | head -n1 | grep -c RELOADING)" = 1
check "vigild logged the reload" vigil_log_has h1.vigild.log "SIGHUP: reloaded"
m=$(n_mark)
printf 'broken line\n' >>"$LAB_DIR/h1.ini"
lab_kill "$h1" HUP
ms=$(n_wait 3000 "$m" ' READY=1 ')
check "a refused reload also ends with READY=1 ($ms ms)" n_has "$m" ' READY=1 '
check "... and vigild logged the refusal" vigil_log_has h1.vigild.log "SIGHUP: reload refused"
check "vigild still runs" lab_pid_alive "$h1"

echo "== SIGTERM: STOPPING=1"
m=$(n_mark)
lab_kill "$h1" TERM
ms=$(n_wait 3000 "$m" ' STOPPING=1$')
check "STOPPING=1 arrives ($ms ms after SIGTERM)" n_has "$m" ' STOPPING=1$'
lab_wait_for 5000 lab_pid_gone "$h1" >/dev/null
check "vigild exits" lab_pid_gone "$h1"
check "... having said STOPPING=1 once" test "$(n_after "$m" ' STOPPING=1$')" -eq 1
check "READY=1 was said once at start and once after each reload (3)" test "$(n_after 1 ' READY=1 ')" -eq 3
check "... as often as RELOADING=1, plus one" test "$(n_after 1 ' RELOADING=1 ')" -eq 2
others=$(awk -v p="$h1" '$2 != p' "$NLOG" | head -n3)
check "every message came from vigild itself${others:+ (not: $others)}" test -z "$others"
check "vigild logged a clean stop" vigil_log_has h1.vigild.log 'stopped$'
lab_kill "$LISTENER" TERM
finish
