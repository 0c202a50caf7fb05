#!/usr/bin/env bash
# 10,000 real articles through `wiretag run` on a real broker: every one
# labeled once, labels equal to `wiretag classify`, routing exact,
# per-partition order, key and headers kept; throughput printed.
#
#   run_basic.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
source "$(dirname "$0")/lib.sh"
wt_init basic "$@"

N=${WT_STREAM_BASIC_N:-10000}
# Output partitions differ from the input's on purpose: input partition p
# goes to partition p % n of each output topic.
topic in 4
topic out 4
topic dlq 1
topic mil 2
topic dip 2
topic mty 3
topic unl 2

gen "$N" "$WORK/data" || abort "cannot generate the input"
"$WIRETAG" classify -m "$MODEL" "$WORK/data/input.jsonl" >"$WORK/ref.jsonl" 2>"$WORK/ref.err" ||
  abort "wiretag classify failed: $(head -c 300 "$WORK/ref.err")"
produce_dir "$TP.in" "$WORK/data"
check "input topic holds $N messages" count_ge "$TP.in" "$N"

wt_args
t0=$(now_ms)
wt_start "$WORK/run.log" "${WT_ARGS[@]}"
if wait_for 120 "$N records in $TP.out" count_ge "$TP.out" "$N"; then
  wall_ms=$(($(now_ms) - t0))
  ok "all $N articles labeled within 120 s (wall ${wall_ms} ms from start, model load included)"
else
  fail "all $N articles labeled within 120 s (got $(count "$TP.out"))"
  show_log "$WORK/run.log"
fi
check "wiretag still running before SIGTERM" kill -0 "$WT_PID"
wt_stop_clean "$WT_PID" 40 "$WORK/run.log"
check "log: no ERROR line" eval "! grep -q ' ERROR ' '$WORK/run.log'"
[ "$WT_FAILS" -eq 0 ] || show_log "$WORK/run.log"

for t in in out dlq mil dip mty unl; do
  dump "$TP.$t" "$WORK/$t.json" || abort "cannot read $TP.$t"
done
python3 "$HERE/stream_check.py" basic \
  --inputs "$WORK/data/input.jsonl" --input-dump "$WORK/in.json" \
  --ref "$WORK/ref.jsonl" --model-id "$MODEL_ID" \
  --out "$WORK/out.json:4" \
  --route "military_action=$WORK/mil.json:2" \
  --route "diplomacy=$WORK/dip.json:2" \
  --route "militancy=$WORK/mty.json:3" \
  --unlabeled "$WORK/unl.json:2" \
  --dlq "$WORK/dlq.json"
rc=$?
check "stream_check basic: all checks pass" [ "$rc" -eq 0 ]
if [ -n "${wall_ms:-}" ]; then
  bytes=$(stat -c %s "$WORK/data/input.jsonl")
  awk -v n="$N" -v ms="$wall_ms" -v b="$bytes" 'BEGIN {
    printf "# wall time: %d articles (%.1f MB) in %.2f s from process start: %.0f articles/s, %.2f MB/s\n",
      n, b / 1e6, ms / 1000, n / (ms / 1000), b / 1e6 / (ms / 1000) }'
fi
grep -E 'consumed [0-9]+ .*classified' "$WORK/run.log" | tail -n 1 | sed 's/^/# last stats: /'
wt_finish
