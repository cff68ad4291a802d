# SPDX-License-Identifier: GPL-2.0-or-later
# Quorum on etcd, on the netns lab: the data-safety database lab (h1 MariaDB
# primary, h2 its replica, DB_PROFILE=ds), a three-member etcd 3.4 cluster on
# h1, h2 and the witness host w, and vigild configs with a [quorum] section.
# Source after vigil_lab.sh (which checks root and starts the lab):
#
#   . "$(dirname "$0")/vigil_lab.sh"   # argv: PATH/TO/vigild [PATH/TO/vigilctl]
#   . "$here/quorum_lab.sh"
#
# Hosts (created in this order, so the etcd members are .11, .12, .13 as in
# the quorum contract and in etcd_lab_selftest):
#   h1 198.18.0.11  MariaDB primary (server_id 1), vigild, etcd member
#   h2 198.18.0.12  MariaDB replica (server_id 2), vigild, etcd member
#   w  198.18.0.13  etcd member only (the witness host)
#   c  198.18.0.14  the client: a writer through the VIP (db_lab_up adds it)
#
#   quorum_require               root, etcd, etcdctl, python3, tcpdump, ss
#                                (skip, or fail under CI=true)
#   quorum_lab_up                hosts, etcd cluster (h1 h2 w), database lab
#                                (db_lab_up with DB_PROFILE=ds); each part
#                                once (a second call does nothing)
#   quorum_conf HOST PRIO [q_KEY=VALUE...] [db_ds_conf k=v...]
#                                $LAB_DIR/HOST.ini: db_ds_conf HOST PRIO plus
#                                [quorum] (etcd_endpoints = every member,
#                                prefix = $QUORUM_PREFIX, quorum_lost = demote;
#                                lease_ttl only when given); q_etcd_endpoints=,
#                                q_lease_ttl=, q_prefix=, q_quorum_lost= override;
#                                q_none=1 leaves [quorum] out (a baseline);
#                                then vigild -t (1 if it refuses)
#   quorum_pair_up MIN [args...] quorum_conf h1 150 / h2 100 (args to both),
#                                both started (db_ds_start), the writers on c
#                                and on h1 (through the VIP), MIN writes of the
#                                c writer acknowledged by h1. Exits on failure
#   quorum_reset                 vigilds stopped, writers and sampler stopped,
#                                cuts healed, servers reset (db_lab_reset) and
#                                up again, the etcd keys under the prefix gone
#   quorum_key                   the key of instance vi: $QUORUM_PREFIX"vi"
#   quorum_holder [FROM]         the key's value (a router_id); 1 if absent;
#                                FROM defaults to $QUORUM_FROM (w)
#   quorum_holder_is ROUTER_ID [FROM]   for lab_wait_for
#   quorum_key_absent [FROM]
#   quorum_candidate_published RID   PREFIX+vi/candidates/RID exists
#   quorum_status HOST [EXPR]    vigilctl status --json of HOST's vigild; with
#                                EXPR (python, j = the JSON, q = instance 0's
#                                "quorum") print its value
#   quorum_state HOST            q["state"] (idle|granting|acquiring|held|lost)
#   quorum_state_is HOST STATE / quorum_candidate_listed HOST RID
#   quorum_log_ms LOG REGEX [FROM_LINE]  time of day (ms) of the first line
#   quorum_log_count LOG REGEX [FROM_LINE]
#   quorum_transitions_after LOG MARK   the state changes (as transitions)
#                                logged from line MARK (see mark) on
#   quorum_pause_until T0_US SECONDS    sleep until T0 + SECONDS (bounded)
# Isolation (in the switch namespace: nftables bridge family, every frame to
# or from HOST's port dropped, ARP and VRRP included; links stay up):
#   quorum_isolate HOST          HOST cut off from every other host
#   quorum_heal HOST             undo it
#   quorum_heal_all
#   quorum_is_isolated HOST
# Sampler (every QUORUM_SAMPLE_MS, default 100, on a fixed schedule; one line
# per sample "US vip=H[,H] writable=H[,H]" in $LAB_DIR/NAME.samples; stops
# by itself after MAX_S seconds, or when quorum_sampler_stop removes its
# flag file):
#   quorum_sampler_start NAME [MAX_S]   (QUORUM_SAMPLES = the file)
#   quorum_sampler_stop
#   quorum_sample_stats FILE [FROM_US [TO_US]]
#                                "N TWO_WRITABLE TWO_VIP TWO_WRITABLE_MS
#                                TWO_VIP_MS VIP_NONE MAX_STEP_MS": samples,
#                                samples with two writable servers / the VIP on
#                                two hosts, the time they cover (each sample
#                                stands until the next), samples with the VIP
#                                nowhere, the longest step between samples
#   quorum_sample_first FILE FROM_US FIELD REGEX   epoch us of the first sample
#                                at/after FROM_US whose FIELD (vip|writable)
#                                matches REGEX (awk); empty if none
#   quorum_sample_last FILE FROM_US FIELD REGEX    the last one
#   quorum_sample_changes FILE FROM_US FIELD       how often FIELD changed
# Writers (db_lab.sh's writer.sh, one per host, each with its own log and
# its own range of values; a writer in h1's namespace reaches the VIP on h1
# locally, so writes acknowledged by an isolated master are counted):
#   qw_start HOST [MAX_ATTEMPTS [MAX_SECONDS]]   QW_PID[HOST], QW_LOG[HOST]
#   qw_stop HOST / qw_stop_all
#   qw_acked [HOST [SID [SINCE_US]]]   acknowledged writes (HOST "" = all)
#   qw_missing SERVER_HOST       acknowledged writes (every writer) missing
#                                from SERVER_HOST's appdb.w; values listed in
#                                $LAB_DIR/missing.SERVER_HOST.txt
#   qw_max_gap_ms HOST [FROM_US [TO_US]]   longest time without an ack
#   qw_errors HOST               "CODE:COUNT ..."
#   qw_report SERVER_HOST        one line of figures

