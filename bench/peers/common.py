"""Helpers shared by the peer-comparison scripts (bench/peers.sh).

Every peer of wiretag reads the same documents: the JSON Lines articles of
the shared data ({"id", "title", "text", "labels", "source"}). The text a
model sees is the title followed by the body, as wiretag's default
``--fields title,text``; "article bytes" are the UTF-8 bytes of those two
fields, the same count wiretag-bench divides by for its MB/s.
"""

import json
import re
import statistics

# Word tokens for the peers that take pre-tokenized text (fastText, Vowpal
# Wabbit): lower-cased runs of Unicode letters, digits and underscore.
_WORD = re.compile(r"\w+")


def read_jsonl(path):
    """Return the list of JSON objects in a JSON Lines file."""
    with open(path, encoding="utf-8") as fp:
        return [json.loads(line) for line in fp if line.strip()]


def write_jsonl(path, docs):
    """Write documents as JSON Lines, one compact object per line."""
    with open(path, "w", encoding="utf-8") as fp:
        for doc in docs:
            fp.write(json.dumps(doc, ensure_ascii=False) + "\n")


def doc_text(doc):
    """Title and body of an article as one string (what every model reads)."""
    title = doc.get("title") or ""
    text = doc.get("text") or ""
    return title + "\n" + text if title else text


def doc_bytes(doc):
    """UTF-8 bytes of title + text, the unit of the MB/s figures."""
    return len((doc.get("title") or "").encode("utf-8")) + len(
        (doc.get("text") or "").encode("utf-8"))


def words(doc):
    """Lower-cased word tokens of an article, for fastText and VW input."""
    return _WORD.findall(doc_text(doc).lower())


def median(values):
    """Median of a non-empty sequence of numbers."""
    return statistics.median(values)


def write_json(path, obj):
    """Write one JSON object (results files read by report.py)."""
    with open(path, "w", encoding="utf-8") as fp:
        json.dump(obj, fp, indent=1, sort_keys=True)
        fp.write("\n")


def read_json(path):
    """Read one JSON object."""
    with open(path, encoding="utf-8") as fp:
        return json.load(fp)


def read_lines(path):
    """Lines of a text file without their newlines."""
    with open(path, encoding="utf-8") as fp:
        return [line.rstrip("\n") for line in fp]
