/**
 * `GET /api/v1/processing`: failed assets with their reason, the queues' depth and what is
 * running; `POST /api/v1/assets/:id/retry`; `GET /api/v1/events/:event/dashboard`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AssetParams } from '../assets/schemas.js';
import { errorRefs } from '../common.js';
import { EventParams } from '../events/schemas.js';

const Count = Type.Integer({ minimum: 0 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const Processing = Type.Object({
  event: Nullable(Type.String()),
  failed: Type.Array(Type.Object({
    id: Type.String(), event: Type.String(), album: Type.String(), kind: Type.String(), originalFilename: Type.String(),
    error: Nullable(Type.String({ description: 'the reason, "LAMHA_CODE: message"' })), failedAt: Type.String(),
  })),
  queues: Type.Array(Type.Object({ queue: Type.String(), waiting: Count, active: Count, delayed: Count, failed: Count })),
  running: Type.Array(Type.Object({ queue: Type.String(), name: Type.String(), assetId: Nullable(Type.String()), progress: Nullable(Type.Integer()), startedAt: Nullable(Type.String()), rungs: Nullable(Type.Array(Type.String())), piece: Nullable(Type.Integer()) })),
});

const Dashboard = Type.Object({
  event: Type.String(),
  byStatus: Type.Object({ processing: Count, ready: Count, failed: Count }),
  hidden: Count,
  awaitingApproval: Count,
  byKind: Type.Record(Type.String(), Count),
  byUploader: Type.Array(Type.Object({ label: Nullable(Type.String()), role: Nullable(Type.String()), count: Count, bytes: Count })),
  byHour: Type.Array(Type.Object({ hour: Type.String(), count: Count })),
  storage: Type.Object({ originalBytes: Count, renditionBytes: Count }),
});

const operations: FastifyPluginAsyncTypebox = async (app) => {
  const ops = app.services.operations;

  app.get('/api/v1/processing', {
    schema: {
      tags: ['processing'],
      summary: 'failed assets with their reason, the depth of each queue and what is running (admins: every event or ?event=; editors: their event)',
      security: [{ bearer: [] }],
      querystring: Type.Object({ event: Type.Optional(Type.String({ maxLength: 100 })) }),
      response: { 200: Processing, ...errorRefs(401, 403, 404) },
    },
  }, async (request) => {
    const s = await ops.processing(request.principal, request.query.event);
    return {
      event: s.event?.slug ?? null,
      failed: s.failed.map((f) => ({ id: f.id, event: f.eventSlug, album: f.albumSlug, kind: f.kind, originalFilename: f.originalFilename, error: f.error, failedAt: f.updatedAt.toISOString() })),
      queues: s.queues,
      running: s.running.map((r) => ({ ...r, startedAt: r.startedAt?.toISOString() ?? null })),
    };
  });

  app.post('/api/v1/assets/:id/retry', {
    schema: {
      tags: ['processing'],
      summary: 'process a failed asset again (editors of its event, admins); 409 if it has not failed',
      security: [{ bearer: [] }],
      params: AssetParams,
      response: { ...errorRefs(401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    await ops.retry(request.principal, request.params.id);
    return reply.code(202).send();
  });

  app.get('/api/v1/events/:event/dashboard', {
    schema: {
      tags: ['events'],
      summary: 'an event\'s counts by status, uploads per uploader and per hour (UTC), storage used (editors of the event, admins)',
      security: [{ bearer: [] }],
      params: EventParams,
      response: { 200: Dashboard, ...errorRefs(401, 403, 404) },
    },
  }, async (request) => {
    const d = await ops.dashboard(request.principal, request.params.event);
    return { ...d, event: d.event.slug, byHour: d.byHour.map((h) => ({ hour: h.hour.toISOString(), count: h.count })) };
  });
};

export default operations;
