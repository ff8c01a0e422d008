/**
 * The API under benchmark, in a process of its own so that its memory is measured alone.
 *
 * It builds the app with a schema and a Redis prefix of its own and the bucket it is given,
 * seeds one event with one album and a photographer token, listens on 127.0.0.1:0 and prints
 * one JSON line on stdout: {port, url, token, schema, redisPrefix, event, album}.
 *
 * Its RSS is sampled every 50 ms. GET /bench/peak answers the peak since the last reset
 * (?reset=1 starts a new window), the kernel's high-water mark, the event loop's delay (max and
 * p99 in the window) and the CPU time used so far.
 * On SIGTERM (or when stdin closes) it prints {"final": …} on stdout, removes its schema and every Redis key under its prefix, and exits.
 *
 * Environment: BENCH_S3_ENDPOINT, BENCH_S3_ACCESS_KEY, BENCH_S3_SECRET_KEY, BENCH_S3_REGION,
 * BENCH_S3_BUCKET (required); DATABASE_URL, REDIS_URL, BENCH_LOG_LEVEL (default warn).
 * Logs go to stderr, so stdout carries only the JSON lines.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDb, ensureDatabase, migrate, quoteIdent } from '../src/db/database.js';
import { insertToken, type Role } from '../src/db/tokens.js';
import { createQueues } from '../src/queues/producer.js';
import { createRedis } from '../src/redis/connection.js';
import { generateToken, hashToken } from '../src/services/tokens.js';
import { createObjectStore, uploadMemory } from '../src/storage/object-store.js';
import { DATABASE_URL, REDIS_URL, requiredEnv } from './harness.js';

const required = (name: string) => requiredEnv(name, 'upload-server');
const EVENT = 'bench';
const ALBUM = 'uploads';

// RSS sampling starts first, so the window covers start-up too.
let peakRss = process.memoryUsage.rss();
// what the JS side holds at the same moments: V8 heap, and Buffers (outside the heap)
let peakHeapUsed = 0;
let peakArrayBuffers = 0;
let samples = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  samples++;
  if (m.rss > peakRss) peakRss = m.rss;
  if (m.heapUsed > peakHeapUsed) peakHeapUsed = m.heapUsed;
  if (m.arrayBuffers > peakArrayBuffers) peakArrayBuffers = m.arrayBuffers;
}, 50);
sampler.unref();
// how late the event loop ran (bench/load: is a slow page the loop's or what it waits for?)
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

function memoryReport() {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
  const cpu = process.cpuUsage();
  const now = process.memoryUsage();
  return {
    peakRss,
    rss,
    // where the RSS is now: V8's heap (reserved, used), the memory V8 was told of outside it, and Buffers
    heapTotal: now.heapTotal,
    heapUsed: now.heapUsed,
    external: now.external,
    arrayBuffers: now.arrayBuffers,
    peakHeapUsed,
    peakArrayBuffers,
    // ru_maxrss: the kernel's high-water mark for the whole life of the process (KiB on Linux)
    maxRss: process.resourceUsage().maxRSS * 1024,
    samples,
    eventLoopDelayMaxMs: loopDelay.max / 1e6,
    eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
  };
}

const unique = `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
const schema = `bench_${unique}`;
const redisPrefix = `lamha-bench-${unique}`;

await ensureDatabase(DATABASE_URL);
await migrate(DATABASE_URL, schema);
// the pool of production's API (src/plugins/infra.ts): bench/load queues hundreds of uploads on it
const db = createDb({ url: DATABASE_URL, schema });
const storage = createObjectStore({
  endpoint: required('BENCH_S3_ENDPOINT'),
  accessKey: required('BENCH_S3_ACCESS_KEY'),
  secretKey: required('BENCH_S3_SECRET_KEY'),
  region: process.env.BENCH_S3_REGION ?? 'us-east-1',
  bucket: required('BENCH_S3_BUCKET'),
});
// The port is picked before the app is built: PUBLIC_URL names it, and the resumable uploads'
// URLs (tus Location) are made from it.
const port = await new Promise<number>((resolve, reject) => {
  const probe = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port: p } = probe.address() as net.AddressInfo;
    probe.close(() => resolve(p));
  });
});
const config = loadConfig({
  DATABASE_URL,
  REDIS_URL,
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  REDIS_PREFIX: redisPrefix,
  S3_BUCKET: storage.bucket,
  PUBLIC_URL: `http://127.0.0.1:${port}`,
  // a benchmark loading the API from one address may lift the rate limits (0: none)
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('RATE_LIMIT_'))),
  ...(process.env.UPLOAD_MEMORY_MB && { UPLOAD_MEMORY_MB: process.env.UPLOAD_MEMORY_MB }),
  // the hand-off: a directory bench/images-e2e gives its API and worker; off for the benchmarks without a worker
  HANDOFF_DIR: process.env.BENCH_HANDOFF_DIR ?? 'off',
});
// as src/startup.ts does for `npm run api`
uploadMemory.setLimit(config.uploadMemoryBytes);
const redis = createRedis(REDIS_URL);
const queues = createQueues({ connection: redis, prefix: redisPrefix });
const app = await buildApp(config, {
  deps: { db, redis, storage, queues },
  logStream: process.stderr,
});

app.get('/bench/peak', { schema: { hide: true } }, async (request) => {
  const report = memoryReport();
  if ((request.query as Record<string, string | undefined>).reset) {
    peakRss = report.rss;
    peakHeapUsed = 0;
    peakArrayBuffers = 0;
    loopDelay.reset();
  }
  return report;
});

async function mint(role: Role, eventId: string | null): Promise<string> {
  const token = generateToken();
  await insertToken(db, { hash: hashToken(token), role, eventId, label: `bench ${role}`, createdBy: null, expiresAt: null });
  return token;
}

// The event and album are made through the API, as an admin would.
const admin = await mint('admin', null);
const headers = { authorization: `Bearer ${admin}` };
const created = await app.inject({
  method: 'POST', url: '/api/v1/events', headers,
  payload: { slug: EVENT, title: { en: 'Benchmark' }, startsOn: '2026-12-01', endsOn: '2026-12-02', locales: ['en'], defaultLocale: 'en' },
});
if (created.statusCode !== 201) throw new Error(`event: ${created.body}`);
const album = await app.inject({ method: 'POST', url: `/api/v1/events/${EVENT}/albums`, headers, payload: { slug: ALBUM, title: { en: 'Uploads' } } });
if (album.statusCode !== 201) throw new Error(`album: ${album.body}`);
const { rows } = await db.query<{ id: string }>('SELECT id FROM events WHERE slug = $1', [EVENT]);
const token = await mint('photographer', rows[0]!.id);

await app.listen({ host: '127.0.0.1', port });
const address = app.server.address();
if (!address || typeof address === 'string') throw new Error('no TCP address');
const url = `http://127.0.0.1:${address.port}`;
process.stdout.write(`${JSON.stringify({ port: address.port, url, token, schema, redisPrefix, event: EVENT, album: ALBUM })}\n`);

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) process.exit(1);
  closing = true;
  clearInterval(sampler);
  process.stdout.write(`${JSON.stringify({ final: memoryReport() })}\n`);
  let code = 0;
  try {
    await app.close();
    for (const q of Object.values(queues.queues)) await q.obliterate({ force: true });
    await queues.close();
    // and what a worker sharing the prefix left (bench/images' worker run: the gallery's versions)
    for await (const keys of redis.scanStream({ match: `${redisPrefix}:*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
    await db.end();
    const admin = createDb({ url: DATABASE_URL, max: 1 });
    await admin.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
    await admin.end();
  } catch (err) {
    process.stderr.write(`upload-server: cleanup failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    code = 1;
  }
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
// The benchmark holds our stdin: when it goes away, so do we (and our schema).
process.stdin.on('end', () => void shutdown());
process.stdin.resume();
