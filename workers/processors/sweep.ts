/**
 * The maintenance sweep, every SWEEP_EVERY_MINUTES and at every worker start: what PostgreSQL
 * says against what Redis, the bucket and the disk hold. Each part runs even when another
 * failed; the job reports what each did (its return value, shown in /admin/queues, and a log
 * line) and fails, naming the parts, when any did.
 */
import type { Job } from 'bullmq';
import { requeueProcessing } from '../../src/services/reconcile.js';
import { sweepStorage, type StorageSweepReport } from '../../src/services/storage-sweep.js';
import { resumeVideoFlows } from '../resume-flows.js';
import type { ProcessorDeps } from './registry.js';
import { sweepTempDir } from './steps.js';
import { removeStaleSources } from './video-flow.js';

export interface SweepReport extends StorageSweepReport {
  /** assets still processing whose job was not in Redis, queued again */
  requeued: number;
  /** planned videos whose flow was not in Redis, queued again with the parts they lack */
  resumedFlows: number;
  /** resumable uploads past their expiry, removed with what was stored of them */
  expiredUploads: number;
  /** resumable uploads with every byte stored whose finishing request failed, finished */
  finishedUploads: number;
  /** this machine's temp dirs and video sources nobody uses any more, removed */
  tempFiles: number;
}

/** An upload that made its row this recently is queueing its job right now. */
const SETTLE_MS = 60_000;

export async function sweep(job: Job | undefined, deps: ProcessorDeps): Promise<SweepReport> {
  const { log, settings } = deps;
  const report: SweepReport = {
    requeued: 0, resumedFlows: 0, expiredUploads: 0, finishedUploads: 0,
    orphans: 0, missingOriginals: 0, abortedUploads: 0, tempFiles: 0,
  };
  const failed: string[] = [];
  const part = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      failed.push(name);
      log.warn({ err }, `the sweep's ${name} part failed; it runs again with the next sweep`);
    }
  };
  await part('queues', async () => {
    // at start nothing is in flight in this process: no settling
    report.requeued = await requeueProcessing(deps, { settleMs: job ? SETTLE_MS : 0 });
    report.resumedFlows = await resumeVideoFlows(deps);
  });
  await part('resumable uploads', async () => {
    report.expiredUploads = await deps.resumable.expire();
    report.finishedUploads = await deps.resumable.finishPending();
  });
  await part('storage', async () => {
    Object.assign(report, await sweepStorage(deps, { graceMs: settings.sweepGraceMs }));
  });
  await part('temp files', async () => {
    // never the dir of a job that may still run: the longest a video's job may take, and more
    const grace = Math.max(settings.sweepGraceMs, settings.transcodeDeadline.maxMs + 3600_000);
    report.tempFiles = (await sweepTempDir(grace)) + (await removeStaleSources(deps));
  });
  const did = Object.entries(report).filter(([, n]) => n > 0);
  if (did.length > 0) log.info({ sweep: report }, `sweep: ${did.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (failed.length > 0) throw new Error(`the sweep's ${failed.join(', ')} part${failed.length > 1 ? 's' : ''} failed (see the worker's log); done: ${JSON.stringify(report)}`);
  return report;
}

/**
 * After Redis came back from a loss (a restart without persistence, a failover): the schedule
 * of the sweep and every job it held may be gone. Queues again what PostgreSQL says is still to
 * do and schedules the sweep again; cheap, so it runs on every reconnection.
 */
export async function restoreQueues(deps: ProcessorDeps, everyMs: number): Promise<{ requeued: number; resumedFlows: number }> {
  await scheduleSweep(deps, everyMs);
  return { requeued: await requeueProcessing(deps), resumedFlows: await resumeVideoFlows(deps) };
}

export async function scheduleSweep({ queues }: Pick<ProcessorDeps, 'queues'>, everyMs: number): Promise<void> {
  const maintenance = queues.queues.maintenance;
  await maintenance.upsertJobScheduler('sweep', { every: everyMs }, { name: 'sweep', data: {} });
  // the sweep of resumable uploads alone, before this sweep took it in
  await maintenance.removeJobScheduler('sweep-uploads');
}
