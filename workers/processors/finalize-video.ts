/**
 * finalize-video, the last job of a video's flow, run once every part is done: the download MP4
 * (copied from the source when it is already a plain H.264/AAC of at most 720p, else joined from
 * the 720p rung and the audio, never encoded again), the asset complete with every rendition,
 * and what the flow kept for its joins removed.
 */
import path from 'node:path';
import type { Job } from 'bullmq';
import { completeAsset, type NewRendition } from '../../src/db/processing.js';
import { endVideoPlan, listVideoParts } from '../../src/db/video-flow.js';
import { runFfmpeg } from '../../src/media/ffmpeg.js';
import { mp4FromPartsOutput, mp4Output } from '../../src/media/video-plan.js';
import type { JobPayloads } from '../../src/queues/jobs.js';
import { publishAssetReady } from '../../src/redis/live.js';
import type { ProcessorDeps } from './registry.js';
import { inWorkDir, isInputFault, recordFailure, storeRenditions, jobSignal } from './steps.js';
import {
  advance, assertNoMetadata, currentRun, joinStoredPart, progressOf, readyResult, removeSource, sourceFile, stoppedForGood, upsertRenditions,
  type HlsPartResult, type PosterPartResult,
} from './video-flow.js';

export async function finalizeVideoJob(job: Job<JobPayloads['finalize-video']>, deps: ProcessorDeps): Promise<string> {
  const { assetId, run } = job.data;
  const current = await currentRun(deps, assetId, run);
  if (typeof current === 'string') return current;
  const { plan, asset } = current;
  const { probe } = plan;
  const signal = jobSignal(deps, deps.settings.transcodeDeadline.minMs);
  const tools = { ffmpegPath: deps.settings.ffmpegPath, ffprobePath: deps.settings.ffprobePath, signal, log: deps.log, timeoutMs: deps.settings.transcodeDeadline.minMs };
  try {
    return await inWorkDir('lamha-video-', async (work) => {
      // the flow's video-original job cleaned it before this runs: a video never completes with a location at rest
      if (plan.cleanOriginal && asset.originalCleanedAt === null) throw new Error('the flow ended with the stored original not cleaned');
      // every part is done: publishes what a crash between a part's record and its advance left
      await advance(deps, assetId, run);
      const parts = await listVideoParts<HlsPartResult & PosterPartResult>(deps.db, assetId);
      const mp4 = path.join(work, 'download.mp4');
      if (plan.download.rung === null) {
        await runFfmpeg({ inputs: [{ path: await sourceFile(deps, assetId, signal), format: probe.container }], output: mp4Output(probe, mp4) }, tools);
      } else {
        const rung = plan.download.rung;
        const video = path.join(work, 'video.mp4');
        await joinStoredPart(deps, assetId, rung, parts.filter((p) => p.part === rung).flatMap((p) => p.result.segments.map((s) => s.name)), video);
        const inputs = [{ path: video, format: 'mov' }];
        if (probe.hasAudio) {
          const audio = path.join(work, 'audio.mp4');
          await joinStoredPart(deps, assetId, 'audio', parts.filter((p) => p.part === 'audio').flatMap((p) => p.result.segments.map((s) => s.name)), audio);
          inputs.push({ path: audio, format: 'mov' });
        }
        await runFfmpeg({ inputs, output: mp4FromPartsOutput(probe.hasAudio, mp4) }, tools);
      }
      await assertNoMetadata([mp4], { ...tools, timeoutMs: deps.settings.toolTimeoutMs });
      const stored = await storeRenditions(deps, assetId, [{ name: 'download.mp4', type: 'video/mp4', width: plan.download.width, height: plan.download.height, data: { file: mp4 } }]);

      const poster = parts.find((p) => p.part === 'poster')?.result;
      if (!poster) throw new Error('the flow ended without a poster');
      const { parts: detail } = progressOf(plan, parts, true);
      const { rows } = await deps.db.query<NewRendition>('SELECT name, key, width, height, bytes, type FROM renditions WHERE asset_id = $1', [assetId]);
      const renditions = [...rows.filter((r) => r.name !== 'download.mp4'), ...stored];
      const complete = await deps.changes.write(asset.eventId, async (w) => {
        await upsertRenditions(w, assetId, stored);
        if (!(await completeAsset(w, assetId, readyResult(plan, poster.placeholder, asset.keepLocation, renditions)))) return false;
        await w.query('UPDATE assets SET progress_detail = $2 WHERE id = $1', [assetId, JSON.stringify(detail)]);
        return true;
      });
      await endVideoPlan(deps.db, assetId, run);
      await removeSource(deps, assetId);
      if (!complete) return 'skipped: the asset was deleted while it was processed';
      await publishAssetReady(deps.publisher, deps.settings.redisPrefix, { eventId: asset.eventId, albumId: asset.albumId, assetId });
      return `ready: ${plan.rungs.map((r) => r.name).join(', ')}, MP4 from ${plan.download.rung === null ? 'the source' : `the ${plan.download.rung} rung`}`;
    });
  } catch (err) {
    const stopped = stoppedForGood(err, undefined);
    return recordFailure(job, deps, assetId, stopped ?? err, isInputFault(err) || stopped !== undefined);
  }
}

