/**
 * An event's moderation in the console (`/{locale}/admin/e/:event/moderation`): the setting
 * "uploads wait for approval" and the queue of waiting uploads, each approved or deleted.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../errors.js';
import { canCurate, demand } from '../../services/access.js';
import { moderationBase, moderationPage } from '../../web/admin/pages/moderation.js';
import { announceApproved } from '../assets/moderation.js';
import { pageOf, type AreaOptions } from './area.js';
import { field, type Form } from './form.js';
import { sendAdminPage } from './respond.js';

const HIDDEN = { schema: { hide: true } };
interface EventParams { event: string }
interface ItemParams extends EventParams { id: string }

const moderation: FastifyPluginAsync<AreaOptions> = async (app, { locale }) => {
  const { events, assets } = app.services;

  async function render(request: FastifyRequest<{ Params: EventParams; Querystring: { done?: string } }>, reply: FastifyReply) {
    const p = request.principal;
    const event = await events.visibleEvent(p, request.params.event);
    demand(p, canCurate(p, event.id), 'moderate uploads of this event');
    const said = request.query.done;
    const done: 'approved' | 'rejected' | undefined = said === 'approved' || said === 'rejected' ? said : undefined;
    const view = { event, waiting: await assets.awaitingApproval(p, event), done };
    return sendAdminPage(reply, locale, moderationPage(pageOf(request, reply, locale, `e/${event.slug}/moderation`), view));
  }

  /** The asset, if it is one of this event's: a form of one event's page acts on that event only. */
  async function ofEvent(request: FastifyRequest<{ Params: ItemParams }>) {
    const asset = await assets.get(request.principal, request.params.id);
    if (asset.eventSlug !== request.params.event) throw new NotFoundError(`No upload ${request.params.id} in this event`);
    return asset;
  }

  app.get<{ Params: EventParams; Querystring: { done?: string } }>('/e/:event/moderation', HIDDEN, async (request, reply) => render(request, reply));

  app.post<{ Params: EventParams; Body: Form }>('/e/:event/moderation/setting', HIDDEN, async (request, reply) => {
    await events.update(request.principal, request.params.event, { moderation: field(request.body, 'moderation') === 'on' });
    return reply.redirect(moderationBase({ locale }, { slug: request.params.event }), 303);
  });

  app.post<{ Params: ItemParams }>('/e/:event/moderation/:id/approve', HIDDEN, async (request, reply) => {
    await ofEvent(request);
    await announceApproved(request, await assets.approve(request.principal, request.params.id));
    return reply.redirect(`${moderationBase({ locale }, { slug: request.params.event })}?done=approved`, 303);
  });

  app.post<{ Params: ItemParams }>('/e/:event/moderation/:id/reject', HIDDEN, async (request, reply) => {
    await ofEvent(request);
    await assets.remove(request.principal, request.params.id);
    return reply.redirect(`${moderationBase({ locale }, { slug: request.params.event })}?done=rejected`, 303);
  });
};

export default moderation;
