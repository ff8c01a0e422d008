/**
 * Resumable (tus) uploads over real HTTP with tus-js-client, the client browsers and Node use:
 * a 300 MB file whose connection is cut at about half resumes from the offset the server kept
 * and is stored byte for byte; refused files, expired and terminated uploads leave nothing
 * behind; a wrong, expired or revoked token stores nothing. On both S3 lanes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import * as tus from 'tus-js-client';
import { buildApp } from '../../src/app.js';
import { uploadMemory, type ObjectStore } from '../../src/storage/object-store.js';
import { Readable } from 'node:stream';
import { resumableRestKey } from '../../src/storage/keys.js';
import { createTestContext, s3Kinds, seedEvent, type S3Kind, type TestContext } from '../helpers/context.js';
import { s3Lane, type S3Lane } from '../helpers/s3.js';
import { tusRequest } from '../helpers/tus.js';

const MiB = 1024 * 1024;
const JPEG = readFileSync(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url));
const SVG_HEAD = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">\n');

type Teardown = Parameters<typeof createTestContext>[0];

/**
 * A TCP relay in front of the API, as a venue's network is: it can drop every connection once
 * `cutAfter` bytes have gone up through it, and counts what went up.
 */
async function relay(t: Teardown) {
  const state = { target: 0, up: 0, cutAfter: Infinity, cuts: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(state.target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      state.up += chunk.length;
      if (state.up >= state.cutAfter) {
        state.cutAfter = Infinity;
        state.cuts++;
        client.destroy();
        upstream.destroy();
        return;
      }
      // backpressure as a network has it: the relay holds no more than a socket does
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve(undefined)));
  });
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface Server {
  ctx: TestContext;
  lane: S3Lane;
  storage: ObjectStore;
  /** the API's address as clients see it (through the relay) */
  url: string;
  relay: Awaited<ReturnType<typeof relay>>['state'];
  photographer: string;
}

async function tusServer(t: Teardown, s3: S3Kind, env: Record<string, string> = {}): Promise<Server> {
  const r = await relay(t);
  const ctx = await createTestContext(t, { s3, env: { PUBLIC_URL: r.url, ...env } });
  const lane = await s3Lane(t, s3);
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: lane.storage, queues: ctx.queues } });
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  r.state.target = (app.server.address() as AddressInfo).port;
  await seedEvent({ ...ctx, app });
  return { ctx: { ...ctx, app }, lane, storage: lane.storage, url: r.url, relay: r.state, photographer: await ctx.mint('photographer', 'conf') };
}

/** A JPEG-headed file of `bytes` in a temporary directory, and its SHA-256. */
async function bigFile(t: Teardown, bytes: number): Promise<{ file: string; sha256: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-tus-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'panel.jpg');
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  const write = (b: Buffer) => {
    hash.update(b);
    return out.write(b) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  await write(JPEG);
  const block = randomBytes(MiB);
  for (let left = bytes - JPEG.length; left > 0; left -= block.length) await write(left >= block.length ? block : block.subarray(0, left));
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { file, sha256: hash.digest('hex') };
}

