/**
 * Sending a cached page: the encoding the client takes, a strong ETag per encoding, 304 when it
 * matches If-None-Match. Pages change at any moment during an event, so caches must ask every
 * time (max-age=0, must-revalidate) — a 304 costs a few hundred bytes, and a new photo shows
 * up on the next load instead of minutes later.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { notModified } from '../../http-cache.js';
import { chooseEncoding, type Encoding } from '../encoding.js';
import type { CachedPage, CacheSource } from './page-cache.js';

/**
 * What the pages may load: only this site's own scripts, styles, media and connections, so
 * that text slipping past escaping still could not run or send anything elsewhere. blob: for
 * hls.js (media source buffers, its worker), data: for the thumbhash placeholders; inline
 * styles for the placeholder colours and the grid's aspect ratios.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
  "media-src 'self' blob:", "worker-src 'self' blob:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
  "form-action 'self'", "frame-ancestors 'self'",
].join('; ');

const SUFFIX: Record<Encoding, string> = { br: '-br', gzip: '-gz', identity: '' };

export function etagOf(page: CachedPage, enc: Encoding): string {
  return `"${page.hash}${SUFFIX[enc]}"`;
}

/** `vary`: the request headers the answer depends on besides the path (an error page's also depends on Accept-Language). */
export function sendPage(request: FastifyRequest, reply: FastifyReply, page: CachedPage, source: CacheSource, locale: string, vary = 'Accept-Encoding'): FastifyReply {
  const enc = chooseEncoding(request.headers['accept-encoding']);
  reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-language', locale)
    .header('cache-control', 'public, max-age=0, must-revalidate')
    .header('vary', vary)
    .header('etag', etagOf(page, enc))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('referrer-policy', 'strict-origin-when-cross-origin')
    .header('x-lamha-cache', source);
  if (page.status === 200 && notModified(request.headers, etagOf(page, 'identity'), etagOf(page, 'br'), etagOf(page, 'gzip'))) return reply.code(304).send();
  if (enc !== 'identity') reply.header('content-encoding', enc);
  return reply.code(page.status).send(enc === 'br' ? page.br : enc === 'gzip' ? page.gzip : page.identity);
}

/**
 * A page that holds one person's credentials or what only they may do (the uploader, the
 * console): no cache keeps it, it is not indexed, and it names no referrer (a link with a token
 * could sit in the address bar).
 */
export function sendPrivatePage(reply: FastifyReply, locale: string, page: string, status = 200): FastifyReply {
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
