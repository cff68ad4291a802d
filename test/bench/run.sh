#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark vigild against keepalived + a mysqladmin check script, side by side.
#
# One command (as root, after building vigild):
#   test/bench/run.sh [--vigild PATH] [-n N] [--out DIR]    full run
#   test/bench/run.sh --smoke [--vigild PATH]               < 60 s, for CI
# Options:
#   --vigild PATH     vigild to measure (default: build/agent/vigild)
#   -n N              runs per scenario and configuration (default 5)
#   --out DIR         where RESULTS.md and img/*.png go (default test/bench;
#                     --smoke: a temp dir, removed unless --keep)
#   --configs LIST    comma list of: vigil-default vigil-fast ka-tutorial ka-tuned
#   --scenarios LIST  comma list of: mysqld-kill mysqld-hang agent-kill link-down agent-stop
#   --cost-window S   seconds of steady state per CPU measurement (default 10)
#   --no-cost, --no-scale   skip those parts
#   --keep            keep the raw data directory (its path is printed)
#
# The lab (test/lab/lab.sh, test/integration/db_lab.sh): a switch namespace,
# h1 (MariaDB primary, server_id 1, priority 150), h2 (GTID replica,
# server_id 2, priority 100), c (the client), all in 198.18.0.0/24; the VIP
# is 198.18.0.100. Every run: agents steady with the VIP on h1, the client
# (test/bench/client.c) opens a fresh connection every 20 ms for a read
# (SELECT @@server_id) and another for a write (INSERT of a unique number),
# the fault hits h1, the client is served by h2, the fault is undone and,
# with preempt on, the VIP comes back to h1; then every acknowledged write
# is looked up on h1. Address events (ip monitor) and the agents' state
# changes (a notify recorder, the same for both agents) are logged with
# microsecond wall-clock stamps, the client's attempts too: analyze.py turns
# them into RESULTS.md and one timeline PNG per scenario (gnuplot).
#
# CPU (part 3, 4): each agent runs in a cgroup of its own (v1 cpuacct or v2
# cpu.stat), which counts every process of the agent, the check scripts it
# forks included, at ns (v1) or us (v2) resolution; the cgroups are removed
# at exit. Every wait is bounded; the lab is torn down on any exit.
set -u

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_dir/../.." && pwd)

# ---------------------------------------------------------------- options
ORIG_ARGS="$*"
N=5
SMOKE=0
KEEP=0
OUT=
VIGILD=${VIGILD:-$repo/build/agent/vigild}
CONFIGS=vigil-default,vigil-fast,ka-tutorial,ka-tuned
SCENARIOS=mysqld-kill,mysqld-hang,agent-kill,link-down,agent-stop
COST_WINDOW=10
SCALE_WINDOW=10
DO_COST=1
DO_SCALE=1
ALL_CONFIGS=" vigil-default vigil-fast ka-tutorial ka-tuned "
ALL_SCENARIOS=" mysqld-kill mysqld-hang agent-kill link-down agent-stop "

die_usage() { sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--keep) KEEP=1 ;;
	-n) N=${2:-}; shift ;;
	--vigild) VIGILD=${2:-}; shift ;;
	--out) OUT=${2:-}; shift ;;
	--configs) CONFIGS=${2:-}; shift ;;
	--scenarios) SCENARIOS=${2:-}; shift ;;
	--cost-window) COST_WINDOW=${2:-}; shift ;;
	--no-cost) DO_COST=0 ;;
	--no-scale) DO_SCALE=0 ;;
	-h|--help) die_usage ;;
	*) echo "run.sh: unknown argument '$1'" >&2; die_usage ;;
	esac
	shift
done
if [ "$SMOKE" = 1 ]; then
	# One scenario, both agents, one run; no cost or scale part.
	N=1 CONFIGS=vigil-default,ka-tuned SCENARIOS=mysqld-kill DO_COST=0 DO_SCALE=0
