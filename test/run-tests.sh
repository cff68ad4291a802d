#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's test command: install dependencies, build vigil with gcc,
# clang and gcc+ASan/UBSan (all -Werror) and the libFuzzer targets (clang),
# then run every test with ctest: unit and integration tests on the gcc
# build, unit tests again with clang and under the sanitizers (with the
# integration tests labelled asan), and each fuzz corpus replayed and each
# target fuzzed for a short while.
# Needs root (apt-get, network namespaces). Exit 0 only if all builds and
# all tests pass (under CI=true a skipped test is a failure); the last line
# says "N passed, N failed, N skipped".
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

# The libFuzzer targets (test/fuzz/): clang with ASan/UBSan and coverage;
# only the fuzz executables are built there (ctest -L fuzz below).
step "build fuzz"
cmake -S "$root" -B "$out/fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DVIGIL_FUZZ=ON >/dev/null
cmake --build "$out/fuzz" -j"$jobs" --target fuzz

passed=0 failed=0 skipped=0
run_ctest() {
  local dir=$1; shift
  local log; log=$(mktemp)
  step "ctest $(basename "$dir") $*"
  local rc=0
  ctest --test-dir "$dir" --output-on-failure "$@" 2>&1 | tee "$log" || rc=$?
  # ctest's summary: "100% tests passed, 0 tests failed out of 12"
  local line; line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1 || true)
  if [ -z "$line" ]; then
    echo "run-tests: ctest printed no summary" >&2; failed=$((failed + 1)); rm -f "$log"; return
  fi
  local f t
  f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  t=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  # ctest counts a skipped test (exit 77) as not failed: say how many
  # there were, and under CI=true count them as failures (nothing may
  # silently not run there).
  local s
  s=$(grep -cE '^[[:space:]]+[0-9]+ - .* \(Skipped\)$' "$log" || true)
  rm -f "$log"
  passed=$((passed + t - f - s)); failed=$((failed + f)); skipped=$((skipped + s))
  [ "${CI:-}" != true ] || failed=$((failed + s))
  [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || failed=$((failed + 1))
}
run_ctest "$out/gcc"
# The unit tests again with clang, and under ASan/UBSan with the
# integration tests labelled asan (the daemon's main paths: election,
# notify, status, reload, restart, a data-safety switchover).
run_ctest "$out/clang" -L unit
run_ctest "$out/asan" -L 'unit|asan'
# Every fuzz seed replayed, then each target fuzzed for 10 s.
run_ctest "$out/fuzz" -L fuzz

echo
echo "run-tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
