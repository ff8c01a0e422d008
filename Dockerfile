# Lamha image: one image for both processes.
#   API (default):  node --max-semi-space-size=1 --optimize-for-size --no-sparkplug --no-maglev dist/src/server.js
#   worker:         node dist/workers/main.js
# Without S3_ENDPOINT the API runs its embedded S3 server and keeps objects under DATA_DIR.

# ---- build: compile TypeScript, then drop the devDependencies ----
FROM node:24-bookworm AS build
WORKDIR /app

# Dependencies first, so source edits reuse this layer. npm ci installs the prebuilt
# sharp/libvips binaries for this platform (@img/sharp-linux-*) from optional deps.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# `npm run build` needs typescript (a devDependency): prune only after it.
# The build script also copies src/db/migrations/*.sql into dist/src/db/migrations.
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
RUN npm run build \
 && test -f dist/src/server.js \
 && test -f dist/workers/main.js \
 && ls dist/src/db/migrations/*.sql >/dev/null \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----
FROM node:24-bookworm-slim AS runtime

# ffmpeg/ffprobe: video; exiftool: metadata (and the perl that exiftool-vendored's copy runs on);
# heif-convert/heif-info: HEIC photos; pdftoppm: previews of PDF documents; qpdf: their public
# copies, rewritten without metadata; tini: PID 1. prlimit and setpriv (tool limits) are util-linux's.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ffmpeg \
      libimage-exiftool-perl \
      libheif-examples \
      poppler-utils \
      qpdf \
      tini \
 && rm -rf /var/lib/apt/lists/*

# glibc's allocator is tuned per kind of process, where each is started (docker-compose.yml, and
# package.json's scripts outside Docker), as it reads its settings only at process start:
# - the worker: MALLOC_ARENA_MAX=2. glibc keeps up to 8 arenas per core, which libvips' threads
#   fill: with 2 its peak RSS fell from ≈397 to ≈296 MB at the same speed (bench/images). The worker
#   sets sharp's threads itself (src/media/images.ts): sharp would otherwise take this variable as
#   a cue to run one libvips thread per core per photo.
# - the API: MALLOC_MMAP_THRESHOLD_=131072, buffers of 128 KiB and more (an upload's S3 parts) in
#   mappings of their own that go back to the system when freed. Peak RSS during a 1 GiB upload
#   187–202 MB against 198–220 without, and 207–249 with the worker's MALLOC_ARENA_MAX=2 (bench/upload).
#   Its command also caps V8's semi-spaces at 2 MiB: Node 24 lets them grow to tens of MiB under
#   the stream of upload buffers (idle API ≈300 MB after one upload; ≈190 MB with the cap, same speed).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data

WORKDIR /app

# Code stays root-owned (read-only for the app); only DATA_DIR is writable by `node`.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# /app/data/handoff: the API's copies of uploaded photos for the workers (a volume both share in docker-compose.yml)
RUN mkdir -p /app/data/handoff && chown -R node:node /app/data

USER node

EXPOSE 3000

# The worker has no HTTP server: docker-compose.yml disables this check for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# tini, as PID 1, passes SIGTERM on to node, which stops gracefully (README, "Stopping and
# upgrading"). Node is started directly, never through npm, which does not pass signals on.
ENTRYPOINT ["tini", "--"]
# The API's V8 flags keep its memory low (bench/README.md, "resumable"): a young generation of
# 1 MiB semi-spaces (Node 24 grows them to tens of MiB under a stream of upload buffers), V8's
# memory-saving mode, and no Sparkplug or Maglev code (the hot code is still optimised by TurboFan).
# Peak RSS while a 1 GiB upload streams: ≈180 MB instead of ≈330 MB; cached pages are served at
# about two thirds of the default flags' top rate, still thousands a second on 2 cores.
CMD ["node", "--max-semi-space-size=1", "--optimize-for-size", "--no-sparkplug", "--no-maglev", "dist/src/server.js"]
