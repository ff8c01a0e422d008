/** Runs the real queue workers of the given queues against a test context until teardown. */
import type { Job } from 'bullmq';
import { createRedis } from '../../src/redis/connection.js';
import type { QueueName } from '../../src/queues/jobs.js';
import { createProcessorDeps } from '../../workers/deps.js';
import type { ProcessorDeps } from '../../workers/processors/registry.js';
import { startWorkers, type Workers } from '../../workers/worker.js';
import type { TestContext } from './context.js';
import { REDIS_URL } from './context.js';

export interface RunningWorkers extends Workers {
  deps: ProcessorDeps;
}

export function runWorkers(
  t: { teardown(fn: () => unknown): void }, ctx: TestContext, only: QueueName[],
  /** parts of the processors' dependencies to replace (a tool that fails on purpose) */
  replace: (deps: ProcessorDeps) => Partial<ProcessorDeps> = () => ({}),
): RunningWorkers {
  const connection = createRedis(REDIS_URL, { forWorker: true });
  const made = createProcessorDeps(ctx.config, { db: ctx.db, storage: ctx.storage, queues: ctx.queues, log: ctx.app.log, publisher: ctx.redis });
  const deps = { ...made, ...replace(made) };
  const workers = startWorkers({ ...deps, connection, prefix: ctx.config.redisPrefix, only });
  t.teardown(async () => {
    await workers.close();
    await deps.close();
    connection.disconnect();
  });
  return { ...workers, deps };
}

/** Waits until the asset is processed (failed, or ready with every rendition); answers its status and error. */
export async function settled(ctx: TestContext, assetId: string, ms = 60_000): Promise<{ status: string; error: string | null }> {
  const until = Date.now() + ms;
  for (;;) {
    const { rows } = await ctx.db.query<{ status: string; error: string | null; progress: number | null }>('SELECT status, error, progress FROM assets WHERE id = $1', [assetId]);
    if (!rows[0]) return { status: 'deleted', error: null };
    // a video is ready (playable) before its flow is over: settled is when every rendition is there
    const over = rows[0].status === 'failed' || (rows[0].status === 'ready' && rows[0].progress === 100);
    if (over || Date.now() > until) return { status: rows[0].status, error: rows[0].error };
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type { Job };
