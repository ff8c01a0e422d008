/**
 * Slow clients, over real sockets: a connection that stalls is closed after the idle timeout,
 * one that trickles its headers past the headers timeout too; an upload that is slow but keeps
 * sending completes however long it takes, and a live stream's heartbeats keep it open.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { buildApp } from '../src/app.js';
import { createTestContext, s3Kinds, seedEvent, type TestContext } from './helpers/context.js';
import { multipart } from './helpers/multipart.js';
import { uploadMemory } from '../src/storage/object-store.js';

const IDLE_MS = 400;
const env = { HTTP_IDLE_TIMEOUT_MS: String(IDLE_MS), HTTP_HEADERS_TIMEOUT_MS: '1000' };
const kind = s3Kinds()[0]!;
type Teardown = { teardown(fn: () => unknown): void };

async function listening(t: Teardown, ctx: TestContext, live?: { heartbeatMs: number }): Promise<{ app: FastifyInstance; port: number }> {
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: ctx.storage, queues: ctx.queues }, ...(live && { live }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return { app, port: (app.server.address() as AddressInfo).port };
}

/** A raw connection; `closed` resolves with the time it was closed and whatever the server sent. */
function connect(port: number): Promise<{ socket: net.Socket; closed: Promise<{ at: number; received: string }> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      let received = '';
      socket.on('data', (c) => (received += c.toString()));
      socket.on('error', () => {});
      resolve({ socket, closed: new Promise((r) => socket.on('close', () => r({ at: Date.now(), received }))) });
    });
    socket.once('error', reject);
  });
}

/** POSTs `form` to the album as the admin over a real socket; a connection error answers status 0 with its message. */
function postOverSocket(port: number, ctx: TestContext, form: ReturnType<typeof multipart>): Promise<{ status: number; body: string }> {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/api/v1/events/conf/albums/day-1/assets',
      headers: { ...ctx.auth(ctx.admin), ...form.headers } }, (r) => {
      let text = '';
      r.on('data', (c) => (text += c));
      r.on('end', () => resolve({ status: r.statusCode!, body: text }));
    });
    req.on('error', reject);
    form.body.pipe(req);
  }).catch((err: Error) => ({ status: 0, body: err.message }));
}

/** Resolves with what `p` gives, or with 'still open' after `ms` (a bound on waiting, not a speed check). */
const within = <T>(p: Promise<T>, ms: number): Promise<T | 'still open'> => Promise.race([p, sleep(ms).then(() => 'still open' as const)]);

t.test('a client that sends its headers and then stalls is cut off after the idle timeout, and nothing is stored', async (t) => {
  const ctx = await createTestContext(t, { s3: kind, env });
  await seedEvent(ctx);
  const { port } = await listening(t, ctx);
  const { socket, closed } = await connect(port);
  t.teardown(() => socket.destroy());
  const sentAt = Date.now();
  socket.write([
    'POST /api/v1/events/conf/albums/day-1/assets HTTP/1.1', 'Host: gallery.test', `Authorization: Bearer ${ctx.admin}`,
    'Content-Type: multipart/form-data; boundary=xyz', 'Content-Length: 100000', '', '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n\xff\xd8\xff',
  ].join('\r\n'));
  const end = await within(closed, 20 * IDLE_MS);
  t.not(end, 'still open', 'the server closed the stalled connection');
  if (end !== 'still open') t.ok(end.at - sentAt >= IDLE_MS - 50, 'not before the idle timeout');
  const { rows } = await ctx.db.query('SELECT id FROM assets');
  t.same(rows, [], 'no asset row');
});

