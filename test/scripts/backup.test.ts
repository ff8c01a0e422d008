/**
 * Backup and restore end to end, on each S3 server: photos and a video (its HLS ladder, poster
 * and download) made ready by the real workers, a backup taken while an asset is deleted,
 * restored into a new database and a new bucket, and the restored installation serving every
 * asset and rendition with the same bytes through the HTTP API, every object of the bucket there.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { backup } from '../../src/backup/backup.js';
import { objectPath, type Manifest } from '../../src/backup/manifest.js';
import { restore, RestoreRefused } from '../../src/backup/restore.js';
import { createDb } from '../../src/db/database.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { createHash } from 'node:crypto';
import { buildTestApp, createTestContext, REDIS_URL, s3Kinds, seedEvent, testDatabase, testStorage, type S3Kind, type TestContext } from '../helpers/context.js';
import { testClip } from '../helpers/clips.js';
import { multipart } from '../helpers/multipart.js';
import { runWorkers, settled } from '../helpers/workers.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const PHOTOS = ['jpeg_canon-600d_gps_iptc_xmp.jpg', 'png_rgba_alpha.png', 'exif-orientation_6.jpg'];

async function upload(ctx: TestContext, name: string, file = fixture(name)): Promise<string> {
  const form = multipart([{ name: 'file', filename: name, body: await readFile(file) }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  return (res.json().assets as { id: string }[])[0]!.id;
}

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-backup-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An empty installation: a new database (restored into its `public` schema) and a new bucket. */
async function emptyInstallation(t: Parameters<typeof testStorage>[0], kind: S3Kind) {
  const url = await testDatabase(t);
  const storage = await testStorage(t, kind);
  const db = createDb({ url, max: 2 });
  t.teardown(() => db.end());
  return { url, storage, db };
}

/** The app over a restored installation, as `npm start` would build it there. */
async function appOn(t: { teardown(fn: () => unknown): void }, url: string, storage: ObjectStore): Promise<FastifyInstance> {
  const db = createDb({ url, max: 3 });
  const { app } = await buildTestApp(t, { url, db, storage });
  t.teardown(() => db.end());
  return app;
}

/** The S3 settings of a CLI run against `storage`. */
function s3Env(storage: ObjectStore, kind: S3Kind): Record<string, string> {
  const keys = kind === 'rgw' ? { S3_ACCESS_KEY: process.env.S3_ACCESS_KEY!, S3_SECRET_KEY: process.env.S3_SECRET_KEY! } : { S3_ACCESS_KEY: 'S3RVER', S3_SECRET_KEY: 'S3RVER' };
  return { S3_ENDPOINT: storage.endpoint, S3_BUCKET: storage.bucket, ...keys };
}

/** Every object of the bucket (but those under `except`) by key, as the SHA-256 of its bytes. */
async function contents(storage: ObjectStore, except: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of (await storage.list('')).filter((k) => !k.includes(except))) {
    const hash = createHash('sha256');
    for await (const chunk of await storage.get(key)) hash.update(chunk as Buffer);
    out[key] = hash.digest('hex');
  }
  return out;
}

