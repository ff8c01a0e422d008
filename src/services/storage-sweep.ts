/**
 * The bucket held against PostgreSQL, part of the maintenance sweep (workers/processors/sweep.ts):
 * objects no row owns are deleted, assets whose original is gone are marked, and S3 multipart
 * uploads nobody will finish are aborted. One pass over the listing, page by page, so a bucket of
 * millions of objects takes time, not memory.
 *
 * Why the grace period: an upload request stores each file's original before it makes the rows
 * (a POST of many photos makes them all at the end), and an S3 multipart upload in progress is
 * listed from its start. Renditions and press files are made only for assets that have a row, so
 * those of an asset without one are a delete that failed (or raced a job) and go at once.
 */
import { failAsset } from '../db/processing.js';
import { assetsNotListed, knownAssetIds, type AssetWithoutOriginal, knownUploadIds, liveMultipartIds, noteOriginalMissing } from '../db/sweep.js';
import type { Db } from '../db/database.js';
import { OriginalMissingError } from '../errors.js';
import type { Log } from '../log.js';
import { originalKey, TOP_PREFIXES, UPLOAD_ID, UUID } from '../storage/keys.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { Changes } from './changes.js';

export interface StorageSweepReport {
  /** objects (or an asset's folder of them) deleted because no row owns them */
  orphans: number;
  /** assets whose original is not in the bucket */
  missingOriginals: number;
  /** S3 multipart uploads aborted: begun longer than the grace ago, and no resumable upload's */
  abortedUploads: number;
}

const PAGE = 1000;

export async function sweepStorage(
  { db, storage, changes, log }: { db: Db; storage: ObjectStore; changes: Pick<Changes, 'write'>; log: Log },
  { graceMs, now = new Date() }: { graceMs: number; now?: Date },
): Promise<StorageSweepReport> {
  const before = new Date(now.getTime() - graceMs);
  const report: StorageSweepReport = { orphans: 0, missingOriginals: 0, abortedUploads: 0 };

  // Rows made before the listing began have their original in it (S3 lists what is written):
  // a row made after may name an object the listing already passed.
  const started = new Date();
  const missing = await originals();
  for (const asset of missing) {
    report.missingOriginals++;
    const err = new OriginalMissingError();
    const reason = `${err.code}: ${err.message}`;
    if (asset.status === 'processing') await changes.write(asset.eventId, (w) => failAsset(w, asset.id, reason));
    else if (!(await noteOriginalMissing(db, asset.id, reason))) continue;
    log.error({ assetId: asset.id }, 'the original of an asset is missing from storage');
  }
  report.orphans += await folders(TOP_PREFIXES.renditions, 0);
  report.orphans += await folders(TOP_PREFIXES.press, 0);
  report.orphans += await folders(TOP_PREFIXES.uploads, graceMs);
  report.abortedUploads = await multipartUploads();
  return report;

  /** Deletes originals no row owns; answers the assets with no original. */
  async function originals(): Promise<AssetWithoutOriginal[]> {
    const lost: AssetWithoutOriginal[] = [];
    let page: { id: string; old: boolean }[] = [];
    let after: string | null = null;
    const flush = async (last: boolean) => {
      const ids = page.map((o) => o.id);
      const known = await knownAssetIds(db, ids);
      for (const o of page) {
        if (known.has(o.id) || !o.old) continue;
        await storage.delete(originalKey(o.id));
        report.orphans++;
        log.info({ key: originalKey(o.id) }, 'deleted an original no asset owns');
      }
      const upTo = last ? null : (ids.at(-1) ?? null);
      lost.push(...(await assetsNotListed(db, { after, upTo }, ids, started)));
      after = upTo;
      page = [];
    };
    for await (const entry of storage.scan(TOP_PREFIXES.originals)) {
      const id = entry.key.slice(TOP_PREFIXES.originals.length);
      // not a key Lamha makes: someone else's object, left alone
      if (entry.folder || !UUID.test(id)) continue;
      page.push({ id, old: entry.lastModified < before });
      if (page.length === PAGE) await flush(false);
    }
    await flush(true);
    return lost;
  }

  /** Deletes each `<prefix><id>/` whose id no row knows (and whose newest object is older than `grace`). */
  async function folders(prefix: string, grace: number): Promise<number> {
    let removed = 0;
    let page: string[] = [];
    const uploads = prefix === TOP_PREFIXES.uploads;
    const flush = async () => {
      const known = uploads ? await knownUploadIds(db, page) : await knownAssetIds(db, page);
      for (const id of page) {
        if (known.has(id)) continue;
        const folder = `${prefix}${id}/`;
        if (grace > 0 && !(await olderThan(folder, new Date(now.getTime() - grace)))) continue;
        removed += await storage.deletePrefix(folder);
        log.info({ prefix: folder }, 'deleted objects no row owns');
      }
      page = [];
    };
    for await (const entry of storage.scan(prefix, { folders: true })) {
      const id = entry.key.slice(prefix.length, -1);
      if (!entry.folder || !(uploads ? UPLOAD_ID : UUID).test(id)) continue;
      page.push(id);
      if (page.length === PAGE) await flush();
    }
    await flush();
    return removed;
  }

  async function olderThan(folder: string, limit: Date): Promise<boolean> {
    for await (const entry of storage.scan(folder)) if (!entry.folder && entry.lastModified >= limit) return false;
    return true;
  }

  async function multipartUploads(): Promise<number> {
    let aborted = 0;
    let page: { key: string; uploadId: string }[] = [];
    const flush = async () => {
      const live = await liveMultipartIds(db, page.map((u) => u.uploadId));
      for (const u of page) {
        if (live.has(u.uploadId)) continue;
        await storage.multipart.abort(u.key, u.uploadId);
        aborted++;
        log.info({ key: u.key }, 'aborted an S3 multipart upload nobody will finish');
      }
      page = [];
    };
    for await (const u of storage.incompleteUploads('')) {
      if (u.initiated >= before) continue;
      page.push(u);
      if (page.length === PAGE) await flush();
    }
    await flush();
    return aborted;
  }
}
