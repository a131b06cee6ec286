"""Runs an out-of-sample set: its rcgc binary and its Python twin,
alternately, 3 rounds, keeping the best ns per object of each, and prints a
markdown table (then a second one with the object counts and the best
whole-heap collect() times).

    python3 bench/gc/unseen/run_unseen.py build/release/bench/gc/unseen/gc_unseen
    python3 bench/gc/unseen/run_unseen.py build/release/bench/gc/unseen2/gc_unseen2
    python3 bench/gc/unseen/run_unseen.py build/release/bench/gc/unseen3/gc_unseen3
    python3 bench/gc/unseen/run_unseen.py build/release/bench/gc/unseen4/gc_unseen4

The set is told by the binary's name: gc_unseen (bench/gc/unseen/, by the
first helper), gc_unseen2 (bench/gc/unseen2/, by the second), gc_unseen3
(bench/gc/unseen3/, by the third) or gc_unseen4 (bench/gc/unseen4/, by the
fourth)."""
import os
import subprocess
import sys

SETS = {"gc_unseen": ("unseen", ["parse_tree", "flow_graph", "lru_cache", "orm"]),
        "gc_unseen2": ("unseen2", ["interpreter", "gui", "ssa", "actors"]),
        "gc_unseen3": ("unseen3", ["spreadsheet", "dom", "social", "objmodel"]),
        "gc_unseen4": ("unseen4", ["scene", "editor", "chess", "broker"])}
ROUNDS = 3
GC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, name):
    out = subprocess.run(cmd + [name], check=True, capture_output=True, text=True).stdout
    values = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        values[key] = float(value)
    return (values[f"{name}_ns_per_object"], int(values[f"{name}_objects"]),
            values[f"{name}_best_ms"])


def main():
    if len(sys.argv) != 2 or os.path.basename(sys.argv[1]) not in SETS:
        sys.stderr.write("usage: run_unseen.py path/to/gc_unseen|path/to/gc_unseen2|"
                         "path/to/gc_unseen3|path/to/gc_unseen4\n")
        sys.exit(2)
    folder, workloads = SETS[os.path.basename(sys.argv[1])]
    sides = {"rcgc": [os.path.abspath(sys.argv[1])],
             "cpython": [sys.executable, os.path.join(GC, folder, folder + ".py")]}
    best = {(w, s): None for w in workloads for s in sides}
    for _ in range(ROUNDS):
        for w in workloads:
            for s, cmd in sides.items():
                r = run(cmd, w)
                if best[(w, s)] is None or r[0] < best[(w, s)][0]:
                    best[(w, s)] = r
    print("| workload | rcgc ns/object | CPython ns/object | CPython/rcgc |")
    print("|---|---:|---:|---:|")
    for w in workloads:
        r, p = best[(w, "rcgc")][0], best[(w, "cpython")][0]
        print(f"| {w} | {r:.1f} | {p:.1f} | {p / r:.2f}x |")
    print()
    print("| workload | rcgc objects | CPython objects | CPython/rcgc objects "
          "| rcgc ms | CPython ms | CPython/rcgc whole heap |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for w in workloads:
        _, rn, rms = best[(w, "rcgc")]
        _, pn, pms = best[(w, "cpython")]
        print(f"| {w} | {rn} | {pn} | {pn / rn:.3f} | {rms:.2f} | {pms:.2f} | {pms / rms:.2f}x |")


if __name__ == "__main__":
    main()
