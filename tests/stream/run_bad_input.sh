#!/usr/bin/env bash
# Bad input among good articles: every bad message lands in the dead-letter
# topic exactly once, with its original bytes and key, the input headers,
# wiretag-error (json, not_object, field_missing, field_type, utf8,
# too_large) and the source topic/partition/offset; every good article,
# unusual ones included, is labeled; the process keeps running and stops
# cleanly. The cases and where each lands: README, "Bad input".
#
#   run_bad_input.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
source "$(dirname "$0")/lib.sh"
wt_init bad_input "$@"

N=200
# The input and the DLQ take the 5 MB article (broker default: 1 MB).
big=max.message.bytes=10485760
topic in 2 "$big"
topic out 2
topic dlq 2 "$big"
topic mil 1
topic dip 1
topic mty 1
topic unl 1

gen "$N" "$WORK/data" || abort "cannot generate the input"
python3 "$HERE/stream_check.py" badgen "$WORK" || abort "cannot generate the bad messages"
# Unusual but valid articles (duplicate keys, empty text, an escaped NUL,
# nesting within the parser's limit, odd spacing) count as good ones.
python3 "$HERE/stream_check.py" oddgen "$WORK/data" || abort "cannot generate the unusual articles"
N=$((N + $(wc -l <"$WORK/data/odd.tsv")))
# Good articles split in two halves, the bad messages between them, each
# to an explicit partition (alternating), so both partitions see bad ones.
{ for name in $(cat "$WORK/data/sources"); do cat "$WORK/data/src-$name.tsv"; done
  cat "$WORK/data/odd.tsv"; } >"$WORK/good.tsv"
head -n $((N / 2)) "$WORK/good.tsv" >"$WORK/data/src-first.tsv"
tail -n +$((N / 2 + 1)) "$WORK/good.tsv" >"$WORK/data/src-second.tsv"
kp() { timeout 60 kcat -b "$BOOTSTRAP" -P -t "$TP.in" -H src=bad-input -H "run=$RUN" -X message.max.bytes=10485760 "$@"; }
kp -K '\t' <"$WORK/data/src-first.tsv" || abort "kcat produce failed"
i=0
while IFS=$'\t' read -r key file null; do
  p=$((i % 2))
  if [ "$file" != None ]; then
    kp -p "$p" -k "$key" "$file"
  elif [ "$null" = True ]; then
    printf '%s\t\n' "$key" | kp -p "$p" -K '\t' -Z
  else
    printf '%s\t\n' "$key" | kp -p "$p" -K '\t'
  fi || abort "kcat could not produce $key"
  i=$((i + 1))
done < <(python3 -c '
import json, sys
for m in json.load(open(sys.argv[1])):
    print("%s\t%s\t%s" % (m["key"], m["file"], m["null"]))' "$WORK/bad.json")
nbad=$i
kp -K '\t' <"$WORK/data/src-second.tsv" || abort "kcat produce failed"
check "input topic holds $N good + $nbad bad messages" count_ge "$TP.in" $((N + nbad))

wt_args
# input.max.bytes stays at its default (1 MiB), so the 5 MB article is
# too_large. Dead-lettering it means producing 5 MB: the producer's
# message.max.bytes (librdkafka default 1000000) must allow it.
WT_ARGS+=(-X producer.message.max.bytes=10485760)
wt_start "$WORK/run.log" "${WT_ARGS[@]}"
wait_for 60 "$N outputs and $nbad dead letters" \
  eval "count_ge '$TP.out' $N && count_ge '$TP.dlq' $nbad"
check "$N good articles labeled (got $(count "$TP.out")) and $nbad dead-lettered (got $(count "$TP.dlq")) within 60 s" \
  eval "count_ge '$TP.out' $N && count_ge '$TP.dlq' $nbad"
# Nothing more arrives later (e.g. a retried or duplicated dead letter).
sleep 2
check "no further records after 2 s (out $(count "$TP.out"), dlq $(count "$TP.dlq"))" \
  eval "[ \$(count '$TP.out') -eq $N ] && [ \$(count '$TP.dlq') -eq $nbad ]"
check "wiretag still running after the bad input (kill -0)" kill -0 "$WT_PID"
wt_stop_clean "$WT_PID" 40 "$WORK/run.log"
check "log: no publishing failure" eval "! grep -q 'publishing to .* failed' '$WORK/run.log'"
check "log: stats count $nbad dead-lettered" grep_log "$WORK/run.log" "dead-lettered $nbad,"
[ "$WT_FAILS" -eq 0 ] || show_log "$WORK/run.log"

for t in in out dlq; do
  dump "$TP.$t" "$WORK/$t.json" || abort "cannot read $TP.$t"
done
python3 "$HERE/stream_check.py" bad --inputs "$WORK/data/input.jsonl" \
  --manifest "$WORK/bad.json" --input-dump "$WORK/in.json" --input-topic "$TP.in" \
  --out "$WORK/out.json" --dlq "$WORK/dlq.json" --dlq-partitions 2
check "stream_check bad: all checks pass" [ $? -eq 0 ]
wt_finish
