/**
 * What the benchmarks that run Lamha's own processes share: child processes that answer in JSON
 * lines, the compiled build of those processes, CPU time from /proc, and the S3 server under test
 * (Ceph RGW or any S3 from S3_* variables, else the embedded s3rver in a child process).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EMBEDDED_S3_KEYS } from '../src/config.js';
import type { ObjectStore } from '../src/storage/object-store.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

// ---------------------------------------------------------------- child processes

/** Lines a child prints on stdout, read one by one. */
export class Lines {
  private readonly queue: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;
  constructor(child: ChildProcess) {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else this.queue.push(line);
    });
    rl.on('close', () => {
      this.ended = true;
      this.waiting?.(undefined);
    });
  }

  /** The next JSON line, or undefined once the child has closed stdout. */
  async next<T>(timeoutMs: number): Promise<T | undefined> {
    for (;;) {
      let line = this.queue.shift();
      if (line === undefined) {
        if (this.ended) return undefined;
        line = await new Promise<string | undefined>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no output from child after ${timeoutMs} ms`)), timeoutMs);
          this.waiting = (l) => {
            clearTimeout(timer);
            resolve(l);
          };
        });
        if (line === undefined) return undefined;
      }
      if (line.trim().startsWith('{')) return JSON.parse(line) as T;
      process.stderr.write(`${line}\n`); // stray output of the child
    }
  }
}

export interface Child {
  child: ChildProcess;
  lines: Lines;
}

/**
 * Node flags a benchmark's child processes get from the environment (NODE_OPTIONS may not carry them):
 * BENCH_CPU_PROF=<dir>, each writes a V8 CPU profile there when it exits; BENCH_TRACE_GC=1, each
 * prints V8's line per garbage collection (stray output, shown on stderr).
 */
export function diagnosticArgs(): string[] {
  return [
    ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []),
    ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
  ];
}

export function spawnNode(args: string[], env: Record<string, string | undefined>): Child {
  const child = spawn(process.execPath, [...diagnosticArgs(), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return { child, lines: new Lines(child) };
}

export function spawnTs(file: string, env: Record<string, string | undefined>, nodeArgs: string[] = []): Child {
  return spawnNode([...nodeArgs, '--import', 'tsx', path.join(ROOT, file)], env);
}

/**
 * Compiles what `tsconfig` (under bench/) lists, and what it imports, to JS into `outDir`, as it
 * runs in production. Type errors are reported, not fatal: the JS is emitted anyway.
 */
export function compile(tsconfig: string, outDir: string, what: string): void {
  rmSync(outDir, { recursive: true, force: true });
  const t0 = performance.now();
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'bench', tsconfig)], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    log(`tsc reported errors (the JS is emitted anyway):\n${String((err as { stdout?: Buffer }).stdout ?? err)}`);
  }
  log(`compiled ${what} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Where bench/tsconfig.server.json compiles the service processes under benchmark. */
export const BUILD_DIR = path.join(ROOT, 'bench', 'results', '.build');

/**
 * Compiles the service processes under benchmark (bench/tsconfig.server.json: the API and the
 * worker); answers the path of the compiled `bench/<name>.js` for each name.
 */
export function buildServices<N extends string>(names: N[]): Record<N, string> {
  compile('tsconfig.server.json', BUILD_DIR, names.join(', '));
  const entries = Object.fromEntries(names.map((n) => [n, path.join(BUILD_DIR, 'bench', `${n}.js`)])) as Record<N, string>;
  for (const entry of Object.values<string>(entries)) if (!existsSync(entry)) throw new Error(`${entry} was not compiled`);
  // Migrations and the gallery's static files are found next to the compiled modules, as in dist/.
  cpSync(path.join(ROOT, 'src/db/migrations'), path.join(BUILD_DIR, 'src/db/migrations'), { recursive: true });
  cpSync(path.join(ROOT, 'src/web/static'), path.join(BUILD_DIR, 'src/web/static'), { recursive: true });
  return entries;
}

/** The variable `name` of this process's environment; a process of a benchmark without it exits (status 2). */
export function requiredEnv(name: string, who: string): string {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`${who}: ${name} is required\n`);
    process.exit(2);
  }
  return v;
}

export async function stopChild(child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used, from /proc (Linux); undefined elsewhere. */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the children of process `pid` have used so far (Linux /proc): those it has
 * reaped (its cutime and cstime) and those still running. A child that exits between two
 * readings moves from one sum to the other, so the difference of two readings stays right.
 */
export function childrenCpuSeconds(pid: number): number {
  let sum = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    sum += (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      sum += cpuSecondsOf(Number(child)) ?? 0; // undefined: it just exited (and is not reaped yet)
    }
  } catch {
    // not Linux
  }
  return sum;
}

/** CPU seconds of a process and of its children, those alive and those it has waited for. */
export function treeCpuSeconds(pid: number): number {
  return (cpuSecondsOf(pid) ?? 0) + childrenCpuSeconds(pid);
}

/** CPU seconds the whole machine has been busy so far, every core and process (Linux /proc/stat); undefined elsewhere. */
export function machineBusySeconds(): number | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal, in clock ticks (USER_HZ = 100)
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / 100;
  } catch {
    return undefined;
  }
}

