/**
 * Takedown through a real shared cache: nginx's proxy_cache in front of the app. A hidden,
 * unpublished or deleted asset must stop coming out of the cache within the s-maxage the origin
 * sets (CACHE_SHARED_MAX_AGE, 60 s by default; 2 s here so the test waits 2 s, not 60).
 */
import t, { type Test } from 'tap';

type Tap = Test;
import type { AddressInfo } from 'node:net';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { cachingProxy } from '../helpers/nginx.js';
import { uploadOne } from '../helpers/originals.js';
import { runWorkers, settled } from '../helpers/workers.js';

const SHARED_SECONDS = 2;

async function through(url: string): Promise<{ status: string; cache: string }> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return { status: String(res.status), cache: res.headers.get('x-cache-status') ?? '' };
}

/** Seconds until the cache stops serving `url` with 200, polled every 100 ms. */
async function secondsUntilGone(url: string, limit: number): Promise<{ seconds: number; last: { status: string; cache: string } }> {
  const t0 = performance.now();
  let last = await through(url);
  while (last.status === '200' && performance.now() - t0 < limit * 1000) {
    await new Promise((r) => setTimeout(r, 100));
    last = await through(url);
  }
  return { seconds: (performance.now() - t0) / 1000, last };
}

async function setUp(t: Tap): Promise<{ ctx: TestContext; proxy: string; id: string; media: string }> {
  const ctx = await createTestContext(t, { env: { CACHE_SHARED_MAX_AGE: String(SHARED_SECONDS) } });
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const { id } = await uploadOne(ctx, 'png_rgba_alpha.png');
  t.equal((await settled(ctx, id)).status, 'ready');
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const { url } = await cachingProxy(t, (ctx.app.server.address() as AddressInfo).port);
  const thumb = (await ctx.app.inject({ url: `/api/v1/assets/${id}` })).json().renditions['thumb.webp'].url as string;
  const media = `${url}${new URL(thumb).pathname}${new URL(thumb).search}`;
  t.match(await through(media), { status: '200', cache: 'MISS' });
  t.match(await through(media), { status: '200', cache: 'HIT' }, 'the proxy caches the rendition');
  return { ctx, proxy: url, id, media };
}

for (const [how, takeDown] of [
  ['hidden', (ctx: TestContext, id: string) => ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin), payload: { hidden: true } })],
  ['unpublished with its album', (ctx: TestContext) => ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf/albums/day-1', headers: ctx.auth(ctx.admin), payload: { status: 'draft' } })],
  ['deleted', (ctx: TestContext, id: string) => ctx.app.inject({ method: 'DELETE', url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin) })],
] as const) {
  t.test(`an asset ${how} stops coming out of a shared cache within s-maxage`, async (t) => {
    const { ctx, id, media } = await setUp(t);
    const res = await takeDown(ctx, id);
    t.ok(res.statusCode < 300, `${how}: ${res.statusCode}`);
    t.equal((await ctx.app.inject({ url: new URL(media).pathname + new URL(media).search })).statusCode, 404, 'the origin refuses it at once');
    const { seconds, last } = await secondsUntilGone(media, SHARED_SECONDS + 5);
    t.equal(last.status, '404', `the cache answers 404 after ${seconds.toFixed(1)} s (${last.cache})`);
    // nginx keeps an entry's expiry in whole seconds (up to 1 s more), then one poll (0.1 s) and its request
    t.ok(seconds <= SHARED_SECONDS + 1.5, `within s-maxage (${SHARED_SECONDS} s), nginx's second and a poll: ${seconds.toFixed(2)} s`);
    t.comment(`takedown through nginx proxy_cache (${how}): ${seconds.toFixed(2)} s with s-maxage=${SHARED_SECONDS}`);
    t.equal((await through(media)).status, '404', 'and stays gone');
  });
}
