/**
 * Who is signed in to the console. The session holds a token's id and when it signed in, never
 * the secret; every request looks the token up again, so a token revoked or expired since (or
 * one of the tokens that minted it) signs its sessions out at once. A session also ends
 * ADMIN_SESSION_HOURS after its sign-in, however busy it was.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Locale } from '../../locales.js';
import type { Principal } from '../../services/access.js';
import type { AdminUser } from '../../web/admin/context.js';

declare module 'fastify' {
  interface Session {
    tokenId?: string;
    signedInAt?: number;
  }
  interface FastifyRequest {
    /** the signed-in organiser on console routes; null elsewhere */
    admin: AdminUser | null;
  }
}

export type SignedIn = { state: 'in'; principal: Principal; user: AdminUser } | { state: 'out' | 'expired' | 'revoked' };

export async function signedIn(request: FastifyRequest): Promise<SignedIn> {
  const { session, server } = request;
  const tokenId = session.tokenId;
  if (tokenId === undefined) return { state: 'out' };
  if (Date.now() - (session.signedInAt ?? 0) >= server.config.adminSessionMs) {
    await session.destroy();
    return { state: 'expired' };
  }
  const found = await server.services.tokens.principalById(tokenId);
  if (!found || (found.role !== 'admin' && found.role !== 'editor')) {
    await session.destroy();
    return { state: 'revoked' };
  }
  const { label, ...principal } = found;
  return { state: 'in', principal, user: { role: found.role, label, eventId: found.eventId } };
}

/**
 * preHandler of every console page but sign-in: the organiser's principal becomes the request's
 * (services check rights with it as they do for a bearer token); anyone else goes to sign-in,
 * told why when their session just ended.
 */
export function requireSignIn(locale: Locale) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const who = await signedIn(request);
    if (who.state === 'in') {
      request.principal = who.principal;
      request.admin = who.user;
      return;
    }
    const query = new URLSearchParams();
    if (who.state !== 'out') query.set('notice', who.state);
    if (request.method === 'GET') query.set('next', request.url);
    const qs = query.toString();
    return reply.header('cache-control', 'no-store').redirect(`/${locale}/admin/login${qs ? `?${qs}` : ''}`, 303);
  };
}
