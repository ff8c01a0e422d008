/**
 * Rate limits: per token for authenticated calls, per address (an IPv6 /64 as one) for the
 * public, a separate generous budget for pages and media, counted in Redis; 429 with
 * Retry-After and LAMHA_RATE_LIMITED; 0 turns a budget off.
 */
import t from 'tap';
import { createTestContext, s3Kinds, seedEvent, type TestContext } from '../helpers/context.js';

const kind = s3Kinds()[0]!;

async function get(ctx: TestContext, url: string, remoteAddress: string, headers: Record<string, string> = {}) {
  return ctx.app.inject({ url, remoteAddress, headers });
}

t.test('the public API is limited per address, pages and media apart, tokens per token', async (t) => {
  const ctx = await createTestContext(t, {
    s3: kind,
    env: { RATE_LIMIT_API_PER_MINUTE: '3', RATE_LIMIT_PAGES_PER_MINUTE: '5', RATE_LIMIT_TOKEN_PER_MINUTE: '4' },
  });
  await seedEvent(ctx);
  const visitor = '203.0.113.7';

  for (let i = 0; i < 3; i++) t.equal((await get(ctx, '/api/v1/events', visitor)).statusCode, 200, `call ${i + 1} within the budget`);
  const over = await get(ctx, '/api/v1/events', visitor);
  t.equal(over.statusCode, 429);
  t.same(Object.keys(over.json()).sort(), ['code', 'error', 'message', 'statusCode']);
  t.equal(over.json().code, 'LAMHA_RATE_LIMITED');
  t.equal(over.json().statusCode, 429);
  const retryAfter = Number(over.headers['retry-after']);
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After in seconds (${over.headers['retry-after']})`);
  t.equal(over.headers['x-content-type-options'], 'nosniff', 'the refusal is hardened like any answer');

  t.equal((await get(ctx, '/api/v1/events', '203.0.113.8')).statusCode, 200, 'another address has its own budget');

  // pages have their own, larger budget: the same address still browses
  for (let i = 0; i < 5; i++) t.equal((await get(ctx, '/en/', visitor)).statusCode, 200, `page ${i + 1}`);
  t.equal((await get(ctx, '/en/', visitor)).statusCode, 429, 'pages are limited too, past their budget');

  // one IPv6 client holds a /64: its addresses share one budget
  for (let i = 0; i < 3; i++) t.equal((await get(ctx, '/api/v1/events', `2001:db8:1:2::${i + 1}`)).statusCode, 200);
  t.equal((await get(ctx, '/api/v1/events', '2001:db8:1:2:ffff::9')).statusCode, 429, 'another address of the same /64 is over');
  t.equal((await get(ctx, '/api/v1/events', '2001:db8:1:3::1')).statusCode, 200, 'the next /64 is not');

  // a token is counted for itself, wherever it calls from (a press room behind one NAT)
  const press = await ctx.mint('press', 'conf');
  for (let i = 0; i < 4; i++) t.equal((await get(ctx, '/api/v1/events', visitor, ctx.auth(press))).statusCode, 200, `token call ${i + 1} from the limited address`);
  const tokenOver = await get(ctx, '/api/v1/events', '198.51.100.1', ctx.auth(press));
  t.equal(tokenOver.statusCode, 429, 'the token is over from any address');
  t.equal(tokenOver.json().code, 'LAMHA_RATE_LIMITED');
  t.equal((await get(ctx, '/api/v1/events', visitor, ctx.auth(await ctx.mint('press', 'conf')))).statusCode, 200, 'another token has its own budget');

  const keys = await ctx.redis.keys(`${ctx.config.redisPrefix}:rate:*`);
  t.ok(keys.length >= 4, `the counts are in Redis under the installation's prefix (${keys.length} keys), shared by every API process`);
});

t.test('a budget of 0 is no limit', async (t) => {
  const ctx = await createTestContext(t, { s3: kind, env: { RATE_LIMIT_API_PER_MINUTE: '0' } });
  await seedEvent(ctx);
  const codes = new Set<number>();
  for (let i = 0; i < 30; i++) codes.add((await get(ctx, '/api/v1/events', '203.0.113.9')).statusCode);
  t.same([...codes], [200]);
});

