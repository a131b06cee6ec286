#!/usr/bin/env bash
# CI hook for the reliability suite (docs/reliability.md). Expects build/asan
# to be built already (.ci/run does it). Prints the counts; exits non-zero on
# any failure.
#   1. the stress driver, >= 1,000,000 operations, ASan + UBSan (build/asan),
#      then a quarter of that with every full collection in the shadow
#   2. the libFuzzer target for RCGC_FUZZ_SECONDS (default 60) seconds
#   3. the tsan preset: the threaded stress test, with and without the
#      shadow and with the subtract walk shared with the helper thread, and
#      the shadow's own threads tests
# Environment: RCGC_STRESS_OPS (default 1000000), RCGC_STRESS_SEED (default
# 20240501), RCGC_STRESS_SEEDS (default 16), RCGC_FUZZ_SECONDS (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
ops="${RCGC_STRESS_OPS:-1000000}"
seed="${RCGC_STRESS_SEED:-20240501}"
seeds="${RCGC_STRESS_SEEDS:-16}"
fuzz_seconds="${RCGC_FUZZ_SECONDS:-60}"

echo "== reliability 1/3: stress driver, $ops operations, seeds $seed.., ASan + UBSan"
cmake --build build/asan --target test_stress test_alloc_failure test_misuse >/dev/null
RCGC_STRESS_OPS="$ops" RCGC_STRESS_SEED="$seed" RCGC_STRESS_SEEDS="$seeds" \
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  build/asan/tests/test_stress --gtest_brief=1 | grep -E '^\[stress\]|FAILED|Failure|PASSED' 
# Once more with every full collection keeping its state in the shadow.
RCGC_GC_SHADOW_MIN=0 RCGC_STRESS_OPS="$(( ops / 4 ))" RCGC_STRESS_SEED="$(( seed + 1000 ))" \
  RCGC_STRESS_SEEDS="$(( (seeds + 3) / 4 ))" \
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  build/asan/tests/test_stress --gtest_brief=1 | grep -E '^\[stress\]|FAILED|Failure|PASSED'
build/asan/tests/test_alloc_failure --gtest_brief=1 | grep -E '^\[alloc-failure\]|FAILED|PASSED'
build/asan/tests/test_misuse --gtest_brief=1 | grep -E '^\[misuse\]|FAILED|PASSED'
echo "   (stress + alloc-failure + misuse: $(( $(date +%s) - start ))s)"

echo "== reliability 2/3: libFuzzer, ${fuzz_seconds}s"
tests/fuzz/run.sh "$fuzz_seconds"

echo "== reliability 3/3: threads under TSan"
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target test_threads_stress >/dev/null
TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/test_threads_stress --gtest_brief=1 \
  | grep -E '^\[threads\]|FAILED|PASSED'
# The threads' full collections through the shadow (one at a time uses it).
cmake --build --preset tsan --target test_shadow >/dev/null
RCGC_GC_SHADOW_MIN=0 TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/test_threads_stress \
  --gtest_brief=1 | grep -E '^\[threads\]|FAILED|PASSED'
TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/test_shadow --gtest_brief=1 \
  --gtest_filter='ShadowThreads.*' | grep -E 'FAILED|PASSED'
# The same with the subtract walk shared with the helper thread
# (RCGC_GC_PARALLEL=0: every shadow collection shares it).
RCGC_GC_SHADOW_MIN=0 RCGC_GC_PARALLEL=0 TSAN_OPTIONS=halt_on_error=1 \
  build/tsan/tests/test_threads_stress --gtest_brief=1 | grep -E '^\[threads\]|FAILED|PASSED'
RCGC_GC_PARALLEL=0 TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/test_shadow --gtest_brief=1 \
  --gtest_filter='Shadow.Shared*:ShadowThreads.*' | grep -E 'FAILED|PASSED'

echo "== reliability done in $(( $(date +%s) - start ))s"
