#!/usr/bin/env bash
# README command 1: installs what is missing, builds hepflow (Release) and runs the main job,
# the CMS data-reduction workload, on a small generated sample: `hepflow generate nanoaod`
# writes 200k NanoAOD-like events, `hepflow reduce examples/dimuon.yaml` skims Z -> mu mu
# events into smaller ROOT files and prints the cut-flow and timing summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export CCACHE_DIR=${CCACHE_DIR:-$(pwd)/build/ccache}
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target hepflow
hepflow=build/release/apps/hepflow/hepflow
out=build/example
mkdir -p "$out"
events=${HEPFLOW_EXAMPLE_EVENTS:-200000}
"$hepflow" generate nanoaod --events "$events" --seed 1 -o "$out/nanoaod.root"
"$hepflow" reduce examples/dimuon.yaml -i "$out/nanoaod.root" --output-dir "$out" \
  --report "$out/dimuon_report.json"
echo
echo "Outputs in $out/ (report: $out/dimuon_report.json):"
"$hepflow" ls "$out/dimuon_skim.root"
"$hepflow" show "$out/dimuon_skim.root:Events" | head -n 20
