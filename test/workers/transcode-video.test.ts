/**
 * The video pipeline end to end with real ffmpeg: generated clips and phone/camera files through
 * the API and the worker, then what a player and the press would fetch.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { clip } from '../helpers/clips.js';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { runWorkers, settled } from '../helpers/workers.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

// Two subtests at a time: each has its own context and workers, and while one waits on ffmpeg's
// output the other's ffmpeg has a core; run one by one, this file alone was the suite's tail.
t.jobs = 2;

let scratch: string;
t.before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'lamha-clips-'));
});
t.teardown(() => rm(scratch, { recursive: true, force: true }));


async function uploadVideo(ctx: TestContext, file: string, filename = path.basename(file)): Promise<string> {
  const form = multipart([{ name: 'file', filename, body: await readFile(file) }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  return res.json().assets[0].id;
}

/** Writes every object under the asset's renditions to a directory, as a player would see them. */
async function download(ctx: TestContext, id: string): Promise<string> {
  const dir = await mkdtemp(path.join(scratch, 'out-'));
  for (const key of await ctx.storage.list(`renditions/${id}/`)) {
    const file = path.join(dir, key.slice(`renditions/${id}/`.length));
    await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(file), { recursive: true }));
    const chunks: Buffer[] = [];
    for await (const c of await ctx.storage.get(key)) chunks.push(c as Buffer);
    await writeFile(file, Buffer.concat(chunks));
  }
  return dir;
}

function ffprobe(file: string): { streams: { codec_type: string; codec_name: string; width?: number; height?: number; tags?: Record<string, string> }[]; format: { tags?: Record<string, string>; duration?: string } } {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]).toString());
}

// The generated clips run at 10–12 frames a second: the ladder's keyframes and segments follow
// time, not frames, so every check holds with a third of the encoding a camera's 30 would cost.

/**
 * Marks a clip as filmed with the phone turned: a 90° display matrix in its track header, the way
 * phones store portrait video (the ffmpeg here cannot write one itself).
 */
async function turnQuarter(file: string): Promise<void> {
  const data = await readFile(file);
  const at = data.indexOf('tkhd');
  if (at < 4 || data[at + 4] !== 0) throw new Error('no version-0 tkhd box');
  const matrix = at - 4 + 48;
  [0, 0x00010000, 0, -0x00010000, 0, 0, 0, 0, 0x40000000].forEach((v, i) => data.writeInt32BE(v, matrix + i * 4));
  await writeFile(file, data);
}

/** The audio rendition in `dir` (as download wrote it) joined into one MP4: its init segment, then its segments in the playlist's order. */
async function joinedAudio(dir: string): Promise<string> {
  const hls = path.join(dir, 'hls/audio');
  const names = (await readFile(path.join(hls, 'index.m3u8'), 'utf8')).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const file = path.join(dir, 'audio-joined.mp4');
  await writeFile(file, Buffer.concat(await Promise.all(['init.mp4', ...names].map((n) => readFile(path.join(hls, n))))));
  return file;
}

/** An MD5 of each packet of the first audio stream, one a line: equal lists are the same coded audio. */
function audioPackets(file: string): string {
  return execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_packets', '-show_data_hash', 'md5', '-show_entries', 'packet=data_hash', '-of', 'csv=p=0', file]).toString();
}

function decodesWhole(playlist: string): boolean {
  execFileSync('ffmpeg', ['-v', 'error', '-allowed_extensions', 'ALL', '-i', playlist, '-f', 'null', '-']);
  return true;
}

