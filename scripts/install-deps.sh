#!/usr/bin/env bash
# Installs every Debian 12 package hepflow builds, tests and benchmarks with. Idempotent:
# when everything is present it only runs dpkg queries and returns in well under a second.
# Optional heavy parts (libtorch, MPI, XRootD, ...) are added here when a feature needs them.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache git
  clang libclang-rt-14-dev          # libFuzzer and the sanitizer runtime for the fuzz/ASan build
  clang-format
  zlib1g-dev libdeflate-dev liblzma-dev liblz4-dev libzstd-dev libxxhash-dev
  libtbb-dev libfmt-dev nlohmann-json3-dev libcli11-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# Node.js + npm run JSROOT (tests/tools/rootdump), the independent reader of the cross-check
# tests. Debian's packages only when no node is installed, or Debian's node without npm: a
# NodeSource node already ships its own npm, which conflicts with Debian's npm package.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1 &&
  dpkg-query -W -f='${Version}' nodejs 2>/dev/null | grep -q dfsg; then
  packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
