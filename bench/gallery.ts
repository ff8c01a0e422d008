/**
 * Album page benchmark: how close does the API come to a static file server when it serves a
 * warm album page of 200 items from its page cache?
 *
 *   npx tsx bench/gallery.ts                  (or: npm run bench:gallery)
 *
 * One run:
 *   1. an event (ar, en, ku) with one published album of BENCH_ITEMS ready assets (every 20th a
 *      video with two subtitle tracks), written straight into a schema of its own, with the
 *      rendition rows the workers would have made (no media bytes: the page only names them);
 *   2. the real app (buildApp) listening on a loopback port; the Arabic album page is fetched
 *      once per encoding so the page cache is warm;
 *   3. the same bytes saved as album.html (+ .br, .gz: the very copies the API sends) and served
 *      by @fastify/static (preCompressed) from another port of the same process;
 *   4. wrk (Debian's package, one thread, in a child process) loads each in turn (api, static,
 *      api, static, …) with the headers of a browser (Accept-Encoding: br, gzip); the best round
 *      of each is kept.
 * It also reports the page's transfer size per encoding and the requests a browser makes before
 * the first image (the document and what the head and body name before the first <img>).
 *
 * The load generator shares the machine with the servers (wrk takes a fifth to a third of a core
 * at these rates; autocannon, tried first, took a whole one and capped what it measured). The
 * machine's load average is printed before and after; figures taken under load are not
 * comparable with figures from an idle machine, only api and static of the same run are. The
 * CPU time the servers' process spends per request depends much less on other load.
 *
 * Environment:
 *   BENCH_ITEMS         assets in the album                         default 200
 *   BENCH_SECONDS       seconds per load round                      default 8
 *   BENCH_ROUNDS        rounds per target (best is kept)            default 2
 *   BENCH_CONNECTIONS   concurrent connections                      default 32
 *   BENCH_WRK           the wrk binary                              default wrk (bash scripts/system-deps.sh)
 *   LOG_LEVEL           the API's log level, as the service's         default info (lines go to /dev/null)
 *   DATABASE_URL, REDIS_URL  default postgres://127.0.0.1/lamha_test, redis://127.0.0.1:6379
 *
 * Output: a table on stdout (progress on stderr) and bench/results/gallery-<date>.json.
 * Exit status 1 when a target answers anything but 200 under load.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { parse, type HTMLElement } from 'node-html-parser';
import pino from 'pino';
import { rgbaToThumbHash } from 'thumbhash';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDb, ensureDatabase, migrate, quoteIdent, type Db } from '../src/db/database.js';
import { createQueues } from '../src/queues/producer.js';
import { createRedis } from '../src/redis/connection.js';
import { startEmbeddedS3 } from '../src/storage/embedded-s3.js';
import { createObjectStore } from '../src/storage/object-store.js';
import { envInt } from './env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GOAL_RATIO = 0.7;
const WRK = process.env.BENCH_WRK ?? 'wrk';
const execFileP = promisify(execFile);
/** USER_HZ: the unit of /proc's CPU times, 100 on Linux for x86 and arm */
const CLOCK_TICKS = 100;
const GOAL_RPS = 10_000;

const ITEMS = envInt('BENCH_ITEMS', 200);
const SECONDS = envInt('BENCH_SECONDS', 8);
const ROUNDS = Math.max(1, envInt('BENCH_ROUNDS', 2));
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 32);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://127.0.0.1/lamha_test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const BROWSER_ENCODING = 'br, gzip';

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const load = () => os.loadavg().map((n) => n.toFixed(2)).join(' ');

// ---------------------------------------------------------------- seed

