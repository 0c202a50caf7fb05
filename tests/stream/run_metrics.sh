#!/usr/bin/env bash
# The metrics and health endpoint (metrics.listen): /healthz answers 200
# once wiretag is subscribed; after good and bad articles flow, /metrics
# counts exactly what was sent (consumed, classified, dead letters by
# code, records produced, committed, tags per label against `wiretag
# classify`, classification times); unknown paths get 404; a bad
# metrics.listen is refused at start-up.
#
#   run_metrics.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
source "$(dirname "$0")/lib.sh"
wt_init metrics "$@"

N=2000
wt_topics 2 2
MPORT=$(( ${BOOTSTRAP##*:} + 70 ))
URL=http://127.0.0.1:$MPORT
MC=(python3 "$HERE/metrics_check.py")

gen "$N" "$WORK/data" || abort "cannot generate the input"
"$WIRETAG" classify -m "$SRC/models/conflict-v2.wtm" "$WORK/data/input.jsonl" >"$WORK/ref.jsonl" ||
  abort "wiretag classify failed"
MODEL_ID=$("$WIRETAG" model info --json "$SRC/models/conflict-v2.wtm" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["model_id"])')

wt_args
"$WIRETAG" run "${WT_ARGS[@]}" -X metrics.listen=nohost >/dev/null 2>"$WORK/bad-listen.log"
rc=$?
check "metrics.listen=nohost: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "... saying what is wrong" grep -q 'metrics.listen: "nohost" is not HOST:PORT' "$WORK/bad-listen.log"

wt_start "$WORK/run.log" "${WT_ARGS[@]}" -X "metrics.listen=127.0.0.1:$MPORT" \
  -X statistics.interval.ms=500
check "/healthz: 200 once subscribed" "${MC[@]}" wait-healthy "$URL" 30

for name in $(cat "$WORK/data/sources"); do cat "$WORK/data/src-$name.tsv"; done |
  timeout 60 kcat -b "$BOOTSTRAP" -P -t "$TP.in" -K '\t' || abort "kcat produce failed"
printf 'bad-1\tnot JSON\nbad-2\t[1,2]\nbad-3\t{"id":"bad-3","body":"no text"}\n' |
  timeout 60 kcat -b "$BOOTSTRAP" -P -t "$TP.in" -K '\t' || abort "kcat produce failed"
wait_for 60 "$N outputs and 3 dead letters" eval "count_ge '$TP.out' $N && count_ge '$TP.dlq' 3" ||
  { show_log "$WORK/run.log"; abort "wiretag did not label everything within 60 s"; }
check "every input committed, as /metrics says" \
  "${MC[@]}" wait-metric "$URL" wiretag_messages_committed_total $((N + 3)) 30
# Consumer lag from librdkafka's statistics: zero on both partitions once
# everything is committed (statistics every 0.5 s).
for p in 0 1; do
  check "consumer lag of $TP.in [$p] reaches 0" "${MC[@]}" wait-metric "$URL" \
    "wiretag_consumer_lag_messages{topic=\"$TP.in\",partition=\"$p\"}" 0 20
done
produced=0
per_topic=()
for t in out dlq mil dip mty unl; do
  c=$(count "$TP.$t")
  produced=$((produced + c))
  per_topic+=(--topic "$TP.$t=$c")
done
"${MC[@]}" check "$URL" --ref "$WORK/ref.jsonl" --model-id "$MODEL_ID" \
  --consumed $((N + 3)) --classified "$N" --produced "$produced" \
  --dlq json=1 --dlq not_object=1 --dlq field_missing=1 \
  "${per_topic[@]}" --sent-at-least "$produced"
check "metrics_check: all counters match what was sent" [ $? -eq 0 ]
"${MC[@]}" get "$URL/healthz" >"$WORK/health.txt"
check "/healthz body: ok" eval "[ \"\$(sed -n 3p '$WORK/health.txt')\" = ok ]"
"${MC[@]}" get "$URL/nope" >"$WORK/nope.txt"
check "/nope: 404" eval "[ \"\$(head -n 1 '$WORK/nope.txt')\" = 404 ]"

wt_stop "$WT_PID" 40
check "SIGTERM: exit status 0 within 40 s (status $WT_RC after ${WT_STOP_MS} ms)" [ "$WT_RC" -eq 0 ]
check "log: metrics endpoint announced" grep_log "$WORK/run.log" "metrics on http://127.0.0.1:$MPORT/metrics"
wt_finish
