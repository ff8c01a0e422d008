/**
 * A video through the real flow of jobs — uploaded to the API (bench/upload-server.ts), planned,
 * its poster, audio and every rung of every piece taken by real worker processes
 * (bench/images-worker.ts, what workers/main.ts starts) through Redis, PostgreSQL and S3 — on
 * the benchmark clip (bench/video-clip.ts, a 1080p30 camera-like recording), three ways in one
 * run, each with a fresh API and schema:
 *
 *   one worker on 2 cores            (taskset -c 0,1)   the issue's "one 2-core worker"
 *   one worker on 1 core             (taskset -c 0)     the baseline of the next line
 *   two workers on 1 core each       (taskset -c 0 / -c 1, each its own TMPDIR: two machines)
 *   peertube                         (taskset -c 0,1)   PeerTube-like default VOD flags, one
 *                                    ffmpeg per resolution (highest first, as PeerTube's first
 *                                    job optimises to the source's), each then remuxed to HLS
 *
 * The API shares its hand-off directory with the first worker (HANDOFF_DIR: the machine the API
 * runs on, as with `npm start` or docker-compose.yml), so that worker's plan takes the upload
 * from there; HANDOFF_DIR=off runs without it (every worker downloads the original).
 *
 * It reports, as × realtime (the clip's duration over the time taken, from the upload's 201):
 * first playable (the asset `ready`: poster, audio and the smallest rung) and the full ladder
 * (progress 100: every rung and download.mp4); for PeerTube-like, its first resolution and all.
 * Quality: SSIM and PSNR of the 720p video (Lamha's download.mp4, the 720p rung; PeerTube's
 * 720p MP4) against the clip scaled alike, over BENCH_QUALITY_SECONDS from BENCH_QUALITY_FROM
 * (the first minute by default), with the bits of that window (and the whole stream's rate). At
 * the same size: the same window encoded with Lamha's 720p settings at the plan's CRF and one
 * either side, its SSIM interpolated at PeerTube-like's bits. Goals: first playable within 0.3 × the duration and the full ladder
 * ≥ 1× realtime with one 2-core worker; two 1-core workers ≥ 1.7 × one; 720p SSIM at
 * PeerTube-like's bits ≥ PeerTube-like's.
 *
 * With one-core and two-workers in a run, this machine's own ceiling for their ratio is measured
 * before and after them: one 720p encode alone on each core, then both at once (two machines
 * would give 2; two cores of one virtual machine may slow each other down). BENCH_RUNS=rig
 * measures that alone.
 *
 *   npx tsx bench/video-flow.ts            (or: npm run bench:video-flow)
 *
 * Environment:
 *   BENCH_SECONDS        clip length in seconds              default 600 (10 minutes)
 *   BENCH_BITRATE_K      clip video bitrate, kbit/s          default 18000
 *   BENCH_AUDIO_K        clip audio (AAC) bitrate, kbit/s    default 192 (encoded again; ≤ 160 is copied)
 *   BENCH_PIECE_SECONDS  VIDEO_PIECE_SECONDS of the workers   default 120 (the service's)
 *   BENCH_RUNS           which runs, comma-separated         default two-cores,one-core,two-workers,peertube
 *   BENCH_QUALITY_SECONDS  seconds compared for SSIM         default 60
 *   BENCH_QUALITY_FROM   where that window starts, seconds   default 0
 *   BENCH_RIG_SECONDS    seconds encoded to measure the ceiling  default 20
 *   S3_ENDPOINT …        an S3 server (scripts/rgw.sh); else the embedded one
 *   HANDOFF_DIR=off      no hand-off between the API and the first worker
 *   BENCH_UNTIL=playable each Lamha run stops at first playable (a quicker look at it; no
 *                        full ladder, no quality)
 *
 * Output: a table on stdout (progress on stderr) and bench/results/video-flow-<date>.json.
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createDb, type Db } from '../src/db/database.js';
import { probeVideo, type VideoProbe } from '../src/media/ffmpeg.js';
import { KEYFRAMES, planLadder, pieceSeconds, planPieces, type Rung, STRIP_METADATA, toSdr, x264Args } from '../src/media/video-plan.js';
import { createObjectStore } from '../src/storage/object-store.js';
import { envInt } from './env.js';
import {
  API_MALLOC_ENV, API_NODE_ARGS, apiEnv, buildServices, DATABASE_URL, Lines, log, machineBusySeconds, openTarget, processesCpuSeconds, removeBucket, ROOT,
  s3CpuSeconds, spawnNode, stopApi, stopChild, treeCpuSeconds, type Child, type ServerInfo, type Target,
} from './harness.js';
import { makeClip, run } from './video-clip.js';
import { peertubeHlsArgs, peertubeMp4Args, peertubeTarget } from './video-peertube.js';

const execFileP = promisify(execFile);
const SECONDS = envInt('BENCH_SECONDS', 600);
const BITRATE_K = envInt('BENCH_BITRATE_K', 18000);
const AUDIO_K = envInt('BENCH_AUDIO_K', 192);
const PIECE_SECONDS = envInt('BENCH_PIECE_SECONDS', 120);
const RUNS = (process.env.BENCH_RUNS ?? 'two-cores,one-core,two-workers,peertube').split(',');
const QUALITY_SECONDS = envInt('BENCH_QUALITY_SECONDS', 60);
const QUALITY_FROM = envInt('BENCH_QUALITY_FROM', 0);
const WINDOW = QUALITY_FROM > 0 ? `${QUALITY_SECONDS} s from ${QUALITY_FROM} s` : `first ${QUALITY_SECONDS} s`;
const UNTIL_PLAYABLE = process.env.BENCH_UNTIL === 'playable';
const RIG_SECONDS = envInt('BENCH_RIG_SECONDS', 20);
const GOAL = { playableOfDuration: 0.3, ladderX: 1, twoWorkersOverOne: 1.7 };

const CONFIGS: Record<string, { label: string; cpus: string[] }> = {
  'two-cores': { label: 'one worker, 2 cores', cpus: ['0,1'] },
  'one-core': { label: 'one worker, 1 core', cpus: ['0'] },
  'two-workers': { label: 'two workers, 1 core each', cpus: ['0', '1'] },
};

interface Run {
  name: string;
  label: string;
  playableSeconds: number;
  /** NaN when the run stopped at first playable (BENCH_UNTIL) */
  ladderSeconds: number;
  playableX: number;
  ladderX: number;
  /** pieces taken by each worker process */
  piecesBy: Record<string, number>;
  timeline: { job: string; by: string; from: number; to: number }[];
  /** the 720p video this run made, for the quality comparison */
  video720?: string;
  /** CPU seconds each side used from the upload's 201 to the run's end: what the workers shared their cores with */
  cpu?: CpuShare;
}

