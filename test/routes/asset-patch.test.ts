/**
 * PATCH /api/v1/assets/:id: captions and alt text merged per locale, credit, licence, album,
 * position, hidden; who may change what.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { unchangedIfRefused } from '../helpers/state.js';

const jpeg = (n: number) => readFileSync(new URL(`../fixtures/exif-orientation_${n}.jpg`, import.meta.url));

async function upload(ctx: TestContext, token: string, n: number, event = 'conf'): Promise<string> {
  const form = multipart([{ name: 'file', filename: `${n}.jpg`, body: jpeg(n) }]);
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/events/${event}/albums/day-1/assets`, headers: { ...ctx.auth(token), ...form.headers }, payload: form.body });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.body}`);
  const id = res.json().assets[0].id as string;
  // what the worker would do; these tests are about editing
  await ctx.db.query("UPDATE assets SET status = 'ready' WHERE id = $1", [id]);
  return id;
}

function patch(ctx: TestContext, id: string, payload: object, token?: string) {
  return ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: token ? ctx.auth(token) : {}, payload });
}

async function order(ctx: TestContext, album: string, token: string): Promise<string[]> {
  const res = await ctx.app.inject({ url: `/api/v1/events/conf/albums/${album}`, headers: ctx.auth(token) });
  return res.json().assets.map((a: { id: string }) => a.id);
}

async function positions(ctx: TestContext, album: string, token: string): Promise<number[]> {
  const res = await ctx.app.inject({ url: `/api/v1/events/conf/albums/${album}`, headers: ctx.auth(token) });
  return res.json().assets.map((a: { position: number }) => a.position);
}

t.test('an editor edits captions (merged per locale), alt text, credit, licence and hidden', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const editor = await ctx.mint('editor', 'conf');
  const id = await upload(ctx, editor, 1);

  let res = await patch(ctx, id, { caption: { ar: 'الافتتاح', en: 'Opening' }, altText: { en: 'A hall full of people' }, credit: 'Lina K.', license: 'CC-BY-4.0' }, editor);
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json(), { caption: { ar: 'الافتتاح', en: 'Opening' }, altText: { en: 'A hall full of people' }, credit: 'Lina K.', license: 'CC-BY-4.0', hidden: false });

  res = await patch(ctx, id, { caption: { ku: 'Vekirin', en: null } }, editor);
  t.equal(res.statusCode, 200);
  t.same(res.json().caption, { ar: 'الافتتاح', ku: 'Vekirin' }, 'a locale named is set, null removes one, the others stay');
  t.same(res.json().altText, { en: 'A hall full of people' }, 'fields not named stay');

  res = await patch(ctx, id, { credit: null, license: null }, editor);
  t.match(res.json(), { credit: null, license: null }, 'credit and licence can be cleared');

  const pub = (await ctx.app.inject({ url: `/api/v1/assets/${id}` })).json();
  t.same(pub.caption, { ar: 'الافتتاح', ku: 'Vekirin' }, 'the public sees the edit');

  res = await patch(ctx, id, { hidden: true }, editor);
  t.equal(res.json().hidden, true);
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${id}` })).statusCode, 404, 'hidden: gone for the public');
  t.equal((await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1' })).json().assets.length, 0, 'and from the album');
  res = await patch(ctx, id, { hidden: false }, editor);
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${id}` })).statusCode, 200, 'shown again');
});

t.test('moving to another album of the event and reordering', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const editor = await ctx.mint('editor', 'conf');
  await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers: ctx.auth(editor), payload: { slug: 'day-2', title: { en: 'Day two' } } });
  const [c, b, a] = [await upload(ctx, editor, 1), await upload(ctx, editor, 2), await upload(ctx, editor, 3)];
  t.same(await order(ctx, 'day-1', editor), [a, b, c], 'each new upload comes first, the others move down');
  t.same(await positions(ctx, 'day-1', editor), [0, 1, 2], 'positions stay 0, 1, 2…');

  let res = await patch(ctx, c!, { position: 0 }, editor);
  t.equal(res.statusCode, 200);
  t.same(await order(ctx, 'day-1', editor), [c, a, b], 'moved to the front, the others after it');
  await patch(ctx, c!, { position: 1 }, editor);
  t.same(await order(ctx, 'day-1', editor), [a, c, b], 'and into the middle');
  t.same(await positions(ctx, 'day-1', editor), [0, 1, 2]);
  const d = await upload(ctx, editor, 4);
  t.same(await order(ctx, 'day-1', editor), [d, a, c, b], 'a later upload leads, the curated order follows');
  res = await patch(ctx, d!, { position: 3 }, editor);
  t.equal(res.json().position, 3);
  t.same(await order(ctx, 'day-1', editor), [a, c, b, d], 'a move to a later place closes the gap it leaves');
  res = await patch(ctx, b!, { position: 1000 }, editor);
  t.equal(res.json().position, 3, 'a place past the end is the last');
  t.same(await order(ctx, 'day-1', editor), [a, c, d, b]);
  await patch(ctx, b!, { position: 2 }, editor);

  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf/albums/day-1', headers: ctx.auth(editor), payload: { coverAssetId: a } });
  res = await patch(ctx, a!, { album: 'day-2' }, editor);
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().album, 'day-2');
  t.same(await order(ctx, 'day-1', editor), [c, b, d]);
  t.same(await order(ctx, 'day-2', editor), [a]);
  const day1 = (await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1', headers: ctx.auth(editor) })).json();
  t.equal(day1.coverAssetId ?? null, null, 'an asset that leaves an album stops being its cover');

  res = await patch(ctx, b!, { album: 'day-2' }, editor);
  t.same(await order(ctx, 'day-2', editor), [a, b], 'a move without a position puts it last');
  res = await patch(ctx, c!, { album: 'day-2', position: 0 }, editor);
  t.same(await order(ctx, 'day-2', editor), [c, a, b], 'a move with a position puts it there');

  res = await patch(ctx, c!, { album: 'nope' }, editor);
  t.equal(res.statusCode, 400);
  t.equal(res.json().code, 'LAMHA_VALIDATION');
  await seedEvent(ctx, { event: 'other' });
  res = await patch(ctx, c!, { album: 'day-1' }, editor);
  t.equal(res.statusCode, 200, 'day-1 is this event\'s own day-1');
  const otherAlbum = (await ctx.app.inject({ url: '/api/v1/events/other/albums/day-1', headers: ctx.auth(ctx.admin) })).json();
  t.equal(otherAlbum.assets.length, 0, 'nothing ever lands in another event\'s album');
});

t.test('bodies are validated: the event\'s locales only, known fields, sane values', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const editor = await ctx.mint('editor', 'conf');
  const id = await upload(ctx, editor, 1);
  for (const [payload, what] of [
    [{ caption: { fr: 'Ouverture' } }, 'a locale the event does not use (ar, en, ku)'],
    [{ altText: { de: 'Halle' } }, 'alt text in a foreign locale'],
    [{ caption: { 'not a tag': 'x' } }, 'not a language tag'],
    [{ caption: 'Opening' }, 'a caption that is not a map'],
    [{ position: -1 }, 'a negative position'],
    [{ hidden: 'yes' }, 'hidden that is not a boolean'],
    [{ status: 'ready' }, 'a field that cannot be edited'],
    [{ album: 'Day One!' }, 'an album that is not a slug'],
    [{ credit: 'x'.repeat(501) }, 'an overlong credit'],
  ] as [object, string][]) {
    const res = await patch(ctx, id, payload, editor);
    t.equal(res.statusCode, 400, what);
    t.equal(res.json().code, 'LAMHA_VALIDATION', what);
  }
  await ctx.db.query(`UPDATE assets SET caption = '{"fr": "Ouverture", "en": "Opening"}' WHERE id = $1`, [id]);
  const res = await patch(ctx, id, { caption: { fr: null } }, editor);
  t.equal(res.statusCode, 200, 'text in a locale the event dropped can be removed');
  t.same(res.json().caption, { en: 'Opening' });
});

t.test('who may edit: editors of the event everything, the uploader its captions and alt text, others nothing', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await seedEvent(ctx, { event: 'b' });
  const tokens = {
    editor: await ctx.mint('editor', 'conf'),
    owner: await ctx.mint('photographer', 'conf'),
    colleague: await ctx.mint('photographer', 'conf'),
    press: await ctx.mint('press', 'conf'),
    editorB: await ctx.mint('editor', 'b'),
    photographerB: await ctx.mint('photographer', 'b'),
  };
  const id = await upload(ctx, tokens.owner, 1);
  const caption = { caption: { en: 'Mine' } };

  const expectations: [string, string | undefined, object, number][] = [
    ['the public', undefined, caption, 401],
    ['press', tokens.press, caption, 403],
    ['another photographer of the event', tokens.colleague, caption, 403],
    ['another event\'s editor', tokens.editorB, caption, 403],
    ['another event\'s photographer', tokens.photographerB, caption, 403],
    ['the uploader: caption', tokens.owner, caption, 200],
    ['the uploader: alt text', tokens.owner, { altText: { en: 'Alt' } }, 200],
    ['the uploader: hidden', tokens.owner, { hidden: true }, 403],
    ['the uploader: credit with a caption', tokens.owner, { caption: { en: 'x' }, credit: 'Me' }, 403],
    ['the uploader: album', tokens.owner, { album: 'day-1' }, 403],
    ['the uploader: position', tokens.owner, { position: 0 }, 403],
    ['the editor', tokens.editor, { credit: 'Editor', hidden: false, position: 0 }, 200],
    ['an admin', ctx.admin, { license: 'CC-BY-4.0' }, 200],
  ];
  for (const [who, token, payload, status] of expectations) {
    const res = await unchangedIfRefused(t, ctx, who, () => patch(ctx, id, payload, token));
    t.equal(res.statusCode, status, `${who}: ${res.body}`);
  }
  const asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: ctx.auth(tokens.editor) })).json();
  t.match(asset, { caption: { en: 'Mine' }, altText: { en: 'Alt' }, credit: 'Editor', license: 'CC-BY-4.0', hidden: false }, 'only the allowed edits landed');

  // an asset the public cannot see does not exist for the public and for other events
  await ctx.db.query("UPDATE assets SET status = 'processing' WHERE id = $1", [id]);
  for (const [who, token, status] of [['the public', undefined, 404], ['press', tokens.press, 404], ['another event\'s editor', tokens.editorB, 404], ['the uploader', tokens.owner, 200]] as const) {
    t.equal((await unchangedIfRefused(t, ctx, `processing, ${who}`, () => patch(ctx, id, caption, token))).statusCode, status, `processing, ${who}`);
  }
  t.equal((await patch(ctx, '00000000-0000-4000-8000-000000000000', caption, tokens.editor)).statusCode, 404, 'no such asset');
});
