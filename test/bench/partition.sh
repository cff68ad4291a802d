#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The benchmark's "partition" table: the master's host cut off from every
# other host while clients on both sides write, then healed; what each
# setup lets happen.
#
# One command (as root, after building vigild and vigilctl):
#   test/bench/partition.sh [--vigild PATH] [--runs N] [--seconds S]
# Options:
#   --vigild PATH    vigild to measure (default: build/gcc/agent/vigild;
#                    vigilctl is taken beside it)
#   --runs N         runs per setup (default 3)
#   --seconds S      how long h1 stays cut off (default 20)
#   --settle S       observed after the heal (default 10)
#   --setups LIST    comma list of: ka-tutorial vigil-ds vigil-quorum
#   --out FILE       also write the report (markdown) to FILE
#   --keep           keep the raw data directory (its path is printed)
#
# The lab (test/integration/quorum_lab.sh): h1 (MariaDB primary, server_id
# 1, priority 150), h2 (its GTID replica, 100), the data-safety servers of
# test/bench/datasafety.sh (semi-sync AFTER_SYNC with an 8 s timeout, at
# least lease_ttl as docs/quorum.md asks,
# gtid_strict_mode), a three-member etcd cluster on h1, h2 and w
# (198.18.0.13; it runs for every setup, so every setup sees the same
# network), the client host c (198.18.0.14). Two writers (db_lab.sh's
# writer, fresh connection per attempt, as the app user) through the VIP:
# one on c, one in h1's own namespace (so writes an isolated master
# acknowledges are counted). Setups, all in the same run:
#   ka-tutorial   keepalived 2.2.7 as RESULTS.md's "ka-tutorial" (VRRP v2,
#                 1 s adverts, a vrrp_script running mysqladmin ping every
#                 2 s, fall 3, rise 2, weight -60); nothing manages
#                 read_only: both servers writable, as in the tutorial
#   vigil-ds      vigild with data safety (db_ds_conf: manage_read_only,
#                 witness, read_only = ON in every my.cnf), no [quorum]
#   vigil-quorum  the same plus [quorum] on the etcd cluster (lease_ttl 6s,
#                 quorum_lost = demote)
# One run: fresh servers (db_lab_reset, db_lab_up), the agents started, h1
# holding the VIP with its server writable, both writers acknowledged; then
# h1 is cut off (quorum_isolate: every frame to or from h1 dropped at the
# switch, links up) for S seconds, healed, SETTLE seconds observed; the
# writers stop. A sampler (every 100 ms) records the VIP holders and the
# writable servers; from the cut to the end of the window: seconds with
# two writable servers, seconds with the VIP on two hosts (each sample
# counts until the next). The final master is the server answering through
# the VIP from c; acknowledged writes lost = acknowledged writes (both
# writers) missing from its table. Median (min–max) over the runs.
# Everything stays in the lab's namespaces (198.18.0.0/24); every wait is
# bounded; processes are stopped by pid; the lab is removed on any exit.
set -u

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_dir/../.." && pwd)

ORIG_ARGS="$*"
RUNS=3
CUT_S=20
SETTLE_S=10
KEEP=0
OUT=
VIGILD=${VIGILD:-$repo/build/gcc/agent/vigild}
ALL_SETUPS=" ka-tutorial vigil-ds vigil-quorum "
SETUPS=$(echo $ALL_SETUPS | tr ' ' ,)

die_usage() { sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [ $# -gt 0 ]; do
	case $1 in
	--runs|-n) RUNS=${2:-}; shift ;;
	--seconds) CUT_S=${2:-}; shift ;;
	--settle) SETTLE_S=${2:-}; shift ;;
	--setups) SETUPS=${2:-}; shift ;;
	--vigild) VIGILD=${2:-}; shift ;;
	--out) OUT=${2:-}; shift ;;
	--keep) KEEP=1 ;;
	-h|--help) die_usage ;;
	*) echo "partition.sh: unknown argument '$1'" >&2; die_usage ;;
	esac
	shift
