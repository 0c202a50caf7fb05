#!/usr/bin/env bash
# wiretag end-to-end benchmark on a real Kafka broker.
#
# Usage: bash bench/e2e.sh [options]
#
#   --articles N          articles in the input topic (default 1000000)
#   --partitions P        partitions of every topic (default 8)
#   --out DIR             results and logs (default bench/out)
#   --build DIR           build directory with wiretag and wt-e2e (default build)
#   --data DIR            shared labeled data (default $WT_SHARED_DATA, else
#                         ../shared/data beside the project)
#   --port PORT           port of the benchmark's own broker (default 19592;
#                         the controller takes PORT+1)
#   --workers N           wiretag workers (default: nproc)
#   --wiretag-opt K=V     extra -X option for both wiretag runs (repeatable),
#                         e.g. --wiretag-opt producer.linger.ms=20
#   --latency-seconds S   length of the measured fixed-rate feed (default 20)
#   --latency-warmup W    seconds of feed before it, left out of the
#                         percentiles (default 5)
#   --keep-broker         leave the broker and its data at the end
#   -h, --help            this help
#
# What it measures, on one machine where the broker, the clients and
# wiretag share the same cores:
#   1. load: N articles (Reuters-21578 train + AG News test + BBC train,
#      shuffled once, repeated with distinct ids "<id>-r<k>", keyed by id)
#      into a P-partition input topic, with wt-e2e load;
#   2. bare copy: a kcat consumer piped into a kcat producer, input topic to
#      a copy topic, under several client settings: the ceiling for any
#      consume-transform-produce process on this broker and machine;
#   3. wiretag run on the same input topic with a fresh group: articles/s
#      and MB/s from the partition assignment to the last committed offset,
#      the consumer lag every 0.5 s, then a clean SIGTERM stop;
#   4. latency: the same fixed-rate feed (half of wiretag's throughput, each
#      record stamped with header bench-sent-ns) once straight into a
#      consumer (the broker round trip alone) and once through wiretag,
#      whose output records keep the header; the consumer takes now - sent.
# Results: OUT/e2e.csv, OUT/e2e.md (tables for bench/RESULTS.md),
# OUT/e2e-lag.dat and OUT/e2e-latency.dat (for gnuplot); logs in
# OUT/e2e-logs. The broker's data (OUT/e2e-kafka) is deleted at the end.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
script_t0=$(date +%s%3N)

articles=1000000
partitions=8
out=$src/bench/out
build=$src/build
data=
port=19592
workers=$(nproc)
wt_opts=()
lat_seconds=20
lat_warmup=5
keep_broker=0

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
die() { echo "e2e: $*" >&2; exit 1; }
say() { echo "[$(date +%T)] e2e: $*" >&2; }

while [ $# -gt 0 ]; do
  case $1 in
    --articles) articles=${2:?--articles N}; shift 2 ;;
    --partitions) partitions=${2:?--partitions P}; shift 2 ;;
    --out) out=${2:?--out DIR}; shift 2 ;;
    --build) build=${2:?--build DIR}; shift 2 ;;
    --data) data=${2:?--data DIR}; shift 2 ;;
    --port) port=${2:?--port PORT}; shift 2 ;;
    --workers) workers=${2:?--workers N}; shift 2 ;;
    --wiretag-opt) wt_opts+=(-X "${2:?--wiretag-opt KEY=VALUE}"); shift 2 ;;
    --latency-seconds) lat_seconds=${2:?--latency-seconds S}; shift 2 ;;
    --latency-warmup) lat_warmup=${2:?--latency-warmup W}; shift 2 ;;
    --keep-broker) keep_broker=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
for v in articles partitions port workers lat_seconds; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v//_/-} wants a positive integer, not '${!v}'"
done
[[ $lat_warmup =~ ^[0-9]+$ ]] || die "--latency-warmup wants a whole number of seconds"

# ------------------------------------------------------------- helpers --

