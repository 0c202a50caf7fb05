"""Collect the peer-comparison results into peers.csv, peers.md and
peers-threads.dat.

bench/peers.sh leaves, for each data set, a folder ``OUT/<dataset>/`` with
``meta.json`` (from split.py) and ``res/``:

- ``<tool>.time``: ``/usr/bin/time -f '%e %M'`` of a training run;
- ``<tool>.train.json``: training figures measured inside the tool's
  driver (scikit-learn, liblinear), preferred over the .time wall;
- ``<tool>.size``: bytes of the tool's model files;
- ``<tool>.score.json``: score.py's metrics on the test part;
- ``<tool>.p<N>.json``: prediction timing with N processes (timecmd.py or
  sk.py);
- ``wiretag-bench.csv``: wiretag-bench's rows for the same test part;
- ``wiretag.eval.json``: ``wiretag eval --json``, checked against score.py.

and ``OUT/versions.json`` with the tool versions and the machine.
"""

import argparse
import csv
import os

from common import median, read_json

COLUMNS = ["dataset", "tool", "version", "mode", "threads", "train_s",
           "train_rss_mb", "model_mb", "load_s", "predict_docs_per_s", "predict_mb_per_s", "spread_pct",
           "micro_f1", "macro_f1", "accuracy", "ratio_wiretag_over_tool"]

# Tool keys used in file names -> (display name, versions.json key).
TOOLS = {
    "wiretag": ("wiretag", "wiretag"),
    "fasttext": ("fastText", "fasttext"),
    "vw": ("Vowpal Wabbit", "vowpalwabbit"),
    "sklearn": ("scikit-learn", "scikit-learn"),
    "liblinear": ("liblinear", "liblinear-tools"),
}

# What each peer's prediction timing covers, for the notes.
PREDICT_MODE = {
    "fasttext": "fasttext predict (CLI, pre-tokenized text file)",
    "vw": "vw -t (native parser via Python, pre-tokenized text file)",
    "sklearn": "pipeline.predict on texts in memory",
    "liblinear": "liblinear-predict on the svmlight feature file",
}

TRAIN_MODE = {
    "fasttext": "train: -loss {loss} -wordNgrams 2 -epoch 25 -lr 0.5, 1 thread",
    "vw": "train: --{oaa} --loss_function logistic --ngram 2 -b 20, "
          "5 passes",
    "sklearn": "train: hashed 1-2-grams, tf-idf, LinearSVC C=1",
    "liblinear": "train: -s 0 -c 16 -B 1 on the scikit-learn features",
}


def opt_json(path):
    """A JSON result, or None when the step did not run."""
    return read_json(path) if os.path.exists(path) else None


def read_time(path):
    """(wall seconds, peak RSS MB) from a /usr/bin/time -f '%e %M' file."""
    if not os.path.exists(path):
        return None, None
    with open(path) as fp:
        lines = [ln.split() for ln in fp if ln.strip()]
    wall, rss = lines[-1][-2:]
    return float(wall), int(rss) / 1024.0


def bench_rows(path):
    """wiretag-bench CSV rows keyed by thread count."""
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as fp:
        return {int(r["threads"]): r for r in csv.DictReader(fp)}


def speed_of(p):
    """(docs/s, MB/s, spread %) of a prediction timing. The spread is
    (max - min) / median of the per-repetition prediction times, in
    percent ('' for a single repetition)."""
    runs = p.get("predict_runs_s") or []
    spread = ""
    if len(runs) > 1 and median(runs) > 0:
        spread = 100.0 * (max(runs) - min(runs)) / median(runs)
    return p["docs_per_s"], p["mb_per_s"], spread


def fmt(v, digits=3):
    """A number for the markdown tables ('' when missing)."""
    if v is None or v == "":
        return ""
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return "{:,.0f}".format(v)
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return ("%." + str(digits) + "f") % v


