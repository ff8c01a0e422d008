/**
 * Upload intake: each file is typed from its first bytes, streamed to `originals/<assetId>`
 * while hashed and counted, and only when every file of the request is stored are rows written
 * and jobs queued. Any failure removes what this request stored: nothing half-done remains.
 */
import { randomUUID } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import type { Log } from '../log.js';
import type { Db, GalleryWrite } from '../db/database.js';
import { isTokenLiveLocked } from '../db/tokens.js';
import { findAssetIdBySha256, insertAssetUnlessDuplicate, type AssetStatus } from '../db/assets.js';
import type { Localized } from '../db/events.js';
import {
  EmptyFileError, NoFileError, PixelLimitError, TooLargeError, UnauthorizedError, UnsupportedTypeError, ValidationError, VideoTooLargeError, VideoTooLongError,
} from '../errors.js';
import { cleanJpegHead, type CleanHead } from '../media/clean-jpeg-head.js';
import { dimensionsFromHead } from '../media/dimensions.js';
import { JpegHeadSwap } from '../media/jpeg-layout.js';
import type { Handoff, HandoffWrite } from '../storage/handoff.js';
import type { MetadataReader, PhotoMetadata, PhotoMetadataJson } from '../media/metadata.js';
import { extentFromHead, extentWithRange, missingRange, type VideoExtent } from '../media/video-extent.js';
import { playlistSmuggled } from '../media/video-guard.js';
import { HEAD_BYTES, kindOf, mimeFromHead, type AssetKind } from '../media/types.js';
import { PROCESSING_JOB } from '../queues/jobs.js';
import type { Queues } from '../queues/producer.js';
import { DigestStream } from '../storage/digest-stream.js';
import { peek } from '../storage/peek.js';
import { originalKey } from '../storage/keys.js';
import { LICENSE_IDS, licenseById } from '../licenses.js';
import type { ObjectStore } from '../storage/object-store.js';
import { canUploadTo, demand, type Principal } from './access.js';
import type { Changes } from './changes.js';
import type { EventService } from './events.js';
import { cleanFilename } from './filenames.js';

/** A part of a multipart body, independent of the HTTP framework. */
export type UploadPart =
  | { type: 'file'; field: string; filename: string | undefined; stream: Readable }
  | { type: 'field'; field: string; value: string };

export interface UploadedAsset {
  id: string;
  status: AssetStatus;
  duplicate: boolean;
}

/** What the first bytes of a file decided. */
export interface InspectedHead {
  mimeType: string;
  kind: AssetKind;
  /** a video's size and duration, as far as its head tells */
  extent?: VideoExtent | undefined;
}

/** The text an upload gives its asset(s). */
export interface AssetText {
  caption?: Localized | undefined;
  credit?: string | undefined;
  license?: string | undefined;
}

export interface StoredFile {
  id: string;
  kind: AssetKind;
  mimeType: string;
  bytes: number;
  sha256: Buffer;
  filename: string;
  /** stored without private metadata (its head cleaned as it streamed) */
  originalCleaned?: boolean;
  /** what its cleaned head's tags say, read by the check; kept with the asset only when originalCleaned */
  metadata?: PhotoMetadata | PhotoMetadataJson | undefined;
  /** its copy for a worker on this machine, named for the asset once its row is committed */
  handoff?: Pick<HandoffWrite, 'commit' | 'discard'> | undefined;
}

/** Text fields a request may carry for all of its files. */
const TEXT_FIELDS = new Set(['caption', 'locale', 'credit', 'license']);
/** The longest text an asset's fields take, at upload and in PATCH /assets/:id alike (a caption: per locale). */
export const TEXT_MAX_CHARS = { caption: 10_000, credit: 500, license: 500 } as const;

export interface UploadDeps {
  db: Db;
  storage: ObjectStore;
  queues: Queues;
  events: EventService;
  maxBytes: number;
  /** images with more pixels are refused from their header */
  maxPixels: number;
  /** videos longer or with larger frames are refused when their headers say so */
  video: { maxSeconds: number; maxPixels: number; ffprobePath?: string };
  log: Log;
  /** new assets are written through it: an album's count can show them before they are ready */
  changes: Pick<Changes, 'write'>;
  /**
   * exiftool, to clean a JPEG's head as it is stored for an event that does not keep locations;
   * without it every original is cleaned by the worker
   */
  metadata?: Pick<MetadataReader, 'removePrivate' | 'checkAndRead'>;
  /** where an upload's original is also left for a worker sharing the directory (src/storage/handoff.ts) */
  handoff?: Handoff | undefined;
}

