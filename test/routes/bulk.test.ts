/** POST /api/v1/events/:event/assets/bulk: all or nothing, the event's curators only. */
import t from 'tap';
import { createTestContext } from '../helpers/context.js';
import { seedAlbum, seedAsset, seedGalleryEvent } from '../web/seed.js';

t.test('hides, moves, credits and deletes many assets; refuses others and foreign ids without doing anything', async (t) => {
  const ctx = await createTestContext(t);
  const conf = await seedGalleryEvent(ctx, { slug: 'conf' });
  const day1 = await seedAlbum(ctx, conf.id, { slug: 'day-1' });
  await seedAlbum(ctx, conf.id, { slug: 'day-2' });
  const ids = [await seedAsset(ctx, conf, day1), await seedAsset(ctx, conf, day1)];
  const other = await seedGalleryEvent(ctx, { slug: 'other' });
  const foreign = await seedAsset(ctx, other, await seedAlbum(ctx, other.id, { slug: 'main' }));
  const editor = ctx.auth(await ctx.mint('editor', 'conf'));
  const bulk = (headers: Record<string, string>, payload: unknown, event = 'conf') => ctx.app.inject({ method: 'POST', url: `/api/v1/events/${event}/assets/bulk`, headers, payload: payload as object });
  const hidden = async () => (await ctx.db.query<{ hidden: boolean }>('SELECT hidden FROM assets WHERE id = ANY($1) ORDER BY id', [ids])).rows.map((r) => r.hidden);

  t.equal((await bulk(editor, { ids: [...ids, foreign], action: 'hide' })).statusCode, 404, 'another event\'s asset in the selection');
  t.same(await hidden(), [false, false], 'nothing done');
  t.equal((await bulk(ctx.auth(await ctx.mint('editor', 'other')), { ids, action: 'hide' })).statusCode, 403, 'editor of another event');
  t.equal((await bulk(ctx.auth(await ctx.mint('photographer', 'conf')), { ids, action: 'hide' })).statusCode, 403, 'photographer');
  t.equal((await bulk({}, { ids, action: 'hide' })).statusCode, 401, 'the public');
  t.same(await hidden(), [false, false]);

  const res = await bulk(editor, { ids, action: 'hide' });
  t.same([res.statusCode, res.json()], [200, { count: 2 }]);
  t.same(await hidden(), [true, true]);
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${ids[0]}` })).statusCode, 404, 'hidden from the public at once');
  t.equal((await bulk(editor, { ids, action: 'license', license: 'CC-BY-9' })).statusCode, 400, 'unknown licence');
  t.equal((await bulk(editor, { ids, action: 'credit', credit: 'Studio Nour' })).statusCode, 200);
  t.equal((await bulk(editor, { ids: [ids[0]], action: 'move', album: 'day-2' })).statusCode, 200);
  const rows = (await ctx.db.query<{ credit: string; slug: string }>('SELECT a.credit, al.slug FROM assets a JOIN albums al ON al.id = a.album_id WHERE a.id = $1', [ids[0]])).rows[0]!;
  t.same(rows, { credit: 'Studio Nour', slug: 'day-2' });
  t.equal((await bulk(editor, { ids, action: 'delete' })).statusCode, 200);
  t.equal((await ctx.db.query('SELECT 1 FROM assets WHERE id = ANY($1)', [ids])).rows.length, 0);
  t.equal((await ctx.db.query('SELECT 1 FROM assets WHERE id = $1', [foreign])).rows.length, 1, 'the other event\'s asset untouched');
});
