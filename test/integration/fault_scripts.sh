#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault injection: scripts that misbehave, on both nodes of a pair.
#
#   notify (every change)  hang.sh: starts a child and waits for it: killed
#                          with its child at notify_timeout (500 ms), logged
#                          "timed out";
#   notify_master          fork_keep.sh: leaves `sleep 1000 &` behind with
#                          the output pipe still open and exits 0;
#   notify_backup          double_fork.sh: leaves a sleep forked twice
#                          (reparented to init) with its output closed, and
#                          exits 0;
#   check hang (script)    hang.sh again: killed at the check's timeout
#                          (300 ms) every interval, the check failed with
#                          "timeout" (penalty 5: h1 stays the better node);
#   check forky (script)   fork_keep.sh: exits 0 (ok) every interval,
#                          leaving a sleep behind each time.
#
# Every script records its pid, its child's pid and the child's process
# group. Asserted: each hung one logged as timed out; every child ran in
# its script's process group and is gone (killed, by pid: not running) once
# its script ended, however it ended, and vigild logged the leftovers
# killed; no zombie child of vigild outlives two samples 300 ms apart; the
# master's adverts never more than 2 intervals apart meanwhile (tcpdump on
# the backup) and the backup never takes over on its Master_Down_Timer;
# failover (link down, then up) still works with every script misbehaving.
#
# Usage: bash fault_scripts.sh PATH/TO/vigild
. "$(dirname "$0")/vigil_lab.sh"
lab_require python3 tcpdump

VIP=198.18.0.100
lab_add_host h1 && lab_add_host h2 || exit 1
H1=$(lab_addr h1)
# 100 ms adverts: h2 (100) Master_Down_Interval 360 ms, h1 (150) 341 ms.
MDI_H2=360

# Script programs must be root's, in directories only root may change.
BIN=$LAB_DIR/bin
mkdir -m 0755 "$BIN"
P=$LAB_DIR/script-pids
mkdir -m 0755 "$P"
# Each script appends "KIND SCRIPT_PID CHILD_PID CHILD_PGID" to $P/KIND.
cat >"$BIN/hang.sh" <<EOF
#!/bin/sh
sleep 1000 &
c=\$!
echo "\$1 \$\$ \$c \$(cut -d' ' -f5 /proc/\$c/stat)" >>"$P/\$1"
wait
EOF
cat >"$BIN/fork_keep.sh" <<EOF
#!/bin/sh
sleep 1000 &
c=\$!
echo "\$1 \$\$ \$c \$(cut -d' ' -f5 /proc/\$c/stat)" >>"$P/\$1"
echo "left \$c running"
exit 0
EOF
cat >"$BIN/double_fork.sh" <<EOF
#!/bin/sh
# The subshell forks the sleep and exits at once: the sleep is reparented.
( sleep 1000 </dev/null >/dev/null 2>&1 &
  echo "\$1 \$\$ \$! \$(cut -d' ' -f5 /proc/\$!/stat)" >>"$P/\$1" )
exec >&- 2>&-
exit 0
EOF
chmod 0755 "$BIN"/*.sh

for h in h1 h2; do
	p=150; [ $h = h2 ] && p=100
	vigil_conf "$LAB_DIR/$h.ini" router_id=$h priority=$p \
		notify="$BIN/hang.sh notify-$h" \
		extra="$(printf 'notify_master = %s master-%s\nnotify_backup = %s backup-%s\nnotify_timeout = 500ms\ntrack = hang, forky' \
			"$BIN/fork_keep.sh" $h "$BIN/double_fork.sh" $h)" \
		tail="$(printf '[check hang]\ntype = script\ncommand = %s check-hang-%s\ninterval = 1s\ntimeout = 300ms\nrise = 1\nfall = 1\npenalty = 5\n\n[check forky]\ntype = script\ncommand = %s check-forky-%s\ninterval = 500ms\ntimeout = 2s\nrise = 1\nfall = 1\npenalty = 5\n' \
			"$BIN/hang.sh" $h "$BIN/fork_keep.sh" $h)"
done
check "vigild -t accepts the configuration" eval '"$VIGILD" -t -f "$LAB_DIR/h1.ini" >/dev/null 2>&1'

nrec() { cat "$P"/$1 2>/dev/null | wc -l; }
has_rec() { [ "$(nrec "$1")" -ge "$2" ]; }

# zombies PID: the pids of PID's children in state Z.
zombies() {
	local f st
	for f in /proc/[0-9]*/stat; do
		st=$(cat "$f" 2>/dev/null) || continue
		st=${st##*) }
		set -- $st
		[ "$1" = Z ] && [ "$2" = "$ZPARENT" ] && printf '%s ' "${f//[!0-9]/}"
	done
	return 0
}
# lasting_zombies PID: zombie children of PID seen twice, 300 ms apart.
lasting_zombies() {
	local a b z out=
	ZPARENT=$1
	a=" $(zombies) "
	lab_wait_for 300 false >/dev/null
	b=$(zombies)
	for z in $b; do [[ $a == *" $z "* ]] && out+="$z "; done
	printf '%s\n' "${out% }"
}

