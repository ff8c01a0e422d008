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
  return {
    /** Marks the event (and the site's event list) changed, for a change made outside write(). */
    async touch(eventId: string): Promise<void> {
      await bumpVersion(db, eventId);
    },

    /**
     * Runs `fn` in one transaction whose queries change event `eventId` only, and bumps its
     * version in that transaction: a page rendered at the new version shows the change; a
     * rolled-back change bumps nothing.
     */
    async write<T>(eventId: string, fn: (w: GalleryWrite) => Promise<T>): Promise<T> {
      return inTransaction(db, async (client) => {
        // The bump comes first: it locks the event's version row, so the changes to one event
        // queue on that one lock before they touch anything else. Bumped last, each had already
        // locked rows of its own: uploads to one album at once (each moves every asset of the
        // album down a place) locked them in different orders, and PostgreSQL killed one as a
        // deadlock — a 500 for the photographer (bench/load). They waited for each other's
        // commit on this row anyway; invisible to others until the commit, as before.
        await bumpVersion(client, eventId);
        const query = client.query.bind(client) as unknown as GalleryWrite['query'];
        return fn({ eventId, query } as GalleryWrite);
      });
    },

    /** The scope's current version, '0' before its first change. */
    async version(scope: ChangeScope): Promise<string> {
      return readVersion(db, scope === 'site' ? null : scope);
    },
  };
}

export type Changes = ReturnType<typeof createChanges>;
