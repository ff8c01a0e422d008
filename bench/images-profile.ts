/**
 * Where deriveImage() spends its time, in a process of its own (sharp settings are process-wide):
 * its steps (bench/images-variant.ts, which mirrors src/media/images.ts) are run one at a time
 * on each photo, each timed in wall-clock and CPU milliseconds; then settings it could use
 * instead, on the same photo and pixels.
 *
 * Photo 0 also goes through deriveImage() itself, and the mirror must give the same bytes:
 * `mirrorMatches` false means images.ts changed and bench/images-variant.ts needs to follow.
 *
 * Each photo goes through all of it `repeats` times and each step keeps its fastest time on that
 * photo (other work on the machine only ever adds time); the figures are medians over the photos.
 *
 * Input as JSON in BENCH_IMAGES_RUN: {files, repeats, sharpConcurrency, pixelLimit}. Output: one JSON line.
 */
import sharp, { type Sharp } from 'sharp';
import { deriveImage, FALLBACK_LONG_EDGE } from '../src/media/images.js';
import { CURRENT, PROPOSED, deriveVariant, type Step } from './images-variant.js';

export interface ProfileSpec {
  files: string[];
  repeats: number;
  sharpConcurrency: number;
  pixelLimit: number;
}

export interface StepFigure {
  /** medians over the photos of the fastest of the repeats on each photo */
  wallMs: number;
  cpuMs: number;
  /** mean output bytes, for encodes */
  bytes?: number;
}

export interface ProfileResult {
  photos: number;
  repeats: number;
  sharpConcurrency: number;
  /** what deriveImage does, in order */
  steps: Record<string, StepFigure>;
  /** other settings for a step, timed on the same photo or pixels */
  alternatives: Record<string, StepFigure>;
  /** the whole pipeline with bench/images-variant.ts PROPOSED settings (empty while they are CURRENT) */
  proposed: Record<string, StepFigure>;
  mirrorMatches: boolean;
}

const { webp: WEBP, jpeg: JPEG_FALLBACK } = CURRENT;
const flat = { background: '#ffffff' };

/** Settings deriveImage could use instead: [name, how] (from the photo or from the 2048 pixels). */
const ALTERNATIVES: [string, (p: () => Sharp, file: string) => Sharp][] = [
  // nearest neighbour costs next to nothing: this is about the JPEG decode (shrink-on-load ½) alone
  ['decode + resize, kernel nearest (≈ decode alone)', (_, f) => sharp(f, { sequentialRead: true, failOn: 'error' }).rotate().resize({ width: 2048, height: 2048, fit: 'inside', kernel: 'nearest' }).toColourspace('srgb').raw()],
  ['decode + resize, kernel mitchell', (_, f) => sharp(f, { sequentialRead: true, failOn: 'error' }).rotate().resize({ width: 2048, height: 2048, fit: 'inside', kernel: 'mitchell' }).toColourspace('srgb').raw()],
  ['webp large effort 1', (p) => p().webp({ ...WEBP.large, effort: 1 })],
  ['webp large effort 2', (p) => p().webp({ ...WEBP.large, effort: 2 })],
  ['webp large effort 4', (p) => p().webp({ ...WEBP.large, effort: 4 })],
  ['webp large quality 72', (p) => p().webp({ ...WEBP.large, quality: 72 })],
  ['webp medium effort 3', (p) => p().resize(1024, 1024, { fit: 'inside' }).webp({ ...WEBP.medium, effort: 3 })],
  ['webp thumb effort 4', (p) => p().resize(400, 400, { fit: 'inside' }).webp({ ...WEBP.thumb, effort: 4 })],
  ['jpeg fallback progressive', (p) => p().resize(FALLBACK_LONG_EDGE, FALLBACK_LONG_EDGE, { fit: 'inside' }).flatten(flat).jpeg({ ...JPEG_FALLBACK, progressive: true })],
  ['jpeg fallback mozjpeg', (p) => p().resize(FALLBACK_LONG_EDGE, FALLBACK_LONG_EDGE, { fit: 'inside' }).flatten(flat).jpeg({ ...JPEG_FALLBACK, mozjpeg: true })],
  ['jpeg 2048 (the fallback until Dec 2026)', (p) => p().flatten(flat).jpeg(JPEG_FALLBACK)],
];

const spec = JSON.parse(process.env.BENCH_IMAGES_RUN ?? '') as ProfileSpec;
sharp.concurrency(spec.sharpConcurrency);

/** per step, per photo: the fastest wall and CPU times of the repeats, and the output's bytes */
type Samples = Map<string, Map<number, { wall: number; cpu: number; bytes?: number }>>;

function timer(samples: Samples, photo: number): Step {
  return async (name, fn, bytesOf) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const v = await fn();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    let s = samples.get(name);
    if (!s) samples.set(name, (s = new Map()));
    const prev = s.get(photo);
    const ms = (cpu.user + cpu.system) / 1000;
    s.set(photo, {
      wall: Math.min(wall, prev?.wall ?? Infinity),
      cpu: Math.min(ms, prev?.cpu ?? Infinity),
      ...(bytesOf ? { bytes: bytesOf(v) } : {}),
    });
    return v;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
function figures(samples: Samples): Record<string, StepFigure> {
  return Object.fromEntries([...samples].map(([name, byPhoto]) => {
    const s = [...byPhoto.values()];
    const bytes = s.flatMap((x) => (x.bytes === undefined ? [] : [x.bytes]));
    return [name, { wallMs: median(s.map((x) => x.wall)), cpuMs: median(s.map((x) => x.cpu)), ...(bytes.length ? { bytes: Math.round(mean(bytes)) } : {}) }];
  }));
}

const first = spec.files[0]!;
const mirrored = await deriveVariant(first, CURRENT, spec.pixelLimit);
const derived = await deriveImage(first, { pixelLimit: spec.pixelLimit });
const mirrorMatches = derived.placeholder === mirrored.placeholder && derived.renditions.length === mirrored.renditions.length
  && derived.renditions.every((r, i) => r.name === mirrored.renditions[i]!.name && r.data.length === mirrored.renditions[i]!.bytes);

const steps: Samples = new Map();
const alternatives: Samples = new Map();
const proposed: Samples = new Map();
for (let repeat = 0; repeat < Math.max(1, spec.repeats); repeat++) {
  for (const [i, file] of spec.files.entries()) {
    const out = await deriveVariant(file, CURRENT, spec.pixelLimit, timer(steps, i));
    const time = timer(alternatives, i);
    for (const [name, make] of ALTERNATIVES) await time(name, () => make(out.pixels, file).toBuffer(), name.startsWith('decode') ? undefined : (b) => b.length);
    if (PROPOSED !== CURRENT) await deriveVariant(file, PROPOSED, spec.pixelLimit, timer(proposed, i));
  }
}

const result: ProfileResult = {
  photos: spec.files.length, repeats: Math.max(1, spec.repeats), sharpConcurrency: sharp.concurrency(),
  steps: figures(steps), alternatives: figures(alternatives), proposed: figures(proposed), mirrorMatches,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
