/**
 * Video transcoding benchmark: a 1080p30 H.264/AAC camera-like clip through Lamha's whole video
 * set (the HLS ladder in one ffmpeg run + the download MP4), against PeerTube-like default VOD
 * flags (one ffmpeg process per resolution for the web-video MP4, then an HLS remux of each).
 *
 *   npx tsx bench/video.ts                     (or: npm run bench:video)
 *
 * The clip is made once and cached in bench/results/.cache/video (bump RECIPE to remake it).
 * Everything runs on 2 cores: on a machine with more, the benchmark re-runs itself under
 * `taskset -c 0,1` (BENCH_CPUS picks other cores).
 *
 * Environment:
 *   BENCH_SECONDS     clip length in seconds                     default 60
 *   BENCH_BITRATE_K   clip video bitrate, kbit/s                 default 18000
 *   BENCH_CPUS        cores for taskset                          default 0,1
 *   BENCH_NICE        niceness of every ffmpeg (both sides)      default 10 (Lamha's default)
 *   BENCH_KEEP        keep the outputs in bench/results/.work-video  default 0
 *
 * Output: a table on stdout (progress on stderr) and bench/results/video-<date>.json.
 * Exit status 1 when a run fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeVideo, runFfmpeg, type VideoProbe } from '../src/media/ffmpeg.js';
import { joinVariant } from '../src/media/hls-join.js';
import { downloadPlan, hlsOutput, mp4Output, planLadder } from '../src/media/video-plan.js';
import { envInt } from './env.js';
import { clipArgs, ffmpegVersion, makeClip, RECIPE, run } from './video-clip.js';
import { peertubeHlsArgs, peertubeMp4Args, peertubeTarget } from './video-peertube.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = path.join(ROOT, 'bench/results');
const WORK = path.join(RESULTS, '.work-video');
/** bump when the clip's recipe changes, so cached clips are remade */
const GOAL_720P_X = 2;

const SECONDS = Math.max(1, envInt('BENCH_SECONDS', 60));
const BITRATE_K = envInt('BENCH_BITRATE_K', 18000);
const CPUS = process.env.BENCH_CPUS ?? '0,1';
const NICE = Math.min(19, envInt('BENCH_NICE', 10));
const KEEP = process.env.BENCH_KEEP === '1';

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const round2 = (n: number) => Math.round(n * 100) / 100;
const round1 = (n: number) => Math.round(n * 10) / 10;

// ---------------------------------------------------------------- 2 cores

/** Re-run under taskset on the first two cores when the machine has more (once). */
function pinToTwoCores(): void {
  if (process.env.BENCH_PINNED === '1' || os.availableParallelism() <= 2) return;
  log(`${os.availableParallelism()} cores: re-running under taskset -c ${CPUS}`);
  const r = spawnSync('taskset', ['-c', CPUS, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, BENCH_PINNED: '1' },
  });
  if (r.error) throw r.error;
  process.exit(r.status ?? 1);
}

function allowedCpus(): string {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/** CPU seconds of the waited-for children (and theirs) of this process: user + system. */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after the comm field: state is [0]; cutime is field 16 of the full line -> [13], cstime [14]
  const ticks = Number(fields[13]) + Number(fields[14]);
  return ticks / 100;
}

// ---------------------------------------------------------------- the clip

const ensureClip = () => makeClip(SECONDS, BITRATE_K);

// ---------------------------------------------------------------- measuring

interface Part {
  name: string;
  seconds: number;
  cpuSeconds: number;
  bytes: number;
  command?: string;
}

function treeBytes(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((sum, f) => sum + treeBytes(path.join(p, f)), 0);
}

async function timed(name: string, output: string, fn: () => Promise<void>, command?: string): Promise<Part> {
  const cpu0 = childCpuSeconds();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  const part = { name, seconds, cpuSeconds: childCpuSeconds() - cpu0, bytes: treeBytes(output), command };
  log(`  ${name}: ${seconds.toFixed(1)} s, ${part.cpuSeconds.toFixed(1)} CPU s, ${(part.bytes / 1e6).toFixed(1)} MB`);
  return part;
}

// ---------------------------------------------------------------- Lamha