now_ms() { date +%s%3N; }
# CPU seconds (user + system) a process has used so far.
cpu_s() {
  awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' \
    "/proc/$1/stat" 2>/dev/null || echo 0
}
# CPU seconds the whole machine has been busy (every process, every core).
machine_cpu_s() {
  awk -v t="$(getconf CLK_TCK)" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / t; exit }' /proc/stat
}
# Arithmetic on decimals.
diff2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
per_s() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }
mb_per_s() { awk -v b="$1" -v ms="$2" 'BEGIN { printf "%.1f", b / 1e3 / ms }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# busy_pct MACHINE_CPU_S MS: how busy the machine was, % of all its cores.
busy_pct() { awk -v c="$1" -v ms="$2" -v n="$(nproc)" 'BEGIN { printf "%.0f", 100 * c * 1000 / ms / n }'; }
# others MACHINE_CPU_S CLIENT_CPU_S BROKER_CPU_S: CPU seconds the rest of
# the machine used meanwhile (other work on a shared machine shows here).
others() { awk -v m="$1" -v c="$2" -v b="$3" 'BEGIN { o = m - c - b; printf "%.2f", (o > 0 ? o : 0) }'; }
# iso_ms TIMESTAMP: a wiretag log timestamp (2026-01-02T03:04:05.678Z) in epoch ms.
iso_ms() { date -d "$1" +%s%3N; }
# gone PID: the process has exited (a zombie not yet waited for counts).
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]; }

# wait_until SECONDS DESCRIPTION COMMAND...: bounded wait, 0.1 s steps.
wait_until() {
  local limit=$1 desc=$2 deadline
  shift 2
  deadline=$(($(now_ms) + limit * 1000))
  until "$@"; do
    [ "$(now_ms)" -lt "$deadline" ] || { say "timed out after ${limit}s waiting for $desc"; return 1; }
    sleep 0.1
  done
}

# ------------------------------------------------------------- set up --

[ -n "$data" ] || data=${WT_SHARED_DATA:-$src/../shared/data}
corpus=("$data/reuters21578/train.jsonl" "$data/agnews/test.jsonl" "$data/bbc/train.jsonl")
for f in "${corpus[@]}"; do
  [ -r "$f" ] || die "no $f (the shared data; --data DIR)"
done
corpus_n=$(cat "${corpus[@]}" | wc -l)
command -v kcat >/dev/null || die "kcat is not installed (bash tests/install-deps.sh)"

mkdir -p "$out"
out=$(realpath "$out")
build=$(realpath -m "$build")
wiretag=$build/wiretag
wt_e2e=$build/bench/e2e/wt-e2e
wt_admin=$build/tests/stream/wt_admin
if [ ! -x "$wiretag" ] || [ ! -x "$wt_e2e" ] || [ ! -x "$wt_admin" ]; then
  say "building wiretag, wt-e2e and wt_admin in $build"
  cmake --build "$build" --target wiretag wt-e2e wt_admin >&2 ||
    die "cannot build wiretag, wt-e2e and wt_admin in $build (configure it first: cmake -S . -B $build -G Ninja)"
fi

bootstrap=127.0.0.1:$port
kafka_data=$out/e2e-kafka
logs=$out/e2e-logs
rm -rf "$logs"
mkdir -p "$logs"
rm -f "$out/e2e.csv" "$out/e2e.md" "$out/e2e-lag.dat" "$out/e2e-latency.dat"
run=e2e-$(date +%s) # topic and group prefix: a rerun never sees old offsets
broker_env=(WT_KAFKA_PORT="$port" WT_KAFKA_DATA="$kafka_data")

