#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages and `cmake --install`:
#   1. mandoc -T lint on man/*: no message at all at level warning or worse;
#   2. every key of agent/config_keys.c's tables is an item of
#      man/vigil.ini.5 (and every key item there is a key of the code), every
#      command of agent/control_proto.c's table is an item of man/vigilctl.8,
#      every long option of vigild and vigilctl is in its page;
#   3. cmake --install into a temporary DESTDIR, with the default prefix and
#      with another one: the expected files exist, the unit's vigild paths
#      and the pages' paths follow the prefix, and each installed page is
#      linted again (style level too, with its cross-references resolved
#      against the installed pages) and rendered by mandoc and man -l
#      without a message.
# Needs no root. Exit 0 pass, 1 fail, 77 skip (a tool missing, outside CI;
# under CI=true a test that cannot run fails).
# Usage: man_install.sh SOURCE_DIR BUILD_DIR [CMAKE]
set -u
SRC=${1:?usage: $0 SOURCE_DIR BUILD_DIR [CMAKE]}
BUILD=${2:?usage: $0 SOURCE_DIR BUILD_DIR [CMAKE]}
CMAKE=${3:-cmake}
PAGES="vigild.8 vigilctl.8 vigil.ini.5"
FAIL=0

fail() { echo "FAIL: $*"; FAIL=1; }
cannot_run() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $* (CI=true: a test that cannot run fails)"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

command -v mandoc >/dev/null 2>&1 || cannot_run "mandoc is not installed (apt-get install mandoc)"
command -v "$CMAKE" >/dev/null 2>&1 || cannot_run "cmake ($CMAKE) not found"
for p in $PAGES; do
	[ -f "$SRC/man/$p" ] || fail "man/$p is missing"
done
[ "$FAIL" -eq 0 ] || exit 1

