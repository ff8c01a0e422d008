/**
 * Events, albums and album pages through the HTTP API, against the real PostgreSQL, Redis and
 * S3 server: what an admin, an editor and the public get back.
 */
import t from 'tap';
import sharp from 'sharp';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';

const EVENT = {
  slug: 'paris-2026',
  title: { ar: 'مؤتمر باريس', en: 'Paris conference', ku: 'Konferansa Parîsê' },
  description: { en: 'Two days of talks' },
  startsOn: '2026-12-01',
  endsOn: '2026-12-02',
  venue: { ar: 'دار التعاضد', en: 'Maison de la Mutualité' },
  locales: ['ar', 'en', 'ku'],
  defaultLocale: 'ar',
};

/** A distinct, valid 8×8 PNG for each `i`. */
function png(i: number): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 8, channels: 3, background: { r: i, g: 0, b: 0 } } }).png().toBuffer();
}

async function upload(ctx: TestContext, token: string, body: Buffer, { event = 'conf', album = 'day-1', filename = 'photo.png' } = {}): Promise<string> {
  const form = multipart([{ name: 'file', filename, body }]);
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/events/${event}/albums/${album}/assets`, headers: { ...ctx.auth(token), ...form.headers }, payload: form.body });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  return res.json().assets[0].id;
}

function createEvent(ctx: TestContext, payload: object) {
  return ctx.app.inject({ method: 'POST', url: '/api/v1/events', headers: ctx.auth(ctx.admin), payload });
}

t.test('creating an event answers 201 with what was stored, as a draft without albums', async (t) => {
  const ctx = await createTestContext(t);
  const res = await createEvent(ctx, EVENT);
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json(), { ...EVENT, status: 'draft', keepLocation: false, moderation: false, defaultLicense: null, creditTemplate: '{credit}', albums: [] });

  const got = await ctx.app.inject({ url: '/api/v1/events/paris-2026', headers: ctx.auth(ctx.admin) });
  t.equal(got.statusCode, 200);
  t.same(got.json(), { ...EVENT, status: 'draft', keepLocation: false, moderation: false, defaultLicense: null, creditTemplate: '{credit}', albums: [] }, 'reading it back gives the same fields, Arabic intact');

  const minimal = await createEvent(ctx, { slug: 'b', title: { fr: 'Atelier' }, startsOn: '2027-01-05', endsOn: '2027-01-05', locales: ['fr'], defaultLocale: 'fr' });
  t.equal(minimal.statusCode, 201, 'a one-day event with one locale and one-character slug');
  t.same(minimal.json(), { slug: 'b', title: { fr: 'Atelier' }, description: {}, startsOn: '2027-01-05', endsOn: '2027-01-05', venue: null, locales: ['fr'], defaultLocale: 'fr', status: 'draft', keepLocation: false, moderation: false, defaultLicense: null, creditTemplate: '{credit}', albums: [] });
});

t.test('creating an event with a slug in use answers 409 LAMHA_CONFLICT and keeps the first', async (t) => {
  const ctx = await createTestContext(t);
  t.equal((await createEvent(ctx, EVENT)).statusCode, 201);
  const again = await createEvent(ctx, { ...EVENT, title: { en: 'Impostor' } });
  t.equal(again.statusCode, 409);
  t.match(again.json(), { statusCode: 409, code: 'LAMHA_CONFLICT', error: 'Conflict', message: /paris-2026/ });
  const got = await ctx.app.inject({ url: '/api/v1/events/paris-2026', headers: ctx.auth(ctx.admin) });
  t.same(got.json().title, EVENT.title);
});

t.test('refuses invalid events with 400 LAMHA_VALIDATION and a message, storing nothing', async (t) => {
  const ctx = await createTestContext(t);
  const cases: [string, object][] = [
    ['uppercase slug', { ...EVENT, slug: 'Paris' }],
    ['slug with a space', { ...EVENT, slug: 'paris 2026' }],
    ['slug with a leading hyphen', { ...EVENT, slug: '-paris' }],
    ['slug with a trailing hyphen', { ...EVENT, slug: 'paris-' }],
    ['slug of 65 characters', { ...EVENT, slug: 'a'.repeat(65) }],
    ['empty slug', { ...EVENT, slug: '' }],
    ['unknown locale', { ...EVENT, locales: ['en', 'de'], defaultLocale: 'en', title: { en: 'x' }, description: {} }],
    ['duplicate locale', { ...EVENT, locales: ['ar', 'en', 'ar'] }],
    ['no locale', { ...EVENT, locales: [] }],
    ['defaultLocale not among locales', { ...EVENT, defaultLocale: 'fr' }],
    ['endsOn before startsOn', { ...EVENT, startsOn: '2026-12-02', endsOn: '2026-12-01' }],
    ['empty title', { ...EVENT, title: {} }],
    ['title of blanks only', { ...EVENT, title: { en: '   ' } }],
    ['title only in a locale the event does not use', { ...EVENT, title: { fr: 'Conférence' } }],
    ['description in a locale the event does not use', { ...EVENT, description: { ckb: 'کۆنفرانس' } }],
    ['unknown property', { ...EVENT, organiser: 'someone' }],
    ['day-first date', { ...EVENT, startsOn: '01/12/2026' }],
    ['date with a time', { ...EVENT, endsOn: '2026-12-02T10:00:00Z' }],
    ['impossible date', { ...EVENT, endsOn: '2026-02-30' }],
    ['missing title', { ...EVENT, title: undefined }],
  ];
  for (const [what, payload] of cases) {
    const res = await createEvent(ctx, payload);
    t.equal(res.statusCode, 400, `${what}: ${res.body}`);
    const body = res.json();
    t.equal(body.code, 'LAMHA_VALIDATION', what);
    t.equal(body.error, 'Bad Request', what);
    t.ok(typeof body.message === 'string' && body.message.length > 0, `${what} has a message`);
  }
  const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  t.equal(rows[0]!.n, 0, 'no event was stored');
});

t.test('the messages of refused events say what is wrong', async (t) => {
  const ctx = await createTestContext(t);
  const message = async (payload: object) => (await createEvent(ctx, payload)).json().message as string;
  t.match(await message({ ...EVENT, locales: ['ar', 'en', 'ar'] }), /twice/);
  t.match(await message({ ...EVENT, defaultLocale: 'fr' }), /defaultLocale/);
  t.match(await message({ ...EVENT, startsOn: '2026-12-02', endsOn: '2026-12-01' }), /endsOn/);
  t.match(await message({ ...EVENT, title: { fr: 'Conférence' } }), /title.*fr/);
  t.match(await message({ ...EVENT, title: {} }), /title/);
});

t.test('PATCH of an event changes only the fields sent', async (t) => {
  const ctx = await createTestContext(t);
  await createEvent(ctx, EVENT);
  const res = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/paris-2026', headers: ctx.auth(ctx.admin), payload: { venue: 'Salle Pleyel', endsOn: '2026-12-03' } });
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json(), { ...EVENT, venue: { ar: 'Salle Pleyel' }, endsOn: '2026-12-03', status: 'draft', keepLocation: false, moderation: false, defaultLicense: null, creditTemplate: '{credit}', albums: [] }, 'one text is the default locale\'s');
  const got = await ctx.app.inject({ url: '/api/v1/events/paris-2026', headers: ctx.auth(ctx.admin) });
  t.same(got.json(), res.json(), 'the change is stored');

  const both = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/paris-2026', headers: ctx.auth(ctx.admin), payload: { venue: { en: ' Salle Pleyel ', ku: '  ' } } });
  t.same(both.json().venue, { en: 'Salle Pleyel' }, 'per locale, trimmed, blanks dropped');
  const foreign = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/paris-2026', headers: ctx.auth(ctx.admin), payload: { venue: { de: 'Saal' } } });
  t.equal(foreign.statusCode, 400);
  t.match(foreign.json(), { code: 'LAMHA_VALIDATION', message: /venue/ });
  const cleared = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/paris-2026', headers: ctx.auth(ctx.admin), payload: { venue: null } });
  t.equal(cleared.json().venue, null, 'venue can be cleared');
  const blank = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/paris-2026', headers: ctx.auth(ctx.admin), payload: { venue: ' ' } });
  t.equal(blank.json().venue, null, 'a blank venue is none');
  t.same(cleared.json().title, EVENT.title);
});

t.test('publishing an event flips its status and lists it for the public; unpublishing hides it again', async (t) => {
  const ctx = await createTestContext(t);
  await createEvent(ctx, EVENT);
  await createEvent(ctx, { ...EVENT, slug: 'other' });
  const publicSlugs = async () => (await ctx.app.inject({ url: '/api/v1/events' })).json().events.map((e: { slug: string }) => e.slug);
  t.same(await publicSlugs(), [], 'drafts are not listed');
  t.equal((await ctx.app.inject({ url: '/api/v1/events/paris-2026' })).statusCode, 404);

  const editor = await ctx.mint('editor', 'paris-2026');
  const res = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/paris-2026', headers: ctx.auth(editor), payload: { status: 'published' } });
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().status, 'published');
  t.same(await publicSlugs(), ['paris-2026']);
  const pub = await ctx.app.inject({ url: '/api/v1/events/paris-2026' });
  t.equal(pub.statusCode, 200);
  t.match(pub.json(), { slug: 'paris-2026', status: 'published', title: EVENT.title });

  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/paris-2026', headers: ctx.auth(editor), payload: { status: 'draft' } });
  t.same(await publicSlugs(), []);
});

t.test('PATCH of an event refuses an empty body and locales that leave out the default locale', async (t) => {
  const ctx = await createTestContext(t);
  await createEvent(ctx, EVENT);
  const patch = (payload: object) => ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/paris-2026', headers: ctx.auth(ctx.admin), payload });
  const cases: [string, object][] = [
    ['empty patch', {}],
    ['locales without the default locale', { locales: ['en', 'ku'] }],
    ['default locale outside the locales', { defaultLocale: 'fr' }],
    ['endsOn before the stored startsOn', { endsOn: '2026-11-30' }],
    ['slug is not editable', { slug: 'renamed' }],
    ['unknown status', { status: 'archived' }],
    ['dropping a locale that still has title text', { locales: ['en', 'ku'], defaultLocale: 'en' }],
  ];
  for (const [what, payload] of cases) {
    const res = await patch(payload);
    t.equal(res.statusCode, 400, `${what}: ${res.body}`);
    t.equal(res.json().code, 'LAMHA_VALIDATION', what);
  }
  const got = await ctx.app.inject({ url: '/api/v1/events/paris-2026', headers: ctx.auth(ctx.admin) });
  t.same(got.json(), { ...EVENT, status: 'draft', keepLocation: false, moderation: false, defaultLicense: null, creditTemplate: '{credit}', albums: [] }, 'nothing changed');

  const ok = await patch({ locales: ['en', 'ku'], defaultLocale: 'en', title: { en: 'Paris' }, description: {}, venue: { en: 'Maison de la Mutualité' } });
  t.equal(ok.statusCode, 200, `locales and default locale together: ${ok.body}`);
  t.match(ok.json(), { locales: ['en', 'ku'], defaultLocale: 'en' });
});

t.test('albums: positions follow creation order, slugs are unique per event, and the event lists them in order', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { event: 'conf', album: 'day-1', publish: false });
  await seedEvent(ctx, { event: 'other', album: 'misc', publish: false });
  const editor = await ctx.mint('editor', 'conf');
  const create = (event: string, payload: object, token = editor) => ctx.app.inject({ method: 'POST', url: `/api/v1/events/${event}/albums`, headers: ctx.auth(token), payload });

  const day2 = await create('conf', { slug: 'day-2', title: { ar: 'اليوم الثاني', en: 'Day two' }, caption: { en: 'Panels' } });
  t.equal(day2.statusCode, 201, day2.body);
  t.same(day2.json(), { slug: 'day-2', title: { ar: 'اليوم الثاني', en: 'Day two' }, caption: { en: 'Panels' }, position: 1, status: 'draft', coverAssetId: null, assetCount: 0 });
  const day3 = await create('conf', { slug: 'day-3', title: { en: 'Day three' } });
  t.equal(day3.json().position, 2);
  t.same(day3.json().caption, {});
  const first = await create('conf', { slug: 'press', title: { en: 'Press' }, position: 0 });
  t.equal(first.json().position, 0, 'a given position is kept');

  const dup = await create('conf', { slug: 'day-2', title: { en: 'again' } });
  t.equal(dup.statusCode, 409);
  t.equal(dup.json().code, 'LAMHA_CONFLICT');
  const elsewhere = await create('other', { slug: 'day-2', title: { en: 'Day two' } }, ctx.admin);
  t.equal(elsewhere.statusCode, 201, 'the same slug in another event is fine');

  const bad: [string, object][] = [
    ['uppercase slug', { slug: 'Day-4', title: { en: 'x' } }],
    ['title in a locale the event does not use', { slug: 'day-4', title: { fr: 'Jour' } }],
    ['caption in a locale the event does not use', { slug: 'day-4', title: { en: 'x' }, caption: { de: 'Tag' } }],
    ['negative position', { slug: 'day-4', title: { en: 'x' }, position: -1 }],
    ['unknown property', { slug: 'day-4', title: { en: 'x' }, cover: 'x' }],
  ];
  for (const [what, payload] of bad) {
    const res = await create('conf', payload);
    t.equal(res.statusCode, 400, `${what}: ${res.body}`);
    t.equal(res.json().code, 'LAMHA_VALIDATION', what);
  }

  const got = await ctx.app.inject({ url: '/api/v1/events/conf', headers: ctx.auth(editor) });
  t.same(got.json().albums.map((a: { slug: string; position: number }) => [a.slug, a.position]), [['day-1', 0], ['press', 0], ['day-2', 1], ['day-3', 2]]);
  t.equal((await create('nope', { slug: 'x', title: { en: 'x' } }, ctx.admin)).statusCode, 404, 'no such event');
});

t.test('the public sees only the published albums of a published event', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { event: 'conf', album: 'day-1', publish: true });
  const headers = ctx.auth(ctx.admin);
  await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers, payload: { slug: 'backstage', title: { en: 'Backstage' } } });
  const pub = await ctx.app.inject({ url: '/api/v1/events/conf' });
  t.same(pub.json().albums.map((a: { slug: string }) => a.slug), ['day-1']);
  t.equal((await ctx.app.inject({ url: '/api/v1/events/conf/albums/backstage' })).statusCode, 404, 'a draft album is not found');
  const admin = await ctx.app.inject({ url: '/api/v1/events/conf', headers });
  t.same(admin.json().albums.map((a: { slug: string }) => a.slug), ['day-1', 'backstage'], 'an admin sees both');

  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers, payload: { status: 'draft' } });
  t.equal((await ctx.app.inject({ url: '/api/v1/events/conf' })).statusCode, 404, 'a draft event hides even its published albums');
  t.equal((await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1' })).statusCode, 404);
});

t.test('PATCH of an album edits title, caption, position and status', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { publish: false });
  const editor = await ctx.mint('editor', 'conf');
  await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers: ctx.auth(editor), payload: { slug: 'day-2', title: { en: 'Day two' } } });
  const patch = (album: string, payload: object) => ctx.app.inject({ method: 'PATCH', url: `/api/v1/events/conf/albums/${album}`, headers: ctx.auth(editor), payload });

  const res = await patch('day-1', { title: { en: 'Opening', ar: 'الافتتاح' }, caption: { ku: 'Vekirin' } });
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json(), { slug: 'day-1', title: { en: 'Opening', ar: 'الافتتاح' }, caption: { ku: 'Vekirin' }, position: 0, status: 'draft' });
  const moved = await patch('day-1', { position: 5 });
  t.match(moved.json(), { position: 5, title: { en: 'Opening' }, caption: { ku: 'Vekirin' } }, 'other fields are kept');
  const published = await patch('day-1', { status: 'published' });
  t.equal(published.json().status, 'published');

  const got = await ctx.app.inject({ url: '/api/v1/events/conf', headers: ctx.auth(editor) });
  t.same(got.json().albums.map((a: { slug: string }) => a.slug), ['day-2', 'day-1'], 'the event lists albums by their new position');

  for (const [what, payload] of [['empty patch', {}], ['title in a foreign locale', { title: { de: 'Tag' } }], ['blank title', { title: { en: '' } }], ['unknown status', { status: 'hidden' }]] as [string, object][]) {
    const bad = await patch('day-2', payload);
    t.equal(bad.statusCode, 400, `${what}: ${bad.body}`);
    t.equal(bad.json().code, 'LAMHA_VALIDATION', what);
  }
  t.equal((await patch('nope', { position: 1 })).statusCode, 404);
});

t.test('an album cover must be an asset of that album', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const editor = await ctx.mint('editor', 'conf');
  await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers: ctx.auth(editor), payload: { slug: 'day-2', title: { en: 'Day two' } } });
  const inDay1 = await upload(ctx, editor, await png(1));
  const inDay2 = await upload(ctx, editor, await png(2), { album: 'day-2' });
  const patch = (payload: object) => ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf/albums/day-1', headers: ctx.auth(editor), payload });

  for (const [what, id] of [['an asset of another album', inDay2], ['an unknown asset', '00000000-0000-4000-8000-000000000000'], ['not a UUID', 'cover.jpg']] as const) {
    const res = await patch({ coverAssetId: id });
    t.equal(res.statusCode, 400, `${what}: ${res.body}`);
    t.equal(res.json().code, 'LAMHA_VALIDATION', what);
  }
  const ok = await patch({ coverAssetId: inDay1 });
  t.equal(ok.statusCode, 200, ok.body);
  t.equal(ok.json().coverAssetId, inDay1);
  t.equal(ok.json().assetCount, 1);
  const publicCover = async () => (await ctx.app.inject({ url: '/api/v1/events/conf' })).json().albums.find((a: { slug: string }) => a.slug === 'day-1').coverAssetId;
  t.equal(await publicCover(), null, 'the public is not told of a cover still processing');
  await ctx.db.query("UPDATE assets SET status = 'ready' WHERE id = $1", [inDay1]);
  t.equal(await publicCover(), inDay1, 'the public sees the cover once it is ready');
  const cleared = await patch({ coverAssetId: null });
  t.equal(cleared.json().coverAssetId, null, 'the cover can be cleared');
});

t.test('deleting an album removes it, its assets\' rows and every object of those assets', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const editor = await ctx.mint('editor', 'conf');
  await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers: ctx.auth(editor), payload: { slug: 'day-2', title: { en: 'Day two' } } });
  const a = await upload(ctx, editor, await png(1));
  const b = await upload(ctx, editor, await png(2));
  const kept = await upload(ctx, editor, await png(3), { album: 'day-2' });
  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf/albums/day-1', headers: ctx.auth(editor), payload: { coverAssetId: a } });
  // a rendition object as a worker would have written it
  await ctx.storage.put(`renditions/${a}/thumb.webp`, Buffer.from('thumb'));
  await ctx.db.query("INSERT INTO renditions (asset_id, name, key, width, height, bytes, type) VALUES ($1, 'thumb.webp', $2, 8, 8, 5, 'image/webp')", [a, `renditions/${a}/thumb.webp`]);
  t.same((await ctx.storage.list('')).sort(), [`originals/${a}`, `originals/${b}`, `originals/${kept}`, `renditions/${a}/thumb.webp`].sort());

  const del = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/events/conf/albums/day-1', headers: ctx.auth(editor) });
  t.equal(del.statusCode, 204, del.body);
  t.equal(del.body, '');
  t.same(await ctx.storage.list(''), [`originals/${kept}`], 'only the other album\'s object is left');
  const { rows } = await ctx.db.query<{ id: string }>('SELECT id FROM assets');
  t.same(rows.map((r) => r.id), [kept]);
  const { rows: renditions } = await ctx.db.query('SELECT 1 FROM renditions');
  t.equal(renditions.length, 0);

  t.equal((await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1', headers: ctx.auth(editor) })).statusCode, 404, 'the album is gone');
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${a}`, headers: ctx.auth(editor) })).statusCode, 404, 'its assets are gone');
  t.equal((await ctx.app.inject({ method: 'DELETE', url: '/api/v1/events/conf/albums/day-1', headers: ctx.auth(editor) })).statusCode, 404, 'deleting again is 404');
  t.same((await ctx.app.inject({ url: '/api/v1/events/conf', headers: ctx.auth(editor) })).json().albums.map((x: { slug: string }) => x.slug), ['day-2']);

  const del2 = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/events/conf/albums/day-2', headers: ctx.auth(ctx.admin) });
  t.equal(del2.statusCode, 204);
  t.same(await ctx.storage.list(''), [], 'storage is empty');
});

