/**
 * Resumable uploads (tus): a file that arrives over many requests, possibly from several API
 * processes, goes straight into an S3 multipart upload of its original's key. Each whole part is
 * recorded as it is stored; the SHA-256 continues in the process that received the bytes before
 * (upload-hashes.ts), and only an upload resumed on another process is read back once at the end.
 * The bytes after the last whole part wait in one small object (resumableRestKey) until more arrive. The first bytes are typed and checked before any
 * part is stored, as a multipart upload's are; once every byte is in, the file joins the same
 * ingest as a multipart upload's (register): one asset, or the duplicate it is. A JPEG for an
 * event that does not keep locations has its head cleaned as its first part is stored, as a
 * multipart upload's is as it streams (uploads.ts), and is recorded as cleaned when the rest
 * turned out to be scans only.
 */
import { randomUUID, type Hash } from 'node:crypto';
import type { Db } from '../db/database.js';
import { findAlbumById, type AlbumRow } from '../db/albums.js';
import { findEventById, type EventRow } from '../db/events.js';
import {
  commitBytes, deleteResumable, findResumable, insertResumable, listExpired, listReceived, markDone, markReceived, saveHead, saveMultipartId,
  type ResumableRow, type StoredPart,
} from '../db/resumable-uploads.js';
import { ConflictError, EmptyFileError, NotFoundError, TooLargeError, UploadExpiredError, UploadOffsetError, ValidationError } from '../errors.js';
import type { Log } from '../log.js';
import type { CleanHead } from '../media/clean-jpeg-head.js';
import { ScanCheck } from '../media/jpeg-layout.js';
import type { PhotoMetadata, PhotoMetadataJson } from '../media/metadata.js';
import { HEAD_BYTES, type AssetKind } from '../media/types.js';
import { originalKey, resumablePrefix, resumableRestKey } from '../storage/keys.js';
import { MIN_PART_SIZE, PARTS_IN_FLIGHT, partSizeFor, sharedPartPool, type ObjectStore } from '../storage/object-store.js';
import { canCurate, canUploadTo, demand, type Principal } from './access.js';
import type { EventService } from './events.js';
import { cleanFilename } from './filenames.js';
import type { Handoff, HandoffPieces } from '../storage/handoff.js';
import { createUploadHashes, hashStored, type UploadHashes } from './upload-hashes.js';
import { TEXT_MAX_CHARS, type InspectedHead, type StoredFile, type UploadService, type UploadedAsset } from './uploads.js';


/** What a tus client may say in Upload-Metadata. */
export interface ResumableMetadata {
  event?: string | undefined;
  album?: string | undefined;
  filename?: string | undefined;
  filetype?: string | undefined;
  caption?: string | undefined;
  locale?: string | undefined;
}

export interface FinishedUpload extends UploadedAsset {
  /** SHA-256 of the bytes as uploaded, for the client to check */
  sha256: string;
}

/** A first part stored with its JPEG head cleaned: the uploaded head's length to the first scan, the cleaned one's, and its tags. */
interface HeadSwap {
  cut: number;
  prefix: number;
  /** null for an upload begun before they were kept */
  tags: PhotoMetadata | PhotoMetadataJson | null;
}

export interface ResumableDeps {
  db: Db;
  storage: ObjectStore;
  uploads: Pick<UploadService, 'inspectHead' | 'checkStored' | 'register' | 'cleanHead'>;
  events: Pick<EventService, 'visibleEvent' | 'visibleAlbum'>;
  log: Log;
  maxBytes: number;
  /** an unfinished upload not written to for this long is deleted, parts and all */
  expiryMs: number;
  /** the hashes of uploads this process is receiving; one of its own by default */
  hashes?: UploadHashes;
  /** where an upload's original is also left for a worker sharing the directory (src/storage/handoff.ts) */
  handoff?: Handoff | undefined;
}

/** The uploader's rights, as far as finishing its upload needs them. */
function uploaderOf(row: ResumableRow): Principal {
  return { tokenId: row.tokenId!, role: 'photographer', eventId: row.eventId };
}

