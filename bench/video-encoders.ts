/**
 * x264 settings per HLS rung, by measurement: on the benchmark clip (bench/video-clip.ts, a
 * camera-like 1080p30 recording made from the fixtures) and on the real 1080p fixture clips,
 * each rung (360p, 720p, 1080p, scaled as Lamha scales) is encoded with candidate presets and
 * CRFs under Lamha's caps, with Lamha's current plan (src/media/video-plan.ts), and with
 * PeerTube's and Immich's default x264 settings. Every encode gets its CPU seconds (user + sys
 * of ffmpeg: contention on a shared machine does not bend them), its bit rate, and its SSIM and
 * PSNR against the source scaled to the rung's size by the same scaler. Then, per rung and
 * baseline: the CRF at which each preset reaches the baseline's SSIM (interpolated, and checked
 * with one encode of the plan's preset), and the plan's preset held to the baseline's bit rate.
 * Also: the cost of decoding the 1080p source (every rung's job decodes it) and of decoder
 * options that make that cheaper, with their SSIM cost.
 *
 *   npx tsx bench/video-encoders.ts            (or: npm run bench:video-encoders)
 *
 * Every encode sees the same picture: `format=yuv420p,scale=W:H:flags=bicubic` (Lamha's filter)
 * in front of each side's encoder options, so the comparison is of encoders, not scalers.
 * Every encode keeps the source's frames (`-fps_mode passthrough`; PeerTube's `-r` then only
 * sets the time base), and output and reference are compared frame by frame: without both, a
 * source whose first frame is not at 0 (the phone fixture) gets a frame repeated at the start,
 * or one whose first frames have no timestamp (the AVCHD fixture) is paired out of step, and
 * every SSIM after it is of the wrong pair.
 *
 * Environment:
 *   BENCH_SECONDS     length of the clip excerpt, seconds                   default 60
 *   BENCH_BITRATE_K   the clip's bit rate, kbit/s                           default 18000
 *   BENCH_PRESETS     x264 presets of the grid, each optionally with x264     default ultrafast,superfast,superfast:mbtree=1:rc-lookahead=10,veryfast,faster
 *                     options over it (preset:key=value:…)
 *   BENCH_CRFS        CRFs of the grid                                      default 20,26
 *   BENCH_RUNGS       rungs                                                 default 360p,720p,1080p
 *   BENCH_SOURCES     clip, fixtures or both                                default clip,fixtures
 *   BENCH_NICE        niceness of every ffmpeg                              default 10
 *   BENCH_BASELINES   0: the grid alone (no plan, baselines, decoder options) default 1
 *
 * Output: tables on stdout (progress on stderr) and bench/results/video-encoders-<date>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeVideo, type VideoProbe } from '../src/media/ffmpeg.js';
import { KEYFRAMES, planLadder, x264Args, type Rung } from '../src/media/video-plan.js';
import { envInt } from './env.js';
import { childrenCpuSeconds, log, ROOT } from './harness.js';
import { ffmpegVersion, makeClip, RECIPE } from './video-clip.js';
import { peertubeTarget, peertubeX264Args } from './video-peertube.js';

const SECONDS = Math.max(1, envInt('BENCH_SECONDS', 60));
const BITRATE_K = envInt('BENCH_BITRATE_K', 18000);
const NICE = Math.min(19, envInt('BENCH_NICE', 10));
const list = (name: string, fallback: string) => (process.env[name] || fallback).split(',').map((s) => s.trim()).filter(Boolean);
const PRESETS = list('BENCH_PRESETS', 'ultrafast,superfast,superfast:mbtree=1:rc-lookahead=10,veryfast,faster');
const CRFS = list('BENCH_CRFS', '20,26').map(Number);
const RUNGS = list('BENCH_RUNGS', '360p,720p,1080p');
const SOURCES = list('BENCH_SOURCES', 'clip,fixtures');
const BASELINES = process.env.BENCH_BASELINES !== '0';
const RESULTS = path.join(ROOT, 'bench/results');
const WORK = path.join(RESULTS, `.work-video-encoders-${process.pid}`);
/** ≥ 1× realtime on 2 cores, with a tenth left for the audio, the muxing and the uploads */
const GOAL_LADDER_CPU_PER_SECOND = 1.8;

