#!/usr/bin/env bash
# wiretag side by side with the tools its users would otherwise reach for:
# fastText, Vowpal Wabbit, scikit-learn and liblinear's own command-line
# tools. One run trains every tool on the same documents on this machine,
# scores them on the same held-out documents with one scorer, and times
# training and prediction the same way.
#
#   bash bench/peers.sh [--quick] [--out DIR] [--build DIR] [--keep-models]
#
#   --quick      smoke run: 1,500 documents per data set, one repetition
#   --out DIR    results (default bench/out): peers.csv, peers.md (tables
#                for bench/RESULTS.md), peers-threads.dat (for gnuplot),
#                and per data set the split, models, predictions, raw timings
#   --build DIR  wiretag build folder (default build); built or brought up
#                to date with cmake
#   --keep-models  keep the peers' model files (fastText's is ~0.4 GB and
#                scikit-learn's up to ~0.7 GB per data set; removed by
#                default once measured)
#
# Data sets (from ../shared/data, or $WT_SHARED_DATA):
#   reuters  Reuters-21578 ApteMod training split, multi-label, 90 topics
#   agnews   AG News test split, single-label, 4 classes, short texts
# Each is split by split.py: the last 20% in file order is the test part.
#
# What is compared (details in bench/peers/*.py and in peers.md):
#   wiretag   default training (5-fold CV over C, per-label thresholds) and
#             a fixed-C run (--C 16 --cv 0) comparable with peers that do
#             no search; prediction from wiretag-bench (hot loop, articles
#             in memory) and from `wiretag classify` (whole CLI)
#   fastText  supervised, word bigrams, -loss ova for multi-label
#   VW        --oaa / --multilabel_oaa, --ngram 2
#   sklearn   hashed 1-2-grams, sublinear tf-idf, LinearSVC(C=1)
#   liblinear liblinear-train -s 0 -c 16 on the scikit-learn features
# Prediction is single-threaded; the all-cores rows use N threads in
# wiretag-bench and N concurrent processes on N shards for the others.
# Progress goes to stderr. The full run takes about 10-15 minutes on 2 cores.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

out=
build=
quick=0
keep_models=0
usage() { sed -n '8,19p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    --build) build=${2:?--build needs a folder}; shift ;;
    --keep-models) keep_models=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "peers.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

say() { echo "peers: $*" >&2; }
die() { echo "peers.sh: $*" >&2; exit 1; }

# Folders given on the command line are relative to where it was typed;
# the defaults are inside the repository.
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
out=$( [ -n "$out" ] && abspath "$out" || echo "$repo/bench/out")
build=$( [ -n "$build" ] && abspath "$build" || echo "$repo/build")
data=$(abspath "${WT_SHARED_DATA:-$(dirname "$repo")/shared/data}")
cd "$repo"

[ -d "$data" ] || die "shared data not found at $data (put it at ../shared/data beside the repository, or set WT_SHARED_DATA)"
for f in reuters21578/train.jsonl agnews/test.jsonl; do
  [ -f "$data/$f" ] || die "missing $data/$f"
done

bash bench/install-deps.sh

# wiretag and its hot-loop benchmark, built from this checkout.
if [ ! -f "$build/CMakeCache.txt" ]; then
  say "configuring $build"
  cmake -S . -B "$build" -G Ninja >&2
fi
say "building wiretag and wiretag-bench in $build"
cmake --build "$build" --target wiretag wiretag-bench >&2 ||
  die "build failed in $build"
wiretag=$build/wiretag
wtbench=$build/wiretag-bench

py=$repo/bench/.venv/bin/python
peers=$repo/bench/peers
# N of the all-cores rows (before the exports below: nproc obeys
# OMP_NUM_THREADS).
nthreads=$(nproc)
# The Python peers predict on one core; keep BLAS from adding threads.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
if [ "$quick" = 1 ]; then
  limit=1500 reps=1 target=0.2 bench_reps=1 bench_seconds=0.2
else
  limit=0 reps=3 target=1.0 bench_reps=5 bench_seconds=1.0
fi
threads_list=1
[ "$nthreads" -gt 1 ] && threads_list="1,$nthreads"
procs_list=(1)
[ "$nthreads" -gt 1 ] && procs_list+=("$nthreads")

mkdir -p "$out"
start_all=$(date +%s)

# timed NAME CMD...: run CMD, keeping its wall seconds and peak RSS (KB).
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$res/$name.time" "$@"
}

# time_predict TOOL PROCS INPUT CMD: prediction timing by timecmd.py.
time_predict() {
  "$py" "$peers/timecmd.py" --cmd "$4" --input "$3" --procs "$2" \
    --docs "$test_docs" --bytes "$test_bytes" --reps "$reps" \
    --target "$target" --workdir "$d/tmp" --out "$res/$1.p$2.json"
}

