/**
 * The authorization matrix: for each route, who gets 2xx, 401, 403 or 404; and after every
 * refusal, that nothing changed (rows, objects, queued jobs, gallery versions).
 */
import t from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { readFileSync } from 'node:fs';
import { hashToken } from '../../src/services/tokens.js';
import { unchangedIfRefused } from '../helpers/state.js';

const JPEG = readFileSync(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url));

type Who = 'public' | 'garbage' | 'expired' | 'revoked' | 'admin' | 'editorA' | 'editorB' | 'photographerA' | 'photographerB' | 'pressA';

interface Setup {
  ctx: TestContext;
  tokens: Record<Exclude<Who, 'public'>, string>;
}

async function setup(t: Parameters<typeof createTestContext>[0]): Promise<Setup> {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { event: 'a' });
  await seedEvent(ctx, { event: 'b' });
  await seedEvent(ctx, { event: 'draft', publish: false });
  const revoked = await ctx.mint('editor', 'a');
  await ctx.db.query('UPDATE tokens SET revoked_at = now() WHERE token_hash = $1', [hashToken(revoked)]);
  const expired = await ctx.mint('editor', 'a', { expiresAt: new Date(Date.now() - 1000) });
  const tokens = {
    garbage: 'lamha_not-a-real-token',
    revoked,
    expired,
    admin: ctx.admin,
    editorA: await ctx.mint('editor', 'a'),
    editorB: await ctx.mint('editor', 'b'),
    photographerA: await ctx.mint('photographer', 'a'),
    photographerB: await ctx.mint('photographer', 'b'),
    pressA: await ctx.mint('press', 'a'),
  };
  return { ctx, tokens };
}

function headers(s: Setup, who: Who): Record<string, string> {
  return who === 'public' ? {} : s.ctx.auth(s.tokens[who]);
}

async function uploadAs(s: Setup, who: Who, event = 'a') {
  const form = multipart([{ name: 'file', filename: 'a.jpg', body: JPEG }]);
  return s.ctx.app.inject({ method: 'POST', url: `/api/v1/events/${event}/albums/day-1/assets`, headers: { ...headers(s, who), ...form.headers }, payload: form.body });
}

