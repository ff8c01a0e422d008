#!/usr/bin/env bash
# Validates docker-compose.yml with docker-compose (the legacy Python one from Debian's
# `docker-compose` package, installed here if missing). Exits non-zero if the file is invalid.
# Usage: bash scripts/compose-check.sh [path/to/docker-compose.yml]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
file="${1:-$root/docker-compose.yml}"

if [ ! -f "$file" ]; then
  echo "compose-check: $file not found" >&2
  exit 1
fi

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "compose-check: installing docker-compose (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends docker-compose >/dev/null; then
    apt-get update >/dev/null
    apt-get install -y --no-install-recommends docker-compose >/dev/null
  fi
fi

docker-compose -f "$file" config -q

echo "compose-check: $file is valid ($(docker-compose version --short 2>/dev/null || echo docker-compose))"
