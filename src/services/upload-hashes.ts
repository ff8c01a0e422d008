/**
 * The SHA-256 of resumable uploads in progress, kept in this process between their requests.
 *
 * Node's own hash (OpenSSL) runs several times faster than any hash whose state could be saved
 * in the database, and on a shared 2-core machine the hash decided a tus upload's speed. A
 * request that resumes an upload this process was receiving continues from a copy of the hash
 * at the offset it resumes from; one that finds none (another API process took the earlier
 * requests, or this one restarted) goes on without it, and the finished object is read back
 * once to hash it (see `hashStored`).
 */
import { createHash, type Hash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { ScanCheck } from '../media/jpeg-layout.js';

interface Kept {
  /** the hash of the upload's bytes [0, at) */
  hash: Hash;
  at: number;
  /** forgotten after this (ms since the epoch): the upload has expired by then */
  until: number;
}

export interface UploadHashes {
  /** A hash to continue an upload at `offset`: a fresh one at 0, a copy of the kept one, or undefined. */
  resume(id: string, offset: number): Hash | undefined;
  /** Keeps `hash` (of the bytes before `at`) for the upload's next request; undefined forgets it. */
  keep(id: string, at: number, hash: Hash | undefined, until: number): void;
  /**
   * The same for the check of a JPEG's scans (a cleaned head's upload, see resumable.ts), kept
   * at the end of the last stored part: a copy of it to go on at `offset`, or undefined.
   */
  resumeScan(id: string, offset: number): ScanCheck | undefined;
  keepScan(id: string, at: number, scan: ScanCheck, until: number): void;
  /**
   * Where this process's hand-off copy of the upload stands: every stored byte before `at` (of
   * the stored object, a cleaned head's bytes counted) is in it. A request that finds another
   * figure (another process took a part) gives the copy up.
   */
  copyAt(id: string): { at: number; whole: boolean } | undefined;
  /** `whole`: the copy holds the stored object, `at` bytes long; undefined forgets it */
  keepCopy(id: string, at: number | undefined, until: number, whole?: boolean): void;
  forget(id: string): void;
}

export function createUploadHashes(now: () => number = Date.now): UploadHashes {
  const kept = new Map<string, Kept>();
  const scans = new Map<string, { scan: ScanCheck; at: number; until: number }>();
  const copies = new Map<string, { at: number; whole: boolean; until: number }>();
  const expire = () => {
    const t = now();
    for (const map of [kept, scans, copies]) for (const [other, k] of map) if (k.until <= t) map.delete(other);
  };
  return {
    resume(id, offset) {
      if (offset === 0) return createHash('sha256');
      const k = kept.get(id);
      return k && k.at === offset ? k.hash.copy() : undefined;
    },
    keep(id, at, hash, until) {
      expire();
      if (hash) kept.set(id, { hash, at, until });
      else kept.delete(id);
    },
    resumeScan(id, offset) {
      const k = scans.get(id);
      return k && k.at === offset ? k.scan.copy() : undefined;
    },
    keepScan(id, at, scan, until) {
      expire();
      scans.set(id, { scan, at, until });
    },
    copyAt(id) {
      const k = copies.get(id);
      return k && { at: k.at, whole: k.whole };
    },
    keepCopy(id, at, until, whole = false) {
      expire();
      if (at === undefined) copies.delete(id);
      else copies.set(id, { at, whole, until });
    },
    forget(id) {
      kept.delete(id);
      scans.delete(id);
      copies.delete(id);
    },
  };
}

/** SHA-256 of `before` and then of a stored object, read once (`open` says from where). */
export async function hashStored(open: () => Promise<Readable>, before?: Buffer): Promise<Buffer> {
  const hash = createHash('sha256');
  if (before) hash.update(before);
  await pipeline(await open(), hash);
  return hash.digest();
}