const ffCtl = (probe: VideoProbe) => ({ timeoutMs: 3_600_000, nice: NICE, durationMs: probe.durationMs ?? undefined });

async function lamhaSet(clip: string, probe: VideoProbe, dir: string): Promise<Part[]> {
  const rungs = planLadder(probe.width, probe.height);
  const hlsDir = path.join(dir, 'hls');
  mkdirSync(hlsDir, { recursive: true });
  const hlsArgs = hlsOutput(probe, rungs, hlsDir);
  const hls = await timed(`lamha HLS ${rungs.map((r) => r.name).join('+')}`, hlsDir, () =>
    runFfmpeg({ inputs: [{ path: clip, format: probe.container }], output: hlsArgs }, ffCtl(probe)), `ffmpeg -i <clip> ${hlsArgs.join(' ')}`);
  const plan = downloadPlan(probe);
  const mp4 = path.join(dir, 'download.mp4');
  const mp4Args = mp4Output(probe, mp4);
  const joined = path.join(dir, 'download-rung.mp4');
  const dl = await timed(`lamha MP4 ${plan.rung === null ? 'remux of the source' : `copy of the ${plan.rung} rung`}`, mp4, async () => {
    if (plan.rung !== null) await joinVariant(path.join(hlsDir, plan.rung, 'index.m3u8'), joined);
    await runFfmpeg({ inputs: plan.rung !== null ? [{ path: joined, format: 'mov' }] : [{ path: clip, format: probe.container }], output: mp4Args }, ffCtl(probe));
  }, `ffmpeg -i <${plan.rung ?? 'clip'}> ${mp4Args.join(' ')}`);
  return [hls, dl];
}

async function lamha720(clip: string, probe: VideoProbe, dir: string): Promise<Part> {
  const rung = planLadder(probe.width, probe.height).find((r) => r.name === '720p');
  if (!rung) throw new Error('the clip has no 720p rung');
  mkdirSync(dir, { recursive: true });
  const args = hlsOutput(probe, [rung], dir);
  return timed('lamha HLS 720p alone', dir, () =>
    runFfmpeg({ inputs: [{ path: clip, format: probe.container }], output: args }, ffCtl(probe)), `ffmpeg -i <clip> ${args.join(' ')}`);
}

// ---------------------------------------------------------------- PeerTube-like baseline

const niced = (args: string[]): [string, string[]] => (NICE > 0 ? ['nice', ['-n', String(NICE), 'ffmpeg', ...args]] : ['ffmpeg', args]);

async function peertubeSet(clip: string, probe: VideoProbe, inputBitrate: number, dir: string): Promise<Part[]> {
  mkdirSync(dir, { recursive: true });
  const fps = Math.min(60, Math.round(probe.frameRate ?? 30));
  const ratio = probe.width / probe.height;
  const parts: Part[] = [];
  for (const resolution of [360, 720, 1080].filter((r) => r <= Math.min(probe.width, probe.height))) {
    const target = peertubeTarget(resolution, ratio, fps, inputBitrate);
    const mp4 = path.join(dir, `${resolution}.mp4`);
    const args = peertubeMp4Args(clip, resolution, target, fps, mp4);
    parts.push(await timed(`peertube MP4 ${resolution}p`, mp4, () => run(...niced(args)), `ffmpeg ${args.slice(5).join(' ')}`));
    const hlsDir = path.join(dir, 'hls');
    mkdirSync(hlsDir, { recursive: true });
    const hlsArgs = peertubeHlsArgs(mp4, hlsDir, resolution);
    parts.push(await timed(`peertube HLS ${resolution}p remux`, path.join(hlsDir, `${resolution}-fragmented.mp4`), () => run(...niced(hlsArgs)), `ffmpeg ${hlsArgs.slice(5).join(' ')}`));
  }
  return parts;
}

// ---------------------------------------------------------------- quality

interface Quality {
  name: string;
  ssim: number;
  psnr: number;
  kbps: number;
}

