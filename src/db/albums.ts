import { updateById, type GalleryWrite, type Queryable } from './database.js';
import type { Localized } from './events.js';

export interface AlbumRow {
  id: string;
  eventId: string;
  slug: string;
  title: Localized;
  caption: Localized;
  position: number;
  status: 'draft' | 'published';
  /** the cover as an editor set it (it may be hidden or not ready yet) */
  coverAssetId: string | null;
  /** every asset of the album, whatever its state */
  assetCount: number;
  /** the assets the public may see: ready and not hidden */
  publicCount: number;
  /** the set cover if the public may see it, else the album's first asset it may see, else null */
  publicCoverId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The same rule as isPublic() in services/assets.ts (the album's and event's own status aside). */
const PUBLIC_ASSET = `a.status = 'ready' AND NOT a.hidden`;

const COLUMNS = `id, event_id AS "eventId", slug, title, caption, position, status, cover_asset_id AS "coverAssetId",
  (SELECT count(*)::int FROM assets a WHERE a.album_id = albums.id) AS "assetCount",
  (SELECT count(*)::int FROM assets a WHERE a.album_id = albums.id AND ${PUBLIC_ASSET}) AS "publicCount",
  COALESCE(
    (SELECT a.id FROM assets a WHERE a.id = albums.cover_asset_id AND a.album_id = albums.id AND ${PUBLIC_ASSET}),
    (SELECT a.id FROM assets a WHERE a.album_id = albums.id AND ${PUBLIC_ASSET} ORDER BY a.position, a.id LIMIT 1)
  ) AS "publicCoverId",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Inserts an album into the write's event. */
export async function insertAlbum(
  w: GalleryWrite,
  a: { slug: string; title: Localized; caption?: Localized | undefined; position?: number | undefined },
): Promise<AlbumRow> {
  const { rows } = await w.query<AlbumRow>(
    `INSERT INTO albums (event_id, slug, title, caption, position)
     VALUES ($1, $2, $3, $4, COALESCE($5, (SELECT COALESCE(max(position) + 1, 0) FROM albums WHERE event_id = $1)))
     RETURNING ${COLUMNS}`,
    [w.eventId, a.slug, a.title, a.caption ?? {}, a.position ?? null],
  );
  return rows[0]!;
}

export async function findAlbum(db: Queryable, eventId: string, slug: string): Promise<AlbumRow | undefined> {
  const { rows } = await db.query<AlbumRow>(`SELECT ${COLUMNS} FROM albums WHERE event_id = $1 AND slug = $2`, [eventId, slug]);
  return rows[0];
}

export async function findAlbumById(db: Queryable, eventId: string, id: string): Promise<AlbumRow | undefined> {
  const { rows } = await db.query<AlbumRow>(`SELECT ${COLUMNS} FROM albums WHERE event_id = $1 AND id = $2`, [eventId, id]);
  return rows[0];
}

export async function listAlbums(db: Queryable, eventId: string, opts: { publishedOnly: boolean }): Promise<AlbumRow[]> {
  const { rows } = await db.query<AlbumRow>(
    `SELECT ${COLUMNS} FROM albums WHERE event_id = $1 AND (NOT $2 OR status = 'published') ORDER BY position, created_at, id`,
    [eventId, opts.publishedOnly],
  );
  return rows;
}

export interface AlbumPatch {
  title?: Localized | undefined;
  caption?: Localized | undefined;
  position?: number | undefined;
  status?: 'draft' | 'published' | undefined;
  coverAssetId?: string | null | undefined;
}

const PATCHABLE: Record<keyof AlbumPatch, string> = {
  title: 'title',
  caption: 'caption',
  position: 'position',
  status: 'status',
  coverAssetId: 'cover_asset_id',
};

export function updateAlbum(w: GalleryWrite, id: string, patch: AlbumPatch): Promise<AlbumRow | undefined> {
  return updateById<AlbumPatch, AlbumRow>(w, 'albums', id, PATCHABLE, patch, COLUMNS);
}

export async function deleteAlbumRow(w: GalleryWrite, id: string): Promise<void> {
  await w.query('DELETE FROM albums WHERE id = $1 AND event_id = $2', [id, w.eventId]);
}
