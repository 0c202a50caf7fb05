#!/usr/bin/env bash
# The test command: installs packages, builds from scratch, runs every test
# with ctest. Usage: bash tests/run.sh [BUILD_DIR] [extra cmake options...]
#   WT_SANITIZE=address,undefined bash tests/run.sh build-asan
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
shift || true
bash tests/install-deps.sh

opts=(-G Ninja -DWT_WERROR=ON)
[ -n "${WT_SANITIZE:-}" ] && opts+=("-DWT_SANITIZE=$WT_SANITIZE")
rm -rf "$build"
cmake -S . -B "$build" "${opts[@]}" "$@"
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest --output-on-failure -j "$(nproc)"
