/**
 * Liveness, readiness against the real PostgreSQL, Redis and S3 server, the OpenAPI document,
 * and what a client sees when something inside fails.
 */
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { createDb } from '../../src/db/database.js';
import { createTestContext } from '../helpers/context.js';

t.test('GET /healthz answers 200 {status: "ok"}', async (t) => {
  const ctx = await createTestContext(t);
  const res = await ctx.app.inject({ url: '/healthz' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok' });
});

t.test('GET /readyz answers 200 when PostgreSQL, Redis and storage all answer', async (t) => {
  const ctx = await createTestContext(t);
  const res = await ctx.app.inject({ url: '/readyz' });
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json(), { status: 'ready', checks: { postgres: { ok: true }, redis: { ok: true }, storage: { ok: true } } });
});

t.test('GET /readyz answers 503 naming storage when the bucket is missing', async (t) => {
  const ctx = await createTestContext(t);
  const { client, bucket } = ctx.storage;
  t.same(await ctx.storage.list(''), [], 'the bucket is empty, so it can be removed');
  await client.removeBucket(bucket);
  try {
    const res = await ctx.app.inject({ url: '/readyz' });
    t.equal(res.statusCode, 503, res.body);
    const body = res.json();
    t.equal(body.status, 'unavailable');
    t.same(body.checks.postgres, { ok: true });
    t.same(body.checks.redis, { ok: true });
    t.same(body.checks.storage, { ok: false }, 'the public is not told hosts or bucket names');
    const asAdmin = (await ctx.app.inject({ url: '/readyz', headers: ctx.auth(ctx.admin) })).json();
    t.match(asAdmin.checks.storage.error, new RegExp(bucket), 'an admin is told the cause');
  } finally {
    await ctx.storage.ensureBucket();
  }
  t.equal((await ctx.app.inject({ url: '/readyz' })).statusCode, 200, 'ready again once the bucket is back');
});

t.test('GET /readyz answers 503 naming postgres when the database cannot be reached', async (t) => {
  const ctx = await createTestContext(t);
  const db = createDb({ url: 'postgres://127.0.0.1:1/none', max: 1 });
  const app = await buildApp(ctx.config, { deps: { db, redis: ctx.redis, storage: ctx.storage, queues: ctx.queues } });
  t.teardown(async () => {
    await app.close();
    await db.end();
  });
  const res = await app.inject({ url: '/readyz' });
  t.equal(res.statusCode, 503, res.body);
  const body = res.json();
  t.equal(body.status, 'unavailable');
  t.same(body.checks.postgres, { ok: false });
  t.same(body.checks.redis, { ok: true });
  t.same(body.checks.storage, { ok: true });
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'liveness does not depend on the database');
});

t.test('GET /openapi.json describes the v1 API with bearer security', async (t) => {
  const ctx = await createTestContext(t);
  const res = await ctx.app.inject({ url: '/openapi.json' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /application\/json/);
  const doc = res.json();
  t.match(doc.openapi, /^3\.\d+\.\d+$/);
  t.ok(doc.paths['/api/v1/events']?.get, 'GET /api/v1/events');
  t.ok(doc.paths['/api/v1/events']?.post, 'POST /api/v1/events');
  t.ok(doc.paths['/api/v1/events/{event}/albums/{album}/assets']?.post, 'POST assets');
  t.ok(doc.paths['/api/v1/assets/{id}']?.get, 'GET asset');
  t.ok(doc.paths['/api/v1/assets/{id}']?.delete, 'DELETE asset');
  t.ok(doc.paths['/api/v1/tokens']?.post, 'POST tokens');
  t.match(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });
  t.same(doc.paths['/api/v1/events'].post.security, [{ bearer: [] }], 'creating events needs a bearer token');
  t.notOk(doc.paths['/openapi.json'], 'the document does not describe itself');
});

t.test('GET /docs serves the API documentation as HTML', async (t) => {
  const ctx = await createTestContext(t);
  let res = await ctx.app.inject({ url: '/docs' });
  if (res.statusCode >= 300 && res.statusCode < 400) res = await ctx.app.inject({ url: new URL(res.headers.location!, 'http://x/docs').pathname });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/html/);
  t.match(res.body, /<html/i);
  const slash = await ctx.app.inject({ url: '/docs/' });
  t.equal(slash.statusCode, 200);
  t.match(slash.body, /<html/i);
});

t.test('a failing database query answers 500 LAMHA_INTERNAL without SQL in the body', async (t) => {
  const ctx = await createTestContext(t);
  await ctx.db.query('DROP TABLE events CASCADE');
  for (const [url, headers] of [['/api/v1/events', {}], ['/api/v1/events/conf', ctx.auth(ctx.admin)]] as [string, Record<string, string>][]) {
    const res = await ctx.app.inject({ url, headers });
    t.equal(res.statusCode, 500, `${url}: ${res.body}`);
    t.same(res.json(), { statusCode: 500, code: 'LAMHA_INTERNAL', error: 'Internal Server Error', message: 'Internal server error' });
    for (const leak of ['relation', 'events', 'SELECT', 'does not exist', ctx.schema]) {
      t.notOk(res.body.includes(leak), `${url}: the body does not hold "${leak}"`);
    }
  }
});
