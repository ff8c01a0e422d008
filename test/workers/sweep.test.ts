/**
 * The maintenance sweep: at worker start, on its schedule, after Redis came back empty; and its
 * parts on their own — the bucket against the rows, resumable uploads, temp dirs.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import t from 'tap';
import { createLogger } from '../../src/log.js';
import { createQueues } from '../../src/queues/producer.js';
import { createRedis } from '../../src/redis/connection.js';
import { sweepStorage } from '../../src/services/storage-sweep.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { createProcessorDeps } from '../../workers/deps.js';
import { sweep } from '../../workers/processors/sweep.js';
import { sweepTempDir } from '../../workers/processors/steps.js';
import { keepSource, removeSource, removeStaleSources } from '../../workers/processors/video-flow.js';
import { startWorker } from '../../workers/run.js';
import { createTestContext, s3Kinds, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { privateRedis, waitFor } from '../helpers/processes.js';

const JPEG = readFileSync(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url));
const silent = createLogger({ level: 'silent', name: 'worker' });
const HOUR = 3600_000;

/** A photo uploaded through the API (its row processing, its original stored); answers its id. */
async function upload(ctx: TestContext): Promise<string> {
  const form = multipart([{ name: 'file', filename: 'a.jpg', body: Buffer.concat([JPEG, randomBytes(64)]) }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json().assets[0].id;
}

async function status(ctx: TestContext, id: string): Promise<{ status: string; error: string | null }> {
  return (await ctx.db.query<{ status: string; error: string | null }>('SELECT status, error FROM assets WHERE id = $1', [id])).rows[0]!;
}

async function incomplete(storage: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const u of storage.incompleteUploads('')) keys.push(u.key);
  return keys.sort();
}

for (const kind of s3Kinds()) {
  t.test(`${kind}: the bucket against the rows`, async (t) => {
    const ctx = await createTestContext(t, { s3: kind });
    await seedEvent(ctx);
    const { storage, db } = ctx;
    const changes = ctx.app.services.changes;
    const sweepAt = (now: Date) => sweepStorage({ db, storage, changes, log: silent }, { graceMs: HOUR, now });

    const kept = await upload(ctx);
    await storage.put(`renditions/${kept}/thumb.webp`, Buffer.from('thumb'));
    await db.query(`UPDATE assets SET status = 'ready' WHERE id = $1`, [kept]);
    const lostReady = await upload(ctx);
    await db.query(`UPDATE assets SET status = 'ready' WHERE id = $1`, [lostReady]);
    const lostProcessing = await upload(ctx);
    await storage.delete(`originals/${lostReady}`);
    await storage.delete(`originals/${lostProcessing}`);

    // what no row owns: an original (an upload whose request died, a delete that failed), the
    // renditions and press files of a deleted asset, the rest of a resumable upload whose row went
    const orphan = randomUUID();
    await storage.put(`originals/${orphan}`, Buffer.from('orphan'));
    await storage.put(`renditions/${orphan}/thumb.webp`, Buffer.from('r'));
    await storage.put(`renditions/${orphan}/hls/360p/0.m4s`, Buffer.from('r'));
    await storage.put(`press/${orphan}/${'a'.repeat(16)}`, Buffer.from('p'));
    const goneUpload = randomBytes(16).toString('hex');
    await storage.put(`uploads/${goneUpload}/rest`, Buffer.from('rest'));
    // not keys Lamha makes: left alone
    await storage.put('originals/notes.txt', Buffer.from('x'));
    await storage.put('elsewhere/thing', Buffer.from('x'));
    // an S3 multipart upload nobody finishes, and a resumable upload's, which is live
    await storage.multipart.start(`originals/${randomUUID()}`);
    const photographer = (await ctx.app.services.tokens.authenticate(await ctx.mint('photographer', 'conf')))!;
    const live = await ctx.app.services.resumable.create(photographer, 'c'.repeat(32), 20 * 1024 * 1024, { event: 'conf', album: 'day-1', filename: 'big.jpg' });
    await ctx.app.services.resumable.write(photographer, live.id, 0, Readable.from([JPEG, randomBytes(6 * 1024 * 1024)]));
    const liveKeys = await storage.list(`uploads/${live.id}/`);
    t.equal(liveKeys.length, 1, 'the live resumable upload has its rest stored');
    t.equal((await incomplete(storage)).length, 2, 'two multipart uploads are open');

    // everything young: only what rows cannot explain at any age goes
    const young = await sweepAt(new Date());
    t.same(young, { orphans: 3, missingOriginals: 2, abortedUploads: 0 }, 'renditions and press files of no asset go at once; the rest waits out the grace');
    t.ok(await storage.exists(`originals/${orphan}`), 'an original younger than the grace stays (its upload may still be making its row)');
    t.ok(await storage.exists(`uploads/${goneUpload}/rest`));
    t.same(await status(ctx, lostReady), { status: 'ready', error: 'LAMHA_ORIGINAL_MISSING: The original of this file is missing from storage; upload it again' }, 'a ready asset keeps serving its renditions, and says what it lost');
    t.same(await status(ctx, lostProcessing), { status: 'failed', error: 'LAMHA_ORIGINAL_MISSING: The original of this file is missing from storage; upload it again' }, 'a processing asset without its original fails');

    const later = await sweepAt(new Date(Date.now() + 2 * HOUR));
    t.same(later, { orphans: 2, missingOriginals: 2, abortedUploads: 1 }, 'past the grace: the orphan original and upload rest go, the stray multipart upload is aborted');
    t.same((await storage.list('')).sort(), [
      'elsewhere/thing', `originals/${kept}`, 'originals/notes.txt', `renditions/${kept}/thumb.webp`, ...liveKeys,
    ].sort(), 'what rows own and what is not ours stays; nothing else');
    t.same(await incomplete(storage), [`originals/${live.assetId}`], 'the resumable upload\'s multipart upload is live and stays');

    // the live upload still completes
    const rest = 20 * 1024 * 1024 - JPEG.length - 6 * 1024 * 1024;
    await ctx.app.services.resumable.write(photographer, live.id, 20 * 1024 * 1024 - rest, Readable.from([randomBytes(rest)]));
    t.ok(await storage.exists(`originals/${live.assetId}`), 'the resumable upload finished after the sweep');

    const again = await sweepAt(new Date(Date.now() + 2 * HOUR));
    t.same(again, { orphans: 0, missingOriginals: 2, abortedUploads: 0 }, 'a second sweep finds nothing new to remove');
  });
}

t.test('the temp dir: work dirs of dead processes at once, Lamha\'s temp dirs unused past the grace, nothing else', async (t) => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  // a temp dir of the test's own: the machine's holds other programs' files, which must not be swept by a test
  const root = mkdtempSync(path.join(os.tmpdir(), 'sweep-test-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const made = {
    deadWork: path.join(root, `lamha-image-${dead.stdout}-x1`),
    liveWork: path.join(root, `lamha-image-${process.pid}-x2`),
    oldPress: path.join(root, 'lamha-press-old'),
    newPress: path.join(root, 'lamha-press-new'),
    notOurs: path.join(root, 'lamha-node24'),
    source: path.join(root, 'lamha-video-sources'),
  };
  for (const dir of Object.values(made)) {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'f'), 'x');
  }
  const old = new Date(Date.now() - 3 * HOUR);
  for (const dir of [made.oldPress, made.notOurs, made.source]) utimesSync(dir, old, old);

  t.equal(await sweepTempDir(HOUR, { root }), 2);
  t.notOk(existsSync(made.deadWork), 'the work dir of a process that is gone');
  t.notOk(existsSync(made.oldPress), 'a Lamha temp dir unused for longer than the grace');
  t.ok(existsSync(made.liveWork), 'a live process\'s young work dir stays');
  t.ok(existsSync(made.newPress), 'a young dir stays');
  t.ok(existsSync(made.notOurs), 'another program\'s lamha- dir stays, however old');
  t.ok(existsSync(made.source), 'the video sources, which have their own rule, stay');
});

