#!/usr/bin/env bash
# Builds rcgc and runs every test (CTest). Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
ctest --preset default "$@"
