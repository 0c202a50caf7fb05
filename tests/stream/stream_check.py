#!/usr/bin/env python3
"""Data and assertions for the stream tests (tests/stream/run_*.sh).

  gen N DIR SHARED FIXTURES   N distinct articles to produce: DIR/sources
                              (names, in produce order), DIR/src-NAME.tsv
                              (key TAB compact JSON a line), DIR/input.jsonl
                              (the same values, in the same order), DIR/ids
  badgen DIR                  bad messages: DIR/bad/*.bin, DIR/bad.json
  oddgen DIR                  unusual valid articles: DIR/odd.tsv, appended
                              to DIR/input.jsonl
  reload ...                  the checks of run_reload.sh
  basic ...                   the end-to-end checks of run_basic.sh
  bad ...                     the dead-letter checks of run_bad_input.sh
  cover ...                   at-least-once: every input id in the output
  cover-input ...             the same against the input topic's dump

Topic dumps are `kcat -C -J` output: one JSON envelope a line, payload and
key as JSON strings of the raw bytes (read back with surrogateescape, so
invalid UTF-8 survives), headers as [name, value, name, value, ...].

Checks print TAP-like "ok - ..." / "not ok - ..." lines (with up to five
examples of what went wrong); the exit status is the number of failed
checks (at most 100).
"""
import argparse
import collections
import json
import os
import sys

FAILS = 0
OKS = 0


def ok(desc):
    global OKS
    OKS += 1
    print("ok - %s" % desc)


def check(cond, desc, examples=()):
    global FAILS
    if cond:
        ok(desc)
        return True
    FAILS += 1
    print("not ok - %s" % desc)
    for e in list(examples)[:5]:
        print("    %s" % (e,))
    return False


def done():
    print("# %d passed, %d failed" % (OKS, FAILS))
    sys.exit(min(FAILS, 100))


def b(s):
    """JSON string from a dump -> the raw bytes (None stays None)."""
    if s is None:
        return None
    return s.encode("utf-8", "surrogateescape")


def load_dump(path):
    recs = []
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                e = json.loads(line.decode("utf-8", "surrogateescape"))
            except ValueError as ex:
                raise SystemExit("%s:%d: not a kcat JSON envelope: %s" % (path, n, ex))
            h = e.get("headers") or []
            e["headers"] = [(h[i], b(h[i + 1])) for i in range(0, len(h), 2)]
            e["key"] = b(e.get("key"))
            e["payload"] = b(e.get("payload"))
            recs.append(e)
    return recs


def spec(arg):
    """PATH:PARTITIONS -> (path, partitions)."""
    path, _, parts = arg.rpartition(":")
    return path, int(parts)


# ------------------------------------------------------------------ gen --

SOURCES = [("agnews", "agnews/test.jsonl"), ("bbc", "bbc/train.jsonl"),
           ("reuters", "reuters21578/train.jsonl")]