done
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || { echo "partition.sh: --runs must be 1..99" >&2; exit 64; }
[[ $CUT_S =~ ^[1-9][0-9]{0,2}$ ]] || { echo "partition.sh: --seconds must be 1..999" >&2; exit 64; }
[[ $SETTLE_S =~ ^[1-9][0-9]{0,2}$ ]] || { echo "partition.sh: --settle must be 1..999" >&2; exit 64; }
IFS=, read -r -a SETUP_LIST <<<"$SETUPS"
for s in "${SETUP_LIST[@]}"; do
	[[ $ALL_SETUPS == *" $s "* ]] || { echo "partition.sh: unknown setup '$s'" >&2; exit 64; }
done
if [ ! -x "$VIGILD" ]; then
	echo "partition.sh: no vigild at '$VIGILD' (build it, or pass --vigild PATH)" >&2
	exit 2
fi
[ -z "$OUT" ] || { mkdir -p "$(dirname "$OUT")" && OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT"); } || exit 1

T_BEGIN=${EPOCHREALTIME/./}
export MDB_NO_TRAP=1
DB_PROFILE=ds
# shellcheck source=../integration/vigil_lab.sh
. "$repo/test/integration/vigil_lab.sh" "$VIGILD"
# shellcheck source=../integration/quorum_lab.sh
. "$repo/test/integration/quorum_lab.sh"
quorum_require
lab_require keepalived

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-partition.XXXXXX") || exit 1
mkdir -p "$WORK/runs"
now_us() { _lab_now_us; }
say() { printf '[%6.1f s] %s\n' "$(( ($(now_us) - T_BEGIN) / 100000 ))e-1" "$*"; }

declare -A AG_PIDS=([h1]='' [h2]='')
part_cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	quorum_sampler_stop 2>/dev/null
	qw_stop_all 2>/dev/null
	for p in ${AG_PIDS[h1]} ${AG_PIDS[h2]}; do kill -CONT "$p" 2>/dev/null; done
	mdb_cleanup 2>/dev/null
	lab_teardown
	if [ "$KEEP" = 1 ]; then echo "partition.sh: raw data kept in $WORK" >&2; else rm -rf "$WORK"; fi
	exit "$rc"
}
trap part_cleanup EXIT
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
	echo "etcd: $("$LAB_ETCD_BIN" --version 2>/dev/null | sed -n 's/^etcd Version: //p')"
	echo "loadavg_start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$WORK/machine.txt"

# ---------------------------------------------------------------- setups
setup_knobs() {
	case $1 in
	vigil-ds|vigil-quorum) DS_BASELINE=0 DB_READ_ONLY_CNF=1 ;;
	ka-tutorial) DS_BASELINE=1 DB_READ_ONLY_CNF=0 ;;
	esac
}

ka_script_ok() { grep -q 'chk_mysql) succeeded' "$LAB_DIR/ka-$RUNTAG-$1.log" 2>/dev/null; }

# agents_start SETUP: both agents; the VIP on h1 alone with its server
# writable. Returns 1 (REASON set) if not.
agents_start() {
	local setup=$1 ms conf h
	case $setup in
	vigil-ds|vigil-quorum)
		local q=()
		[ "$setup" = vigil-quorum ] || q=(q_none=1)
		if ! quorum_conf h1 150 "${q[@]}" 2>"$RD/conftest.txt" || ! quorum_conf h2 100 "${q[@]}" 2>>"$RD/conftest.txt"; then
			REASON="vigild -t refuses the config: $(grep -m1 -E 'ini:[0-9]+:' "$RD/conftest.txt" | sed 's/.*\.ini:/line /')"
			return 1
		fi
		db_ds_start "$RUNTAG" h1 h2 || { REASON="vigild: h1 not master with a writable server"; return 1; }
		AG_PIDS[h1]=$h1 AG_PIDS[h2]=$h2
		if [ "$setup" = vigil-quorum ]; then
			lab_wait_for 10000 quorum_holder_is h1 >/dev/null || { REASON="h1 does not hold the etcd key"; return 1; }
		fi ;;
	ka-tutorial)
		for h in h1 h2; do
			conf=$LAB_DIR/ka-$RUNTAG-$h.conf
			db_ka_tutorial_conf "$h" "$conf"
			keepalived_start "$h" "$conf" >/dev/null || { REASON="keepalived does not start on $h"; return 1; }
			AG_PIDS[$h]=$(tr '\n' ' ' <"${conf%.conf}.started")
		done
		ms=$(lab_wait_for 40000 eval 'lab_vip_held_by $DB_VIP h1 && ka_script_ok h1 && ka_script_ok h2') || {
			REASON="keepalived not settled after $ms ms"; return 1; }
		sleep 2 ;;
	esac
	lab_wait_for 10000 eval 'lab_vip_held_by $DB_VIP h1 && db_is_writable h1' >/dev/null || {
		REASON="VIP not on h1 alone with h1 writable"; return 1; }
}

