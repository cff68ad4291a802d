#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The benchmark's "data safety" table: what each agent does to the writes
# of a client when a fault hits the primary's host.
#
# One command (as root, after building vigild):
#   test/bench/datasafety.sh [--vigild PATH] [--runs N] [--scenarios LIST]
# Options:
#   --vigild PATH     vigild to measure (default: build/agent/vigild)
#   --runs N          runs per scenario and setup (default 1)
#   --scenarios LIST  comma list of: delayed-replica old-primary
#                     vrrp-partition frozen-host dead-agent graceful-stop
#   --setups LIST     comma list of: vigil-ds vigil-baseline ka-tutorial
#   --out FILE        also write the report (markdown) to FILE
#   --keep            keep the raw data directory (its path is printed)
#   --analyze DIR     only print the report of a kept raw data directory
#
# The lab (test/lab/lab.sh, test/integration/db_lab.sh with DB_PROFILE=ds):
# h1 (MariaDB primary, server_id 1, agent priority 150) and h2 (its GTID
# replica, server_id 2, priority 100), semi-sync AFTER_SYNC (timeout 5 s,
# wait_no_slave ON), gtid_strict_mode, preempt on; the writer
# (db_writer_*) on host c INSERTs through the VIP 198.18.0.100 as the app
# user (no READ ONLY ADMIN), one fresh connection per attempt. Every run
# starts from fresh servers (db_lab_reset, db_lab_up) in the same lab.
# Setups:
#   vigil-ds        vigild, db_ds_conf: manage_read_only = yes, witness,
#                   read_only = ON in every my.cnf (docs/data-safety.md)
#   vigil-baseline  vigild, the same config without the data-safety keys
#                   (DS_BASELINE=1), both servers writable from my.cnf
#   ka-tutorial     keepalived 2.2.7 as test/bench/run.sh's ka-tutorial (VRRP
#                   v2, 1 s adverts, a vrrp_script running mysqladmin ping
#                   every 2 s, fall 3, rise 2, weight -60); keepalived
#                   cannot make a server read-only: both servers writable
# Scenarios (h1 holds the VIP; the writer has 10 writes acknowledged by h1):
#   delayed-replica  MASTER_DELAY 3 on h2 (db_master_delay), and once the
#                    first acknowledged write reached h2's table, kill -9
#                    of h1's mysqld; 20 s window
#   old-primary      kill -9 of h1's mysqld; once h2 acknowledged 10 writes
#                    (at most 25 s), h1's mysqld restarted with its data,
#                    standalone (db_mysqld_restart); 12 s window after it
#   vrrp-partition   protocol 112 dropped between h1 and h2 for 10 s
#                    (lab_drop_vrrp_between); 6 s window after the heal
#   frozen-host      SIGSTOP of h1's agent (keepalived: parent and VRRP
#                    child) and mysqld for 5 s, then SIGCONT, agent first
#                    (as db_freeze/db_thaw); 10 s window after it
#   dead-agent       kill -9 of h1's agent (keepalived: parent and VRRP
#                    child), its mysqld healthy; 6 s later the agent is
#                    started again (as systemd's Restart= would); 8 s window
#   graceful-stop    SIGTERM of h1's agent (keepalived: its parent); 10 s
# Then the writer stops, 2 s of settling, and the final master is the server
# answering SELECT @@server_id through the VIP from c.
# While the writer runs, each server's @@read_only is probed back to back
# (one prober per server, so a frozen one does not blind the other) and
# the VIP holder sampled every 100 ms; analysis in python3 (below).
# Everything stays in the lab's namespaces (198.18.0.0/24); every wait is
# bounded; processes are stopped by pid; the lab, the servers and the
# samplers are removed on any exit.
set -u

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_dir/../.." && pwd)

