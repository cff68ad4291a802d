#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job in one command: install, build, run a two-node MariaDB lab
# with a vigild beside each server, break the primary four ways and show
# what a client writing through the VIP saw, then tear it all down.
#
# Usage (as root, from a clone, on Debian 12):
#   ./test/lab/failover-lab.sh [--quick] [--cases LIST] [--keep]
#                              [--no-deps] [--vigild PATH] [--build-dir DIR]
#   --quick        only the "kill" case (the CI smoke test uses it)
#   --cases LIST   comma-separated, in order, from: kill,hang,vigild,link
#   --keep         after the cases, leave the lab up for at most 10 minutes
#                  (Enter or Ctrl-C ends it sooner), then tear it down
#   --no-deps      do not run test/deps.sh (packages already installed)
#   --vigild PATH  use this vigild instead of building one
#   --build-dir D  where to build (default: build/lab in the repository)
# Exit: 0 when every case moved the VIP to h2, clients were served by h2,
# and the VIP came back to h1; 1 otherwise; 2 on a bad command line.
#
# The lab (test/lab/lab.sh, test/lab/mariadb.sh and test/integration/
# db_lab.sh do the work; this file only drives them):
#   h1 198.18.0.11  MariaDB primary (server_id 1) + vigild, priority 150
#   h2 198.18.0.12  MariaDB GTID replica of h1 (server_id 2) + vigild, 100
#   c  198.18.0.13  client: every 20 ms a fresh `mariadb` connection to the
#                   VIP 198.18.0.100 runs an INSERT and SELECT @@server_id
# vigild runs DESIGN.md's reference pair: every timing key at its shipped
# default, one mysql_ping check with penalty 60, and preempt = yes, so the
# figures compare with DESIGN.md's targets and a repaired h1 takes the VIP
# back by itself between cases. Production configs say preempt = no: the
# summary counts the acknowledged writes that such a failback loses.
#
# Everything lives in network namespaces vl<PID>-* with addresses from
# 198.18.0.0/24; nothing is added to the host's own namespace. Every wait
# is bounded; processes are killed by pid; the namespaces, servers and temp
# dirs are removed on exit, failure and Ctrl-C.
set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ME=failover-lab
VIP=198.18.0.100
CLIENT_PERIOD_MS=20
ALL_CASES=(kill hang vigild link)
# How long to wait for the VIP to move to h2, and to come back to h1.
MOVE_TIMEOUT_MS=8000
BACK_TIMEOUT_MS=20000

declare -A CASE_TITLE=(
	[kill]="mysqld killed"
	[hang]="mysqld hung"
	[vigild]="vigild killed"
	[link]="link down"
)
declare -A CASE_HOW=(
	[kill]="kill -9 mariadbd on h1"
	[hang]="kill -STOP mariadbd on h1 (TCP still accepted, no greeting)"
	[vigild]="kill -9 vigild on h1 (as if the host died; mariadbd keeps running)"
	[link]="h1's switch port down (no carrier)"
)

usage() { sed -n '/^# Usage/,/^# Exit/p' "$0" | sed 's/^# \{0,1\}//'; }

