/**
 * Queue and job names, payloads and the per-job policy table: attempts, backoff and timeout
 * live here and nowhere else.
 */
import os from 'node:os';
import type { AssetKind } from '../media/types.js';

export const QUEUE_NAMES = ['images', 'videos', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobPayloads {
  /** renditions, placeholder and metadata of a photo or document */
  'derive-image': { assetId: string };
  /**
   * A video's first job: probe and plan; then it adds the flow of jobs below (poster, audio, each
   * rung's pieces, the original's clean, storyboard, then finalize-video), which any worker may take.
   */
  'transcode-video': { assetId: string };
  /** poster of run `run`, with the photo renditions and the placeholder */
  'video-poster': VideoRunPayload;
  /** the storyboard for scrubbing (a sprite and its WebVTT), after the first rung */
  'video-storyboard': VideoRunPayload;
  /** the audio of the whole recording, as one HLS rendition */
  'video-audio': VideoRunPayload;
  /**
   * the stored original without location, serial numbers and owner names (an event that does not
   * keep locations), once the smallest rung's pieces are taken (see flowChildren)
   */
  'video-original': VideoRunPayload;
  /** one piece of the recording in one or more rungs (see rungGroups) */
  'video-piece': VideoRunPayload & { rungs: string[]; piece: number };
  /** after every part: the download MP4, the last master playlist, the asset complete */
  'finalize-video': VideoRunPayload;
  /** removes every object of a deleted asset (retried when storage was down at delete time) */
  'purge-asset': { assetId: string };
  /**
   * the maintenance sweep (workers/processors/sweep.ts): queues again what Redis lost, removes
   * what no row owns in the bucket and on disk, expires and finishes resumable uploads
   */
  'sweep': Record<string, never>;
}
export type JobName = keyof JobPayloads;

export interface VideoRunPayload {
  assetId: string;
  /** the plan run this job belongs to: a job of an earlier run does nothing */
  run: string;
}

/** The jobs of a video's flow, as transcode-video adds them. */
export type VideoFlowJob = 'video-poster' | 'video-storyboard' | 'video-audio' | 'video-original' | 'video-piece' | 'finalize-video';

export interface JobPolicy {
  queue: QueueName;
  attempts: number;
  /** exponential backoff base */
  backoffMs: number;
  /** a run longer than this is abandoned (transcode-video: its deadline scales, see transcodeDeadlineMs) */
  timeoutMs: number;
  /**
   * Whether a run that passed its deadline is tried again. Not for a transcode: its deadline
   * already allows for a loaded machine, and a file that takes longer will take longer again,
   * holding the one video worker for attempts × deadline.
   */
  retryAfterDeadline: boolean;
}

export const JOB_POLICY: Readonly<Record<JobName, JobPolicy>> = {
  'derive-image': { queue: 'images', attempts: 5, backoffMs: 2_000, timeoutMs: 5 * 60_000, retryAfterDeadline: true },
  'transcode-video': { queue: 'videos', attempts: 3, backoffMs: 30_000, timeoutMs: 6 * 3600_000, retryAfterDeadline: false },
  // a failed part is retried alone; its deadline scales with the part's length (transcodeDeadlineMs)
  'video-poster': { queue: 'videos', attempts: 3, backoffMs: 10_000, timeoutMs: 6 * 3600_000, retryAfterDeadline: false },
  'video-storyboard': { queue: 'videos', attempts: 3, backoffMs: 10_000, timeoutMs: 6 * 3600_000, retryAfterDeadline: false },
  'video-audio': { queue: 'videos', attempts: 3, backoffMs: 10_000, timeoutMs: 6 * 3600_000, retryAfterDeadline: false },
  'video-original': { queue: 'videos', attempts: 3, backoffMs: 10_000, timeoutMs: 6 * 3600_000, retryAfterDeadline: false },
  'video-piece': { queue: 'videos', attempts: 3, backoffMs: 10_000, timeoutMs: 6 * 3600_000, retryAfterDeadline: false },
  'finalize-video': { queue: 'videos', attempts: 5, backoffMs: 10_000, timeoutMs: 3600_000, retryAfterDeadline: true },
  'purge-asset': { queue: 'maintenance', attempts: 10, backoffMs: 10_000, timeoutMs: 10 * 60_000, retryAfterDeadline: true },
  // repeated every SWEEP_EVERY_MINUTES: a failed run is simply the next one
  'sweep': { queue: 'maintenance', attempts: 1, backoffMs: 60_000, timeoutMs: 60 * 60_000, retryAfterDeadline: false },
};

export interface TranscodeDeadline {
  /** wall-clock seconds allowed per second of video */
  factor: number;
  minMs: number;
  maxMs: number;
}

/**
 * How long the transcode of a video of `durationMs` may take, all its ffmpeg runs together:
 * `factor` × the duration, at least `minMs` (probes, poster and storyboard, and clips whose
 * length is unknown), at most `maxMs`. Measured on 2 vCPUs (bench/README.md, video): the whole
 * set (HLS 360p–1080p and the MP4) of a 20 s 1080p clip took 18.6 s on an idle machine and 116.7 s
 * at load average 11–17, i.e. 0.9 to 5.8 s per second of video; the default factor 10 leaves
 * room above the loaded figure.
 */
export function transcodeDeadlineMs(durationMs: number | null, deadline: TranscodeDeadline): number {
  const scaled = Math.max(0, durationMs ?? 0) * deadline.factor;
  return Math.min(deadline.maxMs, Math.max(deadline.minMs, Math.round(scaled)));
}

/** The job that makes an asset's renditions, by the asset's kind. */
export const PROCESSING_JOB: Readonly<Record<AssetKind, 'derive-image' | 'transcode-video'>> = {
  image: 'derive-image',
  document: 'derive-image',
  video: 'transcode-video',
};

/**
 * Workers per queue in one process. Photos: one more than the cores, so a core whose job waits
 * (the S3 download and uploads, exiftool, the database) has another photo to work on — on 2
 * cores bench/images' processor path gave 2.65–2.83 photos/s with 3 jobs against 2.53 with 2,
 * for ≈ 30 MB more peak RSS. ffmpeg uses all the cores by itself.
 */
export const QUEUE_CONCURRENCY: Readonly<Record<QueueName, number>> = {
  images: Math.max(1, os.availableParallelism()) + 1,
  videos: 1,
  maintenance: 2,
};

/** Priorities (lower runs first): fresh uploads before back-fill. */
export const PRIORITY = { upload: 1, backfill: 10 } as const;

/** BullMQ job ids: one job per asset and task, so a re-enqueue is a no-op while it waits. */
export function jobId(name: JobName, assetId: string): string {
  return `${name}-${assetId}`;
}
