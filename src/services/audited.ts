/**
 * The services as the API and the console use them, each change recorded in the audit log after
 * it is made: the service does the work and checks the rights; this records who did it, to
 * what, and the edited text before and after. Only fields a person edits are recorded: no image
 * data, and never a token's secret or a link's URL.
 */
import type { AlbumRow } from '../db/albums.js';
import type { AssetWithMedia } from '../db/assets.js';
import type { EventRow } from '../db/events.js';
import type { AssetService } from './assets.js';
import type { AuditService } from './audit.js';
import type { EventService } from './events.js';
import type { OperationsService } from './operations.js';
import type { ShareLinkService } from './share-links.js';
import type { TokenService } from './tokens.js';

type Fields = Record<string, unknown>;

/** The fields of `after` that differ from `before`, each side as it was. */
function changed(before: Fields, after: Fields, keys: readonly string[]): { before: Fields; after: Fields } | null {
  const b: Fields = {};
  const a: Fields = {};
  for (const k of keys) {
    if (JSON.stringify(before[k] ?? null) === JSON.stringify(after[k] ?? null)) continue;
    b[k] = before[k] ?? null;
    a[k] = after[k] ?? null;
  }
  return Object.keys(a).length === 0 ? null : { before: b, after: a };
}

const EVENT_FIELDS = ['title', 'description', 'venue', 'startsOn', 'endsOn', 'locales', 'defaultLocale', 'status', 'keepLocation', 'moderation', 'defaultLicense', 'creditTemplate'] as const;
const ALBUM_FIELDS = ['title', 'caption', 'status', 'position', 'coverAssetId'] as const;
const ASSET_FIELDS = ['caption', 'altText', 'credit', 'license', 'hidden', 'albumSlug', 'position'] as const;

const eventLabel = (e: EventRow) => e.slug;
const albumLabel = (a: AlbumRow) => a.slug;
const assetLabel = (a: AssetWithMedia) => `${a.albumSlug}/${a.originalFilename}`;

export function auditedEvents(events: EventService, audit: AuditService): EventService {
  return {
    ...events,
    async create(p, input) {
      const e = await events.create(p, input);
      await audit.record(p, { action: 'event.create', eventId: e.id, targetKind: 'event', targetId: e.id, targetLabel: eventLabel(e), after: { title: e.title, status: e.status } });
      return e;
    },
    async update(p, slug, input) {
      const before = await events.visibleEvent(p, slug);
      const after = await events.update(p, slug, input);
      const diff = changed(before as unknown as Fields, after as unknown as Fields, EVENT_FIELDS);
      if (diff) await audit.record(p, { action: 'event.update', eventId: after.id, targetKind: 'event', targetId: after.id, targetLabel: eventLabel(after), ...diff });
      return after;
    },
    async deleteEvent(p, slug) {
      const before = await events.visibleEvent(p, slug);
      await events.deleteEvent(p, slug);
      await audit.record(p, { action: 'event.delete', eventId: before.id, targetKind: 'event', targetId: before.id, targetLabel: eventLabel(before), before: { title: before.title } });
    },
    async createAlbum(p, eventSlug, input) {
      const a = await events.createAlbum(p, eventSlug, input);
      await audit.record(p, { action: 'album.create', eventId: a.eventId, targetKind: 'album', targetId: a.id, targetLabel: albumLabel(a), after: { title: a.title, caption: a.caption } });
      return a;
    },
    async updateAlbum(p, eventSlug, albumSlug, patch) {
      const { album: before } = await events.visibleAlbum(p, eventSlug, albumSlug);
      const after = await events.updateAlbum(p, eventSlug, albumSlug, patch);
      const diff = changed(before as unknown as Fields, after as unknown as Fields, ALBUM_FIELDS);
      if (diff) await audit.record(p, { action: 'album.update', eventId: after.eventId, targetKind: 'album', targetId: after.id, targetLabel: albumLabel(after), ...diff });
      return after;
    },
    async deleteAlbum(p, eventSlug, albumSlug) {
      const { album } = await events.visibleAlbum(p, eventSlug, albumSlug);
      await events.deleteAlbum(p, eventSlug, albumSlug);
      await audit.record(p, { action: 'album.delete', eventId: album.eventId, targetKind: 'album', targetId: album.id, targetLabel: albumLabel(album), before: { title: album.title } });
    },
  };
}

