import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { UndecodableError, UnsupportedTypeError } from '../../src/errors.js';
import { parseIso6709, probeVideo, runFfmpeg, ToolError, VIDEO_DEMUXERS, withTempDir, type VideoProbe } from '../../src/media/ffmpeg.js';
import { playlistSmuggled } from '../../src/media/video-guard.js';
import { aviWithGab2, box, ftypBox } from '../helpers/exploits.js';
import { descendants } from '../helpers/processes.js';
import { fifoTripwire } from './fifo-tripwire.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(here, '..', 'fixtures');
const fixture = (name: string): string => path.join(FIXTURES, name);
const CTL = { timeoutMs: 60_000 };

/** Runs the system ffmpeg directly, to make test material (never through the adapter). */
async function ff(...args: string[]): Promise<void> {
  await run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** This process's descendants that are media tools (or `nice`/`setpriv` about to become one). */
function childTools(): string[] {
  return descendants().map((p) => p.command).filter((name) => /^(ffmpeg|ffprobe|nice|setpriv)$/.test(name));
}

/**
 * Stand-ins for ffmpeg and ffprobe that write down their arguments, then become the real tool:
 * what a run was started with, seen from the process itself. `runs()` lists the runs that read
 * an input (fluent-ffmpeg's own `-formats`/`-encoders` questions are left out).
 */
async function recordingTools(dir: string): Promise<{ paths: { ffmpegPath: string; ffprobePath: string }; runs(): Promise<{ tool: string; args: string[] }[]> }> {
  await mkdir(dir, { recursive: true });
  const logDir = await mkdtemp(path.join(dir, 'argv.'));
  const paths = { ffmpegPath: path.join(dir, 'ffmpeg'), ffprobePath: path.join(dir, 'ffprobe') };
  for (const [tool, file] of [['ffmpeg', paths.ffmpegPath], ['ffprobe', paths.ffprobePath]] as const) {
    await writeFile(file, `#!/bin/sh\nprintf '%s\\0' "$@" > '${logDir}/${tool}.'$$\nexec ${tool} "$@"\n`);
    await chmod(file, 0o755);
  }
  return {
    paths,
    async runs() {
      const names = await readdir(logDir);
      const all = await Promise.all(names.map(async (n) => ({ tool: n.split('.')[0]!, args: (await readFile(path.join(logDir, n), 'utf8')).split('\0').slice(0, -1) })));
      return all.filter((r) => r.args.includes('-i'));
    },
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

const work = await mkdtemp(path.join(tmpdir(), 'lamha.ffmpeg-test.'));
t.teardown(() => rm(work, { recursive: true, force: true }));

// Small real clips, made once for the whole file.
const clip = {
  landscape: path.join(work, 'landscape.mp4'),
  portrait: path.join(work, 'portrait.mp4'),
  silent: path.join(work, 'silent.mkv'),
  hdr: path.join(work, 'hdr10.mp4'),
  audioOnly: path.join(work, 'audio.m4a'),
  slow: path.join(work, 'slow-source.mp4'),
};
await ff(
  '-f', 'lavfi', '-i', 'testsrc=size=1920x1080:rate=30:duration=2',
  '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2',
  '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
  '-metadata', 'creation_time=2024-05-01T10:00:00Z', '-metadata', 'location=+48.8566-002.3522+035.5/',
  clip.landscape,
);
// ffmpeg 5.1 writes the display matrix from the legacy rotate tag (newer ones use -display_rotation)
const stored = path.join(work, 'portrait-stored.mp4');
await ff('-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', stored);
await ff('-i', stored, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', clip.portrait);
await ff('-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=24:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', clip.silent);
await ff('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', clip.audioOnly);
await ff('-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=6', '-c:v', 'libx264', '-preset', 'ultrafast', clip.slow);
// ffmpeg without libx265 fails here, and the whole file with it: scripts/system-deps.sh installs Debian's, which has it
await ff(
  '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30:duration=1',
  '-c:v', 'libx265', '-pix_fmt', 'yuv420p10le', '-tag:v', 'hvc1',
  '-x265-params', 'log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc',
  '-color_primaries', 'bt2020', '-color_trc', 'smpte2084', '-colorspace', 'bt2020nc',
  clip.hdr,
);

t.test('probeVideo', async (t) => {
  t.test('reads a 1080p landscape clip with audio, its capture time and its private location', async (t) => {
    const p = await probeVideo(clip.landscape, CTL);
    t.match(p, {
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      width: 1920, height: 1080, rotation: 0,
      videoCodec: 'h264', pixelFormat: 'yuv420p', bitDepth: 8, hdr: false, frameRate: 30,
      hasAudio: true, audioCodec: 'aac',
    });
    t.ok(p.durationMs !== null && Math.abs(p.durationMs - 2000) < 100, `about 2 s, got ${p.durationMs}`);
    t.equal(p.creationTime?.toISOString(), '2024-05-01T10:00:00.000Z');
    // ffmpeg's muxer rewrites it as '+48.8566-002.3522+35.500000/'
    t.same(p.location, { latitude: 48.8566, longitude: -2.3522, altitude: 35.5 });
  });

  t.test('turns the size of a portrait clip by its display matrix, as ffmpeg does when it plays it', async (t) => {
    const p = await probeVideo(clip.portrait, CTL);
    t.equal(p.width, 360);
    t.equal(p.height, 640);
    t.ok(p.rotation === 90 || p.rotation === 270, `rotation ${p.rotation}`);
    // The rotation must be the one ffmpeg's own autorotate applies: compare first frames.
    const frame = async (...pre: string[]) =>
      (await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...pre, '-i', clip.portrait, ...(pre.length ? ['-vf', p.rotation === 90 ? 'transpose=clock' : 'transpose=cclock'] : []), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer', maxBuffer: 10 << 20 })).stdout;
    const shown = await frame();
    const turned = await frame('-noautorotate');
    t.equal(shown.length, 360 * 640 * 3);
    t.ok(shown.equals(turned), 'our rotation turns the stored picture the way ffmpeg shows it');
  });

  t.test('reads a real phone video rotated by a display matrix, and its ©xyz location', async (t) => {
    const p = await probeVideo(fixture('mp4_h264_aac_gps-udta-xyz.mp4'), CTL);
    t.match(p, { width: 1080, height: 1920, rotation: 90, videoCodec: 'h264', hasAudio: true, audioCodec: 'aac' });
    t.same(p.audioStream, { profile: 'LC', channels: 2, kbps: 130 }, 'its audio: what decides a copy');
    t.same(p.location, { latitude: 27.2939, longitude: 112.6932, altitude: null });
    t.equal(p.creationTime?.toISOString(), '2024-02-03T07:05:38.000Z');
  });

  t.test('reads an iPhone MOV: ISO 6709 location with altitude, and the capture date over the re-save date', async (t) => {
    const p = await probeVideo(fixture('mov_iphone-x_h264_location-iso6709.mov'), CTL);
    t.match(p, { width: 720, height: 1280, rotation: 0, frameRate: 60, hasAudio: true });
    t.same(p.audioStream, { profile: 'LC', channels: 1, kbps: 86 }, 'its audio: what decides a copy');
    t.same(p.location, { latitude: 27.1281, longitude: 100.2508, altitude: 0 });
    // com.apple.quicktime.creationdate 2019-02-12T15:27:12+08:00, not the mvhd's 2024
    t.equal(p.creationTime?.toISOString(), '2019-02-12T07:27:12.000Z');
  });

  t.test('reads a silent clip as having no audio', async (t) => {
    const p = await probeVideo(clip.silent, CTL);
    t.match(p, { container: 'matroska,webm', width: 320, height: 240, hasAudio: false, audioCodec: null, audioStream: null, frameRate: 24, location: null });
  });

  t.test('reads a 10-bit HEVC PQ clip as HDR', async (t) => {
    const p = await probeVideo(clip.hdr, CTL);
    t.match(p, { videoCodec: 'hevc', pixelFormat: 'yuv420p10le', bitDepth: 10, hdr: true, width: 320, height: 240 });
  });

  t.test('reads every accepted container of the real fixtures', async (t) => {
    const cases: [string, Partial<VideoProbe>][] = [
      // Matroska states no stream's bit rate
      ['mkv_h264_aac.mkv', { container: 'matroska,webm', videoCodec: 'h264', width: 640, height: 356, audioCodec: 'aac', audioStream: { profile: 'LC', channels: 2, kbps: null } }],
      ['webm_vp8_vorbis.webm', { container: 'matroska,webm', videoCodec: 'vp8', audioCodec: 'vorbis' }],
      ['avi_msmpeg4v2_adpcm.avi', { container: 'avi', videoCodec: 'msmpeg4v2', width: 640, height: 356, audioCodec: 'adpcm_ms' }],
      ['mpegts_panasonic-avchd_h264_ac3.mts', { container: 'mpegts', videoCodec: 'h264', width: 1920, height: 1080, audioCodec: 'ac3' }],
      ['3gp_h263_amr.3gp', { container: 'mov,mp4,m4a,3gp,3g2,mj2', videoCodec: 'h263', width: 176, height: 144, audioCodec: 'amr_nb' }],
      ['mp4_h264_aac_imovie.mp4', { videoCodec: 'h264', width: 640, height: 356 }],
      ['mov_h264_macos-keys-localized.mov', { videoCodec: 'h264', width: 268, height: 156, hasAudio: false, location: null }],
    ];
    for (const [name, expected] of cases) {
      const p = await probeVideo(fixture(name), CTL);
      t.match(p, expected, name);
      t.ok(p.durationMs !== null && p.durationMs > 0, `${name} has a duration`);
      t.equal(p.location, null, `${name} has no location`);
    }
    // creationdate with a "+0700" offset (no colon)
    const mac = await probeVideo(fixture('mov_h264_macos-keys-localized.mov'), CTL);
    t.equal(mac.creationTime?.toISOString(), '2014-12-19T00:39:06.000Z');
  });

  t.test('refuses what is not an accepted video with LAMHA_UNSUPPORTED_TYPE', async (t) => {
    const random = path.join(work, 'random.bin');
    await writeFile(random, randomBytes(64 * 1024));
    for (const file of [fixture('png_rgba_alpha.png'), fixture('pdf_distiller_linearized_xmp.pdf'), random, clip.audioOnly]) {
      const err = await probeVideo(file, CTL).catch((e: unknown) => e);
      t.type(err, UnsupportedTypeError, path.basename(file));
      t.match(err, { code: 'LAMHA_UNSUPPORTED_TYPE', statusCode: 415 }, path.basename(file));
    }
    // ffmpeg's probe falls back on the name when no demuxer knows the bytes: the MP4 demuxer
    // then fails on them, and the file is refused as a damaged MP4 (uploads are typed from
    // their bytes before ffprobe sees them, so this one never gets here through an upload)
    const named = path.join(work, 'text-named.mp4');
    await writeFile(named, Buffer.alloc(64 * 1024, 'not a video. '));
    const err = await probeVideo(named, CTL).catch((e: unknown) => e);
    t.type(err, UndecodableError);
    t.match(err, { code: 'LAMHA_UNDECODABLE', message: /\[mov,mp4,m4a,3gp,3g2,mj2 @ 0x[0-9a-f]+\] moov atom not found/ });
  });

  t.test('reports a truncated MP4 as undecodable with LAMHA_UNDECODABLE', async (t) => {
    const truncated = path.join(work, 'truncated.mp4');
    // the moov box is at the end of a file made without +faststart: cut it off
    await writeFile(truncated, (await readFile(clip.landscape)).subarray(0, 20_000));
    const err = await probeVideo(truncated, CTL).catch((e: unknown) => e);
    t.type(err, UndecodableError);
    t.match(err, { code: 'LAMHA_UNDECODABLE', statusCode: 422 });
    t.match((err as Error).message, /moov atom not found/);
  });

  t.test('rejects with kind spawn when ffprobe is not there', async (t) => {
    const err = await probeVideo(clip.silent, { ...CTL, ffprobePath: '/nonexistent/ffprobe' }).catch((e: unknown) => e);
    t.type(err, ToolError);
    t.match(err, { kind: 'spawn', tool: 'ffprobe' });
  });
});

t.test('parseIso6709 reads the degree, degree-minute and degree-minute-second forms', async (t) => {
  t.same(parseIso6709('+27.1281+100.2508+000.000/'), { latitude: 27.1281, longitude: 100.2508, altitude: 0 });
  t.same(parseIso6709('-33.8568+151.2153/'), { latitude: -33.8568, longitude: 151.2153, altitude: null });
  const dm = parseIso6709('+4852.5-00221.5/')!;
  t.equal(dm.latitude.toFixed(4), '48.8750');
  t.equal(dm.longitude.toFixed(4), '-2.3583');
  const dms = parseIso6709('-335124.5+1511255CRSWGS_84/')!;
  t.equal(dms.latitude.toFixed(4), '-33.8568');
  t.equal(dms.longitude.toFixed(4), '151.2153');
  for (const bad of ['', 'nowhere', '+95.0+010.0/', '+10.0+190.0/', '27.1281,100.2508']) t.equal(parseIso6709(bad), null, bad);
});

t.test('runFfmpeg', async (t) => {
  t.test('transcodes and reports progress up to 100', async (t) => {
    const out = path.join(work, 'progress.mp4');
    const seen: number[] = [];
    await runFfmpeg(
      { inputs: [{ path: clip.landscape }], output: ['-c:v', 'libx264', '-preset', 'ultrafast', '-s', '640x360', '-c:a', 'aac', out] },
      { ...CTL, onProgress: (p) => seen.push(p) },
    );
    t.ok(seen.length >= 1, `progress was reported: ${seen.join(' ')}`);
    t.equal(seen.at(-1), 100);
    t.ok(seen.every((p, i) => p >= 0 && p <= 100 && (i === 0 || p > seen[i - 1]!)), 'rising within 0–100');
    const p = await probeVideo(out, CTL);
    t.match(p, { width: 640, height: 360, hasAudio: true });
  });

  t.test('kills ffmpeg at its deadline and leaves no process behind', async (t) => {
    // a 1 ms budget runs out before fluent-ffmpeg has even spawned it
    const err = await runFfmpeg(
      { inputs: [{ path: clip.landscape, format: 'mov,mp4,m4a,3gp,3g2,mj2' }], output: ['-c:v', 'libx264', path.join(work, 'never.mp4')] },
      { timeoutMs: 1 },
    ).catch((e: unknown) => e);
    t.type(err, ToolError);
    t.match(err, { kind: 'timeout', tool: 'ffmpeg' });
    t.same(childTools(), []);

    // and one that is killed mid-way through a real encode
    const started = Date.now();
    const out = path.join(work, 'slow.mp4');
    // Looked for from outside while it runs: on a loaded machine ffmpeg may report no progress
    // before its deadline, so the control does not wait for a progress line.
    let whileRunning: string[] | undefined;
    const look = setInterval(() => {
      // fluent-ffmpeg asks ffprobe for the duration first: wait for ffmpeg itself
      const seen = childTools();
      if (seen.includes('ffmpeg')) whileRunning ??= seen;
    }, 50);
    const mid = await runFfmpeg(
      { inputs: [{ path: clip.slow }], output: ['-c:v', 'libx264', '-preset', 'veryslow', out] },
      // long enough for fluent-ffmpeg's ffprobe and the spawn on a loaded machine; the veryslow
      // encode of this source takes far longer
      { timeoutMs: 15_000 },
    ).catch((e: unknown) => e).finally(() => clearInterval(look));
    t.match(mid, { kind: 'timeout', tool: 'ffmpeg', exitSignal: 'SIGKILL' });
    // a generous bound: what it shows is that the kill does not wait for the encode to finish
    t.ok(Date.now() - started < 30_000, `killed at its deadline, not at the encode's end (${Date.now() - started} ms)`);
    // control: the same check, while the encode ran, saw the ffmpeg it had to see
    t.ok(whileRunning?.includes('ffmpeg'), `while encoding, the check sees ffmpeg (${whileRunning})`);
    t.same(childTools(), []);
  });

  t.test('honours the abort signal, before and during a run', async (t) => {
    const before = await runFfmpeg({ inputs: [{ path: clip.slow }], output: [path.join(work, 'a.mp4')] }, { ...CTL, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    t.match(before, { kind: 'abort', name: 'AbortError' });

    const controller = new AbortController();
    let whileRunning: string[] | undefined;
    const during = runFfmpeg(
      { inputs: [{ path: clip.slow, format: 'mov' }], output: ['-c:v', 'libx264', '-preset', 'veryslow', path.join(work, 'b.mp4')] },
      { ...CTL, signal: controller.signal, durationMs: 6000, onProgress: () => {
        if (whileRunning === undefined) {
          whileRunning = childTools();
          controller.abort();
        }
      } },
    ).catch((e: unknown) => e);
    // a backstop only: the first progress report aborts it (which, on a loaded machine, can take seconds)
    setTimeout(() => controller.abort(), 30_000).unref();
    t.match(await during, { kind: 'abort', name: 'AbortError' });
    t.same(whileRunning, ['ffmpeg'], 'control: before the abort, the check saw ffmpeg running');
    t.same(childTools(), []);
  });

  t.test('rejects with kind exit and a bounded stderr when ffmpeg fails', async (t) => {
    const err = await runFfmpeg(
      { inputs: [{ path: clip.silent }], output: ['-c:v', 'no-such-encoder', path.join(work, 'x.mp4')] },
      CTL,
    ).catch((e: unknown) => e);
    t.type(err, ToolError);
    t.match(err, { kind: 'exit', tool: 'ffmpeg' });
    t.match((err as ToolError).message, /no-such-encoder/);
    t.ok((err as ToolError).stderr.length <= 8 * 1024 + 1);
  });

  t.test('rejects with kind spawn when ffmpeg is not there', async (t) => {
    const err = await runFfmpeg({ inputs: [{ path: clip.silent, format: 'matroska' }], output: [path.join(work, 'y.mp4')] }, { ...CTL, ffmpegPath: '/nonexistent/ffmpeg' }).catch((e: unknown) => e);
    t.match(err, { kind: 'spawn', tool: 'ffmpeg' });
  });

  t.test('refuses options that would lift the guard or read other files, and starts nothing', async (t) => {
    const tools = await recordingTools(path.join(work, 'refused-tools'));
    const o = path.join(work, 'refused.mp4');
    const refused = (option: string, where = 'input') => ({ name: 'TypeError', message: `ffmpeg ${where} option ${option} is not allowed` });
    const cases: [{ inputs: { path: string; options?: string[]; format?: string }[]; output: string[] }, { name?: string; code?: string; message: string }][] = [
      [{ inputs: [{ path: clip.silent, options: ['-f', 'hls'] }], output: [o] }, refused('-f')],
      [{ inputs: [{ path: clip.silent, options: ['-protocol_whitelist', 'file,http'] }], output: [o] }, refused('-protocol_whitelist')],
      [{ inputs: [{ path: clip.silent, options: ['-format_whitelist', 'hls'] }], output: [o] }, refused('-format_whitelist')],
      [{ inputs: [{ path: clip.silent }], output: ['-i', '/etc/passwd', o] }, refused('-i', 'output')],
      [{ inputs: [{ path: clip.silent }], output: ['-vf', 'movie=/etc/passwd[m];[in][m]overlay', o] }, { name: 'TypeError', message: 'ffmpeg output argument opens a file of its own: movie=/etc/passwd[m];[in][m]overlay' }],
      [{ inputs: [{ path: clip.silent }], output: ['-filter_complex_script', '/tmp/x', o] }, refused('-filter_complex_script', 'output')],
      [{ inputs: [{ path: clip.silent, format: 'hls' }], output: [o] }, { code: 'LAMHA_UNSUPPORTED_TYPE', message: 'the container "hls" is not an accepted video format' }],
    ];
    for (const [c, expected] of cases) {
      await t.rejects(runFfmpeg(c, { ...CTL, ...tools.paths }), expected, JSON.stringify(c.inputs[0]!.options ?? c.inputs[0]!.format ?? c.output));
    }
    t.same(await tools.runs(), [], 'neither ffprobe nor ffmpeg was started');
    t.notOk(existsSync(o), 'nothing written');
  });

  t.test('starts every ffprobe and ffmpeg with the file-only protocol list and the demuxer allow-list before each input', async (t) => {
    const tools = await recordingTools(path.join(work, 'guard-tools'));
    await probeVideo(clip.silent, { ...CTL, ...tools.paths });
    await runFfmpeg({ inputs: [{ path: clip.silent }, { path: clip.landscape, format: 'mov,mp4,m4a,3gp,3g2,mj2' }], output: ['-map', '0:v', '-map', '1:a', '-c', 'copy', path.join(work, 'guarded.mkv')] }, { ...CTL, ...tools.paths });
    const runs = await tools.runs();
    // probeVideo, then runFfmpeg's probe of the input without a format, then ffmpeg
    t.same(runs.map((r) => r.tool).sort(), ['ffmpeg', 'ffprobe', 'ffprobe']);
    const allowed = 'mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mpegts,avi';
    for (const { tool, args } of runs) {
      const inputs = args.flatMap((a, i) => (a === '-i' ? [i] : []));
      t.equal(inputs.length, tool === 'ffmpeg' ? 2 : 1, `${tool}: its inputs`);
      let from = 0;
      for (const at of inputs) {
        const own = args.slice(from, at); // the options that apply to this input
        const value = (name: string) => own[own.lastIndexOf(name) + 1];
        t.equal(value('-protocol_whitelist'), 'file', `${tool}: only the file protocol for ${args[at + 1]}`);
        t.equal(value('-format_whitelist'), allowed, `${tool}: only the video demuxers for ${args[at + 1]}`);
        t.notOk(own.includes('-protocol_blacklist'), `${tool}: nothing lifts the list`);
        t.match(args[at + 1], /^file:\//, `${tool}: the input is an absolute file: URL`);
        if (tool === 'ffmpeg') t.ok(['matroska', 'mov'].includes(value('-f')!), `${tool}: the demuxer ffprobe found is forced`);
        from = at + 2;
      }
    }
  });
});

t.test('withTempDir removes its directory after success and after an error', async (t) => {
  let dir = '';
  const value = await withTempDir('lamha-test-', async (d) => {
    dir = d;
    await writeFile(path.join(d, 'f'), 'x');
    return 42;
  });
  t.equal(value, 42);
  t.notOk(existsSync(dir));

  const boom = new Error('boom');
  await t.rejects(
    withTempDir('lamha-test-', async (d) => {
      dir = d;
      await mkdir(path.join(d, 'nested'));
      await writeFile(path.join(d, 'nested', 'f'), 'x');
      throw boom;
    }),
    boom,
  );
  t.notOk(existsSync(dir), 'removed in finally');
  await t.rejects(withTempDir('../escape', async () => 1), { name: 'TypeError', message: 'bad temp dir prefix: ../escape' });
});

t.test('the HLS/concat local-file-read files read nothing', async (t) => {
  const secret = `LAMHA-CANARY-${randomBytes(12).toString('hex')}`;
  const canaryDir = await mkdtemp(path.join(work, 'canary.'));
  // What ffmpeg would copy into an output if it ever read the canary: an MP4 whose text track is
  // the secret, moov first so that it can be read from a pipe.
  const srt = path.join(work, 'canary.srt');
  await writeFile(srt, `1\n00:00:00,000 --> 00:00:01,000\n${secret}\n\n`);
  const content = path.join(work, 'canary-content.mp4');
  await ff('-f', 'lavfi', '-i', 'color=c=black:s=64x64:d=1', '-i', srt, '-map', '0', '-map', '1', '-c:v', 'libx264', '-c:s', 'mov_text', '-movflags', '+faststart', content);
  t.ok((await readFile(content)).includes(secret), 'the canary holds the secret');
  // The canary the exploits point at: a pipe that counts who opens it and serves them the content.
  const canary = path.join(canaryDir, 'canary.mp4');
  const tripwire = fifoTripwire(canary, content);
  t.teardown(() => tripwire.close());

  const playlist = `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\nfile://${canary}\n#EXT-X-ENDLIST\n`;
  const exploits: Record<string, { file: string; typedAsVideo: boolean }> = {};
  const add = async (name: string, bytes: Buffer | string, typedAsVideo: boolean) => {
    const file = path.join(canaryDir, name);
    await writeFile(file, bytes);
    exploits[name] = { file, typedAsVideo };
  };
  await add('bare.m3u8', playlist, false);
  await add('playlist-named.mp4', playlist, false);
  await add('list.ffconcat', 'ffconcat version 1.0\nfile canary.mp4\n', false);
  await add('gab2-hls.avi', aviWithGab2(playlist), true);
  await add('ftyp-then-playlist.mp4', Buffer.concat([ftypBox(), Buffer.from(playlist)]), true);
  // a playable MP4 with a playlist in a trailing free box
  const host = path.join(work, 'free-host.mp4');
  await ff('-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', host);
  const playable = await readFile(host);
  await add('mp4-free-box-playlist.mp4', Buffer.concat([playable, box('free', Buffer.from(playlist))]), true);

  // Every stream, the text track included, so that a canary read by ffmpeg would reach the output.
  const outputsIn = (dir: string) => [
    ['-map', '0', '-c', 'copy', '-f', 'mp4', path.join(dir, 'copy.mp4')],
    ['-map', '0', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'copy', '-c:s', 'srt', '-f', 'matroska', path.join(dir, 'encode.mkv')],
  ];
  const holdsSecret = async (file: string) => (await readFile(file)).includes(secret);

  // Controls: the checks below see a read of the canary when there is one.
  // Without the guard, this ffmpeg follows the bare playlist and the ffconcat script to the canary.
  for (const name of ['bare.m3u8', 'list.ffconcat']) {
    const out = path.join(work, `control-${name}.mp4`);
    const before = await tripwire.opens();
    await ff('-i', exploits[name]!.file, '-map', '0', '-c', 'copy', '-f', 'mp4', out);
    t.ok(await tripwire.opens() > before, `control: the tripwire sees unguarded ffmpeg open the canary through ${name}`);
    t.ok(await holdsSecret(out), `control: unguarded ffmpeg leaks the canary through ${name}`);
  }
  // Through the adapter, the same outputs of the canary itself carry the secret, and its opens are seen.
  {
    const outDir = await mkdtemp(path.join(work, 'control-out.'));
    const before = await tripwire.opens();
    for (const output of outputsIn(outDir)) await runFfmpeg({ inputs: [{ path: canary }], output }, CTL);
    t.ok(await tripwire.opens() >= before + 4, 'control: the tripwire sees the adapter open the canary (a probe and a run, twice)');
    for (const file of await filesUnder(outDir)) t.ok(await holdsSecret(file), `control: ${path.basename(file)} made from the canary holds the secret`);
    t.equal((await filesUnder(outDir)).length, 2, 'control: both outputs were written');
  }

  for (const [name, { file, typedAsVideo }] of Object.entries(exploits)) {
    t.test(name, async (t) => {
      const outDir = await mkdtemp(path.join(work, 'out.'));
      const seen: string[] = [];
      const opensBefore = await tripwire.opens();
      const probe = await probeVideo(file, CTL).then(
        (p) => {
          seen.push(JSON.stringify(p));
          return p;
        },
        (err: Error) => {
          seen.push(err.message);
          t.ok(err instanceof UnsupportedTypeError || err instanceof UndecodableError, `probe refused it: ${err.message.slice(0, 160)}`);
          return null;
        },
      );
      if (probe) t.comment(`probed as ${probe.container} ${probe.videoCodec} ${probe.width}x${probe.height}`);
      for (const output of outputsIn(outDir)) {
        for (const format of [undefined, probe?.container]) {
          await runFfmpeg({ inputs: [{ path: file, format }], output }, CTL).then(
            () => seen.push('ok'),
            (err: Error) => seen.push(`${err.message} ${(err as ToolError).stderr ?? ''}`),
          );
        }
      }
      t.equal(await tripwire.opens(), opensBefore, 'neither ffprobe nor ffmpeg opened the canary');
      const written = await filesUnder(outDir);
      for (const out of written) t.notOk(await holdsSecret(out), `${path.basename(out)} holds no canary byte`);
      t.notOk(seen.some((s) => s.includes(secret)), 'no probe result or error message holds the canary');
      t.comment(`outputs written: ${written.length ? written.map((w) => path.basename(w)).join(', ') : 'none'}`);
      if (typedAsVideo) t.ok(playlistSmuggled((await readFile(file)).subarray(0, 256 * 1024)), 'the upload guard refuses it');
    });
  }
});

t.test('the demuxer allow-list is the documented one', async (t) => {
  t.same([...VIDEO_DEMUXERS].sort(), ['3g2', '3gp', 'avi', 'm4a', 'matroska', 'mj2', 'mov', 'mp4', 'mpegts', 'webm']);
  t.ok(Object.isFrozen(VIDEO_DEMUXERS));
});
