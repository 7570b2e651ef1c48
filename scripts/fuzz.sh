#!/usr/bin/env bash
# Runs every libFuzzer target of a HEPFLOW_FUZZ build (ROOT parsers, expression compiler) for a
# bounded total time shared equally, seeded with tests/fuzz/corpus/<target> when present, else
# the real test files. Fails on any crash, leak, sanitizer report or timeout; the crashing input
# is left in build/fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/sanitize}
total=${2:-60}
targets=("$build"/tests/fuzz/fuzz_*)
[ -x "${targets[0]}" ] || { echo "fuzz.sh: no fuzz targets in $build/tests/fuzz" >&2; exit 1; }
per_target=$(( total / ${#targets[@]} ))
[ "$per_target" -ge 1 ] || per_target=1
mkdir -p build/fuzz-artifacts
for target in "${targets[@]}"; do
  name=$(basename "$target")
  work=$(mktemp -d)
  # Seeds: the target's own corpus when it has one, else the real ROOT files.
  if [ -d "tests/fuzz/corpus/$name" ]; then seeds=("tests/fuzz/corpus/$name"); else seeds=(tests/data); fi
  # Expressions are short texts: long inputs only slow the search down.
  case "$name" in fuzz_expression) max_len=2048 ;; *) max_len=400000 ;; esac
  # A dictionary of the input's tokens (tests/fuzz/<target>.dict) when the target has one.
  dict=()
  if [ -f "tests/fuzz/$name.dict" ]; then dict=(-dict="tests/fuzz/$name.dict"); fi
  echo "-- $name for ${per_target}s"
  ASAN_OPTIONS=detect_leaks=1 "$target" "$work" "${seeds[@]}" \
    -max_total_time="$per_target" -timeout=20 -rss_limit_mb=4096 -max_len="$max_len" \
    -artifact_prefix=build/fuzz-artifacts/ -print_final_stats=1 "${dict[@]}" 2>&1 | tail -n 12
  rc=${PIPESTATUS[0]}
  rm -rf "$work"
  [ "$rc" -eq 0 ] || { echo "fuzz.sh: $name failed (rc $rc); see build/fuzz-artifacts/" >&2; exit 1; }
done
echo "fuzz: all targets ran ${per_target}s each without a crash"