/** ffprobe reads headers only; a probe that takes longer leaves the question to the worker. */
const EXTENT_TIMEOUT_MS = 15_000;

export function createUploadService({ db, storage, queues, events, maxBytes, maxPixels, video, log, changes, metadata, handoff }: UploadDeps) {
  const probeControl = { timeoutMs: EXTENT_TIMEOUT_MS, ffprobePath: video.ffprobePath, log };

  /** Refuses a video over the limits; the duration counts only when it is the file's own. */
  function checkVideo(extent: VideoExtent | undefined): void {
    if (extent === undefined) return;
    if (extent.width * extent.height > video.maxPixels) throw new VideoTooLargeError(extent.width, extent.height, video.maxPixels);
    const seconds = (extent.durationMs ?? 0) / 1000;
    if (extent.settled && seconds > video.maxSeconds) throw new VideoTooLongError(Math.round(seconds), video.maxSeconds);
  }

  /**
   * After the upload: what the head could not tell (a moov written last, a transport stream's
   * last timestamps) is read from the stored object with one ranged GET.
   */
  async function checkStoredVideo(file: { id: string; bytes: number }, head: Buffer, fromHead: VideoExtent | undefined): Promise<void> {
    if (fromHead?.settled) return;
    const range = missingRange(head, file.bytes, fromHead?.container ?? '');
    if (range === undefined) return;
    let extent: VideoExtent | undefined;
    try {
      const data = await storage.get(originalKey(file.id), { start: range.start, end: range.end - 1 });
      extent = await extentWithRange(head, file.bytes, { start: range.start, data }, probeControl);
    } catch (err) {
      // the worker checks again on the whole file
      log.warn({ err, assetId: file.id }, 'could not read the end of an uploaded video for its limits');
      return;
    }
    checkVideo(extent);
  }

  /**
   * Decides the type from the first bytes and refuses, before anything is stored, what is not
   * on the allow-list and what the headers already show to be over the limits. `complete`: the
   * head is the whole file.
   */
  async function inspectHead(head: Buffer, complete: boolean, filename: string): Promise<InspectedHead> {
    if (head.length === 0) throw new EmptyFileError(filename);
    const mimeType = await mimeFromHead(head);
    const kind = kindOf(mimeType);
    if (!kind) {
      throw new UnsupportedTypeError(
        mimeType ? `Files of type ${mimeType} are not accepted` : 'The file is of a type Lamha does not accept (decided from its content)',
      );
    }
    if (kind === 'video' && playlistSmuggled(head)) {
      // the HLS/concat local-file-read class: a container carrying a playlist for ffmpeg to follow
      throw new UnsupportedTypeError('The file carries a media playlist inside a video container; it is refused unread');
    }
    if (kind === 'image') {
      // A decompression bomb is refused from its header, before a byte of it is stored.
      const size = dimensionsFromHead(head, mimeType!);
      if (size && size.width * size.height > maxPixels) throw new PixelLimitError(size.width, size.height, maxPixels);
    }
    if (kind !== 'video') return { mimeType: mimeType!, kind };
    // A video over the limits is refused from its head when the head says, before it is stored.
    const extent = await extentFromHead(head, complete || head.length < HEAD_BYTES, probeControl);
    checkVideo(extent);
    return { mimeType: mimeType!, kind, extent };
  }

  /**
   * Checks a stored file against what its head could not tell; a refused file's object is
   * deleted here.
   */
  async function checkStored(file: { id: string; kind: AssetKind; bytes: number }, head: Buffer, inspected: InspectedHead): Promise<void> {
    if (file.kind !== 'video') return;
    try {
      await checkStoredVideo(file, head, inspected.extent);
    } catch (err) {
      await storage.delete(originalKey(file.id)).catch((e: unknown) => {
        log.error({ err: e, key: originalKey(file.id) }, 'could not remove the object of a refused upload');
      });
      throw err;
    }
  }

  /** `cleanLocation`: the event does not keep locations (DESIGN: privacy, location at rest). */
  async function storeFile(stream: Readable, filename: string, cleanLocation: boolean): Promise<StoredFile> {
    const { head, stream: whole } = await peek(stream, HEAD_BYTES);
    let file: StoredFile | undefined;
    try {
      const inspected = await inspectHead(head, head.length < HEAD_BYTES, filename);
      const clean = cleanLocation ? await cleanHeadOf(head, inspected.mimeType, filename) : undefined;
      file = await storeTyped(whole, filename, inspected.mimeType, inspected.kind, clean);
      await checkStored(file, head, inspected);
      return file;
    } catch (err) {
      whole.destroy();
      await file?.handoff?.discard();
      throw err;
    }
  }

  /**
   * The head of a JPEG without private metadata; undefined for any other type, or when it cannot
   * be cleaned on its head: the worker then cleans the stored file whole.
   */
  async function cleanHeadOf(head: Buffer, mimeType: string, filename: string): Promise<CleanHead | undefined> {
    if (metadata === undefined || mimeType !== 'image/jpeg') return undefined;
    try {
      return await cleanJpegHead(head, metadata);
    } catch (err) {
      log.warn({ err, filename }, 'could not clean the head of an uploaded JPEG; the worker cleans it');
      return undefined;
    }
  }

  /**
   * Streams `typed` to a new original's key while hashing and counting it. With `clean`, its
   * head is replaced by the cleaned one on the way (the hash and size stay the upload's); the
   * file counts as cleaned when the rest turned out to be scans only.
   */
  async function storeTyped(typed: Readable, filename: string, mimeType: string, kind: AssetKind, clean?: CleanHead): Promise<StoredFile> {
    const id = randomUUID();
    const digest = new DigestStream(maxBytes, () => new TooLargeError(maxBytes));
    const swap = clean && new JpegHeadSwap(clean.prefix, clean.cut);
    // the copy for the worker is of the stored bytes: after a photo's head swap
    const copy = await handoff?.begin(id);
    // pipeline, not pipe: an error on either side (client gone, limit reached) destroys both.
    const body = (pipeline as (...streams: unknown[]) => Readable)(typed, digest, ...(swap ? [swap] : []), ...(copy ? [copy.tee] : []), () => {});
    try {
      await storage.put(originalKey(id), body, { contentType: mimeType });
    } catch (err) {
      await copy?.discard();
      throw err;
    }
    if (swap?.fault !== undefined) log.info({ assetId: id, reason: swap.fault }, 'an uploaded JPEG is cleaned whole by the worker');
    const originalCleaned = swap !== undefined && swap.fault === undefined;
    return { id, kind, mimeType, bytes: digest.bytes, sha256: digest.sha256, filename, originalCleaned, metadata: clean?.metadata, handoff: copy };
  }

  /**
   * Makes the rows of stored files (or finds the assets they duplicate, whose copies are then
   * deleted) and queues their processing. `hooks` run in the same transaction, before and after
   * the rows: a resumable upload locks its record and writes its result there, so its asset is
   * made exactly once.
   */
  async function register(
    p: Principal, eventId: string, albumId: string, stored: StoredFile[], text: AssetText,
    hooks: { before?(tx: GalleryWrite): Promise<void>; after?(tx: GalleryWrite, assets: UploadedAsset[]): Promise<void> } = {},
  ): Promise<UploadedAsset[]> {
    const results = await changes.write(eventId, async (tx) => {
      await hooks.before?.(tx);
      // The token was checked when the upload began, which may be minutes of streaming ago:
      // one revoked (or whose parent was) since then stores nothing.
      if (!p.internal && !(await isTokenLiveLocked(tx, p.tokenId))) throw new UnauthorizedError();
      const out: { file: StoredFile; asset: UploadedAsset }[] = [];
      for (const file of stored) {
        const inserted = await insertAssetUnlessDuplicate(tx, {
          id: file.id, albumId, kind: file.kind, mimeType: file.mimeType,
          bytes: file.bytes, sha256: file.sha256, originalFilename: file.filename, uploadedBy: p.tokenId,
          caption: text.caption, credit: text.credit, license: text.license, originalCleaned: file.originalCleaned,
          tags: file.originalCleaned ? file.metadata : undefined,
        });
        if (inserted) {
          out.push({ file, asset: { id: file.id, status: 'processing', duplicate: false } });
        } else {
          const existing = (await findAssetIdBySha256(tx, eventId, file.sha256))!;
          out.push({ file, asset: { id: existing.id, status: existing.status, duplicate: true } });
        }
      }
      await hooks.after?.(tx, out.map((r) => r.asset));
      return out;
    });

    // The same bytes are stored once: drop the copies that turned out to be duplicates.
    await Promise.all(results.filter((r) => r.asset.duplicate).map((r) => storage.delete(originalKey(r.file.id)).catch((err) => {
      log.warn({ err, key: originalKey(r.file.id) }, 'could not delete the object of a duplicate upload');
    })));
    for (const { file, asset } of results) {
      if (asset.duplicate) {
        await file.handoff?.discard();
        continue;
      }
      // before the job is queued: the worker that takes it finds the copy
      await file.handoff?.commit();
      try {
        await queues.enqueue(PROCESSING_JOB[file.kind], { assetId: asset.id });
      } catch (err) {
        // The row stays `processing`; the reconciler queues it again once Redis is back.
        log.error({ err, assetId: asset.id }, 'could not queue processing of an upload');
      }
    }
    return results.map((r) => r.asset);
  }

  return {
    inspectHead,
    checkStored,
    register,
    cleanHead: cleanHeadOf,

    async ingest(p: Principal | null, eventSlug: string, albumSlug: string, parts: AsyncIterable<UploadPart>): Promise<UploadedAsset[]> {
      const { event, album } = await events.visibleAlbum(p, eventSlug, albumSlug);
      demand(p, canUploadTo(p, event.id, album.id), p?.albumId ? 'upload to albums other than its own' : 'upload to this event');

      const stored: StoredFile[] = [];
      const fields = new Map<string, string>();
      let committed = false;
      try {
        for await (const part of parts) {
          if (part.type === 'field') {
            if (!TEXT_FIELDS.has(part.field)) throw new ValidationError(`Unknown form field "${part.field}"`);
            if (part.value.length > ((TEXT_MAX_CHARS as Record<string, number>)[part.field] ?? TEXT_MAX_CHARS.caption)) throw new ValidationError(`${part.field} is too long`);
            fields.set(part.field, part.value);
            continue;
          }
          if (part.field !== 'file') {
            part.stream.destroy();
            throw new ValidationError(`Files go in parts named "file", not "${part.field}"`);
          }
          const filename = cleanFilename(part.filename);
          stored.push(await storeFile(part.stream, filename, !event.keepLocation));
        }
        if (stored.length === 0) throw new NoFileError();

        const locale = fields.get('locale') ?? event.defaultLocale;
        if (!event.locales.includes(locale)) throw new ValidationError(`locale must be one of ${event.locales.join(', ')}`);
        const license = fields.get('license')?.trim() || undefined;
        if (license && !licenseById(license)) throw new ValidationError(`license must be one of ${LICENSE_IDS.join(', ')}`);
        const captionText = fields.get('caption')?.trim();
        const caption: Localized | undefined = captionText ? { [locale]: captionText } : undefined;

        const results = await register(p!, event.id, album.id, stored, {
          caption, credit: fields.get('credit')?.trim() || undefined, license,
        });
        committed = true;
        return results;
      } catch (err) {
        if (!committed) {
          await Promise.all(stored.map((f) => f.handoff?.discard()));
          // one request for them all: a thousand DELETEs at once overwhelmed the embedded S3 server
          await storage.deleteKeys(stored.map((f) => originalKey(f.id))).catch((e: unknown) => {
            log.error({ err: e, keys: stored.length }, 'could not remove the objects of a failed upload; the sweep will');
          });
        }
        throw err;
      }
    },
  };
}

export type UploadService = ReturnType<typeof createUploadService>;
