/**
 * The API process on SIGTERM (src/shutdown.ts): /readyz answers 503 at once while everything
 * else is still served for the drain delay; an upload in flight then finishes and is kept; one
 * that outlasts the bound is cut, the process still exits in time, and the cut upload leaves no
 * row and no object.
 */
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { createTestContext, REDIS_URL, seedEvent, type TestContext } from './helpers/context.js';
import { freePort, runEntry, waitFor, type Running } from './helpers/processes.js';

const FIXTURE = new URL('./fixtures/jpeg_canon-600d_gps_iptc_xmp.jpg', import.meta.url).pathname;

async function startApi(t: { teardown(fn: () => unknown): void }, ctx: TestContext, shutdown: { drainMs: number; timeoutMs: number }): Promise<{ api: Running; base: string }> {
  const port = await freePort();
  const api = runEntry('src/server.ts', {
    DATABASE_URL: ctx.config.databaseUrl, REDIS_URL, REDIS_PREFIX: ctx.config.redisPrefix,
    S3_ENDPOINT: ctx.storage.endpoint,
    S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? 'S3RVER', S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? 'S3RVER',
    S3_BUCKET: ctx.storage.bucket, PORT: String(port), LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_MS: String(shutdown.drainMs), SHUTDOWN_TIMEOUT_MS: String(shutdown.timeoutMs),
  });
  t.teardown(() => void api.child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  const up = await waitFor(() => fetch(`${base}/healthz`).then((r) => r.ok, () => false), 60_000);
  if (!up) throw new Error(`the API did not start:\n${api.output()}`);
  return { api, base };
}

/** A multipart upload whose body the test sends by hand, piece by piece. */
function slowUpload(base: string, token: string) {
  const boundary = `----lamha${Date.now()}`;
  const req = http.request(`${base}/api/v1/events/conf/albums/day-1/assets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  response.catch(() => {});
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
  return {
    req, response,
    write: (chunk: Buffer) => new Promise<void>((resolve) => (req.destroyed ? resolve() : req.write(chunk, () => resolve()))),
    end: () => req.end(`\r\n--${boundary}--\r\n`),
  };
}

async function readyz(base: string): Promise<{ status: number; body: { status?: string; draining?: boolean } }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: await res.json() as { status?: string; draining?: boolean } };
}

t.test('SIGTERM during an upload: not ready at once, still serving while it drains, the upload finishes with 201 and is kept, exit 0', async (t) => {
  const ctx = await createTestContext(t, { ownDatabase: true });
  await seedEvent(ctx);
  const token = await ctx.mint('photographer', 'conf');
  const DRAIN = 2500;
  const TIMEOUT = 20_000;
  const { api, base } = await startApi(t, ctx, { drainMs: DRAIN, timeoutMs: TIMEOUT });
  t.equal((await readyz(base)).status, 200, 'ready before');

  // a live stream, open across the stop: it is ended (its EventSource reconnects elsewhere) and does not hold the close
  const live = await fetch(`${base}/api/v1/events/conf/live`);
  t.equal(live.status, 200, 'a live stream is open');
  let liveEndedAt = 0;
  const liveEnded = live.text().then(() => (liveEndedAt = Date.now()), () => (liveEndedAt = -1));

  const bytes = await readFile(FIXTURE);
  const upload = slowUpload(base, token);
  await upload.write(bytes.subarray(0, 4096));
  await sleep(300);
  const signalled = Date.now();
  api.child.kill('SIGTERM');
  await sleep(200);
  const draining = await readyz(base);
  t.equal(draining.status, 503, `/readyz answers 503 at once\n${api.output()}`);
  t.match(draining.body, { status: 'draining', draining: true });
  t.equal((await fetch(`${base}/healthz`)).status, 200, 'a new connection is still served while draining');

  // the rest, slowly: the upload is still in flight when the listener closes
  const rest = bytes.subarray(4096);
  const step = Math.ceil(rest.length / 20);
  for (let i = 0; i < rest.length; i += step) {
    await upload.write(rest.subarray(i, i + step));
    await sleep(200);
  }
  t.ok(Date.now() - signalled > DRAIN, 'the upload outlasted the drain');
  await liveEnded;
  t.ok(liveEndedAt - signalled >= DRAIN, 'the live stream is ended once the drain is over, while the upload still runs');
  upload.end();
  const res = await upload.response;
  t.equal(res.status, 201, res.body);
  const id: string = JSON.parse(res.body).assets[0].id;

  const exit = await Promise.race([api.exit, sleep(DRAIN + TIMEOUT, 'too late' as const)]);
  t.same(exit, { code: 0, signal: null }, `exits 0 within the bound\n${api.output()}`);
  const { rows } = await ctx.db.query('SELECT status FROM assets WHERE id = $1', [id]);
  t.equal(rows.length, 1, 'its asset exists');
  t.same(await ctx.storage.list(`originals/${id}`), [`originals/${id}`], 'its original is stored');
});

t.test('SIGTERM during an upload that outlasts the bound: the process exits in time, and the cut upload leaves no row and no object', async (t) => {
  const ctx = await createTestContext(t, { ownDatabase: true });
  await seedEvent(ctx);
  const token = await ctx.mint('photographer', 'conf');
  const DRAIN = 300;
  const TIMEOUT = 1000;
  const { api, base } = await startApi(t, ctx, { drainMs: DRAIN, timeoutMs: TIMEOUT });

  const bytes = await readFile(FIXTURE);
  const upload = slowUpload(base, token);
  // enough that a part of the original is on its way to S3 when the upload is cut
  await upload.write(bytes.subarray(0, 256 * 1024));
  await sleep(300);
  const signalled = Date.now();
  api.child.kill('SIGTERM');
  // a trickle that would take 30 s more
  let sent = 256 * 1024;
  const trickle = (async () => {
    while (!upload.req.destroyed && sent < bytes.length && Date.now() - signalled < 30_000) {
      await upload.write(bytes.subarray(sent, sent + 2048));
      sent += 2048;
      await sleep(100);
    }
  })();

  const exit = await Promise.race([api.exit, sleep(30_000, 'too late' as const)]);
  const took = Date.now() - signalled;
  t.same(exit, { code: 0, signal: null }, `exits 0\n${api.output()}`);
  // the bound, and a margin for the cut upload's clean-up and the connections' close
  t.ok(took < DRAIN + TIMEOUT + 3000, `within the bound and a margin (${took} ms)`);
  await t.rejects(upload.response, 'the cut upload gets no answer');
  upload.req.destroy();
  await trickle;

  const { rows } = await ctx.db.query('SELECT id FROM assets');
  t.same(rows, [], 'no asset row');
  t.same(await ctx.storage.list('originals/'), [], 'no object');
});
