#!/usr/bin/env python3
"""Choose conflict-v2 by measurement: every variant is trained with
`wiretag train` and scored on data it did not see, two ways.

Blocked K-fold CV (default 5): each labeled source (and the BBC
non-politics articles, all negatives for the three labels) is cut in file
order into K contiguous blocks; fold k trains on the other blocks plus
every auxiliary source and predicts block k. News sets keep related items
together, so blocks keep near-duplicates on one side of the split.
`wiretag train` itself tunes C and the per-label thresholds by its own
inner CV on the training blocks only, so the scores below are honest.

Leave one source out (LOSO): for each of huffpost_events and briefs_2025,
train on everything else and predict that source whole. This stands in
for news from a source no training file comes from.

Figures per variant (the columns of the model card's table):
  ag    macro-F1 on AG News items (short, 2004-05)
  muc   micro-F1 on MUC-4 whole articles
  hp    macro-F1 on HuffPost items (2018-22)
  br    macro-F1 on 2025 briefs
  bbc   false tags per 100 BBC business/entertainment/sport/tech articles
  whole micro-F1 on MUC-4 + those BBC articles pooled (whole articles)
  lo-hp, lo-br  macro-F1 of the LOSO runs
Every figure comes from out-of-fold predictions at the thresholds the
trained model ships.

Usage (from the repository root, ../shared/data beside it):
  python3 models/conflict-v2-select.py [--variants a,b] [--folds 5]
      [--wiretag build/wiretag] [--out results.json]
Deterministic: the same data and wiretag give the same table.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "shared", "data")
LABELS = ["military_action", "diplomacy", "militancy"]
EVENT_SOURCES = {
    "agnews_events": "conflict/agnews_events/train.jsonl",
    "muc4_events": "conflict/muc4_events/train.jsonl",
    "huffpost_events": "conflict/huffpost_events/train.jsonl",
    "briefs_2025": "conflict/briefs_2025/train.jsonl",
}
PYTHON = "python3"
SHORT = ["agnews_events", "huffpost_events", "briefs_2025"]
BBC_NEG_CLASSES = ["business", "entertainment", "sport", "tech"]

ALL4 = ("agnews_events", "muc4_events", "huffpost_events", "briefs_2025")
BASE_FEATURES = {"fields": ["title", "text"], "ngrams": 2, "bits": 20,
                 "min_df": 2, "tf": "log", "idf": True}
BASE_TRAIN = {"solver": "lr", "cv": 5, "C_grid": [1, 4, 16, 64, 256],
              "seed": 1}


def peer(name, kind):
    """A peer trained on the four labeled sets, as the data README's
    held-back figures were made (no BBC negatives)."""
    return {"name": name, "peer": kind, "events": list(ALL4), "bbc": False,
            "bbc_classes": [], "cameo": False, "satp": False}


def variant(name, events=("agnews_events", "muc4_events"), bbc=False,
            bbc_classes=BBC_NEG_CLASSES, cameo=False, satp=False,
            pooling="doc", features=None, train=None, short_pooling=None):
    f = dict(BASE_FEATURES)
    f.update(features or {})
    t = dict(BASE_TRAIN)
    t.update(train or {})
    return {"name": name, "events": list(events), "bbc": bbc,
            "bbc_classes": list(bbc_classes), "cameo": cameo, "satp": satp,
            "pooling": pooling, "short_pooling": short_pooling,
            "features": f, "train": t}


BIG_C = {"C_grid": [1, 4, 16, 64, 256, 1024]}
VARIANTS = [
    # Which sources to combine.
    variant("ag+muc"),
    variant("all4", events=ALL4),
    variant("all4+bbc", events=ALL4, bbc=True),
    variant("all4+bbc3", events=ALL4, bbc=True,
            bbc_classes=["entertainment", "sport", "tech"]),
    variant("all4+bbc+cameo", events=ALL4, bbc=True, cameo=True),
    variant("all4+bbc+satp", events=ALL4, bbc=True, satp=True),
    # On the best source mix with C up to 1024: n-grams, buckets,
    # min_df, the solver, pooling (every article by its best sentence),
    # the headline counted twice (a field may be listed twice), binary tf
    # (the variant shipped as conflict-v2), and the neutral threshold 0.5
    # instead of the tuned ones.
] + [variant("all4+bbc " + name if name else "all4+bbc C..1024",
             events=ALL4, bbc=True, **dict({"train": BIG_C}, **kw))
     for name, kw in [
         ("", {}),
         ("1-gram", {"features": {"ngrams": 1}}),
         ("3-gram", {"features": {"ngrams": 3}}),
         ("18 bits", {"features": {"bits": 18}}),
         ("22 bits", {"features": {"bits": 22}}),
         ("min_df 1", {"features": {"min_df": 1}}),
         ("min_df 3", {"features": {"min_df": 3}}),
         ("svm", {"train": {"solver": "svm",
                            "C_grid": [0.0625, 0.25, 1, 4, 16]}}),
         ("sentence_max", {"pooling": "sentence_max"}),
         ("title x2", {"features": {"fields": ["title", "title", "text"]}}),
         ("tf binary", {"features": {"tf": "binary"}}),
         ("thr 0.5", {}),
     ]] + [
    # The peers of the data README, under the same folds.
    peer("scikit-learn (README recipe)", "sklearn"),
    peer("fastText bigrams ova 25 epochs", "fasttext"),
]

# scikit-learn, the data README's recipe: hashed unigrams, raw counts,
# sublinear tf-idf with L2, LinearSVC C=1, one classifier per label; a
# label is predicted when its decision value is positive.
SKLEARN = r"""
import json, sys
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.svm import LinearSVC
labels = json.loads(sys.argv[3])
def rd(p):
    return [json.loads(l) for l in open(p, encoding="utf-8")]
