#!/usr/bin/env bash
# Start-up errors: each bad configuration makes `wiretag run` exit 3
# ("could not start") quickly, with a message naming the key, file or
# topic at fault, and never hangs (each run is wrapped in `timeout 60`).
#
#   run_config_errors.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
source "$(dirname "$0")/lib.sh"
wt_init config_errors "$@"

wt_topics 2 2
wt_args
# Make the good configuration fail for one reason at a time.
GOOD=("${WT_ARGS[@]}")

# good_starts: the baseline really starts (else every case below would
# pass for the wrong reason). Bounded: started once it logs its assignment.
wt_start "$WORK/good.log" "${GOOD[@]}"
if wait_for 30 "the good configuration to get an assignment" grep_log "$WORK/good.log" 'INFO +assigned '; then
  ok "baseline: the good configuration starts and gets its partitions"
else
  fail "baseline: the good configuration starts and gets its partitions"
  show_log "$WORK/good.log"
fi
wt_stop "$WT_PID" 30
check "baseline: SIGTERM, exit status 0 (status $WT_RC)" [ "$WT_RC" -eq 0 ]

# case NAME SECONDS NEEDLE ARGS...: `wiretag run ARGS` exits 3 within
# SECONDS, and its error message (a "wiretag: run: ..." or "ERROR cannot
# start: ..." line, not the start-up summary that echoes every setting)
# contains NEEDLE (a fixed string).
case_() {
  local name=$1 limit=$2 needle=$3 t0 ms rc=0
  shift 3
  t0=$(now_ms)
  timeout 60 "$WIRETAG" run "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  ms=$(($(now_ms) - t0))
  local msg
  msg=$(grep -E '^wiretag: run: | ERROR +cannot start: ' "$WORK/$name.err" |
    grep -F -m 1 -- "$needle" | cut -c1-240)
  if [ "$rc" -eq 124 ]; then
    fail "$name: hung (killed after 60 s)"
  else
    check "$name: exit status 3 (got $rc)" [ "$rc" -eq 3 ]
  fi
  check "$name: failed within ${limit} s (${ms} ms)" [ "$ms" -le $((limit * 1000)) ]
  if [ -n "$msg" ]; then
    ok "$name: message names \"$needle\": $msg"
  else
    fail "$name: message names \"$needle\""
    sed 's/^/    stderr: /' "$WORK/$name.err" | head -n 5
  fi
}

case_ unknown-key 10 "no.such.key" "${GOOD[@]}" -X no.such.key=1
case_ wiretag-key-typo 10 "input.topic" "${GOOD[@]}" -X input.topic=x
case_ bad-value 10 "workers" "${GOOD[@]}" -X workers=abc
case_ out-of-range 10 "workers" "${GOOD[@]}" -X workers=100000
case_ bad-librdkafka-value 10 "acks" "${GOOD[@]}" -X producer.acks=maybe
case_ refused-key 10 "enable.auto.offset.store" "${GOOD[@]}" -X enable.auto.offset.store=true
case_ missing-config-file 10 "/nonexistent/wiretag.properties" -c /nonexistent/wiretag.properties \
  "${GOOD[@]:2}"
case_ missing-model 10 "/nonexistent.wtm" "${GOOD[@]}" -X model.path=/nonexistent.wtm
case_ not-a-model 10 "$SRC/config/wiretag.properties" "${GOOD[@]}" -X "model.path=$SRC/config/wiretag.properties"
case_ route-unknown-label 10 "no_such_label" "${GOOD[@]}" -X "route.no_such_label=$TP.out"
case_ missing-input-topic 20 "$TP.nosuch-in" "${GOOD[@]}" -X "input.topics=$TP.nosuch-in"
case_ missing-output-topic 20 "$TP.nosuch-out" "${GOOD[@]}" -X "output.topic=$TP.nosuch-out"
case_ missing-dlq-topic 20 "$TP.nosuch-dlq" "${GOOD[@]}" -X "dlq.topic=$TP.nosuch-dlq"
case_ unreachable-broker 30 "bootstrap.servers" "${GOOD[@]}" -X bootstrap.servers=127.0.0.1:1
check "unreachable-broker: the message says the cluster cannot be reached" \
  grep -Eqi 'ERROR +cannot start: .*reach' "$WORK/unreachable-broker.err"
# No topic was created by accident (auto-creation is off on this broker,
# and wiretag must not create what it was told is missing).
check "missing topics were not created" eval \
  "! kcat -L -b '$BOOTSTRAP' -m 5 2>/dev/null | grep -q 'nosuch'"
wt_finish
