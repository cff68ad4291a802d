#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job in one command: install, build, run a two-node MariaDB lab
# with a vigild beside each server and data safety on (manage_read_only),
# break the primary six ways and show what a client writing through the VIP
# saw and whether any write it was told succeeded got lost, then tear it all
# down.
#
# Usage (as root, from a clone, on Debian 12):
#   ./test/lab/failover-lab.sh [--quick] [--cases LIST] [--no-baseline] [--keep]
#                              [--no-deps] [--vigild PATH] [--build-dir DIR]
#   --quick        only the "kill" case, no baseline (the CI smoke test uses it)
#   --cases LIST   comma-separated, in order, from:
#                  kill,hang,vigild,link,delayed,partition
#   --no-baseline  do not run delayed and partition again without
#                  manage_read_only
#   --keep         after the cases, leave the lab up for at most 10 minutes
#                  (Enter or Ctrl-C ends it sooner), then tear it down; implies
#                  --no-baseline, so the lab left up is the data-safety one
#   --no-deps      do not run test/deps.sh (packages already installed)
#   --vigild PATH  use this vigild instead of building one
#   --build-dir D  where to build (default: build/lab in the repository)
# Exit: 0 when every case (with manage_read_only) lost no acknowledged write,
# never had two writable servers at once, and the VIP went where it should:
# to h2 and, after the repair, back to h1 (kill, hang, link, delayed), or it
# stayed on h1 (vigild, partition); 1 otherwise; 2 on a bad command line.
# The runs without manage_read_only only show what it prevents: their
# losses do not count.
#
# The cases, each on the primary h1:
#   kill       kill -9 of mariadbd
#   hang       SIGSTOP of mariadbd (TCP still accepted, no greeting)
#   vigild     kill -9 of vigild beside a healthy mariadbd (as if only the
#              agent died): h2's witness finds the VIP served, nothing moves
#   link       h1's switch port down (no carrier)
#   delayed    h2 applies events 3 s late (MASTER_DELAY), then kill -9 of
#              h1's mariadbd: h2 holds the VIP at once but takes writes only
#              once its relay log is applied (read-only until then: 1290)
#   partition  VRRP (IP protocol 112) dropped between h1 and h2 for 10 s,
#              TCP still working: the VIP stays on h1, one writable server
# delayed and partition run once more at the end without manage_read_only
# (the keys of a pre-data-safety vigil.ini, servers writable as before), each
# in a fresh pair of servers: the summary prints their loss next to the
# data-safety figures.
#
# The lab (test/lab/lab.sh, test/lab/mariadb.sh and test/integration/
# db_lab.sh do the work; this file only drives them):
#   h1 198.18.0.11  MariaDB primary (server_id 1) + vigild, priority 150
#   h2 198.18.0.12  MariaDB GTID replica of h1 (server_id 2) + vigild, 100
#   c  198.18.0.13  client: every 20 ms a fresh `mariadb` connection to the
#                   VIP 198.18.0.100 as the application's user runs an INSERT
#                   and SELECT @@server_id; a watcher reads @@read_only of
#                   both servers (as root, on their sockets) and where the
#                   VIP is, every 100 ms
# Servers: docs/data-safety.md's settings (db_lab_up with DB_PROFILE=ds):
# gtid_strict_mode, semi-synchronous replication AFTER_SYNC, read_only = ON
# in my.cnf, the vigil user's grants; the application user has no READ ONLY
# ADMIN; and skip_slave_start (see MDB_EXTRA_CNF below). vigild runs
# docs/design.md's reference pair (every timing key at its shipped default,
# one mysql_ping check with penalty 60, preempt = yes) plus
# manage_read_only = yes, database_peers (the other server) and
# witness = yes, every other data-safety key at its default.
#
# Between cases h1 is repaired as a DBA would (docs/data-safety.md 7): its
# mariadbd started again if it was killed or hung (read_only = ON from
# my.cnf), its @@gtid_binlog_state compared with h2's (transactions h2 lacks
# were never acknowledged to a client, semi-sync; if there are any, h1 is
# rebuilt: a fresh datadir that replicates h2's whole binary log), then made
# a GTID replica of h2 (db_rejoin). Once it caught up it is eligible again
# and, preempt = yes, takes the VIP back through its promotion gate (h2
# read-only first, then h1 opens). Last, h2 is made a replica of h1 again.
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
WATCH_PERIOD_MS=100
ALL_CASES=(kill hang vigild link delayed partition)
# How long to wait for the VIP to move to h2, and to come back to h1.
MOVE_TIMEOUT_MS=8000
BACK_TIMEOUT_MS=20000
# The delayed replica's MASTER_DELAY, and how long VRRP is cut.
DELAY_S=3
PART_S=10

declare -A CASE_TITLE=(
	[kill]="mysqld killed"
	[hang]="mysqld hung"
	[vigild]="vigild killed"
	[link]="link down"
	[delayed]="delayed replica"
	[partition]="VRRP partition"
)
declare -A CASE_HOW=(
	[kill]="kill -9 mariadbd on h1"
	[hang]="kill -STOP mariadbd on h1 (TCP still accepted, no greeting)"
	[vigild]="kill -9 vigild on h1 (only the agent dies; mariadbd keeps serving on the VIP)"
	[link]="h1's switch port down (no carrier)"
	[delayed]="h2 applies events ${DELAY_S} s late (MASTER_DELAY), then kill -9 mariadbd on h1"
	[partition]="VRRP (IP protocol 112) dropped between h1 and h2 for ${PART_S} s, TCP still working"
)
# move: the VIP must go to h2 (and come back after the repair); stay: it
# must stay on h1 alone at every sample.
declare -A CASE_EXPECT=([kill]=move [hang]=move [vigild]=stay [link]=move [delayed]=move [partition]=stay)
# Cases that also run without manage_read_only (in a lab of their own).
declare -A CASE_BASELINE=([delayed]=1 [partition]=1)

