/** Servers a fault test starts, stops and starts again: an embedded S3 server in a process of its own, a PostgreSQL. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createQueues, type Queues } from '../../src/queues/producer.js';
import { createRedis } from '../../src/redis/connection.js';
import type { TestContext } from './context.js';
import { freePort, runEntry, waitFor, type Running } from './processes.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

export interface S3Process {
  endpoint: string;
  /** SIGKILL: the server dies as a crashed or unplugged one does */
  kill(): Promise<void>;
  /** starts it again on the same port and data dir */
  start(): Promise<void>;
  /** keys of the multipart uploads begun in `bucket` and neither completed nor aborted (s3rver keeps them on disk) */
  incomplete(bucket: string): Promise<string[]>;
}

/** An embedded S3 server (s3rver) in a child process, on a port of its own, keeping objects in `dataDir`. */
export async function s3Process(t: Teardown, dataDir: string): Promise<S3Process> {
  const port = await freePort();
  let running: Running | undefined;
  t.teardown(() => running?.child.kill('SIGKILL'));
  const start = async () => {
    const r = runEntry('test/helpers/embedded-s3-main.ts', { LAMHA_S3_DIR: dataDir, LAMHA_S3_PORT: String(port) });
    running = r;
    let exited = false;
    void r.exit.then(() => (exited = true));
    if (!(await waitFor(async () => exited || /listening/.test(r.output()), 20_000)) || exited) {
      r.child.kill('SIGKILL');
      throw new Error(`the embedded S3 server did not start on port ${port}:\n${r.output()}`);
    }
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async kill() {
      const r = running!;
      r.child.kill('SIGKILL');
      await r.exit;
      if (!(await waitFor(async () => !(await answers(port)), 5000))) throw new Error(`port ${port} still answers after the S3 server was killed`);
    },
    start,
    async incomplete(bucket) {
      const uploads = path.join(dataDir, 's3', bucket, '._S3rver_uploads');
      const ids = await readdir(uploads).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [] as string[];
        throw err;
      });
      const keys = await Promise.all(ids.map((id) => readFile(path.join(uploads, id, 'key'), 'utf8').catch(() => `(upload ${id})`)));
      return keys;
    },
  };
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PostgresProcess {
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database: string): string;
  /** fast shutdown (SIGINT to the postmaster): every session is ended, as an operator's restart does */
  stop(): Promise<void>;
  /** starts it again on the same port and data dir */
  start(): Promise<void>;
}

/**
 * A PostgreSQL server of the test's own (Debian's binaries) in a temp dir, on a port of its own.
 * initdb and postgres refuse to run as root: as root they run as the `postgres` user.
 */
export async function privatePostgres(t: Teardown): Promise<PostgresProcess> {
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-pg-'));
  const data = path.join(dir, 'data');
  let child: ChildProcess | undefined;
  let log = '';
  const postmasterPid = async (): Promise<number | undefined> => {
    const pid = Number((await readFile(path.join(data, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    return pid > 0 ? pid : undefined;
  };
  t.teardown(async () => {
    const pid = await postmasterPid();
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGQUIT'); // immediate shutdown
      } catch {}
      await waitFor(async () => (await postmasterPid()) === undefined, 10_000);
    }
    child?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  if (asRoot) {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) throw new Error('running as root, and there is no `postgres` user to run PostgreSQL as');
    await chown(dir, Number(uid.stdout), Number(gid.stdout));
  }
  const [initCmd, initArgs] = as(`${PG_BIN}/initdb`, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed (${init.error?.message ?? init.status}): ${init.stderr}`);
  const port = await freePort();
  const start = async () => {
    const [cmd, args] = as(`${PG_BIN}/postgres`, [
      '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=60',
    ]);
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const from = log.length;
    c.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    c.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    let exited = false;
    c.once('exit', () => (exited = true));
    if (!(await waitFor(() => exited || /ready to accept connections/.test(log.slice(from)), 30_000)) || exited) {
      throw new Error(`PostgreSQL did not start on port ${port}:\n${log.slice(from)}`);
    }
  };
  await start();
  return {
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start,
    async stop() {
      const pid = await postmasterPid();
      if (pid === undefined) throw new Error(`PostgreSQL is not running:\n${log}`);
      const c = child!;
      process.kill(pid, 'SIGINT'); // fast shutdown
      if (!(await waitFor(async () => c.exitCode !== null || c.signalCode !== null, 20_000))) throw new Error(`PostgreSQL did not stop:\n${log}`);
    },
  };
}

export interface RedisProcess {
  url: string;
  /** SIGKILL: everything in it is lost (it keeps nothing on disk) */
  kill(): Promise<void>;
  /** starts it again, empty, on the same port */
  start(): Promise<void>;
}

/** A redis-server of the test's own (noeviction, nothing on disk) that can be killed and started again on its port. */
export async function redisProcess(t: Teardown): Promise<RedisProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  t.teardown(() => child?.kill('SIGKILL'));
  const start = async () => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    let exited = false;
    c.once('exit', () => (exited = true));
    c.once('error', (err) => (out += String(err)));
    if (!(await waitFor(async () => exited || (await answers(port)), 10_000)) || exited) {
      throw new Error(`redis-server did not start on port ${port}:\n${out}`);
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    async kill() {
      const c = child!;
      c.kill('SIGKILL');
      if (c.exitCode === null && c.signalCode === null) await new Promise((resolve) => c.once('exit', resolve));
      if (!(await waitFor(async () => !(await answers(port)), 5000))) throw new Error(`port ${port} still answers after redis-server was killed`);
    },
  };
}

/** The API on a Redis of the test's own (`redisUrl`), with the context's database and bucket. */
export async function apiOnRedis(t: Teardown, ctx: TestContext, redisUrl: string): Promise<{ app: FastifyInstance; queues: Queues }> {
  const config = loadConfig({
    DATABASE_URL: ctx.config.databaseUrl, REDIS_URL: redisUrl, REDIS_PREFIX: ctx.config.redisPrefix, S3_BUCKET: ctx.storage.bucket,
    LOG_LEVEL: 'silent', PUBLIC_URL: 'http://gallery.test',
  });
  const redis = createRedis(redisUrl);
  const queues = createQueues({ connection: redis, prefix: config.redisPrefix });
  const app = await buildApp(config, { deps: { db: ctx.db, redis, storage: ctx.storage, queues } });
  t.teardown(async () => {
    await app.close();
    await queues.close();
    redis.disconnect();
  });
  return { app, queues };
}
