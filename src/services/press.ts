/**
 * Press files: what press, editors and admins download as "the original". A photo is the stored
 * original with location, serials, owner names, maker notes and embedded previews removed and
 * the archive's caption (every locale), credit, copyright, licence and event written in as IPTC
 * and XMP, its image data byte for byte; a video is its original container remuxed without
 * metadata (SEI included), titled and credited; a document is its public PDF.
 *
 * Made on first request and kept in the store under a key named by everything it depends on
 * (the stored original's ETag and the text written in), so an edited caption or credit makes a
 * new one at the next download and a second download costs no tool run. Why not at ingest: most
 * photos of an event are never asked for by press, the text is edited for days after upload,
 * and a copy made at ingest would be remade on every edit (measured in bench/press.ts).
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createReadStream } from 'node:fs';
import type { Db } from '../db/database.js';
import { findAsset, type AssetRow } from '../db/assets.js';
import { findEventById, type EventRow } from '../db/events.js';
import { ConflictError, NotFoundError, PrivateMetadataError } from '../errors.js';
import type { Log } from '../log.js';
import { writeVideoWithoutMetadata } from '../media/clean-video.js';
import { probeVideo } from '../media/ffmpeg.js';
import { cutAfterImage } from '../media/jpeg-layout.js';
import type { MetadataReader } from '../media/metadata.js';
import { PUBLIC_PDF_RENDITION } from '../media/pdf.js';
import { videoPressMetadata, type PressText } from '../media/press-metadata.js';
import pLimit from 'p-limit';
import { originalKey, pressKey, pressPrefix, renditionKey } from '../storage/keys.js';
import { spool } from '../storage/spool.js';
import type { ObjectStore } from '../storage/object-store.js';
import { canDownloadOriginals, demand, isInsider, type Principal } from './access.js';
import { isPublic } from './assets.js';
import { creditLine, effectiveLicense } from './credit.js';

/** Bumped when what a press file holds changes, so that files made before are made again. */
const PRESS_FORMAT = 2;

export interface PressFile {
  key: string;
  bytes: number;
  type: string;
  /** strong: the same value is the same bytes */
  etag: string;
  /** the name to save it under, and an ASCII one for old clients */
  filename: string;
  fallbackFilename: string;
}

export interface PressServiceOptions {
  db: Db;
  storage: ObjectStore;
  metadata: Pick<MetadataReader, 'removePrivate' | 'findPrivate' | 'writePress'>;
  log: Log;
  tools: { ffmpegPath: string; ffprobePath: string; timeoutMs: number };
  /** press files made at once in this process; more requests wait */
  concurrency?: number;
}

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/apng': 'png', 'image/webp': 'webp', 'image/avif': 'avif', 'image/heic': 'heic',
  'image/heic-sequence': 'heics', 'image/heif': 'heif', 'image/heif-sequence': 'heifs', 'image/tiff': 'tif', 'image/gif': 'gif',
  'video/mp4': 'mp4', 'video/x-m4v': 'm4v', 'video/quicktime': 'mov', 'video/3gpp': '3gp', 'video/3gpp2': '3g2',
  'video/matroska': 'mkv', 'video/webm': 'webm', 'video/mp2t': 'mts', 'video/vnd.avi': 'avi', 'application/pdf': 'pdf',
};

