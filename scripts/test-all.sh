#!/usr/bin/env bash
# The whole test command (README command 2, and what CI runs through .ci/run):
#   1. install dependencies, 2. Release build + the CTest suite,
#   3. clang build with AddressSanitizer + UndefinedBehaviorSanitizer + the CTest suite again,
#   4. the libFuzzer targets for a bounded time (FUZZ_SECONDS, default 60 in total).
# Build folders live in build/ (reused by ccache and incremental builds).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-60}

scripts/install-deps.sh
export CCACHE_DIR=${CCACHE_DIR:-$root/build/ccache}
start=$(date +%s)

echo "== [1/3] Release build and tests"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHEPFLOW_BUILD_BENCH=ON >/dev/null
cmake --build build/release -j "$jobs"
# MALLOC_PERTURB_ fills fresh allocations with a pattern: Column storage is not zeroed on resize
# (frame/columns/column.h), so any read of an unwritten value shows up as a wrong result.
MALLOC_PERTURB_=165 ctest --test-dir build/release --output-on-failure -j "$jobs"

echo "== [2/3] ASan+UBSan build (clang) and tests"
CC=clang CXX=clang++ cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DHEPFLOW_SANITIZE=ON -DHEPFLOW_FUZZ=ON -DHEPFLOW_BUILD_BENCH=OFF >/dev/null
cmake --build build/sanitize -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/sanitize --output-on-failure -j "$jobs" -LE "slow|jsroot"

echo "== [3/3] Fuzzing (${fuzz_seconds}s in total)"
scripts/fuzz.sh build/sanitize "$fuzz_seconds"

echo "== all tests passed in $(( $(date +%s) - start ))s (after dependency install)"
