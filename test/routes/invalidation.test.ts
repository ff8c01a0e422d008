/**
 * Every change the public could see bumps the event's gallery version (and the site's), so
 * page caches keyed on it drop what they hold: through the API and from the worker.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { runWorkers, settled } from '../helpers/workers.js';

const jpeg = (n: number) => readFileSync(new URL(`../fixtures/exif-orientation_${n}.jpg`, import.meta.url));

async function eventId(ctx: TestContext, slug = 'conf'): Promise<string> {
  const { rows } = await ctx.db.query<{ id: string }>('SELECT id FROM events WHERE slug = $1', [slug]);
  return rows[0]!.id;
}

async function upload(ctx: TestContext, n: number): Promise<string> {
  const form = multipart([{ name: 'file', filename: `${n}.jpg`, body: jpeg(n) }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.body}`);
  return res.json().assets[0].id;
}

/** Runs `change` and checks that it moved the event's and the site's versions. */
async function bumps(t: { not(a: unknown, b: unknown, msg: string): unknown }, ctx: TestContext, what: string, change: () => Promise<unknown>, slug = 'conf'): Promise<void> {
  const { changes } = ctx.app.services;
  const id = await eventId(ctx, slug).catch(() => undefined);
  const [eventBefore, siteBefore] = [id ? await changes.version(id) : '0', await changes.version('site')];
  await change();
  const after = await changes.version(id ?? (await eventId(ctx, slug)));
  t.not(after, eventBefore, `${what}: the event's version moved`);
  t.not(await changes.version('site'), siteBefore, `${what}: the site's version moved`);
}

t.test('event, album, asset and subtitle changes through the API bump the version', async (t) => {
  const ctx = await createTestContext(t);
  const headers = ctx.auth(ctx.admin);
  const inject = async (method: 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, payload?: object | string, extra: Record<string, string> = {}) => {
    const res = await ctx.app.inject({ method, url, headers: { ...headers, ...extra }, ...(payload !== undefined && { payload }) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res;
  };
  await bumps(t, ctx, 'event created', () => seedEvent(ctx, { publish: false }));
  await bumps(t, ctx, 'event edited', () => inject('PATCH', '/api/v1/events/conf', { venue: 'Paris' }));
  await bumps(t, ctx, 'event published', () => inject('PATCH', '/api/v1/events/conf', { status: 'published' }));
  await bumps(t, ctx, 'album created', () => inject('POST', '/api/v1/events/conf/albums', { slug: 'day-2', title: { en: 'Day two' } }));
  await bumps(t, ctx, 'album published', () => inject('PATCH', '/api/v1/events/conf/albums/day-1', { status: 'published' }));
  await bumps(t, ctx, 'albums reordered', () => inject('PATCH', '/api/v1/events/conf/albums/day-2', { position: 0 }));
  const a = await upload(ctx, 1);
  await bumps(t, ctx, 'asset uploaded', () => upload(ctx, 2));
  await ctx.db.query("UPDATE assets SET status = 'ready'");
  await bumps(t, ctx, 'album cover set', () => inject('PATCH', '/api/v1/events/conf/albums/day-1', { coverAssetId: a }));
  await bumps(t, ctx, 'caption edited', () => inject('PATCH', `/api/v1/assets/${a}`, { caption: { en: 'x' } }));
  await bumps(t, ctx, 'asset hidden', () => inject('PATCH', `/api/v1/assets/${a}`, { hidden: true }));
  await bumps(t, ctx, 'asset moved', () => inject('PATCH', `/api/v1/assets/${a}`, { album: 'day-2' }));

  // subtitles belong to videos; the row is made one for this (the service checks only the kind)
  await ctx.db.query("UPDATE assets SET kind = 'video' WHERE id = $1", [a]);
  await bumps(t, ctx, 'subtitles added', () => inject('PUT', `/api/v1/assets/${a}/subtitles/en`, 'WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n', { 'content-type': 'text/vtt' }));
  await bumps(t, ctx, 'subtitles removed', () => inject('DELETE', `/api/v1/assets/${a}/subtitles/en`));

  await bumps(t, ctx, 'asset deleted', () => inject('DELETE', `/api/v1/assets/${a}`));
  await bumps(t, ctx, 'album deleted', () => inject('DELETE', '/api/v1/events/conf/albums/day-1'));

  const untouched = await ctx.app.services.changes.version(await eventId(ctx));
  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers: ctx.auth(await ctx.mint('photographer', 'conf')), payload: { venue: 'Lyon' } });
  await ctx.app.inject({ url: '/api/v1/events/conf' });
  t.equal(await ctx.app.services.changes.version(await eventId(ctx)), untouched, 'refused edits and reads leave the version alone');
});

t.test('the worker bumps the version when an asset becomes ready, before it announces it, and when it fails', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const id = await eventId(ctx);
  const { changes } = ctx.app.services;

  const good = await upload(ctx, 1);
  const bad = await upload(ctx, 2);
  await ctx.storage.delete(`originals/${bad}`); // the worker finds nothing to decode: failed for good
  const before = Number(await changes.version(id));

  // each announcement with the version read as it arrives (reads are chained, so in order)
  const seen: { message: string; version: number }[] = [];
  let reading = Promise.resolve();
  const channel = `${ctx.config.redisPrefix}:live:${id}`;
  const subscriber = ctx.redis.duplicate();
  t.teardown(() => subscriber.disconnect());
  await subscriber.subscribe(channel);
  subscriber.on('message', (_channel, message: string) => {
    reading = reading.then(async () => { seen.push({ message, version: Number(await changes.version(id)) }); });
  });

  runWorkers(t, ctx, ['images']);
  t.equal((await settled(ctx, good)).status, 'ready');
  t.equal((await settled(ctx, bad)).status, 'failed');
  // the worker bumps after it records the row: wait for the bumps, then mark the end of the announcements
  const until = Date.now() + 10_000;
  while (Number(await changes.version(id)) < before + 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.ok(Number(await changes.version(id)) >= before + 2, 'one bump for the ready asset, one for the failed one');
  await ctx.redis.publish(channel, 'sentinel');
  while (!seen.some((s) => s.message === 'sentinel') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const announced = seen.filter((s) => s.message !== 'sentinel');
  t.equal(seen.length, announced.length + 1, 'the sentinel arrived after them');
  t.equal(announced.length, 1, 'one announcement: for the ready asset, none for the failed one');
  t.match(JSON.parse(announced[0]!.message), { assetId: good });
  t.ok(announced[0]!.version > before, 'when the gallery hears of the new asset, the version has moved already');
});
