/**
 * The BullMQ dashboard at /admin/queues: admins only (signed in, or with an admin bearer token),
 * its page and scripts served under a policy of its own, its data from the app's queues, and
 * its changes taken from its own pages only.
 */
import { parse } from 'node-html-parser';
import t from 'tap';
import { createTestContext, seedEvent } from '../helpers/context.js';
import { browser } from './helpers.js';

t.test('anonymous visitors and editors are refused; an admin gets the page, its scripts and the queues', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);

  const anonymous = browser(ctx.app);
  const page = await anonymous.get('/admin/queues');
  t.equal(page.statusCode, 303, 'a browser is sent to sign in');
  t.equal(page.headers.location, '/en/admin/login?next=%2Fadmin%2Fqueues');
  const script = await ctx.app.inject({ url: '/admin/queues/api/queues' });
  t.equal(script.statusCode, 401, 'a script gets 401');
  t.equal(script.json().code, 'LAMHA_UNAUTHORIZED');
  t.equal((await ctx.app.inject({ url: '/admin/queues/api/queues', headers: { authorization: 'Bearer not-a-token-at-all-000000000000000' } })).json().code, 'LAMHA_UNAUTHORIZED', 'an unknown bearer token too, in the API\'s shape');

  const editor = browser(ctx.app);
  t.equal((await editor.signIn(await ctx.mint('editor', 'conf'))).statusCode, 303);
  const refused = await editor.get('/admin/queues');
  t.equal(refused.statusCode, 403, 'an editor signed in is refused');
  t.match(refused.body, /<html/, 'with the console\'s page');
  t.equal((await editor.get('/admin/queues/api/queues', { accept: 'application/json' })).statusCode, 403);
  t.equal((await ctx.app.inject({ url: '/admin/queues/api/queues', headers: ctx.auth(await ctx.mint('editor', 'conf')) })).statusCode, 403, 'an editor\'s bearer token');

  const admin = browser(ctx.app);
  const signedIn = await admin.signIn(ctx.admin, 'en');
  t.equal(signedIn.statusCode, 303);
  const html = await admin.get('/admin/queues');
  t.equal(html.statusCode, 200, html.statusCode === 200 ? 'an admin signed in gets the dashboard' : html.body);
  t.match(html.headers['content-type'], /^text\/html/);
  t.match(html.headers['content-security-policy'], /script-src 'self'/);
  t.match(html.headers['cache-control'], /no-store/);
  const doc = parse(html.body);
  t.equal(doc.querySelector('base')?.getAttribute('href'), '/admin/queues/');
  const scripts = doc.querySelectorAll('script[src]').map((s) => s.getAttribute('src')!);
  const styles = doc.querySelectorAll('link[rel=stylesheet]').map((s) => s.getAttribute('href')!).filter((h) => !/^https?:/.test(h));
  t.ok(scripts.length > 0 && styles.length > 0, 'scripts and styles');
  for (const asset of [scripts.at(-1)!, styles[0]!]) {
    const res = await admin.get(`/admin/queues/${asset}`);
    t.equal(res.statusCode, 200, asset);
    t.match(res.headers['content-type'], asset.endsWith('.js') ? /javascript/ : /text\/css/);
    t.ok(res.rawPayload.length > 1000, `${asset} has a body`);
  }
  t.equal((await anonymous.get(`/admin/queues/${scripts[0]}`)).statusCode, 303, 'not to the anonymous');

  await ctx.queues.enqueue('derive-image', { assetId: '00000000-0000-4000-8000-000000000001' });
  const api = await admin.get('/admin/queues/api/queues?activeQueue=images&status=prioritized&page=1&jobsPerPage=10', { accept: 'application/json' });
  t.equal(api.statusCode, 200, api.body);
  const queues = api.json().queues as { name: string; counts: Record<string, number> }[];
  t.same(queues.map((q) => q.name).sort(), ['images', 'maintenance', 'videos'], 'the app\'s three queues');
  t.equal(queues.find((q) => q.name === 'images')!.counts.prioritized, 1, 'under the app\'s prefix');
  t.equal((await ctx.app.inject({ url: '/admin/queues/api/queues', headers: ctx.auth(ctx.admin) })).statusCode, 200, 'an admin bearer token');

  // a change (pause) from another site is refused; from the dashboard's own page it is made
  const pause = (headers: Record<string, string>) => ctx.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/images/pause', headers: { cookie: admin.cookie(), accept: 'application/json', ...headers } });
  t.equal((await pause({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).statusCode, 403, 'cross-site');
  t.equal((await pause({})).statusCode, 403, 'neither Origin nor Sec-Fetch-Site');
  t.equal(await ctx.queues.queues.images.isPaused(), false);
  t.equal((await pause({ origin: 'http://gallery.test', 'sec-fetch-site': 'same-origin' })).statusCode, 200);
  t.equal(await ctx.queues.queues.images.isPaused(), true, 'paused from the dashboard');
});

t.test('the processing page links admins to the dashboard, not editors', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const admin = browser(ctx.app);
  await admin.signIn(ctx.admin, 'ar');
  const link = parse((await admin.get('/ar/admin/processing')).body).querySelector('a[href="/admin/queues"]');
  t.ok(link, 'an admin sees the link');
  t.ok(link?.textContent.trim(), 'with its words');
  const editor = browser(ctx.app);
  await editor.signIn(await ctx.mint('editor', 'conf'), 'ar');
  t.notOk(parse((await editor.get('/ar/admin/processing')).body).querySelector('a[href="/admin/queues"]'), 'an editor does not');
});