# ---------------------------------------------------------------- options
ORIG_ARGS="$*"
RUNS=1
KEEP=0
OUT=
ANALYZE=
VIGILD=${VIGILD:-$repo/build/agent/vigild}
ALL_SCENARIOS=" delayed-replica old-primary vrrp-partition frozen-host dead-agent graceful-stop "
ALL_SETUPS=" vigil-ds vigil-baseline ka-tutorial "
SCENARIOS=$(echo $ALL_SCENARIOS | tr ' ' ,)
SETUPS=$(echo $ALL_SETUPS | tr ' ' ,)

die_usage() { sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [ $# -gt 0 ]; do
	case $1 in
	--runs|-n) RUNS=${2:-}; shift ;;
	--scenarios) SCENARIOS=${2:-}; shift ;;
	--setups) SETUPS=${2:-}; shift ;;
	--vigild) VIGILD=${2:-}; shift ;;
	--out) OUT=${2:-}; shift ;;
	--keep) KEEP=1 ;;
	--analyze) ANALYZE=${2:-}; shift ;;
	-h|--help) die_usage ;;
	*) echo "datasafety.sh: unknown argument '$1'" >&2; die_usage ;;
	esac
	shift
done
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || { echo "datasafety.sh: --runs must be 1..99" >&2; exit 64; }
IFS=, read -r -a SCENARIO_LIST <<<"$SCENARIOS"
IFS=, read -r -a SETUP_LIST <<<"$SETUPS"
for s in "${SCENARIO_LIST[@]}"; do
	[[ $ALL_SCENARIOS == *" $s "* ]] || { echo "datasafety.sh: unknown scenario '$s'" >&2; exit 64; }
done
for s in "${SETUP_LIST[@]}"; do
	[[ $ALL_SETUPS == *" $s "* ]] || { echo "datasafety.sh: unknown setup '$s'" >&2; exit 64; }
done
if [ -z "$ANALYZE" ] && [ ! -x "$VIGILD" ]; then
	echo "datasafety.sh: no vigild at '$VIGILD' (build it, or pass --vigild PATH)" >&2
	exit 2