t.test('X-Forwarded-For names the client only when TRUST_PROXY says which proxy sets it', async (t) => {
  const proxy = '10.0.0.2';
  const forwarded = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}` });

  const direct = await createTestContext(t, { s3: kind, env: { RATE_LIMIT_API_PER_MINUTE: '2' } });
  t.equal((await get(direct, '/api/v1/events', proxy, forwarded(1))).statusCode, 200);
  t.equal((await get(direct, '/api/v1/events', proxy, forwarded(2))).statusCode, 200);
  t.equal((await get(direct, '/api/v1/events', proxy, forwarded(3))).statusCode, 429, 'by default a forged header does not buy a new budget');

  const behind = await createTestContext(t, { s3: kind, env: { RATE_LIMIT_API_PER_MINUTE: '2', TRUST_PROXY: '10.0.0.0/8' } });
  for (let i = 1; i <= 4; i++) t.equal((await get(behind, '/api/v1/events', proxy, forwarded(i))).statusCode, 200, `client ${i} behind the proxy has its own budget`);
  t.equal((await get(behind, '/api/v1/events', proxy, forwarded(1))).statusCode, 200);
  t.equal((await get(behind, '/api/v1/events', proxy, forwarded(1))).statusCode, 429, 'and uses it up');
  t.equal((await get(behind, '/api/v1/events', '192.0.2.9', forwarded(5))).statusCode, 200);
  t.equal((await get(behind, '/api/v1/events', '192.0.2.9', forwarded(6))).statusCode, 200);
  t.equal((await get(behind, '/api/v1/events', '192.0.2.9', forwarded(7))).statusCode, 429, 'a peer that is not the proxy is not believed');
});

t.test('press downloads have a budget per token, wherever they come from', async (t) => {
  const ctx = await createTestContext(t, { s3: kind, env: { RATE_LIMIT_DOWNLOADS_PER_MINUTE: '2', RATE_LIMIT_TOKEN_PER_MINUTE: '100' } });
  await seedEvent(ctx);
  const press = ctx.auth(await ctx.mint('press', 'conf'));
  const archive = '/api/v1/events/conf/albums/day-1/archive.zip';
  t.equal((await get(ctx, archive, '203.0.113.1', press)).statusCode, 200);
  t.equal((await get(ctx, archive, '203.0.113.2', press)).statusCode, 200, 'another journalist of the same room');
  const over = await get(ctx, archive, '198.51.100.3', press);
  t.equal(over.statusCode, 429, 'a third download of the token, from a third address');
  t.equal(over.json().code, 'LAMHA_RATE_LIMITED');
  t.equal((await get(ctx, '/api/v1/assets/00000000-0000-4000-8000-000000000000/original', '203.0.113.1', press)).statusCode, 429, 'originals share the budget');
  t.equal((await get(ctx, '/api/v1/events/conf', '203.0.113.1', press)).statusCode, 200, 'the rest of the API is not held back');
  t.equal((await get(ctx, archive, '203.0.113.1', ctx.auth(await ctx.mint('press', 'conf')))).statusCode, 200, 'another token has its own budget');
});

t.test('a press link has one download budget, whichever addresses its downloads come from', async (t) => {
  const ctx = await createTestContext(t, { s3: kind, env: { RATE_LIMIT_DOWNLOADS_PER_MINUTE: '2', RATE_LIMIT_TOKEN_PER_MINUTE: '100' } });
  await seedEvent(ctx);
  const makeLink = async () => new URL((await ctx.app.inject({
    method: 'POST', url: '/api/v1/events/conf/albums/day-1/share-links', headers: ctx.auth(ctx.admin),
    payload: { expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
  })).json().url as string).pathname;
  const link = await makeLink();
  t.equal((await get(ctx, `${link}/archive.zip`, '203.0.113.1')).statusCode, 200);
  t.equal((await get(ctx, `${link}/archive.zip`, '198.51.100.2')).statusCode, 200, 'the link from a second address');
  const over = await get(ctx, `${link}/files/00000000-0000-4000-8000-000000000000`, '192.0.2.3');
  t.equal(over.statusCode, 429, 'a third download of the link, from a third address, files and archives alike');
  t.equal(over.json().code, 'LAMHA_RATE_LIMITED');
  t.equal((await get(ctx, link, '203.0.113.1')).statusCode, 200, 'the press page is not held back');
  t.equal((await get(ctx, `${await makeLink()}/archive.zip`, '203.0.113.1')).statusCode, 200, 'another link of the same album, from the same address, has its own budget');
});
