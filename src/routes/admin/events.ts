/**
 * Events in the console: `/{locale}/admin/e/:event` (details per language, publish, albums and
 * a new album), `/e/:event/delete` (confirmation first), `/events/new` and `POST /events`
 * (admins). Plain forms, each answered with a redirect back; the services decide who may.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ValidationError } from '../../errors.js';
import { canCurate, demand, isAdmin } from '../../services/access.js';
import { adminHref } from '../../web/admin/context.js';
import { eventDeletePage, eventPage, newEventPage } from '../../web/admin/pages/event.js';
import { pageOf, type AreaOptions } from './area.js';
import { field, fields, localized, type Form } from './form.js';
import { sendAdminPage } from './respond.js';

const HIDDEN = { schema: { hide: true } };
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
interface EventParams { event: string }

function slugOf(form: Form): string {
  const slug = field(form, 'slug').trim();
  if (!SLUG.test(slug)) throw new ValidationError('slug may hold only lowercase letters, digits and hyphens (not at either end), at most 64');
  return slug;
}

const events: FastifyPluginAsync<AreaOptions> = async (app, { locale }) => {
  const service = app.services.events;
  const href = (slug: string) => adminHref({ locale }, `e/${encodeURIComponent(slug)}`);
  /** the event, to its curators only (services let every insider read it) */
  const curated = async (request: FastifyRequest<{ Params: EventParams }>) => {
    const event = await service.visibleEvent(request.principal, request.params.event);
    demand(request.principal, canCurate(request.principal, event.id), 'curate this event');
    return event;
  };

  app.get('/events/new', HIDDEN, async (request, reply) => {
    demand(request.principal, isAdmin(request.principal), 'create events');
    return sendAdminPage(reply, locale, newEventPage(pageOf(request, reply, locale, 'events/new')));
  });

  app.post<{ Body: Form }>('/events', HIDDEN, async (request, reply) => {
    const form = request.body;
    const locales = fields(form, 'locales');
    const startsOn = field(form, 'startsOn');
    const endsOn = field(form, 'endsOn') || startsOn;
    if (!DAY.test(startsOn) || !DAY.test(endsOn)) throw new ValidationError('startsOn and endsOn must be dates (YYYY-MM-DD)');
    const event = await service.create(request.principal, {
      slug: slugOf(form), title: localized(form, 'title', locales), startsOn, endsOn, locales, defaultLocale: field(form, 'defaultLocale'),
    });
    return reply.redirect(href(event.slug), 303);
  });

  app.get<{ Params: EventParams }>('/e/:event', HIDDEN, async (request, reply) => {
    const event = await curated(request);
    const albums = await service.albums(request.principal, event);
    return sendAdminPage(reply, locale, eventPage(pageOf(request, reply, locale, `e/${event.slug}`), event, albums));
  });

  app.post<{ Params: EventParams; Body: Form }>('/e/:event/details', HIDDEN, async (request, reply) => {
    const event = await curated(request);
    const venue = localized(request.body, 'venue', event.locales);
    await service.update(request.principal, event.slug, {
      title: localized(request.body, 'title', event.locales),
      description: localized(request.body, 'description', event.locales),
      venue: Object.keys(venue).length > 0 ? venue : null,
    });
    return reply.redirect(href(event.slug), 303);
  });

  app.post<{ Params: EventParams; Body: Form }>('/e/:event/status', HIDDEN, async (request, reply) => {
    const status = field(request.body, 'status');
    if (status !== 'published' && status !== 'draft') throw new ValidationError('status must be published or draft');
    await service.update(request.principal, request.params.event, { status });
    return reply.redirect(href(request.params.event), 303);
  });

  app.post<{ Params: EventParams; Body: Form }>('/e/:event/albums', HIDDEN, async (request, reply) => {
    const event = await curated(request);
    const album = await service.createAlbum(request.principal, event.slug, { slug: slugOf(request.body), title: localized(request.body, 'title', event.locales) });
    return reply.redirect(`${href(event.slug)}/a/${encodeURIComponent(album.slug)}`, 303);
  });

  app.get<{ Params: EventParams }>('/e/:event/delete', HIDDEN, async (request, reply) => {
    const event = await curated(request);
    demand(request.principal, isAdmin(request.principal), 'delete events');
    return sendAdminPage(reply, locale, eventDeletePage(pageOf(request, reply, locale, `e/${event.slug}/delete`), event));
  });

  app.post<{ Params: EventParams }>('/e/:event/delete', HIDDEN, async (request, reply) => {
    await service.deleteEvent(request.principal, request.params.event);
    return reply.redirect(adminHref({ locale }), 303);
  });
};

export default events;
