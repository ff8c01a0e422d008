/**
 * A client whose connection is destroyed in the middle of an upload's body.
 *
 * A multipart POST cut mid-file (in S3 multipart by then) leaves no row, no object and no
 * incomplete multipart upload: proven on both S3 lanes by test/routes/upload-streaming.test.ts
 * ("a client that disconnects mid-file leaves no object, no row and no multipart upload"), which
 * reads the in-progress uploads from the S3 server itself; not repeated here.
 *
 * Here, a tus PATCH cut mid-body: no asset and no original appear, the upload stays resumable
 * (HEAD answers the offset of what was stored), and a PATCH from that offset completes it with
 * the exact bytes of the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { createTestContext, s3Kinds, seedEvent } from '../helpers/context.js';
import { eventually, waitFor } from '../helpers/processes.js';
import { s3Lane } from '../helpers/s3.js';
import { tusRequest as tus } from '../helpers/tus.js';

const MiB = 1024 * 1024;
const JPEG = readFileSync(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url));


for (const s3 of s3Kinds()) {
  t.test(`a tus PATCH cut mid-body on ${s3} keeps what was stored: no asset yet, HEAD gives the offset, a resumed PATCH completes the file byte for byte`, async (t) => {
    const ctx = await createTestContext(t, { s3 });
    const lane = await s3Lane(t, s3);
    const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: lane.storage, queues: ctx.queues } });
    t.teardown(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    await seedEvent({ ...ctx, app });
    const auth = ctx.auth(await ctx.mint('photographer', 'conf'));

    const size = 24 * MiB + 12345;
    const file = Buffer.concat([JPEG, randomBytes(size - JPEG.length)]);
    const meta = Object.entries({ event: 'conf', album: 'day-1', filename: 'cut.jpg' }).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');
    const created = await tus(`${base}/api/v1/uploads`, 'POST', { ...auth, 'upload-length': String(size), 'upload-metadata': meta });
    t.equal(created.status, 201, created.body);
    // the API names it at its PUBLIC_URL: the same path on this listener
    const location = `${base}${new URL(created.headers.location!).pathname}`;
    const id = location.split('/').pop()!;
    const received = async () => (await ctx.db.query<{ received: number }>('SELECT received FROM resumable_uploads WHERE id = $1', [id])).rows[0]?.received ?? 0;

    // the PATCH sends the whole file's length, but the connection is destroyed once a part is stored
    const req = http.request(location, {
      method: 'PATCH',
      headers: { 'tus-resumable': '1.0.0', ...auth, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(size) },
    });
    const answered = new Promise<number>((resolve) => {
      req.on('response', (res) => resolve(res.statusCode!));
      req.on('error', () => resolve(0));
      req.on('close', () => resolve(0));
    });
    let sent = 0;
    const chunk = 256 * 1024;
    const cutAt = 13 * MiB + 777;
    await new Promise<void>((resolve, reject) => {
      req.once('error', reject);
      const pump = () => {
        while (sent < cutAt) {
          const n = Math.min(chunk, cutAt - sent);
          const ok = req.write(file.subarray(sent, sent + n));
          sent += n;
          if (!ok) return void req.once('drain', pump);
        }
        resolve();
      };
      pump();
    });
    t.ok(await waitFor(async () => (await received()) > 0, 20_000), 'a part of it is stored while the body is still coming');
    t.same(await lane.incomplete('originals/'), [`originals/${(await ctx.db.query<{ asset_id: string }>('SELECT asset_id FROM resumable_uploads WHERE id = $1', [id])).rows[0]!.asset_id}`], 'in an S3 multipart upload of its original');
    req.destroy();
    t.equal(await answered, 0, 'the client went away without an answer');

    // the server finishes with the cut body on its own time: its offset settles
    const head = async () => tus(location, 'HEAD', auth);
    let last = -1;
    const settled = await eventually(async () => {
      await new Promise((r) => setTimeout(r, 300));
      const h = await head();
      const offset = Number(h.headers['upload-offset']);
      const same = offset === last;
      last = offset;
      return { status: h.status, offset, same };
    }, (r) => r.same, 15_000);
    t.equal(settled.status, 200, 'the upload is still there');
    t.ok(settled.offset >= 5 * MiB && settled.offset <= cutAt, `HEAD: ${settled.offset} of the ${cutAt} bytes sent are stored`);
    t.equal(settled.offset, await received(), 'the offset is what the server recorded as stored');
    const { rows: [counts] } = await ctx.db.query<{ assets: number }>('SELECT count(*)::int AS assets FROM assets');
    t.equal(counts!.assets, 0, 'no asset yet');
    t.same(await lane.storage.list('originals/'), [], 'no original yet');

    const resumed = await tus(location, 'PATCH', { ...auth, 'upload-offset': String(settled.offset), 'content-type': 'application/offset+octet-stream' }, file.subarray(settled.offset));
    t.equal(resumed.status, 204, resumed.body);
    t.equal(Number(resumed.headers['upload-offset']), size, 'every byte is in');
    const assetId = String(resumed.headers['lamha-asset-id']);
    const sha256 = createHash('sha256').update(file).digest('hex');
    t.equal(resumed.headers['lamha-sha256'], sha256, 'the server answers the SHA-256 of the file');
    const stored = createHash('sha256');
    let bytes = 0;
    for await (const c of await lane.storage.get(`originals/${assetId}`)) {
      stored.update(c as Buffer);
      bytes += (c as Buffer).length;
    }
    t.equal(bytes, size);
    t.equal(stored.digest('hex'), sha256, 'the original is the file byte for byte');
    const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets');
    t.equal(rows[0]!.n, 1, 'one asset');
    t.same(await lane.incomplete(), [], 'no multipart upload left');
    t.same(await lane.storage.list('uploads/'), [], 'no staged bytes left');
  });
}
