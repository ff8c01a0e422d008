/**
 * Each test gets its own PostgreSQL schema, Redis key prefix and S3 bucket, against the real
 * servers: the S3 server is Ceph RGW when S3_ENDPOINT is set (scripts/test.sh starts one),
 * and the embedded s3rver otherwise or when asked for.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import tap from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDb, ensureDatabase, migrate, quoteIdent, withDefaultUser, type Db } from '../../src/db/database.js';
import { insertToken, type Role } from '../../src/db/tokens.js';
import { createQueues, type Queues } from '../../src/queues/producer.js';
import { createRedis } from '../../src/redis/connection.js';
import { generateToken, hashToken } from '../../src/services/tokens.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../../src/storage/embedded-s3.js';
import { createObjectStore, type ObjectStore } from '../../src/storage/object-store.js';

export type S3Kind = 'rgw' | 'embedded';

let rgwSkipReported = false;

/**
 * The S3 servers this run has: the Ceph RGW that `npm test` starts, and the embedded one. A run
 * without the RGW (`npx tap <file>` alone) fails here rather than silently losing a lane, unless
 * LAMHA_TEST_S3=embedded asks for the embedded server only; the RGW lane then shows as skipped.
 */
export function s3Kinds(): S3Kind[] {
  if (process.env.LAMHA_TEST_S3 === 'embedded') {
    if (!rgwSkipReported) {
      rgwSkipReported = true;
      tap.test('the Ceph RGW lane', { skip: 'LAMHA_TEST_S3=embedded: the embedded S3 server only' }, () => {});
    }
    return ['embedded'];
  }
  if (!process.env.S3_ENDPOINT) {
    throw new Error('no Ceph RGW for this run (S3_ENDPOINT is unset): run `npm test -- <file>`, which starts one, or set LAMHA_TEST_S3=embedded to test against the embedded S3 server only');
  }
  return ['rgw', 'embedded'];
}

export const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1/lamha_test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Teardown {
  teardown(fn: () => unknown): void;
}

let embedded: Promise<EmbeddedS3> | undefined;
let embeddedUsers = 0;

function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** A fresh bucket on the chosen S3 server, emptied and removed at teardown. */
export async function testStorage(t: Teardown, kind: S3Kind = s3Kinds()[0]!, options: { partSize?: number } = {}): Promise<ObjectStore> {
  let endpoint: string;
  let accessKey = 'S3RVER';
  let secretKey = 'S3RVER';
  if (kind === 'rgw') {
    endpoint = process.env.S3_ENDPOINT!;
    accessKey = process.env.S3_ACCESS_KEY!;
    secretKey = process.env.S3_SECRET_KEY!;
  } else {
    embedded ??= mkdtemp(path.join(os.tmpdir(), 'lamha-s3-')).then((dataDir) => startEmbeddedS3({ dataDir, port: 0 }));
    embeddedUsers++;
    endpoint = (await embedded).endpoint;
  }
  const storage = createObjectStore({
    endpoint, accessKey, secretKey, bucket: uniqueName('lamha-test-'), region: process.env.S3_REGION ?? 'us-east-1', ...options,
  });
  await storage.ensureBucket();
  t.teardown(async () => {
    for (const key of await storage.list('')) await storage.delete(key);
    await storage.client.removeBucket(storage.bucket).catch(() => {});
    if (kind === 'embedded' && --embeddedUsers === 0 && embedded) {
      const server = await embedded;
      embedded = undefined;
      await server.close();
    }
  });
  return storage;
}

let databaseReady: Promise<void> | undefined;

/**
 * A migrated schema of its own, dropped at teardown. node-pg-migrate applies the migrations to
 * each schema: about 40 ms, less than cloning a template database (≈170 ms plus its drop).
 */
export async function testDb(t: Teardown): Promise<{ db: Db; schema: string; url: string }> {
  await (databaseReady ??= ensureDatabase(DATABASE_URL));
  const schema = uniqueName('t_');
  await migrate(DATABASE_URL, schema);
  const db = createDb({ url: DATABASE_URL, schema, max: 5 });
  t.teardown(async () => {
    await db.end();
    const admin = createDb({ url: DATABASE_URL, max: 1 });
    await admin.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
    await admin.end();
  });
  return { db, schema, url: DATABASE_URL };
}

/**
 * A database of its own (empty; dropped at teardown), for a test that runs a Lamha process:
 * the process migrates and uses its `public` schema, which nothing else shares.
 */
export async function testDatabase(t: Teardown): Promise<string> {
  const name = uniqueName('lamha_t_');
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  const server = new URL(withDefaultUser(DATABASE_URL));
  server.pathname = '/postgres';
  const admin = createDb({ url: server.toString(), max: 1 });
  await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  t.teardown(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    await admin.end();
  });
  return url.toString();
}

/** Like testDb, in a database of its own whose `public` schema is the test's. */
async function testOwnDb(t: Teardown): Promise<{ db: Db; schema: string; url: string }> {
  const url = await testDatabase(t);
  await migrate(url);
  const db = createDb({ url });
  t.teardown(() => db.end());
  return { db, schema: 'public', url };
}

