#!/usr/bin/env python3
"""Two builds of a collector benchmark side by side: each workload run
alternately with the OLD and the NEW binary, ROUNDS times; per figure, the
best and the median of each, and new/old for both.

    python3 bench/gc/ab.py [--phases] [--env-old "VAR=value ..."] [--env-new "..."]
                           OLD/gc_bench NEW/gc_bench ROUNDS WORKLOAD...

(Build OLD from another commit with a git worktree; gc_unseen works the
same way.) < 1 means the new build is faster. The machine is shared: trust
a change that both columns agree on.

--phases also sets RCGC_BENCH_PHASES, so that each timed collection prints
the time of each of its phases (gc::DEBUG_PHASES), and reports each phase's
median over all the timed collections of each build, in ms (a phase
of the same name in two paths counts as one: the paths each build took are
listed after).

--env-old and --env-new add settings to the environment of each side's
runs: with the same binary twice, one build under two environments, e.g.
    ab.py --env-old RCGC_GC_SPLIT=off B/gc_unseen3 B/gc_unseen3 3 social"""
import os
import re
import statistics
import subprocess
import sys

args = sys.argv[1:]
phases = "--phases" in args
if phases:
    args.remove("--phases")
settings = {"old": "", "new": ""}
for tag in ("old", "new"):
    flag = "--env-" + tag
    if flag in args:
        i = args.index(flag)
        if i + 1 >= len(args):
            sys.exit("ab.py: %s needs its settings" % flag)
        settings[tag] = args[i + 1]
        del args[i:i + 2]
if len(args) < 4:
    sys.exit('usage: ab.py [--phases] [--env-old "VAR=value ..."] [--env-new "..."] '
             "OLD/gc_bench NEW/gc_bench ROUNDS WORKLOAD...")
old, new, rounds = args[0], args[1], int(args[2])
envs = {}
for tag, line in settings.items():
    envs[tag] = dict(os.environ, RCGC_BENCH_PHASES="1") if phases else dict(os.environ)
    for setting in line.split():
        name, eq, value = setting.partition("=")
        if not eq:
            sys.exit("ab.py: %r is not VAR=value" % setting)
        envs[tag][name] = value
PHASE_LINE = re.compile(r"gc: phases of generation (\d) \((\w+)\):(.*)")
paths = {}  # side -> the paths its timed collections took


def run(tag, b, w):
    p = subprocess.run([b, w], capture_output=True, text=True, env=envs[tag])
    if p.returncode != 0:
        sys.exit("%s %s failed (%d):\n%s" % (b, w, p.returncode, p.stderr))
    figures = {l.split()[0]: [float(l.split()[1])]
               for l in p.stdout.splitlines() if len(l.split()) >= 2}
    for line in p.stderr.splitlines():
        m = PHASE_LINE.match(line)
        if not m:
            continue
        for lap in m.group(3).split(","):
            name, ms, _ = lap.split()
            key = "phase g%s %s" % (m.group(1), name)
            figures.setdefault(key, []).append(float(ms))
        paths.setdefault(tag, set()).add("g%s %s" % (m.group(1), m.group(2)))
    return figures


for w in args[3:]:
    runs = {}
    paths.clear()
    for r in range(rounds):
        for tag, b in (("old", old), ("new", new)):
            for k, v in run(tag, b, w).items():
                runs.setdefault((k, tag), []).extend(v)
    for k in sorted({k for k, _ in runs}):
        if k.endswith("_objects") or k.endswith("_collected"):
            continue  # counts, not times
        if (k, "old") not in runs or (k, "new") not in runs:
            print("%-34s only in the %s build" % (k, "old" if (k, "old") in runs else "new"))
            continue
        o, n = runs[(k, "old")], runs[(k, "new")]
        bo, bn, mo, mn = min(o), min(n), statistics.median(o), statistics.median(n)
        print("%-34s best %9.3f -> %9.3f (%.2f)  median %9.3f -> %9.3f (%.2f)"
              % (k, bo, bn, bn / bo if bo else float("nan"), mo, mn, mn / mo if mo else float("nan")))
    for tag in ("old", "new"):
        if tag in paths:
            print("%-34s %s" % ("paths (%s)" % tag, ", ".join(sorted(paths[tag]))))