fi
[ -z "$OUT" ] || { mkdir -p "$(dirname "$OUT")" && OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT"); } || exit 1

# ---------------------------------------------------------------- analysis
# Per run, from the writer log (V START_US END_US ok SERVER_ID ID | err
# CODE), the read_only probes and meta; then one table row per scenario
# and setup (median (min-max) over the runs).
analyze() { # WORK OUT
	python3 - "$1" "$2" <<'PY'
import os, sys, statistics, bisect

work, out = sys.argv[1], sys.argv[2]
SCEN = [("delayed-replica", "delayed replica (MASTER_DELAY 3 s on h2), kill -9 of h1's mysqld"),
        ("old-primary", "old primary comes back (kill -9 of h1's mysqld, restarted standalone)"),
        ("vrrp-partition", "VRRP-only partition (protocol 112 dropped h1<->h2 for 10 s)"),
        ("frozen-host", "frozen host (SIGSTOP of h1's agent and mysqld for 5 s)"),
        ("dead-agent", "dead agent (kill -9 of h1's agent, restarted 6 s later)"),
        ("graceful-stop", "graceful stop (SIGTERM of h1's agent)")]
SETUPS = ["vigil-ds", "vigil-baseline", "ka-tutorial"]

def kv(path):
    d = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                d[k] = v
    return d

def probes(path):
    # (END_US, START_US, VALUE): the value was read at some moment
    # between the probe's start and its end.
    s = []
    if os.path.exists(path):
        for line in open(path):
            p = line.split()
            if len(p) == 3:
                s.append((int(p[1]), int(p[0]), p[2]))
    s.sort()
    return s

def writable_around(samples, ends, t0, t1):
    # Strict: the last probe that ended before the write started said 0
    # AND the first probe that started after it was acknowledged said 0:
    # the server was writable before and after the write.
    i = bisect.bisect_right(ends, t0) - 1
    if i < 0 or samples[i][2] != "0":
        return False
    for e, st, v in samples[i + 1:]:
        if st >= t1:
            return v == "0"
    return False

def writable_maybe(samples, ends, t0, t1):
    # Upper bound: the last probe that ended before the write started, or
    # one running during [t0, t1], said 0 (a change of the server's state
    # within one probe interval of the write counts).
    i = bisect.bisect_right(ends, t0) - 1
    if i >= 0 and samples[i][2] == "0":
        return True
    for e, st, v in samples[i + 1:]:
        if st > t1:
            break
        if v == "0":
            return True
    return False

runs = {}
for name in sorted(os.listdir(os.path.join(work, "runs"))):
    d = os.path.join(work, "runs", name)
    m = kv(os.path.join(d, "meta"))
    r = {"meta": m}
    if m.get("status") == "ok":
        ok = []
        last_end = 0
        for line in open(os.path.join(d, "writer.log")):
            p = line.split()
            if len(p) >= 3:
                last_end = max(last_end, int(p[2]))
            if len(p) >= 6 and p[3] == "ok":
                ok.append((int(p[1]), int(p[2]), "h" + p[4]))
        # Writes had not resumed when the window ended: the longest gap
        # runs into the end of the window (marked "+").
        open_gap = not ok or last_end - max(w[1] for w in ok) > 1000000
        pr = {h: probes(os.path.join(d, "ro." + h)) for h in ("h1", "h2")}
        ends = {h: [p[0] for p in pr[h]] for h in pr}
        shared = maybe = 0
        for t0, t1, s in ok:
            if any(writable_around(pr[x], ends[x], t0, t1) for x in pr if x != s):
                shared += 1
            if any(writable_maybe(pr[x], ends[x], t0, t1) for x in pr if x != s):
                maybe += 1
        # VIP samples: on two hosts; both servers writable at that moment
        # (last completed probe of each said 0).
        vs = []
        if os.path.exists(os.path.join(d, "vip")):
            for line in open(os.path.join(d, "vip")):
                p = line.split()
                vs.append((int(p[0]), p[1] if len(p) > 1 else ""))
        def state(h, t):
            i = bisect.bisect_right(ends[h], t) - 1
            return pr[h][i][2] if i >= 0 else "?"
        r.update(vip_samples=len(vs), vip_two=sum(1 for _, v in vs if "," in v),
                 two_writable=sum(1 for t, _ in vs if state("h1", t) == "0" and state("h2", t) == "0"))
        r.update(acked=len(ok), maybe=maybe, open_gap=open_gap, by={h: sum(1 for w in ok if w[2] == h) for h in ("h1", "h2")},
                 shared=shared, lost=m.get("lost", ""), gap=int(m.get("gap_ms", "0") or 0),
                 vip=m.get("vip_end") or "none", final=m.get("final", ""))
    runs.setdefault((m["scenario"], m["setup"]), []).append(r)

def agg(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "–"
    if min(vals) == max(vals):
        return str(vals[0])
    return "%g (%g–%g)" % (statistics.median(vals), min(vals), max(vals))

def num(x):
    try:
        return int(x)
    except (TypeError, ValueError):
        return None

rows = []
for sc, title in SCEN:
    for st in SETUPS:
        rs = runs.get((sc, st))
        if not rs:
            continue
        good = [r for r in rs if r["meta"].get("status") == "ok"]
        failed = len(rs) - len(good)
        if not good:
            rows.append((title, st, "failed", "", "", "", "", ""))
            continue
        acked = agg([r["acked"] for r in good])
        byh = "%s / %s" % (agg([r["by"]["h1"] for r in good]), agg([r["by"]["h2"] for r in good]))
        lost = agg([num(r["lost"]) for r in good])
        shared = agg([r["shared"] for r in good])
        if any(r["maybe"] != r["shared"] for r in good):
            shared += " (≤ %d)" % max(r["maybe"] for r in good)
        gap = agg([r["gap"] for r in good]) + ("+" if any(r["open_gap"] for r in good) else "")
        ends = {}
        for r in good:
            e = r["vip"].replace("+", " + ")
            if r["final"] and "+" in r["vip"]:
                e += " (c → %s)" % r["final"]
            ends[e] = ends.get(e, 0) + 1
        vip = ", ".join(k if len(ends) == 1 else "%s ×%d" % (k, n) for k, n in ends.items())
        if failed:
            vip += " (%d run(s) failed)" % failed
        rows.append((title, st, acked, byh, lost, shared, gap, vip))

mach = {}
for line in open(os.path.join(work, "machine.txt")):
    k, _, v = line.partition(": ")
    mach[k] = v.strip()

lines = []
lines.append("| scenario | setup | acknowledged writes | by h1 / h2 | lost | accepted while another server was writable | longest gap ms | VIP at the end |")
lines.append("|---|---|---|---|---|---|---|---|")
prev = None
for t, st, a, b, l, s, g, v in rows:
    lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (t if t != prev else "", st, a, b, l, s, g, v))
    prev = t
table = "\n".join(lines)

detail = ["", "Per run (raw):", ""]
detail.append("| scenario | setup | run | final master | lost | errors (code:count) | replication h1, h2 (IO/SQL/Last_SQL_Errno) | read_only at the end h1, h2 | samples: VIP on two hosts / both writable / all |")
detail.append("|---|---|---|---|---|---|---|---|---|")
for (sc, st), rs in sorted(runs.items()):
    for r in rs:
        m = r["meta"]
        if m.get("status") != "ok":
            detail.append("| %s | %s | %s | failed: %s | | | | | |" % (sc, st, m.get("rep"), m.get("reason", "")))
            continue
        detail.append("| %s | %s | %s | %s | %s | %s | %s, %s | %s, %s | %d / %d / %d |" % (
            sc, st, m.get("rep"), m.get("final") or "–", m.get("lost") or "–", m.get("errors", ""),
            m.get("repl_h1", ""), m.get("repl_h2", ""), m.get("ro_end_h1") or "x", m.get("ro_end_h2") or "x",
            r["vip_two"], r["two_writable"], r["vip_samples"]))

report = ["# Data safety: vigil (manage_read_only) vs vigil without it vs keepalived", "",
          "Command: `%s`; %s, %s CPU(s) (%s), kernel %s, %s, %s, vigil %s; load average %s at the start, %s at the end; %s s." % (
              mach.get("command"), mach.get("date"), mach.get("nproc"), mach.get("cpu"), mach.get("kernel"),
              mach.get("keepalived"), mach.get("mariadb", "").replace("/usr/sbin/mariadbd  ", ""),
              mach.get("vigil"), mach.get("loadavg_start"), mach.get("loadavg_end"), mach.get("duration_s")),
          "", "%s run(s) per row: median (min–max) when the runs differ." % mach.get("runs", "?"),
          "", table] + detail
text = "\n".join(report) + "\n"
sys.stdout.write(text)
if out:
    with open(out, "w") as f:
        f.write(text)
sys.exit(1 if any(r["meta"].get("status") != "ok" for rs in runs.values() for r in rs) else 0)
PY
}

if [ -n "$ANALYZE" ]; then analyze "$ANALYZE" "$OUT"; exit $?; fi

T_BEGIN=${EPOCHREALTIME/./}

# The cleanup below stops the servers; no trap of mariadb.sh's own.
export MDB_NO_TRAP=1
# Every setup runs the same servers: the data-safety profile (GTID strict,
# semi-sync AFTER_SYNC, the vigil user's data-safety grants); read_only in
# my.cnf is set per setup (setup_knobs).
DB_PROFILE=ds
# Attempts stuck on a frozen server (up to DB_WRITER_TIMEOUT_S) must not
# take every slot of the writer: it would stop trying the VIP at all.
DB_WRITER_PAR=${DB_WRITER_PAR:-8}
# vigil_lab.sh checks root and commands, then starts the lab (lab_init).
# shellcheck source=../integration/vigil_lab.sh
. "$repo/test/integration/vigil_lab.sh" "$VIGILD"
# shellcheck source=../integration/db_lab.sh
. "$repo/test/integration/db_lab.sh"
lab_require mysqladmin python3 awk keepalived

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-datasafety.XXXXXX") || exit 1
mkdir -p "$WORK/runs"

now_us() { _lab_now_us; }
say() { printf '[%6.1f s] %s\n' "$(( ($(now_us) - T_BEGIN) / 100000 ))e-1" "$*"; }

# ---------------------------------------------------------------- cleanup
SAMPLER_PIDS=()
declare -A AG_PIDS=([h1]='' [h2]='')
ds_cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	rm -f "$LAB_DIR/sampling" 2>/dev/null
	for p in "${SAMPLER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	[ -z "${DB_WRITER_PID:-}" ] || db_writer_stop 2>/dev/null
	for p in ${AG_PIDS[h1]} ${AG_PIDS[h2]}; do kill -CONT "$p" 2>/dev/null; done
	mdb_cleanup 2>/dev/null
	lab_teardown
	if [ "$KEEP" = 1 ]; then echo "datasafety.sh: raw data kept in $WORK" >&2; else rm -rf "$WORK"; fi
	exit "$rc"
}
trap ds_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc: $(nproc)"
	echo "kernel: $(uname -r)"
	echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
	echo "vigil: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "keepalived: $(keepalived --version 2>&1 | head -n1)"
	echo "mariadb: $("$MDB_BIN" --version 2>/dev/null | head -n1)"
	echo "loadavg_start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$WORK/machine.txt"

