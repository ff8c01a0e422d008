/**
 * Renditions, streamed from object storage: public for published, visible, ready assets;
 * otherwise only to tokens of the event. Originals are never served here.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorRefs } from '../common.js';

const MediaParams = Type.Object({
  assetId: Type.String({ format: 'uuid' }),
  '*': Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$', maxLength: 200 }),
});

const media: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/media/:assetId/*', {
    schema: { tags: ['media'], summary: 'a rendition of an asset (thumb.webp, medium.webp, large.webp, large.jpg, …)', params: MediaParams, response: { ...errorRefs(400, 404) } },
  }, async (request, reply) => {
    const { assetId, '*': name } = request.params;
    const rendition = await app.services.assets.rendition(request.principal, assetId, name);
    const open = rendition.open;
    const body = await app.storage.get(rendition.key);
    if (rendition.bytes !== null) reply.header('content-length', rendition.bytes).header('etag', `"${assetId}-${name}-${rendition.bytes}"`);
    return reply
      .header('content-type', rendition.type)
      .header('cache-control', open ? 'public, max-age=3600' : 'private, no-store')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
};

export default media;
