/**
 * The only file that listens: configuration → preparation → buildApp → listen, and a graceful
 * close on SIGTERM. `--with-worker` also runs the queue workers in this process (`npm start`);
 * `--demo` also loads the demo event (`npm run demo`, src/demo).
 * Without S3_ENDPOINT, this process runs the embedded S3 server.
 */
import { buildApp } from './app.js';
import { createDb } from './db/database.js';
import { createLogger, logDestination } from './log.js';
import { storageFromConfig } from './plugins/infra.js';
import { createRedis } from './queues/redis.js';
import { requeueProcessing } from './services/reconcile.js';
import { createTokenService } from './services/tokens.js';
import { demoBanner, loadDemo } from './demo/load.js';
import { configOrExit, embeddedEndpoint, onShutdown, prepareOrExit } from './startup.js';
import { startEmbeddedS3, type EmbeddedS3 } from './storage/embedded-s3.js';
import { createProcessorDeps } from '../workers/deps.js';
import { startWorkers, type Workers } from '../workers/worker.js';

const config = configOrExit();
const withWorker = process.argv.includes('--with-worker');
const log = createLogger({ level: config.logLevel, name: 'lamha' });

let embedded: EmbeddedS3 | undefined;
if (!config.s3.endpoint) {
  embedded = await startEmbeddedS3({ dataDir: config.dataDir, port: config.embeddedS3Port });
  log.info(`embedded S3 server on ${embedded.endpoint}, objects under ${config.dataDir}`);
}
const storage = storageFromConfig(config, config.s3.endpoint ?? embeddedEndpoint(config));
const redis = createRedis(config.redisUrl);
await prepareOrExit({ config, redis, storage, log });
const db = createDb({ url: config.databaseUrl });

const firstAdmin = await createTokenService({ db }).bootstrapAdmin(config.adminToken);
if (firstAdmin) {
  // Shown once, never stored in clear: the operator copies it now or mints another later.
  process.stdout.write(`\nNo ADMIN_TOKEN was set, so an admin token was created. Keep it; it is not shown again:\n\n  ${firstAdmin}\n\n`);
}

const app = await buildApp(config, { deps: { db, redis, storage }, logStream: logDestination() });
await app.listen({ port: config.port, host: config.host });

let workers: Workers | undefined;
let workerRedis: ReturnType<typeof createRedis> | undefined;
let processorDeps: ReturnType<typeof createProcessorDeps> | undefined;
if (withWorker) {
  workerRedis = createRedis(config.redisUrl, { forWorker: true });
  processorDeps = createProcessorDeps(config, { db, storage, queues: app.queues, log: log.child({ component: 'worker' }), publisher: redis });
  workers = startWorkers({ ...processorDeps, connection: workerRedis, prefix: config.redisPrefix });
  const requeued = await requeueProcessing({ db, queues: app.queues });
  if (requeued > 0) log.info(`queued ${requeued} assets still processing`);
}

onShutdown(log, async () => {
  await app.close();
  await workers?.close();
  await processorDeps?.close();
  workerRedis?.disconnect();
  await app.queues.close();
  redis.disconnect();
  await db.end();
  await embedded?.close();
});

if (process.argv.includes('--demo')) {
  // the server keeps serving whatever the loader managed before a failure
  await loadDemo(app).then((demo) => process.stdout.write(demoBanner(demo)), (err: unknown) => log.error({ err }, 'the demo could not be loaded'));
}
