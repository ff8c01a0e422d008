/**
 * video-poster and video-storyboard: the pictures of a video. The poster (with the photo
 * renditions and the placeholder), from the original on this machine, is needed before
 * the video can play. The storyboard (thumbnails for scrubbing, a sprite and its WebVTT) is made
 * from the smallest rung once that is complete (a few of its segments, not the recording): a
 * storyboard job that comes earlier (another worker still makes the rung) goes back to wait
 * without holding its worker.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { DelayedError, type Job } from 'bullmq';
import sharp from 'sharp';
import { listVideoParts, recordVideoPart } from '../../src/db/video-flow.js';
import { runFfmpeg } from '../../src/media/ffmpeg.js';
import { deriveImage } from '../../src/media/images.js';
import { posterInput, posterOutput, storyboardFromKeyframes, storyboardInput, storyboardOutput, storyboardPlan, storyboardSegments, storyboardVtt } from '../../src/media/video-plan.js';
import { transcodeDeadlineMs, type JobPayloads } from '../../src/queues/jobs.js';
import type { ProcessorDeps } from './registry.js';
import { inWorkDir, isInputFault, recordFailure, storeRenditions, jobSignal } from './steps.js';
import { advance, currentRun, joinStoredPart, sourceFile, stoppedForGood, type HlsPartResult, type PosterPartResult, type VideoPlan } from './video-flow.js';

type Picture = 'poster' | 'storyboard';

/** How long a storyboard job that came before the smallest rung was complete waits to be taken again. */
const RUNG_WAIT_MS = 5_000;

/** The smallest rung as stored: its name and its segments in order, from the recording's start. */
interface StoredRung {
  name: string;
  segments: HlsPartResult['segments'];
}

export async function videoPosterJob(job: Job<JobPayloads['video-poster']>, deps: ProcessorDeps): Promise<string> {
  return picture(job, deps, 'poster');
}

export async function videoStoryboardJob(job: Job<JobPayloads['video-storyboard']>, deps: ProcessorDeps, token?: string): Promise<string> {
  return picture(job, deps, 'storyboard', token);
}

async function picture(job: Job<JobPayloads['video-poster' | 'video-storyboard']>, deps: ProcessorDeps, part: Picture, token?: string): Promise<string> {
  const { assetId, run } = job.data;
  const current = await currentRun(deps, assetId, run);
  if (typeof current === 'string') return current;
  const { plan } = current;
  const { probe } = plan;
  let rung: StoredRung | undefined;
  if (part === 'storyboard') {
    rung = await firstRung(deps, assetId, plan);
    if (rung === undefined) {
      // BullMQ's way to put an active job back for later without a failed attempt
      await job.moveToDelayed(Date.now() + RUNG_WAIT_MS, token);
      throw new DelayedError();
    }
  }
  const deadlineMs = transcodeDeadlineMs(probe.durationMs, deps.settings.transcodeDeadline);
  const signal = jobSignal(deps, deadlineMs);
  const tools = { ffmpegPath: deps.settings.ffmpegPath, ffprobePath: deps.settings.ffprobePath, signal, log: deps.log, timeoutMs: Math.min(deps.settings.toolTimeoutMs, deadlineMs) };
  try {
    return await inWorkDir('lamha-video-', async (work) => {
      const made = rung ? await storyboard(deps, assetId, plan, rung, work, tools) : await poster(deps, plan, await sourceFile(deps, assetId, signal), work, tools);
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

/** The smallest rung's segments once every piece of it is stored; undefined before. */
async function firstRung(deps: ProcessorDeps, assetId: string, plan: VideoPlan): Promise<StoredRung | undefined> {
  const name = plan.rungs[0]!.name;
  // in piece order, as listVideoParts returns them (the rung's playlist joins them so too)
  const pieces = (await listVideoParts<HlsPartResult>(deps.db, assetId)).filter((p) => p.part === name);
  if (pieces.length < plan.pieces.length) return undefined;
  return { name, segments: pieces.flatMap((p) => p.result.segments) };
}

async function storyboard(deps: ProcessorDeps, assetId: string, plan: VideoPlan, rung: StoredRung, work: string, tools: Tools): Promise<Made> {
  const { probe } = plan;
  let board = storyboardPlan(probe);
  const picked = storyboardSegments(board, rung.segments);
  const file = path.join(work, 'rung.mp4');
  await joinStoredPart(deps, assetId, rung.name, picked.map((i) => rung.segments[i]!.name), file);
  const png = path.join(work, 'storyboard.png');
  await runFfmpeg({ inputs: [{ path: file, format: 'mov', options: storyboardInput(board) }], output: storyboardOutput(board, png) }, tools);
  if (!(await exists(png))) {
    // a clip shorter than one storyboard interval: its first picture is its one thumbnail
    board = { ...board, count: 1, columns: 1, rows: 1 };
    await runFfmpeg({ inputs: [{ path: file, format: 'mov' }], output: storyboardOutput(board, png) }, tools);
  }
  const sprite = await sharp(png).jpeg({ quality: 70, progressive: true }).toBuffer({ resolveWithObject: true });
  return {
    renditions: [
      { name: 'storyboard.jpg', type: 'image/jpeg', width: sprite.info.width, height: sprite.info.height, data: sprite.data },
      { name: 'storyboard.vtt', type: 'text/vtt; charset=utf-8', width: null, height: null, data: Buffer.from(storyboardVtt(board, 'storyboard.jpg', probe.durationMs)) },
    ],
    placeholder: null,
    summary: `storyboard (${board.count} thumbnails from ${picked.length} of the ${rung.segments.length} segments of the ${rung.name} rung${storyboardFromKeyframes(board) ? ', their keyframes' : ''})`,
  };
}

function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}
