/**
 * The one way to change what the public sees: changes.write() scopes its queries to one event
 * and bumps that event's version (and the site's) after the commit, never for a rollback.
 */
import { createHash, randomUUID } from 'node:crypto';
import t from 'tap';
import { findAlbum, updateAlbum } from '../../src/db/albums.js';
import { insertAssetUnlessDuplicate } from '../../src/db/assets.js';
import { findEventBySlug } from '../../src/db/events.js';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';

async function twoEvents(ctx: TestContext) {
  await seedEvent(ctx, { event: 'one' });
  await seedEvent(ctx, { event: 'two' });
  const one = (await findEventBySlug(ctx.db, 'one'))!;
  const two = (await findEventBySlug(ctx.db, 'two'))!;
  return { one, two, albumOfTwo: (await findAlbum(ctx.db, two.id, 'day-1'))! };
}

t.test('a write for one event cannot change the rows of another', async (t) => {
  const ctx = await createTestContext(t);
  const { changes } = ctx.app.services;
  const { one, two, albumOfTwo } = await twoEvents(ctx);
  const before = await changes.version(two.id);
  const updated = await changes.write(one.id, (w) => updateAlbum(w, albumOfTwo.id, { status: 'draft' }));
  t.equal(updated, undefined, 'no row of event "one" has that id');
  t.equal((await findAlbum(ctx.db, two.id, 'day-1'))!.status, 'published', 'the other event\'s album is unchanged');
  t.equal(await changes.version(two.id), before, 'and its version did not move');
});

t.test('a committed write bumps the event and the site after the commit; a rolled-back one bumps nothing', async (t) => {
  const ctx = await createTestContext(t);
  const { changes } = ctx.app.services;
  const { two, albumOfTwo } = await twoEvents(ctx);
  const [event, site] = [await changes.version(two.id), await changes.version('site')];

  const seenInside: string[] = [];
  await changes.write(two.id, async (w) => {
    await updateAlbum(w, albumOfTwo.id, { status: 'draft' });
    seenInside.push(await changes.version(two.id));
  });
  t.same(seenInside, [event], 'not bumped before the commit (a page rendered then would cache the old rows under the new version)');
  t.not(await changes.version(two.id), event, 'the event\'s version moved');
  t.not(await changes.version('site'), site, 'the site\'s version moved');

  const [event2, site2] = [await changes.version(two.id), await changes.version('site')];
  const boom = new Error('refused half-way');
  await t.rejects(changes.write(two.id, async (w) => {
    await updateAlbum(w, albumOfTwo.id, { status: 'published' });
    throw boom;
  }), boom);
  t.equal((await findAlbum(ctx.db, two.id, 'day-1'))!.status, 'draft', 'rolled back');
  t.equal(await changes.version(two.id), event2, 'no bump for a rollback');
  t.equal(await changes.version('site'), site2);
});

t.test('uploads registered in one album at the same time all commit: none is killed as a deadlock', async (t) => {
  // Each registration inserts its asset first in the album and moves every other one down a
  // place; run side by side, they used to lock the album's rows in different orders and
  // PostgreSQL killed one of them (a 500 for the photographer; bench/load found it).
  const ctx = await createTestContext(t);
  const { changes } = ctx.app.services;
  await seedEvent(ctx, { event: 'busy' });
  const event = (await findEventBySlug(ctx.db, 'busy'))!;
  const album = (await findAlbum(ctx.db, event.id, 'day-1'))!;
  const register = (i: number) => changes.write(event.id, (w) => insertAssetUnlessDuplicate(w, {
    id: randomUUID(), albumId: album.id, kind: 'image', mimeType: 'image/jpeg', bytes: 1,
    sha256: createHash('sha256').update(`photo ${i}`).digest(), originalFilename: `${i}.jpg`, uploadedBy: null,
  }));
  for (let i = 0; i < 100; i++) await register(i); // an album in the middle of an event
  for (let round = 0; round < 3; round++) {
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => register(1000 * (round + 1) + i)));
    t.same(results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : [])), [], `round ${round + 1}: every registration committed`);
  }
  const { rows } = await ctx.db.query<{ n: number; places: number }>(
    'SELECT count(*)::int AS n, count(DISTINCT position)::int AS places FROM assets WHERE album_id = $1', [album.id]);
  t.same(rows[0], { n: 220, places: 220 }, 'one row each, each in a place of its own');
});

t.test('changes to one event queue in the process holding no connection: reads and other events go on meanwhile', async (t) => {
  // 500 uploads to one event at once (bench/load) each held a pool connection while it waited
  // for the event's version lock: the gallery's pages waited seconds for one.
  const ctx = await createTestContext(t);
  const { changes } = ctx.app.services;
  const { one, two, albumOfTwo } = await twoEvents(ctx);
  const pool = ctx.db;
  let inUse = 0;
  const sample = setInterval(() => (inUse = Math.max(inUse, pool.totalCount - pool.idleCount)), 1);
  t.teardown(() => clearInterval(sample));
  let finished = 0;
  const storm = Array.from({ length: 30 }, () => changes.write(one.id, async (w) => {
    await w.query('SELECT pg_sleep(0.02)');
    finished++;
  }));
  await new Promise((r) => setTimeout(r, 50));
  await pool.query('SELECT 1');
  t.ok(finished < 25, `a read got a connection with ${30 - finished} changes of the event still queued`);
  await changes.write(two.id, (w) => updateAlbum(w, albumOfTwo.id, { status: 'draft' }));
  t.ok(finished < 30, 'a change to another event did not wait for them');
  await Promise.all(storm);
  clearInterval(sample);
  t.equal(finished, 30);
  t.ok(inUse <= 3, `at most 3 connections in use at once (${inUse}): the queued changes held none`);
});