export function createPressService(opts: PressServiceOptions) {
  const { db, storage, log } = opts;
  // each runs exiftool or ffmpeg on a whole file: a burst of first downloads waits its turn
  const slots = pLimit(opts.concurrency ?? 2);

  /** The asset if `p` may download its press file: press only what the public sees, editors and admins any ready asset. */
  async function downloadable(p: Principal | null, id: string): Promise<{ asset: AssetRow; event: EventRow }> {
    const asset = await findAsset(db, id);
    const event = asset && await findEventById(db, asset.eventId);
    if (!asset || !event) throw new NotFoundError(`No asset ${id}`);
    // what the public sees, and insiders all of their event's; press sees the event as the public does
    if (!isPublic(asset) && !isInsider(p, asset.eventId)) throw new NotFoundError(`No asset ${id}`);
    demand(p, canDownloadOriginals(p, asset.eventId), 'download originals of this event');
    // a press link opens one album, and a 'web' link its web-size files only
    if (p?.share && p.share.albumId !== asset.albumId) throw new NotFoundError(`No asset ${id}`);
    if (p?.share?.variant === 'web') demand(p, false, 'download originals: this link gives web-size files');
    if (asset.status !== 'ready') throw new ConflictError(`Asset ${id} is ${asset.status}: its press file is made once it is ready`);
    return { asset, event };
  }

  return {
    downloadable,

    /** The press file of asset `id` for `p`, made now if it does not exist for the asset's current text. */
    async file(p: Principal | null, id: string): Promise<PressFile> {
      const { asset, event } = await downloadable(p, id);
      return fileOf(asset, event);
    },

    fileOf,
  };

  /**
   * The press file of a ready asset whose download the caller has allowed. Its key is named by
   * what it is made of: the stored original (the upload's hash and size, and whether it was
   * cleaned, which changes its bytes) and the text written in. So a second download costs one
   * HEAD request, and an edit makes a new file.
   */
  async function fileOf(asset: AssetRow, event: EventRow): Promise<PressFile> {
    const names = pressFilenames(asset, event);
    if (asset.kind === 'document') {
      const key = renditionKey(asset.id, PUBLIC_PDF_RENDITION);
      const s = await storage.stat(key);
      return { key, bytes: s.size, type: 'application/pdf', etag: `"${s.etag}"`, ...names };
    }
    const text = pressText(asset, event);
    const source = [asset.sha256.toString('hex'), asset.bytes, asset.originalCleanedAt?.toISOString() ?? null];
    const fingerprint = createHash('sha256').update(JSON.stringify([PRESS_FORMAT, source, text])).digest('hex').slice(0, 32);
    const key = pressKey(asset.id, fingerprint);
    const made = await storage.stat(key).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    const bytes = made?.size ?? await slots(() => make(asset, text, key));
    return { key, bytes, type: asset.mimeType, etag: `"press-${fingerprint}"`, ...names };
  }

  async function make(asset: AssetRow, text: PressText, key: string): Promise<number> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-press-'));
    try {
      const original = path.join(dir, 'original');
      const out = path.join(dir, `press.${EXTENSIONS[asset.mimeType] ?? 'bin'}`);
      const signal = AbortSignal.timeout(opts.tools.timeoutMs);
      await spool(await storage.get(originalKey(asset.id)), original, signal);
      let embedded = true;
      if (asset.kind === 'video') {
        const tools = { ffmpegPath: opts.tools.ffmpegPath, ffprobePath: opts.tools.ffprobePath, timeoutMs: opts.tools.timeoutMs, signal };
        const probe = await probeVideo(original, tools);
        const how = await writeVideoWithoutMetadata(original, out, probe, asset.mimeType, {
          tools, removePrivate: (f) => opts.metadata.removePrivate(f), metadata: videoPressMetadata(text),
        });
        embedded = how === 'tagged';
      } else {
        await copyFile(original, out);
        await opts.metadata.removePrivate(out);
        // what follows a JPEG's image (an appended picture, a phone's trailer) is not the press's and may hold a position
        if (asset.mimeType === 'image/jpeg') await cutAfterImage(out);
        await opts.metadata.writePress(out, text);
      }
      const left = await opts.metadata.findPrivate(out, { embedded });
      if (left.length > 0) throw new PrivateMetadataError(`${left.slice(0, 5).join(', ')} remained in the press file`);
      const bytes = (await stat(out)).size;
      await storage.put(key, createReadStream(out), { contentType: asset.mimeType });
      // the files made for earlier text are of no more use
      for (const old of await storage.list(pressPrefix(asset.id))) {
        if (old !== key) await storage.delete(old).catch((err: unknown) => log.warn({ err, key: old }, 'could not delete an outdated press file'));
      }
      return bytes;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

export type PressService = ReturnType<typeof createPressService>;

/** The text a press file carries: the archive's, not the camera's. */
export function pressText(asset: AssetRow, event: EventRow): PressText {
  const caption = Object.fromEntries(event.locales.filter((l) => asset.caption[l]?.trim()).map((l) => [l, asset.caption[l]!.trim()]));
  const eventName = Object.fromEntries(event.locales.filter((l) => event.title[l]?.trim()).map((l) => [l, event.title[l]!.trim()]));
  const credit = asset.credit?.trim() || null;
  const year = (asset.capturedAt ?? asset.createdAt).getUTCFullYear();
  const stated = typeof asset.metadata.copyright === 'string' ? asset.metadata.copyright : null;
  const license = effectiveLicense(asset.license, event.defaultLicense, event.defaultLocale);
  return {
    caption,
    defaultLocale: event.defaultLocale,
    credit,
    creditLine: creditLine(event.creditTemplate, credit, eventName[event.defaultLocale] ?? event.slug, year),
    copyright: stated ?? (credit ? `© ${year} ${credit}` : null),
    license: license ? { name: license.name, url: license.url } : null,
    event: eventName,
  };
}

/**
 * `<event>_<album>_<position>_<credit>.<ext>`: sorted as the album is, and saying whose it is.
 * The ASCII fallback leaves out a credit written in another script.
 */
export function pressFilenames(asset: AssetRow, event: EventRow): { filename: string; fallbackFilename: string } {
  const ext = EXTENSIONS[asset.mimeType] ?? 'bin';
  const seq = String(asset.position + 1).padStart(3, '0');
  // letters and digits of any script; everything else (quotes, slashes, controls, spaces) one dash
  const credit = (asset.credit ?? '').normalize('NFC').replace(/[^\p{L}\p{M}\p{N}._]+/gu, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 60);
  const base = `${event.slug}_${asset.albumSlug}_${seq}`;
  const ascii = credit.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').replace(/^-+|-+$/g, '');
  return {
    filename: `${base}${credit ? `_${credit}` : ''}.${ext}`,
    fallbackFilename: `${base}${ascii ? `_${ascii}` : ''}.${ext}`,
  };
}