def dataset_rows(ddir, versions, nthreads):
    """The CSV rows of one data set, wiretag first."""
    meta = read_json(os.path.join(ddir, "meta.json"))
    res = lambda name: os.path.join(ddir, "res", name)
    ml = meta["multilabel"]
    name = meta["dataset"]
    rows = []

    def size_mb(key):
        path = res(key + ".size")
        if not os.path.exists(path):
            return ""
        with open(path) as fp:
            return int(fp.read().split()[0]) / 1e6

    def row(tool, mode, threads, train=None, score=None, speed=None,
            load=None, size=None):
        r = dict.fromkeys(COLUMNS, "")
        r.update(dataset=name, tool=TOOLS[tool][0],
                 version=versions.get(TOOLS[tool][1], ""), mode=mode,
                 threads=threads)
        if train:
            r["train_s"], r["train_rss_mb"] = train
            r["model_mb"] = size_mb(size or tool)
        if score:
            r["micro_f1"] = score["micro_f1"]
            r["macro_f1"] = score["macro_f1"]
            if not ml:
                r["accuracy"] = score["accuracy"]
        if speed:
            r["predict_docs_per_s"] = speed[0]
            r["predict_mb_per_s"] = speed[1]
            r["spread_pct"] = speed[2]
        if load is not None:
            r["load_s"] = load
        rows.append(r)
        return r

    # wiretag: training runs.
    wt_score = opt_json(res("wiretag.score.json"))
    c16_score = opt_json(res("wiretag-c16.score.json"))
    row("wiretag", "train: 5-fold CV over C 1..256 + thresholds (default)",
        str(nthreads), train=read_time(res("wiretag-cv.time")),
        score=wt_score)
    row("wiretag", "train: --C 16 --cv 0 (no search)", "1",
        train=read_time(res("wiretag-c16-t1.time")), score=c16_score,
        size="wiretag-c16")
    if nthreads > 1:
        row("wiretag", "train: --C 16 --cv 0 (no search)", str(nthreads),
            train=read_time(res("wiretag-c16-tN.time")), score=c16_score,
            size="wiretag-c16")

    # wiretag: prediction, hot loop and whole CLI.
    bench = bench_rows(res("wiretag-bench.csv"))
    cli1 = opt_json(res("wiretag.p1.json"))
    load = cli1["load_s"] if cli1 else None
    ref = {}  # threads -> wiretag-bench docs/s, the ratio's numerator
    for t in sorted(bench):
        b = bench[t]
        ref[t] = float(b["articles_per_s"])
        row("wiretag", "predict: wiretag-bench hot loop (CV model)",
            str(t) + (" threads" if t > 1 else ""), score=wt_score,
            speed=(ref[t], float(b["mb_per_s"]), float(b["spread_pct"])),
            load=load)
    for n in sorted({1, nthreads}):
        p = opt_json(res("wiretag.p%d.json" % n))
        if p:
            row("wiretag", "predict: wiretag classify CLI (JSON in and out)",
                str(n) + (" processes" if n > 1 else ""), score=wt_score,
                speed=speed_of(p), load=p["load_s"])

    # The peers.
    for tool in ("fasttext", "vw", "sklearn", "liblinear"):
        train = read_time(res(tool + ".time"))
        tj = opt_json(res(tool + ".train.json"))
        if tj and "train_s" in tj:
            train = (tj["train_s"], tj.get("train_rss_mb", train[1]))
        score = opt_json(res(tool + ".score.json"))
        mode = (TRAIN_MODE[tool].format(loss="ova" if ml else "softmax",
                                        oaa="multilabel_oaa" if ml else "oaa")
                + "; predict: " + PREDICT_MODE[tool])
        for n in sorted({1, nthreads}):
            p = opt_json(res("%s.p%d.json" % (tool, n)))
            if not p:
                continue
            r = row(tool, mode if n == 1 else "predict: " + PREDICT_MODE[tool],
                    str(n) + (" processes" if n > 1 else ""),
                    train=train if n == 1 else None, score=score,
                    speed=speed_of(p), load=p["load_s"])
            if n in ref and p["docs_per_s"]:
                r["ratio_wiretag_over_tool"] = ref[n] / p["docs_per_s"]
    for r in rows:
        if r["tool"] == "wiretag" and r["predict_docs_per_s"]:
            n = int(str(r["threads"]).split()[0])
            if n in ref:
                r["ratio_wiretag_over_tool"] = ref[n] / r["predict_docs_per_s"]
    return meta, rows


