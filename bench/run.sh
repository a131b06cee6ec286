#!/usr/bin/env bash
# Builds in Release and runs every benchmark side by side with its peers:
# the allocator (bench/run_alloc.sh), the collector (bench/gc/run.py) and
# rcgc::Dict (bench/dict_bench.cpp).
# Usage: bench/run.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
start=$(date +%s)
# Seconds since the command started (the issue's check: under 10 minutes
# from a fresh clone), printed with each part's heading.
elapsed() { echo "$(( $(date +%s) - start )) s"; }
scripts/deps.sh
need=()
for p in libgc-dev libjemalloc-dev libgoogle-perftools-dev libbenchmark-dev libmimalloc-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cmake --preset release >/dev/null
cmake --build --preset release
echo "== collector (at $(elapsed))"
python3 bench/gc/run.py build/release "$rounds"
echo "== allocator (at $(elapsed))"
# The Release build above has the allocator's benchmarks too (the same
# options run_alloc.sh configures): no second build of the library.
BUILD_DIR=build/release bench/run_alloc.sh "$rounds"
echo "== rcgc::Dict against std::unordered_map (at $(elapsed))"
build/release/bench/bench_dict --benchmark_min_time=0.2
echo "== bench/run.sh done in $(elapsed)"
