/** `/{locale}/admin/audit`: the audit log; an admin's of every event (or one), an editor's of its event. */
import type { FastifyPluginAsync } from 'fastify';
import { auditPage } from '../../web/admin/pages/audit.js';
import { pageOf, type AreaOptions } from './area.js';
import { sendAdminPage } from './respond.js';

const audit: FastifyPluginAsync<AreaOptions> = async (app, { locale }) => {
  app.get<{ Querystring: { event?: string; cursor?: string } }>('/audit', { schema: { hide: true } }, async (request, reply) => {
    const p = request.principal;
    const event = request.query.event || undefined;
    const { entries, nextCursor } = await app.services.audit.list(p, { event, cursor: request.query.cursor, limit: 100 });
    const events = p?.role === 'admin' ? await app.services.events.list(p) : [];
    return sendAdminPage(reply, locale, auditPage(pageOf(request, reply, locale, 'audit'), { entries, nextCursor, events, event }));
  });
};

export default audit;
