#!/usr/bin/env bash
# Builds and runs the allocator benchmarks side by side: rcgc::mem against
# glibc, mimalloc, jemalloc and tcmalloc, and prints time ratios.
#
#   bench/run_alloc.sh [ROUNDS]      (default 5 rounds, interleaved)
#
# Installs missing peers with apt-get (Debian packages). Environment:
#   BUILD_DIR  build directory (default build/bench-alloc)
#   RCGC_MALLOC is forced to pymalloc for the rcgc run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/bench-alloc}
rounds=${1:-5}

need=()
for pkg in libbenchmark-dev libmimalloc-dev libjemalloc-dev libgoogle-perftools-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DRCGC_BUILD_BENCH=ON -DRCGC_BUILD_TESTS=OFF -DRCGC_BUILD_EXAMPLES=OFF >/dev/null
peers=(rcgc glibc mimalloc jemalloc tcmalloc)
targets=()
for p in "${peers[@]}"; do targets+=("bench_alloc_$p"); done
ninja -C "$build" -j2 "${targets[@]}" >/dev/null

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
echo "command: bench/run_alloc.sh $rounds"
RCGC_MALLOC=pymalloc python3 "$root/bench/alloc_ratios.py" "$build/bench" "$rounds" "${peers[@]}"
