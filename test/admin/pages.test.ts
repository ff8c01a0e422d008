/**
 * The console's event and album pages through app.inject, as a browser without JavaScript uses
 * them: every page in Arabic and English, each form's effect on the public gallery, and who may
 * do what (an editor of one event cannot touch another's).
 */
import { parse } from 'node-html-parser';
import t from 'tap';
import { albumStrings } from '../../src/web/locales/admin/album.js';
import { eventStrings } from '../../src/web/locales/admin/event.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedAlbum, seedAsset, seedGalleryEvent } from '../web/seed.js';
import { browser, type Browser } from './helpers.js';

async function world(t: { teardown(fn: () => unknown): void }) {
  const ctx = await createTestContext(t);
  const conf = await seedGalleryEvent(ctx, { slug: 'conf' });
  const day1 = await seedAlbum(ctx, conf.id, { slug: 'day-1' });
  const day2 = await seedAlbum(ctx, conf.id, { slug: 'day-2', status: 'draft', title: { ar: 'اليوم الثاني', en: 'Day two' } });
  const a = await seedAsset(ctx, conf, day1, { caption: { ar: 'الافتتاح', en: 'The opening' } });
  const b = await seedAsset(ctx, conf, day1, { caption: { en: 'Panel one' } });
  const other = await seedGalleryEvent(ctx, { slug: 'other' });
  const otherAlbum = await seedAlbum(ctx, other.id, { slug: 'main' });
  const foreign = await seedAsset(ctx, other, otherAlbum, { caption: { en: 'Elsewhere' } });
  return { ctx, conf, day1, day2, a, b, other, foreign };
}

async function signedIn(ctx: TestContext, role: 'admin' | 'editor', locale = 'en'): Promise<Browser> {
  const b = browser(ctx.app);
  const token = role === 'admin' ? ctx.admin : await ctx.mint('editor', 'conf');
  const res = await b.signIn(token, locale);
  if (res.statusCode !== 303) throw new Error(`sign-in: ${res.statusCode}`);
  return b;
}

async function form(b: Browser, page: string, action: string, values: Record<string, string | string[]>) {
  const doc = parse((await b.get(page)).body);
  const f = doc.querySelectorAll('form').find((x) => x.getAttribute('action') === action);
  if (!f) throw new Error(`no form ${action} on ${page}`);
  return b.post(action, { _csrf: f.querySelector('input[name=_csrf]')!.getAttribute('value')!, ...values });
}

const publicAlbum = async (ctx: TestContext, locale = 'ar') => parse((await ctx.app.inject({ url: `/${locale}/e/conf/day-1` })).body);

t.test('the event and album pages render in Arabic and English, right to left in Arabic', async (t) => {
  const { ctx } = await world(t);
  const b = await signedIn(ctx, 'editor');
  for (const locale of ['ar', 'en'] as const) {
    const event = await b.get(`/${locale}/admin/e/conf`);
    t.equal(event.statusCode, 200, `${locale} event page`);
    let doc = parse(event.body);
    t.equal(doc.querySelector('html')!.getAttribute('dir'), locale === 'ar' ? 'rtl' : 'ltr');
    t.equal(doc.querySelector('#details-title')!.textContent, eventStrings.text[locale]['event.details']);
    t.same(doc.querySelectorAll('[data-album]').map((li) => li.getAttribute('data-album')), ['day-1', 'day-2']);
    t.equal(doc.querySelector('label[for=title-ar]')!.textContent, eventStrings.text[locale]['event.titleIn'].replace('{language}', 'العربية'));
    t.equal(doc.querySelector('#title-ar')!.getAttribute('dir'), 'rtl', 'Arabic fields are right to left on every page');
    t.equal(doc.querySelector('#title-en')!.getAttribute('dir'), 'ltr');

    const album = await b.get(`/${locale}/admin/e/conf/a/day-1`);
    t.equal(album.statusCode, 200, `${locale} album page`);
    doc = parse(album.body);
    t.equal(doc.querySelector('#items-title')!.textContent, albumStrings.text[locale]['album.items']);
    t.equal(doc.querySelectorAll('li.admin-item').length, 2);
    // captions side by side: a field per event language (ar, en, ku) for each item
    t.equal(doc.querySelectorAll('li.admin-item textarea[name^="caption."]').length, 6);
  }
});

