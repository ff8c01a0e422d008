/**
 * The hand-off: an upload's original, as stored in S3, also left in a local directory by the API
 * that received it, for a worker on the same machine (or sharing the directory) to take instead
 * of downloading it again. Downloading a 10 MB photo costs about as much CPU in node and the S3
 * server together as a fifth of making its renditions (bench/README.md, "the hand-off"); a
 * video's download (6 s and 1.5 cores for a 10-minute 1080p recording of 1.37 GB) stands before
 * every part of it, on the way to its first playable rung (bench/README.md, video-flow).
 *
 * It is a shortcut, never the record: S3 holds the original either way. A file is written while
 * the upload streams to S3 and named for its asset only once the asset's row is committed, so a
 * worker that finds it finds the stored bytes; a worker that does not (another machine, a retry,
 * a full directory, a file swept) downloads the original as before. The API bounds the
 * directory's size and removes what no worker took within `ttlMs`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';

export interface HandoffOptions {
  dir: string;
  /** the directory's size above which no new file is written */
  maxBytes: number;
  /** a file no worker took within this long is removed */
  ttlMs: number;
}

/** Where an upload's copy goes while it streams; `commit` names it for its asset, `discard` removes it. */
export interface HandoffWrite {
  /** a pass-through to put in the stored stream: what passes is written to the file too */
  readonly tee: Transform;
  /** names the file for its asset; false (and the file removed) when the copy is incomplete */
  commit(): Promise<boolean>;
  discard(): Promise<void>;
}

/**
 * A copy written a piece at a time at the pieces' places (a resumable upload's parts, which are
 * stored several at once), possibly over several requests: each request opens it, writes, closes.
 */
export interface HandoffPieces {
  write(data: Buffer, position: number): Promise<void>;
  close(): Promise<void>;
}

export interface Handoff {
  readonly dir: string;
  /** a copy of the upload for `assetId`, or undefined when the directory is full or not writable */
  begin(assetId: string): Promise<HandoffWrite | undefined>;
  /**
   * The partial copy of `assetId` to write pieces of a file of `length` bytes into: a new one
   * (`fresh`, when it fits the room left), else the one an earlier request began; undefined when
   * there is none or no room.
   */
  pieces(assetId: string, length: number, fresh: boolean): Promise<HandoffPieces | undefined>;
  /** names the partial copy for its asset once it holds the whole `length` bytes; false when it cannot */
  complete(assetId: string, length: number): Promise<boolean>;
  /** removes the partial copy of `assetId`, if any */
  drop(assetId: string): Promise<void>;
  /** moves the asset's file to `dest`; false when there is none */
  take(assetId: string, dest: string): Promise<boolean>;
  /** removes files older than the TTL, and partial files of as long ago; answers how many */
  sweep(now?: number): Promise<number>;
}

const PARTIAL = '.part';

/** The hand-off as configured (Config's `handoff`): undefined when it is off. */
export function handoffFromConfig({ dir, maxBytes, ttlMs }: { dir: string | undefined; maxBytes: number; ttlMs: number }): Handoff | undefined {
  return dir === undefined ? undefined : createHandoff({ dir, maxBytes, ttlMs });
}

