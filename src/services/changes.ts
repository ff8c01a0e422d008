/**
 * Version counters for what the public gallery shows, kept in Redis so every API process
 * sees the same: a change to an event (its albums, assets, captions, status) bumps the event's
 * version and the site's. Page caches key on the version, so a bump invalidates them all at once
 * without anyone listing what was cached. Losing Redis only makes every page a cache miss.
 */
import type { Redis } from 'ioredis';

/** 'site' is the list of events; any other scope is an event id. */
export type ChangeScope = 'site' | string;

export function createChanges({ redis, prefix }: { redis: Redis; prefix: string }) {
  const key = (scope: ChangeScope) => `${prefix}:gallery:version:${scope}`;
  return {
    /** Marks the event (and the site's event list) changed. */
    async touch(eventId: string): Promise<void> {
      await redis.multi().incr(key(eventId)).incr(key('site')).exec();
    },
    /** The scope's current version, '0' before its first change. */
    async version(scope: ChangeScope): Promise<string> {
      return (await redis.get(key(scope))) ?? '0';
    },
  };
}

export type Changes = ReturnType<typeof createChanges>;
