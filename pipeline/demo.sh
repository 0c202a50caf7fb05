#!/usr/bin/env bash
# The main job, end to end on one machine: installs what is missing,
# builds wiretag, starts a local Kafka broker, creates the topics of
# config/wiretag.properties, streams sample articles (and one bad message)
# through `wiretag run` with the default model, prints the labeled records
# and the per-label topics, then stops everything cleanly.
#
#   bash pipeline/demo.sh
#
# Environment: WT_KAFKA_PORT (default 19092) and the other broker settings
# of tests/kafka/README.md; WT_DEMO_KEEP_BROKER=1 leaves the broker running.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${WT_KAFKA_PORT:-19092}
bootstrap=127.0.0.1:$port
run_id=demo-$$-$(date +%s)
in_topic=articles.$run_id

bash tests/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

tmp=$(mktemp -d)
wt_pid=""
cleanup() {
  [ -n "$wt_pid" ] && kill -TERM "$wt_pid" 2>/dev/null && wait "$wt_pid" 2>/dev/null
  [ "${WT_DEMO_KEEP_BROKER:-0}" = 1 ] || tests/kafka/broker.sh stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

WT_KAFKA_PORT=$port tests/kafka/broker.sh start

# Topics: fresh ones for each run (names from config/wiretag.properties
# plus a run suffix), so the demo shows exactly this run's records.
labeled=articles.labeled.$run_id dlq=articles.dlq.$run_id
labels=(military_action diplomacy militancy)
routes=() route_opts=()
for l in "${labels[@]}"; do
  routes+=("articles.$l.$run_id")
  route_opts+=(-X "route.$l=articles.$l.$run_id")
done
for t in "$in_topic:3" "$labeled:3" "$dlq:1" "${routes[@]/%/:3}"; do
  WT_KAFKA_PORT=$port tests/kafka/broker.sh topic "${t%%:*}" "${t##*:}" >/dev/null 2>&1
done

# Sample articles: the real one from ../shared/data, the fixtures, and a
# message that is not JSON, which must land in the dead-letter topic.
samples=()
[ -f ../shared/data/samples/pakistan-iran.json ] && samples+=(../shared/data/samples/pakistan-iran.json)
samples+=(tests/fixtures/articles.jsonl)
python3 - "$tmp/in.txt" "${samples[@]}" <<'PY'
import json, sys
out = open(sys.argv[1], "w")
for path in sys.argv[2:]:
    text = open(path).read()
    docs = [json.loads(text)] if path.endswith(".json") else [json.loads(l) for l in text.splitlines() if l.strip()]
    for d in docs:
        out.write("%s\t%s\n" % (d["id"], json.dumps(d, ensure_ascii=False)))
out.write("bad-1\tthis is not JSON\n")
PY
n=$(wc -l <"$tmp/in.txt")
kcat -b "$bootstrap" -P -t "$in_topic" -K '\t' -H source=demo <"$tmp/in.txt"
echo "produced $n messages to $in_topic"

build/wiretag run -c config/wiretag.properties \
  -X bootstrap.servers="$bootstrap" -X input.topics="$in_topic" \
  -X output.topic="$labeled" -X dlq.topic="$dlq" "${route_opts[@]}" \
  -X group.id="wiretag-$run_id" -X log.stats.interval.ms=0 \
  2>"$tmp/run.log" &
wt_pid=$!

# Wait (bounded) until every message came out: labeled or dead-lettered.
count() { kcat -b "$bootstrap" -C -t "$1" -e -q -f 'x\n' 2>/dev/null | wc -l; }
for _ in $(seq 1 120); do
  done_n=$(( $(count "$labeled") + $(count "$dlq") ))
  [ "$done_n" -ge "$n" ] && break
  kill -0 "$wt_pid" 2>/dev/null || break
  sleep 0.5
done
kill -TERM "$wt_pid"
rc=0; wait "$wt_pid" || rc=$?
wt_pid=""
sed 's/^/  wiretag run: /' "$tmp/run.log" | grep -E "starting|model|assigned|stopped|ERROR|WARN" || true

echo
echo "== $labeled (id: labels) =="
kcat -b "$bootstrap" -C -t "$labeled" -e -q -f '%s\n' |
  python3 -c '
import json, sys
for line in sys.stdin:
    a = json.loads(line)
    print("  %-28s %s" % (a.get("id"), ", ".join("%s %.2f" % (t["label"], t["score"]) for t in a["wiretag"]["labels"]) or "(no tag)"))'
for t in "${routes[@]}"; do
  echo "== $t =="
  kcat -b "$bootstrap" -C -t "$t" -e -q -f '  %k\n'
done
echo "== $dlq (key: error header) =="
kcat -b "$bootstrap" -C -t "$dlq" -e -q -f '  %k: %h\n'
if [ "$rc" -ne 0 ]; then
  echo "wiretag run exited with status $rc" >&2
  exit "$rc"
fi
