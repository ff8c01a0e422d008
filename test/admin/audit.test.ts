/**
 * The console's audit log page: what was done, by whom, in the reader's language; an editor
 * reads its event's entries only, an admin every event's or one's.
 */
import { parse } from 'node-html-parser';
import t from 'tap';
import { auditStrings } from '../../src/web/locales/admin/audit.js';
import { createTestContext } from '../helpers/context.js';
import { seedAlbum, seedAsset, seedGalleryEvent } from '../web/seed.js';
import { browser } from './helpers.js';

t.test('the audit page lists sign-ins and edits in Arabic, for the editor\'s event only', async (t) => {
  const ctx = await createTestContext(t);
  const conf = await seedGalleryEvent(ctx, { slug: 'conf' });
  const day1 = await seedAlbum(ctx, conf.id, { slug: 'day-1' });
  const id = await seedAsset(ctx, conf, day1, { caption: { en: 'Opening' } });
  await seedGalleryEvent(ctx, { slug: 'other' });
  const editor = await ctx.mint('editor', 'conf');
  const otherEditor = await ctx.mint('editor', 'other');
  await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: ctx.auth(editor), payload: { caption: { ar: 'الافتتاح' } } });
  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/other', headers: ctx.auth(otherEditor), payload: { title: { en: 'Elsewhere' } } });

  const b = browser(ctx.app);
  t.equal((await b.signIn(editor, 'ar')).statusCode, 303);
  const res = await b.get('/ar/admin/audit');
  t.equal(res.statusCode, 200);
  const doc = parse(res.body);
  t.equal(doc.querySelector('html')?.getAttribute('dir'), 'rtl');
  const rows = doc.querySelectorAll('tbody tr');
  t.same(rows.map((r) => r.getAttribute('data-action')), ['console.sign-in', 'asset.update'], 'its sign-in and its edit, newest first; nothing of the other event');
  const tr = auditStrings.translator('ar');
  t.equal(rows[1]!.querySelectorAll('td')[2]!.textContent, tr('audit.action.asset.update'), 'the action in Arabic');
  t.match(rows[1]!.querySelectorAll('td')[4]!.textContent, /caption: en: Opening → ar: الافتتاح; en: Opening/, 'the caption before and after');

  const admin = browser(ctx.app);
  await admin.signIn(ctx.admin, 'en');
  const all = parse((await admin.get('/en/admin/audit')).body).querySelectorAll('tbody tr').map((r) => r.getAttribute('data-action'));
  t.ok(all.includes('event.update') && all.includes('asset.update'), 'an admin reads every event\'s');
  const one = parse((await admin.get('/en/admin/audit?event=other')).body).querySelectorAll('tbody tr').map((r) => r.getAttribute('data-action'));
  t.same(one, ['event.update'], 'or one event\'s');
});
