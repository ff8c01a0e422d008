/**
 * What organisers watch while the event runs: assets that failed (with the reason) and their
 * retry, the queues' depth and what is being processed, and an event's dashboard.
 */
import type { Db } from '../db/database.js';
import type { AssetWithMedia } from '../db/assets.js';
import { findEventById, type EventRow } from '../db/events.js';
import { assetsOfEvent, eventDashboard, listFailed, markForRetry, type EventDashboard, type FailedAsset } from '../db/operations.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { JOB_POLICY, PROCESSING_JOB, QUEUE_NAMES, jobId, type QueueName } from '../queues/jobs.js';
import type { Queues } from '../queues/producer.js';
import type { AssetService } from './assets.js';
import type { Changes } from './changes.js';
import type { EventService } from './events.js';
import { canCurate, demand, type Principal } from './access.js';

export interface QueueState {
  queue: QueueName;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface RunningJob {
  queue: QueueName;
  name: string;
  assetId: string | null;
  /** 0–100, as the job reports it */
  progress: number | null;
  startedAt: Date | null;
  /** a video piece's rungs and its index from 0; null for other jobs */
  rungs: string[] | null;
  piece: number | null;
}

export interface ProcessingState {
  failed: FailedAsset[];
  queues: QueueState[];
  running: RunningJob[];
}

export function createOperationsService({ db, queues, assets, events, changes }: {
  db: Db; queues: Queues; assets: AssetService; events: Pick<EventService, 'visibleEvent'>; changes: Changes;
}) {
  /** The event an insider may look after: admins any (or none: every event), an editor its own. */
  async function scope(p: Principal | null, slug: string | undefined): Promise<EventRow | undefined> {
    demand(p, p?.role === 'admin' || p?.role === 'editor', 'watch processing');
    if (p!.role === 'editor') {
      // an editor's own event; asking for another is refused
      const own = p!.eventId ? await findEventById(db, p!.eventId) : undefined;
      if (!own) throw new NotFoundError('No event');
      demand(p, slug === undefined || slug === own.slug, 'watch another event');
      return own;
    }
    return slug === undefined ? undefined : events.visibleEvent(p, slug);
  }

  return {
    async processing(p: Principal | null, eventSlug?: string): Promise<ProcessingState & { event: EventRow | undefined }> {
      const event = await scope(p, eventSlug);
      const states = await Promise.all(QUEUE_NAMES.map(async (queue) => {
        const c = await queues.queues[queue].getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
        return { queue, waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
      }));
      const active = (await Promise.all(QUEUE_NAMES.map(async (queue) => (await queues.queues[queue].getActive(0, 50)).map((j) => ({
        queue, name: j.name, assetId: typeof (j.data as { assetId?: unknown })?.assetId === 'string' ? (j.data as { assetId: string }).assetId : null,
        ...pieceOf(j.data),
        progress: typeof j.progress === 'number' ? Math.round(j.progress) : null, startedAt: j.processedOn ? new Date(j.processedOn) : null,
      }))))).flat();
      // an editor sees what runs for its event only; the queues' depth is the same for all
      const mine = event ? await assetsOfEvent(db, event.id, active.flatMap((j) => (j.assetId ? [j.assetId] : []))) : undefined;
      return {
        event,
        failed: await listFailed(db, event?.id, 200),
        queues: states,
        running: mine ? active.filter((j) => j.assetId !== null && mine.has(j.assetId)) : active,
      };
    },

    /** A failed asset goes back to processing and its job is queued again; answers the asset as it was. */
    async retry(p: Principal | null, id: string): Promise<AssetWithMedia> {
      const asset = await assets.get(p, id);
      demand(p, canCurate(p, asset.eventId), 'retry the processing of this asset');
      if (asset.status !== 'failed') throw new ConflictError(`Asset ${id} has not failed (it is ${asset.status})`);
      const name = PROCESSING_JOB[asset.kind];
      // the failed job keeps its id (one per asset) until it is removed: a new one would be ignored
      await queues.queues[JOB_POLICY[name].queue].remove(jobId(name, id));
      if (!(await changes.write(asset.eventId, () => markForRetry(db, id)))) throw new ConflictError(`Asset ${id} has not failed`);
      await queues.enqueue(name, { assetId: id });
      return asset;
    },

    async dashboard(p: Principal | null, eventSlug: string): Promise<EventDashboard & { event: EventRow }> {
      const event = await events.visibleEvent(p, eventSlug);
      demand(p, canCurate(p, event.id), 'see the dashboard of this event');
      return { event, ...(await eventDashboard(db, event.id)) };
    },
  };
}

export type OperationsService = ReturnType<typeof createOperationsService>;

/** A video piece's rungs and index, for the console to say which part of which video runs. */
function pieceOf(data: unknown): { rungs: string[] | null; piece: number | null } {
  const d = data as { rungs?: unknown; piece?: unknown } | null;
  const rungs = Array.isArray(d?.rungs) && d.rungs.every((r) => typeof r === 'string') ? (d.rungs as string[]) : null;
  return { rungs, piece: rungs && typeof d?.piece === 'number' ? d.piece : null };
}
