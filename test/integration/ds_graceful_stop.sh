#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Data safety: SIGTERM of the master's vigild is a switchover. h1 makes its
# server read-only, ends its users' sessions, then sends priority 0 and
# releases the VIP; h2 takes the VIP at once and opens its server after its
# gate (h1 answers: h2 waits for h1's final position). A writer through the
# VIP throughout: 0 acknowledged writes lost, never two writable servers;
# the longest time without a successful write is printed. DS_BASELINE=1:
# today's keys.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds
h1='' h2=''

db_ds_pair_up 20

echo "== SIGTERM of h1's vigild"
m1=$(mark h1.vigild.log)
T0=$(_lab_now_us)
lab_kill "$h1" TERM
# Sample until h2 holds the VIP alone with its server writable: never two
# writable servers, and h1 read-only whenever the VIP is no longer on it.
multi=0 early=0 done_ms=
end=$(($(now_ms) + 10000))
for ((i = 0; i < 2000; i++)); do
	[ "$(now_ms)" -lt "$end" ] || break
	holder=$(lab_vip_holder $VIP) w=$(db_writable_hosts)
	[ "${w// /}" = "$w" ] || multi=$((multi + 1))
	[[ " $holder " == *" h1 "* ]] || [ "$(db_read_only h1)" = 1 ] || early=$((early + 1))
	if [ "$holder" = h2 ] && [ "$w" = h2 ]; then done_ms=$((($(_lab_now_us) - T0) / 1000)); break; fi
	sleep 0.02
done
ms=$(lab_wait_for 3000 lab_pid_gone "$h1")
check "h1's vigild exited ($ms ms after the switchover ended)" lab_pid_gone "$h1"
check "h2 holds the VIP alone with the only writable server (${done_ms:-not within 10000} ms after SIGTERM)" \
	test -n "$done_ms"
check "never two writable servers ($multi samples with more)" test "$multi" = 0
check "h1 was read-only whenever it no longer held the VIP ($early samples not)" test "$early" = 0
check "h1's server is read-only" db_is_read_only h1
[ "${DS_BASELINE:-0}" = 1 ] || {
	check "h1 logged read_only = ON before it released the VIP" \
		eval "since h1.vigild.log $m1 | grep -E 'role: read_only = ON|VIPs released|-> INIT' | head -n1 | grep -q 'read_only = ON'"
	check "h2 logged its gate opening" vigil_log_has h2.vigild.log 'gate: open after'
	echo "   h2: $(grep -E 'gate: open after' "$LAB_DIR/h2.vigild.log" | tail -n1 | sed 's/.*gate: //')"
}
T1=$(_lab_now_us)
ms=$(db_writer_wait_acked $(($(db_writer_acked 2) + 10)) 5000 2)
check "h2 acknowledges writes" test "$(db_writer_acked 2 "$T1")" -ge 10
db_writer_stop
lost=$(db_writer_missing h2)
echo "   longest time without a successful write around the switchover: $(db_writer_max_gap_ms $((T0 - 1000000))) ms"
db_writer_report h2
check "0 acknowledged writes lost ($lost missing on h2)" test "$lost" = 0
finish
