/** The console's links page: mint, list with last use, and withdraw upload and press links; only the event's editors. */
import { parse } from 'node-html-parser';
import t from 'tap';
import { linkStrings } from '../../src/web/locales/admin/links.js';
import { createTestContext } from '../helpers/context.js';
import { seedAlbum, seedAsset, seedGalleryEvent } from '../web/seed.js';
import { browser, type Browser } from './helpers.js';

async function post(b: Browser, page: string, action: string, values: Record<string, string>) {
  const doc = parse((await b.get(page)).body);
  const f = doc.querySelectorAll('form').find((x) => x.getAttribute('action') === action);
  if (!f) throw new Error(`no form ${action} on ${page}`);
  return b.post(action, { _csrf: f.querySelector('input[name=_csrf]')!.getAttribute('value')!, ...values });
}

t.test('an editor mints an upload link and a press link, sees them listed, and withdraws them', async (t) => {
  const ctx = await createTestContext(t);
  const conf = await seedGalleryEvent(ctx, { slug: 'conf' });
  const album = await seedAlbum(ctx, conf.id, { slug: 'day-1' });
  await seedAsset(ctx, conf, album);
  const b = browser(ctx.app);
  await b.signIn(await ctx.mint('editor', 'conf'), 'ar');
  const page = '/ar/admin/e/conf/links';
  const first = parse((await b.get(page)).body);
  t.equal(first.querySelector('h1')!.textContent, linkStrings.text.ar['links.title']);
  t.equal(first.querySelector('html')!.getAttribute('dir'), 'rtl');

  const made = await post(b, page, `${page}/upload`, { label: 'Lina', album: 'day-1', days: '3' });
  t.equal(made.statusCode, 201);
  const url = parse(made.body).querySelector('#created-link')!.getAttribute('value')!;
  t.match(url, /^http:\/\/gallery\.test\/ar\/upload#token=lamha_/, 'the upload link, shown once');
  const token = new URLSearchParams(url.slice(url.indexOf('#') + 1)).get('token')!;
  const listed = parse((await b.get(page)).body);
  t.notOk(listed.querySelector('#created-link'), 'not shown again');
  t.notOk((await b.get(page)).body.includes(token), 'the secret is nowhere on the page afterwards');
  const row = listed.querySelectorAll('[data-link]')[0]!;
  t.match(row.textContent, /Lina/);
  t.match(row.textContent, new RegExp(linkStrings.text.ar['links.neverUsed']));
  // the photographer uses it: last use shows
  t.equal((await ctx.app.inject({ url: '/api/v1/me', headers: ctx.auth(token) })).statusCode, 200);
  t.match(parse((await b.get(page)).body).querySelector('[data-link]')!.textContent, /آخر استخدام/);

  const press = await post(b, page, `${page}/press`, { label: 'AFP', album: 'day-1', variant: 'web', days: '14' });
  t.equal(press.statusCode, 201);
  const pressUrl = parse(press.body).querySelector('#created-link')!.getAttribute('value')!;
  t.match(pressUrl, /^http:\/\/gallery\.test\/s\/[A-Za-z0-9_-]{43}$/);
  t.equal((await ctx.app.inject({ url: new URL(pressUrl).pathname })).statusCode, 200, 'the press link opens its album');

  const ids = parse((await b.get(page)).body).querySelectorAll('[data-link]').map((li) => li.getAttribute('data-link')!);
  t.equal(ids.length, 2);
  for (const [kind, id] of [['upload', ids[0]], ['press', ids[1]]] as const) {
    const res = await post(b, page, `${page}/${kind}/${id}/revoke`, {});
    t.equal(res.statusCode, 303, `${kind} withdrawn`);
  }
  t.equal((await ctx.app.inject({ url: '/api/v1/me', headers: ctx.auth(token) })).statusCode, 401, 'the upload link no longer works');
  t.equal((await ctx.app.inject({ url: new URL(pressUrl).pathname })).statusCode, 410, 'nor the press link');
  t.equal(parse((await b.get(page)).body).querySelectorAll('[data-link] form').length, 0, 'nothing left to withdraw');
});

t.test('an editor of another event cannot see or mint this event\'s links', async (t) => {
  const ctx = await createTestContext(t);
  const conf = await seedGalleryEvent(ctx, { slug: 'conf' });
  await seedAlbum(ctx, conf.id, { slug: 'day-1' });
  await seedGalleryEvent(ctx, { slug: 'other' });
  const b = browser(ctx.app);
  await b.signIn(await ctx.mint('editor', 'other'), 'en');
  t.equal((await b.get('/en/admin/e/conf/links')).statusCode, 403);
  const csrf = parse((await b.get('/en/admin/e/other/links')).body).querySelector('input[name=_csrf]')!.getAttribute('value')!;
  t.equal((await b.post('/en/admin/e/conf/links/upload', { _csrf: csrf, days: '3' })).statusCode, 403);
  t.equal((await b.post('/en/admin/e/conf/links/press', { _csrf: csrf, album: 'day-1', days: '3' })).statusCode, 403);
  t.equal((await ctx.db.query('SELECT 1 FROM tokens WHERE link')).rows.length + (await ctx.db.query('SELECT 1 FROM share_links')).rows.length, 0, 'nothing minted');
});
