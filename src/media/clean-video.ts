/**
 * A video rewritten without its metadata, losslessly: remuxed by ffmpeg into its own container
 * (cleanOriginalOutput says what goes), or, where the muxer refuses a stream it reads (AMR in
 * 3GP), copied and cleaned by exiftool at container level. Knows nothing of HTTP, SQL or queues.
 */
import { copyFile } from 'node:fs/promises';
import { PrivateMetadataError } from '../errors.js';
import { runFfmpeg, ToolError, type RunControl, type ToolPaths, type VideoProbe } from './ffmpeg.js';
import { cleanOriginalOutput, originalMuxers } from './video-plan.js';

/** Videos exiftool can clean at container level when ffmpeg cannot remux them. */
const QUICKTIME_TYPES = new Set(['video/mp4', 'video/x-m4v', 'video/quicktime', 'video/3gpp', 'video/3gpp2']);

export interface CleanVideoOptions {
  tools: RunControl & ToolPaths;
  /** removes private tags in place (MetadataReader.removePrivate) */
  removePrivate(file: string): Promise<boolean>;
  /** `-metadata` options to set on the remuxed file (a press file's title and credit) */
  metadata?: string[];
  log?: { info(o: object, m?: string): void };
}

/**
 * Writes `original` without metadata to `out`. Answers 'remuxed' (only the picture and sound
 * are left, H.264's SEI is gone: the container is what to check) or 'tagged' (exiftool removed
 * the container's tags; the tracks are as uploaded, so what they carry must be looked for too).
 * Throws PrivateMetadataError when neither tool can rewrite it; a tool stopped by its time or
 * memory limit is no verdict on the file, and its error is rethrown.
 */
export async function writeVideoWithoutMetadata(original: string, out: string, probe: VideoProbe, mimeType: string, opts: CleanVideoOptions): Promise<'remuxed' | 'tagged'> {
  let failure: unknown;
  for (const muxer of originalMuxers(mimeType)) {
    const args = cleanOriginalOutput(probe, muxer, out);
    if (opts.metadata) args.splice(args.length - 3, 0, ...opts.metadata);
    try {
      await runFfmpeg({ inputs: [{ path: original, format: probe.container }], output: args }, opts.tools);
      return 'remuxed';
    } catch (err) {
      if (!(err instanceof ToolError) || err.kind !== 'exit' || err.limit !== undefined) throw err;
      failure = err;
    }
  }
  if (!QUICKTIME_TYPES.has(mimeType)) {
    const why = failure instanceof ToolError ? failure.message.split('\n')[0] : `no muxer writes ${mimeType}`;
    throw new PrivateMetadataError(`the video could not be rewritten: ${why}`);
  }
  opts.log?.info({ err: failure }, 'the video could not be remuxed; its metadata is removed by exiftool');
  await copyFile(original, out);
  await opts.removePrivate(out);
  return 'tagged';
}
