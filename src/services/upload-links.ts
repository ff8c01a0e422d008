/**
 * Upload links: an editor hands a photographer a URL (and its QR code, for a phone) that opens
 * the uploader signed in, with no account. The link is a photographer token of the event,
 * expiring, optionally fixed to one album, revocable like any token; its secret travels in the
 * URL's fragment, which browsers never send to a server, so it is in no log and no Referer.
 * Also what a bearer may upload to (`me`), which the uploader page asks first.
 */
import QRCode from 'qrcode';
import type { Db } from '../db/database.js';
import { listAlbums, type AlbumRow } from '../db/albums.js';
import { findToken } from '../db/tokens.js';
import type { EventRow } from '../db/events.js';
import type { Localized } from '../db/events.js';
import { ValidationError } from '../errors.js';
import { canCurate, canUpload, demand, type Principal } from './access.js';
import type { EventService } from './events.js';
import type { TokenService } from './tokens.js';

/** The longest an upload link may live: it is a credential sent by chat and shown on screens. */
export const UPLOAD_LINK_MAX_DAYS = 90;

export interface NewUploadLink {
  label?: string | undefined;
  album?: string | undefined;
  expiresAt: string;
}

export interface UploaderEvent {
  slug: string;
  title: Localized;
  locales: string[];
  defaultLocale: string;
  albums: { slug: string; title: Localized; status: string }[];
}

export function uploadLinkUrl(publicUrl: string, locale: string, secret: string): string {
  return `${publicUrl}/${locale}/upload#token=${secret}`;
}

export function createUploadLinkService({ db, events, tokens, publicUrl }: {
  db: Db;
  events: Pick<EventService, 'visibleEvent' | 'list'>;
  tokens: Pick<TokenService, 'mint' | 'list' | 'revoke'>;
  publicUrl: string;
}) {
  async function uploaderEvent(event: EventRow, albumId: string | undefined): Promise<UploaderEvent> {
    const albums: AlbumRow[] = (await listAlbums(db, event.id, { publishedOnly: false })).filter((a) => albumId === undefined || a.id === albumId);
    return {
      slug: event.slug, title: event.title, locales: event.locales, defaultLocale: event.defaultLocale,
      albums: albums.map((a) => ({ slug: a.slug, title: a.title, status: a.status })),
    };
  }

  return {
    async create(p: Principal | null, eventSlug: string, input: NewUploadLink) {
      const event = await events.visibleEvent(p, eventSlug);
      demand(p, canCurate(p, event.id), 'make upload links for this event');
      const expiresAt = new Date(input.expiresAt);
      if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()) throw new ValidationError('expiresAt must be in the future');
      if (expiresAt.getTime() > Date.now() + UPLOAD_LINK_MAX_DAYS * 86_400_000) throw new ValidationError(`expiresAt may be at most ${UPLOAD_LINK_MAX_DAYS} days ahead`);
      const minted = await tokens.mint(p, {
        role: 'photographer', event: event.slug, album: input.album, label: input.label?.trim() || 'upload link', expiresAt: expiresAt.toISOString(),
      }, { link: true });
      const url = uploadLinkUrl(publicUrl, event.defaultLocale, minted.token);
      // SVG: sharp at any size on a screen or on paper, and text the page can put in as it is
      const qrSvg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return { id: minted.id, url, qrSvg, label: minted.label, album: minted.album, expiresAt: minted.expiresAt! };
    },

    async list(p: Principal | null, eventSlug: string) {
      const event = await events.visibleEvent(p, eventSlug);
      demand(p, canCurate(p, event.id), 'see the upload links of this event');
      return (await tokens.list(p, { limit: 200, eventId: event.id, linksOnly: true })).tokens;
    },

    /** What the bearer is and where it may upload: the uploader page's first question. */
    async me(p: Principal | null) {
      demand(p, p !== null && !p.share, 'say who it is');
      const row = await findToken(db, p!.tokenId);
      const visible = await events.list(p);
      const uploadable = visible.filter((e) => canUpload(p, e.id));
      const album = p!.albumId === undefined ? null : (await listAlbums(db, p!.eventId!, { publishedOnly: false })).find((a) => a.id === p!.albumId)?.slug ?? null;
      return {
        role: p!.role,
        label: row?.label ?? '',
        expiresAt: row?.expiresAt?.toISOString() ?? null,
        album,
        canMintLinks: p!.role === 'admin' || p!.role === 'editor',
        events: await Promise.all(uploadable.map((e) => uploaderEvent(e, p!.albumId))),
      };
    },
  };
}

export type UploadLinkService = ReturnType<typeof createUploadLinkService>;