# Every process started here is released on every exit path, the broker
# last. Long steps run in the background and are waited for, so that a
# signal interrupts the wait at once.
broker_started=0
# descendants PID: PID's children and theirs, deepest first.
descendants() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    descendants "$c"
    echo "$c"
  done
}
cleanup() {
  local rc=$? pid left
  trap - EXIT INT TERM
  left=$(descendants $$)
  for pid in $left; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $left; do
    wait_until 5 "process $pid to exit" gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ "$broker_started" = 1 ]; then
    if [ "$keep_broker" = 1 ]; then
      say "broker left running on $bootstrap (stop it: WT_KAFKA_PORT=$port WT_KAFKA_DATA=$kafka_data tests/kafka/broker.sh stop --wipe)"
    else
      say "stopping the broker and deleting its data"
      env "${broker_env[@]}" "$src/tests/kafka/broker.sh" stop --wipe >/dev/null 2>&1 || true
    fi
  fi
  [ "$rc" -eq 0 ] || say "failed (exit $rc); logs in $logs"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

e2e() { "$wt_e2e" -b "$bootstrap" "$@"; }
# Topic administration: the stream tests' wt_admin (tests/stream).
admin() { "$wt_admin" -b "$bootstrap" "$@"; }
count() { admin -t 30 count "$1"; }
topic_visible() { count "$1" >/dev/null 2>&1; }
# topic NAME: create NAME and wait until the broker's metadata shows it
# (wiretag refuses to start on a topic it cannot see yet).
topic() {
  admin -t 30 create "$1" "$partitions" || die "cannot create topic $1"
  wait_until 30 "topic $1 in the metadata" topic_visible "$1" ||
    die "topic $1 does not show up in the metadata"
}

csv=$out/e2e.csv
echo "run,settings,articles,bytes,seconds,articles_per_s,mb_per_s,client_cpu_s,broker_cpu_s,other_cpu_s,machine_busy_pct,p50_ms,p90_ms,p99_ms,p999_ms,max_ms" >"$csv"
# csv_row RUN SETTINGS ARTICLES BYTES MS CLIENT_CPU BROKER_CPU OTHER_CPU BUSY [P50 P90 P99 P999 MAX]
csv_row() {
  local mbs=
  [ -z "$4" ] || mbs=$(mb_per_s "$4" "$5")
  printf '"%s","%s",%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$1" "$2" "$3" "$4" \
    "$(awk -v ms="$5" 'BEGIN { printf "%.3f", ms / 1000 }')" "$(per_s "$3" "$5")" "$mbs" \
    "$6" "$7" "$8" "$9" "${10:-}" "${11:-}" "${12:-}" "${13:-}" "${14:-}" >>"$csv"
}

# ------------------------------------------------------------- broker --

if env "${broker_env[@]}" "$src/tests/kafka/broker.sh" status >/dev/null 2>&1; then
  die "a broker already runs on $bootstrap with data $kafka_data; stop it first: WT_KAFKA_PORT=$port WT_KAFKA_DATA=$kafka_data tests/kafka/broker.sh stop --wipe"
