#!/usr/bin/env python3
"""Scrape and check wiretag run's HTTP endpoint (tests/stream/run_metrics.sh).

  metrics_check.py wait-healthy URL SECONDS     poll /healthz until 200
  metrics_check.py get URL                      print status and body
  metrics_check.py wait-metric URL NAME VALUE SECONDS
                                                poll /metrics until NAME == VALUE
  metrics_check.py check URL --ref REF.jsonl --model-id ID --consumed N
        --classified N --dlq CODE=N ... --produced N
                                                the counters against what was sent
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request

FAILS = 0


def check(cond, desc, detail=""):
    global FAILS
    if cond:
        print("ok - %s" % desc)
    else:
        FAILS += 1
        print("not ok - %s%s" % (desc, (": %s" % detail) if detail else ""))


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8")
    except OSError as e:
        return None, "", str(e)


def parse(text):
    """Prometheus text -> {'name{labels}': value} (labels as written)."""
    m = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, val = line.rpartition(" ")
        m[key] = float(val)
    return m


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("wait-healthy")
    g.add_argument("url")
    g.add_argument("seconds", type=float)
    g = sub.add_parser("get")
    g.add_argument("url")
    g = sub.add_parser("wait-metric")
    g.add_argument("url")
    g.add_argument("name")
    g.add_argument("value", type=float)
    g.add_argument("seconds", type=float)
    g = sub.add_parser("check")
    g.add_argument("url")
    g.add_argument("--ref", required=True)
    g.add_argument("--model-id", required=True)
    g.add_argument("--consumed", type=int, required=True)
    g.add_argument("--classified", type=int, required=True)
    g.add_argument("--dlq", action="append", default=[])
    g.add_argument("--produced", type=int, required=True)
    g.add_argument("--topic", action="append", default=[],
                   help="TOPIC=N: records acknowledged for an output topic")
    g.add_argument("--sent-at-least", type=int, default=0,
                   help="librdkafka statistics: records sent, summed over --topic")
    a = ap.parse_args()

    if a.cmd == "wait-healthy":
        end = time.time() + a.seconds
        while time.time() < end:
            st, _, body = get(a.url + "/healthz")
            if st == 200:
                print(body.strip())
                return 0
            time.sleep(0.2)
        print("not healthy within %g s (last: %s %s)" % (a.seconds, st, body.strip()))
        return 1
    if a.cmd == "get":
        st, ctype, body = get(a.url)
        print(st)
        print(ctype)
        sys.stdout.write(body)
        return 0
    if a.cmd == "wait-metric":
        end = time.time() + a.seconds
        v = None
        while time.time() < end:
            st, _, body = get(a.url + "/metrics")
            if st == 200:
                v = parse(body).get(a.name)
                if v == a.value:
                    return 0
            time.sleep(0.3)
        print("%s = %s, not %g, after %g s" % (a.name, v, a.value, a.seconds))
        return 1

    st, ctype, body = get(a.url + "/metrics")
    check(st == 200, "GET /metrics: 200 (%s)" % st)
    check(ctype.startswith("text/plain; version=0.0.4"), "Prometheus content type (%s)" % ctype)
    m = parse(body)
    tags, untagged = 0, 0
    with open(a.ref, encoding="utf-8") as f:
        for line in f:
            n = len(json.loads(line)["wiretag"]["labels"])
            tags += n
            untagged += n == 0

    def eq(name, want):
        check(m.get(name) == want, "%s = %s" % (name, want), "got %s" % m.get(name))

    eq("wiretag_messages_consumed_total", a.consumed)
    eq("wiretag_messages_classified_total", a.classified)
    eq("wiretag_messages_committed_total", a.consumed)
    eq("wiretag_in_flight_messages", 0)
    eq("wiretag_records_produced_total", a.produced)
    eq("wiretag_produce_failures_total", 0)
    sent = 0
    for spec in a.topic:
        topic, n = spec.rsplit("=", 1)
        eq('wiretag_topic_records_produced_total{topic="%s"}' % topic, int(n))
        sent += m.get('wiretag_producer_records_sent_total{topic="%s"}' % topic, 0)
    if a.topic:
        check(sent >= a.sent_at_least, "librdkafka statistics: %d records sent (at least %d)"
              % (sent, a.sent_at_least))
    for spec in a.dlq:
        code, n = spec.split("=")
        eq('wiretag_dead_letters_total{error="%s"}' % code, int(n))
    eq("wiretag_classify_seconds_count", a.classified)
    eq('wiretag_classify_seconds_bucket{le="+Inf"}', a.classified)
    check(m.get("wiretag_classify_seconds_sum", 0) > 0, "classification time summed (%s s)"
          % m.get("wiretag_classify_seconds_sum"))
    got_tags = sum(v for k, v in m.items()
                   if k.startswith("wiretag_tags_total{") and not k.endswith('label=""}'))
    check(got_tags == tags, "tags per label sum to wiretag classify's %d tags" % tags,
          "got %s" % got_tags)
    eq('wiretag_tags_total{model_id="%s",label=""}' % a.model_id, untagged)
    check(any(k.startswith("wiretag_model_info{") and 'model_id="%s"' % a.model_id in k
              for k in m), "wiretag_model_info names model %s" % a.model_id)
    check(m.get("wiretag_rebalances_total", 0) >= 1, "a rebalance counted (%s)"
          % m.get("wiretag_rebalances_total"))
    print("# metrics: consumed %s, classified %s, produced %s, tags %s"
          % (m.get("wiretag_messages_consumed_total"), m.get("wiretag_messages_classified_total"),
             m.get("wiretag_records_produced_total"), got_tags))
    return min(FAILS, 100)


if __name__ == "__main__":
    sys.exit(main())
