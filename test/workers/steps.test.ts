/**
 * The processors' shared steps on their own: how progress is reported, and how a finished
 * asset's renditions are recorded.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { completeAsset, type NewRendition, type ProcessedImage } from '../../src/db/processing.js';
import type { Db } from '../../src/db/database.js';
import type { ProcessorDeps } from '../../workers/processors/registry.js';
import { progressReporter, storeRenditions, type RenditionSource } from '../../workers/processors/steps.js';
import { createTestContext, seedEvent } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';

t.test('progress: each new value once; with quietMs, nothing before the job has run that long', async (t) => {
  const writes: string[] = [];
  const job = { updateProgress: async (p: unknown) => void writes.push(`job ${String(p)}`) };
  const db = { query: async (_sql: string, params: unknown[]) => (writes.push(`row ${String(params[1])}`), { rows: [], rowCount: 1 }) } as unknown as Db;
  let clock = 0;
  const quiet = progressReporter(job, { db }, 'a', { quietMs: 1000, now: () => clock });
  await quiet(10);
  clock = 600;
  await quiet(25);
  t.same(writes, [], 'a job younger than quietMs writes nothing');
  clock = 1000;
  await quiet(70);
  await quiet(70);
  clock = 1400;
  await quiet(90);
  t.same(writes, ['job 70', 'row 70', 'job 90', 'row 90'], 'from then on each new value, on the job and the row');

  writes.length = 0;
  const plain = progressReporter(job, { db }, 'b', { now: () => clock });
  await plain(5);
  await plain(5.2);
  await plain(140);
  t.same(writes, ['job 5', 'row 5', 'job 100', 'row 100'], 'without quietMs at once; rounded and bounded');
});

t.test('a finished asset\'s renditions: those made are written over, those not made again go, in one statement', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const jpeg = readFileSync(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url));
  const form = multipart([{ name: 'file', filename: 'a.jpg', body: jpeg }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  t.equal(res.statusCode, 201);
  const id: string = res.json().assets[0].id;
  const { rows: [asset] } = await ctx.db.query<{ event_id: string }>('SELECT event_id FROM assets WHERE id = $1', [id]);

  const rendition = (name: string, width: number | null, bytes: number): NewRendition => ({ name, key: `renditions/${id}/${name}`, width, height: width && width / 2, bytes, type: 'image/webp' });
  const result = (renditions: NewRendition[]): ProcessedImage => ({
    width: 8, height: 4, placeholder: null, capturedAt: null, capturedOffset: null, metadata: {}, caption: {}, credit: null, license: null, location: null, renditions,
  });
  const complete = (renditions: NewRendition[]) => ctx.app.services.changes.write(asset!.event_id, (w) => completeAsset(w, id, result(renditions)));
  const stored = async () => (await ctx.db.query('SELECT name, key, width, height, bytes::int AS bytes, type FROM renditions WHERE asset_id = $1 ORDER BY name', [id])).rows;

  t.equal(await complete([rendition('large.webp', 2048, 300), rendition('medium.webp', 1024, 90), rendition('thumb.webp', 400, 20)]), true);
  t.same(await stored(), [rendition('large.webp', 2048, 300), rendition('medium.webp', 1024, 90), rendition('thumb.webp', 400, 20)], 'every rendition made, as made');

  // made again, smaller: the large one is not made this time
  t.equal(await complete([rendition('medium.webp', 1000, 80), rendition('thumb.webp', 400, 19), rendition('fallback.jpg', null, 150)]), true);
  t.same(await stored(), [rendition('fallback.jpg', null, 150), rendition('medium.webp', 1000, 80), rendition('thumb.webp', 400, 19)], 'the new set: written over, added, the one not made removed');

  t.equal(await complete([]), true);
  t.same(await stored(), [], 'none made: none left');
  const { rows } = await ctx.db.query('SELECT status, progress FROM assets WHERE id = $1', [id]);
  t.same(rows, [{ status: 'ready', progress: 100 }]);
});

t.test('renditions are uploaded four at a time, recorded in their order; a failed upload stops the rest and is reported once the others settled', async (t) => {
  const items: RenditionSource[] = ['a', 'b', 'c', 'd', 'e', 'f'].map((name, i) => ({ name, type: 'image/webp', width: 10 * (i + 1), height: 5, data: Buffer.alloc(i + 1) }));
  const events: string[] = [];
  let running = 0;
  let most = 0;
  const storage = (fail?: string) => ({
    put: async (key: string) => {
      const name = key.split('/').pop()!;
      running++;
      most = Math.max(most, running);
      events.push(`start ${name}`);
      // the first ones take longest: they end after later ones
      await sleep(name === 'a' ? 40 : name === fail ? 5 : 15);
      running--;
      events.push(`end ${name}`);
      if (name === fail) throw new Error(`S3 refused ${name}`);
      return { key, bytes: 0, etag: 'x' };
    },
  });
  const deps = (fail?: string) => ({ storage: storage(fail) }) as unknown as ProcessorDeps;

  const made = await storeRenditions(deps(), randomUUID(), items);
  t.same(made.map((r) => [r.name, r.width, r.bytes]), items.map((r, i) => [r.name, r.width, i + 1]), 'recorded in the order given, each with its size');
  t.equal(most, 4, 'four at a time');

  events.length = 0;
  most = 0;
  await t.rejects(storeRenditions(deps('b'), randomUUID(), items), /S3 refused b/);
  t.equal(running, 0, 'no upload still running when the failure is reported');
  t.same(events.filter((e) => e.startsWith('start')), ['start a', 'start b', 'start c', 'start d'], 'no upload starts after the failure');
});
