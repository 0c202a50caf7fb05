#!/usr/bin/env bash
# wiretag - cli_test.sh: end-to-end tests of the `wiretag` command.
#
# Usage: cli_test.sh WIRETAG FIXTURES_DIR [SHARED_DATA_DIR]
#
# train on the fixtures -> model info (text, --json) -> eval (--json keys)
# -> classify (file, stdin, bad lines, document mode, --explain,
# --max-bytes) -> exit codes (--help everywhere, bad options, corrupt
# models). JSON is checked with python3 (no jq needed).
set -u

WT=${1:?usage: cli_test.sh WIRETAG FIXTURES_DIR [SHARED_DATA_DIR]}
FIX=${2:?usage: cli_test.sh WIRETAG FIXTURES_DIR [SHARED_DATA_DIR]}
export SOURCE_DATE_EPOCH=1700000000

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wiretag-cli-XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

failures=0
checks=0

fail() {
        echo "FAIL: $*" >&2
        failures=$((failures + 1))
}

ok() {
        checks=$((checks + 1))
}

# run NAME CMD...: run a command, stdout -> $TMP/NAME.out, stderr ->
# $TMP/NAME.err, exit status -> $RC.
run() {
        local name=$1
        shift
        "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
        RC=$?
}

# expect_rc WANT NAME CMD...
expect_rc() {
        local want=$1 name=$2
        shift 2
        run "$name" "$@"
        if [ "$RC" -ne "$want" ]; then
                fail "$name: exit status $RC, expected $want ($*)"
                sed 's/^/    stderr: /' "$TMP/$name.err" | head -20 >&2
        else
                ok
        fi
}

# expect_grep NAME FILE PATTERN: FILE (out|err) of NAME contains PATTERN.
expect_grep() {
        local name=$1 which=$2 pat=$3
        if grep -q -- "$pat" "$TMP/$name.$which"; then
                ok
        else
                fail "$name: std$which lacks \"$pat\""
                sed 's/^/    /' "$TMP/$name.$which" | head -20 >&2
        fi
}

# pycheck NAME SCRIPT ARGS...: a python3 check; the script exits non-zero
# (printing why) on failure.
HAVE_PY=1
command -v python3 >/dev/null 2>&1 || HAVE_PY=0
pycheck() {
        local name=$1 script=$2
        shift 2
        if [ "$HAVE_PY" -eq 0 ]; then
                echo "note: python3 not found, JSON check $name skipped" >&2
                return
        fi
        if python3 -c "$script" "$@" >"$TMP/py.out" 2>&1; then
                ok
        else
                fail "$name: $(tail -n 1 "$TMP/py.out")"
        fi
}

# ------------------------------------------------------------ help, usage

expect_rc 0 help "$WT" --help
expect_grep help out "Usage: wiretag"
expect_rc 0 help2 "$WT" help
expect_rc 0 version "$WT" version
expect_grep version out "^wiretag [0-9]"
for cmd in classify eval train model; do
        expect_rc 0 "help_$cmd" "$WT" "$cmd" --help
        expect_grep "help_$cmd" out "Usage: wiretag $cmd"
        expect_rc 0 "help_h_$cmd" "$WT" "$cmd" -h
done
expect_rc 0 help_model_info "$WT" model info --help
expect_grep help_model_info out "Usage: wiretag model info"

expect_rc 2 noargs "$WT"
expect_rc 2 badcmd "$WT" frobnicate
expect_grep badcmd err "unknown command"
for cmd in classify eval train; do
        expect_rc 2 "badopt_$cmd" "$WT" "$cmd" --no-such-option
done
expect_rc 2 badopt_model "$WT" model info "$TMP/x.wtm" --no-such-option
expect_rc 2 badsub_model "$WT" model frob
expect_rc 2 model_nopath "$WT" model info
expect_rc 2 classify_nomodel "$WT" classify "$FIX/single3.jsonl"
expect_rc 2 classify_twofiles "$WT" classify -m "$TMP/x.wtm" a b
expect_rc 2 classify_explain0 "$WT" classify -m "$TMP/x.wtm" --explain 0
expect_rc 2 eval_nofile "$WT" eval -m "$TMP/x.wtm"
expect_rc 2 train_noout "$WT" train --data "$FIX/single3.jsonl"
expect_rc 2 train_nodata "$WT" train --out "$TMP/x.wtm"
expect_rc 2 train_cv1 "$WT" train --data "$FIX/single3.jsonl" \
        --out "$TMP/x.wtm" --cv 1