async function sha256Of(storage: ObjectStore, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await storage.get(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface TusResult {
  assetId: string;
  duplicate: string;
  sha256: string;
  /** Upload-Offset of every HEAD the client made to resume */
  resumedAt: number[];
}

/** Uploads with tus-js-client as an app would: retrying, resuming from the server's offset. */
function tusUpload(s: Server, input: Buffer | ReturnType<typeof createReadStream>, metadata: Record<string, string>, token = s.photographer): Promise<TusResult> {
  return new Promise((resolve, reject) => {
    const resumedAt: number[] = [];
    let last: tus.HttpResponse | undefined;
    const upload = new tus.Upload(input, {
      endpoint: `${s.url}/api/v1/uploads`,
      headers: { authorization: `Bearer ${token}` },
      metadata,
      retryDelays: [100, 500, 1000, 2000],
      onAfterResponse(req, res) {
        last = res;
        if (req.getMethod() === 'HEAD') resumedAt.push(Number(res.getHeader('Upload-Offset')));
      },
      onSuccess() {
        resolve({
          assetId: last!.getHeader('Lamha-Asset-Id') ?? '', duplicate: last!.getHeader('Lamha-Duplicate') ?? '', sha256: last!.getHeader('Lamha-Sha256') ?? '', resumedAt,
        });
      },
      onError: reject,
    });
    upload.start();
  });
}


async function createUpload(s: Server, length: number, token = s.photographer, meta: Record<string, string> = { event: 'conf', album: 'day-1', filename: 'a.jpg' }) {
  const metadata = Object.entries(meta).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');
  return tusRequest(`${s.url}/api/v1/uploads`, 'POST', { authorization: `Bearer ${token}`, 'upload-length': String(length), 'upload-metadata': metadata });
}

/** Nothing of any upload is left in the bucket but completed originals. */
async function leftovers(s: Server): Promise<{ incomplete: string[]; staged: string[] }> {
  return { incomplete: await s.lane.incomplete(), staged: await s.storage.list('uploads/') };
}

t.test('a resumed write whose stored rest cannot be read fails and gives its part memory back', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const photographer = await ctx.mint('photographer', 'conf');
  const p = (await ctx.app.services.tokens.authenticate(photographer))!;
  const { resumable } = ctx.app.services;
  const first = Buffer.concat([JPEG, randomBytes(MiB)]);
  const upload = await resumable.create(p, 'c'.repeat(32), 20 * MiB, { event: 'conf', album: 'day-1', filename: 'rest.jpg' });
  t.equal(await resumable.write(p, upload.id, 0, Readable.from([first])), first.length, 'less than a part: kept as the rest');
  await ctx.storage.delete(resumableRestKey(upload.id)); // lost from the bucket
  await t.rejects(resumable.write(p, upload.id, first.length, Readable.from([randomBytes(MiB)])));
  t.equal(uploadMemory.usage.bytes, 0, 'no part memory is held after the failure');
});

for (const s3 of s3Kinds()) {
  t.test(`on ${s3}`, async (t) => {
    t.test('a 300 MB upload cut at half resumes from the offset the server kept and is stored byte for byte', async (t) => {
      const s = await tusServer(t, s3);
      const size = 300 * MiB;
      const { file, sha256 } = await bigFile(t, size);
      s.relay.cutAfter = size / 2;
      const result = await tusUpload(s, createReadStream(file), { event: 'conf', album: 'day-1', filename: 'panel.jpg', filetype: 'image/jpeg' });

      t.equal(s.relay.cuts, 1, 'the connection was cut once');
      t.equal(result.resumedAt.length, 1, 'the client asked the server for its offset once');
      const offset = result.resumedAt[0]!;
      // what the server kept: everything up to the cut but the part that was being stored then
      t.ok(offset > size / 2 - 20 * MiB && offset <= size / 2, `resumed at ${(offset / MiB).toFixed(1)} MiB, near the cut at ${size / 2 / MiB} MiB`);
      t.ok(s.relay.up < size + size / 2 - 16 * MiB, `sent ${(s.relay.up / MiB).toFixed(0)} MiB in all: the first half was not sent again`);
      t.equal(result.sha256, sha256, 'the server answered the SHA-256 of the file');
      t.equal(result.duplicate, 'false');

      const { rows } = await s.ctx.db.query<{ sha256: Buffer; bytes: string; status: string; original_filename: string }>(
        'SELECT sha256, bytes, status, original_filename FROM assets WHERE id = $1', [result.assetId]);
      t.equal(rows[0]?.sha256.toString('hex'), sha256, 'the asset records the SHA-256 of the file');
      t.equal(Number(rows[0]?.bytes), size);
      t.equal(rows[0]?.original_filename, 'panel.jpg');
      t.equal(await sha256Of(s.storage, `originals/${result.assetId}`), sha256, 'the stored original is the file byte for byte');
      t.same(await leftovers(s), { incomplete: [], staged: [] }, 'no multipart upload or staged bytes are left');
      t.equal(uploadMemory.usage.bytes, 0, 'the part memory of both requests, the cut one too, is given back');
      const jobs = await s.ctx.queues.queues.images.getJobs(['waiting', 'prioritized']);
      t.ok(jobs.some((j) => (j.data as { assetId: string }).assetId === result.assetId), 'its processing is queued');
    });

    t.test('an SVG is refused from its first bytes before the rest is taken, and nothing stays', async (t) => {
      const s = await tusServer(t, s3);
      const created = await createUpload(s, 50 * MiB, s.photographer, { event: 'conf', album: 'day-1', filename: 'logo.jpg' });
      t.equal(created.status, 201, created.body);
      const location = created.headers.location!;
      t.ok(location.startsWith(`${s.url}/api/v1/uploads/`), 'the upload is at the public address');

      // the body keeps coming until the server answers: count what was sent by then
      let sent = 0;
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(location, {
          method: 'PATCH',
          headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${s.photographer}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(50 * MiB) },
        }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, body: text }));
        });
        req.on('error', (err) => (sent > 0 ? undefined : reject(err)));
        const filler = Buffer.alloc(256 * 1024, 0x20);
        const pump = () => {
          if (sent === 0) {
            sent += SVG_HEAD.length;
            req.write(SVG_HEAD);
          }
          while (sent < 50 * MiB && !req.destroyed) {
            sent += filler.length;
            if (!req.write(filler)) return void req.once('drain', pump);
          }
        };
        pump();
      });
      t.equal(answer.status, 415, answer.body);
      t.equal(JSON.parse(answer.body).code, 'LAMHA_UNSUPPORTED_TYPE');
      t.ok(sent < 20 * MiB, `${(sent / MiB).toFixed(1)} of 50 MiB were sent before the refusal`);
      t.same(await leftovers(s), { incomplete: [], staged: [] }, 'nothing of it is stored');
      t.same(await s.storage.list('originals/'), []);
      t.equal(uploadMemory.usage.bytes, 0, 'its part memory is given back');
      const head = await tusRequest(location, 'HEAD', { authorization: `Bearer ${s.photographer}` });
      t.equal(head.status, 404, 'the upload is gone');
    });

    t.test('an upload not written to for longer than its expiry is deleted with its parts', async (t) => {
      const s = await tusServer(t, s3);
      const created = await createUpload(s, 40 * MiB);
      const location = created.headers.location!;
      t.match(created.headers['upload-expires'], /GMT$/, 'the expiry is announced');
      const body = Buffer.concat([JPEG, randomBytes(11 * MiB)]);
      const patched = await tusRequest(location, 'PATCH', { authorization: `Bearer ${s.photographer}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body);
      t.equal(patched.status, 204, patched.body);
      t.equal(Number(patched.headers['upload-offset']), body.length);
      const before = await leftovers(s);
      t.equal(before.incomplete.length, 1, 'a part is stored');
      t.equal(before.staged.length, 1, 'and the bytes after it');

      const id = location.split('/').pop()!;
      t.equal(await s.ctx.app.services.resumable.expire(), 0, 'a fresh upload is kept');
      await s.ctx.db.query(`UPDATE resumable_uploads SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
      const head = await tusRequest(location, 'HEAD', { authorization: `Bearer ${s.photographer}` });
      t.equal(head.status, 410, 'an expired upload answers 410');
      t.equal(JSON.parse(head.body || '{}').code ?? 'LAMHA_UPLOAD_EXPIRED', 'LAMHA_UPLOAD_EXPIRED');
      t.equal(await s.ctx.app.services.resumable.expire(), 1);
      t.same(await leftovers(s), { incomplete: [], staged: [] }, 'its part and its rest are deleted');
      const { rows } = await s.ctx.db.query('SELECT 1 FROM resumable_uploads WHERE id = $1', [id]);
      t.equal(rows.length, 0, 'and its row');
    });

    t.test('an upload whose requests go to two API processes in turn ends with the SHA-256 of the file', async (t) => {
      const s = await tusServer(t, s3);
      // a second API process on the same database and bucket: it never saw the first requests
      const other = await buildApp(s.ctx.config, { deps: { db: s.ctx.db, redis: s.ctx.redis, storage: s.storage, queues: s.ctx.queues } });
      t.teardown(() => other.close());
      await other.listen({ port: 0, host: '127.0.0.1' });
      const urls = [s.url, `http://127.0.0.1:${(other.server.address() as AddressInfo).port}`];
      const size = 29 * MiB + 12345;
      const file = Buffer.concat([JPEG, randomBytes(size - JPEG.length)]);
      const sha256 = createHash('sha256').update(file).digest('hex');
      const created = await createUpload(s, size);
      t.equal(created.status, 201);
      const path = new URL(created.headers.location!).pathname;
      // the first process twice, the other, the first again (its hash then is of an older offset); each ends mid-part
      let offset = 0;
      let last: Awaited<ReturnType<typeof tusRequest>> | undefined;
      for (const [i, [end, via]] of ([[10 * MiB + 3, 0], [17 * MiB, 0], [26 * MiB + 77, 1], [size, 0]] as const).entries()) {
        last = await tusRequest(`${urls[via]}${path}`, 'PATCH', {
          authorization: `Bearer ${s.photographer}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset),
        }, file.subarray(offset, end));
        t.equal(last.status, 204, `request ${i + 1}: ${last.body}`);
        offset = Number(last.headers['upload-offset']);
        t.equal(offset, end, `request ${i + 1} kept every byte`);
      }
      t.equal(last!.headers['lamha-sha256'], sha256, 'the server answered the SHA-256 of the file');
      const assetId = String(last!.headers['lamha-asset-id']);
      const { rows } = await s.ctx.db.query<{ sha256: Buffer }>('SELECT sha256 FROM assets WHERE id = $1', [assetId]);
      t.equal(rows[0]?.sha256.toString('hex'), sha256, 'the asset records it');
      t.equal(await sha256Of(s.storage, `originals/${assetId}`), sha256, 'the stored original is the file byte for byte');
      t.same(await leftovers(s), { incomplete: [], staged: [] });
    });

    t.test('termination removes what was stored', async (t) => {
      const s = await tusServer(t, s3);
      const created = await createUpload(s, 40 * MiB);
      const location = created.headers.location!;
      await tusRequest(location, 'PATCH', { authorization: `Bearer ${s.photographer}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, Buffer.concat([JPEG, randomBytes(9 * MiB)]));
      const deleted = await tusRequest(location, 'DELETE', { authorization: `Bearer ${s.photographer}` });
      t.equal(deleted.status, 204, deleted.body);
      t.same(await leftovers(s), { incomplete: [], staged: [] });
      t.equal((await tusRequest(location, 'HEAD', { authorization: `Bearer ${s.photographer}` })).status, 404);
    });

    t.test('a wrong, expired or revoked token, or another uploader, is refused before any byte is stored', async (t) => {
      const s = await tusServer(t, s3);
      const bad = await createUpload(s, 10 * MiB, 'lamha_not-a-token');
      t.equal(bad.status, 401);
      t.equal(JSON.parse(bad.body).code, 'LAMHA_UNAUTHORIZED');
      const expired = await s.ctx.mint('photographer', 'conf', { expiresAt: new Date(Date.now() + 1500) });
      await new Promise((r) => setTimeout(r, 1600));
      t.equal((await createUpload(s, 10 * MiB, expired)).status, 401, 'an expired token');
      const press = await s.ctx.mint('press', 'conf');
      t.equal((await createUpload(s, 10 * MiB, press)).status, 403, 'a press token may not upload');

      // a token revoked after its upload began stores nothing more
      const editor = await s.ctx.mint('editor', 'conf');
      const minted = await s.ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: s.ctx.auth(editor), payload: { role: 'photographer', label: 'revoked later' } });
      const { id: tokenId, token } = minted.json() as { id: string; token: string };
      const created = await createUpload(s, 40 * MiB, token);
      t.equal(created.status, 201);
      const other = await createUpload(s, 40 * MiB, s.photographer);
      const foreign = await tusRequest(created.headers.location!, 'PATCH', { authorization: `Bearer ${s.photographer}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, JPEG);
      t.equal(foreign.status, 404, 'another photographer cannot write to it');
      await s.ctx.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${tokenId}`, headers: s.ctx.auth(editor) });
      const revoked = await tusRequest(created.headers.location!, 'PATCH', { authorization: `Bearer ${token}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, Buffer.concat([JPEG, randomBytes(9 * MiB)]));
      t.equal(revoked.status, 401, 'a revoked token');
      t.same(await leftovers(s), { incomplete: [], staged: [] }, 'nothing was stored');
      t.equal(other.status, 201);
    });

    t.test('a token fixed to one album uploads there only', async (t) => {
      const s = await tusServer(t, s3);
      await s.ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers: s.ctx.auth(s.ctx.admin), payload: { slug: 'day-2', title: { en: 'Day two' } } });
      const { rows } = await s.ctx.db.query<{ id: string }>(`SELECT id FROM albums WHERE slug = 'day-2'`);
      await s.ctx.db.query(`UPDATE tokens SET album_id = $1 WHERE token_hash = sha256($2::text::bytea)`, [rows[0]!.id, s.photographer]);
      t.equal((await createUpload(s, JPEG.length)).status, 403, 'not into day-1');
      const result = await tusUpload(s, JPEG, { event: 'conf', filename: 'a.jpg' });
      const asset = await s.ctx.db.query<{ slug: string }>('SELECT al.slug FROM assets a JOIN albums al ON al.id = a.album_id WHERE a.id = $1', [result.assetId]);
      t.equal(asset.rows[0]?.slug, 'day-2', 'without an album named, into its own');
    });

    t.test('the same file twice is one asset; a finish that failed is made by a later HEAD and by the sweep', async (t) => {
      const s = await tusServer(t, s3);
      const first = await tusUpload(s, JPEG, { event: 'conf', album: 'day-1', filename: 'a.jpg', caption: 'صورة', locale: 'ar' });
      const again = await tusUpload(s, JPEG, { event: 'conf', album: 'day-1', filename: 'copy.jpg' });
      t.equal(again.duplicate, 'true');
      t.equal(again.assetId, first.assetId);
      t.same(await s.storage.list('originals/'), [`originals/${first.assetId}`], 'the copy is not kept');
      const caption = await s.ctx.db.query<{ caption: Record<string, string> }>('SELECT caption FROM assets WHERE id = $1', [first.assetId]);
      t.same(caption.rows[0]?.caption, { ar: 'صورة' }, 'the caption is stored in its language');

      // PostgreSQL refuses the asset row once: the upload's bytes are all in, its asset is not made
      await s.ctx.db.query(`CREATE FUNCTION refuse_once() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$ LANGUAGE plpgsql`);
      await s.ctx.db.query('CREATE TRIGGER refuse_once BEFORE INSERT ON assets FOR EACH ROW EXECUTE FUNCTION refuse_once()');
      const other = Buffer.concat([JPEG, randomBytes(1000)]);
      const created = await createUpload(s, other.length);
      const finished = await tusRequest(created.headers.location!, 'PATCH', { authorization: `Bearer ${s.photographer}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, other);
      t.equal(finished.status, 500, 'the finishing request failed');
      await s.ctx.db.query('DROP TRIGGER refuse_once ON assets');
      const head = await tusRequest(created.headers.location!, 'HEAD', { authorization: `Bearer ${s.photographer}` });
      t.equal(head.status, 200);
      t.equal(head.headers['upload-offset'], String(other.length), 'the upload is complete');
      const assetId = head.headers['lamha-asset-id'] as string;
      t.match(assetId, /^[0-9a-f-]{36}$/, 'a HEAD made its asset');
      t.equal(await sha256Of(s.storage, `originals/${assetId}`), createHash('sha256').update(other).digest('hex'));
      const again2 = await tusRequest(created.headers.location!, 'HEAD', { authorization: `Bearer ${s.photographer}` });
      t.equal(again2.headers['lamha-asset-id'], assetId, 'asking again answers the same asset');

      // the sweep finishes one that nobody asks about again
      await s.ctx.db.query('CREATE TRIGGER refuse_once BEFORE INSERT ON assets FOR EACH ROW EXECUTE FUNCTION refuse_once()');
      const third = Buffer.concat([JPEG, randomBytes(2000)]);
      const c3 = await createUpload(s, third.length);
      await tusRequest(c3.headers.location!, 'PATCH', { authorization: `Bearer ${s.photographer}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, third);
      await s.ctx.db.query('DROP TRIGGER refuse_once ON assets');
      t.equal(await s.ctx.app.services.resumable.finishPending(0), 1, 'the sweep finished one upload');
      const made = await s.ctx.db.query('SELECT 1 FROM assets WHERE sha256 = $1', [createHash('sha256').update(third).digest()]);
      t.equal(made.rows.length, 1);
    });
  });
}