# ---------------------------------------------------------------- setups
# setup_knobs SETUP: the db_lab.sh knobs of SETUP (read by db_lab_up and
# db_ds_conf).
setup_knobs() {
	case $1 in
	vigil-ds) DS_BASELINE=0 DB_READ_ONLY_CNF=1 ;;
	vigil-baseline|ka-tutorial) DS_BASELINE=1 DB_READ_ONLY_CNF=0 ;;
	esac
}


ka_script_ok() { grep -q 'chk_mysql) succeeded' "$LAB_DIR/ka-$RUNTAG-$1.log" 2>/dev/null; }

# agent_start SETUP HOST: (re)start HOST's agent; its pids in AG_PIDS[HOST]
# (vigild: one; keepalived: parent and VRRP child).
agent_start() {
	local setup=$1 h=$2 conf
	case $setup in
	vigil-*)
		vigil_run "$h" "${RUNTAG}b"
		AG_PIDS[$h]=${!h} ;;
	ka-*)
		conf=$LAB_DIR/ka-$RUNTAG-$h.conf
		[ -f "$conf" ] || db_ka_tutorial_conf "$h" "$conf"
		keepalived_start "$h" "$conf" >/dev/null || return 1
		AG_PIDS[$h]=$(tr '\n' ' ' <"${conf%.conf}.started") ;;
	esac
}