score() {  # score TOOL FORMAT PREDICTIONS
  "$py" "$peers/score.py" --gold "$d/test.jsonl" --labels "$d/labels.txt" \
    --format "$2" --pred "$3" --out "$res/$1.score.json"
}

# model_size TOOL FILE...: bytes of a tool's model files, for the tables.
model_size() {
  local tool=$1; shift
  du -cb "$@" | tail -n 1 | cut -f 1 > "$res/$tool.size"
}

meta() { "$py" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$d/meta.json" "$1"; }

run_dataset() {
  local name=$1 src=$2
  d=$out/$name
  res=$d/res
  rm -rf "$d"
  mkdir -p "$d/models" "$d/pred" "$res" "$d/tmp"
  local m=$d/models p=$d/pred n t0

  say "[$name] splitting $src"
  "$py" "$peers/split.py" --src "$src" --out "$d" --dataset "$name" \
    --limit "$limit"
  test_docs=$(meta test_docs)
  test_bytes=$(meta test_bytes)
  local multilabel k
  multilabel=$(meta multilabel)
  k=$(meta labels_train)
  say "[$name] $(meta train_docs) training and $test_docs test documents, $k labels"

  # --- wiretag ------------------------------------------------------------
  t0=$(date +%s)
  say "[$name] wiretag: default training (5-fold CV over C), $nthreads threads"
  timed wiretag-cv "$wiretag" train --data "$d/train.jsonl" \
    --out "$m/wiretag.wtm" --threads "$nthreads" -q
  say "[$name] wiretag: CV training took $(( $(date +%s) - t0 )) s"
  say "[$name] wiretag: fixed C (--C 16 --cv 0), 1 and $nthreads threads"
  timed wiretag-c16-t1 "$wiretag" train --data "$d/train.jsonl" \
    --out "$m/wiretag-c16.wtm" --C 16 --cv 0 --threads 1 -q
  if [ "$nthreads" -gt 1 ]; then
    timed wiretag-c16-tN "$wiretag" train --data "$d/train.jsonl" \
      --out "$m/wiretag-c16-tN.wtm" --C 16 --cv 0 --threads "$nthreads" -q
  fi
  "$wiretag" eval -m "$m/wiretag.wtm" --json "$d/test.jsonl" \
    > "$res/wiretag.eval.json" 2> "$d/tmp/eval.log"
  "$wiretag" classify -m "$m/wiretag.wtm" "$d/test.jsonl" > "$p/wiretag.jsonl"
  score wiretag wiretag "$p/wiretag.jsonl"
  "$wiretag" classify -m "$m/wiretag-c16.wtm" "$d/test.jsonl" \
    > "$p/wiretag-c16.jsonl"
  score wiretag-c16 wiretag "$p/wiretag-c16.jsonl"
  model_size wiretag "$m/wiretag.wtm"
  model_size wiretag-c16 "$m/wiretag-c16.wtm"
  say "[$name] wiretag: wiretag-bench, threads $threads_list"
  "$wtbench" --model "$m/wiretag.wtm" --data "$d/test.jsonl" \
    --threads "$threads_list" --reps "$bench_reps" \
    --seconds "$bench_seconds" --csv "$res/wiretag-bench.csv" --quiet >&2
  for n in "${procs_list[@]}"; do
    say "[$name] wiretag: classify CLI, $n process(es)"
    time_predict wiretag "$n" "$d/test.jsonl" \
      "'$wiretag' classify -m '$m/wiretag.wtm' {input} > /dev/null"
  done

  # --- fastText -----------------------------------------------------------
  local loss=softmax k_pred=1
  if [ "$multilabel" = True ]; then loss=ova k_pred="-1 0.5"; fi
  say "[$name] fastText: training (-loss $loss, 1 thread)"
  timed fasttext fasttext supervised -input "$d/train.ft" \
    -output "$m/fasttext" -wordNgrams 2 -epoch 25 -lr 0.5 \
    -bucket 1048576 -loss "$loss" -thread 1 -verbose 0
  # shellcheck disable=SC2086
  fasttext predict "$m/fasttext.bin" "$d/test.ft" $k_pred > "$p/fasttext.txt"
  score fasttext fasttext "$p/fasttext.txt"
  model_size fasttext "$m/fasttext.bin"
  for n in "${procs_list[@]}"; do
    say "[$name] fastText: predict, $n process(es)"
    time_predict fasttext "$n" "$d/test.ft" \
      "fasttext predict '$m/fasttext.bin' {input} $k_pred"
  done

  # --- Vowpal Wabbit ------------------------------------------------------
  local reduction="--oaa $k" vwfmt=vw-oaa
  if [ "$multilabel" = True ]; then
    reduction="--multilabel_oaa $k"
    vwfmt=vw-ml
  fi
  say "[$name] Vowpal Wabbit: training ($reduction, 5 passes)"
  # shellcheck disable=SC2086
  timed vw "$py" -m vowpalwabbit $reduction --loss_function logistic \
    --ngram 2 -b 20 --passes 5 -c -k --cache_file "$d/tmp/vw.cache" \
    --holdout_off -d "$d/train.vw" -f "$m/vw.model" --quiet
  "$py" -m vowpalwabbit -t -i "$m/vw.model" -d "$d/test.vw" \
    -p "$p/vw.txt" --quiet
  score vw "$vwfmt" "$p/vw.txt"
  model_size vw "$m/vw.model"
  for n in "${procs_list[@]}"; do
    say "[$name] Vowpal Wabbit: predict, $n process(es)"
    time_predict vw "$n" "$d/test.vw" \
      "'$py' -m vowpalwabbit -t -i '$m/vw.model' -d {input} -p /dev/null --quiet"
  done

  # --- scikit-learn -------------------------------------------------------
  say "[$name] scikit-learn: training (LinearSVC, C=1)"
  timed sklearn "$py" "$peers/sk.py" train --split "$d" \
    --model "$m/sklearn.pkl" --out "$res/sklearn.train.json"
  for n in "${procs_list[@]}"; do
    say "[$name] scikit-learn: predict, $n process(es)"
    "$py" "$peers/sk.py" predict --split "$d" --model "$m/sklearn.pkl" \
      --procs "$n" --reps "$reps" --target "$target" \
      --pred "$p/sklearn.txt" --out "$res/sklearn.p$n.json"
  done
  score sklearn names "$p/sklearn.txt"
  model_size sklearn "$m/sklearn.pkl"
  # Keep the RSS of the whole training process, the time from inside it.
  "$py" - "$res/sklearn.time" "$res/sklearn.train.json" <<'EOF'
import json, sys
wall, rss = open(sys.argv[1]).read().split()[-2:]
t = json.load(open(sys.argv[2]))
t["train_rss_mb"] = int(rss) / 1024.0
json.dump(t, open(sys.argv[2], "w"))
EOF

  # --- liblinear ----------------------------------------------------------
  local ll=$m/liblinear
  say "[$name] liblinear: writing feature files"
  "$py" "$peers/ll_run.py" features --split "$d" --lldir "$ll"
  say "[$name] liblinear: training (-s 0 -c 16, one model per label if multi-label)"
  "$py" "$peers/ll_run.py" train --split "$d" --lldir "$ll" \
    --out "$res/liblinear.train.json"
  "$py" "$peers/ll_run.py" script --split "$d" --lldir "$ll"
  model_size liblinear "$ll"/*.model
  mkdir -p "$p/liblinear"
  sh "$ll/predict.sh" "$ll/test.svm" "$p/liblinear"
  if [ "$multilabel" = True ]; then
    score liblinear liblinear-ovr "$p/liblinear"
  else
    score liblinear liblinear "$p/liblinear/M.pred"
  fi
  for n in "${procs_list[@]}"; do
    say "[$name] liblinear: predict, $n process(es)"
    time_predict liblinear "$n" "$ll/test.svm" "sh '$ll/predict.sh' {input} -"
  done

  rm -rf "$d/tmp"
  if [ "$keep_models" = 0 ]; then
    rm -rf "$m/fasttext.bin" "$m/fasttext.vec" "$m/sklearn.pkl" "$ll"
  fi
  say "[$name] done"
}

# Tool versions and the machine, for the tables.
"$py" - "$out/versions.json" "$wiretag" "$nthreads" <<'EOF'
import json, platform, subprocess, sys
from importlib.metadata import version
def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
cpu = ""
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
osname = ""
try:
    for line in open("/etc/os-release"):
        if line.startswith("PRETTY_NAME="):
            osname = line.split("=", 1)[1].strip().strip('"')
except OSError:
    pass
v = {
    "wiretag": sh(sys.argv[2], "--version").split()[-1],
    "fasttext": sh("dpkg-query", "-W", "-f=${Version}", "fasttext"),
    "liblinear-tools": sh("dpkg-query", "-W", "-f=${Version}",
                          "liblinear-tools"),
    "vowpalwabbit": version("vowpalwabbit"),
    "scikit-learn": version("scikit-learn"),
    "numpy": version("numpy"),
    "scipy": version("scipy"),
    "python": platform.python_version(),
    "cpu": cpu,
    "nproc": sys.argv[3],
    "loadavg_start": open("/proc/loadavg").read().split()[0],
    "os": osname,
}
json.dump(v, open(sys.argv[1], "w"), indent=1)
EOF

run_dataset reuters "$data/reuters21578/train.jsonl"
run_dataset agnews "$data/agnews/test.jsonl"

"$py" "$peers/report.py" --out "$out" --datasets reuters,agnews \
  --threads "$nthreads"
say "wrote $out/peers.csv, $out/peers.md, $out/peers-threads.dat ($(( $(date +%s) - start_all )) s)"
