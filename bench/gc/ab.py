#!/usr/bin/env python3
"""Two builds of a collector benchmark side by side: each workload run
alternately with the OLD and the NEW binary, ROUNDS times; per figure, the
best and the median of each, and new/old for both.

    python3 bench/gc/ab.py OLD/gc_bench NEW/gc_bench ROUNDS WORKLOAD...

(Build OLD from another commit with a git worktree; gc_unseen works the
same way.) < 1 means the new build is faster. The machine is shared: trust
a change that both columns agree on."""
import statistics
import subprocess
import sys

if len(sys.argv) < 5:
    sys.exit("usage: ab.py OLD/gc_bench NEW/gc_bench ROUNDS WORKLOAD...")
old, new, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])


def run(b, w):
    out = subprocess.run([b, w], capture_output=True, text=True).stdout
    return {l.split()[0]: float(l.split()[1]) for l in out.splitlines() if len(l.split()) >= 2}


for w in sys.argv[4:]:
    runs = {}
    for r in range(rounds):
        for tag, b in (("old", old), ("new", new)):
            for k, v in run(b, w).items():
                runs.setdefault((k, tag), []).append(v)
    for k in sorted({k for k, _ in runs}):
        if k.endswith("_objects") or k.endswith("_collected"):
            continue  # counts, not times
        o, n = runs[(k, "old")], runs[(k, "new")]
        bo, bn, mo, mn = min(o), min(n), statistics.median(o), statistics.median(n)
        print("%-34s best %9.3f -> %9.3f (%.2f)  median %9.3f -> %9.3f (%.2f)"
              % (k, bo, bn, bn / bo, mo, mn, mn / mo))
