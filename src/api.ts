/**
 * The API's part of a process: the first admin token, the app, listening; and the demo when
 * asked. Used by src/server.ts (the API alone) and start.ts (the API and the worker in one).
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { demoBanner, loadDemo } from './demo/load.js';
import { logDestination, type Log } from './log.js';
import { createTokenService } from './services/tokens.js';
import type { Connections } from './startup.js';

export async function startApi(config: Readonly<Config>, connections: Connections): Promise<FastifyInstance> {
  const { db, redis, storage } = connections;
  const firstAdmin = await createTokenService({ db }).bootstrapAdmin(config.adminToken);
  if (firstAdmin) {
    // Shown once, never stored in clear: the operator copies it now or mints another later.
    process.stdout.write(`\nNo ADMIN_TOKEN was set, so an admin token was created. Keep it; it is not shown again:\n\n  ${firstAdmin}\n\n`);
  }
  const app = await buildApp(config, { deps: { db, redis, storage }, logStream: logDestination() });
  await app.listen({ port: config.port, host: config.host });
  return app;
}

/** `--demo` (`npm run demo`): loads the demo event; the server keeps serving whatever the loader managed before a failure. */
export async function loadDemoIfAsked(app: FastifyInstance, log: Log): Promise<void> {
  if (!process.argv.includes('--demo')) return;
  await loadDemo(app).then((demo) => process.stdout.write(demoBanner(demo)), (err: unknown) => log.error({ err }, 'the demo could not be loaded'));
}
