/**
 * The console's moderation page: the setting "uploads wait for approval", the queue, approve
 * (public at once) and delete (every object gone); an editor of another event gets nowhere.
 */
import { parse } from 'node-html-parser';
import t from 'tap';
import { moderationStrings } from '../../src/web/locales/admin/moderation.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedAlbum, seedAsset, seedGalleryEvent } from '../web/seed.js';
import { browser, type Browser } from './helpers.js';

async function world(t: { teardown(fn: () => unknown): void }) {
  const ctx = await createTestContext(t);
  const conf = await seedGalleryEvent(ctx, { slug: 'conf' });
  const day1 = await seedAlbum(ctx, conf.id, { slug: 'day-1' });
  await seedGalleryEvent(ctx, { slug: 'other' });
  // two uploads that came in while the event's uploads waited for approval
  const waiting = [await seedAsset(ctx, conf, day1, { caption: { ar: 'منتظر' } }), await seedAsset(ctx, conf, day1)];
  await ctx.db.query('UPDATE assets SET hidden = true, awaiting_approval = true WHERE id = ANY($1)', [waiting]);
  await ctx.db.query("UPDATE events SET moderation = true WHERE slug = 'conf'");
  return { ctx, waiting };
}

async function signedIn(ctx: TestContext, token: string, locale = 'en'): Promise<Browser> {
  const b = browser(ctx.app);
  const res = await b.signIn(token, locale);
  if (res.statusCode !== 303) throw new Error(`sign-in: ${res.statusCode}`);
  return b;
}

async function submit(b: Browser, page: string, action: string, values: Record<string, string> = {}) {
  const f = parse((await b.get(page)).body).querySelectorAll('form').find((x) => x.getAttribute('action') === action);
  if (!f) throw new Error(`no form ${action} on ${page}`);
  return b.post(action, { _csrf: f.querySelector('input[name=_csrf]')!.getAttribute('value')!, ...values });
}

t.test('an editor approves one waiting upload, deletes the other, and turns the setting off', async (t) => {
  const { ctx, waiting } = await world(t);
  const [first, second] = waiting as [string, string];
  const b = await signedIn(ctx, await ctx.mint('editor', 'conf'), 'ar');
  const page = '/ar/admin/e/conf/moderation';
  const doc = parse((await b.get(page)).body);
  const tr = moderationStrings.translator('ar');
  t.equal(doc.querySelector('h1')?.textContent, tr('moderation.title'));
  t.same(doc.querySelectorAll('li[data-id]').map((li) => li.getAttribute('data-id')), [first, second], 'both in the queue, oldest first');
  t.ok(doc.querySelector(`img[src="/ar/admin/media/${first}"]`), 'with its thumbnail through the console');
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${first}` })).statusCode, 404, 'not public while it waits');

  const approved = await submit(b, page, `${page}/${first}/approve`);
  t.equal(approved.statusCode, 303);
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${first}` })).statusCode, 200, 'public at once');
  t.ok((await ctx.app.inject({ url: '/en/e/conf/day-1' })).body.includes(first), 'on the album page');
  const after = parse((await b.get(approved.headers.location as string)).body);
  t.equal(after.querySelector('.admin-notice')?.textContent.trim(), tr('moderation.approved'));

  const rejected = await submit(b, page, `${page}/${second}/reject`);
  t.equal(rejected.statusCode, 303);
  t.equal((await ctx.db.query('SELECT 1 FROM assets WHERE id = $1', [second])).rows.length, 0, 'deleted');
  t.same(await ctx.storage.list(`renditions/${second}/`), [], 'with its objects');
  t.same(parse((await b.get(page)).body).querySelectorAll('li[data-id]'), [], 'the queue is empty');

  t.equal((await submit(b, page, `${page}/setting`, { moderation: 'off' })).statusCode, 303);
  t.equal((await ctx.db.query<{ moderation: boolean }>("SELECT moderation FROM events WHERE slug = 'conf'")).rows[0]?.moderation, false);
  t.equal(parse((await b.get(page)).body).querySelector('form[action$="/setting"] button')?.textContent, tr('moderation.turnOn'));
});

t.test('an editor of another event sees no queue and approves nothing', async (t) => {
  const { ctx, waiting } = await world(t);
  const first = waiting[0]!;
  const b = await signedIn(ctx, await ctx.mint('editor', 'other'));
  t.equal((await b.get('/en/admin/e/conf/moderation')).statusCode, 403);
  const _csrf = await b.csrf('/en/admin/e/other/moderation');
  for (const action of [`/en/admin/e/conf/moderation/${first}/approve`, `/en/admin/e/other/moderation/${first}/approve`, `/en/admin/e/conf/moderation/setting`]) {
    const res = await b.post(action, { _csrf, moderation: 'off' });
    t.ok(res.statusCode === 403 || res.statusCode === 404, `${action}: ${res.statusCode}`);
  }
  const { rows } = await ctx.db.query<{ awaiting_approval: boolean }>('SELECT awaiting_approval FROM assets WHERE id = $1', [first]);
  t.equal(rows[0]?.awaiting_approval, true, 'still waiting');
  t.equal((await ctx.db.query<{ moderation: boolean }>("SELECT moderation FROM events WHERE slug = 'conf'")).rows[0]?.moderation, true);
});
