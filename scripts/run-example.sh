#!/usr/bin/env bash
# README command 1: installs what is missing, builds hepflow (Release) and runs the main
# job on the embedded sample data. For now that is `hepflow show` and `hepflow stats` on the
# CMS NanoAOD test file; the data-reduction workload replaces it when it lands.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export CCACHE_DIR=${CCACHE_DIR:-$(pwd)/build/ccache}
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target hepflow
sample=tests/data/nanoAOD_2015_CMS_Open_Data_ttbar.root
build/release/apps/hepflow/hepflow show "$sample:Events" | head -n 40
build/release/apps/hepflow/hepflow stats "$sample" | head -n 60
