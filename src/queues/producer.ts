import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOB_POLICY, PRIORITY, QUEUE_NAMES, jobId, type JobName, type JobPayloads, type QueueName } from './jobs.js';

export interface Queues {
  enqueue<N extends JobName>(name: N, payload: JobPayloads[N], options?: { backfill?: boolean }): Promise<string>;
  /** Drops the asset's job while it waits; one already running keeps its lock. */
  cancel(name: JobName, assetId: string): Promise<void>;
  readonly queues: Readonly<Record<QueueName, Queue>>;
  close(): Promise<void>;
}

export function createQueues({ connection, prefix }: { connection: Redis; prefix: string }): Queues {
  const queues = Object.fromEntries(QUEUE_NAMES.map((q) => [q, new Queue(q, { connection, prefix })])) as Record<QueueName, Queue>;
  return {
    queues,
    async enqueue(name, payload, options = {}) {
      const policy = JOB_POLICY[name];
      const id = jobId(name, payload.assetId);
      await queues[policy.queue].add(name, payload, {
        jobId: id,
        attempts: policy.attempts,
        backoff: { type: 'exponential', delay: policy.backoffMs },
        priority: options.backfill ? PRIORITY.backfill : PRIORITY.upload,
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
      return id;
    },
    async cancel(name, assetId) {
      await queues[JOB_POLICY[name].queue].remove(jobId(name, assetId));
    },
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
    },
  };
}
