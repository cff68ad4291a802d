# SPDX-License-Identifier: GPL-2.0-or-later
# Network-namespace lab for integration tests: a bridge "switch" and N hosts.
#
# Source this file from a bash test (`. test/lab/lab.sh`); it defines lab_*
# functions and runs nothing by itself. See test/lab/README.md.
#
# Layout of one lab (prefix P, unique per shell: "vl<BASHPID>"):
#   namespace P-sw   : bridge br0 (multicast snooping off, so VRRP's
#                      224.0.0.18 floods to every port), ports p-NAME
#   namespace P-NAME : lo up, eth0 = the peer of p-NAME, 198.18.0.x/24
# Every veth pair is created inside P-sw and one end is moved into the host,
# so nothing is ever added to the root namespace (docs/design.md "Test
# network").
#
# One lab per shell at a time. State lives in LAB_* variables (set by
# lab_init / lab_add_host, which must run in the test's own shell, not in
# $(...)) and in files under $LAB_DIR (the pid list, so lab_spawn may also
# run inside $(...)).

# Addresses: only 198.18.0.0/24 (the benchmarking range) may be used.
LAB_NET_PREFIX=198.18.0.
LAB_BRIDGE=br0
LAB_IFACE=eth0

_lab_err() { printf 'lab: %s\n' "$*" >&2; }

