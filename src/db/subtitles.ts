import type { GalleryWrite, Queryable } from './database.js';

export interface SubtitleRow {
  assetId: string;
  locale: string;
  key: string;
  bytes: number;
  cueCount: number;
  updatedAt: Date;
}

const COLUMNS = `asset_id AS "assetId", locale, key, bytes, cue_count AS "cueCount", updated_at AS "updatedAt"`;

/**
 * Inserts or replaces the track of `locale` of an asset of the write's event; answers the row
 * and whether it is new, or undefined when the event has no such asset (any more).
 */
export async function upsertSubtitle(
  w: GalleryWrite,
  s: Omit<SubtitleRow, 'updatedAt'>,
): Promise<{ row: SubtitleRow; created: boolean } | undefined> {
  const { rows } = await w.query<SubtitleRow & { created: boolean }>(
    `INSERT INTO subtitles (asset_id, locale, key, bytes, cue_count)
     SELECT $1, $2, $3, $4, $5 FROM assets WHERE id = $1 AND event_id = $6
     ON CONFLICT (asset_id, locale) DO UPDATE
       SET key = EXCLUDED.key, bytes = EXCLUDED.bytes, cue_count = EXCLUDED.cue_count, updated_at = now()
     RETURNING ${COLUMNS}, (xmax = 0) AS created`,
    [s.assetId, s.locale, s.key, s.bytes, s.cueCount, w.eventId],
  );
  if (!rows[0]) return undefined;
  const { created, ...row } = rows[0];
  return { row, created };
}

export async function findSubtitle(db: Queryable, assetId: string, locale: string): Promise<SubtitleRow | undefined> {
  const { rows } = await db.query<SubtitleRow>(`SELECT ${COLUMNS} FROM subtitles WHERE asset_id = $1 AND locale = $2`, [assetId, locale]);
  return rows[0];
}

export async function listSubtitles(db: Queryable, assetIds: string[]): Promise<SubtitleRow[]> {
  if (assetIds.length === 0) return [];
  const { rows } = await db.query<SubtitleRow>(
    `SELECT ${COLUMNS} FROM subtitles WHERE asset_id = ANY($1::uuid[]) ORDER BY asset_id, locale`,
    [assetIds],
  );
  return rows;
}

/** Deletes the row; answers it, or undefined when there was none. */
export async function deleteSubtitle(w: GalleryWrite, assetId: string, locale: string): Promise<SubtitleRow | undefined> {
  const { rows } = await w.query<SubtitleRow>(
    `DELETE FROM subtitles WHERE asset_id = $1 AND locale = $2 AND asset_id IN (SELECT id FROM assets WHERE event_id = $3) RETURNING ${COLUMNS}`,
    [assetId, locale, w.eventId],
  );
  return rows[0];
}
