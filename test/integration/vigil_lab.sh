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
#   check NAME CMD...              run an assertion, count pass/fail
#   finish                         print "NAME: N passed, N failed", exit
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

lab_require ip nft arping keepalived
lab_init || exit 1
