#!/usr/bin/env bash
# The README quickstart, `bash pipeline/demo.sh`, on the test broker
# (WT_KAFKA_PORT/WT_KAFKA_DATA of the fixture; WT_DEMO_KEEP_BROKER=1 so the
# demo leaves the fixture's broker running). Its output must show the
# sample article labeled military_action and diplomacy (and in both route
# topics) and the bad message in the dead-letter topic with
# wiretag-error=json.
#
# demo.sh builds the project into SOURCE_DIR/build itself (a full build
# the first time).
#
#   run_quickstart.sh WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
source "$(dirname "$0")/lib.sh"
wt_init quickstart "$@"

t0=$(now_ms)
rc=0
WT_DEMO_KEEP_BROKER=1 WT_KAFKA_PORT=$PORT timeout 540 bash "$SRC/pipeline/demo.sh" \
  >"$WORK/demo.out" 2>&1 || rc=$?
ms=$(($(now_ms) - t0))
check "bash pipeline/demo.sh: exit status 0 (got $rc after ${ms} ms; 124: hung)" [ "$rc" -eq 0 ]
sed 's/^/  demo: /' "$WORK/demo.out" | cut -c1-200

# Drop the demo's topics (one set per run) from the shared test broker.
run_topic=$(sed -n 's/^produced [0-9]* messages to \(articles\.demo-[0-9-]*\)$/\1/p' "$WORK/demo.out")
if [ -n "$run_topic" ]; then
  run_id=${run_topic#articles.}
  for t in "$run_topic" articles.labeled.$run_id articles.dlq.$run_id \
    articles.military_action.$run_id articles.diplomacy.$run_id articles.militancy.$run_id; do
    WT_TOPICS+=("$t")
  done
fi

check "the fixture's broker still serves after the demo (WT_DEMO_KEEP_BROKER=1)" \
  eval "timeout 15 kcat -L -b $BOOTSTRAP -m 5 >/dev/null 2>&1"

if [ -f "$SHARED/samples/pakistan-iran.json" ]; then
  sample=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$SHARED/samples/pakistan-iran.json")
  want_sample=1
else
  echo "# $SHARED/samples/pakistan-iran.json absent: the demo runs on tests/fixtures only"
  sample=fx-3
  want_sample=0
fi

python3 - "$WORK/demo.out" "$sample" "$want_sample" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
sample, want_sample = sys.argv[2], sys.argv[3] == "1"
fails = 0
def check(cond, desc, extra=""):
    global fails
    print("%s - %s%s" % ("ok" if cond else "not ok", desc, "" if cond else extra))
    fails += 0 if cond else 1

# Sections: "== TOPIC (...) ==" or "== TOPIC ==", then indented lines.
sections, cur = {}, None
for line in text.splitlines():
    m = re.match(r"^== (\S+)(?: \(.*\))? ==$", line)
    if m:
        cur = m.group(1)
        sections[cur] = []
    elif cur and line.startswith("  "):
        sections[cur].append(line.strip())
def find(prefix):
    return [k for k in sections if k.startswith(prefix)]

lab = find("articles.labeled")
check(len(lab) == 1, "demo prints one labeled topic", " (%s)" % sorted(sections))
rows = {}
for l in sections.get(lab[0] if lab else "", []):
    parts = l.split(None, 1)
    rows.setdefault(parts[0], []).append(parts[1] if len(parts) > 1 else "")
check(sample in rows and len(rows[sample]) == 1,
      "labeled topic lists %s once" % sample, " (%s)" % rows.get(sample))
labels = dict(re.findall(r"(\w+) ([0-9.]+)", rows.get(sample, [""])[0]))
if want_sample:
    for l in ("military_action", "diplomacy"):
        check(l in labels, "%s is labeled %s (%s)" % (sample, l, rows.get(sample, [""])[0]))
else:
    check("militancy" in labels, "%s is labeled militancy" % sample)
check(all(k.startswith("fx-") or k == sample for k in rows) and
      all(("fx-%d" % i) in rows for i in range(1, 6)),
      "labeled topic lists the five fixtures and nothing else", " (%s)" % sorted(rows))
for route in (("military_action", "diplomacy") if want_sample else ("militancy",)):
    t = find("articles.%s" % route)
    keys = sections.get(t[0], []) if t else []
    check(sample in keys, "route topic articles.%s lists %s" % (route, sample), " (%s)" % keys)
dlq = find("articles.dlq")
dl = sections.get(dlq[0], []) if dlq else []
check(len(dl) == 1 and dl[0].startswith("bad-1:") and "wiretag-error=json" in dl[0],
      "dlq lists bad-1 once, with wiretag-error=json", " (%s)" % dl)
check(re.search(r"wiretag run: .* INFO +stopped$", text, re.M) is not None,
      "wiretag run stopped cleanly ('stopped' logged)")
check(re.search(r"wiretag run: .* ERROR ", text) is None, "wiretag run logged no ERROR")
sys.exit(fails)
PY
check "demo output: all checks pass" [ $? -eq 0 ]
wt_finish
