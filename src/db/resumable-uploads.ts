/** tus uploads in progress (migration 1700000000010): their parts and offsets. */
import type { Queryable } from './database.js';
import type { AssetKind } from '../media/types.js';
import type { PhotoMetadata, PhotoMetadataJson } from '../media/metadata.js';

export type ResumableState = 'receiving' | 'received' | 'done';

export interface StoredPart {
  part: number;
  etag: string;
  bytes: number;
}

export interface ResumableRow {
  id: string;
  assetId: string;
  eventId: string | null;
  albumId: string | null;
  tokenId: string | null;
  length: number;
  received: number;
  filename: string;
  caption: string | null;
  locale: string | null;
  head: Buffer;
  mimeType: string | null;
  kind: AssetKind | null;
  partSize: number;
  multipartId: string | null;
  parts: StoredPart[];
  restBytes: number;
  sha256: Buffer | null;
  state: ResumableState;
  resultId: string | null;
  duplicate: boolean | null;
  /** its first part was stored with a cleaned head: the uploaded head's length up to the first scan */
  headCut: number | null;
  /** … and the cleaned head's */
  headPrefix: number | null;
  /** … and what its tags say, read as it was checked (see assets.original_tags) */
  headTags: PhotoMetadataJson | null;
  /** stored without private metadata (the head cleaned, the rest scans only) */
  originalCleaned: boolean;
  createdAt: Date;
  expiresAt: Date;
}

const COLUMNS = `id, asset_id AS "assetId", event_id AS "eventId", album_id AS "albumId", token_id AS "tokenId",
  length::float8 AS length, received::float8 AS received, filename, caption, locale, head, mime_type AS "mimeType", kind,
  part_size AS "partSize", multipart_id AS "multipartId", parts, rest_bytes AS "restBytes",
  sha256, state, result_id AS "resultId", duplicate, head_cut AS "headCut", head_prefix AS "headPrefix", head_tags AS "headTags", original_cleaned AS "originalCleaned",
  created_at AS "createdAt", expires_at AS "expiresAt"`;

export interface NewResumable {
  id: string;
  assetId: string;
  eventId: string;
  albumId: string;
  tokenId: string | null;
  length: number;
  filename: string;
  caption: string | null;
  locale: string;
  partSize: number;
  expiresAt: Date;
}

export async function insertResumable(db: Queryable, u: NewResumable): Promise<ResumableRow> {
  const { rows } = await db.query<ResumableRow>(
    `INSERT INTO resumable_uploads (id, asset_id, event_id, album_id, token_id, length, filename, caption, locale, part_size, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
    [u.id, u.assetId, u.eventId, u.albumId, u.tokenId, u.length, u.filename, u.caption, u.locale, u.partSize, u.expiresAt],
  );
  return rows[0]!;
}

export async function findResumable(db: Queryable, id: string, { lock = false } = {}): Promise<ResumableRow | undefined> {
  const { rows } = await db.query<ResumableRow>(`SELECT ${COLUMNS} FROM resumable_uploads WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

/** The type decided from the first bytes (or, until there are enough of them, the bytes so far). */
export async function saveHead(db: Queryable, id: string, head: Buffer, type?: { mimeType: string; kind: AssetKind }): Promise<void> {
  await db.query(
    'UPDATE resumable_uploads SET head = $2, mime_type = COALESCE($3, mime_type), kind = COALESCE($4, kind) WHERE id = $1',
    [id, head, type?.mimeType ?? null, type?.kind ?? null],
  );
}

export async function saveMultipartId(db: Queryable, id: string, multipartId: string): Promise<void> {
  await db.query('UPDATE resumable_uploads SET multipart_id = $2 WHERE id = $1', [id, multipartId]);
}

/**
 * Records bytes as stored: a part (or the rest object). Answers
 * false when the row is not at `from` any more: another request took the upload over.
 */
export async function commitBytes(
  db: Queryable, id: string,
  c: { from: number; to: number; part?: StoredPart; restBytes: number; expiresAt: Date; head?: { cut: number; prefix: number; tags: PhotoMetadata | PhotoMetadataJson | null } | undefined },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE resumable_uploads SET received = $3, parts = CASE WHEN $4::jsonb IS NULL THEN parts ELSE parts || $4::jsonb END,
       rest_bytes = $5, updated_at = now(), expires_at = $6, head_cut = COALESCE($7, head_cut), head_prefix = COALESCE($8, head_prefix),
       head_tags = COALESCE($9, head_tags)
     WHERE id = $1 AND received = $2 AND state = 'receiving'`,
    [id, c.from, c.to, c.part ? JSON.stringify([c.part]) : null, c.restBytes, c.expiresAt, c.head?.cut ?? null, c.head?.prefix ?? null,
      c.head?.tags ? JSON.stringify(c.head.tags) : null],
  );
  return rowCount === 1;
}

/** Every byte is in the original's object. */
export async function markReceived(
  db: Queryable, id: string,
  c: { from: number; length: number; sha256: Buffer; originalCleaned: boolean; headTags?: PhotoMetadata | PhotoMetadataJson | null | undefined },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE resumable_uploads SET received = $3, sha256 = $4, state = 'received', rest_bytes = 0, original_cleaned = $5,
       head_tags = COALESCE($6, head_tags), updated_at = now()
     WHERE id = $1 AND received = $2 AND state = 'receiving'`,
    [id, c.from, c.length, c.sha256, c.originalCleaned, c.headTags ? JSON.stringify(c.headTags) : null],
  );
  return rowCount === 1;
}

export async function markDone(db: Queryable, id: string, result: { resultId: string; duplicate: boolean }): Promise<void> {
  await db.query(
    `UPDATE resumable_uploads SET state = 'done', result_id = $2, duplicate = $3, head = '', updated_at = now() WHERE id = $1`,
    [id, result.resultId, result.duplicate],
  );
}

export async function deleteResumable(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM resumable_uploads WHERE id = $1', [id]);
}

/** Unfinished uploads past their expiry, and finished ones kept `keepMs` for a late HEAD. */
export async function listExpired(db: Queryable, keepMs: number, limit = 500): Promise<ResumableRow[]> {
  const { rows } = await db.query<ResumableRow>(
    `SELECT ${COLUMNS} FROM resumable_uploads
     WHERE (state = 'receiving' AND expires_at < now())
        OR (state = 'done' AND updated_at < now() - $1 * interval '1 millisecond')
     ORDER BY expires_at LIMIT $2`,
    [keepMs, limit],
  );
  return rows;
}

/** Uploads whose every byte is stored but whose asset was not made (the finish was cut short). */
export async function listReceived(db: Queryable, olderThanMs: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM resumable_uploads WHERE state = 'received' AND updated_at < now() - $1 * interval '1 millisecond' ORDER BY updated_at`,
    [olderThanMs],
  );
  return rows.map((r) => r.id);
}