t.test('a client that trickles its headers byte by byte is cut off after the headers timeout', async (t) => {
  const ctx = await createTestContext(t, { s3: kind, env });
  const { port } = await listening(t, ctx);
  const { socket, closed } = await connect(port);
  t.teardown(() => socket.destroy());
  const header = `GET /healthz HTTP/1.1\r\nHost: gallery.test\r\nX-Slow: ${'a'.repeat(200)}`;
  let stop = false;
  void closed.then(() => (stop = true));
  // one byte every 100 ms: never idle, but the headers never end
  const trickle = (async () => {
    for (const ch of header) {
      if (stop) return;
      socket.write(ch);
      await sleep(100);
    }
  })();
  const end = await within(closed, 15_000);
  stop = true;
  await trickle;
  t.not(end, 'still open', 'the server closed the connection whose headers never ended');
});

t.test('an upload that is slow but keeps sending for several idle timeouts completes', async (t) => {
  const ctx = await createTestContext(t, { s3: kind, env });
  await seedEvent(ctx);
  const { port } = await listening(t, ctx);
  const jpeg = readFileSync(new URL('./fixtures/exif-orientation_1.jpg', import.meta.url));
  const form = multipart([{ name: 'file', filename: 'slow.jpg', body: jpeg }]);
  const chunks: Buffer[] = [];
  for await (const c of form.body) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  const pieces = 25; // 25 × 100 ms ≈ 6 idle timeouts
  const started = Date.now();
  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/api/v1/events/conf/albums/day-1/assets',
      headers: { ...ctx.auth(ctx.admin), ...form.headers, 'content-length': String(body.length) } }, (r) => {
      let text = '';
      r.on('data', (c) => (text += c));
      r.on('end', () => resolve({ status: r.statusCode!, body: text }));
    });
    req.on('error', reject);
    void (async () => {
      const size = Math.ceil(body.length / pieces);
      for (let i = 0; i < body.length; i += size) {
        req.write(body.subarray(i, i + size));
        await sleep(100);
      }
      req.end();
    })();
  });
  t.ok(Date.now() - started > 3 * IDLE_MS, 'the upload lasted several idle timeouts');
  t.equal(res.status, 201, res.body);
  t.equal(JSON.parse(res.body).assets.length, 1);
});

t.test('an upload the server is slow to store is answered, however long the store takes: the server\'s waiting is not the client\'s idleness', async (t) => {
  // Under an upload storm (bench/load) the S3 server and the API's own CPU fall behind: the
  // server stops reading bodies (backpressure) and answers late, so no byte moves on the
  // connection for longer than the idle timeout. Hundreds of photographers' uploads were cut
  // off then, though each of them was waiting on the server, not stalled.
  const ctx = await createTestContext(t, { s3: kind, env });
  await seedEvent(ctx);
  const stalls = { count: 0 };
  const slowStorage = {
    ...ctx.storage,
    async put(...args: Parameters<typeof ctx.storage.put>) {
      stalls.count++;
      await sleep(5 * IDLE_MS); // an S3 server far behind: nothing is read meanwhile
      return ctx.storage.put(...args);
    },
  };
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: slowStorage, queues: ctx.queues } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const port = (app.server.address() as AddressInfo).port;
  // a body larger than the socket buffers, so the client too waits on the server to read it
  const jpeg = readFileSync(new URL('./fixtures/exif-orientation_1.jpg', import.meta.url));
  const body = Buffer.concat([jpeg, Buffer.alloc(4 * 1024 * 1024, 7)]);
  const form = multipart([{ name: 'file', filename: 'stored-slowly.jpg', body }]);
  const started = Date.now();
  const res = await postOverSocket(port, ctx, form);
  t.equal(stalls.count, 1, 'the store stalled');
  t.ok(Date.now() - started > 4 * IDLE_MS, 'the answer came after several idle timeouts');
  t.equal(res.status, 201, res.body);
});

