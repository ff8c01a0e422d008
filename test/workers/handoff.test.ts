/**
 * The hand-off (src/storage/handoff.ts): a file uploaded through the API is also left in a
 * local directory, and a worker sharing it takes that copy instead of downloading the original.
 * The copy is the stored object byte for byte (its head cleaned, for an event that does not keep
 * locations), only named once the asset's row is committed, private to the service's user, and
 * never left behind by a refused, duplicate or untaken upload; a worker without it downloads.
 */
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { inspector, privateTags as privateTagsOf } from '../helpers/originals.js';
import { runWorkers, settled } from '../helpers/workers.js';
import { createHandoff } from '../../src/storage/handoff.js';
import { originalKey } from '../../src/storage/keys.js';
import { MIN_PART_SIZE } from '../../src/storage/object-store.js';
import { createResumableService } from '../../src/services/resumable.js';

const CANON = path.resolve('test/fixtures/jpeg_canon-600d_gps_iptc_xmp.jpg');
const VIVO = path.resolve('test/fixtures/jpeg_vivo-x90pro_gps_offsettime.jpg');
const VIDEO = path.resolve('test/fixtures/mov_iphone-x_h264_location-iso6709.mov');

async function handoffDir(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-handoff-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function upload(ctx: TestContext, file: string, name = path.basename(file)): Promise<{ status: number; id?: string; duplicate?: boolean; body: string }> {
  const form = multipart([{ name: 'file', filename: name, body: await readFile(file) }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  const asset = res.statusCode === 201 ? res.json().assets[0] : undefined;
  return { status: res.statusCode, id: asset?.id, duplicate: asset?.duplicate, body: res.body };
}

async function stored(ctx: TestContext, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await ctx.storage.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Runs the images worker (or another), recording the keys it downloads. */
function workerGets(t: Test, ctx: TestContext, queue: 'images' | 'videos' = 'images'): string[] {
  const gets: string[] = [];
  runWorkers(t, ctx, [queue], (deps) => ({ storage: { ...deps.storage, get: (key, range) => { gets.push(key); return deps.storage.get(key, range); } } }));
  return gets;
}

const { exiftool } = await inspector(t);
/** positions, serials, owners, maker notes: what must not be in a copy of a cleaned original */
const privateTags = (file: string) => privateTagsOf(exiftool, file);

t.test('a photo uploaded through the API is taken by the worker from the hand-off, not downloaded again', async (t) => {
  const dir = await handoffDir(t);
  const ctx = await createTestContext(t, { env: { HANDOFF_DIR: dir } });
  await seedEvent(ctx);
  t.ok((await privateTags(CANON)).some((tag) => /gps/i.test(tag)), 'the camera file has a position');

  const up = await upload(ctx, CANON);
  t.equal(up.status, 201, up.body);
  const id = up.id!;
  t.same(await readdir(dir), [id], 'one copy, named for its asset, nothing partial');
  const copy = path.join(dir, id);
  t.equal((await stat(copy)).mode & 0o777, 0o600, 'readable by the service alone');
  const object = await stored(ctx, originalKey(id));
  t.ok((await readFile(copy)).equals(object), 'the copy is the stored original, byte for byte');
  t.same(await privateTags(copy), [], 'and, as it, no position, serial or owner (cleaned at ingest)');

  const gets = workerGets(t, ctx);
  const end = await settled(ctx, id);
  t.equal(end.status, 'ready', end.error ?? '');
  t.notOk(gets.includes(originalKey(id)), 'the worker did not download the original');
  t.same(await readdir(dir), [], 'the worker took the copy');
  const { rows } = await ctx.db.query<{ n: number; camera: string | null }>(`SELECT (SELECT count(*)::int FROM renditions WHERE asset_id = $1) AS n, metadata->>'camera' AS camera FROM assets WHERE id = $1`, [id]);
  t.ok(rows[0]!.n >= 4, `renditions made (${rows[0]!.n})`);
  t.match(rows[0]!.camera, /Canon/, 'metadata read from the copy');
  t.same(await stored(ctx, originalKey(id)), object, 'the stored original is left as it was');
});

t.test('without the copy (another machine, a retry, a copy swept) the worker downloads the original', async (t) => {
  const dir = await handoffDir(t);
  const ctx = await createTestContext(t, { env: { HANDOFF_DIR: dir } });
  await seedEvent(ctx);
  const up = await upload(ctx, CANON);
  await rm(path.join(dir, up.id!));
  const gets = workerGets(t, ctx);
  const end = await settled(ctx, up.id!);
  t.equal(end.status, 'ready', end.error ?? '');
  t.ok(gets.includes(originalKey(up.id!)), 'the original was downloaded');
});

t.test('a video uploaded through the API is handed off too: its plan takes the copy, and nothing of the flow downloads the original', async (t) => {
  const dir = await handoffDir(t);
  const ctx = await createTestContext(t, { env: { HANDOFF_DIR: dir } });
  await seedEvent(ctx);
  t.ok((await privateTags(VIDEO)).some((tag) => /gps|location/i.test(tag)), 'the phone video has a position');

  const up = await upload(ctx, VIDEO);
  t.equal(up.status, 201, up.body);
  const id = up.id!;
  t.same(await readdir(dir), [id], 'one copy, named for its asset');
  const object = await stored(ctx, originalKey(id));
  t.ok((await readFile(path.join(dir, id))).equals(object), 'the copy is the stored original, byte for byte');

  const gets = workerGets(t, ctx, 'videos');
  const end = await settled(ctx, id, 120_000);
  t.equal(end.status, 'ready', end.error ?? '');
  t.notOk(gets.includes(originalKey(id)), `the original was not downloaded (downloads: ${gets.filter((k) => !k.includes('/hls/')).join(', ') || 'none but HLS parts'})`);
  t.same(await readdir(dir), [], 'the plan took the copy');
  const after = path.join(await handoffDir(t), 'stored.mov');
  await writeFile(after, await stored(ctx, originalKey(id)));
  t.same((await privateTags(after)).filter((tag) => /gps|location/i.test(tag)), [], 'the stored original was cleaned from the copy (no position left)');
  const { rows } = await ctx.db.query<{ name: string }>('SELECT name FROM renditions WHERE asset_id = $1', [id]);
  t.ok(rows.some((r) => r.name === 'hls/master.m3u8') && rows.some((r) => r.name === 'download.mp4'), `the whole set made (${rows.length} renditions)`);
});

t.test('a video sent with tus is handed off as well', async (t) => {
  const dir = await handoffDir(t);
  const ctx = await createTestContext(t, { env: { HANDOFF_DIR: dir } });
  await seedEvent(ctx);
  const photographer = (await ctx.app.services.tokens.authenticate(await ctx.mint('photographer', 'conf')))!;
  const resumable = ctx.app.services.resumable;
  const file = await readFile(VIDEO);
  const row = await resumable.create(photographer, randomBytes(16).toString('hex'), file.length, { event: 'conf', album: 'day-1', filename: 'clip.mov' });
  const half = Math.floor(file.length / 2);
  t.equal(await resumable.write(photographer, row.id, 0, Readable.from([file.subarray(0, half)])), half);
  t.equal(await resumable.write(photographer, row.id, half, Readable.from([file.subarray(half)])), file.length);
  const { id } = await resumable.finish(row.id);
  t.same(await readdir(dir), [id], 'one copy, named for its asset');
  t.ok((await readFile(path.join(dir, id))).equals(await stored(ctx, originalKey(id))), 'the copy is the stored original, byte for byte');
  const gets = workerGets(t, ctx, 'videos');
  t.equal((await settled(ctx, id, 120_000)).status, 'ready');
  t.notOk(gets.includes(originalKey(id)), 'the original was not downloaded');
  t.same(await readdir(dir), [], 'the plan took the copy');
});

t.test('refused and duplicate uploads leave nothing in the hand-off; a file larger than the room left is not copied', async (t) => {
  const dir = await handoffDir(t);
  const ctx = await createTestContext(t, { env: { HANDOFF_DIR: dir, HANDOFF_MAX_MB: '2', UPLOAD_MAX_BYTES: String(2 * 1024 * 1024) } });
  await seedEvent(ctx);

  const tooLarge = await upload(ctx, VIVO);
  t.equal(tooLarge.status, 413, 'a 3.9 MB photo over a 2 MB limit is refused');
  t.same(await readdir(dir), [], 'and leaves no partial copy');

  const first = await upload(ctx, CANON);
  t.equal(first.status, 201);
  t.same(await readdir(dir), [first.id], 'a copy of the first photo');
  const again = await upload(ctx, CANON, 'again.jpg');
  t.equal(again.duplicate, true, 'the same photo again is a duplicate');
  t.same(await readdir(dir), [first.id], "the duplicate's copy is gone with its object");

  // 0.7 MB of 2 MiB used: one more photo fits, a third does not (nor any part of it)
  const other = path.join(await handoffDir(t), 'other.jpg');
  await writeFile(other, Buffer.concat([await readFile(CANON), Buffer.from('another photo')]));
  const second = await upload(ctx, other);
  t.same((await readdir(dir)).sort(), [first.id, second.id].sort(), 'a second copy while under the limit');
  const third = path.join(path.dirname(other), 'third.jpg');
  await writeFile(third, Buffer.concat([await readFile(CANON), Buffer.from('a third photo')]));
  const over = await upload(ctx, third);
  t.equal(over.status, 201, 'over the limit the upload is stored all the same');
  t.same((await readdir(dir)).sort(), [first.id, second.id].sort(), 'but not copied, not even in part');
  const video = await upload(ctx, VIDEO);
  t.equal(video.status, 201, video.body);
  t.same((await readdir(dir)).sort(), [first.id, second.id].sort(), 'nor is a video larger than the room left');
});

t.test('what no worker took is swept after the TTL; a copy cut short is never named for its asset', async (t) => {
  const dir = await handoffDir(t);
  const handoff = createHandoff({ dir, maxBytes: 1024 * 1024, ttlMs: 60_000 });
  await writeFile(path.join(dir, 'old'), 'x');
  await writeFile(path.join(dir, 'new'), 'y');
  const hourAgo = new Date(Date.now() - 3600_000);
  await utimes(path.join(dir, 'old'), hourAgo, hourAgo);
  t.equal(await handoff.sweep(), 1);
  t.same(await readdir(dir), ['new']);

  const write = (await handoff.begin('cut'))!;
  write.tee.on('error', () => {});
  write.tee.write(Buffer.from('half of a photo'));
  write.tee.destroy(new Error('client gone'));
  t.equal(await write.commit(), false, 'a copy whose stream was cut is not committed');
  t.same((await readdir(dir)).sort(), ['new'], 'and its partial file is gone');

  const whole = (await handoff.begin('whole'))!;
  whole.tee.end(Buffer.from('a whole photo'));
  whole.tee.resume();
  await new Promise((r) => whole.tee.once('end', r));
  t.equal(await whole.commit(), true);
  const dest = path.join(await handoffDir(t), 'original');
  t.equal(await handoff.take('whole', dest), true);
  t.equal(await readFile(dest, 'utf8'), 'a whole photo');
  t.equal(await handoff.take('whole', dest), false, 'taken once');
});


/** A camera-sized JPEG (noise does not compress: about 13 MB), over two 5 MiB parts and a last one. */
async function largeJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 3600, height: 2600, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 70 } } }).jpeg({ quality: 100 }).toBuffer();
}

