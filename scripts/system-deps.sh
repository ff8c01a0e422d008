#!/usr/bin/env bash
# Debian packages Lamha's media tools need at run and test time. Idempotent: when every
# tool is already on PATH it does nothing and returns at once. Needs root to install.
#
#   libheif-examples  heif-convert, heif-info   HEIC/HEIF photos (the prebuilt sharp has no HEVC)
#   poppler-utils     pdftoppm, pdfinfo         first-page preview of PDF documents
#   ffmpeg            ffmpeg, ffprobe           video
#   imagemagick       convert-im6.q16           only for benchmarks and tests that compare against it
#
# ImageMagick is detected by its versioned binary, not `convert`: another program named
# `convert` may come first on PATH, and the tests call /usr/bin/convert explicitly.
set -euo pipefail

# package -> tools it provides (space-separated); all must be found for the package to count
declare -A TOOLS=(
  [libheif-examples]="heif-convert heif-info"
  [poppler-utils]="pdftoppm pdfinfo"
  [ffmpeg]="ffmpeg ffprobe"
  [imagemagick]="convert-im6.q16"
)

log() { printf 'system-deps.sh: %s\n' "$*" >&2; }

missing=()
for pkg in "${!TOOLS[@]}"; do
  for tool in ${TOOLS[$pkg]}; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      missing+=("$pkg")
      break
    fi
  done
done

[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  log "missing, and not root: apt-get install -y --no-install-recommends ${missing[*]}"
  exit 1
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