const r3 = (n: number) => Math.round(n * 1000) / 1000;
const r4 = (n: number) => Math.round(n * 10000) / 10000;

// ---------------------------------------------------------------- the sources

interface Source {
  name: string;
  file: string;
  probe: VideoProbe;
  seconds: number;
  fps: number;
}

async function source(name: string, file: string): Promise<Source> {
  const probe = await probeVideo(file, { timeoutMs: 60_000 });
  return { name, file, probe, seconds: (probe.durationMs ?? 0) / 1000, fps: probe.frameRate ?? 30 };
}

async function sources(): Promise<Source[]> {
  const out: Source[] = [];
  if (SOURCES.includes('clip')) {
    const clip = await makeClip(SECONDS, BITRATE_K);
    if (clip.madeNow) log(`clip made in ${clip.seconds.toFixed(1)} s`);
    out.push(await source(`clip ${SECONDS} s (recipe ${RECIPE})`, clip.file));
  }
  if (SOURCES.includes('fixtures')) {
    out.push(await source('phone 1080p30 portrait (mp4 fixture)', path.join(ROOT, 'test/fixtures/mp4_h264_aac_gps-udta-xyz.mp4')));
    out.push(await source('AVCHD 1080i (mts fixture)', path.join(ROOT, 'test/fixtures/mpegts_panasonic-avchd_h264_ac3.mts')));
  }
  return out;
}

// ---------------------------------------------------------------- running ffmpeg, measuring

/** Runs ffmpeg to the end; its CPU seconds (user + sys, from /proc: this process's children). */
function ffmpeg(args: string[]): Promise<number> {
  const before = childrenCpuSeconds(process.pid);
  return new Promise<number>((resolve, reject) => {
    const child = spawn('nice', ['-n', String(NICE), 'ffmpeg', '-hide_banner', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-8000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`ffmpeg exited ${code}: ${err.slice(-2000)}`));
      else resolve(childrenCpuSeconds(process.pid) - before);
    });
  });
}

/** ffmpeg's stderr (for the ssim and psnr filters' summaries). */
function ffmpegOutput(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', String(NICE), 'ffmpeg', '-hide_banner', '-nostdin', '-nostats', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(err) : reject(new Error(`ffmpeg exited ${code}: ${err.slice(-2000)}`))));
  });
}

const scaleOf = (rung: Rung) => `format=yuv420p,scale=${rung.width}:${rung.height}:flags=bicubic`;

/** The source scaled to the rung as Lamha scales it, kept raw: the reference of every SSIM at this rung. */
async function reference(src: Source, rung: Rung, file: string, inputOptions: string[] = []): Promise<number> {
  return ffmpeg([...inputOptions, '-i', src.file, '-map', '0:v:0', '-vf', scaleOf(rung), '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', file]);
}

interface Quality {
  ssim: number;
  psnr: number;
}

