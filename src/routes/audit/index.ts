/** `GET /api/v1/audit`: who did what when; admins read every event's entries, an editor its own event's. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AuditRow } from '../../db/audit.js';
import { errorRefs } from '../common.js';

const Entry = Type.Object({
  id: Type.String(),
  at: Type.String({ description: 'when, UTC' }),
  token: Type.Object({ id: Type.Union([Type.String(), Type.Null()]), label: Type.Union([Type.String(), Type.Null()]), role: Type.Union([Type.String(), Type.Null()]) }, { description: 'who: the token that did it' }),
  event: Type.Union([Type.String(), Type.Null()], { description: 'the event\'s slug, null for an entry of no event (or of an event since deleted)' }),
  action: Type.String({ description: 'event.create, event.update, event.delete, album.create, album.update, album.delete, asset.update, asset.approve, asset.delete, token.create, upload-link.create, token.revoke, press-link.create, press-link.revoke, console.sign-in, console.sign-out' }),
  target: Type.Object({ kind: Type.String(), id: Type.Union([Type.String(), Type.Null()]), label: Type.Union([Type.String(), Type.Null()]) }),
  before: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: 'the edited fields as they were' }),
  after: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: 'the edited fields as they became' }),
});

export function auditView(e: AuditRow) {
  return {
    id: e.id, at: e.at.toISOString(), token: { id: e.tokenId, label: e.tokenLabel, role: e.role }, event: e.eventSlug, action: e.action,
    target: { kind: e.targetKind, id: e.targetId, label: e.targetLabel }, before: e.before ?? null, after: e.after ?? null,
  };
}

const audit: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/audit', {
    schema: {
      tags: ['audit'],
      summary: 'the audit log, newest first: admins every event\'s (or ?event=), an editor its own event\'s',
      security: [{ bearer: [] }],
      querystring: Type.Object({
        event: Type.Optional(Type.String({ maxLength: 100 })),
        cursor: Type.Optional(Type.String({ maxLength: 30 })),
        limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
      }),
      response: { 200: Type.Object({ entries: Type.Array(Entry), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorRefs(401, 403, 404) },
    },
  }, async (request) => {
    const { entries, nextCursor } = await app.services.audit.list(request.principal, request.query);
    return { entries: entries.map(auditView), nextCursor };
  });
};

export default audit;
