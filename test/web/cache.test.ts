/** The page cache: hits, invalidation by change version, sharing through Redis, ETag/304, encodings. */
import zlib from 'node:zlib';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedAlbum, seedAsset, seedGalleryEvent } from './seed.js';

async function gallery(t: Parameters<typeof createTestContext>[0]) {
  const ctx = await createTestContext(t);
  const event = await seedGalleryEvent(ctx);
  const album = await seedAlbum(ctx, event.id);
  const asset = await seedAsset(ctx, event, album, { caption: { en: 'First caption' } });
  return { ctx, event, album, asset };
}

const get = (ctx: TestContext | { app: TestContext['app'] }, url: string, headers: Record<string, string> = {}) => ctx.app.inject({ url, headers });

t.test('the second request is served from memory; a change invalidates every page of the event', async (t) => {
  const { ctx, event, asset } = await gallery(t);
  const urls = ['/en/e/conf', '/en/e/conf/day-1', `/en/e/conf/day-1/${asset}`, `/en/e/conf/day-1/${asset}/tile`];
  for (const url of urls) {
    t.equal((await get(ctx, url)).headers['x-lamha-cache'], 'render', `${url}: first is rendered`);
    const again = await get(ctx, url);
    t.equal(again.statusCode, 200);
    t.equal(again.headers['x-lamha-cache'], 'memory', `${url}: second is a hit`);
  }

  // Without a version bump the cache keeps serving what it rendered: it is really a cache.
  await ctx.db.query('UPDATE assets SET caption = $1 WHERE id = $2', [{ en: 'Edited caption' }, asset]);
  t.match((await get(ctx, '/en/e/conf/day-1')).body, /First caption/);

  await ctx.app.services.changes.touch(event.id);
  for (const url of urls.slice(1)) {
    const res = await get(ctx, url);
    t.equal(res.headers['x-lamha-cache'], 'render', `${url}: rendered again after the change`);
    t.match(res.body, /Edited caption/);
    t.notMatch(res.body, /First caption/);
  }
});

t.test('the events list follows the site version: a new event shows up, a stale 404 goes away', async (t) => {
  const { ctx } = await gallery(t);
  t.equal((await get(ctx, '/en/e/later')).statusCode, 404);
  t.equal((await get(ctx, '/en/e/later')).headers['x-lamha-cache'], 'memory', 'a 404 is cached too');
  t.notMatch((await get(ctx, '/en/')).body, /Later event/);
  const later = await seedGalleryEvent(ctx, { slug: 'later', title: { en: 'Later event' }, locales: ['en'], defaultLocale: 'en' });
  await ctx.app.services.changes.touch(later.id);
  t.match((await get(ctx, '/en/')).body, /Later event/);
  t.equal((await get(ctx, '/en/e/later')).statusCode, 200);
});

t.test('a page rendered by one API process is served by another from Redis', async (t) => {
  const { ctx, event } = await gallery(t);
  const other = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: ctx.storage, queues: ctx.queues } });
  t.teardown(() => other.close());
  const first = await get(ctx, '/ar/e/conf/day-1', { 'accept-encoding': 'br' });
  t.equal(first.headers['x-lamha-cache'], 'render');
  const shared = await get({ app: other }, '/ar/e/conf/day-1', { 'accept-encoding': 'br' });
  t.equal(shared.headers['x-lamha-cache'], 'redis');
  t.equal(shared.headers.etag, first.headers.etag, 'the same representation');
  t.same(shared.rawPayload, first.rawPayload);
  t.equal((await get({ app: other }, '/ar/e/conf/day-1')).headers['x-lamha-cache'], 'memory', 'then from its own memory');
  // One Redis entry per page, overwritten by newer renders: the cache cannot grow with every change.
  for (let i = 0; i < 3; i++) {
    await ctx.app.services.changes.touch(event.id);
    await get(ctx, '/ar/e/conf/day-1');
  }
  const keys = await ctx.redis.keys(`${ctx.config.redisPrefix}:page:*`);
  t.same(keys, [`${ctx.config.redisPrefix}:page:ar:e/conf/day-1`]);
  t.ok((await ctx.redis.ttl(keys[0]!)) > 0, 'with an expiry');
});

