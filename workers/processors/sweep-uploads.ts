/**
 * The resumable uploads' sweep, every SWEEP_UPLOADS_EVERY_MS and at worker start: unfinished
 * uploads past their expiry lose their parts, rest and row; uploads whose every byte is stored
 * but whose asset was not made (the finishing request failed, the API died) are finished.
 */
import type { Job } from 'bullmq';
import type { ProcessorDeps } from './registry.js';

export async function sweepUploads(_job: Job | undefined, { resumable, log }: Pick<ProcessorDeps, 'resumable' | 'log'>): Promise<string> {
  const expired = await resumable.expire();
  const finished = await resumable.finishPending();
  const report = `removed ${expired} expired uploads, finished ${finished}`;
  if (expired + finished > 0) log.info(report);
  return report;
}