def text(d):
    return " ".join(x for x in (d.get("title"), d.get("text")) if x)
tr = [d for p in sys.argv[1].split(",") for d in rd(p)]
te = rd(sys.argv[2])
hv = HashingVectorizer(n_features=2**20, alternate_sign=False, norm=None)
tf = TfidfTransformer(sublinear_tf=True)
Xtr = tf.fit_transform(hv.transform([text(d) for d in tr]))
Xte = tf.transform(hv.transform([text(d) for d in te]))
out = [dict() for _ in te]
for lab in labels:
    y = [lab in d["labels"] for d in tr]
    dv = LinearSVC(C=1.0).fit(Xtr, y).decision_function(Xte)
    for o, v in zip(out, dv):
        o[lab] = [float(v), 0.0]
for o in out:
    print(json.dumps(o))
"""


def peer_predict(v, files, dev_docs, tmp, python):
    dev = os.path.join(tmp, "dev.jsonl")
    write_jsonl(dev, dev_docs)
    t0 = time.time()
    if v["peer"] == "sklearn":
        out = subprocess.run([python, "-c", SKLEARN, ",".join(files.values()),
                              dev, json.dumps(LABELS)], check=True,
                             capture_output=True, text=True).stdout
        preds = [{lab: tuple(x) for lab, x in json.loads(line).items()}
                 for line in out.splitlines()]
        return preds, time.time() - t0
    # fastText: one line per article, every label as __label__X (none for
    # an article with none), text on one line.
    def ft_line(d):
        labs = " ".join("__label__" + x for x in d["labels"]) or \
            "__label__none"
        txt = " ".join(x for x in (d.get("title"), d.get("text")) if x)
        return labs + " " + " ".join(txt.lower().split())
    train_txt = os.path.join(tmp, "train.txt")
    with open(train_txt, "w", encoding="utf-8") as fh:
        for p in files.values():
            for d in read_jsonl(p):
                fh.write(ft_line(d) + "\n")
    dev_txt = os.path.join(tmp, "dev.txt")
    with open(dev_txt, "w", encoding="utf-8") as fh:
        for d in dev_docs:
            fh.write(ft_line(dict(d, labels=[])) + "\n")
    m = os.path.join(tmp, "ft")
    subprocess.run(["fasttext", "supervised", "-input", train_txt, "-output",
                    m, "-wordNgrams", "2", "-loss", "ova", "-epoch", "25",
                    "-thread", "1", "-seed", "1", "-verbose", "0"],
                   check=True, capture_output=True)
    out = subprocess.run(["fasttext", "predict-prob", m + ".bin", dev_txt,
                          "-1", "0.0"], check=True, capture_output=True,
                         text=True).stdout
    preds = []
    for line in out.splitlines():
        f = line.split()
        probs = {f[i][len("__label__"):]: float(f[i + 1])
                 for i in range(0, len(f) - 1, 2)}
        preds.append({lab: (probs.get(lab, 0.0), 0.5) for lab in LABELS})
    return preds, time.time() - t0


def read_jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def blocks(n, k):
    return [(i * n // k, (i + 1) * n // k) for i in range(k)]


def write_jsonl(path, docs):
    with open(path, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")


def load_data():
    data = {s: read_jsonl(os.path.join(DATA, p))
            for s, p in EVENT_SOURCES.items()}
    bbc = []
    for d in read_jsonl(os.path.join(DATA, "bbc/train.jsonl")):
        d = dict(d)
        d["bbc_class"] = d["labels"][0]
        d["labels"] = []
        d["source"] = "bbc"
        bbc.append(d)
    data["bbc"] = bbc
    return data


def bbc_docs(data, classes):
    return [d for d in data["bbc"] if d["bbc_class"] in classes]


def make_spec(v, files, tmp):
    """A wiretag training spec for variant v over the given files
    ({source: path})."""
    sources = []
    for s in v["events"]:
        if s not in files:
            continue
        pool = v["pooling"]
        if v["short_pooling"] and s in SHORT:
            pool = v["short_pooling"]
        sources.append({"name": s, "files": [files[s]], "pooling": pool,
                        "labels": {lab: lab for lab in LABELS}})
    if v["bbc"] and "bbc" in files:
        sources.append({"name": "bbc_non_politics", "files": [files["bbc"]],
                        "pooling": v["pooling"], "unmapped": "drop",
                        "annotates": LABELS})
    if v["cameo"]:
        sources.append({
            "name": "cameo_pentacode",
            "files": [os.path.join(DATA, "conflict/cameo_pentacode/train.jsonl")],
            "pooling": v["pooling"],
            "labels": {"verbal_cooperation": "diplomacy",
                       "material_conflict": "military_action",
                       "make_statement": None, "verbal_conflict": None,
                       "material_cooperation": None},
            "annotates": ["diplomacy", "military_action"]})
    if v["satp"]:
        sources.append({
            "name": "satp",
            "files": [os.path.join(DATA, "conflict/satp/train.jsonl"),
                      os.path.join(DATA, "conflict/satp/dev.jsonl")],
            "pooling": v["pooling"],
            "labels": {"armed_assault": "militancy", "bombing": "militancy",
                       "kidnapping": "militancy", "other_attack": "militancy"},
            "annotates": ["militancy"]})
    spec = {"name": "select-" + v["name"].replace(" ", "_"),
            "features": v["features"], "train": v["train"],
            "sources": sources}
    path = os.path.join(tmp, "spec.json")
    with open(path, "w") as fh:
        json.dump(spec, fh, indent=1)
    return path


def train_and_predict(wt, v, train_files, dev_docs, tmp):
    spec = make_spec(v, train_files, tmp)
    model = os.path.join(tmp, "m.wtm")
    t0 = time.time()
    subprocess.run([wt, "train", "--spec", spec, "--out", model, "-q",
                    "--threads", "1"], check=True)
    secs = time.time() - t0
    dev = os.path.join(tmp, "dev.jsonl")
    write_jsonl(dev, dev_docs)
    out = subprocess.run([wt, "classify", "-m", model, "--all-scores", dev],
                         check=True, capture_output=True, text=True).stdout
    preds = []
    for line in out.splitlines():
        w = json.loads(line)["wiretag"]
        sc = {lab: (s["score"], s["threshold"])
              for lab, s in w["scores"].items()}
        preds.append(sc)
    info = json.loads(subprocess.run([wt, "model", "info", "--json", model],
                                     check=True, capture_output=True,
                                     text=True).stdout)
    return preds, secs, info


def tally(docs, preds, thr_override=None):
    """{source: {label: [tp, fp, fn]}} and false tags per BBC doc."""
    t = {}
    for d, p in zip(docs, preds):
        src = d["source"]
        g = set(d["labels"])
        row = t.setdefault(src, {lab: [0, 0, 0] for lab in LABELS})
        for lab in LABELS:
            score, thr = p[lab]
            if thr_override is not None:
                thr = thr_override
            yes = score >= thr
            if yes and lab in g:
                row[lab][0] += 1
            elif yes:
                row[lab][1] += 1
            elif lab in g:
                row[lab][2] += 1
    return t


def f1(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def summarize(t):
    out = {}
    for src, row in t.items():
        per = {lab: f1(*row[lab]) for lab in LABELS}
        tp = sum(row[lab][0] for lab in LABELS)
        fp = sum(row[lab][1] for lab in LABELS)
        fn = sum(row[lab][2] for lab in LABELS)
        out[src] = {"per_label": per, "macro": sum(per.values()) / 3,
                    "micro": f1(tp, fp, fn), "tp": tp, "fp": fp, "fn": fn}
    return out


def per_label(t):
    """F1 per label over the four labeled sources pooled."""
    out = {}
    for lab in LABELS:
        c = [sum(t[s][lab][i] for s in EVENT_SOURCES if s in t)
             for i in range(3)]
        out[lab] = f1(*c)
    return out


def merge(a, b):
    for src, row in b.items():
        r = a.setdefault(src, {lab: [0, 0, 0] for lab in LABELS})
        for lab in LABELS:
            for i in range(3):
                r[lab][i] += row[lab][i]
    return a


def run_variant(wt, data, v, k):
    thr05 = v["name"].endswith("thr 0.5")
    tall, dev_tall = {}, {}
    oof = []  # (doc, pred) pairs for threshold analyses
    secs = []
    bbc = bbc_docs(data, BBC_NEG_CLASSES)
    for fold in range(k):
        with tempfile.TemporaryDirectory() as tmp:
            files, dev = {}, []
            for s in v["events"] + (["bbc"] if v["bbc"] else []):
                docs = bbc if s == "bbc" else data[s]
                lo, hi = blocks(len(docs), k)[fold]
                docs = docs[:lo] + docs[hi:]
                if s == "bbc":
                    docs = [d for d in docs
                            if d["bbc_class"] in v["bbc_classes"]]
                p = os.path.join(tmp, s + ".jsonl")
                write_jsonl(p, docs)
                files[s] = p
            for s in list(EVENT_SOURCES) + ["bbc"]:
                docs = bbc if s == "bbc" else data[s]
                lo, hi = blocks(len(docs), k)[fold]
                if s in v["events"] or s == "bbc":
                    dev += docs[lo:hi]
            if v.get("peer"):
                preds, sec = peer_predict(v, files, dev, tmp, PYTHON)
            else:
                preds, sec, _ = train_and_predict(wt, v, files, dev, tmp)
            secs.append(sec)
            t = tally(dev, preds, 0.5 if thr05 else None)
            merge(tall, t)
            if fold == k - 1:  # the last block of every file: the dev split
                dev_tall = t
            oof += list(zip(dev, preds))
    res = summarize(tall)
    # Leave one source out: train on every other source, predict it whole.
    loso = {}
    for held in ("huffpost_events", "briefs_2025"):
        if held not in v["events"]:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            files = {}
            for s in v["events"] + (["bbc"] if v["bbc"] else []):
                if s == held:
                    continue
                p = os.path.join(tmp, s + ".jsonl")
                write_jsonl(p, bbc_docs(data, v["bbc_classes"])
                            if s == "bbc" else data[s])
                files[s] = p
            if v.get("peer"):
                preds, _ = peer_predict(v, files, data[held], tmp, PYTHON)
            else:
                preds, _, _ = train_and_predict(wt, v, files, data[held],
                                                tmp)
            loso[held] = summarize(tally(data[held], preds,
                                         0.5 if thr05 else None))[held]
    return res, loso, secs, oof, summarize(dev_tall), per_label(tall), \
        per_label(dev_tall)


def row_of(name, res, loso, secs):
    def g(src, key):
        return res[src][key] if src in res else None
    bbc = res.get("bbc")
    whole = None
    if "muc4_events" in res and bbc:
        m = res["muc4_events"]
        whole = f1(m["tp"], m["fp"] + bbc["fp"], m["fn"])
    return {"variant": name, "ag": g("agnews_events", "macro"),
            "muc": g("muc4_events", "micro"),
            "hp": g("huffpost_events", "macro"),
            "br": g("briefs_2025", "macro"),
            "bbc_fp": bbc["fp"] if bbc else None, "whole": whole,
            "lo_hp": loso.get("huffpost_events", {}).get("macro"),
            "lo_br": loso.get("briefs_2025", {}).get("macro"),
            "train_s": sum(secs) / len(secs),
            "per_source": res, "loso": loso}


def top_features(wt, model, data, n=12):
    """The n-grams that most raise each label on the articles of the
    labeled sources where the model tags it rightly: the sum of their
    contributions (wiretag classify --explain) over those articles."""
    docs = [d for s in EVENT_SOURCES for d in data[s]]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "all.jsonl")
        write_jsonl(path, docs)
        out = subprocess.run([wt, "classify", "-m", model, "--explain", "10",
                              path], check=True, capture_output=True,
                             text=True).stdout
    sums = {lab: {} for lab in LABELS}
    for d, line in zip(docs, out.splitlines()):
        for t in json.loads(line)["wiretag"]["labels"]:
            if t["label"] not in d["labels"]:
                continue
            acc = sums[t["label"]]
            for e in t.get("explain", []):
                acc[e["ngram"]] = acc.get(e["ngram"], 0.0) + e["weight"]
    for lab in LABELS:
        top = sorted(sums[lab].items(), key=lambda kv: -kv[1])[:n]
        print(f"| `{lab}` | " + ", ".join(g for g, _ in top) + " |")


def errors(v, data, k, n=6):
    """Out-of-fold false positives and false negatives per label and
    source, highest-scoring first: the material of the card's failure
    modes."""
    oof = run_variant("build/wiretag", data, v, k)[3]
    for lab in LABELS:
        for kind in ("FP", "FN"):
            rows = []
            for d, p in oof:
                score, thr = p[lab]
                yes, gold = score >= thr, lab in d["labels"]
                if (kind == "FP" and yes and not gold) or \
                        (kind == "FN" and gold and not yes):
                    rows.append((score, d))
            rows.sort(key=lambda r: -r[0] if kind == "FP" else r[0])
            print(f"== {lab} {kind}: {len(rows)}")
            for score, d in rows[:n]:
                print(f"  {score:.3f} {d['source']} {d['id']} {d['labels']}"
                      f" {(d.get('title') or '')[:80]} | "
                      f"{(d.get('text') or '')[:160]!r}")


def fmt(x, nd=3):
    return "-" if x is None else f"{x:.{nd}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wiretag", default="build/wiretag")
    ap.add_argument("--variants", help="comma-separated names (default all)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out", help="write every figure as JSON here")
    ap.add_argument("--python", default="bench/.venv/bin/python",
                    help="a Python with scikit-learn, for the peer "
                    "(bash bench/install-deps.sh makes bench/.venv)")
    ap.add_argument("--features", metavar="MODEL",
                    help="print the n-grams behind each label of MODEL")
    ap.add_argument("--errors", metavar="VARIANT",
                    help="print out-of-fold errors of VARIANT")
    a = ap.parse_args()
    global PYTHON
    PYTHON = a.python
    if not os.path.isdir(DATA):
        sys.exit(f"conflict-v2-select: no shared data at {DATA}")
    data = load_data()
    if a.features:
        return top_features(a.wiretag, a.features, data)
    if a.errors:
        return errors([v for v in VARIANTS if v["name"] == a.errors][0],
                      data, a.folds)
    nbbc = len(bbc_docs(data, BBC_NEG_CLASSES))
    want = a.variants.split(",") if a.variants else None
    rows = []
    print("| variant | ag macro | muc micro | hp macro | br macro | "
          "bbc false/100 | whole micro | lo-hp | lo-br | train s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for v in VARIANTS:
        if want and v["name"] not in want:
            continue
        res, loso, secs, _, dev, cv_lab, dev_lab = run_variant(
            a.wiretag, data, v, a.folds)
        r = row_of(v["name"], res, loso, secs)
        r.update({"dev": dev, "cv_per_label": cv_lab,
                  "dev_per_label": dev_lab})
        if r["bbc_fp"] is not None:
            r["bbc_per100"] = 100.0 * r["bbc_fp"] / nbbc
        rows.append(r)
        print(f"| {v['name']} | {fmt(r['ag'])} | {fmt(r['muc'])} | "
              f"{fmt(r['hp'])} | {fmt(r['br'])} | "
              f"{fmt(r.get('bbc_per100'), 1)} | {fmt(r['whole'])} | "
              f"{fmt(r['lo_hp'])} | {fmt(r['lo_br'])} | "
              f"{r['train_s']:.1f} |", flush=True)
    print("\nF1 per label, the four labeled sources pooled: blocked CV "
          "(all folds) / dev split (the last fifth of every file, trained on "
          "the rest)\n")
    print("| variant | " + " | ".join(LABELS) + " |")
    print("| --- |" + " ---: |" * len(LABELS))
    for r in rows:
        print(f"| {r['variant']} | " + " | ".join(
            f"{r['cv_per_label'][lab]:.3f} / {r['dev_per_label'][lab]:.3f}"
            for lab in LABELS) + " |")
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
