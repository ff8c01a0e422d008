/** Signing in to the console: who may, the session cookie, CSRF, expiry, revocation and sign-out. */
import { parse } from 'node-html-parser';
import t from 'tap';
import { LOCALES } from '../../src/locales.js';
import { consoleStrings } from '../../src/web/locales/admin/console.js';
import { tokenFrom } from '../../src/routes/admin/login.js';
import { createTestContext, seedEvent } from '../helpers/context.js';
import { browser } from './helpers.js';

const text = consoleStrings.text;

t.test('/admin sends the browser to the console in its language, or the one ?lang= names', async (t) => {
  const { app } = await createTestContext(t);
  for (const [headers, url, to] of [
    [{ 'accept-language': 'ar,en;q=0.5' }, '/admin', '/ar/admin'],
    [{ 'accept-language': 'fr' }, '/admin/login', '/fr/admin/login'],
    [{ 'accept-language': 'de' }, '/admin', '/en/admin'],
    [{ 'accept-language': 'en' }, '/admin?lang=ckb', '/ckb/admin'],
  ] as const) {
    const res = await app.inject({ url, headers });
    t.equal(res.statusCode, 302, url);
    t.equal(res.headers.location, to, `${url} ${JSON.stringify(headers)}`);
    t.equal(res.headers['cache-control'], 'no-store');
  }
});

t.test('the console asks who you are first, in every locale, with a form that works without JavaScript', async (t) => {
  const { app } = await createTestContext(t);
  for (const locale of LOCALES) {
    const res = await app.inject({ url: `/${locale}/admin`, headers: { accept: 'text/html' } });
    t.equal(res.statusCode, 303, `${locale}: not signed in`);
    t.equal(res.headers.location, `/${locale}/admin/login?next=%2F${locale}%2Fadmin`);
    const page = await app.inject({ url: `/${locale}/admin/login` });
    t.equal(page.statusCode, 200);
    t.equal(page.headers['cache-control'], 'no-store');
    t.equal(page.headers['x-robots-tag'], 'noindex');
    const doc = parse(page.body);
    t.equal(doc.querySelector('html')!.getAttribute('lang'), locale);
    t.equal(doc.querySelector('html')!.getAttribute('dir'), locale === 'ar' || locale === 'ckb' ? 'rtl' : 'ltr', `${locale} direction`);
    t.equal(doc.querySelector('h1')!.textContent, text[locale]['login.title']);
    const form = doc.querySelector('form.admin-login')!;
    t.equal(form.getAttribute('method'), 'post');
    t.equal(form.getAttribute('action'), '/admin/login');
    t.equal(doc.querySelector('label[for=admin-token]')!.textContent, text[locale]['login.token']);
    t.ok(form.querySelector('input[name=_csrf]')!.getAttribute('value'), 'a CSRF token in the form');
    t.same(doc.querySelectorAll('.languages a').map((a) => a.getAttribute('href')), LOCALES.map((l) => `/${l}/admin/login`), 'the language switcher stays on the console');
  }
});

t.test('an admin or editor signs in; the cookie is HttpOnly, SameSite and holds no secret', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await seedEvent(ctx, { event: 'other' });
  const editor = await ctx.mint('editor', 'conf');
  const b = browser(ctx.app);
  await b.get('/ar/admin/login');
  const before = b.cookie();
  t.match(before, /lamha_admin=/, 'the sign-in form\'s own session (for its CSRF secret)');
  const res = await b.signIn(editor, 'ar');
  t.equal(res.statusCode, 303);
  t.not(b.cookie(), before, 'a new session id at sign-in: one planted before it is worth nothing');
  t.equal((await ctx.app.inject({ url: '/ar/admin', headers: { cookie: before } })).statusCode, 303, 'the earlier id is not signed in');
  t.equal(res.headers.location, '/ar/admin');
  const setCookie = [res.headers['set-cookie']].flat().join('\n');
  t.match(setCookie, /lamha_admin=/);
  t.match(setCookie, /HttpOnly/i);
  t.match(setCookie, /SameSite=Lax/i);
  t.notMatch(setCookie, /Secure/i, 'plain http: no Secure flag, or the browser would drop it');
  t.notOk(setCookie.includes(editor), 'the token is not in the cookie');
  const stored = await ctx.redis.keys(`${ctx.config.redisPrefix}:admin-session:*`);
  t.equal(stored.length, 1, 'the session is held in Redis');
  const session = await ctx.redis.get(stored[0]!);
  t.notOk(session!.includes(editor), 'nor in the session: only the token id');
  t.match(session, /"tokenId":"[0-9a-f-]{36}"/);

  const home = await b.get('/ar/admin');
  t.equal(home.statusCode, 200);
  const doc = parse(home.body);
  t.equal(doc.querySelector('html')!.getAttribute('dir'), 'rtl');
  t.equal(doc.querySelector('h1')!.textContent, text.ar['home.title']);
  t.same(doc.querySelectorAll('.admin-events li').map((li) => li.getAttribute('data-event')), ['conf'], 'the editor\'s event only, not another published one');
  t.ok(doc.querySelector('form.admin-signout[action="/admin/logout"] input[name=_csrf]'), 'a sign-out form with its CSRF token');
  t.match(doc.querySelector('.admin-who')!.textContent, /test editor/);
});

