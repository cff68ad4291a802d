#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild with [quorum] under valgrind, in the quorum lab (quorum_lab.sh: the
# data-safety pair h1/h2, a three-member etcd on h1, h2 and w): h1's vigild
# under valgrind (lease_ttl 10s, so valgrind's slowness does not trip its
# safety deadline), h2's as usual. h1 takes the key and opens its server,
# h2 publishes its candidacy and h1 lists it, vigilctl status (table and
# JSON) and vigilctl metrics show the quorum; then every etcd member is
# killed: h1 reaches its safety deadline (DEMOTE: read-only, VIP gone) and
# its takeovers are vetoed; etcd back, one master holds the key again (h1:
# if h2 took it, h2's vigild is stopped and h1 takes over on its priority
# 0); last SIGTERM to h1, which revokes its lease at stop. valgrind must
# report no error and no leak in any of it.
# Usage: bash valgrind_quorum.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=quorum_lab.sh
. "$here/quorum_lab.sh"
quorum_require
lab_require valgrind

TTL_MS=10000
# Semi-sync waits at least the longest lease (docs/quorum.md 2.8).
DB_SEMISYNC_TIMEOUT=12000
quorum_lab_up || exit 1
quorum_conf h1 150 q_lease_ttl=10s || exit 1
quorum_conf h2 100 || exit 1

# ctl OUT ARGS...: vigilctl on h1's socket, a generous timeout (valgrind).
ctl() { local out=$1; shift; "$VIGILCTL" -s "$LAB_DIR/h1.sock" -t 20 "$@" >"$LAB_DIR/$out" 2>&1; }
# json_ok FILE EXPR: EXPR (python; q = instance 0's "quorum") is true.
json_ok() {
	python3 -c '
import json, sys
i = json.load(open(sys.argv[1]))["instances"][0]
q = i.get("quorum") or {}
s = q.get("stats") or {}
ok = eval("(" + sys.argv[2] + ")")
if not ok:
    print("    quorum:", json.dumps(q))
sys.exit(not ok)' "$LAB_DIR/$1" "$2"
}
# metric FILE NAME: NAME's value for instance vi (one sample).
metric() { sed -nE "s/^$2\{instance=\"vi\"[^}]*\} ([0-9]+)$/\1/p" "$LAB_DIR/$1"; }
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
metric_ge() { local v; v=$(metric "$1" "$2"); [ -n "$v" ] && [ "$v" -ge "$3" ]; }
# families FILE: each quorum family has its HELP and TYPE lines in FILE.
families() {
	local f
	for f in key_held may_write renewals_total renewal_failures_total vetoes_total demotions_total \
		etcd_errors_total etcd_request_failures_total; do
		grep -q "^# TYPE vigil_quorum_$f " "$LAB_DIR/$1" && grep -q "^# HELP vigil_quorum_$f " "$LAB_DIR/$1" ||
			{ echo "    no HELP/TYPE for vigil_quorum_$f"; return 1; }
	done
}
# published_at HOST PRIO: HOST's vigild says it published its candidacy at PRIO.
published_at() { [ "$(quorum_status "$1" 'q.get("publishedPriority")')" = "$2" ]; }
# one_master: one writable server, the VIP on its host alone, its host the
# key's holder in etcd.
one_master() {
	local w
	w=$(db_writable_hosts)
	[ -n "$w" ] && [ "$w" = "$(lab_vip_holder "$VIP")" ] && quorum_holder_is "$w" w
}

echo "== start: h1 under valgrind (150, lease_ttl 10s), h2 (100)"
lab_spawn h1 h1.vigild.log valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no \
	--log-file="$LAB_DIR/valgrind.txt" "$VIGILD" -f "$LAB_DIR/h1.ini" >/dev/null
h1=$LAB_PID
ms=$(lab_wait_for 60000 eval 'db_vip_held_by h1 && db_is_writable h1')
check "vigild under valgrind became master and opened its server ($ms ms)" \
	eval 'db_vip_held_by h1 && db_is_writable h1'
check "h1 logged the key held with a lease of $TTL_MS ms" \
	vigil_log_has h1.vigild.log "instance vi: quorum: key held \(lease [^,]+, ttl $TTL_MS ms\)"
check "etcd says h1 holds the key $(quorum_key)" quorum_holder_is h1
vigil_run h2 run1
ms=$(lab_wait_for 20000 vigil_log_has h2.vigild.log 'all checks ok')
check "h2's checks pass ($ms ms)" vigil_log_has h2.vigild.log 'all checks ok'

