#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scale: many VRRP instances on one interface, vigild against keepalived.
#
#   sudo test/bench/scale.sh [--vigild PATH] [-n RUNS] [--instances N]
#                            [--window S] [--agents vigil,keepalived]
#   sudo test/bench/scale.sh --smoke [--vigild PATH]     a few seconds, for ctest
#
# The lab (test/lab/lab.sh): h1 and h2 on one bridge. Each agent runs as a
# pair, h1 at priority 150 for every instance (the master of all), h2 at
# 100 (the backup of all): N instances (default 128) on eth0, VRIDs 1..N,
# one VIP each, VRRPv3 adverts every 100 ms, preempt on. h1 starts first
# and h2 once h1 is master of all: what is measured is the steady state
# (test/integration/vrrp_many.sh has takeovers of many instances at once). The pairs run
# one after the other in the same lab (they would share VRIDs), in
# alternating order from run to run so that a drift of the machine's
# load does not favour one. Per run and agent: both daemons started, the
# election checked (every instance MASTER on h1, BACKUP on h2, every VIP
# on h1 alone), a settling pause, then the CPU (user + system, from
# /proc/PID/stat; keepalived's parent and VRRP child summed) of the
# master's and the backup's daemon over the same window (default 30 s),
# and their RSS; then both stopped (SIGTERM) and the VIPs checked gone.
#
# Printed: one table with the median, min and max over the runs of each
# daemon and role, every run's figures, and whether vigild's master and
# backup are at or below keepalived's. Exit 0 when every run elected and
# measured; with --smoke (32 instances, 1 run, 3 s window) also when both
# vigild stay below a generous 50% of a core (a broken receiver, not a
# figure). CPU figures are indicative on a machine shared with other work:
# compare the medians of several runs. 77 (skip) without root outside CI,
# 1 under CI=true (test/lab/lab.sh's rule). Everything is torn down on any
# exit; every wait is bounded.
set -u

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_dir/../.." && pwd)

RUNS=5
N=128
WINDOW=30
SETTLE=3
AGENTS=vigil,keepalived
SMOKE=0
VIGILD=${VIGILD:-$repo/build/agent/vigild}
SMOKE_LIMIT=50

usage() { sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--vigild) VIGILD=${2:-}; shift ;;
	-n) RUNS=${2:-}; shift ;;
	--instances) N=${2:-}; shift ;;
	--window) WINDOW=${2:-}; shift ;;
	--settle) SETTLE=${2:-}; shift ;;
	--agents) AGENTS=${2:-}; shift ;;
	-h|--help) usage ;;
	*) echo "scale.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
[ "$SMOKE" = 0 ] || { RUNS=1 N=32 WINDOW=3 SETTLE=1; }
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || { echo "scale.sh: -n must be 1..99" >&2; exit 64; }
[[ $N =~ ^[1-9][0-9]*$ ]] && [ "$N" -le 150 ] || { echo "scale.sh: --instances must be 1..150" >&2; exit 64; }
[[ $WINDOW =~ ^[1-9][0-9]*$ ]] && [ "$WINDOW" -le 600 ] || { echo "scale.sh: --window must be 1..600 s" >&2; exit 64; }
[[ $SETTLE =~ ^[0-9]+$ ]] || { echo "scale.sh: --settle must be whole seconds" >&2; exit 64; }
IFS=, read -r -a AGENT_LIST <<<"$AGENTS"
for a in "${AGENT_LIST[@]}"; do
	case $a in vigil|keepalived) ;; *) echo "scale.sh: unknown agent '$a'" >&2; exit 64 ;; esac
done
if [ ! -x "$VIGILD" ]; then
	echo "scale.sh: no vigild at '$VIGILD' (build it, or pass --vigild PATH)" >&2
	exit 2
fi

# vigil_lab.sh checks root and commands, then starts the lab (lab_init).
# shellcheck source=../integration/vigil_lab.sh
. "$repo/test/integration/vigil_lab.sh" "$VIGILD"
# shellcheck source=../lab/many.sh
. "$repo/test/lab/many.sh"
lab_add_host h1 && lab_add_host h2 || exit 1