t.test('a 1080p clip gets a 360p/720p/1080p HLS ladder, a faststart MP4, a poster and a storyboard', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { keepLocation: true });
  runWorkers(t, ctx, ['videos']);
  const source = await clip(['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=10:duration=9', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=9',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-metadata', 'location=+48.8566+002.3522/', '-metadata', 'make=Lamha Test Cam']);
  const id = await uploadVideo(ctx, source);
  const end = await settled(ctx, id, 180_000);
  t.equal(end.status, 'ready', end.error ?? '');
  const out = await download(ctx, id);

  const master = await readFile(path.join(out, 'hls/master.m3u8'), 'utf8');
  t.match(master, /#EXTM3U/);
  const variants = [...master.matchAll(/RESOLUTION=(\d+)x(\d+)[^\n]*\n([^\n]+)/g)].map((m) => ({ size: `${m[1]}x${m[2]}`, uri: m[3]! }));
  t.same(variants.map((v) => v.size).sort(), ['1280x720', '1920x1080', '640x360'], 'the ladder matches the source, never above it');
  for (const v of variants) {
    const playlist = path.join(out, 'hls', v.uri);
    const text = await readFile(playlist, 'utf8');
    t.match(text, /#EXT-X-MAP:URI="init(_\d+)?\.mp4"/, `${v.size}: fMP4 segments`);
    const durations = [...text.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
    t.ok(durations.length >= 2 && durations.slice(0, -1).every((d) => Math.abs(d - 4) < 0.6), `${v.size}: segments of about 4 s (${durations.join(', ')})`);
    t.ok(decodesWhole(playlist), `${v.size}: every segment decodes`);
  }

  const mp4 = await readFile(path.join(out, 'download.mp4'));
  t.ok(mp4.indexOf('moov') < mp4.indexOf('mdat'), 'the MP4 plays from the start: moov before mdat');
  const probe = ffprobe(path.join(out, 'download.mp4'));
  t.same(probe.streams.map((s) => [s.codec_type, s.codec_name]), [['video', 'h264'], ['audio', 'aac']]);
  t.same([probe.streams[0]!.width, probe.streams[0]!.height], [1280, 720], '720p download');
  const init720 = `hls/720p/${/#EXT-X-MAP:URI="([^"]+)"/.exec(await readFile(path.join(out, 'hls/720p/index.m3u8'), 'utf8'))![1]}`;
  // the audio, encoded once for every rung, is an output of its own
  for (const file of ['download.mp4', init720, 'hls/audio/init.mp4']) {
    const p = ffprobe(path.join(out, file));
    const tags = JSON.stringify([p.format.tags, p.streams.map((s) => s.tags)]);
    t.notMatch(tags, /48\.85|location|Lamha Test Cam|make|creation_time/i, `${file}: no source tags`);
  }

  const asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin) })).json();
  t.equal(asset.kind, 'video');
  t.same([asset.width, asset.height], [1920, 1080]);
  t.ok(Math.abs(asset.durationMs - 9000) < 200, `duration ${asset.durationMs}`);
  t.match(asset.placeholder, /\S/);
  t.ok(['hls/master.m3u8', 'download.mp4', 'thumb.webp', 'large.webp', 'storyboard.vtt', 'storyboard.jpg'].every((n) => n in asset.renditions), Object.keys(asset.renditions).join(', '));
  const vtt = await readFile(path.join(out, 'storyboard.vtt'), 'utf8');
  t.match(vtt, /^WEBVTT\n\n00:00:00\.000 --> 00:00:01\.000\nstoryboard\.jpg#xywh=0,0,160,90\n/);
  const { rows } = await ctx.db.query('SELECT private_latitude, private_longitude FROM assets WHERE id = $1', [id]);
  t.ok(Math.abs(rows[0].private_latitude - 48.8566) < 0.001, 'the location is kept privately');
  t.notMatch(JSON.stringify(asset), /48\.85|2\.352/, 'and not shown');

  // a player fetches playlists and segments through /media
  const seg = await ctx.app.inject({ url: `/media/${id}/${init720}`, headers: ctx.auth(ctx.admin) });
  t.equal(seg.statusCode, 200);
  t.equal(seg.headers['content-type'], 'video/mp4');
  const first720 = (await readFile(path.join(out, 'hls/720p/index.m3u8'), 'utf8')).split('\n').find((l) => l.endsWith('.m4s'))!;
  const segment = await ctx.app.inject({ url: `/media/${id}/hls/720p/${first720}`, headers: ctx.auth(ctx.admin) });
  t.equal(segment.statusCode, 200);
  t.equal(segment.headers['content-type'], 'video/iso.segment');
  const audio = /#EXT-X-MEDIA:TYPE=AUDIO,[^\n]*URI="([^"]+)"/.exec(master)?.[1];
  t.equal(audio, 'audio/index.m3u8', 'the audio, encoded once, is a rendition group every rung names');
  t.equal((await ctx.app.inject({ url: `/media/${id}/hls/${audio}`, headers: ctx.auth(ctx.admin) })).statusCode, 200);
});

