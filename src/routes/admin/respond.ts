/**
 * Sending a console page. It shows what one organiser may do and holds their form token, so no
 * cache keeps it, it is not indexed, and it names no referrer (a pasted sign-in link could sit
 * in the address bar).
 */
import type { FastifyReply } from 'fastify';
import type { Locale } from '../../locales.js';
import { CONTENT_SECURITY_POLICY } from '../pages/respond.js';

export function sendAdminPage(reply: FastifyReply, locale: Locale, page: string, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-language', locale)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('referrer-policy', 'no-referrer')
    .header('x-robots-tag', 'noindex')
    .send(page);
}

/** A console path to return to after signing in; anything else (another site, the API) is dropped. */
export function safeNext(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  return /^\/(ar|en|ku|ckb|fr)\/admin(\/[A-Za-z0-9._~%/-]*)?(\?[^\s#]*)?$/.test(raw) && !raw.includes('//') ? raw : undefined;
}
