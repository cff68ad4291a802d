# SPDX-License-Identifier: GPL-2.0-or-later
# A real etcd cluster on the netns lab, for quorum on etcd.
#
# Source after test/lab/lab.sh (`. test/lab/etcd.sh`); it defines etcd_*
# functions and runs nothing by itself. One etcd member per lab host,
# listening on that host's lab address only (client port 2379, peer port
# 2380), started with lab_spawn (so lab_teardown kills it by pid). Per
# member HOST, under $LAB_DIR/etcd-HOST/:
#   data/         the member's data dir (0700; kept across stop/start)
#   etcd.log      its log (zap, JSON lines), appended across restarts
#   pid           the running member's pid
#   fake.log, fake.pid   a fake member (etcd_fake_member), if any
# Gateway calls go through etcd_gw.py (beside this file; python3 standard
# library only), run inside a lab host's namespace.
#
#   etcd_require                 root, etcd, etcdctl, python3; else skip (77)
#                                or fail under CI=true
#   etcd_cluster_up HOST...      one member per HOST (three: h1 h2 w), static
#                                initial cluster, token unique to the lab;
#                                waits (bounded) for a leader and for every
#                                member's /health; prints the timing flags and
#                                sets ETCD_FIRST_LEADER_MS, ETCD_HEALTHY_MS
#   etcd_hosts                   the member hosts, space-separated
#   etcd_url HOST                http://ADDR:2379 of HOST's member
#   etcd_endpoints [HOST...]     comma list of the members' client URLs (all)
#   etcd_leader [FROM]           the host whose member leads now (asked from
#                                FROM's namespace, default: the first member
#                                host); 1 if none answers as leader
#   etcd_wait_leader MS [NOT [FROM]]  wait (bounded) until a member other than
#                                host NOT leads; prints "ELAPSED_MS HOST"
#   etcd_became_leader_ms T_US   from the members' logs: "MS HOST" of the
#                                first "became leader" at or after T_US (epoch
#                                us): the election as etcd saw it, without
#                                the ~150 ms of a poller's python start
#   etcd_wait_healthy N MS [FROM]  wait (bounded) until N members answer
#                                /health true; prints the elapsed ms; 0 or 1
#                                (both: with LAB_ETCD_T0_US=$(_lab_now_us)
#                                taken at the fault, the ms count from then)
#   etcd_health [FROM]           one round: "HOST=STATE ..." (true, false,
#                                refused, timeout, ...)
#   etcd_member_stop HOST        SIGTERM by pid, wait (bounded) for its end
#   etcd_member_kill HOST        SIGKILL by pid, wait for its end
#   etcd_member_start HOST       start it again on its existing data dir;
#                                waits until it listens on 2379 (a member
#                                without quorum listens but does not answer)
#   etcd_member_pid HOST / etcd_member_alive HOST
#   etcd_cluster_stop            SIGTERM every member (etcd_member_stop)
#   etcd_put KEY VALUE [FROM]    put through the v3 gateway from FROM's
#                                namespace (default: the first member host),
#                                FROM's own member first, the others after it
#                                on transport errors; prints the revision
#   etcd_put_leased KEY VALUE LEASE [FROM]  the same, with a lease
#   etcd_get KEY [FROM]          prints the value; 1 if absent, 2 on error
#   etcd_lease_grant TTL [FROM]  grant a lease; prints its id
#   etcd_key_lease KEY [FROM]    the lease id holding KEY (/v3/kv/range JSON,
#                                base64 key; 0 = none); 1 if absent
#   etcd_gw FROM ARGS...         etcd_gw.py ARGS inside FROM's namespace (e.g.
#                                call URL PATH JSON: ERR CLASS on failure)
#   etcdctl_lab FROM ARGS...     etcdctl (API 3, every endpoint) in FROM's
#                                namespace
#   etcd_fake_member HOST MODE [SECONDS]  a fake member (python3) on HOST's
#                                address:2379 (its real member must be down):
#                                stall | garbage | gwerror | close | reset,
#                                for at most SECONDS (default 120); waits for
#                                it to listen; killed at teardown
#   etcd_fake_stop HOST          kill that fake by pid
# Knobs (read by etcd_cluster_up; not ETCD_*: etcd reads those itself):
#   LAB_ETCD_HEARTBEAT_MS (100) LAB_ETCD_ELECTION_MS (1000): etcd's defaults
#   LAB_ETCD_START_TIMEOUT_MS (20000)  bound on a leader and health at start
#   LAB_ETCD_STOP_TIMEOUT_MS (10000)   SIGTERM grace before SIGKILL
#   LAB_ETCD_BIN, LAB_ETCDCTL, LAB_ETCD_PYTHON   the programs