cases=("${ALL_CASES[@]}")
do_deps=1
keep=0
vigild_bin=
build_dir=${VIGIL_LAB_BUILD_DIR:-$root/build/lab}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) cases=(kill) ;;
	--cases)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		IFS=, read -r -a cases <<<"$2"; shift ;;
	--cases=*) IFS=, read -r -a cases <<<"${1#*=}" ;;
	--keep) keep=1 ;;
	--no-deps) do_deps=0 ;;
	--vigild) [ $# -ge 2 ] || { usage >&2; exit 2; }; vigild_bin=$2; shift ;;
	--build-dir) [ $# -ge 2 ] || { usage >&2; exit 2; }; build_dir=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	*) printf '%s: unknown option %s\n' "$ME" "$1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
for c in "${cases[@]}"; do
	[ -n "${CASE_TITLE[$c]+x}" ] || { printf '%s: unknown case "%s" (kill, hang, vigild, link)\n' "$ME" "$c" >&2; exit 2; }
done
[ ${#cases[@]} -gt 0 ] || { printf '%s: no case given\n' "$ME" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
	printf '%s: run me as root (apt-get, network namespaces, mariadbd)\n' "$ME" >&2
	exit 1
fi

# ---- output helpers ---------------------------------------------------------

T_START=${EPOCHREALTIME/./}
now_us() { printf '%s' "${EPOCHREALTIME/./}"; }
# secs US: microseconds as seconds with 2 decimals ("1.23").
secs() { local ms=$(( ($1 + 500) / 1000 )); printf '%d.%02d' $((ms / 1000)) $(((ms % 1000 + 5) / 10 % 100)); }
# secs3 US: with 3 decimals, for events measured to the millisecond.
secs3() { local ms=$(( ($1 + 500) / 1000 )); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
step_n=0
STEPS=6
step() { step_n=$((step_n + 1)); printf '\n[%d/%d] %s\n' "$step_n" "$STEPS" "$*"; }
say() { printf '      %s\n' "$*"; }
fail() { printf '      FAILED: %s\n' "$*"; }

# tail_file TITLE FILE [LINES]: a log excerpt, indented.
tail_file() {
	[ -s "$2" ] || return 0
	printf '      --- %s (last %s lines of %s)\n' "$1" "${3:-12}" "$2"
	tail -n "${3:-12}" "$2" | sed 's/^/      | /'
}

# ---- steps 1 and 2: dependencies and build (no lab yet) --------------------

printf '%s: the VIP %s follows the healthy MariaDB server (run %s)\n' "$ME" "$VIP" "$(date '+%F %T')"

step "dependencies"
if [ "$do_deps" = 1 ]; then
	t0=$(now_us)
	deps_log=$(mktemp "${TMPDIR:-/tmp}/vigil-deps.XXXXXX")
	if ! "$root/test/deps.sh" >"$deps_log" 2>&1; then
		fail "test/deps.sh failed"
		tail_file "deps.sh" "$deps_log" 20
		rm -f "$deps_log"
		exit 1
	fi
	say "$(grep '^deps.sh:' "$deps_log" | tail -n1 | sed 's/^deps.sh: //') ($(secs $(( $(now_us) - t0 ))) s)"
	rm -f "$deps_log"
else
	say "skipped (--no-deps)"
fi

step "build vigild"
if [ -n "$vigild_bin" ]; then
	[ -x "$vigild_bin" ] || { fail "--vigild $vigild_bin: not an executable"; exit 1; }
	say "using $vigild_bin (--vigild)"
else
	t0=$(now_us)
	build_log=$(mktemp "${TMPDIR:-/tmp}/vigil-build.XXXXXX")
	vigild_bin=$build_dir/agent/vigild
	before=$(stat -c %Y "$vigild_bin" 2>/dev/null || echo none)
	# Only the daemon: the lab needs nothing else, and it is the quickest.
	if { [ -f "$build_dir/CMakeCache.txt" ] ||
	     cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo; } >"$build_log" 2>&1 &&
	   cmake --build "$build_dir" --target vigild -j"$(nproc)" >>"$build_log" 2>&1; then
		after=$(stat -c %Y "$vigild_bin" 2>/dev/null || echo none)
		if [ "$before" = "$after" ]; then what="up to date"; else what="built"; fi
		say "$vigild_bin $what ($(secs $(( $(now_us) - t0 ))) s)"
		rm -f "$build_log"
	else
		fail "the build failed"
		tail_file "cmake" "$build_log" 25
		rm -f "$build_log"
		exit 1
	fi
fi

# ---- the lab ----------------------------------------------------------------

# Our own EXIT/INT/TERM traps (set below) stop the servers and tear the lab
# down in one place; mariadb.sh must not install its own.
MDB_NO_TRAP=1
# h2 writes even ids, h1 odd ones (auto_increment_offset is set on h2
# below): rows h2 takes while it holds the VIP never collide with rows
# replicated from h1 afterwards, so replication keeps running across cases.
MDB_EXTRA_CNF=auto_increment_increment=2
# shellcheck source=../integration/vigil_lab.sh
. "$root/test/integration/vigil_lab.sh" "$vigild_bin" # lab_require + lab_init
# shellcheck source=../integration/db_lab.sh
. "$root/test/integration/db_lab.sh"

RUN_LOG=$LAB_DIR/run.log
# A terminal's Ctrl-C goes to our whole process group, and lab_spawn leaves
# daemons in it. vigild stops on SIGINT (right for a daemon run by hand),
# which would release the VIP under a case and make bash skip our INT trap
# (it runs it only when the foreground command died of SIGINT). So vigild
# runs in a session of its own: setsid execs it under the same pid (a
# background job of a script is no group leader), which lab_spawn records.
printf '#!/bin/sh\nexec setsid -- %q "$@"\n' "$VIGILD" >"$LAB_DIR/vigild"
chmod 755 "$LAB_DIR/vigild"
VIGILD=$LAB_DIR/vigild
CLIENT_LOG=$LAB_DIR/client.attempts
CLIENT_STOP=$LAB_DIR/client.stop
PY=$LAB_DIR/flab.py
logs_shown=0
interrupted=0

# show_logs: the tails a reader needs when something went wrong.
show_logs() {
	[ "$logs_shown" = 0 ] || return 0
	logs_shown=1
	printf '\n      logs of this run:\n'
	tail_file "h1 vigild" "$LAB_DIR/h1.vigild.log"
	tail_file "h2 vigild" "$LAB_DIR/h2.vigild.log"
	tail_file "h1 mariadbd" "$(db_dir h1)/error.log" 8
	tail_file "h2 mariadbd" "$(db_dir h2)/error.log" 8
	tail_file "lab commands" "$RUN_LOG" 8
	if [ -s "$CLIENT_LOG" ]; then
		printf '      --- client: last attempts (seq start_us end_us result)\n'
		tail -n 5 "$CLIENT_LOG" | sed 's/^/      | /'
	fi
}

on_exit() {
	local rc=$? t0
	trap - EXIT INT TERM
	[ "$interrupted" = 0 ] || { rc=$interrupted; printf '\n%s: interrupted\n' "$ME"; }
	[ "$rc" -eq 0 ] || [ "$interrupted" != 0 ] || show_logs
	[ "$step_n" -ge "$STEPS" ] || step_n=$((STEPS - 1))
	step "teardown"
	t0=$(now_us)
	[ -z "${LAB_DIR:-}" ] || : >"$CLIENT_STOP"
	# Servers first (SIGKILL: their data is thrown away), then the lab
	# kills every pid it recorded (vigild gets SIGTERM and releases the VIP)
	# and deletes the namespaces and $LAB_DIR.
	mdb_cleanup >>"${RUN_LOG:-/dev/null}" 2>&1
	local prefix=$LAB_PREFIX dir=$LAB_DIR
	if lab_teardown; then
		say "processes stopped, namespaces $prefix-* deleted, $dir removed ($(secs $(( $(now_us) - t0 ))) s)"
	else
		fail "teardown left something behind (see above)"
		[ "$rc" -ne 0 ] || rc=1
	fi
	printf '%s: finished in %s s, exit %d\n' "$ME" "$(secs $(( $(now_us) - T_START )))" "$rc"
	exit "$rc"
}
trap on_exit EXIT
trap 'interrupted=130; exit 130' INT
trap 'interrupted=143; exit 143' TERM

# The client and the report, in Python (standard library only); it speaks
# to MariaDB through the `mariadb` client, one process per attempt.
cat >"$PY" <<'PYEOF'
# SPDX-License-Identifier: GPL-2.0-or-later
# failover-lab's client (one fresh `mariadb` connection to the VIP every
# period, several in flight when a server hangs) and its reports.
import os, re, shlex, signal, subprocess, sys, time
from collections import Counter
from datetime import datetime

def now_us():
    return int(time.time() * 1e6)

def client(vip, cnf, out, stop, period_ms, max_s):
    """Start an attempt every period (never catching up in bursts), at most
    100 in flight; kill one still running after 2.5 s (connect-timeout is 1 s,
    but a query on a server that hangs afterwards has no timeout). Each line:
    seq start_us end_us ok SERVER_ID | err CODE TEXT | timeout."""
    parent = os.getppid()
    period = period_ms / 1000.0
    end = time.time() + max_s
    fly = {}
    # On SIGTERM (the lab's teardown) take the attempts in flight along.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        run(vip, cnf, out, stop, period, end, parent, fly)
    finally:
        for p, _ in fly.values():
            p.kill()
            p.wait()

def run(vip, cnf, out, stop, period, end, parent, fly):
    nxt = time.time()
    seq = 0
    with open(out, "a", buffering=1) as f:
        while True:
            t = time.time()
            stopping = t >= end or os.path.exists(stop) or os.getppid() != parent
            if not stopping and t >= nxt:
                nxt = max(nxt + period, t)
                if len(fly) < 100:
                    seq += 1
                    sql = ("INSERT INTO appdb.w (v, server_id) VALUES (%d, @@server_id);"
                           " SELECT @@server_id" % seq)
                    p = subprocess.Popen(["mariadb", "--defaults-file=" + cnf, "-h", vip,
                                          "-P", "3306", "--connect-timeout=1", "-N", "-B",
                                          "-e", sql], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                    fly[seq] = (p, now_us())
            for s in list(fly):
                p, st = fly[s]
                rc = p.poll()
                if rc is None:
                    if now_us() - st > 2500000:
                        p.kill()
                        p.communicate()
                        f.write("%d %d %d timeout\n" % (s, st, now_us()))
                        del fly[s]
                    continue
                o, e = p.communicate()
                en = now_us()
                o = o.decode(errors="replace").strip()
                e = e.decode(errors="replace").strip().splitlines()
                if rc == 0 and o.isdigit():
                    f.write("%d %d %d ok %s\n" % (s, st, en, o))
                else:
                    m = re.search(r"ERROR (\d+)", " ".join(e))
                    f.write("%d %d %d err %s %s\n" % (s, st, en, m.group(1) if m else "exit%d" % rc,
                                                       " | ".join(e)[:160]))
                del fly[s]
            if stopping and not fly:
                return
            time.sleep(0.002)

def attempts(path):
    out = []
    with open(path) as f:
        for line in f:
            w = line.split(None, 5)
            if len(w) < 4:
                continue
            out.append({"seq": int(w[0]), "start": int(w[1]), "end": int(w[2]),
                        "ok": w[3] == "ok", "sid": w[4] if w[3] == "ok" else None,
                        "code": w[4] if w[3] == "err" else w[3]})
    return out

def hosts(sids):
    return ",".join("h" + s for s in sorted(set(sids))) or "nobody"

def case(path, fault, restore, back, old_sid, new_sid):
    """Shell assignments describing the client's view of one case:
    fault..restore (the fault), restore..back (the failback)."""
    a = attempts(path)
    before = [x["sid"] for x in a if x["ok"] and fault - 400000 <= x["end"] < fault]
    peer = [x for x in a if x["ok"] and x["sid"] == new_sid and x["end"] >= fault and x["end"] < restore]
    first = min((x["end"] for x in peer), default=None)
    limit = first if first is not None else restore
    failed = [x for x in a if not x["ok"] and x["end"] >= fault and x["start"] < limit]
    old_after = [x for x in a if x["ok"] and x["sid"] == old_sid and x["start"] >= fault and x["end"] < limit]
    after = [x["sid"] for x in a if x["ok"] and first is not None and first <= x["end"] < restore]
    # The longest stretch with no successful answer at all, fault..restore.
    oks = sorted(x["end"] for x in a if x["ok"] and fault - 1000000 <= x["end"] < restore)
    gap, prev = 0, None
    for t in oks:
        if prev is not None and t >= fault:
            gap = max(gap, t - max(prev, fault))
        prev = t
    if oks and oks[-1] < fault:
        gap = restore - fault
    codes = Counter(x["code"] for x in failed)
    why = ", ".join("%d x %s" % (n, ("ERROR " + c) if c.isdigit() else c)
                    for c, n in codes.most_common())
    # Failback: attempts started after the repair that failed (those still
    # hanging from the fault are the fault's).
    fb = [x for x in a if not x["ok"] and restore <= x["start"] < back]
    v = {"c_before": hosts(before), "c_waited": -1 if first is None else first - fault,
         "c_failed": len(failed), "c_why": why, "c_old_after": len(old_after),
         "c_after": hosts(after), "c_gap": gap, "c_fb_failed": len(fb),
         "c_total": len([x for x in a if x["end"] >= fault and x["start"] < restore])}
    for k, x in v.items():
        print("%s=%s" % (k, shlex.quote(str(x))))

def events(since, until, logs):
    """vigild's state and priority changes and check verdicts between two
    instants, merged from several logs, as '+S.SSS HOST text'."""
    rx = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) vigild \w+: (.*)$")
    base = datetime.fromtimestamp(since / 1e6)
    out = []
    for arg in logs:
        host, path = arg.split("=", 1)
        try:
            lines = open(path, errors="replace").read().splitlines()
        except OSError:
            continue
        for line in lines:
            m = rx.match(line)
            if not m:
                continue
            text = m.group(5)
            if not re.search(r"-> [A-Z0-9]|^check \S+: |CONFIGURATION|stale VIP", text):
                continue
            t = base.replace(hour=int(m.group(1)), minute=int(m.group(2)),
                             second=int(m.group(3)), microsecond=int(m.group(4)) * 1000)
            us = int(t.timestamp() * 1e6)
            # A log line from just before or after midnight.
            if us - since > 43200e6:
                us -= int(86400e6)
            elif since - us > 43200e6:
                us += int(86400e6)
            if since - 1000 <= us <= until:
                text = re.sub(r"^instance \S+: ", "", text)
                out.append((us, host, text))
    for us, host, text in sorted(out):
        d = (us - since) / 1e6
        print("%+.3f  %-3s %s" % (d, host, text[:110]))

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd != "client":
        # Die of Ctrl-C instead of raising KeyboardInterrupt: bash runs its
        # INT trap only when the foreground command was killed by SIGINT.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    if cmd == "client":
        client(args[0], args[1], args[2], args[3], int(args[4]), int(args[5]))
    elif cmd == "case":
        case(args[0], *[int(x) for x in args[1:4]], args[4], args[5])
    elif cmd == "events":
        events(int(args[0]), int(args[1]), args[2:])
PYEOF

# vip_has HOST: HOST's eth0 carries the VIP (perhaps with others: a stale
# VIP of a killed vigild stays on its host).
vip_has() { [[ " $(lab_vip_holder "$VIP") " == *" $1 "* ]]; }
vip_where() { local w; w=$(lab_vip_holder "$VIP"); printf '%s' "${w:-nobody}"; }

# served_by SID SINCE_US: the client's latest finished attempt started
# after SINCE_US and was answered by server SID.
served_by() {
	awk -v sid="$1" -v since="$2" '$2 >= since { last = ($4 == "ok" && $5 == sid) }
		END { exit !last }' "$CLIENT_LOG" 2>/dev/null
}
# answered_by_since SID SINCE_US: some attempt started after SINCE_US was
# answered by SID.
answered_by_since() {
	awk -v sid="$1" -v since="$2" '$2 >= since && $4 == "ok" && $5 == sid { f = 1; exit }
		END { exit !f }' "$CLIENT_LOG" 2>/dev/null
}

# wait_ms MS CMD...: lab_wait_for, result in WAITED_MS; returns its status.
wait_ms() {
	local rc
	WAITED_MS=$(lab_wait_for "$@") && rc=0 || rc=1
	return $rc
}

step "lab: two MariaDB servers, two vigild, one client"
t0=$(now_us)
if ! db_lab_up >>"$RUN_LOG" 2>&1; then
	fail "the MariaDB lab did not come up"
	exit 1
fi
db_sql h2 "SET GLOBAL auto_increment_offset = 2" >>"$RUN_LOG" 2>&1 || { fail "cannot set h2's auto_increment_offset"; exit 1; }
say "namespaces $LAB_PREFIX-{sw,h1,h2,c}, lab dir $LAB_DIR"
say "h1 $(lab_addr h1)  MariaDB $(db_sql h1 'SELECT VERSION()' | cut -d- -f1) primary (server_id 1)"
say "h2 $(lab_addr h2)  MariaDB GTID replica of h1 (server_id 2), writable"
say "c  $(lab_addr c)  client, writes through the VIP $VIP"
say "servers up and replicating in $(secs $(( $(now_us) - t0 ))) s"

# DESIGN.md's reference pair: shipped timing defaults (advert_interval= keeps
# vigild's default), mysql_ping with penalty 60, preempt yes.
for h in h1 h2; do
	prio=150; [ "$h" = h2 ] && prio=100
	db_vigil_conf "$h" "$LAB_DIR/$h.ini" priority="$prio" advert_interval= preempt=yes \
		ping="penalty = 60" || { fail "cannot write $h.ini"; exit 1; }
done
if ! "$VIGILD" -t -f "$LAB_DIR/h1.ini" --peer-priority 100 >"$LAB_DIR/h1.t" 2>&1; then
	fail "vigild -t refused h1.ini"; cat "$LAB_DIR/h1.t"; exit 1
fi
adv=$(sed -n 's/.*advert_interval \([0-9.a-z]*\),.*/\1/p' "$LAB_DIR/h1.t" | head -n1)
chk=$(sed -n 's/^  \(interval .*\)$/\1/p' "$LAB_DIR/h1.t" | head -n1)
failed_prio=$(awk '$1 == "ping" && $2 == "failed" { print $3; exit }' "$LAB_DIR/h1.t")
say "vigild: adverts every ${adv:-?}; ping check ${chk:-?} (shipped defaults)"
say "        preempt yes; ping penalty 60: h1 150 -> ${failed_prio:-?} when its database fails, below h2's 100"

t0=$(now_us)
vigil_start h1 "$LAB_DIR/h1.ini" || { fail "vigild did not start on h1"; exit 1; }
VPID_h1=$LAB_PID
vigil_start h2 "$LAB_DIR/h2.ini" || { fail "vigild did not start on h2"; exit 1; }
VPID_h2=$LAB_PID
if ! wait_ms 10000 lab_vip_held_by "$VIP" h1; then
	fail "the VIP is not on h1 after $WAITED_MS ms (it is on: $(vip_where))"; exit 1
fi
say "VIP on h1 $(secs $(( $(now_us) - t0 ))) s after vigild started"

lab_spawn c client.log python3 "$PY" client "$VIP" "$LAB_DIR/app.cnf" "$CLIENT_LOG" \
	"$CLIENT_STOP" "$CLIENT_PERIOD_MS" $(( keep ? 900 : 300 )) >/dev/null
t0=$(now_us)
if ! wait_ms 5000 answered_by_since 1 "$t0"; then
	fail "the client got no answer from h1 through the VIP"; exit 1
fi
say "client: a fresh connection every $CLIENT_PERIOD_MS ms (INSERT, SELECT @@server_id), answered by h1"

# ---- the cases ---------------------------------------------------------------

# Targets from DESIGN.md for this pair: priority 100 backup, 200 ms adverts:
# Skew_Time = (256-100)*200/256 = 121.9 ms, Master_Down_Interval = 3*200 +
# Skew = 721.9 ms (RFC 5798 6.1).
declare -A TARGET_MS=([kill]=500 [hang]=1500 [vigild]=772 [link]=772)
declare -A R_MOVE R_WAIT R_GAP R_FAILED R_BACK R_OK
ncase=${#cases[@]}
passed=0

# do_fault CASE / do_restore CASE: the fault and its repair, on h1.
do_fault() {
	local pid
	case $1 in
	kill) pid=$(mdb_pid "$(db_dir h1)") && kill -KILL "$pid" ;;
	hang) pid=$(mdb_pid "$(db_dir h1)") && kill -STOP "$pid" ;;
	vigild) lab_kill "$VPID_h1" KILL ;;
	link) lab_link_down h1 bridge ;;
	esac
}
do_restore() {
	case $1 in
	kill)
		mdb_start "$(db_dir h1)" "$(lab_ns h1)" 3306 0.0.0.0 >>"$RUN_LOG" 2>&1 &&
			lab_track "$(mdb_pid "$(db_dir h1)")" h1 mariadbd ;;
	hang) kill -CONT "$(mdb_pid "$(db_dir h1)")" ;;
	vigild) vigil_start h1 "$LAB_DIR/h1.ini" && VPID_h1=$LAB_PID ;;
	link) lab_link_up h1 bridge ;;
	esac
}
declare -A RESTORE_HOW=(
	[kill]="mariadbd restarted on h1 (crash recovery)"
	[hang]="kill -CONT mariadbd on h1"
	[vigild]="vigild restarted on h1"
	[link]="h1's switch port up"
)

