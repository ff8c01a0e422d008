/**
 * GET /api/v1/events/:event/live — Server-Sent Events: `event: asset.ready` with
 * `data: {"assetId","albumId","eventId"}` when an asset of the event becomes visible to the
 * public. Streams stay open; a comment every ~20 s keeps proxies from timing them out.
 * Each announcement's id is the asset's: a reconnecting EventSource sends the last one as
 * Last-Event-ID and is first told of the public assets that became ready since (up to 100).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { normalizeIP } from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { LiveFullError, LiveTooManyError, LiveUnavailableError } from '../../errors.js';
import { errorRefs } from '../common.js';
import { EventParams } from '../events/schemas.js';
import { createLiveHub, type LiveHub } from './hub.js';

export interface LiveOptions {
  heartbeatMs?: number;
  retryMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the open live streams of this process */
    live: LiveHub;
  }
}

const live: FastifyPluginAsyncTypebox<LiveOptions> = async (app, options) => {
  // A stream must never sit idle as long as the server's idle timeout, which would cut it.
  const heartbeatMs = Math.min(options.heartbeatMs ?? 20_000, Math.floor(app.config.httpIdleTimeoutMs / 2));
  const hub = createLiveHub({
    redis: app.redis, prefix: app.config.redisPrefix, db: app.db, log: app.log.child({ component: 'live' }), ...options, heartbeatMs,
  });
  app.decorate('live', hub);
  // Before the server stops accepting: open streams would otherwise keep close() waiting forever.
  app.addHook('preClose', async () => hub.close());

  // Open streams per client address, so one client cannot hold every stream this process allows.
  const perAddress = new Map<string, number>();

  app.get('/api/v1/events/:event/live', {
    schema: {
      tags: ['events'],
      summary: 'Server-Sent Events: assets of the event becoming visible (event: asset.ready, data: {assetId, albumId, eventId})',
      produces: ['text/event-stream'],
      params: EventParams,
      response: { ...errorRefs(401, 404, 429, 503) },
    },
  }, async (request, reply) => {
    const event = await app.services.events.visibleEvent(request.principal, request.params.event);
    try {
      await hub.ready();
    } catch (err) {
      request.log.warn({ err }, 'live: no Redis subscription');
      throw new LiveUnavailableError('Live updates are unavailable; try again shortly');
    }
    // an IPv6 client usually holds a whole /64: that is what counts as one address
    const address = normalizeIP(request.ip, 64);
    const mine = perAddress.get(address) ?? 0;
    if (mine >= app.config.liveMaxStreamsPerAddress) throw new LiveTooManyError();
    if (hub.size >= app.config.liveMaxStreams) throw new LiveFullError();
    perAddress.set(address, mine + 1);
    reply.raw.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    // From here the response is a stream the hub writes to, past Fastify's reply.
    reply.hijack();
    const lastEventId = request.headers['last-event-id'];
    hub.open(event.id, reply.raw, typeof lastEventId === 'string' ? lastEventId.trim() : undefined);
  });
};

export default fp(live, { name: 'lamha-live', dependencies: ['lamha-services'] });
