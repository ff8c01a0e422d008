import t from 'tap';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker } from 'bullmq';
import { assertNoEviction } from '../../src/redis/connection.js';
import { requeueProcessing } from '../../src/services/reconcile.js';
import { runWorkers } from '../helpers/workers.js';
import { createTestContext, REDIS_URL, seedEvent, testDatabase, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { privateRedis, runEntry, waitFor } from '../helpers/processes.js';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';

const JPEG = readFileSync(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url));

async function uploadOne(ctx: TestContext): Promise<string> {
  const form = multipart([{ name: 'file', filename: 'a.jpg', body: JPEG }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  return res.json().assets[0].id;
}


// Two subtests at a time: each has its own context (schema, bucket, queue prefix) and workers.
t.jobs = 2;

t.test('refuses a Redis that may evict keys, naming the setting to change', async (t) => {
  const url = await privateRedis(t, ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
  const redis = new Redis(url);
  t.teardown(() => redis.disconnect());
  await t.rejects(assertNoEviction(redis), /maxmemory-policy is "allkeys-lru".*noeviction/);
  await redis.config('SET', 'maxmemory-policy', 'noeviction');
  await t.resolves(assertNoEviction(redis));

  // the worker process itself refuses to start
  const lru = await privateRedis(t, ['--maxmemory-policy', 'volatile-lru']);
  // it migrates before it looks at Redis: a database of its own, not the shared one
  const run = runEntry('workers/main.ts', { REDIS_URL: lru, DATABASE_URL: await testDatabase(t), S3_ENDPOINT: 'http://127.0.0.1:9', S3_ACCESS_KEY: 'x', S3_SECRET_KEY: 'y', LOG_LEVEL: 'info' });
  const exit = await run.exit;
  t.not(exit.code, 0, 'exits with an error');
  t.match(run.output(), /maxmemory-policy is "volatile-lru"/);
});

t.test('the worker process consumes the queues of its prefix in its database and closes gracefully on SIGTERM', async (t) => {
  const ctx = await createTestContext(t, { ownDatabase: true });
  await seedEvent(ctx);
  const id = await uploadOne(ctx);
  // the asset is deleted while storage "failed": its objects wait for the maintenance queue
  await ctx.db.query('DELETE FROM assets WHERE id = $1', [id]);
  await ctx.storage.put(`renditions/${id}/thumb.webp`, Buffer.from('x'));
  await ctx.queues.enqueue('purge-asset', { assetId: id });
  // an asset of this database only: a worker reading another database would purge its original too
  const kept = await uploadOne(ctx);
  // no thumbnails for it: they would only add objects to the listing below
  await ctx.queues.queues.images.obliterate({ force: true });
  await ctx.db.query("UPDATE assets SET status = 'ready' WHERE id = $1", [kept]);
  await ctx.queues.enqueue('purge-asset', { assetId: kept });

  const run = runEntry('workers/main.ts', {
    DATABASE_URL: ctx.config.databaseUrl,
    REDIS_URL, REDIS_PREFIX: ctx.config.redisPrefix,
    S3_ENDPOINT: ctx.storage.endpoint,
    S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? 'S3RVER', S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? 'S3RVER',
    S3_BUCKET: ctx.storage.bucket, LOG_LEVEL: 'info',
  });
  t.teardown(() => run.child.kill('SIGKILL'));
  const purged = await waitFor(async () => !(await ctx.storage.list('')).some((k) => k.includes(id)), 20_000);
  t.ok(purged, `the purge job removed the deleted asset's objects\n${run.output()}`);
  const keptJob = await ctx.queues.queues.maintenance.getJob(`purge-asset-${kept}`);
  t.ok(await waitFor(async () => (await keptJob!.getState()) === 'completed', 20_000), `the other purge job ran\n${run.output()}`);
  t.equal((await ctx.queues.queues.maintenance.getJob(`purge-asset-${kept}`))?.returnvalue, 'skipped: asset exists', 'it found the asset in the test\'s database');
  t.same(await ctx.storage.list(''), [`originals/${kept}`]);
  run.child.kill('SIGTERM');
  const exit = await run.exit;
  t.equal(exit.code, 0, 'exits cleanly after SIGTERM');
  t.match(run.output(), /SIGTERM: closing/);
});

t.test('a SIGTERM during the start-up sweep still closes gracefully, within the shutdown bound', async (t) => {
  const ctx = await createTestContext(t, { ownDatabase: true });
  // S3 behind a proxy that holds every bucket listing: the start-up sweep never ends by itself
  const held: http.ServerResponse[] = [];
  let listings = 0;
  const target = new URL(ctx.storage.endpoint);
  const proxy = http.createServer((req, res) => {
    if (/[?&]list-type=2/.test(req.url ?? '')) {
      listings++;
      held.push(res);
      return;
    }
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const res of held) res.destroy();
    proxy.close();
  });
  const { port } = proxy.address() as AddressInfo;
  const run = runEntry('workers/main.ts', {
    DATABASE_URL: ctx.config.databaseUrl,
    REDIS_URL, REDIS_PREFIX: ctx.config.redisPrefix,
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? 'S3RVER', S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? 'S3RVER',
    S3_BUCKET: ctx.storage.bucket, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '2000',
  });
  t.teardown(() => run.child.kill('SIGKILL'));
  t.ok(await waitFor(() => listings > 0 && /consuming/.test(run.output()), 60_000), `the start-up sweep is listing the bucket\n${run.output()}`);
  run.child.kill('SIGTERM');
  const exit = await Promise.race([run.exit, delay(30_000).then(() => 'still running')]);
  t.same(exit, { code: 0, signal: null }, `exits cleanly after SIGTERM\n${run.output()}`);
  t.match(run.output(), /SIGTERM: closing/);
  t.match(run.output(), /start-up sweep did not end within the shutdown bound/, 'says the sweep was cut short');
});

t.test('the workers take their lock duration and stalled-check interval from the configuration', async (t) => {
  const ctx = await createTestContext(t, { env: { WORKER_LOCK_MS: '4000', WORKER_STALLED_INTERVAL_MS: '1500' } });
  const { workers } = runWorkers(t, ctx, ['images', 'videos', 'maintenance']);
  t.equal(workers.length, 3);
  for (const w of workers) t.match(w.opts, { lockDuration: 4000, lockRenewTime: 2000, stalledInterval: 1500 }, w.name);
});

t.test('a purge job never deletes the objects of an asset that exists', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const id = await uploadOne(ctx);
  runWorkers(t, ctx, ['maintenance']);
  await ctx.queues.enqueue('purge-asset', { assetId: id });
  const job = await ctx.queues.queues.maintenance.getJob(`purge-asset-${id}`);
  await waitFor(async () => (await job!.getState()) === 'completed');
  t.equal((await ctx.queues.queues.maintenance.getJob(`purge-asset-${id}`))?.returnvalue, 'skipped: asset exists');
  t.same(await ctx.storage.list(''), [`originals/${id}`]);
});

t.test('after Redis lost everything, assets still processing are queued again', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const id = await uploadOne(ctx);
  await ctx.db.query("UPDATE assets SET status = 'ready' WHERE id <> $1", [id]);
  await ctx.queues.queues.images.obliterate({ force: true });
  t.notOk(await ctx.queues.queues.images.getJob(`derive-image-${id}`), 'the job is gone with Redis');
  t.equal(await requeueProcessing({ db: ctx.db, queues: ctx.queues }), 1);
  const job = await ctx.queues.queues.images.getJob(`derive-image-${id}`);
  t.same(job?.data, { assetId: id });
  t.equal(job?.opts.priority, 10, 'back-fill runs after fresh uploads');
  t.equal(await requeueProcessing({ db: ctx.db, queues: ctx.queues }), 0, 'a job that waits is not queued again');
  t.equal(await ctx.queues.queues.images.count(), 1, 'queuing again is a no-op while the job waits');
  t.equal(await requeueProcessing({ db: ctx.db, queues: ctx.queues }, { settleMs: 3600_000 }), 0, 'an asset made within the settle time is left to its upload');
});

