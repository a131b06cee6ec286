#!/usr/bin/env bash
# Builds rcgc and runs the seeds' examples (the main demonstration).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target examples
for ex in build/default/examples/ex_*; do
  echo "=================== $(basename "$ex")"
  "$ex"
done
