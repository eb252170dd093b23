#!/usr/bin/env bash
# offerstream local stack: Apache Kafka (single-node KRaft, from Maven Central jars) and
# ClickHouse (Debian package), run as plain background processes -- no Docker needed.
#
#   deploy/local/stack.sh up        start both (idempotent; installs/resolves what is missing)
#   deploy/local/stack.sh down      stop both (SIGTERM, then SIGKILL after STACK_STOP_TIMEOUT)
#   deploy/local/stack.sh status    running/stopped + pid, ports, version; exit 0 iff both up, else 3
#   deploy/local/stack.sh versions  print the recorded versions (.local/stack/versions.txt)
#   deploy/local/stack.sh logs [N]  last N (default 40) lines of each log
#   deploy/local/stack.sh env       print KAFKA_BROKERS=... CLICKHOUSE_URL=... (for eval)
#   deploy/local/stack.sh reset     down, then wipe Kafka and ClickHouse data (keeps the jars)
#
# Environment (defaults in brackets):
#   OFFERSTREAM_LOCAL_DIR [<repo>/.local]  state: jars, data, logs, pid files, versions.txt
#   KAFKA_PORT [9092]  KAFKA_CONTROLLER_PORT [9093]  CLICKHOUSE_HTTP_PORT [8123]  CLICKHOUSE_TCP_PORT [9000]
#   KAFKA_HEAP_OPTS ["-Xms256m -Xmx512m"]  KAFKA_JVM_OPTS (see README.md)
#   STACK_START_TIMEOUT [120] seconds per service   STACK_STOP_TIMEOUT [30] seconds
# See deploy/local/README.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
LOCAL_DIR="${OFFERSTREAM_LOCAL_DIR:-$REPO_ROOT/.local}"
case "$LOCAL_DIR" in /*) ;; *) LOCAL_DIR="$PWD/$LOCAL_DIR" ;; esac

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
CLICKHOUSE_HTTP_PORT="${CLICKHOUSE_HTTP_PORT:-8123}"
CLICKHOUSE_TCP_PORT="${CLICKHOUSE_TCP_PORT:-9000}"
START_TIMEOUT="${STACK_START_TIMEOUT:-120}"
STOP_TIMEOUT="${STACK_STOP_TIMEOUT:-30}"
# Measured on a 2-core box: SerialGC + C1-only JIT starts the broker fastest and keeps the
# footprint small; plenty for dev/test traffic. Override for load tests.
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}"
TOOLS_JVM_OPTS="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"

KAFKA_SRC="$SCRIPT_DIR/kafka"
CH_SRC="$SCRIPT_DIR/clickhouse"
KAFKA_HOME="$LOCAL_DIR/kafka"
KAFKA_LIB="$KAFKA_HOME/lib"
KAFKA_DATA="$KAFKA_HOME/data"
KAFKA_LOGS="$KAFKA_HOME/logs"
KAFKA_CONF="$KAFKA_HOME/server.properties"
KAFKA_TOOLS_CONF="$KAFKA_HOME/tools-client.properties"
KAFKA_PID="$KAFKA_HOME/kafka.pid"
CH_HOME="$LOCAL_DIR/clickhouse"
CH_CONF="$CH_HOME/config.xml"
CH_PID="$CH_HOME/clickhouse.pid"
STACK_DIR="$LOCAL_DIR/stack"
VERSIONS_FILE="$STACK_DIR/versions.txt"
LOCK_FILE="$STACK_DIR/stack.lock"

log() { printf '[stack] %s\n' "$*"; }
warn() { printf '[stack] WARN: %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

# ---------------------------------------------------------------- helpers

# Serialise up/down/reset: parallel test workers may all call `up` at once.
# fd 9 must never leak into the daemons (see close_inherited_fds).
take_lock() {
  mkdir -p "$STACK_DIR"
  exec 9>"$LOCK_FILE"
  if ! flock -w 300 9; then die "another stack.sh is still running (lock $LOCK_FILE)"; fi
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install manually: $*"
  log "installing with apt: $*"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

clickhouse_bin() {
  command -v clickhouse-server 2>/dev/null || { [ -x /usr/sbin/clickhouse-server ] && echo /usr/sbin/clickhouse-server; } || true
}

ensure_tools() {
  local pkgs=() ch_new=0
  command -v java >/dev/null 2>&1 || pkgs+=(default-jre-headless)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  command -v flock >/dev/null 2>&1 || pkgs+=(util-linux)
  if [ -z "$(clickhouse_bin)" ]; then pkgs+=(clickhouse-server clickhouse-client); ch_new=1; fi
  if [ ! -f "$KAFKA_LIB/.pom.sha256" ] || [ "$(cat "$KAFKA_LIB/.pom.sha256")" != "$(pom_sum)" ]; then
    command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
  fi
  if [ "${#pkgs[@]}" -gt 0 ]; then apt_install "${pkgs[@]}"; fi
  [ -n "$(clickhouse_bin)" ] || die "clickhouse-server is still missing after apt-get install"
  # On hosts with systemd the package starts its own server on 8123/9000; ours replaces it.
  if [ "$ch_new" -eq 1 ] && command -v systemctl >/dev/null 2>&1 \
     && systemctl is-active --quiet clickhouse-server 2>/dev/null; then
    log "disabling the packaged clickhouse-server service (the stack runs its own instance)"
    as_root systemctl disable --now clickhouse-server || warn "could not stop the packaged service"
  fi
  local jv
  jv="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  [ -n "$jv" ] && [ "$jv" -ge 17 ] || die "Kafka 4 needs Java 17+, found: $(java -version 2>&1 | head -1)"
}

pom_sum() { sha256sum "$KAFKA_SRC/pom.xml" | cut -d' ' -f1; }
pom_kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_SRC/pom.xml" | head -1; }
kafka_version() {
  local j
  j="$(ls "$KAFKA_LIB"/kafka_2.13-*.jar 2>/dev/null | head -1)" || true
  [ -n "$j" ] || { echo unknown; return; }
  j="${j##*/kafka_2.13-}"; echo "${j%.jar}"
}