# agents_start SETUP: both agents, the VIP on h1 alone with its server
# writable, h2's agent settled. Returns 1 if that is not reached.
agents_start() {
	local setup=$1 ms
	case $setup in
	vigil-*)
		db_ds_conf h1 150 && db_ds_conf h2 100 || return 1
		# vigil_run (in db_ds_start) keeps a log per start: unique names.
		db_ds_start "$RUNTAG" h1 h2 || return 1
		AG_PIDS[h1]=$h1 AG_PIDS[h2]=$h2 ;;
	ka-*)
		agent_start "$setup" h1 && agent_start "$setup" h2 || return 1
		ms=$(lab_wait_for 40000 eval 'lab_vip_held_by $DB_VIP h1 && ka_script_ok h1 && ka_script_ok h2') || {
			say "  keepalived not settled after $ms ms (VIP on '$(lab_vip_holder $DB_VIP)')"
			return 1
		}
		# As run.sh: let the scripts' first results settle.
		sleep 2 ;;
	esac
	lab_wait_for 10000 eval 'lab_vip_held_by $DB_VIP h1 && db_is_writable h1' >/dev/null || {
		say "  VIP not on h1 alone with h1 writable"; return 1; }
	sleep 1
}

agent_gone() { # HOST
	local p
	for p in ${AG_PIDS[$1]}; do lab_pid_alive "$p" && return 1; done
	return 0
}

