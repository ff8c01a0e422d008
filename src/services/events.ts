import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import { findAlbum, insertAlbum, listAlbums, updateAlbum, deleteAlbumRow, type AlbumPatch, type AlbumRow } from '../db/albums.js';
import { deleteEventRow, findEventBySlug, insertEvent, listEvents, updateEvent, type EventPatch, type EventRow, type Localized, type NewEvent } from '../db/events.js';
import { listAssetIdsOfAlbum } from '../db/assets.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { canCurate, demand, isAdmin, isInsider, type Principal } from './access.js';
import type { Changes } from './changes.js';
import { isLocale } from '../locales.js';

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

export function createEventService({ db, deleteAsset, changes }: {
  db: Db;
  deleteAsset: (asset: { id: string; eventId: string }) => Promise<void>;
  /** every change the public could see is written through it, so page caches drop what they hold */
  changes: Pick<Changes, 'write'>;
}) {
  /** The event if `p` may see it (published, or an insider's), else 404. */
  async function visibleEvent(p: Principal | null, slug: string): Promise<EventRow> {
    const event = await findEventBySlug(db, slug);
    if (!event || (event.status !== 'published' && !isInsider(p, event.id) && !canCurate(p, event.id))) {
      throw new NotFoundError(`No event "${slug}"`);
    }
    return event;
  }

  async function visibleAlbum(p: Principal | null, eventSlug: string, albumSlug: string): Promise<{ event: EventRow; album: AlbumRow }> {
    const event = await visibleEvent(p, eventSlug);
    const album = await findAlbum(db, event.id, albumSlug);
    if (!album || (album.status !== 'published' && !isInsider(p, event.id))) {
      throw new NotFoundError(`No album "${albumSlug}" in event "${eventSlug}"`);
    }
    return { event, album };
  }

  return {
    visibleEvent,
    visibleAlbum,

    list(p: Principal | null): Promise<EventRow[]> {
      return listEvents(db, { all: isAdmin(p), alsoEventId: p?.role === 'press' ? null : p?.eventId ?? null });
    },

    async create(p: Principal | null, input: EventInput): Promise<EventRow> {
      demand(p, isAdmin(p), 'create events');
      checkLocales(input.locales, input.defaultLocale);
      checkDates(input.startsOn, input.endsOn);
      checkLocalized('title', input.title, input.locales, true);
      if (input.description) checkLocalized('description', input.description, input.locales, false);
      const venue = venueOf(input.venue, input.defaultLocale);
      if (venue) checkLocalized('venue', venue, input.locales, false);
      try {
        return await changes.write(randomUUID(), (w) => insertEvent(w, { ...input, venue }));
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new ConflictError(`An event "${input.slug}" exists already`);
        throw err;
      }
    },

    async update(p: Principal | null, slug: string, input: EventPatchInput): Promise<EventRow> {
      const event = await visibleEvent(p, slug);
      demand(p, canCurate(p, event.id), 'edit this event');
      const locales = input.locales ?? event.locales;
      const defaultLocale = input.defaultLocale ?? event.defaultLocale;
      checkLocales(locales, defaultLocale);
      checkDates(input.startsOn ?? event.startsOn, input.endsOn ?? event.endsOn);
      const patch: EventPatch = { ...input, venue: input.venue === undefined ? undefined : venueOf(input.venue, defaultLocale) };
      // checked against the locales the event will have: dropping a locale that still has text is refused
      checkLocalized('title', patch.title ?? event.title, locales, true);
      checkLocalized('description', patch.description ?? event.description, locales, false);
      const venue = patch.venue === undefined ? event.venue : patch.venue;
      if (venue) checkLocalized('venue', venue, locales, false);
      return (await changes.write(event.id, (w) => updateEvent(w, patch)))!;
    },

    async albums(p: Principal | null, event: EventRow): Promise<AlbumRow[]> {
      return listAlbums(db, event.id, { publishedOnly: !isInsider(p, event.id) });
    },

    async createAlbum(p: Principal | null, eventSlug: string, input: { slug: string; title: Localized; caption?: Localized | undefined; position?: number | undefined }): Promise<AlbumRow> {
      const event = await visibleEvent(p, eventSlug);
      demand(p, canCurate(p, event.id), 'create albums in this event');
      checkLocalized('title', input.title, event.locales, true);
      if (input.caption) checkLocalized('caption', input.caption, event.locales, false);
      try {
        return await changes.write(event.id, (w) => insertAlbum(w, input));
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new ConflictError(`An album "${input.slug}" exists already in "${eventSlug}"`);
        throw err;
      }
    },

    async updateAlbum(p: Principal | null, eventSlug: string, albumSlug: string, patch: AlbumPatch): Promise<AlbumRow> {
      const { event, album } = await visibleAlbum(p, eventSlug, albumSlug);
      demand(p, canCurate(p, event.id), 'edit this album');
      if (patch.title) checkLocalized('title', patch.title, event.locales, true);
      if (patch.caption) checkLocalized('caption', patch.caption, event.locales, false);
      if (patch.coverAssetId) {
        const { rows } = await db.query('SELECT 1 FROM assets WHERE id = $1 AND album_id = $2', [patch.coverAssetId, album.id]);
        if (rows.length === 0) throw new ValidationError('coverAssetId must be an asset of this album');
      }
      try {
        return (await changes.write(event.id, (w) => updateAlbum(w, album.id, patch)))!;
      } catch (err) {
        if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw new ValidationError('coverAssetId must be an asset of this album');
        throw err;
      }
    },

    /** Deletes the album with every asset in it and every object of those assets. */
    async deleteAlbum(p: Principal | null, eventSlug: string, albumSlug: string): Promise<void> {
      const { event, album } = await visibleAlbum(p, eventSlug, albumSlug);
      demand(p, canCurate(p, event.id), 'delete this album');
      // each asset is its own change: one that stops half-way leaves the gallery told of what went
      for (const id of await listAssetIdsOfAlbum(db, album.id)) await deleteAsset({ id, eventId: event.id });
      await changes.write(event.id, (w) => deleteAlbumRow(w, album.id));
    },

    /**
     * Deletes the event (admins only): every album with every asset and object, then the event,
     * whose tokens and press links go with it. Assets first, each its own change, as deleteAlbum.
     */
    async deleteEvent(p: Principal | null, slug: string): Promise<void> {
      const event = await visibleEvent(p, slug);
      demand(p, isAdmin(p), 'delete events');
      for (const album of await listAlbums(db, event.id, { publishedOnly: false })) {
        for (const id of await listAssetIdsOfAlbum(db, album.id)) await deleteAsset({ id, eventId: event.id });
      }
      await changes.write(event.id, (w) => deleteEventRow(w));
    },
  };
}