fi
[[ $N =~ ^[1-9][0-9]?$ ]] || { echo "run.sh: -n must be 1..99" >&2; exit 64; }
[[ $COST_WINDOW =~ ^[1-9][0-9]*$ ]] && [ "$COST_WINDOW" -le 300 ] ||
	{ echo "run.sh: --cost-window must be 1..300 s" >&2; exit 64; }
IFS=, read -r -a CONFIG_LIST <<<"$CONFIGS"
IFS=, read -r -a SCENARIO_LIST <<<"$SCENARIOS"
for c in "${CONFIG_LIST[@]}"; do
	[[ $ALL_CONFIGS == *" $c "* ]] || { echo "run.sh: unknown config '$c'" >&2; exit 64; }
done
for s in "${SCENARIO_LIST[@]}"; do
	[[ $ALL_SCENARIOS == *" $s "* ]] || { echo "run.sh: unknown scenario '$s'" >&2; exit 64; }
done
if [ ! -x "$VIGILD" ]; then
	echo "run.sh: no vigild at '$VIGILD' (build it, or pass --vigild PATH)" >&2
	exit 2
fi

T_BEGIN=${EPOCHREALTIME/./}

# Bigger than the lab default (60): 64 checks plus the client's attempts.
export MDB_EXTRA_CNF="max_connections=400"
# bench_cleanup (below) stops the servers; no trap of mariadb.sh's own.
export MDB_NO_TRAP=1
# vigil_lab.sh checks root and commands, then starts the lab (lab_init).
# shellcheck source=../integration/vigil_lab.sh
. "$repo/test/integration/vigil_lab.sh" "$VIGILD"
# shellcheck source=../integration/db_lab.sh
. "$repo/test/integration/db_lab.sh"
lab_require mysqladmin gcc mariadb_config python3 awk
command -v gnuplot >/dev/null 2>&1 ||
	echo "run.sh: gnuplot not found (apt-get install gnuplot-nox): no PNG timelines" >&2

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench.XXXXXX") || exit 1
chmod 755 "$WORK"
if [ -z "$OUT" ]; then
	if [ "$SMOKE" = 1 ]; then OUT=$WORK/out; else OUT=$bench_dir; fi
fi
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)

now_us() { local t=${EPOCHREALTIME//[!0-9]/}; printf '%s' "$((10#$t))"; }
say() { printf '[%6.1f s] %s\n' "$(( ($(now_us) - T_BEGIN) / 100000 ))e-1" "$*"; }

# ---------------------------------------------------------------- cgroups
# One cgroup per agent host: it counts the CPU of every process of the
# agent, children (check scripts) included, also after they exit.
CG_ROOT=
CG_KIND=
declare -A CG=()
cg_setup() {
	local h d
	if [ -w /sys/fs/cgroup/cpuacct ] && [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
		CG_KIND=v1 CG_ROOT=/sys/fs/cgroup/cpuacct
	elif [ -f /sys/fs/cgroup/cgroup.controllers ] && [ -w /sys/fs/cgroup ]; then
		CG_KIND=v2 CG_ROOT=/sys/fs/cgroup
	else
		CG_KIND=none
		return 0
	fi
	for h in h1 h2; do
		d=$CG_ROOT/vigil-bench-$$-$h
		if mkdir "$d" 2>/dev/null; then CG[$h]=$d; else CG_KIND=none; fi
	done
}
cg_add() { # HOST PID...
	local d=${CG[$1]:-} p
	shift
	[ -n "$d" ] || return 0
	for p in "$@"; do printf '%s\n' "$p" >"$d/cgroup.procs" 2>/dev/null || true; done
}
cg_usage() { # HOST: print "TOTAL_NS USER_NS SYS_NS" (user/sys: 0 when unknown)
	local d=${CG[$1]:-} u s
	case $CG_KIND in
	v1) printf '%s %s %s\n' "$(cat "$d/cpuacct.usage")" "$(cat "$d/cpuacct.usage_user" 2>/dev/null || echo 0)" \
		"$(cat "$d/cpuacct.usage_sys" 2>/dev/null || echo 0)" ;;
	v2) awk '$1=="usage_usec"{t=$2*1000} $1=="user_usec"{u=$2*1000} $1=="system_usec"{s=$2*1000}
		END{printf "%d %d %d\n", t, u, s}' "$d/cpu.stat" ;;
	*) echo "0 0 0" ;;
	esac
}
cg_cleanup() {
	local h d p
	for h in "${!CG[@]}"; do
		d=${CG[$h]}
		[ -d "$d" ] || continue
		# Survivors (teardown killed them; this is belt and braces) go
		# back to the root cgroup so the directory can be removed.
		while read -r p; do printf '%s\n' "$p" >"$CG_ROOT/cgroup.procs" 2>/dev/null || true; done <"$d/cgroup.procs"
		rmdir "$d" 2>/dev/null || echo "run.sh: could not remove cgroup $d" >&2
	done
	CG=()
}

