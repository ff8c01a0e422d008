/**
 * The embedded S3 server (s3rver) in a process of its own, for the benchmarks run without
 * S3_ENDPOINT: neither the client nor the API under test then shares a thread with it.
 * Prints {"endpoint": …} on stdout; on SIGTERM or when stdin closes it stops and removes
 * its data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedS3 } from '../src/storage/embedded-s3.js';

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lamha-bench-s3-'));
const server = await startEmbeddedS3({ dataDir, port: 0 });
process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint, dataDir })}\n`);

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await server.close().catch(() => {});
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
process.stdin.on('end', () => void shutdown());
process.stdin.resume();