step "faults on the primary h1, one after the other (restored in between)"
i=0
for c in "${cases[@]}"; do
	i=$((i + 1))
	ok=1
	printf '\n  case %d/%d  %s: %s\n' "$i" "$ncase" "${CASE_TITLE[$c]}" "${CASE_HOW[$c]}"
	# A calm start: h1 alone holds the VIP and answers the client.
	t0=$(now_us)
	if ! wait_ms 10000 lab_vip_held_by "$VIP" h1 || ! wait_ms 5000 answered_by_since 1 "$t0"; then
		fail "h1 is not serving before the fault (VIP on: $(vip_where))"
		R_OK[$c]=0; show_logs; continue
	fi
	sleep 0.5

	t_fault=$(now_us)
	if ! do_fault "$c" >>"$RUN_LOG" 2>&1; then
		fail "could not inject the fault"; R_OK[$c]=0; show_logs; break
	fi
	say "$(printf '%(%T)T' "${t_fault:0:-6}").$(printf '%03d' $((10#${t_fault: -6} / 1000)))  fault injected"
	move_us=-1
	if wait_ms "$MOVE_TIMEOUT_MS" vip_has h2; then
		move_us=$(( $(now_us) - t_fault ))
	else
		fail "the VIP did not reach h2 within $MOVE_TIMEOUT_MS ms (it is on: $(vip_where))"; ok=0
	fi
	# Let the client's view settle: served by h2, then a short look.
	[ "$ok" = 0 ] || wait_ms 5000 served_by 2 "$t_fault" ||
		{ fail "the client is not served by h2 $WAITED_MS ms after the VIP moved"; ok=0; }
	sleep 0.5
	where=$(vip_where)
	python3 "$PY" events "$t_fault" "$(now_us)" h1="$LAB_DIR/h1.vigild.log" \
		h2="$LAB_DIR/h2.vigild.log" | sed 's/^/      /'
	[ "$move_us" -lt 0 ] || say "+$(secs3 "$move_us")  VIP on h2 (seen from the lab)"
	case $where in
	h2) say "VIP now on: h2" ;;
	"h1 h2") say "VIP now on: h2, and still on h1: vigild was killed, so nobody removed it (a stale VIP; h2's gratuitous ARP points clients to h2)" ;;
	*) say "VIP now on: $where" ;;
	esac

	t_restore=$(now_us)
	if ! do_restore "$c" >>"$RUN_LOG" 2>&1; then
		fail "could not restore h1 (${RESTORE_HOW[$c]})"; ok=0
	fi
	back_us=-1
	if wait_ms "$BACK_TIMEOUT_MS" lab_vip_held_by "$VIP" h1; then
		back_us=$(( $(now_us) - t_restore ))
		t1=$(now_us)
		wait_ms 5000 served_by 1 "$t1" || { fail "the client is not served by h1 again"; ok=0; }
	else
		fail "the VIP is not back on h1 alone after $BACK_TIMEOUT_MS ms (it is on: $(vip_where))"; ok=0
	fi
	t_back=$(now_us)
	sleep 0.3 # lets attempts started before t_back finish (bounded: the client kills at 2.5 s)

	# The client's view: c_before, c_waited, c_failed, c_why, c_old_after,
	# c_after, c_gap, c_fb_failed, c_total (see flab.py's case()).
	c_before=nobody c_waited=-1 c_failed=0 c_why='' c_old_after=0 c_after=nobody c_gap=0 c_fb_failed=0 c_total=0
	eval "$(python3 "$PY" case "$CLIENT_LOG" "$t_fault" "$t_restore" "$t_back" 1 2)"
	if [ "$c_waited" -ge 0 ]; then
		say "client: answered by $c_before before the fault; first answer from h2 $(secs3 "$c_waited") s after it"
	else
		say "client: answered by $c_before before the fault; no answer from h2 before the repair"; ok=0
	fi
	line="        $c_failed of $c_total attempts failed"
	[ -z "$c_why" ] || line+=" ($c_why)"
	line+="; longest stretch without any answer $(secs3 "$c_gap") s"
	say "$line"
	[ "$c_old_after" -eq 0 ] || say "        h1 kept answering $c_old_after attempts after the fault (its mariadbd was fine)"
	say "        answered by $c_after after the move"
	if [ "$back_us" -ge 0 ]; then
		say "repair: ${RESTORE_HOW[$c]}; VIP back on h1 after $(secs "$back_us") s (preempt yes), $c_fb_failed attempts failed meanwhile"
	fi
	[ "$c_after" = h2 ] || ok=0

	R_MOVE[$c]=$move_us; R_WAIT[$c]=$c_waited; R_GAP[$c]=$c_gap; R_FAILED[$c]="$c_failed/$c_total"
	R_BACK[$c]=$back_us; R_OK[$c]=$ok
	if [ "$ok" = 1 ]; then passed=$((passed + 1)); else show_logs; fi
	# Without h1 back, the next case cannot start.
	[ "$back_us" -ge 0 ] || break
