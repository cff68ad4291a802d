# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for vigild scenarios on the netns lab (source after test/lab/lab.sh).
#
# A scenario script is called as: bash SCRIPT PATH/TO/vigild
# It sources this file, which sources the lab, checks prerequisites and
# provides:
#   vigil_conf FILE key=value...   write a one-instance vigil.ini
#   vigil_start HOST CONF          start vigild in HOST, print its pid
#   vigil_state LOG [INSTANCE]     last state vigild logged (INIT if none)
#   vigil_in_state LOG STATE       for lab_wait_for
#   vigil_transitions LOG          count of logged state changes
#   vigil_run HOST RUN             (re)start HOST's vigild on $LAB_DIR/HOST.ini,
#                                  the previous run's log kept as HOST.<RUN>.log,
#                                  the pid in the variable named HOST
#   vigil_term HOST                SIGTERM that vigild, wait (3 s at most)
#   vigil_stop PID                 SIGTERM PID, wait (3 s at most) for its end
#   check NAME CMD...              run an assertion, count pass/fail
#   check_ms NAME MS LIMIT         pass if MS <= LIMIT
#   finish                         print "NAME: N passed, N failed", exit
# Clocks and logs (LOG is a file name under $LAB_DIR; vigild stamps each
# line with the time of day, HH:MM:SS.mmm):
#   now_ms                         epoch time in ms
#   tod_ms                         the time of day in ms, as the logs show it
#   log_ms LOG REGEX [FROM_LINE]   time of day in ms of the first line of LOG
#                                  (from line FROM_LINE on) matching REGEX
#   dt FROM TO                     ms from one time of day to a later one
#                                  (across midnight too)
#   mark LOG                       the line number LOG's next line will have
#   since LOG LINE                 LOG from line LINE on
#   lines LOG                      how many lines LOG has
#   log_has_after LOG N REGEX      a line after the first N of LOG matches
#   wait_past LOG REGEX MS         wait until MS ms after the time of day of
#                                  the last line of LOG matching REGEX (for
#                                  a deadline vigild does not log)
#   past_holddown LOG ADVERT_MS    wait until LOG's vigild is past its
#                                  hold-down after losing MASTER to a higher
#                                  priority (nothing logs its end)
#   prio LOG                       the effective priority vigild last logged
#                                  ("instance vi: priority A -> B": B)
#   prio_is LOG N                  prio LOG is N
#   transitions LOG                the logged state changes, space-separated
#                                  "FROM>TO(reason)"
#   transitions_since LOG N        the state changes after the first N
#   vip_on HOST [DEV [ADDR]]       HOST's DEV (eth0) carries ADDR ($VIP),
#                                  whoever else does
#   vip_misses HOST SAMPLES        sample every 100 ms; print how many times
#                                  $VIP was not on HOST alone
# keepalived interop (set VIPS, a comma list, and KA_ADDR, keepalived's
# address, first):
#   vips_on HOST                   every VIP is on HOST's eth0
#   vips_held_by "H..."            exactly those hosts hold every VIP
#   ka_entered CONF                state changes keepalived logged
#   ka_complaints CONF             keepalived's lines about bad packets
#   vg_drops_from_ka LOG           vigild's drop lines for keepalived's packets
#   vg_log NAME                    give h1's next vigild a fresh log; the old
#                                  one is kept as NAME.log
#   capture_start NAME             tcpdump of VRRP on h1 into $LAB_DIR/NAME.pcap
#                                  (sets CAP, CAP_PID)
#   capture_stop                   stop that capture
# Every vigild runs with its own socket path and log under $LAB_DIR.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lab/lab.sh
. "$here/../lab/lab.sh"
# shellcheck source=../lab/keepalived.sh
. "$here/../lab/keepalived.sh"

VIGILD=${1:-${VIGILD:-}}
if [ -z "$VIGILD" ] || [ ! -x "$VIGILD" ]; then
	echo "usage: $0 PATH/TO/vigild (got '${VIGILD}')" >&2
	exit 2
fi
VIGILD=$(cd "$(dirname "$VIGILD")" && pwd)/$(basename "$VIGILD")
SCENARIO=$(basename "$0" .sh)
_passed=0
_failed=0

# check NAME CMD...: run CMD; report and count the outcome.
check() {
	local name=$1
	shift
	if "$@"; then
		printf '  ok   %s\n' "$name"
		_passed=$((_passed + 1))
	else
		printf '  FAIL %s\n' "$name"
		_failed=$((_failed + 1))
	fi
}

# check_ms NAME MS LIMIT: pass if a measured MS is within LIMIT.
check_ms() {
	local name=$1 ms=$2 limit=$3
	check "$name ($ms ms, limit $limit ms)" test "$ms" -le "$limit"
}