expect_rc 2 train_bits "$WT" train --data "$FIX/single3.jsonl" \
        --out "$TMP/x.wtm" --bits 99
expect_grep train_bits err "bits"
expect_rc 2 train_ngrams "$WT" train --data "$FIX/single3.jsonl" \
        --out "$TMP/x.wtm" --ngrams 0
expect_rc 2 train_solver "$WT" train --data "$FIX/single3.jsonl" \
        --out "$TMP/x.wtm" --solver cnn
expect_rc 2 train_C "$WT" train --data "$FIX/single3.jsonl" \
        --out "$TMP/x.wtm" --C -1
expect_rc 2 train_grid "$WT" train --data "$FIX/single3.jsonl" \
        --out "$TMP/x.wtm" --C-grid 1,x
expect_rc 2 train_fields "$WT" train --data "$FIX/single3.jsonl" \
        --out "$TMP/x.wtm" --fields "a,,b"
expect_rc 2 train_extra "$WT" train --data "$FIX/single3.jsonl" \
        --out "$TMP/x.wtm" stray
[ -e "$TMP/x.wtm" ] && fail "a failed train wrote $TMP/x.wtm" || ok

# ------------------------------------------------------------------ train

S3="$TMP/single3.wtm"
expect_rc 0 train_s3 "$WT" train --data "$FIX/single3.jsonl" --out "$S3" \
        --cv 3 --threads 2 --min-df 1 -q
[ -s "$S3" ] && ok || fail "train did not write $S3"

# Not quiet: a summary on stderr, nothing on stdout.
PM="$TMP/partial.wtm"
expect_rc 0 train_spec "$WT" train --spec "$FIX/partial/spec.json" \
        --out "$PM" --threads 2
expect_grep train_spec err "wrote $PM"
expect_grep train_spec err "micro-F1"
[ -s "$TMP/train_spec.out" ] && fail "train wrote to stdout" || ok

# Training is reproducible: same options, same bytes.
expect_rc 0 train_spec2 "$WT" train --spec "$FIX/partial/spec.json" \
        --out "$TMP/partial2.wtm" --threads 1 -q --name partial-test
cmp -s "$PM" "$TMP/partial2.wtm" && ok ||
        fail "two trainings of the same spec differ"

# Training errors: missing data file -> 3 naming it.
expect_rc 3 train_missing "$WT" train --data "$TMP/none.jsonl" \
        --out "$TMP/y.wtm" -q
expect_grep train_missing err "$TMP/none.jsonl"
printf '{"text": "a b", "labels": ["x"]}\n{"text": "c d", "labels": 5}\n' \
        >"$TMP/badlabels.jsonl"
expect_rc 3 train_badlabels "$WT" train --data "$TMP/badlabels.jsonl" \
        --out "$TMP/y.wtm" -q --cv 0 --min-df 1
expect_grep train_badlabels err "badlabels.jsonl:2"

# -------------------------------------------------------------- model info

expect_rc 0 info "$WT" model info "$S3"
expect_grep info out "^model  *single3"
expect_grep info out "^model_id  *[0-9a-f]\{16\}"
expect_grep info out "single-label"
expect_grep info out "sport"
expect_grep info out "weather"
expect_grep info out "markets"
expect_grep info out "cross-validated"

expect_rc 0 info_json "$WT" model info "$S3" --json
pycheck info_json '
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("name", "model_id", "format_version", "nfeatures", "features",
          "labels", "multilabel", "training"):
    assert k in d, "model info --json lacks " + k
assert d["name"] == "single3", d["name"]
assert d["multilabel"] is False
assert len(d["model_id"]) == 16
names = sorted(l["name"] for l in d["labels"])
assert names == ["markets", "sport", "weather"], names
assert d["training"]["docs"] == 60
assert d["training"]["cv"]["accuracy"] >= 0.9, d["training"]["cv"]
' "$TMP/info_json.out"

