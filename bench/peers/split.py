"""Make the train/test split every tool in the peer comparison uses.

The split is deterministic and chronological: the documents keep their
order in the source file and the last ``--test-frac`` of them are the test
part, the rest the training part. Reuters-21578 is in wire order (its own
ApteMod split is by date too), so the test part is later news than anything
trained on, and near-duplicate wires of the same day do not straddle the
split. Nothing is shuffled; the same input gives the same files.

Writes into ``--out``:

- ``train.jsonl``, ``test.jsonl``: the articles, as wiretag reads them;
- ``train.ft``, ``test.ft``: fastText lines (``__label__x ... words``);
- ``train.vw``, ``test.vw``: Vowpal Wabbit lines (labels are label numbers:
  1..K for ``--oaa``, 0..K-1 comma-separated for ``--multilabel_oaa``);
- ``labels.txt``: the labels of the training part, one per line, sorted;
  line i is label number i (0-based) for VW and liblinear;
- ``meta.json``: counts (documents, article bytes, labels) and whether the
  data set is multi-label.

The test files of fastText and VW carry no labels: predictions are scored
against ``test.jsonl`` by score.py.
"""

import argparse
import os

from common import doc_bytes, read_jsonl, words, write_json, write_jsonl


def ft_line(doc, with_labels):
    """One fastText line: labels as __label__x, then lower-cased words."""
    parts = ["__label__" + lab for lab in doc["labels"]] if with_labels else []
    return " ".join(parts + words(doc))


def vw_line(doc, index, multilabel, with_labels):
    """One Vowpal Wabbit line with all words in namespace w."""
    label = ""
    if with_labels:
        ids = sorted(index[lab] for lab in doc["labels"] if lab in index)
        if multilabel:
            label = ",".join(str(i) for i in ids)
        else:
            label = str(ids[0] + 1)
    return label + " |w " + " ".join(words(doc))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", required=True, help="labeled JSON Lines file")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--dataset", required=True, help="name in the reports")
    ap.add_argument("--test-frac", type=float, default=0.2,
                    help="trailing fraction used as the test part (0.2)")
    ap.add_argument("--limit", type=int, default=0,
                    help="use only the first N documents (0: all)")
    args = ap.parse_args()

    docs = read_jsonl(args.src)
    if args.limit:
        docs = docs[:args.limit]
    cut = int(round(len(docs) * (1.0 - args.test_frac)))
    train, test = docs[:cut], docs[cut:]
    if not train or not test:
        raise SystemExit("split.py: %s: too few documents to split" % args.src)

    multilabel = any(len(d["labels"]) != 1 for d in docs)
    labels = sorted({lab for d in train for lab in d["labels"]})
    index = {lab: i for i, lab in enumerate(labels)}
    test_labels = {lab for d in test for lab in d["labels"]}

    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, name)
    write_jsonl(out("train.jsonl"), train)
    write_jsonl(out("test.jsonl"), test)
    with open(out("labels.txt"), "w", encoding="utf-8") as fp:
        fp.write("".join(lab + "\n" for lab in labels))
    for name, part, with_labels in (("train", train, True),
                                    ("test", test, False)):
        with open(out(name + ".ft"), "w", encoding="utf-8") as fp:
            for d in part:
                fp.write(ft_line(d, with_labels) + "\n")
        with open(out(name + ".vw"), "w", encoding="utf-8") as fp:
            for d in part:
                fp.write(vw_line(d, index, multilabel, with_labels) + "\n")

    write_json(out("meta.json"), {
        "dataset": args.dataset,
        "source": os.path.abspath(args.src),
        "multilabel": multilabel,
        "train_docs": len(train),
        "test_docs": len(test),
        "train_bytes": sum(doc_bytes(d) for d in train),
        "test_bytes": sum(doc_bytes(d) for d in test),
        "labels_train": len(labels),
        "labels_test": len(test_labels),
        "labels_test_only": sorted(test_labels - set(labels)),
        "test_frac": args.test_frac,
    })


if __name__ == "__main__":
    main()
