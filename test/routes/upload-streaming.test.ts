/**
 * Uploads over real HTTP: big files stream through, limits cut them off, a client that goes
 * away leaves nothing behind, and deleting an asset removes every object it owns.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import t from 'tap';
import { createTestContext, s3Kinds, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart, patternChunks, post } from '../helpers/multipart.js';
import { incompleteUploads } from '../helpers/s3.js';

const MiB = 1024 * 1024;
const JPEG_HEAD = readFileSync(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url)).subarray(0, 4096);
const UPLOAD_PATH = '/api/v1/events/conf/albums/day-1/assets';

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

async function listen(ctx: TestContext): Promise<string> {
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = ctx.app.server.address() as { port: number };
  return `http://127.0.0.1:${addr.port}`;
}

async function leftovers(ctx: TestContext, s3: string) {
  const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets');
  return { objects: await ctx.storage.list(''), rows: rows[0]!.n, incomplete: s3 === 'rgw' ? (await incompleteUploads(ctx.storage)).length : 0 };
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const s3 of s3Kinds()) {
  t.test(`with the ${s3} S3 server`, async (t) => {
    t.test('a 200 MB upload is stored whole: its bytes hash to the SHA-256 the client computed', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const base = await listen(ctx);
      const token = await ctx.mint('photographer', 'conf');
      const body = jpegLike(200 * MiB);
      const form = multipart([{ name: 'file', filename: 'long-panel.jpg', contentType: 'image/jpeg', body: body.stream }]);
      const res = await post(base + UPLOAD_PATH, { ...ctx.auth(token), ...form.headers }, form.body);
      t.equal(res.statusCode, 201, JSON.stringify(res.json));
      const id = res.json.assets[0].id;
      const { rows } = await ctx.db.query("SELECT bytes, encode(sha256, 'hex') AS sha FROM assets WHERE id = $1", [id]);
      t.same(rows[0], { bytes: 200 * MiB, sha: body.sha256() });
      const stored = createHash('sha256');
      let bytes = 0;
      for await (const c of await ctx.storage.get(`originals/${id}`)) {
        stored.update(c);
        bytes += c.length;
      }
      t.equal(bytes, 200 * MiB);
      t.equal(stored.digest('hex'), body.sha256(), 'the stored object hashes to the same SHA-256');
    });

    t.test('a file over UPLOAD_MAX_BYTES gets 413 and its partial object is removed', async (t) => {
      const ctx = await createTestContext(t, { s3, env: { UPLOAD_MAX_BYTES: String(20 * MiB) } });
      await seedEvent(ctx);
      const base = await listen(ctx);
      const token = await ctx.mint('photographer', 'conf');
      const small = jpegLike(1 * MiB);
      const big = jpegLike(40 * MiB);
      const form = multipart([
        { name: 'file', filename: 'ok.jpg', body: small.stream },
        { name: 'file', filename: 'huge.jpg', body: big.stream },
      ]);
      const res = await post(base + UPLOAD_PATH, { ...ctx.auth(token), ...form.headers }, form.body).catch((err: Error) => ({ statusCode: 0, json: { err: err.message } }));
      t.equal(res.statusCode, 413, JSON.stringify(res.json));
      t.equal(res.json.code, 'LAMHA_TOO_LARGE');
      t.match(res.json.message, /limit of 20971520 bytes/);
      t.same(await eventually(() => leftovers(ctx, s3), (l) => l.objects.length === 0 && l.incomplete === 0), { objects: [], rows: 0, incomplete: 0 });
    });

    t.test('a client that disconnects mid-file leaves no object, no row and no multipart upload', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const base = await listen(ctx);
      const token = await ctx.mint('photographer', 'conf');
      const body = jpegLike(60 * MiB);
      const form = multipart([{ name: 'file', filename: 'cut.jpg', body: body.stream }]);
      await new Promise<void>((resolve) => {
        const req = http.request(base + UPLOAD_PATH, { method: 'POST', headers: { ...ctx.auth(token), ...form.headers } });
        req.on('error', () => resolve());
        req.on('response', () => resolve());
        let sent = 0;
        form.body.on('data', (c: Buffer) => {
          sent += c.length;
          // past two S3 parts, so a multipart upload is under way when the client vanishes
          if (sent > 25 * MiB) {
            form.body.destroy();
            req.destroy();
            resolve();
          } else if (!req.write(c)) {
            form.body.pause();
            req.once('drain', () => form.body.resume());
          }
        });
      });
      t.same(await eventually(() => leftovers(ctx, s3), (l) => l.objects.length === 0 && l.incomplete === 0), { objects: [], rows: 0, incomplete: 0 });
      // and the server still serves
      t.equal((await ctx.app.inject({ url: '/healthz' })).statusCode, 200);
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
