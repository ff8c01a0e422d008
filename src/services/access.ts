/**
 * Who may do what. A principal is the bearer of a live token; `null` is the public.
 * Lookups that the principal may not see answer 404 (nothing is revealed); actions on
 * something visible answer 401 for the public and 403 for a token without the right.
 */
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { Role } from '../db/tokens.js';

export interface Principal {
  tokenId: string;
  role: Role;
  /** null only for admin tokens, which span every event */
  eventId: string | null;
  /**
   * The service acting on its own (the demo loader): its token can never be presented, so there
   * is no bearer whose revocation could end what it does.
   */
  internal?: true;
  /**
   * A press link (share_links) rather than a token: press of its event, for one album only,
   * and for its web-size renditions only when its variant says so. `tokenId` is then
   * `share:<link id>`, which rate limits count by.
   */
  share?: { linkId: string; albumId: string; variant: 'original' | 'web' };
  /** a token fixed to one album (an upload link for one day's album): it uploads there only */
  albumId?: string;
}

export function isAdmin(p: Principal | null): boolean {
  return p?.role === 'admin';
}

/** Any token bound to this event, or an admin: may see the event's drafts and processing assets. */
export function isInsider(p: Principal | null, eventId: string): boolean {
  if (!p) return false;
  return p.role === 'admin' || (p.eventId === eventId && p.role !== 'press');
}

export function canCurate(p: Principal | null, eventId: string): boolean {
  return p?.role === 'admin' || (p?.role === 'editor' && p.eventId === eventId);
}

export function canUpload(p: Principal | null, eventId: string): boolean {
  return canCurate(p, eventId) || (p?.role === 'photographer' && p.eventId === eventId);
}

/** canUpload, and into this album: a token fixed to one album uploads into no other. */
export function canUploadTo(p: Principal | null, eventId: string, albumId: string): boolean {
  return canUpload(p, eventId) && (p!.albumId === undefined || p!.albumId === albumId);
}

export function canDownloadOriginals(p: Principal | null, eventId: string): boolean {
  return canCurate(p, eventId) || (p?.role === 'press' && p.eventId === eventId);
}

/** Throws 401 for the public and 403 for a token, unless `allowed`. */
export function demand(p: Principal | null, allowed: boolean, what: string): void {
  if (allowed) return;
  if (!p) throw new UnauthorizedError();
  throw new ForbiddenError(`This token may not ${what}`);
}