TMP=$(mktemp -d /tmp/vigil-man-install.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

# ---- 1. lint the sources ------------------------------------------------
# -W warning: every message of level warning, error or unsupported. The
# style level is checked on the installed pages below, where the
# cross-references can be resolved.
for p in $PAGES; do
	mandoc -T lint -W warning "$SRC/man/$p" >"$TMP/lint" 2>&1
	rc=$?
	# mandoc also prints notes about the system's own mandoc.db, which are
	# not about the page.
	grep -v '^mandoc: outdated mandoc.db' "$TMP/lint" >"$TMP/lint.msgs"
	if [ "$rc" -ge 2 ] || [ -s "$TMP/lint.msgs" ]; then
		fail "mandoc -T lint -W warning man/$p (exit $rc):"
		sed 's/^/    /' "$TMP/lint.msgs"
	fi
done

# ---- 2. every key, command and option is documented ---------------------
# The key tables of config_keys.c: from "static const struct config_keydef
# NAME_keys[] = {" to "};". An entry is a line that starts with "{" or a
# macro call "XX(" and whose first token is a string: the key's name.
extract_keys() { # TABLE
	sed -n "/^static const struct config_keydef $1_keys\[\] = {/,/^};/p" \
		"$SRC/agent/config_keys.c" |
		sed -n 's/^[[:space:]]*\({\|[A-Z_][A-Z0-9_]*(\)[[:space:]]*"\([a-z0-9_]*\)".*/\2/p'
}
: >"$TMP/keys"
for table in global instance check quorum; do
	extract_keys "$table" >"$TMP/keys.$table"
	n=$(wc -l <"$TMP/keys.$table")
	[ "$n" -gt 0 ] || fail "no key found in agent/config_keys.c's ${table}_keys table (has its layout changed?)"
	cat "$TMP/keys.$table" >>"$TMP/keys"
done
# The extractor must find keys of every kind of entry (macro and brace).
for k in router_id vrid checksum type command etcd_endpoints quorum_lost; do
	grep -qx "$k" "$TMP/keys" || fail "extractor missed key '$k' of agent/config_keys.c"
done
# Key items of the page: ".It Cm KEY Li = ...".
sed -n 's/^\.It Cm \([a-z0-9_]*\) Li =.*/\1/p' "$SRC/man/vigil.ini.5" | sort -u >"$TMP/documented"
missing=$(sort -u "$TMP/keys" | comm -23 - "$TMP/documented" | tr '\n' ' ')
[ -z "$missing" ] || fail "keys of agent/config_keys.c missing from man/vigil.ini.5: $missing"
stale=$(sort -u "$TMP/keys" | comm -13 - "$TMP/documented" | tr '\n' ' ')
[ -z "$stale" ] || fail "man/vigil.ini.5 documents keys that agent/config_keys.c does not have: $stale"
echo "vigil.ini.5: $(sort -u "$TMP/keys" | wc -l) keys in agent/config_keys.c, $(wc -l <"$TMP/documented") documented"

# The control commands: "[CONTROL_CMD_X] = { "name", ...".
sed -n 's/^[[:space:]]*\[CONTROL_CMD_[A-Z_]*\][[:space:]]*=[[:space:]]*{[[:space:]]*"\([a-z_]*\)".*/\1/p' \
	"$SRC/agent/control_proto.c" >"$TMP/commands"
[ -s "$TMP/commands" ] || fail "no command found in agent/control_proto.c's table (has its layout changed?)"
for c in $(cat "$TMP/commands"); do
	grep -q "^\.It Cm $c\( \|$\)" "$SRC/man/vigilctl.8" ||
		fail "vigilctl command '$c' (agent/control_proto.c) is not an item of man/vigilctl.8"
done
echo "vigilctl.8: commands $(tr '\n' ' ' <"$TMP/commands")"

# Long options: { "name", ... } in each program's longopts table.
check_options() { # SOURCE PAGE
	sed -n '/struct option longopts\[\] = {/,/};/p' "$SRC/agent/$1" |
		sed -n 's/^[[:space:]]*{[[:space:]]*"\([a-z-]*\)".*/\1/p' >"$TMP/opts"
	[ -s "$TMP/opts" ] || fail "no long option found in agent/$1"
	for o in $(cat "$TMP/opts"); do
		# Written ".Fl \-name" in the page.
		grep -qF "Fl \\-$o" "$SRC/man/$2" ||
			fail "option --$o (agent/$1) is not in man/$2"
	done
}
check_options main.c vigild.8
check_options vigilctl.c vigilctl.8

# ---- 3. install, then read what was installed ---------------------------
# install PREFIX: cmake --install into $TMP/root.N with that prefix.
n=0
install_into() {
	n=$((n + 1))
	DEST=$TMP/root.$n
	PREFIX=$1
	if ! DESTDIR=$DEST "$CMAKE" --install "$BUILD" --prefix "$PREFIX" >"$TMP/install.log" 2>&1; then
		fail "cmake --install $BUILD --prefix $PREFIX (DESTDIR=$DEST) failed:"
		sed 's/^/    /' "$TMP/install.log"
		return 1
	fi
	# The unit directory as configured (VIGIL_SYSTEMD_UNIT_DIR).
	UNITDIR=$(sed -n 's/^VIGIL_SYSTEMD_UNIT_DIR:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
	case $UNITDIR in
	/*) ;;
	*) UNITDIR=$PREFIX/${UNITDIR:-lib/systemd/system} ;;
	esac
	return 0
}

check_installed() {
	R=$DEST$PREFIX
	for f in sbin/vigild sbin/vigilctl; do
		[ -x "$R/$f" ] || fail "[$PREFIX] $f not installed (or not executable)"
	done
	for f in share/man/man8/vigild.8 share/man/man8/vigilctl.8 share/man/man5/vigil.ini.5 \
		share/doc/vigil/README.md share/doc/vigil/examples/vigil.ini \
		share/doc/vigil/examples/vigil.service; do
		[ -f "$R/$f" ] || fail "[$PREFIX] $f not installed"
	done
	for d in "$SRC"/docs/*.md; do
		[ -f "$R/share/doc/vigil/$(basename "$d")" ] ||
			fail "[$PREFIX] share/doc/vigil/$(basename "$d") not installed"
	done
	unit=$DEST$UNITDIR/vigil.service
	if [ ! -f "$unit" ]; then
		fail "[$PREFIX] the systemd unit is not in $UNITDIR"
	else
		# Every Exec*= line that runs vigild runs the installed one.
		grep '^Exec[A-Za-z]*=.*vigild' "$unit" >"$TMP/exec"
		[ -s "$TMP/exec" ] || fail "[$PREFIX] no Exec line runs vigild in $UNITDIR/vigil.service"
		while read -r line; do
			prog=$(printf '%s\n' "$line" | sed 's/^[^=]*=[-@:+!]*//; s/[[:space:]].*//')
			[ "$prog" = "$PREFIX/sbin/vigild" ] ||
				fail "[$PREFIX] vigil.service runs $prog, not $PREFIX/sbin/vigild: $line"
			[ -x "$DEST$prog" ] || fail "[$PREFIX] vigil.service runs $prog, which is not installed"
		done <"$TMP/exec"
		if [ "$PREFIX" != /usr/local ] && grep -q '/usr/local/s\(bin\|hare/doc\)' "$unit"; then
			fail "[$PREFIX] vigil.service still names /usr/local: $(grep -n /usr/local/s "$unit")"
		fi
	fi
	man=$R/share/man
	grep -qF "$UNITDIR/vigil.service" "$man/man8/vigild.8" ||
		fail "[$PREFIX] the installed vigild.8 does not name $UNITDIR/vigil.service"
	grep -qF "$PREFIX/share/doc/vigil/data-safety.md" "$man/man5/vigil.ini.5" ||
		fail "[$PREFIX] the installed vigil.ini.5 does not name $PREFIX/share/doc/vigil/data-safety.md"
	for f in "$man/man8/vigild.8" "$man/man8/vigilctl.8" "$man/man5/vigil.ini.5"; do
		[ -f "$f" ] || continue
		page=${f#"$DEST"}
		# Style level too. "referenced manual not found" is accepted
		# only for other packages' pages (keepalived(8), systemctl(1),
		# ...), which this machine may lack; vigil's own pages must be
		# found among those just installed.
		MANPATH=$man:$(manpath 2>/dev/null || echo /usr/share/man) \
			mandoc -T lint -W style "$f" >"$TMP/lint" 2>&1
		rc=$?
		grep -v '^mandoc: outdated mandoc.db' "$TMP/lint" |
			grep -v 'STYLE: referenced manual not found: Xr \(keepalived\|keepalived.conf\|mysqld\|systemctl\|execve\) ' \
			>"$TMP/lint.msgs"
		if [ "$rc" -ge 2 ] || [ -s "$TMP/lint.msgs" ]; then
			fail "mandoc -T lint -W style $page (exit $rc):"
			sed 's/^/    /' "$TMP/lint.msgs"
		fi
		if ! mandoc -T utf8 -W warning "$f" >"$TMP/out" 2>"$TMP/err" || [ ! -s "$TMP/out" ] ||
			grep -qv '^mandoc: outdated mandoc.db' "$TMP/err"; then
			fail "mandoc -T utf8 $page: $(cat "$TMP/err")"
		fi
		if command -v man >/dev/null 2>&1; then
			if ! MANWIDTH=80 man -l "$f" >"$TMP/out" 2>"$TMP/err" || [ ! -s "$TMP/out" ] ||
				[ -s "$TMP/err" ]; then
				fail "man -l $page: $(cat "$TMP/err")"
			fi
		fi
	done
	echo "installed with prefix $PREFIX: binaries, $(ls "$man"/man*/* 2>/dev/null | wc -l) man pages, docs, unit in $UNITDIR"
}

if install_into /usr/local; then
	check_installed
fi
if install_into /opt/vigil-test; then
	check_installed
	if grep -rlF /usr/local/share/doc/vigil "$DEST/opt/vigil-test/share/man" >"$TMP/stale"; then
		fail "installed pages still name /usr/local/share/doc/vigil: $(cat "$TMP/stale")"
	fi
fi
command -v man >/dev/null 2>&1 || echo "note: man is not installed; pages rendered with mandoc only"

if [ "$FAIL" -ne 0 ]; then
	echo "man_install: FAILED"
	exit 1
fi
echo "man_install: ok"
exit 0
