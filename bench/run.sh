#!/usr/bin/env bash
# Every wiretag benchmark in one run, and bench/RESULTS.md regenerated from
# what it measured:
#
#   bash bench/run.sh [--quick] [--out DIR] [--skip-peers] [--skip-e2e]
#
#   --quick       smoke run: short repetitions, peers and end-to-end on
#                 small inputs (a few minutes, not ten); RESULTS.md
#                 is written to DIR instead of bench/
#   --out DIR     raw results and logs (default bench/out)
#   --skip-peers  leave out bench/peers.sh (fastText, VW, scikit-learn,
#                 liblinear)
#   --skip-e2e    leave out bench/e2e.sh (the real-broker benchmark)
#
# Steps: install what the benchmarks need (bench/install-deps.sh), build
# wiretag in build-bench (Release), train the 90-label Reuters model the
# hot loop is also measured with, run the hot-loop benchmark
# (wiretag-bench) over every corpus with 1..N threads, and conflict-v1 on
# Reuters for the hot loop's "before" baseline, time the whole `wiretag
# classify` process on the 90-label model and Reuters, run the peers and
# the end-to-end benchmark; then bench/report.py writes RESULTS.md (its
# headline: each throughput target beside what this run measured) and the
# plots (bench/results/*.png, with the CSVs they come from).
#
# Thread scaling beyond this machine's cores: bench/scaling.sh on a larger
# machine writes bench/results/scaling-<cores>core.csv, which the report
# includes when present.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

out=bench/out
quick=0
peers=1
e2e=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    --skip-peers) peers=0 ;;
    --skip-e2e) e2e=0 ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

shared=${WT_SHARED_DATA:-$repo/../shared/data}
if [ ! -d "$shared" ]; then
  echo "bench/run.sh: the shared data ($shared) is missing; the benchmarks" \
       "run on it (set WT_SHARED_DATA to its folder)" >&2
  exit 1
fi
mkdir -p "$out"
log() { echo "[$(date +%T)] bench: $*" >&2; }

# How long each piece took and which ran, for the report: it states the
# run's length and leaves out what a --skip option left stale in $out.
t_all=$SECONDS
t_piece=$SECONDS
: >"$out/run.txt"
piece() {  # piece NAME [skipped]: the time since the last piece is NAME's
  if [ "${2:-}" = skipped ]; then
    echo "$1 skipped" >>"$out/run.txt"
  else
    echo "$1 $((SECONDS - t_piece))" >>"$out/run.txt"
  fi
  t_piece=$SECONDS
}

log "installing benchmark dependencies"
bash bench/install-deps.sh

build=build-bench
log "building wiretag (Release) in $build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" >/dev/null
piece setup

# The machine, for the report.
{
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
  echo "cores: $(nproc)"
  echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
  echo "kernel: $(uname -r)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "compiler: $(cc --version | head -n 1)"
  echo "build: CMAKE_BUILD_TYPE=Release WT_ARCH=$(sed -n 's/^WT_ARCH:STRING=//p' "$build/CMakeCache.txt")"
  echo "librdkafka: $(dpkg-query -W -f='${Version}' librdkafka1 2>/dev/null || echo '?')"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
} >"$out/machine.txt"

# The 90-label model: fixed C, no cross-validation, as the hot loop's
# speed does not depend on how C was chosen (peers.sh trains and scores
# the CV-tuned one on its own split).
reuters_model=$out/reuters-90.wtm
if [ ! -s "$reuters_model" ]; then
  log "training the 90-label Reuters model ($reuters_model)"
  "$build/wiretag" train --data "$shared/reuters21578/train.jsonl" \
    --out "$reuters_model" --name reuters-90 --C 16 --cv 0 -q
fi

# Thread counts: 1, powers of two below the core count, the core count.
cores=$(nproc)
threads=1
t=2
while [ "$t" -lt "$cores" ]; do threads="$threads,$t"; t=$((t * 2)); done
[ "$cores" -gt 1 ] && threads="$threads,$cores"

corpora=()
for f in reuters21578/train.jsonl bbc/train.jsonl conflict/satp/train.jsonl \
         agnews/test.jsonl samples/pakistan-iran.json; do
  [ -f "$shared/$f" ] && corpora+=(--data "$shared/$f")
