#!/usr/bin/env python3
"""Runs bench_alloc_<peer> executables in interleaved rounds and prints the
best time per benchmark and each peer's time relative to rcgc.

usage: alloc_ratios.py BENCH_DIR ROUNDS PEER...   (the first peer is the base)
"""
import json
import os
import subprocess
import sys


def run(exe):
    out = subprocess.run([exe, "--benchmark_format=json", "--benchmark_min_time=0.2"],
                         check=True, capture_output=True, text=True).stdout
    return {b["name"]: b["real_time"] for b in json.loads(out)["benchmarks"]}


def main():
    bench_dir, rounds, peers = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    peers = [p for p in peers if os.path.exists(os.path.join(bench_dir, "bench_alloc_" + p))]
    best = {p: {} for p in peers}
    for _ in range(rounds):
        for p in peers:  # interleaved: machine noise hits every peer alike
            for name, t in run(os.path.join(bench_dir, "bench_alloc_" + p)).items():
                best[p][name] = min(t, best[p].get(name, float("inf")))
    base = peers[0]
    names = list(best[base])
    print()
    print("best of %d rounds, ns per operation (batch: per 1000 blocks)" % rounds)
    print("%-18s" % "benchmark" + "".join("%12s" % p for p in peers))
    for n in names:
        print("%-18s" % n + "".join("%12.2f" % best[p][n] for p in peers))
    print()
    print("ratio rcgc / peer (< 1.0: rcgc is faster)")
    print("%-18s" % "benchmark" + "".join("%12s" % p for p in peers[1:]))
    for n in names:
        print("%-18s" % n + "".join("%12.2f" % (best[base][n] / best[p][n]) for p in peers[1:]))


if __name__ == "__main__":
    main()
