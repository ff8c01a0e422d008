/**
 * GET /metrics — Prometheus text format, for a scraper holding METRICS_TOKEN (its own key, which
 * opens nothing else) or an admin token, as `Authorization: Bearer …`. Anyone else gets 401
 * `LAMHA_METRICS_UNAUTHORIZED` (a valid token of another role: 403): the series name routes,
 * queue depths and error rates, which are the operator's business.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Gauge } from 'prom-client';
import { ForbiddenError, MetricsUnauthorizedError } from '../../errors.js';
import { registerQueueGauges } from '../../metrics/queues.js';
import { sameSecret } from '../../metrics/server.js';

const metricsRoute: FastifyPluginAsync = async (app) => {
  const { registry } = app.metrics;
  registerQueueGauges(registry, app.queues.queues);
  new Gauge({
    name: 'lamha_live_clients',
    help: 'Live streams (Server-Sent Events) open on this API process',
    registers: [registry],
    collect() {
      this.set(app.hasDecorator('live') ? app.live.size : 0);
    },
  });

  const metricsToken = app.config.metrics.token;
  async function allowed(request: FastifyRequest): Promise<void> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match) throw new MetricsUnauthorizedError();
    if (metricsToken !== undefined && sameSecret(match[1]!, metricsToken)) return;
    const principal = await app.services.tokens.authenticate(match[1]!);
    if (!principal) throw new MetricsUnauthorizedError();
    if (principal.role !== 'admin') throw new ForbiddenError('The metrics are for the operator: METRICS_TOKEN or an admin token');
  }

  app.get('/metrics', {
    schema: { hide: true },
    config: { ownBearer: true },
    onRequest: async (request, reply) => {
      try {
        await allowed(request);
      } catch (err) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw err;
      }
    },
  }, async (_request, reply) => {
    const body = await registry.metrics();
    return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(body);
  });
};

export default metricsRoute;
