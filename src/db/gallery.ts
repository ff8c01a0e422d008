/**
 * Queries of the public gallery pages. "Public" here is the same rule as isPublic() in
 * services/assets.ts: a ready, non-hidden asset in a published album of a published event.
 */
import type { Queryable } from './database.js';
import type { AlbumRow } from './albums.js';

const PUBLIC_ASSET = `a.status = 'ready' AND NOT a.hidden`;

export interface PublicAlbum extends AlbumRow {
  /** how many assets of the album the public sees */
  publicCount: number;
  /** the chosen cover if it is public, else the album's first public asset */
  coverId: string | null;
}

/** Published albums of an event, in display order, with their public size and cover. */
export async function listPublicAlbums(db: Queryable, eventId: string): Promise<PublicAlbum[]> {
  const { rows } = await db.query<PublicAlbum>(
    `SELECT al.id, al.event_id AS "eventId", al.slug, al.title, al.caption, al.position, al.status,
       al.cover_asset_id AS "coverAssetId", al.created_at AS "createdAt", al.updated_at AS "updatedAt",
       (SELECT count(*)::int FROM assets a WHERE a.album_id = al.id) AS "assetCount",
       (SELECT count(*)::int FROM assets a WHERE a.album_id = al.id AND ${PUBLIC_ASSET}) AS "publicCount",
       COALESCE(
         (SELECT a.id FROM assets a WHERE a.id = al.cover_asset_id AND a.album_id = al.id AND ${PUBLIC_ASSET}),
         (SELECT a.id FROM assets a WHERE a.album_id = al.id AND ${PUBLIC_ASSET} ORDER BY a.position, a.id LIMIT 1)
       ) AS "coverId"
     FROM albums al
     WHERE al.event_id = $1 AND al.status = 'published'
     ORDER BY al.position, al.created_at, al.id`,
    [eventId],
  );
  return rows;
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