# shellcheck source=db_lab.sh
. "$here/db_lab.sh"
# shellcheck source=../lab/etcd.sh
. "$here/../lab/etcd.sh"

DB_PROFILE=${DB_PROFILE:-ds}
QUORUM_PREFIX=${QUORUM_PREFIX:-/vigil/}
QUORUM_INSTANCE=vi
QUORUM_SAMPLE_MS=${QUORUM_SAMPLE_MS:-100}
# The lab host etcd look-ups (quorum_holder...) are made from by default.
QUORUM_FROM=${QUORUM_FROM:-w}
# Attempts stuck on a cut-off server must not take every slot of a writer.
DB_WRITER_PAR=${DB_WRITER_PAR:-8}
VIGILCTL=${VIGILCTL:-${2:-$(dirname "$VIGILD")/vigilctl}}
VIP=${VIP:-$DB_VIP}

declare -gA QW_PID=() QW_LOG=()
QUORUM_SAMPLER_PID=
QUORUM_SAMPLES=
QUORUM_RUN=0
QUORUM_DB_UP=0

quorum_require() {
	lab_require ss tcpdump python3 awk mysqladmin
	etcd_require
	[ -x "$VIGILCTL" ] || lab_skip_or_fail "no vigilctl at $VIGILCTL"
}

quorum_lab_up() {
	local h
	# The order gives the addresses: h1 .11, h2 .12, w .13, then c .14
	# (db_lab_up adds c after the hosts that exist).
	for h in h1 h2 w; do
		[ -n "${LAB_ADDR[$h]+x}" ] || lab_add_host "$h" || return 1
	done
	if [ "${#ETCD_HOSTS[@]}" -eq 0 ]; then
		etcd_cluster_up h1 h2 w || return 1
	fi
	[ "$QUORUM_DB_UP" = 1 ] && return 0
	# Semi-sync must not give up waiting for the replica before a master
	# cut off from it (and from etcd) has demoted itself: at least
	# lease_ttl (docs/quorum.md "Semi-synchronous replication").
	DB_SEMISYNC_TIMEOUT=${DB_SEMISYNC_TIMEOUT:-8000}
	db_lab_up || return 1
	QUORUM_DB_UP=1
	[ "$(lab_addr c)" = 198.18.0.14 ] || { echo "quorum_lab_up: c is not 198.18.0.14" >&2; return 1; }
}

quorum_key() { printf '%s%s\n' "$QUORUM_PREFIX" "$QUORUM_INSTANCE"; }
quorum_holder() { etcd_get "$(quorum_key)" "${1:-$QUORUM_FROM}"; }
quorum_holder_is() { [ "$(quorum_holder "${2:-$QUORUM_FROM}")" = "$1" ]; }
quorum_key_absent() { etcd_get "$(quorum_key)" "${1:-$QUORUM_FROM}" >/dev/null; [ $? -eq 1 ]; }

