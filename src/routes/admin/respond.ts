/**
 * Sending a console page: it shows what one organiser may do and holds their form token, so it
 * is a private page (sendPrivatePage: no cache, no index, no referrer; a pasted sign-in link could sit
 * in the address bar).
 */
import type { FastifyReply } from 'fastify';
import type { Locale } from '../../locales.js';
import { sendPrivatePage } from '../pages/respond.js';

export function sendAdminPage(reply: FastifyReply, locale: Locale, page: string, status = 200): FastifyReply {
  return sendPrivatePage(reply, locale, page, status);
}

/** A console path to return to after signing in; anything else (another site, the API) is dropped. */
export function safeNext(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  // the console's pages, and the queue dashboard (which has no locale)
  return /^(\/(ar|en|ku|ckb|fr)\/admin|\/admin\/queues)(\/[A-Za-z0-9._~%/-]*)?(\?[^\s#]*)?$/.test(raw) && !raw.includes('//') ? raw : undefined;
}
