/**
 * The audit log: changes made through the API are recorded with who, what, the target and the
 * edited text before and after; no secret is ever in it; an editor reads only its event's.
 */
import t from 'tap';
import { createTestContext, seedEvent } from '../helpers/context.js';
import { uploadOne } from '../helpers/originals.js';

interface Entry {
  action: string;
  event: string | null;
  token: { label: string | null; role: string | null };
  target: { kind: string; id: string | null; label: string | null };
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

t.test('changes are recorded with who, what and the text before and after, and never a secret', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const editorToken = await ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: ctx.auth(ctx.admin), payload: { role: 'editor', event: 'conf', label: 'Layla (editor)' } });
  t.equal(editorToken.statusCode, 201);
  const editor = editorToken.json().token as string;
  const { id } = await uploadOne(ctx, 'exif-orientation_1.jpg');
  const as = ctx.auth(editor);

  const steps = [
    await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: as, payload: { caption: { ar: 'الجلسة الافتتاحية' }, credit: 'Sara' } }),
    await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: as, payload: { hidden: true } }),
    await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf/albums/day-1', headers: as, payload: { title: { en: 'Day one, morning', ar: 'اليوم الأول' } } }),
    await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/upload-links', headers: as, payload: { label: 'Omar', expiresAt: new Date(Date.now() + 86_400_000).toISOString() } }),
    await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/share-links', headers: as, payload: { expiresAt: new Date(Date.now() + 86_400_000).toISOString() } }),
  ];
  t.same(steps.map((r) => r.statusCode), [200, 200, 200, 201, 201], steps.map((r) => r.body).join('\n'));
  const secrets = [editor, new URL(steps[3]!.json().url).hash.replace('#token=', ''), new URL(steps[4]!.json().url).pathname.split('/').pop()!];
  const removed = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/assets/${id}`, headers: as });
  t.equal(removed.statusCode, 204);

  const res = await ctx.app.inject({ url: '/api/v1/audit', headers: as });
  t.equal(res.statusCode, 200, res.body);
  const all = res.json().entries as Entry[];
  t.same(all.slice(-3).map((e) => [e.action, e.token.role]), [['event.create', 'admin'], ['album.create', 'admin'], ['event.update', 'admin']].reverse(), 'the admin\'s setting up of the event is there too, oldest last');
  const entries = all.filter((e) => e.token.label === 'Layla (editor)');
  t.same(entries.map((e) => e.action), ['asset.delete', 'press-link.create', 'upload-link.create', 'album.update', 'asset.update', 'asset.update'], 'newest first');
  t.ok(entries.every((e) => e.token.role === 'editor' && e.event === 'conf'), 'who, and of which event');
  const [deleted, , link, album, hidden, captioned] = entries;
  t.same([captioned!.before, captioned!.after], [{ caption: {}, credit: null }, { caption: { ar: 'الجلسة الافتتاحية' }, credit: 'Sara' }], 'the edited fields, before and after');
  t.same([hidden!.before, hidden!.after], [{ hidden: false }, { hidden: true }]);
  t.same(album!.after, { title: { en: 'Day one, morning', ar: 'اليوم الأول' } });
  t.equal(link!.target.label, 'Omar');
  t.equal(deleted!.target.id, id);
  t.match(deleted!.target.label, /^day-1\/exif-orientation_1\.jpg$/);

  const { rows } = await ctx.db.query<{ text: string }>('SELECT row_to_json(l)::text AS text FROM audit_log l');
  const table = rows.map((r) => r.text).join('\n');
  for (const secret of secrets) t.notOk(table.includes(secret), `no secret in the log (${secret.slice(0, 8)}…)`);
  t.notOk(/sha256|"bytes"|renditions|placeholder/.test(table), 'no fingerprint or image data of the asset');
});

t.test('who reads the audit log: admins all of it, an editor its event\'s only, nobody else', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await seedEvent(ctx, { event: 'other', album: 'main' });
  const a = await ctx.mint('editor', 'conf');
  const b = await ctx.mint('editor', 'other');
  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers: ctx.auth(a), payload: { title: { en: 'Conference 2026', ar: 'المؤتمر' } } });
  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/other', headers: ctx.auth(b), payload: { title: { en: 'Other 2026', ar: 'المؤتمر' } } });

  const read = async (token: string | undefined, query = '') => ctx.app.inject({ url: `/api/v1/audit${query}`, headers: token ? ctx.auth(token) : {} });
  const eventsIn = async (token: string, query = '') => [...new Set(((await read(token, query)).json().entries as Entry[]).map((e) => e.event))].sort();
  t.same(await eventsIn(ctx.admin), ['conf', 'other'], 'an admin reads every event\'s');
  t.same(await eventsIn(ctx.admin, '?event=other'), ['other'], 'or one event\'s');
  t.same(await eventsIn(a), ['conf'], 'an editor reads its own event\'s');
  t.equal((await read(a, '?event=other')).statusCode, 403, 'and not another\'s, even when asking');
  t.equal((await read(undefined)).statusCode, 401);
  t.equal((await read(await ctx.mint('photographer', 'conf'))).statusCode, 403);
  t.equal((await read(await ctx.mint('press', 'conf'))).statusCode, 403);

  const page1 = (await read(ctx.admin, '?limit=1')).json();
  t.equal(page1.entries.length, 1);
  const page2 = (await read(ctx.admin, `?limit=1&cursor=${page1.nextCursor}`)).json();
  t.not(page2.entries[0].id, page1.entries[0].id, 'the next page goes on from the cursor');
});
