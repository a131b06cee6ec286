#!/usr/bin/env bash
# Builds the libFuzzer target (clang 14, ASan + UBSan + libFuzzer) and runs it
# for SECONDS seconds (default 60) on tests/fuzz/corpus (read-only: new inputs
# go to a scratch corpus). Exits non-zero when the fuzzer finds a failure.
#
#   tests/fuzz/run.sh [SECONDS]
# Environment: RCGC_FUZZ_BUILD (build dir, default build/fuzz), CXX (default
# clang++-14 or clang++), RCGC_FUZZ_JOBS (parallel compiles, default 2),
# RCGC_FUZZ_SEED (libFuzzer's -seed, default 1: the same mutation sequence in
# every run), RCGC_FUZZ_RUNS (stop after that many inputs).
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${RCGC_FUZZ_BUILD:-$root/build/fuzz}"
cxx="${CXX:-$(command -v clang++-14 || command -v clang++)}"
jobs="${RCGC_FUZZ_JOBS:-2}"
mkdir -p "$out/obj" "$out/new-corpus"

flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -DRCGC_DEBUG_LEVEL=2
       -fsanitize=address,undefined -fno-sanitize-recover=undefined
       -I"$root/include" -I"$root/src" -Wall -Wextra)
# (No mimalloc backend here: the fuzzer runs the default pymalloc backend.)
printf '%s\n' "${flags[@]}" -fsanitize=fuzzer-no-link >"$out/flags.rsp.new"
cmp -s "$out/flags.rsp.new" "$out/flags.rsp" || mv "$out/flags.rsp.new" "$out/flags.rsp"

# The library's sources, compiled once each (recompiled when newer than the
# object or when a header changed).
newest_header=$(find "$root/include" "$root/src" "$root/tests/stress" -name '*.hpp' -printf '%T@\n' | sort -n | tail -1)
export cxx newest_header
objs=()
pairs=()
while IFS= read -r src; do
  rel="${src#$root/}"
  obj="$out/obj/$(echo "$rel" | tr '/' '_').o"
  objs+=("$obj")
  pairs+=("$src" "$obj")
done < <(find "$root/src" -name '*.cpp' | sort)
pairs+=("$root/tests/fuzz/fuzz_driver.cpp" "$out/obj/fuzz_driver.o")
objs+=("$out/obj/fuzz_driver.o")
echo "fuzz: compiling with $cxx ($jobs jobs)"
export rsp="$out/flags.rsp"
printf '%s\0' "${pairs[@]}" | xargs -0 -n 2 -P "$jobs" bash -c '
    src="$0"; obj="$1"
    newest=${newest_header%.*}
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$(stat -c %Y "$obj")" -lt "$newest" ] ||
       [ "$rsp" -nt "$obj" ]; then
      "$cxx" @"$rsp" -c "$src" -o "$obj" || exit 255
    fi'
"$cxx" -fsanitize=fuzzer,address,undefined "${objs[@]}" -ldl -lpthread -o "$out/rcgc_fuzz"

echo "fuzz: running $out/rcgc_fuzz for ${seconds}s"
log="$out/fuzz.log"
set +e
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$out/rcgc_fuzz" -max_total_time="$seconds" -seed="${RCGC_FUZZ_SEED:-1}" ${RCGC_FUZZ_RUNS:+-runs=$RCGC_FUZZ_RUNS} \
  -max_len=4096 -timeout=30 -rss_limit_mb=3072 \
  -artifact_prefix="$out/" -print_final_stats=1 \
  "$out/new-corpus" "$root/tests/fuzz/corpus" >"$log" 2>&1
status=$?
set -e
tail -n 25 "$log"
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
echo "fuzz: ${seconds}s, ${runs:-0} inputs executed, exit status $status"
exit $status
