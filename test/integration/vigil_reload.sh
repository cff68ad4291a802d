#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reload (SIGHUP and vigilctl reload) on two vigild in the netns lab.
# Each case changes h1's (the master's) file and reloads, then checks what
# the DBA would look at: where the VIP is, whether it was ever removed
# from h1 (an `ip monitor address` runs in h1 for the whole test), whether
# the peer saw a transition, and what status says.
#   - a file with errors: refused with FILE:LINE, the old config runs on;
#   - the same file again: everything kept, nothing touched;
#   - base priority changed on the master: no re-election, the peer hears
#     the new priority;
#   - a check's probe changed: restarted, its last verdict kept (the
#     priority does not dip); a check's penalty changed: the same object;
#   - a second VIP added, then dropped: the first is never removed;
#   - notify scripts changed: the new one runs at the next change;
#   - a second instance added (starts, takes its VIP), then removed (it
#     releases its VIP: the peer takes it over);
#   - a VRID change on the master: refused (it would move the VIP); the
#     same change on the backup: the instance is replaced;
#   - control_socket changed: refused.
#
# Usage: bash vigil_reload.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"

VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
[ -x "$VIGILCTL" ] || { echo "vigilctl not found at $VIGILCTL" >&2; exit 2; }
VIP=198.18.0.100
VIP2=198.18.0.101
VIP3=198.18.0.102
lab_add_host h1 && lab_add_host h2 || exit 1
S1=$LAB_DIR/h1.sock
S2=$LAB_DIR/h2.sock

# Every address change on h1's eth0, for the whole test.
lab_spawn h1 h1.addrmon.log ip -o -ts monitor address dev eth0 >/dev/null
# vip_deleted_on_h1 ADDR: h1 lost ADDR at some point since the monitor started.
vip_deleted_on_h1() { grep -q "Deleted.* inet $1/" "$LAB_DIR/h1.addrmon.log"; }

check_up="$(printf '[check up]\ntype = script\ncommand = /bin/true\ninterval = 200ms\nrise = 1\npenalty = 50\n')"
# h1_conf KEY=VALUE...: h1's file (vigil_conf keys), with the check.
h1_conf() {
	vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 extra="track = up" tail="$check_up" "$@"
}
h1_conf
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 extra="track = up" tail="$check_up"
vigil_run h1 1
vigil_run h2 1
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP ($ms ms)" lab_vip_held_by $VIP h1
lab_wait_for 3000 vigil_in_state h2.vigild.log BACKUP >/dev/null
lab_wait_for 3000 prio_is h1.vigild.log 150 >/dev/null
check "h1's priority is 150" prio_is h1.vigild.log 150

# json SOCKET EXPR: vigilctl status --json of SOCKET, EXPR evaluated on it (as j).
json() {
	"$VIGILCTL" -s "$1" status --json | python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}
# reload WANT_EXIT: vigilctl reload on h1; the answer in $LAB_DIR/answer.
reload() {
	"$VIGILCTL" -s "$S1" reload >"$LAB_DIR/answer" 2>&1
	local rc=$?
	[ "$rc" -eq "$1" ] || { echo "    vigilctl reload: exit $rc, want $1:"; sed 's/^/    /' "$LAB_DIR/answer"; }
	[ "$rc" -eq "$1" ]
}
h2_changes=$(vigil_transitions h2.vigild.log)
h1_changes=$(vigil_transitions h1.vigild.log)
# quiet NAME: no state change on either node since the start, VIP on h1 alone.
quiet() {
	check "$1: no transition on h2" test "$(vigil_transitions h2.vigild.log)" = "$h2_changes"
	check "$1: no transition on h1" test "$(vigil_transitions h1.vigild.log)" = "$h1_changes"
	check "$1: the VIP is on h1 alone" lab_vip_held_by $VIP h1
	check "$1: the VIP was never removed from h1" eval "! vip_deleted_on_h1 $VIP"
}

