"""scikit-learn peer: hashed word 1-2-grams, sublinear tf-idf, linear SVM.

The plain baseline the shared data's README reports, with bigrams as
wiretag uses them: ``HashingVectorizer(ngram_range=(1, 2),
n_features=2**20, alternate_sign=False, norm=None)`` + ``TfidfTransformer(
sublinear_tf=True)`` + ``LinearSVC(C=1)``, one-vs-rest with a
MultiLabelBinarizer for multi-label data. A label is predicted when its
decision value is positive (no threshold tuning, no search over C).

``norm=None`` matters: by default HashingVectorizer L2-normalises the
counts, and sublinear tf (1 + log tf) of values below 1 is then negative
or zero; that costs about 0.1 micro-F1 on Reuters. Counts go in raw here,
and TfidfTransformer normalises once, after idf.

Subcommands:

``train``    fit on the split's train.jsonl and pickle the model; the JSON
             result holds the in-process time of reading the documents,
             fitting and saving (interpreter start-up and imports excluded).
``predict``  load the model (timed alone), then classify the test texts,
             already in memory, as wiretag-bench does: vectorizing,
             tf-idf and the decision functions are all timed. With
             ``--procs N``, N forked processes classify one contiguous shard
             each, started together; the rate is their combined rate.
"""

import argparse
import math
import multiprocessing as mp
import os
import pickle
import time

from common import doc_bytes, doc_text, median, read_jsonl, write_json


def build(multilabel):
    """The untrained pipeline."""
    from sklearn.feature_extraction.text import (HashingVectorizer,
                                                 TfidfTransformer)
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC
    svm = LinearSVC(C=1.0)
    return make_pipeline(
        HashingVectorizer(ngram_range=(1, 2), n_features=2**20,
                          alternate_sign=False, norm=None),
        TfidfTransformer(sublinear_tf=True),
        OneVsRestClassifier(svm) if multilabel else svm)


def train(args):
    """Fit on the train part and pickle {pipeline, binarizer}."""
    from sklearn.preprocessing import MultiLabelBinarizer
    start = time.perf_counter()
    docs = read_jsonl(os.path.join(args.split, "train.jsonl"))
    texts = [doc_text(d) for d in docs]
    multilabel = any(len(d["labels"]) != 1 for d in docs)
    binarizer = None
    if multilabel:
        binarizer = MultiLabelBinarizer()
        y = binarizer.fit_transform([d["labels"] for d in docs])
    else:
        y = [d["labels"][0] for d in docs]
    model = build(multilabel)
    model.fit(texts, y)
    with open(args.model, "wb") as fp:
        pickle.dump({"pipeline": model, "binarizer": binarizer}, fp,
                    protocol=pickle.HIGHEST_PROTOCOL)
    write_json(args.out, {"train_s": time.perf_counter() - start,
                          "docs": len(docs)})


def predict_names(model, texts):
    """Predicted label names, one list per text."""
    pred = model["pipeline"].predict(texts)
    if model["binarizer"] is not None:
        return [list(x) for x in model["binarizer"].inverse_transform(pred)]
    return [[x] for x in pred]


def timed_runs(model, texts, runs):
    """Seconds to classify the texts `runs` times in a row."""
    start = time.perf_counter()
    for _ in range(runs):
        predict_names(model, texts)
    return time.perf_counter() - start


def _worker(model, texts, runs, reps, barrier, queue):
    """One of N processes: classify its shard once per repetition."""
    for _ in range(reps):
        barrier.wait()
        queue.put(timed_runs(model, texts, runs))


def predict(args):
    """Time load and prediction; write the predictions for scoring."""
    docs = read_jsonl(os.path.join(args.split, "test.jsonl"))
    texts = [doc_text(d) for d in docs]
    nbytes = sum(doc_bytes(d) for d in docs)

    loads = []
    for _ in range(args.reps):
        start = time.perf_counter()
        with open(args.model, "rb") as fp:
            model = pickle.load(fp)
        loads.append(time.perf_counter() - start)

    # Repeat the test part within a repetition if one pass is too short.
    once = timed_runs(model, texts, 1)
    runs = max(1, int(math.ceil(args.target / max(once, 1e-6))))
    runs = 1 if once >= 0.8 * args.target else runs

    if args.procs == 1:
        times = [timed_runs(model, texts, runs) for _ in range(args.reps)]
    else:
        per = int(math.ceil(len(texts) / args.procs))
        shards = [texts[i * per:(i + 1) * per] for i in range(args.procs)]
        ctx = mp.get_context("fork")
        barrier = ctx.Barrier(args.procs)
        queue = ctx.Queue()
        workers = [ctx.Process(target=_worker,
                               args=(model, s, runs, args.reps, barrier,
                                     queue)) for s in shards]
        for w in workers:
            w.start()
        results = [queue.get() for _ in range(args.reps * args.procs)]
        for w in workers:
            w.join()
        # Repetitions run in lockstep; the slowest shard ends each one.
        times = [max(results[i * args.procs:(i + 1) * args.procs])
                 for i in range(args.reps)]

    predict_s = median(times)
    if args.pred:
        with open(args.pred, "w", encoding="utf-8") as fp:
            for names in predict_names(model, texts):
                fp.write(" ".join(names) + "\n")
    write_json(args.out, {
        "procs": args.procs,
        "reps": args.reps,
        "repeat": runs,
        "load_s": median(loads),
        "load_runs_s": loads,
        "full_runs_s": times,
        "predict_runs_s": times,
        "predict_s": predict_s,
        "docs_per_s": len(texts) * runs / predict_s,
        "mb_per_s": nbytes * runs / predict_s / 1e6,
    })


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="fit and save the model")
    t.add_argument("--split", required=True, help="folder made by split.py")
    t.add_argument("--model", required=True, help="pickle to write")
    t.add_argument("--out", required=True, help="JSON result file")
    p = sub.add_parser("predict", help="time load and prediction")
    p.add_argument("--split", required=True, help="folder made by split.py")
    p.add_argument("--model", required=True, help="pickle to read")
    p.add_argument("--procs", type=int, default=1,
                   help="concurrent processes on shards (1)")
    p.add_argument("--reps", type=int, default=3, help="repetitions (3)")
    p.add_argument("--target", type=float, default=1.0,
                   help="least seconds of prediction per repetition (1.0)")
    p.add_argument("--pred", help="write predicted labels here")
    p.add_argument("--out", required=True, help="JSON result file")
    args = ap.parse_args()
    train(args) if args.cmd == "train" else predict(args)


if __name__ == "__main__":
    main()
