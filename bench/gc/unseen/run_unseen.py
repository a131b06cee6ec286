"""Runs an out-of-sample set: its rcgc binary and its Python twin,
alternately, 3 rounds, keeping the best ns per object of each, and prints a
markdown table (then a second one with the object counts and the best
whole-heap collect() times).

    python3 bench/gc/unseen/run_unseen.py build/release/bench/gc/unseen/gc_unseen
    python3 bench/gc/unseen/run_unseen.py build/release/bench/gc/unseen2/gc_unseen2
    python3 bench/gc/unseen/run_unseen.py build/release/bench/gc/unseen3/gc_unseen3
    python3 bench/gc/unseen/run_unseen.py build/release/bench/gc/unseen4/gc_unseen4
    python3 bench/gc/unseen/run_unseen.py build/release/bench/gc/unseen5/gc_unseen5

The set is told by the binary's name: gc_unseen (bench/gc/unseen/, by the
first helper), gc_unseen2 (bench/gc/unseen2/, by the second), gc_unseen3
(bench/gc/unseen3/, by the third), gc_unseen4 (bench/gc/unseen4/, by the
fourth) or gc_unseen5 (bench/gc/unseen5/, by the fifth)."""
import os
import subprocess
import sys

# Each set: its binary's name -> its folder, who wrote it, and its
# workloads with what each builds (bench/gc/run.py prints these in its table).
SETS = {
    "gc_unseen": ("unseen", "a helper", (
        ("parse_tree", "parse trees with parent pointers, 1.07M objects"),
        ("flow_graph", "flow network as a dict of adjacency lists, 560k"),
        ("lru_cache", "LRU cache: std::unordered_map + linked nodes, 442k"),
        ("orm", "ORM-like object graph, 630k"))),
    "gc_unseen2": ("unseen2", "a second helper", (
        ("interpreter", "interpreter: ASTs, scopes and closures, 356k objects"),
        ("gui", "GUI widget tree with signals and bindings, 489k"),
        ("ssa", "SSA code: blocks, instructions, use lists, 676k"),
        ("actors", "actors with mailboxes, promises and supervisors, 452k"))),
    "gc_unseen3": ("unseen3", "a third helper", (
        ("spreadsheet", "spreadsheet: cells, formula ASTs, dependents, 511k"),
        ("dom", "DOM: elements, sibling lists, CSS rules, listeners, 537k"),
        ("social", "social network: users, posts, comments, std::list notifications, 763k"),
        ("objmodel", "Python-like object model: classes, instances, tracebacks, 669k"))),
    "gc_unseen4": ("unseen4", "a fourth helper", (
        ("scene", "game scene graph and entity-component system, 550k objects"),
        ("editor", "text editor: piece tables, undo tree, marks, registers, 374k"),
        ("chess", "chess analysis: search trees, transposition table, weak refs, 547k"),
        ("broker", "message broker: topics, partitions, consumers, timers, 307k"))),
    "gc_unseen5": ("unseen5", "a fifth helper", (
        ("build_graph", "build system: packages, versions, targets, actions, cache, 340k objects"),
        ("vfs", "filesystem: inodes, dentries, hard links, page maps, processes, 514k"),
        ("mesh", "CAD half-edge meshes, an edge map, BVH trees, feature history, 640k"),
        ("http_server", "HTTP server: routes, sessions, connections, requests, 496k"))),
}
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
        sys.stderr.write("usage: run_unseen.py %s\n" % "|".join("path/to/" + b for b in SETS))
        sys.exit(2)
    folder, _, described = SETS[os.path.basename(sys.argv[1])]
    workloads = [name for name, _ in described]
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