finish() {
	if [ "$_failed" -gt 0 ]; then
		echo "--- logs ---"
		lab_dump_logs 40
	fi
	echo "$SCENARIO: $_passed passed, $_failed failed"
	[ "$_failed" -eq 0 ]
	exit $?
}

# vigil_conf FILE key=value...: one [instance vi] on eth0. Keys: router_id,
# vrid, priority, version, advert_interval, vips (comma list), preempt,
# preempt_delay, peers (comma list), notify, checksum, auth_type,
# auth_pass, extra (raw lines appended to the instance section),
# global_extra (raw lines for [global]), tail (raw text after the instance:
# [check] sections).
vigil_conf() {
	local file=$1 kv k v
	shift
	local -A o=([router_id]=lab [vrid]=51 [priority]=100 [version]=3
		[advert_interval]=100ms [vips]=198.18.0.100/24 [preempt]=yes
		[preempt_delay]=0s [peers]='' [notify]='' [checksum]='' [auth_type]=''
		[auth_pass]='' [extra]='' [global_extra]='' [tail]='')
	for kv in "$@"; do
		k=${kv%%=*}; v=${kv#*=}
		if [[ $kv != *=* ]] || [ -z "${o[$k]+x}" ]; then
			printf 'vigil_conf: unknown or malformed "%s"\n' "$kv" >&2
			return 1
		fi
		o[$k]=$v
	done
	{
		printf '[global]\nrouter_id = %s\ncontrol_socket = %s/%s.sock\n' \
			"${o[router_id]}" "$LAB_DIR" "${o[router_id]}"
		[ -z "${o[global_extra]}" ] || printf '%s\n' "${o[global_extra]}"
		printf '\n'
		printf '[instance vi]\ninterface = eth0\nvrid = %s\npriority = %s\n' \
			"${o[vrid]}" "${o[priority]}"
		printf 'version = %s\nvirtual_ip = %s\n' "${o[version]}" "${o[vips]}"
		# advert_interval= (empty) keeps vigild's shipped default.
		[ -z "${o[advert_interval]}" ] || printf 'advert_interval = %s\n' "${o[advert_interval]}"
		printf 'preempt = %s\npreempt_delay = %s\n' "${o[preempt]}" "${o[preempt_delay]}"
		[ -z "${o[peers]}" ] || printf 'unicast_peer = %s\n' "${o[peers]}"
		[ -z "${o[notify]}" ] || printf 'notify = %s\n' "${o[notify]}"
		[ -z "${o[checksum]}" ] || printf 'checksum = %s\n' "${o[checksum]}"
		[ -z "${o[auth_type]}" ] || printf 'auth_type = %s\n' "${o[auth_type]}"
		[ -z "${o[auth_pass]}" ] || printf 'auth_pass = %s\n' "${o[auth_pass]}"
		[ -z "${o[extra]}" ] || printf '%s\n' "${o[extra]}"
		[ -z "${o[tail]}" ] || printf '\n%s\n' "${o[tail]}"
	} >"$file"
}

# vigil_start HOST CONF: check the config, then run vigild in HOST with
# its log in $LAB_DIR/HOST.vigild.log. Sets LAB_PID (call it directly, not
# in $(...)). Returns 1 if the config is refused or vigild dies at once.
vigil_start() {
	local host=$1 conf=$2
	if ! "$VIGILD" -t -f "$conf" >/dev/null; then
		echo "vigil_start: $conf refused by vigild -t" >&2
		return 1
	fi
	lab_spawn "$host" "$host.vigild.log" "$VIGILD" -f "$conf" >/dev/null
	sleep 0.05
	lab_pid_alive "$LAB_PID"
}

# vigil_state LOG: the state of the last logged transition, or INIT.
vigil_state() {
	local log=$1 line
	line=$(grep -E 'instance [^ ]+: [A-Z]+ -> [A-Z]+ ' "$LAB_DIR/$log" 2>/dev/null | tail -n1)
	if [ -z "$line" ]; then echo INIT; return; fi
	sed -E 's/.*: [A-Z]+ -> ([A-Z]+) .*/\1/' <<<"$line"
}

vigil_in_state() { [ "$(vigil_state "$1")" = "$2" ]; }

# vigil_transitions LOG: number of state changes logged so far.
vigil_transitions() {
	grep -cE 'instance [^ ]+: [A-Z]+ -> [A-Z]+ ' "$LAB_DIR/$1" 2>/dev/null || true
}

# vigil_log_has LOG REGEX
vigil_log_has() { grep -qE "$2" "$LAB_DIR/$1"; }

# vigil_run HOST RUN: start HOST's vigild with $LAB_DIR/HOST.ini, logging
# to HOST.vigild.log; the log of HOST's previous run is kept as
# HOST.<its RUN>.log. The pid goes into the variable named HOST. Exits the
# scenario if vigild does not start.
declare -gA _vigil_run_of=()
vigil_run() {
	[ ! -f "$LAB_DIR/$1.vigild.log" ] ||
		mv "$LAB_DIR/$1.vigild.log" "$LAB_DIR/$1.${_vigil_run_of[$1]}.log"
	_vigil_run_of[$1]=$2
	vigil_start "$1" "$LAB_DIR/$1.ini" || { echo "cannot start vigild on $1" >&2; exit 1; }
	printf -v "$1" '%s' "$LAB_PID"
}

# vigil_term HOST: SIGTERM the vigild vigil_run started on HOST and wait
# (bounded) for it to exit.
vigil_term() {
	local pid=${!1}
	lab_kill "$pid" TERM
	lab_wait_for 3000 lab_pid_gone "$pid" >/dev/null ||
		echo "vigild on $1 did not exit after SIGTERM" >&2
}

# vigil_stop PID: SIGTERM PID and wait (3 s at most) for the end.
vigil_stop() { lab_kill "$1" TERM; lab_wait_for 3000 lab_pid_gone "$1" >/dev/null; }

# --- clocks and logs ---

now_ms() { local t=${EPOCHREALTIME//[!0-9]/}; echo $((10#$t / 1000)); }

# _tod_to_ms TEXT: TEXT's leading HH:MM:SS.mmm in ms since midnight.
_tod_to_ms() {
	[[ $1 =~ ^([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{3}) ]] || return 1
	echo $(( ((10#${BASH_REMATCH[1]} * 60 + 10#${BASH_REMATCH[2]}) * 60 +
		10#${BASH_REMATCH[3]}) * 1000 + 10#${BASH_REMATCH[4]} ))
}

# log_ms LOG REGEX [FROM_LINE]: time of day in ms of the first line of LOG
# (from line FROM_LINE on) matching REGEX.
log_ms() {
	local l
	l=$(tail -n +"${3:-1}" "$LAB_DIR/$1" | grep -m1 -E "$2") || return 1
	_tod_to_ms "$l"
}

# tod_ms: the time of day in ms, as vigild's log lines show it.
tod_ms() { _tod_to_ms "$(date +%H:%M:%S.%3N)"; }

# dt FROM TO: ms from one time of day to a later one (across midnight too).
dt() { local d=$(($2 - $1)); [ "$d" -ge 0 ] || d=$((d + 86400000)); echo "$d"; }

# mark LOG: the line number the next log line will have.
mark() { echo $(($(wc -l <"$LAB_DIR/$1") + 1)); }
# since LOG FROM_LINE: the log from that line on.
since() { tail -n +"$2" "$LAB_DIR/$1"; }
# lines LOG: how many lines LOG has (a running vigild keeps writing to its
# log file, so a round's part of it is found by line number, not by renaming).
lines() { wc -l <"$LAB_DIR/$1"; }
# log_has_after LOG N REGEX: a line after the first N of LOG matches REGEX.
log_has_after() { tail -n +$(($2 + 1)) "$LAB_DIR/$1" | grep -qE "$3"; }

# wait_past LOG REGEX MS: sleep until MS ms (at most 60000) after the time of
# day vigild stamped on the last line of LOG matching REGEX; at once if that
# moment has passed. Returns 1, without waiting, if no line matches. For a
# deadline that vigild computes but does not log (its log lines carry the
# time of the event the deadline counts from).
wait_past() {
	local l t e left
	[ "$3" -le 60000 ] || return 1
	l=$(grep -E "$2" "$LAB_DIR/$1" 2>/dev/null | tail -n 1)
	[ -n "$l" ] && t=$(_tod_to_ms "$l") || return 1
	e=$(dt "$t" "$(tod_ms)")
	# A stamp a few ms ahead of our clock reads as almost a day ago.
	[ "$e" -lt 43200000 ] || e=0
	left=$(($3 - e))
	[ "$left" -le 0 ] || sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
}

# past_holddown LOG ADVERT_MS: the hold-down of docs/design.md "Health
# takeover": a vigild that lost MASTER to a higher-priority advert accepts a
# lower master, instead of taking the VIP back, for max(preempt_delay,
# Master_Down_Interval) from that transition (vrrp/fsm.c); vigild logs no
# end to it and shows it nowhere. Waits until 4 x ADVERT_MS + 20 ms after
# LOG's last "MASTER -> BACKUP (higher-priority-advert" line:
# Master_Down_Interval is 3 x the master's advert interval (ADVERT_MS, the
# same on both nodes here) plus Skew_Time, below one interval; 20 ms for
# the stamp being taken after the FSM read its clock. Only for
# preempt_delay = 0. Call it once that transition is logged (LOG's vigild
# BACKUP); returns at once if there was none.
past_holddown() {
	wait_past "$1" 'MASTER -> BACKUP \(higher-priority-advert' $((4 * $2 + 20)) || true
}

# prio LOG: the effective priority vigild last logged ("priority A -> B").
prio() {
	grep -E 'instance vi: priority [0-9]+ -> [0-9]+' "$LAB_DIR/$1" | tail -n1 |
		sed -E 's/.*instance vi: priority [0-9]+ -> ([0-9]+).*/\1/'
}
prio_is() { [ "$(prio "$1")" = "$2" ]; }

# transitions LOG: the logged state changes, "FROM>TO(reason)" space-separated.
transitions() {
	sed -nE 's/.*instance [^ ]+: ([A-Z]+) -> ([A-Z]+) \(([a-z-]+).*/\1>\2(\3)/p' "$LAB_DIR/$1" |
		tr '\n' ' ' | sed 's/ $//'
}
# transitions_since LOG N: the state changes after the first N.
transitions_since() { transitions "$1" | tr ' ' '\n' | tail -n +$(($2 + 1)) | tr '\n' ' ' | sed 's/ $//'; }

# vip_on HOST [DEV [ADDR]]: HOST's DEV (default eth0) carries ADDR (default
# $VIP), whoever else does. A bash match, not grep: callers poll it every
# few ms while they time a takeover.
vip_on() {
	local dev=${2:-eth0} addr=${3:-$VIP}
	[[ $(ip -n "$(lab_ns "$1")" -4 -o addr show dev "$dev" 2>/dev/null) == *" inet $addr/"* ]]
}

# vip_misses HOST SAMPLES: sample every 100 ms; print the misses ($VIP not
# on HOST alone).
vip_misses() {
	local bad=0 i
	for ((i = 0; i < $2; i++)); do
		lab_vip_held_by $VIP "$1" || bad=$((bad + 1))
		sleep 0.1
	done
	echo "$bad"
}

# --- keepalived interop ---

# What keepalived 2.2.7 prints about a packet it rejects, seen in this lab:
# "Invalid VRRPv3 checksum", "received an unexpected ip number count 1,
# expected 2!", "received an invalid passwd!" (v2). "ttl", "bad" and
# "mismatch" cover its other receive checks.
KA_COMPLAINT='invalid|checksum|ttl|bad|mismatch|unexpected'

# vips_on HOST: every VIP of $VIPS is on HOST's eth0 (others may hold them too).
vips_on() {
	local a v
	a=$(ip -n "$(lab_ns "$1")" -4 -o addr show dev eth0 2>/dev/null) || return 1
	for v in ${VIPS//,/ }; do [[ $a == *" inet $v "* ]] || return 1; done
}
# vips_held_by "H...": exactly those hosts hold every VIP of $VIPS.
vips_held_by() {
	local v
	for v in ${VIPS//,/ }; do lab_vip_held_by "$v" "$1" || return 1; done
}
# ka_entered CONF: number of state changes keepalived logged.
ka_entered() { grep -c 'Entering [A-Z]* STATE' "${1%.conf}.log" 2>/dev/null || true; }
# ka_complaints CONF: keepalived's lines about bad packets (none expected).
ka_complaints() { grep -ciE "$KA_COMPLAINT" "${1%.conf}.log" 2>/dev/null || true; }
# vg_drops_from_ka LOG: vigild's drop lines for keepalived's ($KA_ADDR) packets.
vg_drops_from_ka() { grep -c "dropped packet from $KA_ADDR" "$LAB_DIR/$1" 2>/dev/null || true; }
# vg_log NAME: give h1's next vigild a fresh log; the old one keeps NAME.
vg_log() { [ ! -f "$LAB_DIR/h1.vigild.log" ] || mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/$1.log"; }

# capture_start NAME / capture_stop: tcpdump of VRRP on h1 into NAME.pcap.
capture_start() {
	CAP=$LAB_DIR/$1.pcap
	lab_spawn h1 "$1.tcpdump.log" tcpdump -i eth0 -n -U --immediate-mode -w "$CAP" \
		ip proto 112 >/dev/null
	CAP_PID=$LAB_PID
	lab_wait_for 3000 grep -q 'listening on' "$LAB_DIR/$1.tcpdump.log" >/dev/null
}
capture_stop() { lab_kill "$CAP_PID" INT; lab_wait_for 3000 lab_pid_gone "$CAP_PID" >/dev/null; }

lab_require ip nft arping keepalived
lab_init || exit 1
