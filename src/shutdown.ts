/**
 * The API's graceful stop on SIGTERM: /readyz answers 503 at once and everything else is still
 * served for `drainMs` (a load balancer sees "not ready" and stops sending); then the listener
 * closes, live streams end (their EventSource reconnects to another instance), and requests in
 * flight get `timeoutMs` to finish. Past it their connections are destroyed: each handler sees
 * its client gone and cleans up as for any disconnect (an upload removes what it stored), and
 * only once every handler has settled are the connections to PostgreSQL and S3 closed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Log } from './log.js';

/** how long handlers cut at the bound get to remove what they stored */
const CLEANUP_MS = 5_000;

export async function closeApi(app: FastifyInstance, { drainMs, timeoutMs, log }: { drainMs: number; timeoutMs: number; log: Log }): Promise<void> {
  app.shutdown.startDraining();
  if (drainMs > 0) {
    log.info(`draining: /readyz answers 503; closing in ${drainMs} ms`);
    await sleep(drainMs);
  }
  const closed = app.close();
  const timer = new AbortController();
  const inTime = await Promise.race([
    closed.then(() => true),
    sleep(timeoutMs, false, { signal: timer.signal }).catch(() => false),
  ]);
  timer.abort();
  if (!inTime) {
    log.warn(`${app.shutdown.inFlight} requests still running after ${timeoutMs} ms: cutting them`);
    app.server.closeAllConnections();
    await closed;
  }
  const cleanup = new AbortController();
  const settled = await Promise.race([
    app.shutdown.settled().then(() => true),
    sleep(CLEANUP_MS, false, { signal: cleanup.signal }).catch(() => false),
  ]);
  cleanup.abort();
  if (!settled) log.error(`${app.shutdown.inFlight} requests did not end ${CLEANUP_MS} ms after their connections were cut`);
}