t.test('an album page is cursor-paginated in album order (newest upload first) and shows the public only ready assets', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const editor = await ctx.mint('editor', 'conf');
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) ids.push(await upload(ctx, editor, await png(i * 10), { filename: `IMG_${i}.png` }));
  t.equal(new Set(ids).size, 7, 'seven distinct assets');

  const page = (query: string, headers: Record<string, string> = ctx.auth(editor)) =>
    ctx.app.inject({ url: `/api/v1/events/conf/albums/day-1${query}`, headers });

  const first = await page('?limit=3');
  t.equal(first.statusCode, 200, first.body);
  const body = first.json();
  t.match(body, { slug: 'day-1', event: 'conf', title: { en: 'Day one' }, status: 'published', assetCount: 7 });
  t.equal(body.assets.length, 3);
  t.type(body.nextCursor, 'string');

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await page(`?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    t.equal(res.statusCode, 200, res.body);
    const json = res.json();
    seen.push(...json.assets.map((a: { id: string }) => a.id));
    cursor = json.nextCursor;
    pages++;
  } while (cursor !== null && pages < 10);
  t.equal(pages, 3, 'pages of 3, 3 and 1');
  const newestFirst = [...ids].reverse();
  t.same(seen, newestFirst, 'every asset exactly once, the newest upload first');

  const exact = await page('?limit=7');
  t.equal(exact.json().assets.length, 7);
  t.equal(exact.json().nextCursor, null, 'no next page when everything fits');
  t.equal((await page('')).json().assets.length, 7, 'the default limit holds all seven');

  for (const [what, query] of [['a garbage cursor', '?cursor=garbage'], ['a cursor of the wrong shape', `?cursor=${Buffer.from('{"a":1}').toString('base64url')}`], ['limit=0', '?limit=0'], ['limit=201', '?limit=201'], ['a non-numeric limit', '?limit=ten']] as const) {
    const res = await page(query);
    t.equal(res.statusCode, 400, `${what}: ${res.body}`);
    t.equal(res.json().code, 'LAMHA_VALIDATION', what);
  }

  const publicPage = await page('?limit=3', {});
  t.equal(publicPage.statusCode, 200);
  t.same(publicPage.json().assets, [], 'the public sees no processing assets');
  t.equal(publicPage.json().nextCursor, null);

  await ctx.db.query("UPDATE assets SET status = 'ready'");
  await ctx.db.query('UPDATE assets SET hidden = true WHERE id = $1', [ids[1]]);
  const publicSeen: string[] = [];
  cursor = null;
  pages = 0;
  do {
    const res = await page(`?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {});
    const json = res.json();
    for (const a of json.assets) {
      t.notOk('originalFilename' in a || 'error' in a || 'progress' in a, 'a public entry has no editor fields');
      t.equal(a.status, 'ready');
    }
    publicSeen.push(...json.assets.map((a: { id: string }) => a.id));
    cursor = json.nextCursor;
    pages++;
  } while (cursor !== null && pages < 10);
  t.same(publicSeen, newestFirst.filter((id) => id !== ids[1]), 'once ready, the public sees every asset but the hidden one, in order');
  t.notOk(JSON.stringify((await page('', {})).json()).includes('IMG_'), 'no original filename reaches the public');
  const editorView = (await page('?limit=1')).json().assets[0];
  t.equal(editorView.originalFilename, 'IMG_6.png', 'the editor sees the filename');
});