# Pids whose command line contains the fixed string $2 (coarse regex $1 for pgrep).
find_pids() {
  local p
  for p in $(pgrep -f -- "$1" || true); do
    [ "$p" = "$$" ] && continue
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$2"; then echo "$p"; fi
  done
}
kafka_pids() { find_pids 'kafka\.Kafka' "kafka.Kafka $KAFKA_CONF"; }
ch_pids() { find_pids 'clickhouse-server' "--config-file=$CH_CONF"; }

# Live pid of a service: the pid file if it still names our process, else any matching
# process (re-adopted into the pid file); stale pid files are removed.
live_pid() { # $1 = kafka|clickhouse
  local pidfile pids p
  if [ "$1" = kafka ]; then pidfile="$KAFKA_PID"; pids="$(kafka_pids)"; else pidfile="$CH_PID"; pids="$(ch_pids)"; fi
  if [ -f "$pidfile" ]; then
    p="$(cat "$pidfile" 2>/dev/null || true)"
    if [ -n "$p" ] && grep -qx -- "$p" <<<"$pids"; then echo "$p"; return; fi
    rm -f "$pidfile"
  fi
  p="$(head -1 <<<"$pids")"
  if [ -n "$p" ]; then echo "$p" >"$pidfile"; echo "$p"; fi
}

