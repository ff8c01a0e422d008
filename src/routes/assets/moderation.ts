/**
 * Moderation: an event whose uploads wait for approval (`moderation` on the event) keeps each
 * new upload hidden until an editor approves it here; rejecting one is deleting it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AssetWithMedia } from '../../db/assets.js';
import { Type } from 'typebox';
import { publishAssetReady } from '../../redis/live.js';
import { errorRefs } from '../common.js';
import { EventParams } from '../events/schemas.js';
import { AssetParams, AssetView, assetView } from './schemas.js';

/** Open galleries add an approved, processed upload as they add a photo that has just been processed. */
export async function announceApproved(request: FastifyRequest, asset: AssetWithMedia): Promise<void> {
  if (asset.status !== 'ready') return;
  const { redis, config } = request.server;
  await publishAssetReady(redis, config.redisPrefix, { eventId: asset.eventId, albumId: asset.albumId, assetId: asset.id })
    .catch((err: unknown) => request.log.warn({ err }, 'could not announce an approved asset on the live feed'));
}

const moderation: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/events/:event/moderation', {
    schema: {
      tags: ['assets'],
      summary: 'the uploads waiting for approval, oldest first (editors of the event, admins)',
      security: [{ bearer: [] }],
      params: EventParams,
      response: { 200: Type.Object({ assets: Type.Array(AssetView) }), ...errorRefs(401, 403, 404) },
    },
  }, async (request) => {
    const event = await app.services.events.visibleEvent(request.principal, request.params.event);
    const waiting = await app.services.assets.awaitingApproval(request.principal, event);
    return { assets: waiting.map((a) => assetView(a, request.principal, app.config.publicUrl)) };
  });

  app.post('/api/v1/assets/:id/approve', {
    schema: {
      tags: ['assets'],
      summary: 'approve an upload that waits for approval: public from now on, like any other (editors of the event, admins); 409 if it was not waiting',
      security: [{ bearer: [] }],
      params: AssetParams,
      response: { 200: AssetView, ...errorRefs(401, 403, 404, 409) },
    },
  }, async (request) => {
    const asset = await app.services.assets.approve(request.principal, request.params.id);
    await announceApproved(request, asset);
    return assetView(asset, request.principal, app.config.publicUrl);
  });
};

export default moderation;
