#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Random loss of the master's adverts: vigild and keepalived side by side.
#
# One command (as root, after building vigild):
#   test/bench/loss.sh [--vigild PATH] [--runs N] [--duration S]
# Options:
#   --vigild PATH      vigild to measure (default: build/agent/vigild)
#   --runs N           runs of every row (default 3)
#   --duration S       seconds of loss per trial (default 60)
#   --profiles LIST    comma list of: v3-100ms (VRRPv3, 100 ms adverts),
#                      v2-1s (VRRPv2, 1 s adverts); default both
#   --loss LIST        comma list of percentages (default 20,50)
#   --agents LIST      comma list of: vigil keepalived vigil-base vigil-ds
#                      (default vigil,keepalived; vigil-base needs
#                      --vigild-base; vigil-ds: vigild with a MariaDB
#                      primary and replica behind the VIP and data safety
#                      on, witness included (db_lab.sh's ds profile,
#                      db_ds_conf), 100 ms adverts only)
#   --vigild-base PATH another vigild, measured as "vigil-base" in the same
#                      run (e.g. a build of the previous commit)
#   --priorities P1,P2 h1's and h2's priorities (default 150,100)
#   --raw FILE         also write one line per trial to FILE
#   --keep             keep the lab directory (logs) at the end
#
# Lab (test/lab/lab.sh): h1 (198.18.0.11, priority 150) and h2
# (198.18.0.12, priority 100; --priorities) in one VRRP group, preempt on,
# no database (vigil-ds: MariaDB behind the VIP); VIP 198.18.0.100. For
# each trial both agents are started fresh, the group settles with the VIP
# on h1 alone, then h1's outgoing adverts (IP protocol 112, h1's output
# hook) are dropped at random with nftables (`numgen random`: this kernel
# has no netem) for S seconds. Meanwhile:
#   - spurious takeovers: h2's BACKUP -> MASTER transitions (vigild's log
#     line, keepalived's "Entering MASTER STATE"); of which premature: less
#     than a Master_Down_Interval after h1's last advert reached h2's
#     kernel (a capture on h2): the backup read its master's advert late;
#   - expected: what independent random loss predicts for "three adverts
#     lost in a row" (adverts/s * (1 - p) * p^3 per second); the loss a
#     trial really got (nftables' counters of h1's adverts seen and
#     dropped, answer bursts included) moves that with its cube, so the
#     takeovers of all runs are also set against the sum of what each
#     trial's realised loss predicts;
#   - the VIP on two hosts: both hosts' addresses sampled every 100 ms
#     (`ip -n`), S * 10 samples on a fixed schedule; and, exactly, from
#     `ip -ts monitor address` in each host, the time both held it;
#   - vigild's answer bursts (h1) and, for vigil-ds, h2's witness vetoes
#     (vigilctl status --json);
# then the loss is removed and the time until h1 alone holds the VIP is
# measured (bounded by 3 s; expected within one advert interval plus h2's
# Skew_Time). The report (stdout) gives median (min-max) over the runs;
# the agents take turns going first, and each trial line carries the
# 1-minute load average at its end (--raw). Every wait and loop is
# bounded; the lab is torn down on any exit.
set -u

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_dir/../.." && pwd)

RUNS=3
DURATION=60
PROFILES=v3-100ms,v2-1s
LOSSES=20,50
AGENTS=vigil,keepalived
RAW=
KEEP=0
PRIOS=150,100
VIGILD=${VIGILD:-$repo/build/agent/vigild}
VIGILD_BASE=
ORIG_ARGS="$*"

usage() { sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
while [ $# -gt 0 ]; do
	case $1 in
	--vigild) VIGILD=${2:-}; shift ;;
	--vigild-base) VIGILD_BASE=${2:-}; shift ;;
	--runs) RUNS=${2:-}; shift ;;
	--duration) DURATION=${2:-}; shift ;;
	--profiles) PROFILES=${2:-}; shift ;;
	--loss) LOSSES=${2:-}; shift ;;
	--agents) AGENTS=${2:-}; shift ;;
	--raw) RAW=${2:-}; shift ;;
	--priorities) PRIOS=${2:-}; shift ;;
	--keep) KEEP=1 ;;
	-h|--help) usage ;;
	*) echo "loss.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || { echo "loss.sh: --runs must be 1..99" >&2; exit 64; }
