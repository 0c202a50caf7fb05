#!/usr/bin/env bash
# kill -9 under load (at-least-once): 200,000 articles flow through
# wiretag run, which is killed with SIGKILL five times at random moments
# and restarted each time in the same group. Nothing may be missing; the
# duplicates at-least-once allows (work published but not yet committed
# at a kill) are counted and printed. The first copy of each record keeps
# its input partition's order.
#
#   run_kill9.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
# WT_STREAM_KILL9_N sets the article count (sanitizer builds use fewer).
source "$(dirname "$0")/lib.sh"
wt_init kill9 "$@"

N=${WT_STREAM_KILL9_N:-200000}
KILLS=5
topic in 4
topic out 4
topic dlq 1
topic mil 1
topic dip 1
topic mty 1
topic unl 1

gen "$N" "$WORK/data" || abort "cannot generate the input"
wt_args
# A killed member holds its partitions until its session times out: the
# broker's minimum (6 s) keeps the restarts quick.
WT_ARGS+=(-X consumer.session.timeout.ms=6000 -X consumer.heartbeat.interval.ms=1000
  -X log.stats.interval.ms=1000)
feed_start "$TP.in" "$WORK/data" 20000 0.2

kills=0
for k in $(seq 1 $KILLS); do
  wt_start "$WORK/run$k.log" "${WT_ARGS[@]}"
  before=$(count "$TP.out")
  # Kill once it has published something of its own, then at a random
  # moment 0.2 .. 1.7 s later.
  wait_for 60 "run $k to publish" count_ge "$TP.out" $((before + 1)) ||
    { show_log "$WORK/run$k.log"; abort "run $k published nothing within 60 s"; }
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.2 + 1.5 * r / 32767 }')"
  kill -KILL "$WT_PID" 2>/dev/null && kills=$((kills + 1))
  wait "$WT_PID" 2>/dev/null
  say "run $k killed at $(count "$TP.out") outputs ($(count "$TP.in") of $N input)"
done
check "killed with SIGKILL $kills times under load" [ "$kills" -eq "$KILLS" ]

feed_wait 120 || abort "the feeder did not finish"
check "feeder produced every input ($N)" count_ge "$TP.in" "$N"
wt_start "$WORK/final.log" "${WT_ARGS[@]}"
covered() {
  count_ge "$TP.out" "$N" && dump "$TP.out" "$WORK/out.json" &&
    python3 "$HERE/stream_check.py" cover --quiet --ids "$WORK/data/ids" \
      --out "$WORK/out.json" --summary "$WORK/cover.json"
}
wait_for 300 "every input in $TP.out" covered ||
  fail "final run: every input reached $TP.out within 300 s (output $(count "$TP.out") records)"
wt_stop "$WT_PID" 40
check "final run: SIGTERM, exit status 0 within 40 s (status $WT_RC after ${WT_STOP_MS} ms)" [ "$WT_RC" -eq 0 ]

dump "$TP.out" "$WORK/out.json" || abort "cannot read $TP.out"
dump "$TP.in" "$WORK/in.json" || abort "cannot read $TP.in"
python3 "$HERE/stream_check.py" cover --ids "$WORK/data/ids" --out "$WORK/out.json" \
  --summary "$WORK/cover.json" --input-dump "$WORK/in.json" --out-partitions 4
check "stream_check cover: nothing missing, first copies in order" [ $? -eq 0 ]
say "kill -9 x$KILLS: $(cat "$WORK/cover.json")"
wt_finish