t.test('an asset is answered as JSON with its stored fields and renditions', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const editor = await ctx.mint('editor', 'conf');
  const bytes = await png(42);
  const id = await upload(ctx, editor, bytes, { filename: 'صورة.png' });
  const url = `/api/v1/assets/${id}`;

  const res = await ctx.app.inject({ url, headers: ctx.auth(editor) });
  t.equal(res.statusCode, 200, res.body);
  const asset = res.json();
  t.match(asset, {
    id, event: 'conf', album: 'day-1', kind: 'image', type: 'image/png', status: 'processing', bytes: bytes.length,
    width: null, height: null, durationMs: null, capturedAt: null, caption: {}, renditions: {}, originalFilename: 'صورة.png',
  });
  t.match(asset.sha256, /^[0-9a-f]{64}$/);
  const { createHash } = await import('node:crypto');
  t.equal(asset.sha256, createHash('sha256').update(bytes).digest('hex'));
  t.ok(!Number.isNaN(Date.parse(asset.createdAt)), 'createdAt is a date');

  await ctx.db.query(
    `INSERT INTO renditions (asset_id, name, key, width, height, bytes, type, created_at) VALUES
       ($1, 'thumb.webp', $2, 320, 240, 1234, 'image/webp', $4), ($1, 'large.webp', $3, 2048, 1536, 99999, 'image/webp', $4)`,
    [id, `renditions/${id}/thumb.webp`, `renditions/${id}/large.webp`, '2026-12-05T09:30:00Z'],
  );
  const withRenditions = (await ctx.app.inject({ url, headers: ctx.auth(editor) })).json();
  // the version in the URL is when the rendition was written, so a re-made one gets a new URL
  const v = Date.parse('2026-12-05T09:30:00Z').toString(36);
  t.same(withRenditions.renditions, {
    'large.webp': { url: `http://gallery.test/media/${id}/large.webp?v=${v}`, width: 2048, height: 1536, type: 'image/webp' },
    'thumb.webp': { url: `http://gallery.test/media/${id}/thumb.webp?v=${v}`, width: 320, height: 240, type: 'image/webp' },
  });
  t.notOk(JSON.stringify(withRenditions).includes('renditions/'), 'storage keys are not revealed');

  const unknown = await ctx.app.inject({ url: '/api/v1/assets/00000000-0000-4000-8000-000000000000', headers: ctx.auth(editor) });
  t.equal(unknown.statusCode, 404);
  t.match(unknown.json(), { statusCode: 404, code: 'LAMHA_NOT_FOUND', error: 'Not Found' });
  const notUuid = await ctx.app.inject({ url: '/api/v1/assets/not-a-uuid', headers: ctx.auth(editor) });
  t.equal(notUuid.statusCode, 400);
  t.equal(notUuid.json().code, 'LAMHA_VALIDATION');
});

