/**
 * PostgreSQL restarted (fast shutdown, then started again on the same data dir) while uploads
 * are taken and a worker process is making renditions: while it is down the API answers 503
 * LAMHA_DATABASE_UNAVAILABLE at once (not 500, not a hang) and /readyz is 503; once it is back,
 * the same API process and the same worker process carry on: every asset accepted before or
 * after ends ready, and no job is left active, waiting or failed.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { createDb, ensureDatabase, migrate } from '../../src/db/database.js';
import { insertToken } from '../../src/db/tokens.js';
import { generateToken, hashToken } from '../../src/services/tokens.js';
import { buildTestApp, REDIS_URL, seedEvent, testStorage, type TestContext } from '../helpers/context.js';
import { testClip } from '../helpers/clips.js';
import { privatePostgres } from '../helpers/faults.js';
import { multipart } from '../helpers/multipart.js';
import { eventually, runEntry, waitFor } from '../helpers/processes.js';
import { lamhaDirs } from '../helpers/worker-process.js';

const UPLOAD_PATH = '/api/v1/events/conf/albums/day-1/assets';
const fixture = (name: string) => readFile(new URL(`../fixtures/${name}`, import.meta.url));

/** Photos of noise, each different: a few seconds of work for the worker. */
function noisePhoto(seed: number): Promise<Buffer> {
  return sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 100 + seed, sigma: 50 } } }).jpeg({ quality: 90 }).toBuffer();
}

