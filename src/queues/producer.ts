import { FlowProducer, Queue, type FlowJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOB_POLICY, PRIORITY, QUEUE_NAMES, jobId, type JobName, type JobPayloads, type QueueName, type VideoFlowJob } from './jobs.js';

/** One job of a video's flow: its payload, and its rank among its siblings (lower runs first). */
export interface VideoFlowChild<N extends Exclude<VideoFlowJob, 'finalize-video'> = Exclude<VideoFlowJob, 'finalize-video'>> {
  name: N;
  data: JobPayloads[N];
  rank: number;
}

export interface Queues {
  enqueue<N extends JobName>(name: N, payload: JobPayloads[N], options?: { backfill?: boolean }): Promise<string>;
  /**
   * Adds a video's flow: `children` in any order any worker takes them (lower rank first), then
   * finalize-video once all are done. A child that fails for good fails the flow.
   */
  addVideoFlow(assetId: string, run: string, children: VideoFlowChild[], options?: { backfill?: boolean }): Promise<void>;
  /** Whether the flow of run `run` is in Redis (its finalize-video job, waiting or done). */
  hasVideoFlow(run: string): Promise<boolean>;
  /**
   * Queues the asset's job unless it is waiting, delayed or running; one that completed or
   * failed for good is replaced (its id would make the add a no-op). Answers whether it queued.
   */
  requeue<N extends JobName>(name: N, payload: JobPayloads[N], options?: { backfill?: boolean }): Promise<boolean>;
  /** Drops the asset's job while it waits; one already running keeps its lock. */
  cancel(name: JobName, assetId: string): Promise<void>;
  readonly queues: Readonly<Record<QueueName, Queue>>;
  close(): Promise<void>;
}

export function createQueues({ connection, prefix }: { connection: Redis; prefix: string }): Queues {
  const queues = Object.fromEntries(QUEUE_NAMES.map((q) => [q, new Queue(q, { connection, prefix })])) as Record<QueueName, Queue>;
  let flows: FlowProducer | undefined;
  const optionsOf = (name: JobName, id: string, priority: number) => ({
    jobId: id,
    attempts: JOB_POLICY[name].attempts,
    backoff: { type: 'exponential', delay: JOB_POLICY[name].backoffMs },
    priority,
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
  return {
    queues,
    async addVideoFlow(assetId, run, children, options = {}) {
      flows ??= new FlowProducer({ connection, prefix });
      const base = options.backfill ? PRIORITY.backfill : PRIORITY.upload;
      const flow: FlowJob = {
        name: 'finalize-video',
        queueName: JOB_POLICY['finalize-video'].queue,
        data: { assetId, run } satisfies JobPayloads['finalize-video'],
        opts: optionsOf('finalize-video', videoFlowJobId('finalize-video', run), base),
        children: children.map((c) => ({
          name: c.name,
          queueName: JOB_POLICY[c.name].queue,
          data: c.data,
          opts: { ...optionsOf(c.name, videoFlowJobId(c.name, run, c.name === 'video-piece' ? `${(c.data as JobPayloads['video-piece']).rungs.join('+')}-${(c.data as JobPayloads['video-piece']).piece}` : undefined), base + c.rank), failParentOnFailure: true },
        })),
      };
      await flows.add(flow);
    },
    async hasVideoFlow(run) {
      return (await queues[JOB_POLICY['finalize-video'].queue].getJob(videoFlowJobId('finalize-video', run))) !== undefined;
    },
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
    async requeue(name, payload, options = {}) {
      const queue = queues[JOB_POLICY[name].queue];
      const id = jobId(name, payload.assetId);
      const state = await queue.getJobState(id);
      if (state === 'completed' || state === 'failed') await queue.remove(id);
      else if (state !== 'unknown') return false;
      await this.enqueue(name, payload, options);
      return true;
    },
    async cancel(name, assetId) {
      await queues[JOB_POLICY[name].queue].remove(jobId(name, assetId));
    },
    async close() {
      await Promise.all([...Object.values(queues).map((q) => q.close()), flows?.close()]);
    },
  };
}

/** BullMQ job ids of a video's flow: one per run and part, so adding a run's flow twice adds nothing. */
export function videoFlowJobId(name: VideoFlowJob, run: string, part?: string): string {
  return part === undefined ? `${name}-${run}` : `${name}-${run}-${part}`;
}
