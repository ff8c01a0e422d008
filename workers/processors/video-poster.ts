/**
 * video-poster: a video's poster (with the photo renditions and the placeholder) and its
 * storyboard for scrubbing, from the cleaned original on this machine.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import sharp from 'sharp';
import { recordVideoPart } from '../../src/db/video-flow.js';
import { runFfmpeg } from '../../src/media/ffmpeg.js';
import { deriveImage } from '../../src/media/images.js';
import { posterInput, posterOutput, storyboardOutput, storyboardPlan, storyboardVtt } from '../../src/media/video-plan.js';
import { transcodeDeadlineMs, type JobPayloads } from '../../src/queues/jobs.js';
import type { ProcessorDeps } from './registry.js';
import { inWorkDir, isInputFault, recordFailure, storeRenditions } from './steps.js';
import { advance, currentRun, sourceFile, stoppedForGood, upsertRenditions, type PosterPartResult } from './video-flow.js';

export async function videoPosterJob(job: Job<JobPayloads['video-poster']>, deps: ProcessorDeps): Promise<string> {
  const { assetId, run } = job.data;
  const current = await currentRun(deps, assetId, run);
  if (typeof current === 'string') return current;
  const { plan, asset } = current;
  const { probe } = plan;
  const deadlineMs = Math.min(transcodeDeadlineMs(probe.durationMs, deps.settings.transcodeDeadline), deps.settings.transcodeDeadline.maxMs);
  const signal = AbortSignal.timeout(deadlineMs);
  const tools = { ffmpegPath: deps.settings.ffmpegPath, ffprobePath: deps.settings.ffprobePath, signal, log: deps.log, timeoutMs: Math.min(deps.settings.toolTimeoutMs, deadlineMs) };
  try {
    return await inWorkDir('lamha-video-', async (work) => {
      const original = await sourceFile(deps, assetId, signal);
      const posterPng = path.join(work, 'poster.png');
      await runFfmpeg({ inputs: [{ path: original, format: probe.container, options: posterInput(probe) }], output: posterOutput(probe, posterPng) }, tools);
      const poster = await deriveImage(posterPng, { pixelLimit: deps.settings.imagePixelLimit });
      let board = storyboardPlan(probe);
      const spritePng = path.join(work, 'storyboard.png');
      await runFfmpeg({ inputs: [{ path: original, format: probe.container }], output: storyboardOutput(probe, board, spritePng) }, tools);
      let spriteSource = sharp(spritePng);
      if (!(await access(spritePng).then(() => true, () => false))) {
        // a clip shorter than one storyboard interval: its poster is its one thumbnail
        board = { ...board, count: 1, columns: 1, rows: 1 };
        spriteSource = sharp(posterPng).resize(board.tileWidth, board.tileHeight, { fit: 'fill' });
      }
      const sprite = await spriteSource.jpeg({ quality: 70, progressive: true }).toBuffer({ resolveWithObject: true });
      const renditions = await storeRenditions(deps, assetId, [
        ...poster.renditions,
        { name: 'storyboard.jpg', type: 'image/jpeg', width: sprite.info.width, height: sprite.info.height, data: sprite.data },
        { name: 'storyboard.vtt', type: 'text/vtt; charset=utf-8', width: null, height: null, data: Buffer.from(storyboardVtt(board, 'storyboard.jpg', probe.durationMs)) },
      ]);
      await upsertRenditions(deps.db, assetId, renditions);
      const result: PosterPartResult = { placeholder: poster.placeholder, renditions };
      if (!(await recordVideoPart(deps.db, assetId, run, 'poster', 0, result))) return 'skipped: a later run replaced this one';
      await advance(deps, assetId, run);
      return `poster and storyboard (${board.count} thumbnails)`;
    });
  } catch (err) {
    const stopped = stoppedForGood(err, { ms: deadlineMs, of: `the poster of a video of ${Math.round((probe.durationMs ?? 0) / 1000)} s` });
    return recordFailure(job, deps, assetId, stopped ?? err, isInputFault(err) || stopped !== undefined);
  }
}
