#!/usr/bin/env bash
# Throw-away Ceph RADOS Gateway (real S3 server) for the test suite.
#
#   scripts/rgw.sh install   install Debian's ceph packages if missing (idempotent)
#   scripts/rgw.sh start     start mon + osd + radosgw, print `export S3_...` lines
#                            usage:  eval "$(scripts/rgw.sh start)"
#   scripts/rgw.sh stop      stop radosgw, osd, mon (in that order); remove state dir
#   scripts/rgw.sh status    exit 0 if running (and print the exports)
#
# `npm test` (scripts/test.sh) starts a gateway of its own for each run, in a fresh RGW_DIR with
# RGW_PORT=0 and RGW_MON_PORT=0, and stops it when the run ends: two runs on one machine never
# share, stop or reuse each other's. A developer may keep one running across runs with
# `scripts/rgw.sh start` (the defaults below) and `LAMHA_TEST_RGW=shared npm test`.
#
# The cluster is one monitor + one OSD using memstore (objects live in RAM,
# nothing is kept), no manager, no cephx.  Every ceph command gets `-c` with a
# private ceph.conf in $RGW_DIR, so nothing touches /etc/ceph or a real cluster.
#
# Knobs (environment):
#   RGW_DIR            state dir (conf, mon store, pid files, logs)
#                      default ${TMPDIR:-/tmp}/lamha-rgw
#   RGW_PORT           S3 HTTP port on 127.0.0.1            default 7480
#                      0: the gateway binds a port the kernel gives it, read back from its socket
#   RGW_MON_PORT       monitor (msgr v2) port on 127.0.0.1  default 6799
#                      0: a free port below the kernel's ephemeral range, another one if the
#                      monitor cannot bind it (the monitor's address is fixed in the monmap,
#                      so it cannot bind port 0)
#   RGW_ACCESS_KEY     S3 access key                        default lamha-test-access
#   RGW_SECRET_KEY     S3 secret key                        default lamha-test-secret-key
#   RGW_MEMSTORE_BYTES RAM cap of the OSD                   default 4 GiB
#   RGW_START_TIMEOUT  seconds to wait for readiness        default 60
#
# stdout of `start`/`status` is only the export lines; everything else goes to
# stderr or to $RGW_DIR/log/.
set -euo pipefail

RGW_DIR=${RGW_DIR:-${TMPDIR:-/tmp}/lamha-rgw}
RGW_DIR=${RGW_DIR%/}
RGW_PORT=${RGW_PORT:-7480}
RGW_MON_PORT=${RGW_MON_PORT:-6799}
RGW_ACCESS_KEY=${RGW_ACCESS_KEY:-lamha-test-access}
RGW_SECRET_KEY=${RGW_SECRET_KEY:-lamha-test-secret-key}
RGW_MEMSTORE_BYTES=${RGW_MEMSTORE_BYTES:-4294967296}
RGW_START_TIMEOUT=${RGW_START_TIMEOUT:-60}
# RGW accepts "us-east-1" (and its zonegroup name "default") as SigV4 region
# and as bucket LocationConstraint; any other name gets InvalidLocationConstraint
# on makeBucket. us-east-1 is also what S3 clients assume by default.
S3_REGION=us-east-1

PACKAGES=(ceph-mon ceph-osd radosgw ceph-common)
CONF="$RGW_DIR/ceph.conf"
MARKER="$RGW_DIR/.lamha-rgw" # proves the dir is ours before any rm -rf
ENV_FILE="$RGW_DIR/env"
# daemon name -> pid file; also the stop order (gateway first, monitor last)
DAEMONS=(client.rgw osd.0 mon.a)

log() { printf 'rgw.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

case "$RGW_DIR" in
  "" | / | /tmp | /var/tmp | "$HOME") die "refusing to use RGW_DIR='$RGW_DIR'" ;;
esac
case "$RGW_PORT$RGW_MON_PORT" in *[!0-9]*) die "RGW_PORT and RGW_MON_PORT must be port numbers or 0" ;; esac

# ---------------------------------------------------------------- install
installed() { command -v radosgw ceph-mon ceph-osd radosgw-admin monmaptool ceph >/dev/null 2>&1; }

cmd_install() {
  installed && return 0
  [ "$(id -u)" = 0 ] || die "ceph packages missing and not root: apt-get install ${PACKAGES[*]}"
  log "installing ${PACKAGES[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Only refresh the package lists if the install fails (e.g. empty lists in
  # a fresh container); an update costs seconds to minutes.
  if ! apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2; then
    apt-get update >&2
    apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2
  fi
  installed || die "packages installed but ceph binaries still missing"
}

