#!/usr/bin/env bash
# The broker goes away under load and comes back, twice: while about
# 100,000 articles flow through one wiretag run, the broker process is
# stopped (tests/kafka/broker.sh stop: the data dir, topics and committed
# offsets stay), kept down for WT_STREAM_OUTAGE_S seconds (default 8) and
# started again. wiretag must ride it out: it never exits during an
# outage, logs that it noticed (librdkafka "Connection refused" / "all
# brokers down"), resumes publishing once the broker is back, and in the
# end every record of the input topic has its id in the output topic;
# nothing else is there. Duplicates are counted and printed: at-least-once
# allows them (outputs acknowledged whose offsets were not committed yet
# would be processed again if the group lost the partitions; measured: 0),
# exactly_once allows none. SIGTERM at the end: exit 0.
#
# The feeder keeps producing through the outages (feed_robust_start: a
# chunk the outage broke is produced again once the broker serves), so
# what the failed try got in may be in the input topic twice: the input
# topic's dump, not the generated list, is what the output is checked
# against (each input record's id at least once), and the generated ids
# must all be in it (the harness lost nothing).
#
#   run_broker_restart.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
# WT_STREAM_BROKER_RESTART_N: article count (default 100,000; sanitizer
# builds use fewer). WT_STREAM_OUTAGE_S: seconds the broker stays down.
# WT_STREAM_GUARANTEE: at_least_once (default) | exactly_once.
#
# It stops and starts the ctest fixture's broker (WT_KAFKA_PORT,
# WT_KAFKA_DATA), which is why the stream tests hold RESOURCE_LOCK kafka;
# on any exit it starts the broker again if it is down.
source "$(dirname "$0")/lib.sh"
wt_init broker_restart "$@"
wt_guarantee

N=${WT_STREAM_BROKER_RESTART_N:-100000}
OUTAGES=2
DOWN_S=${WT_STREAM_OUTAGE_S:-8}

broker_is_ours ||
  skip "WT_KAFKA_DATA must name the data dir of the broker on port $PORT (ctest sets it) to stop and start it"
# Whatever happens, leave the broker serving for the tests after this one.
broker_back() {
  local rc=$?
  if ! timeout 15 kcat -L -b "$BOOTSTRAP" -m 5 >/dev/null 2>&1; then
    say "the broker is down at exit: starting it again"
    broker_ctl start || say "could not start the broker again"
  fi
  (exit "$rc")
  wt_cleanup
}
trap broker_back EXIT
trap 'exit 143' TERM INT

wt_topics 4 4

gen "$N" "$WORK/data" || abort "cannot generate the input"

wt_args
guarantee_args a
WT_ARGS+=("${GUARANTEE_ARGS[@]}" -X log.stats.interval.ms=1000)

# Load: N/100 articles every 0.2 s (paced by N, so sanitizer builds,
# sending fewer, get the same shape): the feed lasts about 25 s plus the
# outages, which it is caught in (its chunk fails, it waits for the
# broker and goes on), so input keeps arriving before, during and after
# both. wiretag starts once a tenth is in, with a backlog.
feed_robust_start "$TP.in" "$WORK/data" $((N / 100)) 0.2
wait_for 60 "the first tenth of the input" count_ge "$TP.in" $((N / 10)) ||
  abort "the feeder did not get $((N / 10)) articles in within 60 s"
t_begin=$(now_ms)
wt_start "$WORK/wt.log" "${WT_ARGS[@]}"
wait_for 30 "wiretag to get its partitions" grep_log "$WORK/wt.log" 'INFO +assigned [0-9]+ partition' ||
  { show_log "$WORK/wt.log"; abort "wiretag got no partitions within 30 s"; }

# Outage 1 once a quarter of the input is in, outage 2 at 60% (after
# wiretag resumed from 1); the feeder is still going at both.
at_in=($((N / 4)) $((N * 6 / 10)))
alive_all=1
outage_list=
inflight_outages=0
resumed=0
for k in $(seq 1 $OUTAGES); do
  wait_for 90 "input to reach ${at_in[k - 1]}" count_ge "$TP.in" "${at_in[k - 1]}" ||
    abort "outage $k: the feeder did not get ${at_in[k - 1]} articles in within 90 s"
  wait_for 30 "wiretag to publish before outage $k" grep_log "$WORK/wt.log" 'produced [1-9]' ||
    abort "outage $k: wiretag published nothing"
  in_k=$(count "$TP.in")
  out_k=$(count "$TP.out")
  lag_k=$(uncommitted)
  feeding=no
  wt_alive "$FEED_PID" && feeding=yes
  t0=$(now_ms)
  broker_ctl stop || abort "outage $k: broker.sh stop failed"
  t_down=$(now_ms)
  say "outage $k: broker stopped in $((t_down - t0)) ms ($in_k input records, $lag_k not committed, $out_k output records; feeder running: $feeding)"
  # Down for DOWN_S seconds; wiretag must stay up all along.
  alive=1
  while [ $(($(now_ms) - t_down)) -lt $((DOWN_S * 1000)) ]; do
    wt_alive "$WT_PID" || { alive=0; break; }
    sleep 0.25
  done
  t1=$(now_ms)
  broker_ctl start || abort "outage $k: broker.sh start failed"
  t_up=$(now_ms)
  wt_alive "$WT_PID" || alive=0
  outage_ms=$((t_up - t0))
  outage_list+="$outage_ms "
  say "outage $k: broker down for $((t1 - t_down)) ms, serving again after $((t_up - t1)) ms (unavailable ~${outage_ms} ms in all)"
  check "outage $k ($outage_ms ms): wiretag still running while the broker was down" [ "$alive" -eq 1 ]
  [ "$alive" -eq 1 ] || alive_all=0
  # Work in flight at the stop is timing: reported per outage, required
  # of one (the first comes while wiretag works through its backlog; a
  # sanitizer build may have caught up before the second).
  say "outage $k: $lag_k input records not committed when the broker went"
  [ "$lag_k" -gt 0 ] && inflight_outages=$((inflight_outages + 1))
  # Resumes: the output grows again (written after the broker came back)
  # and so do the group's committed offsets; or, only once the feeder is
  # done and wiretag had finished everything, every input is committed.
  # At least one outage must show real new work.
  out_up=$(count "$TP.out")
  com_up=$(committed)
  [ "$com_up" -ge 0 ] || { sleep 1; com_up=$(committed); }
  t_r=$(now_ms)
  if wait_for 60 "wiretag to publish again after outage $k" \
    eval "count_ge '$TP.out' $((out_up + 1)) || { ! wt_alive \$FEED_PID && [ \"\$(uncommitted)\" -eq 0 ]; }"; then
    if count_ge "$TP.out" $((out_up + 1)); then
      resumed=$((resumed + 1))
      ok "outage $k: wiretag publishes again ($(($(now_ms) - t_r)) ms after the broker served)"
    else
      ok "outage $k: nothing left to publish, every input committed"
    fi
  else
    fail "outage $k: wiretag publishes again within 60 s (output stuck at $out_up)"
  fi
  if wait_for 60 "wiretag to commit again after outage $k" \
    eval "committed_gt '$com_up' || { ! wt_alive \$FEED_PID && [ \"\$(uncommitted)\" -eq 0 ]; }"; then
    ok "outage $k: wiretag commits again, or has committed everything ($(($(now_ms) - t_r)) ms after the broker served; $com_up committed then)"
  else
    fail "outage $k: wiretag commits again within 60 s (committed stuck at $com_up)"
  fi
  check "outage $k: wiretag still running after the broker came back" wt_alive "$WT_PID"