t.test('missing translations are flagged, and "needs translation" shows only those items', async (t) => {
  const { ctx, a, b } = await world(t);
  const br = await signedIn(ctx, 'editor');
  const doc = parse((await br.get('/en/admin/e/conf/a/day-1')).body);
  const flags = doc.querySelectorAll('li.admin-item').map((li) => [li.getAttribute('data-id'), li.querySelector('.admin-flag-missing')?.textContent]);
  t.same(flags, [[a, 'Missing: Kurmancî'], [b, 'Missing: العربية, Kurmancî']]);
  t.equal(doc.querySelector(`#cap-${b}-ar`)!.getAttribute('aria-invalid'), 'true');
  t.notOk(doc.querySelector(`#cap-${a}-ar`)!.getAttribute('aria-invalid'));
  // fill every missing caption of the first item: it leaves the filter
  await form(br, '/en/admin/e/conf/a/day-1', '/en/admin/e/conf/a/day-1/items', { [`caption.${a}.ku`]: 'Vekirin', intent: 'save' });
  const filtered = parse((await br.get('/en/admin/e/conf/a/day-1?missing=1')).body);
  t.same(filtered.querySelectorAll('li.admin-item').map((li) => li.getAttribute('data-id')), [b]);
});

t.test('saving captions side by side changes the public page, and only what changed', async (t) => {
  const { ctx, a, b } = await world(t);
  const br = await signedIn(ctx, 'editor', 'ar');
  const res = await form(br, '/ar/admin/e/conf/a/day-1', '/ar/admin/e/conf/a/day-1/items', {
    [`caption.${a}.ar`]: 'افتتاح المؤتمر في باريس', [`caption.${a}.en`]: 'The opening', [`caption.${b}.en`]: 'Panel one',
    [`credit.${a}`]: 'Lina', intent: 'save',
  });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/ar/admin/e/conf/a/day-1?saved=1', 'one item changed');
  const page = await publicAlbum(ctx);
  t.match(page.toString(), /افتتاح المؤتمر في باريس/, 'the new Arabic caption is public at once');
  const asset = (await ctx.app.inject({ url: `/api/v1/assets/${a}` })).json();
  t.same(asset.caption, { ar: 'افتتاح المؤتمر في باريس', en: 'The opening' });
  t.equal(asset.credit, 'Lina');
  // emptying a caption removes that language
  await form(br, '/ar/admin/e/conf/a/day-1', '/ar/admin/e/conf/a/day-1/items', { [`caption.${a}.en`]: '', intent: 'save' });
  t.same((await ctx.app.inject({ url: `/api/v1/assets/${a}` })).json().caption, { ar: 'افتتاح المؤتمر في باريس' });
});

