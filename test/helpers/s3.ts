/** Questions to an S3 server that the adapter has no reason to ask, and S3 servers of a test's own. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedS3, type EmbeddedS3 } from '../../src/storage/embedded-s3.js';
import { createObjectStore, type ObjectStore } from '../../src/storage/object-store.js';
import { testStorage, type S3Kind } from './context.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

interface RawClient {
  makeRequestAsync(options: { method: string; bucketName: string; query: string }, payload?: string, expectedCodes?: number[]): Promise<NodeJS.ReadableStream>;
}

/**
 * Keys of the multipart uploads begun and neither completed nor aborted (ListMultipartUploads).
 * The client's listIncompleteUploads also lists each upload's parts, which races with an
 * abort under way; this asks only for the uploads.
 */
export async function incompleteUploads(storage: ObjectStore, prefix = ''): Promise<string[]> {
  const raw = storage.client as unknown as RawClient;
  const res = await raw.makeRequestAsync({ method: 'GET', bucketName: storage.bucket, query: `uploads&prefix=${encodeURIComponent(prefix)}` }, '', [200]);
  let xml = '';
  for await (const chunk of res) xml += chunk.toString();
  return [...xml.matchAll(/<Upload>[\s\S]*?<Key>([^<]*)<\/Key>[\s\S]*?<\/Upload>/g)].map((m) => m[1]!);
}

/** A bucket on a lane's S3 server, and the multipart uploads under way in it, read from the server itself. */
export interface S3Lane {
  storage: ObjectStore;
  /** keys of the multipart uploads begun and neither completed nor aborted */
  incomplete(prefix?: string): Promise<string[]>;
  /** the embedded server of this lane, to stop it (RGW is shared and never stopped) */
  embedded?: EmbeddedS3;
}

/**
 * RGW answers ListMultipartUploads; s3rver does not, so for the embedded lane the test runs
 * its own s3rver in a directory it knows and reads the uploads s3rver keeps there
 * (`<bucket>/._S3rver_uploads/<uploadId>/key`, s3rver's filesystem store).
 */
export async function s3Lane(t: Teardown, kind: S3Kind, options: { partSize?: number } = {}): Promise<S3Lane> {
  if (kind === 'rgw') {
    const storage = await testStorage(t, 'rgw', options);
    return { storage, incomplete: (prefix = '') => incompleteUploads(storage, prefix) };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lamha-s3-lane-'));
  const embedded = await startEmbeddedS3({ dataDir, port: 0 });
  const bucket = `lamha-lane-${randomBytes(6).toString('hex')}`;
  const storage = createObjectStore({ endpoint: embedded.endpoint, accessKey: 'S3RVER', secretKey: 'S3RVER', bucket, region: 'us-east-1', ...options });
  await storage.ensureBucket();
  t.teardown(async () => {
    await embedded.close().catch(() => {}); // a test may have stopped it already
    await rm(dataDir, { recursive: true, force: true });
  });
  const uploads = path.join(dataDir, 's3', bucket, '._S3rver_uploads');
  async function incomplete(prefix = ''): Promise<string[]> {
    let ids: string[];
    try {
      ids = await readdir(uploads);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const keys = await Promise.all(ids.map((id) => readFile(path.join(uploads, id, 'key'), 'utf8').catch(() => undefined)));
    return keys.filter((k): k is string => k !== undefined && k.startsWith(prefix));
  }
  return { storage, incomplete, embedded };
}