async function seed(db: Db): Promise<void> {
  const { rows: [event] } = await db.query<{ id: string }>(
    `INSERT INTO events (slug, title, description, starts_on, ends_on, venue, locales, default_locale, status)
     VALUES ('conf', $1, $2, '2026-12-01', '2026-12-02', '{"ar": "باريس", "en": "Paris"}', '{ar,en,ku}', 'ar', 'published') RETURNING id`,
    [{ ar: 'مؤتمر المجتمع المدني', en: 'Civil society conference', ku: 'Konferansa civaka sivîl' }, { ar: 'يومان في باريس', en: 'Two days in Paris' }],
  );
  const { rows: [album] } = await db.query<{ id: string }>(
    `INSERT INTO albums (event_id, slug, title, caption, status) VALUES ($1, 'day-1', $2, $3, 'published') RETURNING id`,
    [event!.id, { ar: 'اليوم الأول', en: 'Day one' }, { ar: 'افتتاح المؤتمر', en: 'The opening' }],
  );
  const rgba = new Uint8Array(16 * 16 * 4);
  for (let i = 0; i < rgba.length; i += 4) rgba.set([180, 120, 60, 255], i);
  const placeholder = Buffer.from(rgbaToThumbHash(16, 16, rgba)).toString('base64');
  for (let i = 0; i < ITEMS; i++) {
    const id = randomUUID();
    const video = i % 20 === 0;
    const [w, h] = i % 3 === 0 ? [2000, 3000] : [3000, 2000];
    await db.query(
      `INSERT INTO assets (id, event_id, album_id, kind, mime_type, status, bytes, sha256, original_filename, caption, alt_text,
         credit, license, width, height, placeholder, position)
       VALUES ($1, $2, $3, $4, $5, 'ready', 5000000, $6, 'x.jpg', $7, $8, 'Lina Kader', 'CC BY 4.0', $9, $10, $11, $12)`,
      [id, event!.id, album!.id, video ? 'video' : 'image', video ? 'video/mp4' : 'image/jpeg', randomBytes(32),
        { ar: `صورة رقم ${i} من جلسة الافتتاح`, en: `Photo ${i} of the opening session` }, { en: `Participants in the hall, photo ${i}` },
        w, h, placeholder, i],
    );
    const fit = (edge: number) => {
      const f = Math.min(1, edge / Math.max(w, h));
      return [Math.round(w * f), Math.round(h * f)];
    };
    const renditions: [string, string, number | null, number | null][] = [
      ['thumb.webp', 'image/webp', ...fit(400)] as [string, string, number, number],
      ['medium.webp', 'image/webp', ...fit(1024)] as [string, string, number, number],
      ['large.webp', 'image/webp', ...fit(2048)] as [string, string, number, number],
      ['fallback.jpg', 'image/jpeg', ...fit(1200)] as [string, string, number, number],
    ];
    if (video) {
      renditions.push(['hls/master.m3u8', 'application/vnd.apple.mpegurl', w, h], ['download.mp4', 'video/mp4', w, h],
        ['storyboard.vtt', 'text/vtt; charset=utf-8', null, null], ['storyboard.jpg', 'image/jpeg', 1600, 900]);
    }
    for (const [name, type, rw, rh] of renditions) {
      await db.query('INSERT INTO renditions (asset_id, name, key, width, height, bytes, type) VALUES ($1, $2, $3, $4, $5, 100000, $6)',
        [id, name, `renditions/${id}/${name}`, rw, rh, type]);
    }
    if (video) {
      for (const locale of ['ar', 'en']) {
        await db.query('INSERT INTO subtitles (asset_id, locale, key, bytes, cue_count) VALUES ($1, $2, $3, 1000, 20)',
          [id, locale, `renditions/${id}/subtitles/${locale}.vtt`]);
      }
    }
  }
}

// ---------------------------------------------------------------- load

interface LoadResult {
  target: string;
  round: number;
  rps: number;
  p50: number;
  p99: number;
  bytesPerReq: number;
  non2xx: number;
  errors: number;
  /** CPU time of this process (where both servers run, the load generator does not) per request */
  cpuMsPerReq: number;
  /** cores the load generator kept busy on average during the round */
  loadGenCores: number;
}

/** wrk's Lua hook: the round's totals as one JSON line on stdout (latencies in µs). */
const WRK_REPORT = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration":%d,"bytes":%d,"p50":%d,"p99":%d,"status":%d,"errors":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
`;

/**
 * One round of wrk (C, one thread: a small share of a core at these rates, where a Node load
 * generator takes a whole one) against `url`, with a browser's Accept-Encoding.
 */
async function wrk(target: string, url: string, round: number, script: string): Promise<LoadResult> {
  const args = ['-t', '1', '-c', String(CONNECTIONS), '-d', `${SECONDS}s`, '--latency', '-s', script, '-H', `Accept-Encoding: ${BROWSER_ENCODING}`, url];
  const cpu = process.cpuUsage();
  const children = childrenCpuSeconds();
  const { stdout } = await execFileP(WRK, args, { maxBuffer: 16 * 1024 * 1024 });
  const used = process.cpuUsage(cpu);
  const loadGenCpu = childrenCpuSeconds() - children;
  const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk printed no report: ${stdout}`);
  const r = JSON.parse(line) as { requests: number; duration: number; bytes: number; p50: number; p99: number; status: number; errors: number };
  return {
    target, round, rps: r.requests / (r.duration / 1e6), p50: r.p50 / 1000, p99: r.p99 / 1000,
    bytesPerReq: r.requests ? r.bytes / r.requests : 0, non2xx: r.status, errors: r.errors,
    cpuMsPerReq: r.requests ? (used.user + used.system) / 1000 / r.requests : 0,
    loadGenCores: loadGenCpu / (r.duration / 1e6),
  };
}

/** CPU seconds of this process's waited-for children (wrk): /proc/self/stat's cutime + cstime. */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is the state (field 3 of proc(5)): cutime and cstime are fields 16 and 17
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}

