/**
 * Queries of the public gallery pages. "Public" here is the same rule as isPublic() in
 * services/assets.ts: a ready, non-hidden asset in a published album of a published event.
 */
import type { Queryable } from './database.js';
import { listAlbums, type AlbumRow } from './albums.js';

const PUBLIC_ASSET = `a.status = 'ready' AND NOT a.hidden`;

export interface PublicAlbum extends AlbumRow {
  /** the chosen cover if it is public, else the album's first public asset */
  coverId: string | null;
}

/** Published albums of an event, in display order, with their public size (publicCount) and cover. */
export async function listPublicAlbums(db: Queryable, eventId: string): Promise<PublicAlbum[]> {
  const albums = await listAlbums(db, eventId, { publishedOnly: true });
  return albums.map((a) => ({ ...a, coverId: a.publicCoverId }));
}

/**
 * Where a page of an album's public assets starts: the (position, id) just before the offset
 * (undefined for the first page), and how many public assets the album has.
 */
export async function publicPageStart(db: Queryable, albumId: string, offset: number): Promise<{ after: { position: number; id: string } | undefined; total: number }> {
  const { rows } = await db.query<{ total: number; position: number | null; id: string | null }>(
    `SELECT (SELECT count(*)::int FROM assets a WHERE a.album_id = $1 AND ${PUBLIC_ASSET}) AS total, b.position, b.id
     FROM (SELECT 1) one LEFT JOIN LATERAL (
       SELECT a.position, a.id FROM assets a WHERE a.album_id = $1 AND ${PUBLIC_ASSET}
       ORDER BY a.position, a.id OFFSET GREATEST($2, 0) LIMIT 1
     ) b ON true`,
    [albumId, offset - 1],
  );
  const row = rows[0]!;
  return { total: row.total, after: offset > 0 && row.id !== null ? { position: row.position!, id: row.id } : undefined };
}

/** The public assets just before and after one in its album's display order, and its place (1-based). */
export async function publicNeighbours(db: Queryable, albumId: string, assetId: string): Promise<{ previous: string | null; next: string | null; index: number }> {
  const { rows } = await db.query<{ previous: string | null; next: string | null; index: number }>(
    `SELECT previous, next, index FROM (
       SELECT a.id, lag(a.id) OVER w AS previous, lead(a.id) OVER w AS next, (row_number() OVER w)::int AS index
       FROM assets a WHERE a.album_id = $1 AND ${PUBLIC_ASSET}
       WINDOW w AS (ORDER BY a.position, a.id)
     ) o WHERE o.id = $2`,
    [albumId, assetId],
  );
  return rows[0] ?? { previous: null, next: null, index: 0 };
}
