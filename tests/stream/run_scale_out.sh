#!/usr/bin/env bash
# Scale out and fail over: processes A and B in one consumer group share a
# 6-partition input under a steady load; A gets SIGTERM mid-stream and B
# takes over its partitions. Every input ends up in the output at least
# once (duplicates are allowed, counted and printed); A and B exit 0.
#
#   run_scale_out.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
source "$(dirname "$0")/lib.sh"
wt_init scale_out "$@"

N=${WT_STREAM_SCALE_N:-20000}
wt_topics 6 3

gen "$N" "$WORK/data" || abort "cannot generate the input"

# Each process: one worker (two processes on two CPUs), quick stats.
wt_args
WT_ARGS+=(-X workers=1 -X log.stats.interval.ms=1000 -X shutdown.timeout.ms=15000)

wt_start "$WORK/a.log" "${WT_ARGS[@]}"
PID_A=$WT_PID
wait_for 30 "A to get all 6 partitions" holds_n "$WORK/a.log" 6 ||
  { show_log "$WORK/a.log"; abort "A never got the 6 input partitions"; }
ok "A assigned all 6 partitions"

# Steady load: 500 articles every 0.25 s; the last 6,000 are held back
# until A has been stopped, so A stops mid-stream and B takes over while
# input still arrives.
feed_start "$TP.in" "$WORK/data" 500 0.25 $((N - 6000))
wait_for 30 "A to label its first articles" count_ge "$TP.out" 1000 ||
  fail "A labels articles (output: $(count "$TP.out"))"

wt_start "$WORK/b.log" "${WT_ARGS[@]}"
PID_B=$WT_PID
if wait_for 45 "B to get partitions from A" holds_some "$WORK/b.log"; then
  ok "B joined the group and got partitions: $(partitions "$WORK/b.log" | sed 's/.*\[//; s/\]//' | tr '\n' ' ')"
else
  fail "B joined the group and got partitions"
  show_log "$WORK/b.log"
fi
check "A gave some partitions up (log: revoked)" grep_log "$WORK/a.log" 'INFO +revoked [0-9]+ partition'
check "A still holds partitions: $(partitions "$WORK/a.log" | sed 's/.*\[//; s/\]//' | tr '\n' ' ')" holds_some "$WORK/a.log"
a_parts=$(partitions "$WORK/a.log")
b_parts=$(partitions "$WORK/b.log")
check "A and B hold disjoint partitions, 6 together" eval \
  '[ "$(printf "%s\n%s\n" "$a_parts" "$b_parts" | grep -c .)" -eq 6 ] && [ "$(printf "%s\n%s\n" "$a_parts" "$b_parts" | sort -u | grep -c .)" -eq 6 ]'

# Both are doing work: B's output grows while A still runs.
out_before=$(count "$TP.out")
wait_for 30 "B to process articles" grep_log "$WORK/b.log" 'consumed [1-9][0-9]* ' ||
  fail "B consumes articles"

# Mid-stream: the feeder is still producing (it holds the rest back).
check "the feeder is still producing when A is stopped" kill -0 "$FEED_PID"
in_at_stop=$(count "$TP.in")
wt_stop "$PID_A" 30
check "A: SIGTERM mid-stream, exit status 0 within 30 s (status $WT_RC after ${WT_STOP_MS} ms; $in_at_stop of $N inputs produced, $out_before output then)" [ "$WT_RC" -eq 0 ]
check "A: log 'stopped' (clean)" grep_log "$WORK/a.log" 'INFO +stopped$'
feed_release

# B takes over A's partitions.
if wait_for 45 "B to hold all 6 partitions" holds_n "$WORK/b.log" 6; then
  ok "B took over A's partitions ($(echo $a_parts | tr '\n' ' '))"
else
  fail "B took over A's partitions (B holds: $(partitions "$WORK/b.log" | tr '\n' ' '))"
  show_log "$WORK/b.log"
fi

feed_wait 60 || abort "the feeder did not finish"
check "feeder produced every input ($N)" count_ge "$TP.in" "$N"

# All in: wait until the output covers every input id (bounded).
wait_for 90 "every input in $TP.out" covered ||
  fail "every input reached $TP.out within 90 s (output $(count "$TP.out") records)"
check "B still running" kill -0 "$PID_B"
wt_stop_clean "$PID_B" 30 "$WORK/b.log" B
for l in a b; do
  check "$l: log has no ERROR line" eval "! grep -q ' ERROR ' '$WORK/$l.log'"
done
[ "$WT_FAILS" -eq 0 ] || { show_log "$WORK/a.log"; show_log "$WORK/b.log"; }

dump "$TP.out" "$WORK/out.json" || abort "cannot read $TP.out"
dump "$TP.in" "$WORK/in.json" || abort "cannot read $TP.in"
python3 "$HERE/stream_check.py" cover --ids "$WORK/data/ids" --out "$WORK/out.json" \
  --summary "$WORK/cover.json" --input-dump "$WORK/in.json" --out-partitions 3
check "stream_check cover: all checks pass" [ $? -eq 0 ]
grep -E 'consumed [0-9]+ .*classified' "$WORK/a.log" | tail -n 1 | sed 's/^/# A last stats: /'
grep -E 'consumed [0-9]+ .*classified' "$WORK/b.log" | tail -n 1 | sed 's/^/# B last stats: /'
wt_finish