echo "== start: every script misbehaves on both nodes"
capture_start adverts   # tcpdump of VRRP on h1's eth0 (vigil_lab.sh)
vigil_run h1 1
lab_wait_for 5000 lab_vip_held_by $VIP h1 >/dev/null
vigil_run h2 1
lab_wait_for 5000 vigil_in_state h2.vigild.log BACKUP >/dev/null
check "h1 MASTER with the VIP, h2 BACKUP" eval 'lab_vip_held_by $VIP h1 && vigil_in_state h2.vigild.log BACKUP'
# Every kind has run at least twice on h1 and once on h2 (log events and
# the records; bounded).
ms=$(lab_wait_for 15000 eval '[ "$(grep -c "hang\.sh [A-Z]*: timed out" "$LAB_DIR/h1.vigild.log")" -ge 2 ] &&
	has_rec master-h1 1 && has_rec backup-h1 1 && has_rec backup-h2 1 &&
	has_rec check-hang-h1 3 && has_rec check-forky-h1 4 && has_rec check-hang-h2 3 && has_rec check-forky-h2 4')
check "every script ran on both nodes ($ms ms)" test "$ms" -lt 15000
# Let the checks go on misbehaving for a while (each run is logged by the
# records): 4 more hung checks on h1.
n0=$(nrec check-hang-h1)
lab_wait_for 10000 has_rec check-hang-h1 $((n0 + 4)) >/dev/null

echo "== what vigild logged"
grep -E 'notify(_<state>)? [^ ]*hang\.sh [A-Z]+: timed out' "$LAB_DIR/h1.vigild.log" | head -n2 | sed 's/^/    /'
grep -E 'fork_keep\.sh MASTER: exit 0 .*left behind' "$LAB_DIR/h1.vigild.log" | head -n1 | sed 's/^/    /'
grep -E 'double_fork\.sh BACKUP: exit 0 .*left behind' "$LAB_DIR/h1.vigild.log" | head -n1 | sed 's/^/    /'
grep -E 'check hang: ' "$LAB_DIR/h1.vigild.log" | head -n1 | sed 's/^/    /'
check "h1: the hung notify killed at notify_timeout, logged 'timed out (signal 15) after 5xx ms'" \
	vigil_log_has h1.vigild.log 'notify [^ ]*hang\.sh [A-Z]+: timed out \(signal (15|9)\) after [5-9][0-9]{2} ms'
check "h1: notify_master's leftover logged as killed" \
	vigil_log_has h1.vigild.log 'notify_<state> [^ ]*fork_keep\.sh MASTER: exit 0 after [0-9]+ ms \(processes it left behind killed\): left [0-9]+ running'
check "h1: notify_backup's double-forked leftover logged as killed" \
	vigil_log_has h1.vigild.log 'notify_<state> [^ ]*double_fork\.sh BACKUP: exit 0 after [0-9]+ ms \(processes it left behind killed\)'
check "h1: the hung check script failed on its timeout" \
	vigil_log_has h1.vigild.log 'check hang: failed.*(timeout|timed out)'
check "h1: the forking check script is ok" vigil_log_has h1.vigild.log 'check forky: ok'
check "h1 still MASTER with the VIP (priority 145: the hang check's penalty)" \
	eval 'lab_vip_held_by $VIP h1 && vigil_in_state h1.vigild.log MASTER && prio_is h1.vigild.log 145'

echo "== processes: every child in its script's group, none left, no zombie"
z1=$(lasting_zombies "$h1")
z2=$(lasting_zombies "$h2")
check "no lasting zombie child of either vigild (${z1:-none}; ${z2:-none})" test -z "$z1$z2"
capture_stop
read -r GAP NADV < <(tcpdump -r "$CAP" -n -tt "src host $H1 and ip proto 112" 2>/dev/null |
	awk '{ t = $1 * 1000; if (n++) { g = t - p; if (g > m) m = g } p = t } END { printf "%d %d\n", m, n }')
check "h1's adverts on time while scripts hang and fork: $NADV adverts, largest gap $GAP ms < 200" \
	test "${NADV:-0}" -ge 20 -a "${GAP:-99999}" -lt 200
check "h2 never took over on its Master_Down_Timer" \
	eval '! grep -q "BACKUP -> MASTER" "$LAB_DIR/h2.vigild.log"'

echo "== failover with every script misbehaving"
t0=$(now_ms)
lab_link_down h1
lab_wait_for 5000 lab_vip_held_by $VIP h2 >/dev/null
el=$(($(now_ms) - t0))
check "link down on h1: h2 holds the VIP alone ($el ms; Master_Down_Interval $MDI_H2 ms)" lab_vip_held_by $VIP h2
lab_wait_for 5000 has_rec master-h2 1 >/dev/null
lab_link_up h1
t0=$(now_ms)
lab_wait_for 5000 lab_vip_held_by $VIP h1 >/dev/null
el2=$(($(now_ms) - t0))
check "link up on h1: h1 holds the VIP alone again ($el2 ms)" lab_vip_held_by $VIP h1
lab_wait_for 5000 vigil_in_state h2.vigild.log BACKUP >/dev/null
# A last round of notify scripts (h2 BACKUP, h1 MASTER) has run.
lab_wait_for 5000 eval 'has_rec master-h1 2 && has_rec backup-h2 2' >/dev/null
z1=$(lasting_zombies "$h1")
z2=$(lasting_zombies "$h2")
check "no lasting zombie child of either vigild after the failover (${z1:-none}; ${z2:-none})" test -z "$z1$z2"

echo "== stop, then account for every process the scripts started"
vigil_term h1
vigil_term h2
total=0 alive= wrong_group= kinds=
for f in "$P"/*; do
	n=0
	while read -r kind spid cpid cpgid; do
		n=$((n + 1))
		lab_wait_for 2000 eval "lab_pid_gone $spid && lab_pid_gone $cpid" >/dev/null
		lab_pid_gone "$spid" || alive+=" $kind:script:$spid"
		lab_pid_gone "$cpid" || alive+=" $kind:child:$cpid"
		[ "$cpgid" = "$spid" ] || wrong_group+=" $kind:$cpid(pgid $cpgid, script $spid)"
	done <"$f"
	total=$((total + n))
	kinds+="$(basename "$f") $n, "
done
echo "    scripts run: ${kinds%, }"
check "every child ran in its script's process group ($total scripts)" test -z "$wrong_group"
check "no script and no child of one still runs ($((2 * total)) pids checked; alive:${alive:- none})" test -z "$alive"
# Should any survive (a regression), end them here, by pid: they would
# otherwise outlive the lab by 1000 s.
for x in $alive; do lab_kill "${x##*:}" KILL; done
# Every vigild log of the run (h1.vigild.log, h2.vigild.log).
n_to=$(cat "$LAB_DIR"/h[12].vigild.log | grep -c 'hang\.sh [A-Z]*: timed out' || true)
n_left=$(cat "$LAB_DIR"/h[12].vigild.log | grep -c 'left behind killed' || true)

echo "== figures"
echo "  $total scripts run (${kinds%, }); $n_to hung notify scripts killed at notify_timeout; $n_left notify scripts' leftovers killed (check scripts' leftovers: $(($(nrec check-forky-h1) + $(nrec check-forky-h2))) runs, each child gone)"
echo "  h1's adverts: $NADV captured, largest gap $GAP ms (interval 100 ms); failover on link down ${el} ms, back on link up ${el2} ms"
finish