[[ $DURATION =~ ^[1-9][0-9]*$ ]] && [ "$DURATION" -le 600 ] ||
	{ echo "loss.sh: --duration must be 1..600 s" >&2; exit 64; }
IFS=, read -r -a PROFILE_LIST <<<"$PROFILES"
IFS=, read -r -a LOSS_LIST <<<"$LOSSES"
IFS=, read -r -a AGENT_LIST <<<"$AGENTS"
for p in "${PROFILE_LIST[@]}"; do
	case $p in v3-100ms|v2-1s) ;; *) echo "loss.sh: unknown profile '$p'" >&2; exit 64 ;; esac
done
for p in "${LOSS_LIST[@]}"; do
	[[ $p =~ ^[0-9]+$ ]] && [ "$p" -ge 1 ] && [ "$p" -le 99 ] ||
		{ echo "loss.sh: loss must be 1..99, not '$p'" >&2; exit 64; }
done
for a in "${AGENT_LIST[@]}"; do
	case $a in
	vigil|keepalived) ;;
	vigil-base) [ -x "$VIGILD_BASE" ] || { echo "loss.sh: vigil-base needs --vigild-base PATH" >&2; exit 64; } ;;
	vigil-ds) ;;
	*) echo "loss.sh: unknown agent '$a'" >&2; exit 64 ;;
	esac
done
[[ $PRIOS =~ ^([0-9]{1,3}),([0-9]{1,3})$ ]] && [ "${BASH_REMATCH[1]}" -le 254 ] &&
	[ "${BASH_REMATCH[2]}" -ge 1 ] && [ "${BASH_REMATCH[2]}" -lt "${BASH_REMATCH[1]}" ] ||
	{ echo "loss.sh: --priorities must be P1,P2 with 254 >= P1 > P2 >= 1" >&2; exit 64; }
if [ ! -x "$VIGILD" ]; then
	echo "loss.sh: no vigild at '$VIGILD' (build it, or pass --vigild PATH)" >&2
	exit 2
fi

[ "$KEEP" = 0 ] || export LAB_KEEP=1
# vigil_lab.sh checks root and commands, then starts the lab (lab_init).
# shellcheck source=../integration/vigil_lab.sh
. "$repo/test/integration/vigil_lab.sh" "$VIGILD"
lab_require python3
if [[ ",$AGENTS," == *,vigil-ds,* ]]; then
	# The servers are started by this shell, not by a trial (each runs in
	# a subshell): no EXIT trap of mariadb.sh's own, which a subshell
	# would run; the lab's teardown kills them (db_lab_up tracks them).
	export MDB_NO_TRAP=1
	# shellcheck source=../integration/db_lab.sh
	. "$repo/test/integration/db_lab.sh"
	DB_PROFILE=ds
	DS_UP=0
fi

VIP=198.18.0.100
lab_add_host h1 && lab_add_host h2 || exit 1
declare -A PRIO=([h1]=${PRIOS%,*} [h2]=${PRIOS#*,}) AG=()

now_us() { local t=${EPOCHREALTIME//[!0-9]/}; printf '%s' "$((10#$t))"; }
T_BEGIN=$(now_us)
say() { printf '[%6d s] %s\n' "$(( ($(now_us) - T_BEGIN) / 1000000 ))" "$*" >&2; }

# Address events of both hosts for the whole bench: the exact time on two
# hosts of each trial is cut out of them.
for h in h1 h2; do
	lab_spawn "$h" "$LAB_DIR/mon-$h.log" ip -ts monitor address >/dev/null
done

# profile_* PROFILE: advert interval in ms, VRRP version.
profile_ms() { case $1 in v3-100ms) echo 100 ;; v2-1s) echo 1000 ;; esac; }
profile_ver() { case $1 in v3-100ms) echo 3 ;; v2-1s) echo 2 ;; esac; }

# agent_bin AGENT: the vigild of a vigil agent; agent_ctl: its vigilctl.
agent_bin() { case $1 in vigil|vigil-ds) echo "$VIGILD" ;; vigil-base) echo "$VIGILD_BASE" ;; esac; }
# agent_sock AGENT TAG HOST: the control socket of a vigil agent.
agent_sock() { case $1 in vigil-ds) echo "$LAB_DIR/$3.sock" ;; *) echo "$LAB_DIR/$2-$3.sock" ;; esac; }
agent_ctl() { echo "$(dirname "$(agent_bin "$1")")/vigilctl"; }

