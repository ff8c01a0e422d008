/**
 * A small least-recently-used map bounded by total bytes, for the process-local front of the
 * page cache. Map keeps insertion order, so re-inserting on read makes the first key the oldest.
 */
export class ByteLru<V extends { bytes: number }> {
  readonly #map = new Map<string, V>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    this.delete(key);
    if (value.bytes > this.maxBytes) return;
    this.#map.set(key, value);
    this.#bytes += value.bytes;
    for (const [k, v] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= v.bytes;
    }
  }

  delete(key: string): void {
    const old = this.#map.get(key);
    if (old !== undefined) {
      this.#map.delete(key);
      this.#bytes -= old.bytes;
    }
  }

  get size(): number {
    return this.#map.size;
  }
}