echo "== a file with errors is refused; the running configuration stays"
cp "$LAB_DIR/h1.ini" "$LAB_DIR/h1.good"
printf '\n[instance broken]\ninterface = eth0\nvrid = 300\n' >>"$LAB_DIR/h1.ini"
check "vigilctl reload exits 1" reload 1
check "the answer says refused" grep -q "^error: reload refused: .*h1.ini has errors; the running configuration stays" "$LAB_DIR/answer"
check "the answer gives FILE:LINE" grep -qE "h1.ini:[0-9]+: .*vrid" "$LAB_DIR/answer"
check "the log gives FILE:LINE" vigil_log_has h1.vigild.log "h1.ini:[0-9]+: .*vrid"
m=$(mark h1.vigild.log)
lab_kill "$h1" HUP
lab_wait_for 2000 log_has_after h1.vigild.log "$((m - 1))" "SIGHUP: reload refused" >/dev/null
check "SIGHUP: refused the same way" log_has_after h1.vigild.log "$((m - 1))" "SIGHUP: reload refused"
check "status: one instance still" test "$(json "$S1" 'len(j["instances"])')" = 1
quiet "bad file"
cp "$LAB_DIR/h1.good" "$LAB_DIR/h1.ini"

echo "== the same file again"
check "vigilctl reload exits 0" reload 0
check "the answer: 1 kept, the check kept" \
	grep -q "instances: 1 kept, 0 added, 0 removed; checks: 1 kept, 0 restarted, 0 added, 0 removed" "$LAB_DIR/answer"
m=$(mark h1.vigild.log)
lab_kill "$h1" HUP
lab_wait_for 2000 log_has_after h1.vigild.log "$((m - 1))" "SIGHUP: reloaded" >/dev/null
check "SIGHUP reloads too" log_has_after h1.vigild.log "$((m - 1))" "SIGHUP: reloaded .*1 kept"
quiet "same file"

echo "== base priority 150 -> 140 on the master"
h1_conf priority=140
check "reload" reload 0
lab_wait_for 2000 prio_is h1.vigild.log 140 >/dev/null
check "h1 logs priority 140" prio_is h1.vigild.log 140
check "status: base and effective 140" test "$(json "$S1" '(j["instances"][0]["priority"], j["instances"][0]["effectivePriority"])')" = "(140, 140)"
lab_wait_for 2000 eval '[ "$(json "$S2" "j[\"instances\"][0][\"master\"][\"priority\"]")" = 140 ]' >/dev/null
check "h2 hears h1 at 140" test "$(json "$S2" 'j["instances"][0]["master"]["priority"]')" = 140
quiet "priority"

echo "== a check's probe and penalty"
h1_conf priority=140 tail="$(printf '[check up]\ntype = script\ncommand = /bin/true\ninterval = 100ms\nrise = 1\npenalty = 50\n')"
check "probe changed: reload" reload 0
check "the check was restarted" grep -q "checks: 0 kept, 1 restarted" "$LAB_DIR/answer"
check "its verdict was kept: priority stayed 140" prio_is h1.vigild.log 140
h1_conf priority=140 tail="$(printf '[check up]\ntype = script\ncommand = /bin/true\ninterval = 100ms\nrise = 1\npenalty = 40\n')"
check "penalty changed: reload" reload 0
check "the same check object" grep -q "checks: 1 kept, 0 restarted" "$LAB_DIR/answer"
quiet "checks"

echo "== a second VIP added, then dropped"
h1_conf priority=140 vips=$VIP/24,$VIP2/24
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 vips=$VIP/24,$VIP2/24 extra="track = up" tail="$check_up"
"$VIGILCTL" -s "$S2" reload >/dev/null
check "reload" reload 0
ms=$(lab_wait_for 2000 lab_vip_held_by $VIP2 h1)
check "h1 holds the new VIP ($ms ms)" lab_vip_held_by $VIP2 h1
check "status lists both VIPs held" test "$(json "$S1" 'len(j["instances"][0]["vipsHeld"])')" = 2
h1_conf priority=140
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 extra="track = up" tail="$check_up"
"$VIGILCTL" -s "$S2" reload >/dev/null
check "reload" reload 0
ms=$(lab_wait_for 2000 eval "! lab_vip_held_by $VIP2 h1")
check "the dropped VIP left h1 ($ms ms)" eval "! ip netns exec $(lab_ns h1) ip -4 -o addr show dev eth0 | grep -q ' $VIP2/'"
quiet "VIPs"

echo "== notify scripts"
REC=$LAB_DIR/rec.sh
printf '#!/bin/sh\necho "$*" >>"%s"\n' "$LAB_DIR/h2.notify" >"$REC"
chmod 0755 "$REC"
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 notify="$REC" extra="track = up" tail="$check_up"
"$VIGILCTL" -s "$S2" reload >"$LAB_DIR/answer2" 2>&1
check "h2 reloads with a notify script" grep -q "1 kept" "$LAB_DIR/answer2"