usage() { sed -n '/^# Usage/,/^#$/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

cases=("${ALL_CASES[@]}")
do_deps=1
keep=0
baseline=1
vigild_bin=
build_dir=${VIGIL_LAB_BUILD_DIR:-$root/build/lab}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) cases=(kill); baseline=0 ;;
	--cases)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		IFS=, read -r -a cases <<<"$2"; shift ;;
	--cases=*) IFS=, read -r -a cases <<<"${1#*=}" ;;
	--no-baseline) baseline=0 ;;
	--keep) keep=1; baseline=0 ;;
	--no-deps) do_deps=0 ;;
	--vigild) [ $# -ge 2 ] || { usage >&2; exit 2; }; vigild_bin=$2; shift ;;
	--build-dir) [ $# -ge 2 ] || { usage >&2; exit 2; }; build_dir=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	*) printf '%s: unknown option %s\n' "$ME" "$1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
for c in "${cases[@]}"; do
	[ -n "${CASE_TITLE[$c]+x}" ] ||
		{ printf '%s: unknown case "%s" (%s)\n' "$ME" "$c" "$(IFS=,; echo "${ALL_CASES[*]}")" >&2; exit 2; }
done
[ ${#cases[@]} -gt 0 ] || { printf '%s: no case given\n' "$ME" >&2; exit 2; }
base_cases=()
if [ "$baseline" = 1 ]; then
	for c in "${cases[@]}"; do [ -z "${CASE_BASELINE[$c]:-}" ] || base_cases+=("$c"); done
fi
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
[ ${#base_cases[@]} -eq 0 ] || STEPS=7
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

printf '%s: the VIP %s follows the healthy MariaDB server, without losing a write (run %s)\n' \
	"$ME" "$VIP" "$(date '+%F %T')"

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
# docs/data-safety.md's server settings: GTID strict mode, semi-sync
# AFTER_SYNC, read_only = ON in my.cnf, the vigil user's grants.
DB_PROFILE=ds
# And skip_slave_start: an old primary that was a replica once (here: from
# the second case on) would otherwise start replicating by itself when its
# mariadbd starts again, from a stale position, before the DBA has looked
# for transactions its new master lacks (docs/data-safety.md 7).
MDB_EXTRA_CNF=skip_slave_start=ON
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
CLIENT_LOG=$LAB_DIR/client.ds.attempts
CLIENT_STOP=$LAB_DIR/client.ds.stop
CLIENT_PID=
WATCH_LOG=$LAB_DIR/watch.samples
WATCH_STOP=$LAB_DIR/watch.stop
PY=$LAB_DIR/flab.py
logs_shown=0
interrupted=0
VPID_h1='' VPID_h2=''

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
	if [ -s "$WATCH_LOG" ]; then
		printf '      --- watcher: last samples (time_us read_only... vip=)\n'
		tail -n 5 "$WATCH_LOG" | sed 's/^/      | /'
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
	if [ -n "${LAB_DIR:-}" ]; then : >"$CLIENT_STOP"; : >"$WATCH_STOP"; fi
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

# The client, the watcher and the report, in Python (standard library only);
# they speak to MariaDB through the `mariadb` client, one process per query.
cat >"$PY" <<'PYEOF'
# SPDX-License-Identifier: GPL-2.0-or-later
# failover-lab's client (one fresh `mariadb` connection to the VIP every
# period, several in flight when a server hangs), its watcher (read_only of
# every server and the VIP's holders, every period) and their reports.
import os, re, shlex, signal, subprocess, sys, time
from collections import Counter
from datetime import datetime

def now_us():
    return int(time.time() * 1e6)

def client(vip, cnf, out, stop, period_ms, max_s):
    """Start an attempt every period (never catching up in bursts), at most
    100 in flight; kill one still running after 2.5 s (connect-timeout is 1 s,
    but a query on a server that hangs afterwards has no timeout). Attempt
    SEQ inserts v = SEQ. Each line: seq start_us end_us ok SERVER_ID |
    err CODE TEXT | timeout. ok means the server answered the INSERT (after
    its commit and the semi-sync acknowledgement) and the SELECT: an
    acknowledged write."""
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

def watch(out, stop, period_ms, vip, specs):
    """Every period: @@read_only of each server (as root on its socket; '-'
    when it does not answer within 0.5 s: dead, hung or not there) and the
    hosts whose eth0 carries the VIP. One line per sample:
    T_US h1=0 h2=1 vip=h1   (vip=- : nobody; h1,h2 : both)"""
    parent = os.getppid()
    period = period_ms / 1000.0
    hosts = [s.split("=", 2) for s in specs]     # name=datadir=netns
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    nxt = time.time()
    with open(out, "a", buffering=1) as f:
        while not os.path.exists(stop) and os.getppid() == parent:
            t = now_us()
            ps = []
            for name, d, ns in hosts:
                cnf = d + "/root.cnf"
                p = None
                if os.path.exists(cnf):
                    p = subprocess.Popen(["mariadb", "--defaults-file=" + cnf, "--connect-timeout=1",
                                          "-N", "-B", "-e", "SELECT @@global.read_only"],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
                ps.append(p)
            held = []
            for name, d, ns in hosts:
                try:
                    o = subprocess.run(["ip", "-n", ns, "-4", "-o", "addr", "show", "dev", "eth0"],
                                       stdin=subprocess.DEVNULL, capture_output=True,
                                       timeout=0.5).stdout.decode(errors="replace")
                except subprocess.TimeoutExpired:
                    o = ""
                if (" inet %s/" % vip) in o:
                    held.append(name)
            ro = []
            end = time.time() + 0.5
            for (name, d, ns), p in zip(hosts, ps):
                v = "-"
                if p is not None:
                    try:
                        o, _ = p.communicate(timeout=max(0.01, end - time.time()))
                        o = o.decode(errors="replace").strip()
                        if o in ("0", "1"):
                            v = o
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.communicate()
                ro.append("%s=%s" % (name, v))
            f.write("%d %s vip=%s\n" % (t, " ".join(ro), ",".join(held) or "-"))
            nxt += period
            d = nxt - time.time()
            if d > 0:
                time.sleep(d)
            else:
                nxt = time.time()

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

def gap(a, frm, to):
    """The longest time in frm..to without an acknowledged write."""
    oks = sorted(x["end"] for x in a if x["ok"] and frm <= x["end"] <= to)
    g, prev = 0, frm
    for t in oks:
        g = max(g, t - prev)
        prev = t
    return max(g, to - prev)

def case(path, frm, fault, restore, back, end, old_sid, new_sid):
    """Shell assignments describing the client's view of one case: frm..end
    (the case, from the end of the previous one), fault..restore (the fault),
    restore..back (the repair, and for a move the failback)."""
    a = attempts(path)
    before = [x["sid"] for x in a if x["ok"] and fault - 400000 <= x["end"] < fault]
    peer = [x for x in a if x["ok"] and x["sid"] == new_sid and x["end"] >= fault and x["end"] < restore]
    first = min((x["end"] for x in peer), default=None)
    limit = first if first is not None else restore
    failed = [x for x in a if not x["ok"] and x["end"] >= fault and x["start"] < limit]
    old_after = [x for x in a if x["ok"] and x["sid"] == old_sid and x["start"] >= fault and x["end"] < limit]
    after = [x["sid"] for x in a if x["ok"] and first is not None and first <= x["end"] < restore]
    codes = Counter(x["code"] for x in failed)
    why = ", ".join("%d x %s" % (n, ("ERROR " + c) if c.isdigit() else c)
                    for c, n in codes.most_common())
    # Repair and failback: attempts started after the repair began that
    # failed (those still hanging from the fault are the fault's).
    fb = [x for x in a if not x["ok"] and restore <= x["start"] < back]
    fbc = Counter(x["code"] for x in fb)
    fbwhy = ", ".join("%d x %s" % (n, ("ERROR " + c) if c.isdigit() else c)
                      for c, n in fbc.most_common())
    inc = [x for x in a if frm <= x["end"] < end]
    v = {"c_before": hosts(before), "c_waited": -1 if first is None else first - fault,
         "c_failed": len(failed), "c_why": why, "c_old_after": len(old_after),
         "c_after": hosts(after), "c_gap": gap(a, fault, restore),
         "c_gap_back": gap(a, restore, end), "c_gap_case": gap(a, fault, end),
         "c_fb_failed": len(fb), "c_fb_why": fbwhy,
         "c_total": len([x for x in a if x["end"] >= fault and x["start"] < limit]),
         "c_acked": len([x for x in inc if x["ok"]]),
         "c_ro": len([x for x in inc if not x["ok"] and x["code"] == "1290"]),
         "c_errs": len([x for x in inc if not x["ok"]])}
    for k, x in v.items():
        print("%s=%s" % (k, shlex.quote(str(x))))

def lost(path, frm, to, have):
    """The values of the writes acknowledged (ending in frm..to) that the
    file have (one v per line, a server's SELECT v) lacks, one per line."""
    got = set()
    with open(have) as f:
        for line in f:
            line = line.strip()
            if line.isdigit():
                got.add(int(line))
    for x in attempts(path):
        if x["ok"] and frm <= x["end"] < to and x["seq"] not in got:
            print(x["seq"])

def watchcount(path, frm, to, want):
    """Samples in frm..to: how many, with more than one writable server, with
    the VIP not on `want` alone, with the VIP on several hosts; then the
    first sample with two writable servers ('-' if none)."""
    n = multi = miss = both = 0
    first = "-"
    try:
        lines = open(path).read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        w = line.split()
        if len(w) < 2 or not w[0].isdigit():
            continue
        t = int(w[0])
        if t < frm or t > to:
            continue
        n += 1
        ro = dict(x.split("=", 1) for x in w[1:] if "=" in x)
        vip = ro.pop("vip", "-")
        writable = [h for h, r in ro.items() if r == "0"]
        if len(writable) > 1:
            multi += 1
            if first == "-":
                first = "%+.3f" % ((t - frm) / 1e6)
        if vip != want:
            miss += 1
        if "," in vip:
            both += 1
    print(n, multi, miss, both, first)

LOG_KEEP = re.compile(r"-> [A-Z0-9]|^check \S+: |CONFIGURATION|stale VIP|a VIP is already|"
                      r"gate: |witness: |contest: |demote[: ]|DIVERGED|epoch \d+ written|stalled for|"
                      r"REFUSING|role: (read_only|eligible|NOT eligible|adopted|the server is WRITABLE|"
                      r"another master|the VIP is on this host|the local server answers again)")

def events(since, until, logs):
    """vigild's state and priority changes, check verdicts and data-safety
    decisions between two instants, merged from several logs, as
    '+S.SSS HOST text'; a log named lab is the script's own timeline."""
    rx = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) vigild \w+: (.*)$")
    base = datetime.fromtimestamp(since / 1e6)
    out = []
    for arg in logs:
        host, path = arg.split("=", 1)
        try:
            lines = open(path, errors="replace").read().splitlines()
        except OSError:
            continue
        if host == "lab":
            # The script's own timeline: "US text" per line.
            for line in lines:
                w = line.split(" ", 1)
                if len(w) == 2 and w[0].isdigit() and since - 1000 <= int(w[0]) <= until:
                    out.append((int(w[0]), host, w[1]))
            continue
        for line in lines:
            m = rx.match(line)
            if not m:
                continue
            text = re.sub(r"^instance \S+: ", "", m.group(5))
            # The key=value tail (README "Logging") repeats the human text.
            text = re.sub(r" event=[a-z_]+( .*)?$", "", text)
            if not LOG_KEEP.search(text):
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
                out.append((us, host, text))
    for us, host, text in sorted(out, key=lambda x: x[0]):
        d = (us - since) / 1e6
        if len(text) > 150:
            text = text[:147] + "..."
        print("%+.3f  %-3s %s" % (d, host, text))

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd not in ("client", "watch"):
        # Die of Ctrl-C instead of raising KeyboardInterrupt: bash runs its
        # INT trap only when the foreground command was killed by SIGINT.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    if cmd == "client":
        client(args[0], args[1], args[2], args[3], int(args[4]), int(args[5]))
    elif cmd == "watch":
        watch(args[0], args[1], int(args[2]), args[3], args[4:])
    elif cmd == "case":
        case(args[0], *[int(x) for x in args[1:6]], args[6], args[7])
    elif cmd == "lost":
        lost(args[0], int(args[1]), int(args[2]), args[3])
    elif cmd == "watchcount":
        watchcount(args[0], int(args[1]), int(args[2]), args[3])
    elif cmd == "events":
        events(int(args[0]), int(args[1]), args[2:])
PYEOF

# ---- lab helpers -----------------------------------------------------------

# vip_has HOST: HOST's eth0 carries the VIP (perhaps with others: a stale
# VIP of a killed vigild stays on its host).
vip_has() { [[ " $(lab_vip_holder "$VIP") " == *" $1 "* ]]; }
vip_where() { local w; w=$(lab_vip_holder "$VIP"); printf '%s' "${w:-nobody}"; }

# served_by SID SINCE_US: the client's latest finished attempt started
# after SINCE_US was acknowledged by server SID.
served_by() {
	awk -v sid="$1" -v since="$2" '$2 >= since { last = ($4 == "ok" && $5 == sid) }
		END { exit !last }' "$CLIENT_LOG" 2>/dev/null
}
# answered_by_since SID SINCE_US: some attempt started after SINCE_US was
# acknowledged by SID.
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

# eligible HOST: the last eligibility verdict HOST's vigild logged is yes.
eligible() {
	local l
	l=$(grep -E 'role: (NOT )?eligible' "$LAB_DIR/$1.vigild.log" 2>/dev/null | tail -n1)
	[[ $l == *"role: eligible"* ]]
}
# logged_since HOST LINE REGEX: HOST's vigild logged REGEX after line LINE.
logged_since() { tail -n +"$(($2 + 1))" "$LAB_DIR/$1.vigild.log" 2>/dev/null | grep -qE -e "$3"; }
log_lines() { if [ -f "$LAB_DIR/$1.vigild.log" ]; then wc -l <"$LAB_DIR/$1.vigild.log"; else echo 0; fi; }

# h1_serves: the starting point: the VIP on h1 alone, h1 writable, h2
# read-only (with manage_read_only).
h1_serves() {
	lab_vip_held_by "$VIP" h1 && db_is_writable h1 &&
		{ [ "$MODE" = base ] || db_is_read_only h2; }
}

# errant HOST OTHER: transactions in HOST's @@gtid_binlog_state that OTHER's
# lacks (docs/data-safety.md 7, step 1). Prints "COUNT RANGES"; 1 if a
# server does not answer.
errant() {
	local a b
	a=$(db_probe "$1" "SELECT @@global.gtid_binlog_state") || return 1
	b=$(db_probe "$2" "SELECT @@global.gtid_binlog_state") || return 1
	awk -v a="$a" -v b="$b" 'BEGIN {
		n = split(b, B, ",")
		for (i = 1; i <= n; i++) { split(B[i], p, "-"); have[p[1] "-" p[2]] = p[3] + 0 }
		n = split(a, A, ","); c = 0; r = ""
		for (i = 1; i <= n; i++) {
			if (A[i] == "") continue
			split(A[i], p, "-"); k = p[1] "-" p[2]; h = (k in have) ? have[k] : 0
			if (p[3] + 0 > h) {
				c += p[3] - h
				r = r (r == "" ? "" : ", ") "domain " p[1] " server_id " p[2] " seq " h + 1 ".." p[3]
			}
		}
		print c, (r == "" ? "-" : r)
	}'
}

# restart_mysqld HOST: SIGKILL HOST's mariadbd if it still runs (a hung one
# too: a stopped process dies without running again), start it again on
# the same datadir and my.cnf (crash recovery, read_only = ON).
restart_mysqld() {
	local p
	if p=$(mdb_pid "$(db_dir "$1")") && lab_pid_alive "$p"; then
		kill -KILL "$p" 2>/dev/null
		lab_wait_for 5000 lab_pid_gone "$p" >/dev/null || return 1
	fi
	db_mysqld_restart "$1"
}

# rebuild HOST PRIMARY: HOST's server stopped, its datadir replaced by a
# fresh one, started (read_only = ON from my.cnf) and made a replica of
# PRIMARY from the start of PRIMARY's binary log: a copy of PRIMARY's data
# (what mariadb-backup would give a DBA, in the lab's few thousand rows).
rebuild() {
	local d
	d=$(db_dir "$1")
	MDB_STOP_TIMEOUT_MS=10000 mdb_stop "$d" KILL || return 1
	rm -rf "$d/data" && mdb_init "$d" && db_mysqld_restart "$1" && db_rejoin "$1" "$2"
}

# dba_rejoin HOST PRIMARY: make HOST a caught-up GTID replica of PRIMARY as
# docs/data-safety.md 7 says; prints what it did. Returns 1 on failure.
dba_rejoin() {
	local host=$1 primary=$2 n ranges d
	if ! read -r n ranges < <(errant "$host" "$primary") || [ -z "${n:-}" ]; then
		fail "cannot compare @@gtid_binlog_state of $host and $primary"; return 1
	fi
	if [ "$n" -gt 0 ]; then
		tl "$host holds $n transaction(s) $primary lacks ($ranges), never acknowledged to a client (semi-sync): the DBA rebuilds $host from $primary"
		rebuild "$host" "$primary" >>"$RUN_LOG" 2>&1 || { fail "cannot rebuild $host from $primary"; return 1; }
		REBUILDS=$((REBUILDS + 1))
	else
		d=$(db_slave "$host" SQL_Delay)
		if [ -n "$d" ] && [ "$d" != 0 ]; then
			db_sql "$host" "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0" >>"$RUN_LOG" 2>&1 ||
				{ fail "cannot reset $host's MASTER_DELAY"; return 1; }
		fi
		db_rejoin "$host" "$primary" >>"$RUN_LOG" 2>&1 ||
			{ fail "$host cannot replicate from $primary (IO thread: $(db_slave "$host" Last_IO_Error))"; return 1; }
	fi
	if ! wait_ms 20000 db_caught_up "$host" "$primary"; then
		fail "$host did not catch up with $primary within $WAITED_MS ms"; return 1
	fi
	REJOIN_HOW="no transaction $primary lacks; a GTID replica of $primary (db_rejoin)"
	[ "$n" = 0 ] || REJOIN_HOW="rebuilt, a GTID replica of $primary"
}

# conf HOST PRIO MODE: HOST.ini. The reference pair (shipped timing
# defaults, mysql_ping with penalty 60, preempt yes); MODE ds adds the
# data-safety keys, base leaves them out (a pre-data-safety vigil.ini).
conf() {
	local inst=''
	[ "$3" = base ] ||
		inst="manage_read_only = yes;role_check = ping;database_peers = $(db_ds_peers "$1");witness = yes"
	db_vigil_conf "$1" "$LAB_DIR/$1.ini" priority="$2" advert_interval= preempt=yes \
		ping="penalty = 60" ${inst:+inst="$inst"}
}

# start_vigilds: h1's vigild, the VIP on h1 with its server writable, then
# h2's with its checks passing (and, with data safety, eligible).
start_vigilds() {
	local m
	vigil_start h1 "$LAB_DIR/h1.ini" || { fail "vigild did not start on h1"; return 1; }
	VPID_h1=$LAB_PID
	if ! wait_ms 10000 eval 'lab_vip_held_by "$VIP" h1 && db_is_writable h1'; then
		fail "the VIP is not on h1 with a writable server after $WAITED_MS ms (VIP on: $(vip_where), read_only=$(db_read_only h1))"
		return 1
	fi
	m=$(log_lines h2)
	vigil_start h2 "$LAB_DIR/h2.ini" || { fail "vigild did not start on h2"; return 1; }
	VPID_h2=$LAB_PID
	if ! wait_ms 10000 logged_since h2 "$m" 'all checks ok'; then
		fail "h2's checks did not pass within $WAITED_MS ms"; return 1
	fi
	if [ "$MODE" = ds ] && ! wait_ms 10000 eligible h2; then
		fail "h2 is not eligible after $WAITED_MS ms"; return 1
	fi
}

# stop_vigilds: SIGTERM both (a master demotes first), wait (bounded).
stop_vigilds() {
	local p
	for p in $VPID_h1 $VPID_h2; do lab_kill "$p" TERM; done
	for p in $VPID_h1 $VPID_h2; do
		lab_wait_for 5000 lab_pid_gone "$p" >/dev/null || { lab_kill "$p" KILL; lab_wait_for 2000 lab_pid_gone "$p" >/dev/null; }
	done
	VPID_h1='' VPID_h2=''
}

# client_start NAME: a client writing through the VIP, its log client.NAME.attempts.
client_start() {
	CLIENT_LOG=$LAB_DIR/client.$1.attempts
	CLIENT_STOP=$LAB_DIR/client.$1.stop
	lab_spawn c "client.$1.log" python3 "$PY" client "$VIP" "$LAB_DIR/app.cnf" "$CLIENT_LOG" \
		"$CLIENT_STOP" "$CLIENT_PERIOD_MS" $(( keep ? 1200 : 900 )) >/dev/null
	CLIENT_PID=$LAB_PID
}
# client_stop: its attempts end within 2.5 s (it kills slower ones).
client_stop() {
	: >"$CLIENT_STOP"
	[ -z "$CLIENT_PID" ] || lab_wait_for 5000 lab_pid_gone "$CLIENT_PID" >/dev/null
	CLIENT_PID=
}

# lost_on HOST FROM_US TO_US: the acknowledged writes (ending in FROM..TO)
# that HOST's appdb.w lacks, one value per line; "?" if HOST does not answer.
lost_on() {
	local have=$LAB_DIR/have.$1
	db_probe "$1" "SELECT v FROM appdb.w" >"$have" || { echo '?'; return 1; }
	python3 "$PY" lost "$CLIENT_LOG" "$2" "$3" "$have"
}

# events FROM_US [TO_US [INDENT]]: vigild's lines in between and the lab's
# own timeline (tl), times relative to FROM_US, indented.
events() {
	python3 "$PY" events "$1" "${2:-$(now_us)}" h1="$LAB_DIR/h1.vigild.log" \
		h2="$LAB_DIR/h2.vigild.log" lab="$LAB_DIR/timeline" | sed "s/^/      ${3:-}/"
}
# tl TEXT / tl_at US TEXT: a line of the lab's timeline (what the script did
# or saw), shown among vigild's lines by events.
tl() { tl_at "$(now_us)" "$*"; }
tl_at() { printf '%s %s\n' "$1" "$2" >>"$LAB_DIR/timeline"; }
# first_ack SID SINCE_US: when the client's first write acknowledged by SID
# after SINCE_US ended (epoch us); 1 if none.
first_ack() {
	awk -v sid="$1" -v since="$2" '$3 >= since && $4 == "ok" && $5 == sid { if (m == "" || $3 < m) m = $3 }
		END { if (m == "") exit 1; print m }' "$CLIENT_LOG" 2>/dev/null
}

# hms US: the wall-clock time of an epoch-us instant, HH:MM:SS.mmm.
hms() { printf '%(%T)T.%03d' "${1:0:-6}" $((10#${1: -6} / 1000)); }

# ---- step 3: the lab --------------------------------------------------------

MODE=ds
REBUILDS=0
step "lab: two MariaDB servers with data-safety settings, two vigild, one client"
t0=$(now_us)
if ! db_lab_up >>"$RUN_LOG" 2>&1; then
	fail "the MariaDB lab did not come up"
	exit 1
fi
say "namespaces $LAB_PREFIX-{sw,h1,h2,c}, lab dir $LAB_DIR"
say "h1 $(lab_addr h1)  MariaDB $(db_sql h1 'SELECT VERSION()' | cut -d- -f1) primary (server_id 1)"
say "h2 $(lab_addr h2)  MariaDB GTID replica of h1 (server_id 2)"
say "c  $(lab_addr c)  client, writes through the VIP $VIP as user app (no READ ONLY ADMIN)"
say "servers: gtid_strict_mode $(db_sql h1 'SELECT IF(@@gtid_strict_mode, "ON", "OFF")')," \
	"semi-sync $(mdb_var "$(db_dir h1)" rpl_semi_sync_master_wait_point) (timeout $(mdb_var "$(db_dir h1)" rpl_semi_sync_master_timeout) ms)," \
	"read_only = ON in my.cnf; vigil user: $DB_VIGIL_PRIV"
say "servers up and replicating in $(secs $(( $(now_us) - t0 ))) s"

for h in h1 h2; do
	prio=150; [ "$h" = h2 ] && prio=100
	conf "$h" "$prio" ds || { fail "cannot write $h.ini"; exit 1; }
done
if ! "$VIGILD" -t -f "$LAB_DIR/h1.ini" --peer-priority 100 >"$LAB_DIR/h1.t" 2>&1; then
	fail "vigild -t refused h1.ini"; cat "$LAB_DIR/h1.t"; exit 1
fi
adv=$(sed -n 's/.*advert_interval \([0-9.a-z]*\),.*/\1/p' "$LAB_DIR/h1.t" | head -n1)
chk=$(sed -n 's/^  \(interval .*\)$/\1/p' "$LAB_DIR/h1.t" | head -n1)
failed_prio=$(awk '$1 == "ping" && $2 == "failed" { print $3; exit }' "$LAB_DIR/h1.t")
ds_line=$(sed -n 's/^  \(manage_read_only yes: .*\)$/\1/p' "$LAB_DIR/h1.t" | head -n1)
say "vigild: adverts every ${adv:-?}; ping check ${chk:-?} (shipped defaults)"
say "        preempt yes; ping penalty 60: h1 150 -> ${failed_prio:-?} when its database fails, below h2's 100"
say "        h1's ${ds_line:-manage_read_only: ? (not in vigild -t)}"

t0=$(now_us)
start_vigilds || exit 1
say "VIP on h1, its server opened by vigild's gate, $(secs $(( $(now_us) - t0 ))) s after vigild started; h2 read-only and eligible"

lab_spawn c watch.log python3 "$PY" watch "$WATCH_LOG" "$WATCH_STOP" "$WATCH_PERIOD_MS" "$VIP" \
	"h1=$(db_dir h1)=$(lab_ns h1)" "h2=$(db_dir h2)=$(lab_ns h2)" >/dev/null
client_start ds
t0=$(now_us)
if ! wait_ms 5000 answered_by_since 1 "$t0"; then
	fail "the client got no answer from h1 through the VIP"; exit 1
fi
say "client: a fresh connection every $CLIENT_PERIOD_MS ms (INSERT, SELECT @@server_id), acknowledged by h1"
say "watcher: @@read_only of h1 and h2 and the VIP's holder, every $WATCH_PERIOD_MS ms"
T_CASES=$(now_us)

# ---- step 4: the cases ------------------------------------------------------

# Targets from docs/design.md for this pair: priority 100 backup, 200 ms adverts:
# Skew_Time = (256-100)*200/256 = 121.9 ms, Master_Down_Interval = 3*200 +
# Skew = 721.9 ms (RFC 5798 6.1). They bound the first write on h2.
declare -A TARGET_MS=([kill]=500 [hang]=1500 [link]=772)
declare -A R_MOVE R_WAIT R_GAP R_FAILED R_BACK R_PAUSE R_OK R_ACKED R_LOST R_RO R_GAPC R_MULTI R_NS
declare -A B_LOST B_MULTI B_NS B_BOTH B_ACKED B_NOTE
ncase=${#cases[@]}
passed=0

# do_fault CASE: the fault, on h1.
do_fault() {
	local pid
	case $1 in
	kill|delayed) pid=$(mdb_pid "$(db_dir h1)") && kill -KILL "$pid" ;;
	hang) pid=$(mdb_pid "$(db_dir h1)") && kill -STOP "$pid" ;;
	vigild) lab_kill "$VPID_h1" KILL ;;
	link) lab_link_down h1 bridge ;;
	partition) lab_drop_vrrp_between h1 h2 ;;
	esac
}
declare -A RESTORE_HOW=(
	[kill]="mariadbd started again on h1 (crash recovery; read_only = ON from my.cnf)"
	[hang]="the hung mariadbd killed (-9) and started again on h1 (read_only = ON from my.cnf)"
	[vigild]="vigild started again on h1"
	[link]="h1's switch port up"
	[delayed]="mariadbd started again on h1 (crash recovery; read_only = ON from my.cnf)"
	[partition]="VRRP let through again"
)

# delayed_prepare: h2 applies events DELAY_S late; returns once the backlog
# is steady (the first write acknowledged after that has reached h2's table,
# so DELAY_S s of writes are in its relay log only) and h2 is eligible.
delayed_prepare() {
	local t v
	db_master_delay h2 "$DELAY_S" >>"$RUN_LOG" 2>&1 || { fail "cannot delay h2"; return 1; }
	t=$(now_us)
	wait_ms 5000 answered_by_since 1 "$t" || { fail "no write acknowledged by h1"; return 1; }
	v=$(awk -v t="$t" '$2 >= t && $4 == "ok" { print $1; exit }' "$CLIENT_LOG")
	if ! wait_ms $(( (DELAY_S + 5) * 1000 )) eval "[ \"\$(db_probe h2 'SELECT COUNT(*) FROM appdb.w WHERE v = $v')\" = 1 ]"; then
		fail "the write $v never reached h2 ($WAITED_MS ms)"; return 1
	fi
	say "MASTER_DELAY = $DELAY_S on h2: a write acknowledged by h1 reaches h2's table $(secs3 $((WAITED_MS * 1000))) s later"
	if [ "$MODE" = ds ] && ! wait_ms 5000 eligible h2; then
		fail "h2 is not eligible ($WAITED_MS ms)"; return 1
	fi
}

# repair_move CASE: after a move to h2: h1 repaired, rejoined, caught up;
# the VIP back on h1 through its gate; h2 a replica of h1 again. Prints the
# repair's timeline; sets back_us; returns 1 if the starting point was not
# restored.
repair_move() {
	local c=$1 t m1 l1 early early_miss rc=0
	t=$(now_us)
	PREMATURE='' RETRIES=0
	m1=$(log_lines h1)
	say "repair, as a DBA would (docs/data-safety.md 7):"
	case $c in
	kill|hang|delayed) restart_mysqld h1 >>"$RUN_LOG" 2>&1 || { fail "mariadbd did not start again on h1"; rc=1; } ;;
	link) lab_link_up h1 bridge >>"$RUN_LOG" 2>&1 || { fail "cannot bring h1's link up"; rc=1; } ;;
	esac
	[ "$rc" = 1 ] || tl "${RESTORE_HOW[$c]}"
	if [ "$rc" = 0 ] && ! wait_ms 5000 db_is_read_only h1; then
		fail "h1's server is not read-only ($(db_read_only h1))"; rc=1
	fi
	if [ "$rc" = 0 ]; then
		# Its vigild reads it again (or sees the link back): a read-only
		# standalone server at an older epoch is not eligible, so the VIP
		# stays on h2 although h1 has the higher priority. Watch that for
		# one Master_Down_Interval (683 ms at priority 150) and a poll, as a
		# DBA looks before touching anything.
		wait_ms 3000 logged_since h1 "$m1" 'role: the local server answers again|FAULT -> BACKUP'
		sleep 1
		if logged_since h1 "$m1" '-> MASTER' || ! lab_vip_held_by "$VIP" h2; then
			# It took the VIP anyway: let the contest settle first.
			wait_ms 10000 eval 'lab_vip_held_by "$VIP" h2 && ! eligible h1 && db_is_read_only h1'
		fi
		l1=$(log_lines h1)
		early=$(sed -n "$((m1 + 1)),${l1}p" "$LAB_DIR/h1.vigild.log" | grep -c -e '-> MASTER')
		read -r _ _ early_miss _ _ < <(python3 "$PY" watchcount "$WATCH_LOG" "$t" "$(now_us)" h2)
		if [ "$early" -gt 0 ] || [ "$early_miss" -gt 0 ]; then
			PREMATURE="h1 took the VIP before it was rejoined ($early times MASTER, the VIP not on h2 alone in $early_miss samples)"
			tl "$PREMATURE"
		else
			tl "h1's server read-only, h1 not eligible: the VIP stays on h2 (seen from the lab)"
		fi
		if eligible h1 || ! lab_vip_held_by "$VIP" h2; then
			fail "h1 is still eligible, or the VIP is not on h2 alone (on: $(vip_where))"; rc=1
		fi
		m1=$(log_lines h1)
		[ "$rc" = 1 ] || dba_rejoin h1 h2 || rc=1
	fi
	[ "$rc" = 1 ] || tl "h1: $REJOIN_HOW; caught up"
	if [ "$rc" = 0 ] && ! wait_ms "$BACK_TIMEOUT_MS" eval 'lab_vip_held_by "$VIP" h1 && db_is_writable h1 && db_is_read_only h2'; then
		fail "the VIP is not back on h1 alone with h1 writable after $BACK_TIMEOUT_MS ms (VIP on: $(vip_where), writable: $(db_writable_hosts))"
		rc=1
	fi
	if [ "$rc" = 0 ]; then
		back_us=$(( $(now_us) - t ))
		tl "VIP on h1 alone, h1 writable, h2 read-only (seen from the lab)"
		RETRIES=$(tail -n +"$((m1 + 1))" "$LAB_DIR/h1.vigild.log" | grep -c -e '-> BACKUP (contest-lost')
		wait_ms 5000 served_by 1 "$(now_us)" || { fail "the client is not served by h1 again"; rc=1; }
	fi
	[ "$rc" = 1 ] || dba_rejoin h2 h1 || rc=1
	if [ "$rc" = 0 ] && ! wait_ms 5000 eligible h2; then
		fail "h2 is not eligible after $WAITED_MS ms"; rc=1
	fi
	[ "$rc" = 1 ] || tl "h2: $REJOIN_HOW; caught up"
	events "$t" "$(now_us)" "  "
	if [ "$rc" = 0 ]; then
		line="VIP back on h1 after $(secs "$back_us") s, through its gate (preempt yes); h2 its replica again"
		[ "$RETRIES" = 0 ] || line+="; h1 lost $RETRIES contests on the way"
		say "$line"
	fi
	return $rc
}

step "faults on the primary h1, one after the other (repaired in between)"
i=0
t_prev=$T_CASES
for c in "${cases[@]}"; do
	i=$((i + 1))
	ok=1
	why=()
	printf '\n  case %d/%d  %s: %s\n' "$i" "$ncase" "${CASE_TITLE[$c]}" "${CASE_HOW[$c]}"
	# A calm start: h1 alone holds the VIP and takes the client's writes,
	# h2 is a read-only replica, eligible.
	t0=$(now_us)
	if ! wait_ms 10000 h1_serves || ! wait_ms 5000 answered_by_since 1 "$t0" || ! wait_ms 5000 eligible h2; then
		fail "not at the starting point before the fault (VIP on: $(vip_where), writable: $(db_writable_hosts))"
		R_OK[$c]=0; show_logs; break
	fi
	if [ "$c" = delayed ] && ! delayed_prepare; then R_OK[$c]=0; show_logs; break; fi
	sleep 0.5

	backlog=
	[ "$c" != delayed ] || backlog=$(lost_on h2 "$t_prev" "$(now_us)" | grep -c .)
	m2_pre=$(log_lines h2)
	t_fault=$(now_us)
	if ! do_fault "$c" >>"$RUN_LOG" 2>&1; then
		fail "could not inject the fault"; R_OK[$c]=0; show_logs; break
	fi
	say "$(hms "$t_fault")  fault injected${backlog:+ (h2 had $backlog acknowledged writes in its relay log only)}"
	move_us=-1 back_us=-1
	if [ "${CASE_EXPECT[$c]}" = move ]; then
		if wait_ms "$MOVE_TIMEOUT_MS" vip_has h2; then
			move_us=$(( $(now_us) - t_fault ))
			tl_at $((t_fault + move_us)) "VIP on h2 (seen from the lab)"
		else
			fail "the VIP did not reach h2 within $MOVE_TIMEOUT_MS ms (it is on: $(vip_where))"; ok=0; why+=("VIP not moved")
		fi
		# h2 opens once its gate is through: wait for its first write.
		lim=10000; [ "$c" != delayed ] || lim=$(( (DELAY_S + 15) * 1000 ))
		[ "$ok" = 0 ] || wait_ms "$lim" served_by 2 "$t_fault" ||
			{ fail "the client is not served by h2 $WAITED_MS ms after the fault"; ok=0; why+=("h2 never took writes"); }
		sleep 0.5
		t1=$(first_ack 2 "$t_fault") && tl_at "$t1" "client: first write acknowledged by h2"
	else
		# The VIP must stay: watch for a while (the partition: its length).
		if [ "$c" = partition ]; then sleep "$PART_S"; else sleep 3; fi
	fi
	where=$(vip_where)
	events "$t_fault"
	case $where in
	h1) if [ "${CASE_EXPECT[$c]}" = stay ]; then say "VIP still on h1 alone"; else say "VIP now on: h1"; fi ;;
	h2) say "VIP now on: h2" ;;
	*) say "VIP now on: $where" ;;
	esac

	t_restore=$(now_us)
	PREMATURE='' RETRIES=0
	lost_h2=
	if [ "${CASE_EXPECT[$c]}" = move ]; then
		# Before the repair: h2 is the master; it must hold every write
		# acknowledged so far.
		lost_h2=$(lost_on h2 "$t_prev" "$t_restore")
		[ "$ok" = 0 ] || repair_move "$c" || { ok=0; why+=("not repaired"); }
	else
		case $c in
		vigild)
			# shellcheck disable=SC2034 # read by the eval below
			m1=$(log_lines h1)
			if vigil_start h1 "$LAB_DIR/h1.ini" >>"$RUN_LOG" 2>&1; then
				VPID_h1=$LAB_PID
				tl "${RESTORE_HOW[$c]}"
				if wait_ms 10000 eval 'logged_since h1 "$m1" "-> MASTER" && lab_vip_held_by "$VIP" h1 && db_is_writable h1'; then
					back_us=$(( $(now_us) - t_restore ))
					tl "VIP on h1 alone, h1 writable (seen from the lab)"
				else
					fail "h1's new vigild did not become MASTER with the VIP within $WAITED_MS ms"; ok=0; why+=("not adopted")
				fi
				say "repair:"
				events "$t_restore" "$(now_us)" "  "
			else
				fail "vigild did not start again on h1"; ok=0; why+=("not repaired")
			fi ;;
		partition)
			lab_allow_vrrp_between h1 h2 >>"$RUN_LOG" 2>&1
			tl "${RESTORE_HOW[$c]}"
			sleep 2
			back_us=$(( $(now_us) - t_restore ))
			tl "VIP on $(vip_where), writable: $(db_writable_hosts) (seen from the lab)"
			say "repair:"
			events "$t_restore" "$(now_us)" "  "
			;;
		esac
	fi
	t_back=$(now_us)
	sleep 0.3 # lets attempts started before t_back finish (bounded: the client kills at 2.5 s)
	t_end=$(now_us)

	# The client's view (see flab.py's case()).
	c_before=nobody c_waited=-1 c_failed=0 c_why='' c_old_after=0 c_after=nobody c_gap=0 c_gap_back=0
	c_gap_case=0 c_fb_failed=0 c_fb_why='' c_total=0 c_acked=0 c_ro=0
	eval "$(python3 "$PY" case "$CLIENT_LOG" "$t_prev" "$t_fault" "$t_restore" "$t_back" "$t_end" 1 2)"
	# The master at the end must hold every write acknowledged in the case.
	holder=$(lab_vip_holder "$VIP"); [[ $holder == h[12] ]] || holder=h1
	lost_end=$(lost_on "$holder" "$t_prev" "$t_end")
	if [[ "$lost_h2$lost_end" == *'?'* ]]; then
		lost='?'
	else
		lost=$(printf '%s\n%s\n' "$lost_h2" "$lost_end" | grep . | sort -u | wc -l)
	fi
	read -r w_n w_multi _ w_both w_first < <(python3 "$PY" watchcount "$WATCH_LOG" "$t_prev" "$t_end" h1)
	read -r _ _ s_miss _ _ < <(python3 "$PY" watchcount "$WATCH_LOG" "$t_fault" "$t_end" h1)

	if [ "${CASE_EXPECT[$c]}" = move ]; then
		if [ "$c_waited" -ge 0 ]; then
			say "client: acknowledged by $c_before before the fault; first write acknowledged by h2 $(secs3 "$c_waited") s after it"
		else
			say "client: acknowledged by $c_before before the fault; no write acknowledged by h2 before the repair"
		fi
	else
		say "client: acknowledged by $c_before before the fault"
	fi
	line="        $c_failed of $c_total attempts failed"
	[ -z "$c_why" ] || line+=" ($c_why)"
	line+="; longest time without an acknowledged write $(secs3 "$c_gap") s"
	say "$line"
	[ "$c_old_after" -eq 0 ] || [ "${CASE_EXPECT[$c]}" = stay ] ||
		say "        h1 kept acknowledging $c_old_after writes after the fault"
	[ "${CASE_EXPECT[$c]}" = stay ] || say "        acknowledged by $c_after after the move"
	if [ "$back_us" -ge 0 ] && [ "${CASE_EXPECT[$c]}" = move ]; then
		line="failback: $c_fb_failed attempts failed"
		[ -z "$c_fb_why" ] || line+=" ($c_fb_why)"
		say "$line; longest time without an acknowledged write $(secs3 "$c_gap_back") s"
	fi
	if [ "${CASE_EXPECT[$c]}" = stay ]; then
		n2=$(tail -n +"$((m2_pre + 1))" "$LAB_DIR/h2.vigild.log" | grep -cE ' [A-Z]+ -> [A-Z]+ ')
		say "h2 changed state $n2 times; the VIP was not on h1 alone in $s_miss samples"
	fi
	line="      two writable servers in $w_multi of $w_n samples"
	[ "$w_first" = - ] || line+=" (the first $w_first s into the case)"
	[ "$w_both" = 0 ] || line+="; the VIP on both hosts in $w_both"
	say "data: $c_acked writes acknowledged, $lost of them lost, $c_ro rejected by a read-only server (1290);"
	say "$line"

	# The verdict.
	[ "$lost" = 0 ] || { ok=0; why+=("$lost acknowledged writes lost"); }
	[ "$w_multi" = 0 ] || { ok=0; why+=("two writable servers in $w_multi samples"); }
	if [ "${CASE_EXPECT[$c]}" = stay ]; then
		[ "$s_miss" = 0 ] || { ok=0; why+=("VIP not on h1 alone in $s_miss samples"); }
		[ "$back_us" -ge 0 ] || { ok=0; why+=("not repaired"); }
	else
		[ "$c_after" = h2 ] || { ok=0; why+=("writes not on h2 after the move"); }
		[ -z "$PREMATURE" ] || { ok=0; why+=("$PREMATURE"); }
		[ "$back_us" -ge 0 ] || { ok=0; why+=("VIP not back on h1"); }
	fi
	if [ "$ok" = 0 ]; then
		line=${why[0]:-see above}
		for w in "${why[@]:1}"; do line+="; $w"; done
		fail "case ${CASE_TITLE[$c]}: $line"
	fi

	R_MOVE[$c]=$move_us; R_WAIT[$c]=$c_waited; R_GAP[$c]=$c_gap; R_FAILED[$c]="$c_failed/$c_total"
	R_BACK[$c]=$back_us; R_PAUSE[$c]=$c_gap_back; R_OK[$c]=$ok
	R_ACKED[$c]=$c_acked; R_LOST[$c]=$lost; R_RO[$c]=$c_ro; R_GAPC[$c]=$c_gap_case
	R_MULTI[$c]=$w_multi; R_NS[$c]=$w_n
	t_prev=$t_end
	if [ "$ok" = 1 ]; then passed=$((passed + 1)); else show_logs; fi
	# Without the starting point, the next case cannot start.
	[ "$back_us" -ge 0 ] || break
