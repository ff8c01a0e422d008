/**
 * The audit log: who (token label and role) did what (action) to what (target), when, with the
 * edited text before and after. Written by services/audited.ts around the services, so the JSON
 * API and the console record alike. Admins read all of it; an editor reads its event's.
 */
import type { Db } from '../db/database.js';
import { insertAudit, listAudit, type AuditEntry, type AuditRow } from '../db/audit.js';
import { findEventBySlug } from '../db/events.js';
import { NotFoundError } from '../errors.js';
import type { Log } from '../log.js';
import { demand, type Principal } from './access.js';

export function createAuditService({ db, log }: { db: Db; log: Log }) {
  return {
    /** Records a change already made; a failure to record is logged, not thrown (the change stands). */
    async record(p: Principal | null, entry: AuditEntry): Promise<void> {
      try {
        await insertAudit(db, { tokenId: p?.tokenId ?? null, role: p?.role ?? null }, entry);
      } catch (err) {
        log.error({ err, action: entry.action, targetId: entry.targetId }, 'could not write an audit entry');
      }
    },

    /** Entries newest first: an admin's of every event (or of `event`), an editor's of its own event only. */
    async list(p: Principal | null, q: { event?: string | undefined; cursor?: string | undefined; limit: number }): Promise<{ entries: AuditRow[]; nextCursor: string | null }> {
      demand(p, p?.role === 'admin' || p?.role === 'editor', 'read the audit log');
      let eventId: string | undefined;
      if (p!.role === 'editor') {
        eventId = p!.eventId ?? undefined;
        // an editor of no event reads nothing, never everything
        demand(p, eventId !== undefined, 'read the audit log');
        if (q.event !== undefined) {
          const asked = await findEventBySlug(db, q.event);
          demand(p, asked?.id === eventId, 'read the audit log of another event');
        }
      } else if (q.event !== undefined) {
        const event = await findEventBySlug(db, q.event);
        if (!event) throw new NotFoundError(`No event ${q.event}`);
        eventId = event.id;
      }
      const before = q.cursor !== undefined && /^\d{1,18}$/.test(q.cursor) ? q.cursor : undefined;
      const rows = await listAudit(db, { eventId, before, limit: q.limit + 1 });
      const entries = rows.slice(0, q.limit);
      return { entries, nextCursor: rows.length > q.limit ? entries[entries.length - 1]!.id : null };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
