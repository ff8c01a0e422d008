/**
 * Restores a backup (backup.ts) into an empty installation: pg_restore of the dump, the rows of
 * assets deleted while the backup ran deleted again, then every object uploaded from its copy,
 * its SHA-256 checked against the manifest on the way.
 */
import { createReadStream } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { ensureDatabase, quoteIdent, type Db } from '../db/database.js';
import { DigestStream } from '../storage/digest-stream.js';
import type { ObjectStore } from '../storage/object-store.js';
import { DUMP, MANIFEST, objectPath, type Manifest } from './manifest.js';
import { libpqUrl, runPgTool } from './pg-tools.js';

/** An installation as backup and restore reach it. */
export interface InstallationDeps {
  databaseUrl: string;
  /** the installation's schema (`public` for a real one); a restore's must be the one backed up */
  schema: string;
  db: Db;
  storage: ObjectStore;
  log?: (line: string) => void;
  /** objects copied at once */
  concurrency?: number;
}

export type RestoreDeps = InstallationDeps;

export interface RestoreSummary {
  assets: number;
  renditions: number;
  objects: number;
  bytes: number;
  /** keys whose bytes differ from the manifest (or whose copy is missing): not restored */
  mismatched: string[];
}

/** The target is not an empty installation, or the backup is unusable: nothing was changed. */
export class RestoreRefused extends Error {
  override name = 'RestoreRefused';
}

export async function readManifest(dir: string): Promise<Manifest> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch (err) {
    throw new RestoreRefused(`${dir} holds no readable ${MANIFEST} (an unfinished backup?): ${(err as Error).message}`);
  }
  if (manifest.format !== 1) throw new RestoreRefused(`unknown backup format ${String(manifest.format)}`);
  for (const o of manifest.objects) objectPath(dir, o.key); // refuses a key outside the asset prefixes
  await access(path.join(dir, DUMP)).catch(() => {
    throw new RestoreRefused(`${dir} has no ${DUMP}`);
  });
  return manifest;
}

export async function restore(dir: string, deps: RestoreDeps): Promise<RestoreSummary> {
  const { databaseUrl, schema, db, storage } = deps;
  const log = deps.log ?? (() => {});
  const manifest = await readManifest(dir);
  if (manifest.schema !== schema) {
    throw new RestoreRefused(`the backup is of schema "${manifest.schema}", the target is "${schema}": pg_restore cannot rename a schema`);
  }

  await ensureDatabase(databaseUrl);
  const { rows: tables } = await db.query<{ name: string }>('SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY 1', [schema]);
  if (tables.length > 0) {
    throw new RestoreRefused(`the target database is not empty: schema "${schema}" has ${tables.length} tables (${tables.slice(0, 5).map((t) => t.name).join(', ')}…). Restore into a new, empty database, before Lamha's first start there`);
  }
  await storage.ensureBucket();
  const present = await firstKey(storage);
  if (present !== undefined) {
    throw new RestoreRefused(`the target bucket "${storage.bucket}" is not empty (it holds ${present}): restore into a new, empty bucket`);
  }

  // The schema itself is made here, not by the dump: an empty database already has `public`,
  // and pg_restore would fail on its CREATE SCHEMA. Its table of contents, less that entry, is
  // what pg_restore restores.
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  const dump = path.join(dir, DUMP);
  const toc = (await runPgTool('pg_restore', ['--list', dump])).split('\n').filter((line) => !/^\d+; \d+ \d+ SCHEMA - /.test(line));
  const list = path.join(await mkdtemp(path.join(os.tmpdir(), 'lamha-restore-')), 'toc');
  try {
    await writeFile(list, toc.join('\n'));
    await runPgTool('pg_restore', [`--dbname=${libpqUrl(databaseUrl)}`, '--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--use-list=${list}`, dump]);
  } finally {
    await rm(path.dirname(list), { recursive: true, force: true });
  }
  log('database restored');
  if (manifest.deletedDuringBackup.length > 0) {
    // Deleted while the backup ran, as the service deletes: the row, its renditions and subtitles by cascade.
    await db.query('DELETE FROM assets WHERE id = ANY($1::uuid[])', [manifest.deletedDuringBackup]);
    log(`${manifest.deletedDuringBackup.length} assets deleted while the backup ran left out`);
  }

  const mismatched: string[] = [];
  let objects = 0;
  let bytes = 0;
  const limit = pLimit(deps.concurrency ?? 4);
  await Promise.all(manifest.objects.map((o) => limit(async () => {
    const file = objectPath(dir, o.key);
    // Checked before it is uploaded, so a damaged copy never reaches the bucket; the upload
    // is counted again, and a file changed in between is caught too.
    const check = await digestOfFile(file).catch(() => undefined);
    if (!check || check.bytes !== o.bytes || check.sha256 !== o.sha256) {
      mismatched.push(o.key);
      return;
    }
    const headers: Record<string, string> = o.cacheControl ? { 'Cache-Control': o.cacheControl } : {};
    const digest = new DigestStream();
    await storage.put(o.key, createReadStream(file).pipe(digest), { ...(o.contentType ? { contentType: o.contentType } : {}), headers });
    if (digest.bytes !== o.bytes || digest.sha256.toString('hex') !== o.sha256) {
      mismatched.push(o.key);
      await storage.delete(o.key);
      return;
    }
    objects++;
    bytes += o.bytes;
  })));

  const { rows: [counts] } = await db.query<{ assets: number; renditions: number }>(
    'SELECT (SELECT count(*) FROM assets)::int AS assets, (SELECT count(*) FROM renditions)::int AS renditions',
  );
  return { assets: counts!.assets, renditions: counts!.renditions, objects, bytes, mismatched: mismatched.sort() };
}

/** The size and SHA-256 of a file, streamed. */
async function digestOfFile(file: string): Promise<{ bytes: number; sha256: string }> {
  const digest = new DigestStream();
  await pipeline(createReadStream(file), digest, new Writable({ write: (_c, _e, done) => done() }));
  return { bytes: digest.bytes, sha256: digest.sha256.toString('hex') };
}

async function firstKey(storage: ObjectStore): Promise<string | undefined> {
  const stream = storage.client.listObjectsV2(storage.bucket, '', true) as AsyncIterable<{ name?: string }> & { destroy?: () => void };
  for await (const item of stream) {
    if (item.name) return item.name;
  }
  return undefined;
}
