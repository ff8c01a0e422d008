/**
 * What the processors share in one worker process, made from the configuration. Also applies
 * the process-wide sharp settings the image processor was tuned with: every process that runs
 * processors (the worker, `npm start`) comes through here.
 */
import type { Redis } from 'ioredis';
import { handoffFromConfig } from '../src/storage/handoff.js';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/database.js';
import type { Log } from '../src/log.js';
import { configureSharpForWorker } from '../src/media/images.js';
import { createMetadataReader } from '../src/media/metadata.js';
import { QUEUE_CONCURRENCY } from '../src/queues/jobs.js';
import { createAssetService } from '../src/services/assets.js';
import { createChanges, type Changes } from '../src/services/changes.js';
import { createEventService } from '../src/services/events.js';
import { createResumableService, type ResumableService } from '../src/services/resumable.js';
import { createUploadService } from '../src/services/uploads.js';
import type { Queues } from '../src/queues/producer.js';
import type { ObjectStore } from '../src/storage/object-store.js';
import type { ProcessorDeps } from './processors/registry.js';
import { sourcesDir } from './processors/video-flow.js';

export const TOOL_TIMEOUT_MS = 120_000;

export function createProcessorDeps(
  config: Readonly<Config>,
  base: { db: Db; storage: ObjectStore; queues: Queues; log: Log; publisher: Redis },
): ProcessorDeps & { close(): Promise<void> } {
  const changes = createChanges({ db: base.db });
  const resumable = resumableForWorker(config, { ...base, changes });
  configureSharpForWorker();
  // One exiftool per photo the images queue works on at once: a photo needs three exiftool
  // tasks (clean, check, read), and exiftool-vendored's default on 2 cores, one process, made
  // every photo wait for the others' tasks in turn.
  const metadata = createMetadataReader({ timeoutMs: 30_000, maxProcs: QUEUE_CONCURRENCY.images });
  return {
    ...base,
    metadata,
    // the API's copies of uploaded photos, when this worker shares its directory
    handoff: handoffFromConfig(config.handoff),
    changes,
    resumable,
    settings: {
      imagePixelLimit: config.imageMaxPixels, videoMaxSeconds: config.videoMaxSeconds, videoMaxPixels: config.videoMaxPixels, videoPieceSeconds: config.videoPieceSeconds, videoFirstRungProcesses: config.videoFirstRungProcesses, toolTimeoutMs: TOOL_TIMEOUT_MS, redisPrefix: config.redisPrefix,
      ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath,
      workerLockMs: config.workerLockMs, workerStalledIntervalMs: config.workerStalledIntervalMs,
      transcodeDeadline: config.transcodeDeadline,
      sweepGraceMs: config.sweep.graceMs,
      sourcesDir: sourcesDir({ redisUrl: config.redisUrl, redisPrefix: config.redisPrefix, databaseUrl: config.databaseUrl, bucket: config.s3.bucket }),
    },
    close: () => metadata.close(),
  };
}

/**
 * The resumable-upload service as the sweep uses it: finishing an upload runs the same ingest
 * as the API's (typing, limits, rows, dedup, queueing), so it is made from the same factories.
 */
function resumableForWorker(config: Readonly<Config>, deps: { db: Db; storage: ObjectStore; queues: Queues; log: Log; changes: Changes }): ResumableService {
  const { db, storage, queues, log, changes } = deps;
  const assets = createAssetService({ db, storage, queues, log, changes });
  const events = createEventService({ db, deleteAsset: assets.deleteAsset, changes });
  const uploads = createUploadService({
    db, storage, queues, events, log, changes, maxBytes: config.uploadMaxBytes, maxPixels: config.imageMaxPixels,
    video: { maxSeconds: config.videoMaxSeconds, maxPixels: config.videoMaxPixels, ffprobePath: config.ffprobePath },
  });
  return createResumableService({ db, storage, uploads, events, log, maxBytes: config.uploadMaxBytes, expiryMs: config.resumableExpiryMs });
}
