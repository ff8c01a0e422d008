import type { Log } from '../log.js';
import type { Db } from '../db/database.js';
import {
  approveAsset, deleteAssetRow, dropCover, findAsset, listAlbumAssets, listAwaitingApproval, listRenditions, nextPosition, placeAt, updateAsset, withMedia,
  type AssetCursor, type AssetPatch, type AssetRow, type AssetWithMedia, type LocalizedPatch,
} from '../db/assets.js';
import { findAlbum, type AlbumRow } from '../db/albums.js';
import { findEventById, type EventRow } from '../db/events.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { Queues } from '../queues/producer.js';
import { PROCESSING_JOB } from '../queues/jobs.js';
import { HLS_PART_TYPES, originalKey, renditionKey, renditionPrefix, pressPrefix } from '../storage/keys.js';
import type { ObjectStore } from '../storage/object-store.js';
import { canCurate, demand, isInsider, type Principal } from './access.js';
import type { Changes } from './changes.js';
import { renditionVersion } from './urls.js';

/** A rendition as /media serves it. */
export interface MediaObject {
  key: string;
  type: string;
  bytes: number;
  /** the version its public URL carries (`?v=`); a re-made rendition has a new one */
  version: string;
  /** whether the public may fetch it too */
  open: boolean;
}

/** What the public sees of an event's assets: ready, not hidden, in a published album of a published event. */
export function isPublic(a: AssetRow): boolean {
  return a.eventStatus === 'published' && a.albumStatus === 'published' && !a.hidden && a.status === 'ready';
}

/** What PATCH /api/v1/assets/:id takes; `album` is the slug of another album of the same event. */
export interface AssetEdit {
  caption?: LocalizedPatch | undefined;
  altText?: LocalizedPatch | undefined;
  credit?: string | null | undefined;
  license?: string | null | undefined;
  album?: string | undefined;
  position?: number | undefined;
  hidden?: boolean | undefined;
}

/** What the uploader may change of its own uploads; the rest is curation. */
const OWNER_FIELDS: ReadonlySet<string> = new Set(['caption', 'altText']);

