/**
 * Resumable (tus) uploads against multipart in the same run: MB/s of each and the API's peak
 * RSS meanwhile.
 *
 *   npx tsx bench/resumable.ts                 (or: npm run bench:resumable)
 *
 * S3 server as bench/upload.ts: Ceph RGW (or any S3) from S3_ENDPOINT/S3_ACCESS_KEY/S3_SECRET_KEY,
 * else the embedded s3rver in a child process; a fresh bucket, removed at the end. The API runs
 * in a child process (bench/upload-server.ts) that samples its own RSS.
 *
 * Each round uploads the same payload file (a JPEG head, then a reproducible keystream, written
 * to a temporary file first) twice:
 *   multipart  POST …/assets as multipart/form-data, one request (what curl does);
 *   tus        tus-js-client from the file, as a browser or app uploads: POST to create, then
 *              one PATCH with the whole file (its default chunk size), the finish included.
 * Every stored upload is checked (the asset's SHA-256 and size in PostgreSQL, the object's size)
 * and deleted before the next run.
 *
 * Environment:
 *   BENCH_BYTES     payload size                     default 1073741824 (1 GiB)
 *   BENCH_ROUNDS    multipart+tus rounds; best kept   default 2
 *   DATABASE_URL, REDIS_URL as for bench/upload.ts
 *
 * Output: a table on stdout and bench/results/resumable-<date>.json; exit status 1 when a run
 * fails or a stored file does not match.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tus from 'tus-js-client';
import { createDb, type Db } from '../src/db/database.js';
import { originalKey } from '../src/storage/keys.js';
import { createObjectStore, type ObjectStore } from '../src/storage/object-store.js';
import { envInt } from './env.js';
import {
  API_MALLOC_ENV, API_NODE_ARGS, apiEnv, BUILD_DIR, buildServices, collectGarbage, DATABASE_URL, log, openTarget, removeBucket, ROOT, spawnNode, stopApi,
  type Child, type MemoryReport, type ServerInfo,
} from './harness.js';
import { payloadStream, peak, postFile } from './upload-client.js';

const MiB = 1024 * 1024;
const MB = 1e6;
const GOAL_RATIO = 0.8;
const GOAL_RSS_MB = 200;
const BYTES = envInt('BENCH_BYTES', 1024 * MiB);
const ROUNDS = Math.max(1, envInt('BENCH_ROUNDS', 2));

type Kind = 'multipart' | 'tus';

interface Run {
  round: number;
  kind: Kind;
  seconds: number;
  mbPerSecond: number;
  peakRssMB: number;
  verified: boolean;
}

/** One tus upload of the file with tus-js-client; answers the asset id and the seconds it took. */
function tusUpload(server: ServerInfo, file: string): Promise<{ assetId: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    let last: tus.HttpResponse | undefined;
    const t0 = performance.now();
    const upload = new tus.Upload(createReadStream(file), {
      endpoint: `${server.url}/api/v1/uploads`,
      headers: { authorization: `Bearer ${server.token}` },
      metadata: { event: server.event, album: server.album, filename: path.basename(file), filetype: 'image/jpeg' },
      onAfterResponse: (_req, res) => {
        last = res;
      },
      onSuccess: () => resolve({ assetId: last?.getHeader('Lamha-Asset-Id') ?? '', seconds: (performance.now() - t0) / 1000 }),
      onError: reject,
    });
    upload.start();
  });
}

async function verifyAndDelete(store: ObjectStore, db: Db, assetId: string, sha256: Buffer, bytes: number): Promise<boolean> {
  const { rows } = await db.query<{ bytes: string; sha256: Buffer }>('SELECT bytes, sha256 FROM assets WHERE id = $1', [assetId]);
  const stat = await store.stat(originalKey(assetId));
  await store.delete(originalKey(assetId));
  await db.query('DELETE FROM assets WHERE id = $1', [assetId]);
  await db.query('DELETE FROM resumable_uploads');
  return rows[0] !== undefined && Number(rows[0].bytes) === bytes && Buffer.from(rows[0].sha256).equals(sha256) && stat.size === bytes;
}

async function run(kind: Kind, round: number, store: ObjectStore, db: Db, server: ServerInfo, file: string, seed: string, sha256: Buffer, bytes = BYTES): Promise<Run> {
  await peak(server, true);
  let assetId: string;
  let seconds: number;
  if (kind === 'multipart') {
    const res = await postFile(server, bytes, seed);
    if (res.statusCode !== 201) throw new Error(`multipart answered ${res.statusCode}: ${JSON.stringify(res.json)}`);
    assetId = (res.json as { assets: { id: string }[] }).assets[0]!.id;
    seconds = res.seconds;
  } else {
    ({ assetId, seconds } = await tusUpload(server, file));
  }
  const after: MemoryReport = await peak(server, false);
  const verified = await verifyAndDelete(store, db, assetId, sha256, bytes);
  return { round, kind, seconds, mbPerSecond: bytes / MB / seconds, peakRssMB: after.peakRss / MB, verified };
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined ? '-' : n.toFixed(digits));