done

# Every write acknowledged over the whole run must be on the master at the end.
client_stop
t_all=$(now_us)
holder=$(lab_vip_holder "$VIP"); [[ $holder == h[12] ]] || holder=h1
all_acked=$(awk '$4 == "ok"' "$CLIENT_LOG" | wc -l)
all_lost=$(lost_on "$holder" 0 "$t_all" | grep -c .)

# ---- step 5: the same cases without manage_read_only --------------------------

# base_lab: a fresh pair of servers for one run without manage_read_only:
# the keys of a pre-data-safety vigil.ini, no read_only in my.cnf (so the
# replica is writable, as it always was then), the same GTID strict mode
# and semi-sync. The data-safety run's vigild logs are kept aside.
base_lab() {
	client_stop
	stop_vigilds
	local h
	for h in h1 h2; do
		[ ! -f "$LAB_DIR/$h.vigild.log" ] || mv "$LAB_DIR/$h.vigild.log" "$LAB_DIR/$h.$MODE_RUN.vigild.log"
	done
	MODE=base MODE_RUN=base-$1
	db_lab_reset >>"$RUN_LOG" 2>&1
	DS_BASELINE=1 DB_READ_ONLY_CNF=0 db_lab_up >>"$RUN_LOG" 2>&1 || { fail "the MariaDB lab did not come up"; return 1; }
	if ! conf h1 150 base || ! conf h2 100 base; then fail "cannot write the configs"; return 1; fi
	start_vigilds || return 1
	client_start "base-$1"
	local t
	t=$(now_us)
	wait_ms 5000 answered_by_since 1 "$t" || { fail "the client got no answer from h1 through the VIP"; return 1; }
}