# ---------------------------------------------------------------- cleanup
bench_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	mdb_cleanup 2>/dev/null
	lab_teardown
	cg_cleanup
	if [ "$KEEP" = 1 ]; then echo "run.sh: raw data kept in $WORK" >&2; else rm -rf "$WORK"; fi
	exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- machine
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc: $(nproc)"
	echo "kernel: $(uname -r)"
	echo "vigil: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "keepalived: $(keepalived --version 2>&1 | head -n1)"
	echo "mariadb: $("$MDB_BIN" --version 2>/dev/null | head -n1)"
	echo "loadavg_start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "cgroup: pending"
	echo "lscpu:"
	lscpu | head -n 10 | sed 's/^/    /'
} >"$WORK/machine.txt"

# ---------------------------------------------------------------- setup
say "building the client"
CLIENT=$WORK/bench_client
# shellcheck disable=SC2046 # mariadb_config prints several flags
if ! gcc -std=gnu11 -O2 -Wall -o "$CLIENT" "$bench_dir/client.c" \
	$(mariadb_config --cflags) $(mariadb_config --libs) -lpthread >"$WORK/client-build.log" 2>&1; then
	cat "$WORK/client-build.log" >&2
	exit 1
fi
cg_setup
sed -i "s/^cgroup: pending/cgroup: $CG_KIND/" "$WORK/machine.txt"
[ "$CG_KIND" != none ] || echo "run.sh: no writable cgroup: CPU figures will be 0" >&2

say "starting the lab: MariaDB primary h1, replica h2, client c"
db_lab_up || exit 1
db_sql h1 "CREATE TABLE appdb.bench (seq BIGINT PRIMARY KEY, server_id INT NOT NULL,
	at TIMESTAMP(6) NOT NULL DEFAULT NOW(6))" || exit 1
lab_wait_for 10000 db_sql h2 "SELECT 1 FROM appdb.bench LIMIT 0" >/dev/null || {
	echo "run.sh: the replica did not get appdb.bench" >&2; exit 1; }
H1_MYSQLD=$(mdb_pid "$(db_dir h1)")

# Address events of both hosts, for the VIP timeline.
for h in h1 h2; do
	lab_spawn "$h" "$WORK/vip-$h.log" ip -ts monitor address >/dev/null
done

# The notify recorder, the same for both agents: FILE HOST then the agent's
# INSTANCE NAME STATE PRIORITY.
REC=$WORK/rec.sh
cat >"$REC" <<-'EOF'
#!/bin/sh
f=$1 h=$2
shift 2
echo "$(date +%s%6N) $h $3 $4" >>"$f"
EOF
chmod 755 "$REC"
# The check script of MySQL tutorials for keepalived: a shell running
# mysqladmin ping (fork of a shell and a client per check).
for h in h1 h2; do
	cat >"$WORK/check_mysql_$h.sh" <<-EOF
	#!/bin/sh
	# keepalived vrrp_script: is the local MySQL server alive?
	/usr/bin/mysqladmin --defaults-extra-file=$LAB_DIR/$h.cnf -h 127.0.0.1 -P 3306 ping >/dev/null 2>&1
	EOF
	chmod 755 "$WORK/check_mysql_$h.sh"
