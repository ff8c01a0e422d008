/** What the console's processing and dashboard pages read: failed assets, counts, storage. */
import type { Queryable } from './database.js';

export interface FailedAsset {
  id: string;
  eventSlug: string;
  albumSlug: string;
  kind: string;
  originalFilename: string;
  error: string | null;
  updatedAt: Date;
}

/** Failed assets, newest first, of one event or all. */
export async function listFailed(db: Queryable, eventId: string | undefined, limit: number): Promise<FailedAsset[]> {
  const { rows } = await db.query<FailedAsset>(
    `SELECT a.id, e.slug AS "eventSlug", al.slug AS "albumSlug", a.kind, a.original_filename AS "originalFilename", a.error, a.updated_at AS "updatedAt"
     FROM assets a JOIN events e ON e.id = a.event_id JOIN albums al ON al.id = a.album_id
     WHERE a.status = 'failed' AND ($1::uuid IS NULL OR a.event_id = $1) ORDER BY a.updated_at DESC LIMIT $2`,
    [eventId ?? null, limit],
  );
  return rows;
}

/** Back to processing, its reason forgotten; false when it was not failed (or is gone). */
export async function markForRetry(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    "UPDATE assets SET status = 'processing', error = NULL, progress = NULL, updated_at = now() WHERE id = $1 AND status = 'failed'",
    [id],
  );
  return rowCount === 1;
}

/** Which of `ids` are assets of the event. */
export async function assetsOfEvent(db: Queryable, eventId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>('SELECT id FROM assets WHERE event_id = $1 AND id = ANY($2::uuid[])', [eventId, ids]);
  return new Set(rows.map((r) => r.id));
}

export interface EventDashboard {
  byStatus: { processing: number; ready: number; failed: number };
  hidden: number;
  awaitingApproval: number;
  byKind: Record<string, number>;
  /** uploads per token (photographer, upload link, editor…): its label; null for a token since deleted */
  byUploader: { label: string | null; role: string | null; count: number; bytes: number }[];
  /** uploads per hour (UTC), oldest first */
  byHour: { hour: Date; count: number }[];
  storage: { originalBytes: number; renditionBytes: number };
}

export async function eventDashboard(db: Queryable, eventId: string): Promise<EventDashboard> {
  const [counts, kinds, uploaders, hours, storage] = await Promise.all([
    db.query<{ processing: number; ready: number; failed: number; hidden: number; awaiting: number }>(
      `SELECT count(*) FILTER (WHERE status = 'processing')::int AS processing, count(*) FILTER (WHERE status = 'ready')::int AS ready,
         count(*) FILTER (WHERE status = 'failed')::int AS failed, count(*) FILTER (WHERE hidden AND NOT awaiting_approval)::int AS hidden,
         count(*) FILTER (WHERE awaiting_approval)::int AS awaiting
       FROM assets WHERE event_id = $1`, [eventId]),
    db.query<{ kind: string; count: number }>('SELECT kind, count(*)::int AS count FROM assets WHERE event_id = $1 GROUP BY kind ORDER BY kind', [eventId]),
    db.query<{ label: string | null; role: string | null; count: number; bytes: string }>(
      `SELECT t.label, t.role, count(*)::int AS count, sum(a.bytes)::text AS bytes FROM assets a LEFT JOIN tokens t ON t.id = a.uploaded_by
       WHERE a.event_id = $1 GROUP BY t.id, t.label, t.role ORDER BY count(*) DESC, t.label LIMIT 200`, [eventId]),
    db.query<{ hour: Date; count: number }>(
      `SELECT date_trunc('hour', created_at, 'UTC') AS hour, count(*)::int AS count FROM assets WHERE event_id = $1
       GROUP BY 1 ORDER BY 1 DESC LIMIT 168`, [eventId]),
    db.query<{ originals: string | null; renditions: string | null }>(
      `SELECT (SELECT sum(bytes) FROM assets WHERE event_id = $1)::text AS originals,
         (SELECT sum(r.bytes) FROM renditions r JOIN assets a ON a.id = r.asset_id WHERE a.event_id = $1)::text AS renditions`, [eventId]),
  ]);
  const c = counts.rows[0]!;
  return {
    byStatus: { processing: c.processing, ready: c.ready, failed: c.failed },
    hidden: c.hidden,
    awaitingApproval: c.awaiting,
    byKind: Object.fromEntries(kinds.rows.map((k) => [k.kind, k.count])),
    byUploader: uploaders.rows.map((u) => ({ label: u.label, role: u.role, count: u.count, bytes: Number(u.bytes) })),
    byHour: hours.rows.reverse(),
    storage: { originalBytes: Number(storage.rows[0]?.originals ?? 0), renditionBytes: Number(storage.rows[0]?.renditions ?? 0) },
  };
}
