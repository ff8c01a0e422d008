/**
 * Processing and the dashboard: a failed asset is listed with its reason and, once retried,
 * processed again to ready; the queues' depth; an event's counts; who may see and do what.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { createTestContext, seedEvent } from '../helpers/context.js';
import { fixture, uploadOne } from '../helpers/originals.js';
import { runWorkers, settled } from '../helpers/workers.js';

t.test('a failed photo is listed with its reason, and a retry processes it again to ready', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const editor = await ctx.mint('editor', 'conf');
  const good = await readFile(fixture('exif-orientation_1.jpg'));
  const ok = await uploadOne(ctx, 'exif-orientation_3.jpg');
  const broken = await uploadOne(ctx, 'truncated.jpg', good.subarray(0, good.length / 3));
  t.equal((await settled(ctx, ok.id)).status, 'ready');
  t.equal((await settled(ctx, broken.id)).status, 'failed');

  const res = await ctx.app.inject({ url: '/api/v1/processing', headers: ctx.auth(editor) });
  t.equal(res.statusCode, 200, res.body);
  const state = res.json();
  t.equal(state.event, 'conf', 'an editor sees its event');
  t.same(state.failed.map((f: { id: string }) => f.id), [broken.id], 'the failed one, and only it');
  t.match(state.failed[0].error, /^LAMHA_UNDECODABLE: /, 'with its reason');
  t.same(state.queues.map((q: { queue: string }) => q.queue).sort(), ['images', 'maintenance', 'videos']);
  t.ok(state.queues.every((q: Record<string, number>) => ['waiting', 'active', 'delayed', 'failed'].every((k) => Number.isInteger(q[k]))), 'counts per queue');

  t.equal((await ctx.app.inject({ method: 'POST', url: `/api/v1/assets/${ok.id}/retry`, headers: ctx.auth(editor) })).statusCode, 409, 'a ready asset is not retried');
  // the photographer sends the file again whole: the same asset is processed from it
  await ctx.storage.put(`originals/${broken.id}`, good);
  const retried = await ctx.app.inject({ method: 'POST', url: `/api/v1/assets/${broken.id}/retry`, headers: ctx.auth(editor) });
  t.equal(retried.statusCode, 202, retried.body);
  t.equal((await settled(ctx, broken.id)).status, 'ready', 'processed again, to ready');
  t.same((await ctx.app.inject({ url: '/api/v1/processing', headers: ctx.auth(editor) })).json().failed, [], 'no longer failed');
  const audit = (await ctx.app.inject({ url: '/api/v1/audit', headers: ctx.auth(editor) })).json().entries as { action: string; target: { id: string } }[];
  t.ok(audit.some((e) => e.action === 'asset.retry' && e.target.id === broken.id), 'the retry is in the audit log');

  const dash = await ctx.app.inject({ url: '/api/v1/events/conf/dashboard', headers: ctx.auth(editor) });
  t.equal(dash.statusCode, 200, dash.body);
  const d = dash.json();
  t.same(d.byStatus, { processing: 0, ready: 2, failed: 0 });
  t.same(d.byKind, { image: 2 });
  t.same(d.byUploader.map((u: { role: string; count: number }) => [u.role, u.count]), [['admin', 2]], 'uploads per uploader');
  t.equal(d.byHour.reduce((n: number, h: { count: number }) => n + h.count, 0), 2, 'uploads per hour add up');
  t.ok(d.storage.originalBytes >= good.length && d.storage.renditionBytes > 0, `storage used (${JSON.stringify(d.storage)})`);
});

t.test('who sees processing and the dashboard, and retries', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await seedEvent(ctx, { event: 'other', album: 'main' });
  const { id } = await uploadOne(ctx, 'exif-orientation_1.jpg');
  await ctx.db.query("UPDATE assets SET status = 'failed', error = 'LAMHA_UNDECODABLE: test' WHERE id = $1", [id]);
  const other = await ctx.mint('editor', 'other');
  t.same((await ctx.app.inject({ url: '/api/v1/processing', headers: ctx.auth(other) })).json().failed, [], 'an editor of another event sees none of this event\'s failures');
  t.equal((await ctx.app.inject({ url: '/api/v1/processing?event=conf', headers: ctx.auth(other) })).statusCode, 403, 'even when asking');
  t.equal((await ctx.app.inject({ url: '/api/v1/events/conf/dashboard', headers: ctx.auth(other) })).statusCode, 403);
  t.ok([403, 404].includes((await ctx.app.inject({ method: 'POST', url: `/api/v1/assets/${id}/retry`, headers: ctx.auth(other) })).statusCode), 'nor retries');
  for (const [who, token, status] of [['public', undefined, 401], ['photographer', await ctx.mint('photographer', 'conf'), 403], ['press', await ctx.mint('press', 'conf'), 403]] as const) {
    const headers = token ? ctx.auth(token) : {};
    t.equal((await ctx.app.inject({ url: '/api/v1/processing', headers })).statusCode, status, `${who}: processing`);
    t.equal((await ctx.app.inject({ url: '/api/v1/events/conf/dashboard', headers })).statusCode, status, `${who}: dashboard`);
  }
  const all = (await ctx.app.inject({ url: '/api/v1/processing', headers: ctx.auth(ctx.admin) })).json();
  t.equal(all.event, null, 'an admin sees every event');
  t.same(all.failed.map((f: { id: string }) => f.id), [id]);
  const { rows } = await ctx.db.query<{ status: string }>('SELECT status FROM assets WHERE id = $1', [id]);
  t.equal(rows[0]?.status, 'failed', 'nothing was retried by those refused');
});