def markdown(metas, rows_by_set, versions, eval_checks):
    """The tables for bench/RESULTS.md."""
    out = ["## wiretag and its peers", ""]
    v = versions
    out.append("Same documents, same machine (%s, %s cores, %s; load "
               "average %s at the start of the run, %s at the end). Tools: "
               "wiretag %s; fastText %s (Debian); Vowpal Wabbit %s (PyPI); "
               "scikit-learn %s; liblinear-tools %s (Debian); Python %s."
               % (v.get("cpu", "?"), v.get("nproc", "?"), v.get("os", "?"),
                  v.get("loadavg_start", "?"), v.get("loadavg_end", "?"),
                  v.get("wiretag", "?"), v.get("fasttext", "?"),
                  v.get("vowpalwabbit", "?"), v.get("scikit-learn", "?"),
                  v.get("liblinear-tools", "?"), v.get("python", "?")))
    out.append("")
    for meta in metas:
        rows = rows_by_set[meta["dataset"]]
        ml = meta["multilabel"]
        out.append("### %s: %s" % (meta["dataset"], os.path.basename(
            os.path.dirname(meta["source"])) + "/" +
            os.path.basename(meta["source"])))
        out.append("")
        out.append(
            "Split: the first %d documents train, the last %d (%.0f%%, "
            "%.2f MB of title + text) test, in file order%s. %s labels in "
            "training, %d in the test part%s."
            % (meta["train_docs"], meta["test_docs"],
               100 * meta["test_frac"], meta["test_bytes"] / 1e6,
               " (later wires)" if ml else "", meta["labels_train"],
               meta["labels_test"],
               (" (%d of them never seen in training: %s)" %
                (len(meta["labels_test_only"]),
                 ", ".join(meta["labels_test_only"])))
               if meta["labels_test_only"] else ""))
        out.append("")
        out.append("Training and accuracy on the test part (one scorer for "
                   "every row):")
        out.append("")
        metric = ("micro-F1 | macro-F1" if ml else "accuracy | macro-F1")
        out.append("| tool | training | threads | train s | train peak RSS "
                   "MB | model MB | %s |" % metric)
        out.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for r in rows:
            if r["train_s"] == "":
                continue
            mode = r["mode"].split("; predict:")[0]
            mode = mode[len("train: "):] if mode.startswith("train: ") \
                else mode
            first = r["micro_f1"] if ml else r["accuracy"]
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["tool"], mode, r["threads"], fmt(r["train_s"], 2),
                fmt(r["train_rss_mb"], 0), fmt(r["model_mb"], 1), fmt(first),
                fmt(r["macro_f1"])))
        out.append("")
        out.append("Prediction on the test part (median of repetitions; "
                   "model load excluded and shown apart; ratio = "
                   "wiretag-bench docs/s at the same parallelism / the "
                   "row's):")
        out.append("")
        out.append("| tool | what is timed | parallel | load s | docs/s | "
                   "MB/s | spread | wiretag / tool |")
        out.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for r in rows:
            if r["predict_docs_per_s"] == "":
                continue
            # None: prediction time lost in the load-time noise.
            mode = r["mode"].split("predict: ")[-1]
            spread = r["spread_pct"]
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["tool"], mode, r["threads"], fmt(r["load_s"], 3),
                fmt(r["predict_docs_per_s"]) or "n/a",
                fmt(r["predict_mb_per_s"], 2) or "n/a",
                "%.0f%%" % spread if spread != "" else "",
                fmt(r["ratio_wiretag_over_tool"], 2)))
        out.append("")
        chk = eval_checks.get(meta["dataset"])
        if chk:
            out.append(chk)
            out.append("")
    out += [
        "How it was measured (bench/peers.sh):",
        "",
        "- Training: wall time and peak RSS of the training command "
        "(`/usr/bin/time`), reading the training file included. "
        "scikit-learn: reading, fitting and pickling timed inside Python "
        "(interpreter start and imports left out); liblinear: the "
        "liblinear-train runs summed (one per label for multi-label data), "
        "building the feature files left out. wiretag's default training "
        "cross-validates every C of its grid for every label and picks "
        "per-label thresholds; the peers train once with fixed settings, "
        "so the `--C 16 --cv 0` rows are the like-for-like training times. "
        "Accuracy rows for wiretag use the CV-tuned model (the product "
        "default) unless marked `--cv 0`.",
        "- Prediction: single-threaded, test documents repeated when one "
        "pass is too short to time. wiretag-bench times classification of "
        "articles already in memory (JSON parsing excluded), like the "
        "scikit-learn row; the wiretag classify row is the whole command "
        "(JSON parsing, classification, JSON output). fastText and VW read "
        "a text file of words already lower-cased and split by the "
        "benchmark (that step is not timed); liblinear reads numeric "
        "feature vectors, so it does no tokenizing or hashing at all, "
        "and for multi-label data runs one liblinear-predict per label. "
        "Load time: start-up plus model load, from a run on an empty "
        "file (for VW this includes starting Python; for wiretag it is "
        "`wiretag classify` on an empty file, shown on the wiretag-bench "
        "rows too; for scikit-learn, unpickling inside Python).",
        "- Spread: (max - min) / median of the repetitions' prediction "
        "times; a large spread means other work shared the cores during "
        "that row (see the load average above) and its figure is rough.",
        "- Parallel rows: wiretag-bench uses N threads in one process; "
        "no peer predicts a batch on several threads from its command "
        "line, so their rows run N single-threaded processes on N shards "
        "at once and report the combined rate.",
    ]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder of peers.sh")
    ap.add_argument("--datasets", required=True,
                    help="comma-separated data set folders, in table order")
    ap.add_argument("--threads", type=int, required=True,
                    help="N of the all-cores rows")
    args = ap.parse_args()

    versions = read_json(os.path.join(args.out, "versions.json"))
    with open("/proc/loadavg") as fp:
        versions["loadavg_end"] = fp.read().split()[0]
    metas, rows_by_set, all_rows, checks = [], {}, [], {}
    for name in args.datasets.split(","):
        ddir = os.path.join(args.out, name)
        meta, rows = dataset_rows(ddir, versions, args.threads)
        metas.append(meta)
        rows_by_set[meta["dataset"]] = rows
        all_rows += rows
        ev = opt_json(os.path.join(ddir, "res", "wiretag.eval.json"))
        sc = opt_json(os.path.join(ddir, "res", "wiretag.score.json"))
        if ev and sc:
            same = (abs(ev["micro_f1"] - sc["micro_f1"]) < 1e-5 and
                    abs(ev["macro_f1"] - sc["macro_f1"]) < 1e-5)
            checks[meta["dataset"]] = (
                "`wiretag eval --json` on the same test part: micro-F1 %.4f, "
                "macro-F1 %.4f%s (%s the shared scorer)." % (
                    ev["micro_f1"], ev["macro_f1"],
                    ", accuracy %.4f" % ev["accuracy"]
                    if ev.get("accuracy") is not None else "",
                    "agrees with" if same else "DIFFERS from"))

    with open(os.path.join(args.out, "peers.csv"), "w", newline="") as fp:
        w = csv.DictWriter(fp, fieldnames=COLUMNS)
        w.writeheader()
        for r in all_rows:
            w.writerow({k: ("%.6g" % v if isinstance(v, float) else v)
                        for k, v in r.items()})
    with open(os.path.join(args.out, "peers.md"), "w") as fp:
        fp.write(markdown(metas, rows_by_set, versions, checks))

    # tool threads docs_per_s, one gnuplot data block per data set.
    with open(os.path.join(args.out, "peers-threads.dat"), "w") as fp:
        fp.write("# Prediction rate by parallelism (threads for "
                 "wiretag-bench, processes otherwise).\n"
                 "# One block per data set (gnuplot: index 0, 1, ...): %s\n"
                 % ", ".join(m["dataset"] for m in metas))
        for i, meta in enumerate(metas):
            if i:
                fp.write("\n\n")
            fp.write("# dataset %s\n# tool threads docs_per_s\n"
                     % meta["dataset"])
            for r in rows_by_set[meta["dataset"]]:
                if r["predict_docs_per_s"] in ("", None):
                    continue
                if r["tool"] == "wiretag":
                    tool = ("wiretag-bench" if "hot loop" in r["mode"]
                            else "wiretag-classify")
                else:
                    tool = {"fastText": "fasttext", "Vowpal Wabbit": "vw",
                            "scikit-learn": "sklearn",
                            "liblinear": "liblinear"}[r["tool"]]
                fp.write("%s %s %.1f\n" % (tool, str(r["threads"]).split()[0],
                                           r["predict_docs_per_s"]))


if __name__ == "__main__":
    main()
