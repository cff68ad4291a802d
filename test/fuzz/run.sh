#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Replay every seed corpus, then fuzz each target for a while.
#
# Usage: test/fuzz/run.sh BUILD_DIR [SECONDS]
#   BUILD_DIR  a build configured with -DCMAKE_C_COMPILER=clang -DVIGIL_FUZZ=ON
#              (cmake --build BUILD_DIR --target fuzz)
#   SECONDS    how long to fuzz each target (default 10; 0: replay only)
#
# For each test/fuzz/corpus/TARGET/: fuzz_TARGET runs every seed once
# (-runs=0), then fuzzes for SECONDS (-max_total_time) starting from the
# seeds. New inputs go to a temporary directory, never into the committed
# corpus; crashes, leaks and hangs are written there too (its path is
# printed first). Targets run one after the other: the machines this runs
# on have few cores, shared with other work.
#
# Exit 0 when every replay and run finished clean; 1 otherwise, with the
# reproducer's path ("reproduce: fuzz_X FILE"). Nothing is skipped: a
# missing binary or corpus is a failure. The work directory is removed on
# success unless VIGIL_FUZZ_KEEP=1 (to look at the new inputs of a long run).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() { echo "usage: $0 BUILD_DIR [SECONDS]" >&2; exit 2; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
build=$1
secs=${2:-10}
[[ $secs =~ ^[0-9]+$ ]] || usage
[ -d "$build" ] || { echo "run.sh: no build directory $build" >&2; exit 1; }
bin=$(cd "$build" && pwd)/test/fuzz
corpus=$here/corpus

targets=()
for d in "$corpus"/*/; do
	targets+=("$(basename "$d")")
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "run.sh: no corpus under $corpus" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fuzz.XXXXXX") || exit 1
echo "run.sh: ${#targets[@]} targets, ${secs}s each; new inputs and artifacts in $work"

# Sanitizer reports with a stack, and a stop at the first error (the
# build already sets -fno-sanitize-recover; this keeps ASan in line).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}

failed=0
# fail TARGET PHASE LOG: report one failure with its reproducer.
fail() {
	local t=$1 phase=$2 log=$3 a found=0
	failed=$((failed + 1))
	echo "FAIL: fuzz_$t ($phase); log $log"
	grep -E '^(==[0-9]+==ERROR|SUMMARY|[^ ]*runtime error)' "$log" | head -n 5 | sed 's/^/    /'
	for a in "$work/artifacts/$t/"*; do
		[ -e "$a" ] || continue
		found=1
		echo "    reproduce: $bin/fuzz_$t $a"
	done
	[ "$found" = 1 ] || tail -n 15 "$log" | sed 's/^/    /'
}

# stat NAME LOG: a -print_final_stats value (empty if absent).
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

for t in "${targets[@]}"; do
	exe=$bin/fuzz_$t
	seeds=$(find "$corpus/$t" -type f | wc -l)
	if [ ! -x "$exe" ]; then
		echo "FAIL: $exe missing (cmake --build $build --target fuzz)"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$work/artifacts/$t" "$work/new/$t"
	common=(-artifact_prefix="$work/artifacts/$t/" -timeout=10 -print_final_stats=1)
	# A target's dictionary (test/fuzz/TARGET.dict): words its parser knows.
	[ ! -f "$here/$t.dict" ] || common+=(-dict="$here/$t.dict")

	# Every seed once: a seed that crashes is a regression (each crash
	# found is added to the corpus when it is fixed).
	log=$work/$t.replay.log
	if ! "$exe" "${common[@]}" -runs=0 "$corpus/$t" >"$log" 2>&1; then
		fail "$t" "replaying $seeds seeds" "$log"
		continue
	fi
	[ "$secs" -gt 0 ] || { echo "ok: fuzz_$t: $seeds seeds replayed"; continue; }

	# The first corpus directory receives the new inputs; the committed
	# one is only read.
	log=$work/$t.fuzz.log
	if ! "$exe" "${common[@]}" -max_total_time="$secs" "$work/new/$t" "$corpus/$t" >"$log" 2>&1; then
		fail "$t" "fuzzing ${secs}s" "$log"
		continue
	fi
	printf 'ok: fuzz_%s: %s seeds replayed; %s runs in %ss (%s/s), %s new inputs, coverage %s\n' \
		"$t" "$seeds" "$(stat number_of_executed_units "$log")" "$secs" \
		"$(stat average_exec_per_sec "$log")" "$(find "$work/new/$t" -type f | wc -l)" \
		"$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)"
done

if [ "$failed" -gt 0 ]; then
	echo "run.sh: $failed of ${#targets[@]} targets FAILED; everything kept in $work"
	exit 1
fi
if [ "${VIGIL_FUZZ_KEEP:-0}" = 1 ]; then
	echo "run.sh: all ${#targets[@]} targets clean; new inputs kept in $work/new"
else
	rm -rf "$work"
	echo "run.sh: all ${#targets[@]} targets clean"
fi
