/**
 * The S3 server dies (SIGKILL) while an upload streams into it in S3 multipart: the client gets
 * 503 LAMHA_STORAGE_UNAVAILABLE, no asset row is written, /readyz says 503 while it is down; once
 * the server is back on the same port and data dir, no object is left under originals/, /readyz
 * is 200 again and a new upload is stored, without restarting the API.
 *
 * The S3 server is the embedded one (s3rver) in a process of the test's own, so that it can be
 * killed and started again; the API is the real app listening on a loopback port.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { createLogger } from '../../src/log.js';
import { sweepStorage } from '../../src/services/storage-sweep.js';
import { createObjectStore } from '../../src/storage/object-store.js';
import { createTestContext, seedEvent } from '../helpers/context.js';
import { s3Process } from '../helpers/faults.js';
import { multipart, patternChunks, post, postInSteps } from '../helpers/multipart.js';
import { eventually } from '../helpers/processes.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const JPEG = await readFile(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url));
const UPLOAD_PATH = '/api/v1/events/conf/albums/day-1/assets';

/** A JPEG-headed body of `total` bytes, streamed. */
function jpegLike(total: number): Readable {
  const head = JPEG.subarray(0, 4096);
  return Readable.from((function* () {
    yield head;
    yield* patternChunks(total - head.length);
  })());
}

t.test('S3 killed mid-upload: 503 LAMHA_STORAGE_UNAVAILABLE, no row, no orphan object once it is back, and the API works again', async (t) => {
  const ctx = await createTestContext(t);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lamha-fault-s3-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const s3 = await s3Process(t, dataDir);
  const bucket = `lamha-fault-${randomBytes(6).toString('hex')}`;
  const storage = createObjectStore({ endpoint: s3.endpoint, accessKey: 'S3RVER', secretKey: 'S3RVER', bucket, region: 'us-east-1', partSize: PART });
  await storage.ensureBucket();

  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage, queues: ctx.queues } });
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await seedEvent({ ...ctx, app });
  const photographer = await ctx.mint('photographer', 'conf');
  const auth = ctx.auth(photographer);
  const readyz = async () => (await app.inject({ url: '/readyz', headers: ctx.auth(ctx.admin) })).json() as { status: string; checks: Record<string, { ok: boolean }> };
  t.equal((await readyz()).status, 'ready', 'ready before the fault');

  const form = multipart([{ name: 'file', filename: 'panel.jpg', contentType: 'image/jpeg', body: jpegLike(30 * MiB) }]);
  const upload = postInSteps(base + UPLOAD_PATH, { ...auth, ...form.headers }, form.body, 3 * PART);
  await upload.reached;
  // proof that the adapter is in the middle of an S3 multipart upload when the server dies
  const under = await eventually(() => s3.incomplete(bucket), (keys) => keys.length > 0);
  t.match(under, [/^originals\/[0-9a-f-]{36}$/], 'a multipart upload of an original is under way');
  t.notOk(upload.answered(), 'the API has not answered yet');

  await s3.kill();
  const down = await readyz();
  t.same({ status: down.status, storage: down.checks.storage?.ok, postgres: down.checks.postgres?.ok }, { status: 'unavailable', storage: false, postgres: true }, '/readyz: the object store is down');
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 503);

  const started = Date.now();
  upload.resume();
  // the API answers while the client may still be sending: a reset then is an answer lost, and fails the test
  const res = await upload.response;
  t.equal(res.statusCode, 503, JSON.stringify(res.json));
  t.equal(res.json.code, 'LAMHA_STORAGE_UNAVAILABLE');
  t.notMatch(res.json.message, /127\.0\.0\.1|ECONNREFUSED/, 'no internals in the answer');
  t.ok(Date.now() - started < 60_000, `answered in ${((Date.now() - started) / 1000).toFixed(1)} s, not left hanging`);
  const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets');
  t.equal(rows[0]!.n, 0, 'no asset row');
  const other = await app.inject({ method: 'POST', url: UPLOAD_PATH, headers: { ...auth, ...multipart([]).headers }, payload: '' }).catch(() => undefined);
  t.ok(other, 'the API still answers other requests while S3 is down');

  await s3.start();
  t.equal((await eventually(readyz, (r) => r.status === 'ready', 15_000)).status, 'ready', '/readyz is 200 again once S3 is back');
  t.same(await storage.list('originals/'), [], 'no orphan object under originals/');
  // The multipart upload under way when the server died cannot be aborted by a server that is
  // gone; it stays as an incomplete upload (not an object: nothing lists or serves it) until the
  // maintenance sweep aborts it, once it is older than SWEEP_GRACE_HOURS (here: at once).
  t.same(await s3.incomplete(bucket), under, 'only the one cut upload is left incomplete, for the sweep');
  const swept = await sweepStorage({ db: ctx.db, storage, changes: app.services.changes, log: createLogger({ level: 'silent', name: 'sweep' }) }, { graceMs: 0, now: new Date(Date.now() + 1000) });
  t.match(swept, { abortedUploads: 1, orphans: 0 }, 'the sweep aborts it, and finds no orphan');
  t.same(await s3.incomplete(bucket), [], 'nothing of the cut upload is left');

  // a new upload of several S3 parts is stored whole, by the same API process
  const body = Buffer.concat([JPEG, randomBytes(12 * MiB)]);
  const again = multipart([{ name: 'file', filename: 'again.jpg', contentType: 'image/jpeg', body }]);
  const ok = await post(base + UPLOAD_PATH, { ...auth, ...again.headers }, again.body);
  t.equal(ok.statusCode, 201, JSON.stringify(ok.json));
  const id: string = ok.json.assets[0].id;
  const stored = createHash('sha256');
  for await (const c of await storage.get(`originals/${id}`)) stored.update(c as Buffer);
  t.equal(stored.digest('hex'), createHash('sha256').update(body).digest('hex'), 'its original is stored byte for byte');
  t.same(await storage.list('originals/'), [`originals/${id}`], 'and is the only original');
  t.same(await s3.incomplete(bucket), [], 'its multipart upload was completed');
});