echo "== candidates, status, metrics"
ms=$(lab_wait_for 20000 quorum_candidate_published h2)
check "h2 published itself under $(quorum_key)/candidates/h2 ($ms ms)" quorum_candidate_published h2
# h1 reads the candidates after each renewal (every lease_ttl / 3).
ms=$(lab_wait_for 30000 quorum_candidate_listed h1 h2)
check "h1's status lists h2 among the candidates ($ms ms)" quorum_candidate_listed h1 h2
ctl status.json status --json
check "status --json: held by h1, writes allowed, a lease, renewed, h2 at 100" json_ok status.json \
	'q["state"] == "held" and q["holder"] == "h1" and q["mayWrite"] and q["lease"] != 0
	 and q["leaseRemainingMs"] > 0 and q["demoteInMs"] > 0 and q["lastRenewalAgoMs"] >= 0
	 and q["publishedPriority"] is None and s["acquired"] >= 1 and s["renewals"] >= 1
	 and s["demotions"] == 0 and {"routerId": "h2", "priority": 100} in q["candidates"]'
ctl status.txt status
check "status table: the quorum line (held by h1, writes allowed)" \
	grep -Eq "^  quorum       held, key $(quorum_key) held by h1, writes allowed, lease .* left" "$LAB_DIR/status.txt"
check "status table: the candidates line (h2 at 100)" grep -Eq '^ +candidates: h2 \(100\)$' "$LAB_DIR/status.txt"
check "status table: the counters line" \
	grep -Eq '^ +renewals [1-9][0-9]* \(0 failed\), takeovers vetoed [0-9]+ of [0-9]+ probes, demotions 0' \
	"$LAB_DIR/status.txt"
ctl metrics1.txt metrics
check "vigilctl metrics: key held 1, may write 1, renewals counted, no demotion" eval \
	'metric_is metrics1.txt vigil_quorum_key_held 1 && metric_is metrics1.txt vigil_quorum_may_write 1 &&
	 metric_ge metrics1.txt vigil_quorum_renewals_total 1 && metric_is metrics1.txt vigil_quorum_demotions_total 0'
check "vigilctl metrics: every quorum family with its HELP and TYPE" families metrics1.txt