done
: >"$CLIENT_STOP"

# ---- summary -------------------------------------------------------------------

step "summary: what the client saw"
fmt='  %-14s %10s %13s %9s %7s %10s %8s %9s\n'
printf "$fmt" case "VIP on h2" "served by h2" target "" "no answer" failed "VIP back"
for c in "${cases[@]}"; do
	[ -n "${R_OK[$c]+x}" ] || { printf "$fmt" "${CASE_TITLE[$c]}" "not run" - - - - - -; continue; }
	mv=-; w=-; g=-; b=-; vs=-
	[ "${R_MOVE[$c]:--1}" -lt 0 ] || mv="$(secs3 "${R_MOVE[$c]}") s"
	if [ "${R_WAIT[$c]:--1}" -ge 0 ]; then
		w="$(secs3 "${R_WAIT[$c]}") s"
		if [ "${R_WAIT[$c]}" -le $(( TARGET_MS[$c] * 1000 )) ]; then vs=within; else vs=OVER; fi
	fi
	[ -z "${R_GAP[$c]:-}" ] || g="$(secs3 "${R_GAP[$c]}") s"
	[ "${R_BACK[$c]:--1}" -lt 0 ] || b="$(secs "${R_BACK[$c]}") s"
	printf "$fmt" "${CASE_TITLE[$c]}" "$mv" "$w" "$(secs3 $(( TARGET_MS[$c] * 1000 ))) s" "$vs" \
		"$g" "${R_FAILED[$c]:--}" "$b"