export interface TestContext {
  app: FastifyInstance;
  config: Readonly<Config>;
  db: Db;
  schema: string;
  redis: Redis;
  storage: ObjectStore;
  queues: Queues;
  /** an admin bearer token */
  admin: string;
  /** a bearer token of `role` bound to the event with this slug (or to every event for admin) */
  mint(role: Role, eventSlug?: string, options?: { expiresAt?: Date }): Promise<string>;
  /** `{authorization: 'Bearer …'}` */
  auth(token: string): { authorization: string };
}

export interface ContextOptions {
  s3?: S3Kind;
  env?: Record<string, string>;
  partSize?: number;
  /** a database of its own instead of a schema: for tests that start Lamha processes on it */
  ownDatabase?: boolean;
  /** a Redis of the test's own (privateRedis) instead of the shared one */
  redisUrl?: string;
}

/**
 * The app over database `url` (its pool `db`) and `storage`, with a Redis prefix of its own, as
 * `npm start` would build it there; closed, and its queues emptied, at teardown.
 */
export async function buildTestApp(t: Teardown, o: { url: string; db: Db; storage: ObjectStore; env?: Record<string, string>; redisUrl?: string }) {
  const prefix = uniqueName('lamha-test-');
  const redisUrl = o.redisUrl ?? REDIS_URL;
  const config = loadConfig({
    DATABASE_URL: o.url, REDIS_URL: redisUrl, LOG_LEVEL: 'silent', REDIS_PREFIX: prefix, S3_BUCKET: o.storage.bucket,
    // no hand-off unless a test asks for one: workers download originals from S3, as on another machine
    PUBLIC_URL: 'http://gallery.test', HANDOFF_DIR: 'off', ...o.env,
  });
  const redis = createRedis(redisUrl);
  const queues = createQueues({ connection: redis, prefix });
  const app = await buildApp(config, { deps: { db: o.db, redis, storage: o.storage, queues } });
  t.teardown(async () => {
    await app.close();
    for (const q of Object.values(queues.queues)) await q.obliterate({ force: true });
    await queues.close();
    redis.disconnect();
  });
  return { app, config, redis, queues };
}

export async function createTestContext(t: Teardown, options: ContextOptions = {}): Promise<TestContext> {
  const { db, schema, url } = options.ownDatabase ? await testOwnDb(t) : await testDb(t);
  const storage = await testStorage(t, options.s3, options.partSize ? { partSize: options.partSize } : {});
  const { app, config, redis, queues } = await buildTestApp(t, { url, db, storage, env: options.env, redisUrl: options.redisUrl });

  async function mint(role: Role, eventSlug?: string, opts: { expiresAt?: Date } = {}): Promise<string> {
    let eventId: string | null = null;
    if (eventSlug !== undefined) {
      const { rows } = await db.query<{ id: string }>('SELECT id FROM events WHERE slug = $1', [eventSlug]);
      if (!rows[0]) throw new Error(`no event ${eventSlug}`);
      eventId = rows[0].id;
    }
    const token = generateToken();
    await insertToken(db, { hash: hashToken(token), role, eventId, label: `test ${role}`, createdBy: null, expiresAt: opts.expiresAt ?? null });
    return token;
  }

  return {
    app, config, db, schema, redis, storage, queues,
    admin: await mint('admin'),
    mint,
    auth: (token) => ({ authorization: `Bearer ${token}` }),
  };
}

/**
 * Creates an event (published unless told otherwise) with one album, through the API. Tests of
 * what outputs leave out keep the originals' locations (`keepLocation`), so that there is some.
 */
export async function seedEvent(
  ctx: TestContext,
  { event = 'conf', album = 'day-1', publish = true, keepLocation = false }: { event?: string; album?: string; publish?: boolean; keepLocation?: boolean } = {},
): Promise<void> {
  const headers = ctx.auth(ctx.admin);
  const created = await ctx.app.inject({
    method: 'POST', url: '/api/v1/events', headers,
    payload: { slug: event, title: { en: 'Conference', ar: 'المؤتمر' }, startsOn: '2026-12-01', endsOn: '2026-12-02', locales: ['ar', 'en', 'ku'], defaultLocale: 'ar', keepLocation },
  });
  if (created.statusCode !== 201) throw new Error(`event: ${created.body}`);
  const a = await ctx.app.inject({ method: 'POST', url: `/api/v1/events/${event}/albums`, headers, payload: { slug: album, title: { en: 'Day one', ar: 'اليوم الأول' } } });
  if (a.statusCode !== 201) throw new Error(`album: ${a.body}`);
  if (publish) {
    await ctx.app.inject({ method: 'PATCH', url: `/api/v1/events/${event}`, headers, payload: { status: 'published' } });
    await ctx.app.inject({ method: 'PATCH', url: `/api/v1/events/${event}/albums/${album}`, headers, payload: { status: 'published' } });
  }
}
