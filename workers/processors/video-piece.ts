/**
 * video-piece and video-audio: one piece of a recording in one or more rungs (decoded once), or
 * the audio of all of it, encoded into HLS fMP4 on whichever worker took the job, checked for
 * metadata, and stored under names of its own (`hls/<rung>/p<piece>-seg-<n>.m4s` beside the
 * rung's one init segment). A piece's fragments are moved to the piece's start, so that the
 * rung's playlist joins the pieces into one timeline (src/media/hls-pieces.ts). A failure
 * retries this job only.
 */
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Job } from 'bullmq';
import { inTransaction } from '../../src/db/database.js';
import { recordVideoPart } from '../../src/db/video-flow.js';
import { runFfmpeg, type VideoProbe } from '../../src/media/ffmpeg.js';
import { codecString, joinSpans, readPiecePlaylist, rungPlaylist, shiftFragments, trackTimescale } from '../../src/media/hls-pieces.js';
import { audioOutput, pieceInput, pieceOutput, pieceSeconds, pieceSpans, spanInput, type Piece, type Rung } from '../../src/media/video-plan.js';
import { transcodeDeadlineMs, type JobPayloads } from '../../src/queues/jobs.js';
import { HLS_PART_TYPES } from '../../src/storage/keys.js';
import type { ProcessorDeps } from './registry.js';
import { inWorkDir, isInputFault, recordFailure, storeRenditions, type RenditionSource, jobSignal, StepTimes } from './steps.js';
import { advance, assertNoMetadata, currentRun, sha256, sourceFile, stoppedForGood, type HlsPartResult } from './video-flow.js';

export async function videoPieceJob(job: Job<JobPayloads['video-piece']>, deps: ProcessorDeps): Promise<string> {
  return encodeParts(job, deps, job.data.rungs, job.data.piece);
}

export async function videoAudioJob(job: Job<JobPayloads['video-audio']>, deps: ProcessorDeps): Promise<string> {
  return encodeParts(job, deps, ['audio'], 0);
}

/** `parts`: the rungs of piece `index`, or ['audio'] for the whole recording's audio. */
async function encodeParts(job: Job<JobPayloads['video-piece'] | JobPayloads['video-audio']>, deps: ProcessorDeps, parts: string[], index: number): Promise<string> {
  const { assetId, run } = job.data;
  const current = await currentRun(deps, assetId, run);
  if (typeof current === 'string') return current;
  const { plan } = current;
  const { probe } = plan;
  const audio = parts[0] === 'audio';
  const rungs = plan.rungs.filter((r) => parts.includes(r.name));
  const piece = plan.pieces[index];
  if (!audio && (rungs.length !== parts.length || !piece)) return `skipped: the plan has no ${parts.join(', ')} piece ${index}`;
  const seconds = audio ? Math.max(0, (probe.durationMs ?? 0) / 1000) : pieceSeconds(piece!, probe.durationMs);
  const what = audio ? `the audio of ${Math.round(seconds)} s` : `${parts.join(' and ')} piece ${index} of ${Math.round(seconds)} s`;
  const deadlineMs = transcodeDeadlineMs(Math.round(seconds * 1000), deps.settings.transcodeDeadline);
  const signal = jobSignal(deps, deadlineMs);
  const tools = { ffmpegPath: deps.settings.ffmpegPath, ffprobePath: deps.settings.ffprobePath, signal, log: deps.log };
  try {
    return await inWorkDir('lamha-video-', async (work) => {
      const steps = new StepTimes();
      const original = await sourceFile(deps, assetId, signal);
      steps.lap('source');
      const dirs = parts.map((part) => path.join(work, part));
      for (const dir of dirs) await mkdir(dir);
      const onProgress = (p: number) => void job.updateProgress(Math.round(p)).catch(() => {});
      // the smallest rung alone: its piece in spans side by side, one ffmpeg thread each (pieceSpans)
      const ways = rungs.length === 1 && rungs[0]!.name === plan.rungs[0]!.name ? firstRungProcesses(deps) : 1;
      const spans = audio ? [] : pieceSpans(piece!, seconds, ways);
      if (audio) await audioRendition(original, probe, dirs[0]!, { ...tools, timeoutMs: deadlineMs, onProgress });
      else if (spans.length > 1) await encodeSpans(original, probe, rungs[0]!, piece!, spans, seconds, path.join(work, 'spans'), dirs[0]!, { ...tools, timeoutMs: deadlineMs, onProgress });
      else {
        const input = { path: original, format: probe.container, options: pieceInput(piece!) };
        await runFfmpeg({ inputs: [input], output: pieceOutput(probe, rungs, piece!, dirs) }, {
          ...tools, timeoutMs: deadlineMs, durationMs: Math.round(seconds * 1000) || undefined, onProgress,
        });
      }
      steps.lap('encode');
      const start = audio ? 0 : piece!.start;
      // joined spans are in the recording's timeline already (joinSpans moved each span's fragments once)
      const shift = spans.length > 1 ? 0 : start;
      const results = new Map<string, HlsPartResult>();
      for (const [i, part] of parts.entries()) results.set(part, await storePart(deps, assetId, part, dirs[i]!, audio ? '' : `p${String(index).padStart(3, '0')}-`, shift, { ...tools, timeoutMs: deps.settings.toolTimeoutMs }));
      const recorded = await inTransaction(deps.db, async (q) => {
        for (const [part, result] of results) if (!(await recordVideoPart(q, assetId, run, part, index, result))) return false;
        return true;
      });
      if (!recorded) return 'skipped: a later run replaced this one';
      steps.lap('store');
      await advance(deps, assetId, run);
      steps.lap('advance');
      const segments = [...results.values()][0]!.segments.length;
      const side = spans.length > 1 ? `, ${spans.length} ffmpeg side by side` : '';
      return audio ? `audio: ${segments} segments (${steps})` : `${parts.join(', ')} piece ${index} (${start}–${start + seconds} s): ${segments} segments each${side} (${steps})`;
    });
  } catch (err) {
    const stopped = stoppedForGood(err, { ms: deadlineMs, of: what });
    return recordFailure(job, deps, assetId, stopped ?? err, isInputFault(err) || stopped !== undefined);
  }
}