T0=${EPOCHREALTIME/./}
say() { printf '[%6.1f s] %s\n' "$(( (${EPOCHREALTIME/./} - T0) / 100000 ))e-1" "$*"; }
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# rss_kb PID...: summed VmRSS.
rss_kb() {
	local p s=0 v
	for p in "$@"; do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	printf '%s\n' "$s"
}

# Per agent: PIDS[h1], PIDS[h2] ("A+B" for keepalived's two processes).
declare -A PIDS=()
declare -a RESULTS=()   # "agent role run cpu rss"
FAILED=0

# elected AGENT: every instance MASTER on h1 and BACKUP on h2, every VIP
# on h1 alone.
elected() {
	local m b
	case $1 in
	vigil) m=$(many_vigil_count h1.vigild.log MASTER) b=$(many_vigil_count h2.vigild.log BACKUP) ;;
	keepalived) m=$(many_ka_count "$LAB_DIR/ka-h1.conf" MASTER) b=$(many_ka_count "$LAB_DIR/ka-h2.conf" BACKUP) ;;
	esac
	[ "$m" = "$N" ] && [ "$b" = "$N" ] && [ "$(many_vips_on h1 "$N")" = "$N" ] &&
		[ "$(many_vips_on h2 "$N")" = 0 ]
}

pair_start() { # AGENT
	local h
	case $1 in
	vigil)
		many_vigil_conf "$LAB_DIR/h1.ini" h1 "$N" 150 150
		many_vigil_conf "$LAB_DIR/h2.ini" h2 "$N" 100 100
		for h in h1 h2; do
			[ ! -f "$LAB_DIR/$h.vigild.log" ] || mv "$LAB_DIR/$h.vigild.log" "$LAB_DIR/$h.vigild.$RUN.log"
			vigil_start "$h" "$LAB_DIR/$h.ini" || return 1
			PIDS[$h]=$LAB_PID
			[ "$h" = h2 ] || lab_wait_for 10000 many_count_is "$N" many_vigil_count h1.vigild.log MASTER >/dev/null
		done ;;
	keepalived)
		many_ka_conf "$LAB_DIR/ka-h1.conf" h1 "$N" 150 150
		many_ka_conf "$LAB_DIR/ka-h2.conf" h2 "$N" 100 100
		for h in h1 h2; do
			[ ! -f "$LAB_DIR/ka-$h.log" ] || mv "$LAB_DIR/ka-$h.log" "$LAB_DIR/ka-$h.$RUN.log.old"
			keepalived_start "$h" "$LAB_DIR/ka-$h.conf" >/dev/null || return 1
			PIDS[$h]=$(paste -sd+ "$LAB_DIR/ka-$h.started")
			[ "$h" = h2 ] || lab_wait_for 10000 many_count_is "$N" many_ka_count "$LAB_DIR/ka-h1.conf" MASTER >/dev/null
		done ;;
	esac
}

