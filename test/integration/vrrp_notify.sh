#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Notify scripts (docs/design.md "Notify"): every state change runs
# notify_<state> with its own arguments, then notify with "INSTANCE name
# STATE priority", in order, with the VIGIL_* environment, after the change
# is carried out (VIP added before MASTER is reported, removed before the
# rest). A script that hangs is killed at notify_timeout and logged, and
# failover goes on regardless.
. "$(dirname "$0")/vigil_lab.sh"

VIP=198.18.0.100
lab_add_host h1 && lab_add_host h2 && lab_add_host c || exit 1
# 100 ms adverts (RFC 5798 6.1): h1 (150) Master_Down_Interval 341 ms,
# h2 (100) Skew_Time 60 ms, Master_Down_Interval 360 ms.
MDI_H1=341
MDI_H2=360
SKEW_H2=60

# A variable of the test's (and so of vigild's) environment: scripts must
# not see it (notify.h: scripts get only PATH and VIGIL_*).
export VIGIL_TEST_LEAK=daemon-env

nlines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
has_lines() { [ "$(nlines "$1")" -ge "$2" ]; }

# The recorder: notify.sh FILE ARGS... appends one line to FILE: the
# arguments, their count, the VIGIL_* environment, whether this host's
# eth0 holds the VIP at that moment, and PATH / leak checks.
REC=$LAB_DIR/notify.sh
cat >"$REC" <<EOF
#!/bin/sh
f=\$1
shift
held=no
ip -4 -o addr show dev eth0 | grep -q ' $VIP/' && held=yes
printf '%s | argc=%s state=%s prev=%s prio=%s vips=%s inst=%s rid=%s held=%s path=%s leak=%s\n' \\
	"\$*" "\$#" "\$VIGIL_STATE" "\$VIGIL_PREV_STATE" "\$VIGIL_PRIORITY" "\$VIGIL_VIPS" \\
	"\$VIGIL_INSTANCE" "\$VIGIL_ROUTER_ID" "\$held" "\$PATH" "\${VIGIL_TEST_LEAK:-unset}" >>"\$f"
EOF
chmod 0755 "$REC"

# notify_conf HOST PRIORITY: HOST.ini with the recorder as notify (file
# HOST.notify) and as notify_master with two arguments, one with a blank.
notify_conf() {
	vigil_conf "$LAB_DIR/$1.ini" router_id="$1" priority="$2" \
		notify="$REC $LAB_DIR/$1.notify" \
		extra="notify_master = $REC $LAB_DIR/$1.notify master \"two words\""
}

# expect_line N STATE PREV PRIO HELD: the generic notify line.
expect_line() {
	printf 'INSTANCE vi %s %s | argc=4 state=%s prev=%s prio=%s vips=%s/24 inst=vi rid=%s held=%s path=/usr/sbin:/usr/bin:/sbin:/bin leak=unset\n' \
		"$2" "$4" "$2" "$3" "$4" "$VIP" "$1" "$5"
}
# expect_master HOST PREV PRIO: the notify_master line.
expect_master() {
	printf 'master two words | argc=2 state=MASTER prev=%s prio=%s vips=%s/24 inst=vi rid=%s held=yes path=/usr/sbin:/usr/bin:/sbin:/bin leak=unset\n' \
		"$2" "$3" "$VIP" "$1"
}

# same_file NAME GOT WANT: compare, print a diff on mismatch.
same_file() {
	if diff -u "$2" "$3" >"$LAB_DIR/diff.out"; then return 0; fi
	sed 's/^/      /' "$LAB_DIR/diff.out"
	return 1
}

notify_conf h1 150
notify_conf h2 100
check "vigild -t accepts the notify config" eval '"$VIGILD" -t -f "$LAB_DIR/h1.ini" >/dev/null'

echo "== h1 alone: BACKUP, then MASTER"
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
ms=$(lab_wait_for 3000 has_lines "$LAB_DIR/h1.notify" 3)
check "h1 ran 3 notify commands ($ms ms)" has_lines "$LAB_DIR/h1.notify" 3
check "h1 holds the VIP" lab_vip_held_by $VIP h1
vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
h2=$LAB_PID
lab_wait_for 3000 has_lines "$LAB_DIR/h2.notify" 1 >/dev/null
check "h2 reported BACKUP" has_lines "$LAB_DIR/h2.notify" 1