# ---------------------------------------------------------------- helpers
pidfile() { echo "$RGW_DIR/run/$1.pid"; }

# Live pid of daemon $1, or fail.  Checks that the pid really is a ceph daemon
# started with our conf (guards against pid reuse) and is not a zombie: the
# daemons double-fork, and until init reaps them `kill -0` still succeeds.
daemon_pid() {
  local f pid
  f=$(pidfile "$1")
  [ -s "$f" ] || return 1
  pid=$(<"$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$CONF" || return 1
  echo "$pid"
}

alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Stop pid $1 with SIGTERM, waiting up to $2 seconds, then SIGKILL.
stop_pid() {
  local pid=$1 waited=0 limit=$(($2 * 50))
  kill -TERM "$pid" 2>/dev/null || return 0
  while alive "$pid"; do
    if [ "$waited" -ge "$limit" ]; then
      log "pid $pid ignored SIGTERM, killing"
      kill -KILL "$pid" 2>/dev/null || true
      limit=$((limit + 250))
    fi
    sleep 0.02
    waited=$((waited + 1))
  done
}

# True if something already accepts TCP connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True if the gateway answers HTTP on port $1 (any status line will do).
http_ok() {
  local line
  line=$(timeout 2 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
    IFS= read -r line <&3 && printf "%s" "$line"' _ "$1" 2>/dev/null) || return 1
  [[ "$line" == HTTP/* ]]
}

# The port of a running cluster's gateway, from its env file.
gateway_port() {
  local port
  port=$(sed -n 's|^export S3_ENDPOINT=http://127.0.0.1:\([0-9]*\)$|\1|p' "$ENV_FILE" 2>/dev/null)
  [ -n "$port" ] && echo "$port"
}

# A port nothing listens on, between 10000 and the start of the kernel's ephemeral range (whose
# ports outgoing connections take) -- which also keeps it clear of the OSDs' 6800-7300. Only a
# guess: whoever binds it must be ready to find it taken and ask again.
free_port() {
  local lo _ p i
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
  [ "$lo" -gt 11000 ] || lo=32768
  for i in $(seq 100); do
    p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
    port_busy "$p" || { echo "$p"; return 0; }
  done
  die "no free port found between 10000 and $lo"
}

# The TCP port pid $1 listens on (its only listening TCP socket), read from /proc: the kernel's
# choice when it bound port 0.
listen_port() {
  local pid=$1 inodes=" " fd link hex
  for fd in /proc/"$pid"/fd/*; do
    link=$(readlink "$fd" 2>/dev/null) || continue
    [[ "$link" == socket:\[*\] ]] && inodes+="${link:8:-1} "
  done
  # /proc/net/tcp: local_address is HEXIP:HEXPORT, st 0A is LISTEN, the 10th field the inode
  hex=$(awk -v inodes="$inodes" '$4 == "0A" && index(inodes, " " $10 " ") {
      split($2, a, ":"); print a[2]; exit }' /proc/net/tcp)
  [ -n "$hex" ] && echo $((16#$hex))
}

running() {
  local d
  [ -f "$MARKER" ] && [ -s "$ENV_FILE" ] || return 1
  for d in "${DAEMONS[@]}"; do daemon_pid "$d" >/dev/null || return 1; done
}

# memstore's accounting of used bytes can wrap below zero after many deletions (seen after a few
# GiB of benchmark uploads and deletes): the OSD then reports itself full and RGW holds every write
# without an error. Such a cluster is started afresh rather than reused.
osd_full() {
  timeout 10 ceph -c "$CONF" --connect-timeout 5 health 2>/dev/null | grep -q 'full osd'
}

dump_logs() {
  local f
  for f in "$RGW_DIR"/log/*; do
    [ -s "$f" ] || continue
    log "---- tail $f"
    tail -n 15 "$f" >&2 || true
  done
}

# Kill whatever daemons of ours are still alive and delete the state dir.
teardown() {
  local d pid
  [ -d "$RGW_DIR" ] || return 0
  if [ ! -f "$MARKER" ]; then
    rmdir "$RGW_DIR" 2>/dev/null || die "$RGW_DIR exists but was not created by rgw.sh; not touching it"
    return 0
  fi
  for d in "${DAEMONS[@]}"; do
    if pid=$(daemon_pid "$d"); then
      stop_pid "$pid" 10
    fi
  done
  rm -rf "$RGW_DIR"
}

ceph_cli() { timeout 30 ceph -c "$CONF" --connect-timeout 20 "$@"; }

write_conf() {
  local fsid=$1 mon_port=$2
  cat >"$CONF" <<EOF
# Generated by scripts/rgw.sh -- throw-away single-node test cluster.
[global]
fsid = $fsid
# msgr v2 only: one port per daemon, and the mon address is unambiguous.
mon host = [v2:127.0.0.1:$mon_port]
ms bind msgr1 = false
public addr = 127.0.0.1
cluster addr = 127.0.0.1

# No cephx at all (no keyrings to create or distribute).
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
# With auth none the default msgr2 mode negotiation leaves radosgw hanging on
# its first mon session; forcing plain crc mode everywhere avoids it.
ms mon client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms client mode = crc
ms cluster mode = crc
ms service mode = crc

# One OSD: allow unreplicated pools, and let CRUSH place on OSDs directly
# (leaf type 0) instead of requiring distinct hosts.
mon allow pool size one = true
osd pool default size = 1
osd pool default min size = 1
osd crush chooseleaf type = 0
# Few PGs per pool: pool creation (radosgw makes ~7 pools) is the bulk of the
# start time; and never trip the per-OSD PG limit.
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000

# Commit paxos proposals after 10 ms instead of 1 s: start ~0.8 s vs ~12 s.
paxos propose interval = 0.01
paxos min wait = 0.01
# Do not refuse to start when the disk holding RGW_DIR is nearly full.
mon data avail crit = 0
mon data avail warn = 0
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false

# RAM-only object store; the size is a cap, memory is used as objects arrive.
osd objectstore = memstore
memstore device bytes = $RGW_MEMSTORE_BYTES

run dir = $RGW_DIR/run
pid file = $RGW_DIR/run/\$name.pid
log file = $RGW_DIR/log/\$name.log
log to stderr = false
err to stderr = false
mon data = $RGW_DIR/mon/\$name
osd data = $RGW_DIR/osd/\$name

# Admin sockets only for the daemons: concurrent CLI tools (ceph,
# radosgw-admin) would otherwise fight over the same socket path.
[mon]
admin socket = $RGW_DIR/run/\$name.asok
# A port taken meanwhile fails the start at once (rgw.sh then tries another one with
# RGW_MON_PORT=0), not after the default 3 attempts 5 s apart.
ms bind retry count = 1
ms bind retry delay = 0
[osd]
admin socket = $RGW_DIR/run/\$name.asok

[client.rgw]
admin socket = $RGW_DIR/run/\$name.asok
rgw data = $RGW_DIR/rgw
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw enable usage log = false
rgw enable ops log = false
# Reclaim deleted/overwritten object data quickly (defaults: 2 h / 1 h), so
# a long test run does not fill the RAM-backed OSD.
rgw gc obj min wait = 30
rgw gc processor period = 30
EOF
}

# The monitor on port $1: its map, its store, the daemon. Fails if it cannot bind the port.
start_mon() {
  local fsid=$1 port=$2 L=$3
  rm -rf "$RGW_DIR/mon" "$RGW_DIR/monmap"
  mkdir -p "$RGW_DIR/mon"
  write_conf "$fsid" "$port"
  monmaptool -c "$CONF" --create --fsid "$fsid" \
    --addv a "[v2:127.0.0.1:$port]" "$RGW_DIR/monmap" >>"$L" 2>&1 &&
    ceph-mon -c "$CONF" -i a --mkfs --monmap "$RGW_DIR/monmap" >>"$L" 2>&1 &&
    # Daemonizes once it has bound its port (a bind failure is its exit status), writes
    # run/mon.a.pid. Daemons get `9>&-`: fd 9 holds the start/stop flock and must not be
    # inherited by long-lived processes, or the next stop would block forever.
    ceph-mon -c "$CONF" -i a >>"$L" 2>&1 9>&-
}

start_cluster() {
  local fsid
  [ "$RGW_PORT" = 0 ] || ! port_busy "$RGW_PORT" || die "port $RGW_PORT already in use (set RGW_PORT, or 0 for any)"
  [ "$RGW_MON_PORT" = 0 ] || ! port_busy "$RGW_MON_PORT" || die "port $RGW_MON_PORT already in use (set RGW_MON_PORT, or 0 for any)"

  mkdir -p "$RGW_DIR"
  : >"$MARKER"
  mkdir -p "$RGW_DIR"/{run,log,mon,osd/osd.0,rgw}
  fsid=$(cat /proc/sys/kernel/random/uuid)
  local L="$RGW_DIR/log/setup.log"

  # monitor: with RGW_MON_PORT=0, a port another process took meanwhile means another try
  local mon_port=$RGW_MON_PORT attempt=1
  [ "$RGW_MON_PORT" != 0 ] || mon_port=$(free_port)
  until start_mon "$fsid" "$mon_port" "$L"; do
    [ "$RGW_MON_PORT" = 0 ] && [ "$attempt" -lt 5 ] || die "ceph-mon did not start on port $mon_port"
    log "ceph-mon could not start on port $mon_port; trying another"
    attempt=$((attempt + 1))
    mon_port=$(free_port)
  done

  # OSD: allocate id 0 in the osdmap, format the memstore, start it.  It adds
  # itself to the CRUSH map on boot (osd crush update on start).
  ceph_cli osd create >>"$L" 2>&1
  ceph-osd -c "$CONF" -i 0 --mkfs >>"$L" 2>&1
  ceph-osd -c "$CONF" -i 0 >>"$L" 2>&1 9>&-

  # Gateway: on first boot it creates the default realm/zonegroup/zone and its
  # pools, blocking until the OSD is up -- no need to poll the OSD ourselves.
  radosgw -c "$CONF" -n client.rgw >>"$L" 2>&1 9>&-

  # With RGW_PORT=0 the gateway binds whatever port the kernel gives it: read it back.
  local deadline=$((SECONDS + RGW_START_TIMEOUT)) port=$RGW_PORT pid
  until [ "$port" != 0 ] && http_ok "$port"; do
    pid=$(daemon_pid client.rgw) || die "radosgw exited during startup"
    [ "$RGW_PORT" != 0 ] || port=$(listen_port "$pid") || port=0
    port=${port:-0}
    [ "$SECONDS" -lt "$deadline" ] || die "radosgw not answering on port $port (0: not listening yet) after ${RGW_START_TIMEOUT}s"
    sleep 0.05
  done

  # Users are read through from RADOS, so creating one after the gateway is up
  # is fine; doing it earlier would race the gateway's zone bootstrap.
  timeout 30 radosgw-admin -c "$CONF" user create --uid=lamha --display-name="Lamha tests" \
    --access-key="$RGW_ACCESS_KEY" --secret-key="$RGW_SECRET_KEY" >>"$L" 2>&1

  cat >"$ENV_FILE.tmp" <<EOF
export S3_ENDPOINT=http://127.0.0.1:$port
export S3_ACCESS_KEY=$RGW_ACCESS_KEY
export S3_SECRET_KEY=$RGW_SECRET_KEY
export S3_REGION=$S3_REGION
EOF
  mv "$ENV_FILE.tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------- commands
# Serialize start/stop on the same RGW_DIR.  The lock lives next to the dir
# because stop deletes the dir itself.
lock() {
  mkdir -p "$(dirname "$RGW_DIR")"
  exec 9>"$RGW_DIR.lock"
  flock -w 120 9 || die "timed out waiting for lock $RGW_DIR.lock"
}

cmd_start() {
  cmd_install
  lock
  if running; then
    if ! osd_full; then
      cat "$ENV_FILE"
      return 0
    fi
    log "the OSD reports itself full (it would hold every write): starting afresh"
  fi
  # Leftovers of a killed/failed run, or a full OSD: stop surviving daemons, wipe, restart.
  teardown
  local t0=$SECONDS
  # Any failure below (set -e or die) exits through this trap: show the logs,
  # kill what was started, remove the dir.
  trap 'rc=$?; trap - EXIT; log "start failed"; dump_logs; teardown; exit $rc' EXIT
  start_cluster
  trap - EXIT
  log "ceph rgw ready on 127.0.0.1:$(gateway_port) (state in $RGW_DIR, ~$((SECONDS - t0))s)"
  cat "$ENV_FILE"
}

cmd_stop() {
  lock
  local d pid
  if [ -f "$MARKER" ]; then
    # Gateway first (finishes in-flight requests), then the OSD, then the
    # monitor, each waited for.  The OSD stops immediately (fast shutdown,
    # memstore content is discarded anyway).
    for d in "${DAEMONS[@]}"; do
      if pid=$(daemon_pid "$d"); then
        stop_pid "$pid" 15
      fi
    done
  fi
  teardown
}

cmd_status() {
  if running && http_ok "$(gateway_port)" && ! osd_full; then
    cat "$ENV_FILE"
    return 0
  fi
  return 1
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 {install|start|stop|status}" >&2
    exit 2
    ;;
esac