def cmd_gen(a):
    shared = [(name, os.path.join(a.shared, rel)) for name, rel in SOURCES]
    shared = [(name, p) for name, p in shared if os.path.isfile(p)]
    if not shared:
        print("stream_check gen: %s has no corpora (absent?); using %s, "
              "repeated with distinct ids" % (a.shared, a.fixtures), file=sys.stderr)
        shared = [("fixtures", a.fixtures)]
    os.makedirs(a.dir, exist_ok=True)
    # Groups, in produce order: one per source file, then "repeat" for
    # every further round over the sources (ids get a "~rN" suffix).
    groups = collections.OrderedDict()
    ids = set()
    total = 0
    rnd = 0
    while total < a.n:
        before = total
        for name, path in shared:
            group = groups.setdefault(name if rnd == 0 else "repeat", [])
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if total >= a.n:
                        break
                    if not line.strip():
                        continue
                    d = json.loads(line)
                    if rnd:
                        d["id"] = "%s~r%d" % (d["id"], rnd)
                    if d["id"] in ids:
                        raise SystemExit("duplicate id %s in %s" % (d["id"], path))
                    ids.add(d["id"])
                    group.append(d)
                    total += 1
        if total == before:
            raise SystemExit("no articles in %s" % [p for _, p in shared])
        rnd += 1
    out = []
    for name, batch in groups.items():
        if not batch:
            continue
        with open(os.path.join(a.dir, "src-%s.tsv" % name), "w", encoding="utf-8") as f:
            for d in batch:
                v = json.dumps(d, ensure_ascii=False, separators=(",", ":"))
                assert "\t" not in d["id"] and "\n" not in v
                f.write("%s\t%s\n" % (d["id"], v))
        out.extend(batch)
    names = [n for n, batch in groups.items() if batch]
    with open(os.path.join(a.dir, "sources"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    with open(os.path.join(a.dir, "input.jsonl"), "w", encoding="utf-8") as f:
        for d in out:
            f.write(json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n")
    with open(os.path.join(a.dir, "ids"), "w", encoding="utf-8") as f:
        f.write("".join(d["id"] + "\n" for d in out))
    size = os.path.getsize(os.path.join(a.dir, "input.jsonl"))
    print("generated %d articles (%s), %.1f MB" % (
        len(out), ", ".join("%s %d" % (n, len(groups[n])) for n in names), size / 1e6))


# --------------------------------------------------------------- badgen --

def cmd_badgen(a):
    """Each bad message: key, file (None: sent with kcat -K from stdin,
    empty), null (empty sent as NULL), the expected wiretag-error."""
    d = os.path.join(a.dir, "bad")
    os.makedirs(d, exist_ok=True)
    big_text = " ".join(["troops shelled the border town while envoys met for talks"] * 90000)
    bad = [
        ("bad-notjson", b"this is not JSON", "json"),
        ("bad-truncated", b'{"id":"bad-truncated","text":"cut off he', "json"),
        ("bad-array", b'[{"id":"bad-array","text":"an array of articles"}]', "not_object"),
        ("bad-string", b'"just a JSON string"', "not_object"),
        ("bad-number", b"42", "not_object"),
        ("bad-nofield", b'{"id":"bad-nofield","body":"neither title nor text"}', "field_missing"),
        ("bad-nullfields", b'{"id":"bad-nullfields","title":null,"text":null}', "field_missing"),
        ("bad-textnum", b'{"id":"bad-textnum","title":"a title","text":12345}', "field_type"),
        ("bad-utf8", b'{"id":"bad-utf8","text":"caf\xc3 \xff\xfe invalid bytes"}', "utf8"),
        ("bad-surrogate", b'{"id":"bad-surrogate","text":"cesu \xed\xa0\x80 bytes"}', "utf8"),
        ("bad-multiline", b'this is\nnot JSON\neither\n', "json"),
        ("bad-whitespace", b" \n\t \r\n", "json"),
        ("bad-rawnul", b'{"id":"bad-rawnul","text":"a raw \x00 NUL byte"}', "json"),
        ("bad-nul-after", b'{"id":"bad-nul-after","text":"then a NUL"}\x00', "json"),
        ("bad-deep", b'{"id":"bad-deep","text":"nested too deep","x":'
         + b"[" * 5000 + b"]" * 5000 + b"}", "json"),
        ("bad-toolarge", json.dumps({"id": "bad-toolarge", "title": "Big",
                                     "text": big_text}).encode(), "too_large"),
    ]
    man = []
    for key, payload, err in bad:
        path = os.path.join(d, key + ".bin")
        with open(path, "wb") as f:
            f.write(payload)
        man.append({"key": key, "file": path, "null": False, "error": err,
                    "size": len(payload)})
    man.append({"key": "bad-empty", "file": None, "null": False, "error": "json",
                "message": "empty message", "size": 0})
    man.append({"key": "bad-null", "file": None, "null": True, "error": "json",
                "message": "empty message", "size": 0})
    with open(os.path.join(a.dir, "bad.json"), "w") as f:
        json.dump(man, f, indent=1)
    print("%d bad messages, the largest %d bytes" % (len(man), max(m["size"] for m in man)))


# ---------------------------------------------------------------- oddgen --

def cmd_oddgen(a):
    """Unusual but valid articles, which must be labeled like any other:
    DIR/odd.tsv (key TAB payload, as the producer sends them) and the same
    records appended to DIR/input.jsonl."""
    deep = "[" * 500 + "]" * 500
    odd = [
        ("odd-dupkey", '{"id":"odd-dupkey","text":"first text","text":"Troops shelled the border town."}'),
        ("odd-emptytext", '{"id":"odd-emptytext","title":"","text":""}'),
        ("odd-escnul", '{"id":"odd-escnul","text":"an escaped \\u0000 NUL between words"}'),
        ("odd-nested", '{"id":"odd-nested","text":"Envoys met for talks.","deep":%s}' % deep),
        ("odd-spaced", '{ "id" : "odd-spaced" ,\t"text" : "Spacing kept as sent."   }'),
        ("odd-nonstring", '{"id":"odd-nonstring","text":"x","n":-0.0,"b":true,"z":null,"o":{}}'),
    ]
    with open(os.path.join(a.dir, "odd.tsv"), "w", encoding="utf-8") as f:
        for key, payload in odd:
            json.loads(payload)
            f.write("%s\t%s\n" % (key, payload))
    with open(os.path.join(a.dir, "input.jsonl"), "a", encoding="utf-8") as f:
        for key, payload in odd:
            f.write(payload + "\n")
    print("%d unusual but valid articles" % len(odd))


# ---------------------------------------------------------------- reload --

def cmd_reload(a):
    """Every input labeled exactly once, and every record labeled exactly
    as `wiretag classify` labels its input with the model the record
    names (--ref MODEL_ID=FILE, one per model)."""
    inputs = load_inputs(a.inputs)
    refs = {}
    for spec_ in a.ref:
        mid, path = spec_.split("=", 1)
        refs[mid] = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                refs[mid][d["id"]] = d["wiretag"]
    out = load_dump(a.out)
    ids = collections.Counter(r["key"].decode("utf-8", "replace") for r in out if r["key"] is not None)
    missing = [i for i in inputs if ids[i] == 0]
    dups = ["%s x%d" % (i, c) for i, c in ids.items() if c > 1]
    check(not missing, "output: no input missing (%d of %d)" % (len(missing), len(inputs)), missing)
    check(not dups, "output: no input twice (%d duplicated)" % len(dups), dups)
    used = collections.Counter()
    wrong, unknown = [], []
    for r in out:
        k = r["key"].decode("utf-8", "replace") if r["key"] is not None else None
        try:
            wt = json.loads(r["payload"].decode("utf-8"))["wiretag"]
        except (ValueError, KeyError, AttributeError) as ex:
            wrong.append("%s: no wiretag object (%s)" % (k, ex))
            continue
        mid = wt.get("model_id")
        hdr = dict((n, v) for n, v in r["headers"])
        if mid not in refs or k not in refs[mid]:
            unknown.append("%s: model %s" % (k, mid))
            continue
        if hdr.get("wiretag-model") != mid.encode():
            wrong.append("%s: header wiretag-model %r, body %s" % (k, hdr.get("wiretag-model"), mid))
        used[mid] += 1
        got = {t["label"]: t["score"] for t in wt.get("labels", [])}
        want = {t["label"]: t["score"] for t in refs[mid][k]["labels"]}
        if set(got) != set(want) or any(abs(got[l] - want[l]) > 1e-5 for l in got):
            wrong.append("%s: model %s gave %s, wiretag classify with it %s" % (k, mid, got, want))
    check(not unknown, "every record names one of the models (%d do not)" % len(unknown), unknown)
    check(not wrong, "every record's labels are its named model's (%d differ)" % len(wrong), wrong)
    check(len(used) == len(refs), "records from every model: %s" % dict(used))
    print("# reload: %s" % json.dumps({"inputs": len(inputs), "records": len(out),
                                       "missing": len(missing), "duplicated": len(dups),
                                       "by_model": dict(used)}))


# ---------------------------------------------------------------- common --

def load_inputs(path):
    inputs = collections.OrderedDict()
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            inputs[d["id"]] = d
    return inputs


def input_positions(in_recs):
    """id (the key) -> input record (partition, offset, headers)."""
    pos = {}
    dup = []
    for r in in_recs:
        k = r["key"].decode("utf-8", "replace") if r["key"] is not None else None
        if k in pos:
            dup.append(k)
        pos[k] = r
    return pos, dup


def check_topic_shape(name, recs, nparts, pos):
    """Partition = input partition % nparts; per input partition, output
    order = input order."""
    bad_part, bad_order = [], []
    last = {}  # (output partition, input partition) -> last input offset
    for r in sorted(recs, key=lambda r: (r["partition"], r["offset"])):
        k = r["key"].decode("utf-8", "replace") if r["key"] is not None else None
        src = pos.get(k)
        if src is None:
            continue
        want = src["partition"] % nparts
        if r["partition"] != want:
            bad_part.append("%s: input partition %d -> output partition %d, want %d"
                            % (k, src["partition"], r["partition"], want))
        lk = (r["partition"], src["partition"])
        if lk in last and src["offset"] <= last[lk]:
            bad_order.append("%s [%d] offset %d: input offset %d after %d"
                             % (name, r["partition"], r["offset"], src["offset"], last[lk]))
        last[lk] = src["offset"]
    check(not bad_part, "%s: each record in partition (input partition %% %d)"
          % (name, nparts), bad_part)
    check(not bad_order, "%s: per input partition, records in input order" % name, bad_order)
    return len(last)


# ---------------------------------------------------------------- basic --

def cmd_basic(a):
    inputs = load_inputs(a.inputs)
    n = len(inputs)
    in_recs = load_dump(a.input_dump)
    pos, dup = input_positions(in_recs)
    check(len(in_recs) == n and not dup and set(pos) == set(inputs),
          "input topic holds the %d articles once each (%d records)" % (n, len(in_recs)), dup)

    ref = {}
    with open(a.ref, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            ref[d["id"]] = d["wiretag"]
    check(set(ref) == set(inputs), "wiretag classify labeled every input (%d)" % len(ref))
    want_labels = {i: [t["label"] for t in ref[i]["labels"]] for i in ref}

    out_path, out_parts = spec(a.out)
    out = load_dump(out_path)
    by_id = collections.defaultdict(list)
    for r in out:
        by_id[r["key"].decode("utf-8", "replace") if r["key"] is not None else None].append(r)
    missing = [i for i in inputs if i not in by_id]
    dups = ["%s x%d" % (i, len(v)) for i, v in by_id.items() if len(v) > 1]
    extra = [i for i in by_id if i not in inputs]
    check(not missing, "output: no input missing (%d of %d)" % (len(missing), n), missing)
    check(not dups, "output: no input twice (%d duplicated)" % len(dups), dups)
    check(not extra, "output: nothing but the inputs", extra)
    check(len(out) == n, "output: %d records, want %d" % (len(out), n))

    bad_body, bad_labels, bad_scores, bad_model, bad_key, bad_hdr = [], [], [], [], [], []
    out_payload = {}
    for r in out:
        k = r["key"].decode("utf-8", "replace") if r["key"] is not None else None
        if k not in inputs:
            continue
        out_payload[k] = r["payload"]
        try:
            body = json.loads(r["payload"].decode("utf-8"))
        except (ValueError, AttributeError) as ex:
            bad_body.append("%s: payload is not JSON: %s" % (k, ex))
            continue
        wt = body.pop("wiretag", None)
        if body != inputs[k]:
            bad_body.append("%s: article changed: %.200s" % (k, json.dumps(body)))
        if not isinstance(wt, dict):
            bad_body.append("%s: no wiretag object" % k)
            continue
        if wt.get("model_id") != a.model_id or wt.get("model") != ref[k].get("model"):
            bad_model.append("%s: model %s/%s" % (k, wt.get("model"), wt.get("model_id")))
        got = {t["label"]: t["score"] for t in wt.get("labels", [])}
        want = {t["label"]: t["score"] for t in ref[k]["labels"]}
        if set(got) != set(want):
            bad_labels.append("%s: labels %s, wiretag classify says %s" % (k, sorted(got), sorted(want)))
        else:
            for lab in got:
                if abs(got[lab] - want[lab]) > 1e-5:
                    bad_scores.append("%s: %s score %r, wiretag classify %r" % (k, lab, got[lab], want[lab]))
        if r["key"] != k.encode():
            bad_key.append("%s: key %r" % (k, r["key"]))
        in_h = pos[k]["headers"] if k in pos else []
        labels_in_order = ",".join(t["label"] for t in wt.get("labels", []))
        want_h = in_h + [("wiretag-model", a.model_id.encode()),
                         ("wiretag-labels", labels_in_order.encode())]
        if r["headers"] != want_h:
            bad_hdr.append("%s: headers %r, want %r" % (k, r["headers"], want_h))
    check(not bad_body, "output: payload = the input article plus a wiretag object", bad_body)
    check(not bad_model, "output: wiretag.model_id = %s" % a.model_id, bad_model)
    check(not bad_labels, "output: label sets = wiretag classify's", bad_labels)
    check(not bad_scores, "output: scores = wiretag classify's (1e-5)", bad_scores)
    check(not bad_key, "output: key = input key", bad_key)
    check(not bad_hdr, "output: headers = input headers + wiretag-model + wiretag-labels "
          "(labels in score order)", bad_hdr)
    check_topic_shape("output", out, out_parts, pos)

    # Routes and the unlabeled topic: exactly the articles that should be there.
    targets = []
    for rs in a.route:
        label, _, rest = rs.partition("=")
        targets.append(("route %s" % label, rest,
                        {i for i in inputs if label in want_labels[i]}))
    if a.unlabeled:
        targets.append(("unlabeled", a.unlabeled,
                        {i for i in inputs if not want_labels[i]}))
    for name, sp, want_ids in targets:
        path, parts = spec(sp)
        recs = load_dump(path)
        ids = collections.Counter(r["key"].decode("utf-8", "replace") for r in recs if r["key"] is not None)
        nokey = sum(1 for r in recs if r["key"] is None)
        got_ids = set(ids)
        check(got_ids == want_ids and nokey == 0,
              "%s: exactly the %d articles that should be there (got %d)"
              % (name, len(want_ids), len(recs)),
              ["missing %s" % i for i in sorted(want_ids - got_ids)] +
              ["extra %s (labels %s)" % (i, want_labels.get(i)) for i in sorted(got_ids - want_ids)])
        dd = ["%s x%d" % (i, c) for i, c in ids.items() if c > 1]
        check(not dd, "%s: no article twice" % name, dd)
        same = [r["key"] for r in recs if r["key"] is not None and
                out_payload.get(r["key"].decode("utf-8", "replace")) != r["payload"]]
        check(not same, "%s: payloads identical to output.topic's" % name, same)
        hb = []
        for r in recs:
            k = r["key"].decode("utf-8", "replace") if r["key"] is not None else None
            if k in pos:
                w = pos[k]["headers"] + [("wiretag-model", a.model_id.encode()),
                                         ("wiretag-labels", ",".join(want_labels[k]).encode())]
                if sorted(r["headers"]) != sorted(w) or r["headers"][:len(pos[k]["headers"])] != pos[k]["headers"]:
                    hb.append("%s: %r" % (k, r["headers"]))
        check(not hb, "%s: key and headers kept, wiretag headers added" % name, hb)
        if recs:
            check_topic_shape(name, recs, parts, pos)

    if a.dlq:
        dl = load_dump(a.dlq)
        check(not dl, "dlq: empty (every input is a good article)",
              [r["key"] for r in dl])

    # Throughput, for the record.
    if out:
        ts = sorted(r["ts"] for r in out)
        secs = max((ts[-1] - ts[0]) / 1000.0, 0.001)
        mb = sum(len(v) for v in (json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode()
                                  for d in inputs.values())) / 1e6
        print("# throughput: %d articles (%.1f MB) in %.2f s from first to last output "
              "timestamp: %.0f articles/s, %.2f MB/s" % (len(out), mb, secs, len(out) / secs, mb / secs))
        labeled = sum(1 for i in inputs if want_labels[i])
        print("# %d of %d articles carry a label; route counts: %s"
              % (labeled, n, ", ".join("%s %d" % (t[0], len(t[2])) for t in targets)))
    done()


# ------------------------------------------------------------------ bad --

def cmd_bad(a):
    inputs = load_inputs(a.inputs)
    with open(a.manifest) as f:
        bad = json.load(f)
    in_recs = load_dump(a.input_dump)
    pos, dup = input_positions(in_recs)
    check(len(in_recs) == len(inputs) + len(bad) and not dup,
          "input topic: %d good + %d bad messages, keys unique (%d records)"
          % (len(inputs), len(bad), len(in_recs)), dup)

    # Good articles: every one in the output, once; no bad one there.
    out = load_dump(a.out)
    ids = collections.Counter(r["key"].decode("utf-8", "replace") for r in out if r["key"] is not None)
    missing = [i for i in inputs if ids[i] == 0]
    dups = ["%s x%d" % (i, c) for i, c in ids.items() if c > 1]
    extra = [i for i in ids if i not in inputs]
    check(not missing, "output: every good article (%d missing of %d)" % (len(missing), len(inputs)), missing)
    check(not dups, "output: no good article twice", dups)
    check(not extra, "output: no bad message", extra)

    # Bad ones: each in the DLQ once, with its original bytes, key, the
    # input headers and the right wiretag headers.
    dl = load_dump(a.dlq)
    dl_by = collections.defaultdict(list)
    for r in dl:
        dl_by[r["key"].decode("utf-8", "replace") if r["key"] is not None else None].append(r)
    good_in_dlq = [k for k in dl_by if k in inputs]
    check(not good_in_dlq, "dlq: no good article", good_in_dlq)
    check(len(dl) == len(bad), "dlq: %d records, want %d" % (len(dl), len(bad)),
          sorted(str(k) for k in dl_by if k not in {m["key"] for m in bad}))
    for m in bad:
        k = m["key"]
        recs = dl_by.get(k, [])
        if not check(len(recs) == 1, "%s: in the dlq exactly once (%d)" % (k, len(recs))):
            continue
        r = recs[0]
        src = pos.get(k)
        if src is None:
            check(False, "%s: found in the input topic" % k)
            continue
        if m["file"]:
            with open(m["file"], "rb") as f:
                want_payload = f.read()
        else:
            want_payload = None if m["null"] else b""
        check(r["payload"] == want_payload,
              "%s: original bytes kept (%s, %d bytes)"
              % (k, "NULL" if want_payload is None else "value", len(want_payload or b"")),
              ["got %s" % ("NULL" if r["payload"] is None else "%d bytes: %r" % (len(r["payload"]), r["payload"][:80]))])
        check(src["payload"] == want_payload, "%s: (input topic holds the same bytes)" % k)
        h = collections.OrderedDict()
        for name, val in r["headers"]:
            h.setdefault(name, val)
        names = [x[0] for x in r["headers"]]
        check(r["headers"][:len(src["headers"])] == src["headers"],
              "%s: input headers kept" % k, [r["headers"]])
        check(h.get("wiretag-error") == m["error"].encode(),
              "%s: wiretag-error = %s" % (k, m["error"]), [h.get("wiretag-error")])
        msg = h.get("wiretag-error-message") or b""
        if "message" in m:
            check(msg == m["message"].encode(), "%s: wiretag-error-message = %r" % (k, m["message"]), [msg])
        else:
            check(len(msg) > 0, "%s: wiretag-error-message present (%r)" % (k, msg[:100]))
        check(h.get("wiretag-source-topic") == a.input_topic.encode()
              and h.get("wiretag-source-partition") == str(src["partition"]).encode()
              and h.get("wiretag-source-offset") == str(src["offset"]).encode(),
              "%s: wiretag-source-topic/partition/offset = %s/%d/%d"
              % (k, a.input_topic, src["partition"], src["offset"]),
              ["got %s/%s/%s" % (h.get("wiretag-source-topic"), h.get("wiretag-source-partition"),
                                 h.get("wiretag-source-offset"))])
        check(all(names.count(x) == 1 for x in ("wiretag-error", "wiretag-error-message",
                                                  "wiretag-source-topic", "wiretag-source-partition",
                                                  "wiretag-source-offset")),
              "%s: each wiretag header once" % k, [names])
        check(r["partition"] == src["partition"] % a.dlq_partitions,
              "%s: dlq partition = input partition %% %d" % (k, a.dlq_partitions))
    done()


# ---------------------------------------------------------------- cover --

def cmd_cover(a):
    with open(a.ids, encoding="utf-8") as f:
        want = [l.rstrip("\n") for l in f if l.strip()]
    recs = load_dump(a.out)
    ids = collections.Counter(r["key"].decode("utf-8", "replace") for r in recs if r["key"] is not None)
    wantset = set(want)
    missing = [i for i in want if ids[i] == 0]
    extra = [i for i in ids if i not in wantset]
    dup_ids = {i: c for i, c in ids.items() if c > 1}
    dup_records = sum(c - 1 for c in dup_ids.values())
    summary = {"inputs": len(want), "records": len(recs), "missing": len(missing),
               "duplicated_ids": len(dup_ids), "duplicate_records": dup_records,
               "extra": len(extra)}
    with open(a.summary, "w") as f:
        json.dump(summary, f)
    if a.quiet:
        sys.exit(0 if not missing else 1)
    print("# coverage: %s" % json.dumps(summary))
    check(not missing, "output: every input id at least once (%d missing of %d)"
          % (len(missing), len(want)), missing)
    check(not extra, "output: nothing but the inputs", extra)
    if dup_ids:
        ex = sorted(dup_ids.items())[:5]
        print("# duplicates (at-least-once): %d ids, %d extra records, e.g. %s"
              % (len(dup_ids), dup_records, ex))
    if a.max_duplicates is not None:
        check(dup_records <= a.max_duplicates, "duplicates: %d extra records (at most %d expected)"
              % (dup_records, a.max_duplicates),
              ["%s x%d" % kv for kv in sorted(dup_ids.items())])
    # Per input partition, the first occurrences keep input order.
    if a.input_dump:
        pos, _ = input_positions(load_dump(a.input_dump))
        firsts, seen = [], set()
        for r in sorted(recs, key=lambda r: (r["partition"], r["offset"])):
            if r["key"] is None or r["key"] in seen:
                continue
            seen.add(r["key"])
            firsts.append(r)
        check_topic_shape("output (first copies)", firsts, a.out_partitions, pos)
    done()


# ---------------------------------------------------------- cover-input --

def cmd_cover_input(a):
    """Like cover, but what is expected is what the input topic really
    holds (its dump): each input record's id at least as often in the
    output as in the input (a producer retried by the test may have put an
    id in twice); duplicates are the output copies beyond that. With
    --ids, also checks that every generated id reached the input topic
    (the harness lost nothing)."""
    def keys(recs):
        return collections.Counter(r["key"].decode("utf-8", "replace")
                                   for r in recs if r["key"] is not None)
    in_recs = load_dump(a.input_dump)
    want = keys(in_recs)
    recs = load_dump(a.out)
    got = keys(recs)
    missing = {i: c - got[i] for i, c in want.items() if got[i] < c}
    extra = [i for i in got if i not in want]
    dup_ids = {i: got[i] - c for i, c in want.items() if got[i] > c}
    summary = {"input_records": len(in_recs), "input_ids": len(want),
               "input_duplicate_records": sum(c - 1 for c in want.values()),
               "records": len(recs), "missing": sum(missing.values()),
               "duplicated_ids": len(dup_ids),
               "duplicate_records": sum(dup_ids.values()), "extra": len(extra)}
    unproduced = []
    if a.ids:
        with open(a.ids, encoding="utf-8") as f:
            unproduced = [l.rstrip("\n") for l in f if l.strip() and want[l.rstrip("\n")] == 0]
        summary["generated_not_produced"] = len(unproduced)
    with open(a.summary, "w") as f:
        json.dump(summary, f)
    if a.quiet:
        sys.exit(0 if not missing else 1)
    print("# coverage (against the input topic): %s" % json.dumps(summary))
    if a.ids:
        check(not unproduced, "input topic: every generated article produced (%d not)"
              % len(unproduced), unproduced)
    check(not missing, "output: every input record's id (%d records of %d missing)"
          % (summary["missing"], len(in_recs)), sorted(missing.items()))
    check(not extra, "output: nothing but the inputs", extra)
    if dup_ids:
        print("# duplicates: %d ids, %d extra records, e.g. %s"
              % (len(dup_ids), summary["duplicate_records"], sorted(dup_ids.items())[:5]))
    if a.max_duplicates is not None:
        check(summary["duplicate_records"] <= a.max_duplicates,
              "duplicates: %d extra records (at most %d expected)"
              % (summary["duplicate_records"], a.max_duplicates),
              ["%s x%d" % kv for kv in sorted(dup_ids.items())])
    done()


# ---------------------------------------------------------------- exact --

def cmd_exact(a):
    """exactly_once: each per-label topic (read_committed) holds exactly the
    output records that carry its label, each once."""
    out = load_dump(a.out)
    labels = {}
    for r in out:
        hs = dict(r["headers"])
        labels[r["key"]] = [l for l in (hs.get("wiretag-labels") or b"").decode().split(",") if l]
    for spec_ in a.topic:
        name, _, rest = spec_.partition("=")
        path, _, label = rest.partition(":")
        recs = load_dump(path)
        keys = collections.Counter(r["key"] for r in recs)
        want = {k for k, ls in labels.items() if (label in ls if label else not ls)}
        dups = {k: c for k, c in keys.items() if c > 1}
        check(not dups, "%s: no article twice (%d records)" % (name, len(recs)),
              ["%r x%d" % kv for kv in sorted(dups.items())])
        check(set(keys) == want, "%s: exactly the %d articles labeled %r in the output (got %d)"
              % (name, len(want), label, len(keys)),
              sorted(set(keys) ^ want))
    done()


# -------------------------------------------------------------- refused --

def cmd_refused(a):
    """output.error.policy=dlq: the inputs labeled LABEL (whose copy to the
    refusing topic failed) are in the dead-letter topic once each, with
    wiretag-error output_refused naming the topic, their original bytes
    and source coordinates; nothing else is dead-lettered."""
    out = load_dump(a.out)
    inputs = {r["key"]: r for r in load_dump(a.input_dump)}
    want = set()
    for r in out:
        ls = (dict(r["headers"]).get("wiretag-labels") or b"").decode().split(",")
        if a.label in ls:
            want.add(r["key"])
    dlq = load_dump(a.dlq)
    keys = collections.Counter(r["key"] for r in dlq)
    check(want, "some inputs carry %s (%d)" % (a.label, len(want)))
    check(set(keys) == want, "dlq: exactly the %d inputs labeled %s (got %d)"
          % (len(want), a.label, len(keys)), sorted(set(keys) ^ want))
    dups = {k: c for k, c in keys.items() if c > 1}
    check(not dups, "dlq: no input twice", ["%r x%d" % kv for kv in sorted(dups.items())])
    bad = []
    for r in dlq:
        hs = dict(r["headers"])
        src = inputs.get(r["key"])
        msg = (hs.get("wiretag-error-message") or b"").decode()
        if (hs.get("wiretag-error") != b"output_refused" or a.topic not in msg
                or a.reason not in msg or src is None or r["payload"] != src["payload"]
                or hs.get("wiretag-source-offset") != str(src["offset"]).encode()
                or hs.get("wiretag-source-partition") != str(src["partition"]).encode()):
            bad.append((r["key"], hs.get("wiretag-error"), msg))
    check(not bad, "dlq: output_refused, naming %s and %r, original bytes and source "
          "partition/offset" % (a.topic, a.reason), bad)
    print("# refused: %d inputs labeled %s dead-lettered" % (len(keys), a.label))
    done()


def cmd_first_refused(a):
    """Per input partition, the offset of the first input labeled LABEL:
    'PARTITION OFFSET' lines."""
    out = load_dump(a.out)
    inputs = {r["key"]: r for r in load_dump(a.input_dump)}
    first = {}
    for r in out:
        ls = (dict(r["headers"]).get("wiretag-labels") or b"").decode().split(",")
        if a.label in ls and r["key"] in inputs:
            src = inputs[r["key"]]
            p = src["partition"]
            first[p] = min(first.get(p, src["offset"]), src["offset"])
    for p in sorted(first):
        print(p, first[p])


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("n", type=int)
    g.add_argument("dir")
    g.add_argument("shared")
    g.add_argument("fixtures")
    g = sub.add_parser("badgen")
    g.add_argument("dir")
    g = sub.add_parser("oddgen")
    g.add_argument("dir")
    g = sub.add_parser("refused")
    for opt in ("--out", "--dlq", "--input-dump", "--label", "--topic", "--reason"):
        g.add_argument(opt, required=True)
    g = sub.add_parser("first-refused")
    for opt in ("--out", "--input-dump", "--label"):
        g.add_argument(opt, required=True)
    g = sub.add_parser("exact")
    g.add_argument("--out", required=True)
    g.add_argument("--topic", action="append", required=True,
                   help="NAME=DUMP:LABEL (empty LABEL: the unlabeled topic)")
    g = sub.add_parser("reload")
    g.add_argument("--inputs", required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--ref", action="append", required=True, help="MODEL_ID=FILE")
    g = sub.add_parser("basic")
    g.add_argument("--inputs", required=True)
    g.add_argument("--input-dump", required=True)
    g.add_argument("--ref", required=True)
    g.add_argument("--model-id", required=True)
    g.add_argument("--out", required=True, help="PATH:PARTITIONS")
    g.add_argument("--route", action="append", default=[], help="LABEL=PATH:PARTITIONS")
    g.add_argument("--unlabeled", help="PATH:PARTITIONS")
    g.add_argument("--dlq")
    g = sub.add_parser("bad")
    g.add_argument("--inputs", required=True)
    g.add_argument("--manifest", required=True)
    g.add_argument("--input-dump", required=True)
    g.add_argument("--input-topic", required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--dlq", required=True)
    g.add_argument("--dlq-partitions", type=int, required=True)
    g = sub.add_parser("cover")
    g.add_argument("--ids", required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--summary", required=True)
    g.add_argument("--max-duplicates", type=int)
    g.add_argument("--input-dump")
    g.add_argument("--out-partitions", type=int, default=1)
    g.add_argument("--quiet", action="store_true")
    g = sub.add_parser("cover-input")
    g.add_argument("--input-dump", required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--summary", required=True)
    g.add_argument("--ids")
    g.add_argument("--max-duplicates", type=int)
    g.add_argument("--quiet", action="store_true")
    a = p.parse_args()
    {"gen": cmd_gen, "badgen": cmd_badgen, "oddgen": cmd_oddgen, "reload": cmd_reload, "basic": cmd_basic, "bad": cmd_bad,
     "cover": cmd_cover, "cover-input": cmd_cover_input, "exact": cmd_exact,
     "refused": cmd_refused, "first-refused": cmd_first_refused}[a.cmd](a)


if __name__ == "__main__":
    main()
