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
  forget(id: string): void;
}

export function createUploadHashes(now: () => number = Date.now): UploadHashes {
  const kept = new Map<string, Kept>();
  return {
    resume(id, offset) {
      if (offset === 0) return createHash('sha256');
      const k = kept.get(id);
      return k && k.at === offset ? k.hash.copy() : undefined;
    },
    keep(id, at, hash, until) {
      const t = now();
      for (const [other, k] of kept) if (k.until <= t) kept.delete(other);
      if (hash) kept.set(id, { hash, at, until });
      else kept.delete(id);
    },
    forget(id) {
      kept.delete(id);
    },
  };
}

/** SHA-256 of a stored object, read once from the start. */
export async function hashStored(open: () => Promise<Readable>): Promise<Buffer> {
  const hash = createHash('sha256');
  await pipeline(await open(), hash);
  return hash.digest();
}
