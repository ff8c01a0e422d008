/**
 * bench/images' `lamha worker` run: the photos go the whole way a photographer's upload goes —
 * POSTed to the API (bench/upload-server.ts), stored in S3, queued — and the real worker
 * (bench/images-worker.ts: the worker's deps and BullMQ workers with their production
 * concurrency and sharp settings, MALLOC_ARENA_MAX=2) makes them ready: the original downloaded
 * from S3, metadata, renditions uploaded, rows written in PostgreSQL, the announcement on Redis.
 *
 * The photos of a run are all uploaded while the `images` queue is paused; the clock runs from
 * its resumption until the last of them is announced ready on the event's live channel (Redis
 * pub/sub, as a gallery hears it; the worker announces after its commit). PostgreSQL is asked
 * only once a second, for a photo that failed and will never be announced: a poll every 20 ms
 * was the benchmark's own load on the same two cores (≈ 10 queries a photo).
 * The worker's CPU time (and its exiftool processes'), its RSS and the S3 server's CPU time
 * (when it is a local process) are taken over the same span. Every photo must end `ready` with
 * its rendition rows, each of them an object in the bucket; then the run's assets are removed.
 * The whole set goes through once first, untimed, so that the timed run finds the worker as it
 * is over an event's hundreds of photos: every exiftool process of its pool started (one more
 * at most every 1.5 s while reads wait, each ≈ 0.2 CPU s of Perl start-up; with one photo of
 * warm-up, two of the three started inside the timed 24 and added ≈ 0.015 CPU s a photo), its
 * code optimised, its connections open.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { createDb, type Db } from '../src/db/database.js';
import type { Redis } from 'ioredis';
import { createRedis } from '../src/redis/connection.js';
import { liveChannel, type AssetReady } from '../src/redis/live.js';
import { originalKey, renditionPrefix } from '../src/storage/keys.js';
import { createObjectStore, type ObjectStore } from '../src/storage/object-store.js';
import {
  API_MALLOC_ENV, API_NODE_ARGS, apiEnv, BUILD_DIR, buildServices, collectGarbage, DATABASE_URL, log, openTarget, processesCpuSeconds, REDIS_URL, removeBucket, s3CpuSeconds,
  settle, spawnNode, spawnTs, stopApi, stopChild, treeCpuSeconds, type Child, type ServerInfo, type Target,
} from './harness.js';
import type { WorkerReport } from './images-worker.js';

export interface WorkerRunResult {
  photos: number;
  /** from the queue's resumption until the last photo was announced ready */
  seconds: number;
  photosPerSecond: number;
  /** the worker process */
  cpuSeconds: number;
  /** its exiftool processes */
  childCpuSeconds: number;
  /** the S3 server, when it is a process on this machine */
  s3CpuSeconds: number | undefined;
  /**
   * PostgreSQL's processes (every backend on the machine: the worker's, the API's and this
   * benchmark's check once a second) and Redis's, when they run on this machine
   */
  postgresCpuSeconds: number | undefined;
  redisCpuSeconds: number | undefined;
  idleRssMB: number;
  peakRssMB: number;
  /** rendition rows per photo (each checked to be an object in the bucket) */
  renditionsPerPhoto: number;
  s3: Target['kind'];
  load1: number;
  /**
   * The untimed part before it: every photo POSTed, one after the other. CPU seconds of the API
   * process and its exiftool processes (it cleans a JPEG's head as it stores it), and of the S3
   * server, taken over the uploads.
   */
  upload: { seconds: number; apiCpuSeconds: number; s3CpuSeconds: number | undefined };
}

export interface WorkerBench {
  run(files: string[]): Promise<WorkerRunResult>;
  close(): Promise<void>;
}

/** how often PostgreSQL is asked whether a photo ended other than ready (never announced) */
const FAILURE_CHECK_MS = 1000;
const RUN_TIMEOUT_MS = 15 * 60_000;

