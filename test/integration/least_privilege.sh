#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Least privilege, on one vigild in the netns lab:
#  - the capability masks of the running vigild (/proc/PID/status): only
#    CAP_NET_ADMIN, CAP_NET_RAW, CAP_SETUID, CAP_SETGID and CAP_KILL, in
#    the permitted, effective and bounding sets; nothing inheritable or
#    ambient; the start-up log line says so;
#  - with script_user = nobody a script check and a notify program run as
#    nobody, without any capability;
#  - refused at start (exit 1, FILE:LINE and the fix): a world-writable
#    script, a group-writable configuration, a world-readable
#    mysql_defaults_file, a world-writable notify program, an unknown
#    script_user;
#  - refused on reload (vigilctl reload exits 1 with the message, nothing
#    changes): the same three files;
#  - vigilctl restart: the same pid, the same masks, scripts still run as
#    nobody; a restart with a group-writable configuration is refused
#    before the exec;
#  - a reload without script_user: the script runs as root, with the kept
#    capabilities only.
#
# Usage: bash least_privilege.sh PATH/TO/vigild [PATH/TO/vigilctl]
. "$(dirname "$0")/vigil_lab.sh"

VIGILCTL=${2:-$(dirname "$VIGILD")/vigilctl}
[ -x "$VIGILCTL" ] || { echo "vigilctl not found at $VIGILCTL" >&2; exit 2; }
id nobody >/dev/null 2>&1 || lab_skip_or_fail "no user nobody on this host"
VIP=198.18.0.100
lab_add_host h1 || exit 1
S1=$LAB_DIR/h1.sock
NOBODY=$(id -u nobody)
# CAP_KILL 5, CAP_SETGID 6, CAP_SETUID 7, CAP_NET_ADMIN 12, CAP_NET_RAW 13.
KEPT=00000000000030e0
NONE=0000000000000000

# nobody must reach the programs below the lab dir (0700), and write its
# answers into out/ (not sticky: root, without CAP_FOWNER, replaces them
# there too at the end).
chmod 0711 "$LAB_DIR"
BIN=$LAB_DIR/bin
OUT=$LAB_DIR/out
mkdir -m 0755 "$BIN"
mkdir -m 0777 "$OUT"
cat >"$BIN/who.sh" <<EOF
#!/bin/sh
# Script check: who runs me, with which capabilities.
printf '%s %s\n' "\$(id -u)" "\$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)" >"$OUT/who.tmp" &&
	mv -f "$OUT/who.tmp" "$OUT/who"
EOF
cat >"$BIN/notify.sh" <<EOF
#!/bin/sh
# notify: "uid STATE" per change.
echo "\$(id -u) \$3" >>"$OUT/notify"
EOF
cp "$BIN/who.sh" "$BIN/ww.sh"
cp "$BIN/notify.sh" "$BIN/ww-notify.sh"
chmod 0755 "$BIN/who.sh" "$BIN/notify.sh"
chmod 0757 "$BIN/ww.sh" "$BIN/ww-notify.sh"
printf '[client]\nuser = vigil\npassword = secret\n' >"$LAB_DIR/client.cnf"
chmod 0644 "$LAB_DIR/client.cnf"

check_who="$(printf '[check who]\ntype = script\ncommand = %s\ninterval = 200ms\nrise = 1\npenalty = 60\n' "$BIN/who.sh")"
vigil_conf "$LAB_DIR/h1.ini" router_id=h1 priority=150 global_extra="script_user = nobody" \
	notify="$BIN/notify.sh" extra="track = who" tail="$check_who"
cp -p "$LAB_DIR/h1.ini" "$LAB_DIR/good.ini"
# line KEY FILE: the line of "KEY = ..." in FILE.
line() { grep -n "^$1 = " "$2" | head -n1 | cut -d: -f1; }
# caps PID FIELD: the hex mask of CapInh, CapPrm, CapEff, CapBnd or CapAmb.
caps() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
masks() { printf 'Inh %s Prm %s Eff %s Bnd %s Amb %s' "$(caps "$1" CapInh)" "$(caps "$1" CapPrm)" \
	"$(caps "$1" CapEff)" "$(caps "$1" CapBnd)" "$(caps "$1" CapAmb)"; }
WANT_MASKS="Inh $NONE Prm $KEPT Eff $KEPT Bnd $KEPT Amb $NONE"
who_is() { [ "$(cat "$OUT/who" 2>/dev/null)" = "$1" ]; }

echo "== the capabilities of a running vigild"
vigil_run h1 1
ms=$(lab_wait_for 5000 lab_vip_held_by $VIP h1)
check "h1 holds the VIP ($ms ms)" lab_vip_held_by $VIP h1
got=$(masks "$h1")
echo "    $got"
check "only the kept capabilities, in the permitted, effective and bounding sets" \
	test "$got" = "$WANT_MASKS"
