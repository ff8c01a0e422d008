/**
 * One BullMQ Worker per queue that has processors, each dispatching on the job name, with
 * the concurrency of the queue table. Closing waits for running jobs.
 */
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOB_POLICY, QUEUE_CONCURRENCY, QUEUE_NAMES, type JobName, type QueueName } from '../src/queues/jobs.js';
import type { WorkerMetrics } from '../src/metrics/registry.js';
import { PROCESSORS, type ProcessorDeps } from './processors/registry.js';

export interface Workers {
  workers: Worker[];
  close(): Promise<void>;
}

export function startWorkers(deps: ProcessorDeps & { connection: Redis; prefix: string; only?: QueueName[]; metrics?: WorkerMetrics }): Workers {
  const wanted = deps.only ?? [...QUEUE_NAMES];
  const workers: Worker[] = [];
  for (const queue of wanted) {
    const names = (Object.keys(PROCESSORS) as JobName[]).filter((n) => JOB_POLICY[n].queue === queue);
    if (names.length === 0) continue;
    const worker = new Worker(queue, async (job: Job) => {
      const processor = PROCESSORS[job.name as JobName];
      if (!processor || JOB_POLICY[job.name as JobName].queue !== queue) throw new UnrecoverableError(`no processor for job "${job.name}" on queue "${queue}"`);
      return processor(job, deps);
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
        if (job.processedOn && job.finishedOn) metrics.jobDuration.observe({ queue, job: job.name }, Math.max(0, job.finishedOn - job.processedOn) / 1000);
      });
      // BullMQ sets finishedOn only on a run that is not tried again (no attempts left, or unrecoverable)
      worker.on('failed', (job) => metrics.jobFailures.inc({ queue, job: job?.name ?? 'unknown', final: String(!job || typeof job.finishedOn === 'number') }));
    }
    workers.push(worker);
  }
  return {
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
