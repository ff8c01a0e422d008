/**
 * Security headers on every kind of answer: JSON, a rendition, a page, errors (404, 415). The
 * pages keep their own Content-Security-Policy; HSTS only when PUBLIC_URL is https.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { CONTENT_SECURITY_POLICY } from '../../src/routes/pages/respond.js';
import { createTestContext, s3Kinds, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { runWorkers, settled } from '../helpers/workers.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
type Headers = Record<string, string | string[] | number | undefined>;

function assertHardened(t: { equal(a: unknown, b: unknown, m: string): void; ok(a: unknown, m: string): void; notOk(a: unknown, m: string): void }, what: string, headers: Headers): void {
  t.equal(headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  t.equal(headers['x-frame-options'], 'SAMEORIGIN', `${what}: x-frame-options`);
  t.ok(headers['referrer-policy'], `${what}: referrer-policy`);
  t.equal(headers['cross-origin-opener-policy'], 'same-origin', `${what}: cross-origin-opener-policy`);
  t.notOk(headers['x-powered-by'], `${what}: no x-powered-by`);
}

async function readyRendition(t: Parameters<typeof createTestContext>[0], ctx: TestContext): Promise<string> {
  runWorkers(t, ctx, ['images']);
  const form = multipart([{ name: 'file', filename: 'a.jpg', body: await readFile(fixture('exif-orientation_1.jpg')) }]);
  const up = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  const id = up.json().assets[0].id as string;
  if ((await settled(ctx, id)).status !== 'ready') throw new Error('the image did not become ready');
  const url = new URL((await ctx.app.inject({ url: `/api/v1/assets/${id}` })).json().renditions['medium.webp'].url);
  return url.pathname + url.search;
}

const kind = s3Kinds()[0]!;

t.test('JSON, a rendition, a page, a 404 and a 415 all carry the security headers', async (t) => {
  const ctx = await createTestContext(t, { s3: kind });
  await seedEvent(ctx);

  const json = await ctx.app.inject({ url: '/api/v1/events' });
  t.equal(json.statusCode, 200);
  t.match(json.headers['content-type'], /application\/json/);
  assertHardened(t, 'JSON', json.headers);

  const media = await ctx.app.inject({ url: await readyRendition(t, ctx) });
  t.equal(media.statusCode, 200);
  t.equal(media.headers['content-type'], 'image/webp');
  assertHardened(t, 'media', media.headers);
  t.equal(media.headers['cross-origin-resource-policy'], 'cross-origin', 'renditions may be embedded by other sites');

  const page = await ctx.app.inject({ url: '/en/' });
  t.equal(page.statusCode, 200);
  assertHardened(t, 'page', page.headers);
  t.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY, 'the page keeps its own policy');
  t.equal(page.headers['referrer-policy'], 'strict-origin-when-cross-origin');

  const missing = await ctx.app.inject({ url: '/api/v1/nothing-here' });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().code, 'LAMHA_NOT_FOUND');
  assertHardened(t, '404', missing.headers);

  const wrongType = await ctx.app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...ctx.auth(ctx.admin), 'content-type': 'application/x-nope' }, payload: 'x' });
  t.equal(wrongType.statusCode, 415);
  t.equal(wrongType.json().code, 'LAMHA_UNSUPPORTED_MEDIA_TYPE');
  assertHardened(t, '415', wrongType.headers);

  t.notOk(json.headers['strict-transport-security'], 'no HSTS when PUBLIC_URL is http');
});

t.test('HSTS is sent when PUBLIC_URL is https', async (t) => {
  const ctx = await createTestContext(t, { s3: kind, env: { PUBLIC_URL: 'https://gallery.test' } });
  const res = await ctx.app.inject({ url: '/healthz' });
  t.match(res.headers['strict-transport-security'], /^max-age=31536000/);
  assertHardened(t, 'healthz', res.headers);
});
