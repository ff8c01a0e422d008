/**
 * Uploads over real HTTP: a file of several S3 parts streams through, limits cut one off, a
 * client that goes away leaves nothing behind, and deleting an asset removes every object it
 * owns. Each S3 lane gets a bucket whose multipart uploads the test can see (test/helpers/s3.ts)
 * and a 5 MiB part size (S3's smallest), so a few tens of MiB are already several parts; the
 * memory and throughput of uploads of hundreds of MiB are measured in bench/upload.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { createTestContext, s3Kinds, seedEvent, type S3Kind, type TestContext } from '../helpers/context.js';
import { multipart, patternChunks, postInSteps } from '../helpers/multipart.js';
import { eventually } from '../helpers/processes.js';
import { s3Lane, type S3Lane } from '../helpers/s3.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const JPEG_HEAD = readFileSync(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url)).subarray(0, 4096);
const UPLOAD_PATH = '/api/v1/events/conf/albums/day-1/assets';

type Teardown = Parameters<typeof createTestContext>[0];

/** A JPEG-headed body of `total` bytes, hashed as it is generated. */
function jpegLike(total: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  async function* gen() {
    hash.update(JPEG_HEAD);
    yield JPEG_HEAD;
    for (const chunk of patternChunks(total - JPEG_HEAD.length)) {
      hash.update(chunk);
      yield chunk;
    }
  }
  let digest: string | undefined;
  return { stream: Readable.from(gen()), sha256: () => (digest ??= hash.digest('hex')) };
}

interface Server {
  ctx: TestContext;
  lane: S3Lane;
  storage: ObjectStore;
  base: string;
  token: string;
}

/** The API listening on a loopback port of its own (port 0), storing into the lane's bucket. */
async function uploadServer(t: Teardown, s3: S3Kind, env: Record<string, string> = {}): Promise<Server> {
  const ctx = await createTestContext(t, { s3, env });
  const lane = await s3Lane(t, s3, { partSize: PART });
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: lane.storage, queues: ctx.queues } });
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  await seedEvent({ ...ctx, app });
  return { ctx: { ...ctx, app }, lane, storage: lane.storage, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, token: await ctx.mint('photographer', 'conf') };
}

async function leftovers(s: Server) {
  const { rows } = await s.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets');
  return { objects: await s.storage.list(''), rows: rows[0]!.n, incomplete: await s.lane.incomplete() };
}

/** The multipart uploads under originals/ once the server has begun one (after its first part). */
const underWay = (s: Server) => eventually(() => s.lane.incomplete('originals/'), (keys) => keys.length > 0);

