/**
 * Press links: an editor of an event (or an admin) hands a journalist a URL for one album that
 * works without a token until it expires or is revoked. The URL's secret is shown once; only its
 * hash is kept. A link resolves to a press principal limited to its album (and, for a 'web'
 * link, to web-size renditions), so downloads go through the same checks as a press token's.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { findAlbumById, type AlbumRow } from '../db/albums.js';
import { listAlbumAssets, withMedia, type AssetWithMedia } from '../db/assets.js';
import { isPublic } from './assets.js';
import { findEventById, type EventRow } from '../db/events.js';
import {
  findShareLink, findShareLinkByHash, insertShareLink, listShareLinks, revokeShareLink, touchShareLink, type ShareLinkRow, type ShareVariant,
} from '../db/share-links.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { canCurate, demand, type Principal } from './access.js';
import type { EventService } from './events.js';
import { hashToken } from './tokens.js';

/** The longest a link may live: a link is a bearer credential sent by e-mail and chat. */
export const SHARE_LINK_MAX_DAYS = 90;
const SECRET = /^[A-Za-z0-9_-]{43}$/;
/** files listed on a press page; the archive has them all */
const MAX_LISTED = 2000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type ResolvedLink =
  | { state: 'live'; link: ShareLinkRow; principal: Principal; event: EventRow; album: AlbumRow }
  | { state: 'expired' | 'revoked'; link: ShareLinkRow }
  | { state: 'unknown' };

export function shareUrl(publicUrl: string, secret: string): string {
  return `${publicUrl}/s/${secret}`;
}

export function createShareLinkService({ db, events }: { db: Db; events: Pick<EventService, 'visibleAlbum'> }) {
  return {
    async create(p: Principal | null, eventSlug: string, albumSlug: string, input: { expiresAt: string; variant: ShareVariant; label?: string | undefined }) {
      const { event, album } = await events.visibleAlbum(p, eventSlug, albumSlug);
      demand(p, canCurate(p, event.id), 'create press links for this event');
      const expiresAt = new Date(input.expiresAt);
      if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()) throw new ValidationError('expiresAt must be in the future');
      if (expiresAt.getTime() > Date.now() + SHARE_LINK_MAX_DAYS * 86_400_000) throw new ValidationError(`expiresAt may be at most ${SHARE_LINK_MAX_DAYS} days ahead`);
      const secret = randomBytes(32).toString('base64url');
      const link = await insertShareLink(db, {
        eventId: event.id, albumId: album.id, hash: hashToken(secret), variant: input.variant, label: input.label?.trim() || null,
        createdBy: p?.tokenId.startsWith('share:') ? null : p?.tokenId ?? null, expiresAt,
      });
      return { link, secret };
    },

    async list(p: Principal | null, eventSlug: string, albumSlug: string): Promise<ShareLinkRow[]> {
      const { event, album } = await events.visibleAlbum(p, eventSlug, albumSlug);
      demand(p, canCurate(p, event.id), 'see the press links of this event');
      return listShareLinks(db, album.id);
    },

    async revoke(p: Principal | null, id: string): Promise<void> {
      demand(p, p !== null, 'revoke press links');
      const link = UUID.test(id) ? await findShareLink(db, id) : undefined;
      // someone who may not manage the event's links is not told whether the link exists
      if (!link || !canCurate(p, link.eventId)) {
        if (link && p) demand(p, false, 'revoke press links of this event');
        throw new NotFoundError(`No press link ${id}`);
      }
      await revokeShareLink(db, id);
    },

    /** The album's files a link shows: what the public sees of it, in album order, with their renditions. */
    async files(link: ShareLinkRow): Promise<AssetWithMedia[]> {
      const rows = await listAlbumAssets(db, link.albumId, { publicOnly: true, limit: MAX_LISTED });
      return withMedia(db, rows.filter(isPublic));
    },

    /** What a secret from a URL opens, if anything; a live link's use is recorded. */
    async resolve(secret: string): Promise<ResolvedLink> {
      if (!SECRET.test(secret)) return { state: 'unknown' };
      const link = await findShareLinkByHash(db, hashToken(secret));
      if (!link) return { state: 'unknown' };
      if (link.revokedAt) return { state: 'revoked', link };
      if (link.expiresAt.getTime() <= Date.now()) return { state: 'expired', link };
      const event = await findEventById(db, link.eventId);
      const album = event && (await findAlbumById(db, event.id, link.albumId));
      if (!event || !album) return { state: 'unknown' };
      await touchShareLink(db, link.id);
      return {
        state: 'live', link, event, album,
        principal: { tokenId: `share:${link.id}`, role: 'press', eventId: link.eventId, share: { linkId: link.id, albumId: link.albumId, variant: link.variant } },
      };
    },
  };
}

export type ShareLinkService = ReturnType<typeof createShareLinkService>;
