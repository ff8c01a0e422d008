/**
 * The worker under benchmark (bench/images' `lamha worker` run), in a process of its own: what
 * workers/main.ts starts — the processors' deps (sharp set as in production, the exiftool
 * reader) and the BullMQ workers of every queue with their production concurrency — against the
 * schema, Redis prefix and bucket of the benchmark's API process (bench/upload-server.ts)
 * instead of the configuration's defaults.
 *
 * Environment: BENCH_S3_ENDPOINT, BENCH_S3_ACCESS_KEY, BENCH_S3_SECRET_KEY, BENCH_S3_REGION,
 * BENCH_S3_BUCKET, BENCH_SCHEMA, BENCH_REDIS_PREFIX (required); DATABASE_URL, REDIS_URL,
 * BENCH_LOG_LEVEL (default warn). Logs go to stderr.
 *
 * It prints {"started": true} on stdout once its workers run. Each line "report" on stdin is
 * answered with one JSON line: its RSS now and the peak since the last report (sampled every
 * 10 ms), and the CPU seconds it and its children (the exiftool processes) have used. It stops
 * on SIGTERM or when stdin closes, letting running jobs finish.
 */
import readline from 'node:readline';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/database.js';
import { createQueues } from '../src/queues/producer.js';
import { createRedis } from '../src/redis/connection.js';
import { createObjectStore } from '../src/storage/object-store.js';
import { createProcessorDeps } from '../workers/deps.js';
import { startWorkers } from '../workers/worker.js';
import { childrenCpuSeconds, DATABASE_URL, REDIS_URL, requiredEnv } from './harness.js';

export interface WorkerReport {
  rss: number;
  /** highest RSS since the previous report */
  peakRss: number;
  /** CPU seconds of this process so far */
  cpuSeconds: number;
  /** CPU seconds its children (the exiftool processes) have used so far */
  childCpuSeconds: number;
}

const required = (name: string) => requiredEnv(name, 'images-worker');

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 10);
sampler.unref();

const schema = required('BENCH_SCHEMA');
const prefix = required('BENCH_REDIS_PREFIX');
const config = loadConfig({
  DATABASE_URL,
  REDIS_URL,
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  REDIS_PREFIX: prefix,
  S3_BUCKET: required('BENCH_S3_BUCKET'),
  // bench/video-flow sets the length of a video's pieces
  ...(process.env.VIDEO_PIECE_SECONDS && { VIDEO_PIECE_SECONDS: process.env.VIDEO_PIECE_SECONDS }),
  // the hand-off: a directory bench/images-e2e gives its API and worker; off for the benchmarks without a worker
  HANDOFF_DIR: process.env.BENCH_HANDOFF_DIR ?? 'off',
});
const log = pino({ level: config.logLevel, name: 'lamha-worker' }, pino.destination(2));
const storage = createObjectStore({
  endpoint: required('BENCH_S3_ENDPOINT'),
  accessKey: required('BENCH_S3_ACCESS_KEY'),
  secretKey: required('BENCH_S3_SECRET_KEY'),
  region: process.env.BENCH_S3_REGION ?? 'us-east-1',
  bucket: config.s3.bucket,
});
const redis = createRedis(REDIS_URL, { forWorker: true });
const db = createDb({ url: DATABASE_URL, schema });
const queues = createQueues({ connection: redis, prefix });
const deps = createProcessorDeps(config, { db, storage, queues, log, publisher: redis });
const workers = startWorkers({ ...deps, connection: redis, prefix });
await Promise.all(workers.workers.map((w) => w.waitUntilReady()));
process.stdout.write(`${JSON.stringify({ started: true })}\n`);

function report(): WorkerReport {
  const rss = process.memoryUsage.rss();
  const cpu = process.cpuUsage();
  const out: WorkerReport = {
    rss,
    peakRss: Math.max(peakRss, rss),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    childCpuSeconds: childrenCpuSeconds(process.pid),
  };
  peakRss = rss;
  return out;
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'report') process.stdout.write(`${JSON.stringify(report())}\n`);
});

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) process.exit(1);
  closing = true;
  let code = 0;
  try {
    await workers.close();
    await deps.close();
    await queues.close();
    redis.disconnect();
    await db.end();
  } catch (err) {
    process.stderr.write(`images-worker: closing failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    code = 1;
  }
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
process.stdin.on('end', () => void shutdown());
