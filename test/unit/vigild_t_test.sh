#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Black-box test of `vigild -t`: the sample passes; broken files fail with
# exit 1, exact FILE:LINE: messages on stderr and nothing on stdout.
# Usage: vigild_t_test.sh PATH/TO/vigild [SOURCE_DIR]
set -u
VIGILD=${1:?usage: $0 PATH/TO/vigild [SOURCE_DIR]}
SRC=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d /tmp/vigild-t-test.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
FAIL=0

fail() { echo "FAIL: $*"; FAIL=1; }

# run NAME: runs vigild -t -f NAME, leaving rc, out, err
run() {
	"$VIGILD" -t -f "$1" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# The sample configuration: exit 0, summary and "configuration OK".
run "$SRC/etc/vigil.ini"
[ "$rc" -eq 0 ] || fail "sample: exit $rc, stderr: $(cat "$TMP/err")"
grep -qx "configuration OK" "$TMP/out" || fail "sample: no 'configuration OK' on stdout"
grep -q "^instance writer: eth0 vrid 51" "$TMP/out" || fail "sample: no instance summary"
grep -q "^instance writer6: eth0 vrid 51, VRRPv3 over IPv6" "$TMP/out" ||
	fail "sample: no summary of the IPv6 instance"
grep -q "^  virtual_ip: 2001:db8:1::100/64" "$TMP/out" || fail "sample: the IPv6 VIP not printed"
grep -q "^  peers: multicast ff02::12" "$TMP/out" || fail "sample: the IPv6 group not printed"
if grep -v ": warning: " "$TMP/err" | grep -q .; then
	fail "sample: stderr has more than warnings: $(cat "$TMP/err")"
fi

# The sample manages read_only: one line names the role check, the database
# peers, the witness and the promotion gate.
grep -qx "  manage_read_only yes: role_check ping, database_peers 198.18.0.2:3306, witness yes (witness_timeout 300ms), promote_timeout 30s, promote_on_timeout stay_read_only, stop_replication_on_promote yes, role_timeout 2s" "$TMP/out" ||
	fail "sample: no data-safety line: $(cat "$TMP/out")"

# The effective-priority table: each check failed and degraded against the
# peer, and a warning (with the penalty's line) when a failure cannot move
# the VIP: keepalived users' most common mistake.
grep -Eq "^  ping failed +50  the peer takes the VIP$" "$TMP/out" ||
	fail "sample: table row for ping failed missing: $(cat "$TMP/out")"
grep -Eq "^  lag degraded +145  the VIP stays here$" "$TMP/out" ||
	fail "sample: table row for lag degraded missing"
grep -q "warning: instance writer: with check" "$TMP/err" &&
	fail "sample: unexpected priority warning: $(cat "$TMP/err")"
printf '[instance a]\ninterface = lo\nvrid = 1\npriority = 150\nvirtual_ip = 198.18.0.1/24\ntrack = p\n[check p]\ntype = tcp\nhost = 127.0.0.1\nport = 1\npenalty = 40\n' >"$TMP/weak.ini"
run "$TMP/weak.ini"
[ "$rc" -eq 0 ] || fail "weak penalty: exit $rc (a warning must not fail -t)"
grep -qF "$TMP/weak.ini:11: warning: instance a: with check p failed the priority is 110, which a healthy peer of priority 100 does not take over from" "$TMP/err" ||
	fail "weak penalty: warning missing: $(cat "$TMP/err")"
"$VIGILD" -t --peer-priority 120 -f "$TMP/weak.ini" >"$TMP/out" 2>"$TMP/err"
grep -Eq "^  p failed +110  the peer takes the VIP$" "$TMP/out" ||
	fail "--peer-priority 120: row missing: $(cat "$TMP/out")"
grep -q "warning: instance a: with check p failed" "$TMP/err" &&
	fail "--peer-priority 120: warning not expected"
"$VIGILD" -t --peer-priority 0 -f "$TMP/weak.ini" >"$TMP/out" 2>"$TMP/err"
[ $? -eq 64 ] || fail "--peer-priority 0: expected exit 64"

# expect_broken FILE EXPECTED_STDERR_LINE: exit 1, the exact line on
# stderr, stdout empty.
expect_broken() {
	run "$1"
	[ "$rc" -eq 1 ] || fail "$1: exit $rc, expected 1"
	grep -qxF "$2" "$TMP/err" || fail "$1: stderr lacks '$2'; got: $(cat "$TMP/err")"
	[ -s "$TMP/out" ] && fail "$1: stdout not empty: $(cat "$TMP/out")"
	return 0
}

BASE='[instance a]
interface = eth0
vrid = 1
virtual_ip = 198.18.0.10/24'

printf '%s\npriority = 300\n' "$BASE" >"$TMP/range.ini"
expect_broken "$TMP/range.ini" "$TMP/range.ini:5: priority: 300 is out of range 1..255"

printf '%s\nvrid = 2\n' "$BASE" >"$TMP/twice.ini"
expect_broken "$TMP/twice.ini" \
	"$TMP/twice.ini:5: key 'vrid' given twice in [instance a] (first at line 3)"

printf '%s\n[check c]\ntype = tcp\nhost = 127.0.0.1\nport = 1\nwarn_lag = 5s\n' "$BASE" >"$TMP/type.ini"
expect_broken "$TMP/type.ini" "$TMP/type.ini:9: key 'warn_lag' is not valid for a check of type tcp"

{ printf '%s\n; ' "$BASE"; i=0; while [ $i -lt 30 ]; do printf 'xxxxxxxxxx'; i=$((i + 1)); done; echo; } >"$TMP/long.ini"
expect_broken "$TMP/long.ini" "$TMP/long.ini:5: line is 302 characters long; the limit is 197"

printf '[instance b]\n' >"$TMP/missing.ini"
expect_broken "$TMP/missing.ini" "$TMP/missing.ini:1: instance 'b' is missing required key 'virtual_ip'"

printf '%s\nmanage_read_only = yes\n' "$BASE" >"$TMP/norole.ini"
expect_broken "$TMP/norole.ini" "$TMP/norole.ini:5: instance a: manage_read_only needs a mysql_ping or mysql_replication check: track one or set role_check"

printf '%s\ntrack = p\nmanage_read_only = yes\n[instance b]\ninterface = eth0\nvrid = 2\nvirtual_ip = 198.18.0.20/24\ntrack = p\nmanage_read_only = yes\n[check p]\ntype = mysql_ping\nhost = 127.0.0.1\n' "$BASE" >"$TMP/tworo.ini"
expect_broken "$TMP/tworo.ini" "$TMP/tworo.ini:12: instance b: manage_read_only: instance 'a' (line 6) already manages read_only; at most one instance per server may"

# A missing file is an error too.
expect_broken "$TMP/nonexistent.ini" "$TMP/nonexistent.ini: cannot open: No such file or directory"

# Without -t the daemon refuses credentials it cannot use safely, before
# touching anything: a missing defaults file, then one others can read.
sed -e "s|^mysql_defaults_file = .*|mysql_defaults_file = $TMP/client.cnf|" \
	"$SRC/etc/vigil.ini" >"$TMP/run.ini"
"$VIGILD" -f "$TMP/run.ini" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" -eq 1 ] || fail "missing defaults file: exit $rc, expected 1"
grep -q "mysql_defaults_file $TMP/client.cnf: No such file or directory" "$TMP/err" ||
	fail "missing defaults file: message missing: $(cat "$TMP/err")"
printf '[client]\nuser = vigil\npassword = secret\n' >"$TMP/client.cnf"
chmod 644 "$TMP/client.cnf"
"$VIGILD" -f "$TMP/run.ini" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" -eq 1 ] || fail "readable defaults file: exit $rc, expected 1"
grep -q "is accessible by group or others (mode 0644, owner uid [0-9]*).*chmod 600 $TMP/client.cnf" "$TMP/err" ||
	fail "readable defaults file: message missing: $(cat "$TMP/err")"

# The configuration file itself: group-writable, it is refused too (the
# defaults file above is still readable by others, so nothing can start).
chmod 664 "$TMP/run.ini"
"$VIGILD" -f "$TMP/run.ini" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" -eq 1 ] || fail "group-writable configuration: exit $rc, expected 1"
grep -qF "$TMP/run.ini: $TMP/run.ini is writable by group or others (mode 0664, owner uid $(id -u)): run chmod go-w $TMP/run.ini" "$TMP/err" ||
	fail "group-writable configuration: message missing: $(cat "$TMP/err")"
# -t only warns about it: the file may be checked elsewhere.
run "$TMP/run.ini"
[ "$rc" -eq 0 ] || fail "-t on a group-writable configuration: exit $rc, expected 0"
grep -q "warning: $TMP/run.ini is writable by group or others.*(vigild will refuse it at start)" "$TMP/err" ||
	fail "-t on a group-writable configuration: warning missing: $(cat "$TMP/err")"
chmod 644 "$TMP/run.ini"

# script_user must exist on this host, for -t too (no script could run);
# without it, -t warns that scripts run as root.
printf '[global]\nscript_user = vigil-no-such-user\n%s\nnotify = /bin/true\n' "$BASE" >"$TMP/user.ini"
expect_broken "$TMP/user.ini" "$TMP/user.ini:2: script_user: no user 'vigil-no-such-user' on this host (script checks and notify programs run as that user)"
printf '%s\nnotify = /bin/true\n' "$BASE" >"$TMP/root.ini"
run "$TMP/root.ini"
[ "$rc" -eq 0 ] || fail "no script_user: exit $rc, expected 0"
grep -q "root.ini:5: warning: script checks and notify programs run as root" "$TMP/err" ||
	fail "no script_user: warning missing: $(cat "$TMP/err")"

# Usage errors.
"$VIGILD" --bogus >"$TMP/out" 2>"$TMP/err"
[ $? -eq 64 ] || fail "--bogus: expected exit 64"

[ "$FAIL" -eq 0 ] && echo "vigild -t: all checks passed"
exit "$FAIL"
