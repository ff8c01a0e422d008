import type { Queryable } from './database.js';

export type Role = 'admin' | 'editor' | 'photographer' | 'press';

export interface TokenRow {
  id: string;
  role: Role;
  eventId: string | null;
  label: string;
  createdBy: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

const COLUMNS = `id, role, event_id AS "eventId", label, created_by AS "createdBy", expires_at AS "expiresAt",
  revoked_at AS "revokedAt", created_at AS "createdAt"`;

export async function insertToken(
  db: Queryable,
  t: { hash: Buffer; role: Role; eventId: string | null; label: string; createdBy: string | null; expiresAt: Date | null },
): Promise<TokenRow> {
  const { rows } = await db.query<TokenRow>(
    `INSERT INTO tokens (token_hash, role, event_id, label, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [t.hash, t.role, t.eventId, t.label, t.createdBy, t.expiresAt],
  );
  return rows[0]!;
}

/** The live token with this hash: not revoked, not expired. */
export async function findLiveTokenByHash(db: Queryable, hash: Buffer): Promise<TokenRow | undefined> {
  const { rows } = await db.query<TokenRow>(
    `SELECT ${COLUMNS} FROM tokens
     WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
    [hash],
  );
  return rows[0];
}

export async function findToken(db: Queryable, id: string): Promise<TokenRow | undefined> {
  const { rows } = await db.query<TokenRow>(`SELECT ${COLUMNS} FROM tokens WHERE id = $1`, [id]);
  return rows[0];
}

export async function revokeToken(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [id]);
}

export async function countLiveAdmins(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM tokens
     WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
  );
  return rows[0]!.n;
}

/** Makes the ADMIN_TOKEN from configuration a live admin token (idempotent). */
export async function upsertBootstrapAdmin(db: Queryable, hash: Buffer): Promise<void> {
  await db.query(
    `INSERT INTO tokens (token_hash, role, event_id, label) VALUES ($1, 'admin', NULL, 'ADMIN_TOKEN')
     ON CONFLICT (token_hash) DO NOTHING`,
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