t.test('the cookie is Secure when the site is served over https', async (t) => {
  // TLS ends at the proxy, which says so in X-Forwarded-Proto
  const ctx = await createTestContext(t, { env: { PUBLIC_URL: 'https://gallery.test', TRUST_PROXY: 'true' } });
  const b = browser(ctx.app, { 'x-forwarded-proto': 'https' });
  const res = await b.signIn(ctx.admin);
  t.equal(res.statusCode, 303);
  t.match([res.headers['set-cookie']].flat().join('\n'), /lamha_admin=.*; Secure/i);
});

t.test('photographer, press, unknown and mistyped tokens are refused with a message in the page\'s language', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const cases = [
    [await ctx.mint('photographer', 'conf'), 403, 'login.refused.role'],
    [await ctx.mint('press', 'conf'), 403, 'login.refused.role'],
    ['lamha_not-a-token', 401, 'login.refused.unknown'],
    ['', 401, 'login.refused.unknown'],
    ['http://gallery.test/ar/s/some-press-link', 403, 'login.refused.role'],
  ] as const;
  for (const [token, status, key] of cases) {
    for (const locale of ['ar', 'en'] as const) {
      const b = browser(ctx.app);
      const res = await b.signIn(token, locale);
      t.equal(res.statusCode, status, `${token.slice(0, 20)} ${locale}`);
      t.equal(parse(res.body).querySelector('#admin-login-notice')!.textContent, text[locale][key]);
      t.equal((await b.get(`/${locale}/admin`)).statusCode, 303, 'still signed out');
    }
  }
});

t.test('a pasted link holding the token signs in as the token does', async (t) => {
  const ctx = await createTestContext(t);
  for (const link of [`http://gallery.test/admin/login#token=${ctx.admin}`, `http://gallery.test/en/upload?token=${ctx.admin}`]) {
    const b = browser(ctx.app);
    t.equal((await b.signIn(`  ${link} `)).statusCode, 303, link.slice(0, 40));
    t.equal((await b.get('/en/admin')).statusCode, 200);
  }
  t.same(tokenFrom('abc'), { token: 'abc' });
  t.same(tokenFrom('https://x.test/upload#a=1&token=xyz'), { token: 'xyz' });
  t.same(tokenFrom('https://x.test/fr/s/abc'), { shareLink: true });
  t.same(tokenFrom('https://x.test/upload'), {});
});

t.test('forms without the CSRF token, or with another session\'s, are refused', async (t) => {
  const ctx = await createTestContext(t);
  const b = browser(ctx.app);
  // signing in needs it too: a site cannot sign a browser in to its own session
  const bare = await b.post('/admin/login', { token: ctx.admin, lang: 'ar' });
  t.equal(bare.statusCode, 403);
  t.equal(parse(bare.body).querySelector('.admin-problem')!.textContent, text.ar['error.csrf']);
  t.equal((await b.signIn(ctx.admin)).statusCode, 303);

  const other = browser(ctx.app);
  const foreign = await other.csrf('/en/admin/login');
  const refused = await b.post('/admin/logout', { lang: 'en', _csrf: foreign });
  t.equal(refused.statusCode, 403, 'another session\'s token');
  t.equal((await b.post('/admin/logout', { lang: 'en' })).statusCode, 403, 'no token');
  t.equal((await b.get('/en/admin')).statusCode, 200, 'still signed in');
  const json = await b.post('/admin/logout', { lang: 'en' }, { accept: 'application/json' });
  t.equal(json.json().code, 'LAMHA_CSRF', 'a script gets the API\'s error code');
});

