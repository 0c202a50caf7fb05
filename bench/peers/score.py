"""Score one tool's predictions on the test part, the same way for every tool.

Reads the gold labels from the test JSON Lines and a prediction file in the
tool's own output format, turns both into label sets per document and
computes, with the definitions of ``wiretag eval``:

- micro-F1 over all (document, label) decisions;
- macro-F1: the mean of per-label F1 over the labels that occur in the
  test part or are predicted (a label with no support and no prediction is
  left out, as wiretag eval does); test labels the model never saw in
  training count as missed;
- example-based F1, and accuracy (the predicted label set equals the gold
  one; for single-label data this is plain accuracy).

Prediction formats (``--format``):

  wiretag      ``wiretag classify`` output (JSON Lines with a "wiretag" object)
  fasttext     ``fasttext predict`` output (``__label__x`` words per line)
  vw-oaa       Vowpal Wabbit ``--oaa`` predictions (label number 1..K)
  vw-ml        Vowpal Wabbit ``--multilabel_oaa`` predictions (0-based, commas)
  liblinear    ``liblinear-predict`` output of a multi-class model (1..K)
  liblinear-ovr  a folder of ``liblinear-predict`` outputs, ``L<i>.pred`` for
               label i (0-based), ``1`` meaning the label is predicted
  names        label names separated by spaces, one line per document
"""

import argparse
import json
import os

from common import read_jsonl, read_lines, write_json


def _numbers(line):
    """Label numbers in a VW/liblinear prediction line ('3', '3.0', '1,7')."""
    line = line.strip()
    if not line:
        return []
    return [int(float(tok)) for tok in line.split()[0].split(",") if tok]


def read_predictions(fmt, path, labels, ndocs):
    """Return one set of predicted label names per test document."""
    if fmt == "wiretag":
        out = []
        for line in read_lines(path):
            if line.strip():
                obj = json.loads(line)
                out.append({x["label"] for x in obj["wiretag"]["labels"]})
        return out
    if fmt == "fasttext":
        return [{w[len("__label__"):] for w in line.split()
                 if w.startswith("__label__")} for line in read_lines(path)]
    if fmt == "names":
        return [set(line.split()) for line in read_lines(path)]
    if fmt in ("vw-oaa", "liblinear"):
        return [{labels[i - 1] for i in _numbers(line)}
                for line in read_lines(path)]
    if fmt == "vw-ml":
        return [{labels[i] for i in _numbers(line)}
                for line in read_lines(path)]
    if fmt == "liblinear-ovr":
        out = [set() for _ in range(ndocs)]
        for i, lab in enumerate(labels):
            for d, line in enumerate(read_lines(os.path.join(path,
                                                             "L%d.pred" % i))):
                if _numbers(line) == [1]:
                    out[d].add(lab)
        return out
    raise SystemExit("score.py: unknown format %r" % fmt)


def f1(tp, fp, fn):
    """F1 from counts; 0 when there is no true positive."""
    return 2.0 * tp / (2 * tp + fp + fn) if tp else 0.0


def score(gold, pred, labels):
    """Metrics of predicted label sets against gold label sets."""
    universe = sorted(set(labels) | {lab for g in gold for lab in g})
    tp = dict.fromkeys(universe, 0)
    fp = dict.fromkeys(universe, 0)
    fn = dict.fromkeys(universe, 0)
    exact = 0
    example = 0.0
    for g, p in zip(gold, pred):
        for lab in g & p:
            tp[lab] += 1
        for lab in p - g:
            fp.setdefault(lab, 0)
            fp[lab] += 1
        for lab in g - p:
            fn[lab] += 1
        exact += g == p
        example += 1.0 if not g and not p else 2.0 * len(g & p) / (len(g) +
                                                                   len(p))
    for lab in fp:
        tp.setdefault(lab, 0)
        fn.setdefault(lab, 0)
    counted = [lab for lab in tp if tp[lab] + fp[lab] + fn[lab]]
    n = len(gold)
    return {
        "docs": n,
        "micro_f1": f1(sum(tp.values()), sum(fp.values()), sum(fn.values())),
        "macro_f1": (sum(f1(tp[lab], fp[lab], fn[lab]) for lab in counted) /
                     len(counted)) if counted else 0.0,
        "macro_labels": len(counted),
        "example_f1": example / n if n else 0.0,
        "accuracy": exact / n if n else 0.0,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", required=True, help="test JSON Lines")
    ap.add_argument("--labels", required=True, help="labels.txt of the split")
    ap.add_argument("--format", required=True, help="prediction format")
    ap.add_argument("--pred", required=True, help="prediction file or folder")
    ap.add_argument("--out", required=True, help="JSON file to write")
    args = ap.parse_args()

    gold = [set(d["labels"]) for d in read_jsonl(args.gold)]
    labels = [lab for lab in read_lines(args.labels) if lab]
    pred = read_predictions(args.format, args.pred, labels, len(gold))
    if len(pred) != len(gold):
        raise SystemExit("score.py: %s: %d predictions for %d test documents"
                         % (args.pred, len(pred), len(gold)))
    write_json(args.out, score(gold, pred, labels))


if __name__ == "__main__":
    main()
