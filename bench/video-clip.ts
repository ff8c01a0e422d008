/**
 * The benchmarks' video: a 1080p30 camera-like recording made from the project's real fixtures
 * (bench/video, bench/video-flow and bench/video-encoders share it), cached between runs.
 *
 * Made in two steps, both cached in bench/results/.cache/video:
 *  1. the material, once for every length: the photos turned upright (EXIF orientation) and
 *     cropped to 16:9 by sharp, then a cycle of about a minute — slow zooms and pans across
 *     the photos (zoompan, 5 s a shot, two framings of each photo, crossfades between photos,
 *     cuts within one), with the two real 1080p clips cut in — kept near-lossless at 2016×1134;
 *  2. the clip of any length (clipArgs): the cycle looped, seen through a hand-held camera
 *     (the frame drifts and shakes within the 96×54 margin, so every block moves, as in real
 *     footage; the shake runs on the clip's clock, so no loop repeats the framing of the one
 *     before) under light temporal sensor grain, and encoded as a camera does.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, 'bench/results/.cache/video');
const FIXTURES = path.join(ROOT, 'test/fixtures');
/** bump when the clip's recipe changes, so cached clips are remade */
export const RECIPE = 3;
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
 * Camera photos with real detail, large and small (a small one is upscaled, as an editor's
 * timeline does). Left out: the drone and phone thumbnails (100×67 to 205×102: blurs, not
 * pictures), HEIC (Debian's ffmpeg and sharp's prebuilt libvips read none), the thermal TIFF.
 */
const PHOTOS = [
  'jpeg_vivo-x90pro_gps_offsettime.jpg', // 3072×4096 portrait phone photo: the 16:9 band of it
  'jpeg_canon-600d_gps_iptc_xmp.jpg', // 1394×930
  'jpeg_nikon-d2x_gps_iptc_xmp.jpg', // 527×350
  'exif-orientation_6.jpg', // stored 450×600, EXIF orientation 6: upright 600×450
  'jpeg_canon-30d_progressive_empty-gps.jpg', // 600×900 portrait
  'jpeg_iptc-latin1_xmp-utf8_nonascii.jpg', // 300×379 scanned artwork
] as const;

/** Real 1080p footage cut in after these photos (index into PHOTOS). */
const CLIPS = [
  // 1080p30 phone clip, rotation −90: upright 1080×1920, so pillarboxed over a blurred copy of
  // itself, as phone footage is in an event film
  { after: 1, file: 'mp4_h264_aac_gps-udta-xyz.mp4', filter: 'split[a][b];[a]scale=2016:1134:force_original_aspect_ratio=increase,crop=2016:1134,boxblur=20:2[bg];[b]scale=-2:1134[fg];[bg][fg]overlay=(W-w)/2:0' },
  // 1080i AVCHD camcorder: deinterlaced
  { after: 3, file: 'mpegts_panasonic-avchd_h264_ac3.mts', filter: 'yadif=mode=0,scale=2016:1134' },
] as const;

const FPS = 30;
const SHOT_FRAMES = 150;
/** frames of a real clip (each is about 1 s long) */
const CLIP_FRAMES = 30;
const FADE_SECONDS = 0.5;
/** the material's frame: 1080p plus 5 % for the hand-held drift */
const W = 2016;
const H = 1134;
/** zoompan's widest zoom: at 1.2 its window is W×H pixels of a photo prepared at 1.2× */
const ZOOM = 1.2;

const materialDir = () => path.join(CACHE, `material-r${RECIPE}`);
const photoFile = (i: number) => path.join(materialDir(), `photo-${i}.png`);
const cycleFile = () => path.join(materialDir(), 'cycle.mkv');