expect_rc 0 info_json_partial "$WT" model info --json "$PM"
pycheck info_json_partial '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["multilabel"] is True
src = {s["name"]: s["labels"] for s in d["training"]["sources"]}
assert sorted(src["A"]) == ["x", "y"], src
assert src["B"] == ["z"], src
pool = {l["name"]: l["pooling"] for l in d["labels"]}
assert pool == {"x": "doc", "y": "doc", "z": "sentence_max"}, pool
' "$TMP/info_json_partial.out"

# ------------------------------------------------------------------- eval

expect_rc 0 eval_json "$WT" eval -m "$S3" "$FIX/single3.jsonl" --json
pycheck eval_json '
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("docs", "micro_f1", "macro_f1", "example_f1", "accuracy",
          "per_label"):
    assert k in d, "eval --json lacks " + k
assert d["docs"] == 60, d["docs"]
assert d["accuracy"] >= 0.95, d
for k in ("micro_f1", "macro_f1", "example_f1", "accuracy"):
    assert 0.0 <= d[k] <= 1.0, (k, d[k])
assert sorted(d["per_label"]) == ["markets", "sport", "weather"]
for l, s in d["per_label"].items():
    for k in ("precision", "recall", "f1", "support"):
        assert k in s, (l, k)
assert sum(s["support"] for s in d["per_label"].values()) == 60
' "$TMP/eval_json.out"

expect_rc 0 eval_text "$WT" eval -m "$S3" "$FIX/single3.jsonl"
expect_grep eval_text out "micro-F1"
expect_grep eval_text out "accuracy"
expect_grep eval_text out "^docs 60"

# A multi-label model: accuracy is null; --labels restricts the scores.
expect_rc 0 eval_multi "$WT" eval -m "$PM" "$FIX/partial/a.jsonl" --json \
        --labels x,y
pycheck eval_multi '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["accuracy"] is None
assert sorted(d["per_label"]) == ["x", "y"], d["per_label"]
' "$TMP/eval_multi.out"
expect_rc 2 eval_badlabel "$WT" eval -m "$PM" "$FIX/partial/a.jsonl" \
        --labels x,nope
expect_grep eval_badlabel err "nope"

# --by FIELD: the same report for each value of a record's field. A mixed
# file from single3.jsonl: two records without the field, one with a
# number, the rest alternately "A" and "B". Each group must score exactly
# as that group alone does, and the groups must add up to the whole.
python3 - "$FIX/single3.jsonl" "$TMP" <<'EOF'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
with open(sys.argv[2] + "/mixed.jsonl", "w") as mixed, \
        open(sys.argv[2] + "/only_a.jsonl", "w") as only_a:
    for i, d in enumerate(docs):
        src = None if i < 2 else 7 if i == 2 else "AB"[i % 2]
        if src is not None:
            d = dict(d, source=src)
        mixed.write(json.dumps(d) + "\n")
        if src == "A":
            only_a.write(json.dumps(d) + "\n")
EOF
expect_rc 0 eval_by "$WT" eval -m "$S3" "$TMP/mixed.jsonl" --by source --json
expect_rc 0 eval_only_a "$WT" eval -m "$S3" "$TMP/only_a.jsonl" --json
pycheck eval_by '
import json, sys
d = json.load(open(sys.argv[1]))
a = json.load(open(sys.argv[2]))
g = d["groups"]
assert d["by"] == "source", d["by"]
assert list(g) == ["(none)", "7", "B", "A"], list(g)
assert d["per_label"]["sport"]["tp"] > 0, d["per_label"]
assert g["(none)"]["docs"] == 2 and g["7"]["docs"] == 1, g
assert sum(x["docs"] for x in g.values()) == d["docs"]
for lab, s in d["per_label"].items():
    for k in ("tp", "fp", "fn", "support"):
        assert sum(x["per_label"][lab][k] for x in g.values()) == s[k], \
            (lab, k)
assert g["A"]["docs"] == a["docs"], (g["A"]["docs"], a["docs"])
for k in ("micro_f1", "macro_f1", "example_f1", "accuracy"):
    assert abs(g["A"][k] - a[k]) < 1e-9, (k, g["A"][k], a[k])
