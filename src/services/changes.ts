/**
 * Version counters for what the public gallery shows: a change to an event (its albums, assets,
 * captions, status) bumps the event's version, and with it the site's (the sum of all events').
 * Page caches key on the version, so a bump invalidates them all at once without anyone listing
 * what was cached.
 *
 * The counters live in PostgreSQL and move inside the change's own transaction: the commit
 * itself invalidates the pages, in every API process, whatever Redis does (a Redis that fails
 * after the commit, or restarts empty and would count from 0 again, used to leave pages showing
 * what a takedown removed).
 *
 * Every change the public could see goes through write(): the queries that make such changes
 * take the GalleryWrite it hands out, and write() bumps the version in the same transaction.
 */
import { inTransaction, type Db, type GalleryWrite } from '../db/database.js';
import { bumpVersion, readVersion } from '../db/versions.js';

/** 'site' is the list of events; any other scope is an event id. */
export type ChangeScope = 'site' | string;

export function createChanges({ db }: { db: Db }) {
  // One change per event at a time from this process. The event's version row lock takes them
  // one by one anyway; queued there, each held a pool connection while it waited, and an upload
  // storm to one event (bench/load: 500 photos at once) held all of them: the gallery's pages
  // waited seconds for a connection. Queued here they hold none; other events are not held up.
  const queues = new Map<string, Promise<void>>();
  async function inTurn<T>(eventId: string, fn: () => Promise<T>): Promise<T> {
    const before = queues.get(eventId);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const last = (before ?? Promise.resolve()).then(() => mine);
    queues.set(eventId, last);
    try {
      await before;
      return await fn();
    } finally {
      done();
      if (queues.get(eventId) === last) queues.delete(eventId);
    }
  }

  return {
    /** Marks the event (and the site's event list) changed, for a change made outside write(). */
    async touch(eventId: string): Promise<void> {
      await inTurn(eventId, () => bumpVersion(db, eventId));
    },

    /**
     * Runs `fn` in one transaction whose queries change event `eventId` only, and bumps its
     * version in that transaction: a page rendered at the new version shows the change; a
     * rolled-back change bumps nothing.
     */
    async write<T>(eventId: string, fn: (w: GalleryWrite) => Promise<T>): Promise<T> {
      return inTurn(eventId, () => inTransaction(db, async (client) => {
        // The bump comes first: it locks the event's version row, so the changes to one event
        // queue on that one lock before they touch anything else. Bumped last, each had already
        // locked rows of its own: uploads to one album at once (each moves every asset of the
        // album down a place) locked them in different orders, and PostgreSQL killed one as a
        // deadlock — a 500 for the photographer (bench/load). They waited for each other's
        // commit on this row anyway; invisible to others until the commit, as before.
        await bumpVersion(client, eventId);
        const query = client.query.bind(client) as unknown as GalleryWrite['query'];
        return fn({ eventId, query } as GalleryWrite);
      }));
    },

    /** The scope's current version, '0' before its first change. */
    async version(scope: ChangeScope): Promise<string> {
      return readVersion(db, scope === 'site' ? null : scope);
    },
  };
}

export type Changes = ReturnType<typeof createChanges>;