echo "== a second instance added, then removed"
second="$(printf '[instance two]\ninterface = eth0\nvrid = 52\npriority = 150\nvirtual_ip = %s/24\nadvert_interval = 100ms\ntrack = up\n' $VIP3)"
h1_conf priority=140 tail="$check_up
$second"
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 notify="$REC" extra="track = up" \
	tail="$check_up
${second/priority = 150/priority = 100}"
"$VIGILCTL" -s "$S2" reload >/dev/null
check "reload" reload 0
check "the answer: 1 kept, 1 added" grep -q "instances: 1 kept, 1 added, 0 removed" "$LAB_DIR/answer"
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP3 h1)
check "h1 takes the new instance's VIP ($ms ms)" lab_vip_held_by $VIP3 h1
check "status: two instances" test "$(json "$S1" 'len(j["instances"])')" = 2
vi_changes=$(grep -cE 'instance vi: [A-Z]+ -> ' "$LAB_DIR/h1.vigild.log")
h1_conf priority=140
check "reload without it" reload 0
check "the answer: 1 removed" grep -q "instances: 1 kept, 0 added, 1 removed" "$LAB_DIR/answer"
ms=$(lab_wait_for 3000 lab_vip_held_by $VIP3 h2)
check "h2 takes over the removed instance's VIP ($ms ms)" lab_vip_held_by $VIP3 h2
lab_wait_for 2000 vigil_log_has h1.vigild.log "instance two: stopped and removed" >/dev/null
check "h1 logs the removal" vigil_log_has h1.vigild.log "instance two: stopped and removed"
check "the VIP of the instance kept stayed on h1" lab_vip_held_by $VIP h1
check "the kept instance did not change state on h1" \
	test "$(grep -cE 'instance vi: [A-Z]+ -> ' "$LAB_DIR/h1.vigild.log")" = "$vi_changes"
check "no notify ran on h2 for its kept instance" eval "! grep -q 'INSTANCE vi ' $LAB_DIR/h2.notify 2>/dev/null"

echo "== a VRID change"
h1_conf priority=140 vrid=61
check "on the master: refused" reload 1
check "... saying why" grep -q "instance vi holds the VIP: changing vrid needs a new instance" "$LAB_DIR/answer"
h1_conf priority=140
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 vrid=51 notify="$REC" extra="track = up" \
	tail="$check_up"
"$VIGILCTL" -s "$S2" reload >/dev/null
h2_changes=$(vigil_transitions h2.vigild.log)
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 vrid=51 advert_interval=200ms notify="$REC" extra="track = up" tail="$check_up"
"$VIGILCTL" -s "$S2" reload >"$LAB_DIR/answer2" 2>&1
check "on the backup, an advert interval change is kept in place" grep -q "1 kept, 0 added, 0 removed" "$LAB_DIR/answer2"
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 vrid=62 notify="$REC" extra="track = up" tail="$check_up"
"$VIGILCTL" -s "$S2" reload >"$LAB_DIR/answer2" 2>&1
check "on the backup, a VRID change replaces the instance" grep -q "0 kept, 1 added, 1 removed" "$LAB_DIR/answer2"
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 notify="$REC" extra="track = up" tail="$check_up"
"$VIGILCTL" -s "$S2" reload >/dev/null
lab_wait_for 3000 vigil_in_state h2.vigild.log BACKUP >/dev/null
check "h2 is BACKUP of VRID 51 again" vigil_in_state h2.vigild.log BACKUP
lab_wait_for 2000 eval "grep -q 'INSTANCE vi BACKUP' $LAB_DIR/h2.notify" >/dev/null
check "the notify script the reload set ran for the replaced instance" grep -q "INSTANCE vi BACKUP" "$LAB_DIR/h2.notify"
check "the VIP stayed on h1" lab_vip_held_by $VIP h1
check "the VIP was never removed from h1" eval "! vip_deleted_on_h1 $VIP"

echo "== control_socket"
sed -i "s|^control_socket = .*|control_socket = $LAB_DIR/other.sock|" "$LAB_DIR/h1.ini"
check "changing it is refused" reload 1
check "... saying to restart" grep -q "control_socket cannot change on a reload" "$LAB_DIR/answer"
h1_conf priority=140

echo "== both still answer"
check "h1 answers status" "$VIGILCTL" -s "$S1" status
check "h2 answers status" "$VIGILCTL" -s "$S2" status
finish
