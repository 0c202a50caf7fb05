"""liblinear peer: Debian's liblinear-train / liblinear-predict tools.

wiretag trains with the liblinear library; this peer runs liblinear's own
command-line tools on the features of the scikit-learn peer (hashed word
1-2-grams, 2^20 buckets, raw counts into sublinear tf-idf, L2-normalised),
written in svmlight format. Columns are renumbered to those that occur in
at least two training documents (wiretag's default ``--min-df 2``), since a
liblinear model file stores one weight per column up to the largest.

The model is L2-regularised logistic regression (``-s 0``, wiretag's
default solver) with ``-c 16 -B 1``, the fixed C of wiretag's
``--C 16 --cv 0`` row; a label is predicted when its probability exceeds
0.5. Multi-label data get one binary model per label (one-vs-rest, as
wiretag); single-label data one multi-class model.

Subcommands:

``features``  vectorize train and test, write ``train.svm``-style inputs
``train``     run liblinear-train (per label for multi-label data); the
              JSON result holds the summed wall time and the largest peak
              RSS of the liblinear-train runs (vectorizing not included)
``script``    write ``predict.sh FEATURES OUTDIR`` that runs
              liblinear-predict with every model (OUTDIR ``-``: discard)

Prediction reads the svmlight feature file, so its time covers parsing
that file but not tokenizing or hashing the articles.
"""

import argparse
import os
import subprocess
import tempfile

import numpy as np

from common import doc_text, read_jsonl, read_lines, write_json


def features(args):
    """Write the feature lines of train and test and the column count."""
    from sklearn.feature_extraction.text import (HashingVectorizer,
                                                 TfidfTransformer)
    train = read_jsonl(os.path.join(args.split, "train.jsonl"))
    test = read_jsonl(os.path.join(args.split, "test.jsonl"))
    hv = HashingVectorizer(ngram_range=(1, 2), n_features=2**20,
                           alternate_sign=False, norm=None)
    tfidf = TfidfTransformer(sublinear_tf=True)
    xtr = hv.transform([doc_text(d) for d in train])
    xte = hv.transform([doc_text(d) for d in test])
    df = np.bincount(xtr.indices, minlength=xtr.shape[1])
    keep = np.flatnonzero(df >= 2)
    xtr = tfidf.fit_transform(xtr)
    xte = tfidf.transform(xte)
    xtr, xte = xtr[:, keep].tocsr(), xte[:, keep].tocsr()
    xtr.sort_indices()
    xte.sort_indices()
    os.makedirs(args.lldir, exist_ok=True)

    def lines(x):
        for i in range(x.shape[0]):
            row = slice(x.indptr[i], x.indptr[i + 1])
            yield " ".join("%d:%.6g" % (j + 1, v)
                           for j, v in zip(x.indices[row], x.data[row]))

    with open(os.path.join(args.lldir, "train.feat"), "w") as fp:
        for line in lines(xtr):
            fp.write(line + "\n")
    # liblinear-predict wants a label on each line; it is not used.
    with open(os.path.join(args.lldir, "test.svm"), "w") as fp:
        for line in lines(xte):
            fp.write("0 " + line + "\n")
    write_json(os.path.join(args.lldir, "features.json"),
               {"columns": int(len(keep)), "train_docs": len(train),
                "test_docs": len(test)})


def run_train(train_file, model_file, solver, c):
    """One liblinear-train run; return (wall seconds, peak RSS in MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf.name,
                        "liblinear-train", "-q", "-s", str(solver),
                        "-c", str(c), "-B", "1", train_file, model_file],
                       check=True, stdout=subprocess.DEVNULL)
        wall, rss_kb = tf.read().split()[-2:]
    return float(wall), int(rss_kb) / 1024.0


def train(args):
    """Train one model per label (multi-label) or one multi-class model."""
    docs = read_jsonl(os.path.join(args.split, "train.jsonl"))
    labels = [lab for lab in read_lines(os.path.join(args.split,
                                                     "labels.txt")) if lab]
    multilabel = any(len(d["labels"]) != 1 for d in docs)
    feats = read_lines(os.path.join(args.lldir, "train.feat"))
    total, peak = 0.0, 0.0
    tmp = os.path.join(args.lldir, "train.tmp.svm")
    jobs = []
    if multilabel:
        for i, lab in enumerate(labels):
            ys = ["+1" if lab in d["labels"] else "-1" for d in docs]
            jobs.append((ys, "L%d.model" % i))
    else:
        index = {lab: i + 1 for i, lab in enumerate(labels)}
        jobs.append(([str(index[d["labels"][0]]) for d in docs], "M.model"))
    for ys, name in jobs:
        with open(tmp, "w") as fp:
            for y, f in zip(ys, feats):
                fp.write(y + " " + f + "\n")
        wall, rss = run_train(tmp, os.path.join(args.lldir, name),
                              args.solver, args.C)
        total += wall
        peak = max(peak, rss)
    os.unlink(tmp)
    write_json(args.out, {"train_s": total, "train_rss_mb": peak,
                          "models": len(jobs), "solver": args.solver,
                          "C": args.C})


def script(args):
    """Write predict.sh: every model over one feature file."""
    labels = [lab for lab in read_lines(os.path.join(args.split,
                                                     "labels.txt")) if lab]
    models = sorted(m for m in os.listdir(args.lldir) if m.endswith(".model"))
    lldir = os.path.abspath(args.lldir)
    with open(os.path.join(args.lldir, "predict.sh"), "w") as fp:
        fp.write("#!/bin/sh\n"
                 "# Runs liblinear-predict with every model of this folder.\n"
                 "# Usage: predict.sh FEATURES OUTDIR  (OUTDIR -: discard)\n"
                 "set -e\n")
        if models == ["M.model"]:
            fp.write('o=/dev/null; [ "$2" = - ] || o="$2/M.pred"\n'
                     'liblinear-predict -q "$1" %s/M.model "$o"\n' % lldir)
        else:
            if len(models) != len(labels):
                raise SystemExit("ll_run.py: %d models for %d labels"
                                 % (len(models), len(labels)))
            fp.write('i=0\nwhile [ $i -lt %d ]; do\n'
                     '  o=/dev/null; [ "$2" = - ] || o="$2/L$i.pred"\n'
                     '  liblinear-predict -q "$1" %s/L$i.model "$o"\n'
                     '  i=$((i + 1))\ndone\n' % (len(labels), lldir))
    os.chmod(os.path.join(args.lldir, "predict.sh"), 0o755)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("features", "train", "script"):
        p = sub.add_parser(name)
        p.add_argument("--split", required=True,
                       help="folder made by split.py")
        p.add_argument("--lldir", required=True,
                       help="folder for liblinear files")
        if name == "train":
            p.add_argument("--solver", type=int, default=0,
                           help="liblinear -s (0: L2 logistic regression)")
            p.add_argument("--C", type=float, default=16.0,
                           help="liblinear -c (16)")
            p.add_argument("--out", required=True, help="JSON result file")
    args = ap.parse_args()
    {"features": features, "train": train, "script": script}[args.cmd](args)


if __name__ == "__main__":
    main()
