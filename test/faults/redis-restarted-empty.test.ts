/**
 * Redis killed and started again empty on the same port while a worker process is busy (photos
 * being derived and waiting, a video mid-flow): the same worker process, without a restart, sees
 * its connection come back, queues again what PostgreSQL says is still processing and resumes
 * the video's flow (workers/run.ts restoreAfterRedisLoss, the sweep's restoreQueues); every asset
 * ends ready with one set of renditions, and no job is left unfinished.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { testClip } from '../helpers/clips.js';
import { apiOnRedis, redisProcess } from '../helpers/faults.js';
import { multipart } from '../helpers/multipart.js';
import { eventually, runEntry, waitFor } from '../helpers/processes.js';
import { assertOneVideoSet, workerEnv } from '../helpers/worker-process.js';

const SECONDS = 8;
const UPLOAD_PATH = '/api/v1/events/conf/albums/day-1/assets';

function noisePhoto(seed: number): Promise<Buffer> {
  return sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 100 + seed, sigma: 50 } } }).jpeg({ quality: 90 }).toBuffer();
}

t.test('Redis restarted empty under a busy worker: the same worker restores the queues and every asset ends ready with one set of renditions', async (t) => {
  const ctx = await createTestContext(t, { ownDatabase: true });
  await seedEvent(ctx);
  const redisServer = await redisProcess(t);
  // the API on the test's own Redis, with the context's database and bucket
  const { app, queues } = await apiOnRedis(t, ctx, redisServer.url);
  const api = { ...ctx, app, queues } as TestContext;
  const upload = async (filename: string, body: Buffer): Promise<string> => {
    const form = multipart([{ name: 'file', filename, body }]);
    const res = await api.app.inject({ method: 'POST', url: UPLOAD_PATH, headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
    t.equal(res.statusCode, 201, `${filename}: ${res.body}`);
    return res.json().assets[0].id;
  };

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'lamha-fault-redis-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const tmp = path.join(scratch, 'tmp');
  await mkdir(tmp);
  const worker = runEntry('workers/main.ts', workerEnv(ctx, tmp, {
    REDIS_URL: redisServer.url, LOG_LEVEL: 'info', VIDEO_PIECE_SECONDS: '4',
    WORKER_LOCK_MS: '6000', WORKER_STALLED_INTERVAL_MS: '1000',
  }));
  t.teardown(() => worker.child.kill('SIGKILL'));

  const bodies = await Promise.all([0, 1, 2, 3].map(noisePhoto));
  const status = async (id: string) => (await ctx.db.query<{ status: string; progress: number | null }>('SELECT status, progress FROM assets WHERE id = $1', [id])).rows[0];
  const video = await upload('panel.mp4', await readFile(await testClip({ width: 1280, height: 720, fps: 30, seconds: SECONDS })));
  // mid-flow: some of its parts made, not all
  const parts = async () => (await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM video_parts WHERE asset_id = $1', [video])).rows[0]!.n;
  t.ok(await waitFor(async () => (await parts()) >= 1, 120_000), `the video's flow is under way\n${worker.output()}`);
  // photos: the first ones being derived, the others waiting behind them
  const photos = await Promise.all(bodies.map((body, seed) => upload(`noise-${seed}.jpg`, body)));
  const counts = await queues.queues.images.getJobCounts('waiting', 'prioritized', 'active');
  t.ok((counts.waiting ?? 0) + (counts.prioritized ?? 0) > 0, `a photo is waiting (${JSON.stringify(counts)})`);
  const before = await status(video);
  t.ok(before?.status === 'processing' || (before?.status === 'ready' && before.progress! < 100), `the video is not done (${JSON.stringify(before)}, ${await parts()} parts)`);

  await redisServer.kill();
  await redisServer.start();

  const all = [video, ...photos];
  const done = await eventually(async () => Promise.all(all.map(status)), (rows) => rows.every((r) => r?.status !== 'processing' && r?.progress === 100), 150_000);
  t.same(done.map((r) => r?.status), all.map(() => 'ready'), `every asset ends ready\n${worker.output()}`);
  t.match(worker.output(), /Redis is back: queued again/, 'the worker restored the queues when its connection came back');
  t.equal(worker.child.exitCode, null, 'the same worker process, never restarted');

  for (const id of photos) {
    const { rows } = await ctx.db.query<{ key: string }>('SELECT key FROM renditions WHERE asset_id = $1', [id]);
    t.ok(rows.length >= 4, `${id}: ${rows.length} renditions`);
    t.same((await ctx.storage.list(`renditions/${id}/`)).sort(), rows.map((r) => r.key).sort(), `${id}: one set of renditions`);
  }
  await assertOneVideoSet(t, ctx, video, SECONDS);
  // nothing stuck: no job of the media queues is left running, waiting or failed
  for (const queue of [queues.queues.images, queues.queues.videos]) {
    const left = await eventually(() => queue.getJobCounts('active', 'waiting', 'prioritized', 'delayed', 'waiting-children', 'failed'), (c) => Object.values(c).every((n) => n === 0), 10_000);
    t.same(left, { active: 0, waiting: 0, prioritized: 0, delayed: 0, 'waiting-children': 0, failed: 0 }, `no ${queue.name} job left unfinished`);
  }
  worker.child.kill('SIGTERM');
  t.equal((await worker.exit).code, 0);
});
