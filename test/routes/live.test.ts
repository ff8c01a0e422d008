/**
 * GET /api/v1/events/:event/live: Server-Sent Events fed by Redis pub/sub. Two apps on the same
 * Redis prefix stand for two API processes; announcements come from a separate publishing
 * connection, as from a worker.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { publishAssetReady } from '../../src/redis/live.js';
import { createRedis } from '../../src/redis/connection.js';
import { createTestContext, REDIS_URL, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';

type Teardown = { teardown(fn: () => unknown): void };

/** Announces a ready asset from its row, as the worker does. */
async function announceReady(ctx: TestContext, publisher: Redis, assetId: string): Promise<void> {
  const { rows } = await ctx.db.query<{ event_id: string; album_id: string }>('SELECT event_id, album_id FROM assets WHERE id = $1', [assetId]);
  await publishAssetReady(publisher, ctx.config.redisPrefix, { eventId: rows[0]!.event_id, albumId: rows[0]!.album_id, assetId });
}

const ids = (s: Stream) => s.events().map((e) => e.id);

async function upload(ctx: TestContext, n: number, event = 'conf'): Promise<string> {
  const form = multipart([{ name: 'file', filename: `${n}.jpg`, body: readFileSync(new URL(`../fixtures/exif-orientation_${n}.jpg`, import.meta.url)) }]);
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/events/${event}/albums/day-1/assets`, headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  const id = res.json().assets[0].id as string;
  await ctx.db.query("UPDATE assets SET status = 'ready' WHERE id = $1", [id]);
  return id;
}

/** Another API process: its own app and Redis connection, the same database, bucket and prefix. */
async function apiProcess(t: Teardown, ctx: TestContext, live = { heartbeatMs: 20_000 }): Promise<{ app: FastifyInstance; base: string }> {
  const redis = createRedis(REDIS_URL);
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis, storage: ctx.storage, queues: ctx.queues }, live });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    redis.disconnect();
  });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

interface Stream {
  res: http.IncomingMessage;
  /** every byte received so far */
  text(): string;
  /** the parsed events so far */
  events(): { event: string; id?: string; data: string }[];
  /** resolves when `pred` holds for what has arrived, or rejects after `ms` */
  until(pred: (s: Stream) => boolean, ms?: number): Promise<void>;
  ended: Promise<void>;
  close(): void;
}

function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buf = '';
      const waiters = new Set<() => void>();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (const w of waiters) w();
      });
      const ended = new Promise<void>((r) => res.on('close', r));
      const stream: Stream = {
        res,
        text: () => buf,
        events: () => buf.split('\n\n').filter((b) => /^(event|data):/m.test(b)).map((b) => {
          const field = (n: string) => b.split('\n').find((l) => l.startsWith(`${n}: `))?.slice(n.length + 2);
          return { event: field('event') ?? 'message', ...(field('id') !== undefined && { id: field('id') }), data: field('data') ?? '' };
        }),
        until: (pred, ms = 5_000) => new Promise<void>((ok, fail) => {
          const check = () => {
            if (pred(stream)) {
              waiters.delete(check);
              clearTimeout(timer);
              ok();
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            fail(new Error(`timed out; received: ${JSON.stringify(buf)}`));
          }, ms);
          waiters.add(check);
          check();
        }),
        ended,
        close: () => req.destroy(),
      };
      // the first bytes come once the process is subscribed
      stream.until((s) => s.text().length > 0).then(() => resolve(stream), reject);
    });
    req.on('error', reject);
  });
}

t.test('both API processes deliver an asset announced on Redis, with SSE headers, retry and heartbeats', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const id = await upload(ctx, 1);
  const { rows } = await ctx.db.query<{ event_id: string; album_id: string }>('SELECT event_id, album_id FROM assets WHERE id = $1', [id]);
  const { event_id: eventId, album_id: albumId } = rows[0]!;
  const one = await apiProcess(t, ctx, { heartbeatMs: 150 });
  const two = await apiProcess(t, ctx);

  const a = await openStream(`${one.base}/api/v1/events/conf/live`);
  const b = await openStream(`${two.base}/api/v1/events/conf/live`);
  t.teardown(() => { a.close(); b.close(); });
  for (const s of [a, b]) {
    t.equal(s.res.statusCode, 200);
    t.match(s.res.headers['content-type'], /^text\/event-stream/);
    t.match(s.res.headers['cache-control'], /no-cache/);
    t.equal(s.res.headers['x-accel-buffering'], 'no');
    t.match(s.text(), /^retry: \d+\n/, 'tells the client when to reconnect');
  }

  const publisher = createRedis(REDIS_URL);
  t.teardown(() => publisher.disconnect());
  await publishAssetReady(publisher, ctx.config.redisPrefix, { eventId, albumId, assetId: id });
  for (const [name, s] of [['first process', a], ['second process', b]] as const) {
    await s.until((x) => x.events().length === 1);
    const [e] = s.events();
    t.equal(e!.event, 'asset.ready', name);
    t.equal(e!.id, id, `${name}: the asset id as the event id`);
    t.same(JSON.parse(e!.data), { assetId: id, albumId, eventId }, `${name}: the data`);
  }
  await a.until((x) => x.text().includes(': heartbeat\n\n'), 2_000);
  t.pass('heartbeat comments on an idle stream');

  const { rows: clients } = await ctx.redis.call('CLIENT', 'LIST').then((list) => ({
    rows: String(list).split('\n').filter((l) => l.includes(` name=${ctx.config.redisPrefix}:live `)),
  }));
  t.equal(clients.length, 2, 'one subscriber connection per process, whatever the number of streams');
});

t.test('only assets the public may see are announced, and only to streams of their event', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await seedEvent(ctx, { event: 'other' });
  const [hidden, draft, shown, sentinel, sentinelAfterHiding] = [await upload(ctx, 1), await upload(ctx, 2), await upload(ctx, 3), await upload(ctx, 5), await upload(ctx, 6)];
  const otherSentinel = await upload(ctx, 7, 'other');
  await ctx.db.query('UPDATE assets SET hidden = true WHERE id = $1', [hidden]);
  await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers: ctx.auth(ctx.admin), payload: { slug: 'draft', title: { en: 'Draft' } } });
  await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${draft}`, headers: ctx.auth(ctx.admin), payload: { album: 'draft' } });
  const processing = await upload(ctx, 4);
  await ctx.db.query("UPDATE assets SET status = 'processing' WHERE id = $1", [processing]);
  const { rows } = await ctx.db.query<{ id: string; event_id: string; album_id: string }>('SELECT id, event_id, album_id FROM assets');
  const row = (id: string) => rows.find((r) => r.id === id)!;

  const proc = await apiProcess(t, ctx);
  const conf = await openStream(`${proc.base}/api/v1/events/conf/live`);
  const other = await openStream(`${proc.base}/api/v1/events/other/live`);
  t.teardown(() => { conf.close(); other.close(); });
  const publisher = createRedis(REDIS_URL);
  t.teardown(() => publisher.disconnect());
  const announce = (id: string) => publishAssetReady(publisher, ctx.config.redisPrefix, { eventId: row(id).event_id, albumId: row(id).album_id, assetId: id });
  for (const id of [hidden, draft, processing]) await announce(id);
  await publisher.publish(`${ctx.config.redisPrefix}:live:${row(shown).event_id}`, 'not json');
  await announce(shown);
  await conf.until((s) => s.events().length >= 1);
  // Announcements are checked one by one against the database, concurrently: a sentinel sent
  // once the allowed one is through marks the end of what each stream could have received.
  await announce(sentinel);
  await announce(otherSentinel);
  await conf.until((s) => ids(s).includes(sentinel));
  await other.until((s) => ids(s).includes(otherSentinel));
  t.same(conf.events().map((e) => JSON.parse(e.data).assetId), [shown, sentinel], 'hidden, draft-album and processing assets are not announced');
  t.same(ids(other), [otherSentinel], 'another event\'s stream hears only its own');

  await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${shown}`, headers: ctx.auth(ctx.admin), payload: { hidden: true } });
  await announce(shown);
  await announce(sentinelAfterHiding);
  await conf.until((s) => ids(s).includes(sentinelAfterHiding));
  t.same(ids(conf), [shown, sentinel, sentinelAfterHiding], 'hidden after it was announced: not announced again');
});

t.test('draft and unknown events have no live stream for the public', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { event: 'draft', publish: false });
  t.equal((await ctx.app.inject({ url: '/api/v1/events/draft/live' })).statusCode, 404);
  t.equal((await ctx.app.inject({ url: '/api/v1/events/nope/live' })).statusCode, 404);
  t.equal(ctx.app.live.size, 0);
});

t.test('clients that go away leave nothing behind; closing the app ends open streams at once', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const id = await upload(ctx, 1);
  const redis = createRedis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis, storage: ctx.storage, queues: ctx.queues } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const streams = await Promise.all(Array.from({ length: 20 }, () => openStream(`${base}/api/v1/events/conf/live`)));
  t.equal(app.live.size, 20);
  for (const s of streams) s.close();
  await Promise.all(streams.map((s) => s.ended));
  const until = Date.now() + 2_000;
  while (app.live.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.equal(app.live.size, 0, 'every stream removed when its client left');
  // an announcement with no one listening is dropped; the next client still gets the next one
  await announceReady(ctx, redis, id);
  const open = await Promise.all([openStream(`${base}/api/v1/events/conf/live`), openStream(`${base}/api/v1/events/conf/live`)]);
  const next = await upload(ctx, 2);
  await announceReady(ctx, redis, next);
  for (const s of open) await s.until((x) => x.events().length > 0);
  t.same(open.map(ids), [[next], [next]], 'a client that came after hears the next announcement, not the one made before it came');

  const started = Date.now();
  await app.close();
  t.ok(Date.now() - started < 10_000, `app.close() did not wait for the streams (${Date.now() - started} ms)`);
  await Promise.all(open.map((s) => s.ended));
  t.pass('the clients saw their streams end');
  t.equal(app.live.size, 0);
  const list = String(await ctx.redis.call('CLIENT', 'LIST'));
  t.notOk(list.includes(` name=${ctx.config.redisPrefix}:live `), 'the subscriber connection is closed');
});

t.test('without Redis the live stream answers 503 LAMHA_LIVE_UNAVAILABLE', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const dead = createRedis('redis://127.0.0.1:1');
  dead.on('error', () => {});
  t.teardown(() => dead.disconnect());
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: dead, storage: ctx.storage, queues: ctx.queues } });
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/api/v1/events/conf/live' });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'LAMHA_LIVE_UNAVAILABLE');
  t.equal(app.live.size, 0);
});

t.test('a client reconnecting with Last-Event-ID is first told of the public assets that became ready since', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const [seen, missed, hidden, later, sentinel] = [await upload(ctx, 1), await upload(ctx, 2), await upload(ctx, 3), await upload(ctx, 4), await upload(ctx, 5)];
  await ctx.db.query('UPDATE assets SET hidden = true WHERE id = $1', [hidden]);
  // ready times as the worker records them: the renditions' and the row's, in one transaction
  const readyAt = [[seen, '2026-12-01T10:00:00Z'], [missed, '2026-12-01T10:05:00Z'], [hidden, '2026-12-01T10:06:00Z'], [later, '2026-12-01T10:07:00Z']];
  for (const [id, at] of readyAt) {
    await ctx.db.query("INSERT INTO renditions (asset_id, name, key, bytes, type, created_at) VALUES ($1, 'thumb.webp', $2, 1, 'image/webp', $3)", [id, `renditions/${id}/thumb.webp`, at]);
    await ctx.db.query('UPDATE assets SET updated_at = $2 WHERE id = $1', [id, at]);
  }
  const proc = await apiProcess(t, ctx);
  // what a reconnecting EventSource sends: the id of the last event it received
  const resumed = await openStream(`${proc.base}/api/v1/events/conf/live`, { 'last-event-id': seen! });
  t.teardown(() => resumed.close());
  await resumed.until((s) => s.events().length >= 2);
  const fresh = await openStream(`${proc.base}/api/v1/events/conf/live`);
  t.teardown(() => fresh.close());
  // a live announcement after the replay marks the end of what either stream could have been sent
  const publisher = createRedis(REDIS_URL);
  t.teardown(() => publisher.disconnect());
  await announceReady(ctx, publisher, sentinel);
  await resumed.until((s) => ids(s).includes(sentinel));
  await fresh.until((s) => ids(s).includes(sentinel));
  t.same(ids(resumed), [missed, later, sentinel], 'the missed ones, oldest first; not the one it had, not the hidden one');
  t.same(ids(fresh), [sentinel], 'a new client gets no replay');
});

/** A GET of the live stream from `localAddress`: its status and, when refused, its JSON body. */
function tryStream(url: string, localAddress = '127.0.0.1'): Promise<{ status: number; body?: Record<string, unknown>; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode === 200) return resolve({ status: 200, req });
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), req }));
    });
    req.on('error', reject);
  });
}

t.test('live streams are capped per client address (429 LAMHA_LIVE_TOO_MANY) and in total (503 LAMHA_LIVE_FULL)', async (t) => {
  const ctx = await createTestContext(t, { env: { LIVE_MAX_STREAMS_PER_ADDRESS: '2', LIVE_MAX_STREAMS: '3' } });
  await seedEvent(ctx);
  const { base } = await apiProcess(t, ctx);
  const url = `${base}/api/v1/events/conf/live`;
  const a = await tryStream(url);
  const b = await tryStream(url);
  t.teardown(() => { a.req.destroy(); b.req.destroy(); });
  t.same([a.status, b.status], [200, 200]);
  const refused = await tryStream(url);
  t.equal(refused.status, 429);
  t.same(refused.body, { statusCode: 429, code: 'LAMHA_LIVE_TOO_MANY', error: 'Too Many Requests', message: refused.body?.message });

  a.req.destroy();
  let again = await tryStream(url);
  for (let i = 0; again.status !== 200 && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20)); // the server sees the close a moment later
    again = await tryStream(url);
  }
  t.teardown(() => again.req.destroy());
  t.equal(again.status, 200, 'a closed stream frees its place');

  const other = await tryStream(url, '127.0.0.2');
  t.teardown(() => other.req.destroy());
  t.equal(other.status, 200, 'another address has places of its own');
  const full = await tryStream(url, '127.0.0.3');
  t.equal(full.status, 503);
  t.equal(full.body?.code, 'LAMHA_LIVE_FULL');
});
