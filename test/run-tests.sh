#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's test command: install dependencies, build vigil with gcc,
# clang and gcc+ASan/UBSan (all -Werror), then run every test with ctest:
# unit and integration tests on the gcc build, unit tests again under the
# sanitizers. Needs root (apt-get, network namespaces). Exit 0 only if all
# builds and all tests pass; the last line says "N passed, N failed".
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${VIGIL_BUILD_DIR:-$root/build}
jobs=$(nproc)

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
"$root/test/deps.sh"

build() {
  local dir=$1; shift
  step "build $(basename "$dir")"
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}
build "$out/gcc"   -DCMAKE_C_COMPILER=gcc
build "$out/clang" -DCMAKE_C_COMPILER=clang
build "$out/asan"  -DCMAKE_C_COMPILER=gcc -DVIGIL_SANITIZE=ON

passed=0 failed=0
run_ctest() {
  local dir=$1; shift
  local log; log=$(mktemp)
  step "ctest $(basename "$dir") $*"
  local rc=0
  ctest --test-dir "$dir" --output-on-failure "$@" 2>&1 | tee "$log" || rc=$?
  # ctest's summary: "100% tests passed, 0 tests failed out of 12"
  local line; line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1 || true)
  rm -f "$log"
  if [ -z "$line" ]; then echo "run-tests: ctest printed no summary" >&2; failed=$((failed + 1)); return; fi
  local f t
  f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  t=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  passed=$((passed + t - f)); failed=$((failed + f))
  [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || failed=$((failed + 1))
}
run_ctest "$out/gcc"
run_ctest "$out/asan" -L unit

echo
echo "run-tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