echo "== every etcd member killed: h1 reaches its safety deadline"
m1=$(mark h1.vigild.log) m2=$(mark h2.vigild.log) tod0=$(tod_ms)
for h in $(etcd_hosts); do etcd_member_kill "$h"; done
ms=$(lab_wait_for $((TTL_MS + 30000)) eval 'log_has_after h1.vigild.log $((m1 - 1)) "instance vi: quorum: DEMOTE" &&
	db_is_read_only h1 && ! vip_on h1')
check "h1 logged DEMOTE, its server read-only, the VIP gone ($ms ms after the kill)" \
	eval 'log_has_after h1.vigild.log $((m1 - 1)) "instance vi: quorum: DEMOTE" && db_is_read_only h1 && ! vip_on h1'
line=$(since h1.vigild.log "$m1" | grep -m1 'quorum: DEMOTE') && echo "   h1: ${line#*vigild }"
t_dem=$(quorum_log_ms h1.vigild.log 'instance vi: quorum: DEMOTE' "$m1") && t_dem=$(dt "$tod0" "$t_dem") || t_dem=
check_ms "h1 demoted within its lease TTL (log)" "${t_dem:-999999}" "$TTL_MS"
ms=$(lab_wait_for 30000 log_has_after h1.vigild.log "$((m1 - 1))" 'instance vi: quorum: takeover vetoed: etcd')
check "h1's takeovers vetoed (etcd unreachable or not answering; $ms ms)" \
	log_has_after h1.vigild.log "$((m1 - 1))" 'instance vi: quorum: takeover vetoed: etcd (unreachable|did not answer)'
lab_wait_for 20000 log_has_after h2.vigild.log "$((m2 - 1))" 'instance vi: quorum: takeover vetoed: etcd' >/dev/null
check "h2's takeovers vetoed too" \
	log_has_after h2.vigild.log "$((m2 - 1))" 'instance vi: quorum: takeover vetoed: etcd (unreachable|did not answer)'
check "no server writable, the VIP nowhere" eval '[ -z "$(db_writable_hosts)" ] && lab_vip_held_by $VIP ""'
ctl status-lost.json status --json
check "status --json: writes not allowed, a deadline demotion, vetoes counted" json_ok status-lost.json \
	'not q["mayWrite"] and q["state"] != "held" and s["demotions"] == 1 and s["deadlineDemotions"] >= 1
	 and s["vetoes"] >= 1 and s["renewalFailures"] >= 1 and s["requestErrors"] >= 1'
ctl status-lost.txt status
check "status table: writes NOT allowed" \
	grep -Eq "^  quorum       [a-z]+, key $(quorum_key) held by .*, writes NOT allowed" "$LAB_DIR/status-lost.txt"
ctl metrics2.txt metrics
check "vigilctl metrics: key not held, may not write, 1 demotion, vetoes and failures counted" eval \
	'metric_is metrics2.txt vigil_quorum_key_held 0 && metric_is metrics2.txt vigil_quorum_may_write 0 &&
	 metric_is metrics2.txt vigil_quorum_demotions_total 1 && metric_ge metrics2.txt vigil_quorum_vetoes_total 1 &&
	 metric_ge metrics2.txt vigil_quorum_renewal_failures_total 1 &&
	 metric_ge metrics2.txt vigil_quorum_etcd_request_failures_total 1 &&
	 metric_ge metrics2.txt vigil_quorum_etcd_errors_total 1'

# h2 stopped while etcd is down: h1 alone can take the key when it is back
# (h2 taking it first would leave h1's server a failover behind: not
# eligible until it is rejoined as a replica).
echo "== h2's vigild stopped (etcd still down)"
vigil_term h2
check "h2's vigild stopped" lab_pid_gone "$h2"

echo "== etcd back"
m1=$(mark h1.vigild.log) t1=$(now_ms)
for h in $(etcd_hosts); do etcd_member_start "$h" || exit 1; done
etcd_wait_healthy 3 30000 >/dev/null || { echo "etcd not healthy: $(etcd_health w)" >&2; exit 1; }
ms=$(lab_wait_for 60000 eval 'one_master && quorum_holder_is h1 w')
check "h1 master again: the key, the VIP and the only writable server ($(($(now_ms) - t1)) ms after the restart)" \
	eval 'one_master && quorum_holder_is h1 w'
check "h1 logged the key held again" log_has_after h1.vigild.log "$((m1 - 1))" 'instance vi: quorum: key held'
lab_wait_for 20000 quorum_state_is h1 held >/dev/null
check "vigilctl status: h1's quorum state held again" quorum_state_is h1 held

echo "== h2's vigild back, a candidate again"
vigil_run h2 run2
ms=$(lab_wait_for 20000 vigil_log_has h2.vigild.log 'all checks ok')
check "h2's checks pass ($ms ms)" vigil_log_has h2.vigild.log 'all checks ok'
# The entry of h2's first run (its lease not revoked: etcd was down) must
# expire before the new run can publish.
ms=$(lab_wait_for 30000 published_at h2 100)
check "h2's new run published its candidacy at 100 ($ms ms)" published_at h2 100
ms=$(lab_wait_for 30000 quorum_candidate_listed h1 h2)
check "h1 lists h2 among the candidates again ($ms ms)" quorum_candidate_listed h1 h2

echo "== SIGTERM to h1"
m1=$(mark h1.vigild.log) t_term=$(now_ms)
lab_kill "$h1" TERM
lab_wait_for 60000 lab_pid_gone "$h1" >/dev/null
check "vigild exited after SIGTERM" lab_pid_gone "$h1"
check "h1 revoked its lease at stop" log_has_after h1.vigild.log "$((m1 - 1))" 'instance vi: quorum: lease revoked'
check "h1's server is read-only after the stop (switchover)" db_is_read_only h1
check "VIP not on h1 after the stop" eval '! vip_on h1'
check "vigild logged a clean stop" vigil_log_has h1.vigild.log 'stopped$'
lab_wait_for 20000 eval 'one_master && quorum_holder_is h2 w' >/dev/null
ms=$(($(now_ms) - t_term))
check "h2 took the key, the VIP and its server ($ms ms after the SIGTERM)" eval 'one_master && quorum_holder_is h2 w'
check_ms "h2 took over well before h1's lease could have run out (it was revoked)" "$ms" $((TTL_MS / 2))
check "valgrind: no errors, no leaks (report empty)" test ! -s "$LAB_DIR/valgrind.txt"
[ -s "$LAB_DIR/valgrind.txt" ] && cat "$LAB_DIR/valgrind.txt"
finish
