/**
 * Upload throughput benchmark: how close does `POST …/assets` come to writing the same bytes
 * straight into S3, and how much memory does the API need meanwhile?
 *
 *   npx tsx bench/upload.ts                    (or: npm run bench:upload)
 *
 * S3 server: Ceph RGW (or any S3) when S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY are set
 * (S3_REGION defaults to us-east-1), the embedded s3rver in a child process otherwise.
 * A fresh bucket is used and removed at the end.
 *
 * Each round runs
 *   baseline  the payload streamed by this process into S3 with the object-store adapter's
 *             own multipart upload (createObjectStore(…).put), no API in between;
 *   api       the same payload POSTed as multipart/form-data over loopback HTTP to the API,
 *             which runs in a child process (bench/upload-server.ts) sampling its own RSS.
 * Every stored object is checked (size; for the API also the sha256 of the assets row, and,
 * unless BENCH_READBACK=0, the SHA-256 of the object read back) and deleted before the next run.
 *
 * Environment:
 *   BENCH_BYTES              payload size                          default 1073741824 (1 GiB)
 *   BENCH_ROUNDS             baseline+api rounds; best-of is kept  default 2
 *   BENCH_WARMUP_BYTES       one untimed upload each way first     default 16 MiB (0: none)
 *   BENCH_READBACK           read each API object back and hash it default 1
 *   BENCH_SERVER_RUNTIME     js: the API process runs compiled JS, as in production (built
 *                            with bench/tsconfig.server.json into bench/results/.build);
 *                            tsx: it runs the TypeScript through tsx (≈ +35 MB RSS)  default js
 *   BENCH_SERVER_ENTRY       run this compiled entry instead of building one (to try a
 *                            modified build of the API)
 *   BENCH_SERVER_NODE_ARGS   node flags for the API process after the production ones, e.g. "--cpu-prof"
 *   DATABASE_URL, REDIS_URL  default postgres://127.0.0.1/lamha_test, redis://127.0.0.1:6379
 *
 * Output: a table on stdout (progress on stderr) and bench/results/upload-<date>.json.
 * Exit status 1 when a run fails or a stored object does not match what was sent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, type Db } from '../src/db/database.js';
import { originalKey } from '../src/storage/keys.js';
import { createObjectStore, type ObjectStore } from '../src/storage/object-store.js';
import { envInt } from './env.js';
import { payloadDigest, payloadStream, peak, postFile } from './upload-client.js';
import {
  API_MALLOC_ENV, API_NODE_ARGS, apiEnv, BUILD_DIR, buildServices, collectGarbage, DATABASE_URL, log, openTarget, removeBucket, ROOT, s3CpuSeconds, spawnNode, spawnTs, stopApi,
  type Child, type MemoryReport, type ServerInfo, type Target,
} from './harness.js';

const MiB = 1024 * 1024;
const MB = 1e6;
const GOAL_RATIO = 0.8;
const GOAL_RSS_MB = 200;

const BYTES = envInt('BENCH_BYTES', 1024 * MiB);
const ROUNDS = Math.max(1, envInt('BENCH_ROUNDS', 2));
const WARMUP_BYTES = envInt('BENCH_WARMUP_BYTES', 16 * MiB);
const READBACK = process.env.BENCH_READBACK !== '0';
const SERVER_RUNTIME = process.env.BENCH_SERVER_RUNTIME ?? 'js';
if (SERVER_RUNTIME !== 'js' && SERVER_RUNTIME !== 'tsx') throw new Error(`BENCH_SERVER_RUNTIME must be js or tsx (got "${SERVER_RUNTIME}")`);
const SERVER_NODE_ARGS = [...API_NODE_ARGS, ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];
const mbps = (bytes: number, seconds: number) => bytes / MB / seconds;
const toMB = (bytes: number) => bytes / MB;
const round1 = (n: number) => Math.round(n * 10) / 10;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

// ---------------------------------------------------------------- runs

interface RunResult {
  round: number;
  kind: 'baseline' | 'api';
  bytes: number;
  seconds: number;
  mbPerSecond: number;
  /** CPU seconds of the process doing the upload: this process for baseline, the API for api */
  uploaderCpuSeconds: number | undefined;
  /** of which in the kernel (socket reads and writes, mostly) */
  uploaderSystemCpuSeconds: number | undefined;
  /** CPU seconds of this process while it sent the request (api runs) */
  clientCpuSeconds?: number;
  s3ServerCpuSeconds: number | undefined;
  /** peak RSS of the uploading process during the run (sampled every 50 ms) */
  peakRssMB: number;
  /** api runs: the API's RSS before the upload, and its peak V8 heap and Buffer memory during it */
  apiMemoryMB?: { rssBefore: number; peakHeapUsed: number; peakArrayBuffers: number };
  verified: { size: boolean; dbSha256?: boolean; dbBytes?: boolean; readbackSha256?: boolean };
  gcSeconds?: number;
}

