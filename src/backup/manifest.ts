/**
 * What a backup directory holds: `database.dump` (pg_dump, custom format, of the installation's
 * schema), `objects/<key>` (each object the dump refers to, byte for byte) and `manifest.json`,
 * written last, so a directory without one is an unfinished backup.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

export const MANIFEST = 'manifest.json';
export const DUMP = 'database.dump';
export const OBJECTS = 'objects';

export interface ManifestObject {
  key: string;
  bytes: number;
  /** hex SHA-256 of the bytes, computed while they streamed to the backup */
  sha256: string;
  contentType: string | undefined;
  cacheControl: string | undefined;
}

export interface Manifest {
  format: 1;
  createdAt: string;
  /** the PostgreSQL schema dumped; a restore goes into the schema of the same name */
  schema: string;
  bucket: string;
  /** the last migration applied when the dump was taken */
  migration: string | undefined;
  /** every object a restore uploads */
  objects: ManifestObject[];
  /**
   * Assets whose row the dump holds but that were deleted while the backup ran (their objects
   * were gone before they could be copied): a restore deletes their rows, as the live service did.
   */
  deletedDuringBackup: string[];
  /** objects in the bucket the dump does not refer to (press files, unfinished uploads, leftovers); not copied, not needed to restore */
  unreferenced: { key: string; bytes: number }[];
  totals: { assets: number; renditions: number; objects: number; bytes: number };
}

const ASSET_KEY = /^(?:originals\/[0-9a-f-]{36}|renditions\/[0-9a-f-]{36}\/[a-z0-9][a-z0-9._/-]*)$/;

/** The asset a key belongs to, for the keys a backup copies (`originals/<id>`, `renditions/<id>/…`). */
export function assetOfKey(key: string): string | undefined {
  return ASSET_KEY.test(key) && !key.includes('..') ? key.split('/')[1] : undefined;
}

/**
 * Where an object's copy lives in the backup. The key is checked again here: a manifest is read
 * from disk, and a doctored one must not make a restore read outside the backup directory.
 */
export function objectPath(dir: string, key: string): string {
  if (!assetOfKey(key)) throw new Error(`not an asset object key: ${JSON.stringify(key)}`);
  return path.join(dir, OBJECTS, ...key.split('/'));
}

export function sha256Hex(b: Buffer): string {
  return b.toString('hex');
}

/** For tests and tools: the SHA-256 of a buffer, as the manifest writes it. */
export function digestOf(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