t.test('the video sources: each install its own, and its clean-up removes only its own stale ones', async (t) => {
  // two installs on one machine (here: two databases and Redis prefixes), as two test files run side by side
  const a = await createTestContext(t, { s3: s3Kinds()[0] });
  const b = await createTestContext(t, { s3: s3Kinds()[0] });
  await seedEvent(a);
  const deps = (ctx: TestContext) => {
    const made = createProcessorDeps(ctx.config, { db: ctx.db, storage: ctx.storage, queues: ctx.queues, log: silent, publisher: ctx.redis });
    t.teardown(() => made.close());
    return made;
  };
  const [depsA, depsB] = [deps(a), deps(b)];
  const dirA = depsA.settings.sourcesDir;
  t.not(dirA, depsB.settings.sourcesDir, 'each install has a directory of its own');
  t.equal(path.dirname(dirA), path.join(os.tmpdir(), 'lamha-video-sources'), 'under the machine\'s temp dir');
  t.equal(path.dirname(dirA), path.dirname(depsB.settings.sourcesDir), 'beside the other install\'s');

  // A's source of a video it is making (its row processing), and one of an asset A no longer has
  const processing = await upload(a);
  const gone = randomUUID();
  const work = mkdtempSync(path.join(os.tmpdir(), 'sweep-test-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const src = path.join(work, 'source');
  await keepSource(depsA, processing, (writeFileSync(src, 'v'), src));
  await keepSource(depsA, gone, (writeFileSync(src, 'v'), src));
  t.equal(statSync(dirA).mode & 0o777, 0o700, 'only the install\'s user reads its sources');

  t.equal(await removeStaleSources(depsB), 0, 'the other install removes nothing of A\'s: it does not know A\'s assets');
  t.ok(existsSync(path.join(dirA, processing)) && existsSync(path.join(dirA, gone)), 'both of A\'s sources stay');
  t.equal(await removeStaleSources(depsA), 1, 'A removes the source of the asset it no longer has');
  t.ok(existsSync(path.join(dirA, processing)), 'the source of the video being made stays');
  t.notOk(existsSync(path.join(dirA, gone)), 'the stale one is gone');
  await removeSource(depsA, processing);
  t.notOk(existsSync(dirA), 'the last source out leaves no empty directory');
});

t.test('a worker sweeps at start, schedules the sweep, and its job reports what it did', async (t) => {
  const ctx = await createTestContext(t, { s3: s3Kinds()[0] });
  await seedEvent(ctx);
  const photographer = await ctx.mint('photographer', 'conf');
  const p = (await ctx.app.services.tokens.authenticate(photographer))!;
  const resumable = ctx.app.services.resumable;

  // a resumable upload left half-way and expired: a part and a rest are stored
  const stale = await resumable.create(p, 'a'.repeat(32), 40 * 1024 * 1024, { event: 'conf', album: 'day-1', filename: 'stale.jpg' });
  await resumable.write(p, stale.id, 0, Readable.from([JPEG, randomBytes(10 * 1024 * 1024)]));
  await ctx.db.query(`UPDATE resumable_uploads SET expires_at = now() - interval '1 minute' WHERE id = $1`, [stale.id]);
  // one whole, whose finish never ran
  const whole = Buffer.concat([JPEG, randomBytes(500)]);
  const done = await resumable.create(p, 'b'.repeat(32), whole.length, { event: 'conf', album: 'day-1', filename: 'whole.jpg' });
  await resumable.write(p, done.id, 0, Readable.from([whole]));
  await ctx.db.query(`UPDATE resumable_uploads SET updated_at = now() - interval '5 minutes' WHERE id = $1`, [done.id]);
  // a photo whose job Redis lost, and the renditions of an asset deleted while storage was down
  const photo = await upload(ctx);
  await ctx.queues.queues.images.obliterate({ force: true });
  const deleted = randomUUID();
  await ctx.storage.put(`renditions/${deleted}/large.webp`, Buffer.from('r'));

  const worker = await startWorker(ctx.config, silent, { db: ctx.db, storage: ctx.storage, redis: ctx.redis }, { queues: ctx.queues });
  t.teardown(() => worker.close());
  await worker.swept;

  const rows = await ctx.db.query<{ id: string; state: string }>('SELECT id, state FROM resumable_uploads ORDER BY id');
  t.same(rows.rows, [{ id: done.id, state: 'done' }], 'the stale upload is gone; the whole one is finished');
  t.same(await ctx.storage.list('uploads/'), [], 'the stale upload\'s rest is deleted');
  t.same(await incomplete(ctx.storage), [], 'and its S3 multipart upload aborted');
  const made = await ctx.db.query('SELECT 1 FROM assets WHERE sha256 = $1', [createHash('sha256').update(whole).digest()]);
  t.equal(made.rows.length, 1, 'the whole upload became an asset');
  t.same(await ctx.storage.list(`renditions/${deleted}/`), [], 'the deleted asset\'s renditions are gone');
  t.ok(await waitFor(async () => (await status(ctx, photo)).status === 'ready', 60_000), 'the photo whose job was lost is made');

  const schedulers = await ctx.queues.queues.maintenance.getJobSchedulers();
  t.same(schedulers.map((s) => [s.key, s.every]), [['sweep', ctx.config.sweep.everyMs]], 'the sweep is scheduled, every SWEEP_EVERY_MINUTES');

  // the scheduled run, as the queue runs it: its return value is the report
  await ctx.storage.put(`press/${deleted}/${'b'.repeat(16)}`, Buffer.from('p'));
  const job = await ctx.queues.queues.maintenance.add('sweep', {});
  t.ok(await waitFor(async () => (await job.getState()) === 'completed', 30_000), 'the sweep job completes');
  const report = (await ctx.queues.queues.maintenance.getJob(job.id!))!.returnvalue;
  t.match(report, { requeued: 0, resumedFlows: 0, orphans: 1, missingOriginals: 0, abortedUploads: 0, expiredUploads: 0, finishedUploads: 0 }, 'it reports what it did');
});

t.test('a part that fails does not stop the others, and fails the run naming it', async (t) => {
  const ctx = await createTestContext(t, { s3: s3Kinds()[0] });
  await seedEvent(ctx);
  const photo = await upload(ctx);
  await ctx.queues.queues.images.obliterate({ force: true });
  const base = createProcessorDeps(ctx.config, { db: ctx.db, storage: ctx.storage, queues: ctx.queues, log: silent, publisher: ctx.redis });
  t.teardown(() => base.close());
  const down: ObjectStore = { ...ctx.storage, scan: async function* () { throw new Error('connect ECONNREFUSED'); } };
  await t.rejects(sweep(undefined, { ...base, storage: down }), /the sweep's storage part failed/);
  t.equal(await ctx.queues.queues.images.getJobState(`derive-image-${photo}`), 'prioritized', 'the queues part still queued the lost job');
});

t.test('Redis back empty under a running worker: the lost jobs and the schedule come back without a restart, however late the queues\' connection is back', async (t) => {
  const url = await privateRedis(t, []);
  const ctx = await createTestContext(t, { s3: s3Kinds()[0], redisUrl: url });
  await seedEvent(ctx);
  const admin = new Redis(url);
  t.teardown(() => admin.disconnect());
  // the worker's producer on a connection of its own, as the API's in `npm start`: it fails
  // commands at once while Redis is away, and comes back here seconds after the workers' own
  const producer = createRedis(url);
  t.teardown(() => producer.disconnect());
  const queues = createQueues({ connection: producer, prefix: ctx.config.redisPrefix });
  t.teardown(() => queues.close());
  const worker = await startWorker(ctx.config, silent, { db: ctx.db, storage: ctx.storage, redis: ctx.redis }, { queues });
  t.teardown(() => worker.close());
  await worker.swept;
  const photo = await upload(ctx);
  t.ok(await waitFor(async () => (await status(ctx, photo)).status === 'ready', 60_000), 'made before the loss');
  // the photo's job waits (its queue paused) where Redis loses it
  await ctx.queues.queues.images.pause();
  const lost = await upload(ctx);
  t.equal(await ctx.queues.queues.images.getJobState(`derive-image-${lost}`), 'prioritized', 'its job waits');
  // Redis restarted without persistence, as the clients see it: every key gone, every connection dropped
  producer.disconnect();
  await admin.flushall();
  await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
  await new Promise((r) => setTimeout(r, 2_500));
  t.equal(await status(ctx, lost).then((s) => s.status), 'processing', 'not made while the queues\' connection is away');
  await producer.connect();
  t.ok(await waitFor(async () => (await status(ctx, lost)).status === 'ready', 60_000), 'the photo whose job Redis lost is made, by the same worker');
  const schedulers = await ctx.queues.queues.maintenance.getJobSchedulers();
  t.same(schedulers.map((s) => s.key), ['sweep'], 'the sweep is scheduled again');
});