export function auditedAssets(assets: AssetService, audit: AuditService): AssetService {
  return {
    ...assets,
    async edit(p, id, edit) {
      const before = await assets.get(p, id);
      const after = await assets.edit(p, id, edit);
      const diff = changed(before as unknown as Fields, after as unknown as Fields, ASSET_FIELDS);
      if (diff) await audit.record(p, { action: 'asset.update', eventId: after.eventId, targetKind: 'asset', targetId: after.id, targetLabel: assetLabel(after), ...diff });
      return after;
    },
    async approve(p, id) {
      const a = await assets.approve(p, id);
      await audit.record(p, { action: 'asset.approve', eventId: a.eventId, targetKind: 'asset', targetId: a.id, targetLabel: assetLabel(a) });
      return a;
    },
    async remove(p, id) {
      const before = await assets.get(p, id);
      await assets.remove(p, id);
      // what it was, in words: no image, no fingerprint of the file
      await audit.record(p, { action: 'asset.delete', eventId: before.eventId, targetKind: 'asset', targetId: before.id, targetLabel: assetLabel(before), before: { caption: before.caption, credit: before.credit } });
    },
  };
}

/** `eventOfSlug`, `eventOfToken`: the event an entry belongs to, so the event's editors read it. */
export function auditedTokens(tokens: TokenService, audit: AuditService, lookup: { eventOfSlug(slug: string): Promise<string | null>; eventOfToken(id: string): Promise<string | null> }): TokenService {
  return {
    ...tokens,
    async mint(p, req, options) {
      const minted = await tokens.mint(p, req, options);
      await audit.record(p, {
        action: options?.link ? 'upload-link.create' : 'token.create', eventId: minted.event ? await lookup.eventOfSlug(minted.event) : null,
        targetKind: 'token', targetId: minted.id, targetLabel: minted.label,
        after: { role: minted.role, album: minted.album, expiresAt: minted.expiresAt?.toISOString() ?? null },
      });
      return minted;
    },
    async revoke(p, id) {
      await tokens.revoke(p, id);
      await audit.record(p, { action: 'token.revoke', eventId: await lookup.eventOfToken(id), targetKind: 'token', targetId: id, targetLabel: null });
    },
  };
}

export function auditedShareLinks(links: ShareLinkService, audit: AuditService, eventOfLink: (id: string) => Promise<string | null>): ShareLinkService {
  return {
    ...links,
    async create(p, eventSlug, albumSlug, input) {
      const made = await links.create(p, eventSlug, albumSlug, input);
      await audit.record(p, {
        action: 'press-link.create', eventId: made.link.eventId, targetKind: 'press-link', targetId: made.link.id, targetLabel: `${albumSlug}: ${made.link.label ?? ''}`,
        after: { variant: made.link.variant, expiresAt: made.link.expiresAt.toISOString() },
      });
      return made;
    },
    async revoke(p, id) {
      await links.revoke(p, id);
      await audit.record(p, { action: 'press-link.revoke', eventId: await eventOfLink(id), targetKind: 'press-link', targetId: id, targetLabel: null });
    },
  };
}

export function auditedOperations(ops: OperationsService, audit: AuditService): OperationsService {
  return {
    ...ops,
    async retry(p, id) {
      const a = await ops.retry(p, id);
      await audit.record(p, { action: 'asset.retry', eventId: a.eventId, targetKind: 'asset', targetId: a.id, targetLabel: assetLabel(a) });
      return a;
    },
  };
}
