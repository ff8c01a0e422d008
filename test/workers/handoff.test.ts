/**
 * The hand-off (src/storage/handoff.ts): a photo uploaded through the API is also left in a
 * local directory, and a worker sharing it takes that copy instead of downloading the original.
 * The copy is the stored object byte for byte (its head cleaned, for an event that does not keep
 * locations), only named once the asset's row is committed, private to the service's user, and
 * never left behind by a refused, duplicate or untaken upload; a worker without it downloads.
 */
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { inspector, privateTags as privateTagsOf } from '../helpers/originals.js';
import { runWorkers, settled } from '../helpers/workers.js';
import { createHandoff } from '../../src/storage/handoff.js';
import { originalKey } from '../../src/storage/keys.js';

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

  const gets: string[] = [];
  runWorkers(t, ctx, ['images'], (deps) => ({ storage: { ...deps.storage, get: (key, range) => { gets.push(key); return deps.storage.get(key, range); } } }));
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
  const gets: string[] = [];
  runWorkers(t, ctx, ['images'], (deps) => ({ storage: { ...deps.storage, get: (key, range) => { gets.push(key); return deps.storage.get(key, range); } } }));
  const end = await settled(ctx, up.id!);
  t.equal(end.status, 'ready', end.error ?? '');
  t.ok(gets.includes(originalKey(up.id!)), 'the original was downloaded');
});

t.test('refused, duplicate and video uploads leave nothing in the hand-off; a photo larger than the room left is not copied', async (t) => {
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

  const video = await upload(ctx, VIDEO);
  t.equal(video.status, 201, video.body);
  t.same(await readdir(dir), [first.id], 'a video is not copied');

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

