/**
 * transcode-video, the first job of a video: probe the upload, check its limits, clean the
 * original (making the audio meanwhile), plan the ladder and the pieces, then add the flow of
 * jobs that makes the rest — the poster, every rung of every piece (any worker on any machine
 * takes them, smallest rung first so the video is playable early), the storyboard, then
 * finalize-video. Whatever an earlier run left goes first, so the flow ends with exactly one set.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import { findAssetToProcess } from '../../src/db/processing.js';
import { recordVideoPart, startVideoPlan } from '../../src/db/video-flow.js';
import { VideoTooLargeError, VideoTooLongError } from '../../src/errors.js';
import { probeVideo, type VideoProbe } from '../../src/media/ffmpeg.js';
import { downloadPlan, planLadder, planPieces, rungGroups } from '../../src/media/video-plan.js';
import { transcodeDeadlineMs, type JobPayloads } from '../../src/queues/jobs.js';
import type { VideoFlowChild } from '../../src/queues/producer.js';
import type { ProcessorDeps } from './registry.js';
import { cleanOriginal } from './clean-original.js';
import { clearRenditions, inWorkDir, isInputFault, progressReporter, recordFailure, spoolOriginal, jobSignal, StepTimes } from './steps.js';
import { keepSource, removeSource, removeStaleSources, stoppedForGood, type VideoPlan } from './video-flow.js';
import { encodeAudio, storePart } from './video-piece.js';

export async function transcodeVideoJob(job: Job<JobPayloads['transcode-video']>, deps: ProcessorDeps): Promise<string> {
  const { assetId } = job.data;
  const asset = await findAssetToProcess(deps.db, assetId);
  if (!asset) return 'skipped: the asset no longer exists';
  if (asset.status === 'ready') return 'skipped: already done';
  if (asset.kind !== 'video') throw new UnrecoverableError(`asset ${assetId} is not a video`);

  const signal = jobSignal(deps, deps.settings.transcodeDeadline.maxMs);
  const progress = progressReporter(job, deps, assetId);
  const tools = { ffmpegPath: deps.settings.ffmpegPath, ffprobePath: deps.settings.ffprobePath, signal, log: deps.log };
  let deadline: { ms: number; of: string } | undefined;
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
      const deadlineMs = transcodeDeadlineMs(probe.durationMs, deps.settings.transcodeDeadline);
      deadline = { ms: deadlineMs, of: `a video of ${Math.round((probe.durationMs ?? 0) / 1000)} s` };
      // The audio is encoded meanwhile, on a core the rewrite and the store-back leave mostly
      // idle (they wait on the disk and S3): as a job of its own after the plan it stood on the
      // way to first playable (bench/video-flow). From the upload: the same packets; its output
      // is checked like any part's.
      const audio = probe.hasAudio ? audioMeanwhile(deps, assetId, uploaded, probe, work, { ...tools, timeoutMs: deadlineMs }) : undefined;
      try {
        // the same streams, packet for packet: the probe holds for it
        const original = (await cleanOriginal(deps, asset, uploaded, work, { signal, probe, timeoutMs: Math.min(deadlineMs, deps.settings.transcodeDeadline.maxMs), steps })).path;
        const audioDir = await audio?.done;
        steps.lap('audio after the clean');

        const plan: VideoPlan = { probe, rungs: planLadder(probe.width, probe.height), pieces: planPieces(probe.durationMs, deps.settings.videoPieceSeconds), download: downloadPlan(probe) };
        const run = randomUUID();
        // One set of renditions: whatever an earlier run left goes first, and its jobs find their run gone.
        await clearRenditions(deps, assetId);
        await startVideoPlan(deps.db, assetId, run, plan);
        const audioKept = audioDir !== undefined && await keepAudio(deps, assetId, run, audioDir, { ...tools, timeoutMs: deps.settings.toolTimeoutMs });
        // this machine's workers need not fetch it again
        await removeSource(deps, assetId);
        await keepSource(deps, assetId, original);
        const children = flowChildren(assetId, run, plan).filter((c) => !(audioKept && c.name === 'video-audio'));
        await deps.queues.addVideoFlow(assetId, run, children, { backfill: (job.opts.priority ?? 0) >= 10 });
        await progress(5);
        steps.lap('flow');
        return `planned: ${plan.rungs.map((r) => r.name).join(', ')} in ${plan.pieces.length} piece${plan.pieces.length === 1 ? '' : 's'}${probe.hasAudio ? `, audio${audioKept ? ' (made)' : ''}` : ''}; run ${run} (${steps})`;
      } finally {
        // nothing of it may write into the work dir once it is removed
        await audio?.stop();
      }
    });
  } catch (err) {
    const stopped = stoppedForGood(err, deadline);
    return recordFailure(job, deps, assetId, stopped ?? err, isInputFault(err) || stopped !== undefined);
  }
}

/** ffmpeg's paths and controls, as the job's `tools` with a timeout */
type Tools = Parameters<typeof storePart>[6] & { signal: AbortSignal };

/**
 * The audio of the upload, encoded into `<work>/audio` while the caller goes on. `done` answers
 * the directory, or undefined when the encode failed (the flow's video-audio job makes it then:
 * a failed encode here costs the plan nothing); `stop` ends it and waits until it has.
 */
function audioMeanwhile(deps: ProcessorDeps, assetId: string, file: string, probe: VideoProbe, work: string, tools: Tools) {
  const stopped = new AbortController();
  const dir = path.join(work, 'audio');
  const done = mkdir(dir)
    .then(() => encodeAudio(file, probe, dir, { ...tools, signal: AbortSignal.any([tools.signal, stopped.signal]) }))
    .then(() => dir, (err: unknown) => {
      if (!stopped.signal.aborted) deps.log.warn({ err, assetId }, 'the audio could not be made with the plan; its own job will make it');
      return undefined;
    });
  return {
    done,
    async stop(): Promise<void> {
      stopped.abort();
      await done;
    },
  };
}

/** Stores and records the audio made with the plan; false when it could not (its job makes it). */
async function keepAudio(deps: ProcessorDeps, assetId: string, run: string, dir: string, tools: Tools): Promise<boolean> {
  try {
    const result = await storePart(deps, assetId, 'audio', dir, '', 0, tools);
    return await recordVideoPart(deps.db, assetId, run, 'audio', 0, result);
  } catch (err) {
    if (tools.signal.aborted) throw err;
    deps.log.warn({ err, assetId }, 'the audio made with the plan could not be stored; its own job will make it');
    return false;
  }
}

/** The ranks of a video's flow, lower first (see flowChildren). */
const RANK = { playable: 0, storyboard: 1, larger: 2 } as const;

/**
 * The flow's jobs, ranked: the poster, the audio and the smallest rung first (together they make
 * the video playable), then the storyboard, then the larger rungs (each piece in all of them at
 * once, rungGroups). Within a rank, in the order added: pieces in order.
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
    if (i === 0) children.push({ name: 'video-storyboard', data: { assetId, run }, rank: RANK.storyboard });
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
  }
}

