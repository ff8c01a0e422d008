/**
 * The worker's part of a process: the processors' deps, a BullMQ Worker per queue, and the
 * re-queuing of what PostgreSQL says is still processing. Used by workers/main.ts (the worker
 * alone) and start.ts (the API and the worker in one).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config.js';
import type { Log } from '../src/log.js';
import { createQueues, type Queues } from '../src/queues/producer.js';
import { createRedis } from '../src/redis/connection.js';
import { createWorkerMetrics } from '../src/metrics/registry.js';
import { startMetricsServer, type MetricsServer } from '../src/metrics/server.js';
import { countingErrors, storageErrorCode } from '../src/storage/counted.js';
import type { Connections } from '../src/startup.js';
import { createProcessorDeps } from './deps.js';
import type { ProcessorDeps } from './processors/registry.js';
import { startWorkers } from './worker.js';
import { restoreQueues, scheduleSweep, sweep } from './processors/sweep.js';

export interface RunningWorker {
  /** where its metrics are served (WORKER_METRICS_PORT), when they are */
  metricsPort: number | undefined;
  /**
   * The start-up sweep, run in the background so that a SIGTERM during it (a long bucket
   * listing) still shuts down gracefully; settles when it is done, never rejects.
   */
  swept: Promise<void>;
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
  await scheduleSweep(deps, config.sweep.everyMs);
  // and once now, whatever happened while no worker ran (the sweep logs what it did)
  const swept = sweep(undefined, deps).then(
    () => undefined,
    (err: unknown) => log.warn({ err }, 'the start-up sweep failed; the sweep runs again shortly'),
  );
  const stopRestoring = restoreAfterRedisLoss(connection, deps, config.sweep.everyMs);
  return {
    metricsPort: server?.port,
    swept,
    async close() {
      await stopRestoring();
      await workers.close(config.shutdown.timeoutMs);
      // every part of the sweep is safe to stop between two steps, and runs again at the next start
      const bound = new AbortController();
      const cut = await Promise.race([swept.then(() => false), delay(config.shutdown.timeoutMs, true, { signal: bound.signal }).catch(() => false)]);
      bound.abort();
      if (cut) log.warn('the start-up sweep did not end within the shutdown bound; it runs again at the next start');
      await server?.close();
      await deps.close();
      if (!options.queues) await queues.close();
      if (!options.connection) connection.disconnect();
    },
  };
}

/**
 * Redis may come back empty (no persistence, a failover to a fresh replica): each time the
 * workers' connection is ready again, what PostgreSQL says is still to do is queued again, and
 * the sweep scheduled again. Answers a function that stops it and waits for a run in progress.
 */
function restoreAfterRedisLoss(connection: Redis, deps: ProcessorDeps, everyMs: number): () => Promise<void> {
  let connected = connection.status === 'ready';
  let running: Promise<void> | undefined;
  let again = false;
  const stopping = new AbortController();
  const restore = async (): Promise<void> => {
    // Until it succeeds: the sweep's schedule was lost with Redis, so no sweep would do it. (The
    // queues' own connection may come back after this one: in `npm start`, the API's, which
    // fails commands at once while it is away.)
    let waitMs = 1_000;
    do {
      again = false;
      try {
        const { requeued, resumedFlows } = await restoreQueues(deps, everyMs);
        deps.log.info(`Redis is back: queued again ${requeued} assets and ${resumedFlows} video flows`);
      } catch (err) {
        if (stopping.signal.aborted) break;
        deps.log.warn({ err }, `could not restore the queues after Redis came back; trying again in ${waitMs / 1000} s`);
        await delay(waitMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        waitMs = Math.min(2 * waitMs, 30_000);
        again = !stopping.signal.aborted;
      }
    } while (again);
    running = undefined;
  };
  const onReady = () => {
    if (!connected) {
      connected = true;
      return;
    }
    if (running) again = true;
    else running = restore();
  };
  connection.on('ready', onReady);
  return async () => {
    connection.off('ready', onReady);
    stopping.abort();
    await running;
  };
}