# agent_up AGENT PROFILE TAG: write the configurations, start h2 then h1,
# wait (8 s at most) for the VIP on h1, let the group settle, and check
# that h1 alone holds it.
agent_up() {
	local agent=$1 prof=$2 tag=$3 h ms ver f
	ms=$(profile_ms "$prof") ver=$(profile_ver "$prof")
	if [ "$agent" = vigil-ds ]; then
		ds_up "$tag" || return 1
		sleep 1
		lab_vip_held_by $VIP h1
		return
	fi
	for h in h2 h1; do
		case $agent in
		vigil|vigil-base)
			f=$LAB_DIR/$tag-$h.ini
			vigil_conf "$f" router_id="$tag-$h" priority="${PRIO[$h]}" version="$ver" \
				advert_interval="${ms}ms" vips="$VIP/24"
			lab_spawn "$h" "$tag-$h.log" "$(agent_bin "$agent")" -f "$f" >/dev/null || return 1
			AG[$h]=$LAB_PID ;;
		keepalived)
			f=$LAB_DIR/$tag-$h.conf
			keepalived_conf "$f" router_id="$tag-$h" priority="${PRIO[$h]}" version="$ver" \
				advert_int="$(awk -v m="$ms" 'BEGIN{print m/1000}')" vips="$VIP/24" || return 1
			keepalived_start "$h" "$f" >/dev/null || return 1
			AG[$h]=$(tr '\n' ' ' <"$LAB_DIR/$tag-$h.started") ;;
		esac
	done
	lab_wait_for 8000 lab_vip_held_by $VIP h1 >/dev/null || return 1
	# Settle: a few intervals with the VIP on h1 alone.
	sleep "$(awk -v m="$ms" 'BEGIN{print (m * 3 + 500) / 1000}')"
	lab_vip_held_by $VIP h1
}

# ds_fresh: fresh MariaDB servers (h1 primary, h2 its GTID replica, the
# data-safety settings) for the next vigil-ds trial; in this shell.
ds_fresh() {
	if [ "$DS_UP" = 1 ]; then db_lab_reset; fi
	DS_UP=1
	db_lab_up
}

# ds_up TAG: vigild with db_ds_conf on both (witness on), h1 first until
# it holds the VIP with its server writable, then h2 until its checks
# pass (10 s each at most).
ds_up() {
	local tag=$1 h
	for h in h1 h2; do
		db_ds_conf "$h" "${PRIO[$h]}" || return 1
	done
	lab_spawn h1 "$tag-h1.log" "$VIGILD" -f "$LAB_DIR/h1.ini" >/dev/null || return 1
	AG[h1]=$LAB_PID
	lab_wait_for 10000 eval "lab_vip_held_by $VIP h1 && db_is_writable h1" >/dev/null || return 1
	lab_spawn h2 "$tag-h2.log" "$VIGILD" -f "$LAB_DIR/h2.ini" >/dev/null || return 1
	AG[h2]=$LAB_PID
	lab_wait_for 10000 grep -q 'all checks ok' "$LAB_DIR/$tag-h2.log" >/dev/null
}

ag_gone() { local p; for p in ${AG[$1]:-}; do ! lab_pid_alive "$p" || return 1; done; }

# agent_down: SIGTERM both agents' main processes, wait (5 s), then KILL.
agent_down() {
	local h p
	for h in h1 h2; do set -- ${AG[$h]:-}; [ $# -eq 0 ] || lab_kill "$1" TERM; done
	for h in h1 h2; do
		if ! lab_wait_for 5000 ag_gone "$h" >/dev/null; then
			for p in ${AG[$h]:-}; do lab_kill "$p" KILL; done
			lab_wait_for 2000 ag_gone "$h" >/dev/null
		fi
		AG[$h]=
	done
	# An agent killed hard may leave its VIP behind: the next trial
	# starts clean.
	for h in h1 h2; do lab_exec "$h" ip addr del "$VIP/24" dev eth0 2>/dev/null || true; done
}

# count_after LOG FROM_LINE REGEX: lines of LOG after FROM_LINE matching.
count_after() { tail -n +"$2" "$1" | grep -cE "$3" || true; }
# The log lines of a takeover by h2 and of h1 leaving MASTER.
re_takeover() { case $1 in keepalived) echo 'Entering MASTER STATE' ;; *) echo 'instance vi: BACKUP -> MASTER' ;; esac; }
re_demoted() { case $1 in keepalived) echo 'Entering (BACKUP|FAULT) STATE' ;; *) echo 'instance vi: MASTER -> ' ;; esac; }

