#!/usr/bin/env bash
# Thread scaling of the hot loop on a machine with more cores than a
# developer's box: wiretag-bench with 1, 2, 4, ... up to every core, on
# Reuters-21578 with the default model and the 90-label Reuters model.
# Writes bench/results/scaling-<cores>core.{csv,txt}, which bench/report.py
# puts into RESULTS.md.
#
#   bash bench/scaling.sh                 on a machine that builds wiretag
#   bash bench/scaling.sh --bundle DIR    here: pack what a run needs
#                                         (binaries, their two shared
#                                         libraries, models, corpus) into DIR
#   bash bench/scaling.sh --from-bundle DIR [--out DIR2]
#                                         there: run from the bundle alone,
#                                         for a machine with no compiler or
#                                         packages; results go to DIR2
#                                         (default bench/results)
#   --reps N --seconds S                  repetitions (default 5) of at
#                                         least S seconds (default 1)
#
# A bundle may also hold wiretag-bench.before, an earlier build: it is run
# single-threaded beside the current one, on the same quiet machine, for a
# before/after comparison (scaling-<cores>core-before.csv).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
shared=${WT_SHARED_DATA:-$repo/../shared/data}

mode=local
dir=
out=bench/results
reps=5
seconds=1
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) mode=bundle; dir=${2:?--bundle DIR}; shift ;;
    --from-bundle) mode=run; dir=${2:?--from-bundle DIR}; shift ;;
    --out) out=${2:?--out DIR}; shift ;;
    --reps) reps=${2:?--reps N}; shift ;;
    --seconds) seconds=${2:?--seconds S}; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/scaling.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

thread_list() {
  local cores=$1 list=1 t=2
  while [ "$t" -lt "$cores" ]; do list="$list,$t"; t=$((t * 2)); done
  [ "$cores" -gt 1 ] && list="$list,$cores"
  echo "$list"
}

machine() {
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
  echo "cores: $(nproc)"
  lscpu | grep -E '^(Thread\(s\) per core|Core\(s\) per socket|Socket\(s\)|NUMA node\(s\)|L3 cache):' |
    sed 's/:  */: /'
  echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
  echo "kernel: $(uname -r)"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
}

# run BENCH DATA MODEL MODEL90: the scaling run; CSV and the machine's
# description to $out.
run() {
  local bench=$1 data=$2 model=$3 m90=$4 cores
  cores=$(nproc)
  mkdir -p "$out"
  machine >"$out/scaling-${cores}core.txt"
  "$bench" --model "$model" --model "$m90" --data "$data" \
    --threads "$(thread_list "$cores")" --reps "$reps" --seconds "$seconds" \
    --csv "$out/scaling-${cores}core.csv"
}

# The Release build and the 90-label model, as bench/run.sh makes them.
m90=bench/out/reuters-90.wtm
prepare() {
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-bench --target wiretag wiretag-bench >/dev/null
  mkdir -p bench/out
  [ -s "$m90" ] || build-bench/wiretag train --data "$shared/reuters21578/train.jsonl" \
    --out "$m90" --name reuters-90 --C 16 --cv 0 -q
}

case "$mode" in
local)
  prepare
  run build-bench/wiretag-bench "$shared/reuters21578/train.jsonl" \
    models/conflict-v2.wtm "$m90"
  ;;
bundle)
  mkdir -p "$dir/reuters21578"
  prepare
  cp build-bench/wiretag-bench models/conflict-v2.wtm "$m90" "$dir/"
  cp "$shared/reuters21578/train.jsonl" "$dir/reuters21578/"
  # The shared libraries wiretag-bench loads beyond glibc.
  ldd build-bench/wiretag-bench | awk '/=> \// {print $3}' |
    grep -Ev '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' |
    xargs -r -I{} cp -L {} "$dir/"
  echo "bench/scaling.sh: bundle in $dir ($(du -sh "$dir" | cut -f1))" >&2
  ;;
run)
  export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  run "$dir/wiretag-bench" "$dir/reuters21578/train.jsonl" \
    "$dir/conflict-v2.wtm" "$dir/reuters-90.wtm"
  if [ -x "$dir/wiretag-bench.before" ]; then
    # Before and after take turns, three rounds, so a noisy neighbour
    # slows both alike; every round is a row.
    cores=$(nproc)
    for b in before after; do
      echo "model,labels,corpus,articles,bytes,tokens,threads,reps,articles_per_s,mb_per_s,ns_per_article,ns_per_token,p50_us,p99_us,spread_pct,peak_rss_mb,allocs_per_article,speedup,tags" \
        >"$out/scaling-${cores}core-$b.csv"
    done
    for round in 1 2 3; do
      for b in before after; do
        bin=$dir/wiretag-bench
        [ "$b" = before ] && bin=$dir/wiretag-bench.before
        "$bin" --model "$dir/conflict-v2.wtm" --model "$dir/reuters-90.wtm" \
          --data "$dir/reuters21578/train.jsonl" --threads 1 --reps "$reps" \
          --seconds "$seconds" --csv "$out/round.csv" --quiet >/dev/null
        tail -n +2 "$out/round.csv" >>"$out/scaling-${cores}core-$b.csv"
      done
    done
    rm -f "$out/round.csv"
  fi
  ;;
esac