ch_query() { curl -sS --max-time 5 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/" --data-binary "$1"; }
ch_ping() { [ "$(curl -s --max-time 2 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/ping" 2>/dev/null)" = "Ok." ]; }
ch_version() { ch_query 'SELECT version()' 2>/dev/null || echo unknown; }

# A real Kafka request (DescribeConfigs via the admin client), not just an open port.
kafka_metadata_ok() {
  # shellcheck disable=SC2086
  timeout 30 java $TOOLS_JVM_OPTS -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2-tools.properties" \
    -cp "$KAFKA_LIB/*" kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
    --command-config "$KAFKA_TOOLS_CONF" --describe --entity-type brokers --entity-name 1 \
    >/dev/null 2>>"$KAFKA_LOGS/tools.log"
}

# Runs in the launcher subshell right before exec: close every inherited fd above 2 (our lock
# on fd 9, pipes of a CI runner/make/node parent), so the daemon holds nothing of the caller.
close_inherited_fds() {
  local fd
  for fd in /proc/"$BASHPID"/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

show_log_tail() { # $1 = file ...
  local f
  for f in "$@"; do
    [ -s "$f" ] || continue
    printf -- '----- last lines of %s -----\n' "$f" >&2
    tail -n 30 "$f" >&2
  done
}

# ---------------------------------------------------------------- kafka

resolve_kafka_jars() {
  local want; want="$(pom_sum)"
  if [ -f "$KAFKA_LIB/.pom.sha256" ] && [ "$(cat "$KAFKA_LIB/.pom.sha256")" = "$want" ] \
     && ls "$KAFKA_LIB"/kafka_2.13-*.jar >/dev/null 2>&1; then
    return
  fi
  local tmp="$KAFKA_HOME/lib.tmp.$$" t0; t0="$(now)"
  log "resolving Kafka $(pom_kafka_version) jars from Maven Central (mvn, cached in ~/.m2) ..."
  rm -rf "$tmp"; mkdir -p "$KAFKA_LOGS"
  if ! mvn -q -B -f "$KAFKA_SRC/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime >"$KAFKA_LOGS/maven.log" 2>&1; then
    rm -rf "$tmp"; show_log_tail "$KAFKA_LOGS/maven.log"; die "maven could not resolve the Kafka jars"
  fi
  echo "$want" >"$tmp/.pom.sha256"
  rm -rf "$KAFKA_LIB"; mv "$tmp" "$KAFKA_LIB"
  log "Kafka jars ready in $KAFKA_LIB ($(( $(now) - t0 ))s)"
}

render_kafka_config() {
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@KAFKA_DATA_DIR@|$KAFKA_DATA|g" "$KAFKA_SRC/server.properties.tmpl" >"$KAFKA_CONF.tmp"
  mv "$KAFKA_CONF.tmp" "$KAFKA_CONF"
  printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=10000\n' >"$KAFKA_TOOLS_CONF"
}

format_kafka_storage() {
  # Formatted once; later port changes are fine (4.x updates the voter endpoint itself).
  [ -f "$KAFKA_DATA/meta.properties" ] && return
  local cid
  mkdir -p "$KAFKA_DATA"
  cid="$(cat "$KAFKA_HOME/cluster.id" 2>/dev/null || true)"
  while [ -z "$cid" ] || [ "${cid:0:1}" = "-" ]; do
    # Same shape as `kafka-storage.sh random-uuid` (URL-safe base64 of 16 random bytes, no
    # leading '-'), without paying for another JVM start.
    cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  echo "$cid" >"$KAFKA_HOME/cluster.id"
  log "formatting Kafka storage (cluster id $cid)"
  # shellcheck disable=SC2086
  if ! java $TOOLS_JVM_OPTS -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2-tools.properties" \
       -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_CONF" --standalone \
       >>"$KAFKA_LOGS/tools.log" 2>&1; then
    show_log_tail "$KAFKA_LOGS/tools.log"; die "kafka storage format failed"
  fi
}

start_kafka() {
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$p"; then die "port $p is already in use by another process (ss -ltnp 'sport = :$p'); set KAFKA_PORT/KAFKA_CONTROLLER_PORT"; fi
  done
  mkdir -p "$KAFKA_LOGS"
  printf '\n===== %s starting kafka.Kafka =====\n' "$(date -u +%FT%TZ)" >>"$KAFKA_LOGS/kafka.out"
  # setsid: own session, so the caller's shell/CI job/make exiting does not signal it.
  # All stdio redirected (never holds the caller's stdout open), other inherited fds closed.
  # shellcheck disable=SC2086
  ( cd "$KAFKA_HOME" && close_inherited_fds && exec setsid nohup java $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS \
      -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2.properties" -Dkafka.logs.dir="$KAFKA_LOGS" \
      -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_CONF" \
      </dev/null >>"$KAFKA_LOGS/kafka.out" 2>&1 ) &
  echo $! >"$KAFKA_PID"
  log "kafka starting (pid $(cat "$KAFKA_PID"))"
}

wait_kafka() {
  local pid="$1" deadline=$(( $(now) + START_TIMEOUT ))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$KAFKA_PID"
      show_log_tail "$KAFKA_LOGS/kafka.out" "$KAFKA_LOGS/server.log"
      die "kafka exited during start-up (logs in $KAFKA_LOGS)"
    fi
    if port_open "$KAFKA_PORT" && kafka_metadata_ok; then return 0; fi
    if [ "$(now)" -ge "$deadline" ]; then
      show_log_tail "$KAFKA_LOGS/kafka.out" "$KAFKA_LOGS/server.log" "$KAFKA_LOGS/tools.log"
      stop_one kafka >/dev/null 2>&1 || true
      die "kafka did not answer on 127.0.0.1:$KAFKA_PORT within ${START_TIMEOUT}s (stopped it; logs in $KAFKA_LOGS)"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------- clickhouse

render_clickhouse_config() {
  mkdir -p "$CH_HOME"/{data,tmp,logs,user_files,format_schemas}
  sed -e "s|@CH_HOME@|$CH_HOME|g" -e "s|@CH_HTTP_PORT@|$CLICKHOUSE_HTTP_PORT|g" \
      -e "s|@CH_TCP_PORT@|$CLICKHOUSE_TCP_PORT|g" -e "s|@CH_USERS_XML@|$CH_SRC/users.xml|g" \
      "$CH_SRC/config.xml.tmpl" >"$CH_CONF.tmp"
  mv "$CH_CONF.tmp" "$CH_CONF"
}

start_clickhouse() {
  local p bin; bin="$(clickhouse_bin)"
  for p in "$CLICKHOUSE_HTTP_PORT" "$CLICKHOUSE_TCP_PORT"; do
    if port_open "$p"; then die "port $p is already in use by another process (ss -ltnp 'sport = :$p'); set CLICKHOUSE_HTTP_PORT/CLICKHOUSE_TCP_PORT"; fi
  done
  printf '\n===== %s starting clickhouse-server =====\n' "$(date -u +%FT%TZ)" >>"$CH_HOME/logs/stdout.log"
  # Runs as the invoking user (root included: 18.16 does not refuse root).
  ( cd "$CH_HOME" && close_inherited_fds && exec setsid nohup "$bin" --config-file="$CH_CONF" \
      </dev/null >>"$CH_HOME/logs/stdout.log" 2>&1 ) &
  echo $! >"$CH_PID"
  log "clickhouse starting (pid $(cat "$CH_PID"))"
}

wait_clickhouse() {
  local pid="$1" deadline=$(( $(now) + START_TIMEOUT )) v
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$CH_PID"
      show_log_tail "$CH_HOME/logs/stdout.log" "$CH_HOME/logs/clickhouse-server.err.log"
      die "clickhouse exited during start-up (logs in $CH_HOME/logs)"
    fi
    if ch_ping && v="$(ch_query 'SELECT version()' 2>/dev/null)" && [ -n "$v" ]; then return 0; fi
    if [ "$(now)" -ge "$deadline" ]; then
      show_log_tail "$CH_HOME/logs/stdout.log" "$CH_HOME/logs/clickhouse-server.err.log"
      stop_one clickhouse >/dev/null 2>&1 || true
      die "clickhouse did not answer on 127.0.0.1:$CLICKHOUSE_HTTP_PORT within ${START_TIMEOUT}s (stopped it)"
    fi
    sleep 0.3
  done
}

# ---------------------------------------------------------------- stop

# SIGTERM every matching process, wait up to STOP_TIMEOUT, then SIGKILL.
stop_many() { # $@ = kafka|clickhouse
  local svc pids=() p deadline
  for svc in "$@"; do
    live_pid "$svc" >/dev/null || true
    if [ "$svc" = kafka ]; then
      for p in $(kafka_pids); do pids+=("$p"); done; rm -f "$KAFKA_PID"
    else
      for p in $(ch_pids); do pids+=("$p"); done; rm -f "$CH_PID"
    fi
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$(( $(now) + STOP_TIMEOUT ))
  while :; do
    local alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [ "${#alive[@]}" -eq 0 ] && return 0
    if [ "$(now)" -ge "$deadline" ]; then
      warn "still running after ${STOP_TIMEOUT}s, sending SIGKILL to ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      sleep 0.5
      return 0
    fi
    sleep 0.2
  done
}
stop_one() { stop_many "$1"; }

# ---------------------------------------------------------------- versions

record_versions() {
  local kv cv jv
  kv="$(kafka_version)"; cv="$(ch_version)"
  jv="$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -1)"
  mkdir -p "$STACK_DIR"
  {
    echo "# written by deploy/local/stack.sh up at $(date -u +%FT%TZ)"
    echo "kafka=$kv"
    echo "clickhouse=$cv"
    echo "java=$jv"
    echo "kafka_bootstrap=127.0.0.1:$KAFKA_PORT"
    echo "clickhouse_url=http://127.0.0.1:$CLICKHOUSE_HTTP_PORT"
  } >"$VERSIONS_FILE.tmp"
  mv "$VERSIONS_FILE.tmp" "$VERSIONS_FILE"
}

print_versions() {
  if [ -f "$VERSIONS_FILE" ]; then grep -v '^#' "$VERSIONS_FILE"
  else
    echo "kafka=$(pom_kafka_version) (pinned in deploy/local/kafka/pom.xml; not resolved yet)"
    echo "clickhouse=$(dpkg-query -W -f='${Version}' clickhouse-server 2>/dev/null || echo 'not installed')"
  fi
}

# ---------------------------------------------------------------- commands

healthy_fast() { # pid alive + port answering, both services
  local kp cp
  kp="$(live_pid kafka)"; cp="$(live_pid clickhouse)"
  [ -n "$kp" ] && [ -n "$cp" ] && port_open "$KAFKA_PORT" && ch_ping
}

cmd_up() {
  local t0; t0="$(now)"
  take_lock
  if healthy_fast; then
    log "already running and healthy (kafka pid $(cat "$KAFKA_PID"), clickhouse pid $(cat "$CH_PID"))"
    [ -f "$VERSIONS_FILE" ] || record_versions
    print_versions
    return 0
  fi
  mkdir -p "$KAFKA_LOGS" "$STACK_DIR"
  ensure_tools
  resolve_kafka_jars
  local kp cp
  kp="$(live_pid kafka)"; cp="$(live_pid clickhouse)"
  if [ -z "$cp" ]; then render_clickhouse_config; start_clickhouse; cp="$(cat "$CH_PID")"
  else log "clickhouse already running (pid $cp)"; fi
  if [ -z "$kp" ]; then
    render_kafka_config; format_kafka_storage; start_kafka; kp="$(cat "$KAFKA_PID")"
  else log "kafka already running (pid $kp)"; fi
  wait_clickhouse "$cp"
  log "clickhouse ready on http://127.0.0.1:$CLICKHOUSE_HTTP_PORT (tcp $CLICKHOUSE_TCP_PORT)"
  wait_kafka "$kp"
  log "kafka ready on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
  record_versions
  print_versions
  log "up in $(( $(now) - t0 ))s"
}

cmd_down() {
  local t0; t0="$(now)"
  take_lock
  stop_many kafka clickhouse
  local left; left="$(kafka_pids; ch_pids)"
  [ -z "$left" ] || die "processes still running: $left"
  log "stopped (data kept in $LOCAL_DIR; $(( $(now) - t0 ))s)"
}

cmd_status() {
  local kp cp rc=0 kv cv
  kp="$(live_pid kafka)"; cp="$(live_pid clickhouse)"
  kv="$(kafka_version)"
  if [ -n "$kp" ] && port_open "$KAFKA_PORT"; then
    printf '%-11s running   pid=%-8s port=%s controller=%s version=%s\n' kafka "$kp" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$kv"
  elif [ -n "$kp" ]; then
    printf '%-11s starting  pid=%-8s port=%s (not accepting yet) version=%s\n' kafka "$kp" "$KAFKA_PORT" "$kv"; rc=3
  else
    printf '%-11s stopped   port=%s version=%s\n' kafka "$KAFKA_PORT" "$kv"; rc=3
  fi
  if [ -n "$cp" ] && ch_ping; then
    cv="$(ch_version)"
    printf '%-11s running   pid=%-8s http=%s tcp=%s version=%s\n' clickhouse "$cp" "$CLICKHOUSE_HTTP_PORT" "$CLICKHOUSE_TCP_PORT" "$cv"
  elif [ -n "$cp" ]; then
    printf '%-11s starting  pid=%-8s http=%s (not answering yet)\n' clickhouse "$cp" "$CLICKHOUSE_HTTP_PORT"; rc=3
  else
    cv="$(sed -n 's/^clickhouse=//p' "$VERSIONS_FILE" 2>/dev/null || true)"
    printf '%-11s stopped   http=%s tcp=%s version=%s\n' clickhouse "$CLICKHOUSE_HTTP_PORT" "$CLICKHOUSE_TCP_PORT" "${cv:-unknown}"; rc=3
  fi
  return "$rc"
}

cmd_logs() {
  local n="${1:-40}" f
  for f in "$KAFKA_LOGS/server.log" "$KAFKA_LOGS/controller.log" "$KAFKA_LOGS/kafka.out" \
           "$CH_HOME/logs/clickhouse-server.log" "$CH_HOME/logs/clickhouse-server.err.log" "$CH_HOME/logs/stdout.log"; do
    [ -f "$f" ] || continue
    printf -- '===== %s (last %s lines) =====\n' "$f" "$n"
    tail -n "$n" "$f"
  done
}

cmd_env() {
  echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
  echo "CLICKHOUSE_URL=http://127.0.0.1:$CLICKHOUSE_HTTP_PORT"
}

cmd_reset() {
  cmd_down
  rm -rf "$KAFKA_DATA" "$KAFKA_HOME/cluster.id" \
         "$CH_HOME/data" "$CH_HOME/tmp" "$CH_HOME/user_files" "$CH_HOME/format_schemas" "$VERSIONS_FILE"
  log "wiped Kafka and ClickHouse data under $LOCAL_DIR (jars and logs kept)"
}

usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
}

main() {
  local cmd="${1:-}"; [ $# -gt 0 ] && shift
  case "$cmd" in
    up) cmd_up ;;
    down|stop) cmd_down ;;
    status) cmd_status ;;
    versions) print_versions ;;
    logs) cmd_logs "$@" ;;
    env) cmd_env ;;
    reset) cmd_reset ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
