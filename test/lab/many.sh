# SPDX-License-Identifier: GPL-2.0-or-later
# Many VRRP instances on one interface: configurations for vigild and
# keepalived, the state of every instance, where the VIPs are, and the CPU
# a daemon used. Source after lab.sh (test/integration/vigil_lab.sh does).
#
# Instance i (1..N) is VRID i with the VIP 198.18.0.(100+i)/24 (so N is at
# most 150, and the lab's hosts, 198.18.0.11 on, never collide with a VIP);
# vigild names it v<i>, keepalived VI_<i>. Priorities are given for odd and
# even VRIDs, so that two nodes can each be master of half.

# many_vip I: the VIP of instance I.
many_vip() { printf '198.18.0.%d\n' $((100 + $1)); }

# many_vigil_conf FILE ROUTER_ID N PRIO_ODD PRIO_EVEN [ADVERT_INTERVAL
# [FIRST]]: a vigil.ini with N instances on eth0, FIRST (default 1) to
# FIRST+N-1 (advert_interval default 100ms), preempt on, no delayed
# second ARP burst (garp_master_delay 0s).
many_vigil_conf() {
	local f=$1 id=$2 n=$3 odd=$4 even=$5 adv=${6:-100ms} first=${7:-1} i p
	{
		printf '[global]\nrouter_id = %s\ncontrol_socket = %s/%s.sock\n' "$id" "$LAB_DIR" "$id"
		for ((i = first; i < first + n; i++)); do
			p=$odd; ((i % 2)) || p=$even
			printf '\n[instance v%d]\ninterface = eth0\nvrid = %d\npriority = %d\n' "$i" "$i" "$p"
			printf 'advert_interval = %s\nvirtual_ip = %s/24\npreempt = yes\n' "$adv" "$(many_vip "$i")"
			printf 'garp_master_delay = 0s\n'
		done
	} >"$f"
}

# many_ka_conf FILE ROUTER_ID N PRIO_ODD PRIO_EVEN [ADVERT_INT]: the same
# for keepalived (VRRPv3, advert_int default 0.1 s, no delayed ARP burst).
many_ka_conf() {
	local f=$1 id=$2 n=$3 odd=$4 even=$5 adv=${6:-0.1} i p
	{
		printf 'global_defs {\n    router_id %s\n    vrrp_version 3\n' "$id"
		printf '    vrrp_garp_master_delay 0\n}\n'
		for ((i = 1; i <= n; i++)); do
			p=$odd; ((i % 2)) || p=$even
			printf '\nvrrp_instance VI_%d {\n    state BACKUP\n    interface eth0\n' "$i"
			printf '    virtual_router_id %d\n    priority %d\n    advert_int %s\n' "$i" "$p" "$adv"
			printf '    virtual_ipaddress {\n        %s/24 dev eth0\n    }\n}\n' "$(many_vip "$i")"
		done
	} >"$f"
}

# many_vigil_count LOG STATE [odd|even|all]: how many of the instances
# (of that parity) last logged STATE in $LAB_DIR/LOG.
many_vigil_count() {
	sed -nE 's/.*instance v([0-9]+): [A-Z]+ -> ([A-Z]+) .*/\1 \2/p' "$LAB_DIR/$1" 2>/dev/null |
		awk -v want="$2" -v par="${3:-all}" '{ last[$1] = $2 }
			END { n = 0
			      for (i in last) if (last[i] == want && (par == "all" ||
				  (par == "odd" && i % 2 == 1) || (par == "even" && i % 2 == 0))) n++
			      print n }'
}

# many_ka_count CONF STATE [odd|even|all]: the same for keepalived's log.
many_ka_count() {
	sed -nE 's/.*\(VI_([0-9]+)\) Entering ([A-Z]+) STATE.*/\1 \2/p' "${1%.conf}.log" 2>/dev/null |
		awk -v want="$2" -v par="${3:-all}" '{ last[$1] = $2 }
			END { n = 0
			      for (i in last) if (last[i] == want && (par == "all" ||
				  (par == "odd" && i % 2 == 1) || (par == "even" && i % 2 == 0))) n++
			      print n }'
}

# many_count_is N CMD...: CMD prints N (for lab_wait_for).
many_count_is() { local want=$1; shift; [ "$("$@")" = "$want" ]; }

# many_vips_on HOST N [odd|even|all]: how many of the N VIPs (of that
# parity) HOST's eth0 carries (one `ip` call, however many VIPs).
many_vips_on() {
	ip -n "$(lab_ns "$1")" -4 -o addr show dev eth0 2>/dev/null |
		awk -v n="$2" -v par="${3:-all}" '{ split($4, a, "/"); split(a[1], o, ".")
			i = o[4] - 100
			if (o[1] == 198 && o[2] == 18 && o[3] == 0 && i >= 1 && i <= n &&
			    (par == "all" || (par == "odd" && i % 2 == 1) || (par == "even" && i % 2 == 0)))
				c++ }
			END { print c + 0 }'
}

# many_raw_sockets HOST: how many raw IPv4 sockets are open in HOST's
# namespace (/proc/net/raw: vigild opens one per interface).
many_raw_sockets() { lab_exec "$1" awk 'NR > 1' /proc/net/raw | wc -l; }

# many_cpu_ticks PID...: user + system time of the processes so far, in
# clock ticks (/proc/PID/stat fields 14 and 15; the name in field 2 may
# hold spaces, so fields are counted after its closing parenthesis).
many_cpu_ticks() {
	local p s=0 rest f
	for p in "$@"; do
		rest=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		rest=${rest##*) }
		read -r -a f <<<"$rest"
		s=$((s + f[11] + f[12]))
	done
	printf '%s\n' "$s"
}

# many_cpu_pct SECONDS PID...: the share of one core each process used
# over the same SECONDS, in percent with two decimals, one per line in
# the order given ("12.34"). A pid may be "A+B" to sum processes (a
# keepalived's parent and its VRRP child).
many_cpu_pct() {
	local secs=$1 t0 t1 p hz a=() b=()
	shift
	hz=$(getconf CLK_TCK)
	for p in "$@"; do a+=("$(many_cpu_ticks ${p//+/ })"); done
	t0=${EPOCHREALTIME/./}
	sleep "$secs"
	for p in "$@"; do b+=("$(many_cpu_ticks ${p//+/ })"); done
	t1=${EPOCHREALTIME/./}
	for ((p = 0; p < ${#a[@]}; p++)); do
		awk -v d=$((b[p] - a[p])) -v hz="$hz" -v us=$((t1 - t0)) \
			'BEGIN { printf "%.2f\n", 100 * d / hz / (us / 1e6) }'
	done
}
