import type { GalleryWrite, Queryable } from './database.js';
import type { Localized } from './events.js';
import { listSubtitles, type SubtitleRow } from './subtitles.js';
import type { AssetKind } from '../media/types.js';
import type { PhotoMetadata, PhotoMetadataJson } from '../media/metadata.js';

export type AssetStatus = 'processing' | 'ready' | 'failed';

export interface AssetRow {
  id: string;
  eventId: string;
  eventSlug: string;
  eventStatus: 'draft' | 'published';
  albumId: string;
  albumSlug: string;
  albumStatus: 'draft' | 'published';
  kind: AssetKind;
  mimeType: string;
  status: AssetStatus;
  bytes: number;
  sha256: Buffer;
  originalFilename: string;
  uploadedBy: string | null;
  caption: Localized;
  altText: Localized;
  credit: string | null;
  license: string | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  capturedAt: Date | null;
  capturedOffset: string | null;
  placeholder: string | null;
  metadata: Record<string, unknown>;
  hidden: boolean;
  /** uploaded while its event's uploads wait for approval, and not approved yet (then hidden too) */
  awaitingApproval: boolean;
  position: number;
  progress: number | null;
  /** a video's progress per rendition */
  progressDetail: Record<string, number> | null;
  error: string | null;
  /** when location and the rest were removed from the stored original; null: stored as uploaded */
  originalCleanedAt: Date | null;
  /** what its credit line and licence are made from */
  eventTitle: Localized;
  eventDefaultLocale: string;
  eventDefaultLicense: string | null;
  eventCreditTemplate: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface RenditionRow {
  assetId: string;
  name: string;
  key: string;
  width: number | null;
  height: number | null;
  bytes: number;
  type: string;
  /** when this rendition was last written: its version in URLs */
  createdAt: Date;
}

/** An asset with what it is shown with: its renditions and (videos) its subtitle tracks. */
export interface AssetWithMedia extends AssetRow {
  renditions: RenditionRow[];
  /** subtitle tracks of a video, by locale */
  subtitles: SubtitleRow[];
}

// Private location columns are deliberately absent: nothing selected here can leak them.
const COLUMNS = `a.id, a.event_id AS "eventId", e.slug AS "eventSlug", e.status AS "eventStatus",
  a.album_id AS "albumId", al.slug AS "albumSlug", al.status AS "albumStatus", a.kind, a.mime_type AS "mimeType",
  a.status, a.bytes, a.sha256, a.original_filename AS "originalFilename", a.uploaded_by AS "uploadedBy",
  a.caption, a.alt_text AS "altText", a.credit, a.license, a.width, a.height, a.duration_ms AS "durationMs",
  a.captured_at AS "capturedAt", a.captured_offset AS "capturedOffset", a.placeholder, a.metadata, a.hidden,
  a.awaiting_approval AS "awaitingApproval", a.position, a.progress, a.progress_detail AS "progressDetail", a.error, a.original_cleaned_at AS "originalCleanedAt",
  e.title AS "eventTitle", e.default_locale AS "eventDefaultLocale", e.default_license AS "eventDefaultLicense", e.credit_template AS "eventCreditTemplate", a.created_at AS "createdAt", a.updated_at AS "updatedAt"`;
const FROM = `assets a JOIN events e ON e.id = a.event_id JOIN albums al ON al.id = a.album_id`;

export interface NewAsset {
  id: string;
  albumId: string;
  kind: AssetKind;
  mimeType: string;
  bytes: number;
  sha256: Buffer;
  originalFilename: string;
  uploadedBy: string | null;
  caption?: Localized | undefined;
  credit?: string | undefined;
  license?: string | undefined;
  /** the stored original was cleaned of private metadata as it was stored (location at rest) */
  originalCleaned?: boolean | undefined;
  /** what the cleaned original's tags say, read as it was stored: the worker's to take */
  tags?: PhotoMetadata | PhotoMetadataJson | undefined;
}

/**
 * Inserts the asset unless its SHA-256 is already in the event; answers whether it did. A new
 * asset comes first in its album (position 0, the others move down one): during an event the
 * newest photos lead, as the live view shows them arriving. One statement, so the move happens
 * only when the insert does; the UPDATE does not see the new row (same snapshot).
 */
export async function insertAssetUnlessDuplicate(w: GalleryWrite, a: NewAsset): Promise<boolean> {
  const { rows } = await w.query<{ inserted: number }>(
    `WITH inserted AS (
       INSERT INTO assets (id, event_id, album_id, kind, mime_type, bytes, sha256, original_filename, uploaded_by,
         caption, credit, license, position, hidden, awaiting_approval, original_cleaned_at, original_tags)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, e.moderation, e.moderation, CASE WHEN $13 THEN now() END, $14
       FROM events e WHERE e.id = $2
       ON CONFLICT (event_id, sha256) DO NOTHING
       RETURNING id
     ), moved AS (
       UPDATE assets SET position = position + 1 WHERE album_id = $3 AND EXISTS (SELECT 1 FROM inserted)
     )
     SELECT count(*)::int AS inserted FROM inserted`,
    [a.id, w.eventId, a.albumId, a.kind, a.mimeType, a.bytes, a.sha256, a.originalFilename, a.uploadedBy,
      a.caption ?? {}, a.credit ?? null, a.license ?? null, a.originalCleaned === true, a.tags === undefined ? null : JSON.stringify(a.tags)],
  );
  return rows[0]!.inserted === 1;
}

export async function findAssetIdBySha256(db: Queryable, eventId: string, sha256: Buffer): Promise<{ id: string; status: AssetStatus } | undefined> {
  const { rows } = await db.query<{ id: string; status: AssetStatus }>(
    'SELECT id, status FROM assets WHERE event_id = $1 AND sha256 = $2',
    [eventId, sha256],
  );
  return rows[0];
}

export async function findAsset(db: Queryable, id: string): Promise<AssetRow | undefined> {
  const { rows } = await db.query<AssetRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE a.id = $1`, [id]);
  return rows[0];
}

export interface AssetCursor {
  position: number;
  id: string;
}

/** One page of an album in display order; `publicOnly` keeps what the public may see. */
export async function listAlbumAssets(
  db: Queryable,
  albumId: string,
  opts: { publicOnly: boolean; after?: AssetCursor | undefined; limit: number },
): Promise<AssetRow[]> {
  const after = opts.after;
  const { rows } = await db.query<AssetRow>(
    `SELECT ${COLUMNS} FROM ${FROM}
     WHERE a.album_id = $1
       AND (NOT $2 OR (a.status = 'ready' AND NOT a.hidden))
       AND ($3::int IS NULL OR (a.position, a.id) > ($3::int, $4::uuid))
     ORDER BY a.position, a.id
     LIMIT $5`,
    [albumId, opts.publicOnly, after?.position ?? null, after?.id ?? null, opts.limit],
  );
  return rows;
}

export async function listAssetIdsOfAlbum(db: Queryable, albumId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM assets WHERE album_id = $1', [albumId]);
  return rows.map((r) => r.id);
}

export async function listRenditions(db: Queryable, assetIds: string[]): Promise<RenditionRow[]> {
  if (assetIds.length === 0) return [];
  const { rows } = await db.query<RenditionRow>(
    `SELECT asset_id AS "assetId", name, key, width, height, bytes, type, created_at AS "createdAt" FROM renditions
     WHERE asset_id = ANY($1::uuid[]) ORDER BY asset_id, name`,
    [assetIds],
  );
  return rows;
}

/** The assets, in the same order, each with its renditions and subtitle tracks (two queries for all). */
export async function withMedia(db: Queryable, assets: AssetRow[]): Promise<AssetWithMedia[]> {
  const ids = assets.map((a) => a.id);
  const [renditions, subtitles] = await Promise.all([listRenditions(db, ids), listSubtitles(db, ids)]);
  const byAsset = <T extends { assetId: string }>(rows: T[]) => {
    const map = new Map<string, T[]>();
    for (const r of rows) map.set(r.assetId, [...(map.get(r.assetId) ?? []), r]);
    return map;
  };
  const r = byAsset(renditions);
  const s = byAsset(subtitles);
  return assets.map((a) => ({ ...a, renditions: r.get(a.id) ?? [], subtitles: s.get(a.id) ?? [] }));
}

export async function deleteAssetRow(w: GalleryWrite, id: string): Promise<boolean> {
  const { rowCount } = await w.query('DELETE FROM assets WHERE id = $1 AND event_id = $2', [id, w.eventId]);
  return rowCount === 1;
}

/** Multilingual text as a patch: a locale's text replaces it, null removes it (JSON Merge Patch). */
export type LocalizedPatch = Record<string, string | null>;

export interface AssetPatch {
  caption?: LocalizedPatch | undefined;
  altText?: LocalizedPatch | undefined;
  credit?: string | null | undefined;
  license?: string | null | undefined;
  hidden?: boolean | undefined;
  albumId?: string | undefined;
  position?: number | undefined;
}

/**
 * Applies `patch` to the asset; answers false when it is gone. Run it in a transaction when it
 * moves or reorders: the positions of the other assets of the album are shifted first.
 */
export async function updateAsset(w: GalleryWrite, id: string, patch: AssetPatch): Promise<boolean> {
  const sets: string[] = [];
  const values: unknown[] = [id, w.eventId];
  const add = (sql: (n: string) => string, value: unknown) => {
    values.push(value);
    sets.push(sql(`$${values.length}`));
  };
  // jsonb || merges per key; jsonb_strip_nulls then drops the locales the patch set to null.
  if (patch.caption !== undefined) add((n) => `caption = jsonb_strip_nulls(caption || ${n}::jsonb)`, patch.caption);
  if (patch.altText !== undefined) add((n) => `alt_text = jsonb_strip_nulls(alt_text || ${n}::jsonb)`, patch.altText);
  if (patch.credit !== undefined) add((n) => `credit = ${n}`, patch.credit);
  if (patch.license !== undefined) add((n) => `license = ${n}`, patch.license);
  if (patch.hidden !== undefined) add((n) => `hidden = ${n}`, patch.hidden);
  // shown by a curator: approved, so it does not stay in the queue of waiting uploads
  if (patch.hidden === false) sets.push('awaiting_approval = false');
  if (patch.albumId !== undefined) add((n) => `album_id = ${n}`, patch.albumId);
  if (patch.position !== undefined) add((n) => `position = ${n}`, patch.position);
  sets.push('updated_at = now()');
  const { rowCount } = await w.query(`UPDATE assets SET ${sets.join(', ')} WHERE id = $1 AND event_id = $2`, values);
  return rowCount === 1;
}

/** The position after the last asset of the album. */
export async function nextPosition(db: Queryable, albumId: string): Promise<number> {
  const { rows } = await db.query<{ next: number }>('SELECT COALESCE(max(position) + 1, 0)::int AS next FROM assets WHERE album_id = $1', [albumId]);
  return rows[0]!.next;
}

/**
 * Gives the album's other assets the places 0, 1, 2… in their current order, leaving `index`
 * free for the asset (clamped to the end), and answers the place it gets. Renumbering closes the
 * gap the asset leaves (a move to a later place must not skip one) and any left by deletions.
 */
export async function placeAt(w: GalleryWrite, albumId: string, assetId: string, index: number): Promise<number> {
  const { rows } = await w.query<{ place: number }>(
    `WITH others AS (
       SELECT id, position, (row_number() OVER (ORDER BY position, id) - 1)::int AS i FROM assets
       WHERE album_id = $1 AND id <> $2 AND event_id = $4
     ), place AS (
       SELECT LEAST($3::int, count(*)::int) AS place FROM others
     ), wanted AS (
       SELECT o.id, o.position, o.i + (o.i >= p.place)::int AS target FROM others o, place p
     ), renumbered AS (
       UPDATE assets a SET position = w.target FROM wanted w WHERE a.id = w.id AND w.position <> w.target
     )
     SELECT place FROM place`,
    [albumId, assetId, index, w.eventId],
  );
  return rows[0]!.place;
}

/** An asset leaving an album stops being its cover. */
export async function dropCover(w: GalleryWrite, albumId: string, assetId: string): Promise<void> {
  await w.query('UPDATE albums SET cover_asset_id = NULL, updated_at = now() WHERE id = $1 AND cover_asset_id = $2 AND event_id = $3', [albumId, assetId, w.eventId]);
}

/**
 * Public assets of the event that became ready after `afterAssetId` did, oldest first: what a
 * live client that last heard of that asset has missed. An asset's renditions are written when
 * it becomes ready, so their time is its ready time. Nothing when the asset is unknown.
 */
export async function listPublicReadyAfter(db: Queryable, eventId: string, afterAssetId: string, limit: number): Promise<{ id: string; albumId: string }[]> {
  const { rows } = await db.query<{ id: string; albumId: string }>(
    `WITH since AS (
       SELECT max(r.created_at) AS t FROM renditions r JOIN assets a ON a.id = r.asset_id WHERE r.asset_id = $2 AND a.event_id = $1
     ), ready AS (
       SELECT a.id, a.album_id, (SELECT max(r.created_at) FROM renditions r WHERE r.asset_id = a.id) AS t
       FROM assets a JOIN albums al ON al.id = a.album_id JOIN events e ON e.id = a.event_id, since
       WHERE a.event_id = $1 AND a.status = 'ready' AND NOT a.hidden AND al.status = 'published' AND e.status = 'published'
         AND a.updated_at >= since.t
     )
     SELECT ready.id, ready.album_id AS "albumId" FROM ready, since WHERE ready.t > since.t ORDER BY ready.t, ready.id LIMIT $3`,
    [eventId, afterAssetId, limit],
  );
  return rows;
}

/** The event's uploads waiting for approval, oldest first (the order they were sent in). */
export async function listAwaitingApproval(db: Queryable, eventId: string, limit: number): Promise<AssetRow[]> {
  const { rows } = await db.query<AssetRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE a.event_id = $1 AND a.awaiting_approval ORDER BY a.created_at, a.id LIMIT $2`,
    [eventId, limit],
  );
  return rows;
}

/** Approves a waiting upload: public from now on as any other; answers false when it was not waiting (or is gone). */
export async function approveAsset(w: GalleryWrite, id: string): Promise<boolean> {
  const { rowCount } = await w.query(
    'UPDATE assets SET awaiting_approval = false, hidden = false, updated_at = now() WHERE id = $1 AND event_id = $2 AND awaiting_approval',
    [id, w.eventId],
  );
  return rowCount === 1;
}
