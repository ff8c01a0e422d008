/**
 * Redis may lose everything; PostgreSQL does not. Every asset still `processing` whose job is
 * not waiting or running gets it queued again (a job that waits keeps its place) — but a video
 * whose flow was planned: the worker resumes that flow where it stood (workers/resume-flows.ts).
 * `settleMs` spares assets made that recently: their upload is queueing them right now.
 */
import type { Db } from '../db/database.js';
import type { AssetKind } from '../media/types.js';
import { PROCESSING_JOB } from '../queues/jobs.js';
import type { Queues } from '../queues/producer.js';

export async function requeueProcessing({ db, queues }: { db: Db; queues: Queues }, { settleMs = 0 } = {}): Promise<number> {
  const { rows } = await db.query<{ id: string; kind: AssetKind }>(
    `SELECT id, kind FROM assets a WHERE status = 'processing' AND created_at < now() - make_interval(secs => $1)
       AND NOT EXISTS (SELECT 1 FROM video_plans p WHERE p.asset_id = a.id) ORDER BY created_at`,
    [settleMs / 1000],
  );
  let queued = 0;
  for (const { id, kind } of rows) {
    if (await queues.requeue(PROCESSING_JOB[kind], { assetId: id }, { backfill: true })) queued++;
  }
  return queued;
}
