/**
 * The worker process (`npm run worker`): consumes the queues until SIGTERM, then lets running
 * jobs finish within SHUTDOWN_TIMEOUT_MS and hands back to the queue those that do not. Any number of these may run on any number of machines.
 */
import { createLogger } from '../src/log.js';
import { configOrExit, onShutdown, openConnections } from '../src/startup.js';
import { startWorker } from './run.js';

const config = configOrExit({ process: 'worker' });
const log = createLogger({ level: config.logLevel, name: 'lamha-worker' });
const connections = await openConnections(config, log, { runEmbeddedS3: false, forWorker: true });
const worker = await startWorker(config, log, connections, { connection: connections.redis });

onShutdown(log, async () => {
  await worker.close();
  await connections.close();
});
