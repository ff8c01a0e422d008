/**
 * Load: an upload storm and gallery traffic on one machine (issue 17's `bench/load`).
 *
 *   npx tsx bench/load.ts                    (or: npm run bench:load)
 *   LOAD_LARGE=2 LOAD_SMALL=20 npx tsx bench/load.ts       a quick look
 *
 * What runs, as users run it: the API (bench/upload-server.ts: the real app, compiled and started
 * with plain node and the production flags, a schema, Redis prefix and bucket of its own) and one
 * worker (bench/images-worker.ts: what workers/main.ts starts, every queue at its production
 * concurrency) in processes of their own, against PostgreSQL, Redis and the S3 server
 * (S3_ENDPOINT …, else the embedded one in a process of its own). Inputs: bench/load-inputs.ts.
 *
 *  1. setup: the event and album published through the API with an admin token; LOAD_SEED
 *     photos uploaded and made ready, so the gallery has something to show.
 *  2. baseline: LOAD_GALLERY_CLIENTS visitor loops (bench/load-gallery.ts, a process of its own)
 *     fetch the event page, the album page, the album's and event's JSON and renditions under
 *     /media for LOAD_BASELINE_SECONDS.
 *  3. storm: all LOAD_LARGE videos (≈ LOAD_LARGE_MB MB) and all LOAD_SMALL photos POSTed at once,
 *     each multipart/form-data on a connection of its own with a photographer's token, while
 *     the visitors go on.
 *  4. processing: from the last upload's answer until every asset is `ready` (polled in PostgreSQL).
 *  5. after: the visitors for LOAD_AFTER_SECONDS more.
 * The RSS of the API and the worker (VmRSS in /proc, every 100 ms) and the load average are
 * sampled throughout.
 *
 * The run fails (exit status 1) when: any answer is 5xx (uploads or visitors); an upload is not
 * answered 201 as a new asset; the event does not hold exactly one asset row per input (by
 * SHA-256: none lost, none twice); an asset is not `ready` within LOAD_READY_TIMEOUT s; or the
 * API's peak RSS from the storm on exceeds its peak in the baseline by more than
 * LOAD_RSS_MARGIN_MB.
 *
 * The visitors come from one address, so the per-address public rate limits are lifted
 * (RATE_LIMIT_API_PER_MINUTE=0, RATE_LIMIT_PAGES_PER_MINUTE=0): at a venue they are hundreds of
 * addresses. The photographer's token keeps its limit (3 000 a minute).
 *
 * Output: a table on stdout (progress on stderr) and bench/results/load-<date>.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { createDb, type Db } from '../src/db/database.js';
import { insertToken } from '../src/db/tokens.js';
import { QUEUE_NAMES } from '../src/queues/jobs.js';
import { createRedis } from '../src/redis/connection.js';
import { generateToken, hashToken } from '../src/services/tokens.js';
import { createObjectStore } from '../src/storage/object-store.js';
import { envInt } from './env.js';
import {
  API_MALLOC_ENV, API_NODE_ARGS, apiEnv, BUILD_DIR, buildServices, collectGarbage, DATABASE_URL, log, openTarget, REDIS_URL, removeBucket, ROOT,
  spawnNode, spawnTs, stopApi, stopChild, type Child, type MemoryReport, type ServerInfo,
} from './harness.js';
import type { PhaseStats } from './load-gallery.js';
import { largePhotoInputs, largeVideoInputs, smallInputs, type LoadInput } from './load-inputs.js';
import { countBy, printReport, type LoadReport, type UploadResult } from './load-report.js';
import { peak, postPart } from './upload-client.js';

const LARGE = envInt('LOAD_LARGE', 50);
const LARGE_VIDEOS = Math.min(LARGE, envInt('LOAD_LARGE_VIDEOS', 10));
const SMALL = envInt('LOAD_SMALL', 500);
const LARGE_MB = envInt('LOAD_LARGE_MB', 50);
const LARGE_SECONDS = envInt('LOAD_LARGE_SECONDS', 5);
const SEED = envInt('LOAD_SEED', 12);
const CLIENTS = envInt('LOAD_GALLERY_CLIENTS', 20);
const BASELINE_SECONDS = envInt('LOAD_BASELINE_SECONDS', 20);
const AFTER_SECONDS = envInt('LOAD_AFTER_SECONDS', 20);
const READY_TIMEOUT_SECONDS = envInt('LOAD_READY_TIMEOUT', 1500);
const RSS_MARGIN_MB = envInt('LOAD_RSS_MARGIN_MB', 300);
const RUNTIME = process.env.LOAD_RUNTIME === 'tsx' ? 'tsx' : 'js';
const MB = 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** VmRSS of a process in bytes, from /proc; 0 once it is gone. */
function vmRss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** `pid` and its descendants (the worker's ffmpeg, ffprobe and exiftool processes). */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      out.push(...readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // gone
    }
  }
  return out;
}

