/**
 * GET /metrics: who may read it, and what it says — HTTP series by route pattern (never a raw
 * URL, id, token, query string or address), queue depth read from Redis, storage errors, live
 * clients.
 */
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { createObjectStore, sharedPartPool, uploadMemory } from '../../src/storage/object-store.js';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';

const METRICS_TOKEN = 'metrics-scraper-secret-0123456789abcdefghij';

async function scrape(ctx: TestContext, app = ctx.app): Promise<string> {
  const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (res.statusCode !== 200) throw new Error(`metrics: ${res.statusCode} ${res.body}`);
  return res.body;
}

/** The value of one series, or undefined when it is not there. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test('refuses without credentials, with an unknown token and with a non-admin token; answers the metrics token and an admin', async (t) => {
  const ctx = await createTestContext(t, { env: { METRICS_TOKEN } });
  await seedEvent(ctx);
  const none = await ctx.app.inject({ url: '/metrics' });
  t.equal(none.statusCode, 401);
  t.equal(none.json().code, 'LAMHA_METRICS_UNAUTHORIZED');
  t.match(none.headers['www-authenticate'], /^Bearer/);
  t.equal((await ctx.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })).statusCode, 401, 'a wrong token');
  t.equal((await ctx.app.inject({ url: '/metrics', headers: { authorization: `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}` } })).statusCode, 401, 'not as basic auth');
  const editor = await ctx.app.inject({ url: '/metrics', headers: ctx.auth(await ctx.mint('editor', 'conf')) });
  t.equal(editor.statusCode, 403, 'an editor');
  t.equal(editor.json().code, 'LAMHA_FORBIDDEN');
  const ok = await ctx.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  t.equal(ok.statusCode, 200);
  t.match(ok.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.match(ok.body, /^process_cpu_seconds_total /m, "prom-client's process metrics");
  t.equal((await ctx.app.inject({ url: '/metrics', headers: ctx.auth(ctx.admin) })).statusCode, 200, 'an admin token');
});

t.test('without METRICS_TOKEN, only an admin token reads the metrics', async (t) => {
  const ctx = await createTestContext(t);
  t.equal((await ctx.app.inject({ url: '/metrics' })).statusCode, 401);
  t.equal((await ctx.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).statusCode, 401);
  t.equal((await ctx.app.inject({ url: '/metrics', headers: ctx.auth(ctx.admin) })).statusCode, 200);
});

t.test('HTTP series carry the route pattern, never an id, a token, a query string or an address', async (t) => {
  const ctx = await createTestContext(t, { env: { METRICS_TOKEN } });
  await seedEvent(ctx);
  const press = await ctx.mint('press', 'conf');
  for (let i = 0; i < 3; i++) await ctx.app.inject({ url: '/api/v1/events/conf?secret=query-secret-value', remoteAddress: '203.0.113.77' });
  await ctx.app.inject({ url: '/api/v1/events/conf', headers: ctx.auth(press), remoteAddress: '2001:db8:85a3:8d3:1319:8a2e:370:7348' });
  await ctx.app.inject({ url: '/api/v1/assets/0b0e0c0a-1111-4222-8333-444455556666' });
  await ctx.app.inject({ url: '/s/press-link-secret-value/archive.zip' });
  await ctx.app.inject({ url: '/no/such/path-with-secret-segment' });
  const text = await scrape(ctx);
  t.equal(value(text, 'http_requests_total{method="GET",route="/api/v1/events/:event",status_code="200"}'), 4, 'four reads of one event, by its pattern');
  t.equal(value(text, 'http_requests_total{method="GET",route="/api/v1/assets/:id",status_code="404"}'), 1);
  t.equal(value(text, 'http_requests_total{method="GET",route="unmatched",status_code="404"}'), 1, 'an unknown path is one label');
  t.ok(value(text, 'http_request_duration_seconds_count{method="GET",route="/api/v1/events/:event",status_code="200"}') === 4, 'the duration histogram too');
  const labels = text.split('\n').filter((l) => !l.startsWith('#')).join('\n');
  for (const leak of ['conf"', 'query-secret-value', '?', ctx.admin, press, METRICS_TOKEN, 'press-link-secret-value', 'path-with-secret-segment', '0b0e0c0a', '203.0.113', '2001:db8']) {
    t.notOk(labels.includes(leak), `no label holds ${leak}`);
  }
});

t.test('queue gauges follow the jobs in Redis', async (t) => {
  const ctx = await createTestContext(t, { env: { METRICS_TOKEN } });
  const before = await scrape(ctx);
  t.equal(value(before, 'lamha_queue_jobs{queue="images",state="waiting"}'), 0);
  t.equal(value(before, 'lamha_queue_oldest_waiting_seconds{queue="images"}'), 0);
  t.equal(value(before, 'lamha_queue_metrics_ok'), 1);
  await ctx.queues.enqueue('derive-image', { assetId: '00000000-0000-4000-8000-000000000001' });
  await ctx.queues.enqueue('derive-image', { assetId: '00000000-0000-4000-8000-000000000002' }, { backfill: true });
  await ctx.queues.queues.maintenance.add('purge-asset', { assetId: 'x' }, { delay: 60_000 });
  await new Promise((r) => setTimeout(r, 1100));
  const after = await scrape(ctx);
  t.equal(value(after, 'lamha_queue_jobs{queue="images",state="waiting"}'), 2, 'prioritized jobs count as waiting');
  t.equal(value(after, 'lamha_queue_jobs{queue="maintenance",state="delayed"}'), 1);
  t.equal(value(after, 'lamha_queue_jobs{queue="videos",state="waiting"}'), 0);
  t.ok(value(after, 'lamha_queue_oldest_waiting_seconds{queue="images"}')! >= 1, 'the oldest waiting job has waited a second');
});

t.test('a slow or absent Redis leaves the queue series out instead of hanging the scrape', async (t) => {
  const ctx = await createTestContext(t, { env: { METRICS_TOKEN } });
  // queues on a Redis that never answers: BullMQ waits for it forever
  const { createQueues } = await import('../../src/queues/producer.js');
  const { createRedis } = await import('../../src/redis/connection.js');
  const dead = createRedis('redis://127.0.0.1:1', { forWorker: true });
  dead.on('error', () => {});
  const queues = createQueues({ connection: dead, prefix: 'nowhere' });
  for (const q of Object.values(queues.queues)) q.on('error', () => {});
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: ctx.storage, queues } });
  t.teardown(async () => {
    await app.close();
    dead.disconnect();
  });
  const started = Date.now();
  const text = await scrape(ctx, app);
  t.ok(Date.now() - started < 5_000, `answered in ${Date.now() - started} ms`);
  t.equal(value(text, 'lamha_queue_metrics_ok'), 0);
  t.notMatch(text, /^lamha_queue_jobs\{/m);
});

t.test('storage errors are counted by operation and code', async (t) => {
  const ctx = await createTestContext(t, { env: { METRICS_TOKEN } });
  await ctx.app.storage.get('originals/not-there').catch(() => {});
  t.equal(value(await scrape(ctx), 'lamha_storage_errors_total{operation="get",code="LAMHA_NOT_FOUND"}'), 1);
  // a store nobody answers: readiness fails, and the metrics say where
  const down = createObjectStore({ endpoint: 'http://127.0.0.1:1', accessKey: 'a', secretKey: 'b', bucket: 'nowhere', region: 'us-east-1' });
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: down, queues: ctx.queues } });
  t.teardown(() => app.close());
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 503);
  t.equal(value(await scrape(ctx, app), 'lamha_storage_errors_total{operation="ping",code="LAMHA_STORAGE_UNAVAILABLE"}'), 1);
});

t.test('live clients are counted while their streams are open', async (t) => {
  const ctx = await createTestContext(t, { env: { METRICS_TOKEN } });
  await seedEvent(ctx);
  t.equal(value(await scrape(ctx), 'lamha_live_clients'), 0);
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const address = ctx.app.server.address() as { port: number };
  const controller = new AbortController();
  const res = await fetch(`http://127.0.0.1:${address.port}/api/v1/events/conf/live`, { signal: controller.signal });
  t.equal(res.status, 200);
  t.equal(value(await scrape(ctx), 'lamha_live_clients'), 1);
  controller.abort();
  await new Promise((r) => setTimeout(r, 200));
  t.equal(value(await scrape(ctx), 'lamha_live_clients'), 0);
});

t.test('the uploads\' part memory and the parts waiting for it are reported', async (t) => {
  const ctx = await createTestContext(t, { env: { METRICS_TOKEN } });
  const limit = uploadMemory.usage.limit;
  const part = 5 * 1024 * 1024;
  uploadMemory.setLimit(part);
  t.teardown(() => uploadMemory.setLimit(limit));
  const first = sharedPartPool(part).lease();
  const second = sharedPartPool(part).lease();
  const held = await first.take();
  const waiting = second.take();
  let text = await scrape(ctx);
  t.equal(value(text, 'lamha_upload_memory_bytes'), part);
  t.equal(value(text, 'lamha_upload_memory_waiting'), 1);
  first.give(held);
  second.give(await waiting);
  first.end();
  second.end();
  text = await scrape(ctx);
  t.equal(value(text, 'lamha_upload_memory_bytes'), 0);
  t.equal(value(text, 'lamha_upload_memory_waiting'), 0);
});
