import type { Queryable } from './database.js';

export type Role = 'admin' | 'editor' | 'photographer' | 'press';

export interface TokenRow {
  id: string;
  role: Role;
  eventId: string | null;
  /** fixed to one album (upload links may be) */
  albumId: string | null;
  /** handed out as an upload link */
  link: boolean;
  label: string;
  createdBy: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const COLUMNS = `id, role, event_id AS "eventId", album_id AS "albumId", link, label, created_by AS "createdBy", expires_at AS "expiresAt",
  revoked_at AS "revokedAt", created_at AS "createdAt", last_used_at AS "lastUsedAt"`;

export async function insertToken(
  db: Queryable,
  t: { hash: Buffer; role: Role; eventId: string | null; label: string; createdBy: string | null; expiresAt: Date | null; albumId?: string | null; link?: boolean },
): Promise<TokenRow> {
  const { rows } = await db.query<TokenRow>(
    `INSERT INTO tokens (token_hash, role, event_id, label, created_by, expires_at, album_id, link)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [t.hash, t.role, t.eventId, t.label, t.createdBy, t.expiresAt, t.albumId ?? null, t.link ?? false],
  );
  return rows[0]!;
}

/** Walks up the minting chain of the token(s) `start` selects ($1): the token itself and its ancestors. */
const CHAIN = (start: string) => `WITH RECURSIVE chain AS (
       SELECT id, created_by, revoked_at, expires_at, 0 AS depth FROM tokens WHERE ${start}
       UNION ALL
       SELECT p.id, p.created_by, p.revoked_at, p.expires_at, c.depth + 1
       FROM tokens p JOIN chain c ON p.id = c.created_by WHERE c.depth < 64)`;
const CHAIN_DEAD = 'EXISTS (SELECT 1 FROM chain WHERE revoked_at IS NOT NULL OR (expires_at IS NOT NULL AND expires_at <= now()))';

/**
 * The live token with this hash: neither it nor any token up its minting chain is revoked or
 * expired. Revocation also marks the descendants, but the walk here means a parent that merely
 * expires (or a row revoked by hand in SQL) takes its children with it at once.
 */
export async function findLiveTokenByHash(db: Queryable, hash: Buffer): Promise<TokenRow | undefined> {
  const { rows } = await db.query<TokenRow>(
    `${CHAIN('token_hash = $1')}
     SELECT ${COLUMNS} FROM tokens WHERE token_hash = $1 AND NOT ${CHAIN_DEAD}`,
    [hash],
  );
  return rows[0];
}

/** The live token with this id (as findLiveTokenByHash): a console session holds the id, never the secret. */
export async function findLiveTokenById(db: Queryable, id: string): Promise<TokenRow | undefined> {
  const { rows } = await db.query<TokenRow>(
    `${CHAIN('id = $1')}
     SELECT ${COLUMNS} FROM tokens WHERE id = $1 AND NOT ${CHAIN_DEAD}`,
    [id],
  );
  return rows[0];
}

/**
 * Whether the token is still live, its row locked (FOR SHARE) until the caller's transaction
 * ends, so a revocation racing with the caller's commit waits for it rather than slipping past.
 */
export async function isTokenLiveLocked(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query<{ live: boolean }>(
    `${CHAIN('id = $1')}
     SELECT NOT ${CHAIN_DEAD} AS live FROM tokens WHERE id = $1 FOR SHARE`,
    [id],
  );
  return rows[0]?.live ?? false;
}

/** Records a use, at most once a minute per token so authentication stays a read. */
export async function touchToken(db: Queryable, id: string): Promise<void> {
  await db.query(
    `UPDATE tokens SET last_used_at = now()
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
    [id],
  );
}

export interface TokenListRow extends TokenRow {
  eventSlug: string | null;
  albumSlug: string | null;
  creatorLabel: string | null;
}

/** Tokens, newest first, optionally of one event; keyset-paginated on (created_at, id) after the token `after`. */
export async function listTokens(
  db: Queryable,
  q: { eventId?: string | undefined; after?: string | undefined; limit: number; linksOnly?: boolean },
): Promise<TokenListRow[]> {
  const { rows } = await db.query<TokenListRow>(
    `SELECT t.id, t.role, t.event_id AS "eventId", t.album_id AS "albumId", t.link, t.label, t.created_by AS "createdBy",
       t.expires_at AS "expiresAt", t.revoked_at AS "revokedAt", t.created_at AS "createdAt", t.last_used_at AS "lastUsedAt",
       e.slug AS "eventSlug", a.slug AS "albumSlug", c.label AS "creatorLabel"
     FROM tokens t LEFT JOIN events e ON e.id = t.event_id LEFT JOIN albums a ON a.id = t.album_id LEFT JOIN tokens c ON c.id = t.created_by
     WHERE ($1::uuid IS NULL OR t.event_id = $1)
       AND ($2::uuid IS NULL OR (t.created_at, t.id) < (SELECT created_at, id FROM tokens WHERE id = $2))
       AND (NOT $4 OR t.link)
     ORDER BY t.created_at DESC, t.id DESC LIMIT $3`,
    [q.eventId ?? null, q.after ?? null, q.limit, q.linksOnly ?? false],
  );
  return rows;
}

export async function findToken(db: Queryable, id: string): Promise<TokenRow | undefined> {
  const { rows } = await db.query<TokenRow>(`SELECT ${COLUMNS} FROM tokens WHERE id = $1`, [id]);
  return rows[0];
}

/** Revokes the token and every token minted from it, transitively. */
export async function revokeToken(db: Queryable, id: string): Promise<void> {
  await db.query(
    `WITH RECURSIVE tree AS (
       SELECT id FROM tokens WHERE id = $1
       UNION SELECT t.id FROM tokens t JOIN tree ON t.created_by = tree.id)
     UPDATE tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id IN (SELECT id FROM tree)`,
    [id],
  );
}

export async function countLiveAdmins(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM tokens
     WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
  );
  return rows[0]!.n;
}