export function createAssetService({ db, storage, queues, log, changes }: {
  db: Db;
  storage: ObjectStore;
  queues: Queues;
  log: Log;
  /** every change the public could see is written through it, so page caches drop what they hold */
  changes: Pick<Changes, 'write'>;
}) {
  async function visibleAsset(p: Principal | null, id: string): Promise<AssetRow> {
    const asset = UUID.test(id) ? await findAsset(db, id) : undefined;
    if (!asset || !(isPublic(asset) || isInsider(p, asset.eventId))) throw new NotFoundError(`No asset ${id}`);
    return asset;
  }

  /** Removes every object of the asset; a failure is handed to the maintenance queue to retry. */
  async function purgeObjects(id: string): Promise<void> {
    try {
      await storage.delete(originalKey(id));
      await storage.deletePrefix(renditionPrefix(id));
      await storage.deletePrefix(pressPrefix(id));
    } catch (err) {
      log.warn({ err, assetId: id }, 'could not delete the objects of a deleted asset now; queued for retry');
      await queues.enqueue('purge-asset', { assetId: id });
    }
  }

  /** Deletes the row (renditions cascade), drops queued work and removes every object. */
  async function deleteAsset({ id, eventId }: { id: string; eventId: string }): Promise<void> {
    if (!(await changes.write(eventId, (w) => deleteAssetRow(w, id)))) return;
    // A job already running keeps its lock; its processor finds the asset gone and stops.
    await Promise.all([...new Set(Object.values(PROCESSING_JOB))].map((name) => queues.cancel(name, id).catch(() => {})));
    await purgeObjects(id);
  }

  return {
    visibleAsset,
    deleteAsset,
    purgeObjects,

    async get(p: Principal | null, id: string): Promise<AssetWithMedia> {
      return (await withMedia(db, [await visibleAsset(p, id)]))[0]!;
    },

    /**
     * A rendition `p` may fetch, with its size, its version (as in its URL's `?v=`) and whether
     * the public may fetch it too (for caching). HLS segments are not rows: they are served when
     * the asset has its master playlist, carry the master's version and are sized from the store.
     */
    async rendition(p: Principal | null, id: string, name: string): Promise<MediaObject> {
      const asset = await visibleAsset(p, id);
      const rows = await listRenditions(db, [asset.id]);
      const open = isPublic(asset);
      const row = rows.find((r) => r.name === name);
      const master = rows.find((r) => r.name === 'hls/master.m3u8');
      // Every part of the HLS rendition carries the master's version: playlists pass it on to what they name.
      const hls = name.startsWith('hls/') && master !== undefined;
      if (row) return { key: row.key, type: row.type, bytes: row.bytes, version: renditionVersion(hls ? master : row), open };
      const segmentType = HLS_PART_TYPES[name.slice(name.lastIndexOf('.'))];
      if (hls && segmentType) {
        const key = renditionKey(asset.id, name);
        const { size } = await storage.stat(key); // NotFoundError when there is no such segment
        return { key, type: segmentType, bytes: size, version: renditionVersion(master), open };
      }
      throw new NotFoundError(`No rendition "${name}" of asset ${id}`);
    },

    /**
     * Approves an upload that waits for approval: from now on the public sees it as any other
     * (once ready). Answers the asset; 409 when it was not waiting.
     */
    async approve(p: Principal | null, id: string): Promise<AssetWithMedia> {
      const asset = await visibleAsset(p, id);
      demand(p, canCurate(p, asset.eventId), 'approve uploads of this event');
      if (!(await changes.write(asset.eventId, (w) => approveAsset(w, asset.id)))) {
        throw new ConflictError(`Asset ${id} is not waiting for approval`);
      }
      return (await withMedia(db, [await visibleAsset(p, asset.id)]))[0]!;
    },

    /** The uploads of an event (as events.visibleEvent answers it) that wait for approval, oldest first; its curators only. */
    async awaitingApproval(p: Principal | null, event: EventRow, limit = 200): Promise<AssetWithMedia[]> {
      demand(p, canCurate(p, event.id), 'moderate uploads of this event');
      return withMedia(db, await listAwaitingApproval(db, event.id, limit));
    },

    async remove(p: Principal | null, id: string): Promise<void> {
      const asset = await visibleAsset(p, id);
      demand(p, canCurate(p, asset.eventId), 'delete assets of this event');
      await deleteAsset(asset);
    },

    /**
     * Edits an asset. Captions and alt text are merged per locale (JSON Merge Patch): a locale's
     * text replaces that locale's, null removes it, locales not named are kept. Editors of the
     * event change everything; the uploader only the captions and alt text of its own uploads.
     * A move to another album without a position puts the asset last there; a position puts it
     * at that place (0 first; past the end means last), the others keeping their order around it.
     */
    async edit(p: Principal | null, id: string, edit: AssetEdit): Promise<AssetWithMedia> {
      const asset = await visibleAsset(p, id);
      const curator = canCurate(p, asset.eventId);
      const owner = p !== null && asset.uploadedBy !== null && p.tokenId === asset.uploadedBy;
      demand(p, curator || owner, 'edit this asset');
      if (!curator) {
        const other = Object.keys(edit).filter((k) => edit[k as keyof AssetEdit] !== undefined && !OWNER_FIELDS.has(k));
        if (other.length > 0) throw new ForbiddenError(`The uploader may edit only the caption and alt text of its uploads, not ${other.join(', ')}`);
      }
      const event = await findEventById(db, asset.eventId);
      if (!event) throw new NotFoundError(`No asset ${id}`);
      for (const [field, text] of [['caption', edit.caption], ['altText', edit.altText]] as const) {
        if (!text) continue;
        // removing a locale the event has since dropped is allowed; writing one is not
        const foreign = Object.entries(text).filter(([k, v]) => v !== null && !event.locales.includes(k)).map(([k]) => k);
        if (foreign.length > 0) throw new ValidationError(`${field} has text in locales the event does not use: ${foreign.join(', ')} (it uses ${event.locales.join(', ')})`);
      }
      let albumId = asset.albumId;
      if (edit.album !== undefined && edit.album !== asset.albumSlug) {
        const target = await findAlbum(db, asset.eventId, edit.album);
        if (!target) throw new ValidationError(`album must be an album of this event; there is no "${edit.album}"`);
        albumId = target.id;
      }
      const patch: AssetPatch = {
        caption: edit.caption, altText: edit.altText, credit: edit.credit, license: edit.license, hidden: edit.hidden,
      };
      const moved = albumId !== asset.albumId;
      const found = await changes.write(asset.eventId, async (tx) => {
        if (moved) {
          patch.albumId = albumId;
          await dropCover(tx, asset.albumId, asset.id);
        }
        if (edit.position !== undefined) {
          patch.position = await placeAt(tx, albumId, asset.id, edit.position);
        } else if (moved) {
          patch.position = await nextPosition(tx, albumId);
        }
        return updateAsset(tx, asset.id, patch);
      });
      if (!found) throw new NotFoundError(`No asset ${id}`);
      return (await withMedia(db, [await visibleAsset(p, asset.id)]))[0]!;
    },

    /** One page of an album; `cursor` is the opaque string from the previous page's `nextCursor`. */
    async page(p: Principal | null, album: AlbumRow, cursor: string | undefined, limit: number): Promise<{ items: AssetWithMedia[]; nextCursor: string | null }> {
      const rows = await listAlbumAssets(db, album.id, { publicOnly: !isInsider(p, album.eventId), after: decodeCursor(cursor), limit: limit + 1 });
      const more = rows.length > limit;
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return {
        items: await withMedia(db, items),
        nextCursor: more && last ? encodeCursor({ position: last.position, id: last.id }) : null,
      };
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function encodeCursor(c: AssetCursor): string {
  return Buffer.from(JSON.stringify([c.position, c.id])).toString('base64url');
}

function decodeCursor(s: string | undefined): AssetCursor | undefined {
  if (s === undefined || s === '') return undefined;
  try {
    const [position, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown[];
    if (Number.isInteger(position) && typeof id === 'string' && UUID.test(id)) {
      return { position: position as number, id };
    }
  } catch {
    // fall through
  }
  throw new ValidationError('cursor is not one this service gave out');
}

export type AssetService = ReturnType<typeof createAssetService>;
