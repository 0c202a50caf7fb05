#!/usr/bin/env python3
"""Write bench/RESULTS.md and its plots from what bench/run.sh measured.

  report.py --out bench/out --dest bench

Reads, from --out: machine.txt, run.txt (how long each piece took, which
were skipped), hotloop.csv and hotloop-baseline.csv (wiretag-bench),
classify.csv (the whole `wiretag classify` process, bench/run.sh),
peers.md, peers.csv, peers-threads.dat and <dataset>/meta.json
(bench/peers.sh), e2e.csv, e2e.md and e2e-lag.dat (bench/e2e.sh); and
bench/results/scaling-*core.csv (bench/scaling.sh on a larger machine).
Parts whose inputs are missing, or that run.txt says were skipped, are
reported as not run; the headline's rows that need them say so.
Writes DEST/RESULTS.md; the plots and the CSVs they are drawn from go to
bench/results/ when DEST is bench, else to DEST.
"""
import argparse
import csv
import glob
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")

# Targets from the benchmark's brief, quoted beside the figures.
TARGET_MBPS = 1000.0
TARGET_X_FASTTEXT = 50.0
TARGET_X_FASTTEXT_90 = 20.0
TARGET_SCALING = 0.9

# The throughput targets of the headline table: wiretag's figure over the
# one it is set against, each from the same run.
TARGET_E2E = 0.5            # wiretag run / bare kcat copy
GOAL_E2E = 0.9              # ... and the goal beyond it
TARGET_CLASSIFY_HOT = 0.7   # wiretag classify, whole process / hot loop
TARGET_CLASSIFY_FT = 10.0   # wiretag classify / fastText predict, Reuters
TARGET_BASELINE = 3.0       # hot loop / BASELINE
TARGET_VW = 2.0             # wiretag / Vowpal Wabbit, AG News

# The hot loop before the optimisation work: bench/run.sh on 2026-11-27,
# conflict-v1 on Reuters-21578 train, one thread, on the 2-core AMD EPYC
# development machine. A fixed "before"; run.sh measures conflict-v1 on
# the same corpus again (hotloop-baseline.csv) to set beside it.
BASELINE = {
    "model": "conflict-v1",
    "articles_per_s": 113309.0,
    "mb_per_s": 90.0,
    "ns_per_token": 64.0,
    "date": "2026-11-27",
    "cpu": "AMD EPYC",
    "cores": 2,
}


