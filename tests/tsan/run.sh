#!/usr/bin/env bash
# The whole suite, pipeline tests on the real broker included, under
# ThreadSanitizer (clang; Debian's GCC 12 TSan cannot run librdkafka even
# with the C11-threads shim). Reports from inside librdkafka, which is not
# instrumented, are suppressed (tests/tsan/tsan.supp); any other report
# fails its test.
#
#   bash tests/tsan/run.sh [BUILD_DIR]      (default build-tsan)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$repo/build-tsan}
cd "$repo"

# clang, and its sanitizer runtimes (libclang_rt.tsan), which Debian
# ships apart as a recommended package.
bash tests/install-deps.sh clang libclang-rt-14-dev

# -Werror as in tests/run.sh: clang's warnings fail CI as GCC's do.
CC=clang cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWT_SANITIZE=thread -DWT_WERROR=ON >/dev/null
cmake --build "$build" >/dev/null
cd "$build"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$repo/tests/tsan/tsan.supp" \
  ctest --output-on-failure -j "$(nproc)"