t.test('an asset still processing whose job failed for good (its failure never recorded) is queued again', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const id = await uploadOne(ctx);
  const images = ctx.queues.queues.images;
  // as when the database was down at the last attempt: BullMQ has the job failed, the row says processing
  const connection = ctx.redis.duplicate({ maxRetriesPerRequest: null });
  t.teardown(() => connection.disconnect());
  const failing = new Worker('images', async () => { throw new UnrecoverableError('database down'); }, { connection, prefix: ctx.config.redisPrefix });
  t.ok(await waitFor(async () => (await images.getJobState(`derive-image-${id}`)) === 'failed'), 'the job failed for good');
  await failing.close();
  t.equal(await requeueProcessing({ db: ctx.db, queues: ctx.queues }), 1);
  t.equal(await images.getJobState(`derive-image-${id}`), 'prioritized', 'a new job waits in its place');
});

t.test('fresh uploads are processed before back-fill work', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const backfill: string[] = [];
  for (const name of ['exif-orientation_2.jpg', 'exif-orientation_3.jpg', 'exif-orientation_4.jpg', 'exif-orientation_5.jpg']) {
    const form = multipart([{ name: 'file', filename: name, body: readFileSync(new URL(`../fixtures/${name}`, import.meta.url)) }]);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
    backfill.push(res.json().assets[0].id);
  }
  // as after a Redis loss: everything is queued again as back-fill, then a photographer uploads
  await ctx.queues.queues.images.obliterate({ force: true });
  await requeueProcessing({ db: ctx.db, queues: ctx.queues });
  const fresh = await uploadOne(ctx);
  runWorkers(t, ctx, ['images']);
  const done = await waitFor(async () => (await ctx.db.query("SELECT 1 FROM assets WHERE status = 'processing'")).rows.length === 0, 60_000);
  t.ok(done, 'all processed');
  const started = async (id: string) => (await ctx.queues.queues.images.getJob(`derive-image-${id}`))!.processedOn!;
  const freshStart = await started(fresh);
  for (const id of backfill) t.ok(freshStart <= (await started(id)), 'the fresh upload started no later than any back-fill job');
});
