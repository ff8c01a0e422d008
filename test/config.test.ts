import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ConfigError, loadConfig } from '../src/config.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const GiB = 1024 ** 3;

t.test('defaults: port 3000 on loopback, 10 GiB uploads, the embedded S3 server', async (t) => {
  const config = loadConfig({});
  t.equal(config.port, 3000);
  t.equal(config.host, '127.0.0.1');
  t.equal(config.uploadMaxBytes, 10 * GiB);
  t.equal(config.s3.endpoint, undefined);
  t.same(config.s3, { endpoint: undefined, accessKey: 'S3RVER', secretKey: 'S3RVER', bucket: 'lamha', region: 'us-east-1' });
  t.equal(config.logLevel, 'info');
  t.equal(config.adminToken, undefined);
  t.ok(path.isAbsolute(config.dataDir), 'DATA_DIR resolved to an absolute path');
  t.equal(config.workerLockMs, 30_000, 'BullMQ\'s own lock duration');
  t.equal(config.workerStalledIntervalMs, 30_000, 'BullMQ\'s own stalled-check interval');
});

t.test('the hand-off: under DATA_DIR by default, a directory of its own, or off', async (t) => {
  const config = loadConfig({ DATA_DIR: '/srv/lamha' });
  t.same(config.handoff, { dir: '/srv/lamha/handoff', maxBytes: 4 * 1024 * 1024 * 1024, ttlMs: 30 * 60_000 });
  t.equal(loadConfig({ HANDOFF_DIR: '/mnt/shared/handoff', HANDOFF_MAX_MB: '200', HANDOFF_TTL_MINUTES: '5' }).handoff.dir, '/mnt/shared/handoff');
  t.same(loadConfig({ HANDOFF_MAX_MB: '200', HANDOFF_TTL_MINUTES: '5' }).handoff.maxBytes, 200 * 1024 * 1024);
  t.equal(loadConfig({ HANDOFF_DIR: 'off' }).handoff.dir, undefined);
  t.throws(() => loadConfig({ HANDOFF_MAX_MB: '0' }), { name: 'ConfigError', problems: [/^HANDOFF_MAX_MB /] });
});

t.test('reads the length of a video piece: 2 minutes by default, a multiple of the 4 s HLS segment', async (t) => {
  t.equal(loadConfig({}).videoPieceSeconds, 120);
  t.equal(loadConfig({ VIDEO_PIECE_SECONDS: '8' }).videoPieceSeconds, 8);
  for (const value of ['10', '0', '2', '3604', 'two']) {
    t.throws(() => loadConfig({ VIDEO_PIECE_SECONDS: value }), { name: 'ConfigError', problems: [/^VIDEO_PIECE_SECONDS /] }, `VIDEO_PIECE_SECONDS=${value}`);
  }
});

t.test('reads how many ffmpeg processes share a piece of the smallest rung: 0 (one per core) by default', async (t) => {
  t.equal(loadConfig({}).videoFirstRungProcesses, 0);
  t.equal(loadConfig({ VIDEO_FIRST_RUNG_PROCESSES: '1' }).videoFirstRungProcesses, 1);
  for (const value of ['-1', '65', 'all']) {
    t.throws(() => loadConfig({ VIDEO_FIRST_RUNG_PROCESSES: value }), { name: 'ConfigError', problems: [/^VIDEO_FIRST_RUNG_PROCESSES /] }, `VIDEO_FIRST_RUNG_PROCESSES=${value}`);
  }
});

t.test('reads the workers\' lock and stalled-check timings, within bounds', async (t) => {
  const config = loadConfig({ WORKER_LOCK_MS: '4000', WORKER_STALLED_INTERVAL_MS: '1000' });
  t.equal(config.workerLockMs, 4000);
  t.equal(config.workerStalledIntervalMs, 1000);
  for (const [key, value] of [['WORKER_LOCK_MS', '999'], ['WORKER_LOCK_MS', '2s'], ['WORKER_STALLED_INTERVAL_MS', '499'], ['WORKER_STALLED_INTERVAL_MS', '3600001']] as const) {
    t.throws(() => loadConfig({ [key]: value }), { name: 'ConfigError', problems: [new RegExp(`^${key} `)] }, `${key}=${value}`);
  }
});

