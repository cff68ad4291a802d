#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Turn the raw data of test/bench/run.sh into RESULTS.md and timeline PNGs.

usage: analyze.py WORK OUT
  WORK  run.sh's data directory: machine.txt, runs/CFG.SCENARIO.REP/{meta,
        client.log,h1.seqs}, states-CFG.log, vip-h1.log, vip-h2.log,
        cost.txt, conf/
  OUT   where RESULTS.md and img/*.png are written
Prints the summary table. Exit 0 when every run produced a failover time,
1 otherwise (the smoke test relies on it).
"""
import datetime
import os
import re
import statistics
import subprocess
import sys

VIP = "198.18.0.100"
CONFIGS = ["vigil-default", "vigil-fast", "ka-tutorial", "ka-tuned"]
CFG_TITLE = {
    "vigil-default": "vigil, shipped defaults (200 ms adverts, check every 200 ms)",
    "vigil-fast": "vigil, 100 ms adverts and checks",
    "vigil-1s": "vigil, 100 ms adverts, check every 1 s",
    "ka-tutorial": "keepalived tutorial (v2, 1 s adverts, script every 2 s, fall 3, rise 2)",
    "ka-tuned": "keepalived tuned (v3, 100 ms adverts, script every 1 s, fall 2, rise 1)",
    "vigil-nocheck-200ms": "vigil, 200 ms adverts, no check (cost baseline)",
    "vigil-nocheck-100ms": "vigil, 100 ms adverts, no check (cost baseline)",
    "ka-nocheck-v2": "keepalived v2, 1 s adverts, no script (cost baseline)",
    "ka-nocheck-v3": "keepalived v3, 100 ms adverts, no script (cost baseline)",
}
# The same adverts without checks: subtracted to get the checks' own cost.
BASELINE = {"vigil-default": "vigil-nocheck-200ms", "vigil-fast": "vigil-nocheck-100ms",
            "vigil-1s": "vigil-nocheck-100ms", "ka-tutorial": "ka-nocheck-v2", "ka-tuned": "ka-nocheck-v3"}
SCENARIOS = ["mysqld-kill", "mysqld-hang", "agent-kill", "link-down", "agent-stop"]
SC_TITLE = {
    "mysqld-kill": "mysqld killed (SIGKILL)",
    "mysqld-hang": "mysqld hung (SIGSTOP)",
    "agent-kill": "agent killed (SIGKILL of all its processes)",
    "link-down": "master's link down",
    "agent-stop": "agent stopped gracefully (SIGTERM)",
}
# Checks started per second by each configuration (timer-driven, so taken
# from the configuration): vigil's mysql_ping also opens a fresh connection
# every connect_interval (5 s); keepalived forks one script per interval.
CHECKS_PER_S = {
    "vigil-default": 1 / 0.2 + 1 / 5.0,
    "vigil-fast": 1 / 0.1 + 1 / 5.0,
    "vigil-1s": 1 / 1.0 + 1 / 5.0,
    "ka-tutorial": 1 / 2.0,
    "ka-tuned": 1 / 1.0,
}
# Targets (docs/design.md "Failover targets"), ms.
TARGETS = {("vigil-default", "mysqld-kill"): 500, ("vigil-default", "mysqld-hang"): 1500,
           ("vigil-fast", "mysqld-kill"): 150, ("vigil-fast", "mysqld-hang"): 600}


def read_kv(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    out[k] = v
                elif ": " in line and not line.startswith(" "):
                    k, v = line.rstrip("\n").split(": ", 1)
                    out[k] = v
    except OSError:
        pass
    return out


def read_client(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) != 7:
                    continue
                rows.append((p[0], int(p[1]), int(p[2]), int(p[3]), p[4], int(p[5]), int(p[6])))
    except OSError:
        pass
    return rows


def parse_vip_events(path):
    """[(t_us, added)] for the VIP from `ip -ts monitor address`."""
    ev = []
    rx = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (Deleted )?.*inet %s/" % re.escape(VIP))
    try:
        with open(path) as f:
            for line in f:
                m = rx.match(line)
                if m:
                    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
                    ev.append((int(t * 1e6), m.group(2) is None))
    except OSError:
        pass
    return ev


def parse_states(path):
    """{host: [(t_us, state, prio)]} from the notify recorder."""
    out = {"h1": [], "h2": []}
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) >= 3 and p[1] in out:
                    out[p[1]].append((int(p[0]), p[2], p[3] if len(p) > 3 else ""))
    except OSError:
        pass
    return out


def run_metrics(rd):
    meta = read_kv(os.path.join(rd, "meta"))
    if meta.get("status") not in ("ok", "failed") or not meta.get("t_fault"):
        return None
    rows = read_client(os.path.join(rd, "client.log"))
    tf, tr = int(meta["t_fault"]), int(meta["t_restore"])
    m = {"meta": meta, "rows": rows, "t_fault": tf, "t_restore": tr,
         "t_back": int(meta["t_back"]) if meta.get("t_back") else None}
    r2 = [r[3] for r in rows if r[0] == "R" and r[4] == "ok" and r[5] == 2 and r[2] >= tf]
    m["failover_ms"] = (min(r2) - tf) / 1000 if r2 else None
    w_ok2 = [r[3] for r in rows if r[0] == "W" and r[4] == "ok" and r[5] == 2 and r[2] >= tf]
    t_w2 = min(w_ok2) if w_ok2 else None
    # Writes that failed from the fault until the first write the replica took.
    m["failed_writes"] = sum(1 for r in rows if r[0] == "W" and r[4] != "ok" and tf <= r[2]
                             and (t_w2 is None or r[2] <= t_w2) and r[2] < tr)
    w_ok1_before = [r[3] for r in rows if r[0] == "W" and r[4] == "ok" and r[5] == 1
                    and (t_w2 is None or r[3] <= t_w2)]
    m["write_gap_ms"] = ((t_w2 - max(w_ok1_before)) / 1000
                         if t_w2 is not None and w_ok1_before else None)
    # The VIP moved: h2 added it, or (no event seen) the replica answered.
    m["t_moved"] = min([x for x in r2 + w_ok2] or [None]) if (r2 or w_ok2) else None
    m["old_master_writes"] = 0
    if m["t_moved"] is not None:
        m["old_master_writes"] = sum(1 for r in rows if r[0] == "W" and r[4] == "ok" and r[5] == 1
                                     and m["t_moved"] < r[3] < tr)
    acked = {r[1]: r[5] for r in rows if r[0] == "W" and r[4] == "ok"}
    have = set()
    try:
        with open(os.path.join(rd, "h1.seqs")) as f:
            have = {int(x) for x in f.read().split()}
    except OSError:
        pass
    m["acked"] = len(acked)
    m["lost"] = sum(1 for s in acked if s not in have)
    m["failback_ms"] = (m["t_back"] - tr) / 1000 if m["t_back"] else None
    m["failback_failed_writes"] = sum(1 for r in rows if r[0] == "W" and r[4] != "ok" and r[2] >= tr
                                      and (m["t_back"] is None or r[2] <= m["t_back"]))
    return m


def stat(values, fmt="{:.0f}"):
    v = [x for x in values if x is not None]
    if not v:
        return "n/a"
    med = statistics.median(v)
    if len(v) == 1:
        return fmt.format(med)
    return (fmt + " ({}–{})").format(med, fmt.format(min(v)), fmt.format(max(v)))


def median(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


# ------------------------------------------------------------------ plots
COLORS = {1: "0x1f77b4", 2: "0x2ca02c", "err": "0xd62728", "skip": "0x999999"}
STATE_COLOR = {"MASTER": "0x2ca02c", "BACKUP": "0x7f7f7f", "FAULT": "0xd62728", "STOP": "0x000000",
               "KILLED": "0x000000"}


def gq(text):
    """A gnuplot single-quoted string ('' is a quote inside)."""
    return "'" + text.replace("'", "''") + "'"


def intervals(events, t0, t1, initial):
    """Split [t0, t1] by (t, value) events into [(a, b, value)]."""
    out, cur, a = [], initial, t0
    for t, v in events:
        if t <= t0:
            cur = v
            continue
        if t >= t1:
            break
        out.append((a, t, cur))
        a, cur = t, v
    out.append((a, t1, cur))
    return out


def write_panel(d, tag, m, states, vipev, t0, t1, sc):
    """Data files for one panel; returns gnuplot plot clauses."""
    tf = m["t_fault"]
    rel = lambda t: (t - tf) / 1e6
    att = os.path.join(d, tag + ".att")
    with open(att, "w") as f:
        for r in m["rows"]:
            if r[3] < t0 or r[2] > t1:
                continue
            # One mark per attempt, at its start: long hung attempts drawn
            # as bars would hide the successes that follow them.
            y = 3.0 if r[0] == "R" else 2.0
            col = COLORS[r[5]] if r[4] == "ok" and r[5] in COLORS else COLORS.get(r[4], COLORS["err"])
            f.write("%.4f %.2f %s\n" % (rel(r[2]), y, int(col, 16)))
    seg = os.path.join(d, tag + ".seg")
    lab = os.path.join(d, tag + ".lab")
    with open(seg, "w") as f, open(lab, "w") as fl:
        for host, y in (("h1", 1.15), ("h2", 0.85)):
            ev = [(t, a) for (t, a) in vipev[host]]
            init = host == "h1"
            for a, b, held in intervals(ev, t0, t1, init):
                if held:
                    f.write("%.4f %.2f %.4f 0 %d\n" % (rel(a), y, rel(b) - rel(a), int(COLORS[int(host[1])], 16)))
        for host, y in (("h1", 0.35), ("h2", -0.05)):
            ev = [(t, s) for (t, s, _p) in states[host]]
            if host == "h1" and sc == "agent-kill":
                # A SIGKILLed agent notifies nothing: dead from the fault
                # until its restart's first state.
                ev = sorted(ev + [(tf, "KILLED")])
            init = "MASTER" if host == "h1" else "BACKUP"
            for a, b, s in intervals(ev, t0, t1, init):
                f.write("%.4f %.2f %.4f 0 %d\n" % (rel(a), y, rel(b) - rel(a),
                                                   int(STATE_COLOR.get(s, "0x9467bd"), 16)))
            for t, s, p in states[host] + ([(tf, "KILLED", "")] if host == "h1" and sc == "agent-kill" else []):
                if t0 < t < t1:
                    fl.write('%.4f %.2f "%s %s"\n' % (rel(t), y + 0.18, s, p))
        # Agent processes killed: no notify; mark the fault instead.
    return att, seg, lab


def plot_scenario(work, out, sc, runs, states, vipev, full):
    panels = [(c, runs.get((c, sc, "1"))) for c in CONFIGS]
    panels = [(c, m) for c, m in panels if m]
    if not panels:
        return None
    d = os.path.join(work, "plot")
    os.makedirs(d, exist_ok=True)
    os.makedirs(os.path.join(out, "img"), exist_ok=True)
    if full:
        x1 = max(((m["t_back"] or m["t_restore"]) - m["t_fault"]) / 1e6 for _, m in panels) + 1.0
        x0 = -1.0
    else:
        x1 = max((m["failover_ms"] or 0) / 1000 for _, m in panels) + 1.2
        x0 = -0.6
    name = "%s%s.png" % (sc, "-full" if full else "")
    gp = ["set terminal pngcairo size 1100,%d font 'sans,9'" % (190 * len(panels) + 60),
          "set output '%s'" % os.path.join(out, "img", name),
          "set multiplot layout %d,1 title %s"
          % (len(panels), gq("%s%s: fresh connection every 20 ms through the VIP; 0 = fault"
                             % (SC_TITLE[sc], " (with failback)" if full else ""))),
          "set xrange [%.2f:%.2f]" % (x0, x1), "set yrange [-0.3:3.5]",
          "set ytics ('reads' 3, 'writes' 2, 'VIP on h1' 1.15, 'VIP on h2' 0.85, 'h1 agent' 0.35, 'h2 agent' -0.05)",
          "set grid xtics", "unset key", "set lmargin 11", "set xlabel 's since the fault'",
          "set style arrow 1 nohead lw 5 lc rgb variable",
          "set style arrow 2 nohead lw 9 lc rgb variable"]
    for c, m in panels:
        tf = m["t_fault"]
        t0, t1 = tf + int(x0 * 1e6), tf + int(x1 * 1e6)
        # Nothing after the run's client stopped (the agents' later stop).
        t1 = min(t1, max([r[3] for r in m["rows"]] or [t1]))
        att, seg, lab = write_panel(d, "%s.%s.%d" % (sc, c, full), m, states[c], vipev, t0, t1, sc)
        fo = "n/a" if m["failover_ms"] is None else "%.0f ms" % m["failover_ms"]
        gp.append("set title %s font 'sans,9'" % gq(
            "%s — client on the replica after %s; blue: server 1, green: server 2, red: error" % (CFG_TITLE[c], fo)))
        gp.append("unset arrow")
        gp.append("set arrow from 0,-0.3 to 0,3.5 nohead lc rgb 'black' dt 2")
        rr = (m["t_restore"] - tf) / 1e6
        if x0 < rr < x1:
            gp.append("set arrow from %.3f,-0.3 to %.3f,3.5 nohead lc rgb 'orange' dt 2" % (rr, rr))
        plots = ["'%s' using 1:2:3 with points pt 9 ps 0.7 lc rgb variable" % att,
                 "'%s' using 1:2:3:4:5 with vectors arrowstyle 2" % seg]
        if os.path.getsize(lab) > 0:
            plots.append("'%s' using 1:2:3 with labels left font 'sans,7'" % lab)
        gp.append("plot " + ", ".join(plots))
    gp.append("unset multiplot")
    gpf = os.path.join(d, name + ".gp")
    with open(gpf, "w") as f:
        f.write("\n".join(gp) + "\n")
    try:
        subprocess.run(["gnuplot", gpf], check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.SubprocessError) as e:
        print("analyze.py: gnuplot failed for %s: %s" % (name, e), file=sys.stderr)
        return None
    return "img/" + name


# ------------------------------------------------------------------ report
def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 64
    work, out = sys.argv[1], sys.argv[2]
    mach = read_kv(os.path.join(work, "machine.txt"))
    runs = {}
    rdir = os.path.join(work, "runs")
    bad = []
    for name in sorted(os.listdir(rdir)) if os.path.isdir(rdir) else []:
        cfg, sc, rep = name.split(".")
        m = run_metrics(os.path.join(rdir, name))
        if m is None or m["failover_ms"] is None or m["meta"].get("status") != "ok":
            bad.append(name)
        if m is not None:
            runs[(cfg, sc, rep)] = m
    cfgs = [c for c in CONFIGS if any(k[0] == c for k in runs)]
    scs = [s for s in SCENARIOS if any(k[1] == s for k in runs)]
    states = {c: parse_states(os.path.join(work, "states-%s.log" % c)) for c in cfgs}
    vipev = {h: parse_vip_events(os.path.join(work, "vip-%s.log" % h)) for h in ("h1", "h2")}

    def cell(c, s, key, fmt="{:.0f}"):
        return stat([m[key] for k, m in runs.items() if k[0] == c and k[1] == s], fmt)

    def nruns(c, s):
        return sum(1 for k in runs if k[0] == c and k[1] == s)

    def med(c, s, key):
        return median([m[key] for k, m in runs.items() if k[0] == c and k[1] == s])

    L = []
    smoke = mach.get("smoke") == "1"
    L.append("# vigil vs keepalived: benchmark results\n")
    L.append("Produced by `test/bench/run.sh` (%s); raw data is not kept. %s\n" % (
        mach.get("command", "").strip(),
        "**Smoke run: one run only, not a measurement.**" if smoke else ""))
    L.append("## Machine and load\n")
    L.append("| | |\n|---|---|")
    for k in ("date", "nproc", "kernel", "vigil", "keepalived", "mariadb", "loadavg_start", "loadavg_end",
              "duration_s", "n", "cgroup"):
        L.append("| %s | %s |" % (k, mach.get(k, "?")))
    L.append("\n`lscpu | head`:\n\n```")
    try:
        with open(os.path.join(work, "machine.txt")) as f:
            lines = f.read().split("lscpu:\n", 1)[1].splitlines()
            L.extend(l[4:] for l in lines if l.startswith("    "))
    except (OSError, IndexError):
        pass
    L.append("```\n")
    L.append("The load average above includes everything else running on the machine; "
             "figures taken under load are noisier and slower than on a quiet machine.\n")

    L.append("## Setup\n")
    L.append("Network-namespace lab (198.18.0.0/24): MariaDB primary on h1 (server_id 1, agent priority 150), "
             "GTID replica on h2 (server_id 2, priority 100), client on c; VIP %s. preempt on everywhere. "
             "The client (`test/bench/client.c`) opens a fresh connection through the VIP every 20 ms for "
             "`SELECT @@server_id` and another one for an `INSERT` of a unique number (1 s connect/read timeout, "
             "each attempt in its own thread so a hung connect does not delay the next). "
             "Failover time = from the fault to the end of the first read answered by server 2. "
             "After each failover the fault is undone (mysqld restarted or continued, link up, agent "
             "restarted) and the VIP comes back to h1 (failback, preempt on).\n" % VIP)
    for c in cfgs:
        L.append("- **%s**: %s" % (c, CFG_TITLE[c]))
    L.append("")

    # ---- part 1
    L.append("## 1. Failover time seen by a client (ms: median (min–max))\n")
    L.append("| event on the master | " + " | ".join(cfgs) + " |")
    L.append("|---|" + "---|" * len(cfgs))
    for s in scs:
        L.append("| %s | %s |" % (SC_TITLE[s], " | ".join(
            "%s [%d]" % (cell(c, s, "failover_ms"), nruns(c, s)) for c in cfgs)))
    L.append("\n[n] = runs. Targets (vigil): shipped defaults < 500 ms on mysqld death, < 1500 ms on a hang; "
             "100 ms adverts and checks < 150 ms and < 600 ms.\n")
    L.append("| target | measured median | met |\n|---|---|---|")
    for (c, s), lim in TARGETS.items():
        v = med(c, s, "failover_ms")
        if c in cfgs and s in scs:
            L.append("| %s, %s < %d ms | %s | %s |" % (c, s, lim, "n/a" if v is None else "%.0f ms" % v,
                                                      "n/a" if v is None else ("yes" if v < lim else "**no**")))
    L.append("")
    pairs = [(a, b) for a, b in (("vigil-default", "ka-tutorial"), ("vigil-default", "ka-tuned"),
                                 ("vigil-fast", "ka-tuned")) if a in cfgs and b in cfgs]
    if pairs:
        L.append("Ratios of medians (vigil / keepalived; below 1 = vigil faster):\n")
        L.append("| event | " + " | ".join("%s / %s" % p for p in pairs) + " |")
        L.append("|---|" + "---|" * len(pairs))
        for s in scs:
            cells = []
            for a, b in pairs:
                va, vb = med(a, s, "failover_ms"), med(b, s, "failover_ms")
                cells.append("%.2f" % (va / vb) if va is not None and vb else "n/a")
            L.append("| %s | %s |" % (SC_TITLE[s], " | ".join(cells)))
        L.append("")

    # ---- part 2
    L.append("## 2. Write gap and lost writes\n")
    L.append("**Measured with preempt on for every agent: the VIP comes back to h1 after the fault is undone "
             "(failback). Writes the replica acknowledged while it held the VIP are not on h1, which never "
             "replicates from h2: they are lost at the failback.**\n")
    L.append("Per run: *failed* = write attempts started between the fault and the first write the replica "
             "acknowledged that failed; *gap* = from the last write h1 acknowledged to the first one h2 "
             "acknowledged (ms); *old master* = writes h1 acknowledged after the replica had answered (the VIP "
             "had moved), summed over the runs; *lost* = acknowledged writes missing on h1 after the failback.\n")
    L.append("| event | agent | failed | gap ms | old master (sum) | lost after failback | failback ms |")
    L.append("|---|---|---|---|---|---|---|")
    for s in scs:
        for c in cfgs:
            om = sum(m["old_master_writes"] for k, m in runs.items() if k[0] == c and k[1] == s)
            L.append("| %s | %s | %s | %s | %d | %s | %s |" % (
                s, c, cell(c, s, "failed_writes"), cell(c, s, "write_gap_ms"), om, cell(c, s, "lost"),
                cell(c, s, "failback_ms")))
    L.append("")

    # ---- part 3
    cost = []
    try:
        with open(os.path.join(work, "cost.txt")) as f:
            cost = [l.split() for l in f if l.strip()]
    except OSError:
        pass
    steady = [r for r in cost if not r[0].startswith("scale-")]
    if steady:
        L.append("## 3. Cost of checking (steady state, VIP on h1)\n")
        L.append("CPU = user+sys of every process of the agent, check children included, from a cgroup of "
                 "its own (%s cpuacct: ns resolution), over the window; checks = the checks the "
                 "configuration starts in that window (vigil: mysql_ping every interval plus a fresh-connection "
                 "probe every 5 s; keepalived: one script run, a shell and mysqladmin, per interval). The CPU "
                 "includes the adverts. Server-side CPU (mysqld answering) is not counted. RSS = VmRSS summed "
                 "over the agent's processes (keepalived: parent + VRRP child).\n" % mach.get("cgroup", "?"))
        L.append("*all-in* = the agent's whole CPU over the checks; *net* = the same minus the CPU of the "
                 "same agent with the same adverts and no check (the baseline rows), i.e. what the checks "
                 "themselves cost.\n")
        L.append("| agent | node | window s | CPU ms | CPU ms/s | checks/s | µs per check, all-in | "
                 "µs per check, net | RSS kB |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        rate = {(r[0], r[1]): int(r[2]) / 1e6 / (int(r[5]) / 1e6) for r in steady}
        per_check = {}
        for r in steady:
            cfg, host, tot, win, rss = r[0], r[1], int(r[2]), int(r[5]) / 1e6, int(r[6])
            cps = CHECKS_PER_S.get(cfg)
            pc = tot / 1e3 / (cps * win) if cps else None
            base = rate.get((BASELINE.get(cfg), host))
            net = (tot / 1e6 / win - base) * 1e3 / cps if cps and base is not None else None
            if host == "h1":
                per_check[cfg] = (pc, tot / 1e6 / win, rss, net)
            L.append("| %s | %s | %.1f | %.1f | %.2f | %.1f | %s | %s | %d |" % (
                cfg, host + (" (master)" if host == "h1" else " (backup)"), win, tot / 1e6, tot / 1e6 / win,
                cps or 0, "%.0f" % pc if pc is not None else "–", "%.0f" % net if net is not None else "–", rss))
        L.append("")
        rat = []
        for a, b in (("vigil-default", "ka-tutorial"), ("vigil-fast", "ka-tuned"), ("vigil-default", "ka-tuned"),
                     ("vigil-1s", "ka-tuned")):
            if a in per_check and b in per_check and per_check[a][0]:
                pa, pb = per_check[a], per_check[b]
                rat.append("| %s vs %s | %.1f× | %s | %.2f | %.2f |" % (
                    b, a, pb[0] / pa[0],
                    "%.1f×" % (pb[3] / pa[3]) if pa[3] and pb[3] and pa[3] > 0 else "n/a",
                    pa[1] / pb[1] if pb[1] else 0, pa[2] / pb[2] if pb[2] else 0))
        if rat:
            L.append("Ratios (master node): keepalived's CPU per check over vigil's, all-in and net (target ≥ 20×); "
                     "vigil's CPU per second over keepalived's; vigil's RSS over keepalived's (target < 1). "
                     "`vigil-1s` vs `ka-tuned` is the same check interval (1 s) and the same 100 ms adverts.\n")
            L.append("| pair | per check, all-in: keepalived / vigil | per check, net | CPU/s: vigil / keepalived "
                     "| RSS: vigil / keepalived |")
            L.append("|---|---|---|---|---|")
            L.extend(rat)
            L.append("")
    scale = [r for r in cost if r[0].startswith("scale-")]
    if scale:
        L.append("## 4. Scale: one vigild\n")
        L.append("100 ms adverts; instances: one VIP each, no checks, all MASTER; checks: one instance "
                 "tracking N mysql_ping checks at 100 ms on the local server.\n")
        L.append("| vigild with | window s | CPU ms/s (% of one core) | RSS kB |")
        L.append("|---|---|---|---|")
        for r in scale:
            spec = r[0][len("scale-"):]
            what = ("%s VRRP instances" if spec[0] == "i" else "%s checks") % spec[1:]
            win = int(r[5]) / 1e6
            L.append("| %s | %.1f | %.2f (%.2f %%) | %s |" % (what, win, int(r[2]) / 1e6 / win,
                                                              int(r[2]) / 1e7 / win, r[6]))
        L.append("")

    # The "Data safety" section comes from test/bench/datasafety.sh, not
    # from this run: carry it over from the RESULTS.md being replaced.
    ds = kept_datasafety(out)
    if ds:
        L.append(ds)
    # Likewise "Advert loss", from test/bench/loss.sh.
    loss = kept_section(out, LOSS_BEGIN, LOSS_END)
    if loss:
        L.append(loss)
    # Likewise "Many instances on one interface", from test/bench/scale.sh.
    many = kept_section(out, SCALE_BEGIN, SCALE_END)
    if many:
        L.append(many)

    L.append("## keepalived's track_process\n")
    L.append("keepalived can also follow mysqld with `track_process` (kernel process events, about 80 ms after "
             "mysqld dies). It is not measured here: the kernel's process-event connector answers only in the "
             "initial network namespace, and this lab runs every node in a namespace of its own. It would not "
             "see a hung mysqld (SIGSTOP) either: the process still exists.\n")

    # ---- timelines
    L.append("## Timelines (first run of each scenario)\n")
    L.append("Each panel: the client's read and write attempts, one mark at the start of each (blue: answered by "
             "server 1, green: server 2, red: failed, often after the 1 s timeout), which host held the VIP, and each agent's state changes "
             "(from its notify; green MASTER, grey BACKUP, red FAULT, black STOP or KILLED: a SIGKILLed agent "
             "notifies nothing, so its bar is black from the fault to its restart). Dashed black: the fault; dashed orange: the fault undone.\n")
    for s in scs:
        img = plot_scenario(work, out, s, runs, states, vipev, False)
        full = plot_scenario(work, out, s, runs, states, vipev, True)
        if img:
            L.append("### %s\n\n![%s](%s)\n" % (SC_TITLE[s], s, img))
        if full:
            L.append("With the failback: [%s](%s)\n" % (full, full))

    L.append("## Configurations (h1; h2 differs in priority 100 and its own files)\n")
    for c in cfgs + ["vigil-1s"]:
        p = os.path.join(work, "conf", "show-%s-h1.txt" % c)
        if os.path.exists(p):
            with open(p) as f:
                L.append("### %s\n\n```\n%s```\n" % (c, f.read()))
    for h in ("h1",):
        p = os.path.join(work, "check_mysql_%s.sh" % h)
        if os.path.exists(p):
            with open(p) as f:
                L.append("keepalived's check script (tutorial style):\n\n```sh\n%s```\n" % f.read())
    if bad:
        L.append("## Runs without a result\n\n" + ", ".join(bad) + "\n")
    with open(os.path.join(out, "RESULTS.md"), "w") as f:
        f.write("\n".join(L) + "\n")

    # ---- summary on stdout
    print("failover time seen by the client, ms, median (min-max) [runs]")
    w = 26
    print("%-22s" % "event" + "".join("%-*s" % (w, c) for c in cfgs))
    for s in scs:
        print("%-22s" % s + "".join("%-*s" % (w, "%s [%d]" % (cell(c, s, "failover_ms"), nruns(c, s)))
                                    for c in cfgs))
    print("lost acknowledged writes after failback (preempt on), median (min-max)")
    for s in scs:
        print("%-22s" % s + "".join("%-*s" % (w, cell(c, s, "lost")) for c in cfgs))
    if steady:
        print("check cost (master): CPU per check us / CPU ms per s / RSS kB")
        for r in steady:
            if r[1] == "h1" and r[0] in CHECKS_PER_S:
                cps = CHECKS_PER_S[r[0]]
                win = int(r[5]) / 1e6
                print("  %-14s %8.0f us %7.2f ms/s %7s kB" % (r[0], int(r[2]) / 1e3 / (cps * win),
                                                            int(r[2]) / 1e6 / win, r[6]))
    for r in scale:
        print("  %-14s %7.2f ms/s %7s kB" % (r[0], int(r[2]) / 1e6 / (int(r[5]) / 1e6), r[6]))
    if bad:
        print("runs without a result: " + ", ".join(bad))
    print("written: %s" % os.path.join(out, "RESULTS.md"))
    return 1 if bad or not runs else 0


DS_BEGIN = "<!-- datasafety: begin"
DS_END = "<!-- datasafety: end -->"


LOSS_BEGIN = "<!-- loss: begin"
LOSS_END = "<!-- loss: end -->"


SCALE_BEGIN = "<!-- scale: begin"
SCALE_END = "<!-- scale: end -->"


def kept_section(out, begin, end):
    """The section of OUT/RESULTS.md between the markers begin and end, or ''."""
    try:
        with open(os.path.join(out, "RESULTS.md")) as f:
            old = f.read()
    except OSError:
        return ""
    b, e = old.find(begin), old.find(end)
    return old[b:e + len(end)] + "\n" if 0 <= b < e else ""


def kept_datasafety(out):
    """The Data safety section of OUT/RESULTS.md (between its markers), or ''."""
    return kept_section(out, DS_BEGIN, DS_END)


if __name__ == "__main__":
    sys.exit(main())