export function createResumableService({ db, storage, uploads, events, log, maxBytes, expiryMs, hashes = createUploadHashes(), handoff }: ResumableDeps) {
  const nextExpiry = () => new Date(Date.now() + expiryMs);
  const keepHash = (id: string, at: number, hash: Hash | undefined) => hashes.keep(id, at, hash, Date.now() + expiryMs);

  /** The upload if `p` may write to it: its uploader, or an editor of its event. Others get 404. */
  async function owned(p: Principal | null, id: string): Promise<ResumableRow> {
    const row = /^[0-9a-f]{32}$/.test(id) ? await findResumable(db, id) : undefined;
    const mine = row && p && ((row.tokenId !== null && row.tokenId === p.tokenId) || (row.eventId !== null && canCurate(p, row.eventId)));
    if (!row || !mine) {
      demand(p, p !== null, 'resume uploads');
      throw new NotFoundError(`No upload ${id}`);
    }
    return row;
  }

  /** Removes every trace of an upload that will not finish: its parts, its rest, its row. */
  async function discard(row: ResumableRow): Promise<void> {
    hashes.forget(row.id);
    await handoff?.drop(row.assetId);
    if (row.multipartId) await storage.multipart.abort(originalKey(row.assetId), row.multipartId);
    await storage.deletePrefix(resumablePrefix(row.id));
    // a received file's object has no asset yet; a done one's is its asset's original
    if (row.state === 'received') await storage.delete(originalKey(row.assetId));
    await deleteResumable(db, row.id);
  }

  async function discardQuietly(row: ResumableRow): Promise<void> {
    await discard(row).catch((err: unknown) => {
      log.error({ err, uploadId: row.id }, 'could not remove a refused upload; the expiry sweep will');
    });
  }

  async function resolveTarget(p: Principal | null, meta: ResumableMetadata): Promise<{ event: EventRow; album: AlbumRow }> {
    if (!meta.event) throw new ValidationError('Upload-Metadata must name the "event" (its slug)');
    if (!meta.album && p?.albumId) {
      const event = await events.visibleEvent(p, meta.event);
      const album = await findAlbumById(db, event.id, p.albumId);
      if (!album) throw new NotFoundError(`This token's album is not in event "${meta.event}"`);
      return { event, album };
    }
    if (!meta.album) throw new ValidationError('Upload-Metadata must name the "album" (its slug)');
    return events.visibleAlbum(p, meta.event, meta.album);
  }

  /** Reads the rest object into `into`, answering how many bytes it held. */
  async function readRest(row: ResumableRow, into: Buffer): Promise<number> {
    let filled = 0;
    for await (const chunk of await storage.get(resumableRestKey(row.id), { start: 0, end: row.restBytes - 1 })) {
      const c = chunk as Buffer;
      filled += c.copy(into, filled);
    }
    if (filled !== row.restBytes) throw new ConflictError(`upload ${row.id}: its stored rest holds ${filled} bytes, not ${row.restBytes}`);
    return filled;
  }

  return {
    /** POST: checks where the file goes and who sends it, and reserves its asset id. No byte is stored yet. */
    async create(p: Principal | null, id: string, length: number, meta: ResumableMetadata): Promise<ResumableRow> {
      const { event, album } = await resolveTarget(p, meta);
      demand(p, canUploadTo(p, event.id, album.id), p?.albumId ? 'upload to albums other than its own' : 'upload to this event');
      const filename = cleanFilename(meta.filename);
      if (length === 0) throw new EmptyFileError(filename);
      if (length > maxBytes) throw new TooLargeError(maxBytes);
      const locale = meta.locale || event.defaultLocale;
      if (!event.locales.includes(locale)) throw new ValidationError(`locale must be one of ${event.locales.join(', ')}`);
      const caption = meta.caption?.trim() || null;
      if (caption && caption.length > TEXT_MAX_CHARS.caption) throw new ValidationError('caption is too long');
      return insertResumable(db, {
        id, assetId: randomUUID(), eventId: event.id, albumId: album.id, tokenId: p!.internal ? null : p!.tokenId,
        length, filename, caption, locale, partSize: partSizeFor(length), expiresAt: nextExpiry(),
      });
    },

    get: owned,

    /**
     * PATCH: appends `body`, which starts at `offset`, and answers the new offset. Whole parts
     * are stored as they fill (one uploading while the next fills); what is left when the body
     * ends short (a dropped connection ends it) is kept as the rest. A file whose first bytes
     * are refused is deleted with all that was stored of it, and the error thrown.
     */
    async write(p: Principal | null, id: string, offset: number, body: AsyncIterable<Buffer>): Promise<number> {
      const row = await owned(p, id);
      if (row.state === 'receiving' && row.expiresAt.getTime() <= Date.now()) throw new UploadExpiredError();
      if (row.state !== 'receiving' || row.received !== offset) throw new UploadOffsetError(row.state === 'receiving' ? row.received : row.length, offset);
      const key = originalKey(row.assetId);
      // undefined: the bytes before `offset` went through another process; the end reads the file back
      const hasher = hashes.resume(id, offset);
      // A JPEG's head is cleaned once it is all here, before the first part is stored (as uploads'
      // storeFile does as it streams): the cleaned head takes the uploaded one's place in the part
      // buffer, so what is stored is the cleaned file and the offsets stay the upload's. `scan`
      // follows the stored bytes from the first scan on, to tell whether they hold metadata after
      // all; it is kept in this process between requests, as the hash is: without it, the worker cleans.
      let headSwap: HeadSwap | undefined = row.headCut !== null ? { cut: row.headCut, prefix: row.headPrefix!, tags: row.headTags } : undefined;
      let scan = headSwap && row.parts.length > 0 ? hashes.resumeScan(id, row.received - row.restBytes) : undefined;

      const needHead = Math.min(HEAD_BYTES, row.length);
      let head = row.head;
      let typed: InspectedHead | undefined = row.kind ? { mimeType: row.mimeType!, kind: row.kind } : undefined;
      let multipartId = row.multipartId;
      const parts: StoredPart[] = [...row.parts];
      let committed = row.received;
      let pos = row.received;
      // part buffers: one fills while up to PARTS_IN_FLIGHT others are stored; freed ones are reused
      const pool = sharedPartPool(row.partSize).lease();
      let current: Buffer = await pool.take();
      let filled = 0;
      try {
        if (row.restBytes > 0) filled = await readRest(row, current);
      } catch (err) {
        pool.end(); // the try below, which gives the budget back, is not reached
        throw err;
      }
      let partNumber = row.parts.length;
      const inflight: Promise<void>[] = [];

      // The hand-off copy (see src/storage/handoff.ts): each part is written at its
      // place in it while it is stored. It goes on over requests only in this process, and only
      // from where its last request left it; anything else gives it up (the worker downloads).
      const storedBefore = row.parts.reduce((n, p) => n + p.bytes, 0);
      /** where the next part goes in the stored object */
      let storedAt = storedBefore;
      const kept = hashes.copyAt(id);
      let copyOk = handoff !== undefined && (storedBefore === 0 || (kept?.at === storedBefore && !kept.whole));
      if (!copyOk && kept) hashes.keepCopy(id, undefined, 0);
      let opening: Promise<HandoffPieces | undefined> | undefined;
      const copyPiece = async (data: Buffer, position: number): Promise<void> => {
        if (!copyOk) return;
        opening ??= typed !== undefined ? handoff!.pieces(row.assetId, row.length, storedBefore === 0) : Promise.resolve(undefined);
        const copy = await opening;
        try {
          if (!copy) throw new Error('no copy');
          await copy.write(data, position);
        } catch {
          copyOk = false;
        }
      };
      /** the newest part's store-and-commit; each part commits after the one before it */
      let storing: Promise<void> | undefined;
      let starting: Promise<string> | undefined;

      const multipart = (): Promise<string> => {
        if (multipartId !== null) return Promise.resolve(multipartId);
        starting ??= (async () => {
          const started = await storage.multipart.start(key, { contentType: typed!.mimeType });
          await saveMultipartId(db, id, started);
          multipartId = started;
          return started;
        })();
        return starting;
      };
      /** The head cleaned, when it is a JPEG's for an event that does not keep locations and can be. */
      const cleanHead = async (): Promise<CleanHead | undefined> => {
        if (typed?.mimeType !== 'image/jpeg' || row.eventId === null) return undefined;
        const event = await findEventById(db, row.eventId);
        return event && !event.keepLocation ? uploads.cleanHead(head, typed.mimeType, row.filename) : undefined;
      };
      /**
       * Puts the cleaned head in place of the uploaded one in the part buffer, which holds the
       * upload's bytes [0, pos) (no part is stored before the head is all here); answers how many
       * bytes to come are still the uploaded head's, to be dropped.
       */
      const swapHead = (clean: CleanHead): number => {
        headSwap = { cut: clean.cut, prefix: clean.prefix.length, tags: clean.metadata };
        const after = Math.max(0, filled - clean.cut);
        current.copy(current, clean.prefix.length, filled - after, filled);
        clean.prefix.copy(current, 0);
        filled = clean.prefix.length + after;
        return Math.max(0, clean.cut - pos);
      };
      /** Feeds a part's bytes to the scan check: the first part's from its first scan on. */
      const checkPart = (data: Buffer, first: boolean): void => {
        if (first && headSwap) {
          scan = new ScanCheck();
          scan.push(data.subarray(headSwap.prefix));
        } else if (!first) {
          scan?.push(data);
        }
      };
      const storePart = async (
        buffer: Buffer, data: Buffer, end: number, hashAtEnd: Hash | undefined, scanAtEnd: ScanCheck | undefined, part: number, previous: Promise<void> | undefined, position: number,
      ) => {
        const [sent] = await Promise.allSettled([(async () => storage.multipart.part(key, await multipart(), part, data))(), copyPiece(data, position)]);
        pool.give(buffer);
        if (sent.status === 'rejected') throw sent.reason;
        const etag = sent.value;
        // parts are recorded in order: the offset only moves past bytes all of which are stored
        await previous;
        const stored = { part, etag, bytes: data.length };
        if (!(await commitBytes(db, id, { from: committed, to: end, part: stored, restBytes: 0, expiresAt: nextExpiry(), head: headSwap }))) {
          throw new ConflictError('Another request took this upload over');
        }
        keepHash(id, end, hashAtEnd);
        if (scanAtEnd) hashes.keepScan(id, end, scanAtEnd, Date.now() + expiryMs);
        parts.push(stored);
        committed = end;
      };
      const startPart = async () => {
        if (inflight.length >= PARTS_IN_FLIGHT) await inflight.shift();
        const buffer = current;
        const part = ++partNumber;
        const data = current.subarray(0, filled);
        checkPart(data, part === 1);
        const state = hasher?.copy();
        const scanState = scan?.copy();
        current = await pool.take();
        filled = 0;
        const stored = storePart(buffer, data, pos, state, scanState, part, storing, storedAt);
        storedAt += data.length;
        stored.catch(() => {}); // observed when awaited
        storing = stored;
        inflight.push(stored);
      };

      // read by hand, not with for-await: leaving that loop on a refusal would destroy the body
      // at once, and the client would hear of the broken stream before it hears why
      const chunks = body[Symbol.asyncIterator]();
      try {
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
          let c = next.value;
          let headDone = false;
          if (typed === undefined && head.length < needHead) {
            head = Buffer.concat([head, c.subarray(0, needHead - head.length)]);
            if (head.length === needHead) {
              typed = await uploads.inspectHead(head, needHead === row.length, row.filename);
              await saveHead(db, id, head, typed);
              headDone = true;
            }
          }
          if (pos + c.length > row.length) throw new TooLargeError(row.length);
          if (headDone && partNumber === 0 && filled === pos) {
            const clean = await cleanHead();
            // the rest of the uploaded head is in this chunk: the head ends in it
            const drop = clean ? swapHead(clean) : 0;
            hasher?.update(c.subarray(0, drop));
            pos += drop;
            c = c.subarray(drop);
          }
          while (c.length > 0) {
            const n = c.copy(current, filled);
            hasher?.update(c.subarray(0, n));
            filled += n;
            pos += n;
            c = c.subarray(n);
            if (filled === current.length && pos < row.length) await startPart();
          }
        }
        await storing;
        if (typed === undefined) {
          // the body ended before the first bytes were all here: keep them for the next request
          await saveHead(db, id, head);
        }

        if (pos === row.length) {
          const data = current.subarray(0, filled);
          checkPart(data, partNumber === 0);
          const copied = copyPiece(data, storedAt);
          try {
            if (multipartId === null) {
              await storage.put(key, data, { contentType: typed!.mimeType });
            } else {
              const part = ++partNumber;
              parts.push({ part, etag: await storage.multipart.part(key, multipartId, part, data), bytes: data.length });
              await storage.multipart.complete(key, multipartId, parts);
            }
          } finally {
            await copied;
          }
          storedAt += data.length;
          const fault = headSwap === undefined ? undefined : scan === undefined ? 'its check was in another process' : scan.finish();
          if (fault !== undefined) log.info({ uploadId: id, reason: fault }, 'an uploaded JPEG is cleaned whole by the worker');
          hashes.forget(id);
          // the copy, whole, waits for the asset's row (finish)
          if (copyOk && opening) hashes.keepCopy(id, storedAt, nextExpiry().getTime(), true);
          // the upload's own bytes: a cleaned head's object is read past it, after the uploaded head's bytes
          const sha256 = hasher ? hasher.digest()
            : headSwap ? await hashStored(() => storage.get(key, { start: headSwap!.prefix }), head.subarray(0, headSwap.cut)) : await hashStored(() => storage.get(key));
          const originalCleaned = headSwap !== undefined && fault === undefined;
          if (!(await markReceived(db, id, { from: committed, length: row.length, sha256, originalCleaned, headTags: headSwap?.tags }))) throw new ConflictError('Another request took this upload over');
          await storage.deletePrefix(resumablePrefix(id)).catch(() => 0); // a stale rest; the expiry sweep removes what stays
          return row.length;
        }
        if (filled >= MIN_PART_SIZE && typed !== undefined) {
          // enough for a part of its own: a shorter part than planned is allowed but for the last
          await startPart();
          await storing;
        } else if (pos > committed) {
          await storage.put(resumableRestKey(id), current.subarray(0, filled));
          if (!(await commitBytes(db, id, { from: committed, to: pos, restBytes: filled, expiresAt: nextExpiry(), head: headSwap }))) {
            throw new ConflictError('Another request took this upload over');
          }
          keepHash(id, pos, hasher?.copy());
          committed = pos;
        }
        // every part started is stored by now (storing awaited): the copy holds them all
        if (copyOk) hashes.keepCopy(id, storedAt, nextExpiry().getTime());
        return committed;
      } catch (err) {
        await storing?.catch(() => {});
        copyOk = false;
        if (typed === undefined && head.length === needHead) {
          // refused from its first bytes: nothing of it stays
          await discardQuietly({ ...row, multipartId });
        }
        throw err;
      } finally {
        // every part is stored or failed by now (storing awaited): nothing reads `current` any more
        pool.give(current);
        pool.end();
        await (await opening?.catch(() => undefined))?.close().catch(() => {});
        if (!copyOk && handoff) {
          hashes.keepCopy(id, undefined, 0);
          await handoff.drop(row.assetId);
        }
      }
    },

    /**
     * Makes the asset of an upload whose every byte is stored. Idempotent: the finishing PATCH,
     * a HEAD after it failed, and the reconciler may all ask; the asset is made once.
     */
    async finish(id: string): Promise<FinishedUpload> {
      const row = await findResumable(db, id);
      if (!row) throw new NotFoundError(`No upload ${id}`);
      const result = (r: ResumableRow): FinishedUpload => ({
        id: r.resultId!, status: 'processing', duplicate: r.duplicate!, sha256: r.sha256!.toString('hex'),
      });
      if (row.state === 'done') return result(row);
      if (row.state !== 'received') throw new ConflictError(`Upload ${id} has ${row.length - row.received} bytes still to come`);
      if (!row.eventId || !row.albumId || !row.tokenId) {
        await discard(row);
        throw new NotFoundError('The album (or the token) this upload was for has been deleted');
      }
      // this process's whole copy of it, else none: another's partial one is not this upload's record
      const copy = hashes.copyAt(id);
      hashes.keepCopy(id, undefined, 0);
      if (handoff && !copy?.whole) await handoff.drop(row.assetId);
      const file: StoredFile = {
        id: row.assetId, kind: row.kind as AssetKind, mimeType: row.mimeType!, bytes: row.length, sha256: row.sha256!, filename: row.filename,
        originalCleaned: row.originalCleaned,
        metadata: row.headTags ?? undefined,
        handoff: handoff && copy?.whole ? { commit: () => handoff.complete(row.assetId, copy.at), discard: () => handoff.drop(row.assetId) } : undefined,
      };
      try {
        const inspected = await uploads.inspectHead(row.head, row.length <= HEAD_BYTES, row.filename);
        await uploads.checkStored(file, row.head, inspected);
        let already: ResumableRow | undefined;
        const [asset] = await uploads.register(uploaderOf(row), row.eventId, row.albumId, [file], {
          caption: row.caption ? { [row.locale!]: row.caption } : undefined,
        }, {
          async before(tx) {
            const locked = await findResumable(tx, id, { lock: true });
            if (locked?.state !== 'received') {
              already = locked;
              throw new ConflictError('finished meanwhile');
            }
          },
          async after(tx, [made]) {
            await markDone(tx, id, { resultId: made!.id, duplicate: made!.duplicate });
          },
        }).catch(async (err: unknown) => {
          if (already?.state === 'done') return [result(already)];
          throw err;
        });
        return { ...asset!, sha256: row.sha256!.toString('hex') };
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode ?? 500;
        // refused (over a limit found only now, or its token revoked): the file is not kept
        if (status >= 400 && status < 500 && status !== 409) await discardQuietly(row);
        throw err;
      }
    },

    /** DELETE (tus termination): stops an unfinished upload and removes what was stored of it. */
    async remove(p: Principal | null, id: string): Promise<void> {
      const row = await owned(p, id);
      if (row.state !== 'receiving') throw new ConflictError('The upload is complete; delete its asset instead');
      await discard(row);
    },

    /** Deletes unfinished uploads past their expiry (with their parts) and old records of finished ones. */
    async expire(): Promise<number> {
      let n = 0;
      for (const row of await listExpired(db, expiryMs)) {
        try {
          if (row.state === 'done') await deleteResumable(db, row.id);
          else await discard(row);
          n++;
        } catch (err) {
          log.warn({ err, uploadId: row.id }, 'could not remove an expired upload; next sweep');
        }
      }
      return n;
    },

    /** Finishes uploads whose bytes are all in but whose asset was not made (the finishing request failed). */
    async finishPending(graceMs = 60_000): Promise<number> {
      let n = 0;
      for (const id of await listReceived(db, graceMs)) {
        try {
          await this.finish(id);
          n++;
        } catch (err) {
          log.warn({ err, uploadId: id }, 'could not finish a received upload');
        }
      }
      return n;
    },

    /** How long an unfinished upload lives without being written to. */
    expiryMs,
  };
}

export type ResumableService = ReturnType<typeof createResumableService>;
