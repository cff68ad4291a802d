#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Quorum on etcd: mysqld killed (SIGKILL) on the master. The demotion revokes
# the master's lease, so the backup takes the key at once: the VIP moves
# about as fast as without quorum, far below lease_ttl (the lease is not
# waited out), and no acknowledged write is lost (semi-sync AFTER_SYNC).
# Two rounds in one lab, the same fault: first vigil with data safety and
# no [quorum] (the reference), then with [quorum] (lease_ttl 6s, the
# default). Writers on c and in h1's namespace, both through the VIP.
# Usage: bash quorum_db_kill.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=quorum_lab.sh
. "$here/quorum_lab.sh"
quorum_require

TTL_MS=6000
declare -A T_VIP=() T_CLI=() LOST=()

# kill_round NAME [quorum_conf args...]: one round from a fresh pair.
kill_round() {
	local name=$1 m1 m2 t0 ms
	shift
	echo "== round $name: start"
	quorum_pair_up 10 "$@"
	if [ "$name" = quorum ]; then
		ms=$(lab_wait_for 10000 quorum_holder_is h1)
		check "h1 holds the key $(quorum_key) before the fault ($ms ms)" quorum_holder_is h1
		check "h1 logged the key held with a lease of $TTL_MS ms" \
			vigil_log_has h1.vigild.log "instance vi: quorum: key held \(lease [^,]+, ttl $TTL_MS ms\)"
		lab_wait_for 5000 quorum_state_is h1 held >/dev/null
		check "vigilctl status: h1's quorum state held, holder h1" \
			test "$(quorum_status h1 '(q.get("state"), q.get("holder"))')" = "('held', 'h1')"
		ms=$(lab_wait_for 5000 quorum_candidate_published h2)
		check "h2 published itself under $(quorum_key)/candidates/h2 ($ms ms)" quorum_candidate_published h2
		lab_wait_for 5000 quorum_candidate_listed h1 h2 >/dev/null
		check "vigilctl status: h2 listed among the candidates ($(quorum_status h1 'q.get("candidates")'))" \
			quorum_candidate_listed h1 h2
	fi
	m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log)
	echo "== round $name: kill -9 of h1's mysqld"
	t0=$(now_ms)
	db_mysqld_signal h1 KILL || { echo "no mysqld on h1" >&2; exit 1; }
	db_time_takeover "$t0" 15000 25000
	T_VIP[$name]=${t_vip:-none} T_CLI[$name]=${t_cli:-none}
	echo "   $name: VIP on h2 after ${t_vip:-never} ms, a client served by h2 after ${t_cli:-never} ms"
	check "$name: the VIP moved to h2 (${t_vip:-never} ms)" test -n "$t_vip"
	check "$name: a client through the VIP is served by h2 (${t_cli:-never} ms)" test -n "$t_cli"
	ms=$(lab_wait_for 10000 qw_acked_ge c 2 5 "$((t0 * 1000))")
	check "$name: the writer on c is acknowledged by h2 ($ms ms)" qw_acked_ge c 2 5 "$((t0 * 1000))"
	check "$name: h2's server is the only writable one" test "$(db_writable_hosts)" = h2
	if [ "$name" = quorum ]; then
		check "quorum: h1 revoked its lease" log_has_after h1.vigild.log "$((m1 - 1))" \
			'instance vi: quorum: lease revoked'
		check "quorum: h2 logged the key held" log_has_after h2.vigild.log "$((m2 - 1))" \
			'instance vi: quorum: key held \(lease'
		check "quorum: etcd says h2 holds the key" quorum_holder_is h2
		echo "   h2's takeovers vetoed after the fault: $(quorum_log_count h2.vigild.log 'quorum: takeover vetoed' "$m2")"
		local tr tk
		tr=$(quorum_log_ms h1.vigild.log 'quorum: lease revoked' "$m1") || tr=
		tk=$(quorum_log_ms h2.vigild.log 'quorum: key held' "$m2") || tk=
		[ -z "$tr" ] || [ -z "$tk" ] || echo "   lease revoked on h1 -> key held on h2: $(dt "$tr" "$tk") ms"
	fi
	qw_stop_all
	LOST[$name]=$(qw_missing h2)
	qw_report h2
	check "$name: no acknowledged write lost (${LOST[$name]} missing on h2)" test "${LOST[$name]}" = 0
}

kill_round baseline q_none=1
quorum_reset || exit 1
kill_round quorum

echo "== figures"
printf '   takeover after kill -9 of mysqld (VIP on h2 / client served by h2, ms): without quorum %s / %s, with quorum %s / %s; lease_ttl %s ms; lost %s / %s\n' \
	"${T_VIP[baseline]}" "${T_CLI[baseline]}" "${T_VIP[quorum]}" "${T_CLI[quorum]}" "$TTL_MS" \
	"${LOST[baseline]}" "${LOST[quorum]}"
if [[ ${T_VIP[quorum]} =~ ^[0-9]+$ ]]; then
	check_ms "quorum: the VIP moved well under lease_ttl (half of it)" "${T_VIP[quorum]}" $((TTL_MS / 2))
	if [[ ${T_VIP[baseline]} =~ ^[0-9]+$ ]]; then
		check_ms "quorum: the VIP moved about as fast as without quorum (+1 s at most)" \
			"${T_VIP[quorum]}" $((T_VIP[baseline] + 1000))
	fi
fi
finish
