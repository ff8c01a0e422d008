/**
 * The app's Prometheus registry (one per app instance) and the HTTP series: every answer is
 * counted by method, route pattern (Fastify's, never the URL: no ids, tokens or query strings)
 * and status. A live stream (hijacked, and ended by its client) is not counted: it has its own
 * gauge. Infra counts the object store's errors into it; routes/metrics serves it.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { createApiMetrics, type ApiMetrics } from '../metrics/registry.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ApiMetrics;
  }
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** the route label of a request no route matched (one label, whatever was asked for) */
export const UNMATCHED_ROUTE = 'unmatched';

const metrics: FastifyPluginAsync = async (app) => {
  const m = createApiMetrics();
  app.decorate('metrics', m);
  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: METHODS.has(request.method) ? request.method : 'other',
      route: request.is404 ? UNMATCHED_ROUTE : request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: String(reply.statusCode),
    };
    m.httpRequests.inc(labels);
    m.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });
};

export default fp(metrics, { name: 'lamha-metrics' });