pair_gone() { local p; for p in ${PIDS[h1]//+/ } ${PIDS[h2]//+/ }; do lab_pid_alive "$p" && return 1; done; return 0; }

pair_stop() {
	local p
	for h in h1 h2; do
		p=${PIDS[$h]:-}
		[ -n "$p" ] && lab_kill "${p%%+*}" TERM
	done
	if ! lab_wait_for 10000 pair_gone >/dev/null; then
		for p in ${PIDS[h1]//+/ } ${PIDS[h2]//+/ }; do lab_kill "$p" KILL; done
		lab_wait_for 3000 pair_gone >/dev/null
	fi
	PIDS=()
	lab_wait_for 5000 many_count_is 0 many_vips_on h1 "$N" >/dev/null ||
		{ say "  VIPs left on h1 after the stop"; FAILED=1; }
}

# measure AGENT: one run of AGENT's pair.
measure() {
	local agent=$1 ms c1 c2 r1 r2
	if ! pair_start "$agent"; then
		say "  $agent: cannot start the pair"; FAILED=1; pair_stop; return 1
	fi
	if ! ms=$(lab_wait_for 30000 elected "$agent"); then
		say "  $agent: not elected after $ms ms (h1 MASTER $(
			[ "$agent" = vigil ] && many_vigil_count h1.vigild.log MASTER || many_ka_count "$LAB_DIR/ka-h1.conf" MASTER
			)/$N, VIPs on h1 $(many_vips_on h1 "$N"), on h2 $(many_vips_on h2 "$N"))"
		FAILED=1; pair_stop; return 1
	fi
	sleep "$SETTLE"
	{ read -r c1; read -r c2; } < <(many_cpu_pct "$WINDOW" "${PIDS[h1]}" "${PIDS[h2]}")
	r1=$(rss_kb ${PIDS[h1]//+/ }) r2=$(rss_kb ${PIDS[h2]//+/ })
	if ! elected "$agent"; then
		say "  $agent: the election did not hold during the window"; FAILED=1
	fi
	RESULTS+=("$agent master $RUN $c1 $r1" "$agent backup $RUN $c2 $r2")
	say "  $agent: elected in $ms ms; CPU over $WINDOW s: master ${c1}%, backup ${c2}% of a core; RSS $r1 / $r2 kB"
	pair_stop
}

say "scale: $N instances on one interface, 100 ms adverts, $RUNS run(s) of ${WINDOW} s; $(nproc) CPUs, load $LOAD_START"
for ((RUN = 1; RUN <= RUNS; RUN++)); do
	say "== run $RUN/$RUNS"
	order=("${AGENT_LIST[@]}")
	if ((RUN % 2 == 0)) && [ ${#order[@]} -eq 2 ]; then order=("${order[1]}" "${order[0]}"); fi
	for a in "${order[@]}"; do measure "$a"; done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table
stats() { # AGENT ROLE FIELD: "median min max values..." of FIELD (4 cpu, 5 rss)
	printf '%s\n' "${RESULTS[@]}" | awk -v a="$1" -v r="$2" -v f="$3" '$1 == a && $2 == r { print $f }' |
		sort -g | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "- - -"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			s = ""; for (i = 1; i <= NR; i++) s = s " " v[i]
			printf "%s %s %s%s\n", m, v[1], v[NR], s }'
}
echo
echo "scale: $N instances on one interface, 100 ms adverts; CPU in % of one core over ${WINDOW} s per run"
echo "(/proc/PID/stat utime+stime), $RUNS run(s); machine: $(nproc) CPUs, $(uname -r), load $LOAD_START -> $LOAD_END"
echo "vigild: $VIGILD ($(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)); $(keepalived --version 2>&1 | head -n1)"
echo
printf '| %-10s | %-6s | %8s | %17s | %8s | %s |\n' daemon role median "min - max" "RSS kB" "runs (sorted)"
printf '|%s|%s|%s|%s|%s|%s|\n' ------------ -------- ---------- ------------------- ---------- ------
declare -A MED=()
for a in "${AGENT_LIST[@]}"; do
	for r in master backup; do
		read -r med lo hi vals <<<"$(stats "$a" "$r" 4)"
		read -r rss _ <<<"$(stats "$a" "$r" 5)"
		MED[$a.$r]=$med
		printf '| %-10s | %-6s | %7s%% | %7s%% - %6s%% | %8s | %s |\n' "$a" "$r" "$med" "$lo" "$hi" "$rss" "$vals"
	done
done
echo
rc=0
if [ ${#AGENT_LIST[@]} -eq 2 ] && [ -n "${MED[vigil.master]:-}" ] && [ -n "${MED[keepalived.master]:-}" ]; then
	for r in master backup; do
		v=${MED[vigil.$r]} k=${MED[keepalived.$r]}
		if awk -v v="$v" -v k="$k" 'BEGIN { exit !(v != "-" && k != "-" && v <= k) }'; then
			echo "target met: vigild's $r median ${v}% <= keepalived's ${k}%"
		else
			echo "target missed: vigild's $r median ${v}% > keepalived's ${k}%"
		fi
	done
fi
if [ "$SMOKE" = 1 ]; then
	for r in master backup; do
		v=${MED[vigil.$r]:--}
		if [[ " ${AGENT_LIST[*]} " == *" vigil "* ]] &&
			! awk -v v="$v" -v l=$SMOKE_LIMIT 'BEGIN { exit !(v != "-" && v < l) }'; then
			echo "FAIL: vigild's $r used ${v}% of a core (bound ${SMOKE_LIMIT}%)"; rc=1
		fi
	done
fi
[ "$FAILED" = 0 ] || { echo "FAIL: a run did not elect or measure (see above)"; rc=1; }
exit $rc