assert g["A"]["per_label"] == a["per_label"]
' "$TMP/eval_by.out" "$TMP/eval_only_a.out"
expect_rc 0 eval_by_text "$WT" eval -m "$S3" "$TMP/mixed.jsonl" --by source
expect_grep eval_by_text out "^== source = B =="
expect_grep eval_by_text out "^== source = (none) =="
expect_rc 2 eval_by_empty "$WT" eval -m "$PM" "$TMP/mixed.jsonl" --by ""
# --labels is checked before any record is read.
expect_rc 2 eval_badlabel_first "$WT" eval -m "$PM" "$TMP/no-such-file.jsonl" \
        --labels nope
expect_grep eval_badlabel_first err "nope"

# --------------------------------------------------------------- classify

IN="$TMP/in.jsonl"
cat >"$IN" <<'EOF'
{"id": "d1", "title": "Cup final", "text": "The striker scored a late goal and the fans cheered."}
{"id": "d2", "text": "Heavy rain and thunder are in the forecast, with strong wind."}

{"id": "bad", "text": "unterminated
{"id": "d3", "title": "Stocks", "text": "Shares rally as investors cheer earnings.", "extra": [1, 2]}
{"id": "d4", "text": 42}
{"id": "d5", "text": "Traders sold bonds; yields rose."}
EOF
# 5 articles parse, "bad" (line 4) is not JSON, d4 (line 6) has a number.

check_classify_out() {
        pycheck "$1" '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ids = [json.loads(l)["id"] for l in lines]
assert ids == ["d1", "d2", "d3", "d5"], ids
for l in lines:
    d = json.loads(l)
    w = d["wiretag"]
    assert set(w) == {"labels", "model", "model_id"}, w
    assert w["model"] == "single3"
    assert len(w["model_id"]) == 16
    assert len(w["labels"]) == 1, w   # single-label: exactly one
    assert set(w["labels"][0]) == {"label", "score"}
want = {"d1": "sport", "d2": "weather", "d3": "markets", "d5": "markets"}
for l in lines:
    d = json.loads(l)
    assert d["wiretag"]["labels"][0]["label"] == want[d["id"]], d
d3 = [json.loads(l) for l in lines][2]
assert d3["extra"] == [1, 2] and d3["title"] == "Stocks"   # input kept
' "$TMP/$1.out"
        pycheck "$1_err" '
import json, sys
recs = []
for l in open(sys.argv[1]).read().splitlines():
    if l.startswith("{"):
        recs.append(json.loads(l))
lines = sorted(r["line"] for r in recs)
assert lines == [4, 6], recs
for r in recs:
    assert r["error"] in ("json", "field_type"), r
    assert r["message"], r
    assert "file" in r, r
by = {r["line"]: r["error"] for r in recs}
assert by == {4: "json", 6: "field_type"}, by
' "$TMP/$1.err"
}

expect_rc 1 classify_file "$WT" classify -m "$S3" "$IN"
check_classify_out classify_file
expect_grep classify_file err "2 of 6 records failed"

# stdin, named "-" and implicit.
run classify_stdin "$WT" classify -m "$S3" - <"$IN"
[ "$RC" -eq 1 ] && ok || fail "classify - exit status $RC, expected 1"
check_classify_out classify_stdin
run classify_stdin2 "$WT" classify --model "$S3" <"$IN"
[ "$RC" -eq 1 ] && ok || fail "classify (stdin) exit status $RC, expected 1"
check_classify_out classify_stdin2

# All good: exit 0, one line per input.
grep -v -e '"bad"' -e '"d4"' "$IN" >"$TMP/good.jsonl"
expect_rc 0 classify_good "$WT" classify -m "$S3" "$TMP/good.jsonl"
[ "$(wc -l <"$TMP/classify_good.out")" -eq 4 ] && ok ||
        fail "classify_good: expected 4 output lines"
[ -s "$TMP/classify_good.err" ] && fail "classify_good wrote to stderr" || ok

# Empty input: nothing out, exit 0.
expect_rc 0 classify_empty "$WT" classify -m "$S3" /dev/null
[ -s "$TMP/classify_empty.out" ] && fail "classify of nothing printed" || ok

# One pretty-printed document (document mode).
cat >"$TMP/pretty.json" <<'EOF'
{
  "id": "pretty",
  "title": "Storm warning",
  "text": "Snow and frost tonight.\nWind and rain tomorrow."
}
EOF
expect_rc 0 classify_pretty "$WT" classify -m "$S3" "$TMP/pretty.json"
pycheck classify_pretty '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
d = json.loads(lines[0])
assert d["id"] == "pretty"
assert d["wiretag"]["labels"][0]["label"] == "weather", d
' "$TMP/classify_pretty.out"

# A multi-label model with --explain.
printf '%s\n' '{"id": "v", "text": "Volcano eruption: lava and ash from the crater. Then a football derby kickoff."}' \
        >"$TMP/volcano.jsonl"
expect_rc 0 classify_explain "$WT" classify -m "$PM" --explain 3 \
        "$TMP/volcano.jsonl"
pycheck classify_explain '
import json, sys
d = json.loads(open(sys.argv[1]).read())
labels = d["wiretag"]["labels"]
names = [l["label"] for l in labels]
assert "x" in names, labels
scores = [l["score"] for l in labels]
assert scores == sorted(scores, reverse=True), scores
for l in labels:
    ex = l["explain"]
    assert 1 <= len(ex) <= 3, l
    w = [e["weight"] for e in ex]
    assert all(x > 0 for x in w) and w == sorted(w, reverse=True), ex
    for e in ex:
        assert e["ngram"].split()[0] in d["text"].lower(), e
' "$TMP/classify_explain.out"

# --max-bytes: every record too large -> exit 1, too_large records.
expect_rc 1 classify_maxbytes "$WT" classify -m "$S3" --max-bytes 20 \
        "$TMP/good.jsonl"
expect_grep classify_maxbytes err '"error":"too_large"'
[ -s "$TMP/classify_maxbytes.out" ] && fail "too-large records printed" || ok

# ------------------------------------------------------- unusable models

# Flip one bit of the middle byte: a change whatever the byte was.
python3 -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[len(d) // 2] ^= 1
open(sys.argv[2], "wb").write(d)' "$S3" "$TMP/corrupt.wtm"
expect_rc 3 corrupt_classify "$WT" classify -m "$TMP/corrupt.wtm" "$IN"
expect_grep corrupt_classify err "$TMP/corrupt.wtm"
expect_grep corrupt_classify err "checksum"
[ -s "$TMP/corrupt_classify.out" ] && fail "classify with a corrupt model printed" || ok
expect_rc 3 corrupt_info "$WT" model info "$TMP/corrupt.wtm"
expect_grep corrupt_info err "$TMP/corrupt.wtm"
expect_rc 3 corrupt_eval "$WT" eval -m "$TMP/corrupt.wtm" "$FIX/single3.jsonl"
expect_grep corrupt_eval err "$TMP/corrupt.wtm"

head -c 100 "$S3" >"$TMP/truncated.wtm"
expect_rc 3 truncated "$WT" classify -m "$TMP/truncated.wtm" "$IN"
expect_grep truncated err "$TMP/truncated.wtm"
expect_grep truncated err "truncated"

cp "$FIX/single3.jsonl" "$TMP/notamodel.wtm"
expect_rc 3 notamodel "$WT" model info "$TMP/notamodel.wtm"
expect_grep notamodel err "not a wiretag model"

expect_rc 3 missing_model "$WT" classify -m "$TMP/nope.wtm" "$IN"
expect_grep missing_model err "$TMP/nope.wtm"
expect_rc 3 missing_input "$WT" classify -m "$S3" "$TMP/nope.jsonl"
expect_grep missing_input err "$TMP/nope.jsonl"

# ------------------------------------------- --fields and gzip input

# --fields: the text is read from other fields, as run's input.fields.
python3 -c 'import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
    for line in f:
        d = json.loads(line)
        d["headline"] = d.pop("title", "")
        d["body"] = d.pop("text")
        o.write(json.dumps(d) + "\n")' "$FIX/single3.jsonl" "$TMP/renamed.jsonl"
expect_rc 1 fields_default "$WT" classify -m "$S3" "$TMP/renamed.jsonl"
expect_grep fields_default err '"error":"field_missing"'
expect_rc 0 fields_classify "$WT" classify -m "$S3" --fields headline,body \
        "$TMP/renamed.jsonl"
[ "$(grep -c '"wiretag"' "$TMP/fields_classify.out")" -eq 60 ] && ok ||
        fail "classify --fields: not 60 records with a wiretag object"
run eval_plain "$WT" eval -m "$S3" "$FIX/single3.jsonl" --json
expect_rc 0 fields_eval "$WT" eval -m "$S3" --fields headline,body \
        "$TMP/renamed.jsonl" --json
cmp -s "$TMP/eval_plain.out" "$TMP/fields_eval.out" && ok ||
        fail "eval --fields headline,body differs from eval of the original"
expect_rc 1 fields_eval_default "$WT" eval -m "$S3" "$TMP/renamed.jsonl"
for bad in "," "a,,b" "a,a"; do
        expect_rc 2 fields_bad "$WT" classify -m "$S3" --fields "$bad" \
                "$TMP/renamed.jsonl"
        expect_grep fields_bad err "\-\-fields"
        expect_rc 2 fields_bad_eval "$WT" eval -m "$S3" --fields "$bad" \
                "$TMP/renamed.jsonl"
done

# gzip: recognised by its first bytes, whatever the name; stdin too.
gzip -c "$FIX/single3.jsonl" >"$TMP/single3.data"
run classify_plain "$WT" classify -m "$S3" "$FIX/single3.jsonl"
expect_rc 0 gz_classify "$WT" classify -m "$S3" "$TMP/single3.data"
cmp -s "$TMP/classify_plain.out" "$TMP/gz_classify.out" && ok ||
        fail "classify of gzip input differs from the plain input"
run gz_stdin sh -c '"$1" classify -m "$2" - <"$3"' sh "$WT" "$S3" \
        "$TMP/single3.data"
cmp -s "$TMP/classify_plain.out" "$TMP/gz_stdin.out" && ok ||
        fail "classify of gzip on stdin differs from the plain input"
run gz_pipe sh -c 'cat "$3" | "$1" classify -m "$2" -' sh "$WT" "$S3" \
        "$TMP/single3.data"
cmp -s "$TMP/classify_plain.out" "$TMP/gz_pipe.out" && ok ||
        fail "classify of gzip through a pipe differs from the plain input"
run plain_pipe sh -c 'cat "$3" | "$1" classify -m "$2" -' sh "$WT" "$S3" \
        "$FIX/single3.jsonl"
cmp -s "$TMP/classify_plain.out" "$TMP/plain_pipe.out" && ok ||
        fail "classify of plain input through a pipe differs"
expect_rc 0 gz_eval "$WT" eval -m "$S3" "$TMP/single3.data" --json
cmp -s "$TMP/eval_plain.out" "$TMP/gz_eval.out" && ok ||
        fail "eval of gzip input differs from the plain input"
# Corrupt and truncated gzip: exit 3, as for unreadable input, saying so.
python3 -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read())
for i in range(20, len(d) - 20):
    d[i] ^= 0x5a
open(sys.argv[2], "wb").write(d)' "$TMP/single3.data" "$TMP/corrupt.gz"
expect_rc 3 gz_corrupt "$WT" classify -m "$S3" "$TMP/corrupt.gz"
expect_grep gz_corrupt err "$TMP/corrupt.gz"
expect_grep gz_corrupt err "not a valid gzip stream (corrupt"
expect_rc 3 gz_corrupt_eval "$WT" eval -m "$S3" "$TMP/corrupt.gz"
expect_grep gz_corrupt_eval err "not a valid gzip stream"
head -c 200 "$TMP/single3.data" >"$TMP/truncated.gz"
expect_rc 3 gz_truncated "$WT" classify -m "$S3" "$TMP/truncated.gz"
expect_grep gz_truncated err "not a valid gzip stream (truncated"

# ------------------------------------------------------------------ done

echo "cli_test: $checks checks passed, $failures failed"
[ "$failures" -eq 0 ]
