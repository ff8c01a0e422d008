/**
 * A worker process's own metrics endpoint (WORKER_METRICS_PORT): `GET /metrics` for
 * `Authorization: Bearer <METRICS_TOKEN>`, nothing else. Plain node:http: the worker serves no
 * other HTTP, and each worker process is a target of its own (its counters are its own, as
 * Prometheus expects of a counter), however many run on however many machines.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether `presented` is `expected`, in a time that does not tell how much of it matched. */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

function refuse(res: import('node:http').ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(status === 401 && { 'www-authenticate': 'Bearer realm="metrics"' }) });
  res.end(JSON.stringify({ statusCode: status, code, error: status === 401 ? 'Unauthorized' : 'Not Found', message }));
}

export async function startMetricsServer({ registry, token, host, port }: { registry: Registry; token: string; host: string; port: number }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return refuse(res, 404, 'LAMHA_NOT_FOUND', 'Only GET /metrics is served here');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match || !sameSecret(match[1]!, token)) return refuse(res, 401, 'LAMHA_METRICS_UNAUTHORIZED', 'The metrics need METRICS_TOKEN as Authorization: Bearer');
    registry.metrics().then((body) => {
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      res.end(body);
    }, () => {
      res.writeHead(500).end();
    });
  });
  // a scraper's connection is not a reason to keep the process from stopping
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
