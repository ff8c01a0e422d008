import type { Queryable } from './database.js';

export interface SubtitleRow {
  assetId: string;
  locale: string;
  key: string;
  bytes: number;
  cueCount: number;
  updatedAt: Date;
}

const COLUMNS = `asset_id AS "assetId", locale, key, bytes, cue_count AS "cueCount", updated_at AS "updatedAt"`;

/** Inserts or replaces the track of `locale`; answers the row and whether it is new. */
export async function upsertSubtitle(
  db: Queryable,
  s: Omit<SubtitleRow, 'updatedAt'>,
): Promise<{ row: SubtitleRow; created: boolean }> {
  const { rows } = await db.query<SubtitleRow & { created: boolean }>(
    `INSERT INTO subtitles (asset_id, locale, key, bytes, cue_count) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (asset_id, locale) DO UPDATE
       SET key = EXCLUDED.key, bytes = EXCLUDED.bytes, cue_count = EXCLUDED.cue_count, updated_at = now()
     RETURNING ${COLUMNS}, (xmax = 0) AS created`,
    [s.assetId, s.locale, s.key, s.bytes, s.cueCount],
  );
  const { created, ...row } = rows[0]!;
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
export async function deleteSubtitle(db: Queryable, assetId: string, locale: string): Promise<SubtitleRow | undefined> {
  const { rows } = await db.query<SubtitleRow>(`DELETE FROM subtitles WHERE asset_id = $1 AND locale = $2 RETURNING ${COLUMNS}`, [assetId, locale]);
  return rows[0];
}
