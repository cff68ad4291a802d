#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reload with data safety and real MariaDB servers.
#  1. On the master, while a client writes through the VIP: five reloads
#     (the same file, a new base priority, a new check timeout, a notify
#     script, back again). No write attempt fails, the peer sees no
#     transition, h1 never loses the VIP (ip monitor), the server stays
#     writable, 0 acknowledged writes lost.
#  2. A reload that arrives during a promotion gate waits for it: h2 is a
#     replica delayed by MASTER_DELAY = 3 s, h1's mysqld is killed, h2 takes
#     the VIP and gates; `vigilctl reload` on h2 answers that it waits, and
#     the reload is carried out only after the gate opened.
. "$(dirname "$0")/vigil_lab.sh"
# shellcheck source=db_lab.sh
. "$here/db_lab.sh"

VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
[ -x "$VIGILCTL" ] || { echo "vigilctl not found at $VIGILCTL" >&2; exit 2; }
VIP=$DB_VIP
DB_PROFILE=ds
DELAY=3
h1='' h2=''

db_ds_pair_up 20
lab_spawn h1 h1.addrmon.log ip -o -ts monitor address dev eth0 >/dev/null

echo "== five reloads on the master while the client writes"
h2_changes=$(vigil_transitions h2.vigild.log)
h1_changes=$(vigil_transitions h1.vigild.log)
T0=$(_lab_now_us)
cp "$LAB_DIR/h1.ini" "$LAB_DIR/h1.orig"
printf '#!/bin/sh\nexit 0\n' >"$LAB_DIR/true.sh"
chmod 0755 "$LAB_DIR/true.sh"
variants=(
	"cp $LAB_DIR/h1.orig $LAB_DIR/h1.ini"
	"sed -i 's/^priority = 150/priority = 160/' $LAB_DIR/h1.ini"
	"sed -i 's/^timeout = 400ms/timeout = 500ms/' $LAB_DIR/h1.ini"
	"sed -i 's|^\\[instance vi\\]|&\\nnotify = $LAB_DIR/true.sh|' $LAB_DIR/h1.ini"
	"cp $LAB_DIR/h1.orig $LAB_DIR/h1.ini"
)
n=0
for v in "${variants[@]}"; do
	eval "$v"
	before=$(db_writer_acked)
	if "$VIGILCTL" -s "$LAB_DIR/h1.sock" reload >"$LAB_DIR/answer" 2>&1; then
		n=$((n + 1))
	else
		sed 's/^/    /' "$LAB_DIR/answer"
	fi
	# Writes go on between reloads: wait for a few more acknowledgments.
	db_writer_wait_acked $((before + 5)) 5000 >/dev/null
done
check "5 of 5 reloads done ($n)" test "$n" = 5
check "the reload with a new timeout restarted the ping check" vigil_log_has h1.vigild.log "checks: 0 kept, 1 restarted"
T1=$(_lab_now_us)
errs=$(db_writer_errors "" "$T0")
check "no write attempt failed during the reloads ($errs; $(db_writer_error_summary))" test "$errs" = 0
check "writes were acknowledged throughout ($(db_writer_acked 1 "$T0") by h1)" test "$(db_writer_acked 1 "$T0")" -ge 25
echo "   longest time without an acknowledged write: $(db_writer_max_gap_ms "$T0" "$T1") ms"
check "no transition on h2" test "$(vigil_transitions h2.vigild.log)" = "$h2_changes"
check "no transition on h1" test "$(vigil_transitions h1.vigild.log)" = "$h1_changes"
check "the VIP never left h1" eval "! grep -q 'Deleted.* inet $VIP/' $LAB_DIR/h1.addrmon.log"
check "h1's server is still writable" db_is_writable h1
check "h2's server is still read-only" db_is_read_only h2

echo "== a reload during a promotion gate waits for it"
db_writer_stop
check "0 acknowledged writes lost so far ($(db_writer_missing h1) missing on h1)" test "$(db_writer_missing h1)" = 0
db_master_delay h2 $DELAY || { echo "cannot delay h2" >&2; exit 1; }
db_writer_start 3000 60 || exit 1
db_writer_wait_acked 20 8000 1 >/dev/null
# Let the delayed replica's backlog build up.
v1=$(awk '$4 == "ok" { print $1; exit }' "$DB_WRITER_LOG")
lab_wait_for $(((DELAY + 5) * 1000)) eval "[ \"\$(db_sql h2 'SELECT COUNT(*) FROM appdb.w WHERE v = $v1')\" = 1 ]" >/dev/null
m2=$(mark h2.vigild.log)
db_mysqld_signal h1 KILL
ms=$(lab_wait_for 5000 log_has_after h2.vigild.log "$((m2 - 1))" 'gate: (IO thread stopped|old master .* does not answer|the witness found)')
check "h2 is in its promotion gate ($ms ms after the kill)" \
	log_has_after h2.vigild.log "$((m2 - 1))" 'gate: (IO thread stopped|old master .* does not answer|the witness found)'
"$VIGILCTL" -s "$LAB_DIR/h2.sock" reload >"$LAB_DIR/answer" 2>&1
rc=$?
check "vigilctl reload answers at once (exit $rc)" test "$rc" = 0
check "... that the reload waits for the gate ($(head -c 160 "$LAB_DIR/answer"))" grep -q "waits for a promotion gate on instance vi" "$LAB_DIR/answer"
ms=$(lab_wait_for 15000 vigil_log_has h2.vigild.log "deferred reload: reloaded")
check "the reload ran after the gate ($ms ms later)" vigil_log_has h2.vigild.log "deferred reload: reloaded"
open_line=$(grep -n 'gate: open after' "$LAB_DIR/h2.vigild.log" | tail -n1 | cut -d: -f1)
reload_line=$(grep -n 'deferred reload: reloaded' "$LAB_DIR/h2.vigild.log" | tail -n1 | cut -d: -f1)
check "... in that order (gate open at line ${open_line:-none}, reload at ${reload_line:-none})" \
	test "${open_line:-999999}" -lt "${reload_line:-0}"
check "h2 holds the VIP with a writable server" eval "lab_vip_held_by $VIP h2 && db_is_writable h2"
T2=$(_lab_now_us)
db_writer_wait_acked $(($(db_writer_acked 2) + 10)) 5000 2 >/dev/null
db_writer_stop
check "h2 acknowledges writes after the gate" test "$(db_writer_acked 2 "$T2")" -ge 1
lost=$(db_writer_missing h2)
db_writer_report h2
check "0 acknowledged writes lost ($lost missing on h2)" test "$lost" = 0
finish
