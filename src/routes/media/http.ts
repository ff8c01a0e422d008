/**
 * The HTTP caching and range rules of /media, apart from the route so they read as rules:
 * validators (RFC 9110 §8.8), conditional requests (§13) and byte ranges (§14).
 */
import type { FastifyReply } from 'fastify';
import parseRange from 'range-parser';
import { RangeNotSatisfiableError } from '../../errors.js';
import { takedownable } from '../../http-cache.js';
/** Drafts, hidden and unfinished assets, fetched by the event's own people: never kept. */
export const PRIVATE = 'private, no-store';

/**
 * With the current `?v=` the bytes behind the URL never change, but the asset may be taken down:
 * a browser that holds them keeps them a day (its owner has already seen them); shared caches
 * revalidate after `sharedSeconds` (at most a minute), so a takedown reaches them in time (see
 * http-cache.ts). A URL without the current `?v=` may be answered differently tomorrow (the
 * rendition re-made), so caches keep it a few minutes and then revalidate with the ETag.
 */
export function cacheControl(open: boolean, requested: string | undefined, current: string, sharedSeconds?: number): string {
  if (!open) return PRIVATE;
  return takedownable(requested === current ? 86400 : 300, sharedSeconds);
}

/** Strong: the same version and size are the same bytes, since a rewrite gets a new version. */
export function entityTag(version: string, bytes: number): string {
  return `"${version}-${bytes.toString(36)}"`;
}

export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * What to send for a Range header. Only one `bytes` range is answered with 206; a request for
 * several gets the whole object (RFC 9110 lets a server ignore Range, and the players and
 * browsers that fetch media ask for one range at a time). Malformed headers, other units and
 * an If-Range that names another version are answered with the whole object too.
 */
export function answerRange(header: string | undefined, ifRange: string | undefined, etag: string, size: number): RangeAnswer {
  if (!header) return { kind: 'full' };
  // If-Range with a date is not a strong validator for us: treat it as "changed".
  if (ifRange !== undefined && ifRange.trim() !== etag) return { kind: 'full' };
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) return { kind: 'unsatisfiable' };
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return { kind: 'full' };
  // Even "bytes=0-" gets a 206: Safari's media element expects one before it plays.
  const { start, end } = ranges[0]!;
  return { kind: 'partial', start, end };
}

/**
 * Answers a GET or HEAD for an object of `size` bytes whose validators and caching headers are
 * already set: 416 for a range past its end, 206 for one range, else the whole; `body` opens
 * the bytes (a range of them), only for a GET.
 */
export async function sendBytes(
  request: { method: string; headers: Record<string, string | string[] | undefined> },
  reply: FastifyReply,
  o: { etag: string; size: number; type: string; body(range?: { start: number; end: number }): Promise<unknown> },
): Promise<FastifyReply> {
  const ifRange = request.headers['if-range'];
  const range = answerRange(header(request.headers.range), Array.isArray(ifRange) ? ifRange[0] : ifRange, o.etag, o.size);
  if (range.kind === 'unsatisfiable') {
    void reply.header('content-range', `bytes */${o.size}`);
    throw new RangeNotSatisfiableError(`The file has ${o.size} bytes`);
  }
  void reply.header('content-type', o.type);
  if (range.kind === 'partial') {
    void reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${o.size}`).header('content-length', range.end - range.start + 1);
  } else {
    void reply.header('content-length', o.size);
  }
  // HEAD answers the same headers without opening the object.
  if (request.method === 'HEAD') return reply.send();
  return reply.send(await o.body(range.kind === 'partial' ? { start: range.start, end: range.end } : undefined));
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