# _lab_now_us: wall clock in microseconds (bash 5 EPOCHREALTIME, no fork).
_lab_now_us() { local t=${EPOCHREALTIME//[!0-9]/}; printf '%s' "$((10#$t))"; }

# lab_require CMD...: exit the test unless it runs as root and every CMD
# exists. Outside CI this is a skip (exit 77, reason printed); under CI=true
# a missing prerequisite is a failure (exit 1): CI must never skip silently.
lab_require() {
	local c missing=()
	for c in ip "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	if [ "$(id -u)" -ne 0 ]; then
		lab_skip_or_fail "needs root (network namespaces)"
	elif [ "${#missing[@]}" -gt 0 ]; then
		lab_skip_or_fail "missing commands: ${missing[*]}"
	fi
	return 0
}

# lab_skip_or_fail REASON: exit 77 (skip) outside CI, exit 1 under CI=true.
lab_skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		printf 'FAIL: %s (CI=true: prerequisites must be present)\n' "$*" >&2
		exit 1
	fi
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

# lab_init: start a lab. Creates $LAB_DIR (pid list, logs), the switch
# namespace with its bridge, and traps EXIT/INT/TERM so lab_teardown runs
# even when the test fails or is interrupted. Returns 0, or 1 (torn down).
# Env: LAB_PREFIX (namespace prefix, default vl<BASHPID>).
lab_init() {
	if [ -n "${LAB_DIR:-}" ]; then
		_lab_err "lab_init: a lab is already running in this shell ($LAB_PREFIX)"
		return 1
	fi
	LAB_PREFIX=${LAB_PREFIX:-vl$BASHPID}
	LAB_SW=$LAB_PREFIX-sw
	LAB_HOSTS=()
	declare -gA LAB_ADDR=() LAB_MAC=()
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vigil-lab.$LAB_PREFIX.XXXXXX") || {
		LAB_DIR=; _lab_err "lab_init: mktemp failed"; return 1; }
	: >"$LAB_DIR/pids"
	# A sanitizer's report found at teardown fails the test.
	trap 'lab_teardown; [ "${_LAB_SANITIZER:-0}" = 0 ] || exit 1' EXIT
	trap '_lab_on_signal 130' INT
	trap '_lab_on_signal 143' TERM

	[ "${LAB_REAP_STALE:-1}" = 0 ] || lab_reap_stale
	# A namespace left with our prefix can only be a leftover of a dead
	# shell that had the same pid: remove it rather than fail on "exists".
	_lab_delete_namespaces
	if ! ip netns add "$LAB_SW" ||
	   ! ip -n "$LAB_SW" link set lo up ||
	   # mcast_snooping 0: the bridge floods multicast instead of waiting for
	   # IGMP joins (VRRP senders do not join 224.0.0.18 themselves).
	   # forward_delay 0 + no STP: ports forward as soon as they are up.
	   ! ip -n "$LAB_SW" link add "$LAB_BRIDGE" type bridge \
		mcast_snooping 0 stp_state 0 forward_delay 0 ||
	   ! ip -n "$LAB_SW" link set "$LAB_BRIDGE" up; then
		_lab_err "lab_init: cannot create switch namespace $LAB_SW"
		lab_teardown
		return 1
	fi
	return 0
}

_lab_on_signal() {
	lab_teardown
	trap - EXIT
	exit "$1"
}

# lab_ns HOST: print the namespace name of HOST (or of "sw"); 1 if unknown.
lab_ns() {
	if [ "$1" = sw ]; then printf '%s\n' "$LAB_SW"; return 0; fi
	if [ -z "${LAB_ADDR[$1]+x}" ]; then
		_lab_err "unknown host '$1'"
		return 1
	fi
	printf '%s\n' "$LAB_PREFIX-$1"
}

# lab_add_host NAME [ADDR]: create host NAME (letters, digits; up to 10
# chars) with eth0 on the bridge and lo up. ADDR defaults to
# 198.18.0.<10+i>/24 for the i-th host (1-based); "/24" is added when ADDR
# has no prefix length. Only 198.18.0.0/24 is accepted. Returns 0 or 1.
lab_add_host() {
	local name=$1 addr=${2:-} ns port tmp mac
	if [ -z "${LAB_DIR:-}" ]; then _lab_err "lab_add_host: lab_init first"; return 1; fi
	if ! [[ $name =~ ^[a-z][a-z0-9]{0,9}$ ]] || [ "$name" = sw ]; then
		_lab_err "lab_add_host: bad host name '$name'"
		return 1
	fi
	if [ -n "${LAB_ADDR[$name]+x}" ]; then _lab_err "lab_add_host: $name exists"; return 1; fi
	[ -n "$addr" ] || addr=$LAB_NET_PREFIX$((10 + ${#LAB_HOSTS[@]} + 1))
	[[ $addr == */* ]] || addr=$addr/24
	if ! [[ $addr =~ ^198\.18\.0\.([0-9]{1,3})/([0-9]{1,2})$ ]] ||
	   [ "${BASH_REMATCH[1]}" -gt 254 ] || [ "${BASH_REMATCH[2]}" -lt 24 ] ||
	   [ "${BASH_REMATCH[2]}" -gt 32 ]; then
		_lab_err "lab_add_host: address '$addr' is not inside 198.18.0.0/24"
		return 1
	fi
	ns=$LAB_PREFIX-$name
	port=p-$name
	tmp=e-$name
	# Both veth ends are born in the switch namespace; one is then moved
	# into the host and renamed, so the root namespace never sees either.
	if ! ip netns add "$ns" ||
	   ! ip -n "$ns" link set lo up ||
	   ! ip -n "$LAB_SW" link add "$port" type veth peer name "$tmp" ||
	   ! ip -n "$LAB_SW" link set "$tmp" netns "$ns" ||
	   ! ip -n "$ns" link set "$tmp" name "$LAB_IFACE" ||
	   ! ip -n "$LAB_SW" link set "$port" master "$LAB_BRIDGE" ||
	   ! ip -n "$LAB_SW" link set "$port" up ||
	   ! ip -n "$ns" addr add "$addr" dev "$LAB_IFACE" ||
	   ! ip -n "$ns" link set "$LAB_IFACE" up; then
		_lab_err "lab_add_host: cannot set up $name ($ns)"
		return 1
	fi
	mac=$(ip -n "$ns" -o link show dev "$LAB_IFACE" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	LAB_HOSTS+=("$name")
	LAB_ADDR[$name]=${addr%/*}
	LAB_MAC[$name]=$mac
	return 0
}

# lab_addr HOST: print HOST's eth0 address (without prefix length).
lab_addr() {
	lab_ns "$1" >/dev/null || return 1
	printf '%s\n' "${LAB_ADDR[$1]}"
}

# lab_exec HOST CMD...: run CMD inside HOST's namespace, in the foreground;
# returns CMD's exit status.
lab_exec() {
	local ns
	ns=$(lab_ns "$1") || return 1
	shift
	ip netns exec "$ns" "$@"
}

# _lab_starttime PID: field 22 of /proc/PID/stat (start time in clock
# ticks); with the pid it names one process even if pids are reused.
_lab_starttime() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }  # comm may contain spaces; fields resume after ") "
	set -- $stat
	printf '%s\n' "${20}"
}

# _lab_alive PID [STARTTIME]: the process exists, is not a zombie, and (if
# given) started at STARTTIME.
_lab_alive() {
	local stat st
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- "$1" "${2:-}" $stat
	[ "$3" != Z ] && [ "$3" != X ] || return 1
	[ -z "$2" ] || [ "$2" = "${22}" ]
}

# lab_spawn HOST LOGFILE CMD...: start CMD in HOST's namespace in the
# background, stdout+stderr appended to LOGFILE (relative names are put in
# $LAB_DIR), stdin from /dev/null. Records the pid for lab_teardown, sets
# LAB_PID and prints the pid. Works inside $(...) too (the pid list is a
# file), but LAB_PID is then lost in the subshell. The job is disowned (no
# "Killed" noise from bash): wait for its end with lab_pid_alive, not `wait`.
lab_spawn() {
	local host=$1 log=$2 ns pid
	ns=$(lab_ns "$host") || return 1
	shift 2
	if [ $# -eq 0 ]; then _lab_err "lab_spawn: no command"; return 1; fi
	[[ $log == /* ]] || log=$LAB_DIR/$log
	# `ip netns exec` execs CMD after setns, so $! is CMD's own pid.
	ip netns exec "$ns" "$@" >>"$log" 2>&1 </dev/null &
	pid=$!
	disown "$pid" 2>/dev/null
	lab_track "$pid" "$host" "$1"
	LAB_PID=$pid
	printf '%s
' "$pid"
}

# lab_track PID [HOST [WHAT]]: add an already running PID (e.g. a daemon's
# child read from its pid file) to the list lab_teardown kills. Returns 1
# if PID does not run.
lab_track() {
	local st
	st=$(_lab_starttime "$1") || return 1
	printf '%s %s %s %s\n' "$1" "$st" "${2:--}" "${3:--}" >>"$LAB_DIR/pids"
}

# lab_kill PID [SIG]: send SIG (default TERM) to that one pid. Returns
# kill's status. Never kills by name.
lab_kill() {
	kill -s "${2:-TERM}" "$1" 2>/dev/null
}

# lab_pid_alive PID: 0 if PID runs (zombies count as gone).
lab_pid_alive() { _lab_alive "$1"; }

# lab_pid_gone PID: the opposite, for lab_wait_for.
lab_pid_gone() { ! _lab_alive "$1"; }

# lab_pids: print the recorded pids still alive (same process, by start time).
lab_pids() {
	local pid st rest
	[ -n "${LAB_DIR:-}" ] && [ -f "$LAB_DIR/pids" ] || return 0
	while read -r pid st rest; do
		_lab_alive "$pid" "$st" && printf '%s\n' "$pid"
	done <"$LAB_DIR/pids"
	return 0
}

# _lab_descendants PID...: print every descendant pid of the given pids.
_lab_descendants() {
	local -A kids=()
	local p pp queue=("$@") out=()
	while read -r p pp; do kids[$pp]+=" $p"; done < <(ps -e -o pid=,ppid=)
	while [ ${#queue[@]} -gt 0 ]; do
		p=${queue[0]}; queue=("${queue[@]:1}")
		for pp in ${kids[$p]:-}; do out+=("$pp"); queue+=("$pp"); done
	done
	[ ${#out[@]} -eq 0 ] || printf '%s\n' "${out[@]}"
}

# _lab_wait_gone MS PID...: poll until none of PIDs is alive or MS ran out.
_lab_wait_gone() {
	local ms=$1 end p left; shift
	end=$(( $(_lab_now_us) + ms * 1000 ))
	while :; do
		left=0
		for p in "$@"; do _lab_alive "$p" && { left=1; break; }; done
		[ $left -eq 0 ] && return 0
		[ "$(_lab_now_us)" -lt "$end" ] || return 1
		sleep 0.02
	done
}

_lab_delete_namespaces() {
	local ns rest
	while read -r ns rest; do
		case $ns in "$LAB_PREFIX"-*) ip netns del "$ns" 2>/dev/null || true ;; esac
	done < <(ip netns list 2>/dev/null)
}

# lab_teardown: kill every recorded process still alive (and its
# descendants) by pid: TERM, then KILL after LAB_GRACE_MS (default 3000);
# delete every namespace of this lab; remove $LAB_DIR unless LAB_KEEP=1.
# Idempotent; runs from the EXIT/INT/TERM trap. Returns 0, or 1 if a
# process or namespace survived.
lab_teardown() {
	local rc=0 pids=() all=() p left
	[ -n "${LAB_DIR:-}" ] || return 0
	mapfile -t pids < <(lab_pids)
	if [ ${#pids[@]} -gt 0 ]; then
		# TERM the recorded processes first so daemons clean up their own
		# children; KILL whatever (descendants included) is left.
		mapfile -t all < <(_lab_descendants "${pids[@]}")
		all+=("${pids[@]}")
		for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
		if ! _lab_wait_gone "${LAB_GRACE_MS:-3000}" "${all[@]}"; then
			for p in "${all[@]}"; do
				! _lab_alive "$p" || kill -KILL "$p" 2>/dev/null || true
			done
			_lab_wait_gone 2000 "${all[@]}" || true
		fi
		left=
		for p in "${all[@]}"; do _lab_alive "$p" && left+=" $p"; done
		if [ -n "$left" ]; then _lab_err "teardown: processes survived:$left"; rc=1; fi
	fi
	# A sanitized daemon reports leaks when it exits, which is here, after
	# the test's own checks: such a report fails the test all the same.
	local san
	san=$(grep -s -E '==[0-9]+==ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$LAB_DIR"/*.log | head -5)
	if [ -n "$san" ]; then
		_lab_err "teardown: a sanitizer reported:"
		printf '%s\n' "$san" >&2
		_LAB_SANITIZER=1
		rc=1
	fi
	_lab_delete_namespaces
	if ip netns list 2>/dev/null | grep -q "^$LAB_PREFIX-"; then
		_lab_err "teardown: namespaces survived"; rc=1
	fi
	if [ "${LAB_KEEP:-0}" = 1 ]; then
		: >"$LAB_DIR/kept" # lab_reap_stale leaves kept dirs alone
		printf 'lab: kept %s\n' "$LAB_DIR" >&2
	else
		rm -rf "$LAB_DIR"
	fi
	LAB_DIR=
	LAB_HOSTS=()
	LAB_ADDR=() LAB_MAC=()
	return $rc
}

# lab_reap_stale: clean up labs whose shell died without teardown (e.g.
# SIGKILLed by a test runner's time-out): for every vl<PID>-* namespace and
# ${TMPDIR:-/tmp}/vigil-lab.vl<PID>.* dir whose PID no longer runs, kill the
# processes in that lab's pid list (by pid, checked against their start
# time), delete its namespaces and remove its dir (unless LAB_KEEP=1 kept
# it). Called by lab_init
# unless LAB_REAP_STALE=0. Returns 0.
lab_reap_stale() {
	local ns rest d pid st pids=() dead=() owner
	local -A seen=()
	while read -r ns rest; do
		[[ $ns =~ ^vl([0-9]+)- ]] || continue
		owner=${BASH_REMATCH[1]}
		[ -d "/proc/$owner" ] || seen[$owner]=1
	done < <(ip netns list 2>/dev/null)
	for d in "${TMPDIR:-/tmp}"/vigil-lab.vl*.*; do
		[ ! -e "$d/kept" ] || continue
		[[ $d =~ /vigil-lab\.vl([0-9]+)\. ]] || continue
		owner=${BASH_REMATCH[1]}
		[ -d "/proc/$owner" ] || seen[$owner]=1
	done
	for owner in "${!seen[@]}"; do
		pids=()
		for d in "${TMPDIR:-/tmp}"/vigil-lab.vl"$owner".*; do
			[ -f "$d/pids" ] || continue
			while read -r pid st rest; do
				! _lab_alive "$pid" "$st" || pids+=("$pid")
			done <"$d/pids"
		done
		if [ ${#pids[@]} -gt 0 ]; then
			for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
			_lab_wait_gone 2000 "${pids[@]}" || true
		fi
		while read -r ns rest; do
			case $ns in vl"$owner"-*) ip netns del "$ns" 2>/dev/null || true ;; esac
		done < <(ip netns list 2>/dev/null)
		for d in "${TMPDIR:-/tmp}"/vigil-lab.vl"$owner".*; do
			[ -e "$d/kept" ] || rm -rf "$d"
		done
		dead+=("$owner")
	done
	[ ${#dead[@]} -eq 0 ] || _lab_err "reaped stale labs of dead shells: ${dead[*]}"
	return 0
}

# _lab_port HOST SIDE: print "NS IFACE" of HOST's link on SIDE (bridge|host).
_lab_port() {
	local ns
	ns=$(lab_ns "$1") || return 1
	case ${2:-bridge} in
	bridge) printf '%s p-%s\n' "$LAB_SW" "$1" ;;
	host) printf '%s %s\n' "$ns" "$LAB_IFACE" ;;
	*) _lab_err "side must be bridge or host, not '$2'"; return 1 ;;
	esac
}

# lab_link_down HOST [SIDE]: take HOST's link down. SIDE "bridge" (default)
# downs the switch port, so HOST's eth0 stays admin-up but loses carrier
# (NO-CARRIER, like a pulled cable; addresses stay). SIDE "host" sets eth0
# itself admin-down (what `ip link set eth0 down` on the host does).
lab_link_down() {
	local where
	where=$(_lab_port "$1" "${2:-bridge}") || return 1
	set -- $where
	ip -n "$1" link set "$2" down
}

# lab_link_up HOST [SIDE]: undo lab_link_down on the same SIDE.
lab_link_up() {
	local where
	where=$(_lab_port "$1" "${2:-bridge}") || return 1
	set -- $where
	ip -n "$1" link set "$2" up
}

# lab_block_multicast HOST: inside HOST, drop VRRP's multicast both ways
# (224.0.0.18, and ff02::12 for VRRPv3 over IPv6) with an nftables table
# "lab_mcast". Unicast VRRP still passes. Idempotent.
lab_block_multicast() {
	lab_unblock_multicast "$1" || return 1
	lab_exec "$1" nft -f - <<-'EOF'
	table inet lab_mcast {
		chain in {
			type filter hook input priority filter; policy accept;
			ip daddr 224.0.0.18 drop
			ip6 daddr ff02::12 drop
		}
		chain out {
			type filter hook output priority filter; policy accept;
			ip daddr 224.0.0.18 drop
			ip6 daddr ff02::12 drop
		}
	}
	EOF
}

# lab_unblock_multicast HOST: remove lab_block_multicast's table, if any.
lab_unblock_multicast() {
	lab_ns "$1" >/dev/null || return 1
	lab_exec "$1" nft delete table inet lab_mcast 2>/dev/null || true
}

# lab_drop_vrrp_percent HOST N [DIR]: drop N% (0..100) of VRRP packets (IP
# protocol 112) at random inside HOST; DIR is out (default: adverts HOST
# sends), in (adverts HOST receives) or both. The kernel has no netem, so
# this is nftables' numgen. N=0 removes the rule. Replaces earlier settings.
lab_drop_vrrp_percent() {
	local host=$1 n=$2 dir=${3:-out} hooks=() h rules=
	lab_ns "$host" >/dev/null || return 1
	if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -gt 100 ]; then
		_lab_err "lab_drop_vrrp_percent: N must be 0..100, not '$n'"; return 1
	fi
	case $dir in
	out) hooks=(output) ;; in) hooks=(input) ;; both) hooks=(input output) ;;
	*) _lab_err "lab_drop_vrrp_percent: DIR must be in, out or both"; return 1 ;;
	esac
	lab_exec "$host" nft delete table inet lab_loss 2>/dev/null || true
	[ "$n" -eq 0 ] && return 0
	# numgen yields 0..99, so "< 100" is rejected: 100% is a plain drop.
	local match="numgen random mod 100 < $n"
	[ "$n" -lt 100 ] || match=
	# Named counters: what was seen and what was dropped, so a benchmark
	# can tell the loss it got from the loss it asked for
	# (lab_vrrp_loss_counts).
	for h in "${hooks[@]}"; do
		rules+="chain $h { type filter hook $h priority filter; policy accept;
			meta l4proto 112 counter name \"c_seen\"
			meta l4proto 112 $match counter name \"c_drop\" drop; }
"
	done
	printf 'table inet lab_loss {\ncounter c_seen { }\ncounter c_drop { }\n%s}\n' "$rules" |
		lab_exec "$host" nft -f -
}

# lab_vrrp_loss_counts HOST: "SEEN DROPPED", the VRRP packets the loss of
# lab_drop_vrrp_percent on HOST saw and dropped so far ("0 0" without it).
lab_vrrp_loss_counts() {
	lab_exec "$1" nft list counters table inet lab_loss 2>/dev/null |
		awk '/counter c_seen/ {w = "s"} /counter c_drop/ {w = "d"}
		     /packets/ {for (i = 1; i < NF; i++) if ($i == "packets") v[w] = $(i + 1)}
		     END {printf "%d %d\n", v["s"], v["d"]}'
}

# lab_drop_vrrp_between A B: drop VRRP (IP protocol 112) between hosts A
# and B, both ways, and nothing else (TCP, ARP, other hosts' adverts pass):
# inside each of the two hosts, an nftables table "lab_vrrp_pair" drops
# protocol 112 arriving from the other's address (multicast adverts have
# no per-peer destination, so the filter is on the receiving side). More
# pairs may be added; idempotent.
lab_drop_vrrp_between() {
	local a=$1 b=$2
	lab_ns "$a" >/dev/null && lab_ns "$b" >/dev/null || return 1
	_lab_vrrp_pair_add "$a" "${LAB_ADDR[$b]}" && _lab_vrrp_pair_add "$b" "${LAB_ADDR[$a]}"
}

# lab_allow_vrrp_between A B: undo lab_drop_vrrp_between A B (other pairs
# stay blocked).
lab_allow_vrrp_between() {
	local a=$1 b=$2
	lab_ns "$a" >/dev/null && lab_ns "$b" >/dev/null || return 1
	lab_exec "$a" nft delete element inet lab_vrrp_pair peers "{ ${LAB_ADDR[$b]} }" 2>/dev/null || true
	lab_exec "$b" nft delete element inet lab_vrrp_pair peers "{ ${LAB_ADDR[$a]} }" 2>/dev/null || true
}

# _lab_vrrp_pair_add HOST ADDR: in HOST, drop protocol 112 from ADDR.
_lab_vrrp_pair_add() {
	# Created once: loading the file again would add the rule twice.
	lab_exec "$1" nft list table inet lab_vrrp_pair >/dev/null 2>&1 ||
	lab_exec "$1" nft -f - <<-'EOF' || return 1
	table inet lab_vrrp_pair {
		set peers { type ipv4_addr; }
		chain in {
			type filter hook input priority filter; policy accept;
			ip saddr @peers meta l4proto 112 drop
		}
	}
	EOF
	lab_exec "$1" nft add element inet lab_vrrp_pair peers "{ $2 }"
}

# lab_vip_holder VIP: print, on one line, the hosts whose eth0 carries VIP
# (prefix length ignored), in host order; empty line if none. Returns 0.
lab_vip_holder() {
	local vip=${1%/*} h a out=()
	for h in "${LAB_HOSTS[@]}"; do
		# No `| grep -q`: under pipefail its early exit can fail the pipe.
		a=$(ip -n "$LAB_PREFIX-$h" -4 -o addr show dev "$LAB_IFACE" 2>/dev/null) || true
		[[ $a != *" inet $vip/"* ]] || out+=("$h")
	done
	printf '%s\n' "${out[*]}"
}

# lab_vip_held_by VIP "H1 [H2...]": 0 if exactly those hosts hold VIP
# ("" = nobody). Handy with lab_wait_for.
lab_vip_held_by() {
	[ "$(lab_vip_holder "$1")" = "${2:-}" ]
}

# lab_wait_for TIMEOUT_MS CMD...: run CMD (output discarded) every ~15 ms
# until it succeeds or TIMEOUT_MS has passed. Prints the elapsed ms either
# way; returns 0 on success, 1 on time-out. CMD itself must be quick (each
# call is not interrupted), so the bound is TIMEOUT_MS plus one CMD run.
lab_wait_for() {
	local timeout_ms=$1 start now
	shift
	start=$(_lab_now_us)
	while :; do
		if "$@" >/dev/null 2>&1; then
			now=$(_lab_now_us)
			printf '%s\n' $(( (now - start) / 1000 ))
			return 0
		fi
		now=$(_lab_now_us)
		if [ $(( (now - start) / 1000 )) -ge "$timeout_ms" ]; then
			printf '%s\n' $(( (now - start) / 1000 ))
			return 1
		fi
		sleep 0.015
	done
}

# lab_wait_log TIMEOUT_MS FILE OFFSET ERE: wait as lab_wait_for does (polls
# every ~15 ms; prints the elapsed ms; 0, or 1 on time-out) until FILE has,
# from byte OFFSET on, a line matching the extended regex ERE. OFFSET is
# FILE's size (`stat -c %s FILE`) taken before the awaited event could
# happen, so that older lines never match; 0 searches the whole file. A
# FILE that does not exist yet counts as empty.
lab_wait_log() {
	local timeout_ms=$1
	shift
	lab_wait_for "$timeout_ms" _lab_log_has "$@"
}

# _lab_log_has FILE OFFSET ERE: FILE from byte OFFSET on has a line matching
# ERE (grep reads a process substitution: no pipe for pipefail to fail).
_lab_log_has() {
	[ -f "$1" ] || return 1
	grep -qE -- "$3" < <(tail -c +$(($2 + 1)) "$1")
}

# lab_host_of_mac MAC: print the lab host whose eth0 has MAC; 1 if none.
lab_host_of_mac() {
	local h mac=${1,,}
	for h in "${LAB_HOSTS[@]}"; do
		[ "${LAB_MAC[$h]}" = "$mac" ] && { printf '%s\n' "$h"; return 0; }
	done
	return 1
}

# lab_arp_owner CLIENT VIP: from CLIENT, ARP for VIP (arping, ~1 s at
# most) and print the hosts whose MACs answered, one line, space-separated
# (two names = split brain; an unknown MAC is printed as is). Returns 1 if
# nobody answered.
lab_arp_owner() {
	local client=$1 vip=${2%/*} mac out=() h
	lab_ns "$client" >/dev/null || return 1
	# -b: keep broadcasting (arping otherwise unicasts to the first
	# answer), so every answering host is heard; -w 1 bounds it to 1 s.
	while read -r mac; do
		h=$(lab_host_of_mac "$mac") || h=$mac
		[[ " ${out[*]} " == *" $h "* ]] || out+=("$h")
	done < <(lab_exec "$client" arping -b -c 2 -w 1 -I "$LAB_IFACE" "$vip" 2>/dev/null |
		sed -n 's/.*reply from [0-9.]* \[\([0-9A-Fa-f:]*\)\].*/\1/p' | tr 'A-F' 'a-f' | sort -u)
	[ ${#out[@]} -gt 0 ] || return 1
	printf '%s\n' "${out[*]}"
}

# lab_ping CLIENT DEST [COUNT]: ping DEST from CLIENT (COUNT packets,
# default 1, 0.2 s apart, 1 s wait for the last). 0 if any reply came.
lab_ping() {
	local n=${3:-1}
	lab_exec "$1" ping -q -n -c "$n" -i 0.2 -W 1 "${2%/*}" >/dev/null 2>&1
}

# lab_dump_logs [LINES]: print the last LINES (default 40) of every *.log
# under $LAB_DIR, for a failing test's output.
lab_dump_logs() {
	local f
	[ -n "${LAB_DIR:-}" ] || return 0
	# Not the servers' own binary logs under data/ (ddl_recovery.log...).
	while IFS= read -r f; do
		printf -- '----- %s (last %s lines)\n' "${f#"$LAB_DIR"/}" "${1:-40}"
		tail -n "${1:-40}" "$f"
	done < <(find "$LAB_DIR" -name '*.log' -type f -not -path '*/data/*' | sort)
}

# --- IPv6 ---------------------------------------------------------------
# Hosts have an IPv6 link-local address on eth0 as soon as it is up (the
# kernel's own, after its duplicate address detection). Global test
# addresses come only from 2001:db8::/32 (RFC 3849, documentation), and
# only inside the lab's namespaces.

# lab_add_addr6 HOST ADDR/PLEN: add ADDR (inside 2001:db8::/32) to HOST's
# eth0, usable at once (nodad). Returns ip's status, 1 if refused.
lab_add_addr6() {
	local host=$1 addr=$2
	lab_ns "$host" >/dev/null || return 1
	if ! [[ ${addr,,} =~ ^2001:db8:[0-9a-f:]*/[0-9]{1,3}$ ]]; then
		_lab_err "lab_add_addr6: '$addr' is not inside 2001:db8::/32 with a prefix length"
		return 1
	fi
	lab_exec "$host" ip -6 addr add "$addr" dev "$LAB_IFACE" nodad
}

# lab_ll HOST: print HOST's eth0 link-local address once its duplicate
# address detection is over; 1 if there is none usable yet.
lab_ll() {
	local a
	a=$(lab_exec "$1" ip -6 -o addr show dev "$LAB_IFACE" scope link 2>/dev/null) || return 1
	[[ $a != *tentative* ]] || return 1
	[[ $a =~ inet6\ (fe80:[0-9a-f:]*)/ ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# lab_wait_ll MS HOST...: wait (bounded) until every HOST has a usable
# link-local address. Prints the elapsed ms; 1 on time-out.
lab_wait_ll() {
	local ms=$1 h
	shift
	_lab_all_ll() { local x; for x in "$@"; do lab_ll "$x" >/dev/null || return 1; done; }
	lab_wait_for "$ms" _lab_all_ll "$@"
}

# lab_vip6_holder VIP: like lab_vip_holder, for an IPv6 address.
lab_vip6_holder() {
	local vip=${1%/*} h a out=()
	vip=${vip,,}
	for h in "${LAB_HOSTS[@]}"; do
		a=$(ip -n "$LAB_PREFIX-$h" -6 -o addr show dev "$LAB_IFACE" 2>/dev/null) || true
		[[ $a != *" inet6 $vip/"* ]] || out+=("$h")
	done
	printf '%s\n' "${out[*]}"
}

# lab_vip6_held_by VIP "H...": exactly those hosts hold VIP.
lab_vip6_held_by() {
	[ "$(lab_vip6_holder "$1")" = "${2:-}" ]
}

# lab_neigh_host CLIENT ADDR: the lab host whose MAC CLIENT's neighbour
# entry for ADDR names (the MAC itself if no lab host has it); 1 if CLIENT
# has no entry with a link-layer address.
lab_neigh_host() {
	local n
	n=$(lab_exec "$1" ip -6 neigh show "${2%/*}" dev "$LAB_IFACE" 2>/dev/null) || return 1
	[[ $n =~ lladdr\ ([0-9a-f:]{17}) ]] || return 1
	lab_host_of_mac "${BASH_REMATCH[1]}" || printf '%s\n' "${BASH_REMATCH[1]}"
}

# lab_ping6 CLIENT DEST [COUNT]: ping DEST (IPv6) from CLIENT; 0 if any reply.
lab_ping6() {
	local n=${3:-1}
	lab_exec "$1" ping -6 -q -n -c "$n" -i 0.2 -W 1 "${2%/*}" >/dev/null 2>&1
}
