/**
 * Press links: editors make them for an album; whoever holds the URL gets the press page and the
 * album's files without a token, until the link expires or is withdrawn.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'node-html-parser';
import sharp from 'sharp';
import t from 'tap';
import { LOCALES, RTL_LOCALES } from '../../src/locales.js';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { run, uploadOne } from '../helpers/originals.js';
import { runWorkers, settled } from '../helpers/workers.js';

const inAWeek = () => new Date(Date.now() + 7 * 86_400_000).toISOString();

async function link(ctx: TestContext, token: string, body: Record<string, unknown>, album = 'day-1') {
  return ctx.app.inject({ method: 'POST', url: `/api/v1/events/conf/albums/${album}/share-links`, headers: ctx.auth(token), payload: body });
}

const path = (url: string) => new URL(url).pathname;

t.test('who may make, list and withdraw press links', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await seedEvent(ctx, { event: 'other' });
  const editor = await ctx.mint('editor', 'conf');
  for (const [who, token] of [['an editor of another event', await ctx.mint('editor', 'other')], ['a photographer', await ctx.mint('photographer', 'conf')], ['press', await ctx.mint('press', 'conf')]] as const) {
    t.equal((await link(ctx, token, { expiresAt: inAWeek() })).statusCode, 403, `${who} may not make one`);
  }
  t.match((await link(ctx, editor, { expiresAt: new Date(Date.now() - 1000).toISOString() })).json(), { statusCode: 400, code: 'LAMHA_VALIDATION' }, 'not in the past');
  t.match((await link(ctx, editor, { expiresAt: new Date(Date.now() + 100 * 86_400_000).toISOString() })).json(), { statusCode: 400 }, 'not beyond 90 days');
  const made = await link(ctx, editor, { expiresAt: inAWeek(), label: 'Reuters' });
  t.equal(made.statusCode, 201);
  t.match(made.json(), { variant: 'original', label: 'Reuters', lastUsedAt: null, url: /^https?:\/\/[^/]+\/s\/[A-Za-z0-9_-]{43}$/ });
  const listed = await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1/share-links', headers: ctx.auth(editor) });
  t.equal(listed.json().links.length, 1);
  t.notOk('url' in listed.json().links[0], 'the secret is shown once, never listed');
  t.equal((await ctx.app.inject({ method: 'DELETE', url: `/api/v1/share-links/${made.json().id}`, headers: ctx.auth(await ctx.mint('editor', 'other')) })).statusCode, 403);
  t.equal((await ctx.app.inject({ method: 'DELETE', url: `/api/v1/share-links/${made.json().id}` })).statusCode, 401);
  t.equal((await ctx.app.inject({ method: 'DELETE', url: `/api/v1/share-links/${made.json().id}`, headers: ctx.auth(editor) })).statusCode, 204);
  t.match((await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1/share-links', headers: ctx.auth(editor) })).json().links[0], { revokedAt: /\d{4}-/ });
});

t.test('a link opens the press page and the album without a token, until it is withdrawn or expires', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers: ctx.auth(ctx.admin), payload: { slug: 'day-2', title: { en: 'Day two' } } });
  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf/albums/day-2', headers: ctx.auth(ctx.admin), payload: { status: 'published' } });
  runWorkers(t, ctx, ['images']);
  const { id } = await uploadOne(ctx, 'jpeg_canon-600d_gps_iptc_xmp.jpg');
  t.equal((await settled(ctx, id)).status, 'ready');
  await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin), payload: { caption: { ar: 'سنجاب', en: 'A squirrel' }, credit: 'Patrik' } });
  const other = (await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${(await uploadOne(ctx, 'png_rgba_alpha.png')).id}`, headers: ctx.auth(ctx.admin), payload: { album: 'day-2' } })).json().id as string;
  t.equal((await settled(ctx, other)).status, 'ready');

  const made = (await link(ctx, ctx.admin, { expiresAt: inAWeek() })).json();
  const base = path(made.url);
  const ar = await ctx.app.inject({ url: base, headers: { 'accept-language': 'ar' } });
  t.equal(ar.statusCode, 200);
  t.equal(ar.headers['cache-control'], 'private, no-store');
  t.equal(ar.headers['referrer-policy'], 'no-referrer');
  const doc = parse(ar.body);
  t.equal(doc.querySelector('html')!.getAttribute('dir'), 'rtl', 'Arabic, right to left');
  t.equal(doc.querySelector('meta[name="robots"]')!.getAttribute('content'), 'noindex');
  t.same(doc.querySelectorAll('.press-file').map((li) => li.getAttribute('id')), [`a-${id}`], 'the album\'s files, not another album\'s');
  t.match(doc.querySelector('.press-file .caption')!.text, 'سنجاب');
  const fileUrl = doc.querySelector('.press-file a.download')!.getAttribute('href')!;
  t.equal(fileUrl, `${base}/files/${id}`);
  t.equal(doc.querySelector('a.download-all')!.getAttribute('href'), `${base}/archive.zip`);
  t.equal(parse((await ctx.app.inject({ url: `/en${base}` })).body).querySelector('html')!.getAttribute('dir'), 'ltr', 'and in English at /en/s/…');
  for (const locale of LOCALES) {
    const page = await ctx.app.inject({ url: `/${locale}${base}` });
    const html = parse(page.body).querySelector('html')!;
    t.same([page.statusCode, html.getAttribute('lang'), html.getAttribute('dir')], [200, locale, RTL_LOCALES.has(locale) ? 'rtl' : 'ltr'], `the page in ${locale}`);
    t.notMatch(page.body, /press\.[a-zA-Z]+/, `no untranslated string in ${locale}`);
  }

  const file = await ctx.app.inject({ url: fileUrl });
  t.equal(file.statusCode, 200, 'the press file, without a token');
  t.match(String(file.headers['content-disposition']), /attachment/);
  t.equal((await ctx.app.inject({ url: `${base}/files/${other}` })).statusCode, 404, 'a file of another album');
  t.match((await ctx.app.inject({ url: `${base}/files/not-an-id` })).json(), { statusCode: 400, code: 'LAMHA_VALIDATION' }, 'a malformed file id is refused, not a server error');
  const zip = await ctx.app.inject({ url: `${base}/archive.zip` });
  t.equal(zip.statusCode, 200);
  t.equal(zip.headers['content-type'], 'application/zip');
  t.match((await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1/share-links', headers: ctx.auth(ctx.admin) })).json().links[0], { lastUsedAt: /\d{4}-/ }, 'its last use is recorded');
  const lastUse = async () => ((await ctx.db.query('SELECT last_used_at FROM share_links WHERE id = $1', [made.id])).rows[0] as { last_used_at: Date }).last_used_at.getTime();
  await ctx.db.query("UPDATE share_links SET last_used_at = now() - interval '30 seconds' WHERE id = $1", [made.id]);
  const recent = await lastUse();
  await ctx.app.inject({ url: base });
  t.equal(await lastUse(), recent, 'a use within the minute is not written again');
  await ctx.db.query("UPDATE share_links SET last_used_at = now() - interval '61 seconds' WHERE id = $1", [made.id]);
  const stale = await lastUse();
  await ctx.app.inject({ url: fileUrl });
  t.ok(await lastUse() > stale, 'a use after a minute is');

  // the press service itself keeps a link to its album
  const live = await ctx.app.services.shareLinks.resolve(base.split('/').pop()!);
  if (live.state !== 'live') throw new Error(`the link is ${live.state}`);
  await t.rejects(ctx.app.services.press.file(live.principal, other), { code: 'LAMHA_NOT_FOUND' }, 'a press file of another album');

  // web-size links give the renditions, never the originals
  const web = path((await link(ctx, ctx.admin, { expiresAt: inAWeek(), variant: 'web' })).json().url);
  const redirect = await ctx.app.inject({ url: `${web}/files/${id}` });
  t.equal(redirect.statusCode, 302);
  t.match(redirect.headers.location, new RegExp(`^/media/${id}/fallback\\.jpg\\?v=`));
  t.equal((await ctx.app.inject({ url: `${web}/files/${other}` })).statusCode, 404, 'a web-size file of another album');
  t.match((await ctx.app.inject({ url: `${web}/files/not-an-id` })).json(), { statusCode: 400, code: 'LAMHA_VALIDATION' });
  const webLive = await ctx.app.services.shareLinks.resolve(web.split('/').pop()!);
  if (webLive.state !== 'live') throw new Error(`the link is ${webLive.state}`);
  await t.rejects(ctx.app.services.press.file(webLive.principal, id), { code: 'LAMHA_FORBIDDEN' }, 'the press service refuses a web-size link an original');
  // and so does its album archive: the web-size copy of each file, not the press file
  const webZip = await ctx.app.inject({ url: `${web}/archive.zip` });
  t.equal(webZip.statusCode, 200);
  const zipPath = join(await mkdtemp(join(tmpdir(), 'lamha-share-')), 'web.zip');
  t.teardown(() => rm(dirname(zipPath), { recursive: true, force: true }));
  await writeFile(zipPath, webZip.rawPayload);
  const names = (await run('unzip', ['-Z1', zipPath])).stdout.split('\n').filter((n) => /\.jpe?g$/i.test(n));
  t.equal(names.length, 1, 'the album\'s one photo');
  const inZip = (await run('unzip', ['-p', zipPath, names[0]!], { encoding: 'buffer', maxBuffer: 64 << 20 })).stdout;
  const large = (await ctx.app.inject({ url: redirect.headers.location! })).rawPayload;
  t.ok(large.length > 0 && inZip.equals(large), 'the zipped photo is fallback.jpg, byte for byte');
  const webSize = await sharp(inZip).metadata();
  t.same([webSize.format, webSize.width, webSize.height], ['jpeg', 1200, 801], 'a JPEG of 1200 px on the long edge (the source is 1394×930)');
  t.notOk(inZip.equals(file.rawPayload), 'and not the press file');
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${id}/original`, headers: {} })).statusCode, 401, 'the public never reaches an original');

  // withdrawn, expired, unknown
  await ctx.app.inject({ method: 'DELETE', url: `/api/v1/share-links/${made.id}`, headers: ctx.auth(ctx.admin) });
  const gone = await ctx.app.inject({ url: base, headers: { 'accept-language': 'ar' } });
  t.equal(gone.statusCode, 410);
  t.match(parse(gone.body).querySelector('h1')!.text, 'لم يعد هذا الرابط يعمل');
  t.match((await ctx.app.inject({ url: fileUrl })).json(), { statusCode: 410, code: 'LAMHA_LINK_GONE' });
  t.match((await ctx.app.inject({ url: `${base}/archive.zip` })).json(), { statusCode: 410, code: 'LAMHA_LINK_GONE' });
  await ctx.db.query("UPDATE share_links SET expires_at = now() - interval '1 second' WHERE variant = 'web'");
  t.match((await ctx.app.inject({ url: `${web}/files/${id}` })).json(), { statusCode: 410, code: 'LAMHA_LINK_GONE' }, 'expired');
  t.equal((await ctx.app.inject({ url: '/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).statusCode, 404, 'unknown');
});

t.test('a web-size link still gives the 2048 px large.jpg of a photo derived before the fallback was renamed', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const { id } = await uploadOne(ctx, 'jpeg_vivo-x90pro_gps_offsettime.jpg');
  t.equal((await settled(ctx, id)).status, 'ready');
  // what an older worker left: the JPEG of the largest size, named after it, and no fallback.jpg
  const large = await sharp(await readFile(new URL('../fixtures/jpeg_vivo-x90pro_gps_offsettime.jpg', import.meta.url))).rotate()
    .resize({ width: 2048, height: 2048, fit: 'inside' }).jpeg({ quality: 82 }).toBuffer();
  await ctx.storage.put(`renditions/${id}/large.jpg`, large, { contentType: 'image/jpeg' });
  await ctx.storage.delete(`renditions/${id}/fallback.jpg`);
  await ctx.db.query(`UPDATE renditions SET name = 'large.jpg', key = $2, width = 1536, height = 2048, bytes = $3 WHERE asset_id = $1 AND name = 'fallback.jpg'`,
    [id, `renditions/${id}/large.jpg`, large.length]);

  const web = path((await link(ctx, ctx.admin, { expiresAt: inAWeek(), variant: 'web' })).json().url);
  const redirect = await ctx.app.inject({ url: `${web}/files/${id}` });
  t.equal(redirect.statusCode, 302);
  t.match(redirect.headers.location, new RegExp(`^/media/${id}/large\\.jpg\\?v=`));
  t.ok((await ctx.app.inject({ url: redirect.headers.location! })).rawPayload.equals(large), 'the stored large.jpg');
  const zip = await ctx.app.inject({ url: `${web}/archive.zip` });
  t.equal(zip.statusCode, 200);
  const zipPath = join(await mkdtemp(join(tmpdir(), 'lamha-share-')), 'web.zip');
  t.teardown(() => rm(dirname(zipPath), { recursive: true, force: true }));
  await writeFile(zipPath, zip.rawPayload);
  const names = (await run('unzip', ['-Z1', zipPath])).stdout.split('\n').filter((n) => /\.jpe?g$/i.test(n));
  t.equal(names.length, 1, 'the photo is in the archive');
  t.ok((await run('unzip', ['-p', zipPath, names[0]!], { encoding: 'buffer', maxBuffer: 64 << 20 })).stdout.equals(large), 'as the stored large.jpg');
});
