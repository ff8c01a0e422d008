/**
 * Queue depth read from Redis when Prometheus scrapes, never sampled in between: BullMQ's counts
 * per queue and state, and how long the oldest job in line has waited. One read serves every
 * gauge of a scrape; a Redis that does not answer within `timeoutMs` leaves the queue series out
 * of that scrape (and says so in `lamha_queue_metrics_ok`) instead of hanging it.
 */
import type { Queue } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';

/** Jobs looked at for the oldest waiting one: those next in line, in the order they would run. */
const LOOK_AHEAD = 100;

/** The states shown, each from BullMQ's own (waiting counts prioritized jobs, as every job here has a priority). */
const STATES = {
  waiting: ['wait', 'prioritized'],
  active: ['active'],
  delayed: ['delayed'],
  failed: ['failed'],
  'waiting-children': ['waiting-children'],
} as const;

interface QueueSnapshot {
  counts: Record<keyof typeof STATES, number>;
  /** when the oldest of the next jobs in line was added (ms), or undefined when none waits */
  oldestAddedAt: number | undefined;
}

async function snapshotOf(queue: Queue): Promise<QueueSnapshot> {
  const raw = await queue.getJobCounts(...Object.values(STATES).flat());
  const counts = Object.fromEntries(Object.entries(STATES).map(([state, kinds]) => [state, kinds.reduce((n, k) => n + (raw[k] ?? 0), 0)])) as QueueSnapshot['counts'];
  let oldestAddedAt: number | undefined;
  if (counts.waiting > 0) {
    // `wait` in the order jobs were added; `prioritized` in the order they will run, which for one
    // priority is the order they were added: the oldest of a lower priority may lie further back
    const [plain, prioritized] = await Promise.all([queue.getJobs(['wait'], 0, 0, true), queue.getJobs(['prioritized'], 0, LOOK_AHEAD - 1, true)]);
    for (const job of [...plain, ...prioritized]) if (job && (oldestAddedAt === undefined || job.timestamp < oldestAddedAt)) oldestAddedAt = job.timestamp;
  }
  return { counts, oldestAddedAt };
}

export function registerQueueGauges(registry: Registry, queues: Readonly<Record<string, Queue>>, { timeoutMs = 2_000 }: { timeoutMs?: number } = {}): void {
  let pending: Promise<Map<string, QueueSnapshot> | undefined> | undefined;
  // one read of Redis per scrape, shared by the gauges (prom-client collects them concurrently)
  const snapshot = () => (pending ??= read().finally(() => setTimeout(() => { pending = undefined; }, 100).unref()));
  async function read(): Promise<Map<string, QueueSnapshot> | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => { timer = setTimeout(resolve, timeoutMs, undefined); });
    const all = Promise.all(Object.entries(queues).map(async ([name, q]) => [name, await snapshotOf(q)] as const)).then((e) => new Map(e));
    all.catch(() => {});
    try {
      return await Promise.race([all, late]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  new Gauge({
    name: 'lamha_queue_jobs',
    help: 'Jobs in each queue by state, read from Redis at scrape time (waiting includes prioritized jobs)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const [queue, { counts }] of s) for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
    },
  });
  new Gauge({
    name: 'lamha_queue_oldest_waiting_seconds',
    help: `Age of the oldest job waiting in each queue, among the next ${LOOK_AHEAD} in line (0 when none waits)`,
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      const now = Date.now();
      for (const [queue, { oldestAddedAt }] of s) this.set({ queue }, oldestAddedAt === undefined ? 0 : Math.max(0, (now - oldestAddedAt) / 1000));
    },
  });
  new Gauge({
    name: 'lamha_queue_metrics_ok',
    help: 'Whether Redis answered the queue counts of this scrape in time (1) or not (0: the queue series are left out)',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
}
