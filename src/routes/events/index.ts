import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { assetView } from '../assets/schemas.js';
import { isInsider } from '../../services/access.js';
import { errorRefs } from '../common.js';
import {
  AlbumPageQuery, AlbumParams, AlbumView, AlbumWithAssets, CreateAlbumBody, CreateEventBody, EventList, EventParams,
  EventView, PatchAlbumBody, PatchEventBody, albumView, eventView,
} from './schemas.js';

const events: FastifyPluginAsyncTypebox = async (app) => {
  const { events: service, assets } = app.services;

  app.get('/api/v1/events', {
    schema: { tags: ['events'], summary: 'published events (every event for an admin)', response: { 200: EventList, ...errorRefs(401) } },
  }, async (request) => ({ events: (await service.list(request.principal)).map((e) => eventView(e)) }));

  app.post('/api/v1/events', {
    schema: { tags: ['events'], summary: 'create an event (admin)', security: [{ bearer: [] }], body: CreateEventBody, response: { 201: EventView, ...errorRefs(400, 401, 403, 409) } },
  }, async (request, reply) => reply.code(201).send(eventView(await service.create(request.principal, request.body), [], true)));

  app.get('/api/v1/events/:event', {
    schema: { tags: ['events'], summary: 'an event with its albums', params: EventParams, response: { 200: EventView, ...errorRefs(401, 404) } },
  }, async (request) => {
    const event = await service.visibleEvent(request.principal, request.params.event);
    return eventView(event, await service.albums(request.principal, event), isInsider(request.principal, event.id));
  });

  app.patch('/api/v1/events/:event', {
    schema: { tags: ['events'], summary: 'edit or publish an event', security: [{ bearer: [] }], params: EventParams, body: PatchEventBody, response: { 200: EventView, ...errorRefs(400, 401, 403, 404) } },
  }, async (request) => {
    const event = await service.update(request.principal, request.params.event, request.body);
    return eventView(event, await service.albums(request.principal, event), isInsider(request.principal, event.id));
  });

  app.post('/api/v1/events/:event/albums', {
    schema: { tags: ['albums'], summary: 'create an album', security: [{ bearer: [] }], params: EventParams, body: CreateAlbumBody, response: { 201: AlbumView, ...errorRefs(400, 401, 403, 404, 409) } },
  }, async (request, reply) => reply.code(201).send(albumView(await service.createAlbum(request.principal, request.params.event, request.body), true)));

  app.get('/api/v1/events/:event/albums/:album', {
    schema: { tags: ['albums'], summary: 'an album with one page of its assets', params: AlbumParams, querystring: AlbumPageQuery, response: { 200: AlbumWithAssets, ...errorRefs(400, 401, 404) } },
  }, async (request) => {
    const { event, album } = await service.visibleAlbum(request.principal, request.params.event, request.params.album);
    const page = await assets.page(request.principal, album, request.query.cursor, request.query.limit);
    return {
      ...albumView(album, isInsider(request.principal, event.id)),
      event: event.slug,
      assets: page.items.map((a) => assetView(a, request.principal, app.config.publicUrl)),
      nextCursor: page.nextCursor,
    };
  });

  app.patch('/api/v1/events/:event/albums/:album', {
    schema: { tags: ['albums'], summary: 'edit, reorder, set the cover of or publish an album', security: [{ bearer: [] }], params: AlbumParams, body: PatchAlbumBody, response: { 200: AlbumView, ...errorRefs(400, 401, 403, 404) } },
  }, async (request) => {
    const album = await service.updateAlbum(request.principal, request.params.event, request.params.album, request.body);
    return albumView(album, isInsider(request.principal, album.eventId));
  });

  app.delete('/api/v1/events/:event/albums/:album', {
    schema: { tags: ['albums'], summary: 'delete an album, its assets and their objects', security: [{ bearer: [] }], params: AlbumParams, response: { ...errorRefs(401, 403, 404) } },
  }, async (request, reply) => {
    await service.deleteAlbum(request.principal, request.params.event, request.params.album);
    return reply.code(204).send();
  });
};

export default events;
