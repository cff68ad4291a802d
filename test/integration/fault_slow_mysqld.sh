#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault injection: the master's mysqld slowed, not dead (MariaDB lab).
#
# How: h1's mysqld (the test's own server, by its pid) is moved into a
# child cgroup with a CPU limit of 5% (5.5 ms every 110 ms), and runaway
# queries (BENCHMARK, one per CPU and one more) inside it eat that budget, so every other statement
# waits for the next period: a CPU-starved server that still answers. The
# controller is cgroup v2's cpu.max when the machine offers it; on a
# hybrid host where the cpu controller is cgroup v1's (as on the
# development machine) its cpu.cfs_quota_us / cpu.cfs_period_us, the same
# CFS bandwidth limit. Without either (no cgroup may be created here), the
# test cannot starve mysqld and fails under CI=true (skips otherwise).
#
# The pair: h1 (150) and h2 (100), adverts every 100 ms, preempt on; the
# mysql_ping check every 200 ms, slow = 20 ms (degraded: penalty 60),
# timeout 2 s (failed: penalty 100), fall 2, rise 3. A reader on host c
# opens a fresh connection through the VIP every 50 ms and runs SELECT
# @@server_id (connect timeout 3 s, 5 s in all).
#
# Asserted: the check's latency rises above `slow` and h1 degrades
# (150 -> 90, never failed); h2 takes the VIP by health takeover while h1
# still answers; the reader sees fewer than 3 failed queries in all (its
# latency per phase is printed); when the starvation ends, h1's check is ok
# again only after `rise` good results (no sooner than (rise - 1) check
# intervals after the end), then its priority is back and it takes the VIP
# back (preempt). The cgroup is removed at the end, also on failure.
#
# Usage: bash fault_slow_mysqld.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
. "$here/db_lab.sh"
lab_require python3

VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
[ -x "$VIGILCTL" ] || { echo "vigilctl not found at $VIGILCTL" >&2; exit 2; }
VIP=$DB_VIP
# 5% of a CPU. The period is no divisor of the check's interval (200 ms):
# otherwise every probe would come at the same point of the period, and a
# run of probes that each find the budget just refilled would look healthy.
QUOTA_US=5500
PERIOD_US=110000
INTERVAL=200 SLOW=20 RISE=3 FALL=2

