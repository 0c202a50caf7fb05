#!/usr/bin/env bash
# The benchmark tools work: wiretag-bench classifies the fixtures with 1
# and 2 threads, writes one CSV row per thread count with the promised
# columns, counts no allocation per article once warm, and predicts the
# same tags as `wiretag classify`; its argument errors are clear; and
# bench/report.py turns its CSV into a RESULTS.md.
#
#   bench_smoke.sh WIRETAG_BENCH WIRETAG FIXTURES SOURCE_DIR
set -u
BENCH=$1 WIRETAG=$2 FIX=$3 SRC=$4
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else no "$d"; fi; }

MODEL=$FIX/model-v1.wtm
DATA=$FIX/articles.jsonl

"$BENCH" --model "$MODEL" --data "$DATA" --threads 1,2 --reps 2 \
  --seconds 0.05 --csv "$WORK/hot.csv" >"$WORK/table" 2>"$WORK/err"
check "wiretag-bench exits 0" [ $? -eq 0 ]
check "table has a header and two rows" [ "$(wc -l <"$WORK/table")" -eq 3 ]
header=$(head -n 1 "$WORK/hot.csv")
want="model,labels,corpus,articles,bytes,tokens,threads,reps,articles_per_s,mb_per_s,ns_per_article,ns_per_token,p50_us,p99_us,spread_pct,peak_rss_mb,allocs_per_article,speedup,tags"
check "CSV header is the documented one" [ "$header" = "$want" ]
check "CSV has one row per thread count" [ "$(wc -l <"$WORK/hot.csv")" -eq 3 ]

col() { # col NAME ROW: value of column NAME in CSV data row ROW (1-based)
  awk -F, -v name="$1" -v row="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
    NR == row + 1 { print $c }' "$WORK/hot.csv"
}
narts=$(grep -c . "$DATA")
check "articles column = records in the corpus ($(col articles 1) = $narts)" \
  [ "$(col articles 1)" = "$narts" ]
check "threads column is 1 then 2" [ "$(col threads 1),$(col threads 2)" = "1,2" ]
for r in 1 2; do
  check "row $r: no allocation per article once warm ($(col allocs_per_article $r))" \
    [ "$(col allocs_per_article $r)" = "0.0000" ]
  check "row $r: positive throughput ($(col articles_per_s $r) articles/s)" \
    awk -v v="$(col articles_per_s $r)" 'BEGIN { exit !(v > 0) }'
done
# Tags per pass equal the tags `wiretag classify` assigns the same file.
tags=$("$WIRETAG" classify --model "$MODEL" "$DATA" |
  python3 -c 'import json, sys; print(sum(len(json.loads(l)["wiretag"]["labels"]) for l in sys.stdin))')
check "tags per pass ($(col tags 1), $(col tags 2)) = wiretag classify's ($tags)" \
  [ "$(col tags 1)" = "$tags" ] && [ "$(col tags 2)" = "$tags" ]

"$BENCH" --model "$MODEL" --data "$DATA" --threads 0 >/dev/null 2>"$WORK/err"
check "--threads 0 is refused (exit 2)" [ $? -eq 2 ]
check "... with a message naming the thread list" grep -q "thread list" "$WORK/err"
"$BENCH" --model "$WORK/missing.wtm" --data "$DATA" >/dev/null 2>"$WORK/err"
check "a missing model exits 1" [ $? -eq 1 ]
check "... naming the file" grep -q "missing.wtm" "$WORK/err"

mkdir -p "$WORK/out" "$WORK/dest"
cp "$WORK/hot.csv" "$WORK/out/hotloop.csv"
echo "cpu: test" >"$WORK/out/machine.txt"
python3 "$SRC/bench/report.py" --out "$WORK/out" --dest "$WORK/dest" 2>"$WORK/err"
check "report.py writes RESULTS.md" [ -s "$WORK/dest/RESULTS.md" ]
check "... with the hot-loop rows" grep -q "fixtures/articles.jsonl" "$WORK/dest/RESULTS.md"

echo "# $fails failed"
[ "$fails" -eq 0 ]
