/** The queries of a video's flow of jobs: its plan, the parts done, the rungs published. */
import { inTransaction, type Db, type Queryable } from './database.js';

export interface VideoPlanRow<P> {
  assetId: string;
  run: string;
  plan: P;
  /** rungs whose playlist is in the master playlist */
  published: string[];
}

/** Starts a run: the plan replaces any earlier one, and the parts that one recorded go with it. */
export async function startVideoPlan<P>(db: Db, assetId: string, run: string, plan: P): Promise<void> {
  await inTransaction(db, async (q) => {
    await q.query('DELETE FROM video_plans WHERE asset_id = $1', [assetId]);
    await q.query('INSERT INTO video_plans (asset_id, run, plan) VALUES ($1, $2, $3)', [assetId, run, JSON.stringify(plan)]);
  });
}

export async function findVideoPlan<P>(db: Queryable, assetId: string, options: { lock?: boolean } = {}): Promise<VideoPlanRow<P> | undefined> {
  const { rows } = await db.query<VideoPlanRow<P>>(
    `SELECT asset_id AS "assetId", run, plan, published FROM video_plans WHERE asset_id = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [assetId],
  );
  return rows[0];
}

/** Records a finished part of run `run`; answers false when that run is no longer the asset's. */
export async function recordVideoPart(db: Queryable, assetId: string, run: string, part: string, piece: number, result: unknown): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO video_parts (asset_id, part, piece, result)
     SELECT asset_id, $3, $4, $5 FROM video_plans WHERE asset_id = $1 AND run = $2
     ON CONFLICT (asset_id, part, piece) DO UPDATE SET result = EXCLUDED.result, done_at = now()`,
    [assetId, run, part, piece, JSON.stringify(result)],
  );
  return rowCount === 1;
}

export interface VideoPartRow<R> {
  part: string;
  piece: number;
  result: R;
}

export async function listVideoParts<R>(db: Queryable, assetId: string): Promise<VideoPartRow<R>[]> {
  const { rows } = await db.query<VideoPartRow<R>>(
    'SELECT part, piece, result FROM video_parts WHERE asset_id = $1 ORDER BY part, piece',
    [assetId],
  );
  return rows;
}

export async function setPublishedRungs(db: Queryable, assetId: string, published: string[]): Promise<void> {
  await db.query('UPDATE video_plans SET published = $2 WHERE asset_id = $1', [assetId, published]);
}

/** The flow is over: what it kept for the joins goes. */
export async function endVideoPlan(db: Queryable, assetId: string, run: string): Promise<void> {
  await db.query('DELETE FROM video_plans WHERE asset_id = $1 AND run = $2', [assetId, run]);
}
