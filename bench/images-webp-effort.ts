/**
 * The largest WebP's effort, and the JPEG fallback's size, measured on real camera photos:
 * bytes and CPU ms of the 2048 px (or the source's own size) WebP at effort 0, 1 and 2, and of
 * the JPEG fallback at the largest size against 1200 px — each from the pixels deriveImage
 * encodes (bench/images-variant.ts mirrors its decode), one libvips thread as in the worker.
 *
 *   npx tsx bench/images-webp-effort.ts [photo …]
 *
 * Default photos: the camera photos of test/fixtures and of $LAMHA_SHARED_FIXTURES
 * (default /work/shared/fixtures) whose long edge is over 1024 px, i.e. that get a `large`
 * rendition; HEIC goes through decodableImage() (libheif) as in the worker.
 * BENCH_EFFORT_REPEATS (default 5): encodes of each setting per photo; the fastest counts.
 * Prints a table; exit status 1 when a photo cannot be read.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { decodableImage } from '../src/media/decode.js';
import { FALLBACK_LONG_EDGE, plannedSizes, WORKER_SHARP_THREADS } from '../src/media/images.js';
import { envInt } from './env.js';
import { ROOT } from './harness.js';
import { CURRENT, deriveVariant } from './images-variant.js';

const REPEATS = Math.max(1, envInt('BENCH_EFFORT_REPEATS', 5));
const SHARED = process.env.LAMHA_SHARED_FIXTURES ?? '/work/shared/fixtures';
const EFFORTS = [0, 1, 2] as const;
/** camera photos (not illustrations, scans, thermal data or animations) */
const CAMERA = /^(jpeg|heic)_/;
const MIME: Record<string, string> = { '.jpg': 'image/jpeg', '.heic': 'image/heic' };

sharp.concurrency(WORKER_SHARP_THREADS);

function defaultPhotos(): string[] {
  const byName = new Map<string, string>();
  for (const dir of [path.join(ROOT, 'test/fixtures'), SHARED]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (CAMERA.test(f) && MIME[path.extname(f)] && !byName.has(f)) byName.set(f, path.join(dir, f));
  }
  return [...byName.values()];
}

/** The fastest of REPEATS runs, in CPU ms of this process (libvips' threads included), and the bytes. */
async function measure(encode: () => Sharp): Promise<{ cpuMs: number; bytes: number }> {
  let best = Infinity;
  let bytes = 0;
  for (let i = 0; i < REPEATS; i++) {
    const cpu0 = process.cpuUsage();
    const out = await encode().toBuffer();
    const cpu = process.cpuUsage(cpu0);
    best = Math.min(best, (cpu.user + cpu.system) / 1000);
    bytes = out.length;
  }
  return { cpuMs: best, bytes };
}

interface Row { photo: string; edge: number; webp: Record<number, { cpuMs: number; bytes: number }>; jpegLargest: { cpuMs: number; bytes: number }; jpegFallback: { cpuMs: number; bytes: number } }

const work = mkdtempSync(path.join(os.tmpdir(), 'lamha-bench-effort-'));
const rows: Row[] = [];
try {
  for (const file of process.argv.slice(2).length > 0 ? process.argv.slice(2) : defaultPhotos()) {
    const mime = MIME[path.extname(file).toLowerCase()] ?? 'image/jpeg';
    const decodable = await decodableImage(file, mime, work, { timeoutMs: 120_000, maxPixels: 200_000_000 });
    const meta = await sharp(decodable.path).metadata();
    const swap = (meta.orientation ?? 1) >= 5;
    const sizes = plannedSizes(Math.max(swap ? meta.height! : meta.width!, swap ? meta.width! : meta.height!));
    if (sizes[sizes.length - 1]!.name !== 'large') continue;
    const { pixels } = await deriveVariant(decodable.path, CURRENT, 200_000_000);
    const { info } = await pixels().raw().toBuffer({ resolveWithObject: true });
    const webp: Row['webp'] = {};
    for (const effort of EFFORTS) webp[effort] = await measure(() => pixels().webp({ ...CURRENT.webp.large, effort }));
    const jpeg = (p: Sharp) => p.flatten({ background: '#ffffff' }).jpeg(CURRENT.jpeg);
    const jpegLargest = await measure(() => jpeg(pixels()));
    const jpegFallback = await measure(() => jpeg(pixels().resize({ width: FALLBACK_LONG_EDGE, height: FALLBACK_LONG_EDGE, fit: 'inside', withoutEnlargement: true })));
    rows.push({ photo: path.basename(file), edge: Math.max(info.width, info.height), webp, jpegLargest, jpegFallback });
    process.stderr.write(`${path.basename(file)} done\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const kB = (b: number) => (b / 1000).toFixed(1);
const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${((a / b - 1) * 100).toFixed(1)} %`;
console.log(`large WebP (quality ${CURRENT.webp.large.quality}), sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, libwebp ${sharp.versions.webp}, ${WORKER_SHARP_THREADS} libvips thread, fastest of ${REPEATS}`);
console.log('| photo | px | e0 kB | e1 kB | e2 kB | e0 vs e1 bytes | e0 CPU ms | e1 CPU ms | e2 CPU ms | JPEG largest kB / ms | JPEG 1200 kB / ms |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.photo} | ${r.edge} | ${kB(r.webp[0]!.bytes)} | ${kB(r.webp[1]!.bytes)} | ${kB(r.webp[2]!.bytes)} | ${pct(r.webp[0]!.bytes, r.webp[1]!.bytes)} | ${r.webp[0]!.cpuMs.toFixed(0)} | ${r.webp[1]!.cpuMs.toFixed(0)} | ${r.webp[2]!.cpuMs.toFixed(0)} | ${kB(r.jpegLargest.bytes)} / ${r.jpegLargest.cpuMs.toFixed(0)} | ${kB(r.jpegFallback.bytes)} / ${r.jpegFallback.cpuMs.toFixed(0)} |`);
}
const sum = (f: (r: Row) => number) => rows.reduce((s, r) => s + f(r), 0);
const total = Object.fromEntries(EFFORTS.map((e) => [e, { bytes: sum((r) => r.webp[e]!.bytes), cpuMs: sum((r) => r.webp[e]!.cpuMs) }]));
console.log(`| **all ${rows.length}** | | ${kB(total[0]!.bytes)} | ${kB(total[1]!.bytes)} | ${kB(total[2]!.bytes)} | ${pct(total[0]!.bytes, total[1]!.bytes)} | ${total[0]!.cpuMs.toFixed(0)} | ${total[1]!.cpuMs.toFixed(0)} | ${total[2]!.cpuMs.toFixed(0)} | ${kB(sum((r) => r.jpegLargest.bytes))} / ${sum((r) => r.jpegLargest.cpuMs).toFixed(0)} | ${kB(sum((r) => r.jpegFallback.bytes))} / ${sum((r) => r.jpegFallback.cpuMs).toFixed(0)} |`);
const worst = Math.max(...rows.map((r) => r.webp[0]!.bytes / r.webp[1]!.bytes - 1));
console.log(`effort 0 vs 1: ${pct(total[0]!.bytes, total[1]!.bytes)} bytes over all (worst photo ${pct(1 + worst, 1)}), ${pct(total[0]!.cpuMs, total[1]!.cpuMs)} CPU`);
if (rows.length === 0) process.exitCode = 1;