// ---------------------------------------------------------------- the page as a browser sees it

/** The requests a browser makes before the first image: the document and what precedes the first <img>. */
function requestsBeforeFirstImage(html: string): { count: number; names: string[]; firstImage: string | null; firstImageLoading: string | null } {
  const root = parse(html);
  const names = ['document'];
  let firstImage: HTMLElement | null = null;
  const walk = (el: HTMLElement): boolean => {
    for (const child of el.childNodes) {
      if (!(child instanceof Object) || !('tagName' in child) || !(child as HTMLElement).tagName) continue;
      const e = child as HTMLElement;
      const tag = e.tagName.toLowerCase();
      if (tag === 'img') {
        firstImage = e;
        return true;
      }
      const rel = (e.getAttribute('rel') ?? '').toLowerCase().split(/\s+/);
      if (tag === 'link' && (rel.includes('stylesheet') || rel.includes('preload') || rel.includes('modulepreload'))) names.push(e.getAttribute('href') ?? '?');
      if (tag === 'script' && e.getAttribute('src')) names.push(e.getAttribute('src')!);
      if (walk(e)) return true;
    }
    return false;
  };
  walk(root);
  const img = firstImage as HTMLElement | null;
  return { count: names.length, names, firstImage: img?.getAttribute('src') ?? null, firstImageLoading: img?.getAttribute('loading') ?? null };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const before = load();
  log(`load average before: ${before} (${os.cpus().length} CPUs)`);
  const suffix = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const schema = `bench_gallery_${suffix}`;
  const prefix = `lamha-bench-${suffix}`;
  await ensureDatabase(DATABASE_URL);
  await migrate(DATABASE_URL, schema);
  const db = createDb({ url: DATABASE_URL, schema });
  const redis = createRedis(REDIS_URL);
  const queues = createQueues({ connection: redis, prefix });
  // Pages never touch object storage; an idle embedded S3 stands in when no S3 is configured.
  const s3Dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-bench-s3-'));
  const s3 = process.env.S3_ENDPOINT ? null : await startEmbeddedS3({ dataDir: s3Dir, port: 0 });
  const storage = createObjectStore({
    endpoint: process.env.S3_ENDPOINT ?? s3!.endpoint, accessKey: process.env.S3_ACCESS_KEY ?? 'S3RVER', secretKey: process.env.S3_SECRET_KEY ?? 'S3RVER',
    bucket: `lamha-bench-${suffix}`, region: process.env.S3_REGION ?? 'us-east-1',
  });
  const staticDir = await mkdtemp(path.join(os.tmpdir(), 'lamha-bench-static-'));
  let api: FastifyInstance | undefined;
  let logSink: ReturnType<typeof pino.destination> | undefined;
  let files: FastifyInstance | undefined;
  let failed = false;
  try {
    log(`seeding an album of ${ITEMS} items`);
    await seed(db);
    // The service's own log level (LOG_LEVEL, default info): what a request logs is part of its
    // cost. The lines go where stdout would take them, minus the terminal: /dev/null, synchronously.
    const config = loadConfig({ DATABASE_URL, REDIS_URL, REDIS_PREFIX: prefix, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', PUBLIC_URL: 'http://127.0.0.1:3000', S3_BUCKET: storage.bucket,
      // wrk is one address asking thousands of times a second: the per-address limits would
      // measure themselves, not the gallery
      RATE_LIMIT_API_PER_MINUTE: '0', RATE_LIMIT_PAGES_PER_MINUTE: '0' });
    logSink = pino.destination({ dest: '/dev/null', sync: true });
    api = await buildApp(config, { deps: { db, redis, storage, queues }, logStream: logSink });
    await api.listen({ port: 0, host: '127.0.0.1' });
    const apiUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}/ar/e/conf/day-1`;

    // warm the cache and take the bytes the API sends in each encoding
    const bodies: Record<string, Buffer> = {};
    for (const enc of ['identity', 'gzip', 'br']) {
      await fetch(apiUrl, { headers: { 'accept-encoding': enc } });
      const res = await fetch(apiUrl, { headers: { 'accept-encoding': enc } });
      if (res.status !== 200) throw new Error(`album page: ${res.status}`);
      if (res.headers.get('x-lamha-cache') !== 'memory') throw new Error(`album page not served from memory: ${res.headers.get('x-lamha-cache')}`);
      // fetch() would decode the body: read the raw bytes with node:http instead
      bodies[enc] = await rawBody(apiUrl, enc);
    }
    const html = bodies.identity!.toString('utf8');
    const items = (html.match(/<li class="tile /g) ?? []).length;
    if (items !== ITEMS) throw new Error(`the album page shows ${items} tiles, not ${ITEMS}`);

    await writeFile(path.join(staticDir, 'album.html'), bodies.identity!);
    await writeFile(path.join(staticDir, 'album.html.gz'), bodies.gzip!);
    await writeFile(path.join(staticDir, 'album.html.br'), bodies.br!);
    files = Fastify({ logger: false });
    await files.register(fastifyStatic, { root: staticDir, preCompressed: true });
    await files.listen({ port: 0, host: '127.0.0.1' });
    const staticUrl = `http://127.0.0.1:${(files.server.address() as AddressInfo).port}/album.html`;
    const check = await rawBody(staticUrl, 'br');
    if (!check.equals(bodies.br!)) throw new Error('the static server does not send the same bytes');

    log(`${CONNECTIONS} connections, ${SECONDS} s per round, ${ROUNDS} rounds each; Accept-Encoding: ${BROWSER_ENCODING}`);
    const script = path.join(staticDir, 'report.lua');
    await writeFile(script, WRK_REPORT);
    await wrk('warm-up', apiUrl, 0, script).then(() => wrk('warm-up', staticUrl, 0, script));
    const results: LoadResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [target, url] of [['api', apiUrl], ['static', staticUrl]] as const) {
        const r = await wrk(target, url, round, script);
        log(`${target} round ${round}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${Math.round(r.cpuMsPerReq * 1000)} µs CPU/req, wrk ${r.loadGenCores.toFixed(2)} cores, load ${load()}`);
        if (r.non2xx || r.errors) failed = true;
        results.push(r);
      }
    }
    const after = load();
    const best = (target: string) => results.filter((r) => r.target === target).sort((a, b) => b.rps - a.rps)[0]!;
    const bestApi = best('api');
    const bestStatic = best('static');
    const ratio = bestApi.rps / bestStatic.rps;
    const firstImage = requestsBeforeFirstImage(html);

    const rows = [
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'bytes/req', 'CPU µs/req', 'req/s per core', 'wrk cores', 'non-2xx', 'errors'],
      ...[bestApi, bestStatic].map((r) => [r.target === 'api' ? 'api (page cache)' : 'static (@fastify/static)', Math.round(r.rps), r.p50, r.p99,
        Math.round(r.bytesPerReq), Math.round(r.cpuMsPerReq * 1000), Math.round(1000 / r.cpuMsPerReq), r.loadGenCores.toFixed(2), r.non2xx, r.errors]),
    ];
    const out = [
      `album page /ar/e/conf/day-1, ${ITEMS} items, warm cache; ${CONNECTIONS} connections, best of ${ROUNDS} × ${SECONDS} s`,
      table(rows),
      `ratio api/static: ${ratio.toFixed(2)} (goal ≥ ${GOAL_RATIO}${ratio >= GOAL_RATIO ? ', met' : ', NOT met'}); api ${Math.round(bestApi.rps)} req/s (goal ≥ ${GOAL_RPS} on 2 cores${bestApi.rps >= GOAL_RPS ? ', met' : ', NOT met'})`,
      `CPU per request, api/static: ${(bestApi.cpuMsPerReq / bestStatic.cpuMsPerReq).toFixed(2)} (less dependent on other load than req/s; "req/s per core" = 1 s ÷ CPU per request, what one busy core of the server process would give)`,
      `transfer size of the page body: br ${bodies.br!.length} B, gzip ${bodies.gzip!.length} B, identity ${bodies.identity!.length} B`,
      `requests before the first image: ${firstImage.count} (${firstImage.names.join(', ')}); the first image (${firstImage.firstImageLoading ?? 'eager'}) is request ${firstImage.count + 1}`,
      `load average (1/5/15 min) before: ${before}, after: ${after}; ${os.cpus().length} CPUs shared with the load generator (wrk, one thread)`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    const resultsDir = path.join(ROOT, 'bench/results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(path.join(resultsDir, `gallery-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({
      items: ITEMS, seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, acceptEncoding: BROWSER_ENCODING, results,
      ratio, bytes: { br: bodies.br!.length, gzip: bodies.gzip!.length, identity: bodies.identity!.length }, firstImage,
      loadBefore: before, loadAfter: after, cpus: os.cpus().length, node: process.version,
    }, null, 2));
  } finally {
    await files?.close();
    await api?.close();
    logSink?.end();
    await queues.close();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    await db.end();
    const admin = createDb({ url: DATABASE_URL, max: 1 });
    await admin.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
    await admin.end();
    await s3?.close();
    await rm(s3Dir, { recursive: true, force: true });
    await rm(staticDir, { recursive: true, force: true });
  }
  if (failed) {
    log('a target answered errors or non-2xx statuses under load');
    process.exitCode = 1;
  }
}

async function rawBody(url: string, encoding: string): Promise<Buffer> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    }).on('error', reject);
  });
}

function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) => `| ${r.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

await main();