/** The handed-off test context with a photographer and a camera-sized photo to send with tus. */
async function tusSetup(t: Test) {
  const dir = await handoffDir(t);
  const ctx = await createTestContext(t, { env: { HANDOFF_DIR: dir } });
  await seedEvent(ctx);
  const photographer = (await ctx.app.services.tokens.authenticate(await ctx.mint('photographer', 'conf')))!;
  return { dir, ctx, photographer, file: await largeJpeg() };
}

t.test('a photo uploaded with tus over several requests is handed off too, its parts written at their places as they are stored', async (t) => {
  const { dir, ctx, photographer, file } = await tusSetup(t);
  const resumable = ctx.app.services.resumable;
  t.ok(file.length > 2 * MIN_PART_SIZE, `the file takes more than two parts (${file.length} bytes)`);

  const row = await resumable.create(photographer, randomBytes(16).toString('hex'), file.length, { event: 'conf', album: 'day-1', filename: 'big.jpg' });
  // the head and a part and a half in one request; the rest of that part and another in a second; the rest in a third
  const cuts = [Math.floor(MIN_PART_SIZE * 1.5), Math.floor(MIN_PART_SIZE * 2.2), file.length];
  let offset = 0;
  for (const cut of cuts) {
    offset = await resumable.write(photographer, row.id, offset, Readable.from([file.subarray(offset, cut)]));
    t.equal(offset, cut);
  }
  const done = await resumable.finish(row.id);
  const id = done.id;
  t.same(await readdir(dir), [id], 'one copy, named for its asset');
  const object = await stored(ctx, originalKey(id));
  t.ok((await readFile(path.join(dir, id))).equals(object), 'the copy is the stored original, byte for byte');

  const gets = workerGets(t, ctx);
  const end = await settled(ctx, id);
  t.equal(end.status, 'ready', end.error ?? '');
  t.notOk(gets.includes(originalKey(id)), 'the worker did not download the original');
  t.same(await readdir(dir), [], 'the worker took the copy');
});