/** Upright (EXIF orientation applied), cropped to 16:9 around its centre, at 1.2 × the material's frame. */
async function preparePhotos(): Promise<void> {
  for (const [i, name] of PHOTOS.entries()) {
    if (existsSync(photoFile(i))) continue;
    await sharp(path.join(FIXTURES, name)).rotate()
      .resize(Math.round(W * ZOOM), Math.round(H * ZOOM), { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
      .removeAlpha().png({ compressionLevel: 1 }).toFile(`${photoFile(i)}.part.png`);
    renameSync(`${photoFile(i)}.part.png`, photoFile(i));
  }
}

interface Segment {
  label: string;
  frames: number;
  /** how it follows the one before: a crossfade or a cut */
  fade: boolean;
}

/**
 * The cycle's ffmpeg arguments: every photo twice (a slow zoom in, then a pan across at the
 * widest zoom, or the other way round), 5 s a shot, crossfades between photos, cuts within a
 * photo and around the real clips (1 s each, autorotated as ffmpeg does by default).
 */
export function cycleArgs(out: string): string[] {
  const inputs: string[] = [];
  const graph: string[] = [];
  const segments: Segment[] = [];
  const norm = `fps=${FPS},format=yuv420p,setsar=1,settb=1/${FPS},setpts=PTS-STARTPTS`;
  const zoomIn = `z='1+${ZOOM - 1}*on/${SHOT_FRAMES - 1}':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2'`;
  const panAcross = (dir: number) => `z=${ZOOM}:x='(iw-iw/zoom)*${dir > 0 ? `on/${SHOT_FRAMES - 1}` : `(1-on/${SHOT_FRAMES - 1})`}':y='(ih-ih/zoom)*0.4'`;
  PHOTOS.forEach((_, i) => {
    const moves = i % 2 === 0 ? [zoomIn, panAcross(1)] : [panAcross(-1), zoomIn];
    moves.forEach((move, m) => {
      const input = inputs.length / 2;
      inputs.push('-i', photoFile(i));
      const label = `p${i}m${m}`;
      graph.push(`[${input}:v]zoompan=${move}:d=${SHOT_FRAMES}:s=${W}x${H}:fps=${FPS},${norm}[${label}]`);
      segments.push({ label, frames: SHOT_FRAMES, fade: m === 0 && segments.length > 0 && !segments[segments.length - 1]!.label.startsWith('c') });
    });
    for (const [c, clip] of CLIPS.entries()) {
      if (clip.after !== i) continue;
      const input = inputs.length / 2;
      inputs.push('-i', path.join(FIXTURES, clip.file));
      const label = `c${c}`;
      graph.push(`[${input}:v:0]${clip.filter},${norm},trim=end_frame=${CLIP_FRAMES}[${label}]`);
      segments.push({ label, frames: CLIP_FRAMES, fade: false });
    }
  });
  let current = segments[0]!.label;
  let frames = segments[0]!.frames;
  segments.slice(1).forEach((s, k) => {
    const label = `j${k}`;
    if (s.fade) {
      graph.push(`[${current}][${s.label}]xfade=transition=fade:duration=${FADE_SECONDS}:offset=${frames / FPS - FADE_SECONDS}[${label}]`);
      frames += s.frames - FADE_SECONDS * FPS;
    } else {
      graph.push(`[${current}][${s.label}]concat=n=2:v=1:a=0,settb=1/${FPS}[${label}]`);
      frames += s.frames;
    }
    current = label;
  });
  return [
    '-hide_banner', '-loglevel', 'error', '-y', ...inputs,
    '-filter_complex', graph.join(';'), '-map', `[${current}]`,
    // near-lossless and quick to decode (CAVLC, no deblocking): read again for every clip
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '8', '-g', String(FPS), '-threads', '2',
    '-f', 'matroska', out,
  ];
}

/** The cycle, made once for every clip length. */
async function prepareMaterial(): Promise<void> {
  mkdirSync(materialDir(), { recursive: true });
  await preparePhotos();
  if (existsSync(cycleFile())) return;
  log(`making the clip's material from test/fixtures (cached afterwards): ${path.relative(ROOT, materialDir())}`);
  const tmp = `${cycleFile()}.part`;
  await run('ffmpeg', cycleArgs(tmp));
  renameSync(tmp, cycleFile());
}

/**
 * The clip of `seconds`: the cycle looped, through a hand-held camera (a slow drift and a
 * small shake) under light temporal sensor grain (noise 5 levels, a phone in a lit hall).
 * Sound is synthetic: a 440 Hz tone under pink noise (the fixtures hold 2 s of sound, too
 * little to loop for minutes without a buzz). Encoded as a camera does: H.264 High, CABAC and
 * B-frames, ~`bitrateK` kbit/s, 1 s GOP, AAC stereo 48 kHz at `audioK` kbit/s (192 by default,
 * which the service encodes again; at most 160, as phones and action cameras write it, it is
 * copied: copiesAudio). Needs the material made by makeClip.
 */
export function clipArgs(out: string, seconds: number, bitrateK: number, audioK = DEFAULT_AUDIO_K): string[] {
  const video = [
    `[0:v]crop=1920:1080:x='48+36*sin(t*0.7)+5*sin(t*11)':y='27+18*sin(t*0.5)+3*sin(t*13)'`,
    `noise=alls=5:allf=t,format=yuv420p[v]`,
  ].join(',');
  return [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-stream_loop', '-1', '-i', cycleFile(),
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000`,
    '-f', 'lavfi', '-i', `anoisesrc=color=pink:amplitude=0.2:sample_rate=48000:seed=7`,
    '-filter_complex', `${video};[1:a][2:a]amix=inputs=2,aformat=channel_layouts=stereo[a]`,
    '-map', '[v]', '-map', '[a]', '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'superfast', '-profile:v', 'high', '-threads', '2',
    '-b:v', `${bitrateK}k`, '-maxrate', `${Math.round(bitrateK * 1.15)}k`, '-bufsize', `${bitrateK * 2}k`, '-g', String(FPS),
    '-c:a', 'aac', '-b:a', `${audioK}k`, '-ar', '48000', '-ac', '2',
    '-movflags', '+faststart', '-f', 'mp4', out,
  ];
}

const DEFAULT_AUDIO_K = 192;

/** The clip of `seconds` at `bitrateK` (its audio at `audioK`), made once and cached in bench/results/.cache/video. */
export async function makeClip(seconds: number, bitrateK: number, audioK = DEFAULT_AUDIO_K): Promise<{ file: string; seconds: number; madeNow: boolean }> {
  mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `clip-r${RECIPE}-${seconds}s-${bitrateK}k${audioK === DEFAULT_AUDIO_K ? '' : `-a${audioK}k`}.mp4`);
  if (existsSync(file)) return { file, seconds: 0, madeNow: false };
  const t0 = performance.now();
  await prepareMaterial();
  log(`making the ${seconds} s 1080p30 clip (cached afterwards): ${path.relative(ROOT, file)}`);
  const tmp = `${file}.part`;
  await run('ffmpeg', clipArgs(tmp, seconds, bitrateK, audioK));
  renameSync(tmp, file);
  return { file, seconds: (performance.now() - t0) / 1000, madeNow: true };
}

/** The first line of `ffmpeg -version`. */
export function ffmpegVersion(): string {
  return execFileSync('ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' }).split('\n')[0]!;
}
