import { Type } from 'typebox';
import type { AlbumRow } from '../../db/albums.js';
import type { EventRow } from '../../db/events.js';
import { LocaleTag, Localized, Slug, Status } from '../common.js';
import { LICENSE_IDS } from '../../licenses.js';
import { AssetView } from '../assets/schemas.js';

const Day = Type.String({ format: 'date', description: 'YYYY-MM-DD' });

/** Per locale like the title, or one text for the event's default locale. */
const Venue = Type.Union([
  Type.Record(Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' }), Type.String({ maxLength: 500 })),
  Type.String({ maxLength: 500 }),
], { description: 'where it takes place, per locale ({"ar": "باريس", "en": "Paris"}), or one text taken as the default locale\'s' });

const KeepLocation = Type.Boolean({
  description: 'keep where photos and videos were taken (GPS, place names), serial numbers and owner names in the stored originals. '
    + 'false (the default): they are removed from each original when it is processed, losslessly; the public never sees them either way. '
    + 'Turning it off also forgets the positions recorded so far; originals stored while it was on keep theirs',
});

const Moderation = Type.Boolean({
  description: 'uploads wait for approval: while true, each new upload stays out of every public page, feed and download '
    + 'until an editor approves it (POST /api/v1/assets/:id/approve; GET /api/v1/events/:event/moderation lists the waiting ones). Default false',
});

const LicenseId = Type.Union(LICENSE_IDS.map((id) => Type.Literal(id)), { description: 'a licence of the catalogue (GET /api/v1/licenses)' });
const CreditTemplate = Type.String({
  minLength: 1, maxLength: 200, pattern: '\\{credit\\}',
  description: 'how a credit is written: {credit} (the asset\'s credit), {event} (the event\'s title), {year} (of capture); must name {credit}',
});

export const EventParams = Type.Object({ event: Slug });
export const AlbumParams = Type.Object({ event: Slug, album: Slug });

export const CreateEventBody = Type.Object({
  slug: Slug,
  title: Localized,
  description: Type.Optional(Localized),
  startsOn: Day,
  endsOn: Day,
  venue: Type.Optional(Venue),
  locales: Type.Array(LocaleTag, { minItems: 1 }),
  defaultLocale: LocaleTag,
  keepLocation: Type.Optional(KeepLocation),
  defaultLicense: Type.Optional(Type.Union([Type.Null(), LicenseId])),
  creditTemplate: Type.Optional(CreditTemplate),
  moderation: Type.Optional(Moderation),
}, { additionalProperties: false });

export const PatchEventBody = Type.Object({
  title: Type.Optional(Localized),
  description: Type.Optional(Localized),
  startsOn: Type.Optional(Day),
  endsOn: Type.Optional(Day),
  // Null first: with type coercion on, a null tried against the string branch first would be stored as "".
  venue: Type.Optional(Type.Union([Type.Null(), Venue])),
  locales: Type.Optional(Type.Array(LocaleTag, { minItems: 1 })),
  defaultLocale: Type.Optional(LocaleTag),
  status: Type.Optional(Status),
  keepLocation: Type.Optional(KeepLocation),
  defaultLicense: Type.Optional(Type.Union([Type.Null(), LicenseId])),
  creditTemplate: Type.Optional(CreditTemplate),
  moderation: Type.Optional(Moderation),
}, { additionalProperties: false, minProperties: 1 });

export const AlbumView = Type.Object({
  slug: Type.String(),
  title: Localized,
  caption: Localized,
  position: Type.Integer(),
  status: Status,
  coverAssetId: Type.Union([Type.String(), Type.Null()], {
    description: 'the public: the cover an editor set if the public may see it, else the first asset it may see, else null. '
      + 'Insiders (admins, the event\'s editors and photographers): the cover as set, even hidden or not ready, or null',
  }),
  assetCount: Type.Integer({
    description: 'the public: assets it may see (ready and not hidden). Insiders: every asset of the album, as their listing shows them',
  }),
});

export const EventView = Type.Object({
  slug: Type.String(),
  title: Localized,
  description: Localized,
  startsOn: Type.String(),
  endsOn: Type.String(),
  venue: Type.Union([Localized, Type.Null()]),
  locales: Type.Array(Type.String()),
  defaultLocale: Type.String(),
  status: Status,
  keepLocation: Type.Optional(Type.Boolean({ description: 'insiders only: see keepLocation of the event body' })),
  moderation: Type.Optional(Type.Boolean({ description: 'insiders only: see moderation of the event body' })),
  defaultLicense: Type.Union([Type.String(), Type.Null()]),
  creditTemplate: Type.String(),
  albums: Type.Optional(Type.Array(AlbumView)),
});

export const EventList = Type.Object({ events: Type.Array(EventView) });

export const CreateAlbumBody = Type.Object({
  slug: Slug,
  title: Localized,
  caption: Type.Optional(Localized),
  position: Type.Optional(Type.Integer({ minimum: 0 })),
}, { additionalProperties: false });

export const PatchAlbumBody = Type.Object({
  title: Type.Optional(Localized),
  caption: Type.Optional(Localized),
  position: Type.Optional(Type.Integer({ minimum: 0 })),
  status: Type.Optional(Status),
  coverAssetId: Type.Optional(Type.Union([Type.Null(), Type.String({ format: 'uuid' })])),
}, { additionalProperties: false, minProperties: 1 });

export const AlbumPageQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
});

export const AlbumWithAssets = Type.Object({
  ...AlbumView.properties,
  event: Type.String(),
  assets: Type.Array(AssetView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

/** `insider`: isInsider() of the caller for this event, who is shown every asset (see albumView). */
export function eventView(e: EventRow, albums?: AlbumRow[], insider = false) {
  const { slug, title, description, startsOn, endsOn, venue, locales, defaultLocale, status } = e;
  return {
    slug, title, description, startsOn, endsOn, venue, locales, defaultLocale, status,
    defaultLicense: e.defaultLicense, creditTemplate: e.creditTemplate,
    ...(insider && { keepLocation: e.keepLocation, moderation: e.moderation }),
    ...(albums && { albums: albums.map((a) => albumView(a, insider)) }),
  };
}

/**
 * The count and cover match the listing the caller gets: the public is never told of hidden or
 * unready assets, not even how many there are; insiders see the album as stored.
 */
export function albumView(a: AlbumRow, insider: boolean) {
  const { slug, title, caption, position, status } = a;
  return insider
    ? { slug, title, caption, position, status, coverAssetId: a.coverAssetId, assetCount: a.assetCount }
    : { slug, title, caption, position, status, coverAssetId: a.publicCoverId, assetCount: a.publicCount };
}