t.test('signing out ends the session in Redis, not just in the browser', async (t) => {
  const ctx = await createTestContext(t);
  const b = browser(ctx.app);
  await b.signIn(ctx.admin, 'fr');
  const stolen = b.cookie();
  const _csrf = await b.csrf('/fr/admin');
  const out = await b.post('/admin/logout', { _csrf, lang: 'fr' });
  t.equal(out.statusCode, 303);
  t.equal(out.headers.location, '/fr/admin/login?notice=signedOut');
  const page = await b.get(out.headers.location as string);
  t.equal(parse(page.body).querySelector('#admin-login-notice')!.textContent, text.fr['login.signedOut']);
  const replay = await ctx.app.inject({ url: '/fr/admin', headers: { cookie: stolen } });
  t.equal(replay.statusCode, 303, 'the old cookie opens nothing');
  t.same(await ctx.redis.keys(`${ctx.config.redisPrefix}:admin-session:*`).then((k) => k.length <= 1), true, 'only the sign-in page\'s own session is left');
});

t.test('a revoked or expired token signs its sessions out at once', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const editor = await ctx.mint('editor', 'conf');
  const b = browser(ctx.app);
  await b.signIn(editor);
  t.equal((await b.get('/en/admin')).statusCode, 200);
  const { rows } = await ctx.db.query<{ id: string }>("SELECT id FROM tokens WHERE role = 'editor'");
  t.equal((await ctx.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${rows[0]!.id}`, headers: ctx.auth(ctx.admin) })).statusCode, 204);
  const res = await b.get('/en/admin');
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/en\/admin\/login\?notice=revoked/);
  t.equal(parse((await b.get(res.headers.location as string)).body).querySelector('#admin-login-notice')!.textContent, text.en['login.revoked']);

  const short = browser(ctx.app);
  const expiring = await ctx.mint('admin', undefined, { expiresAt: new Date(Date.now() + 60_000) });
  await short.signIn(expiring);
  t.equal((await short.get('/en/admin')).statusCode, 200);
  await ctx.db.query("UPDATE tokens SET expires_at = now() - interval '1 second' WHERE label = 'test admin' AND expires_at IS NOT NULL");
  t.equal((await short.get('/en/admin')).statusCode, 303, 'expired token: signed out');
});

t.test('a session ends ADMIN_SESSION_HOURS after signing in, however busy', async (t) => {
  const ctx = await createTestContext(t, { env: { ADMIN_SESSION_HOURS: '2' } });
  const b = browser(ctx.app);
  const res = await b.signIn(ctx.admin);
  const expires = /Expires=([^;]+)/i.exec([res.headers['set-cookie']].flat().join('\n'));
  const left = expires ? new Date(expires[1]!).getTime() - Date.now() : 0;
  t.ok(left > 7_100_000 && left <= 7_200_000, `cookie for two hours (${expires?.[1]})`);
  const [key] = await ctx.redis.keys(`${ctx.config.redisPrefix}:admin-session:*`);
  const ttl = await ctx.redis.pttl(key!);
  t.ok(ttl > 7_000_000 && ttl <= 7_200_000, `Redis forgets it then too (${ttl} ms)`);
  t.equal((await b.get('/en/admin')).statusCode, 200);
  // two hours later: the session's sign-in time moved back, as the clock would
  const stored = JSON.parse((await ctx.redis.get(key!))!) as { signedInAt: number };
  stored.signedInAt -= 2 * 3600_000 + 1000;
  await ctx.redis.set(key!, JSON.stringify(stored), 'PX', 60_000);
  const late = await b.get('/en/admin');
  t.equal(late.statusCode, 303);
  t.match(late.headers.location, /notice=expired/);
  t.equal(await ctx.redis.exists(key!), 0, 'the ended session is deleted');
});

t.test('after signing in the organiser returns to the console page they asked for, never elsewhere', async (t) => {
  const ctx = await createTestContext(t);
  const b = browser(ctx.app);
  const first = await b.get('/ku/admin');
  const next = new URL(first.headers.location as string, 'http://x').searchParams.get('next');
  t.equal(next, '/ku/admin');
  const _csrf = await b.csrf(first.headers.location as string);
  t.equal((await b.post('/admin/login', { _csrf, lang: 'ku', token: ctx.admin, next: '//evil.test/ku/admin' })).headers.location, '/ku/admin', 'another site is dropped');
});
