/**
 * video-original, a job of a video's flow for an event that does not keep locations: the stored
 * original replaced by its copy without location, serial numbers and owner names (cleanOriginal:
 * the packets copied, the result checked with exiftool), from this machine's copy of the source.
 * It comes right after the smallest rung's pieces (flowChildren), so it is not on the way to
 * playable; the video completes only once it is done. A file that cannot be cleaned fails the
 * asset: the original is deleted, the renditions with it, and a video already playable is public
 * no more.
 */
import type { Job } from 'bullmq';
import { recordVideoPart } from '../../src/db/video-flow.js';
import { transcodeDeadlineMs, type JobPayloads } from '../../src/queues/jobs.js';
import { cleanOriginal } from './clean-original.js';
import type { ProcessorDeps } from './registry.js';
import { inWorkDir, isInputFault, jobSignal, recordFailure, StepTimes } from './steps.js';
import { currentRun, keepSource, sourceFile, stoppedForGood } from './video-flow.js';

export async function videoOriginalJob(job: Job<JobPayloads['video-original']>, deps: ProcessorDeps): Promise<string> {
  const { assetId, run } = job.data;
  const current = await currentRun(deps, assetId, run);
  if (typeof current === 'string') return current;
  const { plan, asset } = current;
  const deadlineMs = transcodeDeadlineMs(plan.probe.durationMs, deps.settings.transcodeDeadline);
  const signal = jobSignal(deps, deadlineMs);
  try {
    return await inWorkDir('lamha-video-', async (work) => {
      const steps = new StepTimes();
      const source = await sourceFile(deps, assetId, signal);
      steps.lap('source');
      // an earlier attempt that stored the clean copy and stopped before its record is done already (cleanOriginal)
      const cleaned = (await cleanOriginal(deps, asset, source, work, { signal, probe: plan.probe, timeoutMs: deadlineMs, steps })).path;
      // this machine's copy too (the parts being made from the upload read on: renamed over, not removed)
      if (cleaned !== source) await keepSource(deps, assetId, cleaned);
      if (!(await recordVideoPart(deps.db, assetId, run, 'original', 0, {}))) return 'skipped: a later run replaced this one';
      return `the original cleaned (${steps})`;
    });
  } catch (err) {
    const stopped = stoppedForGood(err, { ms: deadlineMs, of: `the original of ${Math.round((plan.probe.durationMs ?? 0) / 1000)} s` });
    return recordFailure(job, deps, assetId, stopped ?? err, isInputFault(err) || stopped !== undefined);
  }
}
