/**
 * Image pipeline benchmark: 24 MP camera photos through Lamha's image processing vs ImageMagick
 * making the same renditions, in the same run on the same machine; then sharp's settings tuned
 * and deriveImage's time taken apart.
 *
 *   npx tsx bench/images.ts                    (or: npm run bench:images)
 *
 * Photos: BENCH_PHOTOS camera-like 6000×4000 JPEGs (bench/images-inputs.ts), cached in
 * bench/results/.cache/images. Each round runs, one after the other:
 *   lamha derive      deriveImage() on every photo, as many at a time as the worker's `images`
 *                     concurrency (QUEUE_CONCURRENCY.images), sharp and glibc's malloc set as
 *                     in the worker (WORKER_SHARP_THREADS, MALLOC_ARENA_MAX=2);
 *   lamha proposed    the same pipeline with the encoder settings PROPOSED in
 *                     bench/images-variant.ts, to show their gain under the same conditions
 *                     (skipped while they are the settings of src/media/images.ts);
 *   immich-like       Immich's sharp pipeline with its default sizes and settings
 *                     (bench/images-immich.ts: one decode, a 1440 px preview JPEG and a 250 px
 *                     thumbnail WebP, quality 80) under the same conditions as lamha derive;
 *   lamha processor   deriveImage() plus what derive-image does around it short of S3 and PostgreSQL:
 *                     spooling the original to a work directory and the exiftool metadata read;
 *   lamha worker      the whole way (bench/images-e2e.ts): the photos POSTed to the API, then made
 *                     ready by the real worker process with S3 and PostgreSQL — timed from the
 *                     `images` queue's resumption to the last photo ready; the goal is judged on it,
 *                     and lamha derive runs once more right after it: each round's worker run is
 *                     also compared with the mean of the derive runs before and after it, and
 *                     the median of those ratios over the rounds is given beside the best-of one;
 *   magick …          ImageMagick's convert making the same four renditions (WebP 2048/1024/400
 *                     and the JPEG fallback at 1200, the same qualities and efforts), BENCH_MAGICK_PARALLEL photos
 *                     at a time: one process per rendition from the original, as Piwigo and Lychee
 *                     do; one process per photo; and that with JPEG shrink-on-load.
 * Every Lamha run is a child process (bench/images-lamha.ts, compiled to JS as in production).
 * Every timed run starts on a settled machine (`settle` in bench/harness.ts: under a quarter of
 * a core busy, at most 10 s of waiting, a wait over a second logged).
 * Then the tuning grid (job concurrency × sharp threads × sharp cache), the worker's setting
 * with and without MALLOC_ARENA_MAX=2 (glibc's allocator, for memory), and the profile of
 * deriveImage's steps (bench/images-profile.ts).
 *
 * Environment:
 *   BENCH_PHOTOS            photos per run                                    default 24
 *   BENCH_ROUNDS            rounds of the comparison; best-of is kept; 0 skips it  default 2
 *   BENCH_GRID              tuning grid: job concurrencies (comma-separated), "0" skips it
 *                                                                             default 1,2,3,4
 *   BENCH_GRID_ROUNDS       rounds of the grid; best-of is kept               default 2
 *   BENCH_PROFILE_PHOTOS    photos in the profile, 0 skips it                 default 8
 *   BENCH_PROFILE_REPEATS   times each photo goes through the profile; its fastest counts  default 3
 *   BENCH_MAGICK            ImageMagick's convert  default /usr/bin/convert-im6.q16, else /usr/bin/convert
 *   BENCH_MAGICK_PARALLEL   photos ImageMagick works on at a time             default 2
 *   BENCH_MAGICK_VARIANTS   which ImageMagick variants run (comma-separated)  default all
 *   BENCH_RUNTIME           js (compiled) or tsx for the Lamha processes      default js
 *   BENCH_WORKER            0 skips the worker run                            default 1
 *   BENCH_WORKER_NODE_ARGS  node flags for the worker process of that run alone  default none
 *   S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION   the worker run's S3 server (Ceph RGW:
 *                           eval "$(scripts/rgw.sh start)"); the embedded s3rver when unset
 *   DATABASE_URL, REDIS_URL the worker run's PostgreSQL and Redis  default postgres://127.0.0.1/lamha_test,
 *                           redis://127.0.0.1:6379 (a schema and key prefix of its own, removed after)
 *
 * Output: a table on stdout (progress on stderr) and bench/results/images-<date>.json.
 * Exit status 1 when a run fails.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { FALLBACK_LONG_EDGE, WORKER_SHARP_THREADS } from '../src/media/images.js';
import { QUEUE_CONCURRENCY } from '../src/queues/jobs.js';
import { cameraPhotos, PHOTO_HEIGHT, PHOTO_QUALITY, PHOTO_WIDTH, NOISE_SIGMA } from './images-inputs.js';
import { CURRENT, PROPOSED } from './images-variant.js';
import type { LamhaRunResult, LamhaRunSpec } from './images-lamha.js';
import type { ProfileResult, ProfileSpec } from './images-profile.js';
import { envInt } from './env.js';
import { compile, diagnosticArgs, log, ROOT, settle } from './harness.js';
import { openWorkerBench, type WorkerBench, type WorkerRunResult } from './images-e2e.js';

const GOAL_PHOTOS_PER_SECOND = 4;
const GOAL_RATIO = 3;
/** issue 16: the whole path at least this share of deriveImage alone, in the same run */
const GOAL_WORKER_OF_DERIVE = 0.9;
/** issue 16: deriveImage alone at least this many times the best single-process ImageMagick */
const GOAL_DERIVE_VS_SINGLE = 2.5;
/** the worker's default: IMAGE_MAX_PIXELS */
const PIXEL_LIMIT = 200_000_000;