quorum_conf() {
	local host=$1 prio=$2 kv args=() none=0 f
	local eps ttl='' pfx=$QUORUM_PREFIX lost=demote
	shift 2
	eps=$(etcd_endpoints | sed 's/,/, /g')
	for kv in "$@"; do
		case $kv in
		q_etcd_endpoints=*) eps=${kv#*=} ;;
		q_lease_ttl=*) ttl=${kv#*=} ;;
		q_prefix=*) pfx=${kv#*=} ;;
		q_quorum_lost=*) lost=${kv#*=} ;;
		q_none=*) none=${kv#*=} ;;
		*) args+=("$kv") ;;
		esac
	done
	db_ds_conf "$host" "$prio" "${args[@]}" || return 1
	[ "$none" = 1 ] && return 0
	f=$LAB_DIR/$host.ini
	{
		printf '\n[quorum]\netcd_endpoints = %s\n' "$eps"
		[ -z "$ttl" ] || printf 'lease_ttl = %s\n' "$ttl"
		printf 'prefix = %s\nquorum_lost = %s\n' "$pfx" "$lost"
	} >>"$f"
	if ! "$VIGILD" -t -f "$f" >"$LAB_DIR/$host.conftest" 2>&1; then
		echo "quorum_conf: $host.ini with [quorum] refused by vigild -t:" >&2
		sed 's/^/  /' "$LAB_DIR/$host.conftest" >&2
		sed -n '/^\[quorum\]/,$p' "$f" | sed 's/^/  | /' >&2
		return 1
	fi
}

