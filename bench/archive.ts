/**
 * Album archive benchmark: how close does GET …/archive.zip come to reading the same objects
 * back to back from the same S3 server, and how much memory does the API take meanwhile?
 *
 *   npx tsx bench/archive.ts                  (or: npm run bench:archive)
 *
 * One run:
 *   1. the API (bench/upload-server.ts, the real app in a process of its own, RSS sampled every
 *      50 ms) on a bucket of its own; its event and album published, BENCH_PHOTOS ready photos
 *      written straight into its schema, each original a camera JPEG of test/fixtures (with GPS,
 *      serials and owner names) stored under its key;
 *   2. cold: the archive downloaded by a press token while every press file is made (exiftool
 *      on each original): what the first journalist gets;
 *   3. warm, BENCH_ROUNDS times, alternating with the baseline: the archive again (press files
 *      made) against the baseline, the same press objects read one after the other from the
 *      same S3 server by this process with the same adapter;
 *   4. time to first byte of one press download, cold (the file made on request) and warm.
 * The API's peak RSS is read at /bench/peak over each archive download.
 *
 * Environment:
 *   BENCH_PHOTOS   photos in the album                 default 300
 *   BENCH_ROUNDS   warm rounds (best kept)             default 2
 *   S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY   an S3 server (e.g. `eval "$(scripts/rgw.sh start)"`);
 *                  without them, the embedded s3rver in a child process
 *   DATABASE_URL, REDIS_URL  default postgres://127.0.0.1/lamha_test, redis://127.0.0.1:6379
 *
 * Output: a table on stdout (progress on stderr) and bench/results/archive-<date>.json.
 * Exit status 1 when an archive is not a valid ZIP of every photo.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createDb, type Db } from '../src/db/database.js';
import { insertToken } from '../src/db/tokens.js';
import { generateToken, hashToken } from '../src/services/tokens.js';
import { originalKey, pressPrefix } from '../src/storage/keys.js';
import { createObjectStore, type ObjectStore } from '../src/storage/object-store.js';
import { envInt } from './env.js';
import {
  API_MALLOC_ENV, API_NODE_ARGS, apiEnv, buildServices, DATABASE_URL, log, openTarget, removeBucket, ROOT, spawnNode, stopApi, type Child, type MemoryReport, type ServerInfo,
} from './harness.js';

const PHOTOS = envInt('BENCH_PHOTOS', 300);
const ROUNDS = envInt('BENCH_ROUNDS', 2);
const MB = 1024 * 1024;
const FIXTURES = ['jpeg_canon-600d_gps_iptc_xmp.jpg', 'jpeg_nikon-d2x_gps_iptc_xmp.jpg', 'jpeg_vivo-x90pro_gps_offsettime.jpg', 'jpeg_hasselblad-l1d20c_drone_gps.jpg'];

interface Download { bytes: number; seconds: number; ttfb: number; status: number }

/** GET `url` with `headers`, counting bytes as they come; nothing is kept. */
function download(url: string, headers: Record<string, string>): Promise<Download> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let bytes = 0;
      let ttfb = 0;
      res.on('data', (c: Buffer) => {
        if (bytes === 0) ttfb = (performance.now() - t0) / 1000;
        bytes += c.length;
      });
      res.on('end', () => resolve({ bytes, seconds: (performance.now() - t0) / 1000, ttfb, status: res.statusCode ?? 0 }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Reads every object under `keys` one after the other, as the archive does. */
async function readBack(store: ObjectStore, keys: string[]): Promise<{ bytes: number; seconds: number }> {
  const t0 = performance.now();
  let bytes = 0;
  for (const key of keys) for await (const c of await store.get(key)) bytes += (c as Buffer).length;
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

async function peak(server: ServerInfo, reset = false): Promise<MemoryReport> {
  return new Promise((resolve, reject) => {
    http.get(`${server.url}/bench/peak${reset ? '?reset=1' : ''}`, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

/** The photos, written as the worker would have left them: ready, with a caption and credit. */
async function seed(db: Db, store: ObjectStore, server: ServerInfo): Promise<{ ids: string[]; bytes: number }> {
  const { rows: [ev] } = await db.query<{ id: string }>('UPDATE events SET status = \'published\' WHERE slug = $1 RETURNING id', [server.event]);
  const { rows: [al] } = await db.query<{ id: string }>('UPDATE albums SET status = \'published\' WHERE slug = $1 RETURNING id', [server.album]);
  const originals = FIXTURES.map((f) => readFileSync(path.join(ROOT, 'test/fixtures', f)));
  const ids: string[] = [];
  let bytes = 0;
  for (let i = 0; i < PHOTOS; i++) {
    const id = randomUUID();
    const body = originals[i % originals.length]!;
    await store.put(originalKey(id), body, { contentType: 'image/jpeg' });
    await db.query(
      `INSERT INTO assets (id, event_id, album_id, kind, mime_type, status, bytes, sha256, original_filename, caption, credit, license, width, height, position, captured_at)
       VALUES ($1, $2, $3, 'image', 'image/jpeg', 'ready', $4, $5, $6, $7, $8, 'CC BY 4.0', 4000, 3000, $9, now())`,
      [id, ev!.id, al!.id, body.length, createHash('sha256').update(`${i}`).digest(), `IMG_${i}.jpg`,
        { en: `Photo ${i} of the benchmark album, with a caption as long as a real one usually is.` }, i % 2 ? 'Sara Ahmed' : 'Jan Novák', i],
    );
    ids.push(id);
    bytes += body.length;
  }
  return { ids, bytes };
}

async function main(): Promise<number> {
  const started = new Date();
  const target = await openTarget();
  const store = createObjectStore({
    endpoint: target.endpoint, accessKey: target.accessKey, secretKey: target.secretKey, region: target.region,
    bucket: `lamha-bench-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
  });
  let api: Child | undefined;
  let server: ServerInfo | undefined;
  let db: Db | undefined;
  let status = 0;
  try {
    await store.ensureBucket();
    // compiled and run with plain node, as in production (bench/README.md, upload)
    api = spawnNode([...API_NODE_ARGS, buildServices(['upload-server'])['upload-server']], { ...apiEnv(target, store.bucket), ...API_MALLOC_ENV });
    server = await api.lines.next<ServerInfo>(120_000);
    if (!server) throw new Error('the API process exited before listening');
    db = createDb({ url: DATABASE_URL, schema: server.schema, max: 2 });
    log(`target: ${target.kind} ${target.endpoint}; API ${server.url}; seeding ${PHOTOS} photos`);
    const { ids, bytes: originalBytes } = await seed(db, store, server);
    const { rows: [ev] } = await db.query<{ id: string }>('SELECT id FROM events WHERE slug = $1', [server.event]);
    const press = generateToken();
    await insertToken(db, { hash: hashToken(press), role: 'press', eventId: ev!.id, label: 'bench press', createdBy: null, expiresAt: null });
    const headers = { authorization: `Bearer ${press}` };
    const archiveUrl = `${server.url}/api/v1/events/${server.event}/albums/${server.album}/archive.zip`;

    // one press download, cold (made on request) then warm, before the album's are made
    const single = `${server.url}/api/v1/assets/${ids[0]}/original`;
    const singleCold = await download(single, headers);
    const singleWarm = await download(single, headers);

    await peak(server, true);
    log('cold archive: every press file made on the way');
    const cold = await download(archiveUrl, headers);
    const coldPeak = (await peak(server)).peakRss;
    const pressKeys = (await Promise.all(ids.map((id) => store.list(pressPrefix(id))))).map((k) => k[0]!);
    if (cold.status !== 200 || pressKeys.some((k) => !k)) throw new Error(`cold archive: status ${cold.status}, press files ${pressKeys.filter(Boolean).length}/${PHOTOS}`);

    const warm: Download[] = [];
    const baseline: { bytes: number; seconds: number }[] = [];
    let warmPeak = 0;
    for (let r = 0; r < ROUNDS; r++) {
      await peak(server, true);
      warm.push(await download(archiveUrl, headers));
      warmPeak = Math.max(warmPeak, (await peak(server)).peakRss);
      baseline.push(await readBack(store, pressKeys));
      log(`round ${r + 1}: archive ${(warm[r]!.bytes / MB / warm[r]!.seconds).toFixed(1)} MB/s, baseline ${(baseline[r]!.bytes / MB / baseline[r]!.seconds).toFixed(1)} MB/s`);
    }
    const best = warm.reduce((a, b) => (a.seconds < b.seconds ? a : b));
    const base = baseline.reduce((a, b) => (a.seconds < b.seconds ? a : b));
    const pressBytes = base.bytes;
    if (best.bytes < pressBytes) {
      log(`the archive (${best.bytes} bytes) is smaller than its press files (${pressBytes})`);
      status = 1;
    }
    const mbps = (d: { bytes: number; seconds: number }) => d.bytes / MB / d.seconds;
    const result = {
      date: started.toISOString(), target: target.kind, photos: PHOTOS, originalMB: originalBytes / MB, pressMB: pressBytes / MB, cpus: os.cpus().length, load: os.loadavg(),
      baselineMBps: mbps(base), warmMBps: mbps(best), warmRatio: mbps(best) / mbps(base), coldMBps: mbps(cold), coldRatio: mbps(cold) / mbps(base),
      coldSeconds: cold.seconds, warmSeconds: best.seconds, peakRssMB: { cold: coldPeak / MB, warm: warmPeak / MB },
      singleTtfbMs: { cold: singleCold.ttfb * 1000, warm: singleWarm.ttfb * 1000 },
    };
    const f1 = (n: number) => n.toFixed(1);
    process.stdout.write([
      `album: ${PHOTOS} photos, ${f1(result.pressMB)} MB of press files (${target.kind} S3)`,
      '| run | MB/s | seconds | ratio to baseline | API peak RSS |',
      '|---|---|---|---|---|',
      `| baseline: the press objects read back to back | ${f1(result.baselineMBps)} | ${f1(base.seconds)} | 1 | – |`,
      `| archive.zip, press files made (warm) | ${f1(result.warmMBps)} | ${f1(best.seconds)} | **${result.warmRatio.toFixed(2)}** | ${f1(result.peakRssMB.warm)} MB |`,
      `| archive.zip, first download (cold: each press file made) | ${f1(result.coldMBps)} | ${f1(cold.seconds)} | ${result.coldRatio.toFixed(2)} | ${f1(result.peakRssMB.cold)} MB |`,
      `single press download, time to first byte: cold ${result.singleTtfbMs.cold.toFixed(0)} ms, warm ${result.singleTtfbMs.warm.toFixed(0)} ms`,
      '',
    ].join('\n'));
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(path.join(ROOT, `bench/results/archive-${started.toISOString().slice(0, 19).replace(/:/g, '')}.json`), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await db?.end();
    if (api) await stopApi(api, server);
    await removeBucket(store);
    await target.close();
  }
  return status;
}

process.exitCode = await main();