t.test('portrait phone video (rotation in the display matrix) and silent video', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['videos']);
  // a copy: the made clip is shared with the run's other files
  const rotated = path.join(scratch, 'rotated.mp4');
  await copyFile(await clip(['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=10:duration=3', '-f', 'lavfi', '-i', 'sine=duration=3',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac']), rotated);
  await turnQuarter(rotated);
  t.match(execFileSync('ffprobe', ['-v', 'error', '-show_streams', rotated]).toString(), /rotation=-?90/, 'the clip says it is turned');
  const silent = await clip(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']);

  const portrait = await uploadVideo(ctx, rotated);
  t.equal((await settled(ctx, portrait, 120_000)).status, 'ready');
  const p = (await ctx.app.inject({ url: `/api/v1/assets/${portrait}`, headers: ctx.auth(ctx.admin) })).json();
  t.same([p.width, p.height], [720, 1280], 'displayed upright');
  const out = await download(ctx, portrait);
  const master = await readFile(path.join(out, 'hls/master.m3u8'), 'utf8');
  t.same([...master.matchAll(/RESOLUTION=(\d+x\d+)/g)].map((m) => m[1]).sort(), ['360x640', '720x1280']);
  const mp4 = ffprobe(path.join(out, 'download.mp4')).streams[0]!;
  t.same([mp4.width, mp4.height], [720, 1280], 'the download is upright too');

  const quiet = await uploadVideo(ctx, silent);
  t.equal((await settled(ctx, quiet, 120_000)).status, 'ready');
  const qout = await download(ctx, quiet);
  t.same(ffprobe(path.join(qout, 'download.mp4')).streams.map((s) => s.codec_type), ['video'], 'no audio track invented');
  t.notMatch(await readFile(path.join(qout, 'hls/master.m3u8'), 'utf8'), /mp4a/, 'no audio codec announced');
});

t.test('phone and camera files: location tags never reach an output', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { keepLocation: true });
  runWorkers(t, ctx, ['videos']);
  // the action camera's file as a broadcast recorder would write it: MPEG-TS, its AAC in ADTS frames
  const ts = path.join(scratch, 'mpegts_h264_aac_from-mp4.ts');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', fixture('mp4_h264_aac_gps-udta-xyz.mp4'), '-c', 'copy', '-f', 'mpegts', ts]);
  const files = [...['mov_iphone-x_h264_location-iso6709.mov', 'mp4_h264_aac_gps-udta-xyz.mp4', 'mpegts_panasonic-avchd_h264_ac3.mts', 'webm_vp8_vorbis.webm'].map(fixture), ts];
  for (const file of files) {
    const name = path.basename(file);
    const id = await uploadVideo(ctx, file);
    const end = await settled(ctx, id, 180_000);
    t.equal(end.status, 'ready', `${name}: ${end.error}`);
    const out = await download(ctx, id);
    // the download and every HLS init segment (the audio's is made from the upload itself, by its own job)
    const inits = (await readdir(path.join(out, 'hls'), { recursive: true })).filter((f) => f.endsWith('init.mp4')).map((f) => `hls/${f}`);
    t.ok(inits.includes('hls/audio/init.mp4') && inits.length >= 2, `${name}: the audio's and the rungs' init segments (${inits.join(', ')})`);
    for (const file of ['download.mp4', ...inits]) {
      const probe = ffprobe(path.join(out, file));
      const tags = JSON.stringify([probe.format.tags, probe.streams.map((s) => s.tags)]);
      t.notMatch(tags, /ISO6709|location|xyz|\+27\.|Apple|iPhone|Panasonic|creation_time/i, `${name} → ${file}: no location or device tags`);
    }
    // the phone's and the action camera's AAC is the upload's, packet for packet (in MPEG-TS too); AC-3 and Vorbis are encoded
    const audio = await joinedAudio(out);
    // (the MPEG-TS's packets carry ADTS headers: compared with the MP4 it was made from)
    const copied = audioPackets(audio) === audioPackets(file === ts ? fixture('mp4_h264_aac_gps-udta-xyz.mp4') : file);
    const stream = ffprobe(audio).streams[0] as { codec_name: string; channels?: number } | undefined;
    if (/_aac_|iphone/.test(name)) t.ok(copied, `${name}: the audio rendition is the upload's AAC, copied`);
    else t.ok(!copied && stream?.codec_name === 'aac' && stream.channels === 2, `${name}: the audio encoded as AAC stereo (${stream?.codec_name}, ${stream?.channels} channels)`);
    // the AVCHD camcorder's make and shooting time ride in H.264 SEI user data ("MDPM")
    for (const file of ['download.mp4', ...(await readdir(path.join(out, 'hls'), { recursive: true })).map((f) => `hls/${f}`).filter((f) => /\.(mp4|m4s)$/.test(f))]) {
      t.notOk((await readFile(path.join(out, file))).includes('MDPM'), `${name} → ${file}: no camera SEI`);
    }
  }
  const { rows } = await ctx.db.query("SELECT original_filename, private_latitude FROM assets WHERE original_filename LIKE 'mov_iphone%' OR original_filename LIKE 'mp4_h264_aac_gps%'");
  for (const r of rows) t.ok(Math.abs(r.private_latitude - 27.2) < 0.2, `${r.original_filename}: kept privately`);
});

