/**
 * An album as one ZIP for press: its press files (services/press.ts), `captions.csv` and
 * `captions.json` (every locale, credit, licence, capture time, file name) and a `README.txt`
 * in the event's languages on how to credit. Streamed: entries are stored (photos and videos do
 * not deflate), ZIP64 and UTF-8 names (yazl), and one object is open at a time, read as the
 * client takes it, so memory stays flat whatever the album's size. Press files are made ahead of
 * the one being sent, a few at a time. A client that goes away stops the work.
 */
import { PassThrough, type Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import pLimit from 'p-limit';
import { ZipFile } from 'yazl';
import { listAlbumAssets, listRenditions, type AssetRow, type RenditionRow } from '../db/assets.js';
import type { AlbumRow } from '../db/albums.js';
import type { EventRow } from '../db/events.js';
import type { Log } from '../log.js';
import { fallbackJpeg } from '../media/fallback-jpeg.js';
import { NotFoundError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { TEXT, type StringKey } from '../web/locales/index.js';
import { isLocale } from '../locales.js';
import { canDownloadOriginals, demand, isInsider, type Principal } from './access.js';
import type { EventService } from './events.js';
import { pressFilenames, pressText, type PressService } from './press.js';

const PAGE = 200;
/** press files made at once for one archive */
const AHEAD = 4;

export interface ArchiveEntry {
  file: string;
  kind: string;
  caption: Record<string, string>;
  credit: string | null;
  copyright: string | null;
  license: string | null;
  licenseUrl: string | null;
  capturedAt: string | null;
  width: number | null;
  height: number | null;
}

export type ArchiveService = ReturnType<typeof createArchiveService>;

export function createArchiveService({ storage, press, events, log, db }: {
  db: Parameters<typeof listAlbumAssets>[0];
  storage: ObjectStore;
  press: Pick<PressService, 'fileOf'>;
  events: Pick<EventService, 'visibleAlbum'>;
  log: Log;
}) {
  return {
    /**
     * The album's ZIP for `p`, as a stream, and the name to save it under. Throws before the
     * first byte when `p` may not have it; `signal` (the client leaving) ends the stream.
     */
    async album(p: Principal | null, eventSlug: string, albumSlug: string, signal: AbortSignal): Promise<{ filename: string; fallbackFilename: string; stream: Readable }> {
      const { event, album } = await events.visibleAlbum(p, eventSlug, albumSlug);
      // press sees the album only once it is public, as visibleAlbum tells; editors and admins any time
      demand(p, canDownloadOriginals(p, event.id), 'download originals of this event');
      if (p?.share && p.share.albumId !== album.id) throw new NotFoundError(`No album "${albumSlug}" in event "${eventSlug}"`);
      const webOnly = p?.share?.variant === 'web';
      const publicOnly = !isInsider(p, event.id);
      const zip = new ZipFile();
      const out = new PassThrough();
      zip.outputStream.pipe(out);
      const folder = `${event.slug}_${album.slug}`;
      zip.addBuffer(Buffer.from(readme(event, album), 'utf8'), `${folder}/README.txt`, { compress: false, forceZip64Format: true });
      void fill(event, album, publicOnly, webOnly, zip, folder, signal).catch((err: unknown) => {
        if (!signal.aborted) log.error({ err, event: event.slug, album: album.slug }, 'an album archive stopped');
        out.destroy(err instanceof Error ? err : new Error(String(err)));
      });
      signal.addEventListener('abort', () => out.destroy(), { once: true });
      return { filename: `${folder}.zip`, fallbackFilename: `${folder}.zip`.replace(/[^\x20-\x7e]/g, '_'), stream: out };
    },
  };

  async function fill(event: EventRow, album: AlbumRow, publicOnly: boolean, webOnly: boolean, zip: ZipFile, folder: string, signal: AbortSignal): Promise<void> {
    const entries: ArchiveEntry[] = [];
    const limit = pLimit(AHEAD);
    let after: { position: number; id: string } | undefined;
    for (;;) {
      const rows = await listAlbumAssets(db, album.id, { publicOnly, after, limit: PAGE });
      const page = rows.filter((a) => a.status === 'ready');
      // Made a few at a time, and added in album order as each is ready. The zip holds an entry
      // as a closure until it reaches it: the object is opened then, and read as the client reads.
      const web = webOnly ? await listRenditions(db, page.map((a) => a.id)) : [];
      const made = page.map((a) => limit(async () => {
        if (signal.aborted) return undefined;
        try {
          return webOnly ? webFile(a, web) : await press.fileOf(a, event);
        } catch (err) {
          // one file that cannot be made does not cost the journalist the album
          if (!signal.aborted) log.warn({ err, assetId: a.id }, 'left out of an album archive');
          return undefined;
        }
      }));
      for (const [i, asset] of page.entries()) {
        const file = await made[i];
        if (signal.aborted) throw signal.reason;
        if (!file) continue;
        const pressName = pressFilenames(asset, event).filename;
        const name = 'ext' in file ? pressName.replace(/\.[a-z0-9]+$/, `.${file.ext}`) : pressName;
        zip.addReadStreamLazy(`${folder}/${name}`, { size: file.bytes, compress: false, forceZip64Format: true, mtime: asset.capturedAt ?? asset.createdAt }, (cb) => {
          storage.get(file.key).then((s) => cb(null, s), (err: unknown) => cb(err as Error, undefined as never));
        });
        entries.push(entry(asset, event, name));
      }
      if (rows.length < PAGE) break;
      after = { position: rows[rows.length - 1]!.position, id: rows[rows.length - 1]!.id };
    }
    zip.addBuffer(Buffer.from(captionsCsv(entries, event.locales), 'utf8'), `${folder}/captions.csv`, { compress: false, forceZip64Format: true });
    zip.addBuffer(Buffer.from(`${JSON.stringify({ event: event.slug, album: album.slug, files: entries }, null, 2)}\n`, 'utf8'), `${folder}/captions.json`, { compress: false, forceZip64Format: true });
    zip.end();
  }
}

/** The web-size file of an asset, for a 'web' press link: the JPEG fallback, the download MP4, the public PDF. */
const WEB_RENDITIONS: Record<string, { find: (own: RenditionRow[]) => RenditionRow | undefined; ext: string }> = {
  image: { find: fallbackJpeg, ext: 'jpg' },
  video: { find: (own) => own.find((x) => x.name === 'download.mp4'), ext: 'mp4' },
  document: { find: (own) => own.find((x) => x.name === 'document.pdf'), ext: 'pdf' },
};

function webFile(asset: AssetRow, renditions: RenditionRow[]): { key: string; bytes: number; ext: string } | undefined {
  const want = WEB_RENDITIONS[asset.kind];
  const r = want?.find(renditions.filter((x) => x.assetId === asset.id));
  return r && want ? { key: r.key, bytes: r.bytes, ext: want.ext } : undefined;
}

function entry(asset: AssetRow, event: EventRow, file: string): ArchiveEntry {
  const text = pressText(asset, event);
  return {
    file,
    kind: asset.kind,
    caption: text.caption,
    credit: text.creditLine ?? text.credit,
    copyright: text.copyright,
    license: text.license?.name ?? null,
    licenseUrl: text.license?.url ?? null,
    capturedAt: asset.capturedAt?.toISOString() ?? null,
    width: asset.width,
    height: asset.height,
  };
}

export function captionsCsv(entries: ArchiveEntry[], locales: readonly string[]): string {
  const header = ['file', ...locales.map((l) => `caption_${l}`), 'credit', 'copyright', 'license', 'license_url', 'captured_at', 'kind', 'width', 'height'];
  const rows = entries.map((e) => [e.file, ...locales.map((l) => e.caption[l] ?? ''), e.credit ?? '', e.copyright ?? '', e.license ?? '', e.licenseUrl ?? '', e.capturedAt ?? '', e.kind, e.width ?? '', e.height ?? '']);
  // a byte order mark, so that spreadsheet programs read the Arabic as UTF-8
  return `\ufeff${stringify([header, ...rows], { record_delimiter: 'windows' })}`;
}

/** How to credit, in each of the event's languages (the default first). */
export function readme(event: EventRow, album: AlbumRow): string {
  const locales = [event.defaultLocale, ...event.locales.filter((l) => l !== event.defaultLocale)].filter(isLocale);
  return locales.map((locale) => {
    const s = (key: StringKey) => TEXT[locale].strings[key];
    const title = s('archive.readme.title').replace('{event}', event.title[locale] ?? event.title[event.defaultLocale] ?? event.slug)
      .replace('{album}', album.title[locale] ?? album.title[event.defaultLocale] ?? album.slug);
    return [title, '', s('archive.readme.credit'), s('archive.readme.license'), s('archive.readme.captions'), s('archive.readme.privacy'), ''].join('\r\n');
  }).join('\r\n----\r\n\r\n');
}
