/**
 * One Lamha run of bench/images, in a process of its own: sharp's thread and cache settings are
 * process-wide, and a fresh process measures each configuration's memory alone.
 *
 * The run is given as JSON in BENCH_IMAGES_RUN:
 *   {mode, files, concurrency, sharpConcurrency, sharpCache, pixelLimit}
 * mode
 *   derive     deriveImage() on each photo — what a worker does per photo besides I/O;
 *   proposed   the same pipeline with the encoder settings the profile recommends
 *              (PROPOSED in bench/images-variant.ts);
 *   immich     an Immich-like sharp pipeline (bench/images-immich.ts): a 1440 px preview JPEG
 *              and a 250 px thumbnail WebP, quality 80, from one decode;
 *   processor  what derive-image does per photo short of S3 and PostgreSQL: the original
 *              spooled to a work directory by the worker's spool() (from a local file instead
 *              of the S3 download),
 *              decodableImage() and deriveImage() with the exiftool metadata read beside them, the directory removed
 *              (the worker reads the tags so of a photo not cleaned at upload: an event that keeps
 *              locations, a JPEG whose head could not be cleaned; of one cleaned at upload it takes
 *              those the API read, and so does the worker run of bench/images).
 * Photos are taken from one shared list by `concurrency` loops, as a BullMQ worker with that
 * concurrency takes jobs. The first photo is processed once, untimed, before the clock starts.
 *
 * It prints one JSON line on stdout: the wall-clock seconds, CPU seconds, RSS (idle before the
 * timed part, peak during it from 10 ms sampling, and the kernel's high-water mark), the
 * latency of each photo and the bytes of each rendition.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodableImage } from '../src/media/decode.js';
import { deriveImage } from '../src/media/images.js';
import { createMetadataReader, type MetadataReader } from '../src/media/metadata.js';
import { spool } from '../src/storage/spool.js';
import { childrenCpuSeconds } from './harness.js';
import { immichLike } from './images-immich.js';
import { PROPOSED, deriveVariant } from './images-variant.js';

export interface LamhaRunSpec {
  mode: 'derive' | 'proposed' | 'immich' | 'processor';
  files: string[];
  concurrency: number;
  sharpConcurrency: number;
  /** 'default': sharp's own cache settings; 'off': sharp.cache(false) */
  sharpCache: 'default' | 'off';
  pixelLimit: number;
}

export interface LamhaRunResult {
  seconds: number;
  photosPerSecond: number;
  cpuSeconds: number;
  cpuSystemSeconds: number;
  /** CPU seconds of this process's children (the exiftool processes) during the timed part */
  childCpuSeconds: number;
  idleRssMB: number;
  peakRssMB: number;
  hwmRssMB: number;
  latencyMs: { median: number; max: number };
  renditionBytes: Record<string, number>;
  sharp: { concurrency: number; cache: LamhaRunSpec['sharpCache']; uvThreadpoolSize: string; simd: boolean; mallocArenaMax?: string };
}

const spec = JSON.parse(process.env.BENCH_IMAGES_RUN ?? '') as LamhaRunSpec;

sharp.concurrency(spec.sharpConcurrency);
if (spec.sharpCache === 'off') sharp.cache(false);

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 10);

function hwmRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

let metadata: MetadataReader | undefined;
if (spec.mode === 'processor') metadata = createMetadataReader({ timeoutMs: 30_000 });

type Rendered = { name: string; bytes: number }[];
const sizes = (d: { renditions: { name: string; data: Buffer }[] }): Rendered => d.renditions.map((r) => ({ name: r.name, bytes: r.data.length }));

async function one(file: string): Promise<Rendered> {
  if (spec.mode === 'derive') return sizes(await deriveImage(file, { pixelLimit: spec.pixelLimit }));
  if (spec.mode === 'proposed') return (await deriveVariant(file, PROPOSED, spec.pixelLimit)).renditions;
  if (spec.mode === 'immich') return (await immichLike(file)).renditions;
  const work = await mkdtemp(path.join(os.tmpdir(), 'lamha-bench-image-'));
  try {
    const original = path.join(work, 'original');
    await spool(createReadStream(file), original);
    // as derive-image does: the tags read while the photo is decoded
    const reading = metadata!.read(original);
    const decodable = await decodableImage(original, 'image/jpeg', work, { timeoutMs: 120_000, maxPixels: 200_000_000 });
    const made = sizes(await deriveImage(decodable.path, { pixelLimit: spec.pixelLimit }));
    await reading;
    return made;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

try {
  await one(spec.files[0]!);
  await new Promise((r) => setTimeout(r, 200));
  const idle = process.memoryUsage.rss();
  peakRss = idle;

  const latencies: number[] = [];
  const bytes: Record<string, number> = {};
  const children0 = childrenCpuSeconds(process.pid);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let cursor = 0;
  await Promise.all(Array.from({ length: spec.concurrency }, async () => {
    while (cursor < spec.files.length) {
      const file = spec.files[cursor++]!;
      const s = performance.now();
      const renditions = await one(file);
      latencies.push(performance.now() - s);
      for (const r of renditions) bytes[r.name] = (bytes[r.name] ?? 0) + r.bytes;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const childCpuSeconds = childrenCpuSeconds(process.pid) - children0;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  clearInterval(sampler);

  latencies.sort((a, b) => a - b);
  const result: LamhaRunResult = {
    seconds,
    photosPerSecond: spec.files.length / seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    cpuSystemSeconds: cpu.system / 1e6,
    childCpuSeconds,
    idleRssMB: idle / 1e6,
    peakRssMB: peakRss / 1e6,
    hwmRssMB: hwmRss() / 1e6,
    latencyMs: { median: latencies[Math.floor(latencies.length / 2)]!, max: latencies[latencies.length - 1]! },
    renditionBytes: Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, Math.round(v / spec.files.length)])),
    sharp: { concurrency: sharp.concurrency(), cache: spec.sharpCache, uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)', simd: sharp.simd(), mallocArenaMax: process.env.MALLOC_ARENA_MAX },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  clearInterval(sampler);
  await metadata?.close();
}
