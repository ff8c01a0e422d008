/**
 * An event's links in the console (`/{locale}/admin/e/:event/links`): photographers' upload
 * links and press links, with when each was last used; mint and withdraw. A new link's URL is
 * shown once, in the answer to the form that made it (never stored, not even in the session).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../errors.js';
import { canCurate, demand } from '../../services/access.js';
import { shareUrl } from '../../services/share-links.js';
import { linksPage } from '../../web/admin/pages/links.js';
import { adminHref } from '../../web/admin/context.js';
import { pageOf, type AreaOptions } from './area.js';
import { field, type Form } from './form.js';
import { sendAdminPage } from './respond.js';

const HIDDEN = { schema: { hide: true } };
interface EventParams { event: string }
interface LinkParams extends EventParams { id: string }

function expiry(form: Form): string {
  const days = Number(field(form, 'days'));
  if (!Number.isInteger(days) || days < 1 || days > 90) throw new ValidationError('days must be a whole number from 1 to 90');
  return new Date(Date.now() + days * 86_400_000).toISOString();
}

const links: FastifyPluginAsync<AreaOptions> = async (app, { locale }) => {
  const { events, uploadLinks, shareLinks, tokens } = app.services;
  const back = (slug: string) => adminHref({ locale }, `e/${encodeURIComponent(slug)}/links`);

  async function render(request: FastifyRequest<{ Params: EventParams }>, reply: FastifyReply, created?: string, status = 200) {
    const p = request.principal;
    const event = await events.visibleEvent(p, request.params.event);
    demand(p, canCurate(p, event.id), 'manage the links of this event');
    const albums = await events.albums(p, event);
    const pressLinks = (await Promise.all(albums.map(async (a) => (await shareLinks.list(p, event.slug, a.slug)).map((l) => ({ ...l, albumSlug: a.slug }))))).flat();
    const view = { event, albums, uploadLinks: await uploadLinks.list(p, event.slug), pressLinks, created };
    return sendAdminPage(reply, locale, linksPage(pageOf(request, reply, locale, `e/${event.slug}/links`), view), status);
  }

  app.get<{ Params: EventParams }>('/e/:event/links', HIDDEN, async (request, reply) => render(request, reply));

  app.post<{ Params: EventParams; Body: Form }>('/e/:event/links/upload', HIDDEN, async (request, reply) => {
    const form = request.body;
    const album = field(form, 'album');
    const made = await uploadLinks.create(request.principal, request.params.event, {
      label: field(form, 'label') || undefined, album: album || undefined, expiresAt: expiry(form),
    });
    return render(request, reply, made.url, 201);
  });

  app.post<{ Params: EventParams; Body: Form }>('/e/:event/links/press', HIDDEN, async (request, reply) => {
    const form = request.body;
    const variant = field(form, 'variant') === 'web' ? 'web' : 'original';
    const { secret } = await shareLinks.create(request.principal, request.params.event, field(form, 'album'), {
      expiresAt: expiry(form), variant, label: field(form, 'label') || undefined,
    });
    return render(request, reply, shareUrl(app.config.publicUrl, secret), 201);
  });

  app.post<{ Params: LinkParams }>('/e/:event/links/upload/:id/revoke', HIDDEN, async (request, reply) => {
    const event = await events.visibleEvent(request.principal, request.params.event);
    const listed = await uploadLinks.list(request.principal, event.slug);
    // only this event's upload links, whatever else the token could revoke
    if (!listed.some((l) => l.id === request.params.id)) throw new ValidationError('No such upload link of this event');
    await tokens.revoke(request.principal, request.params.id);
    return reply.redirect(back(event.slug), 303);
  });

  app.post<{ Params: LinkParams }>('/e/:event/links/press/:id/revoke', HIDDEN, async (request, reply) => {
    await shareLinks.revoke(request.principal, request.params.id);
    return reply.redirect(back(request.params.event), 303);
  });
};

export default links;
