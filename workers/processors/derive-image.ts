/**
 * derive-image: a photo (or a PDF's first page) into its renditions, placeholder and metadata.
 * Idempotent: keys are deterministic, a finished asset is left alone, and an asset deleted
 * meanwhile is skipped with whatever was written removed. Input faults (corrupt, too many
 * pixels) end the asset `failed` without retries; storage and database faults are retried.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UnrecoverableError, type Job } from 'bullmq';
import { inTransaction } from '../../src/db/database.js';
import { completeImage, failAsset, findAssetToProcess, setProgress, type ProcessedImage } from '../../src/db/processing.js';
import { decodableImage, UndecodableError as ToolUndecodableError } from '../../src/media/decode.js';
import { deriveImage } from '../../src/media/images.js';
import type { PhotoMetadata } from '../../src/media/metadata.js';
import { JOB_POLICY, type JobPayloads } from '../../src/queues/jobs.js';
import { publishAssetReady } from '../../src/queues/live.js';
import { RTL_LOCALES } from '../../src/services/locales.js';
import { originalKey, renditionKey, renditionPrefix } from '../../src/storage/keys.js';
import type { ProcessorDeps } from './registry.js';

/** Rendition objects are named by content-free, deterministic keys and never change once written. */
const RENDITION_CACHE = 'public, max-age=31536000, immutable';

export async function deriveImageJob(job: Job<JobPayloads['derive-image']>, deps: ProcessorDeps): Promise<string> {
  const { db, storage, log } = deps;
  const { assetId } = job.data;
  const asset = await findAssetToProcess(db, assetId);
  if (!asset) return 'skipped: the asset no longer exists';
  if (asset.status === 'ready') return 'skipped: already done';
  if (asset.kind === 'video') throw new UnrecoverableError(`asset ${assetId} is a video`);

  const signal = AbortSignal.timeout(JOB_POLICY['derive-image'].timeoutMs);
  const work = await mkdtemp(path.join(os.tmpdir(), 'lamha-image-'));
  const progress = async (p: number) => {
    await job.updateProgress(p);
    await setProgress(db, assetId, p);
  };
  try {
    // Spooled to disk once: decoders and the metadata reader need a file, and a stream from
    // S3 cannot be read twice.
    const original = path.join(work, 'original');
    await pipeline(await storage.get(originalKey(assetId)), createWriteStream(original), { signal });
    await progress(10);

    const decodable = await decodableImage(original, asset.mimeType, work, { timeoutMs: deps.settings.toolTimeoutMs, signal });
    const meta = asset.kind === 'image' ? await deps.metadata.read(original).catch((err: unknown) => {
      // Metadata is a bonus: a photo whose tags cannot be read still gets its renditions.
      log.warn({ err, assetId }, 'metadata could not be read');
      return undefined;
    }) : undefined;
    await progress(25);

    const derived = await deriveImage(decodable.path, { pixelLimit: deps.settings.imagePixelLimit });
    await progress(70);

    const renditions = [];
    for (const r of derived.renditions) {
      const key = renditionKey(assetId, r.name);
      await storage.put(key, r.data, { contentType: r.type, headers: { 'Cache-Control': RENDITION_CACHE } });
      renditions.push({ name: r.name, key, width: r.width, height: r.height, bytes: r.data.length, type: r.type });
    }
    await progress(90);

    const processed: ProcessedImage = {
      width: derived.width,
      height: derived.height,
      placeholder: derived.placeholder,
      ...fromMetadata(meta, asset.eventLocales, asset.eventDefaultLocale),
      renditions,
    };
    const stillThere = await inTransaction(db, (tx) => completeImage(tx, assetId, processed));
    if (!stillThere) {
      await storage.deletePrefix(renditionPrefix(assetId));
      return 'skipped: the asset was deleted while it was processed';
    }
    await publishAssetReady(deps.publisher, deps.settings.redisPrefix, { eventId: asset.eventId, albumId: asset.albumId, assetId });
    return `ready: ${renditions.map((r) => r.name).join(', ')}`;
  } catch (err) {
    const permanent = isInputFault(err);
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (permanent || lastAttempt) {
      const reason = err instanceof Error ? err.message : String(err);
      await failAsset(db, assetId, reason);
      await storage.deletePrefix(renditionPrefix(assetId)).catch(() => 0);
      if (permanent) throw new UnrecoverableError(reason);
    }
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Faults of the file itself: retrying cannot help. */
function isInputFault(err: unknown): boolean {
  if (err instanceof ToolUndecodableError) return true;
  const code = (err as { code?: unknown }).code;
  return code === 'LAMHA_NOT_FOUND' || code === 'LAMHA_UNDECODABLE' || code === 'LAMHA_PIXEL_LIMIT';
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
export function fromMetadata(meta: PhotoMetadata | undefined, locales: string[], defaultLocale: string): FromMetadata {
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
    location: meta.location,
  };
}
