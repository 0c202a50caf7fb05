#!/usr/bin/env python3
"""Checks that every metric the Grafana dashboard and the Prometheus rules
query is one wiretag exports.

  promql_names.py METRICS.txt FILE...

METRICS.txt is a scrape of GET /metrics. Each FILE is a dashboard (.json:
every "expr" of every target) or a rules file (.yml: every "expr:",
block scalars included). Metric names are taken out of the PromQL with a
regular expression: identifiers that are not functions, keywords,
aggregation modifiers, label names (before =, !=, =~, !~ inside {} or in
by/without/on/ignoring lists), durations, or template variables. A
histogram's _bucket/_sum/_count series count as its base name. `up` and
scrape_* are Prometheus' own series. Prints the names it checked; exit 1
naming any that the scrape lacks.
"""
import json
import re
import sys

FUNCTIONS = {
    "abs", "absent", "absent_over_time", "avg_over_time", "ceil", "changes",
    "clamp", "clamp_max", "clamp_min", "count_over_time", "day_of_month",
    "day_of_week", "days_in_month", "delta", "deriv", "exp", "floor",
    "histogram_quantile", "holt_winters", "hour", "idelta", "increase",
    "irate", "label_join", "label_replace", "last_over_time", "ln", "log10",
    "log2", "max_over_time", "min_over_time", "minute", "month",
    "predict_linear", "quantile_over_time", "rate", "resets", "round",
    "scalar", "sgn", "sort", "sort_desc", "sqrt", "stddev_over_time",
    "stdvar_over_time", "sum_over_time", "time", "timestamp", "vector",
    "year", "label_values", "humanizePercentage",
}
KEYWORDS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
    "count_values", "bottomk", "topk", "quantile", "by", "without", "on",
    "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
    "offset", "inf", "nan",
}
PROMETHEUS_OWN = re.compile(r"^(up|scrape_[a-z_]+)$")


def exprs_of(path):
    text = open(path, encoding="utf-8").read()
    if path.endswith(".json"):
        out = []

        def walk(v):
            if isinstance(v, dict):
                for k, x in v.items():
                    if k == "expr" and isinstance(x, str):
                        out.append(x)
                    else:
                        walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(json.loads(text))
        return out
    # YAML rules: "expr: ..." on one line, or a block scalar ("|" / ">")
    # whose lines are indented deeper than the key.
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = re.match(r"^(\s*)(?:-\s*)?expr:\s*(.*)$", lines[i])
        i += 1
        if not m:
            continue
        indent, rest = len(m.group(1)), m.group(2).strip()
        if rest and rest[0] not in "|>":
            out.append(rest.strip("'\""))
            continue
        block = []
        while i < len(lines) and (not lines[i].strip() or
                                  len(lines[i]) - len(lines[i].lstrip()) > indent):
            block.append(lines[i])
            i += 1
        out.append("\n".join(block))
    return out


def names_in(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)      # string literals
    e = re.sub(r"\$\{?\w+\}?", " ", e)                 # $job, $__rate_interval
    e = re.sub(r"\[[^\]]*\]", " ", e)                  # ranges, subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)",
               " ", e)                                 # label lists
    e = re.sub(r"\{[^}]*\}", " ", e)                   # matchers
    names = set()
    for m in re.finditer(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?", e):
        word, call = m.group(1), m.group(2)
        if call or word in FUNCTIONS or word.lower() in KEYWORDS:
            continue
        names.add(word)
    return names


def base(name):
    return re.sub(r"_(bucket|sum|count)$", "", name)


def main():
    scrape, files = sys.argv[1], sys.argv[2:]
    exported = set()
    for line in open(scrape, encoding="utf-8"):
        m = re.match(r"^# TYPE (\S+) ", line) or re.match(r"^([A-Za-z_:][\w:]*)", line)
        if m:
            exported.add(m.group(1))
    used = set()
    for f in files:
        for e in exprs_of(f):
            used |= names_in(e)
    if not used:
        print("no metric names found in", " ".join(files))
        return 1
    missing = sorted(n for n in used if not PROMETHEUS_OWN.match(n)
                     and n not in exported and base(n) not in exported)
    print("checked %d metric names: %s" % (len(used), " ".join(sorted(used))))
    if missing:
        print("not exported by wiretag run: " + " ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