export async function openWorkerBench(runtime: 'js' | 'tsx'): Promise<WorkerBench> {
  const target = await openTarget();
  const store: ObjectStore = createObjectStore({
    endpoint: target.endpoint, accessKey: target.accessKey, secretKey: target.secretKey, region: target.region,
    bucket: `lamha-bench-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
  });
  let api: Child | undefined;
  let server: ServerInfo | undefined;
  let worker: Child | undefined;
  let db: Db | undefined;
  const redis = createRedis(REDIS_URL);
  const subscriber = createRedis(REDIS_URL);
  let images: Queue | undefined;
  // the hand-off as `npm start` has it (a directory API and worker share), unless HANDOFF_DIR=off
  const handoffDir = process.env.HANDOFF_DIR ?? path.join(os.tmpdir(), `lamha-bench-handoff-${process.pid}`);
  const handoff = { BENCH_HANDOFF_DIR: handoffDir };

  const close = async () => {
    if (worker) await stopChild(worker.child);
    if (api) await stopApi(api, server);
    await images?.close();
    redis.disconnect();
    subscriber.disconnect();
    await db?.end();
    await removeBucket(store);
    await collectGarbage(target);
    await target.close();
    rmSync(BUILD_DIR, { recursive: true, force: true });
    // the directory made for this run only
    if (process.env.HANDOFF_DIR === undefined) rmSync(handoffDir, { recursive: true, force: true });
  };

  try {
    await store.ensureBucket();
    const entries = runtime === 'js' ? buildServices(['upload-server', 'images-worker']) : undefined;
    // BENCH_WORKER_NODE_ARGS: node flags for the worker process alone (e.g. its heap's young generation), to try them against the same derive
    const workerArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const start = (name: 'upload-server' | 'images-worker', env: Record<string, string>) => (entries ? spawnNode([...(name === 'upload-server' ? API_NODE_ARGS : workerArgs), entries[name]], env) : spawnTs(`bench/${name}.ts`, env, name === 'upload-server' ? [] : workerArgs));
    api = start('upload-server', { ...apiEnv(target, store.bucket), ...API_MALLOC_ENV, ...handoff });
    server = await api.lines.next<ServerInfo>(120_000);
    if (!server) throw new Error('the API process exited before listening');
    worker = start('images-worker', { ...apiEnv(target, store.bucket), BENCH_SCHEMA: server.schema, BENCH_REDIS_PREFIX: server.redisPrefix, MALLOC_ARENA_MAX: '2', ...handoff });
    if (!(await worker.lines.next<{ started: boolean }>(120_000))?.started) throw new Error('the worker process exited before starting');
    db = createDb({ url: DATABASE_URL, schema: server.schema, max: 2 });
    images = new Queue('images', { connection: redis, prefix: server.redisPrefix });
    const { rows } = await db.query<{ id: string }>('SELECT id FROM events WHERE slug = $1', [server.event]);
    if (!rows[0]) throw new Error(`event ${server.event} not found`);
    await subscriber.subscribe(liveChannel(server.redisPrefix, rows[0].id));
    log(`worker run: API ${api.child.pid} and worker ${worker.child.pid} on schema ${server.schema}, S3 ${target.kind} ${target.endpoint}`);
  } catch (err) {
    await close();
    throw err;
  }
  const ctx = { target, store, server, api: api!, worker, db, images, subscriber };

  return {
    async run(files) {
      // warm-up: the whole set once, untimed (see the file comment)
      await timedRun(ctx, files);
      return timedRun(ctx, files);
    },
    close,
  };
}

interface Context {
  target: Target;
  store: ObjectStore;
  server: ServerInfo;
  api: Child;
  worker: Child;
  db: Db;
  images: Queue;
  /** subscribed to the event's live channel */
  subscriber: Redis;
}

/**
 * Resolves once every one of `ids` has been announced ready on the live channel, or once
 * PostgreSQL has had none of them left `processing` at two checks a second apart (one failed:
 * the caller's check says which).
 */
function allAnnounced(subscriber: Redis, db: Db, ids: string[]): { done: Promise<void>; stop(): void } {
  const waiting = new Set(ids);
  let noneProcessing = false;
  let over = false;
  let timer: NodeJS.Timeout | undefined;
  let stop = () => {};
  const done = new Promise<void>((resolve, reject) => {
    const started = performance.now();
    const onMessage = (_channel: string, message: string) => {
      const m = JSON.parse(message) as AssetReady;
      if (m.type === 'asset.ready') waiting.delete(m.assetId);
      if (waiting.size === 0) finish();
    };
    const check = async () => {
      try {
        const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM assets WHERE id = ANY($1) AND status = 'processing'`, [ids]);
        // the announcements may have ended the wait while the query ran
        if (over) return;
        if (rows[0]!.n === 0) {
          // the last photo's row is committed just before its announcement: give that one more check
          if (!noneProcessing) noneProcessing = true;
          else {
            // a failed photo (the caller says which), or an announcement missed: the time then ends here, late
            log(`worker run: ${waiting.size} of the photos never announced ready`);
            return finish();
          }
        }
        if (performance.now() - started > RUN_TIMEOUT_MS) return finish(new Error(`${rows[0]!.n} photos still processing after ${RUN_TIMEOUT_MS / 1000} s`));
        timer = setTimeout(() => void check(), FAILURE_CHECK_MS);
      } catch (err) {
        finish(err as Error);
      }
    };
    const finish = (err?: Error) => {
      stop();
      if (err) reject(err);
      else resolve();
    };
    stop = () => {
      over = true;
      clearTimeout(timer);
      subscriber.off('message', onMessage);
    };
    subscriber.on('message', onMessage);
    timer = setTimeout(() => void check(), FAILURE_CHECK_MS);
  });
  return { done, stop: () => stop() };
}