t.test('reads a good environment, including a real S3 endpoint with its keys', async (t) => {
  const config = loadConfig({
    PORT: '8080', HOST: '0.0.0.0', PUBLIC_URL: 'https://gallery.example/', DATABASE_URL: 'postgresql://db/lamha',
    S3_ENDPOINT: 'https://s3.example', S3_ACCESS_KEY: 'ak', S3_SECRET_KEY: 'sk', S3_BUCKET: 'media.2026', UPLOAD_MAX_BYTES: '1048576',
    ADMIN_TOKEN: 'x'.repeat(32), LOG_LEVEL: 'warn',
  });
  t.match(config, {
    port: 8080, host: '0.0.0.0', publicUrl: 'https://gallery.example', databaseUrl: 'postgresql://db/lamha', uploadMaxBytes: 1048576,
    adminToken: 'x'.repeat(32), logLevel: 'warn',
  });
  t.same(config.s3, { endpoint: 'https://s3.example', accessKey: 'ak', secretKey: 'sk', bucket: 'media.2026', region: 'us-east-1' });
});

t.test('reports every bad key at once in one ConfigError', async (t) => {
  const env = {
    PORT: 'abc', DATABASE_URL: 'mysql://x', ADMIN_TOKEN: 'short', S3_ENDPOINT: 'http://127.0.0.1:7480',
    S3_BUCKET: 'Bad_Name', LOG_LEVEL: 'loud', UPLOAD_MAX_BYTES: '0',
  };
  const keys = ['PORT', 'DATABASE_URL', 'ADMIN_TOKEN', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_BUCKET', 'LOG_LEVEL', 'UPLOAD_MAX_BYTES'];
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof ConfigError, 'throws a ConfigError');
  const err = caught as ConfigError;
  t.equal(err.problems.length, keys.length, err.message);
  for (const key of keys) {
    t.ok(err.problems.some((p) => p.startsWith(`${key} `)), `a problem names ${key}`);
    t.match(err.message, key, `the message names ${key}`);
  }
  t.match(err.message, 'S3_ENDPOINT', 'the missing keys are tied to S3_ENDPOINT');
});

t.test('rejects out-of-range and malformed numbers', async (t) => {
  for (const [key, value] of [['PORT', '65536'], ['PORT', '-1'], ['PORT', '80.5'], ['UPLOAD_MAX_BYTES', '1e9'], ['S3_EMBEDDED_PORT', '0']] as const) {
    t.throws(() => loadConfig({ [key]: value }), { name: 'ConfigError', problems: [new RegExp(`^${key} `)] }, `${key}=${value}`);
  }
});

t.test('freezes the result, nested objects included', async (t) => {
  const config = loadConfig({});
  t.ok(Object.isFrozen(config));
  t.ok(Object.isFrozen(config.s3));
  t.throws(() => {
    (config as { port: number }).port = 1;
  }, TypeError);
  t.throws(() => {
    (config.s3 as { bucket: string }).bucket = 'other';
  }, TypeError);
  t.equal(config.s3.bucket, 'lamha');
});

t.test('the server exits at once with one message naming every bad key', async (t) => {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: 'abc', ADMIN_TOKEN: 'short' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  // a process that hangs instead of exiting is killed; starting one through tsx takes 3 s on an idle machine, 15 under the full suite
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(killer);
  const seconds = (Date.now() - started) / 1000;
  t.equal(code, 78, 'EX_CONFIG');
  t.ok(seconds < 60, `exited after ${seconds.toFixed(1)} s, not left waiting`);
  const lines = stderr.trim().split('\n');
  t.equal(lines.length, 1, `one line on stderr: ${stderr}`);
  t.match(lines[0], /^lamha: Invalid configuration: /);
  t.match(lines[0], 'PORT');
  t.match(lines[0], 'ADMIN_TOKEN');
  t.equal(stdout, '', 'nothing on stdout');
});

