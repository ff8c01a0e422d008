/**
 * transcode-video: a phone clip or a two-hour panel recording into an HLS ladder (H.264/AAC,
 * fMP4 segments), a download MP4 (moov first), a poster with the photo renditions and a
 * placeholder, and a storyboard for scrubbing. The original is spooled to disk once; every
 * output is made in a work dir removed at the end, checked for metadata, then stored under
 * deterministic keys after the asset's earlier renditions are cleared, so a worker killed
 * mid-way leaves, after the retry, exactly one set.
 */
import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import sharp from 'sharp';
import { findAssetToProcess } from '../../src/db/processing.js';
import { VideoTooLargeError, VideoTooLongError } from '../../src/errors.js';
import { probeTags, probeVideo, runFfmpeg, ToolError, type VideoProbe } from '../../src/media/ffmpeg.js';
import { joinVariant } from '../../src/media/hls-join.js';
import { deriveImage } from '../../src/media/images.js';
import {
  downloadPlan, hlsOutput, mp4Output, planLadder, posterInput, posterOutput, storyboardOutput, storyboardPlan, storyboardVtt,
} from '../../src/media/video-plan.js';
import { JOB_POLICY, transcodeDeadlineMs, type JobPayloads } from '../../src/queues/jobs.js';
import { HLS_PART_TYPES } from '../../src/storage/keys.js';
import type { ProcessorDeps } from './registry.js';
import { cleanOriginal } from './clean-original.js';
import { clearRenditions, complete, inWorkDir, isInputFault, progressReporter, recordFailure, spoolOriginal, storeRenditions, type RenditionSource } from './steps.js';

/** ffmpeg names a rung's initialisation segment init.mp4, or init_<n>.mp4 when there are several rungs. */
const INIT_SEGMENT = /\/init(_\d+)?\.mp4$/;
/** Tags an output may carry: container bookkeeping, nothing about the source or the device. */
const ALLOWED_TAGS = /^(major_brand|minor_version|compatible_brands|handler_name|vendor_id|language|encoder)$/i;

