#!/usr/bin/env bash
# Builds hepflow in Release mode and runs every benchmark in bench/, printing each figure
# beside its same-run baseline. Not part of the test command (numbers go in notes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export CCACHE_DIR=${CCACHE_DIR:-$(pwd)/build/ccache}
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHEPFLOW_BUILD_BENCH=ON >/dev/null
cmake --build build/release -j "$(nproc)"
for b in build/release/bench/bench_*; do
  echo "== $(basename "$b")"
  "$b" --benchmark_counters_tabular=true "$@"
done
