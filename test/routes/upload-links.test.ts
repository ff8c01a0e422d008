/**
 * Upload links: an editor makes one (URL with the secret in its fragment, QR code), the link
 * opens the uploader as a photographer of the event fixed to its album, it is listed with its
 * last use, and once revoked it opens nothing.
 */
import QRCode from 'qrcode';
import t from 'tap';
import { createTestContext, seedEvent } from '../helpers/context.js';

t.test('an editor makes an upload link that uploads into its album only, until revoked', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await seedEvent(ctx, { event: 'other', album: 'x' });
  await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers: ctx.auth(ctx.admin), payload: { slug: 'day-2', title: { en: 'Day two' } } });
  const editor = await ctx.mint('editor', 'conf');
  const expiresAt = new Date(Date.now() + 3 * 86_400_000).toISOString();

  const made = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/upload-links', headers: ctx.auth(editor), payload: { expiresAt, album: 'day-2', label: 'Rania, day two' } });
  t.equal(made.statusCode, 201, made.body);
  const link = made.json() as { id: string; url: string; qrSvg: string; album: string; label: string };
  t.match(link.url, /^http:\/\/gallery\.test\/ar\/upload#token=lamha_[A-Za-z0-9_-]{43}$/, 'the secret is in the fragment, never sent to a server');
  t.equal(link.album, 'day-2');
  t.match(link.qrSvg, /^<svg[\s\S]*<\/svg>\s*$/);
  t.equal(link.qrSvg, await QRCode.toString(link.url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }), 'the QR code holds the link');
  t.equal(made.headers['cache-control'], 'no-store');
  const secret = link.url.split('#token=')[1]!;

  const me = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: ctx.auth(secret) });
  t.equal(me.statusCode, 200, me.body);
  const body = me.json() as { role: string; album: string; canMintLinks: boolean; events: { slug: string; albums: { slug: string }[] }[] };
  t.equal(body.role, 'photographer');
  t.equal(body.album, 'day-2');
  t.equal(body.canMintLinks, false);
  t.same(body.events.map((e) => [e.slug, e.albums.map((a) => a.slug)]), [['conf', ['day-2']]], 'the one event, with the one album');

  const file = { 'content-type': 'multipart/form-data; boundary=b' };
  const jpeg = '--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nxx\r\n--b--\r\n';
  const wrongAlbum = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(secret), ...file }, payload: jpeg });
  t.equal(wrongAlbum.statusCode, 403, 'not into another album');
  t.equal(wrongAlbum.json().code, 'LAMHA_FORBIDDEN');

  const listed = await ctx.app.inject({ method: 'GET', url: '/api/v1/events/conf/upload-links', headers: ctx.auth(editor) });
  const links = (listed.json() as { links: { id: string; label: string; album: string; lastUsedAt: string | null }[] }).links;
  t.same(links.map((l) => [l.id, l.label, l.album]), [[link.id, 'Rania, day two', 'day-2']]);
  t.ok(links[0]!.lastUsedAt, 'its last use is shown');
  t.notOk(JSON.stringify(listed.json()).includes(secret), 'the list never holds the secret');

  const adminMe = (await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: ctx.auth(ctx.admin) })).json() as { canMintLinks: boolean; events: { slug: string }[] };
  t.equal(adminMe.canMintLinks, true);
  t.same(adminMe.events.map((e) => e.slug).sort(), ['conf', 'other'], 'an admin may upload to every event');

  t.equal((await ctx.app.inject({ method: 'DELETE', url: `/api/v1/upload-links/${link.id}`, headers: ctx.auth(editor) })).statusCode, 204);
  const after = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: ctx.auth(secret) });
  t.equal(after.statusCode, 401, 'a revoked link opens nothing');
});

t.test('only the event\'s editors and admins make upload links, for at most 90 days', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await seedEvent(ctx, { event: 'other', album: 'x' });
  const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
  const post = (token: string, event: string, payload: object) => ctx.app.inject({ method: 'POST', url: `/api/v1/events/${event}/upload-links`, headers: ctx.auth(token), payload });
  t.equal((await post(await ctx.mint('photographer', 'conf'), 'conf', { expiresAt })).statusCode, 403, 'a photographer');
  t.equal((await post(await ctx.mint('editor', 'other'), 'conf', { expiresAt })).statusCode, 403, 'an editor of another event');
  t.equal((await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/upload-links', payload: { expiresAt } })).statusCode, 401, 'the public');
  const far = await post(ctx.admin, 'conf', { expiresAt: new Date(Date.now() + 91 * 86_400_000).toISOString() });
  t.equal(far.statusCode, 400);
  t.equal((await post(ctx.admin, 'conf', { expiresAt, album: 'nope' })).statusCode, 400, 'an album the event does not have');
  t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/me' })).statusCode, 401, 'the public has no "me"');
});