t.test('strong ETag, 304 on If-None-Match, revalidated every time', async (t) => {
  const { ctx, event } = await gallery(t);
  const res = await get(ctx, '/en/e/conf/day-1');
  const etag = res.headers.etag as string;
  t.match(etag, /^"[A-Za-z0-9_-]+"$/, 'strong');
  t.equal(res.headers['cache-control'], 'public, max-age=0, must-revalidate');
  t.match(String(res.headers.vary), /Accept-Encoding/);
  const notModified = await get(ctx, '/en/e/conf/day-1', { 'if-none-match': etag });
  t.equal(notModified.statusCode, 304);
  t.equal(notModified.body, '');
  t.equal(notModified.headers.etag, etag);
  t.equal((await get(ctx, '/en/e/conf/day-1', { 'if-none-match': `"other", ${etag}` })).statusCode, 304, 'one of a list');
  t.equal((await get(ctx, '/en/e/conf/day-1', { 'if-none-match': `W/${etag}` })).statusCode, 304, 'a weak tag (a proxy that re-encoded it)');
  t.equal((await get(ctx, '/en/e/conf/day-1', { 'if-none-match': '"other"' })).statusCode, 200, 'another tag: the page');
  t.equal((await get(ctx, '/en/e/conf/day-1', { 'if-none-match': etag, 'cache-control': 'no-cache' })).statusCode, 200, 'a reload (no-cache) gets the page');
  const br = await get(ctx, '/en/e/conf/day-1', { 'accept-encoding': 'br', 'if-none-match': etag });
  t.equal(br.statusCode, 304, 'the same content in another encoding is not modified');
  t.not(br.headers.etag, etag, 'but each encoding has its own tag');
  t.equal((await get(ctx, '/ar/e/conf/day-1', { 'if-none-match': etag })).statusCode, 200, 'another language is another page');
  await ctx.app.services.changes.touch(event.id);
  await ctx.db.query(`UPDATE albums SET caption = '{"en":"New words"}' WHERE slug = 'day-1'`);
  await ctx.app.services.changes.touch(event.id);
  const changed = await get(ctx, '/en/e/conf/day-1', { 'if-none-match': etag });
  t.equal(changed.statusCode, 200, 'a changed page is sent whole');
  t.not(changed.headers.etag, etag);
  t.equal((await get(ctx, '/en/e/conf/nothing', { 'if-none-match': '*' })).statusCode, 404, 'a 404 is never “not modified”');
});