t.test('private location columns never appear in any response, to the public or to an admin', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const editor = await ctx.mint('editor', 'conf');
  const id = await upload(ctx, editor, await png(7));
  await ctx.db.query(
    `UPDATE assets SET status = 'ready', private_latitude = 33.513807, private_longitude = 36.276528, private_altitude = 691.25,
       private_location = '{"city": "Damascus", "gpsLatitude": 33.513807}' WHERE id = $1`,
    [id],
  );
  const bodies: [string, string][] = [];
  for (const [who, headers] of [['public', {}], ['admin', ctx.auth(ctx.admin)], ['editor', ctx.auth(editor)]] as [string, Record<string, string>][]) {
    const asset = await ctx.app.inject({ url: `/api/v1/assets/${id}`, headers });
    t.equal(asset.statusCode, 200, `${who} sees the asset`);
    const page = await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1', headers });
    t.equal(page.json().assets.length, 1, `${who} sees it in the album`);
    const event = await ctx.app.inject({ url: '/api/v1/events/conf', headers });
    bodies.push([`${who} asset`, asset.body], [`${who} album page`, page.body], [`${who} event`, event.body]);
  }
  for (const [what, body] of bodies) {
    for (const leak of ['private', 'latitude', 'longitude', 'altitude', 'Damascus', '33.51', '36.27', '691.25']) {
      t.notOk(body.toLowerCase().includes(leak.toLowerCase()), `${what} does not hold "${leak}"`);
    }
  }
});

