/**
 * A caching reverse proxy in front of the app, as operators run one: Debian's nginx with
 * proxy_cache, honouring the origin's Cache-Control (s-maxage, proxy-revalidate), revalidating
 * with conditional requests, in a directory and on a port of its own, stopped at teardown.
 * Each answer says what the cache did in `X-Cache-Status` (HIT, MISS, EXPIRED, REVALIDATED…).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './processes.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

export async function cachingProxy(t: { teardown(fn: () => unknown): void }, upstreamPort: number): Promise<{ url: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-nginx-'));
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(conf, `
user root;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  proxy_cache_path ${dir}/cache keys_zone=media:1m max_size=64m;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_cache media;
      proxy_cache_revalidate on;
      proxy_http_version 1.1;
      add_header X-Cache-Status $upstream_cache_status always;
    }
  }
}
`);
  const child = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  t.teardown(async () => {
    child.kill('SIGQUIT');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    await rm(dir, { recursive: true, force: true });
  });
  const up = await waitFor(async () => new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); }).on('error', () => resolve(false));
  }), 10_000);
  if (!up) throw new Error(`nginx did not start: ${stderr}`);
  return { url: `http://127.0.0.1:${port}` };
}