/** RSS of the API and the worker every 100 ms, peaks per phase, one point a second for the JSON. */
class RssSampler {
  phase = 'setup';
  readonly peaks = new Map<string, { api: number; worker: number; workerTree: number; load1: number }>();
  readonly series: { t: number; phase: string; apiMB: number; workerMB: number; workerTreeMB: number; load1: number }[] = [];
  samples = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly t0 = performance.now();
  private lastPoint = -1;
  constructor(private readonly apiPid: number, private readonly workerPid: number) {
    this.timer = setInterval(() => this.sample(), 100);
  }

  sample(): void {
    const api = vmRss(this.apiPid);
    const worker = vmRss(this.workerPid);
    const workerTree = tree(this.workerPid).reduce((sum, pid) => sum + vmRss(pid), 0);
    const load1 = os.loadavg()[0]!;
    this.samples++;
    const p = this.peaks.get(this.phase) ?? { api: 0, worker: 0, workerTree: 0, load1: 0 };
    this.peaks.set(this.phase, { api: Math.max(p.api, api), worker: Math.max(p.worker, worker), workerTree: Math.max(p.workerTree, workerTree), load1: Math.max(p.load1, load1) });
    const t = Math.floor((performance.now() - this.t0) / 1000);
    if (t !== this.lastPoint) {
      this.lastPoint = t;
      this.series.push({ t, phase: this.phase, apiMB: api / MB, workerMB: worker / MB, workerTreeMB: workerTree / MB, load1 });
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function upload(server: ServerInfo, input: LoadInput, t0: number): Promise<UploadResult> {
  const startedAt = (performance.now() - t0) / 1000;
  try {
    const res = await postPart(server, { filename: input.filename, type: input.type, bytes: input.bytes, chunks: input.chunks });
    const asset = (res.json as { assets?: { id: string; duplicate: boolean }[] } | undefined)?.assets?.[0];
    return {
      name: input.name, kind: input.kind, bytes: input.bytes, status: res.statusCode, seconds: res.seconds, startedAt, endedAt: startedAt + res.seconds,
      id: asset?.id, duplicate: asset?.duplicate, ...(res.statusCode !== 201 && { body: JSON.stringify(res.json).slice(0, 300) }),
    };
  } catch (err) {
    const endedAt = (performance.now() - t0) / 1000;
    return { name: input.name, kind: input.kind, bytes: input.bytes, status: 0, seconds: endedAt - startedAt, startedAt, endedAt, body: err instanceof Error ? err.message : String(err) };
  }
}

async function statusCounts(db: Db, eventId: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM assets WHERE event_id = $1 GROUP BY status', [eventId]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function api<T>(server: ServerInfo, token: string, method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${url}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function main(): Promise<number> {
  const started = new Date();
  const loadAtStart = os.loadavg();
  log(`load: ${LARGE} files of ≈${LARGE_MB} MB (${LARGE_VIDEOS} videos, the rest TIFFs) and ${SMALL} photos at once, ${CLIENTS} visitors; load average ${loadAtStart.map((n) => n.toFixed(2)).join(' ')}`);
  const t0Inputs = performance.now();
  const videos = await largeVideoInputs(LARGE_VIDEOS, LARGE_MB, LARGE_SECONDS);
  const large = { inputs: [...videos.inputs, ...(await largePhotoInputs(LARGE - LARGE_VIDEOS, LARGE_MB))], bitrateK: videos.bitrateK };
  const small = await smallInputs(SMALL);
  const seeds = await smallInputs(SEED, SMALL);
  const inputsSeconds = (performance.now() - t0Inputs) / 1000;
  const storm = [...large.inputs, ...small];

  const target = await openTarget();
  const store = createObjectStore({
    endpoint: target.endpoint, accessKey: target.accessKey, secretKey: target.secretKey, region: target.region,
    bucket: `lamha-bench-load-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
  });
  let apiChild: Child | undefined;
  let server: ServerInfo | undefined;
  let worker: Child | undefined;
  let gallery: Child | undefined;
  let db: Db | undefined;
  let sampler: RssSampler | undefined;
  const redis = createRedis(REDIS_URL);
  try {
    await store.ensureBucket();
    const entries = RUNTIME === 'js' ? buildServices(['upload-server', 'images-worker']) : undefined;
    const start = (name: 'upload-server' | 'images-worker', env: Record<string, string>, nodeArgs: readonly string[] = []) =>
      (entries ? spawnNode([...nodeArgs, entries[name]], env) : spawnTs(`bench/${name}.ts`, env, [...nodeArgs]));
    apiChild = start('upload-server', { ...apiEnv(target, store.bucket), ...API_MALLOC_ENV, RATE_LIMIT_API_PER_MINUTE: '0', RATE_LIMIT_PAGES_PER_MINUTE: '0' }, API_NODE_ARGS);
    server = await apiChild.lines.next<ServerInfo>(120_000);
    if (!server) throw new Error('the API process exited before listening');
    worker = start('images-worker', { ...apiEnv(target, store.bucket), BENCH_SCHEMA: server.schema, BENCH_REDIS_PREFIX: server.redisPrefix, MALLOC_ARENA_MAX: '2' });
    if (!(await worker.lines.next<{ started: boolean }>(120_000))?.started) throw new Error('the worker process exited before starting');
    sampler = new RssSampler(apiChild.child.pid!, worker.child.pid!);
    db = createDb({ url: DATABASE_URL, schema: server.schema, max: 2 });
    log(`API ${apiChild.child.pid}, worker ${worker.child.pid}, schema ${server.schema}, S3 ${target.kind} ${target.endpoint}`);

    // 1. setup: published event and album, seed photos ready
    const { rows: [event] } = await db.query<{ id: string }>('SELECT id FROM events WHERE slug = $1', [server.event]);
    const admin = generateToken();
    await insertToken(db, { hash: hashToken(admin), role: 'admin', eventId: null, label: 'bench load admin', createdBy: null, expiresAt: null });
    await api(server, admin, 'PATCH', `/api/v1/events/${server.event}`, { status: 'published' });
    await api(server, admin, 'PATCH', `/api/v1/events/${server.event}/albums/${server.album}`, { status: 'published' });
    const seedResults: UploadResult[] = [];
    for (const input of seeds) seedResults.push(await upload(server, input, performance.now()));
    const seedIds = seedResults.map((r) => r.id).filter((id): id is string => id !== undefined);
    if (seedIds.length !== SEED) throw new Error(`seed uploads failed: ${JSON.stringify(seedResults.filter((r) => r.status !== 201))}`);
    for (const t = performance.now(); (await statusCounts(db, event!.id)).processing; await sleep(200)) {
      if (performance.now() - t > 120_000) throw new Error('the seed photos were not ready within 120 s');
    }
    const media: { kind: string; path: string }[] = [];
    for (const id of seedIds.slice(0, 4)) {
      const asset = await api<{ renditions: Record<string, { url: string }> | { name: string; url: string }[] }>(server, admin, 'GET', `/api/v1/assets/${id}`);
      const entries = Array.isArray(asset.renditions) ? asset.renditions.map((r) => [r.name, r] as const) : Object.entries(asset.renditions);
      for (const want of ['thumb', 'medium']) {
        const r = entries.find(([n]) => n.startsWith(want) && n.endsWith('.webp')) ?? entries.find(([n]) => n.startsWith(want));
        if (r) media.push({ kind: `media ${want}`, path: new URL(r[1].url, server.url).pathname });
      }
    }
    if (media.length === 0) throw new Error('the seed photos have no thumb or medium rendition to fetch');
    const paths = [
      { kind: 'event page', path: `/en/e/${server.event}` },
      { kind: 'album page', path: `/en/e/${server.event}/${server.album}` },
      { kind: 'album JSON', path: `/api/v1/events/${server.event}/albums/${server.album}?limit=50` },
      { kind: 'event JSON', path: `/api/v1/events/${server.event}` },
      ...media,
    ];
    for (const p of paths) {
      const res = await fetch(`${server.url}${p.path}`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${p.path} answered ${res.status} before the load`);
    }

    // 2. baseline
    gallery = spawnTs('bench/load-gallery.ts', { LOAD_GALLERY_URL: server.url, LOAD_GALLERY_PATHS: JSON.stringify(paths), LOAD_GALLERY_CLIENTS: String(CLIENTS) });
    if (!(await gallery.lines.next<{ started: boolean }>(60_000))?.started) throw new Error('the visitors did not start');
    const apiPhases: Record<string, MemoryReport> = {};
    // the database's sessions each second: how many wait for an event's version lock (the API's
    // registrations), how many are not idle (any client of the database)
    const sessions: Record<string, { lockWaitMax: number; activeMax: number }> = {};
    const dbWatch = setInterval(() => {
      void db!.query<{ waiting: number; active: number }>(
        // (other sessions on this machine may share the database: only the gallery's version bump is counted as waiting)
        `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock' AND query LIKE '%gallery_versions%')::int AS waiting,
                count(*) FILTER (WHERE state <> 'idle')::int AS active
         FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).then(({ rows: [r] }) => {
        const s = (sessions[sampler!.phase] ??= { lockWaitMax: 0, activeMax: 0 });
        s.lockWaitMax = Math.max(s.lockWaitMax, r!.waiting);
        s.activeMax = Math.max(s.activeMax, r!.active);
      }).catch(() => {});
    }, 1000);
    const phase = async (name: string) => {
      gallery!.child.stdin!.write(`phase ${name}\n`);
      apiPhases[sampler!.phase] = await peak(server!, true);
      sampler!.phase = name;
      log(`phase ${name}: load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
    };
    apiPhases.setup = await peak(server, true);
    sampler.phase = 'warm-up';
    await sleep(3000); // not counted
    await phase('baseline');
    await sleep(BASELINE_SECONDS * 1000);

    // 3. storm
    await phase('storm');
    const t0 = performance.now();
    const results = await Promise.all(storm.map((input) => upload(server!, input, t0)));
    const uploadsSeconds = (performance.now() - t0) / 1000;
    log(`uploads answered in ${uploadsSeconds.toFixed(1)} s: ${JSON.stringify(countBy(results.map((r) => String(r.status))))}`);

    // 4. processing until every asset has left `processing`
    await phase('processing');
    const ids = results.map((r) => r.id).filter((id): id is string => id !== undefined);
    const readyAt: Record<'videos' | 'images', number | undefined> = { videos: undefined, images: undefined };
    let lastLog = 0;
    let timedOut = false;
    for (;;) {
      const { rows } = await db.query<{ kind: string; status: string; n: number }>(
        'SELECT kind, status, count(*)::int AS n FROM assets WHERE id = ANY($1) GROUP BY kind, status', [ids]);
      const now = (performance.now() - t0) / 1000;
      const left = (kind: string) => rows.filter((r) => r.kind === kind && r.status === 'processing').reduce((s, r) => s + r.n, 0);
      if (readyAt.videos === undefined && left('video') === 0) readyAt.videos = now;
      if (readyAt.images === undefined && left('image') === 0) readyAt.images = now;
      if (left('video') + left('image') === 0) break;
      if (now - lastLog >= 30) {
        lastLog = now;
        log(`  ${now.toFixed(0)} s: ${rows.map((r) => `${r.kind} ${r.status} ${r.n}`).join(', ')}`);
      }
      if (now > READY_TIMEOUT_SECONDS) {
        timedOut = true;
        break;
      }
      await sleep(1000);
    }
    const allReadySeconds = (performance.now() - t0) / 1000;

    // 5. after
    await phase('after');
    await sleep(AFTER_SECONDS * 1000);
    apiPhases[sampler.phase] = await peak(server, true);
    clearInterval(dbWatch);
    gallery.child.stdin!.write('stop\n');
    const summary = (await gallery.lines.next<{ summary: LoadReport['gallery'] }>(60_000))?.summary ?? [];
    sampler.stop();

    // the checks
    const { rows: assets } = await db.query<{ id: string; sha256: string; status: string; kind: string; error: string | null; progress: number | null }>(
      `SELECT id, encode(sha256, 'hex') AS sha256, status, kind, error, progress FROM assets WHERE event_id = $1`, [event!.id]);
    const jobCounts: Record<string, Record<string, number>> = {};
    const jobSeconds: Record<string, { jobs: number; seconds: number[] }> = {};
    for (const name of QUEUE_NAMES) {
      const q = new Queue(name, { connection: redis, prefix: server.redisPrefix });
      jobCounts[name] = await q.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed', 'waiting-children');
      // where the worker's time went: each job's run time, per job name (retries count as one)
      for (const job of await q.getJobs(['completed', 'failed'], 0, 100_000)) {
        const d = (jobSeconds[job.name] ??= { jobs: 0, seconds: [] as number[] });
        d.jobs++;
        if (job.processedOn && job.finishedOn) d.seconds.push((job.finishedOn - job.processedOn) / 1000);
      }
      await q.close();
    }
    const report: LoadReport = {
      started: started.toISOString(), host: { cpus: os.cpus().length, node: process.version, loadAtStart, loadAtEnd: os.loadavg() },
      config: { large: LARGE, largeVideos: LARGE_VIDEOS, small: SMALL, largeMB: LARGE_MB, largeSeconds: LARGE_SECONDS, largeBitrateK: large.bitrateK, seed: SEED, clients: CLIENTS, baselineSeconds: BASELINE_SECONDS, afterSeconds: AFTER_SECONDS, rssMarginMB: RSS_MARGIN_MB, uploadMemoryMB: process.env.UPLOAD_MEMORY_MB ?? 'default', s3: target.kind, runtime: RUNTIME, apiNodeArgs: API_NODE_ARGS },
      inputs: { large: { count: large.inputs.length, videos: videos.inputs.length, videoBytes: videos.inputs[0]?.bytes ?? 0, tiffBytes: large.inputs.at(-1)?.bytes ?? 0 }, small: { count: small.length, bytes: small.reduce((s, i) => s + i.bytes, 0) }, seconds: inputsSeconds },
      uploads: results, uploadsSeconds, readyAt, allReadySeconds, timedOut, gallery: summary,
      rss: Object.fromEntries(sampler.peaks), rssSamples: sampler.samples, rssSeries: sampler.series, jobCounts, jobSeconds, sessions,
      eventLoop: Object.fromEntries(Object.entries(apiPhases).map(([k, v]) => [k, { maxMs: v.eventLoopDelayMaxMs ?? NaN, p99Ms: v.eventLoopDelayP99Ms ?? NaN }])),
      apiMemory: Object.fromEntries(Object.entries(apiPhases).map(([k, v]) => [k, { heapUsed: v.peakHeapUsed ?? NaN, arrayBuffers: v.peakArrayBuffers ?? NaN }])),
      assets: { rows: assets.length, byStatus: countBy(assets.map((a) => a.status)), failed: assets.filter((a) => a.status === 'failed').map((a) => ({ id: a.id, error: a.error })) },
      expected: { inputs: [...seeds, ...storm].map((i) => ({ name: i.name, sha256: i.sha256 })) },
    };
    const failures = printReport(report, assets);
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    const out = path.join(ROOT, 'bench/results', `load-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(out, JSON.stringify({ ...report, failures }, null, 2));
    log(`wrote ${path.relative(ROOT, out)}`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    sampler?.stop();
    if (gallery) await stopChild(gallery.child);
    if (worker) await stopChild(worker.child);
    if (apiChild) await stopApi(apiChild, server);
    redis.disconnect();
    await db?.end();
    await removeBucket(store);
    await collectGarbage(target);
    await target.close();
    if (RUNTIME === 'js') rmSync(BUILD_DIR, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((err: unknown) => {
  log(`load failed: ${err instanceof Error ? err.stack : String(err)}`);
  return 1;
});
