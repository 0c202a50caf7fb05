# shellcheck shell=bash
# Helpers for the stream tests (sourced). Every wait has a deadline; every
# wiretag started here is killed on exit if it is still running.
#
#   source "$(dirname "$0")/lib.sh"
#   wt_init NAME "$@"        # WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
#   ...
#   wt_finish                # summary; exit 0 / 1
set -u

# ------------------------------------------------------------ reporting --

WT_FAILS=0
WT_OKS=0

say() { echo "[$(date +%T)] $T_NAME: $*" >&2; }
ok() { WT_OKS=$((WT_OKS + 1)); echo "ok - $*"; }
fail() { WT_FAILS=$((WT_FAILS + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds, else fail.
check() {
  local desc=$1
  shift
  if "$@"; then ok "$desc"; else fail "$desc"; fi
}
# Stop now (an earlier step failed so badly that nothing after it can run).
abort() {
  fail "$*"
  wt_finish
}
skip() {
  echo "SKIP: $*"
  WT_SKIPPED=1
  exit 77
}

# ------------------------------------------------------------------ time --

now_ms() { date +%s%3N; }

# wait_for SECONDS DESCRIPTION COMMAND...: run COMMAND every 0.25 s until
# it succeeds (0) or SECONDS have passed (1, with a message).
wait_for() {
  local limit=$1 desc=$2
  shift 2
  local deadline=$(($(now_ms) + limit * 1000))
  while :; do
    "$@" && return 0
    if [ "$(now_ms)" -ge "$deadline" ]; then
      say "timed out after ${limit}s waiting for $desc"
      return 1
    fi
    sleep 0.25
  done
}

# ----------------------------------------------------------------- setup --

# wt_init NAME WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN
wt_init() {
  T_NAME=$1
  if [ $# -ne 5 ]; then
    echo "usage: $0 WIRETAG SOURCE_DIR SHARED_DATA_DIR WT_ADMIN" >&2
    exit 2
  fi
  WIRETAG=$(realpath "$2")
  SRC=$(realpath "$3")
  SHARED=$4
  WT_ADMIN=$(realpath -m "$5")
  HERE=$SRC/tests/stream
  PORT=${WT_KAFKA_PORT:-19392}
  BOOTSTRAP=127.0.0.1:$PORT
  RUN=$T_NAME-$(date +%s)-$$
  # Kafka topic names: [A-Za-z0-9._-]; no '_' (it collides with '.').
  TP=wt.${RUN//_/-}
  WORK=${WT_STREAM_WORK:-${TMPDIR:-/tmp}/wiretag-stream}/$RUN
  WT_PIDS=()
  WT_TOPICS=()
  WT_SKIPPED=0
  mkdir -p "$WORK"
  trap wt_cleanup EXIT

  local tool
  for tool in kcat python3 timeout; do
    command -v "$tool" >/dev/null || abort "$tool is not installed (bash tests/install-deps.sh)"
  done
  [ -x "$WIRETAG" ] || abort "no wiretag binary at $WIRETAG"
  [ -x "$WT_ADMIN" ] || abort "no wt_admin at $WT_ADMIN (build it: ninja wt_admin)"
  # The fixture started the broker; fail fast (not after minutes of
  # timeouts) when it is not there.
  timeout 15 kcat -L -b "$BOOTSTRAP" -m 5 >/dev/null 2>&1 ||
    abort "no Kafka broker serving on $BOOTSTRAP (the kafka_broker fixture: tests/kafka/broker.sh start with WT_KAFKA_PORT=$PORT)"
  # config/wiretag.properties names the model relative to the source root.
  cd "$SRC" || abort "cannot cd $SRC"
  MODEL=$SRC/models/conflict-v2.wtm
  MODEL_ID=$("$WIRETAG" model info "$MODEL" | sed -n 's/^model_id *//p')
  [ -n "$MODEL_ID" ] || abort "cannot read the model id of $MODEL"
  say "broker $BOOTSTRAP, topics $TP.*, work $WORK"
}

wt_cleanup() {
  local rc=$? pid
  for pid in "${WT_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      say "killing leftover process $pid"
      kill -KILL "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    fi
  done
  if [ "$rc" -eq 0 ] || [ "$WT_SKIPPED" = 1 ]; then
    # Passed: drop the topics and the scratch files.
    for t in "${WT_TOPICS[@]}"; do
      "$WT_ADMIN" -t 5 -b "$BOOTSTRAP" delete "$t" >/dev/null 2>&1 || true
    done
    [ "${WT_STREAM_KEEP:-0}" = 1 ] || rm -rf "$WORK"
  else
    say "failed: logs and dumps kept in $WORK; topics $TP.* kept"
  fi
}

wt_finish() {
  echo "# $T_NAME: $WT_OKS passed, $WT_FAILS failed"
  [ "$WT_FAILS" -eq 0 ] && exit 0
  exit 1
}

# ---------------------------------------------------------------- topics --

# topic NAME PARTITIONS [config=value ...]: create $TP.NAME (idempotent).
topic() {
  local name=$TP.$1
  shift
  "$WT_ADMIN" -t 15 -b "$BOOTSTRAP" create "$name" "$@" >/dev/null ||
    abort "cannot create topic $name"
  WT_TOPICS+=("$name")
}

# wt_topics IN OUT: the topics wt_args points at: $TP.in and $TP.out with
# IN and OUT partitions, dlq, mil, dip, mty and unl with one each.
wt_topics() {
  topic in "$1"
  topic out "$2"
  local t
  for t in dlq mil dip mty unl; do topic "$t" 1; done
}

# count TOPIC: messages in TOPIC now (watermarks), or -1.
count() {
  "$WT_ADMIN" -t 5 -b "$BOOTSTRAP" count "$1" 2>/dev/null || echo -1
}
count_ge() { [ "$(count "$1")" -ge "$2" ]; }

# dump TOPIC FILE: every message of TOPIC, one kcat JSON envelope a line
# (topic, partition, offset, ts, headers [name, value, ...], key, payload;
# null key/payload stay null). Bounded: kcat stops at the end (-e).
dump() {
  timeout 60 kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -e -q -J \
    -X fetch.message.max.bytes=16777216 >"$2" 2>"$2.err" || {
    say "kcat could not read $1: $(head -c 500 "$2.err")"
    return 1
  }
}

# ---------------------------------------------------------------- inputs --

# gen N DIR: N articles for input into DIR (see stream_check.py gen).
gen() {
  python3 "$HERE/stream_check.py" gen "$1" "$2" "$SHARED" "$SRC/tests/fixtures/articles.jsonl"
}

# produce_dir TOPIC DIR [kcat args]: produce DIR/src-*.tsv (key TAB value a
# line), one kcat per file with header src=<name> and run=$RUN.
produce_dir() {
  local t=$1 dir=$2 f name
  shift 2
  while read -r name; do
    f=$dir/src-$name.tsv
    timeout 120 kcat -b "$BOOTSTRAP" -P -t "$t" -K '\t' -H "src=$name" -H "run=$RUN" "$@" <"$f" ||
      abort "kcat could not produce $f to $t"
  done <"$dir/sources"
}

# feed_start TOPIC DIR CHUNK PAUSE [HOLD]: produce like produce_dir, but
# CHUNK lines at a time with PAUSE seconds between, in the background (a
# steady load while processes start and stop). With HOLD, the feeder stops
# once it has produced HOLD lines and goes on only after feed_release (or
# after 120 s), so a test can act while input is still arriving. Sets
# FEED_PID.
feed_start() {
  FEED_LOG=
  feed_loop "$1" "$2" "$3" "$4" "${5:-0}" feed_send
}
# feed_send CHUNK NAME TOPIC: produce one chunk (source NAME); 0 when all
# of it was acknowledged.
feed_send() {
  timeout 60 kcat -b "$BOOTSTRAP" -P -t "$3" -K '\t' -H "src=$2" -H "run=$RUN" <"$1"
}
# feed_note LINE: a line of the feeder's progress to FEED_LOG, if it keeps
# one.
feed_note() {
  if [ -n "${FEED_LOG:-}" ]; then echo "$(date +%T) $*" >>"$FEED_LOG"; fi
}
# feed_loop TOPIC DIR CHUNK PAUSE HOLD SEND: the feeder behind feed_start
# and feed_robust_start, in the background; SEND produces one chunk (see
# feed_send), and the feeder gives up when it fails. Sets FEED_PID.
feed_loop() {
  local t=$1 dir=$2 chunk=$3 pause=$4 hold=$5 send=$6
  FEED_GO=$dir/feed.go
  rm -f "$FEED_GO"
  mkdir -p "$dir/chunks"
  (
    sent=0
    while read -r name; do
      rm -f "$dir/chunks/"*
      split -l "$chunk" -d -a 4 "$dir/src-$name.tsv" "$dir/chunks/c."
      for c in "$dir/chunks/"c.*; do
        if [ "$hold" -gt 0 ] && [ "$sent" -ge "$hold" ] && [ ! -e "$FEED_GO" ]; then
          feed_note "holding at $sent"
          wait_for 120 "feed_release" test -e "$FEED_GO" || exit 1
        fi
        "$send" "$c" "$name" "$t" || exit 1
        sent=$((sent + $(wc -l <"$c")))
        feed_note "$name $(basename "$c"): sent, $sent in all"
        sleep "$pause"
      done
    done <"$dir/sources"
  ) &
  FEED_PID=$!
  WT_PIDS+=("$FEED_PID")
}
feed_release() { touch "$FEED_GO"; }
# feed_wait SECONDS: wait for the feeder to finish; 0 when it produced all.
feed_wait() {
  feed_release
  wait_for "$1" "the feeder to finish" eval '! kill -0 $FEED_PID 2>/dev/null' || return 1
  wait "$FEED_PID"
}

# ---------------------------------------------------------------- wiretag --

# wt_args: the options that point wiretag at this test's topics ($TP.in,
# .out, .dlq, .mil, .dip, .mty, .unl) and group, into WT_ARGS.
wt_args() {
  WT_ARGS=(-c "$SRC/config/wiretag.properties"
    -X "bootstrap.servers=$BOOTSTRAP"
    -X "input.topics=$TP.in"
    -X "output.topic=$TP.out"
    -X "dlq.topic=$TP.dlq"
    -X "route.military_action=$TP.mil"
    -X "route.diplomacy=$TP.dip"
    -X "route.militancy=$TP.mty"
    -X "output.topic.unlabeled=$TP.unl"
    -X "group.id=$TP.group"
    -X workers=2
    -X log.stats.interval.ms=2000)
  # Debugging aid: WT_STREAM_EXTRA="-X log.level=debug" adds options.
  local extra
  read -r -a extra <<<"${WT_STREAM_EXTRA:-}"
  WT_ARGS+=("${extra[@]}")
}

# wt_start LOG [args...]: start `wiretag run args` in the background,
# stderr to LOG. Sets WT_PID.
wt_start() {
  local log=$1
  shift
  "$WIRETAG" run "$@" >"$log.out" 2>"$log" &
  WT_PID=$!
  WT_PIDS+=("$WT_PID")
  say "started wiretag run (pid $WT_PID), log $log"
}

# wt_stop PID SECONDS: SIGTERM, then wait at most SECONDS for the exit.
# Sets WT_RC (the exit status; 124 when it did not exit in time and was
# killed) and WT_STOP_MS (how long the stop took).
wt_stop() {
  local pid=$1 limit=$2 t0
  t0=$(now_ms)
  kill -TERM "$pid" 2>/dev/null
  if wait_for "$limit" "wiretag (pid $pid) to exit after SIGTERM" wt_gone "$pid"; then
    WT_RC=0
    wait "$pid" || WT_RC=$?
  else
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    WT_RC=124
  fi
  WT_STOP_MS=$(($(now_ms) - t0))
}

# wt_stop_clean PID SECONDS LOG [WHO]: wt_stop, then check the exit status
# is 0 within SECONDS and LOG ends with a clean 'stopped'. WHO names the
# instance in the check lines ("A", "run 2").
wt_stop_clean() {
  local pid=$1 limit=$2 log=$3 who=${4:+$4: }
  wt_stop "$pid" "$limit"
  check "${who}SIGTERM, exit status 0 within $limit s (status $WT_RC after ${WT_STOP_MS} ms)" [ "$WT_RC" -eq 0 ]
  check "${who}log 'stopped' (clean)" grep_log "$log" 'INFO +stopped$'
}
wt_gone() { ! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]; }
wt_alive() { ! wt_gone "$1"; }

# wt_published LOG: the run's last stats line counts acknowledged outputs
# (its own: the output topic's watermarks also move with transaction
# markers and with other processes' outputs).
wt_published() { grep -E 'INFO +consumed [0-9]+ ' "$1" | tail -n 1 | grep -Eq 'produced [1-9]'; }

# partitions LOG: the input partitions the process holds at the end of LOG
# (replaying its "assigned"/"revoked"/"lost" lines), sorted, one a line.
partitions() {
  awk '
    / INFO +assigned [0-9]+ partition/ { for (i = 6; i <= NF; i++) held[$i] = 1 }
    / INFO +(revoked|lost) [0-9]+ partition/ { for (i = 6; i <= NF; i++) delete held[$i] }
    END { for (p in held) print p }' "$1" | sort
}
holds_some() { [ -n "$(partitions "$1")" ]; }
holds_n() { [ "$(partitions "$1" | wc -l)" -eq "$2" ]; }
plist() { partitions "$1" | sed 's/.*\[//; s/\]//' | tr '\n' ' '; }

# committed [GROUP]: input records GROUP (default $TP.group) has committed
# on $TP.in (-1: no answer). uncommitted [GROUP]: end offsets minus that.
# Right for both guarantees (the output topic's count is not, under
# exactly_once).
committed() {
  "$WT_ADMIN" -t 5 -b "$BOOTSTRAP" committed "${1:-$TP.group}" "$TP.in" 2>/dev/null |
    awk '{ n += $2 < 0 ? 0 : $2 } END { print NR ? n : -1 }'
}
uncommitted() {
  "$WT_ADMIN" -t 5 -b "$BOOTSTRAP" committed "${1:-$TP.group}" "$TP.in" 2>/dev/null |
    awk '{ c = $2 < 0 ? 0 : $2; n += $3 - c } END { print NR ? n : -1 }'
}
committed_gt() { [ "$(committed)" -gt "$1" ]; }

# grep_log LOG REGEX: 0 when a line of LOG matches.
grep_log() { grep -Eq -- "$2" "$1"; }

# show_log LOG: the log, indented, into the test output (for failures).
show_log() {
  echo "--- $1 (last ${2:-40} lines) ---"
  tail -n "${2:-40}" "$1" | sed 's/^/  /'
}

# ------------------------------------------------- processing guarantee --
#
# A test that runs in both modes reads WT_STREAM_GUARANTEE (CMake sets it
# per registration; default at_least_once) with wt_guarantee, adds
# guarantee_args NAME to each instance's options, reads its output topics
# with dump_out, and asserts zero duplicates when EOS=1.

# wt_guarantee: GUARANTEE (at_least_once | exactly_once) and EOS (0 | 1).
wt_guarantee() {
  GUARANTEE=${WT_STREAM_GUARANTEE:-at_least_once}
  case $GUARANTEE in
    at_least_once) EOS=0 ;;
    exactly_once) EOS=1 ;;
    *) abort "WT_STREAM_GUARANTEE=$GUARANTEE: not at_least_once or exactly_once" ;;
  esac
  say "processing guarantee: $GUARANTEE"
}

# guarantee_args NAME: into GUARANTEE_ARGS, the options of the instance
# called NAME (a, b...). exactly_once: processing.guarantee and an
# instance.id of its own for each instance that runs at the same time;
# at_least_once: none (the binary's default).
guarantee_args() {
  GUARANTEE_ARGS=()
  if [ "${EOS:-0}" = 1 ]; then
    GUARANTEE_ARGS=(-X processing.guarantee=exactly_once -X "instance.id=$1")
  fi
}

# dump_committed TOPIC FILE: like dump, but only committed transactions
# (isolation.level=read_committed; aborted records are skipped).
dump_committed() {
  timeout 60 kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -e -q -J \
    -X isolation.level=read_committed \
    -X fetch.message.max.bytes=16777216 >"$2" 2>"$2.err" || {
    say "kcat could not read $1 (read_committed): $(head -c 500 "$2.err")"
    return 1
  }
}

# dump_out TOPIC FILE: read a topic wiretag writes: dump_committed under
# exactly_once, else dump. (count, from the watermarks, includes
# transaction markers and aborted records: under exactly_once it is only
# an upper bound of what a reader sees, never a progress check against N.)
dump_out() {
  if [ "${EOS:-0}" = 1 ]; then dump_committed "$@"; else dump "$@"; fi
}

# covered [INPUT_DUMP]: 0 once $TP.out holds every input, else 1; for
# wait_for. Without an argument, every id of $WORK/data/ids ($N of them);
# with INPUT_DUMP (a dump of the input topic), every record of it.
# count is only a lower bound here (under exactly_once the watermarks
# also count transaction markers and aborted records); the dump (dump_out)
# decides. stream_check.py writes its summary to $WORK/cover.json.
covered() {
  local n=$N check=(cover --quiet --ids "$WORK/data/ids")
  if [ $# -gt 0 ]; then
    n=$(wc -l <"$1")
    check=(cover-input --quiet --input-dump "$1")
  fi
  count_ge "$TP.out" "$n" && dump_out "$TP.out" "$WORK/out.json" &&
    python3 "$HERE/stream_check.py" "${check[@]}" \
      --out "$WORK/out.json" --summary "$WORK/cover.json"
}

# --------------------------------------------------- broker interruption --

# feed_robust_start TOPIC DIR CHUNK PAUSE [HOLD]: like feed_start, for a
# broker that goes away and comes back. kcat gives up as soon as all
# brokers are down, so a chunk that fails waits (at most 90 s) for the
# broker to serve again and is produced again, at most 8 tries. A retried
# chunk may leave duplicates in the input topic (what the failed try got
# in), so a test checks against the input topic's dump, not DIR/ids.
# Progress (lines sent, failed tries) in DIR/feed.log, kcat's messages in
# DIR/feed.log.err. Sets FEED_PID; feed_wait waits for it.
feed_robust_start() {
  FEED_LOG=$2/feed.log
  : >"$FEED_LOG"
  feed_loop "$1" "$2" "$3" "$4" "${5:-0}" feed_send_robust
}
# feed_send_robust CHUNK NAME TOPIC: feed_send for feed_robust_start.
feed_send_robust() {
  local try=1
  until timeout 120 kcat -b "$BOOTSTRAP" -P -t "$3" -K '\t' -H "src=$2" -H "run=$RUN" \
    -X enable.idempotence=true -X message.timeout.ms=90000 <"$1" 2>>"$FEED_LOG.err"; do
    feed_note "$2 $(basename "$1"): try $try failed"
    [ "$try" -ge 8 ] && return 1
    try=$((try + 1))
    wait_for 90 "the broker to serve the feeder again" \
      eval 'timeout 10 kcat -L -b "$BOOTSTRAP" -m 5 >/dev/null 2>&1' || true
  done
}

# broker_ctl start|stop|status: tests/kafka/broker.sh on the broker the
# tests use (WT_KAFKA_PORT, WT_KAFKA_DATA: what ctest sets). stop keeps the
# data dir (only --wipe deletes it), so a start brings back every topic,
# committed offset and transaction. Bounded by broker.sh's own timeouts
# and by timeout(1).
broker_ctl() {
  timeout 120 bash "$SRC/tests/kafka/broker.sh" "$1" >/dev/null
}

# broker_is_ours: 0 when WT_KAFKA_DATA names the data dir of a broker
# configured for this test's port (so stopping it stops only our broker).
broker_is_ours() {
  [ -n "${WT_KAFKA_DATA:-}" ] &&
    grep -q "^listeners=PLAINTEXT://127.0.0.1:$PORT," "$WT_KAFKA_DATA/server.properties" 2>/dev/null
}
