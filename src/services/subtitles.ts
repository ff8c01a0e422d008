/**
 * Subtitle tracks of videos, one WebVTT per locale of the event. Editors of the event and the
 * video's uploader write them; whoever may see the asset reads them.
 */
import type { Readable } from 'node:stream';
import type { Db } from '../db/database.js';
import type { AssetRow } from '../db/assets.js';
import { findEventById } from '../db/events.js';
import { deleteSubtitle, findSubtitle, upsertSubtitle, type SubtitleRow } from '../db/subtitles.js';
import { NotFoundError, NotVideoError, ValidationError } from '../errors.js';
import type { Log } from '../log.js';
import { toWebVtt } from '../media/webvtt.js';
import { renditionKey } from '../storage/keys.js';
import type { ObjectStore } from '../storage/object-store.js';
import { canCurate, demand, type Principal } from './access.js';
import { isPublic, type AssetService } from './assets.js';
import type { Changes } from './changes.js';
import { RTL_LOCALES, type Locale } from '../locales.js';

/** Largest subtitle file accepted: a two-hour panel in WebVTT is a few hundred KiB. */
export const SUBTITLE_MAX_BYTES = 1024 * 1024;

export const SUBTITLE_CONTENT_TYPE = 'text/vtt; charset=utf-8';

/** Each language's name in itself, for the player's track menu. */
export const LOCALE_LABELS: Readonly<Record<Locale, string>> = {
  ar: 'العربية',
  en: 'English',
  ku: 'Kurdî (Kurmancî)',
  ckb: 'کوردی (سۆرانی)',
  fr: 'Français',
};

export function subtitleDir(locale: string): 'rtl' | 'ltr' {
  return RTL_LOCALES.has(locale) ? 'rtl' : 'ltr';
}

export function subtitleKey(assetId: string, locale: string): string {
  return renditionKey(assetId, `subtitles/${locale}.vtt`);
}

export function createSubtitleService({ db, storage, assets, log, changes }: {
  db: Db;
  storage: ObjectStore;
  assets: Pick<AssetService, 'visibleAsset'>;
  log: Log;
  /** tracks are written through it: pages list the tracks of their videos */
  changes: Pick<Changes, 'write'>;
}) {
  async function editable(p: Principal | null, id: string): Promise<AssetRow> {
    const asset = await assets.visibleAsset(p, id);
    const owner = p !== null && asset.uploadedBy !== null && p.tokenId === asset.uploadedBy;
    demand(p, canCurate(p, asset.eventId) || owner, 'edit the subtitles of this asset');
    return asset;
  }

  /**
   * The video whose `locale` track `p` may write; checked before the body is read as well as
   * after, so a refused client is not made to send a megabyte first.
   */
  async function writable(p: Principal | null, id: string, locale: string): Promise<AssetRow> {
    const asset = await editable(p, id);
    if (asset.kind !== 'video') throw new NotVideoError(`Only videos take subtitles; asset ${asset.id} is ${asset.kind === 'image' ? 'an image' : 'a document'}`);
    const locales = (await findEventById(db, asset.eventId))?.locales ?? [];
    if (!locales.includes(locale)) {
      throw new ValidationError(`"${locale}" is not a locale of this event (${locales.join(', ')})`);
    }
    return asset;
  }

  return {
    writable,

    /** Converts and stores `body` (WebVTT or SRT); `created` is false when it replaced a track. */
    async put(p: Principal | null, id: string, locale: string, body: Buffer): Promise<{ subtitle: SubtitleRow; created: boolean }> {
      const asset = await writable(p, id, locale);
      const { vtt, cues } = toWebVtt(body);
      const bytes = Buffer.from(vtt, 'utf8');
      const key = subtitleKey(asset.id, locale);
      await storage.put(key, bytes, { contentType: SUBTITLE_CONTENT_TYPE });
      const stored = await changes.write(asset.eventId, (w) => upsertSubtitle(w, { assetId: asset.id, locale, key, bytes: bytes.length, cueCount: cues }))
        .catch((err: unknown) => {
          if ((err as { code?: string }).code === '23503') return undefined; // foreign_key_violation
          throw err;
        });
      if (!stored) {
        // The asset was deleted meanwhile, its objects with it: do not leave this one behind.
        await storage.delete(key).catch(() => {});
        throw new NotFoundError(`No asset ${id}`);
      }
      return { subtitle: stored.row, created: stored.created };
    },

    /** The track and its bytes; `open` when the public may read it too (for caching). */
    async get(p: Principal | null, id: string, locale: string): Promise<{ subtitle: SubtitleRow; open: boolean; body: () => Promise<Readable> }> {
      const asset = await assets.visibleAsset(p, id);
      const subtitle = await findSubtitle(db, asset.id, locale);
      if (!subtitle) throw new NotFoundError(`Asset ${id} has no ${locale} subtitles`);
      return { subtitle, open: isPublic(asset), body: () => storage.get(subtitle.key) };
    },

    /** Removes the track; also one in a locale the event has since dropped. */
    async remove(p: Principal | null, id: string, locale: string): Promise<void> {
      const asset = await editable(p, id);
      const row = await changes.write(asset.eventId, (w) => deleteSubtitle(w, asset.id, locale));
      if (!row) throw new NotFoundError(`Asset ${id} has no ${locale} subtitles`);
      try {
        await storage.delete(row.key);
      } catch (err) {
        // Unreachable without its row, and removed with the asset's other objects in the end.
        log.warn({ err, assetId: asset.id, locale }, 'could not delete a subtitle object');
      }
    },
  };
}

export type SubtitleService = ReturnType<typeof createSubtitleService>;
