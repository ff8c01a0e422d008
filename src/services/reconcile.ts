/**
 * Redis may lose everything; PostgreSQL does not. Every asset still `processing` gets its job
 * queued again (a job that already waits keeps its place: job ids are per asset) — but a video
 * whose flow was planned: the worker resumes that flow where it stood (workers/resume-flows.ts).
 */
import type { Db } from '../db/database.js';
import type { AssetKind } from '../media/types.js';
import { PROCESSING_JOB } from '../queues/jobs.js';
import type { Queues } from '../queues/producer.js';

export async function requeueProcessing({ db, queues }: { db: Db; queues: Queues }): Promise<number> {
  const { rows } = await db.query<{ id: string; kind: AssetKind }>(
    `SELECT id, kind FROM assets a WHERE status = 'processing' AND NOT EXISTS (SELECT 1 FROM video_plans p WHERE p.asset_id = a.id) ORDER BY created_at`,
  );
  for (const { id, kind } of rows) {
    await queues.enqueue(PROCESSING_JOB[kind], { assetId: id }, { backfill: true });
  }
  return rows.length;
}
