/**
 * The embedded S3 server checks no signatures, so it must be reachable from this machine only,
 * and the API's start log must say it is for trying Lamha out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { testDatabase } from '../helpers/context.js';
import { freePort, runEntry, waitFor } from '../helpers/processes.js';

/** Whether something accepts a TCP connection at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 2000 }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
    s.on('timeout', () => { s.destroy(); resolve(false); });
  });
}

const outward = Object.values(os.networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === 'IPv4').map((a) => a!.address);

t.test('the API process without S3_ENDPOINT runs the embedded S3 server on loopback only and warns that it is for trying out', async (t) => {
  t.ok(outward.length > 0, 'this machine has an address besides loopback to try from');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lamha-embedded-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const [port, s3Port] = [await freePort(), await freePort()];
  const run = runEntry('src/server.ts', {
    DATABASE_URL: await testDatabase(t), DATA_DIR: dataDir, PORT: String(port), S3_EMBEDDED_PORT: String(s3Port),
    S3_ENDPOINT: '', S3_ACCESS_KEY: '', S3_SECRET_KEY: '', LOG_LEVEL: 'info', ADMIN_TOKEN: 'x'.repeat(40), REDIS_PREFIX: `lamha-s3t-${process.pid}`,
  });
  t.teardown(async () => {
    run.child.kill('SIGTERM');
    await run.exit;
  });
  t.ok(await waitFor(() => accepts('127.0.0.1', port), 60_000), `the API listens (${run.output().slice(-400)})`);

  t.ok(await accepts('127.0.0.1', s3Port), 'the embedded S3 server answers on loopback');
  for (const address of outward) t.notOk(await accepts(address, s3Port), `it does not answer on ${address}`);
  t.match(run.output(), /"level":40,[^\n]*"msg":"the embedded S3 server checks no signatures: it is for trying Lamha out/);
});