LAB_ETCD_BIN=${LAB_ETCD_BIN:-/usr/bin/etcd}
LAB_ETCDCTL=${LAB_ETCDCTL:-/usr/bin/etcdctl}
LAB_ETCD_PYTHON=${LAB_ETCD_PYTHON:-python3}
LAB_ETCD_START_TIMEOUT_MS=${LAB_ETCD_START_TIMEOUT_MS:-20000}
LAB_ETCD_STOP_TIMEOUT_MS=${LAB_ETCD_STOP_TIMEOUT_MS:-10000}
LAB_ETCD_CLIENT_PORT=2379
LAB_ETCD_PEER_PORT=2380

ETCD_HOSTS=()
ETCD_FIRST_LEADER_MS=
ETCD_HEALTHY_MS=
_ETCD_GW=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/etcd_gw.py

_etcd_err() { printf 'etcd.sh: %s\n' "$*" >&2; }

etcd_require() {
	local c missing=()
	for c in "$LAB_ETCD_BIN" "$LAB_ETCDCTL"; do [ -x "$c" ] || missing+=("$c"); done
	command -v "$LAB_ETCD_PYTHON" >/dev/null 2>&1 || missing+=("$LAB_ETCD_PYTHON")
	if [ "$(id -u)" -ne 0 ]; then
		lab_skip_or_fail "needs root (network namespaces)"
	elif [ "${#missing[@]}" -gt 0 ]; then
		lab_skip_or_fail "missing: ${missing[*]} (apt-get install etcd-server etcd-client python3)"
	fi
	return 0
}

etcd_hosts() { printf '%s\n' "${ETCD_HOSTS[*]}"; }
_etcd_dir() { printf '%s/etcd-%s\n' "$LAB_DIR" "$1"; }
etcd_url() {
	local a
	a=$(lab_addr "$1") || return 1
	printf 'http://%s:%s\n' "$a" "$LAB_ETCD_CLIENT_PORT"
}

