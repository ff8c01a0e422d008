/**
 * Rendered pages, cached until what they show changes. Each entry records the change version
 * (changes.version of its scope) it was rendered at; a request reads the scope's current version
 * (one small PostgreSQL read) and serves the entry only when they match, so a change anywhere in an
 * event invalidates all its pages at once, in every API process, without listing them.
 *
 * Two levels: a per-process LRU (a warm hit costs the version read and nothing else), and Redis
 * (shared, so a page is rendered once however many API processes there are). Redis runs without
 * eviction for the queues' sake, so what goes there must stay small and bounded: one entry per
 * page (a re-render overwrites it), only its gzip and brotli copies, with a TTL, and only for
 * pages the caller marks as worth sharing (lists and album grids, costly to render and few) —
 * not the one-photo pages, of which there can be tens of thousands, and never a 404, whose keys
 * anyone can mint by asking for random paths. 404s have their own small LRU, so such a flood
 * cannot push the real pages out of memory either.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Redis } from 'ioredis';
import { ByteLru } from './lru.js';

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

export interface CachedPage {
  version: string;
  status: number;
  /** strong validator of the identity body; the encoded copies append -br / -gz */
  hash: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
  bytes: number;
}

export interface Rendered {
  status: number;
  html: string;
}

export type CacheSource = 'memory' | 'redis' | 'render';

export interface PageCacheOptions {
  redis: Redis;
  prefix: string;
  /** the scope's current version: changes.version */
  version: (scope: string) => Promise<string>;
  /** bytes of the per-process LRU of pages */
  memoryBytes?: number;
  /** bytes of the per-process LRU of 404 pages */
  missingBytes?: number;
  /** seconds an entry stays in Redis unread by a newer render */
  ttlSeconds?: number;
  onError?: (err: unknown) => void;
}

const HEADER = 4;

/** Entry in Redis: 4-byte length of a JSON header, the header, the gzip body, the brotli body. */
function pack(p: CachedPage): Buffer {
  const head = Buffer.from(JSON.stringify({ v: p.version, s: p.status, h: p.hash, g: p.gzip.length }));
  const len = Buffer.alloc(HEADER);
  len.writeUInt32BE(head.length);
  return Buffer.concat([len, head, p.gzip, p.br]);
}

function unpack(buf: Buffer): CachedPage | null {
  try {
    const len = buf.readUInt32BE(0);
    const head = JSON.parse(buf.subarray(HEADER, HEADER + len).toString('utf8')) as { v: string; s: number; h: string; g: number };
    const gz = buf.subarray(HEADER + len, HEADER + len + head.g);
    const br = buf.subarray(HEADER + len + head.g);
    const identity = zlib.gunzipSync(gz);
    return { version: head.v, status: head.s, hash: head.h, identity, gzip: gz, br, bytes: identity.length + buf.length };
  } catch {
    return null;
  }
}

export async function compressPage(version: string, rendered: Rendered): Promise<CachedPage> {
  const identity = Buffer.from(rendered.html, 'utf8');
  const [gz, br] = await Promise.all([
    gzip(identity, { level: 6 }),
    // Quality 6: most of brotli's gain for a page of repeated markup, in a few milliseconds.
    brotli(identity, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 6, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
  ]);
  const hash = createHash('sha256').update(identity).digest('base64url').slice(0, 27);
  return { version, status: rendered.status, hash, identity, gzip: gz, br, bytes: identity.length + gz.length + br.length };
}

export function createPageCache(o: PageCacheOptions) {
  const memory = new ByteLru<CachedPage>(o.memoryBytes ?? 64 * 1024 * 1024);
  const missing = new ByteLru<CachedPage>(o.missingBytes ?? 4 * 1024 * 1024);
  const ttl = o.ttlSeconds ?? 6 * 3600;
  const pending = new Map<string, Promise<CachedPage>>();
  const redisKey = (key: string) => `${o.prefix}:page:${key}`;
  const onError = o.onError ?? (() => {});
  const versions = new Map<string, Promise<string>>();

  /**
   * The scope's version, one query shared by the requests that ask while it is on its way:
   * under load that is one read per event-loop turn instead of one per request. A request joining
   * a read sent a moment before it arrived can miss a change made in that moment (less than one
   * database round trip), as it would have had it arrived a moment earlier.
   */
  function versionOf(scope: string): Promise<string> {
    let v = versions.get(scope);
    if (!v) {
      v = o.version(scope).finally(() => versions.delete(scope));
      versions.set(scope, v);
    }
    return v;
  }

  async function fromRedis(key: string, version: string): Promise<CachedPage | null> {
    try {
      const buf = await o.redis.getBuffer(redisKey(key));
      const page = buf && unpack(buf);
      return page && page.version === version ? page : null;
    } catch (err) {
      onError(err);
      return null;
    }
  }

  async function renderAndStore(key: string, version: string, share: boolean, render: () => Promise<Rendered>): Promise<CachedPage> {
    const page = await compressPage(version, await render());
    if (page.status !== 200) {
      missing.set(key, page);
      return page;
    }
    memory.set(key, page);
    if (share) o.redis.set(redisKey(key), pack(page), 'EX', ttl).catch(onError);
    return page;
  }

  return {
    /**
     * The page under `key` at the scope's current version: from memory, from Redis (when
     * `share`), or rendered now (once per process, however many requests ask at the same time).
     */
    async get(scope: string, key: string, render: () => Promise<Rendered>, { share = false }: { share?: boolean } = {}): Promise<{ page: CachedPage; source: CacheSource }> {
      let current: string;
      try {
        current = await versionOf(scope);
      } catch (err) {
        // Without Redis there is no telling whether a copy is current: render, keep nothing.
        onError(err);
        return { page: await compressPage('', await render()), source: 'render' };
      }
      // The scope is part of the version: a 404 cached under the site's version must not pass for
      // a page of an event whose own counter happens to hold the same number.
      const version = `${scope}@${current}`;
      const hot = memory.get(key) ?? missing.get(key);
      if (hot && hot.version === version) return { page: hot, source: 'memory' };
      const flightKey = `${version}\n${key}`;
      let flight = pending.get(flightKey);
      let source: CacheSource = 'redis';
      if (!flight) {
        flight = (async () => {
          const shared = share ? await fromRedis(key, version) : null;
          if (shared) {
            memory.set(key, shared);
            return shared;
          }
          source = 'render';
          return renderAndStore(key, version, share, render);
        })().finally(() => pending.delete(flightKey));
        pending.set(flightKey, flight);
      }
      const page = await flight;
      return { page, source };
    },
    memory,
  };
}

export type PageCache = ReturnType<typeof createPageCache>;
