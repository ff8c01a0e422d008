#!/usr/bin/env bash
# Debian packages Lamha's media tools need at run and test time. Idempotent: when every
# tool is already on PATH it does nothing and returns at once. Needs root to install.
#
#   libheif-examples  heif-convert, heif-info   HEIC/HEIF photos (the prebuilt sharp has no HEVC);
#                     heif-enc                  the tests make hostile HEIFs with it
#   poppler-utils     pdftoppm, pdfinfo         page previews of PDF documents
#   util-linux        prlimit, setpriv          resource limits and privileges of every external tool
#   qpdf              qpdf                      the public copy of a PDF, rewritten without its metadata
#   ffmpeg            ffmpeg, ffprobe           video
#   imagemagick       convert-im6.q16           only for benchmarks and tests that compare against it
#   chromium          chromium                  only for the browser tests (test/browser, driven by playwright-core)
#   procps            ps                        only for tests that look for leftover child processes
#   redis-server      redis-server              only for tests that start a Redis of their own
#   wrk               wrk                       only for bench/gallery (an HTTP load generator in C)
#   postgresql-client pg_dump, pg_restore       `npm run backup` / `npm run restore` and their test (not the service)
#   prometheus        promtool                  only for the test of ops/prometheus' alert rules; taken out of
#                                               the package into /usr/local/bin, not installed: installing it
#                                               would start a Prometheus server
#
# The tests also make HEVC clips, so with --test (and by default) ffmpeg must have the libx265
# encoder, as Debian's has; an ffmpeg without it first on PATH is an error, not a skipped test.
#
# ImageMagick is detected by its versioned binary, not `convert`: another program named
# `convert` may come first on PATH, and the tests call /usr/bin/convert explicitly.
#
# Options: --runtime  only what the service needs (libheif, poppler, qpdf, ffmpeg), as `npm start` asks;
#          --test     what the test suite uses (all but wrk), as `npm test` asks;
#                     with neither, everything, the benchmarks' wrk included;
#          --optional on failure (not root, no network) warn and succeed: the service runs,
#                     and HEIC photos, PDFs and videos fail with a clear reason until installed.
set -euo pipefail

mode=all
optional=0
for arg in "$@"; do
  case "$arg" in
    --runtime) mode=runtime ;;
    --test) mode=test ;;
    --optional) optional=1 ;;
    *) echo "usage: $0 [--runtime | --test] [--optional]" >&2; exit 2 ;;
  esac
done

# package -> tools it provides (space-separated); all must be found for the package to count
declare -A TOOLS=(
  [libheif-examples]="heif-convert heif-info heif-enc"
  [util-linux]="prlimit setpriv"
  [poppler-utils]="pdftoppm pdfinfo"
  [qpdf]="qpdf"
  [ffmpeg]="ffmpeg ffprobe"
  [imagemagick]="convert-im6.q16"
  [chromium]="chromium"
  [procps]="ps"
  [redis-server]="redis-server"
  [wrk]="wrk"
  [unzip]="unzip zipinfo"
  [nginx]="nginx"
  [postgresql-client]="pg_dump pg_restore"
)

log() { printf 'system-deps.sh: %s\n' "$*" >&2; }
case "$mode" in
  runtime) unset 'TOOLS[imagemagick]' 'TOOLS[chromium]' 'TOOLS[procps]' 'TOOLS[redis-server]' 'TOOLS[wrk]' 'TOOLS[unzip]' 'TOOLS[nginx]' 'TOOLS[postgresql-client]' ;;
  test) unset 'TOOLS[wrk]' ;;
esac

# The HEVC tests encode with libx265: a build without it must not turn them into skips.
check_x265() {
  [ "$mode" = runtime ] && return 0
  local encoders
  encoders=$(ffmpeg -hide_banner -encoders 2>/dev/null) || true
  if [[ "$encoders" != *libx265* ]]; then
    log "error: $(command -v ffmpeg) has no libx265 encoder, which the tests need: use Debian's ffmpeg (apt-get install ffmpeg, /usr/bin first on PATH)"
    exit 1
  fi
}
if [ "$optional" = 1 ]; then
  # any failure below becomes a warning
  trap 'log "warning: could not install the media tools; HEIC photos, PDFs and videos will fail until they are installed"; exit 0' ERR
  set -E
fi

# promtool alone, out of Debian's prometheus package (see above)
install_promtool() {
  [ "$mode" = runtime ] && return 0
  command -v promtool >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing, and not root: promtool (apt-get download prometheus; dpkg-deb -x it; copy usr/bin/promtool to /usr/local/bin)"
    false
  fi
  local dir
  dir=$(mktemp -d)
  log "installing promtool (from Debian's prometheus package)"
  # apt's sandbox user must be able to write where the package is downloaded
  chmod 755 "$dir"
  if ! (cd "$dir" && apt-get -o APT::Sandbox::User=root download prometheus >&2); then
    apt-get update >&2
    (cd "$dir" && apt-get -o APT::Sandbox::User=root download prometheus >&2)
  fi
  dpkg-deb -x "$dir"/prometheus_*.deb "$dir/x"
  install -m 755 "$dir/x/usr/bin/promtool" /usr/local/bin/promtool
  rm -rf "$dir"
  promtool --version >/dev/null
}

missing=()
for pkg in "${!TOOLS[@]}"; do
  for tool in ${TOOLS[$pkg]}; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      missing+=("$pkg")
      break
    fi
  done
done

if [ "${#missing[@]}" -eq 0 ]; then
  install_promtool
  check_x265
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  log "missing, and not root: apt-get install -y --no-install-recommends ${missing[*]}"
  false
fi

log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package lists are refreshed only when the install fails on stale or absent lists.
if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
  log "install failed; running apt-get update and trying again"
  apt-get update >&2
  apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi

for pkg in "${missing[@]}"; do
  for tool in ${TOOLS[$pkg]}; do
    command -v "$tool" >/dev/null 2>&1 || { log "error: $tool still missing after installing $pkg"; exit 1; }
  done
done
log "installed ${missing[*]}"
install_promtool
check_x265
