#!/usr/bin/env bash
# Fuzz every wiretag harness with libFuzzer for SECONDS each (default 60),
# starting from the committed seed corpus, under ASan and UBSan. Exits
# non-zero on any finding (crash, sanitizer report, leak, timeout, out of
# memory); the reproducer is left in build-fuzz/artifacts/ and can be
# replayed with build-fuzz/tests/fuzz/fuzz_NAME_replay FILE.
#
#   bash tests/fuzz/run.sh [SECONDS] [BUILD_DIR]
#
# New inputs the fuzzer finds go to BUILD_DIR/corpus/NAME, not into the
# repository; copy the interesting ones to tests/fuzz/corpus/NAME by hand.
set -euo pipefail

secs=${1:-60}
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$repo/build-fuzz}
cd "$repo"

# clang, and its sanitizer and libFuzzer runtimes (Debian ships them
# apart, as a recommended package).
bash tests/install-deps.sh clang libclang-rt-14-dev

CC=clang cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWT_FUZZ=ON -DWT_SANITIZE=address,undefined \
  -DCMAKE_C_FLAGS="-fno-sanitize-recover=all" >/dev/null
cmake --build "$build" --target fuzz_article fuzz_model fuzz_config >/dev/null

mkdir -p "$build/artifacts"
failed=0
for name in article model config; do
  corpus=$build/corpus/$name
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/$name/* "$corpus/" 2>/dev/null || true
  log=$build/fuzz-$name.log
  echo "fuzz: $name for ${secs} s" >&2
  if WT_FIXTURES=$repo/tests/fixtures \
     "$build/tests/fuzz/fuzz_$name" -max_total_time="$secs" -timeout=10 \
       -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="$build/artifacts/$name-" "$corpus" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz: $name: ${execs:-?} executions, no finding; corpus $(ls "$corpus" | wc -l) inputs" >&2
  else
    failed=1
    echo "fuzz: $name: FINDING (log $log):" >&2
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -n 10 >&2 || tail -n 30 "$log" >&2
  fi
done
exit $failed