const PHOTOS = Math.max(1, envInt('BENCH_PHOTOS', 24));
const ROUNDS = envInt('BENCH_ROUNDS', 2);
const GRID = (process.env.BENCH_GRID ?? '1,2,3,4') === '0' ? [] : (process.env.BENCH_GRID ?? '1,2,3,4').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const GRID_ROUNDS = Math.max(1, envInt('BENCH_GRID_ROUNDS', 2));
const PROFILE_PHOTOS = envInt('BENCH_PROFILE_PHOTOS', 8);
const PROFILE_REPEATS = Math.max(1, envInt('BENCH_PROFILE_REPEATS', 3));
const MAGICK_PARALLEL = Math.max(1, envInt('BENCH_MAGICK_PARALLEL', 2));
const RUNTIME = (process.env.BENCH_RUNTIME ?? 'js') as 'js' | 'tsx';
if (RUNTIME !== 'js' && RUNTIME !== 'tsx') throw new Error(`BENCH_RUNTIME must be js or tsx (got "${RUNTIME}")`);
const WORKER_CONCURRENCY = QUEUE_CONCURRENCY.images;
const WORKER_RUN = process.env.BENCH_WORKER !== '0';

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
const load1 = () => round2(os.loadavg()[0]!);

// ---------------------------------------------------------------- Lamha runs (child processes)

const BUILD_DIR = path.join(ROOT, 'bench', 'results', '.build-images');

/** Runs bench/<name>.ts in a child process with `spec` and answers its JSON line. */
/** `env` is added to this process's environment; an undefined value removes the variable. */
async function child<T>(name: string, spec: unknown, env: Record<string, string | undefined> = {}): Promise<T> {
  const args = [...diagnosticArgs(), ...(RUNTIME === 'js'
    ? [path.join(BUILD_DIR, 'bench', `${name}.js`)]
    : ['--import', 'tsx', path.join(ROOT, 'bench', `${name}.ts`)])];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, BENCH_IMAGES_RUN: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`${name} exited with ${code}: ${out.trim()}`);
  return JSON.parse(line) as T;
}

interface Setting {
  concurrency: number;
  sharpConcurrency: number;
  sharpCache: 'default' | 'off';
  /** glibc malloc arenas (MALLOC_ARENA_MAX in the process's environment); unset: glibc's default, 8 per core */
  mallocArenaMax?: number;
}

/** sharp's own default thread count in this environment (1 on glibc without jemalloc). */
const SHARP_DEFAULT_THREADS = sharp.concurrency();

/** Before each timed run: the machine settled (bench/harness.ts), and a wait of more than a second said. */
async function settled(what: string): Promise<void> {
  const waited = await settle();
  if (waited > 1) log(`${what}: waited ${fmt(waited, 1)} s for the machine to settle`);
}

async function lamha(mode: LamhaRunSpec['mode'], files: string[], s: Setting): Promise<LamhaRunResult & { load1: number }> {
  await settled(`lamha ${mode}`);
  const load = load1();
  const { mallocArenaMax, ...setting } = s;
  // unset means glibc's default, even when this process runs with MALLOC_ARENA_MAX
  const env = { MALLOC_ARENA_MAX: mallocArenaMax ? String(mallocArenaMax) : undefined };
  const r = await child<LamhaRunResult>('images-lamha', { mode, files, pixelLimit: PIXEL_LIMIT, ...setting } satisfies LamhaRunSpec, env);
  return { ...r, load1: load };
}

// ---------------------------------------------------------------- ImageMagick runs

/** Debian's ImageMagick 6, not a stand-in that may come first on PATH. */
function findMagick(): string {
  const candidates = process.env.BENCH_MAGICK ? [process.env.BENCH_MAGICK] : ['/usr/bin/convert-im6.q16', '/usr/bin/convert'];
  for (const c of candidates) {
    try {
      const v = execFileSync(c, ['-version'], { encoding: 'utf8' });
      if (/^Version: ImageMagick/m.test(v)) return c;
    } catch {
      // try the next one
    }
  }
  throw new Error(`no ImageMagick convert found (tried ${candidates.join(', ')}); bash scripts/system-deps.sh installs it`);
}

/** Same sizes, formats, qualities and WebP efforts ("method") as src/media/images.ts. */
const RENDITIONS = [
  { name: 'large.webp', edge: 2048, args: ['-quality', '78', '-define', 'webp:method=0'] },
  { name: 'medium.webp', edge: 1024, args: ['-quality', '78', '-define', 'webp:method=2'] },
  { name: 'thumb.webp', edge: 400, args: ['-quality', '78', '-define', 'webp:method=2'] },
  { name: 'fallback.jpg', edge: 1200, args: ['-quality', '82', '-sampling-factor', '2x2'] },
] as const;

interface MagickVariant {
  name: string;
  what: string;
  /** the convert runs for one photo, one after the other */
  commands(input: string, out: string): string[][];
  env?: Record<string, string>;
}

/** libjpeg's DCT scaling through a size hint: decode at the smallest 1/n scale still ≥ 2048 on the long edge. */
const shrinkHint = `${2048}x${Math.round((2048 * Math.min(PHOTO_WIDTH, PHOTO_HEIGHT)) / Math.max(PHOTO_WIDTH, PHOTO_HEIGHT))}`;

