/**
 * `npm start`: the API and the worker in one process, with the embedded defaults (`npm run api`
 * and `npm run worker` run them apart). It lives beside src/ and workers/ because it is the one
 * module that needs both: src/ never imports workers/, and workers/ never imports the app.
 * `--demo` (`npm run demo`) also loads the demo event.
 */
import { loadDemoIfAsked, startApi } from './src/api.js';
import { createLogger } from './src/log.js';
import { closeApi } from './src/shutdown.js';
import { configOrExit, onShutdown, openConnections } from './src/startup.js';
import { startWorker } from './workers/run.js';

const config = configOrExit();
const log = createLogger({ level: config.logLevel, name: 'lamha' });
const connections = await openConnections(config, log, { runEmbeddedS3: true, forWorker: false });
const app = await startApi(config, connections);
const worker = await startWorker(config, log.child({ component: 'worker' }), connections, { queues: app.queues });

onShutdown(log, async () => {
  // the worker stops taking jobs at once, while the API drains: both within the same bound
  await Promise.all([closeApi(app, { ...config.shutdown, log }), worker.close()]);
  await connections.close();
});

await loadDemoIfAsked(app, log);
