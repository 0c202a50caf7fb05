#!/usr/bin/env bash
# input.format: the same five messages -- three JSON articles and two
# framed the Confluent Schema Registry way (magic byte 0, a 4-byte
# big-endian schema id, then the JSON) -- read both ways. With the
# default (json) the framed ones are dead-lettered (wiretag-error json)
# with a message that says what they look like and which setting reads
# them; with confluent-json they are labeled (the framing dropped) and
# the plain JSON ones are dead-lettered as "not a Confluent Schema
# Registry payload".
#
#   run_input_formats.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
source "$(dirname "$0")/lib.sh"
wt_init input_formats "$@"

wt_topics 1 1
topic out2 1
topic dlq2 1

python3 - "$SRC/tests/fixtures/articles.jsonl" "$WORK" <<'PY' || abort "cannot write the inputs"
import json, struct, sys
arts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
with open(sys.argv[2] + "/plain.tsv", "w") as f:
    for i, a in enumerate(arts[:3]):
        a["id"] = "plain-%d" % i
        f.write("plain-%d\t%s\n" % (i, json.dumps(a)))
for i, a in enumerate(arts[3:5]):
    a["id"] = "framed-%d" % i
    with open("%s/framed-%d.bin" % (sys.argv[2], i), "wb") as f:
        f.write(b"\0" + struct.pack(">I", 4242 + i) + json.dumps(a).encode())
PY
kp() { timeout 60 kcat -b "$BOOTSTRAP" -P -t "$TP.in" "$@"; }
kp -K '\t' <"$WORK/plain.tsv" || abort "kcat produce failed"
for i in 0 1; do
  kp -k "framed-$i" "$WORK/framed-$i.bin" || abort "kcat produce failed"
done
check "input topic holds 5 messages" count_ge "$TP.in" 5

# dlq_check DUMP WANT: every dead letter's key, error and message, as
# "key|error|message" lines, sorted, compared with WANT.
dlq_lines() {
  python3 -c '
import json, sys
rows = []
for line in open(sys.argv[1], errors="surrogateescape"):
    m = json.loads(line)
    h = m["headers"] or []
    h = dict(zip(h[0::2], h[1::2]))
    rows.append("%s|%s|%s" % (m["key"], h.get("wiretag-error"),
                              h.get("wiretag-error-message")))
print("\n".join(sorted(rows)))' "$1"
}
out_ids() {
  python3 -c '
import json, sys
ids = []
for line in open(sys.argv[1], errors="surrogateescape"):
    m = json.loads(line)
    rec = json.loads(m["payload"])   # plain JSON: no framing left
    assert "wiretag" in rec, rec
    ids.append(rec["id"])
print(" ".join(sorted(ids)))' "$1"
}

# --- input.format=json (the default) ---------------------------------------
wt_args
wt_start "$WORK/json.log" "${WT_ARGS[@]}"
wait_for 60 "3 outputs and 2 dead letters" \
  eval "count_ge '$TP.out' 3 && count_ge '$TP.dlq' 2" || show_log "$WORK/json.log"
wt_stop_clean "$WT_PID" 40 "$WORK/json.log" "json"
dump "$TP.out" "$WORK/out.json" || abort "cannot read $TP.out"
dump "$TP.dlq" "$WORK/dlq.json" || abort "cannot read $TP.dlq"
got=$(out_ids "$WORK/out.json")
check "json: the 3 plain articles labeled (got: $got)" [ "$got" = "plain-0 plain-1 plain-2" ]
got=$(dlq_lines "$WORK/dlq.json")
want="framed-0|json|looks like a Confluent Schema Registry payload (magic byte 0, schema id 4242): set input.format=confluent-json
framed-1|json|looks like a Confluent Schema Registry payload (magic byte 0, schema id 4243): set input.format=confluent-json"
check "json: the 2 framed messages dead-lettered, saying what they are" [ "$got" = "$want" ]
[ "$got" = "$want" ] || printf 'got:\n%s\nwant:\n%s\n' "$got" "$want"

# --- input.format=confluent-json --------------------------------------------
wt_start "$WORK/confluent.log" "${WT_ARGS[@]}" -X input.format=confluent-json \
  -X "output.topic=$TP.out2" -X "dlq.topic=$TP.dlq2" -X "group.id=$TP.group2"
wait_for 60 "2 outputs and 3 dead letters" \
  eval "count_ge '$TP.out2' 2 && count_ge '$TP.dlq2' 3" || show_log "$WORK/confluent.log"
wt_stop_clean "$WT_PID" 40 "$WORK/confluent.log" "confluent-json"
check "log: input.format=confluent-json in the start-up summary" \
  grep_log "$WORK/confluent.log" "input.format=confluent-json"
dump "$TP.out2" "$WORK/out2.json" || abort "cannot read $TP.out2"
dump "$TP.dlq2" "$WORK/dlq2.json" || abort "cannot read $TP.dlq2"
got=$(out_ids "$WORK/out2.json")
check "confluent-json: the 2 framed articles labeled, as plain JSON (got: $got)" \
  [ "$got" = "framed-0 framed-1" ]
got=$(dlq_lines "$WORK/dlq2.json")
msg="not a Confluent Schema Registry payload (input.format=confluent-json expects magic byte 0 and a 4-byte schema id before the JSON)"
want="plain-0|json|$msg
plain-1|json|$msg
plain-2|json|$msg"
check "confluent-json: the 3 plain messages dead-lettered, saying why" [ "$got" = "$want" ]
[ "$got" = "$want" ] || printf 'got:\n%s\nwant:\n%s\n' "$got" "$want"
wt_finish
