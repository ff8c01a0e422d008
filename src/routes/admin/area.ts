/**
 * What a console area (one file per area: events, captions, tokens…) is given: it is registered
 * once per locale under `/{locale}/admin`, behind sign-in and CSRF checks (see index.ts), and
 * renders its pages with `pageOf`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Locale } from '../../locales.js';
import { adminContext, type AdminContext } from '../../web/admin/context.js';

export interface AreaOptions {
  locale: Locale;
}

/** The page context of a signed-in console request; `path` after `/{locale}/admin/` ('' for the overview). */
export function pageOf(request: FastifyRequest, reply: FastifyReply, locale: Locale, path: string): AdminContext {
  return adminContext({ locale, publicUrl: request.server.config.publicUrl, path, csrf: reply.generateCsrf(), user: request.admin });
}