t.test('uploads waiting their turn for part memory (UPLOAD_MEMORY_MB spent) are answered, not cut off as idle', async (t) => {
  const ctx = await createTestContext(t, { s3: kind, env });
  await seedEvent(ctx);
  const { port } = await listening(t, ctx);
  // one 5 MiB part for the whole process, each stored slowly: the uploads take turns, each
  // waiting (reading nothing) for several idle timeouts
  const limit = uploadMemory.usage.limit;
  uploadMemory.setLimit(5 * 1024 * 1024);
  t.teardown(() => uploadMemory.setLimit(limit));
  const client = ctx.storage.client;
  const uploadPart = client.uploadPart.bind(client);
  client.uploadPart = async (...args: Parameters<typeof uploadPart>) => {
    await sleep(2 * IDLE_MS);
    return uploadPart(...args);
  };
  let waited = 0;
  const sample = setInterval(() => (waited = Math.max(waited, uploadMemory.usage.waiting)), 5);
  t.teardown(() => clearInterval(sample));
  const jpeg = readFileSync(new URL('./fixtures/exif-orientation_1.jpg', import.meta.url));
  const post = (i: number) => postOverSocket(port, ctx, multipart([{ name: 'file', filename: `turn-${i}.jpg`, body: Buffer.concat([jpeg, Buffer.alloc(11 * 1024 * 1024, i)]) }]));
  const answers = await Promise.all([1, 2, 3].map(post));
  clearInterval(sample);
  t.ok(waited > 0, 'uploads waited for part memory');
  for (const a of answers) t.equal(a.status, 201, a.body);
  const { rows } = await ctx.db.query<{ bytes: string }>('SELECT bytes FROM assets');
  t.same(rows.map((r) => Number(r.bytes)), Array(3).fill(jpeg.length + 11 * 1024 * 1024), 'three whole files');
  t.equal(uploadMemory.usage.bytes, 0, 'the part memory is all given back');
});

t.test('a page the server is slow to answer is answered, however long it takes, and the connection serves the next request', async (t) => {
  // bench/load: visitors' pages waited a minute on the database during an upload storm and
  // their connections were cut at the idle timeout (socket hang up), though the request had
  // been read whole and the server was the one working.
  const ctx = await createTestContext(t, { s3: kind, env });
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: ctx.storage, queues: ctx.queues } });
  app.get('/test/slow', async () => {
    await sleep(5 * IDLE_MS);
    return { slow: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const port = (app.server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const get = (p: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    http.get({ port, host: '127.0.0.1', path: p, agent }, (r) => {
      let text = '';
      r.on('data', (c) => (text += c));
      r.on('end', () => resolve({ status: r.statusCode!, body: text }));
    }).on('error', reject);
  }).catch((err: Error) => ({ status: 0, body: err.message }));
  const res = await get('/test/slow');
  t.equal(res.status, 200, res.body);
  t.equal((await get('/healthz')).status, 200, 'the kept-alive connection serves the next request');
});

t.test('a live stream with nothing to announce is kept open by its heartbeats past an idle timeout shorter than their usual period', async (t) => {
  const ctx = await createTestContext(t, { s3: kind, env });
  await seedEvent(ctx);
  const { port } = await listening(t, ctx, { heartbeatMs: 20_000 });
  let text = '';
  let closedEarly = false;
  const req = http.get({ port, host: '127.0.0.1', path: '/api/v1/events/conf/live', headers: { accept: 'text/event-stream' } });
  t.teardown(() => req.destroy());
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => { req.on('response', resolve); req.on('error', reject); });
  t.equal(res.statusCode, 200);
  res.setEncoding('utf8');
  res.on('close', () => (closedEarly = true));
  const heartbeats = () => text.split(': heartbeat\n\n').length - 1;
  const opened = Date.now();
  // wait until the stream has lived through several idle timeouts (or was cut)
  await new Promise<void>((resolve) => {
    res.on('data', (c: string) => {
      text += c;
      if (Date.now() - opened > 4 * IDLE_MS) resolve();
    });
    res.on('close', () => resolve());
  });
  t.notOk(closedEarly, 'the stream is still open after four idle timeouts');
  t.ok(heartbeats() >= 3, `heartbeats kept it busy (${heartbeats()})`);
});
