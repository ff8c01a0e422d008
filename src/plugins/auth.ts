/**
 * Bearer tokens: `Authorization: Bearer <token>` makes `request.principal`; no header is the
 * public (null). A header that is not a live token is refused outright, even on public routes,
 * so a client never mistakes an expired token for anonymous success.
 */
import fp from 'fastify-plugin';
import { UnauthorizedError } from '../errors.js';
import type { Principal } from '../services/access.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export default fp(async (app) => {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedError();
    const principal = await app.services.tokens.authenticate(match[1]!);
    if (!principal) throw new UnauthorizedError();
    request.principal = principal;
  });
}, { name: 'lamha-auth', dependencies: ['lamha-services'] });
