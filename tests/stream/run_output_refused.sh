#!/usr/bin/env bash
# An output topic the broker refuses (output.error.policy). The per-label
# topic for military_action takes records of at most 100 bytes
# (max.message.bytes), so the broker refuses every copy published there
# (MSG_SIZE_TOO_LARGE), while every other output works. The same 2,000
# articles go through three consumer groups:
#  1. at_least_once, policy dlq: every article is labeled in output.topic;
#     the inputs labeled military_action are dead-lettered once each
#     (output_refused, naming the topic and the error); everything commits;
#     wiretag keeps running and stops cleanly.
#  2. at_least_once, policy stop: wiretag stops by itself (exit 1) at the
#     first refusal, and no partition's committed offset passes the first
#     input whose copy was refused.
#  3. exactly_once, policy dlq: the refusal aborts the transaction; after
#     the rewind those inputs go to the dead-letter topic; a read_committed
#     reader sees every article once in output.topic and every refused one
#     once in dlq.topic.
#
#   run_output_refused.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
source "$(dirname "$0")/lib.sh"
wt_init output_refused "$@"

N=2000
topic in 2
topic mil 1 max.message.bytes=100
topic dip 1
topic mty 1
topic unl 1
for g in 1 2 3; do
  topic "out$g" 2
  topic "dlq$g" 1
done

gen "$N" "$WORK/data" || abort "cannot generate the input"
produce_dir "$TP.in" "$WORK/data"
wait_for 30 "$N inputs" count_ge "$TP.in" "$N" || abort "the input did not arrive"
dump "$TP.in" "$WORK/in.json" || abort "cannot read $TP.in"

wt_args
# phase G POLICY [args]: the options of group G.
phase_args() {
  local g=$1 policy=$2
  shift 2
  PHASE_ARGS=("${WT_ARGS[@]}" -X "output.topic=$TP.out$g" -X "dlq.topic=$TP.dlq$g"
    -X "group.id=$TP.group$g" -X "output.error.policy=$policy" "$@")
}

# phase_check N DUMP PREFIX: stop phase N's wiretag (exit status 0), read
# $TP.outN and $TP.dlqN with DUMP (dump, or dump_committed under
# exactly_once) and check every input is labeled once and the refused
# ones (military_action, too large for $TP.mil) dead-lettered once each.
phase_check() {
  local n=$1 rd=$2 pre=$3
  wt_stop "$WT_PID" 40
  check "phase $n: SIGTERM, exit status 0 (status $WT_RC)" [ "$WT_RC" -eq 0 ]
  "$rd" "$TP.out$n" "$WORK/out$n.json" && "$rd" "$TP.dlq$n" "$WORK/dlq$n.json" ||
    abort "cannot read phase $n's topics"
  check "${pre}every input labeled in output.topic once" \
    python3 "$HERE/stream_check.py" cover --ids "$WORK/data/ids" --out "$WORK/out$n.json" \
    --summary "$WORK/cover$n.json" --max-duplicates 0
  check "${pre}the refused inputs dead-lettered, once each" \
    python3 "$HERE/stream_check.py" refused --out "$WORK/out$n.json" --dlq "$WORK/dlq$n.json" \
    --input-dump "$WORK/in.json" --label military_action --topic "$TP.mil" --reason "too large"
}

# 1. at_least_once, dlq.
phase_args 1 dlq
wt_start "$WORK/p1.log" "${PHASE_ARGS[@]}"
wait_for 60 "$N outputs in out1" count_ge "$TP.out1" "$N" ||
  { show_log "$WORK/p1.log"; abort "phase 1: not every input labeled within 60 s"; }
wait_for 30 "p1 to commit everything" eval '[ "$(committed "$TP.group1")" -eq "$N" ]' ||
  fail "phase 1: every input committed"
check "phase 1: still running after the refusals" kill -0 "$WT_PID"
phase_check 1 dump "phase 1: "
check "phase 1: the log names the refusal and the policy" \
  grep_log "$WORK/p1.log" "publishing to $TP.mil: .*too large.*input published to dlq.topic \(output.error.policy=dlq\)"
check "phase 1: $TP.mil got nothing" [ "$(count "$TP.mil")" -eq 0 ]
refused=$(python3 -c 'import collections,json,sys; print(sum(1 for l in open(sys.argv[1]) if l.strip()))' "$WORK/dlq1.json")
say "phase 1 (at_least_once, dlq): $N inputs, $refused dead-lettered as output_refused, $(count "$TP.out1") labeled"

# 2. at_least_once, stop.
phase_args 2 stop
wt_start "$WORK/p2.log" "${PHASE_ARGS[@]}"
if wait_for 60 "wiretag to stop by itself" wt_gone "$WT_PID"; then
  rc=0
  wait "$WT_PID" || rc=$?
  check "phase 2: stopped by itself, exit status 1 (status $rc)" [ "$rc" -eq 1 ]
else
  fail "phase 2: stopped by itself within 60 s"
fi
check "phase 2: the log says why" grep_log "$WORK/p2.log" "too large.*stopping \(output.error.policy=stop\)"
python3 "$HERE/stream_check.py" first-refused --out "$WORK/out1.json" --input-dump "$WORK/in.json" \
  --label military_action >"$WORK/first.txt"
"$WT_ADMIN" -t 10 -b "$BOOTSTRAP" committed "$TP.group2" "$TP.in" >"$WORK/committed2.txt" 2>/dev/null
past=$(awk 'NR == FNR { first[$1] = $2; next } ($1 in first) && $2 > first[$1] { print "partition " $1 ": committed " $2 " > first refused " first[$1] }' \
  "$WORK/first.txt" "$WORK/committed2.txt")
check "phase 2: no committed offset past the first refused input ($(tr '\n' ' ' <"$WORK/committed2.txt"| sed 's/ $//'); first refused: $(tr '\n' ' ' <"$WORK/first.txt"))" [ -z "$past" ]

# 3. exactly_once, dlq.
phase_args 3 dlq -X processing.guarantee=exactly_once -X instance.id=refused3 \
  -X processing.commit.interval.ms=200
wt_start "$WORK/p3.log" "${PHASE_ARGS[@]}"
# Each abort learns at least the refused records of one batch (the rest of
# a doomed transaction fails with "Erroneous state", which says nothing
# about the record), so it takes up to one abort per refused input: a
# ThreadSanitizer build needs more than a minute.
wait_for 240 "$N inputs committed by p3" eval '[ "$(committed "$TP.group3")" -eq "$N" ]' ||
  { show_log "$WORK/p3.log"; fail "phase 3: every input committed within 240 s"; }
check "phase 3: still running" kill -0 "$WT_PID"
phase_check 3 dump_committed "phase 3: read_committed, "
aborts=$(grep -c "transaction aborted" "$WORK/p3.log")
check "phase 3: transactions aborted and rewound ($aborts)" [ "$aborts" -ge 1 ]
say "phase 3 (exactly_once, dlq): $aborts transaction(s) aborted; out3 $(count "$TP.out3") offsets used for $N records"
wt_finish