interface RigScaling {
  /** seconds of the same encode alone on core 0, alone on core 1 */
  alone: number[];
  /** seconds of the two at once, one on each core */
  together: number[];
  /** the two cores' work at once over one core's: 2 for two machines */
  ceiling: number;
}

interface CpuShare {
  wallSeconds: number;
  /** each worker process with its ffmpeg children */
  workers: number[];
  api: number;
  s3?: number;
  postgres?: number;
  redis?: number;
  /** every process on the machine */
  machine?: number;
}

interface Quality {
  name: string;
  ssim: number;
  psnr: number;
  /** the video stream's rate over the whole file */
  videoKbps: number;
  /** the video's bits over the compared window, per second */
  windowKbps: number;
}

/** Lamha's 720p settings on the compared window at one CRF */
interface CurvePoint extends Quality {
  crf: number;
}

function spawnPinned(cpus: string, entry: string, env: Record<string, string>): Child {
  const child = spawn('taskset', ['-c', cpus, process.execPath, entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  return { child, lines: new Lines(child) };
}

async function oneRun(name: string, clip: string, duration: number, entries: Record<'upload-server' | 'images-worker', string>): Promise<Run> {
  const config = CONFIGS[name];
  if (!config) throw new Error(`unknown run ${name}`);
  const target = await openTarget();
  const store = createObjectStore({ endpoint: target.endpoint, accessKey: target.accessKey, secretKey: target.secretKey, region: target.region, bucket: `lamha-bench-flow-${Date.now().toString(36)}` });
  await store.ensureBucket();
  // the API's machine is the first worker's: they share the hand-off directory
  const handoffDir = process.env.HANDOFF_DIR === 'off' ? undefined : path.join(os.tmpdir(), `lamha-bench-flow-${process.pid}-handoff`);
  const handoff: Record<string, string> = handoffDir ? { BENCH_HANDOFF_DIR: handoffDir } : {};
  const api = spawnNode([...API_NODE_ARGS, entries['upload-server']], { ...apiEnv(target, store.bucket), ...API_MALLOC_ENV, ...handoff });
  let server: ServerInfo | undefined;
  const workers: Child[] = [];
  const tmps: string[] = [];
  let db: Db | undefined;
  try {
    server = await api.lines.next<ServerInfo>(120_000);
    if (!server) throw new Error('the API process exited before listening');
    for (const [i, cpus] of config.cpus.entries()) {
      const tmp = path.join(os.tmpdir(), `lamha-bench-flow-${process.pid}-${i}`);
      mkdirSync(tmp, { recursive: true });
      tmps.push(tmp);
      const w = spawnPinned(cpus, entries['images-worker'], {
        ...apiEnv(target, store.bucket), BENCH_SCHEMA: server.schema, BENCH_REDIS_PREFIX: server.redisPrefix, MALLOC_ARENA_MAX: '2',
        VIDEO_PIECE_SECONDS: String(PIECE_SECONDS), TMPDIR: tmp, ...(i === 0 ? handoff : {}),
      });
      workers.push(w);
      if (!(await w.lines.next<{ started: boolean }>(120_000))?.started) throw new Error('a worker process exited before starting');
    }
    db = createDb({ url: DATABASE_URL, schema: server.schema, max: 2 });
    log(`${config.label}: uploading the clip`);
    const { stdout } = await execFileP('curl', ['-sS', '--fail-with-body', '-H', `Authorization: Bearer ${server.token}`, '-F', `file=@${clip};type=video/mp4;filename=panel.mp4`,
      `${server.url}/api/v1/events/${server.event}/albums/${server.album}/assets`], { maxBuffer: 1 << 20 });
    const id = (JSON.parse(stdout) as { assets: { id: string }[] }).assets[0]!.id;
    const cpu0 = cpuNow(target, api, workers);
    const t0 = performance.now();
    const epoch0 = Date.now();
    let playable: number | undefined;
    let ladder: number | undefined;
    let lastLog = 0;
    while (ladder === undefined) {
      const { rows: [a] } = await db.query<{ status: string; progress: number | null; error: string | null }>('SELECT status, progress, error FROM assets WHERE id = $1', [id]);
      const now = (performance.now() - t0) / 1000;
      if (!a || a.status === 'failed') throw new Error(`the video failed: ${a?.error ?? 'deleted'}`);
      if (a.status === 'ready' && playable === undefined) {
        playable = now;
        log(`  playable after ${now.toFixed(1)} s`);
      }
      if (a.status === 'ready' && a.progress === 100) ladder = now;
      if (UNTIL_PLAYABLE && playable !== undefined) break;
      if (now - lastLog > 30) {
        lastLog = now;
        log(`  ${now.toFixed(0)} s: ${a.status} ${a.progress ?? 0} %`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const cpu = cpuSince(cpu0, cpuNow(target, api, workers), (performance.now() - t0) / 1000);
    if (ladder !== undefined) log(`  full ladder after ${ladder.toFixed(1)} s`);
    log(`  CPU seconds in ${cpu.wallSeconds.toFixed(0)} s: workers ${cpu.workers.map((w) => w.toFixed(0)).join(' + ')}, API ${cpu.api.toFixed(0)}, S3 ${cpu.s3?.toFixed(0) ?? '?'}, PostgreSQL ${cpu.postgres?.toFixed(0) ?? '?'}, Redis ${cpu.redis?.toFixed(0) ?? '?'}; the machine ${cpu.machine?.toFixed(0) ?? '?'} of ${(cpu.wallSeconds * os.availableParallelism()).toFixed(0)}`);
    // which worker process took each piece: BullMQ keeps it on the job (job.processedBy)
    const piecesBy: Record<string, number> = {};
    const { Queue } = await import('bullmq');
    const { createRedis } = await import('../src/redis/connection.js');
    const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const videos = new Queue('videos', { connection: redis, prefix: server.redisPrefix });
    const jobs = await videos.getJobs(['completed'], 0, 10_000);
    for (const j of jobs) if (j.name === 'video-piece') piecesBy[j.processedBy ?? '?'] = (piecesBy[j.processedBy ?? '?'] ?? 0) + 1;
    // where the time went: each job's start and end, seconds from the upload's 201
    const at = (ms: number | undefined) => Math.round(((ms ?? epoch0) - epoch0) / 100) / 10;
    const timeline = jobs.sort((a, b) => (a.processedOn ?? 0) - (b.processedOn ?? 0)).map((j) => {
      const d = j.data as { rungs?: string[]; piece?: number };
      // a piece's job says where its time went (source, encode, store, advance), the original's clean too
      const said = j.name === 'video-piece' || j.name === 'video-original' ? /\(([^()]*)\)$/.exec(String(j.returnvalue ?? ''))?.[1] : undefined;
      return { job: d.rungs === undefined ? j.name : `${j.name} ${d.rungs.join('+')} #${d.piece}`, by: j.processedBy ?? '?', from: at(j.processedOn), to: at(j.finishedOn), ...(said ? { steps: said } : {}) };
    });
    for (const e of timeline) log(`    ${String(e.from).padStart(6)} → ${String(e.to).padStart(6)} s  ${e.job}  (${e.by})${e.steps ? `  ${e.steps}` : ''}`);
    // the plan's own report: where its time went (fetch, probe, flow)
    const planned = jobs.find((j) => j.name === 'transcode-video')?.returnvalue as string | undefined;
    if (planned) log(`    plan: ${planned}`);
    await videos.close();
    redis.disconnect();
    let video720: string | undefined;
    if (name === 'two-cores' && !UNTIL_PLAYABLE) {
      video720 = path.join(os.tmpdir(), `lamha-bench-flow-${process.pid}-download.mp4`);
      await pipeline(await store.get(`renditions/${id}/download.mp4`), createWriteStream(video720));
    }
    return { name, label: config.label, playableSeconds: playable!, ladderSeconds: ladder ?? Number.NaN, playableX: duration / playable!, ladderX: duration / (ladder ?? Number.NaN), piecesBy, timeline, video720, cpu };
  } finally {
    await Promise.all(workers.map((w) => stopChild(w.child)));
    await db?.end();
    await stopApi(api, server);
    await removeBucket(store).catch(() => {});
    await target.close();
    for (const tmp of tmps) rmSync(tmp, { recursive: true, force: true });
    if (handoffDir) rmSync(handoffDir, { recursive: true, force: true });
  }
}

/** CPU seconds used so far by the run's processes and the services they share the machine with */
function cpuNow(target: Target, api: Child, workers: Child[]): Omit<CpuShare, 'wallSeconds'> {
  return {
    workers: workers.map((w) => treeCpuSeconds(w.child.pid!)), api: treeCpuSeconds(api.child.pid!), s3: s3CpuSeconds(target),
    postgres: processesCpuSeconds('postgres'), redis: processesCpuSeconds('redis-server'), machine: machineBusySeconds(),
  };
}

function cpuSince(a: Omit<CpuShare, 'wallSeconds'>, b: Omit<CpuShare, 'wallSeconds'>, wallSeconds: number): CpuShare {
  const d = (x: number | undefined, y: number | undefined) => (x === undefined || y === undefined ? undefined : y - x);
  return { wallSeconds, workers: b.workers.map((w, i) => w - a.workers[i]!), api: b.api - a.api, s3: d(a.s3, b.s3), postgres: d(a.postgres, b.postgres), redis: d(a.redis, b.redis), machine: d(a.machine, b.machine) };
}

/**
 * PeerTube-like: its default VOD flags on the same 2 cores, one ffmpeg per resolution, highest
 * first (PeerTube's first job, which publishes the video, optimises to the source's resolution),
 * each MP4 then remuxed to HLS as PeerTube's HLS job does.
 */
async function peertubeRun(clip: string, probe: VideoProbe, duration: number): Promise<Run> {
  const dir = path.join(os.tmpdir(), `lamha-bench-flow-${process.pid}-peertube`);
  mkdirSync(dir, { recursive: true });
  const fps = Math.min(60, Math.round(probe.frameRate ?? 30));
  const inputBitrate = Math.round((statSync(clip).size * 8) / duration);
  const t0 = performance.now();
  let playable: number | undefined;
  const timeline: Run['timeline'] = [];
  for (const resolution of [1080, 720, 360].filter((r) => r <= Math.min(probe.width, probe.height))) {
    const target = peertubeTarget(resolution, probe.width / probe.height, fps, inputBitrate);
    const mp4 = path.join(dir, `${resolution}.mp4`);
    const from = (performance.now() - t0) / 1000;
    await run('taskset', ['-c', '0,1', 'ffmpeg', ...peertubeMp4Args(clip, resolution, target, fps, mp4)]);
    await run('taskset', ['-c', '0,1', 'ffmpeg', ...peertubeHlsArgs(mp4, dir, resolution)]);
    const to = (performance.now() - t0) / 1000;
    timeline.push({ job: `${resolution}p MP4 + HLS remux`, by: 'ffmpeg', from: Math.round(from * 10) / 10, to: Math.round(to * 10) / 10 });
    log(`    ${from.toFixed(1)} → ${to.toFixed(1)} s  peertube-like ${resolution}p`);
    playable ??= to;
  }
  const ladder = (performance.now() - t0) / 1000;
  return { name: 'peertube', label: 'PeerTube-like, 2 cores', playableSeconds: playable!, ladderSeconds: ladder, playableX: duration / playable!, ladderX: duration / ladder, piecesBy: {}, timeline, video720: path.join(dir, '720.mp4') };
}

/** `-ss` and `-t` before an input: the compared window, `from` seconds into that file */
const windowArgs = (from: number) => [...(from > 0 ? ['-ss', String(from)] : []), '-t', String(QUALITY_SECONDS)];

/**
 * SSIM and PSNR of a 720p video against the clip scaled to its size, over QUALITY_SECONDS from
 * QUALITY_FROM of the clip (`fileFrom` of the video: QUALITY_FROM for a whole rendition, 0 for
 * an encode of the window alone); its video's bits over the same window.
 */
async function quality(name: string, file: string, clip: string, fileFrom = QUALITY_FROM): Promise<Quality> {
  const { stdout: size } = await execFileP('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,bit_rate', '-of', 'csv=p=0', file]);
  const [w, h, bitRate] = size.trim().split(',').map(Number) as [number, number, number];
  const graph = `[0:v]setpts=PTS-STARTPTS,split[a][b];[1:v]setpts=PTS-STARTPTS,scale=${w}:${h}:flags=bicubic,split[r1][r2];[a][r1]ssim;[b][r2]psnr`;
  const { stderr } = await execFileP('ffmpeg', ['-hide_banner', '-nostats', ...windowArgs(fileFrom), '-i', file, ...windowArgs(QUALITY_FROM), '-i', clip, '-lavfi', graph, '-f', 'null', '-'], { maxBuffer: 1 << 24 });
  const q = { name, ssim: Number(/SSIM .*All:([\d.]+)/.exec(stderr)?.[1]), psnr: Number(/PSNR .*average:([\d.]+)/.exec(stderr)?.[1]), videoKbps: Math.round(bitRate / 1000), windowKbps: await windowKbps(file, fileFrom) };
  if (!Number.isFinite(q.ssim) || !Number.isFinite(q.windowKbps)) throw new Error(`no SSIM or bit rate for ${file}: ${stderr.slice(-500)}`);
  log(`  ${name}: 720p SSIM ${q.ssim.toFixed(4)}, PSNR ${q.psnr.toFixed(2)} dB, video ${q.windowKbps.toFixed(0)} kbit/s over the ${WINDOW} (${q.videoKbps} over the whole)`);
  return q;
}

/**
 * The video's bits per second over QUALITY_SECONDS of pictures from `from` seconds after its
 * first picture (by presentation time): the window whose SSIM is compared.
 */
async function windowKbps(file: string, from: number): Promise<number> {
  const packets = async (interval: string) => {
    const { stdout } = await execFileP('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-read_intervals', interval, '-show_entries', 'packet=pts_time,size', '-of', 'csv=p=0', file], { maxBuffer: 1 << 26 });
    return stdout.trim().split('\n').map((l) => l.split(',').map(Number) as [number, number]).filter(([pts, bytes]) => Number.isFinite(pts) && Number.isFinite(bytes));
  };
  // the first picture's time, read from the file's start (a seek to `from` begins at the keyframe before it)
  const start = Math.min(...(await packets('%+5')).map(([pts]) => pts)) + from;
  const inWindow = (await packets(`${Math.max(0, start - 10)}%+${QUALITY_SECONDS + 20}`)).filter(([pts]) => pts >= start - 1e-6 && pts < start + QUALITY_SECONDS - 1e-6);
  const bytes = inWindow.reduce((sum, [, b]) => sum + b, 0);
  return (bytes * 8) / QUALITY_SECONDS / 1000;
}

/**
 * The compared window of the clip encoded with Lamha's 720p settings (the plan's scale, x264
 * options and keyframes) at the plan's CRF and one either side: Lamha's quality against its
 * bits, to read at PeerTube-like's bits.
 */
async function lamhaCurve(clip: string, probe: VideoProbe): Promise<CurvePoint[]> {
  const rung = rung720p(probe);
  if (!rung) return [];
  const points: CurvePoint[] = [];
  for (const crf of [rung.crf - 1, rung.crf, rung.crf + 1]) {
    const out = path.join(os.tmpdir(), `lamha-bench-flow-${process.pid}-720p-crf${crf}.mp4`);
    try {
      await encode720p(clip, probe, { ...rung, crf }, windowArgs(QUALITY_FROM), '0,1', out);
      points.push({ crf, ...(await quality(`Lamha's 720p at CRF ${crf}`, out, clip, 0)) });
    } finally {
      rmSync(out, { force: true });
    }
  }
  return points;
}

/** The plan's 720p rung for this source, if it has one */
const rung720p = (probe: VideoProbe) => planLadder(probe.width, probe.height).find((r) => r.name === '720p');

/** The clip's `window` encoded as the plan encodes `rung` (its scale, x264 options, keyframes), on `cpus` */
async function encode720p(clip: string, probe: VideoProbe, rung: Rung, window: string[], cpus: string, out: string): Promise<void> {
  await run('taskset', ['-c', cpus, 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-y', ...window, '-i', clip, '-map', '0:v:0',
    '-vf', `${toSdr(probe)},scale=${rung.width}:${rung.height}:flags=bicubic`, ...x264Args(rung), ...KEYFRAMES, '-an', ...STRIP_METADATA, '-f', 'mp4', out]);
}

/**
 * What this machine's two cores give two single-core processes that share nothing: the same
 * 720p encode of the clip's first RIG_SECONDS, alone on core 0, alone on core 1, then on both at
 * once. Two machines would give 2; two cores of one (virtual) machine may slow each other down
 * (shared caches, memory bandwidth, a hypervisor's siblings), and then no pair of workers on them
 * can reach 2 either: the ceiling the two 1-core workers are read against.
 */
async function rigScaling(clip: string, probe: VideoProbe): Promise<RigScaling> {
  const rung = rung720p(probe);
  if (!rung) throw new Error('the clip has no 720p rung to measure the machine with');
  const out = (i: number) => path.join(os.tmpdir(), `lamha-bench-flow-${process.pid}-rig-${i}.mp4`);
  const timed = async (cpus: string, i: number) => {
    const t0 = performance.now();
    await encode720p(clip, probe, rung, ['-t', String(RIG_SECONDS)], cpus, out(i));
    return (performance.now() - t0) / 1000;
  };
  try {
    const alone = [await timed('0', 0), await timed('1', 1)];
    const together = await Promise.all([timed('0', 0), timed('1', 1)]);
    const ceiling = (alone[0]! + alone[1]!) / Math.max(...together);
    log(`  the rig: ${RIG_SECONDS} s of 720p alone on core 0 / 1 ${alone.map((a) => a.toFixed(1)).join(' / ')} s, both at once ${together.map((a) => a.toFixed(1)).join(' / ')} s: two cores give ${ceiling.toFixed(2)} × one`);
    return { alone, together, ceiling };
  } finally {
    for (const i of [0, 1]) rmSync(out(i), { force: true });
  }
}

/** SSIM on the curve at `kbps`: linear in log(kbit/s) between the points around it, or beyond the nearest two (`extrapolated`). */
function ssimAtKbps(points: readonly { ssim: number; windowKbps: number }[], kbps: number): { ssim: number; extrapolated: boolean } | undefined {
  const p = [...points].sort((a, b) => a.windowKbps - b.windowKbps);
  if (p.length < 2) return undefined;
  let i = p.findIndex((a, k) => k < p.length - 1 && a.windowKbps <= kbps && kbps <= p[k + 1]!.windowKbps);
  const extrapolated = i < 0;
  if (i < 0) i = kbps < p[0]!.windowKbps ? 0 : p.length - 2;
  const [a, b] = [p[i]!, p[i + 1]!];
  if (a.windowKbps === b.windowKbps) return undefined;
  const t = (Math.log(kbps) - Math.log(a.windowKbps)) / (Math.log(b.windowKbps) - Math.log(a.windowKbps));
  return { ssim: a.ssim + t * (b.ssim - a.ssim), extrapolated };
}

async function main(): Promise<number> {
  const started = new Date();
  const clip = await makeClip(SECONDS, BITRATE_K, AUDIO_K);
  const probe = await probeVideo(clip.file, { timeoutMs: 60_000 });
  const duration = (probe.durationMs ?? SECONDS * 1000) / 1000;
  const pieces = planPieces(probe.durationMs, PIECE_SECONDS).map((p) => pieceSeconds(p, probe.durationMs).toFixed(0));
  log(`clip ${path.relative(ROOT, clip.file)}: ${probe.width}x${probe.height}, ${duration.toFixed(1)} s; pieces of ${PIECE_SECONDS} s (the plan's: ${pieces.join(', ')} s); ${os.availableParallelism()} CPUs`);
  const entries = buildServices(['upload-server', 'images-worker']);
  const load0 = os.loadavg();
  const runs: Run[] = [];
  // the rig's own scaling, before and after the runs it is the ceiling of (the host may drift between)
  const pairing = (RUNS.includes('one-core') && RUNS.includes('two-workers') && !UNTIL_PLAYABLE) || RUNS.includes('rig');
  const rig: RigScaling[] = [];
  if (pairing) rig.push(await rigScaling(clip.file, probe));
  for (const name of RUNS.filter((r) => r !== 'rig')) runs.push(name === 'peertube' ? await peertubeRun(clip.file, probe, duration) : await oneRun(name, clip.file, duration, entries));
  if (pairing) rig.push(await rigScaling(clip.file, probe));
  const load1 = os.loadavg();
  const qualities: Quality[] = [];
  for (const r of runs) if (r.video720) qualities.push(await quality(r.label, r.video720, clip.file));
  const [ours, theirs] = [qualities.find((q) => !q.name.startsWith('PeerTube')), qualities.find((q) => q.name.startsWith('PeerTube'))];
  for (const r of runs) if (r.video720) rmSync(r.name === 'peertube' ? path.dirname(r.video720) : r.video720, { recursive: true, force: true });
  // at the same size: Lamha's settings read at PeerTube-like's bits over the same window
  const curve = theirs ? await lamhaCurve(clip.file, probe) : [];
  const atTheirs = theirs ? ssimAtKbps(curve, theirs.windowKbps) : undefined;
  const qualityMet = theirs && atTheirs ? atTheirs.ssim >= theirs.ssim : undefined;
  const by = (name: string) => runs.find((r) => r.name === name);
  const two = by('two-cores');
  const one = by('one-core');
  const pair = by('two-workers');
  const scaling = one && pair ? one.ladderSeconds / pair.ladderSeconds : undefined;
  const ceiling = rig.length > 0 ? rig.reduce((sum, r) => sum + r.ceiling, 0) / rig.length : undefined;
  const fmt = (n: number | undefined, d = 2) => (n === undefined ? '-' : n.toFixed(d));
  const lines = [
    `Video flow benchmark — ${duration.toFixed(0)} s 1080p30 clip, pieces of ${PIECE_SECONDS} s, ${process.env.S3_ENDPOINT ? 'S3 at ' + process.env.S3_ENDPOINT : 'embedded S3'}`,
    '',
    'run                          first playable      full ladder         pieces by process',
    ...runs.map((r) => `${r.label.padEnd(28)} ${fmt(r.playableSeconds, 1).padStart(7)} s ${fmt(r.playableX).padStart(6)}×  ${fmt(r.ladderSeconds, 1).padStart(7)} s ${fmt(r.ladderX).padStart(6)}×  ${Object.values(r.piecesBy).join(' + ')}`),
    '',
    `first playable, 2 cores      ${two ? `${fmt(two.playableSeconds / duration)} of the duration` : '-'}   goal ≤ ${GOAL.playableOfDuration}  ${two ? (two.playableSeconds / duration <= GOAL.playableOfDuration ? 'met' : 'MISSED') : ''}`,
    `full ladder, 2 cores         ${two && !UNTIL_PLAYABLE ? `${fmt(two.ladderX)}× realtime` : '-'}   goal ≥ ${GOAL.ladderX}×  ${two && !UNTIL_PLAYABLE ? (two.ladderX >= GOAL.ladderX ? 'met' : 'MISSED') : ''}`,
    `two 1-core workers / one     ${fmt(scaling)}   goal ≥ ${GOAL.twoWorkersOverOne}  ${scaling === undefined ? '' : scaling >= GOAL.twoWorkersOverOne ? 'met' : 'MISSED'}`,
    ...(ceiling === undefined ? [] : [`two encodes on the 2 cores   ${fmt(ceiling)} × one (this machine's ceiling for the line above: ${rig.map((r) => fmt(r.ceiling)).join(' before, ')} after)${scaling === undefined ? '' : `; the two workers reach ${fmt(scaling / ceiling)} of it`}`]),
    ...[...qualities, ...curve].map((q) => `720p quality, ${q.name.padEnd(24)} SSIM ${q.ssim.toFixed(4)}  PSNR ${q.psnr.toFixed(2)} dB  video ${q.windowKbps.toFixed(0)} kbit/s (${WINDOW}; ${q.videoKbps} whole)`),
    `720p quality vs PeerTube-like ${theirs && atTheirs ? `Lamha's settings at its ${theirs.windowKbps.toFixed(0)} kbit/s: SSIM ${atTheirs.ssim.toFixed(4)}${atTheirs.extrapolated ? ' (extrapolated)' : ''} vs ${theirs.ssim.toFixed(4)}` : '-'}   goal ≥  ${qualityMet === undefined ? '' : qualityMet ? 'met' : 'MISSED'}`,
    `load average start / end     ${load0.map((l) => l.toFixed(1)).join(' ')} / ${load1.map((l) => l.toFixed(1)).join(' ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const file = path.join(ROOT, 'bench/results', `video-flow-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ benchmark: 'video-flow', date: started.toISOString(), host: { node: process.version, cpus: os.availableParallelism(), load: { start: load0, end: load1 } }, clip: { seconds: duration, bitrateK: BITRATE_K, audioK: AUDIO_K }, pieceSeconds: PIECE_SECONDS, runs, rig, qualityWindow: { from: QUALITY_FROM, seconds: QUALITY_SECONDS }, qualities, curve, qualityAtTheirBits: atTheirs, scaling, goals: GOAL }, null, 2)}\n`);
  process.stdout.write(`results: ${path.relative(ROOT, file)}\n`);
  return 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
