/**
 * The API process (`npm run api`): configuration → connections → buildApp → listen, and a
 * graceful close on SIGTERM (src/shutdown.ts); `--demo` also loads the demo event (src/demo). Without
 * S3_ENDPOINT, this process runs the embedded S3 server. `npm start` runs the API and the
 * worker in one process: start.ts.
 */
import { loadDemoIfAsked, startApi } from './api.js';
import { createLogger } from './log.js';
import { closeApi } from './shutdown.js';
import { configOrExit, onShutdown, openConnections } from './startup.js';

const config = configOrExit();
const log = createLogger({ level: config.logLevel, name: 'lamha' });
const connections = await openConnections(config, log, { runEmbeddedS3: true, forWorker: false });
const app = await startApi(config, connections);

onShutdown(log, async () => {
  await closeApi(app, { ...config.shutdown, log });
  await connections.close();
});

await loadDemoIfAsked(app, log);
