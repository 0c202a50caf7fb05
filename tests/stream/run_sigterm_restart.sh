#!/usr/bin/env bash
# SIGTERM under load, then restart: the stop is clean (exit 0 within the
# bound, "stopped" logged, offsets committed up to what was processed); a
# restart in the same group finishes the rest; no input is lost and, after
# a clean stop, none is processed twice.
#
#   run_sigterm_restart.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
source "$(dirname "$0")/lib.sh"
wt_init sigterm_restart "$@"

N=${WT_STREAM_RESTART_N:-10000}
STOP_AT=3000
wt_topics 4 4

gen "$N" "$WORK/data" || abort "cannot generate the input"

# stats_settled LOG: the last stats line says every consumed message is
# committed and none is in flight.
stats_settled() {
  grep -E 'INFO +consumed [0-9]+ ' "$1" | tail -n 1 |
    grep -Eq 'consumed ([0-9]+) .* committed \1, in flight 0$'
}
wt_args
# Every output waits 300 ms in the producer's batch (linger), and the input
# is never drained before SIGTERM (the feeder is ahead), so there is always
# work in flight when SIGTERM comes; the window of 1,000 messages bounds
# the rate at about 3,000 articles/s.
WT_ARGS+=(-X shutdown.timeout.ms=10000 -X log.stats.interval.ms=1000
  -X queue.max.messages=1000 -X producer.linger.ms=300)

# Run 1: input arriving faster than it is processed (1,000 articles every
# 0.15 s), SIGTERM once about STOP_AT are out, while the feeder still
# produces (it holds the last 2,000 back until then).
wt_start "$WORK/run1.log" "${WT_ARGS[@]}"
feed_start "$TP.in" "$WORK/data" 1000 0.15 $((N - 2000))
wait_for 60 "$STOP_AT outputs" count_ge "$TP.out" "$STOP_AT" ||
  { show_log "$WORK/run1.log"; abort "wiretag did not label $STOP_AT articles within 60 s"; }
check "the feeder is still producing at SIGTERM (input $(count "$TP.in") of $N)" kill -0 "$FEED_PID"
out_at_term=$(count "$TP.out")
# Bound: shutdown.timeout.ms (10 s) + producer flush (5 s) + margin.
wt_stop "$WT_PID" 25
check "run 1: SIGTERM after $out_at_term outputs, exit status 0 within 25 s (status $WT_RC after ${WT_STOP_MS} ms)" [ "$WT_RC" -eq 0 ]
check "run 1: log 'stopping' then 'stopped' (clean)" eval \
  "grep -Eq 'INFO +stopping: ' '$WORK/run1.log' && grep -Eq 'INFO +stopped$' '$WORK/run1.log'"
inflight=$(sed -n 's/.*INFO  *stopping: \([0-9]*\) message.*/\1/p' "$WORK/run1.log")
check "run 1: SIGTERM came with work in flight (${inflight:-?} messages)" [ "${inflight:-0}" -gt 0 ]
check "run 1: nothing abandoned (no 'still in flight' warning)" eval "! grep -q 'still in flight' '$WORK/run1.log'"
check "run 1: log has no ERROR line" eval "! grep -q ' ERROR ' '$WORK/run1.log'"
out_run1=$(count "$TP.out")
check "run 1: stopped before the end ($out_run1 of $N labeled)" [ "$out_run1" -lt "$N" ]

feed_wait 60 || abort "the feeder did not finish"
check "feeder produced every input ($N)" count_ge "$TP.in" "$N"

# The group's committed offsets cover exactly what run 1 consumed:
# sum(committed) = the consumed count of run 1's last stats line.
"$WT_ADMIN" -b "$BOOTSTRAP" committed "$TP.group" "$TP.in" >"$WORK/committed1" ||
  fail "read the group's committed offsets"
committed_sum=$(awk '$2 > 0 { s += $2 } END { print s + 0 }' "$WORK/committed1")
consumed1=$(grep -Eo 'consumed [0-9]+ ' "$WORK/run1.log" | tail -n 1 | awk '{print $2}')
check "run 1: committed offsets sum ($committed_sum) = messages run 1 consumed (${consumed1:-?}) = its outputs ($out_run1)" \
  eval "[ '$committed_sum' = '${consumed1:-x}' ] && [ '$committed_sum' = '$out_run1' ]"

# Run 2: same group; it starts at the committed offsets.
wt_start "$WORK/run2.log" "${WT_ARGS[@]}"
wait_for 90 "every input in $TP.out" covered ||
  fail "run 2: every input reached $TP.out within 90 s (output $(count "$TP.out") records)"
wt_stop_clean "$WT_PID" 25 "$WORK/run2.log" "run 2"
for r in 1 2; do
  check "run $r: no revocation left messages unfinished (log: 'did not finish')" \
    eval "! grep -q 'did not finish' '$WORK/run$r.log'"
  check "run $r: last stats line: committed = consumed, nothing in flight" \
    stats_settled "$WORK/run$r.log"
done
consumed2=$(grep -Eo 'consumed [0-9]+ ' "$WORK/run2.log" | tail -n 1 | awk '{print $2}')
check "run 2 consumed only the rest: $consumed2 = $N - $committed_sum" [ "${consumed2:-0}" -eq $((N - committed_sum)) ]
"$WT_ADMIN" -b "$BOOTSTRAP" committed "$TP.group" "$TP.in" >"$WORK/committed2" ||
  fail "read the group's committed offsets"
check "run 2: committed offsets = end offsets on every partition" \
  awk '$2 != $3 { bad = 1; print "  partition " $1 ": committed " $2 ", end " $3 } END { exit bad }' "$WORK/committed2"
[ "$WT_FAILS" -eq 0 ] || { show_log "$WORK/run1.log"; show_log "$WORK/run2.log"; }

dump "$TP.out" "$WORK/out.json" || abort "cannot read $TP.out"
dump "$TP.in" "$WORK/in.json" || abort "cannot read $TP.in"
# A clean stop commits everything it published: expect no duplicate.
python3 "$HERE/stream_check.py" cover --ids "$WORK/data/ids" --out "$WORK/out.json" \
  --summary "$WORK/cover.json" --input-dump "$WORK/in.json" --out-partitions 4 \
  --max-duplicates 0
check "stream_check cover: all checks pass (no input missing, no duplicate)" [ $? -eq 0 ]
wt_finish
