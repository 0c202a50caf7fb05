#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM)
# on 127.0.0.1, for wiretag's tests and demos. No Docker, no tarball: Maven
# resolves the broker's jars from Maven Central (see pom.xml) into a cache
# outside the repo.
#
# Usage: tests/kafka/broker.sh start | stop [--wipe] | status | logs [N]
#                              | topic NAME PARTITIONS
#
#   start   resolve jars (first time only), format the data dir (first time
#           only), launch the broker, wait until it serves metadata, print
#           the bootstrap address on stdout. No-op when already running.
#   stop    SIGTERM, bounded wait, then SIGKILL. --wipe also deletes the data
#           dir. Exit 0 when nothing was running.
#   status  exit 0 when running and serving, 3 otherwise.
#   logs    print the last N (default 100) lines of the broker log.
#   topic   create topic NAME with PARTITIONS partitions (replication 1);
#           exit 0 when it already exists.
#
# Environment (all optional):
#   WT_KAFKA_HOME      jar cache, default $HOME/.cache/wiretag/kafka
#   WT_KAFKA_DATA      data dir (config, pid, logs, partitions),
#                      default /tmp/wiretag-kafka
#   WT_KAFKA_PORT      client port, default 19092
#   WT_KAFKA_CONTROLLER_PORT  KRaft controller port, default WT_KAFKA_PORT+1
#   WT_KAFKA_START_TIMEOUT    seconds start waits for readiness, default 60
#   WT_KAFKA_STOP_TIMEOUT     seconds stop waits before SIGKILL, default 30
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kafka_home=${WT_KAFKA_HOME:-$HOME/.cache/wiretag/kafka}
# Absolute, because it is written into server.properties and matched against
# the broker's command line.
data=$(realpath -m "${WT_KAFKA_DATA:-/tmp/wiretag-kafka}")
host=127.0.0.1
port=${WT_KAFKA_PORT:-19092}
controller_port=${WT_KAFKA_CONTROLLER_PORT:-$((port + 1))}
start_timeout=${WT_KAFKA_START_TIMEOUT:-60}
stop_timeout=${WT_KAFKA_STOP_TIMEOUT:-30}

bootstrap="$host:$port"
pidfile="$data/broker.pid"
logfile="$data/server.log"     # log4j2 output (see log4j2.xml)
consolefile="$data/console.log" # JVM stdout/stderr: crashes before log4j is up
props="$data/server.properties"
client_props="$data/client.properties"

