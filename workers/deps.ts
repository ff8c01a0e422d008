/**
 * What the processors share in one worker process, made from the configuration. Also applies
 * the process-wide sharp settings the image processor was tuned with: every process that runs
 * processors (the worker, `npm start`) comes through here.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/database.js';
import type { Log } from '../src/log.js';
import { configureSharpForWorker } from '../src/media/images.js';
import { createMetadataReader } from '../src/media/metadata.js';
import { createChanges } from '../src/services/changes.js';
import type { Queues } from '../src/queues/producer.js';
import type { ObjectStore } from '../src/storage/object-store.js';
import type { ProcessorDeps } from './processors/registry.js';

export const TOOL_TIMEOUT_MS = 120_000;

export function createProcessorDeps(
  config: Readonly<Config>,
  base: { db: Db; storage: ObjectStore; queues: Queues; log: Log; publisher: Redis },
): ProcessorDeps & { close(): Promise<void> } {
  const changes = createChanges({ db: base.db });
  configureSharpForWorker();
  const metadata = createMetadataReader({ timeoutMs: 30_000 });
  return {
    ...base,
    metadata,
    changes,
    settings: {
      imagePixelLimit: config.imageMaxPixels, videoMaxSeconds: config.videoMaxSeconds, videoMaxPixels: config.videoMaxPixels, toolTimeoutMs: TOOL_TIMEOUT_MS, redisPrefix: config.redisPrefix,
      ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath,
      workerLockMs: config.workerLockMs, workerStalledIntervalMs: config.workerStalledIntervalMs,
      transcodeDeadline: config.transcodeDeadline,
    },
    close: () => metadata.close(),
  };
}
