#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Data safety: kill -9 of the master's vigild beside a healthy database
# moves nothing. h1's VIP stays on its interface and its server keeps
# serving; h2 hears no advert, its Master_Down_Timer expires, and its
# witness finds the VIP served by h1's writable server: it stays BACKUP.
# Writes keep working. vigild restarted on h1 finds the VIP on its
# interface and its server writable, hears no other master for one
# Master_Down_Interval and adopts the VIP: nothing moves, the server is
# never made read-only, no write fails. DS_BASELINE=1: today's keys.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIP=$DB_VIP
DB_PROFILE=ds
h1='' h2=''

db_ds_pair_up 10
t2=$(vigil_transitions h2.vigild.log) m2=$(mark h2.vigild.log)

echo "== kill -9 of h1's vigild"
T0=$(_lab_now_us)
lab_kill "$h1" KILL
lab_wait_for 3000 lab_pid_gone "$h1" >/dev/null
read -r miss multi _ < <(db_watch 30 100 h1)
check "the VIP on h1 alone at every one of 30 samples over 3 s ($miss misses)" test "$miss" = 0
check "one writable server at every sample ($multi samples with more)" test "$multi" = 0
check "h2 stayed BACKUP (no state change)" test "$(vigil_transitions h2.vigild.log)" = "$t2"
[ "${DS_BASELINE:-0}" = 1 ] ||
	check "h2's witness found the VIP served by server_id 1" \
		eval "since h2.vigild.log $m2 | grep -q 'witness: VIP served by server_id 1'"
acked=$(db_writer_acked 1 "$T0") errs=$(db_writer_errors "" "$T0")
check "writes kept working ($acked acknowledged by h1, $errs failed)" \
	eval '[ "$acked" -ge 15 ] && [ "$errs" = 0 ]'

echo "== vigild restarted on h1"
T1=$(_lab_now_us)
vigil_run h1 run2
ms=$(lab_wait_for 5000 vigil_in_state h1.vigild.log MASTER)
check "h1's new vigild is MASTER ($ms ms after its start)" vigil_in_state h1.vigild.log MASTER
read -r miss multi any < <(db_watch 30 100 h1)
check "the VIP on h1 alone at every one of 30 samples over 3 s ($miss misses)" test "$miss" = 0
check "h1 writable and alone at every sample ($multi with more, $((30 - any)) with none)" \
	test "$multi/$any" = 0/30
check "h2 stayed BACKUP (no state change)" test "$(vigil_transitions h2.vigild.log)" = "$t2"
[ "${DS_BASELINE:-0}" = 1 ] ||
	check "h1's server was never made read-only (no 'role: read_only = ON' logged)" \
		eval '! vigil_log_has h1.vigild.log "role: read_only = ON"'
errs=$(db_writer_errors "" "$T1")
check "no write failed since the restart ($errs: $(db_writer_error_summary))" test "$errs" = 0
db_writer_stop
lost=$(db_writer_missing h1)
db_writer_report h1
check "0 acknowledged writes lost ($lost missing on h1)" test "$lost" = 0
finish
