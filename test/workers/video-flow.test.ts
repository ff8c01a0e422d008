/**
 * A video as a flow of jobs (VIDEO_PIECE_SECONDS=8, so a 24 s recording is three pieces per
 * rung): playable before the ladder is complete, the pieces joined without a gap or a repeated
 * frame and in sync with the audio, the stored original cleaned once the smallest rung is made
 * (and an original that cannot be, failing the asset), a failed piece retried alone, and two
 * worker processes sharing the pieces of one video.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { createTestContext, REDIS_URL, seedEvent, type TestContext } from '../helpers/context.js';
import { clip } from '../helpers/clips.js';
import { multipart } from '../helpers/multipart.js';
import { runEntry, waitFor, type Running } from '../helpers/processes.js';
import { processesMentioning } from '../helpers/worker-process.js';
import { runWorkers, settled } from '../helpers/workers.js';
import { inspector, privateTags as privateTagsOf } from '../helpers/originals.js';
import { requeueProcessing } from '../../src/services/reconcile.js';
import { resumeVideoFlows } from '../../workers/resume-flows.js';

const scratch = await mkdtemp(path.join(os.tmpdir(), 'lamha-flow-'));
t.teardown(() => rm(scratch, { recursive: true, force: true }));
const PIECE = 8;
const { exiftool } = await inspector(t);
const privateTags = (file: string) => privateTagsOf(exiftool, file);
const FIXTURE = path.resolve('test/fixtures/mp4_h264_aac_gps-udta-xyz.mp4');

/** 24 s of a real 1080p30 phone recording (its one second, looped), H.264/AAC with a keyframe every 2 s. */
async function recording(): Promise<string> {
  return clip(['-stream_loop', '23', '-i', FIXTURE, '-t', '24', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ar', '48000']);
}

async function upload(ctx: TestContext, file: string): Promise<string> {
  const form = multipart([{ name: 'file', filename: 'panel.mp4', body: await readFile(file) }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json().assets[0].id;
}

/** An object's bytes; read again when the connection drops (the embedded S3 server resets one now and then under the workers' load). */
async function bytes(ctx: TestContext, key: string): Promise<Buffer> {
  for (let attempt = 1; ; attempt++) {
    try {
      const chunks: Buffer[] = [];
      for await (const c of await ctx.storage.get(key)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    } catch (err) {
      if (attempt === 3 || (err as { code?: string }).code === 'LAMHA_NOT_FOUND') throw err;
    }
  }
}

async function text(ctx: TestContext, key: string): Promise<string> {
  return (await bytes(ctx, key)).toString('utf8');
}

/** A rung's (or the audio's) playlist, its init segment and its segments joined into one file, as a player reads them. */
async function joined(ctx: TestContext, id: string, dir: string): Promise<string> {
  const playlist = await text(ctx, `renditions/${id}/hls/${dir}/index.m3u8`);
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!;
  const names = [init, ...playlist.split('\n').filter((l) => l && !l.startsWith('#'))];
  const chunks: Buffer[] = [];
  for (const name of names) chunks.push(await bytes(ctx, `renditions/${id}/hls/${dir}/${name}`));
  const file = path.join(scratch, `${id}-${dir}.mp4`);
  await writeFile(file, Buffer.concat(chunks));
  return file;
}

function frameTimes(file: string): number[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file]).toString();
  return out.split('\n').map((l) => l.replace(/,$/, '').trim()).filter(Boolean).map(Number).sort((a, b) => a - b);
}

/** When a stream's first packet is shown, and when its last one ends (seconds). */
function streamSpan(file: string, stream: 'v:0' | 'a:0'): { start: number; end: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', file]).toString();
  const packets = out.split('\n').map((l) => l.split(',').slice(0, 2).map(Number)).filter((p) => p.length === 2 && p.every(Number.isFinite));
  if (packets.length === 0) throw new Error(`no ${stream} packets in ${file}`);
  return { start: Math.min(...packets.map((p) => p[0]!)), end: Math.max(...packets.map((p) => p[0]! + p[1]!)) };
}

function streamSeconds(file: string, stream: 'v:0' | 'a:0'): number {
  const { start, end } = streamSpan(file, stream);
  return end - start;
}

function sourceFrames(file: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]).toString().trim());
}