fi
say "starting a Kafka broker on $bootstrap (data $kafka_data)"
broker_started=1
env "${broker_env[@]}" "$src/tests/kafka/broker.sh" start >/dev/null
broker_pid=$(cat "$kafka_data/broker.pid")
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$src/tests/kafka/pom.xml")
librdkafka_version=$(kcat -V 2>&1 | sed -n 's/.*librdkafka \([0-9.]*\).*/\1/p' | head -n 1)
kcat_version=$(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*/\1/p')

# --------------------------------------------------------------- load --

in=$run.in
topic "$in"
say "loading $articles articles into $in ($partitions partitions)"
e2e -t 300 load "$in" "$articles" "${corpus[@]}" >"$logs/load.txt" &
wait $! || die "loading the input topic failed"
read -r loaded in_bytes load_s <"$logs/load.txt"
[ "$loaded" = "$articles" ] || die "loaded $loaded articles, not $articles"
[ "$(count "$in")" = "$articles" ] || die "$in does not hold $articles messages"
load_ms=$(awk -v s="$load_s" 'BEGIN { printf "%.0f", s * 1000 }')
say "  $(mb "$in_bytes") MB in ${load_s}s: $(per_s "$articles" "$load_ms") articles/s, $(mb_per_s "$in_bytes" "$load_ms") MB/s"
csv_row load "wt-e2e load: linger.ms=50 batch.size=1000000 acks=all" "$articles" "$in_bytes" "$load_ms" "" "" "" ""

# ---------------------------------------------------------- bare copy --

# name|consumer -X options|producer -X options, for the two kcats. What is
# not set is librdkafka's default: producer linger.ms=5, batch.size=1000000,
# batch.num.messages=10000, compression none; consumer
# fetch.max.bytes=52428800, max.partition.fetch.bytes=1048576,
# fetch.wait.max.ms=500, queued.max.messages.kbytes=65536.
copy_settings=(
  "librdkafka defaults||"
  "small batches|max.partition.fetch.bytes=65536|linger.ms=0 batch.num.messages=100"
  "large batches|max.partition.fetch.bytes=8388608 queued.max.messages.kbytes=262144|linger.ms=50 batch.num.messages=100000"
  "large batches, lz4|max.partition.fetch.bytes=8388608 queued.max.messages.kbytes=262144|linger.ms=50 batch.num.messages=100000 compression.type=lz4"
)
best_copy_rate=0 best_copy_name='' default_copy_rate=0
copy_md=()
k=0
TIMEFORMAT='%U %S'
for setting in "${copy_settings[@]}"; do
  IFS='|' read -r name cons prod <<<"$setting"
  k=$((k + 1))
  copy=$run.copy$k
  topic "$copy"
  cx=() px=()
  for kv in $cons; do cx+=(-X "$kv"); done
  for kv in $prod; do px+=(-X "$kv"); done
  say "bare copy, $name: kcat -C $in | kcat -P $copy"
  b0=$(cpu_s "$broker_pid") t0=$(now_ms) m0=$(machine_cpu_s)
  # Key TAB value, one message a line: an article is one line of JSON (its
  # newlines are escaped), ids hold no tab, and kcat -P splits at the first
  # tab, so key and value arrive byte for byte (headers are not copied).
  (time { kcat -b "$bootstrap" -C -t "$in" -o beginning -e -q "${cx[@]}" -f '%k\t%s\n' |
    kcat -b "$bootstrap" -P -t "$copy" -K '\t' "${px[@]}"; }) 2>"$logs/copy$k.time" &
  wait $! || die "the kcat copy ($name) failed: $(cat "$logs/copy$k.time")"
  ms=$(($(now_ms) - t0)) m1=$(machine_cpu_s)
  broker_cpu=$(diff2 "$b0" "$(cpu_s "$broker_pid")")
  busy=$(busy_pct "$(diff2 "$m0" "$m1")" "$ms")
  got=$(count "$copy")
  [ "$got" = "$articles" ] || die "copy topic $copy holds $got messages, not $articles"
  kcat_cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$logs/copy$k.time")
  other_cpu=$(others "$(diff2 "$m0" "$m1")" "$kcat_cpu" "$broker_cpu")
  r=$(per_s "$articles" "$ms")
  say "  $(secs "$ms")s: $r articles/s, $(mb_per_s "$in_bytes" "$ms") MB/s (kcat CPU ${kcat_cpu}s, broker CPU ${broker_cpu}s, other processes ${other_cpu}s, machine ${busy}% busy)"
  csv_row "bare copy, $name" "consumer: ${cons:-defaults}; producer: ${prod:-defaults}" \
    "$articles" "$in_bytes" "$ms" "$kcat_cpu" "$broker_cpu" "$other_cpu" "$busy"
  copy_md+=("| bare copy, $name | \`${cons:-defaults}\` | \`${prod:-defaults}\` | $(secs "$ms") | $r | $(mb_per_s "$in_bytes" "$ms") | $kcat_cpu | $broker_cpu | $other_cpu | $busy |")
  if [ "$k" = 1 ]; then
    default_copy_rate=$r
    copy_us=$(awk -v c="$kcat_cpu" -v b="$broker_cpu" -v n="$articles" 'BEGIN { printf "%.1f", (c + b) * 1e6 / n }')
  fi
  if [ "$r" -gt "$best_copy_rate" ]; then
    best_copy_rate=$r best_copy_name=$name
  fi
  # The copy is not needed again; give its disk back.
  admin -t 30 delete "$copy" >/dev/null 2>&1 || true
done

# ------------------------------------------------------------ wiretag --

# wt_topics PREFIX: wiretag's output, dead-letter and route topics, and
# the options that point wiretag at them and at PREFIX.in and
# PREFIX.group (into WT_X).
wt_topics() {
  local p=$1 t
  for t in out dlq mil dip mty; do topic "$p.$t"; done
  WT_X=(-c "$src/config/wiretag.properties"
    -X "bootstrap.servers=$bootstrap"
    -X "input.topics=$p.in" -X "group.id=$p.group"
    -X "output.topic=$p.out" -X "dlq.topic=$p.dlq"
    -X "route.military_action=$p.mil" -X "route.diplomacy=$p.dip"
    -X "route.militancy=$p.mty"
    -X "workers=$workers" -X "log.stats.interval.ms=1000"
    "${wt_opts[@]}")
}
# wt_start LOG: start wiretag run "${WT_X[@]}" in the background; sets WT_PID.
wt_start() {
  "$wiretag" run "${WT_X[@]}" >"$1.out" 2>"$1" &
  WT_PID=$!
}
# wt_up PID LOG: wiretag has its partitions; dies at once, with wiretag's
# last lines, when wiretag exited instead.
wt_up() {
  grep -qs ' INFO  assigned ' "$2" && return 0
  if gone "$1"; then
    tail -n 5 "$2" >&2
    die "wiretag exited during start-up (log $2)"
  fi
  return 1
}
wait_assigned() {
  wait_until 60 "wiretag to get its partitions" wt_up "$1" "$2" ||
    die "wiretag got no partitions in 60 s (log $2)"
}
# wt_stop PID LOG: SIGTERM and a bounded wait; dies unless wiretag exits
# cleanly (status 0 and "stopped" logged).
wt_stop() {
  local pid=$1 log=$2 rc=0
  kill -TERM "$pid"
  wait_until 60 "wiretag (pid $pid) to exit after SIGTERM" gone "$pid" ||
    die "wiretag did not stop within 60 s of SIGTERM (log $log)"
  wait "$pid" || rc=$?
  [ "$rc" = 0 ] || die "wiretag exited with status $rc after SIGTERM (log $log)"
  grep -q ' INFO  stopped$' "$log" || die "wiretag exited without logging 'stopped' (log $log)"
}

# wiretag reads the loaded input topic itself: its prefix is $run.
wt_topics "$run"
wt_log=$logs/wiretag-run.log
lag_raw=$logs/lag.txt
say "wiretag run: $in -> $run.out (+ 3 route topics), group $run.group, $workers worker(s)"
# The lag monitor starts first, so the series covers wiretag's start-up.
e2e -t 540 lag "$run.group" "$in" 500 "$articles" "$run.out" >"$lag_raw" 2>"$logs/lag.err" &
lag_pid=$!
b0=$(cpu_s "$broker_pid") m0=$(machine_cpu_s) wt_t0=$(now_ms)
wt_start "$wt_log"
wt_pid=$WT_PID
wait_assigned "$wt_pid" "$wt_log"
# The monitor exits once the group has committed every article; wiretag
# exiting before that is a failure.
lag_done() {
  gone "$lag_pid" && return 0
  if gone "$wt_pid"; then
    tail -n 5 "$wt_log" >&2
    die "wiretag exited during the run (log $wt_log)"
  fi
  return 1
}
wait_until 560 "wiretag to commit every article" lag_done || die "wiretag did not commit every article in time"
wait "$lag_pid" || die "wiretag did not commit all $articles articles in time: $(tail -n 3 "$logs/lag.err") (log $wt_log)"
wt_cpu=$(cpu_s "$wt_pid")
broker_cpu=$(diff2 "$b0" "$(cpu_s "$broker_pid")")
m1=$(machine_cpu_s) t1=$(now_ms)
wt_stop "$wt_pid" "$wt_log"
say "  stopped cleanly on SIGTERM"

# The clock starts at the assignment (the first fetch follows at once) and
# stops at the lag sample whose committed offsets reach the end.
t_assigned=$(iso_ms "$(grep -m1 ' INFO  assigned ' "$wt_log" | cut -d' ' -f1)")
t_committed=$(awk -v n="$articles" '$2 >= n { print $1; exit }' "$lag_raw")
t_output=$(awk -v n="$articles" '$5 >= n { print $1; exit }' "$lag_raw")
wt_ms=$((t_committed - t_assigned))
wt_out_ms=$((${t_output:-$t_committed} - t_assigned))
wt_rate=$(per_s "$articles" "$wt_ms")
wt_out_rate=$(per_s "$articles" "$wt_out_ms")
busy=$(busy_pct "$(diff2 "$m0" "$m1")" $((t1 - wt_t0)))
other_cpu=$(others "$(diff2 "$m0" "$m1")" "$wt_cpu" "$broker_cpu")
produced=$(grep ' consumed ' "$wt_log" | tail -n 1 | sed -n 's/.* produced \([0-9]*\),.*/\1/p')
us_per_article=$(awk -v c="$wt_cpu" -v n="$articles" 'BEGIN { printf "%.1f", c * 1e6 / n }')
wt_us=$(awk -v c="$wt_cpu" -v b="$broker_cpu" -v n="$articles" 'BEGIN { printf "%.1f", (c + b) * 1e6 / n }')
say "  $(secs "$wt_ms")s to the last commit: $wt_rate articles/s, $(mb_per_s "$in_bytes" "$wt_ms") MB/s; every output record published after $(secs "$wt_out_ms")s ($wt_out_rate articles/s); wiretag CPU ${wt_cpu}s ($us_per_article us an article), broker CPU ${broker_cpu}s, other processes ${other_cpu}s, machine ${busy}% busy"
wt_settings="workers=$workers; producer linger.ms=5 acks=all idempotent; consumer defaults; auto.commit.interval.ms=1000; queue.max.messages=10000${wt_opts[*]:+; ${wt_opts[*]}}"
csv_row "wiretag run, to the last commit" "$wt_settings" "$articles" "$in_bytes" "$wt_ms" "$wt_cpu" "$broker_cpu" "$other_cpu" "$busy"
csv_row "wiretag run, to the last output record" "same run" "$articles" "$in_bytes" "$wt_out_ms" "$wt_cpu" "$broker_cpu" "$other_cpu" "$busy"

# Lag over time, from wiretag's start.
{
  echo "# wiretag run: $articles articles on $partitions partitions, $workers worker(s); assigned at $(secs $((t_assigned - wt_t0))) s"
  echo "# time_s lag committed output_records   (time_s: since wiretag started; lag: end offsets - committed)"
  awk -v t0="$wt_t0" '{ printf "%.3f %d %d %d\n", ($1 - t0) / 1000, $4, $2, $5 }' "$lag_raw"
} >"$out/e2e-lag.dat"

# ------------------------------------------------------------ latency --

lat_rate=$((wt_rate / 2))
[ "$lat_rate" -gt 0 ] || lat_rate=1
lat_n=$((lat_rate * (lat_seconds + lat_warmup)))

# latency_run NAME INPUT OUTPUT SAMPLES: feed INPUT at lat_rate for
# lat_warmup + lat_seconds while a consumer of OUTPUT measures; sets LAT
# (count p50 p90 p99 p99.9 max, over the records after the warm-up).
latency_run() {
  local name=$1 input=$2 output=$3 samples=$4 cons_pid feed
  e2e -t $((lat_seconds + lat_warmup + 120)) latency "$output" "$lat_n" "$samples" "$lat_warmup" \
    >"$logs/latency-$name.txt" 2>"$logs/latency-$name.err" &
  cons_pid=$!
  sleep 1 # the consumer has its partitions before the first record
  e2e -t $((lat_seconds + lat_warmup + 120)) rate "$input" "$lat_rate" \
    $((lat_seconds + lat_warmup)) "${corpus[@]}" >"$logs/feed-$name.txt" &
  wait $! || die "the fixed-rate feed into $input failed"
  feed=$(cat "$logs/feed-$name.txt")
  say "  fed $(cut -d' ' -f1 <<<"$feed") articles in $(cut -d' ' -f3 <<<"$feed")s"
  wait "$cons_pid" || die "the latency consumer of $output failed: $(cat "$logs/latency-$name.err")"
  read -r -a LAT <"$logs/latency-$name.txt"
  say "  p50 ${LAT[1]} ms, p99 ${LAT[3]} ms, max ${LAT[5]} ms (${LAT[0]} records after the ${lat_warmup}s warm-up)"
}

say "latency, broker alone: $lat_rate articles/s for ${lat_warmup}s + ${lat_seconds}s, feeder -> broker -> consumer"
topic "$run.raw"
latency_run raw "$run.raw" "$run.raw" "$logs/latency-raw.dat"
raw_lat=("${LAT[@]}")

say "latency through wiretag: $lat_rate articles/s for ${lat_warmup}s + ${lat_seconds}s"
wt_topics "$run.lat"
topic "$run.lat.in"
lat_log=$logs/wiretag-latency.log
wt_start "$lat_log"
lat_wt_pid=$WT_PID
wait_assigned "$lat_wt_pid" "$lat_log"
b0=$(cpu_s "$broker_pid") m0=$(machine_cpu_s) t0=$(now_ms)
latency_run wiretag "$run.lat.in" "$run.lat.out" "$out/e2e-latency.dat"
wt_lat=("${LAT[@]}")
lat_wt_cpu=$(cpu_s "$lat_wt_pid")
lat_broker_cpu=$(diff2 "$b0" "$(cpu_s "$broker_pid")")
m1=$(machine_cpu_s)
lat_busy=$(busy_pct "$(diff2 "$m0" "$m1")" $(($(now_ms) - t0)))
lat_other_cpu=$(others "$(diff2 "$m0" "$m1")" "$lat_wt_cpu" "$lat_broker_cpu")
wt_stop "$lat_wt_pid" "$lat_log"
csv_row "latency, broker alone" "rate $lat_rate/s after a ${lat_warmup}s warm-up; feeder linger.ms=5 acks=all; consumer defaults" \
  "${raw_lat[0]}" "" $((lat_seconds * 1000)) "" "" "" "" "${raw_lat[@]:1}"
csv_row "latency, through wiretag" "rate $lat_rate/s after a ${lat_warmup}s warm-up; feeder linger.ms=5 acks=all; wiretag producer linger.ms=5 acks=all; consumer defaults" \
  "${wt_lat[0]}" "" $((lat_seconds * 1000)) "$lat_wt_cpu" "$lat_broker_cpu" "$lat_other_cpu" "$lat_busy" "${wt_lat[@]:1}"

# ------------------------------------------------------------ report --

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
{
  echo "### End to end on a real broker ($(date -u +%F))"
  echo
  echo "One machine, $(nproc) cores ($cpu_model), $(free -g | awk '/^Mem:/ { print $2 }') GB: the broker, the clients and wiretag share the same cores."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| broker | Apache Kafka $kafka_version, one KRaft node (tests/kafka/broker.sh, heap 512 MB), replication 1 |"
  echo "| clients | librdkafka $librdkafka_version (wiretag, wt-e2e, kcat $kcat_version) |"
  echo "| corpus | Reuters-21578 train + AG News test + BBC train ($corpus_n articles, shuffled), repeated with distinct ids: **$articles articles, $(mb "$in_bytes") MB**, $((in_bytes / articles)) bytes on average |"
  echo "| topics | $partitions partitions each |"
  echo "| load | wt-e2e load (linger.ms=50, acks=all): $(secs "$load_ms") s, $(per_s "$articles" "$load_ms") articles/s, $(mb_per_s "$in_bytes" "$load_ms") MB/s |"
  echo "| wiretag | \`wiretag run -c config/wiretag.properties\`: model $(basename "$(sed -n 's/^model\.path=//p' config/wiretag.properties)" .wtm), $workers workers, output topic + 3 route topics ($produced records for $articles articles); producer linger.ms=5, acks=all, idempotent; consumer librdkafka defaults, auto.commit.interval.ms=1000; queue.max.messages=10000${wt_opts[*]:+; ${wt_opts[*]}} |"
  echo
  echo "| run | consumer | producer | seconds | articles/s | MB/s | client CPU s | broker CPU s | other CPU s | machine busy % |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${copy_md[@]}"
  echo "| **wiretag run**, to the last commit | wiretag's | wiretag's | $(secs "$wt_ms") | **$wt_rate** | **$(mb_per_s "$in_bytes" "$wt_ms")** | $wt_cpu | $broker_cpu | $other_cpu | $busy |"
  echo "| wiretag run, to the last output record | | | $(secs "$wt_out_ms") | $wt_out_rate | $(mb_per_s "$in_bytes" "$wt_out_ms") | | | | |"
  echo
  echo "**wiretag / bare copy: $(ratio "$wt_rate" "$best_copy_rate")x** the best copy ($best_copy_name) and $(ratio "$wt_rate" "$default_copy_rate")x the copy with librdkafka's defaults, to the last commit ($(ratio "$wt_out_rate" "$best_copy_rate")x and $(ratio "$wt_out_rate" "$default_copy_rate")x to the last output record)."
  echo "CPU an article, client + broker: $copy_us µs for the copy with defaults, $wt_us µs for wiretag ($us_per_article µs in wiretag itself: parsing, classifying, building the labeled record, producing $(awk -v p="$produced" -v n="$articles" 'BEGIN { printf "%.2f", p / n }') records an article). Where the cores are the limit, the throughput ratio follows the CPU ratio: $(ratio "$copy_us" "$wt_us")x."
  echo "wiretag's time runs from its partition assignment to the first sample of committed offsets (every 0.5 s) at the end; it commits every second. Client CPU: both kcats, or wiretag. Other CPU: every other process meanwhile (the benchmark's own monitors, and whatever else the machine runs); machine busy: all processes, % of all cores. Consumer lag over time: e2e-lag.dat."
  echo
  echo "Latency at a fixed $lat_rate articles/s (half of wiretag's throughput): $lat_warmup s of warm-up, then $lat_seconds s measured. The feeder stamps each article (header bench-sent-ns) as it hands it to its producer (linger.ms=5, acks=all); a consumer of the output topic (librdkafka defaults) takes now - sent. The first row is the same feed read straight from its topic."
  echo
  echo "| path | records | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  echo "| feeder -> broker -> consumer | ${raw_lat[0]} | ${raw_lat[1]} | ${raw_lat[2]} | ${raw_lat[3]} | ${raw_lat[4]} | ${raw_lat[5]} |"
  echo "| feeder -> broker -> **wiretag** -> broker -> consumer | ${wt_lat[0]} | **${wt_lat[1]}** | ${wt_lat[2]} | **${wt_lat[3]}** | ${wt_lat[4]} | ${wt_lat[5]} |"
} >"$out/e2e.md"

say "done in $(secs $(($(now_ms) - script_t0)))s: $out/e2e.md, e2e.csv, e2e-lag.dat, e2e-latency.dat"
cat "$out/e2e.md"