/** SSIM and PSNR of a 720p output against the clip scaled to its size (untimed; the reference is scaled as the ladder does). */
async function quality(name: string, file: string, clip: string, clipSeconds: number): Promise<Quality> {
  const graph = '[0:v]split[a][b];[1:v]scale=1280:720:flags=bicubic,split[r1][r2];[a][r1]ssim;[b][r2]psnr';
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-i', clip, '-lavfi', graph, '-f', 'null', '-'], { encoding: 'utf8' });
  const ssim = Number(/SSIM .*All:([\d.]+)/.exec(r.stderr)?.[1]);
  const psnr = Number(/PSNR .*average:([\d.]+)/.exec(r.stderr)?.[1]);
  const kbps = Math.round((statSync(file).size * 8) / clipSeconds / 1000);
  log(`  ${name}: SSIM ${ssim.toFixed(4)}, PSNR ${psnr.toFixed(2)} dB, ${kbps} kbit/s`);
  return { name, ssim, psnr, kbps };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  pinToTwoCores();
  const started = new Date();
  const clip = await ensureClip();
  if (clip.madeNow) log(`clip made in ${clip.seconds.toFixed(1)} s`);
  const probe = await probeVideo(clip.file, { timeoutMs: 60_000 });
  const clipSeconds = (probe.durationMs ?? SECONDS * 1000) / 1000;
  const clipBytes = statSync(clip.file).size;
  const inputBitrate = Math.round((clipBytes * 8) / clipSeconds);
  log(`clip: ${probe.width}x${probe.height} ${probe.videoCodec}/${probe.audioCodec} ${probe.frameRate} fps, ${clipSeconds.toFixed(2)} s, ${(inputBitrate / 1e6).toFixed(1)} Mbit/s; CPUs ${allowedCpus()}`);

  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const load0 = os.loadavg();
  let failed = false;
  let lamha: Part[] = [];
  let alone: Part | undefined;
  let peertube: Part[] = [];
  try {
    log('lamha: the whole set, as the transcode-video processor makes it');
    lamha = await lamhaSet(clip.file, probe, path.join(WORK, 'lamha'));
    log('lamha: the 720p HLS rendition alone');
    alone = await lamha720(clip.file, probe, path.join(WORK, 'lamha-720p'));
    log('peertube-like: one process per resolution, then an HLS remux of each');
    peertube = await peertubeSet(clip.file, probe, inputBitrate, path.join(WORK, 'peertube'));
  } catch (err) {
    failed = true;
    log(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
  }
  const load1 = os.loadavg();
  const qualities: Quality[] = [];
  if (!failed) {
    log('quality of the 720p outputs against the clip (untimed)');
    qualities.push(await quality('lamha 720p (HLS rung = download MP4)', path.join(WORK, 'lamha/download.mp4'), clip.file, clipSeconds));
    qualities.push(await quality('peertube-like 720p', path.join(WORK, 'peertube/720.mp4'), clip.file, clipSeconds));
  }
  if (!KEEP) rmSync(WORK, { recursive: true, force: true });
  if (failed || !alone) process.exit(1);

  const sum = (parts: Part[], k: 'seconds' | 'cpuSeconds' | 'bytes') => parts.reduce((s, p) => s + p[k], 0);
  const x = (s: number) => clipSeconds / s;
  const lamhaS = sum(lamha, 'seconds');
  const peertubeS = sum(peertube, 'seconds');
  const summary = {
    lamhaWholeSetX: round2(x(lamhaS)),
    peertubeWholeSetX: round2(x(peertubeS)),
    ratioLamhaOverPeertube: round2(peertubeS / lamhaS),
    lamha720pAloneX: round2(x(alone.seconds)),
    goal720pAlone: alone ? x(alone.seconds) >= GOAL_720P_X : false,
    goalFasterThanBaseline: lamhaS < peertubeS,
  };

  const row = (name: string, s: number, cpu: number, bytes: number) =>
    `| ${name.padEnd(30)} | ${s.toFixed(1).padStart(7)} | ${x(s).toFixed(2).padStart(6)} | ${cpu.toFixed(1).padStart(6)} | ${(bytes / 1e6).toFixed(1).padStart(7)} |`;
  const lines = [
    '',
    `clip: ${probe.width}x${probe.height}@${probe.frameRate} H.264/AAC, ${clipSeconds.toFixed(1)} s, ${(inputBitrate / 1e6).toFixed(1)} Mbit/s; CPUs ${allowedCpus()}; ${ffmpegVersion()}`,
    '',
    `| ${'run'.padEnd(30)} | ${'wall s'.padStart(7)} | ${'× rt'.padStart(6)} | ${'CPU s'.padStart(6)} | ${'out MB'.padStart(7)} |`,
    `| ${'-'.repeat(30)} | ${'-'.repeat(7)} | ${'-'.repeat(6)} | ${'-'.repeat(6)} | ${'-'.repeat(7)} |`,
    ...lamha.map((p) => row(p.name, p.seconds, p.cpuSeconds, p.bytes)),
    row('**lamha whole set**', lamhaS, sum(lamha, 'cpuSeconds'), sum(lamha, 'bytes')),
    ...peertube.map((p) => row(p.name, p.seconds, p.cpuSeconds, p.bytes)),
    row('**peertube-like whole set**', peertubeS, sum(peertube, 'cpuSeconds'), sum(peertube, 'bytes')),
    row('lamha HLS 720p alone', alone.seconds, alone.cpuSeconds, alone.bytes),
    '',
    `lamha whole set ${summary.lamhaWholeSetX}× realtime, peertube-like ${summary.peertubeWholeSetX}× → lamha is ${summary.ratioLamhaOverPeertube}× as fast  [goal > 1: ${summary.goalFasterThanBaseline ? 'MET' : 'NOT MET'}]`,
    `lamha 720p HLS alone ${summary.lamha720pAloneX}× realtime  [goal ≥ ${GOAL_720P_X}: ${summary.goal720pAlone ? 'MET' : 'NOT MET'}]`,
    ...qualities.map((q) => `${q.name}: SSIM ${q.ssim.toFixed(4)}, PSNR ${q.psnr.toFixed(2)} dB, ${q.kbps} kbit/s (audio included)`),
    `CPU-bound estimate on 2 idle cores (clip s ÷ (CPU s ÷ 2)): lamha whole set ${round2(clipSeconds / (sum(lamha, 'cpuSeconds') / 2))}×, 720p alone ${round2(clipSeconds / (alone.cpuSeconds / 2))}×, peertube-like ${round2(clipSeconds / (sum(peertube, 'cpuSeconds') / 2))}×; CPU ratio ${round2(sum(peertube, 'cpuSeconds') / sum(lamha, 'cpuSeconds'))}`,
    `load average ${load0.map((n) => n.toFixed(2)).join(' ')} → ${load1.map((n) => n.toFixed(2)).join(' ')}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));

  mkdirSync(RESULTS, { recursive: true });
  const out = path.join(RESULTS, `video-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({
    started: started.toISOString(),
    host: { cpus: allowedCpus(), model: os.cpus()[0]?.model, node: process.version, ffmpeg: ffmpegVersion(), loadavg: { start: load0, end: load1 } },
    config: { seconds: SECONDS, bitrateK: BITRATE_K, nice: NICE, recipe: RECIPE },
    clip: { file: path.relative(ROOT, clip.file), bytes: clipBytes, seconds: clipSeconds, bitrate: inputBitrate, probe: { ...probe, creationTime: null, location: null }, makeCommand: `ffmpeg ${clipArgs('<clip>', SECONDS, BITRATE_K).join(' ')}` },
    summary,
    quality: qualities,
    lamha: lamha.map((p) => ({ ...p, seconds: round2(p.seconds), x: round2(x(p.seconds)) })),
    lamha720pAlone: { ...alone, seconds: round2(alone.seconds), x: round2(x(alone.seconds)) },
    peertube: peertube.map((p) => ({ ...p, seconds: round2(p.seconds), x: round2(x(p.seconds)) })),
    totals: {
      lamha: { seconds: round2(lamhaS), cpuSeconds: round1(sum(lamha, 'cpuSeconds')), bytes: sum(lamha, 'bytes') },
      peertube: { seconds: round2(peertubeS), cpuSeconds: round1(sum(peertube, 'cpuSeconds')), bytes: sum(peertube, 'bytes') },
    },
  }, null, 2));
  log(`wrote ${path.relative(ROOT, out)}`);
}

main().catch((err: unknown) => {
  log(`FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
