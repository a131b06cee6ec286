#!/usr/bin/env python3
"""Two builds of gc_bench side by side: each workload run alternately with
the OLD and the NEW binary, ROUNDS times, keeping the best of each figure.

    python3 bench/gc/ab.py OLD/gc_bench NEW/gc_bench ROUNDS WORKLOAD...

(Build OLD from another commit with a git worktree.) Prints old, new and
new/old per figure; < 1 means the new build is faster."""
import subprocess, sys
if len(sys.argv) < 5:
    sys.exit("usage: ab.py OLD/gc_bench NEW/gc_bench ROUNDS WORKLOAD...")
old, new, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
ws = sys.argv[4:]
def run(b, w):
    out = subprocess.run([b, w], capture_output=True, text=True).stdout
    return {l.split()[0]: float(l.split()[1]) for l in out.splitlines() if len(l.split()) >= 2}
for w in ws:
    best = {}
    for r in range(rounds):
        for tag, b in (("old", old), ("new", new)):
            for k, v in run(b, w).items():
                key = (k, tag)
                best[key] = min(best.get(key, 1e30), v)
    for k in sorted({k for k, _ in best}):
        if k.endswith("_objects") or k.endswith("_collected"): continue  # counts, not times
        o, n = best[(k, "old")], best[(k, "new")]
        print("%-34s old %9.3f new %9.3f  new/old %.2f" % (k, o, n, n / o))