t.test('PostgreSQL restarted under uploads and processing: 503 while it is down, then every asset ready and no job stuck, without restarting anything', async (t) => {
  const pg = await privatePostgres(t);
  const url = pg.url('lamha');
  await ensureDatabase(url);
  await migrate(url);
  const db = createDb({ url });
  t.teardown(() => db.end());
  const storage = await testStorage(t);
  const { app, config, queues } = await buildTestApp(t, { url, db, storage });
  const mint = async (role: 'admin' | 'photographer', eventId: string | null = null) => {
    const token = generateToken();
    await insertToken(db, { hash: hashToken(token), role, eventId, label: `test ${role}`, createdBy: null, expiresAt: null });
    return token;
  };
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const admin = await mint('admin');
  await seedEvent({ app, admin, auth } as unknown as TestContext);
  const { rows: [event] } = await db.query<{ id: string }>(`SELECT id FROM events WHERE slug = 'conf'`);
  const photographer = await mint('photographer', event!.id);

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'lamha-fault-pg-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const tmp = path.join(scratch, 'tmp');
  await mkdir(tmp);
  const worker = runEntry('workers/main.ts', {
    DATABASE_URL: url, REDIS_URL, REDIS_PREFIX: config.redisPrefix,
    S3_ENDPOINT: storage.endpoint, S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? 'S3RVER', S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? 'S3RVER',
    S3_BUCKET: storage.bucket, TMPDIR: tmp, LOG_LEVEL: 'warn',
  });
  t.teardown(() => worker.child.kill('SIGKILL'));

  const upload = async (filename: string, body: Buffer) => {
    const form = multipart([{ name: 'file', filename, body }]);
    return app.inject({ method: 'POST', url: UPLOAD_PATH, headers: { ...auth(photographer), ...form.headers }, payload: form.body });
  };
  const accepted: string[] = [];
  const uploadOk = async (filename: string, body: Buffer) => {
    const res = await upload(filename, body);
    t.equal(res.statusCode, 201, `${filename}: ${res.body}`);
    if (res.statusCode === 201) accepted.push(res.json().assets[0].id);
  };

  // before: photos being processed, and a short video (a video job failed by the outage waits
  // out its backoff, 10 to 30 s, before it runs again)
  for (const seed of [0, 1, 2]) await uploadOk(`noise-${seed}.jpg`, await noisePhoto(seed));
  await uploadOk('orientation-1.jpg', await fixture('exif-orientation_1.jpg'));
  await uploadOk('clip.mp4', await readFile(await testClip({ width: 640, height: 360, fps: 25, seconds: 6 })));
  t.ok(await waitFor(async () => (await lamhaDirs(tmp)).length > 0, 60_000), `the worker is processing when PostgreSQL stops\n${worker.output()}`);

  await pg.stop();
  // as a load balancer asks: without a token
  const readyz = async () => app.inject({ url: '/readyz' });
  const down = await readyz();
  t.equal(down.statusCode, 503, `/readyz is 503: ${down.body}`);
  t.match(down.json(), { status: 'unavailable', checks: { postgres: { ok: false }, redis: { ok: true }, storage: { ok: true } } });
  // with an admin token, which cannot be checked now
  const asAdmin = await app.inject({ url: '/readyz', headers: auth(admin) });
  t.match({ statusCode: asAdmin.statusCode, code: asAdmin.json().code }, { statusCode: 503, code: 'LAMHA_DATABASE_UNAVAILABLE' }, `/readyz with a token: ${asAdmin.body}`);
  const objectsBefore = (await storage.list('originals/')).length;
  for (const [what, request] of [
    ['an upload', () => upload('orientation-2.jpg', Buffer.alloc(0))],
    ['the album', () => app.inject({ url: '/api/v1/events/conf/albums/day-1' })],
    ['an asset', () => app.inject({ url: `/api/v1/assets/${accepted[0]}`, headers: auth(admin) })],
  ] as const) {
    const started = Date.now();
    const res = await request();
    t.match({ statusCode: res.statusCode, code: res.json().code }, { statusCode: 503, code: 'LAMHA_DATABASE_UNAVAILABLE' }, `${what}: 503 (${res.body})`);
    t.notMatch(res.body, /ECONNREFUSED|127\.0\.0\.1|terminat/i, 'no internals in the answer');
    t.ok(Date.now() - started < 5_000, `${what}: answered in ${Date.now() - started} ms`);
  }
  const refused = await upload('orientation-3.jpg', await fixture('exif-orientation_3.jpg'));
  t.equal(refused.statusCode, 503, 'a whole upload is refused too');
  t.equal((await storage.list('originals/')).length, objectsBefore, 'and nothing of it is stored');
  // the worker meets the outage too (its jobs fail and are retried), and lives on
  await new Promise((r) => setTimeout(r, 3000));
  t.equal(worker.child.exitCode, null, 'the worker process is still running');

  await pg.start();
  t.equal((await eventually(readyz, (r) => r.statusCode === 200, 15_000)).statusCode, 200, '/readyz is 200 again, without restarting the API');
  await uploadOk('orientation-4.jpg', await fixture('exif-orientation_4.jpg'));
  await uploadOk('noise-3.jpg', await noisePhoto(3));

  const statuses = async () => (await db.query<{ id: string; status: string; progress: number | null; error: string | null }>('SELECT id, status, progress, error FROM assets ORDER BY created_at')).rows;
  const end = await eventually(statuses, (rows) => rows.every((r) => r.status !== 'processing' && r.progress === 100), 150_000);
  t.same(end.map((r) => r.id).sort(), [...accepted].sort(), 'every accepted asset, and only those');
  t.same(end.filter((r) => r.status !== 'ready' || r.progress !== 100), [], `every asset ends ready\n${worker.output()}`);
  // nothing stuck: every job of the media queues is completed (the job that made the last asset
  // ready may take a moment more to record its completion)
  for (const queue of [queues.queues.images, queues.queues.videos]) {
    const counts = await eventually(
      () => queue.getJobCounts('active', 'waiting', 'prioritized', 'delayed', 'waiting-children', 'failed'),
      (c) => Object.values(c).every((n) => n === 0), 30_000,
    );
    t.same(counts, { active: 0, waiting: 0, prioritized: 0, delayed: 0, 'waiting-children': 0, failed: 0 }, `no ${queue.name} job left unfinished`);
  }
  t.equal(worker.child.exitCode, null, 'the same worker process did it all');
});