check "the start-up line names them" vigil_log_has h1.vigild.log \
	'capabilities: kept cap_net_admin cap_net_raw cap_setuid cap_setgid cap_kill \(permitted, effective, bounding\); every other capability dropped'

echo "== script_user = nobody"
lab_wait_for 3000 who_is "$NOBODY $NONE" >/dev/null
check "the script check runs as nobody ($NOBODY), without capabilities ($(cat "$OUT/who" 2>/dev/null))" \
	who_is "$NOBODY $NONE"
lab_wait_for 3000 grep -q MASTER "$OUT/notify" >/dev/null
check "the notify program runs as nobody: $(tr '\n' ',' <"$OUT/notify")" \
	test "$(cat "$OUT/notify")" = "$(printf '%s BACKUP\n%s MASTER' "$NOBODY" "$NOBODY")"
check "vigild -t names script_user" \
	eval '"$VIGILD" -t -f "$LAB_DIR/h1.ini" | grep -qx "script_user nobody: script checks and notify programs run as nobody"'

echo "== refused at start"
# refused_at_start NAME FILE MESSAGE: vigild -f FILE exits 1 and says
# MESSAGE (a fixed string). Should it start anyway, h1's control socket
# would stop it (exit 3) before it touches anything.
refused_at_start() {
	lab_exec h1 "$VIGILD" -f "$2" >"$LAB_DIR/start.out" 2>&1
	local rc=$?
	check "$1: exit 1 ($rc)" test "$rc" -eq 1
	grep -qF -- "$3" "$LAB_DIR/start.out" || sed 's/^/    /' "$LAB_DIR/start.out"
	check "$1: the message names the file, mode, owner and fix" grep -qF -- "$3" "$LAB_DIR/start.out"
}
sed "s|^command = .*|command = $BIN/ww.sh|" "$LAB_DIR/good.ini" >"$LAB_DIR/ww.ini"
refused_at_start "a world-writable script" "$LAB_DIR/ww.ini" \
	"$LAB_DIR/ww.ini:$(line command "$LAB_DIR/ww.ini"): check who: command: $BIN/ww.sh is writable by group or others (mode 0757, owner uid 0): run chmod go-w $BIN/ww.sh"
cp "$LAB_DIR/good.ini" "$LAB_DIR/gw.ini"
chmod 0664 "$LAB_DIR/gw.ini"
refused_at_start "a group-writable configuration" "$LAB_DIR/gw.ini" \
	"$LAB_DIR/gw.ini: $LAB_DIR/gw.ini is writable by group or others (mode 0664, owner uid 0): run chmod go-w $LAB_DIR/gw.ini"
sed "s|^script_user = nobody|&\nmysql_defaults_file = $LAB_DIR/client.cnf|" "$LAB_DIR/good.ini" >"$LAB_DIR/wr.ini"
refused_at_start "a world-readable mysql_defaults_file" "$LAB_DIR/wr.ini" \
	"$LAB_DIR/wr.ini:$(line mysql_defaults_file "$LAB_DIR/wr.ini"): mysql_defaults_file $LAB_DIR/client.cnf is accessible by group or others (mode 0644, owner uid 0) and holds a password: run chmod 600 $LAB_DIR/client.cnf"
sed "s|^notify = .*|notify = $BIN/ww-notify.sh|" "$LAB_DIR/good.ini" >"$LAB_DIR/wn.ini"
refused_at_start "a world-writable notify program" "$LAB_DIR/wn.ini" \
	"$LAB_DIR/wn.ini:$(line notify "$LAB_DIR/wn.ini"): notify: $BIN/ww-notify.sh is writable by group or others (mode 0757, owner uid 0): run chmod go-w $BIN/ww-notify.sh"
sed "s|^script_user = nobody|script_user = vigil-no-such-user|" "$LAB_DIR/good.ini" >"$LAB_DIR/nu.ini"
refused_at_start "an unknown script_user" "$LAB_DIR/nu.ini" \
	"$LAB_DIR/nu.ini:$(line script_user "$LAB_DIR/nu.ini"): script_user: no user 'vigil-no-such-user' on this host"
check "h1 still runs, MASTER, holding the VIP" \
	eval 'lab_pid_alive "$h1" && vigil_in_state h1.vigild.log MASTER && lab_vip_held_by $VIP h1'

