#!/usr/bin/env bash
# End-to-end check of broker.sh with Debian's librdkafka clients (kcat):
# start, create a 3-partition topic, produce 10 messages, read them back,
# consume them in a consumer group (offsets committed), restart and check the
# data survived, stop. Prints start/stop timings. Uses its own data dir and
# port, so it never touches a broker you already run on the defaults.
#   bash tests/kafka/smoke.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

export WT_KAFKA_PORT=${WT_KAFKA_PORT:-19192}
export WT_KAFKA_DATA
WT_KAFKA_DATA=$(mktemp -d /tmp/wiretag-kafka-smoke.XXXXXX)
broker="$here/broker.sh"
bootstrap="127.0.0.1:$WT_KAFKA_PORT"
topic=smoke

trap 'bash "$broker" stop --wipe >/dev/null 2>&1 || true' EXIT

if ! command -v kcat >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q kcat >&2
fi

fail() { echo "smoke: FAIL: $*" >&2; bash "$broker" logs 40 >&2 || true; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(now)
out=$(bash "$broker" start) || fail "start"
t1=$(now)
[ "$out" = "$bootstrap" ] || fail "start printed '$out', expected $bootstrap"
bash "$broker" status || fail "status after start"
bash "$broker" start >/dev/null || fail "second start (should be a no-op)"

bash "$broker" topic "$topic" 3 || fail "topic create"
kcat -L -b "$bootstrap" -t "$topic" | grep -q "with 3 partitions" ||
  fail "topic $topic does not have 3 partitions"

seq 1 10 | sed 's/^/msg-/' | kcat -P -b "$bootstrap" -t "$topic" || fail "produce"

# -e: exit at the end of every partition, so this cannot hang on success;
# timeout bounds it if the broker misbehaves.
got=$(timeout 30 kcat -C -b "$bootstrap" -t "$topic" -o beginning -e -q | sort -V)
[ "$got" = "$(seq 1 10 | sed 's/^/msg-/')" ] || fail "consume got: $got"

# Balanced consumer group (JoinGroup/SyncGroup/OffsetCommit through the
# group coordinator, i.e. __consumer_offsets must work on one broker).
n=$(timeout 30 kcat -b "$bootstrap" -G smoke-grp "$topic" -e -q \
  -X auto.offset.reset=earliest | wc -l)
[ "$n" -eq 10 ] || fail "group consume got $n messages, expected 10"
seq 11 12 | sed 's/^/msg-/' | kcat -P -b "$bootstrap" -t "$topic" || fail "produce 2"
n=$(timeout 30 kcat -b "$bootstrap" -G smoke-grp "$topic" -e -q \
  -X auto.offset.reset=earliest | wc -l)
[ "$n" -eq 2 ] || fail "group resumed with $n messages, expected 2 (offsets not committed?)"

t2=$(now)
bash "$broker" stop || fail "stop"
t3=$(now)
bash "$broker" status && fail "status says running after stop"

t4=$(now)
bash "$broker" start >/dev/null || fail "warm start"
t5=$(now)
n=$(timeout 30 kcat -C -b "$bootstrap" -t "$topic" -o beginning -e -q | wc -l)
[ "$n" -eq 12 ] || fail "after restart found $n messages, expected 12"
t6=$(now)
bash "$broker" stop --wipe || fail "stop --wipe"
t7=$(now)
[ ! -e "$WT_KAFKA_DATA" ] || fail "stop --wipe left $WT_KAFKA_DATA"

echo "smoke: OK (kcat $(kcat -V 2>&1 | grep -o "librdkafka [0-9.]*"))"
echo "smoke: first start $(secs "$t0" "$t1")s, stop $(secs "$t2" "$t3")s," \
  "warm start $(secs "$t4" "$t5")s, stop --wipe $(secs "$t6" "$t7")s"