done
echo
say "VIP on h2: fault -> VIP on h2's eth0.  served by h2: fault -> first client write answered by h2;"
say "target: DESIGN.md's for this pair (one run here, DESIGN.md means the median of 5)."
say "no answer: longest time without any write answered.  failed: attempts that got an error, of all"
say "started from the fault to the repair.  VIP back: repair -> VIP on h1 alone again (preempt yes)."
w1=$(db_sql h1 "SELECT COUNT(*) FROM appdb.w WHERE server_id = 2" 2>>"$RUN_LOG")
w2=$(db_sql h2 "SELECT COUNT(*) FROM appdb.w WHERE server_id = 2" 2>>"$RUN_LOG")
say "data: h2 acknowledged ${w2:-?} writes while it held the VIP; h1 has ${w1:-?} of them after failing back."
say "      That is why etc/vigil.ini says preempt = no: this demo fails back only to repeat the cases."

rc=1
[ "$passed" -ne "$ncase" ] || rc=0
printf '\n%s: %d of %d cases passed' "$ME" "$passed" "$ncase"
[ "$rc" -ne 0 ] || printf ' (VIP moved to h2, clients served by h2, VIP back on h1)'
printf '\n'

if [ "$keep" = 1 ]; then
	# Ending the hold with Ctrl-C is no failure: exit with the cases' result.
	trap 'echo; exit $rc' INT TERM
	printf '\n      --keep: the lab stays up for at most 10 minutes (Enter or Ctrl-C ends it). Try:\n'
	say "ip netns exec $LAB_PREFIX-c mariadb --defaults-file=$LAB_DIR/app.cnf -h $VIP -e 'SELECT @@server_id'"
	say "ip netns exec $LAB_PREFIX-h1 ip -br addr"
	say "tail -f $LAB_DIR/h1.vigild.log"
	say "mariadbd pids: h1 $(mdb_pid "$(db_dir h1)"), h2 $(mdb_pid "$(db_dir h2)"); vigild pids: h1 $VPID_h1, h2 $VPID_h2"
	if [ -t 0 ]; then read -r -t 600 _ || true; else sleep 600; fi
fi
exit "$rc"
