"""Time a command-line predictor: model load alone, and load + prediction.

Used for the peers that predict from the command line (fastText, Vowpal
Wabbit, liblinear) and for ``wiretag classify``. The command is a bash
template in which ``{input}`` stands for the file to predict on. Each
repetition runs it

- on an empty file: start-up and model load only ("load");
- on the test documents: load plus prediction ("full").

Prediction time is full - load, so model loading, which for some peers is
most of a short run, is reported apart. When one pass
over the test part is too short to time against the load noise, the test
file is repeated M times (the same documents again; M is in the result)
until prediction takes about ``--target`` seconds. Each repetition runs load and full back to back and the prediction time is
the median of the per-repetition differences.

With ``--procs N`` the test part is cut into N contiguous shards and N
processes run at once, one per shard; the rate is then the combined rate
of N single-threaded processes (labelled "N processes" in the report).
"""

import argparse
import math
import os
import subprocess
import time

from common import median, write_json


def run_all(template, inputs):
    """Run the command once per input, all at once; return the wall time."""
    start = time.perf_counter()
    procs = [subprocess.Popen(["bash", "-c", template.format(input=path)],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
             for path in inputs]
    errors = []
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            errors.append(err.decode("utf-8", "replace")[-2000:])
    wall = time.perf_counter() - start
    if errors:
        raise SystemExit("timecmd.py: command failed: %s\n%s" %
                         (template, errors[0]))
    return wall


def write_shards(lines, n, repeat, workdir, stem):
    """Write n contiguous shards of the lines, each repeated; return paths."""
    paths = []
    per = int(math.ceil(len(lines) / n))
    for i in range(n):
        chunk = "".join(lines[i * per:(i + 1) * per])
        path = os.path.join(workdir, "%s.p%d.s%d.x%d" % (stem, n, i, repeat))
        with open(path, "w", encoding="utf-8") as fp:
            for _ in range(repeat):
                fp.write(chunk)
        paths.append(path)
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cmd", required=True,
                    help="bash command template with {input}")
    ap.add_argument("--input", required=True, help="test file (line-based)")
    ap.add_argument("--docs", type=int, required=True,
                    help="documents in --input")
    ap.add_argument("--bytes", type=int, required=True,
                    help="article bytes (title + text) in --input")
    ap.add_argument("--procs", type=int, default=1,
                    help="concurrent processes on shards (1)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions (3)")
    ap.add_argument("--target", type=float, default=1.0,
                    help="seconds of prediction per repetition (1.0)")
    ap.add_argument("--max-bytes", type=int, default=256 << 20,
                    help="largest repeated test file (256 MiB)")
    ap.add_argument("--workdir", required=True, help="folder for temp files")
    ap.add_argument("--out", required=True, help="JSON result file")
    args = ap.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    with open(args.input, encoding="utf-8") as fp:
        lines = fp.readlines()
    size = max(1, os.path.getsize(args.input))
    stem = os.path.basename(args.input)
    empty = os.path.join(args.workdir, "empty")
    open(empty, "w").close()

    empties = [empty] * args.procs
    load = run_all(args.cmd, empties)
    target = args.target

    # Find the repeat count M that makes prediction last about `target`.
    repeat = 1
    max_repeat = max(1, args.max_bytes // size)
    while True:
        paths = write_shards(lines, args.procs, repeat, args.workdir, stem)
        first = run_all(args.cmd, paths)
        est = first - load
        if est >= 0.8 * target or repeat >= max_repeat:
            break
        for p in paths:
            os.unlink(p)
        grow = target / est if est > 0.005 else 16.0
        repeat = min(max_repeat, max(repeat * 2,
                                     int(math.ceil(repeat * grow * 1.1))))

    # Each repetition times a load-only run and a full run back to back, so
    # both see the same machine; prediction is the median difference.
    loads, fulls = [], []
    for _ in range(args.reps):
        loads.append(run_all(args.cmd, empties))
        fulls.append(run_all(args.cmd, paths))
    for p in paths:
        os.unlink(p)
    load = median(loads)
    predicts = [f - l for f, l in zip(fulls, loads)]
    predict = median(predicts)
    docs = args.docs * repeat
    write_json(args.out, {
        "procs": args.procs,
        "reps": args.reps,
        "repeat": repeat,
        "load_s": load,
        "load_runs_s": loads,
        "full_runs_s": fulls,
        "predict_runs_s": predicts,
        "predict_s": predict,
        "docs_per_s": docs / predict if predict > 0 else None,
        "mb_per_s": args.bytes * repeat / predict / 1e6 if predict > 0
        else None,
    })


if __name__ == "__main__":
    main()
