/**
 * The worker process (`npm run worker`): consumes the queues until SIGTERM, then lets running
 * jobs finish. Any number of these may run on any number of machines.
 */
import { createDb } from '../src/db/database.js';
import { createLogger } from '../src/log.js';
import { storageFromConfig } from '../src/plugins/infra.js';
import { createQueues } from '../src/queues/producer.js';
import { createRedis } from '../src/queues/redis.js';
import { requeueProcessing } from '../src/services/reconcile.js';
import { configOrExit, embeddedEndpoint, onShutdown, prepareOrExit } from '../src/startup.js';
import { createProcessorDeps } from './deps.js';
import { startWorkers } from './worker.js';

const config = configOrExit();
const log = createLogger({ level: config.logLevel, name: 'lamha-worker' });
const storage = storageFromConfig(config, config.s3.endpoint ?? embeddedEndpoint(config));
const redis = createRedis(config.redisUrl, { forWorker: true });
await prepareOrExit({ config, redis, storage, log });
const db = createDb({ url: config.databaseUrl });
const queues = createQueues({ connection: redis, prefix: config.redisPrefix });
const deps = createProcessorDeps(config, { db, storage, queues, log, publisher: redis });
const workers = startWorkers({ ...deps, connection: redis, prefix: config.redisPrefix });
log.info(`consuming ${workers.workers.map((w) => w.name).join(', ') || 'no queues yet'}`);
const requeued = await requeueProcessing({ db, queues });
if (requeued > 0) log.info(`queued ${requeued} assets still processing`);

onShutdown(log, async () => {
  await workers.close();
  await deps.close();
  await queues.close();
  redis.disconnect();
  await db.end();
});
