/**
 * Upload rights are checked again before an upload commits: a token revoked while its upload
 * streams stores nothing — no row, no object, no multipart upload, no job.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { createTestContext, s3Kinds, seedEvent } from '../helpers/context.js';
import { multipart, patternChunks, postInSteps } from '../helpers/multipart.js';
import { eventually } from '../helpers/processes.js';
import { s3Lane } from '../helpers/s3.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const JPEG_HEAD = readFileSync(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url)).subarray(0, 4096);

function jpegLike(total: number): Readable {
  return Readable.from((function* () {
    yield JPEG_HEAD;
    yield* patternChunks(total - JPEG_HEAD.length);
  })());
}

for (const s3 of s3Kinds()) {
  t.test(`with the ${s3} S3 server`, async (t) => {
    for (const revoke of ['the token itself', 'the editor that minted it'] as const) {
      t.test(`revoking ${revoke} mid-upload stores nothing and answers 401`, async (t) => {
        const ctx = await createTestContext(t, { s3 });
        const lane = await s3Lane(t, s3, { partSize: PART });
        const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: lane.storage, queues: ctx.queues } });
        t.teardown(() => app.close());
        await app.listen({ port: 0, host: '127.0.0.1' });
        await seedEvent({ ...ctx, app });
        const editor = await ctx.mint('editor', 'conf');
        const minted = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: ctx.auth(editor), payload: { role: 'photographer', label: 'p' } });
        const photographer: { id: string; token: string } = minted.json();
        const { rows: ed } = await ctx.db.query<{ id: string }>('SELECT created_by AS id FROM tokens WHERE id = $1', [photographer.id]);

        const form = multipart([{ name: 'file', filename: 'a.jpg', contentType: 'image/jpeg', body: jpegLike(3 * PART) }]);
        const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
        const post = postInSteps(`${base}/api/v1/events/conf/albums/day-1/assets`, { ...ctx.auth(photographer.token), ...form.headers }, form.body, 2 * PART);
        await post.reached;
        const underWay = await eventually(() => lane.incomplete('originals/'), (k) => k.length > 0);
        t.equal(underWay.length, 1, 'the upload is in flight when the token is revoked');
        const target = revoke === 'the token itself' ? photographer.id : ed[0]!.id;
        const del = await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${target}`, headers: ctx.auth(ctx.admin) });
        t.equal(del.statusCode, 204);
        post.resume();
        const res = await post.response;
        t.equal(res.statusCode, 401, JSON.stringify(res.json));
        t.equal(res.json.code, 'LAMHA_UNAUTHORIZED');
        const left = await eventually(async () => ({
          rows: (await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets')).rows[0]!.n,
          objects: await lane.storage.list(''),
          incomplete: await lane.incomplete(),
        }), (l) => l.objects.length === 0 && l.incomplete.length === 0);
        t.same(left, { rows: 0, objects: [], incomplete: [] }, 'no row, no object, no multipart upload');
        for (const [name, queue] of Object.entries(ctx.queues.queues)) {
          const counts = await queue.getJobCounts();
          t.equal(Object.values(counts).reduce((a, b) => a + b, 0), 0, `no ${name} job`);
        }
      });
    }
  });
}