done
[ "$alive_all" -eq 1 ] || { show_log "$WORK/wt.log" 60; abort "wiretag exited during an outage"; }

feed_wait 180 || { tail -n 20 "$FEED_LOG"; abort "the feeder did not finish"; }
say "feeder done: $(grep -c 'failed' "$FEED_LOG") failed chunk tries, $(count "$TP.in") input records"
dump "$TP.in" "$WORK/in.json" || abort "cannot read $TP.in"

# All in: wait (bounded) until the output covers every input record.
wait_for 180 "every input in $TP.out" covered "$WORK/in.json" ||
  fail "every input reached $TP.out within 180 s (output $(count "$TP.out") records)"
t_done=$(now_ms)
check "wiretag still running at the end" wt_alive "$WT_PID"
wt_stop_clean "$WT_PID" 40 "$WORK/wt.log"

# It noticed: librdkafka's connection failures and error_cb's transport /
# all-brokers-down lines, as WARN (or librdkafka's own ERROR level).
noticed=$(grep -Eci 'Connection refused|all brokers? (are )?down|ALL_BROKERS_DOWN|_TRANSPORT|Disconnected' "$WORK/wt.log")
say "wiretag log: $noticed lines about the lost broker, e.g.:"
grep -Ei 'Connection refused|all brokers? (are )?down|ALL_BROKERS_DOWN|_TRANSPORT|Disconnected' "$WORK/wt.log" |
  head -n 4 | sed 's/^/#   /'
check "wiretag logged that it lost the broker ($noticed lines)" [ "$noticed" -gt 0 ]
# Its own errors (not librdkafka's connection noise) would mean a refused
# output (a partition that stops committing), a fatal error or a failed
# rebalance.
own_errors=$(grep -E ' ERROR ' "$WORK/wt.log" | grep -vc ' ERROR librdkafka ')
check "wiretag logged no ERROR of its own ($own_errors)" [ "$own_errors" -eq 0 ]
grep -E ' ERROR ' "$WORK/wt.log" | grep -v ' ERROR librdkafka ' | head -n 5 | sed 's/^/#   /'
check "no produce failure (last stats: $(grep -Eo 'produce failures [0-9]+' "$WORK/wt.log" | tail -n 1))" \
  eval "grep -E 'INFO +consumed [0-9]+ ' '$WORK/wt.log' | tail -n 1 | grep -q 'produce failures 0,'"

dump_out "$TP.out" "$WORK/out.json" || abort "cannot read $TP.out"
max_dup=()
[ "$EOS" = 1 ] && max_dup=(--max-duplicates 0)
python3 "$HERE/stream_check.py" cover-input --input-dump "$WORK/in.json" --out "$WORK/out.json" \
  --ids "$WORK/data/ids" --summary "$WORK/cover.json" "${max_dup[@]}"
check "stream_check cover-input: nothing missing, nothing extra${max_dup:+, no duplicate}" [ $? -eq 0 ]
sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["input_records"])' "$WORK/cover.json")
check "an outage came with work in flight ($inflight_outages of $OUTAGES)" [ "$inflight_outages" -ge 1 ]
check "wiretag published new work after an outage ($resumed of $OUTAGES)" [ "$resumed" -ge 1 ]
say "broker restart x$OUTAGES ($GUARANTEE): sent $sent, $(cat "$WORK/cover.json"); outages ${outage_list% } ms; every input out $(((t_done - t_begin) / 1000)) s after wiretag started"
grep -E 'INFO +consumed [0-9]+ ' "$WORK/wt.log" | tail -n 1 | sed 's/^/# last stats: /'
[ "$WT_FAILS" -eq 0 ] || show_log "$WORK/wt.log" 60
wt_finish
