/** The audit log (migration 1700000000017): written once per change, read newest first. */
import type { Queryable } from './database.js';

export interface AuditEntry {
  action: string;
  eventId: string | null;
  targetKind: string;
  targetId: string | null;
  targetLabel: string | null;
  before?: Record<string, unknown> | null | undefined;
  after?: Record<string, unknown> | null | undefined;
}

export interface AuditRow extends AuditEntry {
  id: string;
  at: Date;
  tokenId: string | null;
  tokenLabel: string | null;
  role: string | null;
  eventSlug: string | null;
}

export async function insertAudit(db: Queryable, who: { tokenId: string | null; role: string | null }, e: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (token_id, token_label, role, event_id, action, target_kind, target_id, target_label, before, after)
     VALUES ($1, (SELECT label FROM tokens WHERE id::text = $1), $2, $3, $4, $5, $6, $7, $8, $9)`,
    [who.tokenId, who.role, e.eventId, e.action, e.targetKind, e.targetId, e.targetLabel, e.before ?? null, e.after ?? null],
  );
}

/** Entries newest first, of one event or all; keyset-paginated on id (`before`: the last id seen). */
export async function listAudit(db: Queryable, q: { eventId?: string | undefined; before?: string | undefined; limit: number }): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT l.id::text, l.at, l.token_id AS "tokenId", l.token_label AS "tokenLabel", l.role, l.event_id AS "eventId", e.slug AS "eventSlug",
       l.action, l.target_kind AS "targetKind", l.target_id AS "targetId", l.target_label AS "targetLabel", l.before, l.after
     FROM audit_log l LEFT JOIN events e ON e.id = l.event_id
     WHERE ($1::uuid IS NULL OR l.event_id = $1) AND ($2::bigint IS NULL OR l.id < $2)
     ORDER BY l.id DESC LIMIT $3`,
    [q.eventId ?? null, q.before ?? null, q.limit],
  );
  return rows;
}
