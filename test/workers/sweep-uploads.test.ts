/**
 * The resumable uploads' sweep as a worker runs it: once at start, then on a schedule. An
 * expired unfinished upload loses its part, its rest and its row; an upload whose bytes are all
 * in but whose finish failed becomes its asset.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import t from 'tap';
import { createLogger } from '../../src/log.js';
import { startWorker } from '../../workers/run.js';
import { createTestContext, s3Kinds, seedEvent } from '../helpers/context.js';

const JPEG = readFileSync(new URL('../fixtures/exif-orientation_1.jpg', import.meta.url));

t.test('a starting worker sweeps expired and unfinished resumable uploads, and schedules the sweep', async (t) => {
  const ctx = await createTestContext(t, { s3: s3Kinds()[0] });
  await seedEvent(ctx);
  const photographer = await ctx.mint('photographer', 'conf');
  const p = (await ctx.app.services.tokens.authenticate(photographer))!;
  const resumable = ctx.app.services.resumable;

  // one left half-way and expired: a part and a rest are stored
  const stale = await resumable.create(p, 'a'.repeat(32), 40 * 1024 * 1024, { event: 'conf', album: 'day-1', filename: 'stale.jpg' });
  await resumable.write(p, stale.id, 0, Readable.from([JPEG, randomBytes(10 * 1024 * 1024)]));
  await ctx.db.query(`UPDATE resumable_uploads SET expires_at = now() - interval '1 minute' WHERE id = $1`, [stale.id]);
  t.equal((await ctx.storage.list('uploads/')).length, 1, 'the stale upload has its rest stored');

  // one whole, whose finish never ran
  const whole = Buffer.concat([JPEG, randomBytes(500)]);
  const done = await resumable.create(p, 'b'.repeat(32), whole.length, { event: 'conf', album: 'day-1', filename: 'whole.jpg' });
  await resumable.write(p, done.id, 0, Readable.from([whole]));
  await ctx.db.query(`UPDATE resumable_uploads SET updated_at = now() - interval '5 minutes' WHERE id = $1`, [done.id]);

  const worker = await startWorker(ctx.config, createLogger({ level: 'silent', name: 'worker' }), { db: ctx.db, storage: ctx.storage, redis: ctx.redis }, { queues: ctx.queues });
  t.teardown(() => worker.close());

  const rows = await ctx.db.query<{ id: string; state: string }>('SELECT id, state FROM resumable_uploads ORDER BY id');
  t.same(rows.rows, [{ id: done.id, state: 'done' }], 'the stale upload is gone; the whole one is finished');
  t.same(await ctx.storage.list('uploads/'), [], 'the stale upload\'s rest is deleted');
  const made = await ctx.db.query('SELECT 1 FROM assets WHERE sha256 = $1', [createHash('sha256').update(whole).digest()]);
  t.equal(made.rows.length, 1, 'the whole upload became an asset');
  const schedulers = await ctx.queues.queues.maintenance.getJobSchedulers();
  t.ok(schedulers.some((s) => s.key === 'sweep-uploads' || s.id === 'sweep-uploads'), 'the sweep is scheduled');
});
