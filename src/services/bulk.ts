/**
 * One action on many assets of an event at once: move to an album, hide, unhide, delete, set
 * the credit or the licence. Every asset must be of the event and the caller its curator, or
 * nothing is done; then each asset goes through the asset service as a single edit would, so
 * what one edit checks and records (page caches, objects deleted) holds for each.
 */
import type { Db } from '../db/database.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { LICENSE_IDS } from '../licenses.js';
import { canCurate, demand, type Principal } from './access.js';
import type { AssetService } from './assets.js';
import type { EventService } from './events.js';

export type BulkAction =
  | { action: 'move'; album: string }
  | { action: 'hide' | 'unhide' | 'delete' }
  | { action: 'credit'; credit: string | null }
  | { action: 'license'; license: string | null };

export const BULK_ACTIONS = ['move', 'hide', 'unhide', 'delete', 'credit', 'license'] as const;

/** More than a day's photos of one photographer; a longer selection is done in parts. */
export const BULK_MAX = 2000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createBulkService({ db, assets, events }: { db: Db; assets: AssetService; events: EventService }) {
  return {
    async apply(p: Principal | null, eventSlug: string, ids: readonly string[], action: BulkAction): Promise<{ count: number }> {
      const event = await events.visibleEvent(p, eventSlug);
      demand(p, canCurate(p, event.id), 'edit the assets of this event');
      const unique = [...new Set(ids)];
      if (unique.length === 0) throw new ValidationError('Select at least one asset');
      if (unique.length > BULK_MAX) throw new ValidationError(`At most ${BULK_MAX} assets at once`);
      const bad = unique.filter((id) => !UUID.test(id));
      if (bad.length > 0) throw new ValidationError(`Not asset ids: ${bad.slice(0, 5).join(', ')}`);
      const { rows } = await db.query<{ id: string }>('SELECT id FROM assets WHERE event_id = $1 AND id = ANY($2::uuid[])', [event.id, unique]);
      if (rows.length !== unique.length) {
        const found = new Set(rows.map((r) => r.id));
        throw new NotFoundError(`No asset ${unique.find((id) => !found.has(id))} in event "${eventSlug}"`);
      }
      if (action.action === 'license' && action.license !== null && !LICENSE_IDS.includes(action.license)) {
        throw new ValidationError(`Unknown licence "${action.license}"`);
      }
      if (action.action === 'move' && !(await events.albums(p, event)).some((a) => a.slug === action.album)) {
        throw new ValidationError(`album must be an album of this event; there is no "${action.album}"`);
      }
      for (const id of unique) {
        switch (action.action) {
          case 'delete': await assets.remove(p, id); break;
          case 'hide': await assets.edit(p, id, { hidden: true }); break;
          case 'unhide': await assets.edit(p, id, { hidden: false }); break;
          case 'move': await assets.edit(p, id, { album: action.album }); break;
          case 'credit': await assets.edit(p, id, { credit: action.credit }); break;
          case 'license': await assets.edit(p, id, { license: action.license }); break;
        }
      }
      return { count: unique.length };
    },

    /**
     * Puts an album's items in the order given (every item of the album, once). Only the items
     * out of place are moved, first to last, so swapping two writes two edits, not hundreds.
     */
    async order(p: Principal | null, eventSlug: string, albumSlug: string, ids: readonly string[]): Promise<{ moved: number }> {
      const { event, album } = await events.visibleAlbum(p, eventSlug, albumSlug);
      demand(p, canCurate(p, event.id), 'order this album');
      const current = (await assets.page(p, album, undefined, BULK_MAX)).items.map((a) => a.id);
      if (ids.length !== current.length || new Set(ids).size !== ids.length || !ids.every((id) => current.includes(id))) {
        throw new ValidationError('order must name every item of the album once (it may have changed: reload the page)');
      }
      let moved = 0;
      for (let i = 0; i < ids.length; i++) {
        if (current[i] === ids[i]) continue;
        await assets.edit(p, ids[i]!, { position: i });
        current.splice(current.indexOf(ids[i]!), 1);
        current.splice(i, 0, ids[i]!);
        moved++;
      }
      return { moved };
    },
  };
}

export type BulkService = ReturnType<typeof createBulkService>;