// RSS of this process, sampled like the API process samples its own.
let ownPeak = 0;
setInterval(() => {
  ownPeak = Math.max(ownPeak, process.memoryUsage.rss());
}, 50).unref();

function cpuSelf(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

function cpuSelfSystem(): number {
  return process.cpuUsage().system / 1e6;
}

async function runBaseline(store: ObjectStore, target: Target, round: number, bytes: number, seed: string): Promise<RunResult> {
  const key = `bench/baseline-${round}-${seed}`;
  ownPeak = process.memoryUsage.rss();
  const cpu0 = cpuSelf();
  const sys0 = cpuSelfSystem();
  const s3cpu0 = s3CpuSeconds(target);
  const t0 = performance.now();
  const put = await store.put(key, payloadStream(bytes, seed), { contentType: 'image/jpeg' });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSelf() - cpu0;
  const sys = cpuSelfSystem() - sys0;
  const s3cpu1 = s3CpuSeconds(target);
  const stat = await store.stat(key);
  await store.delete(key);
  return {
    round, kind: 'baseline', bytes, seconds, mbPerSecond: mbps(bytes, seconds),
    uploaderCpuSeconds: cpu,
    uploaderSystemCpuSeconds: sys,
    s3ServerCpuSeconds: s3cpu0 !== undefined && s3cpu1 !== undefined ? s3cpu1 - s3cpu0 : undefined,
    peakRssMB: toMB(ownPeak),
    verified: { size: stat.size === bytes && put.bytes === bytes },
  };
}

async function runApi(
  store: ObjectStore, target: Target, db: Db, server: ServerInfo, round: number, bytes: number, seed: string, expected: Buffer,
): Promise<RunResult> {
  const before = await peak(server, true);
  const cpu0 = cpuSelf();
  const s3cpu0 = s3CpuSeconds(target);
  const res = await postFile(server, bytes, seed);
  const clientCpu = cpuSelf() - cpu0;
  const s3cpu1 = s3CpuSeconds(target);
  const after = await peak(server, false);
  if (res.statusCode !== 201) throw new Error(`upload answered ${res.statusCode}: ${JSON.stringify(res.json)}`);
  const asset = (res.json as { assets: { id: string; duplicate: boolean }[] }).assets[0]!;
  if (asset.duplicate) throw new Error('the upload was taken for a duplicate: the previous run was not cleaned up');

  const { rows } = await db.query<{ bytes: number; sha256: Buffer }>('SELECT bytes, sha256 FROM assets WHERE id = $1', [asset.id]);
  const row = rows[0];
  const key = originalKey(asset.id);
  const stat = await store.stat(key);
  let readbackSha256: boolean | undefined;
  if (READBACK) {
    const hash = createHash('sha256');
    for await (const chunk of await store.get(key)) hash.update(chunk as Buffer);
    readbackSha256 = hash.digest().equals(expected);
  }
  await store.delete(key);
  await db.query('DELETE FROM assets WHERE id = $1', [asset.id]);

  const cpu = (r: MemoryReport) => (r.cpuUserMicros + r.cpuSystemMicros) / 1e6;
  return {
    round, kind: 'api', bytes, seconds: res.seconds, mbPerSecond: mbps(bytes, res.seconds),
    uploaderCpuSeconds: cpu(after) - cpu(before),
    uploaderSystemCpuSeconds: (after.cpuSystemMicros - before.cpuSystemMicros) / 1e6,
    clientCpuSeconds: clientCpu,
    s3ServerCpuSeconds: s3cpu0 !== undefined && s3cpu1 !== undefined ? s3cpu1 - s3cpu0 : undefined,
    peakRssMB: toMB(after.peakRss),
    apiMemoryMB: { rssBefore: round1(toMB(before.rss)), peakHeapUsed: round1(toMB(after.peakHeapUsed)), peakArrayBuffers: round1(toMB(after.peakArrayBuffers)) },
    verified: {
      size: stat.size === bytes,
      dbBytes: row?.bytes === bytes,
      dbSha256: row !== undefined && Buffer.from(row.sha256).equals(expected),
      ...(readbackSha256 !== undefined && { readbackSha256 }),
    },
  };
}

// ---------------------------------------------------------------- main

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined ? '-' : n.toFixed(digits));