/** Every frame of the source once, at an even pace, and as long as the source. */
function assertSeamless(t: Test, file: string, source: string, label: string): void {
  const times = frameTimes(file);
  const frames = sourceFrames(source);
  t.equal(times.length, frames, `${label}: ${frames} frames, none missing or repeated across the joins`);
  const steps = times.slice(1).map((x, i) => x - times[i]!);
  const frame = 1 / 30;
  t.ok(steps.every((s) => s > frame / 2 && s < frame * 1.5), `${label}: one frame apart everywhere (steps ${Math.min(...steps).toFixed(4)}–${Math.max(...steps).toFixed(4)} s)`);
}

t.test('a recording in pieces: playable before the ladder completes, then every rendition, joined seamlessly and in sync', async (t) => {
  // each piece of the smallest rung as two spans side by side, whatever this machine's cores
  const ctx = await createTestContext(t, { env: { VIDEO_PIECE_SECONDS: String(PIECE), VIDEO_FIRST_RUNG_PROCESSES: '2' } });
  await seedEvent(ctx);
  runWorkers(t, ctx, ['videos']);
  const source = await recording();
  const id = await upload(ctx, source);

  // watch it as a curator would: the first moment it is ready, what the master playlist names
  let early: { progress: number; rungs: number; byRendition: Record<string, number>; visitor: number; inAlbum: boolean } | undefined;
  const watched = waitFor(async () => {
    const res = await ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin) });
    const a = res.json();
    if (a.status === 'ready' && early === undefined) {
      const master = await ctx.app.inject({ url: `/media/${id}/hls/master.m3u8`, headers: ctx.auth(ctx.admin) });
      // and what a visitor gets: the asset, and the album listing it
      const visitor = await ctx.app.inject({ url: `/api/v1/assets/${id}` });
      const album = await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1' });
      early = {
        progress: a.progress, rungs: (master.body.match(/#EXT-X-STREAM-INF/g) ?? []).length, byRendition: a.progressByRendition,
        visitor: visitor.statusCode, inAlbum: album.body.includes(id),
      };
    }
    return a.status !== 'processing' && a.progress === 100;
  }, 300_000);
  t.ok(await watched, 'the flow ends');
  const end = await settled(ctx, id, 1000);
  t.equal(end.status, 'ready', end.error ?? '');
  t.ok(early, 'it was seen ready');
  t.ok(early!.progress < 100, `playable at ${early!.progress} %, before the ladder completed`);
  t.ok(early!.rungs >= 1 && early!.rungs < 3, `then with ${early!.rungs} of 3 rungs`);
  t.equal(early!.byRendition['360p'], 100, 'the smallest rung first');
  t.equal(early!.byRendition['download.mp4'], 0);
  t.equal(early!.visitor, 200, 'a visitor can open it then');
  t.ok(early!.inAlbum, 'and the album lists it');

  const asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin) })).json();
  t.same(asset.progressByRendition, { poster: 100, storyboard: 100, audio: 100, '360p': 100, '720p': 100, '1080p': 100, 'download.mp4': 100 });
  const master = await text(ctx, `renditions/${id}/hls/master.m3u8`);
  // the phone held upright: a portrait ladder
  t.same([...master.matchAll(/RESOLUTION=(\d+x\d+)/g)].map((m) => m[1]), ['360x640', '720x1280', '1080x1920'], 'in the end every rung');
  t.match(master, /CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",AUDIO="audio"/);
  t.same((await ctx.db.query('SELECT * FROM video_plans WHERE asset_id = $1', [id])).rows, [], 'what the flow kept for its joins is gone');

  for (const rung of ['360p', '720p', '1080p']) {
    const playlist = await text(ctx, `renditions/${id}/hls/${rung}/index.m3u8`);
    t.equal((playlist.match(/#EXT-X-MAP/g) ?? []).length, 1, `${rung}: one init segment for all its pieces`);
    t.notMatch(playlist, /DISCONTINUITY/, `${rung}: no discontinuity`);
    t.match(playlist, /p002-seg-/, `${rung}: three pieces`);
    assertSeamless(t, await joined(ctx, id, rung), source, rung);
  }
  // audio encoded once for the whole recording: as long as the video, within one frame
  const video = await joined(ctx, id, '720p');
  const audio = await joined(ctx, id, 'audio');
  t.ok(Math.abs(streamSeconds(video, 'v:0') - streamSeconds(audio, 'a:0')) <= 1 / 30, `audio ${streamSeconds(audio, 'a:0').toFixed(3)} s, video ${streamSeconds(video, 'v:0').toFixed(3)} s`);

  const jobs = await ctx.queues.queues.videos.getJobs(['completed']);
  t.match(jobs.find((j) => j.name === 'transcode-video')?.returnvalue, /, audio, the original to clean; run /, 'the plan left the audio and the original\'s clean to the flow');
  const clean = jobs.find((j) => j.name === 'video-original');
  const smallest = jobs.filter((j) => j.name === 'video-piece' && j.data.rungs.join('+') === '360p');
  t.ok(clean && clean.processedOn! >= Math.max(...smallest.map((j) => j.finishedOn!)), `the original was cleaned once the smallest rung was made: ${clean?.returnvalue}`);
  t.ok(clean!.finishedOn! <= Math.min(...jobs.filter((j) => j.name === 'video-storyboard' || j.data.rungs?.includes('720p')).map((j) => j.processedOn!)), 'and before the storyboard and the larger rungs');
  const { rows: [cleaned] } = await ctx.db.query<{ at: Date | null }>('SELECT original_cleaned_at AS at FROM assets WHERE id = $1', [id]);
  t.type(cleaned?.at, Date, 'the asset records its original cleaned');
  const original = path.join(scratch, `${id}-original.mp4`);
  await writeFile(original, await bytes(ctx, `originals/${id}`));
  const uploaded = await privateTags(source);
  t.ok(uploaded.length > 0, `the upload carried a position (${uploaded.join(', ')})`);
  t.same(await privateTags(original), [], 'the stored original carries none once the video is complete');
  const pieces = jobs.filter((j) => j.name === 'video-piece').map((j) => String(j.returnvalue)).sort();
  t.same(pieces.map((r) => /^(.+?) piece \d/.exec(r)?.[1]), ['360p', '360p', '360p', '720p, 1080p', '720p, 1080p', '720p, 1080p'], `every piece once: ${pieces.join('; ')}`);
  t.ok(pieces.filter((r) => r.startsWith('360p')).every((r) => r.includes(', 2 ffmpeg side by side (')), 'the smallest rung in two spans side by side');
  t.notOk(pieces.filter((r) => r.startsWith('720p')).some((r) => r.includes('side by side')), 'the larger rungs in one ffmpeg, its own threads');
  t.equal(jobs.filter((j) => j.name === 'video-audio').length, 1, 'the audio by its own job, once');
  t.match(jobs.find((j) => j.name === 'video-storyboard')?.returnvalue, /^storyboard \(24 thumbnails from 6 of the 6 segments of the 360p rung\)$/, 'the storyboard from the smallest rung, every frame of it for a short video');

  const mp4 = path.join(scratch, `${id}-download.mp4`);
  await writeFile(mp4, await bytes(ctx, `renditions/${id}/download.mp4`));
  assertSeamless(t, mp4, source, 'download.mp4');
  const [v, a] = [streamSpan(mp4, 'v:0'), streamSpan(mp4, 'a:0')];
  t.ok(Math.abs(v.start - a.start) <= 1 / 30 && Math.abs(v.end - a.end) <= 1 / 30, `download.mp4: audio and video start and end together, within one frame (video ${v.start.toFixed(3)}–${v.end.toFixed(3)} s, audio ${a.start.toFixed(3)}–${a.end.toFixed(3)} s)`);
});

t.test('a piece that fails is retried alone, the audio too, and the video still ends whole', async (t) => {
  // an ffmpeg that fails once for the second piece of the 720p rung, once for the second span of
  // the second piece of the 360p rung, and once for the audio
  const marker = path.join(scratch, 'failed-once');
  const spanMarker = path.join(scratch, 'span-failed-once');
  const audioMarker = path.join(scratch, 'audio-failed-once');
  const wrapper = path.join(scratch, 'ffmpeg-fails-once');
  await writeFile(wrapper, `#!/bin/bash
if [[ "$*" == *"-ss ${PIECE} "* && "$*" == *"scale=720:1280"* && ! -e ${marker} ]]; then touch ${marker}; echo "piece failed on purpose" >&2; exit 1; fi
if [[ "$*" == *"-ss ${PIECE * 1.5} "* && "$*" == *"scale=360:640"* && ! -e ${spanMarker} ]]; then touch ${spanMarker}; echo "span failed on purpose" >&2; exit 1; fi
if [[ "$*" == *" -vn "* && ! -e ${audioMarker} ]]; then touch ${audioMarker}; echo "audio failed on purpose" >&2; exit 1; fi
exec ffmpeg "$@"
`);
  await chmod(wrapper, 0o755);
  const ctx = await createTestContext(t, { env: { VIDEO_PIECE_SECONDS: String(PIECE), FFMPEG_PATH: wrapper, VIDEO_FIRST_RUNG_PROCESSES: '2' } });
  await seedEvent(ctx);
  runWorkers(t, ctx, ['videos']);
  const source = await recording();
  const id = await upload(ctx, source);
  const end = await settled(ctx, id, 300_000);
  t.equal(end.status, 'ready', end.error ?? '');
  t.ok(await readFile(marker).then(() => true, () => false), 'the piece failed once');

  const jobs = await ctx.queues.queues.videos.getJobs(['completed', 'failed']);
  const starts = Object.fromEntries(jobs.map((j) => [j.name === 'video-piece' ? `${j.data.rungs.join('+')}-${j.data.piece}` : j.name, j.attemptsStarted ?? j.attemptsMade]));
  t.equal(starts['720p+1080p-1'], 2, 'the failed piece ran twice');
  t.ok(await readFile(spanMarker).then(() => true, () => false), 'a span of a 360p piece failed once');
  t.equal(starts['360p-1'], 2, 'its piece ran again, whole');
  const span = jobs.find((j) => j.name === 'video-piece' && j.data.rungs.join('+') === '360p' && j.data.piece === 1);
  t.match((span?.stacktrace ?? []).join('\n'), /span failed on purpose/, 'failed for what the span said, not for the stop of the other span');
  t.ok(await readFile(audioMarker).then(() => true, () => false), 'the audio failed once');
  t.equal(starts['video-audio'], 2, 'its job ran again');
  // another job run again would say why (a lapsed lock leaves no failure; a failed attempt leaves its error)
  const retried = new Set(['720p+1080p-1', '360p-1', 'video-audio']);
  // the storyboard, taken while the failed 360p piece waited for its retry, waited for the rung: no failure
  const again = jobs.filter((j) => (j.attemptsStarted ?? j.attemptsMade) !== 1 && !retried.has(j.name === 'video-piece' ? `${j.data.rungs.join('+')}-${j.data.piece}` : j.name) && j.name !== 'video-storyboard');
  t.same(again.map((j) => ({ job: j.name === 'video-piece' ? `${j.data.rungs.join('+')}-${j.data.piece}` : j.name, starts: j.attemptsStarted, failures: (j.stacktrace ?? []).map((s) => s.split('\n')[0]) })), [], 'every other job ran once');
  const storyboard = jobs.find((j) => j.name === 'video-storyboard')!;
  // attemptsMade counts the run that completed it; a wait (moveToDelayed) is no attempt
  t.same([storyboard.attemptsMade, storyboard.stacktrace ?? []], [1, []], `the storyboard never failed (started ${storyboard.attemptsStarted} times)`);
  const rungDone = Math.max(...jobs.filter((j) => j.name === 'video-piece' && j.data.rungs.join('+') === '360p').map((j) => j.finishedOn!));
  t.ok(storyboard.processedOn! >= rungDone, `and was made once the 360p rung was complete (${storyboard.processedOn! - rungDone} ms after): ${storyboard.returnvalue}`);
  t.match(storyboard.returnvalue, /of the 360p rung/);
  const video = await joined(ctx, id, '720p');
  assertSeamless(t, video, source, '720p after the retry');
  assertSeamless(t, await joined(ctx, id, '360p'), source, '360p after the retry');
  t.same(await processesMentioning(wrapper), [], 'no ffmpeg left running');
  const audio = await joined(ctx, id, 'audio');
  t.ok(Math.abs(streamSeconds(video, 'v:0') - streamSeconds(audio, 'a:0')) <= 1 / 30, `audio ${streamSeconds(audio, 'a:0').toFixed(3)} s, video ${streamSeconds(video, 'v:0').toFixed(3)} s`);
});

t.test('an original found uncleanable once the video is playable: the asset fails, is public no more, and nothing of it is left', async (t) => {
  const ctx = await createTestContext(t, { env: { VIDEO_PIECE_SECONDS: String(PIECE) } });
  await seedEvent(ctx);
  let id = '';
  let visitorWhileChecked: number | undefined;
  runWorkers(t, ctx, ['videos'], (deps) => ({
    metadata: {
      ...deps.metadata,
      // the check of the rewritten original finds a tag left; it runs once the video is playable
      async findPrivate() {
        visitorWhileChecked = (await ctx.app.inject({ url: `/api/v1/assets/${id}` })).statusCode;
        return ['QuickTime:UserData:GPSCoordinates'];
      },
    },
  }));
  id = await upload(ctx, await recording());
  const end = await settled(ctx, id, 300_000);
  t.equal(end.status, 'failed');
  t.match(end.error, /^LAMHA_PRIVATE_METADATA: .*GPSCoordinates/);
  t.equal(visitorWhileChecked, 200, 'the video was playable, open to visitors, when its original was checked');
  // the flow's other jobs find the asset failed and make nothing
  t.ok(await waitFor(async () => {
    const counts = await ctx.queues.queues.videos.getJobCounts('active', 'waiting', 'prioritized', 'delayed');
    return Object.values(counts).every((n) => n === 0);
  }, 60_000), 'the flow ran out');
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${id}` })).statusCode, 404, 'a visitor no longer gets it');
  t.notOk((await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1' })).body.includes(id), 'nor does the album list it');
  t.same(await ctx.storage.list(`renditions/${id}/`), [], 'no rendition left');
  t.same(await ctx.storage.list(`originals/${id}`), [], 'the original is deleted');
  const clean = (await ctx.queues.queues.videos.getJobs(['failed'])).find((j) => j.name === 'video-original');
  t.equal(clean?.attemptsMade, 1, 'the clean was not tried again: the file is what it is');
  t.same((await readdir(os.tmpdir())).filter((n) => n.startsWith(`lamha-video-${process.pid}-`)), [], 'no work dir left');
});

t.test('Redis lost while a video is playable: the worker resumes its flow, and nothing made is made again', async (t) => {
  const ctx = await createTestContext(t, { env: { VIDEO_PIECE_SECONDS: String(PIECE) } });
  await seedEvent(ctx);
  const stops: (() => unknown)[] = [];
  runWorkers({ teardown: (fn) => stops.push(fn) }, ctx, ['videos']);
  const id = await upload(ctx, await recording());
  const playable = await waitFor(async () => {
    const { rows: [a] } = await ctx.db.query<{ status: string; progress: number }>('SELECT status, progress FROM assets WHERE id = $1', [id]);
    return a?.status === 'ready';
  }, 300_000);
  t.ok(playable, 'it turned playable');
  for (const stop of stops) await stop();
  const before = (await ctx.db.query<{ part: string; piece: number }>('SELECT part, piece FROM video_parts WHERE asset_id = $1', [id])).rows.map((r) => `${r.part}-${r.piece}`);
  t.ok(before.length < 13, `the flow was stopped halfway (${before.length} of 13 parts made)`);

  // Redis restarted empty: every key of this installation gone
  for (const key of await ctx.redis.keys(`${ctx.config.redisPrefix}:*`)) await ctx.redis.del(key);
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${id}` })).statusCode, 200, 'the video stays playable meanwhile');
  t.equal(await requeueProcessing({ db: ctx.db, queues: ctx.queues }), 0, 'no asset is planned over again');
  t.equal(await resumeVideoFlows({ db: ctx.db, queues: ctx.queues }), 1, 'its flow is resumed');
  t.equal(await resumeVideoFlows({ db: ctx.db, queues: ctx.queues }), 0, 'once');

  runWorkers(t, ctx, ['videos']);
  const end = await settled(ctx, id, 300_000);
  t.equal(end.status, 'ready', end.error ?? '');
  const { rows: [a] } = await ctx.db.query<{ progress: number }>('SELECT progress FROM assets WHERE id = $1', [id]);
  t.equal(a?.progress, 100, 'complete');
  const after = (await ctx.queues.queues.videos.getJobs(['completed'])).filter((j) => j.name !== 'finalize-video')
    .flatMap((j) => (j.name === 'video-piece' ? (j.data.rungs as string[]).map((r) => `${r}-${j.data.piece}`) : [`${j.name.replace('video-', '')}-0`]));
  t.same(after.filter((p) => before.includes(p)), [], 'no part made before was made again');
  t.equal(before.length + after.length, 13, 'and every part was made: poster, storyboard, audio, the original\'s clean, 3 rungs × 3 pieces');
  const master = await text(ctx, `renditions/${id}/hls/master.m3u8`);
  t.equal((master.match(/#EXT-X-STREAM-INF/g) ?? []).length, 3, 'every rung in the master playlist');
});

t.test('two worker processes both take pieces of one video', async (t) => {
  const ctx = await createTestContext(t, { ownDatabase: true, env: { VIDEO_PIECE_SECONDS: String(PIECE) } });
  await seedEvent(ctx);
  const env = {
    DATABASE_URL: ctx.config.databaseUrl, REDIS_URL, REDIS_PREFIX: ctx.config.redisPrefix,
    S3_ENDPOINT: ctx.storage.endpoint, S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? 'S3RVER', S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? 'S3RVER',
    S3_BUCKET: ctx.storage.bucket, LOG_LEVEL: 'warn', VIDEO_PIECE_SECONDS: String(PIECE),
  };
  const children: Running[] = [runEntry('workers/main.ts', env), runEntry('workers/main.ts', env)];
  t.teardown(() => children.forEach((c) => c.child.kill('SIGKILL')));
  const id = await upload(ctx, await recording());
  const end = await settled(ctx, id, 300_000);
  t.equal(end.status, 'ready', `${end.error ?? ''}\n${children.map((c) => c.output()).join('\n')}`);
  const pieces = (await ctx.queues.queues.videos.getJobs(['completed'])).filter((j) => j.name === 'video-piece');
  t.equal(pieces.length, 6, 'three pieces of 360p, three of 720p and 1080p together');
  const by = new Set(pieces.map((j) => j.processedBy));
  t.equal(by.size, 2, `pieces taken by both processes (${[...by].join(', ')})`);
  t.same(children.map((c) => c.child.pid).filter((pid) => ![...by].some((b) => b?.endsWith(`:${pid}`))), [], 'the processes are the two workers');
});
