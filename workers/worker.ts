/**
 * One BullMQ Worker per queue that has processors, each dispatching on the job name, with
 * the concurrency of the queue table. Closing stops taking jobs and waits for running ones,
 * for a bound when given: past it, running jobs are handed back (see `close`).
 */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOB_POLICY, QUEUE_CONCURRENCY, QUEUE_NAMES, type JobName, type QueueName } from '../src/queues/jobs.js';
import type { WorkerMetrics } from '../src/metrics/registry.js';
import { PROCESSORS, type ProcessorDeps } from './processors/registry.js';

export interface Workers {
  workers: Worker[];
  /**
   * Stops taking jobs and waits for the running ones; with `timeoutMs`, only that long: then
   * each running job's tools are killed, its work dir removed, and the job put back at the head
   * of its queue without counting as an attempt, for another worker to take at once.
   */
  close(timeoutMs?: number): Promise<void>;
}

/** how long a job handed back may take to stop (kill its tools, remove its work dir) before the worker stops anyway */
export const HAND_BACK_GRACE_MS = 10_000;

export function startWorkers(deps: ProcessorDeps & { connection: Redis; prefix: string; only?: QueueName[]; metrics?: WorkerMetrics }): Workers {
  const wanted = deps.only ?? [...QUEUE_NAMES];
  const workers: Worker[] = [];
  const handBack = new AbortController();
  const processorDeps: ProcessorDeps = { ...deps, handBack: handBack.signal };
  for (const queue of wanted) {
    const names = (Object.keys(PROCESSORS) as JobName[]).filter((n) => JOB_POLICY[n].queue === queue);
    if (names.length === 0) continue;
    const worker = new Worker(queue, async (job: Job, token?: string) => {
      const processor = PROCESSORS[job.name as JobName];
      if (!processor || JOB_POLICY[job.name as JobName].queue !== queue) throw new UnrecoverableError(`no processor for job "${job.name}" on queue "${queue}"`);
      try {
        return await processor(job, processorDeps, token);
      } catch (err) {
        // a job put back for later (DelayedError) is the queue's already
        if (!handBack.signal.aborted || err instanceof DelayedError) throw err;
        // BullMQ's way to put an active job back without a failed attempt: moveToWait, then
        // WaitingError so that the Worker records nothing more. It goes to the head of the wait
        // list, where another worker takes it now rather than after the stalled-job check (a lock's length).
        await job.moveToWait(token).then(
          () => deps.log.info({ queue, job: job.name, jobId: job.id }, 'job handed back to the queue: this worker is stopping'),
          // its lock lost: another worker has it already
          (e: unknown) => deps.log.warn({ err: e, queue, job: job.name, jobId: job.id }, 'could not hand the job back; the stalled-job check will'),
        );
        throw new WaitingError();
      }
    }, {
      connection: deps.connection,
      prefix: deps.prefix,
      // stored on every job it takes (job.processedBy): which machine and process did what
      name: `${os.hostname()}:${process.pid}`,
      concurrency: QUEUE_CONCURRENCY[queue],
      // renewed every half of it; ffmpeg and sharp work off the event loop, so renewal keeps up
      lockDuration: deps.settings.workerLockMs,
      stalledInterval: deps.settings.workerStalledIntervalMs,
    });
    worker.on('failed', (job, err) => deps.log.warn({ err, queue, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade }, 'job failed'));
    worker.on('error', (err) => deps.log.error({ err, queue }, 'worker error'));
    const { metrics } = deps;
    if (metrics) {
      worker.on('completed', (job) => {
        if (job.processedOn && job.finishedOn) metrics.jobDuration.observe({ queue, job_name: job.name, outcome: 'completed' }, Math.max(0, job.finishedOn - job.processedOn) / 1000);
      });
      worker.on('failed', (job) => {
        // BullMQ sets finishedOn only on a run that is not tried again (no attempts left, or unrecoverable)
        metrics.jobFailures.inc({ queue, job_name: job?.name ?? 'unknown', final: String(!job || typeof job.finishedOn === 'number') });
        // a run that failed took time too: a piece that fails after 20 minutes is worth seeing
        if (job?.processedOn) metrics.jobDuration.observe({ queue, job_name: job.name, outcome: 'failed' }, Math.max(0, (job.finishedOn ?? Date.now()) - job.processedOn) / 1000);
      });
    }
    workers.push(worker);
  }
  return {
    workers,
    async close(timeoutMs?: number) {
      const closed = Promise.all(workers.map((w) => w.close()));
      if (timeoutMs === undefined) return void (await closed);
      const done = new AbortController();
      const inTime = await Promise.race([closed.then(() => true), sleep(timeoutMs, false, { signal: done.signal }).catch(() => false)]);
      done.abort();
      if (inTime) return;
      deps.log.warn(`jobs still running ${timeoutMs} ms after the stop: handing them back to the queue`);
      handBack.abort(new Error('the worker is stopping'));
      const grace = new AbortController();
      const stopped = await Promise.race([closed.then(() => true), sleep(HAND_BACK_GRACE_MS, false, { signal: grace.signal }).catch(() => false)]);
      grace.abort();
      if (stopped) return;
      // A job that heeds no signal (a stuck S3 call): its lock lapses and the stalled-job check of
      // another worker takes it over; its work dir is removed by the next job on this machine.
      // BullMQ's close(true) now would only answer the close already waiting on those jobs, forever:
      // the process goes on closing without them
      deps.log.error(`jobs did not stop ${HAND_BACK_GRACE_MS} ms after being handed back: closing without them`);
    },
  };
}