t.test('errors keep the contract shape: unknown routes, malformed and mistyped bodies', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const headers = ctx.auth(ctx.admin);

  const missing = await ctx.app.inject({ url: '/api/v1/nothing-here?x=1' });
  t.equal(missing.statusCode, 404);
  t.same(Object.keys(missing.json()).sort(), ['code', 'error', 'message', 'statusCode']);
  t.match(missing.json(), { statusCode: 404, code: 'LAMHA_NOT_FOUND', error: 'Not Found', message: /\/api\/v1\/nothing-here/ });
  t.equal((await ctx.app.inject({ method: 'PUT', url: '/api/v1/events' })).json().code, 'LAMHA_NOT_FOUND', 'an unknown method is 404 too');

  const malformed = await ctx.app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"slug": "x",' });
  t.equal(malformed.statusCode, 400, malformed.body);
  t.match(malformed.json(), { statusCode: 400, code: 'LAMHA_BAD_REQUEST', error: 'Bad Request', message: String });

  const empty = await ctx.app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...headers, 'content-type': 'application/json' }, payload: '' });
  t.equal(empty.statusCode, 400, empty.body);
  t.equal(empty.json().code, 'LAMHA_VALIDATION');

  const text = await ctx.app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...headers, 'content-type': 'text/plain' }, payload: JSON.stringify(EVENT) });
  t.equal(text.statusCode, 415, text.body);
  t.match(text.json(), { statusCode: 415, code: 'LAMHA_UNSUPPORTED_MEDIA_TYPE', error: 'Unsupported Media Type' });
  const xml = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers: { ...headers, 'content-type': 'application/xml' }, payload: '<event/>' });
  t.equal(xml.statusCode, 415, xml.body);
  t.equal(xml.json().code, 'LAMHA_UNSUPPORTED_MEDIA_TYPE');

  const uploadAsJson = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers, payload: { file: 'aGVsbG8=' } });
  t.equal(uploadAsJson.statusCode, 415, uploadAsJson.body);
  t.equal(uploadAsJson.json().code, 'LAMHA_UNSUPPORTED_MEDIA_TYPE');
  t.same(await ctx.storage.list(''), [], 'nothing stored');
  const { rows } = await ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE slug <> 'conf'");
  t.equal(rows[0]!.n, 0, 'no event was created');
});