# both_ms FROM TO: ms both hosts held the VIP between two wall-clock
# stamps (ip -ts format), from the address monitors.
both_ms() {
	python3 - "$LAB_DIR/mon-h1.log" "$LAB_DIR/mon-h2.log" "$1" "$2" "$VIP" <<-'EOF'
	import sys, datetime
	def ts(s):
	    return datetime.datetime.fromisoformat(s).timestamp()
	f1, f2, a, b, vip = sys.argv[1:6]
	a, b = ts(a), ts(b)
	ev = []
	for i, f in enumerate((f1, f2)):
	    for line in open(f):
	        if not line.startswith('[') or (' inet %s/' % vip) not in line:
	            continue
	        t = ts(line[1:line.index(']')])
	        ev.append((t, i, 0 if 'Deleted' in line else 1))
	ev.sort()
	held = [0, 0]
	# state at a: replay everything before it
	tot, last = 0.0, a
	for t, i, v in ev:
	    if t <= a:
	        held[i] = v
	        continue
	    if t > b:
	        break
	    if held[0] and held[1]:
	        tot += t - last
	    held[i] = v
	    last = t
	if held[0] and held[1]:
	    tot += b - last
	print(int(round(tot * 1000)))
	EOF
}

stamp() { date +%Y-%m-%dT%H:%M:%S.%6N; }

# premature CAPTURE MDI_MS: from a capture of VRRP on h2 (tcpdump -tt: the
# kernel's receive time), print "N K": h2's takeovers (the first advert of
# each run of h2's adverts: both agents send one on entering MASTER) and
# how many of them came less than a Master_Down_Interval (minus 10 ms for
# rounding) after h1's last advert had reached h2: a takeover although
# the master's advert was there in time (the backup read it too late).
premature() {
	python3 - "$1" "$2" <<-'EOF'
	import re, sys
	mdi = float(sys.argv[2])
	h1, h2 = [], []
	for line in open(sys.argv[1]):
	    m = re.match(r'(\d+\.\d+) IP (\S+) > ', line)
	    if not m:
	        continue
	    t = float(m.group(1)) * 1000
	    (h1 if m.group(2) == '198.18.0.11' else h2 if m.group(2) == '198.18.0.12' else []).append(t)
	n = k = 0
	j = 0
	for i, t in enumerate(h2):
	    if i and t - h2[i - 1] < 1500 * mdi / 3600 + 50:
	        continue  # the same run of adverts
	    n += 1
	    while j < len(h1) and h1[j] < t:
	        j += 1
	    if j and t - h1[j - 1] < mdi - 10:
	        k += 1
	print(n, k)
	EOF
}