t.test('brotli and gzip copies per Accept-Encoding, each the same page', async (t) => {
  const { ctx } = await gallery(t);
  const plain = await get(ctx, '/en/e/conf/day-1');
  t.equal(plain.headers['content-encoding'], undefined);
  const br = await get(ctx, '/en/e/conf/day-1', { 'accept-encoding': 'gzip, deflate, br' });
  t.equal(br.headers['content-encoding'], 'br');
  t.equal(zlib.brotliDecompressSync(br.rawPayload).toString('utf8'), plain.body);
  t.ok(br.rawPayload.length < plain.rawPayload.length / 3, `brotli ${br.rawPayload.length} of ${plain.rawPayload.length} bytes`);
  const gz = await get(ctx, '/en/e/conf/day-1', { 'accept-encoding': 'gzip' });
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(zlib.gunzipSync(gz.rawPayload).toString('utf8'), plain.body);
  t.equal((await get(ctx, '/en/e/conf/day-1', { 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding'], 'gzip');
  t.equal((await get(ctx, '/en/e/conf/day-1', { 'accept-encoding': 'br;q=0.5, gzip' })).headers['content-encoding'], 'gzip', 'the client’s weights count');
  t.equal((await get(ctx, '/en/e/conf/day-1', { 'accept-encoding': '*' })).headers['content-encoding'], 'br');
  t.equal((await get(ctx, '/en/e/conf/day-1', { 'accept-encoding': 'identity' })).headers['content-encoding'], undefined);
  const head = await ctx.app.inject({ method: 'HEAD', url: '/en/e/conf/day-1' });
  t.equal(head.statusCode, 200);
  t.equal(head.headers.etag, plain.headers.etag);
});

t.test('editing through the API shows on the next page load', async (t) => {
  const { ctx, asset } = await gallery(t);
  t.match((await get(ctx, '/en/e/conf/day-1')).body, /First caption/);
  const patch = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${asset}`, headers: ctx.auth(ctx.admin), payload: { caption: { en: 'Caption from the editor' } } });
  t.equal(patch.statusCode, 200, patch.body);
  t.match((await get(ctx, '/en/e/conf/day-1')).body, /Caption from the editor/);
  const hide = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${asset}`, headers: ctx.auth(ctx.admin), payload: { hidden: true } });
  t.equal(hide.statusCode, 200, hide.body);
  t.equal((await get(ctx, `/en/e/conf/day-1/${asset}`)).statusCode, 404, 'a hidden photo’s page goes away at once');
  t.notMatch((await get(ctx, '/en/e/conf/day-1')).body, new RegExp(asset));
});

t.test('without Redis the pages still render and cache in the process, and a change shows at once', async (t) => {
  const { ctx, asset } = await gallery(t);
  const { Redis } = await import('ioredis');
  const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  down.on('error', () => {}); // the refused connections, expected here
  t.teardown(() => down.disconnect());
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: down, storage: ctx.storage, queues: ctx.queues } });
  t.teardown(() => app.close());
  const first = await app.inject({ url: '/en/e/conf/day-1' });
  t.equal(first.statusCode, 200);
  t.equal(first.headers['x-lamha-cache'], 'render');
  t.match(first.body, /First caption/);
  t.equal((await app.inject({ url: '/en/e/conf/day-1' })).headers['x-lamha-cache'], 'memory', 'kept in the process');
  // the change is committed while Redis is down: the version moves with the commit
  const edit = await app.inject({ method: 'PATCH', url: `/api/v1/assets/${asset}`, headers: ctx.auth(ctx.admin), payload: { caption: { en: 'Taken down caption' } } });
  t.equal(edit.statusCode, 200, edit.body);
  const after = await app.inject({ url: '/en/e/conf/day-1' });
  t.equal(after.headers['x-lamha-cache'], 'render', 'the cached page is stale at once');
  t.match(after.body, /Taken down caption/);
  t.notMatch(after.body, /First caption/);
});

t.test('pages forbid scripts, media and connections from elsewhere', async (t) => {
  const { ctx } = await gallery(t);
  const res = await get(ctx, '/en/e/conf/day-1');
  const csp = String(res.headers['content-security-policy']);
  t.match(csp, /script-src 'self'(;|$)/);
  t.notMatch(csp, /unsafe-eval/);
  t.match(csp, /connect-src 'self'/);
  t.match(csp, /object-src 'none'/);
  t.equal(res.headers['x-content-type-options'], 'nosniff');
});

t.test('Redis holds lists and album grids only: not one-photo pages, never a 404', async (t) => {
  const { ctx, asset } = await gallery(t);
  for (const url of ['/en/', '/en/e/conf', '/en/e/conf/day-1', `/en/e/conf/day-1/${asset}`, `/en/e/conf/day-1/${asset}/tile`]) {
    t.equal((await get(ctx, url)).statusCode, 200, url);
  }
  for (let i = 0; i < 20; i++) t.equal((await get(ctx, `/en/e/nothing-${i}`)).statusCode, 404);
  t.equal((await get(ctx, `/en/e/conf/day-1/${crypto.randomUUID()}`)).statusCode, 404);
  const prefix = `${ctx.config.redisPrefix}:page:`;
  t.same((await ctx.redis.keys(`${prefix}*`)).map((k) => k.slice(prefix.length)).sort(), ['en:', 'en:e/conf', 'en:e/conf/day-1']);
  t.equal((await get(ctx, '/en/e/nothing-3')).headers['x-lamha-cache'], 'memory', '404s are still cached in the process');
  t.equal((await get(ctx, `/en/e/conf/day-1/${asset}`)).headers['x-lamha-cache'], 'memory');
});