# Each headline row: what it sets against what, and its target.
TARGET_ROWS = {
    "1": ("`wiretag run` end to end (config/wiretag.properties with its "
          "routes, real broker) ÷ a bare kcat consume→produce copy of the "
          "same topic", f"≥ {TARGET_E2E}x (goal {GOAL_E2E}x)"),
    "2a": ("`wiretag classify`, whole process ÷ its hot loop "
           "(wiretag-bench), same model and corpus, 1 thread",
           f"≥ {TARGET_CLASSIFY_HOT}x"),
    "2b": ("`wiretag classify` ÷ fastText `predict`, held-out Reuters, "
           "each tool's Reuters-topic model, 1 process",
           f"≥ {TARGET_CLASSIFY_FT:.0f}x"),
    "3": (f"hot loop, {BASELINE['model']} on Reuters-21578 train, 1 "
          f"thread ÷ the same before the optimisation work",
          f"≥ {TARGET_BASELINE:.0f}x"),
    "4": ("wiretag hot loop ÷ Vowpal Wabbit `vw -t`, AG News, docs/s, "
          "1 thread", f"≥ {TARGET_VW:.0f}x"),
}


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_text(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read().strip()


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def read_run(path):
    """run.txt from bench/run.sh: "PIECE SECONDS" or "PIECE skipped" a
    line, then "total SECONDS", and "quick" for a --quick run."""
    run = {}
    for line in (read_text(path) or "").splitlines():
        parts = line.split()
        if parts:
            run[parts[0]] = parts[1] if len(parts) > 1 else True
    return run


def num(v, default=0.0):
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


def fmt_int(v):
    return f"{num(v):,.0f}"


def hotloop_table(rows):
    """Markdown table of wiretag-bench rows."""
    lines = [
        "| model | labels | corpus | articles | MB | threads | articles/s "
        "| MB/s | ns/article | ns/token | p50 µs | p99 µs | spread "
        "| peak RSS MB | allocs/article | speed-up |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['labels']} | {r['corpus_desc']} "
            f"| {fmt_int(r['articles'])} | {num(r['bytes']) / 1e6:.1f} "
            f"| {r['threads']} | {fmt_int(r['articles_per_s'])} "
            f"| {num(r['mb_per_s']):.1f} | {fmt_int(r['ns_per_article'])} "
            f"| {num(r['ns_per_token']):.1f} | {num(r['p50_us']):.1f} "
            f"| {num(r['p99_us']):.1f} | {num(r['spread_pct']):.1f}% "
            f"| {num(r['peak_rss_mb']):.0f} "
            f"| {num(r['allocs_per_article']):.4f} "
            f"| {num(r['speedup']):.2f} |")
    return "\n".join(lines)


CORPORA = {
    "reuters21578/train.jsonl": "Reuters-21578 train",
    "bbc/train.jsonl": "BBC train",
    "satp/train.jsonl": "SATP train",
    "satp/dev.jsonl": "SATP dev",
    "cameo_pentacode/train.jsonl": "CAMEO train",
    "agnews/test.jsonl": "AG News test",
    "samples/pakistan-iran.json": "sample article",
}


def describe_corpora(rows):
    """Name each corpus for readers: wiretag-bench reports folder/file."""
    for r in rows:
        r["corpus_desc"] = CORPORA.get(r["corpus"], r["corpus"])
    return rows


def gnuplot(script, cwd):
    try:
        subprocess.run(["gnuplot"], input=script, text=True, cwd=cwd,
                       check=True)
        return True
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report.py: gnuplot failed: {e}", file=sys.stderr)
        return False


def plot_threads(plotdir, hot, scaling, peers_dat):
    """Throughput (MB/s of article text) against threads, log scale."""
    series = []
    # wiretag on Reuters: this machine, and the larger machine if measured.
    name = next((r["model"] for r in hot + (scaling[1] if scaling else [])
                 if r["model"].startswith("conflict")), "conflict")
    for label, rows in [("wiretag %s, this machine" % name, hot),
                        ("wiretag %s, %d-core machine" % (name, scaling[0])
                         if scaling else None, scaling[1] if scaling else [])]:
        if not label:
            continue
        pts = [(int(r["threads"]), num(r["articles_per_s"]))
               for r in rows if r["corpus_desc"] == "Reuters-21578 train"
               and r["model"].startswith("conflict")]
        if pts:
            series.append((label, sorted(pts)))
    pts = [(int(r["threads"]), num(r["articles_per_s"])) for r in hot
           if r["corpus_desc"] == "Reuters-21578 train"
           and not r["model"].startswith("conflict")]
    if pts:
        series.append(("wiretag reuters-90, this machine", sorted(pts)))
    if peers_dat and os.path.exists(peers_dat):
        by_tool = {}
        dataset = None
        with open(peers_dat) as f:
            for line in f:
                if line.startswith("# dataset "):
                    dataset = line.split()[2]
                parts = line.split()
                if (len(parts) < 3 or line.startswith("#")
                        or dataset != "reuters"):
                    continue
                try:
                    by_tool.setdefault(parts[0], []).append(
                        (int(parts[1]), float(parts[2])))
                except ValueError:
                    continue
        for tool, p in sorted(by_tool.items()):
            if tool == "wiretag-bench":
                continue  # the hot-loop series above
            series.append((f"{tool} (Reuters test split)", sorted(p)))
    if not series:
        return None
    data = []
    for i, (_, pts) in enumerate(series):
        with open(os.path.join(plotdir, f"threads-{i}.dat"), "w") as f:
            for t, v in pts:
                f.write(f"{t} {v}\n")
        data.append(f"threads-{i}.dat")
    plots = ", ".join(
        f"'{d}' using 1:2 with linespoints lw 2 title '{label}'"
        for d, (label, _) in zip(data, series))
    maxt = max(t for _, pts in series for t, _ in pts)
    script = f"""
set terminal pngcairo size 900,560 font 'DejaVu Sans,10' noenhanced
set output 'throughput-threads.png'
set title 'Classification throughput against threads (Reuters-length news)'
set xlabel 'threads (processes for peers without threaded predict)'
set ylabel 'articles per second (log scale)'
set logscale y
set xrange [0.8:{maxt * 1.1}]
set xtics 1
set grid
set key outside bottom center horizontal maxrows 3
plot {plots}
"""
    ok = gnuplot(script, plotdir)
    for d in data:
        os.remove(os.path.join(plotdir, d))
    return "throughput-threads.png" if ok else None


def plot_lag(plotdir, lag_dat):
    if not lag_dat or not os.path.exists(lag_dat):
        return None
    dest = os.path.join(plotdir, "e2e-lag.dat")
    if os.path.abspath(lag_dat) != os.path.abspath(dest):
        shutil.copy(lag_dat, dest)
    script = """
set terminal pngcairo size 900,420 font 'DejaVu Sans,10' noenhanced
set output 'e2e-lag.png'
set title 'wiretag run: consumer lag while draining the input topic'
set xlabel 'seconds since start'
set ylabel 'lag (messages)'
set grid
plot 'e2e-lag.dat' using 1:2 with lines lw 2 notitle
"""
    return "e2e-lag.png" if gnuplot(script, plotdir) else None


def load_scaling():
    """The largest committed bench/scaling.sh result, if any."""
    best = None
    for path in glob.glob(os.path.join(RESULTS, "scaling-*core.csv")):
        rows = describe_corpora(read_csv(path))
        if not rows:
            continue
        cores = max(int(num(r["threads"])) for r in rows)
        if not best or cores > best[0]:
            machine = read_text(path.replace(".csv", ".txt")) or ""
            cpu = next((l.split(":", 1)[1].strip() for l in
                        machine.splitlines() if l.startswith("cpu:")), "")
            best = (cores, rows, machine, cpu, os.path.basename(path))
    return best


def before_after(cores):
    """One thread, an earlier build against the current one, in
    alternating rounds on the larger machine (bench/scaling.sh)."""
    base = os.path.join(RESULTS, f"scaling-{cores}core")
    before = read_csv(base + "-before.csv")
    after = read_csv(base + "-after.csv")
    if not before or not after:
        return None
    lines = ["One thread, the earlier build (`wiretag-bench.before`) and "
             "the current one taking turns, each round a row's median of "
             "its repetitions:\n",
             "| model | build | articles/s, each round | median "
             "| spread within a round |",
             "| --- | --- | --- | ---: | ---: |"]
    for model in sorted({r["model"] for r in before}):
        for name, rows in [("before", before), ("after", after)]:
            xs = [num(r["articles_per_s"]) for r in rows
                  if r["model"] == model]
            if not xs:
                continue
            med = sorted(xs)[len(xs) // 2]
            each = ", ".join(f"{x:,.0f}" for x in xs)
            spread = max(num(r["spread_pct"]) for r in rows
                         if r["model"] == model)
            lines.append(f"| {model} | {name} | {each} | {med:,.0f} "
                         f"| up to {spread:.0f}% |")
    return "\n".join(lines)


NOT_MEASURED = "not measured in this run"


def pick(rows, model_prefix, corpus, threads=1):
    """The first wiretag-bench row of a model, corpus and thread count."""
    for r in rows:
        if (r.get("model", "").startswith(model_prefix)
                and r.get("corpus_desc") == corpus
                and int(num(r.get("threads"))) == threads):
            return r
    return None


def peer_row(peers, dataset, tool, mode, threads="1"):
    """A peers.csv prediction row with a rate: TOOL on DATASET, MODE a
    piece of its mode column."""
    for p in peers:
        if (p.get("dataset") == dataset
                and p.get("tool", "").lower() == tool.lower()
                and mode in p.get("mode", "")
                and str(p.get("threads")) == threads
                and num(p.get("predict_docs_per_s")) > 0):
            return p
    return None


def ratio_cell(x):
    return f"**{x:.2f}x**" if x < 10 else f"**{x:.1f}x**"


def verdict(ratio, target):
    return "met" if ratio >= target else "not met"


def machine_field(machine, key):
    for line in (machine or "").splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def rate_ratio(a, b, key="articles_per_s"):
    """a's rate over b's (two result rows), or None when either is
    missing or not positive."""
    if not a or not b or num(a.get(key)) <= 0 or num(b.get(key)) <= 0:
        return None
    return num(a[key]) / num(b[key])


def classify_figures(c, h):
    """Row 2a's figures: `wiretag classify` (classify.csv row c) beside
    its hot loop (hotloop.csv row h)."""
    return (f"`wiretag classify` **{fmt_int(c['articles_per_s'])} "
            f"articles/s** (median of {c['runs']} runs, "
            f"{num(c['median_s']):.3f} s for "
            f"{fmt_int(c['articles'])} articles "
            f"(the corpus {c.get('copies') or 1} times over), "
            f"{num(c['bytes']) / 1e6:.1f} MB of JSON, start-up and "
            f"model load included, output to /dev/null); hot loop "
            f"{fmt_int(h['articles_per_s'])} articles/s; "
            f"{h['model']} on {h['corpus_desc']}")


def held_out(m, corpus):
    """The words for peers.sh's test part of corpus (its meta m)."""
    if m.get("test_docs"):
        return (f"the last {fmt_int(m['test_docs'])} {corpus} articles, "
                f"held out of training")
    return f"the held-out part of {corpus}"


def targets_table(hot, base, classify, peers, e2e, meta, machine, missing):
    """The throughput targets, each computed from this run's figures.

    MISSING maps a source (hotloop, classify, peers, e2e) to why it is
    absent, for the rows that need it."""
    rows = []

    def row(n, figures=None, ratio=None, result=None, source=None):
        what, target = TARGET_ROWS[str(n)]
        if ratio is None:
            why = missing.get(source) or "no figure for it in the results"
            figures, ratio_s, result = why, "–", NOT_MEASURED
        else:
            ratio_s = ratio_cell(ratio)
        rows.append(f"| {n} | {what} | {figures} | {ratio_s} | {target} "
                    f"| {result} |")

    # 1. wiretag run against a bare copy of the same topic (e2e.sh).
    runs = {e.get("run"): e for e in e2e}
    wt = runs.get("wiretag run, to the last commit")
    copy = runs.get("bare copy, librdkafka defaults")
    r = rate_ratio(wt, copy)
    if r is not None:
        figures = (f"wiretag run **{fmt_int(wt['articles_per_s'])} "
                   f"articles/s** ({num(wt.get('mb_per_s')):.1f} MB/s); "
                   f"kcat copy with librdkafka's defaults "
                   f"{fmt_int(copy['articles_per_s'])} articles/s; "
                   f"{fmt_int(wt.get('articles'))} articles, broker, "
                   f"clients and wiretag on the same cores")
        copies = [e for e in e2e if e.get("run", "").startswith("bare copy")
                  and num(e.get("articles_per_s")) > 0]
        best = max(copies, key=lambda e: num(e["articles_per_s"]))
        if best is not copy:
            rb = num(wt["articles_per_s"]) / num(best["articles_per_s"])
            figures += (f" (the fastest copy, {best['run'][11:]}: "
                        f"{fmt_int(best['articles_per_s'])} articles/s, "
                        f"{rb:.2f}x)")
        result = verdict(r, TARGET_E2E)
        if r >= TARGET_E2E:
            result += f"; goal {GOAL_E2E}x " + verdict(r, GOAL_E2E)
        row(1, figures, r, result)
    else:
        row(1, source="e2e")

    # 2a. wiretag classify, the whole process, against its own hot loop on
    # the same model and corpus (run.sh: classify.csv and hotloop.csv).
    c = classify[0] if classify else None
    h = None
    if c:
        h = pick(hot, c["model"], CORPORA.get(c["corpus"], c["corpus"]))
    r = rate_ratio(c, h)
    if r is not None:
        row("2a", classify_figures(c, h), r,
            verdict(r, TARGET_CLASSIFY_HOT))
    else:
        row("2a", source="classify" if not c else "hotloop")

    # 2b. wiretag classify against fastText predict on the held-out
    # Reuters part (peers.sh), load timed apart for both.
    cl = peer_row(peers, "reuters", "wiretag", "wiretag classify")
    ft = peer_row(peers, "reuters", "fasttext", "fasttext predict")
    r = rate_ratio(cl, ft, "predict_docs_per_s")
    if r is not None:
        m = meta.get("reuters", {})
        part = held_out(m, "Reuters train")
        labels = (f", wiretag's model {m['labels_train']} of the 90 "
                  f"topics (those in its training part)"
                  if m.get("labels_train") else "")
        figures = (f"`wiretag classify` **{fmt_int(cl['predict_docs_per_s'])} "
                   f"docs/s**, `fasttext predict` "
                   f"{fmt_int(ft['predict_docs_per_s'])} docs/s, on {part}"
                   f"{labels}; start-up and model load timed apart "
                   f"({num(cl.get('load_s')):.3f} s and "
                   f"{num(ft.get('load_s')):.3f} s)")
        row("2b", figures, r, verdict(r, TARGET_CLASSIFY_FT))
    else:
        row("2b", source="peers")

    # 3. the hot loop against the fixed baseline.
    b = pick(base, BASELINE["model"], "Reuters-21578 train") or pick(
        hot, BASELINE["model"], "Reuters-21578 train")
    if b and num(b.get("articles_per_s")) > 0:
        r = num(b["articles_per_s"]) / BASELINE["articles_per_s"]
        figures = (f"**{fmt_int(b['articles_per_s'])} articles/s** "
                   f"({num(b['mb_per_s']):.0f} MB/s, "
                   f"{num(b['ns_per_token']):.0f} ns/token); before: "
                   f"{fmt_int(BASELINE['articles_per_s'])} articles/s "
                   f"({BASELINE['mb_per_s']:.0f} MB/s, "
                   f"{BASELINE['ns_per_token']:.0f} ns/token, "
                   f"{BASELINE['date']}, a constant in bench/report.py)")
        cpu = machine_field(machine, "cpu")
        cores = machine_field(machine, "cores")
        if cpu != BASELINE["cpu"] or cores != str(BASELINE["cores"]):
            figures += (f"; the before figure is from a "
                        f"{BASELINE['cores']}-core {BASELINE['cpu']}, not "
                        f"this machine, so the ratio compares machines too")
        row(3, figures, r, verdict(r, TARGET_BASELINE))
    else:
        row(3, source="baseline")

    # 4. wiretag against Vowpal Wabbit on AG News (peers.sh), the pairing
    # of peers.md: wiretag-bench at the same parallelism over vw -t.
    wb = peer_row(peers, "agnews", "wiretag", "wiretag-bench")
    wc = peer_row(peers, "agnews", "wiretag", "wiretag classify")
    vw = peer_row(peers, "agnews", "vowpal wabbit", "vw -t")
    r = rate_ratio(wb, vw, "predict_docs_per_s")
    if r is not None:
        part = held_out(meta.get("agnews", {}), "AG News test")
        figures = (f"wiretag-bench **{fmt_int(wb['predict_docs_per_s'])} "
                   f"docs/s**")
        if wc:
            rc = num(wc["predict_docs_per_s"]) / num(vw["predict_docs_per_s"])
            figures += (f" (`wiretag classify` "
                        f"{fmt_int(wc['predict_docs_per_s'])}: {rc:.2f}x)")
        figures += (f", `vw -t` {fmt_int(vw['predict_docs_per_s'])} docs/s, "
                    f"on {part}, model load apart")
        row(4, figures, r, verdict(r, TARGET_VW))
    else:
        row(4, source="peers")

    return "\n".join(
        ["| | what | measured in this run | ratio | target | result |",
         "| --- | --- | --- | ---: | --- | --- |"] + rows)


def headline(hot, base, classify, peers, scaling, e2e, meta, machine,
             missing):
    """The throughput targets as a table, then the other figures the
    benchmark's targets are about, each beside its target."""
    out = [targets_table(hot, base, classify, peers, e2e, meta, machine,
                         missing), "",
           "Each ratio is wiretag's figure over the one beside it, both from "
           "this run; the only figure not measured by it is target 3's "
           "before, a constant in bench/report.py (`BASELINE`). The "
           "sections below hold every figure in full.", ""]

    r = pick(hot, "conflict", "Reuters-21578 train")
    if r:
        out.append(
            f"- Hot loop, one thread, {r['model']} on Reuters: "
            f"**{num(r['mb_per_s']):.0f} MB/s** "
            f"({fmt_int(r['articles_per_s'])} articles/s, "
            f"{num(r['ns_per_token']):.0f} ns/token); target "
            f"{TARGET_MBPS:.0f} MB/s: "
            f"{'met' if num(r['mb_per_s']) >= TARGET_MBPS else 'not met'}"
            f" ({num(r['mb_per_s']) / TARGET_MBPS:.2f} of it).")
    r90 = pick(hot, "reuters", "Reuters-21578 train")
    if r90:
        out.append(
            f"- Hot loop, one thread, 90-label Reuters model on Reuters: "
            f"**{num(r90['mb_per_s']):.0f} MB/s** "
            f"({fmt_int(r90['articles_per_s'])} articles/s).")
    for p in peers:
        if (p.get("tool", "").lower() == "fasttext"
                and p.get("dataset") == "reuters"
                and str(p.get("threads")) == "1"
                and num(p.get("ratio_wiretag_over_tool")) > 0):
            ratio = num(p["ratio_wiretag_over_tool"])
            if r and num(p.get("predict_docs_per_s")) > 0:
                r50 = num(r["articles_per_s"]) / num(p["predict_docs_per_s"])
                out.append(
                    f"- The default model's hot loop ({r['model']}, "
                    f"{r['labels']} labels, "
                    f"on Reuters train) against fastText's Reuters predict "
                    f"rate: **{r50:.1f}x** (target {TARGET_X_FASTTEXT:.0f}x: "
                    f"{'met' if r50 >= TARGET_X_FASTTEXT else 'not met'}; "
                    f"indicative only: not the same model or labels).")
            out.append(
                f"- wiretag / fastText predict throughput, one thread, "
                f"Reuters split: **{ratio:.1f}x** (target "
                f"{TARGET_X_FASTTEXT_90:.0f}x for a 90-label model: "
                f"{'met' if ratio >= TARGET_X_FASTTEXT_90 else 'not met'}).")
            break
    allocs = max((num(r["allocs_per_article"]) for r in hot), default=None)
    if allocs is not None:
        out.append(
            f"- Allocations per article in the timed repetitions, every "
            f"model, corpus and thread count: **{allocs:g}** "
            f"(malloc/calloc/realloc counted by wrapping them at link "
            f"time).")
    for label, rows in [("this machine", hot)] + (
            [(f"{scaling[0]} cores ({scaling[3]})", scaling[1])]
            if scaling else []):
        eff = [(int(r["threads"]), num(r["speedup"]) / int(r["threads"]))
               for r in rows if r["corpus_desc"] == "Reuters-21578 train"
               and r["model"].startswith("conflict")
               and int(r["threads"]) > 1]
        if eff:
            worst = min(e for _, e in eff)
            desc = ", ".join(f"{t}: {e:.2f}" for t, e in sorted(eff))
            note = ""
            if max(e for _, e in eff) > 1.05:
                note = (" Above 1, most likely because every core brings "
                        "its own L2 "
                        "cache, so the model's rows and the vocabulary "
                        "bitmap spread over more cache; on a shared virtual "
                        "machine the single-thread figure is also the "
                        "noisiest (see the spread column).")
            out.append(
                f"- Scaling efficiency (speed-up / threads), {label}: "
                f"{desc}; target {TARGET_SCALING}: "
                f"{'met' if worst >= TARGET_SCALING else 'not met'}.{note}")
    return "\n".join(out)


PIECES = [("setup", "install and build"), ("hotloop", "hot loop"),
          ("classify", "`wiretag classify`"), ("peers", "peers"),
          ("e2e", "end to end")]


def run_length(run):
    """How long the run took, from run.txt; empty when not recorded."""
    total = num(run.get("total"), None)
    if total is None:
        return ""

    def minutes(s):
        if s < 60:
            return f"{s:.0f} s"
        return f"{s / 60:.0f} min" if s >= 600 else f"{s / 60:.1f} min"

    parts = []
    for key, name in PIECES:
        v = run.get(key)
        if v == "skipped":
            parts.append(f"{name} skipped")
        elif v is not None:
            parts.append(f"{name} {minutes(num(v))}")
    kind = "This `--quick` run" if run.get("quick") else "This run"
    return (f" {kind} took {minutes(total)} on the machine below ("
            + ", ".join(parts) + ").")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="bench/run.sh's --out")
    ap.add_argument("--dest", required=True,
                    help="folder of RESULTS.md (bench for the real one)")
    args = ap.parse_args()

    plotdir = RESULTS if os.path.abspath(args.dest) == HERE else args.dest
    os.makedirs(plotdir, exist_ok=True)
    out = args.out

    def path(name):
        return os.path.join(out, name)

    # What a --skip option left out is not this run's, even where an
    # earlier run's files are still in --out.
    run = read_run(path("run.txt"))
    skipped = {k for k, v in run.items() if v == "skipped"}
    missing = {}
    for piece, flag in [("peers", "--skip-peers"), ("e2e", "--skip-e2e")]:
        if piece in skipped:
            missing[piece] = f"left out: `bench/run.sh {flag}`"
    for piece, name in [("hotloop", "hotloop.csv"),
                        ("baseline", "hotloop-baseline.csv"),
                        ("classify", "classify.csv"),
                        ("peers", "peers.csv"), ("e2e", "e2e.csv")]:
        if piece not in missing and not os.path.exists(path(name)):
            missing[piece] = f"no `{name}` in the results"

    machine = read_text(path("machine.txt")) or "(unknown)"
    hot = describe_corpora(read_csv(path("hotloop.csv")))
    base = describe_corpora(read_csv(path("hotloop-baseline.csv")))
    classify = read_csv(path("classify.csv"))
    peers, peers_md, e2e, e2e_md = [], None, [], None
    if "peers" not in skipped:
        peers = read_csv(path("peers.csv"))
        peers_md = read_text(path("peers.md"))
    if "e2e" not in skipped:
        e2e = read_csv(path("e2e.csv"))
        e2e_md = read_text(path("e2e.md"))
    meta = {}
    if "peers" not in skipped:
        for ds in ["reuters", "agnews"]:
            meta[ds] = read_json(os.path.join(out, ds, "meta.json"))
    scaling = load_scaling()

    # Keep the data behind the published figures beside them.
    for name, piece in [("hotloop.csv", None),
                        ("hotloop-baseline.csv", None),
                        ("classify.csv", None), ("peers.csv", "peers"),
                        ("e2e.csv", "e2e"), ("machine.txt", None),
                        ("run.txt", None)]:
        src = path(name)
        if (os.path.exists(src) and plotdir == RESULTS
                and piece not in skipped):
            shutil.copy(src, os.path.join(RESULTS, name))

    threads_png = plot_threads(
        plotdir, hot, scaling,
        None if "peers" in skipped else path("peers-threads.dat"))
    lag_png = plot_lag(plotdir,
                       None if "e2e" in skipped else path("e2e-lag.dat"))
    rel = os.path.relpath(plotdir, args.dest)

    md = []
    md.append("# wiretag benchmark results\n")
    md.append("Regenerated by `bash bench/run.sh` (`--quick` for a smoke "
              "run). Every figure below is one this command measured on "
              "the machine described; the CSVs beside the plots in "
              "`bench/results/` hold the raw rows." + run_length(run) + "\n")
    md.append("## Machine\n")
    md.append("```\n" + machine + "\n```\n")
    md.append("## Headline\n")
    md.append(headline(hot, base, classify, peers, scaling, e2e, meta,
                       machine, missing))
    md.append("")
    if threads_png:
        md.append(f"![throughput against threads]({rel}/{threads_png})\n")

    md.append("## Hot loop: wiretag-bench\n")
    md.append("`wiretag-bench` loads a model and a corpus (JSON parsed "
              "before timing), warms every thread's scratch with one pass, "
              "then times `wt_classify()`, the call `wiretag classify` and "
              "`wiretag run` make per article. A repetition is the corpus "
              "classified enough times to last at least a second on one "
              "thread; figures are the median of the repetitions, "
              "\"spread\" is (slowest - fastest) / median. MB are 10^6 "
              "bytes of title and text. p50/p99 are per-article latencies "
              "of the last repetition. conflict-v2 (the default model) and "
              "reuters-90 (fixed C = 16, no CV) score per article.\n")
    if hot:
        md.append(hotloop_table(hot) + "\n")
    else:
        md.append("(not run)\n")
    if base:
        md.append(f"{BASELINE['model']}, the model the hot loop's before "
                  f"figure ({fmt_int(BASELINE['articles_per_s'])} "
                  f"articles/s on {BASELINE['date']}) was measured with, "
                  f"on the same corpus with one thread, in this run:\n")
        md.append(hotloop_table(base) + "\n")
    for c in classify:
        md.append(f"`wiretag classify -m {c['model']}` as a user runs it "
                  f"(start-up, model load, reading, classifying, writing "
                  f"to /dev/null) on "
                  f"{CORPORA.get(c['corpus'], c['corpus'])}, "
                  f"{fmt_int(c['articles'])} articles, "
                  f"{num(c['bytes']) / 1e6:.1f} MB of JSON: median "
                  f"{num(c['median_s']):.3f} s, best "
                  f"{num(c['best_s']):.3f} s of {c['runs']} runs after an "
                  f"untimed one; **{fmt_int(c['articles_per_s'])} "
                  f"articles/s**, {num(c['mb_per_s']):.1f} MB/s of "
                  f"JSON.\n")
    if scaling:
        md.append(f"### Thread scaling on {scaling[0]} cores\n")
        md.append(f"From `bench/scaling.sh` (`bench/results/{scaling[4]}`), "
                  "on:\n")
        md.append("```\n" + scaling[2] + "\n```\n")
        md.append(hotloop_table(scaling[1]) + "\n")
        ba = before_after(scaling[0])
        if ba:
            md.append(ba + "\n")

    md.append("## Peers: fastText, Vowpal Wabbit, scikit-learn, liblinear\n")
    md.append(peers_md or "(not run: bench/run.sh --skip-peers)")
    md.append("")
    md.append("## End to end, with the real broker\n")
    md.append(e2e_md or "(not run: bench/run.sh --skip-e2e)")
    md.append("")
    if lag_png:
        md.append(f"![consumer lag]({rel}/{lag_png})\n")

    path = os.path.join(args.dest, "RESULTS.md")
    with open(path, "w") as f:
        f.write("\n".join(md).rstrip() + "\n")
    print(f"report.py: wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