/** One process reads the photo once and writes every size, each made from the previous one. */
function singleProcess(input: string, out: string, pre: string[]): string[] {
  const [large, medium, thumb, jpeg] = RENDITIONS;
  return [
    ...pre, input, '-auto-orient', '-strip', '-resize', '2048x2048>',
    ...large.args, '-write', path.join(out, large.name),
    '-resize', '1200x1200>', ...jpeg.args, '-write', path.join(out, jpeg.name),
    '-resize', '1024x1024>', ...medium.args, '-write', path.join(out, medium.name),
    '-resize', '400x400>', ...thumb.args, path.join(out, thumb.name),
  ];
}

const MAGICK_VARIANTS: MagickVariant[] = [
  {
    name: 'magick per-size',
    what: 'one convert per rendition, each from the original (Piwigo, Lychee)',
    commands: (input, out) => RENDITIONS.map((r) => [input, '-auto-orient', '-strip', '-resize', `${r.edge}x${r.edge}>`, ...r.args, path.join(out, r.name)]),
  },
  {
    name: 'magick single',
    what: 'one convert per photo: read once, -write each size, smaller from larger',
    commands: (input, out) => [singleProcess(input, out, [])],
  },
  {
    name: 'magick single+shrink',
    what: `the same with JPEG shrink-on-load (-define jpeg:size=${shrinkHint})`,
    commands: (input, out) => [singleProcess(input, out, ['-define', `jpeg:size=${shrinkHint}`])],
  },
  {
    name: 'magick single+shrink 1T',
    what: 'the same with one OpenMP thread per process (MAGICK_THREAD_LIMIT=1)',
    commands: (input, out) => [singleProcess(input, out, ['-define', `jpeg:size=${shrinkHint}`])],
    env: { MAGICK_THREAD_LIMIT: '1' },
  },
];