async function main(): Promise<number> {
  const started = new Date();
  const loadAtStart = os.loadavg();
  const target = await openTarget();
  const unique = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const store = createObjectStore({ endpoint: target.endpoint, accessKey: target.accessKey, secretKey: target.secretKey, region: target.region, bucket: `lamha-bench-${unique}` });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lamha-bench-resumable-'));
  let api: Child | undefined;
  let server: ServerInfo | undefined;
  let db: Db | undefined;
  const runs: Run[] = [];
  let failure: unknown;
  let idleMB: number | undefined;
  try {
    log(`target: ${target.kind} ${target.endpoint}, ${BYTES} bytes × ${ROUNDS} rounds`);
    await store.ensureBucket();
    api = spawnNode([...API_NODE_ARGS, buildServices(['upload-server'])['upload-server']], { ...apiEnv(target, store.bucket), ...API_MALLOC_ENV });
    server = await api.lines.next<ServerInfo>(120_000);
    if (!server) throw new Error('the API process exited before listening');
    db = createDb({ url: DATABASE_URL, schema: server.schema, max: 2 });

    // the same bytes for both paths: the multipart client generates them, tus reads them from this file
    const seed = `payload-${unique}`;
    const file = path.join(dir, 'recording.jpg');
    const hash = createHash('sha256');
    const source = payloadStream(BYTES, seed);
    source.on('data', (c: Buffer) => hash.update(c));
    await pipeline(source, createWriteStream(file));
    const sha256 = hash.digest();

    // the API's RSS once it has taken an upload each way: what each run adds is measured from it
    const warmFile = path.join(dir, 'warm-up.jpg');
    await pipeline(payloadStream(16 * MiB, `warm-${unique}`), createWriteStream(warmFile));
    const warmSha = createHash('sha256').update(readFileSync(warmFile)).digest();
    for (const kind of ['multipart', 'tus'] as const) await run(kind, 0, store, db, server, warmFile, `warm-${unique}`, warmSha, 16 * MiB);
    idleMB = (await peak(server, true)).rss / MB;

    for (let round = 1; round <= ROUNDS; round++) {
      for (const kind of ['multipart', 'tus'] as const) {
        const r = await run(kind, round, store, db, server, file, seed, sha256);
        await collectGarbage(target);
        runs.push(r);
        log(`round ${round} ${kind}: ${fmt(r.mbPerSecond)} MB/s in ${fmt(r.seconds, 2)} s, API peak RSS ${fmt(r.peakRssMB)} MB`);
      }
    }
  } catch (err) {
    failure = err;
    log(`FAILED: ${err instanceof Error ? err.stack : String(err)}`);
  } finally {
    if (api) await stopApi(api, server);
    await db?.end();
    await removeBucket(store);
    await collectGarbage(target);
    await target.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(BUILD_DIR, { recursive: true, force: true });
  }

  const best = (kind: Kind) => Math.max(0, ...runs.filter((r) => r.kind === kind).map((r) => r.mbPerSecond)) || undefined;
  const peakOf = (kind: Kind) => Math.max(0, ...runs.filter((r) => r.kind === kind).map((r) => r.peakRssMB)) || undefined;
  const multipart = best('multipart');
  const tusBest = best('tus');
  const ratio = multipart && tusBest ? tusBest / multipart : undefined;
  const verified = runs.length === 2 * ROUNDS && runs.every((r) => r.verified);
  const rows = [['run', 'MB/s', 'seconds', 'API peak RSS MB', 'verified'], ...runs.map((r) => [`${r.kind} #${r.round}`, fmt(r.mbPerSecond), fmt(r.seconds, 2), fmt(r.peakRssMB), r.verified ? 'ok' : 'FAIL'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const out = [
    `Resumable upload benchmark — ${(BYTES / MB).toFixed(0)} MB to ${target.kind} (${target.endpoint}), best of ${ROUNDS}`,
    '',
    ...rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')),
    '',
    `ratio tus/multipart   ${fmt(ratio, 2)}   goal ≥ ${GOAL_RATIO}  ${ratio === undefined ? '' : ratio >= GOAL_RATIO ? 'met' : 'MISSED'}`,
    `API RSS after warm-up ${fmt(idleMB)} MB; a run adds: multipart ${fmt(idleMB && peakOf('multipart') && peakOf('multipart')! - idleMB)} MB, tus ${fmt(idleMB && peakOf('tus') && peakOf('tus')! - idleMB)} MB`,
    `API peak RSS          multipart ${fmt(peakOf('multipart'))} MB, tus ${fmt(peakOf('tus'))} MB  goal < ${GOAL_RSS_MB} MB  ${(peakOf('tus') ?? Infinity) < GOAL_RSS_MB && (peakOf('multipart') ?? Infinity) < GOAL_RSS_MB ? 'met' : 'MISSED'}`,
    `load average start / end  ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} / ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}  (${os.cpus().length} CPUs)`,
    `verification          ${verified ? 'every stored file matches what was sent' : 'FAILED'}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  const results = path.join(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  const file = path.join(results, `resumable-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({
    benchmark: 'resumable', date: started.toISOString(), host: { node: process.version, cpus: os.cpus().length, loadAverage: { start: loadAtStart, end: os.loadavg() } },
    target: { kind: target.kind, endpoint: target.endpoint }, bytes: BYTES, rounds: ROUNDS, runs,
    best: { multipartMBps: multipart, tusMBps: tusBest, ratio }, idleRssMB: idleMB, peakRssMB: { multipart: peakOf('multipart'), tus: peakOf('tus') },
    goals: { ratio: GOAL_RATIO, peakRssMB: GOAL_RSS_MB }, verified, error: failure ? String(failure) : undefined,
  }, null, 2)}\n`);
  process.stdout.write(`results: ${path.relative(process.cwd(), file)}\n`);
  return failure || !verified ? 1 : 0;
}

process.exitCode = await main();