async function report(worker: Child): Promise<WorkerReport> {
  worker.child.stdin!.write('report\n');
  const r = await worker.lines.next<WorkerReport>(30_000);
  if (!r) throw new Error('the worker process exited');
  return r;
}

async function upload(server: ServerInfo, file: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([await readFile(file)], { type: 'image/jpeg' }), path.basename(file));
  const res = await fetch(`${server.url}/api/v1/events/${server.event}/albums/${server.album}/assets`, {
    method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: form,
  });
  const body = await res.json() as { assets?: { id: string; duplicate: boolean }[] };
  const asset = body.assets?.[0];
  if (res.status !== 201 || !asset) throw new Error(`upload of ${file} answered ${res.status}: ${JSON.stringify(body)}`);
  if (asset.duplicate) throw new Error(`${file} was taken for a duplicate: an earlier run was not cleaned up`);
  return asset.id;
}

async function timedRun({ target, store, server, api, worker, db, images, subscriber }: Context, files: string[]): Promise<WorkerRunResult> {
  await images.pause();
  const ids: string[] = [];
  try {
    const [api0, s3up0, up0] = [treeCpuSeconds(api.child.pid!), s3CpuSeconds(target), performance.now()];
    for (const file of files) ids.push(await upload(server, file));
    const s3up1 = s3CpuSeconds(target);
    const uploaded = {
      seconds: (performance.now() - up0) / 1000,
      apiCpuSeconds: treeCpuSeconds(api.child.pid!) - api0,
      s3CpuSeconds: s3up0 !== undefined && s3up1 !== undefined ? s3up1 - s3up0 : undefined,
    };
    // the uploads' own aftermath (the S3 server's, PostgreSQL's) is not the worker's to pay for
    const waited = await settle();
    if (waited > 1) log(`worker run: waited ${waited.toFixed(1)} s for the machine to settle after the uploads`);
    const before = await report(worker);
    const s3cpu0 = s3CpuSeconds(target);
    const [pg0, redis0] = [processesCpuSeconds('postgres'), processesCpuSeconds('redis-server')];
    const load1 = os.loadavg()[0]!;
    const announced = allAnnounced(subscriber, db, ids);
    const t0 = performance.now();
    try {
      await images.resume();
      await announced.done;
    } finally {
      announced.stop();
    }
    const seconds = (performance.now() - t0) / 1000;
    const after = await report(worker);
    const s3cpu1 = s3CpuSeconds(target);
    const [pg1, redis1] = [processesCpuSeconds('postgres'), processesCpuSeconds('redis-server')];
    const spent = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? b - a : undefined);

    const { rows: ends } = await db.query<{ id: string; status: string; error: string | null }>('SELECT id, status, error FROM assets WHERE id = ANY($1)', [ids]);
    const failed = ends.filter((a) => a.status !== 'ready');
    if (ends.length !== ids.length || failed.length > 0) throw new Error(`not every photo became ready: ${JSON.stringify(failed)}`);
    const { rows: renditions } = await db.query<{ asset_id: string; key: string }>('SELECT asset_id, key FROM renditions WHERE asset_id = ANY($1)', [ids]);
    for (const id of ids) {
      const keys = renditions.filter((r) => r.asset_id === id).map((r) => r.key).sort();
      const stored = (await store.list(renditionPrefix(id))).sort();
      if (keys.length === 0 || keys.some((k) => !stored.includes(k))) throw new Error(`asset ${id}: renditions ${JSON.stringify(keys)}, in the bucket ${JSON.stringify(stored)}`);
    }
    return {
      photos: files.length,
      seconds,
      photosPerSecond: files.length / seconds,
      cpuSeconds: after.cpuSeconds - before.cpuSeconds,
      childCpuSeconds: after.childCpuSeconds - before.childCpuSeconds,
      s3CpuSeconds: spent(s3cpu0, s3cpu1),
      postgresCpuSeconds: spent(pg0, pg1),
      redisCpuSeconds: spent(redis0, redis1),
      idleRssMB: before.rss / 1e6,
      peakRssMB: after.peakRss / 1e6,
      renditionsPerPhoto: renditions.length / ids.length,
      s3: target.kind,
      load1,
      upload: uploaded,
    };
  } finally {
    await images.resume();
    for (const id of ids) {
      for (const key of await store.list(renditionPrefix(id))) await store.delete(key);
      await store.delete(originalKey(id));
    }
    await db.query('DELETE FROM assets WHERE id = ANY($1)', [ids]);
    await collectGarbage(target);
  }
}