echo "== h1 link down: FAULT"
lab_link_down h1
lab_wait_for 3000 has_lines "$LAB_DIR/h1.notify" 4 >/dev/null
lab_wait_for 3000 vip_on h2 >/dev/null
check "h2 took the VIP" lab_vip_held_by $VIP h2

echo "== h1 link up: BACKUP, then MASTER"
lab_link_up h1
lab_wait_for 3000 has_lines "$LAB_DIR/h1.notify" 7 >/dev/null
lab_wait_for 3000 lab_vip_held_by $VIP h1 >/dev/null
check "h1 holds the VIP again" lab_vip_held_by $VIP h1

echo "== SIGTERM h1: STOP"
lab_kill "$h1" TERM
lab_wait_for 3000 lab_pid_gone "$h1" >/dev/null
check "h1's vigild exited" lab_pid_gone "$h1"
lab_wait_for 3000 lab_vip_held_by $VIP h2 >/dev/null
# h2's MASTER scripts (notify_master, then notify) run one after the
# other: stop it only once both have reported, or the second may look
# for the VIP after the stop removed it.
lab_wait_for 3000 has_lines "$LAB_DIR/h2.notify" 6 >/dev/null
lab_kill "$h2" TERM
lab_wait_for 3000 lab_pid_gone "$h2" >/dev/null
check "h2's vigild exited" lab_pid_gone "$h2"

{
	expect_line h1 BACKUP INIT 150 no
	expect_master h1 BACKUP 150
	expect_line h1 MASTER BACKUP 150 yes
	expect_line h1 FAULT MASTER 150 no
	expect_line h1 BACKUP FAULT 150 no
	expect_master h1 BACKUP 150
	expect_line h1 MASTER BACKUP 150 yes
	expect_line h1 STOP MASTER 150 no
} >"$LAB_DIR/h1.want"
check "h1's notify lines, exactly and in order" same_file h1 "$LAB_DIR/h1.notify" "$LAB_DIR/h1.want"
check "h1: notify_master ran right before notify for each MASTER" \
	test "$(grep -n '' "$LAB_DIR/h1.notify" | sed -nE 's/^([0-9]+):(master two words|INSTANCE vi MASTER) .*/\1:\2/p' | tr '\n' ' ')" \
	= "2:master two words 3:INSTANCE vi MASTER 6:master two words 7:INSTANCE vi MASTER "
{
	expect_line h2 BACKUP INIT 100 no
	expect_master h2 BACKUP 100
	expect_line h2 MASTER BACKUP 100 yes
	expect_line h2 BACKUP MASTER 100 no
	expect_master h2 BACKUP 100
	expect_line h2 MASTER BACKUP 100 yes
	expect_line h2 STOP MASTER 100 no
} >"$LAB_DIR/h2.want"
check "h2's notify lines, exactly and in order" same_file h2 "$LAB_DIR/h2.notify" "$LAB_DIR/h2.want"
check "vigild logged each notify's exit 0" \
	test "$(grep -cE 'instance vi: notify(_<state>)? [^ ]*notify\.sh [A-Z]+: exit 0 after' "$LAB_DIR/h1.vigild.log")" -eq 8
mv "$LAB_DIR/h1.vigild.log" "$LAB_DIR/h1.recorder.log"
mv "$LAB_DIR/h2.vigild.log" "$LAB_DIR/h2.recorder.log"

echo "== a notify script that hangs is killed at notify_timeout"
# hang.sh: records "its pid, its child's pid, its arguments", then waits for
# a 100 s sleep. vigild must kill both (the script's process group).
HANG=$LAB_DIR/hang.sh
cat >"$HANG" <<EOF
#!/bin/sh
sleep 100 &
echo "\$\$ \$! \$*" >>"$LAB_DIR/hang.pids"
wait
EOF
chmod 0755 "$HANG"
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 notify="$HANG" \
	extra="notify_timeout = 500ms"
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100
t0=$(now_ms)
vigil_start h1 "$LAB_DIR/h1.ini" || exit 1
h1=$LAB_PID
lab_wait_for 3000 lab_vip_held_by $VIP h1 >/dev/null
el=$(($(now_ms) - t0))
check "h1 alone holds the VIP while its BACKUP notify hangs" lab_vip_held_by $VIP h1
check_ms "... within h1's Master_Down_Interval + 300 ms of start" "$el" $((MDI_H1 + 300))
check "the hanging BACKUP notify is running" \
	eval "grep -q ' INSTANCE vi BACKUP 150\$' '$LAB_DIR/hang.pids'"
