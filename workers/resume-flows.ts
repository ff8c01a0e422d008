/**
 * Redis may lose everything, a video's flow with it: its plan and the parts already made are in
 * PostgreSQL (video_plans, video_parts). A video whose flow is not in Redis, playable or not yet,
 * gets the parts it still lacks queued again under the same run, then finalize-video; nothing
 * made is made twice, and a playable video stays playable meanwhile.
 */
import { listVideoParts } from '../src/db/video-flow.js';
import type { ProcessorDeps } from './processors/registry.js';
import { flowChildren, partsOf } from './processors/transcode-video.js';
import { revivePlan, type VideoPlan } from './processors/video-flow.js';


/** Answers how many flows were queued again. */
export async function resumeVideoFlows(deps: Pick<ProcessorDeps, 'db' | 'queues'>): Promise<number> {
  const { rows } = await deps.db.query<{ assetId: string; run: string; plan: VideoPlan }>(
    `SELECT p.asset_id AS "assetId", p.run, p.plan FROM video_plans p JOIN assets a ON a.id = p.asset_id
     WHERE a.status IN ('processing', 'ready') ORDER BY a.created_at`,
  );
  let resumed = 0;
  for (const { assetId, run, plan } of rows) {
    if (await deps.queues.hasVideoFlow(run)) continue;
    const done = new Set((await listVideoParts(deps.db, assetId)).map((p) => `${p.part}#${p.piece}`));
    const missing = flowChildren(assetId, run, revivePlan(plan)).filter((c) => partsOf(c).some((p) => !done.has(`${p.part}#${p.piece}`)));
    await deps.queues.addVideoFlow(assetId, run, missing, { backfill: true });
    resumed++;
  }
  return resumed;
}