async function main(): Promise<number> {
  const started = new Date();
  const loadAtStart = os.loadavg();
  const target = await openTarget();
  const unique = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const store = createObjectStore({
    endpoint: target.endpoint, accessKey: target.accessKey, secretKey: target.secretKey, region: target.region,
    bucket: `lamha-bench-${unique}`,
  });
  let api: Child | undefined;
  let server: ServerInfo | undefined;
  let final: MemoryReport | undefined;
  let db: Db | undefined;
  const runs: RunResult[] = [];
  let failure: unknown;
  let idle: MemoryReport | undefined;
  let gen: { seconds: number } | undefined;

  try {
    log(`target: ${target.kind} ${target.endpoint}, bucket ${store.bucket}, ${BYTES} bytes × ${ROUNDS} rounds`);
    await store.ensureBucket();

    const serverEnv = { ...apiEnv(target, store.bucket), ...API_MALLOC_ENV };
    api = process.env.BENCH_SERVER_ENTRY
      ? spawnNode([...SERVER_NODE_ARGS, path.resolve(process.env.BENCH_SERVER_ENTRY)], serverEnv)
      : SERVER_RUNTIME === 'js'
      ? spawnNode([...SERVER_NODE_ARGS, buildServices(['upload-server'])['upload-server']], serverEnv)
      : spawnTs('bench/upload-server.ts', serverEnv, SERVER_NODE_ARGS);
    server = await api.lines.next<ServerInfo>(120_000);
    if (!server) throw new Error('the API process exited before listening');
    db = createDb({ url: DATABASE_URL, schema: server.schema, max: 2 });
    log(`API process ${api.child.pid} on ${server.url}, schema ${server.schema}`);

    if (WARMUP_BYTES > 0) {
      const w = Math.min(WARMUP_BYTES, BYTES);
      log(`warm-up: ${w} bytes each way`);
      await runBaseline(store, target, 0, w, `warmup-${unique}`);
      await runApi(store, target, db, server, 0, w, `warmup-${unique}`, payloadDigest(w, `warmup-${unique}`).sha256);
    }
    idle = await peak(server, true);

    const seed = `payload-${unique}`;
    const digest = payloadDigest(BYTES, seed);
    gen = digest;
    log(`payload sha256 ${digest.sha256.toString('hex')} (generated and hashed at ${fmt(mbps(BYTES, digest.seconds))} MB/s)`);

    for (let round = 1; round <= ROUNDS; round++) {
      const b = await runBaseline(store, target, round, BYTES, seed);
      b.gcSeconds = await collectGarbage(target);
      runs.push(b);
      log(`round ${round} baseline: ${fmt(b.mbPerSecond)} MB/s in ${fmt(b.seconds, 2)} s`);
      const a = await runApi(store, target, db, server, round, BYTES, seed, digest.sha256);
      a.gcSeconds = await collectGarbage(target);
      runs.push(a);
      log(`round ${round} api:      ${fmt(a.mbPerSecond)} MB/s in ${fmt(a.seconds, 2)} s, peak RSS ${fmt(a.peakRssMB)} MB`);
    }
  } catch (err) {
    failure = err;
    log(`FAILED: ${err instanceof Error ? err.stack : String(err)}`);
  } finally {
    if (api) final = await stopApi(api, server);
    await db?.end();
    await removeBucket(store);
    await collectGarbage(target);
    await target.close();
    rmSync(BUILD_DIR, { recursive: true, force: true });
  }

  const best = (kind: RunResult['kind']) => {
    const of = runs.filter((r) => r.kind === kind);
    return of.length ? Math.max(...of.map((r) => r.mbPerSecond)) : undefined;
  };
  const baseline = best('baseline');
  const apiBest = best('api');
  const ratio = baseline && apiBest ? apiBest / baseline : undefined;
  const apiPeak = runs.filter((r) => r.kind === 'api').reduce((m, r) => Math.max(m, r.peakRssMB), 0) || undefined;
  const verifiedOk = runs.length > 0 && runs.every((r) => Object.values(r.verified).every(Boolean));

  const rows = [['run', 'MB/s', 'seconds', 'uploader CPU s (sys)', 'client CPU s', 'S3 server CPU s', 'peak RSS MB', 'verified']];
  for (const r of runs) {
    rows.push([
      `${r.kind} #${r.round}`, fmt(r.mbPerSecond), fmt(r.seconds, 2), `${fmt(r.uploaderCpuSeconds, 2)} (${fmt(r.uploaderSystemCpuSeconds, 2)})`, fmt(r.clientCpuSeconds, 2),
      fmt(r.s3ServerCpuSeconds, 2), fmt(r.peakRssMB), Object.entries(r.verified).map(([k, v]) => `${k}:${v ? 'ok' : 'FAIL'}`).join(' '),
    ]);
  }
  const out: string[] = [];
  out.push(`Upload benchmark — ${toMB(BYTES).toFixed(0)} MB (${BYTES} bytes) to ${target.kind} (${target.endpoint}), best of ${ROUNDS}`);
  out.push('');
  out.push(table(rows));
  out.push('');
  out.push(`baseline (adapter → S3)  ${fmt(baseline)} MB/s`);
  out.push(`api (HTTP → API → S3)    ${fmt(apiBest)} MB/s`);
  out.push(`ratio api/baseline       ${fmt(ratio, 2)}   goal ≥ ${GOAL_RATIO}  ${ratio === undefined ? '' : ratio >= GOAL_RATIO ? 'met' : 'MISSED'}`);
  out.push(`API peak RSS             ${fmt(apiPeak)} MB  goal < ${GOAL_RSS_MB} MB  ${apiPeak === undefined ? '' : apiPeak < GOAL_RSS_MB ? 'met' : 'MISSED'}`);
  out.push(`API RSS idle / lifetime max  ${fmt(idle && toMB(idle.rss))} / ${fmt(final && toMB(final.maxRss))} MB`);
  out.push(`load average start / end  ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} / ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}  (${os.cpus().length} CPUs)`);
  out.push(`verification             ${verifiedOk ? 'all stored objects match what was sent' : 'FAILED'}`);
  process.stdout.write(`${out.join('\n')}\n`);

  const result = {
    benchmark: 'upload',
    date: started.toISOString(),
    host: {
      node: process.version, platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model,
      totalMemMB: round1(toMB(os.totalmem())),
      // other work on the machine skews the figures: compare runs made under similar load
      loadAverage: { start: loadAtStart.map(round1), end: os.loadavg().map(round1) },
    },
    target: { kind: target.kind, endpoint: target.endpoint },
    config: { bytes: BYTES, rounds: ROUNDS, warmupBytes: WARMUP_BYTES, readback: READBACK, serverRuntime: process.env.BENCH_SERVER_ENTRY ? `entry ${process.env.BENCH_SERVER_ENTRY}` : SERVER_RUNTIME, serverNodeArgs: SERVER_NODE_ARGS, adapter: 'createObjectStore defaults (5 MiB parts, 2 in flight)' },
    units: { MB: 1e6, seconds: 'wall clock from first byte sent to answer received' },
    payloadGenerateHashMBps: gen ? round1(mbps(BYTES, gen.seconds)) : undefined,
    runs: runs.map((r) => ({
      ...r, seconds: round3(r.seconds), mbPerSecond: round1(r.mbPerSecond), peakRssMB: round1(r.peakRssMB),
      uploaderCpuSeconds: r.uploaderCpuSeconds === undefined ? undefined : round3(r.uploaderCpuSeconds),
      uploaderSystemCpuSeconds: r.uploaderSystemCpuSeconds === undefined ? undefined : round3(r.uploaderSystemCpuSeconds),
      clientCpuSeconds: r.clientCpuSeconds === undefined ? undefined : round3(r.clientCpuSeconds),
      s3ServerCpuSeconds: r.s3ServerCpuSeconds === undefined ? undefined : round3(r.s3ServerCpuSeconds),
      gcSeconds: r.gcSeconds === undefined ? undefined : round3(r.gcSeconds),
    })),
    best: { baselineMBps: baseline && round1(baseline), apiMBps: apiBest && round1(apiBest), ratio: ratio && round3(ratio) },
    api: { peakRssMB: apiPeak && round1(apiPeak), idleRssMB: idle && round1(toMB(idle.rss)), lifetimeMaxRssMB: final && round1(toMB(final.maxRss)) },
    goals: {
      ratio: { min: GOAL_RATIO, met: ratio !== undefined && ratio >= GOAL_RATIO },
      peakRssMB: { max: GOAL_RSS_MB, met: apiPeak !== undefined && apiPeak < GOAL_RSS_MB },
    },
    verified: verifiedOk,
    error: failure ? (failure instanceof Error ? failure.message : String(failure)) : undefined,
  };
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `upload-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`results: ${path.relative(process.cwd(), file)}\n`);
  return failure || !verifiedOk ? 1 : 0;
}

process.exitCode = await main();
