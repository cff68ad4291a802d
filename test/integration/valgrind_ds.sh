#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild with manage_read_only under valgrind, beside real MariaDB servers:
# cold start (read_only asserted), election, the promotion gate (epoch row,
# read_only = OFF), a witness probe, peer polls, then SIGTERM: the
# switchover demotion (read_only = ON) before the VIP goes. valgrind must
# report no error and no leak in any of it.
. "$(dirname "$0")/vigil_lab.sh"
. "$here/db_lab.sh"
lab_require valgrind

VIP=$DB_VIP
DB_PROFILE=ds db_lab_up || exit 1
db_ds_conf h1 150 || exit 1

lab_spawn h1 h1.vigild.log valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no \
	--log-file="$LAB_DIR/valgrind.txt" "$VIGILD" -f "$LAB_DIR/h1.ini" >/dev/null
pid=$LAB_PID
ms=$(lab_wait_for 30000 db_is_writable h1)
check "vigild under valgrind became master and opened the gate ($ms ms)" db_is_writable h1
check "h1 holds the VIP" lab_vip_held_by $VIP h1
check "the gate wrote an epoch" vigil_log_has h1.vigild.log 'epoch [0-9]+ written'
check "the witness probed the VIP before the takeover on silence" \
	vigil_log_has h1.vigild.log 'witness: VIP not served'
# vigilctl status shows the role, under valgrind too.
"$(dirname "$VIGILD")/vigilctl" -s "$LAB_DIR/h1.sock" -t 10 status --json >"$LAB_DIR/status.json"
check "vigilctl status --json answers" test -s "$LAB_DIR/status.json"
check "status: MASTER, role writable, eligible, an epoch, semi-sync AFTER_SYNC" python3 -c '
import json, sys
i = json.load(open(sys.argv[1]))["instances"][0]
d = i["dataSafety"]
sys.exit(not (i["state"] == "MASTER" and d["manageReadOnly"] and d["mode"] == "writable"
              and d["eligible"] and d["epoch"] > 0 and d["stats"]["gatesOpened"] == 1
              and d["semiSync"] == "AFTER_SYNC"))' \
	"$LAB_DIR/status.json"
"$(dirname "$VIGILD")/vigilctl" -s "$LAB_DIR/h1.sock" -t 10 status >"$LAB_DIR/status.txt"
check "status table: the data-safety line" \
	grep -Eq '^  data safety  writable, eligible: .*, epoch [1-9][0-9]*, semi-sync AFTER_SYNC' "$LAB_DIR/status.txt"
lab_kill "$pid" TERM
lab_wait_for 30000 lab_pid_gone "$pid" >/dev/null
check "vigild exited after SIGTERM" lab_pid_gone "$pid"
check "h1's server is read-only after the stop (switchover)" db_is_read_only h1
check "VIP removed at stop" lab_vip_held_by $VIP ""
check "vigild logged a clean stop" vigil_log_has h1.vigild.log 'stopped$'
check "valgrind: no errors, no leaks (report empty)" test ! -s "$LAB_DIR/valgrind.txt"
[ -s "$LAB_DIR/valgrind.txt" ] && cat "$LAB_DIR/valgrind.txt"
finish
