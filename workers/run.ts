/**
 * The worker's part of a process: the processors' deps, a BullMQ Worker per queue, and the
 * re-queuing of what PostgreSQL says is still processing. Used by workers/main.ts (the worker
 * alone) and start.ts (the API and the worker in one).
 */
import type { Redis } from 'ioredis';
import type { Config } from '../src/config.js';
import type { Log } from '../src/log.js';
import { createQueues, type Queues } from '../src/queues/producer.js';
import { createRedis } from '../src/redis/connection.js';
import { createWorkerMetrics } from '../src/metrics/registry.js';
import { startMetricsServer, type MetricsServer } from '../src/metrics/server.js';
import { countingErrors, storageErrorCode } from '../src/storage/counted.js';
import { requeueProcessing } from '../src/services/reconcile.js';
import type { Connections } from '../src/startup.js';
import { createProcessorDeps } from './deps.js';
import { resumeVideoFlows } from './resume-flows.js';
import { startWorkers } from './worker.js';
import { sweepUploads } from './processors/sweep-uploads.js';
import { SWEEP_UPLOADS_EVERY_MS } from '../src/queues/jobs.js';

export interface RunningWorker {
  /** where its metrics are served (WORKER_METRICS_PORT), when they are */
  metricsPort: number | undefined;
  /** stops taking jobs; running ones get SHUTDOWN_TIMEOUT_MS to finish, then go back to the queue */
  close(): Promise<void>;
}

/**
 * `connection` is the blocking connection the Workers consume on: the process's own Redis when
 * it retries forever (a worker process), else a new one made here. `queues` are the producer's
 * (the API's in a shared process), made here when not given.
 */
export async function startWorker(
  config: Readonly<Config>,
  log: Log,
  { db, storage: store, redis }: Pick<Connections, 'db' | 'storage' | 'redis'>,
  options: { connection?: Redis; queues?: Queues } = {},
): Promise<RunningWorker> {
  // Metrics only when asked for (WORKER_METRICS_PORT): a worker serves no HTTP otherwise.
  const { workerPort: port, workerHost: host, token } = config.metrics;
  const metrics = port !== undefined && token !== undefined ? createWorkerMetrics() : undefined;
  let server: MetricsServer | undefined;
  if (metrics) {
    server = await startMetricsServer({ registry: metrics.registry, token: token!, host, port: port! });
    log.info(`metrics on http://${host}:${server.port}/metrics`);
  }
  const storage = metrics ? countingErrors(store, (operation, err) => metrics.storageErrors.inc({ operation, code: storageErrorCode(err) })) : store;
  const connection = options.connection ?? createRedis(config.redisUrl, { forWorker: true });
  const queues = options.queues ?? createQueues({ connection, prefix: config.redisPrefix });
  const deps = createProcessorDeps(config, { db, storage, queues, log, publisher: redis });
  const workers = startWorkers({ ...deps, connection, prefix: config.redisPrefix, ...(metrics && { metrics }) });
  log.info(`consuming ${workers.workers.map((w) => w.name).join(', ') || 'no queues yet'}`);
  const requeued = await requeueProcessing({ db, queues });
  if (requeued > 0) log.info(`queued ${requeued} assets still processing`);
  const resumed = await resumeVideoFlows({ db, queues });
  if (resumed > 0) log.info(`queued again the parts ${resumed} videos still lacked`);
  await queues.queues.maintenance.upsertJobScheduler('sweep-uploads', { every: SWEEP_UPLOADS_EVERY_MS }, { name: 'sweep-uploads', data: {} });
  // and once now: uploads that expired or lost their finish while no worker ran
  await sweepUploads(undefined, deps).catch((err: unknown) => log.warn({ err }, 'the upload sweep failed; it runs again shortly'));
  return {
    metricsPort: server?.port,
    async close() {
      await workers.close(config.shutdown.timeoutMs);
      await server?.close();
      await deps.close();
      if (!options.queues) await queues.close();
      if (!options.connection) connection.disconnect();
    },
  };
}
