#!/usr/bin/env bash
# wiretag - shared_data_test.sh: the command on real corpora.
#
# Usage: shared_data_test.sh WIRETAG FIXTURES_DIR SHARED_DATA_DIR [SOURCE_DIR]
#
# Needs ../shared/data (never in the repository); exits 77 (ctest: skipped)
# when it is absent.
#  1. CAMEO pentacode: train with 3-fold CV; the cross-validated scores are
#     sane and the model card names the data with its sha256.
#  2. SATP: train on train.jsonl, evaluate on dev.jsonl.
#  3. The default model, SOURCE_DIR/models/conflict-v2.wtm, tags the
#     sample article (two states striking militant camps in each other's
#     territory, then talking) military_action, diplomacy and militancy
#     at the thresholds it ships.
#  4. `wiretag train --spec models/conflict-v2.spec.json`, run as the
#     model card says, writes the shipped model byte for byte.
# The floors are far below the published baselines (README of the data):
# they catch a broken pipeline, not a 1-point regression.
set -u

WT=${1:?usage: shared_data_test.sh WIRETAG FIXTURES SHARED [SOURCE_DIR]}
SHARED=${3:-}
SRC=${4:-$(cd "$(dirname "$0")/../.." && pwd)}
export SOURCE_DATE_EPOCH=1700000000

if [ -z "$SHARED" ] || [ ! -d "$SHARED" ]; then
        echo "SKIP: shared data folder '${SHARED:-<unset>}' is absent" \
                "(expected at ../shared/data beside the project)"
        exit 77
fi
CAMEO="$SHARED/conflict/cameo_pentacode/train.jsonl"
SATP_TRAIN="$SHARED/conflict/satp/train.jsonl"
SATP_DEV="$SHARED/conflict/satp/dev.jsonl"
SAMPLE="$SHARED/samples/pakistan-iran.json"
for f in "$CAMEO" "$SATP_TRAIN" "$SATP_DEV" "$SAMPLE"; do
        if [ ! -r "$f" ]; then
                echo "SKIP: $f is missing from the shared data"
                exit 77
        fi
done
if ! command -v python3 >/dev/null 2>&1; then
        echo "SKIP: python3 is needed to check the JSON output"
        exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wiretag-shared-XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() {
        echo "FAIL: $*" >&2
        failures=$((failures + 1))
}
THREADS=$(nproc 2>/dev/null || echo 2)

# 1. CAMEO, 3-fold CV.
if "$WT" train --data "$CAMEO" --out "$TMP/cameo.wtm" --cv 3 \
        --threads "$THREADS" -q 2>"$TMP/cameo.err"; then
        "$WT" model info --json "$TMP/cameo.wtm" >"$TMP/cameo.json" ||
                fail "model info on the CAMEO model"
        python3 - "$TMP/cameo.json" "$CAMEO" <<'EOF' || fail "CAMEO model card"
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
t = d["training"]
assert d["multilabel"] is False, "CAMEO is single-label"
names = sorted(l["name"] for l in d["labels"])
assert names == ["make_statement", "material_conflict",
                 "material_cooperation", "verbal_conflict",
                 "verbal_cooperation"], names
assert t["docs"] == 1349, t["docs"]
sha = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert t["data"][0]["sha256"] == sha, "sha256 of the data file"
cv = t["cv"]
print("CAMEO 3-fold CV: accuracy %.3f macro-F1 %.3f" % (cv["accuracy"],
                                                        cv["macro_f1"]))
assert cv["folds"] == 3
assert cv["accuracy"] > 0.35, cv["accuracy"]
assert cv["macro_f1"] > 0.30, cv["macro_f1"]
EOF
else
        fail "training on CAMEO: $(cat "$TMP/cameo.err")"
fi

# 2. SATP: train (fixed C, no CV: keeps this test short) and score dev.
if "$WT" train --data "$SATP_TRAIN" --out "$TMP/satp.wtm" --cv 0 --C 4 \
        --threads "$THREADS" -q 2>"$TMP/satp.err"; then
        "$WT" eval -m "$TMP/satp.wtm" "$SATP_DEV" --json >"$TMP/satp.json"
        rc=$?
        [ "$rc" -eq 0 ] || fail "eval on SATP dev: exit status $rc"
        python3 - "$TMP/satp.json" <<'EOF' || fail "SATP dev scores"
import json, sys
d = json.load(open(sys.argv[1]))
print("SATP dev: docs %d micro-F1 %.3f macro-F1 %.3f example-F1 %.3f" %
      (d["docs"], d["micro_f1"], d["macro_f1"], d["example_f1"]))
assert d["docs"] == 1192, d["docs"]
assert d["failed"] == 0
assert d["accuracy"] is None, "SATP is multi-label"
assert set(d["per_label"]) == {"armed_assault", "bombing", "kidnapping",
                               "other_attack"}, d["per_label"]
assert d["micro_f1"] > 0.4, d["micro_f1"]
EOF
        # The model classifies the training file's format end to end.
        head -50 "$SATP_DEV" | "$WT" classify -m "$TMP/satp.wtm" - \
                >"$TMP/satp.out" 2>"$TMP/satp_classify.err" ||
                fail "classify SATP dev lines: $(cat "$TMP/satp_classify.err")"
        [ "$(wc -l <"$TMP/satp.out")" -eq 50 ] ||
                fail "classify: expected 50 output lines"
else
        fail "training on SATP: $(cat "$TMP/satp.err")"
fi

# 3. The default model on the sample article.
MODEL="$SRC/models/conflict-v2.wtm"
if [ ! -f "$MODEL" ]; then
        fail "$MODEL is missing"
else
        if "$WT" classify -m "$MODEL" "$SAMPLE" >"$TMP/sample.out" \
                2>"$TMP/sample.err"; then
                python3 - "$TMP/sample.out" <<'EOF' || fail "labels of the sample article"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
labels = [l["label"] for l in json.loads(lines[0])["wiretag"]["labels"]]
print("sample article:", labels)
for want in ("military_action", "diplomacy", "militancy"):
    assert want in labels, "%s missing from %s" % (want, labels)
EOF
        else
                fail "classify the sample with $MODEL: $(cat "$TMP/sample.err")"
        fi
fi

# 4. The shipped model is reproducible: train it again from its spec, with
# SOURCE_DATE_EPOCH set to its recorded creation date, from the repository
# root (the model records data paths as given), and compare the bytes.
if [ -f "$MODEL" ]; then
        created=$("$WT" model info --json "$MODEL" | python3 -c '
import calendar, json, sys, time
d = json.load(sys.stdin)["training"]["created"]
print(calendar.timegm(time.strptime(d, "%Y-%m-%dT%H:%M:%SZ")))') ||
                fail "model info on $MODEL"
        start=$(date +%s)
        if (cd "$SRC" && SOURCE_DATE_EPOCH=$created "$WT" train -q \
                --spec models/conflict-v2.spec.json --out "$TMP/v2.wtm" \
                --threads "$THREADS") 2>"$TMP/v2.err"; then
                if cmp -s "$MODEL" "$TMP/v2.wtm"; then
                        echo "conflict-v2 retrained byte for byte" \
                                "($(($(date +%s) - start)) s)"
                else
                        fail "retraining conflict-v2 from its spec gave" \
                                "different bytes: $("$WT" model info \
                                "$TMP/v2.wtm" | grep -m1 model_id)"
                fi
        else
                fail "retraining conflict-v2: $(cat "$TMP/v2.err")"
        fi
fi

if [ "$failures" -ne 0 ]; then
        echo "shared_data_test: $failures failure(s)"
        exit 1
fi
echo "shared_data_test: all passed"
