/**
 * Location at rest (DESIGN: privacy). For an event that does not keep locations, the first
 * step of processing replaces the stored original by one without location, serial numbers and
 * owner names, losslessly: a photo by exiftool in place (its image data untouched; a JPEG also
 * loses what follows the end of its image, which exiftool cannot vouch for), a video
 * remuxed by ffmpeg into its own container (its packets copied; see cleanOriginalOutput), or,
 * where the muxer refuses a stream it reads, cleaned by exiftool at container level. The
 * result is checked with exiftool, not trusted. A file that cannot be cleaned is not kept.
 *
 * The asset's sha256 and bytes stay those of the upload: duplicate detection compares uploads.
 * A retried job finds `originalCleanedAt` set and goes on with the stored, cleaned file.
 */
import { createReadStream } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { markOriginalCleaned, type AssetToProcess } from '../../src/db/processing.js';
import { PrivateMetadataError } from '../../src/errors.js';
import { writeVideoWithoutMetadata } from '../../src/media/clean-video.js';
import { cutAfterImage } from '../../src/media/jpeg-layout.js';
import type { VideoProbe } from '../../src/media/ffmpeg.js';
import type { PhotoMetadata } from '../../src/media/metadata.js';
import { originalKey } from '../../src/storage/keys.js';
import type { ProcessorDeps } from './registry.js';
import type { StepTimes } from './steps.js';

export interface CleanControl {
  signal: AbortSignal;
  /** a video's probe of `original` */
  probe?: VideoProbe;
  timeoutMs: number;
  /** the job's step times, where the clean's steps (`rewrite`, `check`, `store`) are added */
  steps?: StepTimes;
}

/**
 * The file the rest of the job works on: `original` itself when the event keeps locations, the
 * original was cleaned by an earlier attempt, or it is a document (a PDF's public copy is
 * rewritten without its metadata; the stored one is the organisers' record); else the cleaned
 * file, which has replaced the stored original. Throws PrivateMetadataError, after deleting the
 * stored original, when the file cannot be cleaned. A photo's check reads its tags in the same
 * exiftool run (`tags`), which then need not be read again.
 */
export async function cleanOriginal(deps: ProcessorDeps, asset: AssetToProcess, original: string, work: string, ctl: CleanControl): Promise<{ path: string; tags?: PhotoMetadata }> {
  if (asset.keepLocation || asset.originalCleanedAt !== null || asset.kind === 'document') return { path: original };
  const cleaned = path.join(work, 'cleaned');
  let tags: PhotoMetadata | undefined;
  try {
    const embedded = asset.kind === 'image' ? await cleanPhoto(deps, asset, original, cleaned) : await cleanVideo(deps, asset, original, cleaned, ctl);
    ctl.steps?.lap('rewrite');
    // a file exiftool does not read as an image (damaged, say) is checked alone, as before
    const checked = asset.kind === 'image' ? await deps.metadata.checkAndRead(cleaned).catch(() => undefined) : undefined;
    const left = checked?.privateTags ?? await deps.metadata.findPrivate(cleaned, { embedded });
    tags = checked?.metadata;
    ctl.steps?.lap('check');
    if (left.length > 0) throw new PrivateMetadataError(`${left.slice(0, 5).join(', ')}${left.length > 5 ? ', …' : ''} remained`);
  } catch (err) {
    if (!(err instanceof PrivateMetadataError)) throw err;
    await deps.storage.delete(originalKey(asset.id));
    deps.log.warn({ assetId: asset.id, reason: err.message }, 'an original that could not be cleaned was deleted');
    throw err;
  }
  await deps.storage.put(originalKey(asset.id), createReadStream(cleaned), { contentType: asset.mimeType });
  await markOriginalCleaned(deps.db, asset.id);
  ctl.steps?.lap('store');
  return { path: cleaned, ...(tags && { tags }) };
}

/**
 * Answers whether the check must read the media streams too (always, for a photo: cheap). A
 * JPEG also loses what follows the end of its image (see cutAfterImage): exiftool's check
 * would not see a position there.
 */
async function cleanPhoto(deps: ProcessorDeps, asset: AssetToProcess, original: string, cleaned: string): Promise<boolean> {
  await copyFile(original, cleaned);
  // A format exiftool cannot write holds nothing it could remove: the check below tells.
  await deps.metadata.removePrivate(cleaned);
  if (asset.mimeType === 'image/jpeg') {
    const cut = await cutAfterImage(cleaned);
    if (cut > 0) deps.log.info({ assetId: asset.id, bytes: cut }, 'removed what followed the end of a JPEG\'s image');
  }
  return true;
}

async function cleanVideo(deps: ProcessorDeps, asset: AssetToProcess, original: string, cleaned: string, ctl: CleanControl): Promise<boolean> {
  if (!ctl.probe) throw new TypeError('cleaning a video needs its probe');
  const tools = { ffmpegPath: deps.settings.ffmpegPath, ffprobePath: deps.settings.ffprobePath, signal: ctl.signal, log: deps.log, timeoutMs: ctl.timeoutMs };
  const how = await writeVideoWithoutMetadata(original, cleaned, ctl.probe, asset.mimeType, {
    tools, removePrivate: (f) => deps.metadata.removePrivate(f), log: { info: (o, m) => deps.log.info({ ...o, assetId: asset.id }, m) },
  });
  // a remuxed file is checked at container level: reading its streams too would mean reading
  // the whole of a two-hour recording, and they hold only picture and sound
  return how === 'tagged';
}