t.test('a corrupt video ends failed with a reason and is not retried', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['videos']);
  const good = await readFile(fixture('mp4_h264_aac_imovie.mp4'));
  const broken = Buffer.concat([good.subarray(0, 64), Buffer.alloc(good.length, 0x33)]);
  const file = path.join(scratch, 'broken.mp4');
  await writeFile(file, broken);
  const id = await uploadVideo(ctx, file);
  const end = await settled(ctx, id, 60_000);
  t.equal(end.status, 'failed');
  t.match(end.error, /\S.{10,}/);
  t.equal((await ctx.queues.queues.videos.getJob(`transcode-video-${id}`))?.attemptsStarted, 1);
  t.same(await ctx.storage.list(`renditions/${id}/`), []);
});

t.test('the worker checks VIDEO_MAX_SECONDS and VIDEO_MAX_PIXELS again: a video over them ends failed, before any encoding', async (t) => {
  // the upload could not tell (its limits were higher then): the worker's probe of the whole file decides
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, { ...ctx, config: { ...ctx.config, videoMaxSeconds: 2, videoMaxPixels: 100_000 } }, ['videos']);
  const long = await clip(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']);
  const wide = await clip(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=10:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']);
  const id = await uploadVideo(ctx, long);
  const end = await settled(ctx, id, 60_000);
  t.equal(end.status, 'failed');
  t.match(end.error, /lasts 4 s, longer than the limit of 2 s/);
  t.same(await ctx.storage.list(`renditions/${id}/`), []);
  const big = await uploadVideo(ctx, wide);
  const bigEnd = await settled(ctx, big, 60_000);
  t.equal(bigEnd.status, 'failed');
  t.match(bigEnd.error, /640×360 pixels, more than the limit of 100000/);
  t.equal((await ctx.queues.queues.videos.getJob(`transcode-video-${big}`))?.attemptsStarted, 1, 'not retried');
});

t.test('10-bit HEVC HDR (BT.2020, PQ) comes out as 8-bit H.264 BT.709 in every rung and the MP4, and plays', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['videos']);
  const hdr = await clip(['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=12:duration=5', '-f', 'lavfi', '-i', 'sine=duration=5',
    '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', '-x265-params', 'log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc',
    '-color_primaries', 'bt2020', '-color_trc', 'smpte2084', '-colorspace', 'bt2020nc', '-tag:v', 'hvc1', '-c:a', 'aac']);
  const colour = (file: string, ...before: string[]) => JSON.parse(execFileSync('ffprobe', ['-v', 'error', ...before, '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,profile,pix_fmt,color_primaries,color_transfer,color_space', '-of', 'json', file]).toString()).streams[0];
  t.match(colour(hdr), { codec_name: 'hevc', pix_fmt: 'yuv420p10le', color_primaries: 'bt2020', color_transfer: 'smpte2084' }, 'the source is 10-bit HDR HEVC');

  const id = await uploadVideo(ctx, hdr);
  const end = await settled(ctx, id, 240_000);
  t.equal(end.status, 'ready', end.error ?? '');
  const out = await download(ctx, id);
  const master = await readFile(path.join(out, 'hls/master.m3u8'), 'utf8');
  const playlists = master.split('\n').filter((l) => l && !l.startsWith('#')).map((uri) => path.join(out, 'hls', uri));
  t.equal(playlists.length, 2, '360p and 720p');
  t.notMatch(master, /hvc1|hev1|VIDEO-RANGE=PQ/, 'no HEVC or HDR announced');
  const sdr = { codec_name: 'h264', profile: 'High', pix_fmt: 'yuv420p', color_primaries: 'bt709', color_transfer: 'bt709', color_space: 'bt709' };
  for (const playlist of playlists) {
    t.same(colour(playlist, '-allowed_extensions', 'ALL'), sdr, `${path.relative(out, playlist)}: 8-bit H.264, BT.709`);
    t.ok(decodesWhole(playlist), `${path.relative(out, playlist)}: every segment decodes`);
  }
  const mp4 = path.join(out, 'download.mp4');
  t.same(colour(mp4), sdr, 'download.mp4: 8-bit H.264, BT.709');
  execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', mp4, '-f', 'null', '-']);
  t.pass('download.mp4 decodes');
  const asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin) })).json();
  t.ok(asset.renditions['thumb.webp'], 'a poster was made from the tone-mapped frames');
});