# agent_stop HOST: CONT, TERM the main process, wait (bounded), KILL the rest.
agent_stop() {
	local h=$1 p
	[ -n "${AG_PIDS[$h]}" ] || return 0
	for p in ${AG_PIDS[$h]}; do kill -CONT "$p" 2>/dev/null; done
	set -- ${AG_PIDS[$h]}
	kill -TERM "$1" 2>/dev/null
	if ! lab_wait_for 5000 agent_gone "$h" >/dev/null; then
		for p in ${AG_PIDS[$h]}; do kill -KILL "$p" 2>/dev/null; done
		lab_wait_for 2000 agent_gone "$h" >/dev/null
	fi
	AG_PIDS[$h]=
}

# agent_signal HOST SIG [all]: SIG to the agent's main process, or (all)
# to every process of it (keepalived's parent and VRRP child at once).
agent_signal() {
	local p
	if [ "${3:-}" = all ]; then
		for p in ${AG_PIDS[$1]}; do kill -s "$2" "$p" 2>/dev/null; done
	else
		set -- "$1" "$2" ${AG_PIDS[$1]}
		kill -s "$2" "$3" 2>/dev/null
	fi
}

# ---------------------------------------------------------------- samplers
# sampler_start DIR: one prober per server appends "START_US END_US VALUE"
# to DIR/ro.HOST (VALUE: @@read_only, x = no answer within ~2 s); one
# sampler appends "US HOLDERS" (comma list) to DIR/vip. 100 ms apart;
# they end when $LAB_DIR/sampling goes, or after 300 s.
sampler_start() {
	local dir=$1 h
	: >"$LAB_DIR/sampling"
	SAMPLER_PIDS=()
	for h in h1 h2; do
		(
			end=$(($(_lab_now_us) + 300000000))
			while [ -e "$LAB_DIR/sampling" ] && [ "$(_lab_now_us)" -lt "$end" ]; do
				t0=$(_lab_now_us)
				v=$(db_read_only "$h")
				printf '%s %s %s\n' "$t0" "$(_lab_now_us)" "${v:-x}" >>"$dir/ro.$h"
				sleep 0.08
			done
		) &
		SAMPLER_PIDS+=("$!")
	done
	(
		end=$(($(_lab_now_us) + 300000000))
		while [ -e "$LAB_DIR/sampling" ] && [ "$(_lab_now_us)" -lt "$end" ]; do
			t0=$(_lab_now_us)
			v=$(lab_vip_holder "$DB_VIP")
			printf '%s %s\n' "$t0" "${v// /,}" >>"$dir/vip"
			sleep 0.09
		done
	) &
	SAMPLER_PIDS+=("$!")
}

samplers_gone() { local p; for p in "${SAMPLER_PIDS[@]}"; do lab_pid_alive "$p" && return 1; done; return 0; }

sampler_stop() {
	local p
	rm -f "$LAB_DIR/sampling"
	if ! lab_wait_for 5000 samplers_gone >/dev/null; then
		for p in "${SAMPLER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	fi
	for p in "${SAMPLER_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	SAMPLER_PIDS=()
}

# ---------------------------------------------------------------- scenarios
DELAY=3        # delayed-replica: MASTER_DELAY of h2 (s)
FREEZE_S=5     # frozen-host: how long h1's agent and mysqld stay stopped
PART_S=10      # vrrp-partition: how long protocol 112 is dropped
# Each scenario function runs from the fault on and returns when the
# observation window is over; it appends "EVENT US" lines to $RD/events.
ev() { printf '%s %s\n' "$1" "$(_lab_now_us)" >>"$RD/events"; }