etcd_endpoints() {
	local h out=()
	[ $# -gt 0 ] || set -- "${ETCD_HOSTS[@]}"
	for h in "$@"; do out+=("$(etcd_url "$h")") || return 1; done
	(IFS=,; printf '%s\n' "${out[*]}")
}

# _etcd_host_of_url URL: the member host with that client URL.
_etcd_host_of_url() {
	local h
	for h in "${ETCD_HOSTS[@]}"; do
		[ "$(etcd_url "$h")" = "$1" ] && { printf '%s\n' "$h"; return 0; }
	done
	return 1
}

# _etcd_from [FROM]: FROM, or the first member host.
_etcd_from() { printf '%s\n' "${1:-${ETCD_HOSTS[0]}}"; }

# _etcd_eps_from FROM: every endpoint, FROM's own member first (if FROM is
# a member): what a client beside that member would try.
_etcd_eps_from() {
	local h first=() rest=()
	for h in "${ETCD_HOSTS[@]}"; do
		if [ "$h" = "$1" ]; then first=("$h"); else rest+=("$h"); fi
	done
	etcd_endpoints "${first[@]}" "${rest[@]}"
}

etcd_gw() {
	local from=$1; shift
	lab_exec "$from" "$LAB_ETCD_PYTHON" "$_ETCD_GW" "$@"
}

etcdctl_lab() {
	local from=$1; shift
	lab_exec "$from" env ETCDCTL_API=3 "$LAB_ETCDCTL" --endpoints="$(_etcd_eps_from "$from")" \
		--dial-timeout=2s --command-timeout=5s "$@"
}

# _etcd_spawn HOST: start HOST's member (new or on its existing data dir).
_etcd_spawn() {
	local h=$1 dir addr cluster=() m v unset=()
	dir=$(_etcd_dir "$h")
	addr=$(lab_addr "$h") || return 1
	for m in "${ETCD_HOSTS[@]}"; do
		cluster+=("$m=http://$(lab_addr "$m"):$LAB_ETCD_PEER_PORT")
	done
	mkdir -p "$dir" && install -d -m 0700 "$dir/data" || return 1
	# etcd reads ETCD_* variables as flags: none of the caller's reach it.
	for v in $(compgen -e); do [[ $v != ETCD_* ]] || unset+=(-u "$v"); done
	# --initial-* are read only while the data dir is empty; a restart
	# rejoins from its WAL.
	lab_spawn "$h" "$dir/etcd.log" env "${unset[@]}" \
		"$LAB_ETCD_BIN" --name "$h" --data-dir "$dir/data" \
		--listen-client-urls "http://$addr:$LAB_ETCD_CLIENT_PORT" \
		--advertise-client-urls "http://$addr:$LAB_ETCD_CLIENT_PORT" \
		--listen-peer-urls "http://$addr:$LAB_ETCD_PEER_PORT" \
		--initial-advertise-peer-urls "http://$addr:$LAB_ETCD_PEER_PORT" \
		--initial-cluster "$(IFS=,; printf '%s' "${cluster[*]}")" \
		--initial-cluster-token "$_ETCD_TOKEN" --initial-cluster-state new \
		--heartbeat-interval "$LAB_ETCD_HEARTBEAT_MS" --election-timeout "$LAB_ETCD_ELECTION_MS" \
		--pre-vote \
		--logger zap --log-outputs stderr >/dev/null || return 1
	printf '%s\n' "$LAB_PID" >"$dir/pid"
}

etcd_member_pid() { cat "$(_etcd_dir "$1")/pid" 2>/dev/null; }
etcd_member_alive() {
	local p
	p=$(etcd_member_pid "$1") && [ -n "$p" ] && lab_pid_alive "$p"
}

# _etcd_listening HOST: something listens on HOST's address:2379.
_etcd_listening() {
	local out
	out=$(lab_exec "$1" ss -Htln "sport = :$LAB_ETCD_CLIENT_PORT" 2>/dev/null) || return 1
	[ -n "$out" ]
}

etcd_cluster_up() {
	local h t0 ms out url n
	if [ -z "${LAB_DIR:-}" ]; then _etcd_err "etcd_cluster_up: lab_init first"; return 1; fi
	if [ $# -lt 1 ]; then _etcd_err "etcd_cluster_up: no host"; return 1; fi
	for h in "$@"; do lab_ns "$h" >/dev/null || return 1; done
	LAB_ETCD_HEARTBEAT_MS=${LAB_ETCD_HEARTBEAT_MS:-100}
	LAB_ETCD_ELECTION_MS=${LAB_ETCD_ELECTION_MS:-1000}
	ETCD_HOSTS=("$@")
	# Unique per lab (prefix, lab dir, time): a stray member of another lab
	# can never join this cluster.
	_ETCD_TOKEN=vigil-$LAB_PREFIX-${LAB_DIR##*.}-$(_lab_now_us)
	printf 'etcd: %s members (%s), %s; heartbeat %s ms, election timeout %s ms; token %s\n' \
		"$#" "$*" "$("$LAB_ETCD_BIN" --version 2>/dev/null | sed -n 's/^etcd Version: /etcd /p')" \
		"$LAB_ETCD_HEARTBEAT_MS" "$LAB_ETCD_ELECTION_MS" "$_ETCD_TOKEN"
	t0=$(_lab_now_us)
	for h in "$@"; do _etcd_spawn "$h" || { _etcd_err "cannot start etcd on $h"; return 1; }; done
	n=$#
	if ! out=$(LAB_ETCD_T0_US='' _etcd_gw_members "${ETCD_HOSTS[0]}" leader \
		--wait-ms "$LAB_ETCD_START_TIMEOUT_MS"); then
		_etcd_err "no leader after $LAB_ETCD_START_TIMEOUT_MS ms ($out)"
		for h in "$@"; do tail -n 5 "$(_etcd_dir "$h")/etcd.log" >&2; done
		return 1
	fi
	ETCD_FIRST_LEADER_MS=$(( ($(_lab_now_us) - t0) / 1000 ))
	url=${out#* }; url=${url%% *}
	if ! ms=$(LAB_ETCD_T0_US='' etcd_wait_healthy "$n" "$LAB_ETCD_START_TIMEOUT_MS"); then
		_etcd_err "not every member healthy after $LAB_ETCD_START_TIMEOUT_MS ms: $(etcd_health)"
		return 1
	fi
	ETCD_HEALTHY_MS=$(( ($(_lab_now_us) - t0) / 1000 ))
	printf 'etcd: leader %s %s ms after the start, all %s members healthy after %s ms\n' \
		"$(_etcd_host_of_url "$url")" "$ETCD_FIRST_LEADER_MS" "$n" "$ETCD_HEALTHY_MS"
}

# _etcd_gw_members FROM SUBCOMMAND [ARGS...]: etcd_gw with every member's
# URL after ARGS (and --t0-us LAB_ETCD_T0_US when set).
_etcd_gw_members() {
	local from=$1 h urls=() t0=()
	shift
	for h in "${ETCD_HOSTS[@]}"; do urls+=("$(etcd_url "$h")"); done
	[ -z "${LAB_ETCD_T0_US:-}" ] || t0=(--t0-us "$LAB_ETCD_T0_US")
	etcd_gw "$from" "$@" "${t0[@]}" "${urls[@]}"
}

etcd_health() {
	local out from h
	from=$(_etcd_from "${1:-}")
	out=$(LAB_ETCD_T0_US='' _etcd_gw_members "$from" health)
	out=${out#* }; out=${out#* }
	for h in "${ETCD_HOSTS[@]}"; do out=${out//"$(etcd_url "$h")="/"$h="}; done
	printf '%s\n' "$out"
}

etcd_wait_healthy() {
	local n=$1 ms=$2 from out rc=0
	from=$(_etcd_from "${3:-}")
	out=$(_etcd_gw_members "$from" health --want "$n" --wait-ms "$ms") || rc=1
	printf '%s\n' "${out%% *}"
	return $rc
}

etcd_leader() {
	local from out
	from=$(_etcd_from "${1:-}")
	out=$(LAB_ETCD_T0_US='' _etcd_gw_members "$from" leader) || return 1
	out=${out#* }
	_etcd_host_of_url "${out%% *}"
}

etcd_wait_leader() {
	local ms=$1 not=${2:-} from out rc=0 args=() el url
	from=$(_etcd_from "${3:-}")
	[ -z "$not" ] || args=(--not "$(etcd_url "$not")")
	out=$(_etcd_gw_members "$from" leader --wait-ms "$ms" "${args[@]}") || rc=1
	read -r el url _ <<<"$out"
	printf '%s %s\n' "$el" "$(_etcd_host_of_url "$url" || printf none)"
	return $rc
}

etcd_became_leader_ms() {
	local h files=()
	for h in "${ETCD_HOSTS[@]}"; do files+=("$h=$(_etcd_dir "$h")/etcd.log"); done
	"$LAB_ETCD_PYTHON" - "$1" "${files[@]}" <<-'PY'
	import datetime, json, sys
	t0 = int(sys.argv[1]) / 1e6
	best = None
	for arg in sys.argv[2:]:
	    host, _, path = arg.partition("=")
	    try:
	        lines = open(path, errors="replace").read().splitlines()
	    except OSError:
	        continue
	    for line in lines:
	        if "became leader at term" not in line:
	            continue
	        try:
	            ts = json.loads(line)["ts"]
	            t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
	                tzinfo=datetime.timezone.utc).timestamp()
	        except (ValueError, KeyError):
	            continue
	        # zap stamps milliseconds: a line of the same ms as T counts.
	        if t >= t0 - 0.001 and (best is None or t < best[0]):
	            best = (t, host)
	if best is None:
	    sys.exit(1)
	print("%d %s" % (max(0, round((best[0] - t0) * 1000)), best[1]))
	PY
}

# _etcd_signal_wait HOST SIG MS: signal HOST's member by pid and wait for
# its end (bounded); SIGKILL if it outlives MS.
_etcd_signal_wait() {
	local p
	p=$(etcd_member_pid "$1") || return 0
	lab_pid_alive "$p" || return 0
	lab_kill "$p" "$2"
	if ! lab_wait_for "$3" lab_pid_gone "$p" >/dev/null; then
		_etcd_err "etcd on $1 ($p) outlived SIG$2 by $3 ms: SIGKILL"
		lab_kill "$p" KILL
		lab_wait_for 3000 lab_pid_gone "$p" >/dev/null || return 1
	fi
}

etcd_member_stop() { _etcd_signal_wait "$1" TERM "$LAB_ETCD_STOP_TIMEOUT_MS"; }
etcd_member_kill() { _etcd_signal_wait "$1" KILL 3000; }

etcd_cluster_stop() {
	local h rc=0
	for h in "${ETCD_HOSTS[@]}"; do etcd_member_stop "$h" || rc=1; done
	return $rc
}

etcd_member_start() {
	local h=$1
	if etcd_member_alive "$h"; then _etcd_err "etcd on $h runs already"; return 1; fi
	[ -d "$(_etcd_dir "$h")/data/member" ] || { _etcd_err "no data dir for $h"; return 1; }
	_etcd_spawn "$h" || return 1
	# Bounded: it listens at once, or it died (the log says why).
	if ! lab_wait_for 5000 _etcd_listening "$h" >/dev/null || ! etcd_member_alive "$h"; then
		_etcd_err "etcd on $h does not listen:"; tail -n 5 "$(_etcd_dir "$h")/etcd.log" >&2
		return 1
	fi
}

etcd_put() { etcd_gw "$(_etcd_from "${3:-}")" put "$(_etcd_eps_from "$(_etcd_from "${3:-}")")" "$1" "$2"; }
etcd_put_leased() {
	etcd_gw "$(_etcd_from "${4:-}")" put --lease "$3" "$(_etcd_eps_from "$(_etcd_from "${4:-}")")" "$1" "$2"
}
etcd_get() { etcd_gw "$(_etcd_from "${2:-}")" get "$(_etcd_eps_from "$(_etcd_from "${2:-}")")" "$1"; }
etcd_lease_grant() { etcd_gw "$(_etcd_from "${2:-}")" grant "$(_etcd_eps_from "$(_etcd_from "${2:-}")")" "$1"; }
etcd_key_lease() { etcd_gw "$(_etcd_from "${2:-}")" lease-of "$(_etcd_eps_from "$(_etcd_from "${2:-}")")" "$1"; }

etcd_fake_member() {
	local h=$1 mode=$2 secs=${3:-120} dir addr
	dir=$(_etcd_dir "$h")
	addr=$(lab_addr "$h") || return 1
	case $mode in stall|garbage|gwerror|close|reset) ;;
	*) _etcd_err "etcd_fake_member: mode must be stall, garbage, gwerror, close or reset"; return 1 ;;
	esac
	if _etcd_listening "$h"; then _etcd_err "etcd_fake_member: $h:2379 is taken (stop its member)"; return 1; fi
	mkdir -p "$dir"
	: >"$dir/fake.log"
	lab_spawn "$h" "$dir/fake.log" "$LAB_ETCD_PYTHON" -u "$_ETCD_GW" fake --mode "$mode" \
		--addr "$addr" --port "$LAB_ETCD_CLIENT_PORT" --lifetime "$secs" >/dev/null || return 1
	printf '%s\n' "$LAB_PID" >"$dir/fake.pid"
	if ! lab_wait_for 5000 grep -q '^fake: listening' "$dir/fake.log" >/dev/null; then
		_etcd_err "fake member on $h did not start: $(tail -n 3 "$dir/fake.log")"
		return 1
	fi
}

etcd_fake_stop() {
	local p
	p=$(cat "$(_etcd_dir "$1")/fake.pid" 2>/dev/null) || return 0
	lab_kill "$p" TERM
	lab_wait_for 3000 lab_pid_gone "$p" >/dev/null || { lab_kill "$p" KILL; lab_wait_for 2000 lab_pid_gone "$p" >/dev/null; }
	rm -f "$(_etcd_dir "$1")/fake.pid"
}
