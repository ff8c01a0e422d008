/**
 * The object-store adapter: the only code that speaks S3, through the minio client, path-style.
 * Works against MinIO, AWS S3, R2, Ceph RGW, Garage and the embedded s3rver.
 */
import { Client } from 'minio';
import { Readable } from 'node:stream';
import { NotFoundError, StorageUnavailableError } from '../errors.js';

export interface ObjectStoreOptions {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  /** S3 multipart part size; by default the smallest that keeps `maxObjectBytes` within S3's parts */
  partSize?: number;
  /** the largest object written in parts (UPLOAD_MAX_BYTES): decides the default part size */
  maxObjectBytes?: number;
  /** parts uploaded concurrently while the next one fills */
  partsInFlight?: number;
}

export interface PutOptions {
  contentType?: string;
  /** extra headers, e.g. Cache-Control for renditions */
  headers?: Record<string, string>;
}

export interface PutResult {
  key: string;
  bytes: number;
  etag: string;
}

export interface ObjectStat {
  size: number;
  etag: string;
  contentType: string | undefined;
  lastModified: Date;
}

export type ScanEntry = { key: string; folder: false; lastModified: Date } | { key: string; folder: true };

export interface IncompleteUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

export interface ObjectStore {
  readonly endpoint: string;
  readonly bucket: string;
  /** Creates the bucket when missing. */
  ensureBucket(): Promise<void>;
  /** Answers whether the store is reachable and the bucket exists. */
  ping(): Promise<void>;
  /** Streams `body` into `key`: one PUT when it fits a part, S3 multipart otherwise (aborted on any error). */
  put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<PutResult>;
  /** A byte range when `range` is given (`end` inclusive). */
  get(key: string, range?: { start: number; end?: number }): Promise<Readable>;
  stat(key: string): Promise<ObjectStat>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix` (but not with `except`); answers how many. */
  deletePrefix(prefix: string, options?: { except?: string }): Promise<number>;
  /** Deletes these objects (those already gone too), a thousand to a request. */
  deleteKeys(keys: string[]): Promise<void>;
  list(prefix: string): Promise<string[]>;
  /**
   * What is under `prefix`, in key order, page by page (memory stays flat on a bucket of
   * millions): each object with its age, or with `folders`, each next-level prefix once
   * (`renditions/<id>/`) instead of the objects under it.
   */
  scan(prefix: string, options?: { folders?: boolean }): AsyncIterable<ScanEntry>;
  /** S3 multipart uploads under `prefix` never completed nor aborted, with when each began. */
  incompleteUploads(prefix: string): AsyncIterable<IncompleteUpload>;
  /**
   * An S3 multipart upload driven step by step, for a file that arrives over several requests
   * (tus): parts of at least 5 MiB but the last, completed in part order.
   */
  readonly multipart: {
    start(key: string, options?: PutOptions): Promise<string>;
    /** answers the part's ETag */
    part(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<string>;
    complete(key: string, uploadId: string, parts: { part: number; etag: string }[]): Promise<void>;
    /** an upload the server no longer knows is taken as aborted */
    abort(key: string, uploadId: string): Promise<void>;
  };
  /** The minio client itself, for tests and tools that inspect the store. */
  readonly client: Client;
}

const MiB = 1024 * 1024;
const noop = () => {};

/** S3's smallest part but the last */
export const MIN_PART_SIZE = 5 * MiB;
/** S3 allows 10 000 parts; a few hundred are left for the short parts that interrupted resumable uploads make */
const PLANNED_PARTS = 9_000;
/**
 * Parts being stored while the next one fills, for a multipart upload and a resumable one alike.
 * With two, a 1 GiB upload into Ceph RGW runs as fast as with three (bench/resumable) and holds
 * one part buffer less.
 */
export const PARTS_IN_FLIGHT = 2;

/**
 * The part size for an object of up to `length` bytes: S3's smallest, 5 MiB, or more when that
 * many parts would be too many (a 44 GiB object and up). Small parts keep the API's memory low:
 * an upload holds one part filling and PARTS_IN_FLIGHT being stored.
 */
export function partSizeFor(length: number): number {
  return Math.max(MIN_PART_SIZE, Math.ceil(length / PLANNED_PARTS / MiB) * MiB);
}

export function createObjectStore(options: ObjectStoreOptions): ObjectStore {
  const { bucket, region } = options;
  const partSize = options.partSize ?? partSizeFor(options.maxObjectBytes ?? 0);
  const partsInFlight = options.partsInFlight ?? PARTS_IN_FLIGHT;
  if (partSize < MIN_PART_SIZE) throw new RangeError('S3 parts must be at least 5 MiB');
  const url = new URL(options.endpoint);
  const useSSL = url.protocol === 'https:';
  const client = new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    region,
    pathStyle: true,
    // An S3 server under load answers 500 or 503 now and then (Ceph RGW does, on the test
    // machines); the client's default is one retry, the AWS SDKs' three.
    retryOptions: { maximumRetryCount: 3 },
  });

  async function putMultipart(key: string, body: Readable, headers: Record<string, string>): Promise<PutResult> {
    let uploadId: string | undefined;
    const etags: { part: number; etag: string }[] = [];
    const inflight = new Set<Promise<void>>();
    let bytes = 0;
    let partNumber = 0;
    const lease = sharedPartPool(partSize).lease();
    try {
      for await (const part of partsOf(body, partSize, lease)) {
        bytes += part.length;
        if (partNumber === 0 && part.length < partSize) {
          // The whole object fits in one part: a single PUT is one request instead of three.
          const { etag } = await client.putObject(bucket, key, part, part.length, headers);
          lease.give(part);
          return { key, bytes, etag };
        }
        uploadId ??= await client.initiateNewMultipartUpload(bucket, key, headers);
        const number = ++partNumber;
        const p = client
          .uploadPart({ bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: number, headers: {} }, part)
          .then((r) => {
            etags.push({ part: number, etag: r.etag });
            lease.give(part);
          });
        p.catch(noop); // observed through race/all below; avoid an unhandled rejection meanwhile
        inflight.add(p);
        void p.finally(() => inflight.delete(p)).catch(noop);
        if (inflight.size >= partsInFlight) await Promise.race(inflight);
      }
      if (uploadId === undefined) {
        // empty body
        const { etag } = await client.putObject(bucket, key, Buffer.alloc(0), 0, headers);
        return { key, bytes: 0, etag };
      }
      await Promise.all(inflight);
      etags.sort((a, b) => a.part - b.part);
      const done = await client.completeMultipartUpload(bucket, key, uploadId, etags);
      // What the server assembled is checked before anyone records it: the embedded s3rver,
      // overloaded, completed a 50 MB upload without one of its parts (bench/load), and the
      // asset was recorded with the whole file's size and SHA-256. (Some Ceph RGW releases
      // also answer the completion with an empty ETag: the object's is taken then.)
      const stored = await client.statObject(bucket, key);
      if (stored.size !== bytes) {
        await client.removeObject(bucket, key).catch(noop);
        throw new StorageUnavailableError(`the S3 server stored ${stored.size} bytes of the ${bytes} sent for ${key}`);
      }
      return { key, bytes, etag: done.etag || stored.etag };
    } catch (err) {
      if (uploadId !== undefined) {
        await Promise.allSettled(inflight);
        await client.abortMultipartUpload(bucket, key, uploadId).catch(noop);
      }
      // A failing source (client gone, size limit) keeps its own error; only S3 faults are translated.
      // Leaving the loop on an S3 fault destroys the source with an AbortError of its own: the
      // source's error counts only when it is what ended the loop.
      if (body.errored && err === body.errored) throw err;
      if (!body.destroyed) body.destroy();
      throw translate(err, key);
    } finally {
      lease.end();
    }
  }

  const store: ObjectStore = {
    endpoint: options.endpoint,
    bucket,
    client,
    multipart: {
      async start(key, opts = {}) {
        try {
          return await client.initiateNewMultipartUpload(bucket, key, { 'Content-Type': opts.contentType ?? 'application/octet-stream', ...opts.headers });
        } catch (err) {
          throw translate(err, key);
        }
      },
      async part(key, uploadId, partNumber, body) {
        try {
          const { etag } = await client.uploadPart({ bucketName: bucket, objectName: key, uploadID: uploadId, partNumber, headers: {} }, body);
          return etag;
        } catch (err) {
          throw translate(err, key);
        }
      },
      async complete(key, uploadId, parts) {
        try {
          await client.completeMultipartUpload(bucket, key, uploadId, [...parts].sort((a, b) => a.part - b.part));
        } catch (err) {
          throw translate(err, key);
        }
      },
      async abort(key, uploadId) {
        try {
          await client.abortMultipartUpload(bucket, key, uploadId);
        } catch (err) {
          const e = translate(err, key);
          if (!(e instanceof NotFoundError)) throw e;
        }
      },
    },
    async ensureBucket() {
      try {
        if (!(await client.bucketExists(bucket))) await client.makeBucket(bucket, region);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return;
        throw translate(err, bucket);
      }
    },
    async ping() {
      let exists: boolean;
      try {
        exists = await client.bucketExists(bucket);
      } catch (err) {
        throw translate(err, bucket);
      }
      if (!exists) throw new StorageUnavailableError(`bucket "${bucket}" does not exist`);
    },
    async put(key, body, opts = {}) {
      const headers: Record<string, string> = { 'Content-Type': opts.contentType ?? 'application/octet-stream', ...opts.headers };
      if (Buffer.isBuffer(body)) {
        try {
          const { etag } = await client.putObject(bucket, key, body, body.length, headers);
          return { key, bytes: body.length, etag };
        } catch (err) {
          throw translate(err, key);
        }
      }
      return putMultipart(key, body, headers);
    },
    async get(key, range) {
      try {
        if (range) {
          const length = range.end === undefined ? 0 : range.end - range.start + 1;
          const part = await client.getPartialObject(bucket, key, range.start, length || undefined);
          // s3rver reads "bytes=0-0" as "bytes=0-" and answers the whole object: never pass on more than was asked for
          const answered = Number((part as { headers?: Record<string, string | undefined> }).headers?.['content-length']);
          return length && answered > length ? Readable.from(firstBytes(part, length), { objectMode: false }) : part;
        }
        return await client.getObject(bucket, key);
      } catch (err) {
        throw translate(err, key);
      }
    },
    async stat(key) {
      try {
        const s = await client.statObject(bucket, key);
        const meta = s.metaData as Record<string, string | undefined>;
        return { size: s.size, etag: s.etag, contentType: meta['content-type'], lastModified: s.lastModified };
      } catch (err) {
        throw translate(err, key);
      }
    },
    async exists(key) {
      try {
        await store.stat(key);
        return true;
      } catch (err) {
        if (err instanceof NotFoundError) return false;
        throw err;
      }
    },
    async delete(key) {
      try {
        await client.removeObject(bucket, key);
      } catch (err) {
        const e = translate(err, key);
        if (!(e instanceof NotFoundError)) throw e;
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      for await (const entry of store.scan(prefix)) keys.push(entry.key);
      return keys;
    },
    async *scan(prefix, { folders = false } = {}) {
      type Item = { name?: string; prefix?: string; lastModified?: Date };
      try {
        for await (const item of client.listObjectsV2(bucket, prefix, !folders) as AsyncIterable<Item>) {
          if (item.prefix) yield { key: item.prefix, folder: true };
          else if (item.name) yield { key: item.name, folder: false, lastModified: item.lastModified ?? new Date(0) };
        }
      } catch (err) {
        throw translate(err, prefix);
      }
    },
    async *incompleteUploads(prefix) {
      // page by page with the plain query: the client's listIncompleteUploads also lists every
      // upload's parts, a request each, to add up sizes nobody here needs
      let keyMarker = '';
      let uploadIdMarker = '';
      for (;;) {
        let page;
        try {
          page = await client.listIncompleteUploadsQuery(bucket, prefix, keyMarker, uploadIdMarker, '');
        } catch (err) {
          throw translate(err, prefix);
        }
        for (const u of page.uploads) yield { key: u.key, uploadId: String(u.uploadId), initiated: u.initiated };
        const last = page.uploads.at(-1);
        if (!page.isTruncated || !last) return;
        // the client drops NextUploadIdMarker (it reads the wrong tag): continue after the last one listed
        keyMarker = page.nextKeyMarker || last.key;
        uploadIdMarker = page.nextUploadIdMarker || String(last.uploadId);
      }
    },
    async deletePrefix(prefix, { except } = {}) {
      if (!prefix) throw new RangeError('refusing to delete a whole bucket');
      const keys = (await store.list(prefix)).filter((k) => !except || !k.startsWith(except));
      await store.deleteKeys(keys);
      return keys.length;
    },
    async deleteKeys(keys) {
      // one request per thousand keys, not one per key: a refused upload of 1000 files cleans up in one
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        try {
          const results = await client.removeObjects(bucket, batch);
          // minio answers only the keys that failed, each as the <Error> element itself ({Key, Code, Message}),
          // though its types promise {Error: …}: any entry at all is a failure
          const failed = results.filter((r) => r && typeof r === 'object');
          if (failed.length > 0) throw new Error(`could not delete ${failed.length} of ${batch.length} objects`);
        } catch (err) {
          throw translate(err, batch[0]!);
        }
      }
    },
  };
  return store;
}

/**
 * The bytes of part buffers this process's uploads may hold at once (UPLOAD_MEMORY_MB): one
 * upload holds its filling part and PARTS_IN_FLIGHT being stored, so without a bound the API's
 * memory grew with the uploads in flight (bench/load: 550 at once took it 481 MB up). A part is
 * reserved whole when it starts filling, and waits, first come first served, while the budget
 * is spent: the upload stops reading its body, and TCP slows the client down (a wait the idle
 * timeout does not count, src/http-idle.ts). Every reserved part fills and is stored without
 * needing more of the budget, so the waits always end. One part larger than the whole budget
 * goes alone.
 */
export class PartBudget {
  private held = 0;
  private readonly waiting: { bytes: number; go: () => void }[] = [];
  constructor(private limit: number) {}

  /** bytes reserved now, and parts waiting for their turn (for /metrics) */
  get usage(): { bytes: number; limit: number; waiting: number } {
    return { bytes: this.held, limit: this.limit, waiting: this.waiting.length };
  }

  setLimit(bytes: number): void {
    this.limit = bytes;
    this.wake();
  }

  acquire(bytes: number): Promise<void> | undefined {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.held += bytes;
      return undefined;
    }
    return new Promise((go) => this.waiting.push({ bytes, go }));
  }

  release(bytes: number): void {
    this.held -= bytes;
    this.wake();
  }

  private fits(bytes: number): boolean {
    return this.held === 0 || this.held + bytes <= this.limit;
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.held += next.bytes;
      next.go();
    }
  }
}

/**
 * Part buffers for uploads of this process: 96 MiB (19 parts) unless UPLOAD_MEMORY_MB says
 * otherwise. bench/load, 550 uploads at once: the API's RSS +277 MB with 96 (the other ≈ 160 MB
 * are each connection's own stream buffers), +355 MB with 192, for 11 % more throughput.
 */
export const DEFAULT_UPLOAD_MEMORY_MB = 96;
export const uploadMemory = new PartBudget(DEFAULT_UPLOAD_MEMORY_MB * MiB);

/**
 * Part buffers, reused as their parts finish uploading: memory stays at a few parts and the
 * garbage collector has no 8 MiB buffers to chase. A buffer is given back only once nothing
 * reads it any more (its part stored); a shorter view of one (a last part) gives back the whole.
 */
export class PartPool {
  private readonly free: Buffer[] = [];
  constructor(readonly size: number, private readonly keep: number) {}
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }
  give(buffer: Buffer): void {
    if (buffer.byteOffset !== 0 || buffer.buffer.byteLength !== this.size || this.free.length >= this.keep) return;
    const whole = buffer.length === this.size ? buffer : Buffer.from(buffer.buffer, 0, this.size);
    if (!this.free.some((b) => b.buffer === whole.buffer)) this.free.push(whole);
  }
  /** One upload's buffers, counted against `budget`. */
  lease(budget: PartBudget = uploadMemory): PartLease {
    return new PartLease(this, budget);
  }
}

/**
 * The part buffers of one upload: each taken waits for its share of the budget; each given back
 * returns it. `end()`, in the upload's `finally`, returns the share of those never given back (a
 * failed part, a source that broke off): a budget that leaked would stop every upload.
 */
export class PartLease {
  private held = 0;
  constructor(private readonly pool: PartPool, private readonly budget: PartBudget) {}
  async take(): Promise<Buffer> {
    await this.budget.acquire(this.pool.size);
    this.held++;
    return this.pool.take();
  }
  give(buffer: Buffer): void {
    if (this.held === 0) return;
    this.held--;
    this.pool.give(buffer);
    this.budget.release(this.pool.size);
  }
  end(): void {
    if (this.held > 0) this.budget.release(this.held * this.pool.size);
    this.held = 0;
  }
}

/**
 * Buffers the process keeps between uploads, per part size: one upload's worth (the part filling
 * and PARTS_IN_FLIGHT being stored), 15 MiB of the usual 5 MiB parts once used. Without it every
 * upload (a 3 MB photo too) left part buffers to the garbage collector, which frees them only at
 * its next full collection: the API's RSS after a few uploads stood 40–60 MB over its RSS at
 * start (bench/resumable).
 */
const SHARED_KEEP = PARTS_IN_FLIGHT + 1;
const shared = new Map<number, PartPool>();

/** The process's pool of `size` buffers (a pool of its own for an unusual size, not kept). */
export function sharedPartPool(size: number): PartPool {
  if (size > 16 * MiB) return new PartPool(size, SHARED_KEEP);
  let pool = shared.get(size);
  if (!pool) shared.set(size, (pool = new PartPool(size, SHARED_KEEP)));
  return pool;
}

/**
 * Yields Buffers of exactly `size` bytes, the last one shorter, each filled in a buffer taken
 * from `lease`: a yielded buffer belongs to the caller until it gives it back.
 */
export async function* partsOf(body: AsyncIterable<Buffer | string>, size: number, lease = new PartPool(size, 0).lease(new PartBudget(Infinity))): AsyncGenerator<Buffer> {
  let part: Buffer | undefined;
  let held = 0;
  for await (const raw of body) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    while (chunk.length > 0) {
      part ??= await lease.take();
      const n = chunk.copy(part, held);
      held += n;
      chunk = chunk.subarray(n);
      if (held === size) {
        yield part;
        part = undefined;
        held = 0;
      }
    }
  }
  if (part && held > 0) yield part.subarray(0, held);
}

/** The first `n` bytes of `body`. */
async function* firstBytes(body: Readable, n: number): AsyncGenerator<Buffer> {
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (chunk.length >= n) {
      yield chunk.subarray(0, n);
      return; // ends the iteration, which destroys `body`
    }
    n -= chunk.length;
    yield chunk;
  }
}

/** S3 and network errors → our codes; anything already ours passes through. */
function translate(err: unknown, key: string): Error {
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && (err as unknown as { code: string }).code.startsWith('LAMHA_')) {
    return err;
  }
  const code = (err as { code?: string }).code;
  if (code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchUpload') return new NotFoundError(`object not found: ${key}`);
  const message = err instanceof Error ? err.message : String(err);
  const e = new StorageUnavailableError(code ? `${code}: ${message}` : message);
  (e as Error).cause = err;
  return e;
}