export async function transcodeVideoJob(job: Job<JobPayloads['transcode-video']>, deps: ProcessorDeps): Promise<string> {
  const { assetId } = job.data;
  const asset = await findAssetToProcess(deps.db, assetId);
  if (!asset) return 'skipped: the asset no longer exists';
  if (asset.status === 'ready') return 'skipped: already done';
  if (asset.kind !== 'video') throw new UnrecoverableError(`asset ${assetId} is not a video`);

  // the longest any video may take; each one's own deadline is set once its duration is known
  const signal = AbortSignal.timeout(deps.settings.transcodeDeadline.maxMs);
  const progress = progressReporter(job, deps, assetId);
  const tools = { ffmpegPath: deps.settings.ffmpegPath, ffprobePath: deps.settings.ffprobePath, signal, log: deps.log };
  let deadline: { ms: number; until: number; videoMs: number | null } | undefined;
  const left = (): number => Math.max(1, (deadline?.until ?? Infinity) - Date.now());
  try {
    return await inWorkDir('lamha-video-', async (work) => {
      const uploaded = await spoolOriginal(deps, assetId, work, signal);
      const probe = await probeVideo(uploaded, { ...tools, timeoutMs: deps.settings.toolTimeoutMs });
      const seconds = (probe.durationMs ?? 0) / 1000;
      // the upload refused what its headers showed; these are for what they did not
      if (seconds > deps.settings.videoMaxSeconds) throw new VideoTooLongError(Math.round(seconds), deps.settings.videoMaxSeconds);
      if (probe.width * probe.height > deps.settings.videoMaxPixels) throw new VideoTooLargeError(probe.width, probe.height, deps.settings.videoMaxPixels);
      const ms = transcodeDeadlineMs(probe.durationMs, deps.settings.transcodeDeadline);
      deadline = { ms, until: Date.now() + ms, videoMs: probe.durationMs };
      // the same streams, packet for packet: the probe holds for it
      const original = await cleanOriginal(deps, asset, uploaded, work, { signal, probe, timeoutMs: left() });
      await progress(5);

      // HLS ladder: 5 → 85 %
      const rungs = planLadder(probe.width, probe.height);
      const hlsDir = path.join(work, 'hls');
      await runFfmpeg({ inputs: [{ path: original, format: probe.container }], output: hlsOutput(probe, rungs, hlsDir) }, {
        ...tools, timeoutMs: left(), durationMs: probe.durationMs ?? undefined,
        onProgress: (p) => void progress(5 + p * 0.8).catch(() => {}),
      });

      // Download MP4, copied from the source or from the 720p rung (never encoded twice)
      const mp4 = path.join(work, 'download.mp4');
      const plan = downloadPlan(probe);
      let mp4Source = { path: original, format: probe.container };
      if (plan.rung !== null) {
        mp4Source = { path: path.join(work, 'download-rung.mp4'), format: 'mov' };
        await joinVariant(path.join(hlsDir, plan.rung, 'index.m3u8'), mp4Source.path);
      }
      await runFfmpeg({ inputs: [mp4Source], output: mp4Output(probe, mp4) }, { ...tools, timeoutMs: left() });
      await progress(87);

      // Poster and storyboard: 87 → 90 %
      const posterPng = path.join(work, 'poster.png');
      await runFfmpeg({ inputs: [{ path: original, format: probe.container, options: posterInput(probe) }], output: posterOutput(probe, posterPng) }, { ...tools, timeoutMs: Math.min(deps.settings.toolTimeoutMs, left()) });
      const poster = await deriveImage(posterPng, { pixelLimit: deps.settings.imagePixelLimit });
      let board = storyboardPlan(probe);
      const spritePng = path.join(work, 'storyboard.png');
      await runFfmpeg({ inputs: [{ path: original, format: probe.container }], output: storyboardOutput(probe, board, spritePng) }, { ...tools, timeoutMs: Math.min(deps.settings.toolTimeoutMs, left()) });
      let spriteSource = sharp(spritePng);
      if (!(await exists(spritePng))) {
        // a clip shorter than one storyboard interval: its poster is its one thumbnail
        board = { ...board, count: 1, columns: 1, rows: 1 };
        spriteSource = sharp(posterPng).resize(board.tileWidth, board.tileHeight, { fit: 'fill' });
      }
      const sprite = await spriteSource.jpeg({ quality: 70, progressive: true }).toBuffer({ resolveWithObject: true });
      await progress(90);

      await assertNoMetadata([mp4, ...(await hlsFiles(hlsDir)).filter((f) => INIT_SEGMENT.test(f))], { ...tools, timeoutMs: deps.settings.toolTimeoutMs });

      // One set of renditions: whatever an interrupted earlier attempt left goes first.
      await clearRenditions(deps, assetId);
      const top = rungs[rungs.length - 1]!;
      const items: RenditionSource[] = [
        ...(await hlsFiles(hlsDir)).map((file) => {
          const rel = path.relative(hlsDir, file).split(path.sep).join('/');
          const isMaster = rel === 'master.m3u8';
          return { name: `hls/${rel}`, type: HLS_PART_TYPES[path.extname(file)] ?? 'application/octet-stream', width: isMaster ? top.width : null, height: isMaster ? top.height : null, data: { file } };
        }),
        { name: 'download.mp4', type: 'video/mp4', width: plan.width, height: plan.height, data: { file: mp4 } },
        ...poster.renditions,
        { name: 'storyboard.jpg', type: 'image/jpeg', width: sprite.info.width, height: sprite.info.height, data: sprite.data },
        { name: 'storyboard.vtt', type: 'text/vtt; charset=utf-8', width: null, height: null, data: Buffer.from(storyboardVtt(board, 'storyboard.jpg', probe.durationMs)) },
      ];
      const stored = await storeRenditions(deps, assetId, items);
      // Segments are served by prefix; only the playlists and files a client names are rows.
      const renditions = stored.filter((r) => !r.name.endsWith('.m4s') && !INIT_SEGMENT.test(r.name));
      const done = await complete(deps, asset, {
        width: probe.width,
        height: probe.height,
        durationMs: probe.durationMs,
        placeholder: poster.placeholder,
        capturedAt: probe.creationTime,
        capturedOffset: null,
        metadata: videoMetadata(probe, rungs.map((r) => r.name)),
        caption: {},
        credit: null,
        license: null,
        location: asset.keepLocation ? probe.location : null,
        renditions,
      });
      return done ? `ready: ${rungs.map((r) => r.name).join(', ')}, MP4 from ${plan.rung === null ? 'the source' : `the ${plan.rung} rung`}` : 'skipped: the asset was deleted while it was processed';
    });
  } catch (err) {
    const stopped = stoppedForGood(err, deadline);
    return recordFailure(job, deps, assetId, stopped ?? err, isInputFault(err) || stopped !== undefined);
  }
}

/**
 * A transcode that ran out of time, or a tool stopped at a resource limit, fails the asset
 * without a retry (JOB_POLICY retryAfterDeadline): the same file would take as long again.
 */
function stoppedForGood(err: unknown, deadline: { ms: number; videoMs: number | null } | undefined): Error | undefined {
  if (!(err instanceof ToolError) || JOB_POLICY['transcode-video'].retryAfterDeadline) return undefined;
  if (err.limit !== undefined) return new Error(`the video needs more than the tools may use: ${err.message}`, { cause: err });
  const timedOut = err.kind === 'timeout' || (err.kind === 'abort' && err.cause instanceof DOMException && err.cause.name === 'TimeoutError');
  if (!timedOut) return undefined;
  const of = deadline === undefined ? '' : ` of ${Math.round(deadline.ms / 1000)} s for a video of ${Math.round((deadline.videoMs ?? 0) / 1000)} s`;
  return new Error(`the transcode passed its deadline${of} (${err.message})`, { cause: err });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

async function hlsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).sort();
}

/** The outputs are probed, not trusted: a tag about the source or the device fails the job. */
async function assertNoMetadata(files: string[], ctl: Parameters<typeof probeVideo>[1]): Promise<void> {
  for (const file of files) {
    const { tags } = await probeTags(file, ctl);
    const leaked = Object.keys(tags).filter((k) => !ALLOWED_TAGS.test(k));
    if (leaked.length > 0) throw new Error(`an output still carries metadata (${leaked.join(', ')}) in ${path.basename(file)}`);
  }
}

function videoMetadata(probe: VideoProbe, ladder: string[]): Record<string, unknown> {
  return {
    video: { codec: probe.videoCodec, frameRate: probe.frameRate, bitDepth: probe.bitDepth, hdr: probe.hdr, rotation: probe.rotation },
    audio: probe.hasAudio ? { codec: probe.audioCodec } : null,
    ladder,
  };
}