/** busy below this share of one core over a window counts as a settled machine */
const SETTLED_CORE_SHARE = 0.25;
const SETTLE_WINDOW_MS = 300;

/**
 * Waits until the machine has settled — less than a quarter of a core busy over 300 ms — so that a
 * timed run does not start under what the one before left running (an ImageMagick process
 * still exiting, the S3 server's or PostgreSQL's work after a burst of writes). Gives up after
 * `maxMs` (a machine with steady load of its own); answers the seconds waited.
 */
export async function settle(maxMs = 10_000): Promise<number> {
  const t0 = performance.now();
  let busy0 = machineBusySeconds();
  if (busy0 === undefined) return 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, SETTLE_WINDOW_MS));
    const busy1 = machineBusySeconds()!;
    const waited = performance.now() - t0;
    if (busy1 - busy0 < (SETTLED_CORE_SHARE * SETTLE_WINDOW_MS) / 1000 || waited >= maxMs) return waited / 1000;
    busy0 = busy1;
  }
}

// ---------------------------------------------------------------- S3 target

export interface Target {
  kind: 'rgw' | 's3' | 'embedded';
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /** the processes serving S3, when known (for their CPU time): RGW's gateway, OSD and monitor */
  pids: number[];
  /** ceph.conf of a local scripts/rgw.sh cluster serving this endpoint */
  rgwConf?: string;
  close(): Promise<void>;
}

/** The scripts/rgw.sh cluster behind `endpoint`, if this machine runs it, and its daemons' pids. */
function localRgw(endpoint: string): { conf: string; pids: number[] } | undefined {
  const dir = (process.env.RGW_DIR ?? path.join(process.env.TMPDIR ?? '/tmp', 'lamha-rgw')).replace(/\/+$/, '');
  const conf = path.join(dir, 'ceph.conf');
  if (!existsSync(conf)) return undefined;
  const url = new URL(endpoint);
  if (!readFileSync(conf, 'utf8').includes(`endpoint=127.0.0.1:${url.port || '80'}`)) return undefined;
  const pids: number[] = [];
  const run = path.join(dir, 'run');
  // the gateway alone is not the S3 server: the objects' bytes go through the OSD
  for (const file of existsSync(run) ? readdirSync(run).filter((f) => f.endsWith('.pid')) : []) {
    const pid = Number(readFileSync(path.join(run, file), 'utf8').trim());
    if (pid > 0) pids.push(pid);
  }
  return { conf, pids };
}

/**
 * CPU seconds used so far by every process on this machine whose name is `name` (Linux /proc:
 * PostgreSQL's backends are all `postgres`, Redis is `redis-server`); undefined where there is
 * none. A process that exits between two readings takes its time with it: PostgreSQL's
 * backends of long-lived pools stay, so the difference of two readings holds for them.
 */
export function processesCpuSeconds(name: string): number | undefined {
  let sum: number | undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined; // not Linux
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== name) continue;
    } catch {
      continue; // gone meanwhile
    }
    const s = cpuSecondsOf(Number(pid));
    if (s !== undefined) sum = (sum ?? 0) + s;
  }
  return sum;
}

/** CPU seconds the S3 server's processes have used so far; undefined when they are not known. */
export function s3CpuSeconds(target: Target): number | undefined {
  if (target.pids.length === 0) return undefined;
  let sum = 0;
  for (const pid of target.pids) {
    const s = cpuSecondsOf(pid);
    if (s === undefined) return undefined;
    sum += s;
  }
  return sum;
}