interface MagickResult {
  variant: string;
  seconds: number;
  photosPerSecond: number;
  /** user + system CPU seconds of all the convert processes */
  cpuSeconds: number;
  processes: number;
  /** largest max RSS of one convert process (from /usr/bin/time, or sampling) */
  maxProcessRssMB: number;
  /** largest sum of the RSS of the convert processes running at the same time (10 ms sampling) */
  peakConcurrentRssMB: number;
  renditionBytes: Record<string, number>;
  load1: number;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Runs one convert; its max RSS and CPU seconds from /usr/bin/time when there is one. */
async function runConvert(magick: string, args: string[], env: Record<string, string>, live: Set<number>, stats: string): Promise<{ maxRss: number; cpu: number }> {
  const argv = TIME ? [TIME, '-f', '%M %U %S', '-o', stats, magick, ...args] : [magick, ...args];
  const proc = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  live.add(proc.pid!);
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  live.delete(proc.pid!);
  if (code !== 0) throw new Error(`convert ${args.join(' ')} exited with ${code}: ${err.trim()}`);
  if (!TIME) return { maxRss: 0, cpu: 0 };
  const [kb, user, system] = readFileSync(stats, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { maxRss: kb! * 1024, cpu: user! + system! };
}

async function magickRun(magick: string, variant: MagickVariant, files: string[]): Promise<MagickResult> {
  await settled(variant.name);
  const load = load1();
  const work = mkdtempSync(path.join(os.tmpdir(), 'lamha-bench-magick-'));
  const live = new Set<number>();
  let peakConcurrent = 0;
  let maxProcess = 0;
  const sampler = setInterval(() => {
    let sum = 0;
    for (const pid of live) {
      // under /usr/bin/time the convert is its child
      for (const p of TIME ? childrenOf(pid) : [pid]) {
        const rss = rssOf(p);
        sum += rss;
        maxProcess = Math.max(maxProcess, rss);
      }
    }
    peakConcurrent = Math.max(peakConcurrent, sum);
  }, 10);
  const bytes: Record<string, number> = {};
  let cpu = 0;
  let processes = 0;
  try {
    const t0 = performance.now();
    let cursor = 0;
    await Promise.all(Array.from({ length: MAGICK_PARALLEL }, async (_, slot) => {
      while (cursor < files.length) {
        const i = cursor++;
        const out = path.join(work, String(i));
        mkdirSync(out);
        for (const args of variant.commands(files[i]!, out)) {
          const r = await runConvert(magick, args, variant.env ?? {}, live, path.join(work, `time-${slot}`));
          cpu += r.cpu;
          maxProcess = Math.max(maxProcess, r.maxRss);
          processes++;
        }
        for (const f of readdirSync(out)) bytes[f] = (bytes[f] ?? 0) + statSync(path.join(out, f)).size;
        if (i === 0) await checkMagickOutputs(out);
        rmSync(out, { recursive: true, force: true });
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    return {
      variant: variant.name, seconds, photosPerSecond: files.length / seconds, cpuSeconds: cpu, processes,
      maxProcessRssMB: maxProcess / 1e6, peakConcurrentRssMB: peakConcurrent / 1e6,
      renditionBytes: Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, Math.round(v / files.length)])), load1: load,
    };
  } finally {
    clearInterval(sampler);
    rmSync(work, { recursive: true, force: true });
  }
}

/** ImageMagick's outputs are the renditions Lamha makes: the same names, formats and sizes. */
async function checkMagickOutputs(dir: string): Promise<void> {
  for (const r of RENDITIONS) {
    const m = await sharp(path.join(dir, r.name)).metadata();
    const format = r.name.endsWith('.webp') ? 'webp' : 'jpeg';
    if (m.format !== format || Math.max(m.width!, m.height!) !== r.edge) {
      throw new Error(`ImageMagick made ${r.name} as ${m.format} ${m.width}×${m.height}, not ${format} with a ${r.edge} px long edge`);
    }
  }
}

// ---------------------------------------------------------------- output

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined ? '-' : n.toFixed(digits));
const settingName = (s: Setting) => `jobs ${s.concurrency}, threads ${s.sharpConcurrency}, cache ${s.sharpCache}${s.mallocArenaMax ? `, MALLOC_ARENA_MAX=${s.mallocArenaMax}` : ''}`;

/** The middle value; the mean of the two middle ones for an even count. */
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
}

function bestOf<T extends { photosPerSecond: number }>(runs: T[]): T | undefined {
  return runs.reduce<T | undefined>((b, r) => (!b || r.photosPerSecond > b.photosPerSecond ? r : b), undefined);
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const started = new Date();
  const loadAtStart = os.loadavg();
  const magick = findMagick();
  const magickVersion = execFileSync(magick, ['-version'], { encoding: 'utf8' }).split('\n')[0]!.replace(/^Version: /, '');
  const variantFilter = process.env.BENCH_MAGICK_VARIANTS?.split(',').map((s) => s.trim());
  const variants = MAGICK_VARIANTS.filter((v) => !variantFilter || variantFilter.includes(v.name) || variantFilter.includes(v.name.replace(/^magick /, '')));
  // as the worker runs: its sharp threads, and MALLOC_ARENA_MAX=2 from package.json and the Dockerfile
  const worker: Setting = { concurrency: WORKER_CONCURRENCY, sharpConcurrency: WORKER_SHARP_THREADS, sharpCache: 'default', mallocArenaMax: 2 };

  const lamhaRuns: (LamhaRunResult & { load1: number; mode: string; round: number; setting: Setting })[] = [];
  const magickRuns: (MagickResult & { round: number })[] = [];
  const grid: (LamhaRunResult & { load1: number; round: number; setting: Setting })[] = [];
  const memory: (LamhaRunResult & { load1: number; round: number; setting: Setting })[] = [];
  const memorySettings: Setting[] = [
    worker, { ...worker, mallocArenaMax: undefined },
    { ...worker, sharpCache: 'off' }, { ...worker, sharpCache: 'off', mallocArenaMax: undefined },
  ];
  const workerRuns: (WorkerRunResult & { round: number })[] = [];
  let workerBench: WorkerBench | undefined;
  let profile: ProfileResult | undefined;
  let failure: unknown;
  let inputs: { files: string[]; sizesMB: number[]; generatedSeconds: number; generated: number } | undefined;

  try {
    const made = await cameraPhotos(ROOT, path.join(ROOT, 'bench', 'results', '.cache', 'images'), PHOTOS, { parallel: os.availableParallelism(), log });
    const sizesMB = made.files.map((f) => statSync(f).size / 1e6);
    inputs = { ...made, sizesMB };
    log(`${PHOTOS} photos ${PHOTO_WIDTH}×${PHOTO_HEIGHT}, ${fmt(Math.min(...sizesMB))}–${fmt(Math.max(...sizesMB))} MB (mean ${fmt(sizesMB.reduce((a, b) => a + b, 0) / PHOTOS)})`);
    if (RUNTIME === 'js') compile('tsconfig.images.json', BUILD_DIR, 'the Lamha run processes');
    log(`ImageMagick: ${magick} (${magickVersion}), ${MAGICK_PARALLEL} photos at a time${TIME ? '' : '; no /usr/bin/time: per-process RSS from sampling only'}`);
    log(`Lamha as the worker runs it: ${settingName(worker)}`);
    if (WORKER_RUN && ROUNDS > 0) workerBench = await openWorkerBench(RUNTIME);

    for (let round = 1; round <= ROUNDS; round++) {
      const proposing = JSON.stringify(PROPOSED) !== JSON.stringify(CURRENT);
      for (const mode of proposing ? ['derive', 'proposed', 'immich', 'processor'] as const : ['derive', 'immich', 'processor'] as const) {
        const r = await lamha(mode, made.files, worker);
        lamhaRuns.push({ ...r, mode, round, setting: worker });
        log(`round ${round} lamha ${mode}: ${fmt(r.photosPerSecond, 2)} photos/s, peak RSS ${fmt(r.peakRssMB)} MB (load ${r.load1})`);
      }
      if (workerBench) {
        const r = await workerBench.run(made.files);
        workerRuns.push({ ...r, round });
        log(`round ${round} lamha worker: ${fmt(r.photosPerSecond, 2)} photos/s, peak RSS ${fmt(r.peakRssMB)} MB (load ${fmt(r.load1, 2)})`);
        // derive once more right after: the worker run between two of derive, for the round's ratio
        const d = await lamha('derive', made.files, worker);
        lamhaRuns.push({ ...d, mode: 'derive', round, setting: worker });
        log(`round ${round} lamha derive (after the worker): ${fmt(d.photosPerSecond, 2)} photos/s`);
      }
      for (const v of variants) {
        const r = await magickRun(magick, v, made.files);
        magickRuns.push({ ...r, round });
        log(`round ${round} ${v.name}: ${fmt(r.photosPerSecond, 2)} photos/s, max RSS ${fmt(r.maxProcessRssMB)} MB per process (load ${r.load1})`);
      }
    }

    for (let round = 1; round <= (GRID.length ? GRID_ROUNDS : 0); round++) {
      for (const concurrency of GRID) {
        for (const sharpConcurrency of [1, 2]) {
          for (const sharpCache of ['default', 'off'] as const) {
            const setting = { concurrency, sharpConcurrency, sharpCache };
            const r = await lamha('derive', made.files, setting);
            grid.push({ ...r, round, setting });
            log(`grid round ${round} ${settingName(setting)}: ${fmt(r.photosPerSecond, 2)} photos/s, peak RSS ${fmt(r.peakRssMB)} MB (load ${r.load1})`);
          }
        }
      }
    }

    for (let round = 1; round <= (GRID.length ? GRID_ROUNDS : 0); round++) {
      for (const setting of memorySettings) {
        const r = await lamha('derive', made.files, setting);
        memory.push({ ...r, round, setting });
        log(`memory round ${round} ${settingName(setting)}: ${fmt(r.photosPerSecond, 2)} photos/s, peak RSS ${fmt(r.peakRssMB)} MB (load ${r.load1})`);
      }
    }

    if (PROFILE_PHOTOS > 0) {
      log(`profile of deriveImage on ${Math.min(PROFILE_PHOTOS, PHOTOS)} photos, one at a time, ${PROFILE_REPEATS} times`);
      profile = await child<ProfileResult>('images-profile', { files: made.files.slice(0, PROFILE_PHOTOS), repeats: PROFILE_REPEATS, sharpConcurrency: WORKER_SHARP_THREADS, pixelLimit: PIXEL_LIMIT } satisfies ProfileSpec);
      if (!profile.mirrorMatches) log('the profile no longer mirrors deriveImage (src/media/images.ts changed): update bench/images-variant.ts');
    }
  } catch (err) {
    failure = err;
    log(`FAILED: ${err instanceof Error ? err.stack : String(err)}`);
  } finally {
    await workerBench?.close().catch((err: unknown) => log(`closing the worker run failed: ${err instanceof Error ? err.stack : String(err)}`));
    rmSync(BUILD_DIR, { recursive: true, force: true });
  }

  // ---- summary
  const bestDerive = bestOf(lamhaRuns.filter((r) => r.mode === 'derive'));
  const bestProposed = bestOf(lamhaRuns.filter((r) => r.mode === 'proposed'));
  const bestImmich = bestOf(lamhaRuns.filter((r) => r.mode === 'immich'));
  const bestProcessor = bestOf(lamhaRuns.filter((r) => r.mode === 'processor'));
  const magickBest = variants.map((v) => bestOf(magickRuns.filter((r) => r.variant === v.name))).filter((r): r is MagickResult & { round: number } => r !== undefined);
  const bestMagick = bestOf(magickBest);
  const ratio = bestProcessor && bestMagick ? bestProcessor.photosPerSecond / bestMagick.photosPerSecond : undefined;
  const ratioDerive = bestDerive && bestMagick ? bestDerive.photosPerSecond / bestMagick.photosPerSecond : undefined;
  const perSize = magickBest.find((r) => r.variant === 'magick per-size');
  const ratioPerSize = bestProcessor && perSize ? bestProcessor.photosPerSecond / perSize.photosPerSecond : undefined;

  const out: string[] = [];
  const meanMB = inputs ? inputs.sizesMB.reduce((a, b) => a + b, 0) / inputs.sizesMB.length : undefined;
  out.push(`Image benchmark — ${PHOTOS} photos ${PHOTO_WIDTH}×${PHOTO_HEIGHT} JPEG q${PHOTO_QUALITY} (${inputs ? `${fmt(Math.min(...inputs.sizesMB))}–${fmt(Math.max(...inputs.sizesMB))} MB, mean ${fmt(meanMB)}` : '-'}), ${os.availableParallelism()} CPUs, best of ${ROUNDS}`);
  out.push(`Lamha: ${settingName(worker)} (the worker's settings); ImageMagick ${magickVersion.split(' ').slice(0, 2).join(' ')}, ${MAGICK_PARALLEL} photos at a time`);
  out.push('');
  const rows = [['run', 'photos/s', 'seconds', 'CPU s/photo', 'peak RSS MB', 'idle RSS MB', 'load1 at start']];
  for (const r of lamhaRuns) rows.push([`${r.mode === 'immich' ? 'immich-like' : `lamha ${r.mode}`} #${r.round}`, fmt(r.photosPerSecond, 2), fmt(r.seconds, 1), fmt((r.cpuSeconds + r.childCpuSeconds) / PHOTOS, 2), fmt(r.peakRssMB), fmt(r.idleRssMB), fmt(r.load1, 2)]);
  for (const r of workerRuns) rows.push([`lamha worker #${r.round}`, fmt(r.photosPerSecond, 2), fmt(r.seconds, 1), fmt((r.cpuSeconds + r.childCpuSeconds) / r.photos, 2), fmt(r.peakRssMB), fmt(r.idleRssMB), fmt(r.load1, 2)]);
  for (const r of magickRuns) rows.push([`${r.variant} #${r.round}`, fmt(r.photosPerSecond, 2), fmt(r.seconds, 1), TIME ? fmt(r.cpuSeconds / PHOTOS, 2) : '-', `${fmt(r.maxProcessRssMB)} (×${MAGICK_PARALLEL}: ${fmt(r.peakConcurrentRssMB)})`, '-', fmt(r.load1, 2)]);
  out.push(table(rows));
  out.push('');
  out.push('CPU s/photo: all processes of the run (lamha processor: node + exiftool); magick peak RSS: largest single convert (sum of those running at once)');
  // The goal is judged on the whole path when the worker run ran (S3 and PostgreSQL included),
  // else on the processor path; the ratio compares the processor path, which like ImageMagick
  // reads and writes local files.
  const bestWorker = bestOf(workerRuns);
  const goalRun = bestWorker ?? bestProcessor;
  const goalMet = goalRun !== undefined && goalRun.photosPerSecond >= GOAL_PHOTOS_PER_SECOND;
  const verdict = (r: { photosPerSecond: number } | undefined) => (r === goalRun && r ? `  goal ≥ ${GOAL_PHOTOS_PER_SECOND}  ${goalMet ? 'met' : 'MISSED'}` : '');
  const workerCpu = (r: WorkerRunResult) => (r.cpuSeconds + r.childCpuSeconds) / r.photos;
  if (bestWorker) {
    const more = (what: string, cpu: number | undefined) => (cpu === undefined ? '' : `, ${what} ${fmt(cpu / bestWorker.photos, 3)}`);
    const s3 = `${more(`S3 server (${bestWorker.s3})`, bestWorker.s3CpuSeconds)}${more('PostgreSQL', bestWorker.postgresCpuSeconds)}${more('Redis', bestWorker.redisCpuSeconds)}${bestWorker.s3CpuSeconds === undefined && bestWorker.postgresCpuSeconds === undefined ? '' : ' more'}`;
    out.push(`lamha worker             ${fmt(bestWorker.photosPerSecond, 2)} photos/s${verdict(bestWorker)}   (uploaded through the API, S3 and PostgreSQL included; CPU s/photo worker + exiftool ${fmt(workerCpu(bestWorker), 2)}${s3})`);
    const up = bestWorker.upload;
    const upS3 = up.s3CpuSeconds === undefined ? '' : `, S3 server ${fmt(up.s3CpuSeconds / bestWorker.photos, 2)}`;
    out.push(`  its uploads (untimed)  ${fmt(bestWorker.photos / up.seconds, 2)} photos/s one at a time; CPU s/photo API + exiftool ${fmt(up.apiCpuSeconds / bestWorker.photos, 2)}${upS3}`);
  }
  out.push(`lamha processor          ${fmt(bestProcessor?.photosPerSecond, 2)} photos/s${verdict(bestProcessor)}`);
  out.push(`lamha derive only        ${fmt(bestDerive?.photosPerSecond, 2)} photos/s${bestProposed ? `; with the proposed encoder settings ${fmt(bestProposed.photosPerSecond, 2)}` : ''}`);
  const cpuOf = (r: LamhaRunResult | undefined) => r && (r.cpuSeconds + r.childCpuSeconds) / PHOTOS;
  out.push(`immich-like              ${fmt(bestImmich?.photosPerSecond, 2)} photos/s, CPU s/photo ${fmt(cpuOf(bestImmich), 2)} against derive's ${fmt(cpuOf(bestDerive), 2)}  (Immich's defaults: a 1440 px preview JPEG and a 250 px thumbnail WebP, quality 80, one decode; same jobs and threads)`);
  out.push(`best ImageMagick         ${fmt(bestMagick?.photosPerSecond, 2)} photos/s  (${bestMagick?.variant ?? '-'})`);
  // The goal compares with ImageMagick as Piwigo and Lychee run it (one convert per size); the
  // best single-process ImageMagick, which neither runs, is shown beside it.
  out.push(`ratio lamha/ImageMagick  ${fmt(ratioPerSize, 2)} vs per-size (as Piwigo/Lychee run it)  goal ≥ ${GOAL_RATIO}  ${ratioPerSize === undefined ? '' : ratioPerSize >= GOAL_RATIO ? 'met' : 'MISSED'}   (vs the best ImageMagick ${fmt(ratio, 2)}; derive only vs it ${fmt(ratioDerive, 2)})`);
  // CPU per photo depends far less on other work on the machine than photos/s does
  const cpuPerPhoto = (runs: { cpuSeconds: number; childCpuSeconds?: number }[]) => (runs.length ? Math.min(...runs.map((r) => (r.cpuSeconds + (r.childCpuSeconds ?? 0)) / PHOTOS)) : undefined);
  const lamhaCpu = cpuPerPhoto(lamhaRuns.filter((r) => r.mode === 'processor'));
  const magickCpu = TIME ? Math.min(...variants.map((v) => cpuPerPhoto(magickRuns.filter((r) => r.variant === v.name)) ?? Infinity)) : undefined;
  const cpuRatio = lamhaCpu && magickCpu && Number.isFinite(magickCpu) ? magickCpu / lamhaCpu : undefined;
  out.push(`CPU s/photo              lamha processor ${fmt(lamhaCpu, 2)}, best ImageMagick ${fmt(magickCpu, 2)}: ratio ${fmt(cpuRatio, 2)}; on idle cores photos/s ≈ ${os.availableParallelism()} ÷ CPU s/photo = ${fmt(lamhaCpu && os.availableParallelism() / lamhaCpu, 2)}`);
  const bestSingle = bestOf(magickBest.filter((r) => r.variant !== 'magick per-size'));
  const workerOfDerive = bestWorker && bestDerive ? bestWorker.photosPerSecond / bestDerive.photosPerSecond : undefined;
  // Each round's worker run against the mean of the derive runs just before and after it: the
  // machine's speed drifts by ±20 % between rounds (other tenants of the host), and a best-of
  // over all rounds pairs runs minutes apart. The median over the rounds is the steadier figure.
  const roundRatios = workerRuns.map((w) => {
    const d = lamhaRuns.filter((r) => r.mode === 'derive' && r.round === w.round);
    return w.photosPerSecond / (d.reduce((sum, r) => sum + r.photosPerSecond, 0) / d.length);
  });
  const workerOfDerivePaired = roundRatios.length ? median(roundRatios) : undefined;
  const deriveVsSingle = bestDerive && bestSingle ? bestDerive.photosPerSecond / bestSingle.photosPerSecond : undefined;
  const met = (v: number | undefined, min: number) => (v === undefined ? '' : v >= min ? 'met' : 'MISSED');
  out.push(`issue 16                 worker/derive ${fmt(workerOfDerive, 2)} best of each (goal ≥ ${GOAL_WORKER_OF_DERIVE} ${met(workerOfDerive, GOAL_WORKER_OF_DERIVE)}), per round against derive before and after it ${roundRatios.map((r) => fmt(r, 2)).join(', ')}: median ${fmt(workerOfDerivePaired, 2)} (${met(workerOfDerivePaired, GOAL_WORKER_OF_DERIVE)}); derive/best single-process ImageMagick ${fmt(deriveVsSingle, 2)} (${bestSingle?.variant ?? '-'}; goal ≥ ${GOAL_DERIVE_VS_SINGLE} ${met(deriveVsSingle, GOAL_DERIVE_VS_SINGLE)})`);
  out.push(`lamha peak RSS           ${fmt(bestProcessor?.peakRssMB)} MB processor, ${fmt(bestDerive?.peakRssMB)} MB derive (idle ${fmt(bestDerive?.idleRssMB)} MB)`);
  const ren = (b: Record<string, number> | undefined) => (b ? ['large.webp', 'medium.webp', 'thumb.webp', 'fallback.jpg'].map((k) => fmt((b[k] ?? 0) / 1000, 0)).join(' / ') : '-');
  out.push(`rendition kB large/medium/thumb webp / fallback jpg: lamha ${ren(bestDerive?.renditionBytes)}, ImageMagick ${ren(bestMagick?.renditionBytes)}`);
  const immichKB = (k: string) => fmt((bestImmich?.renditionBytes[k] ?? 0) / 1000, 0);
  if (bestImmich) out.push(`rendition kB immich-like preview jpeg / thumbnail webp: ${immichKB('immich preview.jpeg')} / ${immichKB('immich thumbnail.webp')}`);

  if (grid.length) {
    out.push('');
    out.push(`Tuning (deriveImage; photos/s best of ${GRID_ROUNDS}, its CPU s/photo and peak RSS MB)`);
    const g = [['jobs', 'threads 1 cache default', 'threads 1 cache off', 'threads 2 cache default', 'threads 2 cache off']];
    for (const c of GRID) {
      const row = [String(c)];
      for (const t of [1, 2]) {
        for (const k of ['default', 'off'] as const) {
          const b = bestOf(grid.filter((r) => r.setting.concurrency === c && r.setting.sharpConcurrency === t && r.setting.sharpCache === k));
          row.push(b ? `${fmt(b.photosPerSecond, 2)} (${fmt(b.cpuSeconds / PHOTOS, 2)} s, ${fmt(b.peakRssMB, 0)} MB)` : '-');
        }
      }
      g.push(row);
    }
    out.push(table(g));
    const top = bestOf(grid);
    if (top) out.push(`fastest: ${settingName(top.setting)} — ${fmt(top.photosPerSecond, 2)} photos/s, peak RSS ${fmt(top.peakRssMB)} MB`);
  }
  if (memory.length) {
    out.push('');
    out.push(`Memory (deriveImage; best of ${GRID_ROUNDS} by photos/s, and the lowest peak RSS of the rounds)`);
    const m = [['setting', 'photos/s', 'CPU s/photo', 'peak RSS MB', 'idle RSS MB']];
    for (const setting of memorySettings) {
      const runs = memory.filter((r) => settingName(r.setting) === settingName(setting));
      const b = bestOf(runs);
      if (b) m.push([settingName(setting), fmt(b.photosPerSecond, 2), fmt(b.cpuSeconds / PHOTOS, 2), fmt(Math.min(...runs.map((r) => r.peakRssMB))), fmt(Math.min(...runs.map((r) => r.idleRssMB)))]);
    }
    out.push(table(m));
  }

  if (profile) {
    out.push('');
    out.push(`deriveImage step by step (median over ${profile.photos} photos of the fastest of ${profile.repeats} times, one at a time, sharp threads ${profile.sharpConcurrency})${profile.mirrorMatches ? '' : '  MIRROR OUT OF DATE'}`);
    const p = [['step', 'wall ms', 'CPU ms', 'kB']];
    let wall = 0;
    let cpu = 0;
    for (const [name, f] of Object.entries(profile.steps)) {
      wall += f.wallMs;
      cpu += f.cpuMs;
      p.push([name, fmt(f.wallMs, 0), fmt(f.cpuMs, 0), f.bytes ? fmt(f.bytes / 1000, 0) : '']);
    }
    p.push(['total', fmt(wall, 0), fmt(cpu, 0), '']);
    p.push(['— instead —', '', '', '']);
    for (const [name, f] of Object.entries(profile.alternatives)) p.push([name, fmt(f.wallMs, 0), fmt(f.cpuMs, 0), f.bytes ? fmt(f.bytes / 1000, 0) : '']);
    const sum = (k: 'wallMs' | 'cpuMs') => Object.values(profile!.proposed).reduce((a, f) => a + f[k], 0);
    const enc = (name: string) => profile!.proposed[name];
    if (Object.keys(profile.proposed).length) p.push(['proposed settings, total', fmt(sum('wallMs'), 0), fmt(sum('cpuMs'), 0), `medium ${fmt((enc('webp medium')?.bytes ?? 0) / 1000, 0)}, jpeg ${fmt((enc(`jpeg fallback (${FALLBACK_LONG_EDGE} px)`)?.bytes ?? 0) / 1000, 0)}`]);
    out.push(table(p));
  }
  out.push('');
  out.push(`load average start / end  ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} / ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}  (${os.availableParallelism()} CPUs; other work on the machine lowers every figure)`);
  process.stdout.write(`${out.join('\n')}\n`);

  const result = {
    benchmark: 'images',
    date: started.toISOString(),
    host: {
      node: process.version, platform: `${os.platform()} ${os.release()}`, cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model,
      totalMemMB: round1(os.totalmem() / 1e6),
      loadAverage: { start: loadAtStart.map(round2), end: os.loadavg().map(round2) },
    },
    config: {
      photos: PHOTOS, rounds: ROUNDS, grid: GRID, gridRounds: GRID_ROUNDS, profilePhotos: PROFILE_PHOTOS, profileRepeats: PROFILE_REPEATS, runtime: RUNTIME,
      worker, sharpDefaultThreads: SHARP_DEFAULT_THREADS, sharp: sharp.versions,
      magick: { path: magick, version: magickVersion, parallel: MAGICK_PARALLEL, variants: variants.map((v) => ({ name: v.name, what: v.what, env: v.env })) },
    },
    inputs: inputs && {
      width: PHOTO_WIDTH, height: PHOTO_HEIGHT, quality: PHOTO_QUALITY, noiseSigma: NOISE_SIGMA,
      sizesMB: inputs.sizesMB.map(round2), generated: inputs.generated, generatedSeconds: round1(inputs.generatedSeconds),
    },
    units: { MB: 1e6, seconds: 'wall clock, all photos', load1: 'one-minute load average when the run started' },
    lamha: lamhaRuns,
    magick: magickRuns,
    worker: workerRuns,
    memory,
    best: {
      lamhaWorkerPhotosPerSecond: bestWorker && round2(bestWorker.photosPerSecond),
      lamhaWorkerCpuSecondsPerPhoto: bestWorker && round2(workerCpu(bestWorker)),
      lamhaWorkerPeakRssMB: bestWorker && round1(bestWorker.peakRssMB),
      lamhaProcessorPhotosPerSecond: bestProcessor && round2(bestProcessor.photosPerSecond),
      lamhaDerivePhotosPerSecond: bestDerive && round2(bestDerive.photosPerSecond),
      lamhaProposedPhotosPerSecond: bestProposed && round2(bestProposed.photosPerSecond),
      immichLikePhotosPerSecond: bestImmich && round2(bestImmich.photosPerSecond),
      immichLikeCpuSecondsPerPhoto: bestImmich && round2(cpuOf(bestImmich)!),
      magickPhotosPerSecond: bestMagick && round2(bestMagick.photosPerSecond),
      magickVariant: bestMagick?.variant,
      lamhaProcessorCpuSecondsPerPhoto: lamhaCpu && round2(lamhaCpu), magickCpuSecondsPerPhoto: magickCpu && Number.isFinite(magickCpu) ? round2(magickCpu) : undefined,
      cpuRatio: cpuRatio && round2(cpuRatio),
      ratio: ratio && round2(ratio), ratioDeriveOnly: ratioDerive && round2(ratioDerive), ratioVsPerSize: ratioPerSize && round2(ratioPerSize),
      lamhaPeakRssMB: bestProcessor && round1(bestProcessor.peakRssMB),
    },
    goals: {
      photosPerSecond: { min: GOAL_PHOTOS_PER_SECOND, against: bestWorker ? 'lamha worker' : 'lamha processor', met: goalMet },
      ratio: { min: GOAL_RATIO, against: 'magick per-size', met: ratioPerSize !== undefined && ratioPerSize >= GOAL_RATIO },
      workerOfDerive: { min: GOAL_WORKER_OF_DERIVE, value: workerOfDerive && round2(workerOfDerive), met: workerOfDerive !== undefined && workerOfDerive >= GOAL_WORKER_OF_DERIVE },
      workerOfDerivePerRound: { min: GOAL_WORKER_OF_DERIVE, rounds: roundRatios.map(round2), median: workerOfDerivePaired && round2(workerOfDerivePaired), met: workerOfDerivePaired !== undefined && workerOfDerivePaired >= GOAL_WORKER_OF_DERIVE },
      deriveVsSingleProcessMagick: { min: GOAL_DERIVE_VS_SINGLE, value: deriveVsSingle && round2(deriveVsSingle), against: bestSingle?.variant, met: deriveVsSingle !== undefined && deriveVsSingle >= GOAL_DERIVE_VS_SINGLE },
    },
    grid,
    profile,
    error: failure ? (failure instanceof Error ? failure.message : String(failure)) : undefined,
  };
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `images-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`results: ${path.relative(process.cwd(), file)}\n`);
  return failure ? 1 : 0;
}

process.exitCode = await main();
