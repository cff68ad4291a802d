#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault injection: vigild on the master killed with SIGKILL and started
# again, twenty times in a row, while the peer is healthy.
#
# A SIGKILL leaves the VIP on the interface (nobody removes it) and sends
# no priority 0: the peer takes over when its Master_Down_Timer expires,
# and the new vigild must find the stale VIP ("removed stale VIP ... this
# node starts as BACKUP") so that two hosts never answer for it; with
# preempt on it then takes the VIP back. Meanwhile a sampler
# (vip_sampler.py) reads every 20 ms which host carries the VIP.
#
# Asserted, over the twenty rounds: the VIP never on both hosts for longer
# than one Master_Down_Interval, never on neither for longer than one
# Master_Down_Interval (the sampler's own span: first to last sample of a
# run, which it certainly lasted); every new vigild found and removed the
# stale VIP; h1 MASTER with the VIP alone after each round. The worst
# figures are printed (with the bracket sample-before to sample-after).
#
# Usage: bash fault_kill_restart.sh PATH/TO/vigild
. "$(dirname "$0")/vigil_lab.sh"
. "$here/fault_lab.sh"
lab_require python3

VIP=198.18.0.100
ROUNDS=${FAULT_ROUNDS:-20}
lab_add_host h1 && lab_add_host h2 || exit 1
# Shipped timing (adverts every 200 ms): h2 (100) Skew_Time 121 ms,
# Master_Down_Interval 721 ms; h1 (150) 682 ms.
MDI=721
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 advert_interval=
vigil_conf "$LAB_DIR/h2.ini" router_id=h2 priority=100 advert_interval=

vigil_run h1 0
lab_wait_for 5000 lab_vip_held_by $VIP h1 >/dev/null
vigil_run h2 0
lab_wait_for 5000 vigil_in_state h2.vigild.log BACKUP >/dev/null
check "start: h1 MASTER with the VIP, h2 BACKUP" \
	eval 'lab_vip_held_by $VIP h1 && vigil_in_state h2.vigild.log BACKUP'

fl_sample_start $VIP "$LAB_DIR/holders" $((ROUNDS * 400)) $((ROUNDS * 6 + 10)) h1 h2
stale_found=0
back=0
rows=()
for ((r = 1; r <= ROUNDS; r++)); do
	t0=$(_lab_now_us)
	lab_kill "$h1" KILL
	lab_wait_for 3000 lab_pid_gone "$h1" >/dev/null || { echo "round $r: vigild $h1 survived SIGKILL" >&2; break; }
	left=$(lab_vip_holder $VIP)
	vigil_run h1 "$r"
	# The round ends when the new vigild is MASTER, the VIP on h1 alone,
	# h2 BACKUP (log events and the interface; bounded).
	lab_wait_for 10000 vigil_in_state h1.vigild.log MASTER >/dev/null
	lab_wait_for 5000 lab_vip_held_by $VIP h1 >/dev/null
	lab_wait_for 5000 vigil_in_state h2.vigild.log BACKUP >/dev/null
	t1=$(_lab_now_us)
	ok=0
	if lab_vip_held_by $VIP h1 && vigil_in_state h2.vigild.log BACKUP; then ok=1; back=$((back + 1)); fi
	found=0
	! vigil_log_has h1.vigild.log "removed stale VIP $VIP/24" || { found=1; stale_found=$((stale_found + 1)); }
	runs=$(fl_holder_runs "$LAB_DIR/holders" "$t0" "$t1")
	took=$(python3 -c 'import re,sys; l=open(sys.argv[1]).read(); m=re.search(r"(\d\d:\d\d:\d\d\.\d{3}) vigild info: instance vi: BACKUP -> MASTER \(([a-z-]+)", l); print(m.group(2) if m else "?")' "$LAB_DIR/h1.vigild.log")
	rows+=("$(printf '%2d  VIP left on: %-3s  stale VIP removed: %s  h1 back by: %-18s  two holders: %s..%s ms  no holder: %s..%s ms  back: %s' \
		"$r" "${left:--}" "$([ $found = 1 ] && echo yes || echo no)" "$took" \
		"$(fl_kv "$runs" two_lo_ms)" "$(fl_kv "$runs" two_hi_ms)" \
		"$(fl_kv "$runs" none_lo_ms)" "$(fl_kv "$runs" none_hi_ms)" \
		"$([ $ok = 1 ] && echo "$(((t1 - t0) / 1000)) ms" || echo NO)")")
	printf '  %s\n' "${rows[-1]}"
done
fl_sample_stop
all=$(fl_holder_runs "$LAB_DIR/holders")

check "every round: the killed vigild left the VIP on h1, and the new one found and removed it ($stale_found of $ROUNDS)" \
	test "$stale_found" -eq "$ROUNDS"
check "every round: h1 MASTER with the VIP alone again, h2 BACKUP ($back of $ROUNDS)" test "$back" -eq "$ROUNDS"
check "sampled every $(fl_kv "$all" period_ms) ms ($(fl_kv "$all" samples) samples, largest gap $(fl_kv "$all" gap_ms) ms)" \
	test "$(fl_kv "$all" samples)" -ge $((ROUNDS * 10))
check "never two holders for longer than one Master_Down_Interval (worst $(fl_kv "$all" two_lo_ms) ms <= $MDI; $(fl_kv "$all" two_runs) runs)" \
	test "$(fl_kv "$all" two_lo_ms)" -le "$MDI"
check "never no holder for longer than one Master_Down_Interval (worst $(fl_kv "$all" none_lo_ms) ms <= $MDI; $(fl_kv "$all" none_runs) runs)" \
	test "$(fl_kv "$all" none_lo_ms)" -le "$MDI"
check "h1 holds the VIP alone at the end" lab_vip_held_by $VIP h1

echo "== figures ($ROUNDS rounds of kill -9 and restart of the master's vigild; Master_Down_Interval $MDI ms)"
echo "  worst: two holders $(fl_kv "$all" two_lo_ms) ms (at most $(fl_kv "$all" two_hi_ms) ms between the samples around it, $(fl_kv "$all" two_runs) runs);" \
	"no holder $(fl_kv "$all" none_lo_ms) ms (at most $(fl_kv "$all" none_hi_ms) ms, $(fl_kv "$all" none_runs) runs)"
echo "  sampler: $(fl_kv "$all" samples) samples, every $(fl_kv "$all" period_ms) ms, largest gap $(fl_kv "$all" gap_ms) ms"
h2t=$(grep -cE 'instance vi: BACKUP -> MASTER' "$LAB_DIR/h2.vigild.log" || true)
echo "  h2 took over $h2t times (master-down-timer: $(grep -c 'BACKUP -> MASTER (master-down-timer' "$LAB_DIR/h2.vigild.log" || true))"
finish
