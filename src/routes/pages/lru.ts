/**
 * The process-local front of the page cache: least recently used pages go first once their
 * bytes (identity, gzip and brotli together) pass the bound; a page larger than the bound is
 * not kept at all.
 */
import { LRUCache } from 'lru-cache';

export class ByteLru<V extends { bytes: number }> extends LRUCache<string, V> {
  constructor(maxBytes: number) {
    // lru-cache wants a positive size; an empty body still takes an entry
    super({ maxSize: maxBytes, sizeCalculation: (v) => Math.max(1, v.bytes) });
  }
}
