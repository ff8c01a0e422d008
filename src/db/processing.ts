/** The queries of the processors: what an asset is, and what processing made of it. */
import type { GalleryWrite, Queryable } from './database.js';
import type { Localized } from './events.js';
import type { AssetStatus, RenditionRow } from './assets.js';
import { photoMetadataFromJson, type PhotoMetadata, type PhotoMetadataJson } from '../media/metadata.js';

export interface AssetToProcess {
  id: string;
  eventId: string;
  albumId: string;
  kind: string;
  mimeType: string;
  status: AssetStatus;
  caption: Localized;
  credit: string | null;
  license: string | null;
  eventLocales: string[];
  eventDefaultLocale: string;
  /** the event keeps location, serials and owner names in stored originals */
  keepLocation: boolean;
  /** when location and the rest were removed from the stored original; null: stored as uploaded */
  originalCleanedAt: Date | null;
  /** what the stored original's tags say, read by the API as it cleaned the file; null: not read */
  originalTags: PhotoMetadata | null;
}

export async function findAssetToProcess(db: Queryable, id: string): Promise<AssetToProcess | undefined> {
  const { rows } = await db.query<AssetToProcess>(
    `SELECT a.id, a.event_id AS "eventId", a.album_id AS "albumId", a.kind, a.mime_type AS "mimeType", a.status,
       a.caption, a.credit, a.license, e.locales AS "eventLocales", e.default_locale AS "eventDefaultLocale",
       e.keep_location AS "keepLocation", a.original_cleaned_at AS "originalCleanedAt", a.original_tags AS "originalTags"
     FROM assets a JOIN events e ON e.id = a.event_id WHERE a.id = $1`,
    [id],
  );
  const row = rows[0];
  if (row?.originalTags) row.originalTags = photoMetadataFromJson(row.originalTags as unknown as PhotoMetadataJson);
  return row;
}

/** Records that the stored original was cleaned of location, serials and owner names. */
export async function markOriginalCleaned(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE assets SET original_cleaned_at = now(), updated_at = now() WHERE id = $1', [id]);
}

/** Progress is shown to insiders only, never on a public page: it needs no gallery write. */
export async function setProgress(db: Queryable, id: string, progress: number): Promise<void> {
  await db.query(`UPDATE assets SET progress = $2, updated_at = now() WHERE id = $1 AND status = 'processing'`, [id, Math.round(progress)]);
}

/** A rendition as a processor records it: the row without what the database fills in. */
export type NewRendition = Omit<RenditionRow, 'assetId' | 'createdAt'>;

export interface ProcessedImage {
  width: number;
  height: number;
  /** videos only */
  durationMs?: number | null;
  placeholder: string | null;
  capturedAt: Date | null;
  capturedOffset: string | null;
  /** public-safe technical metadata */
  metadata: Record<string, unknown>;
  /** applied only where the uploader left the field empty */
  caption: Localized;
  credit: string | null;
  license: string | null;
  location: { latitude: number; longitude: number; altitude: number | null } | null;
  renditions: NewRendition[];
}

/**
 * Records renditions and metadata and makes the asset ready, in one transaction; answers false
 * when the asset was deleted meanwhile (nothing is written then). A location is recorded only
 * for an event that keeps locations, whatever the processor passes.
 */
export async function completeAsset(w: GalleryWrite, id: string, p: ProcessedImage): Promise<boolean> {
  const { rowCount } = await w.query(
    `UPDATE assets SET status = 'ready', progress = 100, error = NULL, width = $2, height = $3, placeholder = $4,
       captured_at = $5, captured_offset = $6, metadata = $7,
       caption = CASE WHEN assets.caption = '{}'::jsonb THEN $8::jsonb ELSE assets.caption END,
       credit = COALESCE(NULLIF(assets.credit, ''), $9), license = COALESCE(NULLIF(assets.license, ''), $10),
       private_latitude = CASE WHEN e.keep_location THEN $11::double precision END,
       private_longitude = CASE WHEN e.keep_location THEN $12::double precision END,
       private_altitude = CASE WHEN e.keep_location THEN $13::double precision END,
       duration_ms = $14, original_tags = NULL, updated_at = now()
     FROM events e WHERE assets.id = $1 AND assets.event_id = $15 AND e.id = assets.event_id`,
    [id, p.width, p.height, p.placeholder, p.capturedAt, p.capturedOffset, p.metadata, p.caption, p.credit, p.license,
      p.location?.latitude ?? null, p.location?.longitude ?? null, p.location?.altitude ?? null, p.durationMs ?? null, w.eventId],
  );
  if (rowCount !== 1) return false;
  // the set of renditions in one statement (one round trip, not one per rendition): those not
  // made this time go, the others are written over
  await w.query(
    `WITH made AS (
       SELECT * FROM unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::bigint[], $7::text[]) AS r(name, key, width, height, bytes, type)
     ), gone AS (
       DELETE FROM renditions WHERE asset_id = $1 AND NOT (name = ANY($2::text[]))
     )
     INSERT INTO renditions (asset_id, name, key, width, height, bytes, type)
     SELECT $1, name, key, width, height, bytes, type FROM made
     ON CONFLICT (asset_id, name) DO UPDATE SET key = EXCLUDED.key, width = EXCLUDED.width, height = EXCLUDED.height,
       bytes = EXCLUDED.bytes, type = EXCLUDED.type, created_at = now()`,
    [id, ...(['name', 'key', 'width', 'height', 'bytes', 'type'] as const).map((f) => p.renditions.map((r) => r[f]))],
  );
  return true;
}

export async function failAsset(w: GalleryWrite, id: string, reason: string): Promise<void> {
  await w.query(
    `UPDATE assets SET status = 'failed', error = $2, progress = NULL, updated_at = now() WHERE id = $1 AND event_id = $3`,
    [id, reason.slice(0, 1000), w.eventId],
  );
}
