/**
 * HTTP caching shared by every route that sends a validator, and by the workers that store
 * renditions: one long-lived Cache-Control value, and one conditional-GET rule (jshttp's
 * `fresh`, as Express and send use) so that a list of tags, a weak `W/"…"` tag and `*` are
 * understood the same way everywhere (RFC 9110 §13.1.2, weak comparison).
 */
import fresh from 'fresh';

/** A year, immutable: for URLs whose bytes never change and can never be taken down (scripts, styles). */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The longest a shared cache (proxy, CDN) may serve anything that shows an asset without asking
 * the origin again: an asset hidden, unpublished or deleted must be unreachable to anyone who did
 * not already hold it within 60 s, and the origin refuses it at once (404). 55, not 60: a cache
 * counts age in whole seconds and asks again on the next request after that (nginx, measured in
 * test/routes/takedown-cache.test.ts: s-maxage + 0.7–1.0 s), and clocks differ by a little.
 */
export const SHARED_MAX_SECONDS = 55;

/**
 * Cache-Control for public content that can be taken down. `browserSeconds` is what a visitor's
 * own browser may keep: only someone who already fetched the bytes holds that copy, so takedown
 * does not need to reach it. Shared caches get `s-maxage` (at most SHARED_MAX_SECONDS) and
 * `proxy-revalidate`: once stale they must ask the origin, which answers 404 after a takedown,
 * and may not serve the stale copy when the origin cannot be reached. Never `immutable`: that
 * would tell caches not to revalidate at all.
 */
export function takedownable(browserSeconds: number, sharedSeconds = SHARED_MAX_SECONDS): string {
  const shared = Math.min(sharedSeconds, SHARED_MAX_SECONDS, Math.max(browserSeconds, 0));
  return `public, max-age=${browserSeconds}, s-maxage=${shared}, proxy-revalidate`;
}

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