# quorum_status HOST [EXPR]: see the header.
quorum_status() {
	local out
	out=$("$VIGILCTL" -s "$LAB_DIR/$1.sock" -t 2 status --json 2>/dev/null) || return 1
	if [ $# -lt 2 ]; then printf '%s\n' "$out"; return 0; fi
	python3 -c '
import json, sys
j = json.loads(sys.stdin.read())
q = (j.get("instances") or [{}])[0].get("quorum") or {}
print(eval(sys.argv[1]))' "$2" <<<"$out"
}
quorum_state() { quorum_status "$1" 'q.get("state")'; }
# quorum_candidate_published RID: etcd has PREFIX+vi/candidates/RID.
quorum_candidate_published() { etcd_get "$(quorum_key)/candidates/$1" "$QUORUM_FROM" >/dev/null; }
# quorum_candidate_listed HOST RID: HOST's status lists RID as a candidate.
quorum_candidate_listed() {
	[ "$(quorum_status "$1" "\"$2\" in [c.get(\"routerId\") for c in q.get(\"candidates\") or []]")" = True ]
}
quorum_state_is() { [ "$(quorum_state "$1")" = "$2" ]; }

quorum_log_ms() { log_ms "$1" "$2" "${3:-1}"; }
quorum_log_count() { tail -n +"${3:-1}" "$LAB_DIR/$1" | grep -cE "$2" || true; }
quorum_transitions_after() {
	transitions_since "$1" "$(head -n $(($2 - 1)) "$LAB_DIR/$1" | grep -cE 'instance [^ ]+: [A-Z]+ -> [A-Z]+ ')"
}
quorum_pause_until() {
	local left=$(( $2 * 1000 - ($(_lab_now_us) - $1) / 1000 ))
	[ "$left" -le 0 ] || sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
}

# --- isolation -------------------------------------------------------------

quorum_isolate() {
	lab_ns "$1" >/dev/null || return 1
	ip netns exec "$LAB_SW" nft delete table bridge "qcut_$1" 2>/dev/null || true
	ip netns exec "$LAB_SW" nft -f - <<-EOF
	table bridge qcut_$1 {
		chain cut {
			type filter hook forward priority filter; policy accept;
			iifname "p-$1" drop
			oifname "p-$1" drop
		}
	}
	EOF
}
quorum_heal() { ip netns exec "$LAB_SW" nft delete table bridge "qcut_$1" 2>/dev/null || true; }
quorum_heal_all() {
	local t
	for t in $(ip netns exec "$LAB_SW" nft list tables bridge 2>/dev/null | awk '$3 ~ /^qcut_/ { print $3 }'); do
		ip netns exec "$LAB_SW" nft delete table bridge "$t" 2>/dev/null || true
	done
	return 0
}
quorum_is_isolated() { ip netns exec "$LAB_SW" nft list table bridge "qcut_$1" >/dev/null 2>&1; }

# --- the sampler -----------------------------------------------------------

quorum_sampler_start() {
	local name=$1 max=${2:-120}
	QUORUM_SAMPLES=$LAB_DIR/$name.samples
	: >"$QUORUM_SAMPLES"
	: >"$LAB_DIR/$name.sampling"
	(
		flag=$LAB_DIR/$name.sampling
		t0=$(_lab_now_us)
		end=$((t0 + max * 1000000))
		i=0
		while [ -e "$flag" ]; do
			t=$(_lab_now_us)
			[ "$t" -lt "$end" ] || break
			v=$(lab_vip_holder "$DB_VIP")
			wr=$(db_writable_hosts)
			printf '%s vip=%s writable=%s\n' "$t" "${v// /,}" "${wr// /,}" >>"$QUORUM_SAMPLES"
			i=$((i + 1))
			left=$(( (t0 + i * QUORUM_SAMPLE_MS * 1000 - $(_lab_now_us)) / 1000 ))
			# Late: skip the slots already gone, keep the schedule.
			while [ "$left" -le 0 ]; do i=$((i + 1)); left=$((left + QUORUM_SAMPLE_MS)); done
			sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
		done
		rm -f "$flag"
	) </dev/null >/dev/null 2>&1 &
	QUORUM_SAMPLER_PID=$!
	lab_track "$QUORUM_SAMPLER_PID" - sampler
	# The first sample is in.
	lab_wait_for 3000 test -s "$QUORUM_SAMPLES" >/dev/null
}

quorum_sampler_stop() {
	[ -n "$QUORUM_SAMPLER_PID" ] || return 0
	rm -f "${QUORUM_SAMPLES%.samples}.sampling"
	if ! lab_wait_for 5000 lab_pid_gone "$QUORUM_SAMPLER_PID" >/dev/null; then
		lab_kill "$QUORUM_SAMPLER_PID" KILL
	fi
	wait "$QUORUM_SAMPLER_PID" 2>/dev/null
	QUORUM_SAMPLER_PID=
}

quorum_sample_stats() {
	awk -v from="${2:-0}" -v to="${3:-0}" '
	function f(s,  a) { split(s, a, "="); return a[2] }
	{ t = $1; if (t < from || (to > 0 && t > to)) next
	  if (n > 0) { d = t - pt; if (d > maxd) maxd = d
	               if (pw) tw += d; if (pv) tv += d }
	  w = f($3); v = f($2)
	  pw = (w ~ /,/); pv = (v ~ /,/)
	  n++; cw += pw; cv += pv; if (v == "") none++
	  pt = t }
	END { printf "%d %d %d %d %d %d %d\n", n, cw, cv, tw / 1000, tv / 1000, none, maxd / 1000 }' "$1"
}

quorum_sample_first() {
	awk -v from="$2" -v field="$3" -v re="$4" '
	$1 >= from { for (i = 2; i <= NF; i++) { split($i, a, "=")
		if (a[1] == field && a[2] ~ re) { print $1; exit } } }' "$1"
}
quorum_sample_last() {
	awk -v from="$2" -v field="$3" -v re="$4" '
	$1 >= from { for (i = 2; i <= NF; i++) { split($i, a, "=")
		if (a[1] == field && a[2] ~ re) last = $1 } }
	END { if (last != "") print last }' "$1"
}
quorum_sample_changes() {
	awk -v from="$2" -v field="$3" '
	$1 >= from { for (i = 2; i <= NF; i++) { split($i, a, "=")
		if (a[1] == field) { if (seen && a[2] != prev) n++; prev = a[2]; seen = 1 } } }
	END { print n + 0 }' "$1"
}

# --- writers ---------------------------------------------------------------

qw_start() {
	local host=$1 max=${2:-5000} secs=${3:-120} log
	[ -f "$LAB_DIR/writer.sh" ] || _db_writer_script
	DB_WRITER_RUN=$((DB_WRITER_RUN + 1))
	log=$LAB_DIR/writer.$DB_WRITER_RUN.$host.attempts
	: >"$log"
	lab_spawn "$host" "writer.$DB_WRITER_RUN.$host.out" bash "$LAB_DIR/writer.sh" "$MDB_CLIENT" \
		"$LAB_DIR/app.cnf" "$DB_VIP" "$log" $((DB_WRITER_RUN * 100000)) \
		"$max" "$secs" "${DB_WRITER_TICK_MS:-50}" "${DB_WRITER_PAR:-8}" \
		"${DB_WRITER_TIMEOUT_S:-10}" >/dev/null || return 1
	QW_PID[$host]=$LAB_PID
	QW_LOG[$host]=$log
}

qw_stop() {
	local p=${QW_PID[$1]:-}
	[ -n "$p" ] || return 0
	lab_kill "$p" TERM
	lab_wait_for 8000 lab_pid_gone "$p" >/dev/null || {
		echo "qw_stop: the writer on $1 ($p) did not stop: KILL" >&2
		lab_kill "$p" KILL
	}
	QW_PID[$1]=
}
qw_stop_all() { local h; for h in "${!QW_PID[@]}"; do qw_stop "$h"; done; return 0; }

# _qw_logs [HOST]: the current writers' logs (HOST's, or all).
_qw_logs() {
	local h
	if [ -n "${1:-}" ]; then printf '%s\n' "${QW_LOG[$1]}"; return; fi
	for h in "${!QW_LOG[@]}"; do printf '%s\n' "${QW_LOG[$h]}"; done
}

qw_acked() {
	local logs
	mapfile -t logs < <(_qw_logs "${1:-}")
	[ ${#logs[@]} -gt 0 ] || { echo 0; return; }
	awk -v sid="${2:-}" -v since="${3:-0}" \
		'$4 == "ok" && (sid == "" || $5 == sid) && $3 >= since { n++ } END { print n + 0 }' "${logs[@]}"
}
qw_acked_ge() { [ "$(qw_acked "$1" "$2" "${4:-0}")" -ge "$3" ]; }

qw_missing() {
	local logs have=$LAB_DIR/have.$1.txt
	mapfile -t logs < <(_qw_logs)
	db_sql "$1" "SELECT v FROM appdb.w" >"$have" || { echo; return 1; }
	awk 'FILENAME == ARGV[1] { have[$1] = 1; next } $4 == "ok" && !($1 in have) { print $1 }' \
		"$have" "${logs[@]}" >"$LAB_DIR/missing.$1.txt"
	wc -l <"$LAB_DIR/missing.$1.txt"
}

qw_max_gap_ms() { DB_WRITER_LOG=${QW_LOG[$1]} db_writer_max_gap_ms "${2:-}" "${3:-}"; }
qw_errors() { DB_WRITER_LOG=${QW_LOG[$1]} db_writer_error_summary; }

qw_report() {
	local h out=''
	for h in "${!QW_LOG[@]}"; do
		out+=$(printf ' writer on %s: %s acknowledged (by h1 %s, h2 %s), errors %s;' "$h" \
			"$(qw_acked "$h")" "$(qw_acked "$h" 1)" "$(qw_acked "$h" 2)" "$(qw_errors "$h")")
	done
	printf '  figures:%s acknowledged writes missing on %s: %s\n' "$out" "$1" "$(qw_missing "$1")"
}

# --- whole setups ----------------------------------------------------------

quorum_pair_up() {
	local min=$1
	shift
	quorum_lab_up || exit 1
	quorum_conf h1 150 "$@" || exit 1
	quorum_conf h2 100 "$@" || exit 1
	echo "== start: h1 primary (150), h2 replica (100)"
	QUORUM_RUN=$((QUORUM_RUN + 1))
	db_ds_start "run$QUORUM_RUN" h1 h2 || exit 1
	qw_start c || exit 1
	qw_start h1 || exit 1
	lab_wait_for 8000 qw_acked_ge c 1 "$min" >/dev/null || {
		echo "the writer on c gets no acknowledgment from h1" >&2
		exit 1
	}
}

quorum_vigil_stop_all() {
	local h
	for h in h1 h2; do
		[ -n "${!h:-}" ] || continue
		lab_pid_alive "${!h}" || continue
		vigil_term "$h"
	done
}

quorum_reset() {
	quorum_sampler_stop
	qw_stop_all
	quorum_vigil_stop_all
	quorum_heal_all
	db_lab_reset
	QW_LOG=() QW_PID=()
	QUORUM_DB_UP=0
	db_lab_up || return 1
	QUORUM_DB_UP=1
	etcdctl_lab "$QUORUM_FROM" del --prefix "$QUORUM_PREFIX" >/dev/null 2>&1 || true
}