echo "== refused on reload"
t0=$(vigil_transitions h1.vigild.log)
# refused_on_reload NAME MESSAGE: vigilctl reload (h1.ini as the case left
# it) exits 1 and answers MESSAGE; then h1.ini is restored.
refused_on_reload() {
	"$VIGILCTL" -s "$S1" reload >"$LAB_DIR/reload.out" 2>&1
	local rc=$?
	check "$1: vigilctl reload exits 1 ($rc)" test "$rc" -eq 1
	grep -qF -- "$2" "$LAB_DIR/reload.out" || sed 's/^/    /' "$LAB_DIR/reload.out"
	check "$1: the answer says why" grep -qF -- "$2" "$LAB_DIR/reload.out"
	cp "$LAB_DIR/good.ini" "$LAB_DIR/h1.ini"
	chmod 0644 "$LAB_DIR/h1.ini"
}
cp "$LAB_DIR/ww.ini" "$LAB_DIR/h1.ini"
refused_on_reload "a world-writable script" \
	"$LAB_DIR/h1.ini:$(line command "$LAB_DIR/h1.ini"): check who: command: $BIN/ww.sh is writable by group or others (mode 0757, owner uid 0): run chmod go-w $BIN/ww.sh"
chmod 0664 "$LAB_DIR/h1.ini"
refused_on_reload "a group-writable configuration" \
	"$LAB_DIR/h1.ini: $LAB_DIR/h1.ini is writable by group or others (mode 0664, owner uid 0): run chmod go-w $LAB_DIR/h1.ini"
cp "$LAB_DIR/wr.ini" "$LAB_DIR/h1.ini"
refused_on_reload "a world-readable mysql_defaults_file" \
	"mysql_defaults_file $LAB_DIR/client.cnf is accessible by group or others (mode 0644, owner uid 0) and holds a password: run chmod 600 $LAB_DIR/client.cnf"
check "the log says the reloads were refused (3)" \
	test "$(grep -c 'reload refused: .* has errors; the running configuration stays' "$LAB_DIR/h1.vigild.log")" -eq 3
check "no state change, the VIP still on h1" \
	eval 'test "$(vigil_transitions h1.vigild.log)" -eq "$t0" && lab_vip_held_by $VIP h1'
rm -f "$OUT/who"
lab_wait_for 2000 who_is "$NOBODY $NONE" >/dev/null
check "the script check still runs as nobody" who_is "$NOBODY $NONE"
"$VIGILCTL" -s "$S1" reload >"$LAB_DIR/reload.out" 2>&1
check "the good file reloads ($(head -c 100 "$LAB_DIR/reload.out"))" grep -q '^reloaded ' "$LAB_DIR/reload.out"

echo "== vigilctl restart"
before=$(masks "$h1")
"$VIGILCTL" -s "$S1" -t 10 restart >"$LAB_DIR/restart.out" 2>&1
check "restarted, same pid ($(head -c 120 "$LAB_DIR/restart.out"))" \
	grep -q "^restarted: .*pid $h1, restart 1: 1 instance(s), 1 resumed as MASTER" "$LAB_DIR/restart.out"
got=$(masks "$h1")
echo "    $got"
check "the same masks after the restart" test "$got" = "$before"
check "... the kept capabilities only" test "$got" = "$WANT_MASKS"
check "the restarted vigild logged its capabilities again" \
	test "$(grep -c 'capabilities: kept cap_net_admin cap_net_raw cap_setuid cap_setgid cap_kill' "$LAB_DIR/h1.vigild.log")" -eq 2
rm -f "$OUT/who"
lab_wait_for 3000 who_is "$NOBODY $NONE" >/dev/null
check "after the restart the script check still runs as nobody" who_is "$NOBODY $NONE"
chmod 0664 "$LAB_DIR/h1.ini"
"$VIGILCTL" -s "$S1" -t 10 restart >"$LAB_DIR/restart.out" 2>&1
rc=$?
check "a restart with a group-writable configuration is refused (exit $rc)" \
	grep -qF "error: restart refused: $LAB_DIR/h1.ini: $LAB_DIR/h1.ini is writable by group or others (mode 0664, owner uid 0): run chmod go-w $LAB_DIR/h1.ini; vigild goes on unchanged" \
	"$LAB_DIR/restart.out"
chmod 0644 "$LAB_DIR/h1.ini"
check "... and the old process goes on, MASTER, with the same masks" \
	eval 'lab_pid_alive "$h1" && vigil_in_state h1.vigild.log MASTER && test "$(masks "$h1")" = "$WANT_MASKS"'

echo "== without script_user: root, with the kept capabilities only"
t0=$(vigil_transitions h1.vigild.log) # the restart logged INIT -> MASTER (restart)
sed -i '/^script_user = /d' "$LAB_DIR/h1.ini"
"$VIGILCTL" -s "$S1" reload >"$LAB_DIR/reload.out" 2>&1
check "reloaded without script_user ($(head -c 120 "$LAB_DIR/reload.out"))" \
	grep -q '^reloaded .*checks: 0 kept, 1 restarted' "$LAB_DIR/reload.out"
rm -f "$OUT/who"
lab_wait_for 3000 who_is "0 $KEPT" >/dev/null
check "the script check runs as root with CapEff $KEPT ($(cat "$OUT/who" 2>/dev/null))" who_is "0 $KEPT"
check "no state change" test "$(vigil_transitions h1.vigild.log)" -eq "$t0"

vigil_term h1
finish