t.test('a tus upload a request of which another API process took, or that is terminated, leaves no copy behind', async (t) => {
  const { dir, ctx, photographer, file } = await tusSetup(t);
  const here = ctx.app.services.resumable;
  // another API process on the machine, sharing the directory: the same service with hashes of its own
  const there = createResumableService({
    db: ctx.db, storage: ctx.storage, uploads: ctx.app.services.uploads, events: ctx.app.services.events, log: ctx.app.log,
    maxBytes: ctx.config.uploadMaxBytes, expiryMs: ctx.config.resumableExpiryMs, handoff: createHandoff({ dir, maxBytes: 1 << 30, ttlMs: 60_000 }),
  });

  const row = await here.create(photographer, randomBytes(16).toString('hex'), file.length, { event: 'conf', album: 'day-1', filename: 'a.jpg' });
  let offset = await here.write(photographer, row.id, 0, Readable.from([file.subarray(0, MIN_PART_SIZE + 100)]));
  t.same((await readdir(dir)).map((n) => n.replace(row.assetId, '<asset>')), ['<asset>.part'], 'a partial copy while the upload goes on');
  offset = await there.write(photographer, row.id, offset, Readable.from([file.subarray(offset, 2 * MIN_PART_SIZE + 100)]));
  t.same(await readdir(dir), [], 'the other process, which had not written the first part, gave the copy up');
  offset = await here.write(photographer, row.id, offset, Readable.from([file.subarray(offset)]));
  const done = await here.finish(row.id);
  t.same(await readdir(dir), [], 'and this one does not begin it again half-way');
  runWorkers(t, ctx, ['images']);
  t.equal((await settled(ctx, done.id)).status, 'ready', 'the worker downloads it');

  const cut = await here.create(photographer, randomBytes(16).toString('hex'), file.length, { event: 'conf', album: 'day-1', filename: 'b.jpg' });
  await here.write(photographer, cut.id, 0, Readable.from([file.subarray(0, MIN_PART_SIZE + 100)]));
  t.equal((await readdir(dir)).length, 1, 'a partial copy');
  await here.remove(photographer, cut.id);
  t.same(await readdir(dir), [], 'terminated: its partial copy is gone');
});
