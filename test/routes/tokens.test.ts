/**
 * Token lineage and listing: a minted token never outlives the token that minted it, revoking
 * revokes the whole subtree, a changed ADMIN_TOKEN retires the old one, and the list shows
 * what an admin needs to find a leaked token without ever showing a secret.
 */
import t from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { createTokenService, hashToken } from '../../src/services/tokens.js';

async function mintVia(ctx: TestContext, by: string, payload: Record<string, unknown>): Promise<{ id: string; token: string; expiresAt: string | null }> {
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: ctx.auth(by), payload: { label: 'x', ...payload } });
  if (res.statusCode !== 201) throw new Error(`mint: ${res.body}`);
  return res.json();
}

async function status(ctx: TestContext, token: string): Promise<number> {
  return (await ctx.app.inject({ url: '/api/v1/events', headers: ctx.auth(token) })).statusCode;
}

t.test('revoking a token revokes every token minted from it, transitively', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { event: 'a' });
  const admin2 = await mintVia(ctx, ctx.admin, { role: 'admin' });
  const editor = await mintVia(ctx, admin2.token, { role: 'editor', event: 'a' });
  const photographer = await mintVia(ctx, editor.token, { role: 'photographer' });
  const sibling = await mintVia(ctx, ctx.admin, { role: 'press', event: 'a' });
  const del = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${admin2.id}`, headers: ctx.auth(ctx.admin) });
  t.equal(del.statusCode, 204);
  for (const tok of [admin2, editor, photographer]) t.equal(await status(ctx, tok.token), 401, 'descendant refused');
  const { rows } = await ctx.db.query('SELECT count(*)::int AS n FROM tokens WHERE id = ANY($1) AND revoked_at IS NOT NULL', [[admin2.id, editor.id, photographer.id]]);
  t.equal(rows[0].n, 3, 'the whole subtree is marked revoked');
  t.equal(await status(ctx, sibling.token), 200, 'a token of another branch lives on');
  t.equal(await status(ctx, ctx.admin), 200);
});

t.test('a minted token never outlives its parent: expiry is capped at mint time', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { event: 'a' });
  const parentExpiry = new Date(Date.now() + 3600_000);
  const editor = await ctx.mint('editor', 'a', { expiresAt: parentExpiry });
  const noExpiry = await mintVia(ctx, editor, { role: 'photographer' });
  t.equal(noExpiry.expiresAt, parentExpiry.toISOString(), 'no expiry becomes the parent\'s');
  const later = await mintVia(ctx, editor, { role: 'press', expiresAt: new Date(Date.now() + 7200_000).toISOString() });
  t.equal(later.expiresAt, parentExpiry.toISOString(), 'a later expiry becomes the parent\'s');
  const sooner = new Date(Date.now() + 600_000).toISOString();
  t.equal((await mintVia(ctx, editor, { role: 'press', expiresAt: sooner })).expiresAt, sooner, 'a sooner expiry stays');
});

t.test('a child is refused at once when its parent expires or is revoked behind its back', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { event: 'a' });
  const editor = await ctx.mint('editor', 'a');
  const child = await mintVia(ctx, editor, { role: 'photographer' });
  const grandchildParent = await mintVia(ctx, ctx.admin, { role: 'editor', event: 'a' });
  const grandchild = await mintVia(ctx, grandchildParent.token, { role: 'press' });
  t.equal(await status(ctx, child.token), 200);
  await ctx.db.query("UPDATE tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [hashToken(editor)]);
  t.equal(await status(ctx, child.token), 401, 'expired parent');
  // a revocation written straight into the row (no cascade) still reaches the grandchild
  await ctx.db.query('UPDATE tokens SET revoked_at = now() WHERE id = $1', [grandchildParent.id]);
  t.equal(await status(ctx, grandchild.token), 401, 'revoked parent');
});

t.test('a changed ADMIN_TOKEN revokes the previous one; what it minted is handed over, not revoked', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { event: 'a' });
  const service = createTokenService({ db: ctx.db });
  const first = 'first-admin-token-of-at-least-32-characters';
  const second = 'second-admin-token-of-at-least-32-characters';
  await service.bootstrapAdmin(first);
  await service.bootstrapAdmin(first);
  t.equal(await status(ctx, first), 200);
  const editor = await mintVia(ctx, first, { role: 'editor', event: 'a' });
  await service.bootstrapAdmin(second);
  t.equal(await status(ctx, first), 401, 'the old ADMIN_TOKEN is refused');
  t.equal(await status(ctx, second), 200, 'the new one works');
  t.equal(await status(ctx, editor.token), 200, 'an editor it minted keeps working');
  const { rows } = await ctx.db.query('SELECT created_by FROM tokens WHERE id = $1', [editor.id]);
  const { rows: cur } = await ctx.db.query('SELECT id FROM tokens WHERE token_hash = $1', [hashToken(second)]);
  t.equal(rows[0].created_by, cur[0].id, 'the editor now descends from the new ADMIN_TOKEN');
  const del = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${cur[0].id}`, headers: ctx.auth(ctx.admin) });
  t.equal(del.statusCode, 204);
  t.equal(await status(ctx, editor.token), 401, 'revoking the bootstrap admin by hand revokes what it minted');
  await service.bootstrapAdmin(first);
  t.equal(await status(ctx, first), 401, 'a revoked ADMIN_TOKEN does not come back by being configured again');
});

