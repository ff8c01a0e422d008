#!/usr/bin/env bash
# The test lane, as users and CI run it: `npm test` for the whole suite, `npm test -- <files>` for
# some, with the same lanes either way. In order: PostgreSQL and Redis must answer (else one line
# says what to start); the system packages the tests use; a Ceph RGW of this run's own (in RAM,
# its own directory and ports, stopped when the run ends however it ends); the tap suite against
# it and against the embedded S3 server; and one closing line "N passed, N failed, N skipped"
# that is never better than tap's own verdict. Extra arguments go to tap.
#
# Environment:
#   TEST_DATABASE_URL       the tests' PostgreSQL         default postgres://127.0.0.1/lamha_test
#   REDIS_URL               the tests' Redis              default redis://127.0.0.1:6379
#   LAMHA_TEST_RGW=shared   use the gateway of `scripts/rgw.sh start` (started if need be) and
#                           leave it running, for quicker repeated runs
#   LAMHA_TEST_S3=embedded  no Ceph RGW: the embedded S3 server only; the tests report the RGW
#                           lane as skipped
set -uo pipefail
cd "$(dirname "$0")/.."

say() { printf 'npm test: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- PostgreSQL and Redis
# "host port" of scheme://[user[:password]@]host[:port][/path][?query]; $2 is the default port.
host_port() {
  local rest=${1#*://}
  rest=${rest%%/*}
  rest=${rest%%\?*}
  rest=${rest##*@}
  local host=localhost port=$2
  if [[ "$rest" =~ ^(\[[^]]*\]|[^:]*)(:([0-9]+))?$ ]]; then
    host=${BASH_REMATCH[1]:-localhost}
    port=${BASH_REMATCH[3]:-$2}
  fi
  host=${host#[}
  echo "${host%]} $port"
}

# PostgreSQL answers an SSLRequest with one byte, S or N, before any authentication.
pg_answers() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x08\x04\xd2\x16\x2f" >&3
    r=$(head -c1 <&3); [ "$r" = S ] || [ "$r" = N ]' "$1" "$2" 2>/dev/null
}

# Redis answers PING with +PONG, or with an error (-NOAUTH…) when it wants a password.
redis_answers() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "PING\r\n" >&3
    IFS= read -r line <&3; [[ "$line" == [+-]* ]]' "$1" "$2" 2>/dev/null
}

read -r pg_host pg_port <<<"$(host_port "${TEST_DATABASE_URL:-postgres://127.0.0.1/lamha_test}" 5432)"
read -r redis_host redis_port <<<"$(host_port "${REDIS_URL:-redis://127.0.0.1:6379}" 6379)"
missing=()
start=()
if ! pg_answers "$pg_host" "$pg_port"; then
  missing+=("PostgreSQL at $pg_host:$pg_port (TEST_DATABASE_URL)")
  start+=("service postgresql start")
fi
if ! redis_answers "$redis_host" "$redis_port"; then
  missing+=("Redis at $redis_host:$redis_port (REDIS_URL)")
  start+=("service redis-server start")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${#missing[@]}" = 2 ]; then
    say "no answer from ${missing[0]} nor from ${missing[1]}; start them: ${start[0]} && ${start[1]}"
  else
    say "no answer from ${missing[0]}; start it: ${start[0]}"
  fi
  exit 1
fi

# ---------------------------------------------------------------- tools and modules
bash scripts/system-deps.sh --test || { say "cannot install the tools the tests use (needs root and Debian's packages)"; exit 1; }
[ -d node_modules ] || npm ci || exit 1

# ---------------------------------------------------------------- the S3 lanes
run_dir=""
stop_own_rgw() {
  [ -n "$run_dir" ] || return 0
  if RGW_DIR="$run_dir/rgw" bash scripts/rgw.sh stop >/dev/null 2>&1; then
    rm -f "$run_dir/rgw.lock" "$run_dir/owner"
    rmdir "$run_dir" 2>/dev/null
  else
    say "could not stop this run's Ceph RGW; its state is in $run_dir"
  fi
  run_dir=""
}

# True if pid $1 is a live (not zombie) process running this script.
test_sh_alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ] &&
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'scripts/test\.sh'
}

# Gateways of runs that were killed outright (SIGKILL, a lost terminal) before they could stop
# them. A run's directory names its test.sh; one whose process is gone is stopped, one still
# running is left alone.
stop_orphans() {
  local d owner
  for d in "${TMPDIR:-/tmp}"/lamha-test-rgw.*; do
    [ -f "$d/owner" ] || continue
    owner=$(<"$d/owner")
    [[ "$owner" =~ ^[0-9]+$ ]] || continue
    test_sh_alive "$owner" && continue
    say "stopping the Ceph RGW of an earlier run that was killed ($d)"
    RGW_DIR="$d/rgw" bash scripts/rgw.sh stop >/dev/null 2>&1 && rm -f "$d/rgw.lock" "$d/owner" && rmdir "$d" 2>/dev/null
  done
}

if [ "${LAMHA_TEST_S3:-}" = embedded ]; then
  say "LAMHA_TEST_S3=embedded: no Ceph RGW in this run; the tests report its lane as skipped"
  unset S3_ENDPOINT
else
  bash scripts/rgw.sh install || { say "cannot install Ceph RGW (needs root and Debian's packages)"; exit 1; }
  if [ "${LAMHA_TEST_RGW:-}" = shared ]; then
    # the developer's gateway: started if need be, never stopped here
    exports=$(bash scripts/rgw.sh start) || { say "the shared Ceph RGW did not start"; exit 1; }
  else
    stop_orphans
    run_dir=$(mktemp -d "${TMPDIR:-/tmp}/lamha-test-rgw.XXXXXX") || exit 1
    echo $$ >"$run_dir/owner"
    trap stop_own_rgw EXIT
    # a signal ends the run through the EXIT trap, which stops this run's gateway
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
    exports=$(RGW_DIR="$run_dir/rgw" RGW_PORT=0 RGW_MON_PORT=0 bash scripts/rgw.sh start) || { say "Ceph RGW did not start"; exit 1; }
  fi
  eval "$exports"
fi

# ---------------------------------------------------------------- the suite
# --save lists the files tap itself failed (an exit code, a signal), for the summary. tap runs only
# the files a save file lists when one exists, so a stale one must go first.
rm -rf .tap/test-results .tap/failed-files
# Twice as many files at once as there are cores: many of them spend much of their time waiting
# (a worker's lock running out, a video playing in the browser, ffmpeg's own threads), and
# with one file per core the run takes half again as long (measured in the issue notes).
jobs=$(( $(nproc) * 2 ))
named_files=0
for arg in "$@"; do case "$arg" in -*) ;; *) named_files=1 ;; esac; done
if [ "$named_files" = 1 ]; then
  npx tap --jobs="$jobs" --save=.tap/failed-files "$@"
  tap_status=$?
else
  # tap starts files in alphabetical order, which would leave the longest (the video workers and
  # the browser) to the end with idle cores beside them: they get a lane of their own from the
  # start, its report printed after the other lane's.
  mapfile -t heavy < <(find test/browser test/workers -name '*.test.ts' | sort)
  mapfile -t rest < <(find test -name '*.test.ts' -not -path 'test/browser/*' -not -path 'test/workers/*' | sort)
  mkdir -p .tap && rm -f .tap/failed-heavy .tap/heavy.out
  # Two tap processes would each build tap's plugin set on a fresh clone, at the same time, into
  # the same directory, and break it: it is built once, before them.
  npx tap build >/dev/null || { say "tap could not build its plugins"; exit 1; }
  npx tap --jobs=$(( jobs / 2 )) --save=.tap/failed-heavy "$@" "${heavy[@]}" >.tap/heavy.out 2>&1 &
  heavy_pid=$!
  npx tap --jobs=$(( jobs - jobs / 2 + 1 )) --save=.tap/failed-files "$@" "${rest[@]}"
  tap_status=$?
  wait "$heavy_pid"
  heavy_status=$?
  cat .tap/heavy.out
  [ -s .tap/failed-heavy ] && cat .tap/failed-heavy >>.tap/failed-files
  [ "$tap_status" = 0 ] && tap_status=$heavy_status
fi
node scripts/tap-summary.mjs --tap-status="$tap_status" --tap-failed=.tap/failed-files