done
mkdir -p "$WORK/conf" "$WORK/runs"

# ---------------------------------------------------------------- agents
declare -A AG_PIDS=() PRIO=([h1]=150 [h2]=100)
CUR_CFG=

# conf_path CFG HOST
conf_path() { case $1 in vigil-*) echo "$WORK/conf/$1-$2.ini" ;; *) echo "$WORK/conf/$1-$2.conf" ;; esac; }

# write_conf CFG HOST: the agent configuration of CFG for HOST.
write_conf() {
	local cfg=$1 h=$2 f script
	f=$(conf_path "$cfg" "$h")
	case $cfg in
	vigil-default) # every timing key at its shipped default (the reference pair of docs/design.md "Failover targets")
		db_vigil_conf "$h" "$f" priority="${PRIO[$h]}" preempt=yes advert_interval= \
			notify="$REC $WORK/states-$cfg.log $h" ping="penalty = 60" ;;
	vigil-fast) # 100 ms adverts and checks; timeout 200 ms for a hang
		db_vigil_conf "$h" "$f" priority="${PRIO[$h]}" preempt=yes advert_interval=100ms \
			notify="$REC $WORK/states-$cfg.log $h" \
			ping="interval = 100ms;timeout = 200ms;penalty = 60" ;;
	vigil-1s) # cost only: the check every 1 s, as ka-tuned's script
		db_vigil_conf "$h" "$f" priority="${PRIO[$h]}" preempt=yes advert_interval=100ms \
			notify="$REC $WORK/states-$cfg.log $h" ping="interval = 1s;penalty = 60" ;;
	# Cost baselines: the same adverts without any check, so the cost of
	# the checks alone can be told from the cost of the adverts.
	vigil-nocheck-200ms|vigil-nocheck-100ms)
		local adv=; [ "$cfg" = vigil-nocheck-200ms ] || adv=100ms
		vigil_conf "$f" router_id="$h" priority="${PRIO[$h]}" preempt=yes advert_interval=$adv \
			notify="$REC $WORK/states-$cfg.log $h" ;;
	ka-nocheck-v2|ka-nocheck-v3)
		local v=2 a=1; [ "$cfg" = ka-nocheck-v2 ] || { v=3 a=0.1; }
		keepalived_conf "$f" router_id="$h" priority="${PRIO[$h]}" version=$v advert_int=$a \
			vips="$DB_VIP/24" notify="\"$REC $WORK/states-$cfg.log $h\"" ;;
	ka-tutorial|ka-tuned)
		script=$WORK/check_mysql_$h.sh
		local ver=2 adv=1 iv=2 fall=3 rise=2
		[ "$cfg" = ka-tutorial ] || { ver=3 adv=0.1 iv=1 fall=2 rise=1; }
		# global_extra closes global_defs early to put the vrrp_script
		# between it and the instance, as tutorials do.
		keepalived_conf "$f" router_id="$h" priority="${PRIO[$h]}" version=$ver advert_int=$adv \
			vips="$DB_VIP/24" notify="\"$REC $WORK/states-$cfg.log $h\"" \
			global_extra="$(printf '}\n\nvrrp_script chk_mysql {\n    script "%s"\n    interval %s\n    fall %s\n    rise %s\n    weight -60' \
				"$script" "$iv" "$fall" "$rise")" \
			instance_extra="$(printf '    track_script {\n        chk_mysql\n    }')" ;;
	*) echo "write_conf: unknown config $cfg" >&2; return 1 ;;
	esac
}