t.test('GET /api/v1/tokens lists tokens in scope, never a secret, with last use, paginated', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { event: 'a' });
  await seedEvent(ctx, { event: 'b' });
  const editorA = await mintVia(ctx, ctx.admin, { role: 'editor', event: 'a', label: 'editor of a' });
  const photographerA = await mintVia(ctx, editorA.token, { role: 'photographer', label: 'photographer of a' });
  const editorB = await mintVia(ctx, ctx.admin, { role: 'editor', event: 'b' });

  const all = await ctx.app.inject({ url: '/api/v1/tokens?limit=200', headers: ctx.auth(ctx.admin) });
  t.equal(all.statusCode, 200);
  const ids = all.json().tokens.map((x: { id: string }) => x.id);
  for (const tok of [editorA, photographerA, editorB]) t.ok(ids.includes(tok.id), 'admin sees every token');
  for (const tok of [ctx.admin, editorA.token, photographerA.token, editorB.token]) {
    t.notOk(all.body.includes(tok), 'no secret in the list');
    t.notOk(all.body.includes(hashToken(tok).toString('hex')), 'no hash (hex) in the list');
    t.notOk(all.body.includes(hashToken(tok).toString('base64')), 'no hash (base64) in the list');
  }
  const p = all.json().tokens.find((x: { id: string }) => x.id === photographerA.id);
  t.match(p, { role: 'photographer', label: 'photographer of a', event: 'a', creator: { id: editorA.id, label: 'editor of a' }, expiresAt: null, revokedAt: null });
  t.equal(p.lastUsedAt, null, 'never used yet');
  t.same(Object.keys(p).sort(), ['album', 'createdAt', 'creator', 'event', 'expiresAt', 'id', 'label', 'lastUsedAt', 'link', 'revokedAt', 'role']);

  const scoped = await ctx.app.inject({ url: '/api/v1/tokens', headers: ctx.auth(editorA.token) });
  t.equal(scoped.statusCode, 200);
  t.same(scoped.json().tokens.map((x: { id: string }) => x.id).sort(), [editorA.id, photographerA.id].sort(), 'an editor sees its event only');
  t.equal((await ctx.app.inject({ url: '/api/v1/tokens', headers: ctx.auth(photographerA.token) })).statusCode, 403);
  t.equal((await ctx.app.inject({ url: '/api/v1/tokens' })).statusCode, 401);

  // use is recorded, and written at most once a minute
  await status(ctx, photographerA.token);
  const used = await ctx.db.query('SELECT last_used_at FROM tokens WHERE id = $1', [photographerA.id]);
  t.ok(used.rows[0].last_used_at, 'last use recorded');
  await status(ctx, photographerA.token);
  const again = await ctx.db.query('SELECT last_used_at FROM tokens WHERE id = $1', [photographerA.id]);
  t.same(again.rows[0].last_used_at, used.rows[0].last_used_at, 'not rewritten within the minute');
  const listed = (await ctx.app.inject({ url: '/api/v1/tokens', headers: ctx.auth(editorA.token) })).json().tokens;
  t.ok(listed.find((x: { id: string }) => x.id === photographerA.id).lastUsedAt, 'the list shows the last use');

  // pages of two walk every token once
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res: { statusCode: number; json(): { tokens: { id: string }[]; nextCursor: string | null } } = await ctx.app.inject({ url: `/api/v1/tokens?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: ctx.auth(ctx.admin) });
    t.equal(res.statusCode, 200);
    seen.push(...res.json().tokens.map((x) => x.id));
    cursor = res.json().nextCursor;
  } while (cursor);
  t.same([...seen].sort(), [...ids].sort(), 'pagination returns each token exactly once');
  t.equal(new Set(seen).size, seen.length);
});

t.test('the OpenAPI document describes the token list without a secret field', async (t) => {
  const ctx = await createTestContext(t);
  const doc = (await ctx.app.inject({ url: '/openapi.json' })).json();
  const get = doc.paths['/api/v1/tokens']?.get;
  t.ok(get, 'GET /api/v1/tokens is documented');
  const schema = JSON.stringify(get.responses['200']);
  for (const field of ['lastUsedAt', 'creator', 'nextCursor']) t.match(schema, field);
  t.notMatch(schema, /"token"|token_hash|"hash"/, 'no secret or hash in the listed schema');
});