# run_baseline CASE: the case once more without manage_read_only; what the
# client lost, and how long two servers were writable.
run_baseline() {
	local c=$1 t_from t_fault t_end t1 lost errno sql n multi miss both first move=-1 backlog=
	printf '\n  %s without manage_read_only: %s\n' "${CASE_TITLE[$c]}" "${CASE_HOW[$c]}"
	base_lab "$c" || return 1
	say "fresh servers (read_only not in my.cnf: h2 is a writable replica); vigild without the data-safety keys"
	t_from=$(now_us)
	case $c in
	delayed)
		delayed_prepare || return 1
		sleep 0.5
		backlog=$(lost_on h2 "$t_from" "$(now_us)" | grep -c .)
		t_fault=$(now_us)
		do_fault "$c" >>"$RUN_LOG" 2>&1
		say "$(hms "$t_fault")  fault injected (h2 had $backlog acknowledged writes in its relay log only)"
		wait_ms "$MOVE_TIMEOUT_MS" vip_has h2 && move=$(( $(now_us) - t_fault )) &&
			tl_at $((t_fault + move)) "VIP on h2 (seen from the lab)"
		wait_ms 5000 served_by 2 "$t_fault" >/dev/null
		t1=$(first_ack 2 "$t_fault") && tl_at "$t1" "client: first write acknowledged by h2"
		# The relay log reaches h2's SQL thread DELAY_S s after it was
		# written: it stops at the first event that collides with a row h2
		# took meanwhile.
		wait_ms $(( (DELAY_S + 8) * 1000 )) eval '[ "$(db_slave h2 Slave_SQL_Running)" = No ]'
		errno=$(db_slave h2 Last_SQL_Errno)
		sql=$(db_slave h2 Slave_SQL_Running)
		tl "h2's SQL thread stopped (Slave_SQL_Running ${sql:-?}): error ${errno:-?}, $(db_slave h2 Last_SQL_Error | cut -c1-80)"
		sleep 0.5
		t_end=$(now_us)
		events "$t_fault" "$t_end"
		lost=$(lost_on h2 "$t_from" "$t_end" | grep -c .)
		B_NOTE[$c]="acknowledged by h1, never applied on h2"
		;;
	partition)
		t_fault=$(now_us)
		do_fault "$c" >>"$RUN_LOG" 2>&1
		say "$(hms "$t_fault")  fault injected"
		wait_ms $((PART_S * 1000)) vip_has h2 && move=$(( $(now_us) - t_fault )) &&
			tl_at $((t_fault + move)) "VIP on h2 too (seen from the lab)"
		sleep $(( PART_S - (move < 0 ? PART_S : move / 1000000) ))
		t1=$(first_ack 2 "$t_fault") && tl_at "$t1" "client: first write acknowledged by h2"
		lab_allow_vrrp_between h1 h2 >>"$RUN_LOG" 2>&1
		tl "${RESTORE_HOW[$c]}"
		wait_ms 5000 lab_vip_held_by "$VIP" h1 && tl "VIP on h1 alone (seen from the lab)"
		sleep 2
		t_end=$(now_us)
		events "$t_fault" "$t_end"
		lost=$(lost_on h1 "$t_from" "$t_end" | grep -c .)
		B_NOTE[$c]="acknowledged by h2 during the partition, never on h1"
		;;
	esac
	read -r n multi miss both first < <(python3 "$PY" watchcount "$WATCH_LOG" "$t_fault" "$t_end" h1)
	B_ACKED[$c]=$(awk -v f="$t_from" -v t="$t_end" '$4 == "ok" && $3 >= f && $3 < t' "$CLIENT_LOG" | wc -l)
	B_LOST[$c]=$lost B_MULTI[$c]=$multi B_NS[$c]=$n B_BOTH[$c]=$both
	say "data: ${B_ACKED[$c]} writes acknowledged, $lost of them lost (${B_NOTE[$c]});"
	say "      two writable servers in $multi of $n samples since the fault, the VIP on both hosts in $both"
}

