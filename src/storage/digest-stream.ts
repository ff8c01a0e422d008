import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through while counting them and hashing them with SHA-256, so the digest is
 * of exactly the bytes that reached storage. Fails with `onLimit()` past `maxBytes`.
 */
export class DigestStream extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private digestValue: Buffer | undefined;

  constructor(
    private readonly maxBytes: number = Number.POSITIVE_INFINITY,
    private readonly onLimit: () => Error = () => new RangeError(`more than ${maxBytes} bytes`),
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(this.onLimit());
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.digestValue = this.hash.digest();
    done();
  }

  /** The SHA-256 of everything that passed; only after the stream has ended. */
  get sha256(): Buffer {
    if (!this.digestValue) throw new Error('digest read before the stream ended');
    return this.digestValue;
  }
}
