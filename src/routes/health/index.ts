import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { isAdmin } from '../../services/access.js';

const Check = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });
// `draining`: the process is stopping (SIGTERM); it still serves for a moment, but send it nothing new
// 503 is also the error of a request that fails before the checks: an admin token that cannot be
// checked while PostgreSQL is down (LAMHA_DATABASE_UNAVAILABLE)
const Ready = Type.Object({ status: Type.String(), draining: Type.Optional(Type.Boolean()), checks: Type.Record(Type.String(), Check) });

const health: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'liveness', response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['health'], summary: 'readiness of PostgreSQL, Redis and object storage (causes shown to admins); 503 with draining: true once the process is stopping', response: { 200: Ready, 503: Type.Union([Ready, Type.Ref('Error')]) } } }, async (request, reply) => {
    if (app.shutdown.draining) return reply.code(503).send({ status: 'draining', draining: true, checks: {} });
    const probe = async (fn: () => Promise<unknown>) => {
      try {
        await withTimeout(fn(), 3000);
        return { ok: true };
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        request.log.warn({ err }, 'readiness check failed');
        // hosts, ports and bucket names are for operators, not for anyone who asks
        return isAdmin(request.principal) ? { ok: false, error } : { ok: false };
      }
    };
    const [postgres, redis, storage] = await Promise.all([
      probe(() => app.db.query('SELECT 1')),
      probe(() => app.redis.ping()),
      probe(() => app.storage.ping()),
    ]);
    const checks = { postgres, redis, storage };
    const ok = Object.values(checks).every((c) => c.ok);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable', checks });
  });
};

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]);
}

export default health;
