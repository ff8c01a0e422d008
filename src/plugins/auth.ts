/**
 * Bearer tokens: `Authorization: Bearer <token>` makes `request.principal`; no header is the
 * public (null). A header that is not a live token is refused outright, even on public routes,
 * so a client never mistakes an expired token for anonymous success. A press link's URL
 * (`/s/<secret>`) stands for a press principal of its album instead.
 */
import fp from 'fastify-plugin';
import { UnauthorizedError } from '../errors.js';
import type { Principal } from '../services/access.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** the route reads its bearer credential itself (/metrics: METRICS_TOKEN is no Lamha token) */
    ownBearer?: boolean;
  }
}

/** `/s/<secret>…` and `/{locale}/s/<secret>`: a press link's URL, whose secret is the credential. */
const SHARE_PATH = /^\/(?:(?:ar|en|ku|ckb|fr)\/)?s\/([^/?#]+)/;

export default fp(async (app) => {
  app.decorateRequest('principal', null);
  app.decorateRequest('shareLink', undefined);
  app.addHook('onRequest', async (request) => {
    const share = SHARE_PATH.exec(request.url);
    if (share) {
      // the link alone decides: a token sent along opens nothing more
      request.shareLink = await app.services.shareLinks.resolve(decodeURIComponent(share[1]!));
      if (request.shareLink.state === 'live') request.principal = request.shareLink.principal;
      return;
    }
    const header = request.headers.authorization;
    if (header === undefined || request.routeOptions.config?.ownBearer) return;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedError();
    const principal = await app.services.tokens.authenticate(match[1]!);
    if (!principal) throw new UnauthorizedError();
    request.principal = principal;
  });
}, { name: 'lamha-auth', dependencies: ['lamha-services'] });
