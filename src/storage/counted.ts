/**
 * The object store with its errors counted: every error an operation throws is reported, by
 * operation, before it goes on to the caller unchanged. An error while a returned stream is read
 * (a `get` cut mid-way) is the reader's to see, not counted here.
 */
import type { ObjectStore } from './object-store.js';

/** Every operation counted, the `operation` label's values. */
export const STORAGE_OPERATIONS = [
  'ensureBucket', 'ping', 'put', 'get', 'stat', 'exists', 'delete', 'deletePrefix', 'deleteKeys', 'list', 'scan', 'incompleteUploads',
  'multipart.start', 'multipart.part', 'multipart.complete', 'multipart.abort',
] as const;
export type StorageOperation = (typeof STORAGE_OPERATIONS)[number];

/** Called with the operation (`put`, `multipart.part`…) and the error it threw. */
export type OnStorageError = (operation: StorageOperation, err: unknown) => void;

function counted<A extends unknown[], R>(operation: StorageOperation, fn: (...args: A) => Promise<R>, onError: OnStorageError): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      onError(operation, err);
      throw err;
    }
  };
}

function countedScan<A extends unknown[], T>(operation: StorageOperation, fn: (...args: A) => AsyncIterable<T>, onError: OnStorageError): (...args: A) => AsyncIterable<T> {
  return async function* (...args) {
    try {
      yield* fn(...args);
    } catch (err) {
      onError(operation, err);
      throw err;
    }
  };
}

export function countingErrors(store: ObjectStore, onError: OnStorageError): ObjectStore {
  const m = store.multipart;
  return {
    endpoint: store.endpoint,
    bucket: store.bucket,
    client: store.client,
    ensureBucket: counted('ensureBucket', () => store.ensureBucket(), onError),
    ping: counted('ping', () => store.ping(), onError),
    put: counted('put', (key, body, options) => store.put(key, body, options), onError),
    get: counted('get', (key, range) => store.get(key, range), onError),
    stat: counted('stat', (key) => store.stat(key), onError),
    exists: counted('exists', (key) => store.exists(key), onError),
    delete: counted('delete', (key) => store.delete(key), onError),
    deletePrefix: counted('deletePrefix', (prefix, options) => store.deletePrefix(prefix, options), onError),
    deleteKeys: counted('deleteKeys', (keys) => store.deleteKeys(keys), onError),
    list: counted('list', (prefix) => store.list(prefix), onError),
    scan: countedScan('scan', (prefix, options) => store.scan(prefix, options), onError),
    incompleteUploads: countedScan('incompleteUploads', (prefix) => store.incompleteUploads(prefix), onError),
    multipart: {
      start: counted('multipart.start', (key, options) => m.start(key, options), onError),
      part: counted('multipart.part', (key, uploadId, partNumber, body) => m.part(key, uploadId, partNumber, body), onError),
      complete: counted('multipart.complete', (key, uploadId, parts) => m.complete(key, uploadId, parts), onError),
      abort: counted('multipart.abort', (key, uploadId) => m.abort(key, uploadId), onError),
    },
  };
}

/** The code label of a storage error: ours (`LAMHA_…`) as it is, anything else `other`. */
export function storageErrorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^LAMHA_[A-Z_]+$/.test(code) ? code : 'other';
}
