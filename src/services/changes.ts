/**
 * Version counters for what the public gallery shows, kept in Redis so every API process
 * sees the same: a change to an event (its albums, assets, captions, status) bumps the event's
 * version and the site's. Page caches key on the version, so a bump invalidates them all at once
 * without anyone listing what was cached. Losing Redis only makes every page a cache miss.
 *
 * Every change the public could see goes through write(): the queries that make such changes
 * take the GalleryWrite it hands out, and write() bumps the version once they are committed.
 */
import type { Redis } from 'ioredis';
import { inTransaction, type Db, type GalleryWrite } from '../db/database.js';

/** 'site' is the list of events; any other scope is an event id. */
export type ChangeScope = 'site' | string;

export interface WriteOptions {
  /**
   * Where a failed bump goes when the change must stand without it (the caller still has work
   * to do); by default the bump's error is thrown, after the commit.
   */
  onBumpError?: (err: unknown) => void;
}

export function createChanges({ redis, prefix, db }: { redis: Redis; prefix: string; db: Db }) {
  const key = (scope: ChangeScope) => `${prefix}:gallery:version:${scope}`;

  /** Marks the event (and the site's event list) changed. */
  async function touch(eventId: string): Promise<void> {
    await redis.multi().incr(key(eventId)).incr(key('site')).exec();
  }

  return {
    touch,

    /**
     * Runs `fn` in one transaction whose queries change event `eventId` only, then bumps its
     * version (after the commit, so a page rendered at the new version shows the change; a
     * rolled-back change bumps nothing).
     */
    async write<T>(eventId: string, fn: (w: GalleryWrite) => Promise<T>, options: WriteOptions = {}): Promise<T> {
      const result = await inTransaction(db, (client) => {
        const query = client.query.bind(client) as unknown as GalleryWrite['query'];
        return fn({ eventId, query } as GalleryWrite);
      });
      try {
        await touch(eventId);
      } catch (err) {
        if (!options.onBumpError) throw err;
        options.onBumpError(err);
      }
      return result;
    },

    /** The scope's current version, '0' before its first change. */
    async version(scope: ChangeScope): Promise<string> {
      return (await redis.get(key(scope))) ?? '0';
    },
  };
}

export type Changes = ReturnType<typeof createChanges>;