agent_gone() { local p; for p in ${AG_PIDS[$1]}; do lab_pid_alive "$p" && return 1; done; return 0; }
agent_stop() {
	local h=$1 p
	[ -n "${AG_PIDS[$h]}" ] || return 0
	set -- ${AG_PIDS[$h]}
	kill -TERM "$1" 2>/dev/null
	if ! lab_wait_for 5000 agent_gone "$h" >/dev/null; then
		for p in ${AG_PIDS[$h]}; do kill -KILL "$p" 2>/dev/null; done
		lab_wait_for 2000 agent_gone "$h" >/dev/null
	fi
	AG_PIDS[$h]=
}

# ---------------------------------------------------------------- one run
RUN_NO=0
run_one() { # SETUP REP
	local setup=$1 rep=$2 t_cut t_heal t_end n tw tv tw_ms tv_ms none step sid final holder lost
	RUN_NO=$((RUN_NO + 1))
	RUNTAG=r$RUN_NO
	RD=$WORK/runs/$setup.$rep
	mkdir -p "$RD"
	REASON=
	QUORUM_SAMPLES=
	printf 'setup=%s\nrep=%s\n' "$setup" "$rep" >"$RD/meta"
	quorum_heal_all
	if [ "$QUORUM_DB_UP" = 1 ]; then
		db_lab_reset
		QUORUM_DB_UP=0
	fi
	QW_LOG=() QW_PID=()
	setup_knobs "$setup"
	if ! quorum_lab_up; then run_failed "the lab did not come up"; return 1; fi
	etcdctl_lab w del --prefix "$QUORUM_PREFIX" >/dev/null 2>&1 || true
	if ! agents_start "$setup"; then run_failed "$REASON"; return 1; fi
	quorum_sampler_start "$RUNTAG" $((CUT_S + SETTLE_S + 60))
	qw_start c 20000 $((CUT_S + SETTLE_S + 60)) && qw_start h1 20000 $((CUT_S + SETTLE_S + 60)) ||
		{ run_failed "writers did not start"; return 1; }
	if ! lab_wait_for 10000 eval 'qw_acked_ge c 1 10 && qw_acked_ge h1 1 10' >/dev/null; then
		run_failed "h1 acknowledged fewer than 10 writes of each writer in 10 s"; return 1
	fi
	t_cut=$(now_us)
	quorum_isolate h1 || { run_failed "cannot isolate h1"; return 1; }
	sleep "$CUT_S"
	t_heal=$(now_us)
	quorum_heal h1
	sleep "$SETTLE_S"
	t_end=$(now_us)
	qw_stop_all
	quorum_sampler_stop
	read -r n tw tv tw_ms tv_ms none step < <(quorum_sample_stats "$QUORUM_SAMPLES" "$t_cut" "$t_end")
	holder=$(lab_vip_holder "$DB_VIP")
	sid=$(db_server_id_via_vip)
	final=
	case $sid in 1|2) final=h$sid ;; *) [[ $holder == h[12] ]] && final=$holder ;; esac
	lost=
	[ -z "$final" ] || lost=$(qw_missing "$final")
	{
		echo "status=ok"
		echo "samples=$n"
		echo "max_step_ms=$step"
		echo "two_writable_ms=$tw_ms"
		echo "two_vip_ms=$tv_ms"
		echo "vip_none_samples=$none"
		echo "vip_end=${holder// /+}"
		echo "final=$final"
		echo "lost=$lost"
		echo "acked_c=$(qw_acked c) acked_c_h1=$(qw_acked c 1) acked_c_h2=$(qw_acked c 2)"
		echo "acked_h1=$(qw_acked h1) acked_h1_h1=$(qw_acked h1 1) acked_h1_h2=$(qw_acked h1 2)"
		echo "acked_by_h1_in_cut=$(awk -v a="$t_cut" -v b="$t_heal" '$4 == "ok" && $5 == 1 && $3 >= a && $3 <= b' "${QW_LOG[c]}" "${QW_LOG[h1]}" | wc -l)"
		echo "acked_by_h2_in_cut=$(awk -v a="$t_cut" -v b="$t_heal" '$4 == "ok" && $5 == 2 && $3 >= a && $3 <= b' "${QW_LOG[c]}" "${QW_LOG[h1]}" | wc -l)"
		echo "errors_c=$(qw_errors c)"
		echo "errors_h1=$(qw_errors h1)"
		echo "ro_end=$(db_read_only h1)/$(db_read_only h2)"
	} >>"$RD/meta"
	say "  $setup #$rep: two writable $(printf '%.1f' "$((tw_ms / 100))e-1") s, VIP on two hosts $(printf '%.1f' "$((tv_ms / 100))e-1") s, final ${final:-none}, lost ${lost:-?} ($n samples, longest step $step ms)"
	collect
	agent_stop h2; agent_stop h1
}