export async function openTarget(): Promise<Target> {
  const { S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION } = process.env;
  if (S3_ENDPOINT && S3_ACCESS_KEY && S3_SECRET_KEY) {
    const rgw = localRgw(S3_ENDPOINT);
    return {
      kind: rgw ? 'rgw' : 's3', endpoint: S3_ENDPOINT, accessKey: S3_ACCESS_KEY, secretKey: S3_SECRET_KEY, region: S3_REGION || 'us-east-1',
      pids: rgw?.pids ?? [], ...(rgw && { rgwConf: rgw.conf }),
      close: async () => {},
    };
  }
  const { child, lines } = spawnTs('bench/embedded-s3.ts', {});
  const info = await lines.next<{ endpoint: string }>(60_000);
  if (!info) throw new Error('the embedded S3 server did not start');
  return {
    kind: 'embedded', endpoint: info.endpoint, ...EMBEDDED_S3_KEYS, region: 'us-east-1', pids: child.pid ? [child.pid] : [],
    close: () => stopChild(child),
  };
}

/**
 * RGW keeps deleted data until its garbage collector runs (30 s at the earliest with
 * scripts/rgw.sh); on a RAM-backed OSD, runs in a row of large objects would not fit. Run it now.
 */
export async function collectGarbage(target: Target): Promise<number | undefined> {
  if (!target.rgwConf) return undefined;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    execFile('radosgw-admin', ['-c', target.rgwConf!, 'gc', 'process', '--include-all'], { timeout: 300_000 }, (err) => {
      if (err) log(`radosgw-admin gc process failed (deleted data is reclaimed later): ${err.message}`);
      resolve();
    });
  });
  return (performance.now() - t0) / 1000;
}

/** Deletes every object of the benchmark's bucket, then the bucket. */
export async function removeBucket(store: ObjectStore): Promise<void> {
  try {
    for (const key of await store.list('')) await store.delete(key);
    await store.client.removeBucket(store.bucket);
  } catch (err) {
    log(`could not remove bucket ${store.bucket}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---------------------------------------------------------------- the API under benchmark

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://127.0.0.1/lamha_test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What bench/upload-server.ts prints once it listens. */
export interface ServerInfo {
  port: number;
  url: string;
  token: string;
  schema: string;
  redisPrefix: string;
  event: string;
  album: string;
}

/** What bench/upload-server.ts answers at /bench/peak, and prints as {final} when it stops. */
export interface MemoryReport {
  peakRss: number;
  rss: number;
  peakHeapUsed: number;
  peakArrayBuffers: number;
  maxRss: number;
  samples: number;
  /** how late the event loop ran in the window (bench/upload-server.ts since this change) */
  eventLoopDelayMaxMs?: number;
  eventLoopDelayP99Ms?: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
}

/**
 * glibc's allocator settings the API process runs with in production (package.json's `api`
 * script, docker-compose.yml's api service; the Dockerfile says why), for the API under benchmark.
 */
export const API_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072' } as const;

/** Node's flags for the API as package.json's `api` script, the Dockerfile and docker-compose.yml start it. */
export const API_NODE_ARGS: readonly string[] = [
  ...(process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean) ?? ['--max-semi-space-size=1', '--optimize-for-size', '--no-sparkplug', '--no-maglev']),
];

/** The environment bench/upload-server.ts (and a worker on the same bucket) needs for `target` and `bucket`. */
export function apiEnv(target: Target, bucket: string): Record<string, string> {
  return {
    BENCH_S3_ENDPOINT: target.endpoint, BENCH_S3_ACCESS_KEY: target.accessKey, BENCH_S3_SECRET_KEY: target.secretKey,
    BENCH_S3_REGION: target.region, BENCH_S3_BUCKET: bucket, DATABASE_URL, REDIS_URL,
  };
}

/**
 * Stops a bench/upload-server.ts process and answers its final report. When it did not clean
 * up after itself, its schema and Redis keys are removed here.
 */
export async function stopApi(api: Child, server: ServerInfo | undefined): Promise<MemoryReport | undefined> {
  const exited = stopChild(api.child);
  const final = (await api.lines.next<{ final: MemoryReport }>(30_000).catch(() => undefined))?.final;
  await exited;
  if (api.child.exitCode !== 0 && server) {
    // imported here, so that the processes measured with this module (bench/images-lamha) load no database or Redis client
    const { createDb, quoteIdent } = await import('../src/db/database.js');
    const { createRedis } = await import('../src/redis/connection.js');
    const admin = createDb({ url: DATABASE_URL, max: 1 });
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(server.schema)} CASCADE`).catch(() => {});
    await admin.end();
    const redis = createRedis(REDIS_URL);
    const keys = await redis.keys(`${server.redisPrefix}:*`).catch(() => [] as string[]);
    if (keys.length > 0) await redis.del(...keys).catch(() => {});
    redis.disconnect();
  }
  return final;
}