# Killed at 500 ms: SIGTERM to the process group; sh and sleep die of it.
ms=$(lab_wait_for 2000 vigil_log_has h1.vigild.log 'notify [^ ]*hang\.sh BACKUP: timed out')
check "vigild logged the BACKUP notify as timed out ($ms ms)" \
	vigil_log_has h1.vigild.log 'notify [^ ]*hang\.sh BACKUP: timed out \(signal (15|9)\) after [0-9]+ ms'
d=$(sed -nE 's/.*hang\.sh BACKUP: timed out \(signal [0-9]+\) after ([0-9]+) ms.*/\1/p' "$LAB_DIR/h1.vigild.log" | head -n1)
# vigild's own measure (fork to reap, so the SIGTERM came before it):
# the script must have had its full notify_timeout, and not much more.
check "... not before notify_timeout: 500 <= ${d:-?} ms <= 500 + 300 (vigild's measure)" \
	test "${d:-0}" -ge 500 -a "${d:-0}" -le 800
read -r p1 p2 _ <"$LAB_DIR/hang.pids"
lab_wait_for 1000 eval "lab_pid_gone $p1 && lab_pid_gone $p2" >/dev/null
check "the script ($p1) and its child ($p2) are gone" eval "lab_pid_gone $p1 && lab_pid_gone $p2"

vigil_start h2 "$LAB_DIR/h2.ini" || exit 1
h2=$LAB_PID
lab_wait_for 3000 vigil_in_state h2.vigild.log BACKUP >/dev/null
echo "== failover while h1's notify scripts hang"
t0=$(now_ms)
lab_link_down h1
lab_wait_for 3000 vip_on h2 >/dev/null
el=$(($(now_ms) - t0))
check "h2 took the VIP" lab_vip_held_by $VIP h2
check_ms "... within Master_Down_Interval + 150 ms of h1's link loss" "$el" $((MDI_H2 + 150))
check "h1 logged MASTER -> FAULT" vigil_log_has h1.vigild.log 'MASTER -> FAULT \(link-down'
t0=$(now_ms)
lab_link_up h1
lab_wait_for 3000 lab_vip_held_by $VIP h1 >/dev/null
el=$(($(now_ms) - t0))
check "h1 took the VIP back after link up" lab_vip_held_by $VIP h1
check_ms "... within h1's Master_Down_Interval + 300 ms" "$el" $((MDI_H1 + 300))
check "a client's ARP for the VIP is answered by h1 only" test "$(lab_arp_owner c $VIP)" = h1
t0=$(now_ms)
lab_kill "$h1" TERM
lab_wait_for 3000 lab_vip_held_by $VIP h2 >/dev/null
el=$(($(now_ms) - t0))
check "SIGTERM: h2 took the VIP" lab_vip_held_by $VIP h2
check_ms "... within Skew_Time + 150 ms, notify hanging or not" "$el" $((SKEW_H2 + 150))
# The stop waits for the STOP notify at most notify_timeout + 1 s (agent.c).
lab_wait_for 4000 lab_pid_gone "$h1" >/dev/null
el=$(($(now_ms) - t0))
check "h1's vigild exited" lab_pid_gone "$h1"
check_ms "... within notify_timeout + 1 s + 500 ms of SIGTERM" "$el" $((500 + 1000 + 500))
n=$(grep -cE 'notify [^ ]*hang\.sh [A-Z]+: timed out' "$LAB_DIR/h1.vigild.log")
check "vigild logged several hung notify scripts as timed out ($n)" test "$n" -ge 2
# Every hang.sh started must be gone with its child once vigild is gone.
alive=
while read -r p1 p2 _; do
	lab_pid_gone "$p1" || alive+=" $p1"
	lab_pid_gone "$p2" || alive+=" $p2"
done <"$LAB_DIR/hang.pids"
check "no hang.sh or its sleep survives vigild ($(wc -l <"$LAB_DIR/hang.pids") started; alive:${alive:- none})" \
	test -z "$alive"
finish