say() { echo "broker.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# ---------------------------------------------------------------- tools ----

# Kafka 4 brokers need Java 17+. A fresh Debian machine may have neither java
# nor mvn; install both from Debian's own repos (the only place we may reach
# besides Maven Central).
ensure_tools() {
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    say "installing default-jre-headless and maven with apt-get"
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
      default-jre-headless maven >&2
  fi
  local major
  major=$(java -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = //p')
  [ "${major%%.*}" -ge 17 ] 2>/dev/null ||
    die "Kafka 4 needs Java 17 or newer; found java ${major:-unknown}"
}

# The jar folder is named after the Kafka version and the pom's hash, so a
# version bump in pom.xml resolves into a new folder and never mixes jars.
# A folder is used only once its .complete marker exists: an interrupted
# resolution is redone instead of leaving a broker with half its classpath.
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
jar_home="$kafka_home/kafka-$kafka_version-$(sha256sum "$here/pom.xml" | cut -c1-12)"
jars="$jar_home/jars"
have_jars() { [ -f "$jar_home/.complete" ]; }

ensure_jars() {
  local dir=$jar_home version=$kafka_version tmp
  have_jars && return 0

  ensure_tools
  say "resolving Kafka $version jars from Maven Central into $dir (first time only)"
  mkdir -p "$kafka_home"
  tmp=$(mktemp -d "$kafka_home/.resolve.XXXXXX")
  # Maven runs on a copy of the pom in the cache, so nothing (target/, etc.)
  # lands in the repo; its local repository also lives in the cache, so
  # deleting $WT_KAFKA_HOME removes everything this script downloaded.
  cp "$here/pom.xml" "$tmp/pom.xml"
  # Maven's output is kept out of the way and shown only when it fails.
  if ! mvn -B -Dstyle.color=never -f "$tmp/pom.xml" \
      -Dmaven.repo.local="$kafka_home/m2" \
      dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$tmp/jars" >"$tmp/mvn.log" 2>&1; then
    tail -n 40 "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "Maven could not resolve the Kafka jars (see above)"
  fi
  touch "$tmp/.complete"
  # Atomic publish; if a concurrent start won the race, keep its copy.
  if ! mv -T "$tmp" "$dir" 2>/dev/null; then
    rm -rf "$tmp"
    [ -f "$dir/.complete" ] || die "could not publish $dir"
  fi
}

# Kafka's own command-line tools (StorageTool, TopicCommand): a small, quick
# JVM; their log lines go to tools.log, so stdout/stderr carry only results.
kafka_java() {
  java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$here/log4j2.xml" \
    -Dwt.kafka.log="$data/tools.log" \
    -cp "$jars/*" "$@"
}

# ---------------------------------------------------------------- state ----

# The pid in the pid file, if that process is alive and really is our broker
# (a stale pid file may name a recycled pid).
running_pid() {
  local pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "kafka.Kafka $props" ||
    return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

# A TCP connect only proves the socket is bound; a real metadata request
# proves the broker serves clients. kcat (librdkafka, what wiretag itself
# speaks) answers in milliseconds; without it, Kafka's own TopicCommand
# (AdminClient) does the same at the cost of a JVM start (~1 s).
serving() {
  port_open "$port" || return 1
  if command -v kcat >/dev/null; then
    kcat -L -b "$bootstrap" -m 5 >/dev/null 2>&1
  else
    kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
      --command-config "$client_props" --list >/dev/null 2>&1
  fi
}

write_config() {
  mkdir -p "$data"
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" \
      -e "s|@DATA@|$data|g" "$here/server.properties.in" >"$props"
  # Short client timeouts so a check against a sick broker fails in seconds,
  # not after AdminClient's default minute.
  cat >"$client_props" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=8000
EOF
}

# start and stop take this lock so two concurrent starts cannot launch two
# brokers on one data dir (the loser would overwrite the pid file).
lock_data() {
  mkdir -p "$data"
  exec 9>"$data/.lock"
  flock -w $((start_timeout + stop_timeout)) 9 ||
    die "another broker.sh start/stop holds $data/.lock"
}

# --------------------------------------------------------------- commands --

cmd_start() {
  local pid
  if pid=$(running_pid); then
    if have_jars && serving; then
      say "already running"
      echo "$bootstrap"
      return 0
    fi
    # We hold the lock, so no other start is in progress: this broker is
    # hung or was started with another WT_KAFKA_PORT. Don't guess; don't
    # start a second JVM on the same data dir either.
    die "a broker (pid $pid) runs on $data but does not serve $bootstrap; run: broker.sh stop"
  fi

  ensure_jars
  ensure_tools
  write_config

  local p
  for p in "$port" "$controller_port"; do
    port_open "$p" && die "port $p on $host is already in use by another process"
  done
  # Format only a new data dir; formatting again would fail (or, with
  # --ignore-formatted, hide a mismatch).
  if [ ! -f "$data/kraft-logs/meta.properties" ]; then
    local cluster_id out
    cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid)
    out=$(kafka_java kafka.tools.StorageTool format --cluster-id "$cluster_id" \
      --config "$props" 2>&1) || {
      echo "$out" >&2
      die "formatting $data/kraft-logs failed"
    }
  fi
  # Marks where this run's lines begin in the appended-to logs.
  echo "[$(date '+%F %T')] ===== broker.sh start =====" | tee -a "$consolefile" >>"$logfile"
  # setsid: own session, so the broker survives the calling shell and a
  # Ctrl-C in the terminal. nohup and setsid both exec, so $! is java's pid.
  # 9>&-: the broker must not inherit (and so hold forever) our lock.
  nohup setsid java -Xms256m -Xmx512m \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.xml" \
    -Dwt.kafka.log="$logfile" \
    -cp "$jars/*" kafka.Kafka "$props" \
    </dev/null >>"$consolefile" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$pidfile"

  # Bounded wait: a cheap TCP probe every 0.2 s; the metadata request only
  # once the port accepts connections. Bail out at once if the JVM died.
  local deadline=$((SECONDS + start_timeout))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "broker exited during start-up"
      show_failure
      rm -f "$pidfile"
      exit 1
    fi
    if port_open "$port" && serving; then
      say "Kafka serving on $bootstrap (pid $pid, data $data)"
      echo "$bootstrap"
      return 0
    fi
    sleep 0.2
  done
  say "broker not serving after ${start_timeout}s; stopping it"
  show_failure
  cmd_stop >/dev/null 2>&1 || true
  exit 1
}

# The last lines of this run only (after the newest start marker).
show_failure() {
  local f
  for f in "$consolefile" "$logfile"; do
    [ -f "$f" ] || continue
    say "--- last lines of $f ---"
    awk '/===== broker.sh start =====/ { n = 0 } { buf[n++] = $0 }
         END { for (i = (n > 30 ? n - 30 : 0); i < n; i++) print buf[i] }' "$f" >&2
  done
}

cmd_stop() {
  local wipe=0
  case "${1:-}" in
    "") ;;
    --wipe) wipe=1 ;;
    *) die "usage: broker.sh stop [--wipe]" ;;
  esac
  local pid
  if pid=$(running_pid); then
    # SIGTERM runs Kafka's shutdown hook: it flushes and closes the logs
    # cleanly, so the next start skips log recovery.
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + stop_timeout))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "broker ignored SIGTERM for ${stop_timeout}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      # Bounded: SIGKILL cannot be caught, but don't hang forever on a
      # process stuck in the kernel.
      local _
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    say "stopped (pid $pid)"
  else
    say "not running"
  fi
  rm -f "$pidfile"
  if [ "$wipe" -eq 1 ]; then
    # Guard against wiping something that is not ours (e.g. WT_KAFKA_DATA=/).
    case "$data" in
      "" | "/" | "$HOME") die "refusing to wipe '$data'" ;;
    esac
    rm -rf "$data"
    say "wiped $data"
  fi
  return 0
}

cmd_status() {
  local pid
  # No jar resolution here: a status query should never download 50 MB.
  if pid=$(running_pid) && have_jars && serving; then
    say "running (pid $pid) and serving on $bootstrap"
    return 0
  fi
  if [ -n "${pid:-}" ]; then
    say "running (pid $pid) but not serving on $bootstrap"
  else
    say "not running"
  fi
  return 3
}

cmd_logs() {
  local n=${1:-100} f
  for f in "$consolefile" "$logfile"; do
    [ -f "$f" ] || continue
    echo "==> $f <=="
    tail -n "$n" "$f"
  done
}

cmd_topic() {
  if [ $# -ne 2 ] || ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
    die "usage: broker.sh topic NAME PARTITIONS"
  fi
  running_pid >/dev/null || die "broker is not running (broker.sh start)"
  ensure_jars
  kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
    --command-config "$client_props" --create --if-not-exists \
    --topic "$1" --partitions "$2" --replication-factor 1 >&2
}

case "${1:-}" in
  start) lock_data; cmd_start ;;
  stop) shift; [ -d "$data" ] && lock_data; cmd_stop "$@" ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  topic) shift; cmd_topic "$@" ;;
  *)
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
    exit 2
    ;;
esac
