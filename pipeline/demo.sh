#!/usr/bin/env bash
# The main job, as far as it goes today: installs what is missing, builds
# wiretag, and runs the default model over sample articles, printing each
# article's tags. (The Kafka stream processor will take this place.)
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

model=models/conflict-v1.wtm
build/wiretag model info "$model" | head -3
samples=../shared/data/samples/pakistan-iran.json
if [ ! -f "$samples" ]; then
  echo "wiretag: $samples not found (../shared/data is absent); using tests/fixtures" >&2
  samples=tests/fixtures/articles.jsonl
fi
echo
echo "== $samples =="
build/wiretag classify -m "$model" --explain 3 "$samples" |
  python3 -c '
import json, sys
for line in sys.stdin:
    a = json.loads(line)
    w = a["wiretag"]
    print("%s\n  %s" % (a.get("title") or a.get("text", "")[:80], a.get("id", "")))
    for t in w["labels"]:
        why = ", ".join(e["ngram"] for e in t.get("explain", []))
        print("  %-16s %.3f   (%s)" % (t["label"], t["score"], why))
    if not w["labels"]:
        print("  (no tag)")
'