# agent_start CFG HOST: start the agent of CFG on HOST; its pids (all of its
# processes) in AG_PIDS[HOST], and in HOST's cgroup.
agent_start() {
	local cfg=$1 h=$2 f base
	f=$(conf_path "$cfg" "$h")
	case $cfg in
	vigil-*)
		vigil_start "$h" "$f" || return 1
		AG_PIDS[$h]=$LAB_PID ;;
	ka-*)
		base=${f%.conf}
		keepalived_start "$h" "$f" >/dev/null || return 1
		AG_PIDS[$h]="$(tr '\n' ' ' <"$base.started")" ;;
	esac
	# shellcheck disable=SC2086
	cg_add "$h" ${AG_PIDS[$h]}
}

agent_alive() { # HOST: 0 if any process of the agent runs
	local p
	for p in ${AG_PIDS[$1]:-}; do lab_pid_alive "$p" && return 0; done
	return 1
}
agent_gone() { ! agent_alive "$1"; }

# agent_stop HOST [SIG]: SIG (TERM) to the agent's main process, wait
# (bounded 8 s) until every process of it is gone, then KILL leftovers.
agent_stop() {
	local h=$1 sig=${2:-TERM} p
	[ -n "${AG_PIDS[$h]:-}" ] || return 0
	set -- ${AG_PIDS[$h]}
	kill -"$sig" "$1" 2>/dev/null
	if ! lab_wait_for 8000 agent_gone "$h" >/dev/null; then
		for p in ${AG_PIDS[$h]}; do kill -KILL "$p" 2>/dev/null; done
		lab_wait_for 2000 agent_gone "$h" >/dev/null
	fi
	AG_PIDS[$h]=
}

agents_stop_all() { agent_stop h1; agent_stop h2; }

vip_on_h1_alone() { lab_vip_held_by "$DB_VIP" h1; }

# ---------------------------------------------------------------- database
h1_dir() { db_dir h1; }

# db_h1_restore: h1's mysqld runs and is not stopped.
db_h1_restore() {
	local p
	p=$(mdb_pid "$(h1_dir)") && kill -CONT "$p" 2>/dev/null
	if ! mdb_alive "$(h1_dir)"; then
		mdb_start "$(h1_dir)" "$(lab_ns h1)" 3306 0.0.0.0 || return 1
		lab_track "$(mdb_pid "$(h1_dir)")" h1 mariadbd
	fi
	H1_MYSQLD=$(mdb_pid "$(h1_dir)")
}

repl_ok() {
	[ "$(mdb_slave_field "$(db_dir h2)" Slave_IO_Running)" = Yes ] &&
		[ "$(mdb_slave_field "$(db_dir h2)" Slave_SQL_Running)" = Yes ]
}

# db_ready: both servers up, h1 link up, h2 replicating from h1 (repaired
# from h1's position if its SQL thread stopped on a conflict).
db_ready() {
	lab_link_up h1 2>/dev/null
	db_h1_restore || return 1
	if ! lab_wait_for 10000 repl_ok >/dev/null; then
		say "  replica not running: restarting it from h1's position"
		db_sql h2 "STOP SLAVE; SET GLOBAL gtid_slave_pos = '$(db_sql h1 'SELECT @@gtid_binlog_pos')'; START SLAVE" ||
			return 1
		lab_wait_for 10000 repl_ok >/dev/null || return 1
	fi
}

# ---------------------------------------------------------------- one run
# client_first FILE SID SINCE_US: print the end time of the first read
# answered by server SID that started at or after SINCE_US; 1 if none.
client_first() {
	local t
	t=$(awk -v sid="$2" -v since="$3" '$1=="R" && $5=="ok" && $6==sid && $3>=since {
		if (best == "" || $4 < best) best = $4 } END { if (best != "") print best }' "$1" 2>/dev/null)
	[ -n "$t" ] && printf '%s\n' "$t"
}
client_has() { client_first "$@" >/dev/null; }

