/**
 * Where deriveImage() spends its time, in a process of its own (sharp settings are process-wide):
 * its steps are run one at a time on each photo, each timed in wall-clock and CPU milliseconds,
 * and then encoder settings it could use instead, on the same decoded pixels.
 *
 * The steps mirror src/media/images.ts with its sizes and encoder options copied here. Photo 0
 * also goes through deriveImage() itself, and the mirror's outputs must have the same bytes:
 * `mirrorMatches` false means images.ts changed and this file needs to follow.
 *
 * Input as JSON in BENCH_IMAGES_RUN: {files, sharpConcurrency, pixelLimit}. Output: one JSON line.
 */
import sharp, { type JpegOptions, type Sharp, type WebpOptions } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import { deriveImage, plannedSizes } from '../src/media/images.js';

export interface ProfileSpec {
  files: string[];
  sharpConcurrency: number;
  pixelLimit: number;
}

export interface StepFigure {
  /** medians over the photos */
  wallMs: number;
  cpuMs: number;
  /** mean output bytes, for encodes */
  bytes?: number;
}

export interface ProfileResult {
  photos: number;
  sharpConcurrency: number;
  /** what deriveImage does, in order */
  steps: Record<string, StepFigure>;
  /** other settings for a step, timed on the same pixels */
  alternatives: Record<string, StepFigure>;
  mirrorMatches: boolean;
}

// Copied from src/media/images.ts (checked against deriveImage() below).
const WEBP: Record<string, WebpOptions> = {
  thumb: { quality: 78, effort: 4 },
  medium: { quality: 78, effort: 3 },
  large: { quality: 78, effort: 2 },
};
const JPEG_FALLBACK: JpegOptions = { quality: 82, progressive: true, chromaSubsampling: '4:2:0' };

/** Settings deriveImage could use instead: [name, step it replaces, how]. */
const ALTERNATIVES: [string, string, (p: () => Sharp, file: string) => Sharp][] = [
  ['decode only, shrink-on-load to 3000×2000 (the floor)', 'decode', (_, f) => sharp(f, { sequentialRead: true }).resize(3000, 2000).raw()],
  ['decode + resize, kernel linear', 'decode', (_, f) => sharp(f, { sequentialRead: true, failOn: 'error' }).rotate().resize({ width: 2048, height: 2048, fit: 'inside', kernel: 'linear' }).toColourspace('srgb').raw()],
  ['decode + resize, kernel mitchell', 'decode', (_, f) => sharp(f, { sequentialRead: true, failOn: 'error' }).rotate().resize({ width: 2048, height: 2048, fit: 'inside', kernel: 'mitchell' }).toColourspace('srgb').raw()],
  ['webp large effort 0', 'webp large', (p) => p().webp({ ...WEBP.large, effort: 0 })],
  ['webp large effort 1', 'webp large', (p) => p().webp({ ...WEBP.large, effort: 1 })],
  ['webp large effort 4', 'webp large', (p) => p().webp({ ...WEBP.large, effort: 4 })],
  ['webp large quality 72', 'webp large', (p) => p().webp({ ...WEBP.large, quality: 72 })],
  ['webp medium effort 2', 'webp medium', (p) => p().resize(1024, 1024, { fit: 'inside' }).webp({ ...WEBP.medium, effort: 2 })],
  ['webp thumb effort 2', 'webp thumb', (p) => p().resize(400, 400, { fit: 'inside' }).webp({ ...WEBP.thumb, effort: 2 })],
  ['jpeg large baseline', 'jpeg large', (p) => p().flatten({ background: '#ffffff' }).jpeg({ ...JPEG_FALLBACK, progressive: false })],
  ['jpeg large baseline, optimised coding', 'jpeg large', (p) => p().flatten({ background: '#ffffff' }).jpeg({ ...JPEG_FALLBACK, progressive: false, optimiseCoding: true })],
  ['jpeg large mozjpeg', 'jpeg large', (p) => p().flatten({ background: '#ffffff' }).jpeg({ ...JPEG_FALLBACK, mozjpeg: true })],
  ['jpeg 1024 progressive', 'jpeg large', (p) => p().resize(1024, 1024, { fit: 'inside' }).flatten({ background: '#ffffff' }).jpeg(JPEG_FALLBACK)],
];