t.test('a token that is not live is refused with 401 everywhere, even on public routes', async (t) => {
  const s = await setup(t);
  for (const who of ['garbage', 'expired', 'revoked'] as const) {
    for (const url of ['/api/v1/events', '/api/v1/events/a']) {
      const res = await unchangedIfRefused(t, s.ctx, `${who} GET ${url}`, () => s.ctx.app.inject({ url, headers: headers(s, who) }));
      t.equal(res.statusCode, 401, `${who} GET ${url}`);
      t.equal(res.json().code, 'LAMHA_UNAUTHORIZED');
    }
  }
  const malformed = await s.ctx.app.inject({ url: '/api/v1/events', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
  t.equal(malformed.statusCode, 401);
});

t.test('creating events: admin only', async (t) => {
  const s = await setup(t);
  const expected: [Who, number][] = [['public', 401], ['editorA', 403], ['photographerA', 403], ['pressA', 403], ['admin', 201]];
  for (const [who, status] of expected) {
    const res = await unchangedIfRefused(t, s.ctx, `POST event as ${who}`, () => s.ctx.app.inject({
      method: 'POST', url: '/api/v1/events', headers: headers(s, who),
      payload: { slug: `new-${who.toLowerCase()}`, title: { en: 'New' }, startsOn: '2026-01-01', endsOn: '2026-01-02', locales: ['en'], defaultLocale: 'en' },
    }));
    t.equal(res.statusCode, status, `${who}: ${res.body}`);
  }
});

t.test('editing an event and its albums: admin and that event\'s editor', async (t) => {
  const s = await setup(t);
  const expected: [Who, number][] = [
    ['public', 401], ['photographerA', 403], ['pressA', 403], ['editorB', 403], ['editorA', 200], ['admin', 200],
  ];
  for (const [who, status] of expected) {
    const patch = await unchangedIfRefused(t, s.ctx, `PATCH event as ${who}`, () => s.ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/a', headers: headers(s, who), payload: { venue: `venue by ${who}` } }));
    t.equal(patch.statusCode, status, `PATCH event as ${who}`);
    const album = await unchangedIfRefused(t, s.ctx, `POST album as ${who}`, () => s.ctx.app.inject({ method: 'POST', url: '/api/v1/events/a/albums', headers: headers(s, who), payload: { slug: `album-${who.toLowerCase()}`, title: { en: 'x' } } }));
    t.equal(album.statusCode, status === 200 ? 201 : status, `POST album as ${who}`);
    const albumPatch = await unchangedIfRefused(t, s.ctx, `PATCH album as ${who}`, () => s.ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/a/albums/day-1', headers: headers(s, who), payload: { caption: { en: `by ${who}` } } }));
    t.equal(albumPatch.statusCode, status, `PATCH album as ${who}`);
  }
});

t.test('a draft event is invisible (404) to the public, to press and to other events\' tokens', async (t) => {
  const s = await setup(t);
  const draftEditor = await s.ctx.mint('editor', 'draft');
  const draftPress = await s.ctx.mint('press', 'draft');
  const draftPhotographer = await s.ctx.mint('photographer', 'draft');
  for (const [token, status, who] of [
    [undefined, 404, 'public'], [s.tokens.editorA, 404, 'editor of another event'], [draftPress, 404, 'press of the event'],
    [draftPhotographer, 200, 'photographer of the event'], [draftEditor, 200, 'editor of the event'], [s.ctx.admin, 200, 'admin'],
  ] as const) {
    const res = await s.ctx.app.inject({ url: '/api/v1/events/draft', headers: token ? s.ctx.auth(token) : {} });
    t.equal(res.statusCode, status, who);
    const album = await s.ctx.app.inject({ url: '/api/v1/events/draft/albums/day-1', headers: token ? s.ctx.auth(token) : {} });
    t.equal(album.statusCode, status, `${who}: album`);
  }
  const list = await s.ctx.app.inject({ url: '/api/v1/events' });
  t.same(list.json().events.map((e: { slug: string }) => e.slug).sort(), ['a', 'b'], 'the public lists published events only');
  const adminList = await s.ctx.app.inject({ url: '/api/v1/events', headers: s.ctx.auth(s.ctx.admin) });
  t.same(adminList.json().events.map((e: { slug: string }) => e.slug).sort(), ['a', 'b', 'draft'], 'an admin lists every event');
  const editorList = await s.ctx.app.inject({ url: '/api/v1/events', headers: s.ctx.auth(draftEditor) });
  t.same(editorList.json().events.map((e: { slug: string }) => e.slug).sort(), ['a', 'b', 'draft'], 'an editor also lists its own draft event');
});

t.test('uploading: photographers, editors and admins of the event', async (t) => {
  const s = await setup(t);
  const expected: [Who, number][] = [
    ['public', 401], ['pressA', 403], ['photographerB', 403], ['editorB', 403], ['photographerA', 201], ['editorA', 201], ['admin', 201],
  ];
  for (const [who, status] of expected) {
    await s.ctx.db.query('DELETE FROM assets'); // each upload is new again
    const res = await unchangedIfRefused(t, s.ctx, `upload as ${who}`, () => uploadAs(s, who));
    t.equal(res.statusCode, status, `${who}: ${res.body}`);
  }
  const draft = await unchangedIfRefused(t, s.ctx, 'upload to another event\'s draft', () => uploadAs(s, 'photographerA', 'draft'));
  t.equal(draft.statusCode, 404, 'another event\'s draft does not exist for this token');
});

t.test('assets: processing ones are the event\'s business; deleting is for editors', async (t) => {
  const s = await setup(t);
  const up = await uploadAs(s, 'photographerA');
  const id = up.json().assets[0].id;
  const url = `/api/v1/assets/${id}`;
  for (const [who, status] of [['public', 404], ['pressA', 404], ['editorB', 404], ['photographerA', 200], ['photographerB', 404], ['editorA', 200], ['admin', 200]] as [Who, number][]) {
    const res = await s.ctx.app.inject({ url, headers: headers(s, who) });
    t.equal(res.statusCode, status, `GET as ${who}`);
  }
  const asOwner = (await s.ctx.app.inject({ url, headers: headers(s, 'photographerA') })).json();
  t.equal(asOwner.originalFilename, 'a.jpg', 'the uploader sees the filename it sent');
  const otherPhotographer = await s.ctx.mint('photographer', 'a');
  const asOther = (await s.ctx.app.inject({ url, headers: s.ctx.auth(otherPhotographer) })).json();
  t.notOk('originalFilename' in asOther, 'another photographer does not');

  await s.ctx.db.query("UPDATE assets SET status = 'ready' WHERE id = $1", [id]);
  const pub = (await s.ctx.app.inject({ url })).json();
  t.equal(pub.status, 'ready', 'a ready asset in a published album is public');
  t.notOk('originalFilename' in pub || 'error' in pub || 'progress' in pub, 'the public sees no editor fields');

  for (const [who, status] of [['public', 401], ['pressA', 403], ['photographerA', 403], ['editorB', 403], ['editorA', 204]] as [Who, number][]) {
    const res = await unchangedIfRefused(t, s.ctx, `DELETE asset as ${who}`, () => s.ctx.app.inject({ method: 'DELETE', url, headers: headers(s, who) }));
    t.equal(res.statusCode, status, `DELETE as ${who}`);
  }
  t.equal((await s.ctx.app.inject({ url, headers: headers(s, 'admin') })).statusCode, 404, 'gone after delete');
});

t.test('hidden assets and unpublished albums are 404 to the public', async (t) => {
  const s = await setup(t);
  const id = (await uploadAs(s, 'editorA')).json().assets[0].id;
  await s.ctx.db.query("UPDATE assets SET status = 'ready', hidden = true WHERE id = $1", [id]);
  t.equal((await s.ctx.app.inject({ url: `/api/v1/assets/${id}` })).statusCode, 404, 'hidden');
  t.equal((await s.ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: headers(s, 'editorA') })).statusCode, 200, 'the editor still sees it');
  await s.ctx.db.query('UPDATE assets SET hidden = false WHERE id = $1', [id]);
  await s.ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/a/albums/day-1', headers: headers(s, 'editorA'), payload: { status: 'draft' } });
  t.equal((await s.ctx.app.inject({ url: `/api/v1/assets/${id}` })).statusCode, 404, 'album unpublished');
  t.equal((await s.ctx.app.inject({ url: '/api/v1/events/a/albums/day-1' })).statusCode, 404);
});

t.test('tokens: admins mint any; editors mint photographer and press tokens of their event', async (t) => {
  const s = await setup(t);
  const mint = (who: Who, payload: object) => unchangedIfRefused(t, s.ctx, `mint as ${who} ${JSON.stringify(payload)}`, () => s.ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: headers(s, who), payload }));
  const cases: [Who, object, number, string?][] = [
    ['public', { role: 'photographer', event: 'a', label: 'x' }, 401],
    ['photographerA', { role: 'photographer', event: 'a', label: 'x' }, 403],
    ['pressA', { role: 'press', event: 'a', label: 'x' }, 403],
    ['editorA', { role: 'editor', event: 'a', label: 'x' }, 403],
    ['editorA', { role: 'admin', label: 'x' }, 403],
    ['editorA', { role: 'photographer', event: 'b', label: 'x' }, 403],
    ['editorA', { role: 'photographer', event: 'nope', label: 'x' }, 404],
    ['admin', { role: 'editor', label: 'x' }, 400, 'LAMHA_VALIDATION'],
    ['admin', { role: 'admin', event: 'a', label: 'x' }, 400, 'LAMHA_VALIDATION'],
    ['admin', { role: 'press', event: 'a', label: 'x', expiresAt: '2001-01-01T00:00:00Z' }, 400, 'LAMHA_VALIDATION'],
    ['admin', { role: 'wizard', event: 'a', label: 'x' }, 400, 'LAMHA_VALIDATION'],
    ['editorA', { role: 'press', label: 'Reuters desk' }, 201],
    ['editorA', { role: 'photographer', event: 'a', label: 'Hall B' }, 201],
    ['admin', { role: 'editor', event: 'b', label: 'B editor', expiresAt: '2099-01-01T00:00:00Z' }, 201],
    ['admin', { role: 'admin', label: 'second admin' }, 201],
  ];
  for (const [who, payload, status, code] of cases) {
    const res = await mint(who, payload);
    t.equal(res.statusCode, status, `${who} ${JSON.stringify(payload)}: ${res.body}`);
    if (code) t.equal(res.json().code, code);
  }

  const minted = (await mint('editorA', { role: 'photographer', label: 'Hall C' })).json();
  t.match(minted, { role: 'photographer', event: 'a', label: 'Hall C', expiresAt: null });
  t.match(minted.token, /^lamha_[A-Za-z0-9_-]{43}$/);
  const { rows } = await s.ctx.db.query('SELECT token_hash FROM tokens WHERE id = $1', [minted.id]);
  t.notOk(rows[0].token_hash.toString('utf8').includes(minted.token), 'only the hash is stored');
  t.equal((await unchangedIfRefused(t, s.ctx, 'upload as the public', () => uploadAs(s, 'public'))).statusCode, 401);
  const form = multipart([{ name: 'file', filename: 'a.jpg', body: JPEG }]);
  const up = await s.ctx.app.inject({ method: 'POST', url: '/api/v1/events/a/albums/day-1/assets', headers: { ...s.ctx.auth(minted.token), ...form.headers }, payload: form.body });
  t.equal(up.statusCode, 201, 'the minted token works');

  const revoke = (who: Who, id: string) => unchangedIfRefused(t, s.ctx, `revoke ${id} as ${who}`, () => s.ctx.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: headers(s, who) }));
  t.equal((await revoke('photographerA', minted.id)).statusCode, 403);
  t.equal((await revoke('editorB', minted.id)).statusCode, 404, 'another event\'s editor cannot see it');
  t.equal((await revoke('public', minted.id)).statusCode, 401);
  t.equal((await revoke('editorA', minted.id)).statusCode, 204);
  t.equal((await s.ctx.app.inject({ url: '/api/v1/events', headers: s.ctx.auth(minted.token) })).statusCode, 401, 'a revoked token is refused');
  const adminRow = await s.ctx.db.query<{ id: string }>("SELECT id FROM tokens WHERE role = 'admin' LIMIT 1");
  t.equal((await revoke('editorA', adminRow.rows[0]!.id)).statusCode, 404, 'an editor cannot reach an admin token');
  t.equal((await revoke('admin', '00000000-0000-4000-8000-000000000000')).statusCode, 404);
});