# bench_wait MS CMD...: lab_wait_for with a 50 ms poll (the times that count
# come from the client's own log, so polling slower only saves CPU).
bench_wait() {
	local end=$(( $(now_us) + $1 * 1000 ))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_us)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# ensure_ready CFG: database and agents of CFG in steady state, VIP on h1,
# the client served by h1.
ensure_ready() {
	local cfg=$1 h started=0
	db_ready || { say "  database not ready"; return 1; }
	if [ "$CUR_CFG" != "$cfg" ]; then
		agents_stop_all
		CUR_CFG=$cfg
		for h in h1 h2; do write_conf "$cfg" "$h" || return 1; done
	fi
	for h in h2 h1; do
		if ! agent_alive "$h"; then
			agent_start "$cfg" "$h" || { say "  cannot start $cfg on $h"; return 1; }
			started=1
		fi
	done
	lab_wait_for 40000 vip_on_h1_alone >/dev/null || { say "  VIP not on h1 alone"; return 1; }
	lab_wait_for 10000 db_answers_via_vip 1 >/dev/null || { say "  h1 not serving via the VIP"; return 1; }
	# A pair that just elected h1 keeps a hold-down (vigil) or settles its
	# scripts (keepalived): start the clock in a steady state.
	[ "$started" = 0 ] || sleep 2
	sleep 0.5
}

fault() { # SCENARIO
	case $1 in
	mysqld-kill) kill -KILL "$H1_MYSQLD" ;;
	mysqld-hang) kill -STOP "$H1_MYSQLD" ;;
	# Node death: every process of the agent at once (keepalived's parent
	# AND its VRRP child; a lone parent kill is a graceful stop).
	agent-kill) # shellcheck disable=SC2086
		kill -KILL ${AG_PIDS[h1]} ;;
	link-down) lab_link_down h1 ;;
	agent-stop) set -- ${AG_PIDS[h1]}; kill -TERM "$1" ;;
	esac
}

restore() { # SCENARIO CFG
	case $1 in
	mysqld-kill|mysqld-hang) db_h1_restore ;;
	link-down) lab_link_up h1 ;;
	agent-kill|agent-stop)
		lab_wait_for 8000 agent_gone h1 >/dev/null
		agent_start "$2" h1 ;;
	esac
}

