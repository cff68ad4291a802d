#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CI smoke test of the benchmark: one scenario (mysqld killed), both agents
# (vigild with its shipped defaults, tuned keepalived), one run, under 60 s.
#
# usage: smoke.sh PATH/TO/vigild
# Exit 0 when both agents produced a failover time and every acknowledged
# write was accounted for; 77 (skip) without root outside CI, 1 under
# CI=true (test/lab/lab.sh's rule). Its results go to a temp dir that is
# removed: the smoke run never touches test/bench/RESULTS.md.
set -u
vigild=${1:-}
if [ -z "$vigild" ] || [ ! -x "$vigild" ]; then
	echo "usage: $0 PATH/TO/vigild" >&2
	exit 2
fi
# Bounded: the run itself is about 25 s; 110 s is ctest's margin under 120.
exec timeout --kill-after=5 110 bash "$(dirname "$0")/run.sh" --smoke --vigild "$vigild"
