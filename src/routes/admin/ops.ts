/** `/{locale}/admin/processing` (failures, retry, queues) and `/{locale}/admin/e/:event/dashboard`. */
import type { FastifyPluginAsync } from 'fastify';
import { dashboardPage, processingPage } from '../../web/admin/pages/ops.js';
import { adminHref } from '../../web/admin/context.js';
import { pageOf, type AreaOptions } from './area.js';
import { sendAdminPage } from './respond.js';

const HIDDEN = { schema: { hide: true } };

const ops: FastifyPluginAsync<AreaOptions> = async (app, { locale }) => {
  const { operations, events } = app.services;

  app.get<{ Querystring: { event?: string; retried?: string } }>('/processing', HIDDEN, async (request, reply) => {
    const p = request.principal;
    const state = await operations.processing(p, request.query.event || undefined);
    const all = p?.role === 'admin' ? await events.list(p) : [];
    return sendAdminPage(reply, locale, processingPage(pageOf(request, reply, locale, 'processing'), state, all, request.query.retried === '1'));
  });

  app.post<{ Params: { id: string } }>('/processing/:id/retry', HIDDEN, async (request, reply) => {
    await operations.retry(request.principal, request.params.id);
    return reply.redirect(`${adminHref({ locale }, 'processing')}?retried=1`, 303);
  });

  app.get<{ Params: { event: string } }>('/e/:event/dashboard', HIDDEN, async (request, reply) => {
    const d = await operations.dashboard(request.principal, request.params.event);
    return sendAdminPage(reply, locale, dashboardPage(pageOf(request, reply, locale, `e/${d.event.slug}/dashboard`), d));
  });
};

export default ops;