RUN_NO=0
# run_one CFG SCENARIO REP: one measured failover and failback.
run_one() {
	local cfg=$1 sc=$2 rep=$3 rd base t_fault t_restore t_back='' ok=1
	RUN_NO=$((RUN_NO + 1))
	rd=$WORK/runs/$cfg.$sc.$rep
	mkdir -p "$rd"
	if ! ensure_ready "$cfg"; then
		say "  $cfg $sc #$rep: not ready, skipped"
		printf 'cfg=%s\nscenario=%s\nrep=%s\nstatus=not-ready\n' "$cfg" "$sc" "$rep" >"$rd/meta"
		agents_stop_all; CUR_CFG=
		return 1
	fi
	base=$((RUN_NO * 1000000))
	lab_spawn c "$rd/client.out" "$CLIENT" -h "$DB_VIP" -u "$DB_APP_USER" -p "$DB_APP_PASSWORD" \
		-o "$rd/client.log" -w -s "$base" -d 150 >/dev/null
	local cpid=$LAB_PID
	sleep 0.7
	t_fault=$(now_us)
	fault "$sc"
	# Failover: the first read answered by the replica (bounded 30 s).
	if bench_wait 30000 client_has "$rd/client.log" 2 "$t_fault"; then
		sleep 0.7 # writes still reaching the old master show up here
	else
		ok=0
	fi
	t_restore=$(now_us)
	restore "$sc" "$cfg" || ok=0
	# Failback (preempt on): VIP on h1 alone and a read served by h1.
	if bench_wait 40000 vip_on_h1_alone && bench_wait 10000 client_has "$rd/client.log" 1 "$(now_us)"; then
		t_back=$(client_first "$rd/client.log" 1 "$t_restore")
		sleep 0.5
	else
		ok=0
	fi
	lab_kill "$cpid" TERM
	lab_wait_for 5000 lab_pid_gone "$cpid" >/dev/null || lab_kill "$cpid" KILL
	# Acknowledged writes of this run that h1 (the VIP holder again) has.
	db_sql h1 "SELECT seq FROM appdb.bench WHERE seq > $base AND seq < $((base + 1000000))" \
		>"$rd/h1.seqs" 2>/dev/null || ok=0
	db_sql h2 "SELECT seq FROM appdb.bench WHERE seq > $base AND seq < $((base + 1000000))" \
		>"$rd/h2.seqs" 2>/dev/null || true
	printf 'cfg=%s\nscenario=%s\nrep=%s\nt_fault=%s\nt_restore=%s\nt_back=%s\nstatus=%s\n' \
		"$cfg" "$sc" "$rep" "$t_fault" "$t_restore" "$t_back" "$([ $ok = 1 ] && echo ok || echo failed)" >"$rd/meta"
	say "  $cfg $sc #$rep: $([ $ok = 1 ] && echo "client on h2 after $(( ( $(client_first "$rd/client.log" 2 "$t_fault") - t_fault) / 1000 )) ms" || echo FAILED)"
	if [ $ok = 0 ]; then
		# Start the next run from scratch.
		agents_stop_all; CUR_CFG=
	fi
}

# ---------------------------------------------------------------- part 1+2
for cfg in "${CONFIG_LIST[@]}"; do
	say "== $cfg"
	for sc in "${SCENARIO_LIST[@]}"; do
		for rep in $(seq 1 "$N"); do run_one "$cfg" "$sc" "$rep"; done
	done
	cp "$(conf_path "$cfg" h1)" "$WORK/conf/show-$cfg-h1.txt" 2>/dev/null
done
agents_stop_all; CUR_CFG=

# ---------------------------------------------------------------- part 3
# rss_kb PID...: summed VmRSS of the pids.
rss_kb() {
	local p s=0 v
	for p in "$@"; do
		v=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	printf '%s\n' "$s"
}

# measure TAG HOST WINDOW_S: CPU of HOST's cgroup over WINDOW_S seconds and
# the RSS of its agent's processes; one line to cost.txt.
measure() {
	local tag=$1 h=$2 win=$3 a b t0 t1
	read -r -a a < <(cg_usage "$h"); t0=$(now_us)
	sleep "$win"
	read -r -a b < <(cg_usage "$h"); t1=$(now_us)
	# shellcheck disable=SC2086
	printf '%s %s %s %s %s %s %s\n' "$tag" "$h" $((b[0] - a[0])) $((b[1] - a[1])) $((b[2] - a[2])) \
		$((t1 - t0)) "$(rss_kb ${AG_PIDS[$h]})" >>"$WORK/cost.txt"
}

if [ "$DO_COST" = 1 ] && [ "$CG_KIND" != none ]; then
	say "== check cost: ${COST_WINDOW} s steady window per configuration"
	for cfg in vigil-default vigil-fast vigil-1s ka-tutorial ka-tuned \
		vigil-nocheck-200ms vigil-nocheck-100ms ka-nocheck-v2 ka-nocheck-v3; do
		if ! ensure_ready "$cfg"; then say "  $cfg: not ready"; continue; fi
		# garp_master_delay (5 s, both agents) sends a second burst: wait it out.
		sleep 5
		measure "$cfg" h1 "$COST_WINDOW" &
		measure "$cfg" h2 "$COST_WINDOW"
		wait
		say "  $cfg: $(grep "^$cfg h1 " "$WORK/cost.txt" | awk '{printf "h1 %.1f ms CPU in %.1f s, RSS %d kB", $3/1e6, $6/1e6, $7}')"
		cp "$(conf_path "$cfg" h1)" "$WORK/conf/show-$cfg-h1.txt" 2>/dev/null
	done
	agents_stop_all; CUR_CFG=
