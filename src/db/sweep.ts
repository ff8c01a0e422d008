/** The storage sweep's queries: which ids the bucket holds that PostgreSQL knows, and the reverse. */
import type { Queryable } from './database.js';
import type { AssetStatus } from './assets.js';

/** Of `ids` (asset ids), those that are an asset or are reserved by a resumable upload. */
export async function knownAssetIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    `SELECT id::text FROM assets WHERE id = ANY($1::uuid[])
     UNION SELECT asset_id::text FROM resumable_uploads WHERE asset_id = ANY($1::uuid[])`,
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

/** Of `ids` (resumable upload ids), those that still have their row. */
export async function knownUploadIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>('SELECT id FROM resumable_uploads WHERE id = ANY($1::text[])', [ids]);
  return new Set(rows.map((r) => r.id));
}

/** The S3 multipart upload ids that resumable uploads still write to. */
export async function liveMultipartIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    `SELECT multipart_id AS id FROM resumable_uploads WHERE multipart_id = ANY($1::text[])`,
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

export interface AssetWithoutOriginal {
  id: string;
  eventId: string;
  status: AssetStatus;
}

/**
 * Assets made before `before` whose id lies in (`after`, `upTo`] (either bound open when null)
 * and is not among `listed`: the ids of that stretch of the bucket's originals, in key order.
 */
export async function assetsNotListed(
  db: Queryable, range: { after: string | null; upTo: string | null }, listed: string[], before: Date,
): Promise<AssetWithoutOriginal[]> {
  const { rows } = await db.query<AssetWithoutOriginal>(
    `SELECT id::text, event_id AS "eventId", status FROM assets
     WHERE ($1::uuid IS NULL OR id > $1) AND ($2::uuid IS NULL OR id <= $2)
       AND created_at < $3 AND NOT (id = ANY($4::uuid[]))
     ORDER BY id`,
    [range.after, range.upTo, before, listed],
  );
  return rows;
}

/** Records on an asset that is not processing that its original is gone; answers whether it was news. */
export async function noteOriginalMissing(db: Queryable, id: string, reason: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE assets SET error = $2, updated_at = now() WHERE id = $1 AND status <> 'processing' AND error IS DISTINCT FROM $2`,
    [id, reason],
  );
  return (rowCount ?? 0) > 0;
}