export function createHandoff({ dir, maxBytes, ttlMs }: HandoffOptions): Handoff {
  const file = (assetId: string) => path.join(dir, assetId);

  async function usedBytes(): Promise<number> {
    let total = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      total += await stat(path.join(dir, name)).then((s) => s.size, () => 0);
    }
    return total;
  }

  /** the bytes the directory has room for, or undefined when it cannot be made */
  async function roomLeft(): Promise<number | undefined> {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return maxBytes - await usedBytes();
    } catch {
      return undefined;
    }
  }

  return {
    dir,

    async begin(assetId) {
      const room = await roomLeft();
      if (room === undefined || room <= 0) return undefined;
      const partial = file(assetId) + PARTIAL;
      const tee = new HandoffTee(createWriteStream(partial, { mode: 0o600, highWaterMark: 1024 * 1024 }), room);
      return {
        tee,
        async commit() {
          if (!(await tee.finished())) {
            await unlink(partial).catch(() => {});
            return false;
          }
          try {
            await rename(partial, file(assetId));
            return true;
          } catch {
            await unlink(partial).catch(() => {});
            return false;
          }
        },
        async discard() {
          tee.abandon();
          await tee.finished();
          await unlink(partial).catch(() => {});
        },
      };
    },

    async pieces(assetId, length, fresh) {
      const partial = file(assetId) + PARTIAL;
      let handle: FileHandle;
      try {
        if (fresh) {
          await unlink(partial).catch(() => {});
          const room = await roomLeft();
          if (room === undefined || room < length) return undefined;
          handle = await open(partial, 'w', 0o600);
        } else {
          handle = await open(partial, 'r+');
        }
      } catch {
        return undefined;
      }
      return {
        async write(data, position) {
          let done = 0;
          while (done < data.length) done += (await handle.write(data, done, data.length - done, position + done)).bytesWritten;
        },
        close: () => handle.close(),
      };
    },

    async complete(assetId, length) {
      const partial = file(assetId) + PARTIAL;
      try {
        if ((await stat(partial)).size < length) throw new Error('the copy is short');
        // what an earlier attempt wrote past the end (a part stored again shorter) is not the file's
        await truncate(partial, length);
        await rename(partial, file(assetId));
        return true;
      } catch {
        await unlink(partial).catch(() => {});
        return false;
      }
    },

    async drop(assetId) {
      await unlink(file(assetId) + PARTIAL).catch(() => {});
    },

    async take(assetId, dest) {
      try {
        await rename(file(assetId), dest);
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EXDEV') return false;
      }
      // another file system: copy, and take it only if it was still there to remove
      try {
        await copyFile(file(assetId), dest);
        await unlink(file(assetId));
        return true;
      } catch {
        await rm(dest, { force: true });
        return false;
      }
    },

    async sweep(now = Date.now()) {
      let removed = 0;
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const p = path.join(dir, name);
        const s = await stat(p).catch(() => undefined);
        if (s?.isFile() && now - s.mtimeMs > ttlMs && await unlink(p).then(() => true, () => false)) removed++;
      }
      return removed;
    },
  };
}

/**
 * Passes every chunk on and writes it to `out`, waiting for `out` when it is behind. A failed
 * write gives up the copy, never the stream: the upload goes on without a hand-off.
 */
class HandoffTee extends Transform {
  #out: WriteStream | undefined;
  #ok = true;
  /** every chunk went through (the stream was not cut) */
  #flushed = false;
  #closed: Promise<void>;

  /** bytes the copy may take; past them it is given up */
  #room: number;

  constructor(out: WriteStream, room: number) {
    super();
    this.#out = out;
    this.#room = room;
    this.#closed = new Promise((resolve) => out.once('close', () => resolve()));
    out.on('error', () => this.abandon());
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#room -= chunk.length;
    if (this.#room < 0) this.abandon();
    const out = this.#out;
    if (!out || out.write(chunk)) {
      done(null, chunk);
      return;
    }
    const go = () => {
      out.off('drain', go);
      out.off('close', go);
      done(null, chunk);
    };
    out.once('drain', go);
    out.once('close', go);
  }

  override _flush(done: TransformCallback): void {
    this.#flushed = true;
    this.#out?.end();
    done();
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    // destroyed before its end (autoDestroy also destroys it after a normal end): the copy is not the stored file
    if (err || !this.#flushed) this.abandon();
    done(err);
  }

  abandon(): void {
    this.#ok = false;
    const out = this.#out;
    this.#out = undefined;
    out?.destroy();
  }

  /** whether the whole stream was written to the file (waits for the file to be closed; a stream not ended gives it up) */
  async finished(): Promise<boolean> {
    if (!this.#flushed) this.abandon();
    await this.#closed;
    return this.#ok && this.#flushed;
  }
}
