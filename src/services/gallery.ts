/**
 * What the public gallery pages show, read from the database: published events, their
 * published albums, and the ready, non-hidden assets in them. Nothing here knows of HTTP or
 * HTML; a missing or non-public thing is `null`, which the pages turn into a 404.
 */
import type { Db } from '../db/database.js';
import { findAlbum, type AlbumRow } from '../db/albums.js';
import { findAsset, listAlbumAssets, withMedia as loadMedia, type AssetRow, type AssetWithMedia } from '../db/assets.js';
import { findEventBySlug, listEvents, type EventRow } from '../db/events.js';
import { listPublicAlbums, publicNeighbours, publicPageStart, type PublicAlbum } from '../db/gallery.js';
import { isPublic } from './assets.js';

export type GalleryAsset = AssetWithMedia;

export interface AlbumCard extends PublicAlbum {
  cover: GalleryAsset | null;
}

export interface EventCard {
  event: EventRow;
  cover: GalleryAsset | null;
}

export interface EventPage {
  event: EventRow;
  albums: AlbumCard[];
}

export interface AlbumPage {
  event: EventRow;
  album: AlbumRow;
  assets: GalleryAsset[];
  /** public assets in the whole album */
  total: number;
  /** 1-based */
  page: number;
  pageCount: number;
  pageSize: number;
}

export interface AssetPage {
  event: EventRow;
  album: AlbumRow;
  asset: GalleryAsset;
  previous: string | null;
  next: string | null;
  /** 1-based place in the album */
  index: number;
  total: number;
}

/** Assets per album page: a phone shows these without choking, and it is the size the benchmark measures. */
export const ALBUM_PAGE_SIZE = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createGallery({ db, pageSize = ALBUM_PAGE_SIZE }: { db: Db; pageSize?: number }) {
  const withMedia = (assets: AssetRow[]) => loadMedia(db, assets);

  async function publicEvent(slug: string): Promise<EventRow | null> {
    const event = await findEventBySlug(db, slug);
    return event && event.status === 'published' ? event : null;
  }

  async function publicAlbum(event: EventRow, slug: string): Promise<AlbumRow | null> {
    const album = await findAlbum(db, event.id, slug);
    return album && album.status === 'published' ? album : null;
  }

  async function albumCards(event: EventRow): Promise<AlbumCard[]> {
    const albums = await listPublicAlbums(db, event.id);
    const coverIds = albums.map((a) => a.coverId).filter((id): id is string => id !== null);
    const covers = await withMedia((await Promise.all(coverIds.map((id) => findAsset(db, id)))).filter((a): a is AssetRow => !!a && isPublic(a)));
    return albums.map((a) => ({ ...a, cover: covers.find((c) => c.id === a.coverId) ?? null }));
  }

  return {
    /** The event's id, whether published or not (page caches key on it), or null. */
    async eventId(slug: string): Promise<string | null> {
      return (await findEventBySlug(db, slug))?.id ?? null;
    },

    /** Published events, newest first, each with the cover of its first album that has one. */
    async events(): Promise<EventCard[]> {
      const events = await listEvents(db, { all: false });
      return Promise.all(events.map(async (event) => ({ event, cover: (await albumCards(event)).find((a) => a.cover)?.cover ?? null })));
    },

    async event(slug: string): Promise<EventPage | null> {
      const event = await publicEvent(slug);
      return event && { event, albums: await albumCards(event) };
    },

    /** Page `page` (1-based) of the album; null past the last page (except page 1 of an empty album). */
    async album(eventSlug: string, albumSlug: string, page = 1): Promise<AlbumPage | null> {
      const event = await publicEvent(eventSlug);
      const album = event && (await publicAlbum(event, albumSlug));
      if (!event || !album) return null;
      const { after, total } = await publicPageStart(db, album.id, (page - 1) * pageSize);
      const pageCount = Math.max(1, Math.ceil(total / pageSize));
      if (page > pageCount) return null;
      const rows = await listAlbumAssets(db, album.id, { publicOnly: true, after, limit: pageSize });
      return { event, album, assets: await withMedia(rows), total, page, pageCount, pageSize };
    },

    /** One public asset, only under the event and album it belongs to. */
    async asset(eventSlug: string, albumSlug: string, assetId: string): Promise<AssetPage | null> {
      if (!UUID.test(assetId)) return null;
      const event = await publicEvent(eventSlug);
      const album = event && (await publicAlbum(event, albumSlug));
      const asset = album ? await findAsset(db, assetId) : undefined;
      if (!event || !album || !asset || asset.albumId !== album.id || !isPublic(asset)) return null;
      const [[withRenditions], place, { total }] = await Promise.all([
        withMedia([asset]), publicNeighbours(db, album.id, asset.id), publicPageStart(db, album.id, 0),
      ]);
      return { event, album, asset: withRenditions!, ...place, total };
    },
  };
}

export type Gallery = ReturnType<typeof createGallery>;
