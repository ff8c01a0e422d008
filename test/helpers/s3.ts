/** Questions to an S3 server that the adapter has no reason to ask. */
import type { ObjectStore } from '../../src/storage/object-store.js';

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