t.test('the worker reads no ADMIN_TOKEN: it starts without one and a bad one does not stop it', async (t) => {
  const worker = loadConfig({ ADMIN_TOKEN: 'short' }, { process: 'worker' });
  t.equal(worker.adminToken, undefined, 'the worker never holds the secret');
  t.throws(() => loadConfig({ ADMIN_TOKEN: 'short' }), { name: 'ConfigError', problems: [/^ADMIN_TOKEN /] }, 'the API still checks it');
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: 'mysql://x', ADMIN_TOKEN: 'short' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  // a process that hangs instead of exiting is killed; starting one through tsx takes 3 s on an idle machine, 15 under the full suite
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(killer);
  t.equal(code, 78, 'EX_CONFIG for the bad DATABASE_URL');
  t.match(stderr, 'DATABASE_URL');
  t.notMatch(stderr, 'ADMIN_TOKEN', 'the worker does not judge a key it never uses');
});

t.test('TRUST_PROXY: off by default; true, hops, or addresses and ranges; anything else refused', async (t) => {
  t.equal(loadConfig({}).trustProxy, false);
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
  t.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
  t.same(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,loopback, fd00::/8' }).trustProxy, ['127.0.0.1', '10.0.0.0/8', 'loopback', 'fd00::/8']);
  t.throws(() => loadConfig({ TRUST_PROXY: 'the-proxy.example' }), /TRUST_PROXY/);
});

t.test('reads the metrics token and the worker\'s metrics port: off by default, the port only with a token', async (t) => {
  t.same(loadConfig({}).metrics, { token: undefined, workerPort: undefined, workerHost: '127.0.0.1' });
  const token = 'm'.repeat(32);
  t.same(loadConfig({ METRICS_TOKEN: token, WORKER_METRICS_PORT: '9465', WORKER_METRICS_HOST: '0.0.0.0' }, { process: 'worker' }).metrics, { token, workerPort: 9465, workerHost: '0.0.0.0' });
  t.throws(() => loadConfig({ METRICS_TOKEN: 'short' }), { name: 'ConfigError', problems: [/^METRICS_TOKEN /] });
  t.throws(() => loadConfig({ WORKER_METRICS_PORT: '9465' }), { name: 'ConfigError', problems: [/^WORKER_METRICS_PORT needs METRICS_TOKEN/] });
  t.throws(() => loadConfig({ METRICS_TOKEN: token, WORKER_METRICS_PORT: '0' }), { name: 'ConfigError', problems: [/^WORKER_METRICS_PORT /] });
});

t.test('reads the shutdown drain and bound: 5 s and 30 s by default, 0 allowed, nonsense refused', async (t) => {
  t.same(loadConfig({}).shutdown, { drainMs: 5000, timeoutMs: 30_000 });
  t.same(loadConfig({ SHUTDOWN_DRAIN_MS: '0', SHUTDOWN_TIMEOUT_MS: '0' }).shutdown, { drainMs: 0, timeoutMs: 0 });
  t.throws(() => loadConfig({ SHUTDOWN_DRAIN_MS: '5s', SHUTDOWN_TIMEOUT_MS: '-1' }), { name: 'ConfigError', problems: [/^SHUTDOWN_DRAIN_MS /, /^SHUTDOWN_TIMEOUT_MS /] });
});

t.test('reads the sweep\'s period and grace: 15 minutes and 24 hours by default, nonsense refused', async (t) => {
  t.same(loadConfig({}).sweep, { everyMs: 15 * 60_000, graceMs: 24 * 3600_000 });
  t.same(loadConfig({ SWEEP_EVERY_MINUTES: '5', SWEEP_GRACE_HOURS: '2' }).sweep, { everyMs: 5 * 60_000, graceMs: 2 * 3600_000 });
  t.throws(() => loadConfig({ SWEEP_EVERY_MINUTES: '0', SWEEP_GRACE_HOURS: 'a day' }), { name: 'ConfigError', problems: [/^SWEEP_EVERY_MINUTES /, /^SWEEP_GRACE_HOURS /] });
});

t.test('reads the uploads\' part memory: 96 MiB by default, at least 16', async (t) => {
  t.equal(loadConfig({}).uploadMemoryBytes, 96 * 1024 * 1024);
  t.equal(loadConfig({ UPLOAD_MEMORY_MB: '64' }).uploadMemoryBytes, 64 * 1024 * 1024);
  t.throws(() => loadConfig({ UPLOAD_MEMORY_MB: '8' }), { name: 'ConfigError', problems: [/^UPLOAD_MEMORY_MB /] });
});
