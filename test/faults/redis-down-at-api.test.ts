/**
 * Redis down under the API, for longer than its reconnection back-off: Redis holds only the
 * queues, the rate limits, the live feed and console sessions, none of them the archive. So
 * uploads are taken (stored, recorded `processing`; the sweep queues them once Redis is back),
 * the gallery is served as fast as with Redis up, /readyz says 503 (a load balancer may keep
 * the process, /healthz says it lives), and once Redis is back, empty, a worker makes what was
 * uploaded meanwhile.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { createTestContext, seedEvent } from '../helpers/context.js';
import { apiOnRedis, redisProcess } from '../helpers/faults.js';
import { multipart } from '../helpers/multipart.js';
import { eventually, runEntry } from '../helpers/processes.js';
import { workerEnv } from '../helpers/worker-process.js';

const UPLOAD_PATH = '/api/v1/events/conf/albums/day-1/assets';
const JPEG = readFileSync(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url));

t.test('Redis down under the API: uploads are taken and made once it is back, the gallery is served at its usual pace, /readyz says 503', async (t) => {
  const ctx = await createTestContext(t, { ownDatabase: true });
  await seedEvent(ctx);
  const redisServer = await redisProcess(t);
  const { app } = await apiOnRedis(t, ctx, redisServer.url);
  let n = 0;
  const upload = async () => {
    // a different file each time: the same bytes twice would be one asset
    const form = multipart([{ name: 'file', filename: `photo-${++n}.jpg`, body: Buffer.concat([JPEG, Buffer.from(`#${n}`)]) }]);
    const started = Date.now();
    const res = await app.inject({ method: 'POST', url: UPLOAD_PATH, headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
    return { res, ms: Date.now() - started };
  };
  const timed = async (url: string) => {
    const started = Date.now();
    const res = await app.inject({ url, headers: { 'accept-language': 'en' } });
    return { status: res.statusCode, ms: Date.now() - started, body: res.body };
  };
  const before = await upload();
  t.equal(before.res.statusCode, 201, before.res.body);

  await redisServer.kill();
  // longer than ioredis's back-off reaches its cap (2 s between attempts)
  await sleep(6_000);

  const during = await upload();
  t.equal(during.res.statusCode, 201, `an upload is taken: ${during.res.body}`);
  const taken = during.res.json().assets[0];
  t.match(taken, { status: 'processing', duplicate: false });
  t.ok(during.ms < 5_000, `answered in ${during.ms} ms, without waiting on Redis's reconnection`);
  for (const url of ['/en/e/conf/day-1', '/ar/e/conf', '/api/v1/events/conf/albums/day-1', '/en/e/conf/day-1']) {
    const page = await timed(url);
    t.equal(page.status, 200, `${url}: ${page.body.slice(0, 200)}`);
    t.ok(page.ms < 5_000, `${url} answered in ${page.ms} ms`);
  }
  const ready = await timed('/readyz');
  t.equal(ready.status, 503, 'not ready while Redis is down');
  t.match(JSON.parse(ready.body), { checks: { redis: { ok: false } } });
  t.ok(ready.ms < 5_000, `/readyz answered in ${ready.ms} ms`);
  t.equal((await timed('/healthz')).status, 200, 'but alive');

  await redisServer.start();
  t.equal((await eventually(() => timed('/readyz'), (r) => r.status === 200, 20_000)).status, 200, 'ready again once Redis is back');
  const after = await upload();
  t.equal(after.res.statusCode, 201, after.res.body);

  // a worker on the empty Redis: its start-up sweep queues the upload made while Redis was down
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'lamha-fault-redis-api-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const tmp = path.join(scratch, 'tmp');
  await mkdir(tmp);
  const worker = runEntry('workers/main.ts', workerEnv(ctx, tmp, { REDIS_URL: redisServer.url, LOG_LEVEL: 'info' }));
  t.teardown(() => worker.child.kill('SIGKILL'));
  const ids = [before, during, after].map((u) => u.res.json().assets[0].id as string);
  const statuses = await eventually(
    async () => (await ctx.db.query<{ id: string; status: string }>('SELECT id, status FROM assets WHERE id = ANY($1)', [ids])).rows,
    (rows) => rows.length === 3 && rows.every((r) => r.status === 'ready'),
    120_000,
  );
  t.same(statuses.map((r) => r.status), ['ready', 'ready', 'ready'], `every upload is made, the one taken while Redis was down too\n${worker.output()}`);
  worker.child.kill('SIGTERM');
  t.equal((await worker.exit).code, 0);
});
