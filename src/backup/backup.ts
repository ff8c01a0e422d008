/**
 * A consistent backup of one installation: the database in one snapshot and every object its
 * rows refer to.
 *
 * Consistency. pg_dump runs on a snapshot exported by a REPEATABLE READ transaction that also
 * reads, from the same snapshot, which assets and renditions exist; the objects are then copied
 * as of those rows. Objects are never changed in place (writes are idempotent, keys
 * deterministic), so a copied object is the one the row refers to. What can happen while the
 * copy runs is a deletion: an asset deleted after the snapshot loses its objects (at once, or
 * by purge-asset), and the dump still has its row. Such an object is recorded as vanished; after
 * the copy the live database is asked whether its asset still exists. If not, the deletion was
 * legitimate and happened after the snapshot: the asset is listed in `deletedDuringBackup`, its
 * copied objects are dropped, and a restore deletes its rows as the service did. A vanished
 * object whose asset is still there (a rendition remade meanwhile, or a lost object) fails the
 * backup, naming it: run it again. We chose this over holding off purges with an advisory lock
 * because deletes remove objects in the API request itself, and a backup of many gigabytes must
 * not make deletions (a takedown) wait for it.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import pLimit from 'p-limit';
import type { Db } from '../db/database.js';
import { NotFoundError } from '../errors.js';
import { DigestStream } from '../storage/digest-stream.js';
import { originalKey } from '../storage/keys.js';
import type { ObjectStore } from '../storage/object-store.js';
import { assetOfKey, DUMP, MANIFEST, objectPath, type Manifest, type ManifestObject } from './manifest.js';
import { libpqUrl, runPgTool } from './pg-tools.js';
import type { InstallationDeps } from './restore.js';

/** `db`, the live database, is also asked after the copy about assets whose objects vanished. */
export interface BackupDeps extends InstallationDeps {
  /** called once the snapshot is taken and the dump written, before objects are copied (tests) */
  afterDump?: () => Promise<void>;
}

export class BackupError extends Error {
  override name = 'BackupError';
}

export async function backup(dir: string, deps: BackupDeps): Promise<Manifest> {
  const { databaseUrl, schema, storage } = deps;
  const log = deps.log ?? (() => {});
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) throw new BackupError(`${dir} is not empty: back up into a new directory`);

  // The snapshot's transaction stays open until pg_dump has finished: pg_dump imports it.
  const client = new pg.Client({ connectionString: libpqUrl(databaseUrl), options: `-c search_path=${pg.escapeIdentifier(schema)}` });
  await client.connect();
  let assets: string[];
  let required: string[];
  let migration: string | undefined;
  let renditionCount: number;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: [snap] } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    const dump = runPgTool('pg_dump', [
      `--dbname=${libpqUrl(databaseUrl)}`, `--snapshot=${snap!.id}`, '--format=custom', `--schema=${schema}`,
      '--no-owner', '--no-privileges', `--file=${path.join(dir, DUMP)}`,
    ]);
    assets = (await client.query<{ id: string }>('SELECT id FROM assets ORDER BY id')).rows.map((r) => r.id);
    const renditions = (await client.query<{ key: string }>('SELECT key FROM renditions')).rows.map((r) => r.key);
    const subtitles = (await client.query<{ key: string }>('SELECT key FROM subtitles')).rows.map((r) => r.key);
    migration = (await client.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY run_on DESC, id DESC LIMIT 1')).rows[0]?.name;
    renditionCount = renditions.length;
    required = [...assets.map(originalKey), ...renditions, ...subtitles];
    await dump;
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => {});
  }
  log(`database dumped: ${assets.length} assets, ${renditionCount} renditions`);
  await deps.afterDump?.();

  // Everything under an asset's prefixes belongs to it (an HLS rendition is a tree of segments
  // behind its one row); the rows' keys must be among them.
  const inDump = new Set(assets);
  const sizes = new Map<string, number>();
  const unreferenced: Manifest['unreferenced'] = [];
  for await (const item of storage.client.listObjectsV2(storage.bucket, '', true) as AsyncIterable<{ name?: string; size?: number }>) {
    if (!item.name) continue;
    const owner = assetOfKey(item.name);
    if (owner && inDump.has(owner)) sizes.set(item.name, item.size ?? 0);
    else unreferenced.push({ key: item.name, bytes: item.size ?? 0 });
  }
  const keys = new Set([...sizes.keys(), ...required]);

  const vanished: string[] = [];
  const copied: ManifestObject[] = [];
  const limit = pLimit(deps.concurrency ?? 4);
  let done = 0;
  await Promise.all([...keys].sort().map((key) => limit(async () => {
    try {
      copied.push(await copyObject(storage, key, dir));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      vanished.push(key);
    }
    if (++done % 500 === 0) log(`${done} of ${keys.size} objects copied`);
  })));

  const deletedDuringBackup: string[] = [];
  if (vanished.length > 0) {
    const owners = [...new Set(vanished.map((k) => assetOfKey(k)!))];
    const { rows } = await deps.db.query<{ id: string }>('SELECT id FROM assets WHERE id = ANY($1::uuid[])', [owners]);
    const live = new Set(rows.map((r) => r.id));
    const lost = vanished.filter((k) => live.has(assetOfKey(k)!));
    if (lost.length > 0) {
      throw new BackupError(`objects of assets that still exist vanished during the backup (a rendition remade meanwhile, or lost from the bucket); run the backup again: ${lost.sort().join(', ')}`);
    }
    deletedDuringBackup.push(...owners.sort());
    log(`${owners.length} assets were deleted while the backup ran; a restore leaves them out`);
  }
  const gone = new Set(deletedDuringBackup);
  const objects: ManifestObject[] = [];
  for (const o of copied.sort((a, b) => a.key.localeCompare(b.key))) {
    if (gone.has(assetOfKey(o.key)!)) await rm(objectPath(dir, o.key), { force: true });
    else objects.push(o);
  }

  const manifest: Manifest = {
    format: 1,
    createdAt: new Date().toISOString(),
    schema,
    bucket: storage.bucket,
    migration,
    objects,
    deletedDuringBackup,
    unreferenced,
    totals: {
      assets: assets.length - deletedDuringBackup.length,
      renditions: renditionCount,
      objects: objects.length,
      bytes: objects.reduce((n, o) => n + o.bytes, 0),
    },
  };
  await writeFile(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}

/** Streams one object to its file in the backup, hashing the bytes on the way (never all in memory). */
async function copyObject(storage: ObjectStore, key: string, dir: string): Promise<ManifestObject> {
  let stat;
  try {
    stat = await storage.client.statObject(storage.bucket, key);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'NotFound' || code === 'NoSuchKey') throw new NotFoundError(`object not found: ${key}`);
    throw err;
  }
  const file = objectPath(dir, key);
  await mkdir(path.dirname(file), { recursive: true });
  const digest = new DigestStream();
  await pipeline(await storage.get(key), digest, createWriteStream(file));
  const meta = stat.metaData as Record<string, string | undefined>;
  return {
    key,
    bytes: digest.bytes,
    sha256: digest.sha256.toString('hex'),
    contentType: meta['content-type'],
    cacheControl: meta['cache-control'],
  };
}
