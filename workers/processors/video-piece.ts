/**
 * video-piece and video-audio: one rung of one piece of a recording, or the audio of all of it,
 * encoded into HLS fMP4 on whichever worker took the job, checked for metadata, and stored
 * under names of its own (`hls/<rung>/p<piece>-seg-<n>.m4s` beside the rung's one init
 * segment). A piece's fragments are moved to the piece's start, so that the rung's playlist
 * joins the pieces into one timeline (src/media/hls-pieces.ts). A failure retries this part only.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import { recordVideoPart } from '../../src/db/video-flow.js';
import { runFfmpeg } from '../../src/media/ffmpeg.js';
import { codecString, readPiecePlaylist, rungPlaylist, shiftFragments, trackTimescale } from '../../src/media/hls-pieces.js';
import { audioOutput, pieceInput, pieceOutput } from '../../src/media/video-plan.js';
import { transcodeDeadlineMs, type JobPayloads } from '../../src/queues/jobs.js';
import { HLS_PART_TYPES } from '../../src/storage/keys.js';
import type { ProcessorDeps } from './registry.js';
import { inWorkDir, isInputFault, recordFailure, storeRenditions, type RenditionSource } from './steps.js';
import { advance, assertNoMetadata, currentRun, sha256, sourceFile, stoppedForGood, type HlsPartResult } from './video-flow.js';

export async function videoPieceJob(job: Job<JobPayloads['video-piece']>, deps: ProcessorDeps): Promise<string> {
  return encodePart(job, deps, job.data.rung, job.data.piece);
}

export async function videoAudioJob(job: Job<JobPayloads['video-audio']>, deps: ProcessorDeps): Promise<string> {
  return encodePart(job, deps, 'audio', 0);
}

async function encodePart(job: Job<JobPayloads['video-piece'] | JobPayloads['video-audio']>, deps: ProcessorDeps, part: string, index: number): Promise<string> {
  const { assetId, run } = job.data;
  const current = await currentRun(deps, assetId, run);
  if (typeof current === 'string') return current;
  const { plan, asset } = current;
  const { probe } = plan;
  const audio = part === 'audio';
  const rung = plan.rungs.find((r) => r.name === part);
  const piece = plan.pieces[index];
  if (!audio && (!rung || !piece)) return `skipped: the plan has no ${part} piece ${index}`;
  const seconds = audio || piece!.seconds === null ? Math.max(0, (probe.durationMs ?? 0) / 1000 - (audio ? 0 : piece!.start)) : piece!.seconds;
  const deadlineMs = Math.min(transcodeDeadlineMs(Math.round(seconds * 1000), deps.settings.transcodeDeadline), deps.settings.transcodeDeadline.maxMs);
  const signal = AbortSignal.timeout(deadlineMs);
  const tools = { ffmpegPath: deps.settings.ffmpegPath, ffprobePath: deps.settings.ffprobePath, signal, log: deps.log };
  try {
    return await inWorkDir('lamha-video-', async (work) => {
      const original = await sourceFile(deps, assetId, signal);
      const dir = path.join(work, 'out');
      await mkdir(dir);
      const input = { path: original, format: probe.container, options: audio ? [] : pieceInput(piece!) };
      await runFfmpeg({ inputs: [input], output: audio ? audioOutput(dir) : pieceOutput(probe, rung!, piece!, dir) }, {
        ...tools, timeoutMs: deadlineMs, durationMs: Math.round(seconds * 1000) || undefined,
        onProgress: (p) => void job.updateProgress(Math.round(p)).catch(() => {}),
      });
      const playlist = await readPiecePlaylist(path.join(dir, 'index.m3u8'));
      const initFile = path.join(dir, playlist.init);
      await assertNoMetadata([initFile], { ...tools, timeoutMs: deps.settings.toolTimeoutMs });
      const init = await readFile(initFile);
      const start = audio ? 0 : piece!.start;
      // the piece's timeline, from zero as ffmpeg wrote it, moved to where the piece starts
      const ticks = BigInt(Math.round(start * trackTimescale(init)));
      const prefix = audio ? '' : `p${String(index).padStart(3, '0')}-`;
      const items: RenditionSource[] = [{ name: `hls/${part}/init.mp4`, type: HLS_PART_TYPES['.mp4']!, width: null, height: null, data: init }];
      const segments: HlsPartResult['segments'] = [];
      for (const s of playlist.segments) {
        const file = path.join(dir, s.file);
        await shiftFragments(file, ticks);
        const name = `${prefix}${s.file}`;
        items.push({ name: `hls/${part}/${name}`, type: HLS_PART_TYPES['.m4s']!, width: null, height: null, data: { file } });
        segments.push({ name, seconds: s.seconds, bytes: 0 });
      }
      if (audio) items.push({ name: 'hls/audio/index.m3u8', type: 'application/vnd.apple.mpegurl', width: null, height: null, data: Buffer.from(rungPlaylist('init.mp4', segments)) });
      const stored = await storeRenditions(deps, assetId, items);
      for (const s of segments) s.bytes = stored.find((r) => r.name === `hls/${part}/${s.name}`)?.bytes ?? 0;
      const result: HlsPartResult = { initSha256: sha256(init), codecs: codecString(init), segments };
      if (!(await recordVideoPart(deps.db, assetId, run, part, index, result))) return 'skipped: a later run replaced this one';
      await advance(deps, assetId, run);
      return audio ? `audio: ${segments.length} segments` : `${part} piece ${index} (${start}–${start + seconds} s): ${segments.length} segments`;
    });
  } catch (err) {
    const stopped = stoppedForGood(err, { ms: deadlineMs, of: audio ? `the audio of ${Math.round(seconds)} s` : `${part} piece ${index} of ${Math.round(seconds)} s` });
    return recordFailure(job, deps, assetId, stopped ?? err, isInputFault(err) || stopped !== undefined);
  }
}