if [ ${#base_cases[@]} -gt 0 ]; then
	step "the same faults without manage_read_only (a pre-data-safety vigil.ini), each in fresh servers"
	MODE_RUN=ds
	for c in "${base_cases[@]}"; do
		run_baseline "$c" || { B_LOST[$c]='?'; show_logs; }
	done
	client_stop
fi

# ---- summary -------------------------------------------------------------------

step "summary: what the client saw, with manage_read_only = yes"
fmt='  %-15s %10s %9s %7s %13s %10s %8s %9s %9s\n'
printf "$fmt" case "VIP on h2" target "" "writes on h2" "no write" failed "VIP back" "pause"
for c in "${cases[@]}"; do
	[ -n "${R_OK[$c]+x}" ] || { printf "$fmt" "${CASE_TITLE[$c]}" "not run" - - - - - - -; continue; }
	mv=-; w=-; g=-; b=-; vs=-; tg=-; p=-
	if [ "${CASE_EXPECT[$c]}" = stay ]; then mv="stays h1"
	elif [ "${R_MOVE[$c]:--1}" -ge 0 ]; then
		mv="$(secs3 "${R_MOVE[$c]}") s"
		# The target is for the VIP: a client connecting is served by h2.
		if [ -n "${TARGET_MS[$c]:-}" ]; then
			if [ "${R_MOVE[$c]}" -le $(( TARGET_MS[$c] * 1000 )) ]; then vs=within; else vs=OVER; fi
		fi
	fi
	[ -z "${TARGET_MS[$c]:-}" ] || tg="$(secs3 $(( TARGET_MS[$c] * 1000 ))) s"
	if [ "${R_WAIT[$c]:--1}" -ge 0 ] && [ "${CASE_EXPECT[$c]}" = move ]; then
		w="$(secs3 "${R_WAIT[$c]}") s"
	fi
	[ -z "${R_GAP[$c]:-}" ] || g="$(secs3 "${R_GAP[$c]}") s"
	if [ "${R_BACK[$c]:--1}" -ge 0 ] && [ "${CASE_EXPECT[$c]}" = move ]; then
		b="$(secs "${R_BACK[$c]}") s"; p="$(secs3 "${R_PAUSE[$c]}") s"
	fi
	printf "$fmt" "${CASE_TITLE[$c]}" "$mv" "$tg" "$vs" "$w" "$g" "${R_FAILED[$c]:--}" "$b" "$p"
done
echo
fmt2='  %-15s %7s %6s %10s %12s %14s   %s\n'
b="without manage_read_only"; [ ${#base_cases[@]} -gt 0 ] || b=''
printf "$fmt2" case acked lost read-only "longest gap" "two writable" "$b" | sed 's/ *$//'
for c in "${cases[@]}"; do
	[ -n "${R_OK[$c]+x}" ] || { printf "$fmt2" "${CASE_TITLE[$c]}" - - - - - ""; continue; }
	b=''
	if [ -n "${B_LOST[$c]+x}" ]; then
		if [ "${B_LOST[$c]}" = '?' ]; then b="did not run"
		else
			b="${B_LOST[$c]} acknowledged writes lost, two writable servers in ${B_MULTI[$c]} of ${B_NS[$c]} samples"
			[ "${B_BOTH[$c]:-0}" = 0 ] || b+=", the VIP on both in ${B_BOTH[$c]}"
		fi
	fi
	printf "$fmt2" "${CASE_TITLE[$c]}" "${R_ACKED[$c]}" "${R_LOST[$c]}" "${R_RO[$c]}" \
		"$(secs3 "${R_GAPC[$c]}") s" "${R_MULTI[$c]} of ${R_NS[$c]}" "$b" | sed 's/ *$//'
done
echo
say "VIP on h2: fault -> VIP on h2's eth0 (a client connecting is served by h2 from then on); target: for"
say "that, docs/design.md's for this pair (one run here; test/bench/ measures medians).  writes on h2: fault"
say "-> first write acknowledged by h2, after its promotion gate (docs/data-safety.md).  no write:"
say "longest time without an acknowledged write, fault -> repair.  failed: attempts that got an error, of"
say "all started from the fault to h2's first write.  VIP back: repair started -> VIP on h1 alone again,"
say "through its gate (preempt yes); pause: longest time without an acknowledged write from the repair on."
say "acked: writes acknowledged in the case; lost: of those, missing on the master (h2 before the repair,"
say "h1 at the end); read-only: rejected with 1290 by a read-only server; longest gap: fault -> end of the"
say "case; two writable: samples (every ${WATCH_PERIOD_MS} ms) with both servers at read_only = 0."
[ ${#base_cases[@]} -eq 0 ] ||
	say "without manage_read_only: the same fault in fresh servers, vigild without the data-safety keys."
say "data: $all_acked writes acknowledged over the run, $all_lost of them missing on $holder at the end."
[ "$REBUILDS" = 0 ] ||
	say "      servers rebuilt from the master: $REBUILDS (they held transactions never acknowledged to a client)."

rc=1
[ "$passed" -ne "$ncase" ] || [ "$all_lost" != 0 ] || rc=0
printf '\n%s: %d of %d cases passed' "$ME" "$passed" "$ncase"
[ "$rc" -ne 0 ] || printf ' (0 acknowledged writes lost, never two writable servers, the VIP where it belongs)'
printf '\n'

if [ "$keep" = 1 ]; then
	# Ending the hold with Ctrl-C is no failure: exit with the cases' result.
	trap 'echo; exit $rc' INT TERM
	printf '\n      --keep: the lab stays up for at most 10 minutes (Enter or Ctrl-C ends it). Try:\n'
	say "ip netns exec $LAB_PREFIX-c mariadb --defaults-file=$LAB_DIR/app.cnf -h $VIP -e 'SELECT @@server_id'"
	say "mariadb --defaults-file=$(db_dir h1)/root.cnf -e 'SELECT * FROM vigil.epoch'"
	say "ip netns exec $LAB_PREFIX-h1 ip -br addr"
	say "tail -f $LAB_DIR/h1.vigild.log"
	say "mariadbd pids: h1 $(mdb_pid "$(db_dir h1)"), h2 $(mdb_pid "$(db_dir h2)"); vigild pids: h1 $VPID_h1, h2 $VPID_h2"
	if [ -t 0 ]; then read -r -t 600 _ || true; else sleep 600; fi
fi
exit "$rc"
