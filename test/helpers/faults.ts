/** Servers a fault test starts, stops and starts again: an embedded S3 server in a process of its own. */
import net from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, runEntry, waitFor, type Running } from './processes.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

export interface S3Process {
  endpoint: string;
  /** SIGKILL: the server dies as a crashed or unplugged one does */
  kill(): Promise<void>;
  /** starts it again on the same port and data dir */
  start(): Promise<void>;
  /** keys of the multipart uploads begun in `bucket` and neither completed nor aborted (s3rver keeps them on disk) */
  incomplete(bucket: string): Promise<string[]>;
}

/** An embedded S3 server (s3rver) in a child process, on a port of its own, keeping objects in `dataDir`. */
export async function s3Process(t: Teardown, dataDir: string): Promise<S3Process> {
  const port = await freePort();
  let running: Running | undefined;
  t.teardown(() => running?.child.kill('SIGKILL'));
  const start = async () => {
    const r = runEntry('test/helpers/embedded-s3-main.ts', { LAMHA_S3_DIR: dataDir, LAMHA_S3_PORT: String(port) });
    running = r;
    let exited = false;
    void r.exit.then(() => (exited = true));
    if (!(await waitFor(async () => exited || /listening/.test(r.output()), 20_000)) || exited) {
      r.child.kill('SIGKILL');
      throw new Error(`the embedded S3 server did not start on port ${port}:\n${r.output()}`);
    }
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async kill() {
      const r = running!;
      r.child.kill('SIGKILL');
      await r.exit;
      if (!(await waitFor(async () => !(await answers(port)), 5000))) throw new Error(`port ${port} still answers after the S3 server was killed`);
    },
    start,
    async incomplete(bucket) {
      const uploads = path.join(dataDir, 's3', bucket, '._S3rver_uploads');
      const ids = await readdir(uploads).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [] as string[];
        throw err;
      });
      const keys = await Promise.all(ids.map((id) => readFile(path.join(uploads, id, 'key'), 'utf8').catch(() => `(upload ${id})`)));
      return keys;
    },
  };
}
