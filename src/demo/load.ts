/**
 * Loads the demo event (./content.ts) through the services, as an admin would through the API:
 * the same checks of type, size, pixels and duplicates as any upload, the same jobs queued, the
 * same gallery versions bumped. Idempotent: what exists is found and left as it is (only what is
 * missing is added: an album, a file, a caption's language, a subtitle track), so a second run
 * changes nothing. It does not wait for the worker: photos appear as they become ready.
 *
 * Reads its files from a checkout: test/fixtures and src/demo/subtitles under `root`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { findAssetIdBySha256 } from '../db/assets.js';
import { ensureInternalToken } from '../db/tokens.js';
import type { Log } from '../log.js';
import type { Services } from '../plugins/services.js';
import type { Principal } from '../services/access.js';
import { createSubtitleService } from '../services/subtitles.js';
import type { UploadPart } from '../services/uploads.js';
import type { ObjectStore } from '../storage/object-store.js';
import { DEMO_ALBUMS, DEMO_EVENT, DEMO_ITEMS, type DemoItem } from './content.js';

/** What loadDemo needs: a built app (`buildApp(…)`) has all of it. */
export interface DemoDeps {
  services: Services;
  db: Db;
  storage: ObjectStore;
  config: Readonly<Pick<Config, 'publicUrl'>>;
  log: Log;
}

export interface LoadedDemo {
  event: string;
  /** what this run created or completed; 0 when the demo was loaded already */
  changes: number;
  assets: { file: string; album: string; id: string; kind: string }[];
  /** gallery pages in the event's default locale */
  urls: { event: string; albums: Record<string, string> };
}

/** The checkout this module runs from (src/demo or dist/src/demo): the nearest folder with package.json. */
export function checkoutRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

const isNotFound = (err: unknown): boolean => (err as { code?: string }).code === 'LAMHA_NOT_FOUND';
const orUndefined = <T>(p: Promise<T>): Promise<T | undefined> => p.catch((err: unknown) => {
  if (isNotFound(err)) return undefined;
  throw err;
});

async function sha256Of(file: string): Promise<Buffer> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest();
}

async function* uploadParts(item: DemoItem, file: string, locale: string): AsyncIterable<UploadPart> {
  yield { type: 'field', field: 'locale', value: locale };
  yield { type: 'field', field: 'caption', value: item.caption[locale]! };
  yield { type: 'field', field: 'credit', value: item.credit };
  yield { type: 'field', field: 'license', value: item.license };
  yield { type: 'file', field: 'file', filename: item.file, stream: createReadStream(file) };
}

export async function loadDemo(deps: DemoDeps, options: { root?: string } = {}): Promise<LoadedDemo> {
  const { services, db, log } = deps;
  const root = options.root ?? checkoutRoot();
  const fixtures = path.join(root, 'test', 'fixtures');
  const subtitleDir = path.join(root, 'src', 'demo', 'subtitles');
  const subtitles = createSubtitleService({ db, storage: deps.storage, assets: services.assets, changes: services.changes, log });
  const p: Principal = { tokenId: await ensureInternalToken(db, 'demo loader'), role: 'admin', eventId: null, internal: true };
  const slug = DEMO_EVENT.slug;
  let changes = 0;

  let event = await orUndefined(services.events.visibleEvent(p, slug));
  if (!event) {
    const { title, description, venue, startsOn, endsOn, locales, defaultLocale } = DEMO_EVENT;
    event = await services.events.create(p, { slug, title, description, venue, startsOn, endsOn, locales: [...locales], defaultLocale });
    changes++;
  }
  if (event.status !== 'published') {
    await services.events.update(p, slug, { status: 'published' });
    changes++;
  }
  for (const [position, a] of DEMO_ALBUMS.entries()) {
    let album = (await orUndefined(services.events.visibleAlbum(p, slug, a.slug)))?.album;
    if (!album) {
      album = await services.events.createAlbum(p, slug, { slug: a.slug, title: a.title, caption: a.caption, position });
      changes++;
    }
    if (album.status !== 'published') {
      await services.events.updateAlbum(p, slug, a.slug, { status: 'published' });
      changes++;
    }
  }

  const loaded: LoadedDemo['assets'] = [];
  // A new upload comes first in its album: the last item goes up first, so the albums read in
  // the order DEMO_ITEMS lists them.
  for (const item of [...DEMO_ITEMS].reverse()) {
    const file = path.join(fixtures, item.file);
    // a file already in the event (by its bytes) is not sent again
    let id = (await findAssetIdBySha256(db, event.id, await sha256Of(file)))?.id;
    if (!id) {
      const [uploaded] = await services.uploads.ingest(p, slug, item.album, uploadParts(item, file, event.defaultLocale));
      id = uploaded!.id;
      if (!uploaded!.duplicate) changes++;
    }
    const asset = await services.assets.get(p, id);
    const missing = Object.fromEntries(Object.entries(item.caption).filter(([locale]) => !asset.caption[locale]));
    const edit = {
      ...(Object.keys(missing).length > 0 && { caption: missing }),
      ...(!asset.credit && { credit: item.credit }),
      ...(!asset.license && { license: item.license }),
    };
    if (Object.keys(edit).length > 0) {
      await services.assets.edit(p, id, edit);
      changes++;
    }
    for (const [locale, name] of Object.entries(item.subtitles ?? {})) {
      if (await orUndefined(subtitles.get(p, id, locale))) continue;
      await subtitles.put(p, id, locale, await readFile(path.join(subtitleDir, name)));
      changes++;
    }
    loaded.unshift({ file: item.file, album: item.album, id, kind: asset.kind });
  }

  const base = `${deps.config.publicUrl}/${event.defaultLocale}/e/${slug}`;
  const urls = { event: base, albums: Object.fromEntries(DEMO_ALBUMS.map((a) => [a.slug, `${base}/${a.slug}`])) };
  log.info({ event: slug, changes, assets: loaded.length }, changes > 0 ? 'demo loaded' : 'demo already loaded');
  return { event: slug, changes, assets: loaded, urls };
}

/** The lines `npm run demo` prints. */
export function demoBanner(demo: LoadedDemo): string {
  const albums = Object.values(demo.urls.albums).map((u) => `  ${u}\n`).join('');
  const what = demo.changes > 0 ? 'loaded; its photos appear as the worker makes them ready (a few seconds)' : 'was loaded already';
  return `\nThe demo event "${demo.event}" ${what}. Its gallery:\n\n  ${demo.urls.event}\n${albums}\n`;
}
