import { Readable } from 'node:stream';

/**
 * Reads the first `bytes` of `source` (fewer when it is shorter) and answers them with a stream
 * that yields the whole of it again, head included. Errors of the source reach the new stream;
 * destroying the new stream destroys the source.
 */
export async function peek(source: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let held = 0;
  let done = false;
  while (held < bytes) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    chunks.push(r.value);
    held += r.value.length;
  }
  async function* replay() {
    try {
      yield* chunks;
      while (!done) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }
  const head = Buffer.concat(chunks, held);
  return { head: head.subarray(0, Math.min(bytes, held)), stream: Readable.from(replay(), { objectMode: false }) };
}
