/**
 * video-poster and video-storyboard: the pictures of a video, from the cleaned original on this
 * machine. The poster (with the photo renditions and the placeholder) is needed before the video
 * can play; the storyboard (thumbnails for scrubbing, a sprite and its WebVTT) comes after the
 * first rung, so that the video is watchable without waiting for it.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import sharp from 'sharp';
import { recordVideoPart } from '../../src/db/video-flow.js';
import { runFfmpeg } from '../../src/media/ffmpeg.js';
import { deriveImage } from '../../src/media/images.js';
import { posterInput, posterOutput, storyboardInput, storyboardOutput, storyboardPlan, storyboardVtt } from '../../src/media/video-plan.js';
import { transcodeDeadlineMs, type JobPayloads } from '../../src/queues/jobs.js';
import type { ProcessorDeps } from './registry.js';
import { inWorkDir, isInputFault, recordFailure, storeRenditions, jobSignal } from './steps.js';
import { advance, currentRun, sourceFile, stoppedForGood, type PosterPartResult, type VideoPlan } from './video-flow.js';

type Picture = 'poster' | 'storyboard';

export async function videoPosterJob(job: Job<JobPayloads['video-poster']>, deps: ProcessorDeps): Promise<string> {
  return picture(job, deps, 'poster');
}

export async function videoStoryboardJob(job: Job<JobPayloads['video-storyboard']>, deps: ProcessorDeps): Promise<string> {
  return picture(job, deps, 'storyboard');
}

async function picture(job: Job<JobPayloads['video-poster' | 'video-storyboard']>, deps: ProcessorDeps, part: Picture): Promise<string> {
  const { assetId, run } = job.data;
  const current = await currentRun(deps, assetId, run);
  if (typeof current === 'string') return current;
  const { plan } = current;
  const { probe } = plan;
  const deadlineMs = Math.min(transcodeDeadlineMs(probe.durationMs, deps.settings.transcodeDeadline), deps.settings.transcodeDeadline.maxMs);
  const signal = jobSignal(deps, deadlineMs);
  const tools = { ffmpegPath: deps.settings.ffmpegPath, ffprobePath: deps.settings.ffprobePath, signal, log: deps.log, timeoutMs: Math.min(deps.settings.toolTimeoutMs, deadlineMs) };
  try {
    return await inWorkDir('lamha-video-', async (work) => {
      const original = await sourceFile(deps, assetId, signal);
      const made = part === 'poster' ? await poster(deps, plan, original, work, tools) : await storyboard(deps, plan, original, work, tools);
      const renditions = await storeRenditions(deps, assetId, made.renditions);
      const result: PosterPartResult = { placeholder: made.placeholder, renditions };
      if (!(await recordVideoPart(deps.db, assetId, run, part, 0, result))) return 'skipped: a later run replaced this one';
      await advance(deps, assetId, run, { pictures: true });
      return made.summary;
    });
  } catch (err) {
    const stopped = stoppedForGood(err, { ms: deadlineMs, of: `the ${part} of a video of ${Math.round((probe.durationMs ?? 0) / 1000)} s` });
    return recordFailure(job, deps, assetId, stopped ?? err, isInputFault(err) || stopped !== undefined);
  }
}

type Tools = Parameters<typeof runFfmpeg>[1];
type Made = { renditions: Parameters<typeof storeRenditions>[2]; placeholder: string | null; summary: string };

async function poster(deps: ProcessorDeps, plan: VideoPlan, original: string, work: string, tools: Tools): Promise<Made> {
  const { probe } = plan;
  const png = path.join(work, 'poster.png');
  await runFfmpeg({ inputs: [{ path: original, format: probe.container, options: posterInput(probe) }], output: posterOutput(probe, png) }, tools);
  const made = await deriveImage(png, { pixelLimit: deps.settings.imagePixelLimit });
  return { renditions: made.renditions, placeholder: made.placeholder, summary: 'poster' };
}

async function storyboard(_deps: ProcessorDeps, plan: VideoPlan, original: string, work: string, tools: Tools): Promise<Made> {
  const { probe } = plan;
  let board = storyboardPlan(probe);
  const png = path.join(work, 'storyboard.png');
  await runFfmpeg({ inputs: [{ path: original, format: probe.container, options: storyboardInput() }], output: storyboardOutput(probe, board, png) }, tools);
  if (!(await exists(png))) {
    // a clip shorter than one storyboard interval: its first picture is its one thumbnail
    board = { ...board, count: 1, columns: 1, rows: 1 };
    await runFfmpeg({ inputs: [{ path: original, format: probe.container }], output: storyboardOutput(probe, board, png) }, tools);
  }
  const sprite = await sharp(png).jpeg({ quality: 70, progressive: true }).toBuffer({ resolveWithObject: true });
  return {
    renditions: [
      { name: 'storyboard.jpg', type: 'image/jpeg', width: sprite.info.width, height: sprite.info.height, data: sprite.data },
      { name: 'storyboard.vtt', type: 'text/vtt; charset=utf-8', width: null, height: null, data: Buffer.from(storyboardVtt(board, 'storyboard.jpg', probe.durationMs)) },
    ],
    placeholder: null,
    summary: `storyboard (${board.count} thumbnails)`,
  };
}

function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}
