/**
 * HTTP caching shared by every route that sends a validator, and by the workers that store
 * renditions: one long-lived Cache-Control value, and one conditional-GET rule (jshttp's
 * `fresh`, as Express and send use) so that a list of tags, a weak `W/"…"` tag and `*` are
 * understood the same way everywhere (RFC 9110 §13.1.2, weak comparison).
 */
import fresh from 'fresh';

/** A year, immutable: for URLs whose bytes never change (versioned renditions, scripts, styles). */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

type RequestHeaders = Record<string, string | string[] | undefined>;

/**
 * Whether the client's copy is current: If-None-Match names one of `etags` (the same content
 * may go out under several tags, e.g. one per content coding). A request that says
 * `Cache-Control: no-cache` is a reload and always gets the full answer.
 */
export function notModified(headers: RequestHeaders, ...etags: string[]): boolean {
  if (!headers['if-none-match']) return false;
  // If-Modified-Since counts only without If-None-Match (RFC 9110 §13.2.2), and these answers
  // carry no Last-Modified for it: only the tags are compared.
  const req = { 'if-none-match': headers['if-none-match'], 'cache-control': headers['cache-control'] };
  return etags.some((etag) => fresh(req, { etag }));
}