acked_since() { [ "$(db_writer_acked "$1" "$2")" -ge "$3" ]; }

sc_delayed_replica() {
	ev fault; db_mysqld_signal h1 KILL
	# keepalived needs up to ~9 s to move (fall 3 x 2 s), and h2's first
	# commit then waits out the semi-sync timeout (5 s): 20 s.
	sleep 20
}

sc_old_primary() {
	local t
	ev fault; t=$(_lab_now_us); db_mysqld_signal h1 KILL
	lab_wait_for 25000 acked_since 2 "$t" 10 >/dev/null || say "  (h2 acknowledged fewer than 10 writes in 25 s)"
	sleep 1
	ev restore; db_mysqld_restart h1 || say "  cannot restart h1's mysqld"
	sleep 12
}

sc_vrrp_partition() {
	ev fault; lab_drop_vrrp_between h1 h2
	sleep "$PART_S"
	ev restore; lab_allow_vrrp_between h1 h2
	sleep 6
}

sc_frozen_host() {
	ev fault
	agent_signal h1 STOP all; db_mysqld_signal h1 STOP
	sleep "$FREEZE_S"
	ev restore
	# As db_thaw: the agent first, then the mysqld.
	agent_signal h1 CONT all; db_mysqld_signal h1 CONT
	sleep 10
}

sc_dead_agent() {
	ev fault; agent_signal h1 KILL all
	lab_wait_for 3000 agent_gone h1 >/dev/null
	sleep 6
	# The agent comes back (systemd's Restart=, an operator).
	ev restore; agent_start "$SETUP" h1 || say "  cannot restart h1's agent"
	sleep 8
}

sc_graceful_stop() {
	ev fault; agent_signal h1 TERM
	sleep 10
}

# ---------------------------------------------------------------- one run
LAB_UP=0
RUN_NO=0
# run_one SCENARIO SETUP REP
run_one() {
	local sc=$1 rep=$3 ms v1 holder sid final lost h f
	SETUP=$2
	RUN_NO=$((RUN_NO + 1))
	RUNTAG=r$RUN_NO
	RD=$WORK/runs/$sc.$SETUP.$rep
	mkdir -p "$RD"
	printf 'scenario=%s\nsetup=%s\nrep=%s\n' "$sc" "$SETUP" "$rep" >"$RD/meta"
	setup_knobs "$SETUP"
	if [ "$LAB_UP" = 1 ]; then db_lab_reset; fi
	LAB_UP=1
	if ! db_lab_up; then run_failed "database lab did not come up"; return 1; fi
	if [ "$sc" = delayed-replica ] && ! db_master_delay h2 $DELAY; then
		run_failed "cannot delay h2"; return 1
	fi
	if ! agents_start "$SETUP"; then run_failed "agents not ready"; return 1; fi
	sampler_start "$RD"
	# Every server probed once before the first write.
	sleep 0.3
	db_writer_start 5000 180 || { run_failed "writer did not start"; return 1; }
	db_writer_wait_acked 10 8000 1 >/dev/null || say "  (h1 acknowledged fewer than 10 writes in 8 s)"
	if [ "$sc" = delayed-replica ]; then
		# h2's backlog is steady once the first acknowledged write reached
		# its table: DELAY s of writes are now in its relay log only.
		v1=$(awk '$4 == "ok" { print $1; exit }' "$DB_WRITER_LOG")
		lab_wait_for $(((DELAY + 5) * 1000)) eval \
			"[ \"\$(db_sql h2 'SELECT COUNT(*) FROM appdb.w WHERE v = ${v1:-0}')\" = 1 ]" >/dev/null ||
			say "  (the first acknowledged write did not reach h2's table)"
		echo "backlog=$(db_writer_missing h2)" >>"$RD/meta"
	fi
	"sc_${sc//-/_}"
	ev end
	db_writer_stop
	# Replication and the agents settle; the samplers see it.
	sleep 2
	sampler_stop
	holder=$(lab_vip_holder "$DB_VIP")
	sid=$(db_server_id_via_vip)
	final=
	case $sid in 1|2) final=h$sid ;; *) [[ $holder == h[12] ]] && final=$holder ;; esac
	lost=
	[ -z "$final" ] || lost=$(db_writer_missing "$final")
	{
		echo "status=ok"
		echo "vip_end=${holder// /+}"
		echo "via_vip=${sid:-none}"
		echo "final=$final"
		echo "lost=$lost"
		echo "gap_ms=$(db_writer_max_gap_ms)"
		echo "errors=$(db_writer_error_summary)"
		for h in h1 h2; do
			echo "repl_$h=$(db_slave "$h" Slave_IO_Running 2>/dev/null)/$(db_slave "$h" Slave_SQL_Running 2>/dev/null)/$(db_slave "$h" Last_SQL_Errno 2>/dev/null)"
			echo "ro_end_$h=$(db_read_only "$h")"
		done
	} >>"$RD/meta"
	say "  $sc $SETUP #$rep: VIP on ${holder:-nobody}, client served by ${final:-nobody}, $(db_writer_acked) acknowledged, lost ${lost:-?}"
	collect_logs
	agent_stop h1; agent_stop h2
}

