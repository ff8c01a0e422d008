/** Press links of albums (migration 1700000000009): rows keyed by the secret's hash. */
import type { Queryable } from './database.js';

export type ShareVariant = 'original' | 'web';

export interface ShareLinkRow {
  id: string;
  eventId: string;
  albumId: string;
  variant: ShareVariant;
  label: string | null;
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

const COLUMNS = `id, event_id AS "eventId", album_id AS "albumId", variant, label, created_by AS "createdBy",
  created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt", last_used_at AS "lastUsedAt"`;

export async function insertShareLink(db: Queryable, l: { eventId: string; albumId: string; hash: Buffer; variant: ShareVariant; label: string | null; createdBy: string | null; expiresAt: Date }): Promise<ShareLinkRow> {
  const { rows } = await db.query<ShareLinkRow>(
    `INSERT INTO share_links (event_id, album_id, hash, variant, label, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [l.eventId, l.albumId, l.hash, l.variant, l.label, l.createdBy, l.expiresAt],
  );
  return rows[0]!;
}

export async function listShareLinks(db: Queryable, albumId: string): Promise<ShareLinkRow[]> {
  const { rows } = await db.query<ShareLinkRow>(`SELECT ${COLUMNS} FROM share_links WHERE album_id = $1 ORDER BY created_at DESC, id`, [albumId]);
  return rows;
}

export async function findShareLinkByHash(db: Queryable, hash: Buffer): Promise<ShareLinkRow | undefined> {
  const { rows } = await db.query<ShareLinkRow>(`SELECT ${COLUMNS} FROM share_links WHERE hash = $1`, [hash]);
  return rows[0];
}

export async function findShareLink(db: Queryable, id: string): Promise<ShareLinkRow | undefined> {
  const { rows } = await db.query<ShareLinkRow>(`SELECT ${COLUMNS} FROM share_links WHERE id = $1`, [id]);
  return rows[0];
}

export async function revokeShareLink(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE share_links SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [id]);
}

/** Written at most once a minute per link: a download burst is not a burst of writes. */
export async function touchShareLink(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE share_links SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [id]);
}
