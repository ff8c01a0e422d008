/**
 * transcode-video, the first job of a video: probe the upload, check its limits, plan the ladder
 * and the pieces, then add the flow of jobs that makes the rest — the poster, the audio, every
 * rung of every piece (any worker on any machine takes them, smallest rung first so the video is
 * playable early), the stored original's clean, the storyboard, then finalize-video. Whatever an
 * earlier run left goes first, so the flow ends with exactly one set.
 */
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import { findAssetToProcess } from '../../src/db/processing.js';
import { startVideoPlan } from '../../src/db/video-flow.js';
import { VideoTooLargeError, VideoTooLongError } from '../../src/errors.js';
import { probeVideo } from '../../src/media/ffmpeg.js';
import { downloadPlan, planLadder, planPieces, rungGroups } from '../../src/media/video-plan.js';
import type { JobPayloads } from '../../src/queues/jobs.js';
import type { VideoFlowChild } from '../../src/queues/producer.js';
import type { ProcessorDeps } from './registry.js';
import { clearRenditions, inWorkDir, isInputFault, progressReporter, recordFailure, spoolOriginal, jobSignal, StepTimes } from './steps.js';
import { keepSource, removeSource, removeStaleSources, stoppedForGood, type VideoPlan } from './video-flow.js';

export async function transcodeVideoJob(job: Job<JobPayloads['transcode-video']>, deps: ProcessorDeps): Promise<string> {
  const { assetId } = job.data;
  const asset = await findAssetToProcess(deps.db, assetId);
  if (!asset) return 'skipped: the asset no longer exists';
  if (asset.status === 'ready') return 'skipped: already done';
  if (asset.kind !== 'video') throw new UnrecoverableError(`asset ${assetId} is not a video`);

  const signal = jobSignal(deps, deps.settings.transcodeDeadline.maxMs);
  const progress = progressReporter(job, deps, assetId);
  const tools = { ffmpegPath: deps.settings.ffmpegPath, ffprobePath: deps.settings.ffprobePath, signal, log: deps.log };
  await removeStaleSources(deps).catch((err: unknown) => deps.log.warn({ err }, 'could not remove stale video sources'));
  try {
    return await inWorkDir('lamha-video-', async (work) => {
      // where the plan's time goes, in its report (its share of the time to first playable)
      const steps = new StepTimes();
      const uploaded = await spoolOriginal(deps, assetId, work, signal);
      steps.lap('fetch');
      const probe = await probeVideo(uploaded, { ...tools, timeoutMs: deps.settings.toolTimeoutMs });
      steps.lap('probe');
      const seconds = (probe.durationMs ?? 0) / 1000;
      // the upload refused what its headers showed; these are for what they did not
      if (seconds > deps.settings.videoMaxSeconds) throw new VideoTooLongError(Math.round(seconds), deps.settings.videoMaxSeconds);
      if (probe.width * probe.height > deps.settings.videoMaxPixels) throw new VideoTooLargeError(probe.width, probe.height, deps.settings.videoMaxPixels);

      // The stored original is cleaned by a job of the flow (video-original), once the smallest
      // rung's pieces are taken: done here, its rewrite and store back (17–21 s for a 10-minute
      // 1080p recording, bench/video-flow) came before any piece could start, on every worker.
      // The pieces read the upload meanwhile: the same packets as the cleaned copy, and what
      // they make carries no metadata either way (checked on every output).
      const plan: VideoPlan = {
        probe, rungs: planLadder(probe.width, probe.height), pieces: planPieces(probe.durationMs, deps.settings.videoPieceSeconds), download: downloadPlan(probe),
        cleanOriginal: !asset.keepLocation && asset.originalCleanedAt === null,
      };
      const run = randomUUID();
      // One set of renditions: whatever an earlier run left goes first, and its jobs find their run gone.
      await clearRenditions(deps, assetId);
      await startVideoPlan(deps.db, assetId, run, plan);
      // this machine's workers need not fetch it again
      await removeSource(deps, assetId);
      await keepSource(deps, assetId, uploaded);
      await deps.queues.addVideoFlow(assetId, run, flowChildren(assetId, run, plan), { backfill: (job.opts.priority ?? 0) >= 10 });
      await progress(5);
      steps.lap('flow');
      return `planned: ${plan.rungs.map((r) => r.name).join(', ')} in ${plan.pieces.length} piece${plan.pieces.length === 1 ? '' : 's'}${probe.hasAudio ? ', audio' : ''}${plan.cleanOriginal ? ', the original to clean' : ''}; run ${run} (${steps})`;
    });
  } catch (err) {
    const stopped = stoppedForGood(err, undefined);
    return recordFailure(job, deps, assetId, stopped ?? err, isInputFault(err) || stopped !== undefined);
  }
}

/** The ranks of a video's flow, lower first (see flowChildren). */
const RANK = { playable: 0, storyboard: 1, larger: 2 } as const;

/**
 * The flow's jobs, ranked: the poster, the audio and the smallest rung first (together they make
 * the video playable), then the storyboard, then the larger rungs (each piece in all of them at
 * once, rungGroups). Within a rank, in the order added: pieces in order.
 *
 * The original's clean (video-original) comes right after the smallest rung's pieces, in their
 * rank: not on the way to playable, and as soon after it as a worker is free — the stored
 * original keeps the upload's location until then. The video does not complete without it
 * (finalize-video runs once every job of the flow is done).
 *
 * The storyboard has a rank of its own: taken while another worker still makes the smallest
 * rung, it goes back to wait (video-poster.ts), and BullMQ takes jobs of equal priority in the
 * order they came back to the queue. Ranked with the larger rungs it came back behind all of
 * their pieces: with two 1-core workers on a 10-minute clip it was made at 542 s of 570, long
 * after the video was playable at 203 s (bench/video-flow, 7 December 2026).
 */
export function flowChildren(assetId: string, run: string, plan: VideoPlan): VideoFlowChild[] {
  const children: VideoFlowChild[] = [{ name: 'video-poster', data: { assetId, run }, rank: RANK.playable }];
  if (plan.probe.hasAudio) children.push({ name: 'video-audio', data: { assetId, run }, rank: RANK.playable });
  rungGroups(plan.rungs).forEach((group, i) => {
    const rungs = group.map((r) => r.name);
    for (const piece of plan.pieces) children.push({ name: 'video-piece', data: { assetId, run, rungs, piece: piece.index }, rank: i === 0 ? RANK.playable : RANK.larger });
    if (i > 0) return;
    if (plan.cleanOriginal) children.push({ name: 'video-original', data: { assetId, run }, rank: RANK.playable });
    children.push({ name: 'video-storyboard', data: { assetId, run }, rank: RANK.storyboard });
  });
  return children;
}

/** The parts (video_parts' part and piece) a child of the flow records when done. */
export function partsOf(child: VideoFlowChild): { part: string; piece: number }[] {
  switch (child.name) {
    case 'video-piece': {
      const { rungs, piece } = child.data as JobPayloads['video-piece'];
      return rungs.map((part) => ({ part, piece }));
    }
    case 'video-poster': return [{ part: 'poster', piece: 0 }];
    case 'video-storyboard': return [{ part: 'storyboard', piece: 0 }];
    case 'video-audio': return [{ part: 'audio', piece: 0 }];
    case 'video-original': return [{ part: 'original', piece: 0 }];
  }
}