done
reps=5
seconds=1
if [ "$quick" = 1 ]; then reps=2; seconds=0.2; fi
log "hot loop: wiretag-bench, threads $threads, $reps repetitions"
"$build/wiretag-bench" --model models/conflict-v2.wtm --model "$reuters_model" \
  "${corpora[@]}" --threads "$threads" --reps "$reps" --seconds "$seconds" \
  --csv "$out/hotloop.csv" | tee "$out/hotloop.txt"

# The hot loop's "before" figure (BASELINE in bench/report.py) was
# conflict-v1 on Reuters train, one thread: the same once more, to set
# beside it (a few seconds).
log "hot loop: conflict-v1 on Reuters train, 1 thread, for the baseline"
"$build/wiretag-bench" --model models/conflict-v1.wtm \
  --data "$shared/reuters21578/train.jsonl" --threads 1 --reps "$reps" \
  --seconds "$seconds" --csv "$out/hotloop-baseline.csv" --quiet \
  >"$out/hotloop-baseline.txt"
piece hotloop

# `wiretag classify` as a user runs it, start-up and model load included,
# on the model and corpus of a hot-loop row above (reuters-90 on Reuters
# train), output to /dev/null: one untimed run, then the median and the
# best of the timed ones (a few seconds in all). The corpus is read four
# times over (one 24 MB file), as the hot loop reads it many times over:
# the model's load is then a share of the time a file of that size
# costs, not most of it.
classify_runs=5
[ "$quick" = 1 ] && classify_runs=3
log "wiretag classify, whole process: reuters-90 on Reuters train, $classify_runs runs"
python3 - "$out/classify.csv" "$classify_runs" "$build/wiretag" \
  "$reuters_model" "$shared" reuters21578/train.jsonl <<'EOF'
import csv, os, subprocess, sys, time
dest, runs, wiretag, model, shared, corpus = sys.argv[1:]
copies = 4
with open(os.path.join(shared, corpus), "rb") as f:
    body = f.read()
articles = copies * sum(1 for line in body.splitlines() if line.strip())
path = dest + ".input.jsonl"
with open(path, "wb") as f:
    for _ in range(copies):
        f.write(body)
size = os.path.getsize(path)
times = []
for i in range(int(runs) + 1):
    t0 = time.perf_counter()
    subprocess.run([wiretag, "classify", "-m", model, path], check=True,
                   stdout=subprocess.DEVNULL)
    if i:
        times.append(time.perf_counter() - t0)
os.unlink(path)
times.sort()
med = times[len(times) // 2]
with open(dest, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["model", "corpus", "copies", "articles", "bytes", "runs",
                "best_s", "median_s", "articles_per_s", "mb_per_s"])
    w.writerow([os.path.basename(model), corpus, copies, articles, size,
                len(times),
                f"{times[0]:.4f}", f"{med:.4f}", f"{articles / med:.1f}",
                f"{size / med / 1e6:.2f}"])
print(f"wiretag classify: {corpus} x{copies}, {articles} articles, "
      f"{size / 1e6:.1f} MB, median "
      f"{med:.3f} s (best {times[0]:.3f} s): {articles / med:,.0f} "
      f"articles/s", file=sys.stderr)
EOF
piece classify

if [ "$peers" = 1 ]; then
  log "peers: bench/peers.sh"
  peers_args=(--out "$out" --build "$build")
  [ "$quick" = 1 ] && peers_args+=(--quick)
  bash bench/peers.sh "${peers_args[@]}"
  piece peers
else
  piece peers skipped
fi
if [ "$e2e" = 1 ]; then
  log "end to end: bench/e2e.sh"
  if [ "$quick" = 1 ]; then
    bash bench/e2e.sh --out "$out" --build "$build" --articles 20000
  else
    bash bench/e2e.sh --out "$out" --build "$build"
  fi
  piece e2e
else
  piece e2e skipped
fi
echo "total $((SECONDS - t_all))" >>"$out/run.txt"
[ "$quick" = 1 ] && echo "quick" >>"$out/run.txt"

dest=bench
[ "$quick" = 1 ] && dest=$out
log "writing $dest/RESULTS.md"
python3 bench/report.py --out "$out" --dest "$dest"
log "done: $dest/RESULTS.md"
