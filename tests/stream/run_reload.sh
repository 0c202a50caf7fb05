#!/usr/bin/env bash
# Hot model reload under load: while articles flow, model.path is replaced
# (atomically, by rename) with one of two models and wiretag gets SIGHUP,
# 20 times, plus once with a corrupt file, which must be refused while the
# current model keeps serving; then, with model.watch=true, three more
# replacements without any signal. Nothing is lost or duplicated, nothing
# stalls, and every record is labeled exactly as `wiretag classify` labels
# its input with the model the record names.
#
#   run_reload.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
source "$(dirname "$0")/lib.sh"
wt_init reload "$@"

N=${WT_STREAM_RELOAD_N:-10000}
RELOADS=20
topic in 4
topic out 4
topic dlq 1
topic unl 1

# Two models with the same text fields: the default one and the fixtures'
# hand-made one. Routes are off, as the hand-made one has other labels.
A=$SRC/models/conflict-v2.wtm
B=$SRC/tests/fixtures/model-v1.wtm
MODEL=$WORK/serving.wtm
install_model() { cp "$1" "$MODEL.tmp" && mv -f "$MODEL.tmp" "$MODEL"; }
install_model "$A"

gen "$N" "$WORK/data" || abort "cannot generate the input"
for m in A B; do
  f=${!m}
  "$WIRETAG" classify -m "$f" "$WORK/data/input.jsonl" >"$WORK/ref-$m.jsonl" 2>"$WORK/ref-$m.err" ||
    abort "wiretag classify -m $f failed: $(head -c 300 "$WORK/ref-$m.err")"
done
ID_A=$("$WIRETAG" model info --json "$A" | python3 -c 'import json,sys; print(json.load(sys.stdin)["model_id"])')
ID_B=$("$WIRETAG" model info --json "$B" | python3 -c 'import json,sys; print(json.load(sys.stdin)["model_id"])')

wt_args
WT_ARGS+=(-X "model.path=$MODEL" -X model.watch=true -X route.military_action=
  -X route.diplomacy= -X route.militancy= -X log.stats.interval.ms=1000)
wt_start "$WORK/run.log" "${WT_ARGS[@]}"
# 500 articles every 0.4 s: the feed lasts about 8 s per 10,000, past
# both phases below.
feed_start "$TP.in" "$WORK/data" 500 0.4
wait_for 60 "the first outputs" count_ge "$TP.out" 1 ||
  { show_log "$WORK/run.log"; abort "no output within 60 s"; }

reload() { # reload FILE: install it and send SIGHUP
  install_model "$1"
  kill -HUP "$WT_PID"
  sleep 0.15
}
for i in $(seq 1 $((RELOADS / 2))); do
  reload "$B"
  reload "$A"
  if [ "$i" -eq 3 ]; then
    # A corrupt file: refused, the current model (A) keeps serving.
    head -c 1000 "$A" >"$MODEL.tmp" && mv -f "$MODEL.tmp" "$MODEL"
    kill -HUP "$WT_PID"
    sleep 0.3
    install_model "$A"
  fi
done
# model.watch (checked every second): replace the file, no signal.
reloads_before=$(grep -c 'INFO  *model reloaded: ' "$WORK/run.log" || true)
for f in "$B" "$A" "$B"; do
  install_model "$f"
  sleep 1.5
done
reloads_watch=$(( $(grep -c 'INFO  *model reloaded: ' "$WORK/run.log" || true) - reloads_before ))
check "model.watch: a reload for each of 3 replaced files, no signal ($reloads_watch)" \
  [ "$reloads_watch" -ge 3 ]
feed_wait 120 || abort "the feeder did not finish"
wait_for 120 "$N outputs" count_ge "$TP.out" "$N" ||
  { show_log "$WORK/run.log"; abort "wiretag did not label all $N articles within 120 s"; }
check "every article labeled while the model changed (out $(count "$TP.out") of $N)" count_ge "$TP.out" "$N"
check "wiretag still running (kill -0)" kill -0 "$WT_PID"
wt_stop "$WT_PID" 40
check "SIGTERM: exit status 0 within 40 s (status $WT_RC after ${WT_STOP_MS} ms)" [ "$WT_RC" -eq 0 ]

done_reloads=$(grep -c 'INFO  *model reloaded: ' "$WORK/run.log" || true)
refused=$(grep -c 'ERROR  *model reload refused: ' "$WORK/run.log" || true)
# Signals that arrive while a reload is pending fold into it, so fewer
# reloads than signals is correct; each reload installs what the file holds
# (and model.watch may add its own).
check "log: reloads done ($done_reloads for $RELOADS signals, at least half)" \
  [ "$done_reloads" -ge $((RELOADS / 2)) ]
check "log: the corrupt model refused ($refused), naming the problem" \
  eval "[ '$refused' -ge 1 ] && grep -q 'model reload refused: .*still serving conflict-v2' '$WORK/run.log'"
check "log: no other ERROR line" eval "! grep ' ERROR ' '$WORK/run.log' | grep -vq 'model reload refused'"
[ "$WT_FAILS" -eq 0 ] || show_log "$WORK/run.log"

dump "$TP.out" "$WORK/out.json" || abort "cannot read $TP.out"
python3 "$HERE/stream_check.py" reload --inputs "$WORK/data/input.jsonl" \
  --out "$WORK/out.json" --ref "$ID_A=$WORK/ref-A.jsonl" --ref "$ID_B=$WORK/ref-B.jsonl"
check "stream_check reload: all checks pass" [ $? -eq 0 ]
wt_finish