for (const s3 of s3Kinds()) {
  t.test(`with the ${s3} S3 server`, async (t) => {
    t.test('a file of several S3 parts is stored whole: its bytes hash to the SHA-256 the client computed', async (t) => {
      const s = await uploadServer(t, s3);
      const size = 24 * MiB;
      const body = jpegLike(size);
      const form = multipart([{ name: 'file', filename: 'long-panel.jpg', contentType: 'image/jpeg', body: body.stream }]);
      const post = postInSteps(s.base + UPLOAD_PATH, { ...s.ctx.auth(s.token), ...form.headers }, form.body, 3 * PART);
      await post.reached;
      t.equal((await underWay(s)).length, 1, 'a multipart upload is under way while the client is still sending');
      post.resume();
      const res = await post.response;
      t.equal(res.statusCode, 201, JSON.stringify(res.json));
      const id = res.json.assets[0].id;
      const { rows } = await s.ctx.db.query("SELECT bytes, encode(sha256, 'hex') AS sha FROM assets WHERE id = $1", [id]);
      t.same(rows[0], { bytes: size, sha: body.sha256() });
      const stored = createHash('sha256');
      let bytes = 0;
      for await (const c of await s.storage.get(`originals/${id}`)) {
        stored.update(c);
        bytes += c.length;
      }
      t.equal(bytes, size);
      t.equal(stored.digest('hex'), body.sha256(), 'the stored object hashes to the same SHA-256');
      t.same(await s.lane.incomplete(), [], 'the multipart upload was completed');
    });

    t.test('a file over UPLOAD_MAX_BYTES gets 413 and its partial object is removed', async (t) => {
      const s = await uploadServer(t, s3, { UPLOAD_MAX_BYTES: String(20 * MiB) });
      const small = jpegLike(1 * MiB);
      const big = jpegLike(30 * MiB);
      const form = multipart([
        { name: 'file', filename: 'ok.jpg', body: small.stream },
        { name: 'file', filename: 'huge.jpg', body: big.stream },
      ]);
      const post = postInSteps(s.base + UPLOAD_PATH, { ...s.ctx.auth(s.token), ...form.headers }, form.body, 1 * MiB + 3 * PART);
      await post.reached;
      t.equal((await underWay(s)).length, 1, 'the big file\'s multipart upload is under way before the limit');
      t.equal((await s.storage.list('originals/')).length, 1, 'and the first file is stored');
      post.resume();
      // the server answers and closes while the client may still be writing: a reset is as good as an answer lost
      const res = await post.response.catch((err: Error) => ({ statusCode: 0, json: { err: err.message } }));
      t.equal(res.statusCode, 413, JSON.stringify(res.json));
      t.equal(res.json.code, 'LAMHA_TOO_LARGE');
      t.match(res.json.message, /limit of 20971520 bytes/);
      t.same(await eventually(() => leftovers(s), (l) => l.objects.length === 0 && l.incomplete.length === 0), { objects: [], rows: 0, incomplete: [] });
    });

    t.test('a client that disconnects mid-file leaves no object, no row and no multipart upload', async (t) => {
      const s = await uploadServer(t, s3);
      const body = jpegLike(30 * MiB);
      const form = multipart([{ name: 'file', filename: 'cut.jpg', body: body.stream }]);
      const post = postInSteps(s.base + UPLOAD_PATH, { ...s.ctx.auth(s.token), ...form.headers }, form.body, 3 * PART);
      await post.reached;
      // proof that the upload is in flight when the client vanishes, not refused or finished already
      const inFlight = await underWay(s);
      t.equal(inFlight.length, 1, 'a multipart upload is under way');
      t.match(inFlight[0], /^originals\/[0-9a-f-]{36}$/, 'of an original');
      t.notOk(post.answered(), 'the server has not answered');
      post.abort();
      await t.rejects(post.response, 'the client never gets an answer');
      t.same(await eventually(() => leftovers(s), (l) => l.objects.length === 0 && l.incomplete.length === 0), { objects: [], rows: 0, incomplete: [] });
      // and the server still serves
      t.equal((await s.ctx.app.inject({ url: '/healthz' })).statusCode, 200);
    });

    t.test('deleting an asset removes its row, its original and every rendition object', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const editor = await ctx.mint('editor', 'conf');
      const form = multipart([{ name: 'file', filename: 'a.jpg', body: JPEG_HEAD }]);
      const up = await ctx.app.inject({ method: 'POST', url: UPLOAD_PATH, headers: { ...ctx.auth(editor), ...form.headers }, payload: form.body });
      const id = up.json().assets[0].id;
      for (const name of ['thumb.webp', 'large.webp', 'hls/master.m3u8', 'hls/720p/seg-0001.m4s']) {
        await ctx.storage.put(`renditions/${id}/${name}`, Buffer.from(name));
        await ctx.db.query('INSERT INTO renditions (asset_id, name, key, bytes, type) VALUES ($1, $2, $3, 1, $4)', [id, name, `renditions/${id}/${name}`, 'application/octet-stream']);
      }
      const other = await ctx.storage.put('renditions/00000000-0000-4000-8000-000000000000/thumb.webp', Buffer.from('x'));
      const res = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/assets/${id}`, headers: ctx.auth(editor) });
      t.equal(res.statusCode, 204);
      t.same(await ctx.storage.list(''), [other.key], 'only another asset\'s object remains');
      const { rows } = await ctx.db.query('SELECT (SELECT count(*)::int FROM assets) AS assets, (SELECT count(*)::int FROM renditions) AS renditions');
      t.same(rows[0], { assets: 0, renditions: 0 });
      t.notOk(await ctx.queues.queues.images.getJob(`derive-image-${id}`), 'its queued job is dropped');
    });
  });
}