function firstRungProcesses(deps: ProcessorDeps): number {
  return deps.settings.videoFirstRungProcesses > 0 ? deps.settings.videoFirstRungProcesses : os.availableParallelism();
}

/**
 * One rung of `piece` (`seconds` long) as `spans` encoded side by side, each by its own ffmpeg
 * with one thread into its own directory under `work`, then joined into `out` as one piece whose
 * fragments are at their place in the recording (not from zero, as one ffmpeg writes a piece).
 * A span that fails stops the others; the job then fails as a whole and is retried whole.
 */
async function encodeSpans(file: string, probe: VideoProbe, rung: Rung, piece: Piece, spans: Piece[], seconds: number, work: string, out: string, ctl: Parameters<typeof runFfmpeg>[1] & { onProgress(p: number): void }): Promise<void> {
  const stop = new AbortController();
  const signal = ctl.signal ? AbortSignal.any([ctl.signal, stop.signal]) : stop.signal;
  const dirs = spans.map((s) => path.join(work, String(s.index)));
  const done = spans.map(() => 0);
  const runs = spans.map(async (span, i) => {
    await mkdir(dirs[i]!, { recursive: true });
    const length = span.seconds ?? seconds - (span.start - piece.start);
    try {
      await runFfmpeg({ inputs: [{ path: file, format: probe.container, options: spanInput(span) }], output: pieceOutput(probe, [rung], span, [dirs[i]!], { oneThread: true }) }, {
        ...ctl, signal, durationMs: Math.round(length * 1000) || undefined,
        onProgress: (p) => { done[i] = (p * length) / seconds; ctl.onProgress(done.reduce((a, b) => a + b, 0)); },
      });
    } catch (err) {
      stop.abort();
      throw err;
    }
  });
  const results = await Promise.allSettled(runs);
  // the first failure, not an abort it caused in another span
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failed.length > 0) throw failed.find((e) => (e as { kind?: string }).kind !== 'abort') ?? failed[0];
  await joinSpans(dirs, spans.map((s) => s.start), out);
}

/** The audio of the whole recording into `dir` (an empty directory), as HLS fMP4: copied when it can be (copiesAudio). */
async function audioRendition(file: string, probe: VideoProbe, dir: string, ctl: Parameters<typeof runFfmpeg>[1]): Promise<void> {
  await runFfmpeg({ inputs: [{ path: file, format: probe.container }], output: audioOutput(probe, dir) }, { ...ctl, durationMs: probe.durationMs || undefined });
}

/**
 * One rung's (or the audio's) output of a job, from `dir`: checked for metadata, its
 * fragments moved to `start` seconds, stored beside the rung's one init segment.
 */
async function storePart(deps: ProcessorDeps, assetId: string, part: string, dir: string, prefix: string, start: number, tools: Parameters<typeof assertNoMetadata>[1]): Promise<HlsPartResult> {
  const playlist = await readPiecePlaylist(path.join(dir, 'index.m3u8'));
  const initFile = path.join(dir, playlist.init);
  await assertNoMetadata([initFile], tools);
  const init = await readFile(initFile);
  // the piece's timeline, from zero as ffmpeg wrote it, moved to where the piece starts
  const ticks = BigInt(Math.round(start * trackTimescale(init)));
  const items: RenditionSource[] = [{ name: `hls/${part}/init.mp4`, type: HLS_PART_TYPES['.mp4']!, width: null, height: null, data: init }];
  const segments: HlsPartResult['segments'] = [];
  for (const s of playlist.segments) {
    const file = path.join(dir, s.file);
    await shiftFragments(file, ticks);
    const name = `${prefix}${s.file}`;
    items.push({ name: `hls/${part}/${name}`, type: HLS_PART_TYPES['.m4s']!, width: null, height: null, data: { file } });
    segments.push({ name, seconds: s.seconds, bytes: 0 });
  }
  if (part === 'audio') items.push({ name: 'hls/audio/index.m3u8', type: 'application/vnd.apple.mpegurl', width: null, height: null, data: Buffer.from(rungPlaylist('init.mp4', segments)) });
  const stored = await storeRenditions(deps, assetId, items);
  for (const s of segments) s.bytes = stored.find((r) => r.name === `hls/${part}/${s.name}`)?.bytes ?? 0;
  return { initSha256: sha256(init), codecs: codecString(init), segments };
}