/** SSIM (All) and PSNR (average) of `file` (a video or a raw picture stream of the rung's size) against the reference. */
async function quality(src: Source, rung: Rung, file: string, ref: string, raw = false): Promise<Quality> {
  const rawIn = ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${rung.width}x${rung.height}`, '-r', String(src.fps)];
  // frame by frame: every encode keeps the source's frames, and timestamps can mislead (the
  // AVCHD fixture's first frames come out of the decoder without one)
  const graph = '[0:v]setpts=N/(30*TB),split[d1][d2];[1:v]setpts=N/(30*TB),split[r1][r2];[d1][r1]ssim;[d2][r2]psnr';
  const err = await ffmpegOutput([...(raw ? rawIn : []), '-i', file, ...rawIn, '-i', ref, '-lavfi', graph, '-f', 'null', '-']);
  const ssim = Number(/SSIM .*All:([\d.]+)/.exec(err)?.[1]);
  const psnr = Number(/PSNR .*average:([\d.]+|inf)/.exec(err)?.[1]?.replace('inf', 'Infinity'));
  if (!Number.isFinite(ssim)) throw new Error(`no SSIM for ${file}: ${err.slice(-500)}`);
  return { ssim, psnr };
}

// ---------------------------------------------------------------- encodes

type Kind = 'grid' | 'plan' | 'peertube' | 'immich' | 'equal-quality' | 'same-budget';

interface Encode extends Quality {
  source: string;
  rung: string;
  kind: Kind;
  name: string;
  preset: string;
  crf: number | null;
  /** ffmpeg's CPU seconds per second of video: the whole job (decode, scale, encode) */
  cpuPerSecond: number;
  /** the same less the decode and scale of this rung (measured alone) */
  encodePerSecond: number;
  kbps: number;
  command: string;
}

interface RungWork {
  src: Source;
  rung: Rung;
  ref: string;
  /** CPU seconds per video second of decoding and scaling to this rung, nothing encoded */
  decodeScale: number;
  dir: string;
}

async function encode(w: RungWork, kind: Kind, name: string, preset: string, crf: number | null, encoderArgs: string[]): Promise<Encode> {
  const out = path.join(w.dir, `${kind}-${name.replace(/[^\w.-]+/g, '_')}.mp4`);
  const args = ['-i', w.src.file, '-map', '0:v:0', '-vf', scaleOf(w.rung), ...encoderArgs, '-an', '-sn', '-dn', '-map_metadata', '-1', '-f', 'mp4', out];
  const cpu = await ffmpeg(args);
  const kbps = (statSync(out).size * 8) / w.src.seconds / 1000;
  const q = await quality(w.src, w.rung, out, w.ref);
  rmSync(out, { force: true });
  const e: Encode = {
    source: w.src.name, rung: w.rung.name, kind, name, preset, crf, ...q,
    cpuPerSecond: cpu / w.src.seconds, encodePerSecond: cpu / w.src.seconds - w.decodeScale, kbps, command: `ffmpeg ${args.join(' ').replace(w.src.file, '<source>')}`,
  };
  log(`  ${w.rung.name} ${kind} ${name}: ${e.cpuPerSecond.toFixed(3)} CPU s/s, ${Math.round(kbps)} kbit/s, SSIM ${e.ssim.toFixed(4)}, PSNR ${e.psnr.toFixed(2)}`);
  return e;
}

/** A candidate of BENCH_PRESETS: an x264 preset, or a preset and x264 options over it (`superfast:mbtree=1:rc-lookahead=10`). */
function candidate(name: string): { preset: Rung['preset']; x264Params?: string } {
  const i = name.indexOf(':');
  // x264Params always set, so a bare preset does not inherit the plan's options
  return i < 0 ? { preset: name as Rung['preset'], x264Params: undefined } : { preset: name.slice(0, i) as Rung['preset'], x264Params: name.slice(i + 1) };
}

const nameOf = (r: Pick<Rung, 'preset' | 'x264Params'>) => (r.x264Params ? `${r.preset}:${r.x264Params}` : r.preset);

/** Lamha's options for a rung of these settings: the plan's x264Args and keyframes. */
const lamhaArgs = (rung: Rung, preset: string, crf: number) => [...x264Args({ ...rung, ...candidate(preset), crf }), ...KEYFRAMES, '-fps_mode', 'passthrough'];

/**
 * Immich's defaults (immich-app/immich server/src/config.ts: ffmpeg crf 23, preset ultrafast,
 * targetResolution 720, maxBitrate 0, bframes -1, refs 0, gopSize 0, twoPass false, threads 0)
 * through server/src/utils/media.ts (BaseConfig.getCommand, H264Config): `-c:v h264` (libx264)
 * `-fps_mode passthrough`, `-preset ultrafast`, `-crf 23`; no -bf, -refs, -g, -maxrate or
 * -threads (each is left out at its default). Its scale (`scale=-2:720`) is Lamha's here.
 */
const IMMICH_X264 = ['-c:v', 'libx264', '-fps_mode', 'passthrough', '-preset', 'ultrafast', '-crf', '23'];

function peertubeArgs(src: Source, rung: Rung, inputBitrate: number): string[] {
  const short = Math.min(rung.width, rung.height);
  // PeerTube keeps a source's frame rate (29.97 stays 29.97); its target is computed on the rounded one
  const fps = Math.min(60, Math.round(src.fps));
  const target = peertubeTarget(short, Math.max(rung.width, rung.height) / short, fps, inputBitrate);
  const args = peertubeX264Args(target, fps);
  args[args.indexOf('-r') + 1] = String(Math.round(Math.min(60, src.fps) * 1000) / 1000);
  return [...args, '-fps_mode', 'passthrough'];
}

// ---------------------------------------------------------------- equal quality

interface Point { crf: number; ssim: number; kbps: number; cpu: number }

/** The CRF where SSIM(crf) meets `ssim`, by linear interpolation between the grid's CRFs (extrapolated beyond them), with kbit/s (log-linear) and CPU there. */
function atSsim(points: Point[], ssim: number): (Point & { extrapolated: boolean }) | null {
  const p = [...points].sort((a, b) => a.crf - b.crf);
  if (p.length < 2) return null;
  let i = p.findIndex((q, k) => k < p.length - 1 && ((q.ssim >= ssim && p[k + 1]!.ssim <= ssim)));
  const extrapolated = i < 0;
  if (i < 0) i = ssim > p[0]!.ssim ? 0 : p.length - 2;
  const a = p[i]!;
  const b = p[i + 1]!;
  if (a.ssim === b.ssim) return null;
  const t = (a.ssim - ssim) / (a.ssim - b.ssim);
  const crf = a.crf + t * (b.crf - a.crf);
  // beyond the grid, CPU is the nearest point's (it changes little with CRF, and a line drawn on
  // two noisy points goes anywhere)
  const cpu = extrapolated ? (t < 0 ? a.cpu : b.cpu) : a.cpu + t * (b.cpu - a.cpu);
  return { crf, ssim, kbps: Math.exp(Math.log(a.kbps) + t * (Math.log(b.kbps) - Math.log(a.kbps))), cpu, extrapolated };
}

interface EqualQuality {
  source: string;
  rung: string;
  baseline: string;
  baselineSsim: number;
  baselineKbps: number;
  baselineCpu: number;
  preset: string;
  crf: number;
  kbps: number;
  cpu: number;
  extrapolated: boolean;
}

// ---------------------------------------------------------------- decoding

interface Decode {
  source: string;
  rung: string;
  name: string;
  options: string[];
  cpuPerSecond: number;
  /** SSIM of the scaled pictures against the normal decode's (1 = the same) */
  ssim: number | null;
}

const DECODE_OPTIONS: { name: string; options: string[] }[] = [
  { name: 'decoder -threads 1', options: ['-threads', '1'] },
  { name: 'decoder -flags2 fast', options: ['-flags2', 'fast'] },
  { name: 'decoder -skip_loop_filter noref', options: ['-skip_loop_filter', 'noref'] },
  { name: 'decoder -skip_loop_filter all', options: ['-skip_loop_filter', 'all'] },
];

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = new Date();
  const load0 = os.loadavg();
  rmSync(WORK, { recursive: true, force: true });
  const encodes: Encode[] = [];
  const equal: EqualQuality[] = [];
  const decodes: Decode[] = [];
  const srcs = await sources();
  for (const src of srcs) {
    const inputBitrate = Math.round((statSync(src.file).size * 8) / src.seconds);
    log(`${src.name}: ${src.probe.width}x${src.probe.height} ${src.probe.videoCodec} ${src.fps.toFixed(2)} fps, ${src.seconds.toFixed(2)} s, ${(inputBitrate / 1e6).toFixed(1)} Mbit/s`);
    const decodeOnly = (await ffmpeg(['-i', src.file, '-map', '0:v:0', '-f', 'null', '-'])) / src.seconds;
    decodes.push({ source: src.name, rung: 'source', name: 'decode only', options: [], cpuPerSecond: decodeOnly, ssim: null });
    log(`  decode only: ${decodeOnly.toFixed(3)} CPU s/s`);
    for (const rung of planLadder(src.probe.width, src.probe.height).filter((r) => RUNGS.includes(r.name))) {
      const dir = path.join(WORK, src.name.replace(/[^\w.-]+/g, '_'), rung.name);
      mkdirSync(dir, { recursive: true });
      const ref = path.join(dir, 'reference.yuv');
      await reference(src, rung, ref);
      const decodeScale = (await ffmpeg(['-i', src.file, '-map', '0:v:0', '-vf', scaleOf(rung), '-fps_mode', 'passthrough', '-f', 'null', '-'])) / src.seconds;
      decodes.push({ source: src.name, rung: rung.name, name: 'decode + scale', options: [], cpuPerSecond: decodeScale, ssim: 1 });
      log(`  ${rung.name} decode + scale: ${decodeScale.toFixed(3)} CPU s/s`);
      if (BASELINES && rung.name !== '1080p') {
        for (const d of DECODE_OPTIONS) {
          const cpu = (await ffmpeg([...d.options, '-i', src.file, '-map', '0:v:0', '-vf', scaleOf(rung), '-fps_mode', 'passthrough', '-f', 'null', '-'])) / src.seconds;
          const alt = path.join(dir, 'decoded.yuv');
          await reference(src, rung, alt, d.options);
          const q = await quality(src, rung, alt, ref, true);
          rmSync(alt, { force: true });
          decodes.push({ source: src.name, rung: rung.name, name: d.name, options: d.options, cpuPerSecond: cpu, ssim: q.ssim });
          log(`  ${rung.name} ${d.name}: ${cpu.toFixed(3)} CPU s/s, SSIM ${q.ssim.toFixed(5)} against the normal decode`);
        }
      }
      const w: RungWork = { src, rung, ref, decodeScale, dir };
      const mine: Encode[] = [];
      const plan = nameOf(rung);
      if (BASELINES) {
        mine.push(await encode(w, 'plan', `plan ${plan} crf ${rung.crf}`, plan, rung.crf, lamhaArgs(rung, plan, rung.crf)));
        mine.push(await encode(w, 'peertube', 'PeerTube-like', 'veryfast', null, peertubeArgs(src, rung, inputBitrate)));
        mine.push(await encode(w, 'immich', 'Immich-like', 'ultrafast', 23, IMMICH_X264));
      }
      for (const preset of PRESETS) {
        for (const crf of CRFS) {
          if (BASELINES && preset === plan && crf === rung.crf) continue; // the plan's row
          mine.push(await encode(w, 'grid', `${preset} crf ${crf}`, preset, crf, lamhaArgs(rung, preset, crf)));
        }
      }
      const grid = mine.filter((e) => e.kind === 'grid' || e.kind === 'plan');
      for (const base of mine.filter((e) => e.kind === 'peertube' || e.kind === 'immich')) {
        for (const preset of PRESETS) {
          const pts = grid.filter((e) => e.preset === preset).map((e) => ({ crf: e.crf!, ssim: e.ssim, kbps: e.kbps, cpu: e.cpuPerSecond }));
          const at = atSsim(pts, base.ssim);
          if (!at) continue;
          equal.push({
            source: src.name, rung: rung.name, baseline: base.name, baselineSsim: base.ssim, baselineKbps: base.kbps, baselineCpu: base.cpuPerSecond,
            preset, crf: at.crf, kbps: at.kbps, cpu: at.cpu, extrapolated: at.extrapolated,
          });
        }
        // checked: the plan's preset at the interpolated CRF, and the plan's preset held to the baseline's bit rate
        const planPts = grid.filter((e) => e.preset === plan).map((e) => ({ crf: e.crf!, ssim: e.ssim, kbps: e.kbps, cpu: e.cpuPerSecond }));
        const at = atSsim(planPts, base.ssim);
        // checked only near the grid: far beyond it the interpolation says nothing worth an encode
        if (at && at.crf >= Math.min(...CRFS) - 3 && at.crf <= Math.max(...CRFS) + 3) {
          const crf = Math.round(at.crf * 10) / 10;
          mine.push(await encode(w, 'equal-quality', `${plan} crf ${crf} vs ${base.name}`, plan, crf, lamhaArgs(rung, plan, crf)));
        }
        const b = Math.max(1, Math.round(base.kbps));
        const cap = Math.max(b, rung.maxrateK);
        mine.push(await encode(w, 'same-budget', `${plan} ${b}k vs ${base.name}`, plan, null, [
          '-c:v', 'libx264', '-preset', rung.preset, '-profile:v', 'high', ...(rung.x264Params ? ['-x264-params', rung.x264Params] : []),
          '-b:v', `${b}k`, '-maxrate:v', `${cap}k`, '-bufsize:v', `${cap * 2}k`,
          ...KEYFRAMES, '-fps_mode', 'passthrough',
        ]));
      }
      encodes.push(...mine);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  rmSync(WORK, { recursive: true, force: true });
  const load1 = os.loadavg();

  // ---------------------------------------------------------------- report
  const lines: string[] = ['', `${ffmpegVersion()}; ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? '?'}); load average ${load0.map((n) => n.toFixed(2)).join(' ')} → ${load1.map((n) => n.toFixed(2)).join(' ')}`];
  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (n: number, d: number, w: number) => n.toFixed(d).padStart(w);
  for (const src of srcs) {
    lines.push('', `## ${src.name}: ${src.probe.width}x${src.probe.height}, ${src.seconds.toFixed(2)} s`, '');
    for (const d of decodes.filter((x) => x.source === src.name)) {
      lines.push(`decode ${pad(d.rung, 6)} ${pad(d.name, 34)} ${num(d.cpuPerSecond, 3, 6)} CPU s/s${d.ssim === null || d.ssim === 1 ? '' : `  SSIM ${d.ssim.toFixed(5)} vs the normal decode`}`);
    }
    lines.push('', `| ${pad('rung', 5)} | ${pad('encode', 44)} | job CPU s/s | encode CPU s/s | kbit/s | SSIM   | PSNR  |`, `| ----- | ${'-'.repeat(44)} | ---: | ---: | ---: | ---: | ---: |`);
    for (const e of encodes.filter((x) => x.source === src.name)) {
      lines.push(`| ${pad(e.rung, 5)} | ${pad(`${e.kind === 'grid' ? '' : `${e.kind}: `}${e.name}`, 44)} | ${num(e.cpuPerSecond, 3, 6)} | ${num(e.encodePerSecond, 3, 6)} | ${num(e.kbps, 0, 6)} | ${e.ssim.toFixed(4)} | ${e.psnr.toFixed(2)} |`);
    }
    lines.push('', 'equal quality: the CRF at which each preset reaches the baseline\'s SSIM (interpolated; * extrapolated), its kbit/s and job CPU s/s', '');
    for (const q of equal.filter((x) => x.source === src.name)) {
      lines.push(`${pad(q.rung, 5)} ${pad(q.baseline, 14)} SSIM ${q.baselineSsim.toFixed(4)} at ${num(q.baselineKbps, 0, 5)} kbit/s, ${q.baselineCpu.toFixed(3)} CPU s/s | ${pad(q.preset, 9)} crf ${num(q.crf, 1, 4)}${q.extrapolated ? '*' : ' '}: ${num(q.kbps, 0, 5)} kbit/s (${num((q.kbps / q.baselineKbps - 1) * 100, 0, 4)} %), ${q.cpu.toFixed(3)} CPU s/s`);
    }
    const plan = encodes.filter((e) => e.source === src.name && e.kind === 'plan');
    const ladderCpu = plan.reduce((s, e) => s + e.cpuPerSecond, 0);
    if (plan.length > 0) lines.push('', `ladder (${plan.map((e) => `${e.rung} ${e.name.replace('plan ', '')}`).join(', ')}): ${ladderCpu.toFixed(3)} CPU s per video second, decode included once per rung → ${(2 / ladderCpu).toFixed(2)}× realtime on 2 idle cores  [goal ≤ ${GOAL_LADDER_CPU_PER_SECOND}: ${ladderCpu <= GOAL_LADDER_CPU_PER_SECOND ? 'MET' : 'NOT MET'}]`);
    for (const e of plan) {
      const pt = encodes.find((x) => x.source === src.name && x.rung === e.rung && x.kind === 'peertube')!;
      const budget = encodes.find((x) => x.source === src.name && x.rung === e.rung && x.kind === 'same-budget' && x.name.endsWith(pt.name));
      const met = (e.ssim >= pt.ssim && e.kbps <= pt.kbps * 1.02) || (budget !== undefined && budget.ssim >= pt.ssim);
      lines.push(`${pad(e.rung, 5)} plan SSIM ${e.ssim.toFixed(4)} at ${Math.round(e.kbps)} kbit/s; PeerTube-like ${pt.ssim.toFixed(4)} at ${Math.round(pt.kbps)}; plan's preset at PeerTube's bit rate ${budget ? `${budget.ssim.toFixed(4)} at ${Math.round(budget.kbps)}` : '-'}  [goal ≥ PeerTube at the same size: ${met ? 'MET' : 'NOT MET'}]`);
    }
  }
  lines.push('');
  process.stdout.write(lines.join('\n'));

  mkdirSync(RESULTS, { recursive: true });
  const out = path.join(RESULTS, `video-encoders-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({
    started: started.toISOString(),
    host: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model, node: process.version, ffmpeg: ffmpegVersion(), loadavg: { start: load0, end: load1 } },
    config: { seconds: SECONDS, bitrateK: BITRATE_K, nice: NICE, recipe: RECIPE, presets: PRESETS, crfs: CRFS, rungs: RUNGS, sources: SOURCES },
    sources: srcs.map((s) => ({ name: s.name, file: path.relative(ROOT, s.file), seconds: s.seconds, width: s.probe.width, height: s.probe.height, fps: s.fps })),
    decodes: decodes.map((d) => ({ ...d, cpuPerSecond: r3(d.cpuPerSecond), ssim: d.ssim === null ? null : r4(d.ssim) })),
    encodes: encodes.map((e) => ({ ...e, cpuPerSecond: r3(e.cpuPerSecond), encodePerSecond: r3(e.encodePerSecond), kbps: Math.round(e.kbps), ssim: r4(e.ssim), psnr: Math.round(e.psnr * 100) / 100 })),
    equalQuality: equal.map((q) => ({ ...q, crf: Math.round(q.crf * 10) / 10, kbps: Math.round(q.kbps), cpu: r3(q.cpu), baselineKbps: Math.round(q.baselineKbps), baselineCpu: r3(q.baselineCpu), baselineSsim: r4(q.baselineSsim) })),
  }, null, 2));
  log(`wrote ${path.relative(ROOT, out)}`);
}

main().catch((err: unknown) => {
  log(`FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
