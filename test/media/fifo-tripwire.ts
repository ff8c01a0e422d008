/**
 * A named pipe that notices every process opening it, and serves that process a file's bytes.
 *
 * An access time says whether a file was read only where the mount keeps access times (not
 * under noatime, and under relatime only once a day); opening a FIFO is seen whatever the
 * mount options: the reader's open blocks until our writer's open meets it.
 */
import { execFileSync } from 'node:child_process';
import { constants, createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

export interface Tripwire {
  /** how many times another process has opened the pipe so far */
  opens(): Promise<number>;
  /** stops serving and releases the pending open; the pipe stays, unopenable for want of a writer */
  close(): Promise<void>;
}

/** Makes a FIFO at `fifo` that serves the bytes of `content` to each process that opens it. */
export function fifoTripwire(fifo: string, content: string): Tripwire {
  execFileSync('mkfifo', ['-m', '600', fifo]);
  let opens = 0;
  let closing = false;
  const serving = (async () => {
    while (!closing) {
      // blocks (in libuv's thread pool) until a reader opens the pipe
      const writer = await open(fifo, constants.O_WRONLY);
      if (closing) {
        await writer.close();
        break;
      }
      opens += 1;
      // a reader that stops early (killed, or done with what it needed) breaks the pipe: fine
      await pipeline(createReadStream(content), writer.createWriteStream()).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err;
      });
    }
  })();
  return {
    async opens() {
      // an open completed in the kernel is counted once its callback has run: let pending ones run
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      return opens;
    },
    async close() {
      closing = true;
      // a reader of our own meets the pending open (non-blocking: it does not wait for a writer)
      const reader = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        await serving;
      } finally {
        await reader.close();
      }
    },
  };
}
