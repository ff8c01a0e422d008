import { PassThrough } from 'node:stream';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { createTestContext, seedEvent } from '../helpers/context.js';

t.test('logs hold neither bearer tokens, query strings nor full client addresses', async (t) => {
  const ctx = await createTestContext(t);
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => lines.push(...c.toString('utf8').split('\n').filter(Boolean)));
  const app = await buildApp({ ...ctx.config, logLevel: 'info' }, { deps: { db: ctx.db, redis: ctx.redis, storage: ctx.storage, queues: ctx.queues }, logStream: stream });
  t.teardown(() => app.close());
  const secret = 'lamha_this-token-must-never-be-logged-0000000000000';
  await app.inject({ url: '/api/v1/events?signature=share-link-secret', headers: { authorization: `Bearer ${ctx.admin}` }, remoteAddress: '203.0.113.77' });
  await app.inject({ url: '/api/v1/events', headers: { authorization: `Bearer ${secret}` }, remoteAddress: '2001:db8:85a3:8d3:1319:8a2e:370:7348' });
  await new Promise((r) => setImmediate(r));
  const log = lines.join('\n');
  const completed = lines.map((l) => JSON.parse(l) as { msg: string; req?: { url: string }; res?: { statusCode: number }; responseTime?: number })
    .filter((l) => l.msg === 'request completed');
  t.equal(completed.length, 2, 'one access line per request');
  t.same(completed.map((l) => [l.req?.url, l.res?.statusCode, typeof l.responseTime]), [['/api/v1/events', 200, 'number'], ['/api/v1/events', 401, 'number']]);
  t.notMatch(log, ctx.admin, 'no valid token');
  t.notMatch(log, secret, 'no invalid token');
  t.notMatch(log, 'share-link-secret', 'no query string');
  t.notMatch(log, '203.0.113.77');
  t.match(log, '203.0.113.0', 'IPv4 cut to its /24');
  t.notMatch(log, '1319:8a2e');
  t.match(log, '2001:db8:85a3::', 'IPv6 cut to its /48');
});

t.test("logs hold no press link's secret, whether the link works, is unknown or is withdrawn", async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => lines.push(...c.toString('utf8').split('\n').filter(Boolean)));
  const app = await buildApp({ ...ctx.config, logLevel: 'debug' }, { deps: { db: ctx.db, redis: ctx.redis, storage: ctx.storage, queues: ctx.queues }, logStream: stream });
  t.teardown(() => app.close());
  const made = (await app.inject({
    method: 'POST', url: '/api/v1/events/conf/albums/day-1/share-links', headers: { authorization: `Bearer ${ctx.admin}` },
    payload: { expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
  })).json() as { id: string; url: string };
  const base = new URL(made.url).pathname;
  const secret = base.split('/').pop()!;
  const unknown = 'B'.repeat(43);
  const urls = [base, `/ar${base}`, `${base}/archive.zip`, `${base}/files/00000000-0000-4000-8000-000000000000`, `${base}/files/not-an-id`, `/s/${unknown}`, `/s/${unknown}/archive.zip`];
  const statuses = [];
  for (const url of urls) statuses.push((await app.inject({ url })).statusCode);
  await app.inject({ method: 'DELETE', url: `/api/v1/share-links/${made.id}`, headers: { authorization: `Bearer ${ctx.admin}` } });
  for (const url of [base, `${base}/archive.zip`]) statuses.push((await app.inject({ url })).statusCode);
  await new Promise((r) => setImmediate(r));
  t.same(statuses, [200, 200, 200, 404, 400, 404, 404, 410, 410], 'live, unknown and withdrawn links were all asked for');
  const log = lines.join('\n');
  t.ok(lines.some((l) => l.includes('/s/…')), 'press link requests are logged, with the secret cut out');
  t.notMatch(log, secret, 'no live or withdrawn link secret');
  t.notMatch(log, unknown, 'no guessed secret either');
});

t.test('logs hold neither the metrics token nor a token sent to the metrics or the queue dashboard', async (t) => {
  const metricsToken = 'metrics-token-that-must-never-be-logged-000000';
  const ctx = await createTestContext(t, { env: { METRICS_TOKEN: metricsToken } });
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => lines.push(...c.toString('utf8').split('\n').filter(Boolean)));
  const app = await buildApp({ ...ctx.config, logLevel: 'debug' }, { deps: { db: ctx.db, redis: ctx.redis, storage: ctx.storage, queues: ctx.queues }, logStream: stream });
  t.teardown(() => app.close());
  const wrong = 'wrong-metrics-token-never-logged-either-0000000';
  const statuses = [];
  for (const [url, token] of [['/metrics', metricsToken], ['/metrics?debug=query-secret', wrong], ['/metrics', ctx.admin], ['/admin/queues/api/queues?q=query-secret', ctx.admin], ['/admin/queues/api/queues', wrong]] as const) {
    statuses.push((await app.inject({ url, headers: { authorization: `Bearer ${token}` }, remoteAddress: '203.0.113.77' })).statusCode);
  }
  await new Promise((r) => setImmediate(r));
  t.same(statuses, [200, 401, 200, 200, 401], 'answered and refused');
  const log = lines.join('\n');
  t.ok(lines.some((l) => l.includes('/metrics')), 'the requests are logged');
  for (const secret of [metricsToken, wrong, ctx.admin, 'query-secret', '203.0.113.77']) t.notMatch(log, secret, `no ${secret.slice(0, 12)}…`);
});