/** A drone's or dash cam's SEI user data: its own UUID, then a position and a serial in text. */
const SEI_UUID = '086f3693-b7b3-4f2c-9653-21492feee5b8';
const SEI_TEXT = 'GPS 48.85660N 2.35220E ALT 35.2 SN DJI-0K8TFBK0020618';

/** The SEI NAL units ffmpeg's trace_headers finds in the H.264 stream of an MP4. */
function seiUnits(file: string): number {
  const run = spawnSync('ffmpeg', ['-hide_banner', '-i', file, '-map', '0:v:0', '-c', 'copy', '-bsf:v', 'trace_headers', '-f', 'null', '-'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`trace_headers: ${run.stderr.slice(-500)}`);
  return run.stderr.match(/Supplemental Enhancement Information/g)?.length ?? 0;
}

t.test('SEI user data (a drone\'s GPS and serial in the H.264 bitstream) reaches neither the download MP4 nor the HLS ladder', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { keepLocation: true });
  runWorkers(t, ctx, ['videos']);
  const uuidBytes = Buffer.from(SEI_UUID.replaceAll('-', ''), 'hex');
  const sources = {
    // plain H.264/AAC at most 720p: the download MP4 is the source's streams, copied
    copied: await clip(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=3', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
      '-bsf:v', `h264_metadata=sei_user_data=${SEI_UUID}+${SEI_TEXT}`,
      // names a phone or camera may write into the container: none becomes the credit or caption
      '-metadata', 'artist=Patrik Owner', '-metadata', 'author=Patrik Owner', '-metadata', 'title=Owner: Patrik', '-metadata', 'comment=Serial DJI-0K8TFBK0020618']),
    // AC-3 audio: the download MP4 is made from the re-encoded rung
    rung: await clip(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=3', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'ac3', '-shortest',
      '-bsf:v', `h264_metadata=sei_user_data=${SEI_UUID}+${SEI_TEXT}`], 'mov'),
  };
  for (const [how, source] of Object.entries(sources)) {
    const bytes = await readFile(source);
    t.ok(bytes.includes(SEI_TEXT) && bytes.includes(uuidBytes), `${how}: the source carries the SEI user data`);
    t.ok(seiUnits(source) > 0, `${how}: trace_headers finds SEI in the source`);

    const id = await uploadVideo(ctx, source);
    const end = await settled(ctx, id, 120_000);
    t.equal(end.status, 'ready', `${how}: ${end.error}`);
    const out = await download(ctx, id);
    const files = (await readdir(out, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
    t.ok(files.some((f) => f.endsWith('.m4s')) && files.some((f) => f.endsWith('download.mp4')), `${how}: segments and the MP4 are there`);
    for (const file of files) {
      const data = await readFile(file);
      t.notOk(data.includes('DJI-0K8TFBK0020618') || data.includes('48.85660N') || data.includes(uuidBytes), `${how} → ${path.relative(out, file)}: no trace of the SEI user data`);
    }
    t.equal(seiUnits(path.join(out, 'download.mp4')), 0, `${how} → download.mp4: trace_headers finds no SEI at all`);
    execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', path.join(out, 'download.mp4'), '-f', 'null', '-']);
    t.pass(`${how} → download.mp4 still decodes`);

    const asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}` })).json();
    t.equal(asset.credit, null, `${how}: no credit from the container`);
    t.same(asset.caption, {}, `${how}: no caption from the container`);
    t.notMatch(JSON.stringify(asset), /Patrik|Owner|DJI-0K8T/, `${how}: no name or serial in the public JSON`);
  }
});