# --- the cgroup ---------------------------------------------------------------
CG= CG_KIND= CG_PARENT= CG_PID=
# cg_find: where a child cgroup with a CPU limit can be made. Sets CG_KIND
# (v2 or v1) and CG_PARENT, or returns 1 with the reason in CG_WHY. Call
# it in this shell, not in $(...).
cg_find() {
	local root
	for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		if [ -f "$root/cgroup.controllers" ] && grep -qw cpu "$root/cgroup.controllers"; then
			CG_KIND=v2 CG_PARENT=$root
			return 0
		fi
	done
	if [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
		CG_KIND=v1 CG_PARENT=/sys/fs/cgroup/cpu
		return 0
	fi
	CG_WHY="no cgroup v2 with the cpu controller and no cgroup v1 cpu hierarchy"
	return 1
}
# cg_starve PID: PID (every thread) into a new child cgroup limited to
# QUOTA_US every PERIOD_US.
cg_starve() {
	case $CG_PARENT in /sys/fs/cgroup/*) ;; *) echo "cg_starve: no cgroup hierarchy ('$CG_PARENT')" >&2; return 1 ;; esac
	CG=$CG_PARENT/vigil-fault.$$
	mkdir "$CG" || { CG=; return 1; }
	if [ "$CG_KIND" = v2 ]; then
		grep -qw cpu "$CG_PARENT/cgroup.subtree_control" ||
			echo +cpu >"$CG_PARENT/cgroup.subtree_control" || return 1
		echo "$QUOTA_US $PERIOD_US" >"$CG/cpu.max" || return 1
	else
		echo "$PERIOD_US" >"$CG/cpu.cfs_period_us" && echo "$QUOTA_US" >"$CG/cpu.cfs_quota_us" || return 1
	fi
	echo "$1" >"$CG/cgroup.procs" || return 1
	CG_PID=$1
}
# cg_release: no limit any more (the process stays where it is).
cg_release() {
	[ -n "$CG" ] || return 0
	if [ "$CG_KIND" = v2 ]; then echo "max $PERIOD_US" >"$CG/cpu.max"
	else echo -1 >"$CG/cpu.cfs_quota_us"; fi
}
# cg_cleanup: the limit lifted, the process back in the parent, the child
# cgroup removed. From the EXIT trap too.
cg_cleanup() {
	[ -n "$CG" ] || return 0
	cg_release 2>/dev/null
	local p
	for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do echo "$p" >"$CG_PARENT/cgroup.procs" 2>/dev/null; done
	rmdir "$CG" 2>/dev/null || echo "fault_slow_mysqld: cannot remove $CG" >&2
	CG=
}
trap 'cg_cleanup; lab_teardown' EXIT
trap 'cg_cleanup; _lab_on_signal 130' INT
trap 'cg_cleanup; _lab_on_signal 143' TERM

cg_find || lab_skip_or_fail "cannot starve mysqld of CPU here: $CG_WHY"
# Can a child be made and limited here (a container may refuse)? Made,
# tried and removed before anything else.
mkdir "$CG_PARENT/vigil-probe.$$" 2>/dev/null && rmdir "$CG_PARENT/vigil-probe.$$" ||
	lab_skip_or_fail "cannot create a child cgroup under $CG_PARENT"

# --- the reader -----------------------------------------------------------------
cat >"$LAB_DIR/reader.sh" <<'READER'
#!/bin/bash
# reader.sh CLIENT CNF VIP LOG MAX_QUERIES MAX_SECONDS TICK_MS
client=$1 cnf=$2 vip=$3 log=$4 max=$5 secs=$6 tick=$7
stop=0
trap 'stop=1' TERM INT
us() { local t=${EPOCHREALTIME//[!0-9]/}; T=$((10#$t)); }
us; end=$((T + secs * 1000000))
n=0
while [ "$stop" = 0 ] && [ "$n" -lt "$max" ]; do
	us; t0=$T
	[ "$t0" -lt "$end" ] || break
	n=$((n + 1))
	out=$(timeout -k 1 5 "$client" --defaults-file="$cnf" --connect-timeout=3 -h "$vip" \
		-P 3306 -N -B -e 'SELECT @@server_id' 2>&1)
	rc=$?
	us; t1=$T
	if [ "$rc" = 0 ] && [[ $out =~ ^[0-9]+$ ]]; then
		echo "$t0 $t1 ok $out" >>"$log"
	else
		code=rc$rc
		[[ $out =~ ERROR\ ([0-9]+) ]] && code=${BASH_REMATCH[1]}
		echo "$t0 $t1 err $code" >>"$log"
	fi
	sleep "0.$(printf %03d "$tick")"
done
READER
READ_LOG=$LAB_DIR/reader.log
: >"$READ_LOG"
# reader_stats FROM_US TO_US: queries started in [FROM, TO): count, failed,
# median and largest latency in ms, servers that answered.
reader_stats() {
	python3 - "$READ_LOG" "$1" "$2" <<'PY'
import sys
a, b = int(sys.argv[2]), int(sys.argv[3])
lat, failed, srv = [], 0, {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 4 or not a <= int(f[0]) < b:
        continue
    lat.append((int(f[1]) - int(f[0])) / 1000)
    if f[2] == "err":
        failed += 1
    else:
        srv[f[3]] = srv.get(f[3], 0) + 1
lat.sort()
med = lat[(len(lat) - 1) // 2] if lat else 0
print("%d queries, %d failed, latency median %d ms, max %d ms (%s)" % (
    len(lat), failed, med, lat[-1] if lat else 0,
    ", ".join("server %s: %d" % kv for kv in sorted(srv.items())) or "none"))
PY
}
reader_failed() { awk -v a="$1" -v b="$2" '$1 >= a && $1 < b && $3 == "err" { e++ } END { print e + 0 }' "$READ_LOG"; }

# --- the check's latency as vigild reports it ------------------------------------
# ping_value HOST: the ping check's last value (latency, us) and status.
ping_value() {
	"$VIGILCTL" -s "$LAB_DIR/$1.sock" status --json 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)
c = [c for c in j["checks"] if c["name"] == "ping"][0]
print(c.get("value"), c.get("status"), c.get("level"))' 2>/dev/null
}
LAT_LOG=$LAB_DIR/latency.log
# lat_sample HOST N: N samples of h1's ping value every 250 ms (bounded),
# appended to LAT_LOG as "EPOCH_US VALUE STATUS LEVEL".
lat_sample() {
	local i
	for ((i = 0; i < $2; i++)); do
		printf '%s %s\n' "$(_lab_now_us)" "$(ping_value "$1")" >>"$LAT_LOG"
		sleep 0.25
	done
}
# lat_stats FROM_US TO_US: the ping latencies sampled in [FROM, TO).
lat_stats() {
	python3 - "$LAT_LOG" "$1" "$2" <<'PY'
import sys
a, b = int(sys.argv[2]), int(sys.argv[3])
v = sorted(int(f[1]) / 1000 for f in (l.split() for l in open(sys.argv[1]))
           if len(f) > 1 and f[1] != "None" and a <= int(f[0]) < b)
print("%d samples, median %.1f ms, max %.1f ms" % (len(v), v[(len(v) - 1) // 2] if v else 0, v[-1] if v else 0))
PY
}

# --- the lab ----------------------------------------------------------------------
db_lab_up || exit 1
ping="interval = ${INTERVAL}ms;timeout = 2s;slow = ${SLOW}ms;rise = $RISE;fall = $FALL;penalty = 100;degraded_penalty = 60"
db_vigil_conf h1 "$LAB_DIR/h1.ini" priority=150 preempt=yes advert_interval=100ms ping="$ping" || exit 1
db_vigil_conf h2 "$LAB_DIR/h2.ini" priority=100 preempt=yes advert_interval=100ms ping="$ping" || exit 1
echo "== start: h1 primary (150), h2 replica (100); CPU limit by cgroup $CG_KIND ($CG_PARENT)"
vigil_run h1 1
vigil_run h2 1
ms=$(lab_wait_for 10000 eval 'lab_vip_held_by $VIP h1 && vigil_log_has h1.vigild.log "priority [0-9]+ -> 150"')
check "h1 holds the VIP with all checks ok ($ms ms)" eval 'lab_vip_held_by $VIP h1 && vigil_log_has h1.vigild.log "priority [0-9]+ -> 150"'
lab_wait_for 10000 vigil_log_has h2.vigild.log 'priority [0-9]+ -> 100' >/dev/null
lab_spawn c reader.out bash "$LAB_DIR/reader.sh" "$MDB_CLIENT" "$LAB_DIR/app.cnf" "$DB_VIP" \
	"$READ_LOG" 3000 120 50 >/dev/null
READER=$LAB_PID
t_start=$(_lab_now_us)
lab_wait_for 5000 eval '[ "$(awk "\$3 == \"ok\" && \$4 == 1" "$READ_LOG" | wc -l)" -ge 10 ]' >/dev/null
lat_sample h1 8
check "the reader is served by h1" test "$(awk '$3 == "ok" && $4 == 1' "$READ_LOG" | wc -l)" -ge 10

echo "== starve h1's mysqld: 5% of a CPU (${QUOTA_US} us every ${PERIOD_US} us), runaway queries inside"
pid=$(mdb_pid "$(db_dir h1)")
t0=$(_lab_now_us)
l0=$(lines h1.vigild.log)
cg_starve "$pid" || { echo "cannot put mysqld ($pid) in a CPU-limited cgroup" >&2; exit 1; }
check "h1's mysqld ($pid) in $CG" grep -qx "$pid" "$CG/cgroup.procs"
# The runaway queries, one more than there are CPUs so that every CPU's
# share of the budget is used (a CPU with budget left over would serve a
# short query at once): bounded, their clients give up after 90 s, and
# they are killed by id when the starvation ends.
HOGS=()
for ((i = 0; i <= $(nproc); i++)); do
	lab_spawn h1 "hog.$i.out" timeout -k 1 90 "$MDB_CLIENT" --defaults-file="$(db_dir h1)/root.cnf" -N -B \
		-e "SELECT 'vigil-hog', BENCHMARK(100000000000, MD5(RAND()))" >/dev/null
	HOGS+=("$LAB_PID")
done
# Sample h1's check latency while it degrades (bounded).
lat_sample h1 60 &
LAT=$!
lab_track "$LAT" - lat_sample
ms=$(lab_wait_for 20000 log_has_after h1.vigild.log "$l0" 'check ping: degraded')
check "h1's ping check degraded ($ms ms after the limit)" log_has_after h1.vigild.log "$l0" 'check ping: degraded'
since h1.vigild.log "$l0" | grep -m1 'check ping: degraded' | sed 's/ event=.*//; s/^/    /'
ms=$(lab_wait_for 10000 lab_vip_held_by $VIP h2)
t_moved=$(_lab_now_us)
check "h2 holds the VIP alone ($(((t_moved - t0) / 1000)) ms after the limit)" lab_vip_held_by $VIP h2
check "h1: priority 150 -> 90 (degraded penalty 60), MASTER -> BACKUP, h2 by health takeover" \
	eval 'log_has_after h1.vigild.log "$l0" "priority 150 -> 90" && vigil_in_state h1.vigild.log BACKUP &&
	      vigil_log_has h2.vigild.log "BACKUP -> MASTER \\(health-takeover"'
check "h1's mysqld still answers (slowly): the check never failed" \
	eval '! log_has_after h1.vigild.log "$l0" "check ping: failed"'
# A while on h2, the starvation going on.
lab_wait_for 10000 eval '[ "$(awk -v t=$t_moved "\$1 > t && \$3 == \"ok\" && \$4 == 2" "$READ_LOG" | wc -l)" -ge 20 ]' >/dev/null
check "the reader is served by h2" test "$(awk -v t="$t_moved" '$1 > t && $3 == "ok" && $4 == 2' "$READ_LOG" | wc -l)" -ge 20
lab_kill "$LAT" TERM
lab_wait_for 3000 lab_pid_gone "$LAT" >/dev/null

echo "== the starvation ends: h1 back after $RISE good results, then the VIP (preempt)"
l1=$(lines h1.vigild.log)
cg_release
t1=$(_lab_now_us)
# The runaway queries killed by id (their clients end with them).
for qid in $(db_probe h1 "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT ''vigil-hog''%'"); do
	db_probe h1 "KILL QUERY $qid" >/dev/null
done
for p in "${HOGS[@]}"; do lab_wait_for 5000 lab_pid_gone "$p" >/dev/null; done
# The check's results are logged as they change (one fast result is
# "ok"); the level, and so the priority, follows only after rise of them.
ms=$(lab_wait_for 20000 log_has_after h1.vigild.log "$l1" 'instance vi: priority 90 -> 150')
check "h1's priority back to 150 once the limit was lifted" log_has_after h1.vigild.log "$l1" 'instance vi: priority 90 -> 150'
t_lift=$(_tod_to_ms "$(date -d "@$((t1 / 1000000)).$(printf %06d $((t1 % 1000000)))" +%H:%M:%S.%3N)")
t_up=$(log_ms h1.vigild.log 'instance vi: priority 90 -> 150' "$((l1 + 1))")
d_up=$(dt "$t_lift" "$t_up")
# The run of good results that raised it began with the last "ok" line
# before the change (results are logged when they change).
l_up=$(grep -n 'instance vi: priority 90 -> 150' "$LAB_DIR/h1.vigild.log" | tail -n1 | cut -d: -f1)
t_okrun=$(head -n "$l_up" "$LAB_DIR/h1.vigild.log" | grep 'check ping: ok' | tail -n1 | cut -c1-12)
t_okrun=$(_tod_to_ms "$t_okrun")
d_run=$(dt "$t_okrun" "$t_up")
# The first of them may be a probe that began just before the limit was
# lifted and ended within `slow` after it: half an interval of slack.
check "... only after $RISE good results: $d_run ms from the first of them >= (rise - 1) x interval - interval / 2 = $(((RISE - 1) * INTERVAL - INTERVAL / 2)) ms" \
	test "$d_run" -ge $(((RISE - 1) * INTERVAL - INTERVAL / 2))
ms=$(lab_wait_for 10000 lab_vip_held_by $VIP h1)
t_back=$(_lab_now_us)
check "h1 holds the VIP alone again ($(((t_back - t1) / 1000)) ms after the limit was lifted)" lab_vip_held_by $VIP h1
l_prio=$(grep -n 'instance vi: priority 90 -> 150' "$LAB_DIR/h1.vigild.log" | tail -n1 | cut -d: -f1)
l_ok=$(tail -n +$((l1 + 1)) "$LAB_DIR/h1.vigild.log" | grep -n -m1 'check ping: ok' | cut -d: -f1)
[ -z "$l_ok" ] || l_ok=$((l_ok + l1))
l_master=$(grep -n 'BACKUP -> MASTER' "$LAB_DIR/h1.vigild.log" | tail -n1 | cut -d: -f1)
check "in order: check ok (line ${l_ok:-?}), priority 90 -> 150 (line ${l_prio:-?}), BACKUP -> MASTER (line ${l_master:-?})" \
	test "${l_ok:-999999}" -le "${l_prio:-0}" -a "${l_prio:-999999}" -lt "${l_master:-0}"
lab_wait_for 5000 eval '[ "$(awk -v t=$t_back "\$1 > t && \$3 == \"ok\" && \$4 == 1" "$READ_LOG" | wc -l)" -ge 10 ]' >/dev/null
lab_kill "$READER" TERM
lab_wait_for 8000 lab_pid_gone "$READER" >/dev/null
t_end=$(_lab_now_us)
failed=$(reader_failed 0 "$t_end")
# A query still in flight when the VIP moves (its connection to the old
# holder is cut off) can fail whatever vigild does; the sequential reader
# has at most one at each move.
early=$(awk -v b="$t_moved" '$2 < b && $3 == "err"' "$READ_LOG" | wc -l)
across=$(awk -v m1="$t_moved" -v m2="$t_back" '$3 == "err" && (($1 < m1 && $2 >= m1) || ($1 < m2 && $2 >= m2))' "$READ_LOG" | wc -l)
check "the VIP moved before the starved server failed a query: none failed before the move ($early; $across in flight across a move)" \
	test "$early" -eq 0
check "the reader saw fewer than 3 failed queries in all ($failed: $(awk '$3 == "err" { print $4 }' "$READ_LOG" | sort | uniq -c | awk '{ printf "%s%s x %s", (NR > 1 ? ", " : ""), $1, $2 }'))" \
	test "$failed" -lt 3
cg_cleanup

echo "== figures (cgroup $CG_KIND: ${QUOTA_US} us of CPU every ${PERIOD_US} us for h1's mysqld)"
echo "  h1's ping latency (vigilctl status, sampled every 250 ms): healthy $(lat_stats "$t_start" "$t0"); starved $(lat_stats "$t0" "$t1"); slow = $SLOW ms"
t_lim=$(_tod_to_ms "$(date -d "@$((t0 / 1000000)).$(printf %06d $((t0 % 1000000)))" +%H:%M:%S.%3N)")
echo "  limit -> first slow result $(dt "$t_lim" "$(log_ms h1.vigild.log 'check ping: degraded' "$((l0 + 1))")") ms, -> priority 90 $(dt "$t_lim" "$(log_ms h1.vigild.log 'instance vi: priority 150 -> 90' "$((l0 + 1))")") ms, -> VIP on h2 $(((t_moved - t0) / 1000)) ms"
echo "  limit lifted -> priority 150 $d_up ms ($d_run ms after the first of the $RISE good results; interval $INTERVAL ms), -> VIP back on h1 $(((t_back - t1) / 1000)) ms"
echo "  reader through the VIP: healthy: $(reader_stats "$t_start" "$t0")"
echo "                          starved, before the move: $(reader_stats "$t0" "$t_moved")"
echo "                          on h2: $(reader_stats "$t_moved" "$t1")"
echo "                          after the limit: $(reader_stats "$t1" "$t_end")"
echo "                          in all: $failed failed ($early before the VIP moved, $across in flight across a move)"
finish