run_failed() {
	say "  $setup #$rep: FAILED: $1"
	printf 'status=failed\nreason=%s\n' "$1" >>"$RD/meta"
	quorum_sampler_stop
	qw_stop_all
	collect
	agent_stop h2; agent_stop h1
	quorum_heal_all
}

collect() {
	local h f
	[ -z "$QUORUM_SAMPLES" ] || cp "$QUORUM_SAMPLES" "$RD/samples" 2>/dev/null
	for h in c h1; do [ -z "${QW_LOG[$h]:-}" ] || cp "${QW_LOG[$h]}" "$RD/writer.$h" 2>/dev/null; done
	for h in h1 h2; do
		for f in "$LAB_DIR/$h.vigild.log" "$LAB_DIR/ka-$RUNTAG-$h.log" "$LAB_DIR/ka-$RUNTAG-$h.conf" "$LAB_DIR/$h.ini"; do
			[ -f "$f" ] && cp "$f" "$RD/" 2>/dev/null
		done
	done
	rm -f "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h2.vigild.log"
}

# ---------------------------------------------------------------- main
say "partition: h1 cut off for $CUT_S s, $SETTLE_S s after the heal; setups ${SETUP_LIST[*]}; $RUNS run(s) each"
for rep in $(seq 1 "$RUNS"); do
	for setup in "${SETUP_LIST[@]}"; do run_one "$setup" "$rep"; done
done
{
	echo "loadavg_end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "duration_s: $(( ($(now_us) - T_BEGIN) / 1000000 ))"
	echo "command: test/bench/partition.sh $ORIG_ARGS"
	echo "cut_s: $CUT_S"
	echo "settle_s: $SETTLE_S"
	echo "runs: $RUNS"
} >>"$WORK/machine.txt"

python3 - "$WORK" "$OUT" "${SETUP_LIST[@]}" <<'PY'
import os, sys, statistics
work, out, setups = sys.argv[1], sys.argv[2], sys.argv[3:]
TITLE = {"ka-tutorial": "keepalived tutorial (mysqladmin ping script, both servers writable)",
         "vigil-ds": "vigil, data safety, no quorum",
         "vigil-quorum": "vigil, data safety + quorum on etcd"}
