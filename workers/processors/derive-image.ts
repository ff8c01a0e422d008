/**
 * derive-image: a photo into its renditions, placeholder and metadata (a PDF goes to derive-document).
 * Idempotent: keys are deterministic, a finished asset is left alone, and an asset deleted
 * meanwhile is skipped with whatever was written removed. Input faults (corrupt, too many
 * pixels) end the asset `failed` without retries; storage and database faults are retried.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { findAssetToProcess } from '../../src/db/processing.js';
import { decodableImage } from '../../src/media/decode.js';
import { deriveImage } from '../../src/media/images.js';
import { deriveDocumentJob } from './derive-document.js';
import type { PhotoMetadata } from '../../src/media/metadata.js';
import { JOB_POLICY, type JobPayloads } from '../../src/queues/jobs.js';
import { RTL_LOCALES } from '../../src/locales.js';
import type { ProcessedImage } from '../../src/db/processing.js';
import type { ProcessorDeps } from './registry.js';
import { cleanOriginal } from './clean-original.js';
import { complete, inWorkDir, isInputFault, progressReporter, QUIET_PROGRESS_MS, recordFailure, spoolOriginal, storeRenditions, jobSignal } from './steps.js';

export async function deriveImageJob(job: Job<JobPayloads['derive-image']>, deps: ProcessorDeps): Promise<string> {
  const { assetId } = job.data;
  const asset = await findAssetToProcess(deps.db, assetId);
  if (!asset) return 'skipped: the asset no longer exists';
  if (asset.status === 'ready') return 'skipped: already done';
  if (asset.kind === 'video') throw new UnrecoverableError(`asset ${assetId} is a video`);
  if (asset.kind === 'document') return deriveDocumentJob(job, deps);

  const signal = jobSignal(deps, JOB_POLICY['derive-image'].timeoutMs);
  const progress = progressReporter(job, deps, assetId, { quietMs: QUIET_PROGRESS_MS });
  try {
    return await inWorkDir('lamha-image-', async (work) => {
      const cleaned = await cleanOriginal(deps, asset, await spoolOriginal(deps, assetId, work, signal), work, { signal, timeoutMs: deps.settings.toolTimeoutMs });
      const original = cleaned.path;
      await progress(10);
      // The tags: read by the check of the clean, the API's at upload or the one just done,
      // else here by exiftool in its own process while sharp decodes: the job waits for the
      // longer of the two, not for both in turn.
      const known = asset.originalTags ?? cleaned.tags;
      const reading = asset.kind !== 'image' ? Promise.resolve(undefined) : known ? Promise.resolve(known) : deps.metadata.read(original).catch((err: unknown) => {
        // Metadata is a bonus: a photo whose tags cannot be read still gets its renditions.
        deps.log.warn({ err, assetId }, 'metadata could not be read');
        return undefined;
      });
      let derived: Awaited<ReturnType<typeof deriveImage>>;
      try {
        const decodable = await decodableImage(original, asset.mimeType, work, { timeoutMs: deps.settings.toolTimeoutMs, maxPixels: deps.settings.imagePixelLimit, signal });
        await progress(25);
        derived = await deriveImage(decodable.path, { pixelLimit: deps.settings.imagePixelLimit });
      } finally {
        // the work dir, which holds the file exiftool reads, goes only once it is done with it
        await reading;
      }
      const meta = await reading;
      await progress(70);
      const renditions = await storeRenditions(deps, assetId, derived.renditions);
      await progress(90);
      const done = await complete(deps, asset, {
        width: derived.width,
        height: derived.height,
        placeholder: derived.placeholder,
        ...fromMetadata(meta, asset.eventLocales, asset.eventDefaultLocale, asset.keepLocation),
        renditions,
      });
      return done ? `ready: ${renditions.map((r) => r.name).join(', ')}` : 'skipped: the asset was deleted while it was processed';
    });
  } catch (err) {
    return recordFailure(job, deps, assetId, err, isInputFault(err));
  }
}

const ARABIC_SCRIPT = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/;

/**
 * A caption without a language tag (IPTC, EXIF, XMP x-default) goes to the event's default
 * locale when it is written in that locale's script, else to the first of the event's locales
 * that is: an English caption in an event whose default is Arabic is shown as English.
 */
export function localeByScript(text: string, locales: string[], defaultLocale: string): string {
  const arabic = ARABIC_SCRIPT.test(text);
  const fits = (l: string) => RTL_LOCALES.has(l) === arabic;
  if (fits(defaultLocale)) return defaultLocale;
  return locales.find(fits) ?? defaultLocale;
}

type FromMetadata = Pick<ProcessedImage, 'capturedAt' | 'capturedOffset' | 'metadata' | 'caption' | 'credit' | 'license' | 'location'>;

/** The public-safe part of a photo's metadata, its captions in the event's locales, and its location kept apart. */
export function fromMetadata(meta: PhotoMetadata | undefined, locales: string[], defaultLocale: string, keepLocation: boolean): FromMetadata {
  if (!meta) return { capturedAt: null, capturedOffset: null, metadata: {}, caption: {}, credit: null, license: null, location: null };
  const caption: Record<string, string> = {};
  for (const [tag, text] of Object.entries(meta.caption)) {
    const value = text.trim();
    if (!value) continue;
    const locale = tag === 'x-default' ? localeByScript(value, locales, defaultLocale) : locales.find((l) => l === tag.toLowerCase() || tag.toLowerCase().startsWith(`${l}-`));
    // a language the event does not use stays in the file, not in the gallery
    if (locale && !(locale in caption && tag === 'x-default')) caption[locale] = value;
  }
  const metadata: Record<string, unknown> = {};
  if (meta.camera) metadata.camera = meta.camera;
  if (meta.lens) metadata.lens = meta.lens;
  if (meta.exposure) metadata.exposure = meta.exposure;
  if (meta.headline) metadata.headline = meta.headline;
  if (meta.title) metadata.title = meta.title;
  if (meta.copyright) metadata.copyright = meta.copyright;
  if (meta.keywords.length > 0) metadata.keywords = meta.keywords;
  return {
    capturedAt: meta.capturedAt,
    capturedOffset: meta.capturedOffset,
    metadata,
    caption,
    credit: meta.credit,
    license: null,
    location: keepLocation ? meta.location : null,
  };
}