# trial AGENT PROFILE LOSS RUN: one trial; prints one result line:
# AGENT PROFILE LOSS RUN takeovers samples_both samples ms_both
# recovered_ms h1_demotions answers premature loadavg witness_vetoes
# realised_loss_percent
trial() {
	local agent=$1 prof=$2 loss=$3 run=$4 tag n i both=0 none=0 t0 next now
	local m2 m1 a b rec ms st answers=- cap pre
	tag=$agent-$prof-$loss-$run
	ms=$(profile_ms "$prof")
	if ! agent_up "$agent" "$prof" "$tag"; then
		say "$tag: the group did not settle with the VIP on h1 alone"
		agent_down
		echo "$agent $prof $loss $run - - - - - - - - - -"
		return 1
	fi
	# What h2's kernel receives, timestamped on arrival.
	lab_spawn h2 "cap-$tag.log" tcpdump -i eth0 -n -tt -l ip proto 112 >/dev/null
	cap=$LAB_PID
	lab_wait_for 3000 grep -q 'listening on' "$LAB_DIR/cap-$tag.log" >/dev/null
	m2=$(( $(wc -l <"$LAB_DIR/$tag-h2.log") + 1 ))
	m1=$(( $(wc -l <"$LAB_DIR/$tag-h1.log") + 1 ))
	n=$((DURATION * 10))
	a=$(stamp)
	lab_drop_vrrp_percent h1 "$loss" out || return 1
	t0=$(now_us)
	for ((i = 1; i <= n; i++)); do
		case $(lab_vip_holder $VIP) in
		"h1 h2") both=$((both + 1)) ;;
		"") none=$((none + 1)) ;;
		esac
		# Next sample on the schedule t0 + i * 100 ms (no drift; a late
		# sample is not made up for).
		next=$((t0 + i * 100000))
		now=$(now_us)
		[ "$now" -ge "$next" ] || sleep "$(printf '0.%06d' $((next - now)))"
	done
	# The loss this trial got: h1's adverts seen and dropped by the rule.
	local seen dropped realised
	read -r seen dropped < <(lab_vrrp_loss_counts h1)
	realised=$(awk -v s="${seen:-0}" -v d="${dropped:-0}" 'BEGIN{printf "%.1f", s ? 100 * d / s : 0}')
	lab_drop_vrrp_percent h1 0
	b=$(stamp)
	# After the loss: h1 alone (bounded 3 s), in ms from the loss's end.
	rec=$(lab_wait_for 3000 lab_vip_held_by $VIP h1) || rec="$rec!"
	sleep 0.3
	st=$(lab_vip_holder $VIP)
	[ "$st" = h1 ] || rec="$rec!"
	# vigild's answer bursts (h1), from its status (a vigild without
	# the counter: "-").
	if [ "$agent" != keepalived ] && [ -x "$(agent_ctl "$agent")" ]; then
		answers=$("$(agent_ctl "$agent")" -s "$(agent_sock "$agent" "$tag" h1)" status --json 2>/dev/null |
			python3 -c 'import json,sys
try:
    print(json.load(sys.stdin)["instances"][0]["stats"].get("answerBursts", "-"))
except Exception:
    print("-")')
	fi
	local tk dm bm vetoes=-
	# h2's takeovers on silence called off by its witness (the log says
	# only when the verdict changes: the counter sees each).
	if [ "$agent" = vigil-ds ]; then
		vetoes=$("$(agent_ctl "$agent")" -s "$(agent_sock "$agent" "$tag" h2)" status --json 2>/dev/null |
			python3 -c 'import json,sys
try:
    print(json.load(sys.stdin)["instances"][0]["stats"].get("witnessVetoes", "-"))
except Exception:
    print("-")')
	fi
	tk=$(count_after "$LAB_DIR/$tag-h2.log" "$m2" "$(re_takeover "$agent")")
	dm=$(count_after "$LAB_DIR/$tag-h1.log" "$m1" "$(re_demoted "$agent")")
	# The capture ends before the agents stop: a master's priority-0
	# advert on SIGTERM hands over, which is no spurious takeover.
	lab_kill "$cap" INT
	lab_wait_for 3000 lab_pid_gone "$cap" >/dev/null
	agent_down
	bm=$(both_ms "$a" "$b")
	# h2's Master_Down_Interval (RFC 5798 6.1; v2: Skew_Time in seconds
	# whatever the interval, RFC 3768 6.1): at priority 100, 360 ms (v3,
	# 100 ms) and 3609 ms (v2, 1 s).
	local skew=$(( (256 - PRIO[h2]) * (ms == 100 ? 100 : 1000) / 256 ))
	pre=$(premature "$LAB_DIR/cap-$tag.log" "$(( 3 * ms + skew ))")
	echo "$agent $prof $loss $run $tk $both $n $bm $rec $dm $answers ${pre#* } $(cut -d' ' -f1 /proc/loadavg) $vetoes $realised"
}

# expected PROFILE LOSS: takeovers per trial that "three adverts missed in
# a row" predicts: adverts/s * (1 - p) * p^3 * S.
expected() {
	awk -v ms="$(profile_ms "$1")" -v p="$2" -v s="$DURATION" \
		'BEGIN{q=p/100; printf "%.1f", 1000/ms*(1-q)*q*q*q*s}'
}

RES=$LAB_DIR/results.txt
: >"$RES"
say "vigild $VIGILD; $RUNS runs of ${PROFILE_LIST[*]} x loss ${LOSS_LIST[*]}% x ${AGENT_LIST[*]}, ${DURATION} s each"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
k=0
for ((r = 1; r <= RUNS; r++)); do
	for prof in "${PROFILE_LIST[@]}"; do
		for loss in "${LOSS_LIST[@]}"; do
			# Alternate which agent goes first, so drifting load on a
			# shared machine does not favour one.
			order=()
			for ((j = 0; j < ${#AGENT_LIST[@]}; j++)); do
				order+=("${AGENT_LIST[$(( (j + k) % ${#AGENT_LIST[@]} ))]}")
			done
			k=$((k + 1))
			for agent in "${order[@]}"; do
				[ "$agent" != vigil-ds ] || [ "$prof" = v3-100ms ] || continue
				if [ "$agent" = vigil-ds ] && ! ds_fresh; then
					say "vigil-ds: the database lab did not start"
					continue
				fi
				line=$(trial "$agent" "$prof" "$loss" "$r")
				say "$line"
				echo "$line" >>"$RES"
			done
		done
	done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
[ -z "$RAW" ] || cp "$RES" "$RAW"

# ---- the table: median (min-max) over the runs
{
	echo "loss.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, kernel $(uname -r), vigil $(git -C "$repo" describe --always --dirty 2>/dev/null || echo ?), $(keepalived --version 2>&1 | head -n1)"
	echo "args: ${ORIG_ARGS:-(none)}; load average $LOAD_START at the start, $LOAD_END at the end; $(( ($(now_us) - T_BEGIN) / 1000000 )) s"
	echo
	python3 - "$RES" "$DURATION" <<-'EOF'
	import sys, statistics
	res, dur = sys.argv[1], int(sys.argv[2])
	rows = {}
	order = []
	for line in open(res):
	    f = line.split()
	    if len(f) < 14:
	        continue
	    key = (f[1], f[2], f[0])
	    if key not in rows:
	        rows[key] = []
	        order.append(key)
	    rows[key].append(f)
	def cell(vals):
	    v = [float(x) for x in vals if x not in ('-',)]
	    if not v:
	        return '-'
	    m = statistics.median(v)
	    fmt = lambda x: ('%d' % x) if x == int(x) else ('%.1f' % x)
	    if min(v) == max(v):
	        return fmt(m)
	    return '%s (%s–%s)' % (fmt(m), fmt(min(v)), fmt(max(v)))
	def rate(prof, q):
	    ms = 100 if prof == 'v3-100ms' else 1000
	    return 1000 / ms * (1 - q) * q ** 3 * dur
	def expect(prof, loss):
	    return '%.1f' % rate(prof, int(loss) / 100)
	# Takeovers go with the cube of the loss: over all runs, the count
	# against what the loss each trial really got predicts.
	def totals(prof, fs):
	    got = sum(int(x[4]) for x in fs)
	    if not all(len(x) > 14 for x in fs):
	        return '%d / -' % got
	    return '%d / %.1f' % (got, sum(rate(prof, float(x[14]) / 100) for x in fs))
	order_agents = ['vigil', 'vigil-ds', 'vigil-base', 'keepalived']
	print('| adverts | loss of the master\'s adverts | agent | spurious takeovers | of which premature | expected (3 lost in a row) | loss realised, %% | takeovers in all runs / expected at the realised loss | VIP on two hosts, samples of %d | VIP on two hosts, ms | one holder after the loss, ms | answer bursts | witness vetoes | runs |' % (dur * 10))
	print('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
	for key in sorted(order, key=lambda k: (k[0] != 'v3-100ms', int(k[1]), order_agents.index(k[2]))):
	    fs = rows[key]
	    rec = [x[8].rstrip('!') for x in fs]
	    bad = sum(1 for x in fs if x[8].endswith('!'))
	    prof = 'v3, 100 ms' if key[0] == 'v3-100ms' else 'v2, 1 s'
	    print('| %s | %s%% | %s | %s | %s | %s | %s | %s | %s | %s | %s%s | %s | %s | %d |' % (
	        prof, key[1], key[2], cell([x[4] for x in fs]), cell([x[11] for x in fs]),
	        expect(key[0], key[1]), cell([x[14] for x in fs if len(x) > 14]), totals(key[0], fs),
	        cell([x[5] for x in fs]), cell([x[7] for x in fs]), cell(rec),
	        (' (%d not within 3 s)' % bad) if bad else '', cell([x[10] for x in fs]),
	        cell([x[13] for x in fs if len(x) > 13]), len(fs)))
	EOF
}
