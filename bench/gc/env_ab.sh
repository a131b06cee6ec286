#!/bin/bash
# One build, two environments, side by side: each out-of-sample workload run
# alternately under ENV_A and ENV_B, ROUNDS times; prints every run's ns per
# object and the best of each with best_B / best_A (< 1: B is faster).
#
#   bench/gc/env_ab.sh BUILD ROUNDS "ENV_A" "ENV_B" [WORKLOAD...]
#   bench/gc/env_ab.sh build/release 3 "RCGC_GC_SPLIT=off" "" social mesh
#
# ENV_A / ENV_B: space-separated VAR=value settings ("" for none). Without
# workloads, all twenty of bench/gc/unseen*/.
set -euo pipefail
[ $# -ge 4 ] || { sed -n 2,9p "$0"; exit 2; }
build=$1 rounds=$2 env_a=$3 env_b=$4
shift 4
declare -A program=(
  [parse_tree]=unseen/gc_unseen [flow_graph]=unseen/gc_unseen [lru_cache]=unseen/gc_unseen
  [orm]=unseen/gc_unseen [interpreter]=unseen2/gc_unseen2 [gui]=unseen2/gc_unseen2
  [ssa]=unseen2/gc_unseen2 [actors]=unseen2/gc_unseen2 [spreadsheet]=unseen3/gc_unseen3
  [dom]=unseen3/gc_unseen3 [social]=unseen3/gc_unseen3 [objmodel]=unseen3/gc_unseen3
  [scene]=unseen4/gc_unseen4 [editor]=unseen4/gc_unseen4 [chess]=unseen4/gc_unseen4
  [broker]=unseen4/gc_unseen4 [build_graph]=unseen5/gc_unseen5 [vfs]=unseen5/gc_unseen5
  [mesh]=unseen5/gc_unseen5 [http_server]=unseen5/gc_unseen5)
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(parse_tree flow_graph lru_cache orm interpreter gui ssa
  actors spreadsheet dom social objmodel scene editor chess broker build_graph vfs mesh http_server)
one() {  # ENV WORKLOAD: ns per object
  # shellcheck disable=SC2086
  env $1 "$build/bench/gc/${program[$2]}" "$2" | awk -v k="$2_ns_per_object" '$1 == k {print $2}'
}
printf '%-12s | %-26s | %-26s | %s\n' workload "A: ${env_a:-default}" "B: ${env_b:-default}" "best B/A"
for w in "${workloads[@]}"; do
  [ -n "${program[$w]:-}" ] || { echo "unknown workload $w" >&2; exit 2; }
  a=() b=()
  for ((r = 0; r < rounds; r++)); do
    a+=("$(one "$env_a" "$w")")
    b+=("$(one "$env_b" "$w")")
  done
  python3 - "$w" "${a[*]}" "${b[*]}" <<'PY'
import sys
w, a, b = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
print("%-12s | %-26s | %-26s | %.2f" % (w, " ".join("%.1f" % x for x in a),
      " ".join("%.1f" % x for x in b), min(b) / min(a)))
PY
done