function checkLocales(locales: string[], defaultLocale: string): void {
  const bad = locales.filter((l) => !isLocale(l));
  if (bad.length > 0) throw new ValidationError(`Unknown locales: ${bad.join(', ')}`);
  if (new Set(locales).size !== locales.length) throw new ValidationError('locales holds a locale twice');
  if (!locales.includes(defaultLocale)) throw new ValidationError('defaultLocale must be one of locales');
}

function checkDates(startsOn: string, endsOn: string): void {
  if (endsOn < startsOn) throw new ValidationError('endsOn must not be before startsOn');
}

/** A venue as given: per locale, or one text (the default locale's). Blank texts are dropped; nothing left is null. */
export type VenueInput = Localized | string | null;

export type EventInput = Omit<NewEvent, 'venue'> & { venue?: VenueInput | undefined };
export type EventPatchInput = Omit<EventPatch, 'venue'> & { venue?: VenueInput | undefined };

export function venueOf(venue: VenueInput | undefined, defaultLocale: string): Localized | null {
  if (venue === undefined || venue === null) return null;
  const given = typeof venue === 'string' ? { [defaultLocale]: venue } : venue;
  const kept = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ''));
  return Object.keys(kept).length > 0 ? kept : null;
}

/** Multilingual text: only the event's locales, and (when required) one in at least one of them. */
export function checkLocalized(field: string, text: Localized, locales: string[], required: boolean): void {
  const foreign = Object.keys(text).filter((k) => !locales.includes(k));
  if (foreign.length > 0) throw new ValidationError(`${field} has text in locales the event does not use: ${foreign.join(', ')}`);
  if (required && !Object.values(text).some((v) => v.trim() !== '')) throw new ValidationError(`${field} needs text in at least one locale`);
}

export type EventService = ReturnType<typeof createEventService>;
