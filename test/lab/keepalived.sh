# SPDX-License-Identifier: GPL-2.0-or-later
# Run keepalived (2.2.7) as a reference VRRP router inside lab hosts.
#
# Source after lab.sh. Every keepalived is named by its config file CONF
# (X.conf); its other files sit beside it: X.log (console log), X.pid
# (parent), X.vrrp.pid (VRRP child), X.check.pid, X.bfd.pid. Namespaces
# share one filesystem, so each keepalived gets its own pid files instead of
# the defaults under /run, which a second keepalived would refuse to share.

# keepalived_conf FILE key=value...: write a keepalived.conf with one
# vrrp_instance. Keys (default in brackets):
#   name [VI_1]            instance name, as in the log lines "(VI_1) ..."
#   router_id [lab]        global_defs router_id
#   state [BACKUP]         BACKUP or MASTER (initial state)
#   interface [eth0]
#   vrid [51]              virtual_router_id
#   priority [100]
#   advert_int [1]         seconds; 0.1 etc. needs version=3
#   version [3]            vrrp_version 2 or 3
#   auth_pass []           authentication PASS (VRRPv2 only)
#   vips []                virtual_ipaddress list, space or comma separated,
#                          e.g. "198.18.0.100/24"; at least one required
#   nopreempt [0]          1 = nopreempt (needs state=BACKUP)
#   preempt_delay []       seconds
#   unicast_src_ip []      unicast instead of multicast...
#   unicast_peer []        ...to these peers (space or comma separated)
#   notify []              script run as "SCRIPT INSTANCE|GROUP NAME STATE PRIO"
#   global_extra []        raw lines added to global_defs
#   instance_extra []      raw lines added to the vrrp_instance
# Returns 0, or 1 on an unknown key or a missing value.
keepalived_conf() {
	local file=$1 kv k v
	shift
	local -A o=([name]=VI_1 [router_id]=lab [state]=BACKUP [interface]=eth0
		[vrid]=51 [priority]=100 [advert_int]=1 [version]=3 [auth_pass]=''
		[vips]='' [nopreempt]=0 [preempt_delay]='' [unicast_src_ip]=''
		[unicast_peer]='' [notify]='' [global_extra]='' [instance_extra]='')
	for kv in "$@"; do
		k=${kv%%=*}; v=${kv#*=}
		if [[ $kv != *=* ]] || [ -z "${o[$k]+x}" ]; then
			printf 'keepalived_conf: unknown or malformed "%s"\n' "$kv" >&2
			return 1
		fi
		o[$k]=$v
	done
	if [ -z "${o[vips]}" ]; then
		printf 'keepalived_conf: vips= is required\n' >&2
		return 1
	fi
	{
		printf 'global_defs {\n'
		printf '    router_id %s\n' "${o[router_id]}"
		# Notify scripts run as root: no keepalived_script user here.
		printf '    script_user root\n'
		# enable_script_security: without it keepalived -t fails with
		# "SECURITY VIOLATION" as soon as a script is configured.
		printf "    enable_script_security\n"
		printf '    vrrp_version %s\n' "${o[version]}"
		[ -z "${o[global_extra]}" ] || printf '%s\n' "${o[global_extra]}"
		printf '}\n\n'
		printf 'vrrp_instance %s {\n' "${o[name]}"
		printf '    state %s\n' "${o[state]}"
		printf '    interface %s\n' "${o[interface]}"
		printf '    virtual_router_id %s\n' "${o[vrid]}"
		printf '    priority %s\n' "${o[priority]}"
		printf '    advert_int %s\n' "${o[advert_int]}"
		[ "${o[nopreempt]}" != 1 ] || printf '    nopreempt\n'
		[ -z "${o[preempt_delay]}" ] || printf '    preempt_delay %s\n' "${o[preempt_delay]}"
		if [ -n "${o[auth_pass]}" ]; then
			printf '    authentication {\n        auth_type PASS\n'
			printf '        auth_pass %s\n    }\n' "${o[auth_pass]}"
		fi
		[ -z "${o[unicast_src_ip]}" ] || printf '    unicast_src_ip %s\n' "${o[unicast_src_ip]}"
		if [ -n "${o[unicast_peer]}" ]; then
			printf '    unicast_peer {\n'
			for v in ${o[unicast_peer]//,/ }; do printf '        %s\n' "$v"; done
			printf '    }\n'
		fi
		[ -z "${o[notify]}" ] || printf '    notify %s\n' "${o[notify]}"
		printf '    virtual_ipaddress {\n'
		for v in ${o[vips]//,/ }; do printf '        %s dev %s\n' "$v" "${o[interface]}"; done
		printf '    }\n'
		[ -z "${o[instance_extra]}" ] || printf '%s\n' "${o[instance_extra]}"
		printf '}\n'
	} >"$file"
}

# keepalived_start HOST CONF [ARGS...]: start keepalived in HOST's
# namespace without daemonizing (-n), VRRP only (-P), logging to the
# console (-l -D, no syslog -G) into ${CONF%.conf}.log, with its own pid
# files, and --dont-respawn (a VRRP child killed with SIGKILL stays dead, as
# after a crash; the parent then exits too). ARGS are appended. Waits (2 s
# at most) for the VRRP child's pid file and records that pid for teardown
# too. Sets LAB_PID, prints the parent's pid. Returns 1 if the config test
# (keepalived -t) fails or the VRRP child does not appear.
keepalived_start() {
	local host=$1 conf=$2 base pid child
	shift 2
	base=${conf%.conf}
	if ! lab_exec "$host" keepalived -t -f "$conf" >"$base.configtest.log" 2>&1; then
		printf 'keepalived_start: %s fails keepalived -t:\n' "$conf" >&2
		cat "$base.configtest.log" >&2
		return 1
	fi
	rm -f "$base.pid" "$base.vrrp.pid" "$base.check.pid" "$base.bfd.pid"
	lab_spawn "$host" "$base.log" keepalived -n -P -l -D -G --dont-respawn \
		-f "$conf" -p "$base.pid" -r "$base.vrrp.pid" -c "$base.check.pid" \
		-b "$base.bfd.pid" "$@" >/dev/null || return 1
	pid=$LAB_PID
	# The VRRP child outlives a SIGKILLed parent for a moment (its parent
	# death signal is SIGTERM): track it by pid so teardown finds it.
	if ! lab_wait_for 2000 keepalived_vrrp_pid "$conf" >/dev/null; then
		printf 'keepalived_start: no VRRP child for %s; log:\n' "$conf" >&2
		tail -n 20 "$base.log" >&2
		return 1
	fi
	if ! child=$(keepalived_vrrp_pid "$conf") ||
	   ! lab_track "$child" "$host" keepalived_vrrp; then
		printf 'keepalived_start: VRRP child of %s died at once; log:\n' "$conf" >&2
		tail -n 20 "$base.log" >&2
		return 1
	fi
	printf '%s\n%s\n' "$pid" "$child" >"$base.started"
	LAB_PID=$pid
	printf '%s\n' "$pid"
}

# keepalived_vrrp_pid CONF: print the pid of the VRRP child process (what
# sends adverts and holds the VIPs); 1 if not started yet.
keepalived_vrrp_pid() {
	local pid
	read -r pid 2>/dev/null <"${1%.conf}.vrrp.pid" || return 1
	[ -n "$pid" ] && lab_pid_alive "$pid" || return 1
	printf '%s\n' "$pid"
}

# keepalived_stopped CONF: 0 once neither the parent nor the VRRP child of
# CONF's keepalived runs (pids from the start; pid files vanish on exit).
keepalived_stopped() {
	local pid
	[ -f "${1%.conf}.started" ] || return 0
	while read -r pid; do
		! lab_pid_alive "$pid" || return 1
	done <"${1%.conf}.started"
	return 0
}

# keepalived_state CONF [INSTANCE]: print the last state INSTANCE (default
# VI_1) entered according to the log ("Entering MASTER STATE" ->
# MASTER; also BACKUP, FAULT); prints INIT and returns 1 if none yet.
keepalived_state() {
	local log=${1%.conf}.log inst=${2:-VI_1} st
	st=$(sed -n "s/.*($inst) Entering \([A-Z]*\) STATE.*/\1/p" "$log" 2>/dev/null | tail -n 1)
	if [ -z "$st" ]; then printf 'INIT\n'; return 1; fi
	printf '%s\n' "$st"
}

# keepalived_in_state CONF STATE [INSTANCE]: 0 if keepalived_state is STATE.
keepalived_in_state() {
	[ "$(keepalived_state "$1" "${3:-VI_1}")" = "$2" ]
}