/**
 * Makes the ADMIN_TOKEN from configuration the one live bootstrap admin (idempotent). A previous
 * bootstrap token (the value before a change of ADMIN_TOKEN) is revoked; the tokens it minted
 * are handed to the new one rather than revoked with it: rotating the operator's secret is
 * routine, and it must not log out every editor and photographer of a running event. Whoever
 * wants them gone revokes them from the list.
 */
export async function upsertBootstrapAdmin(db: Queryable, hash: Buffer): Promise<void> {
  await db.query(
    `WITH cur AS (
       INSERT INTO tokens (token_hash, role, event_id, label, bootstrap) VALUES ($1, 'admin', NULL, 'ADMIN_TOKEN', true)
       ON CONFLICT (token_hash) DO UPDATE SET bootstrap = true RETURNING id),
     old AS (
       UPDATE tokens SET revoked_at = COALESCE(revoked_at, now()), bootstrap = false
       WHERE bootstrap AND token_hash <> $1 RETURNING id)
     UPDATE tokens SET created_by = (SELECT id FROM cur) WHERE created_by IN (SELECT id FROM old)`,
    [hash],
  );
}

/**
 * The id of a token that only names the service itself as the author of what it does on its
 * own (the demo loader's event and uploads), made on first use. It can never be presented:
 * it is revoked from the start, and its hash is `label` in plain bytes, not the SHA-256 of any
 * secret that anyone holds.
 */
export async function ensureInternalToken(db: Queryable, label: string): Promise<string> {
  const hash = Buffer.alloc(32);
  hash.write(`lamha internal: ${label}`.slice(0, 32), 'latin1');
  const { rows } = await db.query<{ id: string }>(
    `WITH made AS (
       INSERT INTO tokens (token_hash, role, event_id, label, revoked_at) VALUES ($1, 'admin', NULL, $2, now())
       ON CONFLICT (token_hash) DO NOTHING RETURNING id)
     SELECT id FROM made UNION ALL SELECT id FROM tokens WHERE token_hash = $1 LIMIT 1`,
    [hash, label],
  );
  return rows[0]!.id;
}
