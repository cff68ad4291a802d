#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CI smoke test of the README's first command: test/lab/failover-lab.sh
# --quick (only the mysqld-killed case, data safety on) with the vigild
# ctest built. Passes when the script exits 0, reports that the VIP moved to
# h2 within 2 s, that the client's writes were acknowledged by h2, that the
# VIP came back to h1, that no acknowledged write was lost and two servers
# were never writable at once, and left no namespace, process or temp dir
# behind. Usage: failover_lab_smoke.sh PATH/TO/vigild
# Exit 0 pass, 1 fail, 77 skip (not root outside CI; under CI=true a
# missing prerequisite fails).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Only for lab_require / lab_skip_or_fail: the lab itself is failover-lab.sh's.
# shellcheck source=../lab/lab.sh
. "$here/../lab/lab.sh"

vigild=${1:?usage: failover_lab_smoke.sh PATH/TO/vigild}
lab_require python3 mariadb mariadbd mariadb-install-db nft arping keepalived
passed=0 failed=0
check() {
	local name=$1; shift
	if "$@"; then printf '  ok   %s\n' "$name"; passed=$((passed + 1))
	else printf '  FAIL %s\n' "$name"; failed=$((failed + 1)); fi
}

smoke_out=$(mktemp "${TMPDIR:-/tmp}/vigil-failover-smoke.XXXXXX") || exit 1
trap 'rm -f "$smoke_out"' EXIT
# On time-out SIGTERM: the script tears its lab down on TERM (KILL 30 s later).
timeout -k 30 -s TERM 240 bash "$here/../lab/failover-lab.sh" --quick --no-deps \
	--vigild "$vigild" >"$smoke_out" 2>&1
rc=$?
cat "$smoke_out"
echo "---"

check "failover-lab.sh exits 0 (got $rc)" test "$rc" -eq 0
check "it reports 1 of 1 cases passed" grep -q '^failover-lab: 1 of 1 cases passed' "$smoke_out"
# Summary row: "  mysqld killed      0.155 s   0.500 s  within     0.151 s ..."
# (VIP on h2, its target, the verdict, the first write acknowledged by h2)
row=$(grep -E '^  mysqld killed +[0-9]+\.[0-9]+ s ' "$smoke_out" | tail -n1)
read -r _ _ move _ _ _ _ served _ <<<"$row"
move_ms=$(awk -v s="${move:-x}" 'BEGIN { if (s ~ /^[0-9.]+$/) printf "%d", s * 1000; else print -1 }')
check "the VIP moved to h2 (${move:-?} s, limit 2 s)" test "$move_ms" -ge 0 -a "$move_ms" -le 2000
check "the client was served by h2 (after ${served:-?} s)" grep -qE '^[0-9.]+$' <<<"${served:-}"
check "the VIP came back to h1" grep -q 'VIP back on h1 after' "$smoke_out"
# Data row: "  mysqld killed       137      0          1      0.167 s        0 of 29"
row=$(grep -E '^  mysqld killed +[0-9]+ +[0-9?]+ +[0-9]+ +[0-9.]+ s +[0-9]+ of [0-9]+' "$smoke_out" | tail -n1)
read -r _ _ acked lost _ _ _ multi _ samples <<<"$row"
check "writes were acknowledged (${acked:-?})" grep -qE '^[1-9][0-9]*$' <<<"${acked:-}"
check "0 acknowledged writes lost (${lost:-?})" test "${lost:-x}" = 0
check "never two writable servers (${multi:-?} of ${samples:-?} samples)" \
	eval '[ "${multi:-x}" = 0 ] && [ "${samples:-0}" -gt 0 ]'

# Teardown: "namespaces vl123-{sw,h1,h2,c}, lab dir /tmp/vigil-lab.vl123.XXXX"
prefix=$(sed -n 's/.*namespaces \(vl[0-9]*\)-{.*/\1/p' "$smoke_out" | head -n1)
labdir=$(sed -n 's/.*, lab dir \(\/[^ ]*\)$/\1/p' "$smoke_out" | head -n1)
check "lab prefix and dir reported ($prefix, $labdir)" test -n "$prefix" -a -n "$labdir"
left_ns=$(ip netns list 2>/dev/null | awk -v p="$prefix-" 'index($1, p) == 1 { print $1 }')
check "no namespace left ($prefix-*)" test -n "$prefix" -a -z "$left_ns"
check "lab dir removed" test -n "$labdir" -a ! -e "${labdir:-/nonexistent}"
left_pids=
if [ -n "$labdir" ]; then
	# Expanded here, before grep's process exists, so grep never finds itself.
	procs=(/proc/[0-9]*/cmdline)
	for f in $(grep -lsF -- "$labdir" "${procs[@]}"); do
		f=${f#/proc/}; left_pids+=" ${f%/cmdline}"
	done
fi
check "no process of the lab left${left_pids:+ (pids$left_pids)}" test -z "$left_pids"

echo "failover_lab_smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
