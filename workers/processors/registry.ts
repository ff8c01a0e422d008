/**
 * Job name → processor. A queue is consumed by a process only when it has processors here.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from '../../src/db/database.js';
import type { Log } from '../../src/log.js';
import type { JobName, TranscodeDeadline } from '../../src/queues/jobs.js';
import type { Queues } from '../../src/queues/producer.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import type { MetadataReader } from '../../src/media/metadata.js';
import type { Changes } from '../../src/services/changes.js';
import type { ResumableService } from '../../src/services/resumable.js';
import { deriveImageJob } from './derive-image.js';
import { finalizeVideoJob } from './finalize-video.js';
import { transcodeVideoJob } from './transcode-video.js';
import { videoOriginalJob } from './video-original.js';
import { videoAudioJob, videoPieceJob } from './video-piece.js';
import { videoPosterJob, videoStoryboardJob } from './video-poster.js';
import { purgeAsset } from './purge-asset.js';
import { sweep } from './sweep.js';
import type { Handoff } from '../../src/storage/handoff.js';

export interface ProcessorSettings {
  imagePixelLimit: number;
  videoMaxSeconds: number;
  videoMaxPixels: number;
  /** seconds of video per piece of a long recording */
  videoPieceSeconds: number;
  /** ffmpeg processes side by side for a piece of the smallest rung (VIDEO_FIRST_RUNG_PROCESSES; 0: one per core) */
  videoFirstRungProcesses: number;
  /** the longest an external tool (heif-convert, pdftoppm, ffmpeg) may run for one step */
  toolTimeoutMs: number;
  redisPrefix: string;
  ffmpegPath: string;
  ffprobePath: string;
  /** BullMQ `lockDuration` of the Worker running the processors: a dead worker's job waits this long */
  workerLockMs: number;
  /** BullMQ `stalledInterval`: how often jobs with an expired lock are queued again */
  workerStalledIntervalMs: number;
  /** how long a video's transcode may take, by its duration (transcodeDeadlineMs) */
  transcodeDeadline: TranscodeDeadline;
  /** how old what the sweep removes must be (SWEEP_GRACE_HOURS) */
  sweepGraceMs: number;
  /** this install's copies of the originals of videos being made, on this machine (sourcesDir) */
  sourcesDir: string;
}

export interface ProcessorDeps {
  db: Db;
  storage: ObjectStore;
  queues: Queues;
  log: Log;
  metadata: MetadataReader;
  /** the API's copies of uploaded photos, when this worker shares its hand-off directory */
  handoff?: Handoff | undefined;
  /** a connection for PUBLISH (live updates) */
  publisher: Redis;
  /** the gallery's change versions: what processing makes public is written through it */
  changes: Pick<Changes, 'write' | 'touch'>;
  settings: ProcessorSettings;
  /**
   * Aborted when the worker stops and its shutdown bound has passed: the job's tools are killed
   * and the job goes back to the queue (workers/worker.ts). Combine it with a job's own deadline
   * through `jobSignal`.
   */
  handBack?: AbortSignal;
  /** resumable uploads, for their sweep */
  resumable: Pick<ResumableService, 'expire' | 'finishPending'>;
}

/** `token`: the worker's lock on the job, for a processor that puts its job back (moveToDelayed) */
export type Processor = (job: Job, deps: ProcessorDeps, token?: string) => Promise<unknown>;

export const PROCESSORS: Partial<Record<JobName, Processor>> = {
  'derive-image': deriveImageJob as Processor,
  'transcode-video': transcodeVideoJob as Processor,
  'video-poster': videoPosterJob as Processor,
  'video-storyboard': videoStoryboardJob as Processor,
  'video-audio': videoAudioJob as Processor,
  'video-original': videoOriginalJob as Processor,
  'video-piece': videoPieceJob as Processor,
  'finalize-video': finalizeVideoJob as Processor,
  'purge-asset': purgeAsset as Processor,
  'sweep': sweep as Processor,
};