fi

# ---------------------------------------------------------------- part 4
# scale_conf FILE INSTANCES CHECKS: one vigild, 100 ms adverts, INSTANCES
# instances (VIPs 198.18.0.120...), or one instance tracking CHECKS
# mysql_ping checks at 100 ms.
scale_conf() {
	local f=$1 ni=$2 nc=$3 i
	{
		printf '[global]\nrouter_id = scale\ncontrol_socket = %s/scale.sock\nmysql_defaults_file = %s/h1.cnf\n' \
			"$LAB_DIR" "$LAB_DIR"
		for i in $(seq 1 "$ni"); do
			printf '\n[instance v%d]\ninterface = eth0\nvrid = %d\npriority = 150\nadvert_interval = 100ms\n' "$i" "$i"
			printf 'virtual_ip = 198.18.0.%d/24\npreempt = yes\n' $((119 + i))
			# No second gratuitous-ARP burst inside the window.
			printf 'garp_master_delay = 0s\n'
		done
		for i in $(seq 1 "$nc"); do printf 'track = c%d\n' "$i"; done
		for i in $(seq 1 "$nc"); do
			printf '\n[check c%d]\ntype = mysql_ping\nhost = 127.0.0.1\nport = 3306\ninterval = 100ms\n' "$i"
		done
	} >"$f"
}
scale_masters() { [ "$(grep -c -- '-> MASTER' "$LAB_DIR/h1.vigild.log" 2>/dev/null)" -ge "$1" ]; }

if [ "$DO_SCALE" = 1 ] && [ "$CG_KIND" != none ]; then
	say "== scale: one vigild, ${SCALE_WINDOW} s window"
	db_ready
	for spec in i1 i16 i128 c1 c16 c64; do
		n=${spec#?}
		if [ "${spec:0:1}" = i ]; then scale_conf "$WORK/conf/scale-$spec.ini" "$n" 0
		else scale_conf "$WORK/conf/scale-$spec.ini" 1 "$n"; fi
		: >"$LAB_DIR/h1.vigild.log"
		if ! vigil_start h1 "$WORK/conf/scale-$spec.ini"; then say "  $spec: vigild refused it"; continue; fi
		AG_PIDS[h1]=$LAB_PID
		cg_add h1 "$LAB_PID"
		want=1; [ "${spec:0:1}" = i ] && want=$n
		lab_wait_for 10000 scale_masters "$want" >/dev/null || say "  $spec: not all $want instances MASTER"
		sleep 2
		measure "scale-$spec" h1 "$SCALE_WINDOW"
		say "  $spec: $(grep "^scale-$spec " "$WORK/cost.txt" | awk '{printf "%.1f ms CPU in %.1f s, RSS %d kB", $3/1e6, $6/1e6, $7}')"
		agent_stop h1
	done
fi

# ---------------------------------------------------------------- report
echo "loadavg_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/machine.txt"
echo "duration_s: $(( ($(now_us) - T_BEGIN) / 1000000 ))" >>"$WORK/machine.txt"
echo "n: $N" >>"$WORK/machine.txt"
echo "smoke: $SMOKE" >>"$WORK/machine.txt"
echo "command: test/bench/run.sh $ORIG_ARGS" >>"$WORK/machine.txt"
say "== analysis"
python3 "$bench_dir/analyze.py" "$WORK" "$OUT"
rc=$?
[ "$SMOKE" = 1 ] && [ "$KEEP" = 0 ] && echo "run.sh: smoke results were in $OUT (removed)"
exit $rc