for (const kind of s3Kinds()) t.test(`on the ${kind} S3 server: a backup restored into an empty installation serves every asset and rendition with the same bytes`, async (t) => {
  const ctx = await createTestContext(t, { ownDatabase: true, s3: kind });
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images', 'videos', 'maintenance']);
  const ids: string[] = [];
  for (const name of PHOTOS) ids.push(await upload(ctx, name));
  const video = await upload(ctx, 'panel.mp4', await testClip({ width: 640, height: 360, fps: 25, seconds: 6 }));
  ids.push(video);
  for (const id of ids) t.equal((await settled(ctx, id, 180_000)).status, 'ready', `asset ${id} is ready`);
  const [doomed, ...kept] = ids as [string, ...string[]];

  const dir = await tempDir(t);
  const manifest = await backup(dir, {
    databaseUrl: ctx.config.databaseUrl, schema: ctx.schema, db: ctx.db, storage: ctx.storage,
    // deleted after the snapshot: its row is in the dump, its objects are gone before the copy
    afterDump: async () => {
      const res = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/assets/${doomed}`, headers: ctx.auth(ctx.admin) });
      if (res.statusCode !== 204) throw new Error(`delete: ${res.statusCode} ${res.body}`);
    },
  });
  t.same(manifest.deletedDuringBackup, [doomed], 'the asset deleted during the backup is recorded as such');
  t.equal(manifest.totals.assets, kept.length);
  t.ok(manifest.objects.every((o) => !o.key.includes(doomed)), 'none of its objects is kept');
  for (const o of manifest.objects) t.equal(o.bytes, (await ctx.storage.stat(o.key)).size, `${o.key} copied whole`);

  const target = await emptyInstallation(t, kind);
  const summary = await restore(dir, { databaseUrl: target.url, schema: 'public', db: target.db, storage: target.storage });
  t.same(summary.mismatched, []);
  t.match(summary, { assets: kept.length, objects: manifest.objects.length, bytes: manifest.totals.bytes });

  const restored = await appOn(t, target.url, target.storage);
  const headers = ctx.auth(ctx.admin); // the tokens are restored too
  t.equal((await restored.inject({ method: 'GET', url: `/api/v1/assets/${doomed}`, headers })).statusCode, 404, 'the deleted asset stays deleted');
  const album = await restored.inject({ method: 'GET', url: '/api/v1/events/conf/albums/day-1' });
  t.equal(album.statusCode, 200);
  t.same((album.json().assets as { id: string }[]).map((a) => a.id).sort(), [...kept].sort(), 'the public album lists every kept asset');
  for (const id of kept) {
    const before = (await ctx.app.inject({ method: 'GET', url: `/api/v1/assets/${id}`, headers })).json();
    const res = await restored.inject({ method: 'GET', url: `/api/v1/assets/${id}`, headers });
    t.equal(res.statusCode, 200, `asset ${id} is there`);
    const after = res.json();
    t.match(after, { status: 'ready', sha256: before.sha256, bytes: before.bytes, width: before.width, height: before.height });
    const names = Object.keys(before.renditions).sort();
    t.ok(names.length >= 3 && names.includes('thumb.webp'), `asset ${id} has its renditions (${names.join(', ')})`);
    t.same(Object.keys(after.renditions).sort(), names, `asset ${id} has every rendition`);
    for (const name of names) {
      const a = await ctx.app.inject({ method: 'GET', url: `/media/${id}/${name}` });
      const b = await restored.inject({ method: 'GET', url: `/media/${id}/${name}` });
      t.equal(b.statusCode, 200, `${id}/${name} is served`);
      t.ok(a.rawPayload.length > 0 && a.rawPayload.equals(b.rawPayload), `${id}/${name}: the same bytes`);
    }
    const original = await restored.inject({ method: 'GET', url: `/api/v1/assets/${id}/original`, headers });
    t.equal(original.statusCode, 200, `asset ${id}'s original is there`);
  }
  const videoObjects = Object.keys(await contents(target.storage, doomed)).filter((k) => k.startsWith(`renditions/${video}/`));
  t.ok(videoObjects.filter((k) => /\.(m4s|ts|mp4)$/.test(k)).length >= 3, `the video's segments are restored (${videoObjects.length} objects)`);
  // press copies are made on demand: the restored app just made some, serving the originals
  const archived = (c: Record<string, string>) => Object.fromEntries(Object.entries(c).filter(([k]) => !k.startsWith('press/')));
  t.same(archived(await contents(target.storage, doomed)), archived(await contents(ctx.storage, doomed)), 'every object of the bucket, with the same bytes');

  t.test('restore refuses a target that is not empty', async (t) => {
    await t.rejects(restore(dir, { databaseUrl: target.url, schema: 'public', db: target.db, storage: target.storage }), RestoreRefused);
    await t.rejects(restore(dir, { databaseUrl: target.url, schema: 'public', db: target.db, storage: target.storage }), /schema "public" has \d+ tables/);
    const other = await emptyInstallation(t, kind);
    // an empty database, but the bucket already holds objects
    await t.rejects(restore(dir, { databaseUrl: other.url, schema: 'public', db: other.db, storage: target.storage }), /bucket "[^"]+" is not empty/);
    const { rows } = await other.db.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
    t.equal(rows[0].n, 0, 'and changes nothing in the database');
  });

  t.test('npm run backup backs up the installation its configuration names', async (t) => {
    const again = path.join(await tempDir(t), 'backup');
    const env = { ...process.env, DATABASE_URL: ctx.config.databaseUrl, ...s3Env(ctx.storage, kind), REDIS_URL, LOG_LEVEL: 'silent' };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/backup.ts', again], { cwd: root, env, timeout: 60_000 });
    t.match(stdout, `${kept.length} assets`);
    const m = JSON.parse(await readFile(path.join(again, 'manifest.json'), 'utf8')) as Manifest;
    t.same(m.objects.map((o) => [o.key, o.sha256]), manifest.objects.map((o) => [o.key, o.sha256]), 'the same objects, the same bytes');
  });

  t.test('npm run restore of a tampered backup exits non-zero and names the object', async (t) => {
    const copy = await tempDir(t);
    await cp(dir, copy, { recursive: true });
    const m = JSON.parse(await readFile(path.join(copy, 'manifest.json'), 'utf8')) as Manifest;
    const victim = m.objects.find((o) => o.key.startsWith('renditions/'))!;
    const file = objectPath(copy, victim.key);
    const bytes = await readFile(file);
    bytes[bytes.length >> 1]! ^= 0xff;
    await writeFile(file, bytes);
    const other = await emptyInstallation(t, kind);
    const env = { ...process.env, DATABASE_URL: other.url, ...s3Env(other.storage, kind), REDIS_URL, LOG_LEVEL: 'silent' };
    const result = await run(process.execPath, ['--import', 'tsx', 'scripts/restore.ts', copy], { cwd: root, env, timeout: 60_000 }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    t.equal(result.code, 1, 'exit status 1');
    t.match(result.stderr, victim.key, 'stderr names the tampered object');
    t.match(result.stdout, /restored: \d+ assets/, 'the summary is printed');
    t.notOk(await other.storage.exists(victim.key), 'the tampered object is not left in the bucket');
  });

  t.test('a backup fails, naming the key, when an object of an asset that still exists is missing', async (t) => {
    const key = `renditions/${kept[0]}/thumb.webp`;
    await ctx.storage.delete(key);
    await t.rejects(backup(await tempDir(t), { databaseUrl: ctx.config.databaseUrl, schema: ctx.schema, db: ctx.db, storage: ctx.storage }), { name: 'BackupError', message: new RegExp(key) });
  });
});
