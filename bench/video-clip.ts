/**
 * The benchmarks' video: a 1080p30 camera-like recording made by ffmpeg from its test sources
 * (bench/video and bench/video-flow share it), cached between runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, 'bench/results/.cache/video');
/** bump when the clip's recipe changes, so cached clips are remade */
export const RECIPE = 2;
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

export function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

/**
 * Camera-like footage, not noise: testsrc2 (moving shapes, a counter, colour bars) with a
 * Game-of-Life layer blended in and a Mandelbrot zoom sliding across, seen through a hand-held
 * camera (the frame drifts and shakes a few pixels: every block moves, as in real footage),
 * softened by a lens (gaussian blur, σ 0.7) and under light temporal grain (noise 6 levels,
 * like a phone sensor in a lit hall). Pure per-pixel noise, which earlier versions of this clip
 * used, is the one thing no encoder does fast and no camera films. Sound: a tone under pink
 * noise. Encoded as a camera does: H.264 High, ~18 Mbit/s, 1 s GOP, AAC 192k stereo 48 kHz.
 */
export function clipArgs(out: string, seconds: number, bitrateK: number): string[] {
  const video = [
    `testsrc2=size=2016x1134:rate=30[bg]`,
    `mandelbrot=size=640x360:rate=30[m]`,
    `life=size=480x270:rate=30:mold=10:ratio=0.3:death_color=#202020:life_color=#40c0ff,scale=2016:1134:flags=neighbor,format=yuv420p[l]`,
    `[bg]format=yuv420p[bgy]`,
    `[bgy][l]blend=all_mode=overlay:all_opacity=0.35[bl]`,
    `[bl][m]overlay=x='mod(t*240,W-w)':y='(H-h)/2+200*sin(t)'[ov]`,
    // hand-held: a slow drift and a small shake, within the 96×54 margin
    `[ov]crop=1920:1080:x='48+40*sin(t*0.7)+6*sin(t*11)':y='27+20*sin(t*0.5)+4*sin(t*13)'[cam]`,
    `[cam]gblur=sigma=0.7,noise=alls=6:allf=t,format=yuv420p[v]`,
  ].join(';');
  return [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000`,
    '-f', 'lavfi', '-i', `anoisesrc=color=pink:amplitude=0.2:sample_rate=48000`,
    '-filter_complex', `${video};[0:a][1:a]amix=inputs=2,aformat=channel_layouts=stereo[a]`,
    '-map', '[v]', '-map', '[a]', '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high',
    '-b:v', `${bitrateK}k`, '-maxrate', `${Math.round(bitrateK * 1.15)}k`, '-bufsize', `${bitrateK * 2}k`, '-g', '30',
    '-c:a', 'aac', '-b:a', '192k', '-ar', '48000', '-ac', '2',
    '-movflags', '+faststart', '-f', 'mp4', out,
  ];
}

/** The clip of `seconds` at `bitrateK`, made once and cached in bench/results/.cache/video. */
export async function makeClip(seconds: number, bitrateK: number): Promise<{ file: string; seconds: number; madeNow: boolean }> {
  mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `clip-r${RECIPE}-${seconds}s-${bitrateK}k.mp4`);
  if (existsSync(file)) return { file, seconds: 0, madeNow: false };
  log(`making the ${seconds} s 1080p30 clip (cached afterwards): ${path.relative(ROOT, file)}`);
  const tmp = `${file}.part`;
  const t0 = performance.now();
  await run('ffmpeg', clipArgs(tmp, seconds, bitrateK));
  renameSync(tmp, file);
  return { file, seconds: (performance.now() - t0) / 1000, madeNow: true };
}

