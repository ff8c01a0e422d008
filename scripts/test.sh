#!/usr/bin/env bash
# The test lane, as users and CI run it (`npm test`): the system packages the tests need,
# a real S3 server (Ceph RGW, in RAM) for the run, the tap suite, and one closing line
# "N passed, N failed". Extra arguments go to tap (e.g. a test file).
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh || { echo "cannot install the media tools (needs root and Debian's packages)" >&2; exit 1; }
bash scripts/rgw.sh install || { echo "cannot install Ceph RGW (needs root and Debian's packages)" >&2; exit 1; }
[ -d node_modules ] || npm ci

started_rgw=0
if ! bash scripts/rgw.sh status >/dev/null 2>&1; then started_rgw=1; fi
exports=$(bash scripts/rgw.sh start) || { echo "Ceph RGW did not start" >&2; exit 1; }
eval "$exports"
# leave an RGW that was already running (a developer's) as it was
if [ "$started_rgw" = 1 ]; then trap 'bash scripts/rgw.sh stop >/dev/null 2>&1' EXIT; fi

rm -rf .tap/test-results
npx tap "$@"
tap_status=$?
node scripts/tap-summary.mjs
summary_status=$?
[ "$tap_status" = 0 ] && [ "$summary_status" = 0 ]