const spec = JSON.parse(process.env.BENCH_IMAGES_RUN ?? '') as ProfileSpec;
sharp.concurrency(spec.sharpConcurrency);

const samples = new Map<string, { wall: number[]; cpu: number[]; bytes: number[] }>();

async function timed<T>(name: string, fn: () => Promise<T>, bytesOf?: (v: T) => number): Promise<T> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const v = await fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  let s = samples.get(name);
  if (!s) samples.set(name, (s = { wall: [], cpu: [], bytes: [] }));
  s.wall.push(wall);
  s.cpu.push((cpu.user + cpu.system) / 1000);
  if (bytesOf) s.bytes.push(bytesOf(v));
  return v;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const figure = (name: string): StepFigure => {
  const s = samples.get(name)!;
  return { wallMs: median(s.wall), cpuMs: median(s.cpu), ...(s.bytes.length ? { bytes: Math.round(mean(s.bytes)) } : {}) };
};

/** deriveImage's steps on one photo; the outputs' bytes in order. */
async function mirror(file: string, record: boolean): Promise<number[]> {
  const t = record ? timed : <T>(_: string, fn: () => Promise<T>) => fn();
  const meta = await t('header (metadata)', () => sharp(file, { limitInputPixels: false }).metadata());
  const sizes = plannedSizes(Math.max(meta.width!, meta.height!));
  const largest = sizes[sizes.length - 1]!;
  const base = await t('decode + orient + resize to 2048 (raw)', () => sharp(file, { limitInputPixels: spec.pixelLimit, failOn: 'error', sequentialRead: true, pages: 1 })
    .rotate()
    .resize({ width: largest.longEdge, height: largest.longEdge, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true }));
  const raw = { raw: { width: base.info.width, height: base.info.height, channels: base.info.channels } } as const;
  const pixels = () => sharp(base.data, raw);
  const out: number[] = [];
  for (const size of sizes) {
    const data = await t(`webp ${size.name}`, () => (size === largest ? pixels() : pixels().resize({ width: size.longEdge, height: size.longEdge, fit: 'inside' }))
      .webp(WEBP[size.name]).toBuffer(), (b) => b.length);
    out.push(data.length);
  }
  const jpeg = await t(`jpeg ${largest.name}`, () => pixels().flatten({ background: '#ffffff' }).jpeg(JPEG_FALLBACK).toBuffer(), (b) => b.length);
  out.push(jpeg.length);
  const small = await t('thumbhash: resize to 100', () => pixels().resize({ width: 100, height: 100, fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true }));
  await t('thumbhash: encode (JS)', async () => rgbaToThumbHash(small.info.width, small.info.height, small.data));

  if (record) {
    for (const [name, step, make] of ALTERNATIVES) await timed(name, () => make(pixels, file).toBuffer(), step === 'decode' ? undefined : (b) => b.length);
  }
  return out;
}

const first = spec.files[0]!;
const viaMirror = await mirror(first, false);
const derived = await deriveImage(first, { pixelLimit: spec.pixelLimit });
const mirrorMatches = derived.renditions.length === viaMirror.length && derived.renditions.every((r, i) => r.data.length === viaMirror[i]);

for (const file of spec.files) await mirror(file, true);

const steps: Record<string, StepFigure> = {};
const alternatives: Record<string, StepFigure> = {};
for (const name of samples.keys()) {
  if (ALTERNATIVES.some(([a]) => a === name)) alternatives[name] = figure(name);
  else steps[name] = figure(name);
}
const result: ProfileResult = { photos: spec.files.length, sharpConcurrency: sharp.concurrency(), steps, alternatives, mirrorMatches };
process.stdout.write(`${JSON.stringify(result)}\n`);