t.test('order: Move down, and a new order posted as the drag and drop script does', async (t) => {
  const { ctx, a, b } = await world(t);
  const br = await signedIn(ctx, 'editor');
  const ids = async () => (await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1' })).json().assets.map((x: { id: string }) => x.id);
  t.same(await ids(), [a, b]);
  const res = await form(br, '/en/admin/e/conf/a/day-1', '/en/admin/e/conf/a/day-1/items', { move: `${a}:down` });
  t.equal(res.statusCode, 303);
  t.same(await ids(), [b, a], 'moved down');
  const page = parse((await br.get('/en/admin/e/conf/a/day-1')).body);
  const csrf = page.querySelector('form.admin-items-form input[name=_csrf]')!.getAttribute('value')!;
  const json = await ctx.app.inject({
    method: 'POST', url: '/en/admin/e/conf/a/day-1/order', payload: { order: [a, b] },
    headers: { cookie: br.cookie(), accept: 'application/json', 'x-csrf-token': csrf },
  });
  t.equal(json.statusCode, 200);
  t.same(json.json(), { moved: 1 }, 'one move for a swap of two');
  t.same(await ids(), [a, b]);
  const stale = await ctx.app.inject({
    method: 'POST', url: '/en/admin/e/conf/a/day-1/order', payload: { order: [a] },
    headers: { cookie: br.cookie(), accept: 'application/json', 'x-csrf-token': csrf },
  });
  t.equal(stale.statusCode, 400, 'an order that leaves an item out is refused');
  const noCsrf = await ctx.app.inject({ method: 'POST', url: '/en/admin/e/conf/a/day-1/order', payload: { order: [b, a] }, headers: { cookie: br.cookie(), accept: 'application/json' } });
  t.equal(noCsrf.statusCode, 403, 'the script\'s request needs the CSRF header too');
  t.same(await ids(), [a, b]);
});

t.test('publish and unpublish an album and an event; set the cover', async (t) => {
  const { ctx, b } = await world(t);
  const br = await signedIn(ctx, 'editor');
  t.equal((await ctx.app.inject({ url: '/en/e/conf/day-2' })).statusCode, 404, 'draft album not public');
  await form(br, '/en/admin/e/conf/a/day-2', '/en/admin/e/conf/a/day-2/status', { status: 'published' });
  t.equal((await ctx.app.inject({ url: '/en/e/conf/day-2' })).statusCode, 200, 'published');
  await form(br, '/en/admin/e/conf', '/en/admin/e/conf/status', { status: 'draft' });
  t.equal((await ctx.app.inject({ url: '/en/e/conf' })).statusCode, 404, 'the event unpublished');
  await form(br, '/en/admin/e/conf', '/en/admin/e/conf/status', { status: 'published' });
  await form(br, '/en/admin/e/conf/a/day-1', '/en/admin/e/conf/a/day-1/items', { cover: b });
  t.equal((await ctx.db.query('SELECT cover_asset_id FROM albums WHERE slug = $1', ['day-1'])).rows[0].cover_asset_id, b, 'the cover');
});

t.test('edit event texts per language; create an album; delete an album after confirming', async (t) => {
  const { ctx } = await world(t);
  const br = await signedIn(ctx, 'editor', 'ar');
  await form(br, '/ar/admin/e/conf', '/ar/admin/e/conf/details', { 'title.ar': 'مؤتمر باريس', 'title.en': 'Paris conference', 'venue.ar': 'باريس', 'description.en': 'Two days' });
  const ev = (await ctx.app.inject({ url: '/api/v1/events/conf' })).json();
  t.same(ev.title, { ar: 'مؤتمر باريس', en: 'Paris conference' });
  t.same(ev.venue, { ar: 'باريس' });
  const made = await form(br, '/ar/admin/e/conf', '/ar/admin/e/conf/albums', { slug: 'day-3', 'title.ar': 'اليوم الثالث' });
  t.equal(made.headers.location, '/ar/admin/e/conf/a/day-3');
  const confirm = parse((await br.get('/ar/admin/e/conf/a/day-3/delete')).body);
  t.match(confirm.querySelector('.admin-problem')!.textContent, /اليوم الثالث/, 'the confirmation names the album');
  t.equal((await ctx.db.query("SELECT 1 FROM albums WHERE slug = 'day-3'")).rows.length, 1, 'nothing deleted by asking');
  const del = await form(br, '/ar/admin/e/conf/a/day-3/delete', '/ar/admin/e/conf/a/day-3/delete', {});
  t.equal(del.headers.location, '/ar/admin/e/conf');
  t.equal((await ctx.db.query("SELECT 1 FROM albums WHERE slug = 'day-3'")).rows.length, 0);
});

t.test('an admin creates an event and deletes one; an editor may do neither', async (t) => {
  const { ctx, foreign } = await world(t);
  const editor = await signedIn(ctx, 'editor');
  t.equal((await editor.get('/en/admin/events/new')).statusCode, 403);
  t.equal((await editor.get('/en/admin/e/conf/delete')).statusCode, 403);
  const admin = await signedIn(ctx, 'admin');
  const made = await form(admin, '/en/admin/events/new', '/en/admin/events', { slug: 'summit', startsOn: '2027-01-10', endsOn: '2027-01-11', locales: ['ar', 'en'], defaultLocale: 'ar', 'title.ar': 'القمة', 'title.en': 'Summit' });
  t.equal(made.headers.location, '/en/admin/e/summit');
  t.equal((await admin.get('/en/admin/e/summit')).statusCode, 200);
  const del = await form(admin, '/en/admin/e/other/delete', '/en/admin/e/other/delete', {});
  t.equal(del.statusCode, 303);
  t.equal((await ctx.app.inject({ url: '/en/e/other' })).statusCode, 404);
  t.equal((await ctx.db.query('SELECT 1 FROM assets WHERE id = $1', [foreign])).rows.length, 0, 'its assets are gone');
});

t.test('one item hidden from its row is gone from the public page, the JSON and the media URL at once', async (t) => {
  const { ctx, a } = await world(t);
  const br = await signedIn(ctx, 'editor');
  const media = (await ctx.app.inject({ url: `/api/v1/assets/${a}` })).json().renditions['thumb.webp'].url as string;
  const { rows } = await ctx.db.query<{ key: string }>("SELECT key FROM renditions WHERE asset_id = $1 AND name = 'thumb.webp'", [a]);
  await ctx.storage.put(rows[0]!.key, Buffer.alloc(100)); // the seed writes rows only
  t.equal((await ctx.app.inject({ url: new URL(media).pathname + new URL(media).search })).statusCode, 200);
  const res = await form(br, '/en/admin/e/conf/a/day-1', '/en/admin/e/conf/a/day-1/items', { hide: a });
  t.equal(res.headers.location, `/en/admin/e/conf/a/day-1#item-${a}`);
  t.notOk((await ctx.app.inject({ url: '/en/e/conf/day-1' })).body.includes(a), 'not on the public album page');
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${a}` })).statusCode, 404, 'nor in the JSON');
  t.equal((await ctx.app.inject({ url: new URL(media).pathname + new URL(media).search })).statusCode, 404, 'nor at its media URL');
  const row = parse((await br.get('/en/admin/e/conf/a/day-1')).body).querySelector(`#item-${a}`)!;
  t.match(row.querySelector('.admin-item-head')!.textContent, /Hidden/, 'the console marks it hidden');
  t.equal(row.querySelector('button.admin-takedown')!.getAttribute('name'), 'unhide');
  await form(br, '/en/admin/e/conf/a/day-1', '/en/admin/e/conf/a/day-1/items', { unhide: a });
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${a}` })).statusCode, 200, 'shown again');
});

t.test('bulk: hide, set credit and licence, move, delete the selected items', async (t) => {
  const { ctx, a, b } = await world(t);
  const br = await signedIn(ctx, 'editor');
  const page = '/en/admin/e/conf/a/day-1';
  const action = `${page}/items`;
  let res = await form(br, page, action, { select: [a, b], intent: 'bulk', bulkAction: 'hide' });
  t.equal(res.headers.location, `${page}?done=2`);
  t.equal((await publicAlbum(ctx, 'en')).querySelectorAll('.tile').length, 0, 'both hidden from the public page');
  await form(br, page, action, { select: [a, b], intent: 'bulk', bulkAction: 'unhide' });
  await form(br, page, action, { select: [a], intent: 'bulk', bulkAction: 'credit', bulkCredit: 'Studio Nour' });
  await form(br, page, action, { select: [a], intent: 'bulk', bulkAction: 'license', bulkLicense: 'CC-BY-4.0' });
  const asset = (await ctx.app.inject({ url: `/api/v1/assets/${a}` })).json();
  t.equal(asset.credit, 'Studio Nour');
  t.equal(asset.license, 'CC-BY-4.0');
  await form(br, page, action, { select: [b], intent: 'bulk', bulkAction: 'move', bulkAlbum: 'day-2' });
  t.equal((await ctx.db.query('SELECT al.slug FROM assets a JOIN albums al ON al.id = a.album_id WHERE a.id = $1', [b])).rows[0].slug, 'day-2');
  await form(br, page, action, { select: [a], intent: 'bulk', bulkAction: 'delete' });
  t.equal((await ctx.db.query('SELECT 1 FROM assets WHERE id = $1', [a])).rows.length, 0);
});

t.test('an editor of one event cannot see or change another event through the console', async (t) => {
  const { ctx, foreign } = await world(t);
  const br = await signedIn(ctx, 'editor');
  for (const url of ['/en/admin/e/other', '/en/admin/e/other/a/main', '/en/admin/e/other/a/main/delete']) {
    t.equal((await br.get(url)).statusCode, 403, `GET ${url}`);
  }
  const csrf = parse((await br.get('/en/admin/e/conf')).body).querySelector('input[name=_csrf]')!.getAttribute('value')!;
  const attempts: [string, Record<string, string | string[]>][] = [
    ['/en/admin/e/other/status', { status: 'draft' }],
    ['/en/admin/e/other/details', { 'title.en': 'Hijacked' }],
    ['/en/admin/e/other/albums', { slug: 'x', 'title.en': 'X' }],
    ['/en/admin/e/other/a/main/status', { status: 'draft' }],
    ['/en/admin/e/other/a/main/items', { [`caption.${foreign}.en`]: 'Hijacked', intent: 'save' }],
    ['/en/admin/e/other/a/main/delete', {}],
    // its own album's form, naming another event's asset
    ['/en/admin/e/conf/a/day-1/items', { select: [foreign], intent: 'bulk', bulkAction: 'hide' }],
  ];
  for (const [url, values] of attempts) {
    const res = await br.post(url, { _csrf: csrf, ...values });
    t.ok(res.statusCode === 403 || res.statusCode === 404, `POST ${url}: ${res.statusCode}`);
  }
  const still = (await ctx.app.inject({ url: `/api/v1/assets/${foreign}` })).json();
  t.same([still.caption, still.hidden ?? false], [{ en: 'Elsewhere' }, false], 'the other event\'s item is untouched');
  t.equal((await ctx.app.inject({ url: '/en/e/other/main' })).statusCode, 200, 'and its album still public');
});

t.test('every console page in Arabic and English: language, direction, one h1, no inline script, not cached', async (t) => {
  const { ctx } = await world(t);
  const b = await signedIn(ctx, 'admin');
  const paths = ['', '/events/new', '/e/conf', '/e/conf/delete', '/e/conf/a/day-1', '/e/conf/a/day-1?missing=1', '/e/conf/a/day-1/delete', '/e/conf/links', '/e/conf/moderation', '/audit', '/processing', '/e/conf/dashboard'];
  for (const locale of ['ar', 'en'] as const) {
    for (const path of paths) {
      const url = `/${locale}/admin${path}`;
      const res = await b.get(url);
      t.equal(res.statusCode, 200, url);
      t.equal(res.headers['cache-control'], 'no-store', `${url}: not cached`);
      t.equal(res.headers['content-language'], locale);
      const doc = parse(res.body);
      t.equal(doc.querySelector('html')!.getAttribute('dir'), locale === 'ar' ? 'rtl' : 'ltr', `${url}: direction`);
      t.equal(doc.querySelectorAll('h1').length, 1, `${url}: one h1`);
      t.ok(doc.querySelectorAll('script').every((s) => s.getAttribute('src') || s.getAttribute('type') === 'application/json'), `${url}: no inline script`);
      t.ok(doc.querySelectorAll('form[method=post]').every((f) => f.querySelector('input[name=_csrf]')), `${url}: every form carries its CSRF token`);
    }
  }
});

t.test('console forms without their CSRF token change nothing', async (t) => {
  const { ctx, a } = await world(t);
  const br = await signedIn(ctx, 'admin');
  const attempts: [string, Record<string, string | string[]>][] = [
    ['/en/admin/e/conf/status', { status: 'draft' }],
    ['/en/admin/e/conf/a/day-1/status', { status: 'draft' }],
    ['/en/admin/e/conf/a/day-1/items', { hide: a }],
    ['/en/admin/e/conf/a/day-1/delete', {}],
    ['/en/admin/e/conf/delete', {}],
    ['/en/admin/e/conf/links/upload', { days: '3' }],
    ['/en/admin/e/conf/moderation/setting', { moderation: 'on' }],
  ];
  for (const [url, values] of attempts) {
    const res = await br.post(url, values);
    t.equal(res.statusCode, 403, url);
    t.equal(parse(res.body).querySelector('.admin-problem')?.textContent, 'The form had expired or did not come from this console. Go back, reload the page and try again.');
  }
  t.equal((await ctx.app.inject({ url: '/en/e/conf/day-1' })).statusCode, 200, 'still published');
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${a}` })).statusCode, 200, 'still shown');
  t.equal((await ctx.db.query('SELECT 1 FROM tokens WHERE link')).rows.length, 0, 'no link made');
});
