# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers shared by the fault-injection scenarios (fault_*.sh); source after
# vigil_lab.sh (or db_lab.sh).
#
#   fl_sample_start VIP FILE MAX_SAMPLES MAX_SECONDS HOST...
#                        sample every 20 ms which of HOST... carry VIP
#                        (vip_sampler.py); one line per sample in FILE:
#                        "EPOCH_US HOLDER..." ("-" for none). Bounded by
#                        MAX_SAMPLES and MAX_SECONDS; the sampler's pid is
#                        FL_SAMPLER (tracked for the lab's teardown)
#   fl_sample_stop       stop it (by pid) and wait for its end (bounded)
#   fl_holder_runs FILE [FROM_US [TO_US]]
#                        the samples' worst runs, one line of key=value:
#                        samples, period_ms (median gap between samples),
#                        gap_ms (largest gap between samples), two_runs,
#                        none_runs, and for "two holders" and "no holder":
#                        two_lo_ms / none_lo_ms (the longest run, first to
#                        last sample in it: it certainly lasted that long)
#                        and two_hi_ms / none_hi_ms (the longest run from
#                        the sample before it to the sample after it: it
#                        lasted less than that)
#   fl_kv "K=V ..." KEY  the value of KEY

fl_sample_start() {
	local vip=$1 out=$2 max=$3 secs=$4 h specs=()
	shift 4
	for h in "$@"; do specs+=("$h=$LAB_PREFIX-$h"); done
	# vip_sampler.py: one rtnetlink socket per namespace, a dump per host
	# and sample (well under 1 ms: forking ip twice takes tens of ms).
	python3 "$here/vip_sampler.py" "${vip%/*}" 20 "$max" "$secs" "${specs[@]}" \
		>"$out" 2>"$out.err" </dev/null &
	FL_SAMPLER=$!
	disown "$FL_SAMPLER" 2>/dev/null
	lab_track "$FL_SAMPLER" - sampler
	# Running once the first sample is written (bounded).
	lab_wait_for 3000 test -s "$out" >/dev/null
}

fl_sample_stop() {
	[ -n "${FL_SAMPLER:-}" ] || return 0
	lab_kill "$FL_SAMPLER" TERM
	lab_wait_for 3000 lab_pid_gone "$FL_SAMPLER" >/dev/null
	FL_SAMPLER=
}

fl_holder_runs() {
	python3 - "$1" "${2:-0}" "${3:-0}" <<'PY'
import sys
path, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = []
for line in open(path):
    parts = line.split()
    if not parts:
        continue
    t = int(parts[0])
    if t < lo or (hi and t > hi):
        continue
    n = 0 if parts[1:] == ["-"] else len(parts) - 1
    rows.append((t, n))
out = {"samples": len(rows)}
gaps = sorted(rows[i + 1][0] - rows[i][0] for i in range(len(rows) - 1))
out["period_ms"] = gaps[len(gaps) // 2] // 1000 if gaps else 0
out["gap_ms"] = gaps[-1] // 1000 if gaps else 0
for name, cond in (("two", lambda n: n >= 2), ("none", lambda n: n == 0)):
    runs, best_lo, best_hi, i = 0, 0, 0, 0
    while i < len(rows):
        if not cond(rows[i][1]):
            i += 1
            continue
        j = i
        while j + 1 < len(rows) and cond(rows[j + 1][1]):
            j += 1
        runs += 1
        best_lo = max(best_lo, rows[j][0] - rows[i][0])
        before = rows[i - 1][0] if i > 0 else rows[i][0]
        after = rows[j + 1][0] if j + 1 < len(rows) else rows[j][0]
        best_hi = max(best_hi, after - before)
        i = j + 1
    out[name + "_runs"] = runs
    out[name + "_lo_ms"] = best_lo // 1000
    out[name + "_hi_ms"] = best_hi // 1000
print(" ".join("%s=%s" % kv for kv in out.items()))
PY
}

fl_kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
