/** Uploads with missing, wrong, expired, revoked and out-of-scope tokens: refused, nothing stored. */
import t from 'tap';
import { s3Kinds, seedEvent } from '../helpers/context.js';
import { assertRefused, fixture, gallery, postParts, type Gallery } from '../helpers/refusal.js';
import { filePart } from '../helpers/multipart.js';

const cases: { what: string; headers: (g: Gallery) => Promise<Record<string, string>>; status: number; code: string }[] = [
  { what: 'no token', headers: async () => ({}), status: 401, code: 'LAMHA_UNAUTHORIZED' },
  { what: 'a wrong token', headers: async (g) => g.ctx.auth('x'.repeat(43)), status: 401, code: 'LAMHA_UNAUTHORIZED' },
  { what: 'a malformed Authorization header', headers: async (g) => ({ authorization: `Basic ${g.photographer}` }), status: 401, code: 'LAMHA_UNAUTHORIZED' },
  { what: 'an expired token', headers: async (g) => g.ctx.auth(await g.ctx.mint('photographer', 'conf', { expiresAt: new Date(Date.now() - 1000) })), status: 401, code: 'LAMHA_UNAUTHORIZED' },
  {
    what: 'a revoked token',
    headers: async (g) => {
      const created = await g.ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: g.ctx.auth(g.ctx.admin), payload: { role: 'photographer', event: 'conf', label: 'lost phone' } });
      const { id, token } = created.json();
      const revoked = await g.ctx.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: g.ctx.auth(g.ctx.admin) });
      if (revoked.statusCode >= 300) throw new Error(`revoke: ${revoked.body}`);
      return g.ctx.auth(token);
    },
    status: 401, code: 'LAMHA_UNAUTHORIZED',
  },
  {
    what: "another event's photographer",
    headers: async (g) => { await seedEvent(g.ctx, { event: 'other' }); return g.ctx.auth(await g.ctx.mint('photographer', 'other')); },
    status: 403, code: 'LAMHA_FORBIDDEN',
  },
  { what: 'a press token of the event', headers: async (g) => g.ctx.auth(await g.ctx.mint('press', 'conf')), status: 403, code: 'LAMHA_FORBIDDEN' },
];

for (const s3 of s3Kinds()) {
  t.test(`with the ${s3} S3 server`, async (t) => {
    for (const c of cases) {
      t.test(`refuses an upload with ${c.what}: ${c.status} ${c.code}, nothing stored`, async (t) => {
        const g = await gallery(t, s3);
        const headers = await c.headers(g);
        await assertRefused(t, g, c.what, await postParts(g, [filePart(fixture('exif-orientation_1.jpg'))], headers), c.status, c.code);
      });
    }
  });
}