# run_failed REASON: record it, stop what runs; the next run starts afresh.
run_failed() {
	say "  $sc $SETUP #$rep: FAILED: $1"
	printf 'status=failed\nreason=%s\n' "$1" >>"$RD/meta"
	rm -f "$LAB_DIR/sampling"
	[ ${#SAMPLER_PIDS[@]} = 0 ] || sampler_stop
	[ -z "${DB_WRITER_PID:-}" ] || db_writer_stop
	collect_logs
	agent_stop h1; agent_stop h2
}

# collect_logs: the run's writer log, agent logs and server error logs.
collect_logs() {
	local h f
	[ -z "${DB_WRITER_LOG:-}" ] || cp "$DB_WRITER_LOG" "$RD/writer.log" 2>/dev/null
	[ -z "${DB_WRITER_LOG:-}" ] || cp "$DB_WRITER_LOG.errors" "$RD/writer.errors" 2>/dev/null
	for h in h1 h2; do
		for f in "$LAB_DIR/$h.vigild.log" "$LAB_DIR/$h.$RUNTAG.log" "$LAB_DIR/ka-$RUNTAG-$h.log" \
			"$LAB_DIR/ka-$RUNTAG-$h.conf"; do
			[ -f "$f" ] && cp "$f" "$RD/" 2>/dev/null
		done
		[[ $SETUP != vigil-* ]] || cp "$LAB_DIR/$h.ini" "$RD/" 2>/dev/null
		cp "$(db_dir "$h")/error.log" "$RD/mysqld-$h.log" 2>/dev/null
	done
	# vigil_run keeps older logs by renaming: this run's are copied.
	rm -f "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h2.vigild.log" "$LAB_DIR"/h[12]."$RUNTAG".log
	DB_WRITER_LOG=
}

# ---------------------------------------------------------------- main
say "data safety: scenarios ${SCENARIO_LIST[*]}; setups ${SETUP_LIST[*]}; $RUNS run(s) each"
for sc in "${SCENARIO_LIST[@]}"; do
	say "== $sc"
	for setup in "${SETUP_LIST[@]}"; do
		for rep in $(seq 1 "$RUNS"); do run_one "$sc" "$setup" "$rep"; done
	done
done

{
	echo "loadavg_end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "duration_s: $(( ($(now_us) - T_BEGIN) / 1000000 ))"
	echo "runs: $RUNS"
	echo "command: test/bench/datasafety.sh $ORIG_ARGS"
} >>"$WORK/machine.txt"

analyze "$WORK" "$OUT"
rc=$?
exit $rc
