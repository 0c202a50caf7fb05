#!/usr/bin/env bash
# Operations: /healthz answers from process start ("starting", 503, while
# the Kafka checks run; here against a broker that is not there, so they
# take long); every metric the Grafana dashboard and the Prometheus alert
# rules query is exported by a running wiretag after some traffic; with
# log.format=json every log line is a JSON object; values from ${env:}
# and ${file:} reach librdkafka and never the log.
#
#   run_ops.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
source "$(dirname "$0")/lib.sh"
wt_init ops "$@"

wt_topics 2 1
MPORT=$(( ${BOOTSTRAP##*:} + 71 ))
URL=http://127.0.0.1:$MPORT

# http PATH: "STATUS BODY" of GET URL/PATH, or "000" when nothing answers.
http() {
  python3 - "$URL$1" <<'PY'
import sys, urllib.error, urllib.request
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=2)
    print(r.status, r.read().decode().strip())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().strip())
except Exception:
    print("000")
PY
}
answers() { [ "$(http "$1" | cut -c1-3)" != 000 ]; }

# --- /healthz from the start -------------------------------------------------
# Nothing listens on port 9 (discard): the Kafka checks wait on a broker
# that never answers, and /healthz must say "starting" meanwhile.
wt_args
"$WIRETAG" run "${WT_ARGS[@]}" -X bootstrap.servers=127.0.0.1:9 \
  -X "metrics.listen=127.0.0.1:$MPORT" >/dev/null 2>"$WORK/starting.log" &
SPID=$!
WT_PIDS+=("$SPID")
wait_for 10 "the endpoint to answer" answers /healthz
got=$(http /healthz)
check "/healthz while the Kafka checks run: 503 starting (got: $got)" [ "$got" = "503 starting" ]
got=$(http /metrics)
check "/metrics while starting: 503 starting (got: $got)" [ "$got" = "503 starting" ]
kill -TERM "$SPID" 2>/dev/null
wait_for 30 "the starting wiretag to exit" wt_gone "$SPID"
wait "$SPID" 2>/dev/null

# --- a running wiretag: health, metrics, JSON logs, providers ------------------
printf 'k3y-from-a-file\n' >"$WORK/keypw"
export WT_OPS_BOOTSTRAP=$BOOTSTRAP
wt_start "$WORK/run.log" "${WT_ARGS[@]}" -X "metrics.listen=127.0.0.1:$MPORT" \
  -X statistics.interval.ms=500 -X log.format=json \
  -X 'bootstrap.servers=${env:WT_OPS_BOOTSTRAP}' \
  -X "ssl.key.password=\${file:$WORK/keypw}"
wait_for 30 "/healthz 200 ok" eval '[ "$(http /healthz)" = "200 ok" ]'
check "/healthz: 200 ok once subscribed" [ "$(http /healthz)" = "200 ok" ]

python3 - "$SRC/tests/fixtures/articles.jsonl" >"$WORK/in.tsv" <<'PY'
import json, sys
arts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for i in range(100):
    a = dict(arts[i % len(arts)], id="ops-%d" % i)
    print("ops-%d\t%s" % (i, json.dumps(a)))
print("bad-1\tnot JSON")
print('bad-2\t{"id": "bad-2", "body": "no text"}')
PY
timeout 60 kcat -b "$BOOTSTRAP" -P -t "$TP.in" -K '\t' <"$WORK/in.tsv" || abort "kcat produce failed"
wait_for 60 "100 outputs and 2 dead letters" \
  eval "count_ge '$TP.out' 100 && count_ge '$TP.dlq' 2" || show_log "$WORK/run.log"
# Consumer lag comes with librdkafka's statistics, every 500 ms here.
scrape() {
  python3 - "$URL/metrics" >"$WORK/metrics.txt" <<'PY'
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
PY
}
wait_for 30 "the consumer lag in /metrics" \
  eval 'scrape && grep -q "^wiretag_consumer_lag_messages{" "$WORK/metrics.txt"'
check "/metrics has the consumer lag per partition" grep -q '^wiretag_consumer_lag_messages{' "$WORK/metrics.txt"
check "/metrics: wiretag_healthy 1" grep -q '^wiretag_healthy 1$' "$WORK/metrics.txt"
python3 "$HERE/promql_names.py" "$WORK/metrics.txt" \
  "$SRC/config/grafana/wiretag.json" "$SRC/config/prometheus/wiretag-alerts.yml"
check "every metric the dashboard and the alert rules query is exported" [ $? -eq 0 ]
# The check can fail: a query of a metric wiretag does not export.
printf '{"panels": [{"targets": [{"expr": "sum by (le) (rate(wiretag_no_such_seconds_bucket{job=\\"x\\"}[5m]))"}]}]}\n' >"$WORK/bogus.json"
python3 "$HERE/promql_names.py" "$WORK/metrics.txt" "$WORK/bogus.json" >"$WORK/bogus.out"
rc=$?
check "... the check fails on one that is not (status $rc), naming it" \
  eval "[ $rc -eq 1 ] && grep -q 'not exported by wiretag run: wiretag_no_such_seconds_bucket' '$WORK/bogus.out'"

wt_stop_clean_json() {
  wt_stop "$WT_PID" 40
  check "SIGTERM, exit status 0 (status $WT_RC after ${WT_STOP_MS} ms)" [ "$WT_RC" -eq 0 ]
}
wt_stop_clean_json
python3 - "$WORK/run.log" <<'PY'
import json, sys
n, msgs = 0, []
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)           # every line is one JSON object
    assert isinstance(o, dict), line
    for k in ("time", "level", "message"):
        assert isinstance(o.get(k), str), (k, line)
    assert o["level"] in ("error", "warn", "info", "debug"), line
    n += 1
    msgs.append(o["message"])
assert n >= 3, n
assert any(m.startswith("wiretag run starting: ") for m in msgs)
assert msgs[-1] == "stopped", msgs[-1]
print("log: %d JSON lines" % n)
PY
check "log.format=json: every line a JSON object with time, level, message; ends 'stopped'" [ $? -eq 0 ]
check "log: the start-up summary shows the env reference" \
  grep -q 'bootstrap.servers=${env:WT_OPS_BOOTSTRAP}' "$WORK/run.log"
check "log: ssl.key.password masked" grep -q 'ssl.key.password=\*\*\*' "$WORK/run.log"
check "log: the secret from the file never appears" eval "! grep -q 'k3y-from-a-file' '$WORK/run.log'"
[ "$WT_FAILS" -eq 0 ] || show_log "$WORK/run.log"
wt_finish
