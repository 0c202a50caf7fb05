#!/usr/bin/env bash
# kill -9 under load: 200,000 articles flow through wiretag run, which is
# killed with SIGKILL five times at random moments and restarted each time
# in the same group. Nothing may be missing. at_least_once: the duplicates
# it allows (work published but not yet committed at a kill) are counted
# and printed; the first copy of each record keeps its input partition's
# order. exactly_once (WT_STREAM_GUARANTEE=exactly_once): a read_committed
# consumer of every output topic sees each input exactly once, in order.
#
#   run_kill9.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
# WT_STREAM_KILL9_N sets the article count (sanitizer builds use fewer).
source "$(dirname "$0")/lib.sh"
GUARANTEE=${WT_STREAM_GUARANTEE:-at_least_once}
if [ "$GUARANTEE" = exactly_once ]; then wt_init kill9-eos "$@"; else wt_init kill9 "$@"; fi

N=${WT_STREAM_KILL9_N:-200000}
KILLS=5
wt_topics 4 4

gen "$N" "$WORK/data" || abort "cannot generate the input"
wt_args
# A killed member holds its partitions until its session times out: the
# broker's minimum (6 s) keeps the restarts quick.
WT_ARGS+=(-X consumer.session.timeout.ms=6000 -X consumer.heartbeat.interval.ms=1000
  -X log.stats.interval.ms=1000)
# exactly_once: one instance, one name across its lives, so a restart
# aborts what the killed one left open (readers do not wait for its
# transaction timeout).
wt_guarantee
guarantee_args kill9
WT_ARGS+=("${GUARANTEE_ARGS[@]}")
# A steady feed that outlasts the kills (N/300 articles every 0.2 s,
# about a minute; the last 5% held until the kills are done): at every
# kill the input is still arriving and wiretag is working on it, with up
# to a commit interval (1 s) of published, uncommitted work. Pacing by N
# keeps that true in sanitizer builds, which send fewer.
HOLD=$((N - N / 20))
feed_start "$TP.in" "$WORK/data" $((N / 300)) 0.2 "$HOLD"

kills=0
flowing=0
for k in $(seq 1 $KILLS); do
  wt_start "$WORK/run$k.log" "${WT_ARGS[@]}"
  # Kill once it has published something of its own, then at a random
  # moment 0.2 .. 1.7 s later.
  wait_for 60 "run $k to publish" wt_published "$WORK/run$k.log" ||
    { show_log "$WORK/run$k.log"; abort "run $k published nothing within 60 s"; }
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.2 + 1.5 * r / 32767 }')"
  in_k=$(count "$TP.in")
  [ "$in_k" -lt "$HOLD" ] && flowing=$((flowing + 1))
  kill -KILL "$WT_PID" 2>/dev/null && kills=$((kills + 1))
  wait "$WT_PID" 2>/dev/null
  say "run $k killed at $(count "$TP.out") outputs ($in_k of $N input in at the kill)"
done
check "killed with SIGKILL $kills times, each after it published" [ "$kills" -eq "$KILLS" ]

check "input still arriving at every kill ($flowing of $KILLS)" [ "$flowing" -eq "$KILLS" ]
feed_wait 120 || abort "the feeder did not finish"
check "feeder produced every input ($N)" count_ge "$TP.in" "$N"
wt_start "$WORK/final.log" "${WT_ARGS[@]}"
wait_for 300 "every input in $TP.out" covered ||
  fail "final run: every input reached $TP.out within 300 s (output $(count "$TP.out") records)"
wt_stop "$WT_PID" 40
check "final run: SIGTERM, exit status 0 within 40 s (status $WT_RC after ${WT_STOP_MS} ms)" [ "$WT_RC" -eq 0 ]

dump_out "$TP.out" "$WORK/out.json" || abort "cannot read $TP.out"
dump "$TP.in" "$WORK/in.json" || abort "cannot read $TP.in"
if [ "$GUARANTEE" = exactly_once ]; then
  python3 "$HERE/stream_check.py" cover --ids "$WORK/data/ids" --out "$WORK/out.json" \
    --summary "$WORK/cover.json" --input-dump "$WORK/in.json" --out-partitions 4 --max-duplicates 0
  check "stream_check cover: each input exactly once, in order (read_committed)" [ $? -eq 0 ]
  for t in mil dip mty unl; do dump_out "$TP.$t" "$WORK/$t.json" || abort "cannot read $TP.$t"; done
  python3 "$HERE/stream_check.py" exact --out "$WORK/out.json" \
    --topic "mil=$WORK/mil.json:military_action" --topic "dip=$WORK/dip.json:diplomacy" \
    --topic "mty=$WORK/mty.json:militancy" --topic "unl=$WORK/unl.json:"
  check "stream_check exact: every per-label topic holds each of its articles once" [ $? -eq 0 ]
  say "$TP.out: $(count "$TP.out") offsets used, by watermarks (records of the transactions the kills left open, aborted on restart, and transaction markers: a read_committed consumer skips them)"
else
  python3 "$HERE/stream_check.py" cover --ids "$WORK/data/ids" --out "$WORK/out.json" \
    --summary "$WORK/cover.json" --input-dump "$WORK/in.json" --out-partitions 4
  check "stream_check cover: nothing missing, first copies in order" [ $? -eq 0 ]
fi
say "kill -9 x$KILLS ($GUARANTEE): $(cat "$WORK/cover.json")"
wt_finish