def kv(p):
    d = {}
    for line in open(p):
        if line.startswith("reason="):
            d["reason"] = line.rstrip("\n")[7:]
            continue
        for part in line.split():
            if "=" in part:
                k, v = part.split("=", 1); d[k] = v
    return d
mach = {}
for line in open(os.path.join(work, "machine.txt")):
    k, _, v = line.partition(": "); mach[k] = v.strip()
runs = {}
for name in sorted(os.listdir(os.path.join(work, "runs"))):
    m = kv(os.path.join(work, "runs", name, "meta"))
    runs.setdefault(m["setup"], []).append(m)
def agg(vals, fmt):
    if not vals:
        return "–"
    med = statistics.median(vals)
    if min(vals) == max(vals):
        return fmt % vals[0]
    return (fmt + " (" + fmt + "–" + fmt + ")") % (med, min(vals), max(vals))
lines = ["| setup | seconds with two writable servers | seconds with the VIP on two hosts | acknowledged writes lost |",
         "|---|---|---|---|"]
detail = ["", "Per run:", "",
          "| setup | run | two writable s | VIP on two hosts s | final master | lost | acknowledged by h1 / h2 during the cut | writer errors (c; h1) | samples (longest step ms) |",
          "|---|---|---|---|---|---|---|---|---|"]
failed = 0
for st in setups:
    rs = runs.get(st, [])
    good = [r for r in rs if r.get("status") == "ok"]
    bad = [r for r in rs if r.get("status") != "ok"]
    failed += len(bad)
    if not good:
        why = bad[0].get("reason", "") if bad else "not run"
        lines.append("| %s | failed | failed | failed (%s) |" % (TITLE.get(st, st), why))
    else:
        lost = [int(r["lost"]) for r in good if r.get("lost", "").isdigit()]
        note = " (%d run(s) failed)" % len(bad) if bad else ""
        lines.append("| %s | %s | %s | %s%s |" % (TITLE.get(st, st),
            agg([int(r["two_writable_ms"]) / 1000 for r in good], "%.1f"),
            agg([int(r["two_vip_ms"]) / 1000 for r in good], "%.1f"),
            agg(lost, "%g") if lost else "–", note))
    for r in rs:
        if r.get("status") != "ok":
            detail.append("| %s | %s | failed: %s | | | | | | |" % (st, r.get("rep"), r.get("reason", "")))
            continue
        detail.append("| %s | %s | %.1f | %.1f | %s | %s | %s / %s | %s; %s | %s (%s) |" % (
            st, r["rep"], int(r["two_writable_ms"]) / 1000, int(r["two_vip_ms"]) / 1000,
            r.get("final") or "–", r.get("lost") or "–", r.get("acked_by_h1_in_cut"), r.get("acked_by_h2_in_cut"),
            r.get("errors_c"), r.get("errors_h1"), r.get("samples"), r.get("max_step_ms")))
head = ["# Partition: the master's host cut off (keepalived tutorial vs vigil without and with quorum)", "",
        "Command: `%s`; %s, %s CPU(s) (%s), kernel %s, %s, %s, etcd %s, vigil %s; load average %s at the start, %s at the end; %s s." % (
            mach.get("command"), mach.get("date"), mach.get("nproc"), mach.get("cpu"), mach.get("kernel"),
            mach.get("keepalived"), mach.get("mariadb", "").replace("/usr/sbin/mariadbd  ", ""), mach.get("etcd"),
            mach.get("vigil"), mach.get("loadavg_start"), mach.get("loadavg_end"), mach.get("duration_s")),
        "",
        "h1 (the master's host) cut off from h2, w and c for %s s, then healed; window: from the cut to %s s after the heal (%s s). Writers through the VIP on c and in h1's namespace. %s run(s) per row: median (min–max)." % (
            mach.get("cut_s"), mach.get("settle_s"), int(mach.get("cut_s", 0)) + int(mach.get("settle_s", 0)), mach.get("runs")),
        ""]
text = "\n".join(head + lines + detail) + "\n"
sys.stdout.write(text)
if out:
    open(out, "w").write(text)
sys.exit(1 if failed else 0)
PY
