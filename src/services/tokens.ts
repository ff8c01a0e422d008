import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { findAlbum } from '../db/albums.js';
import { findEventBySlug } from '../db/events.js';
import {
  countLiveAdmins, findLiveTokenByHash, findLiveTokenById, findToken, insertToken, listTokens, revokeToken, touchToken, upsertBootstrapAdmin,
  type Role, type TokenListRow, type TokenRow,
} from '../db/tokens.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { demand, type Principal } from './access.js';

export const TOKEN_PREFIX = 'lamha_';

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export interface MintRequest {
  role: Role;
  event?: string | undefined;
  /** fixes a photographer token to one album of its event (its slug) */
  album?: string | undefined;
  label: string;
  expiresAt?: string | undefined;
}

export interface MintedToken {
  id: string;
  token: string;
  role: Role;
  event: string | null;
  label: string;
  album: string | null;
  expiresAt: Date | null;
}

export function createTokenService({ db }: { db: Db }) {
  return {
    /** The principal behind an Authorization header value; undefined when it is not a live token. */
    async authenticate(secret: string): Promise<Principal | undefined> {
      const row = await findLiveTokenByHash(db, hashToken(secret));
      if (!row) return undefined;
      if (row.lastUsedAt === null || Date.now() - row.lastUsedAt.getTime() > 60_000) await touchToken(db, row.id);
      return { tokenId: row.id, role: row.role, eventId: row.eventId, ...(row.albumId !== null && { albumId: row.albumId }) };
    },

    /**
     * The principal of a token known by its id, with its label, while it is live: the console
     * checks its session's token on every request, so a revocation or expiry signs it out.
     */
    async principalById(id: string): Promise<(Principal & { label: string }) | undefined> {
      const row = await findLiveTokenById(db, id);
      if (!row) return undefined;
      if (row.lastUsedAt === null || Date.now() - row.lastUsedAt.getTime() > 60_000) await touchToken(db, row.id);
      return { tokenId: row.id, role: row.role, eventId: row.eventId, label: row.label, ...(row.albumId !== null && { albumId: row.albumId }) };
    },

    /** `link`: the token is handed out as an upload link (listed as one). */
    async mint(p: Principal | null, req: MintRequest, { link = false } = {}): Promise<MintedToken> {
      demand(p, p?.role === 'admin' || p?.role === 'editor', 'create tokens');
      const principal = p!;
      let expiresAt: Date | null = null;
      if (req.expiresAt !== undefined) {
        expiresAt = new Date(req.expiresAt);
        if (Number.isNaN(expiresAt.getTime())) throw new ValidationError('expiresAt is not a date-time');
        if (expiresAt.getTime() <= Date.now()) throw new ValidationError('expiresAt must be in the future');
      }
      let eventId: string | null = null;
      let eventSlug: string | null = null;
      if (req.role === 'admin') {
        if (principal.role !== 'admin') throw new ForbiddenError('Only an admin may create admin tokens');
        if (req.event !== undefined) throw new ValidationError('Admin tokens span every event: leave out "event"');
      } else {
        if (principal.role === 'editor' && req.role === 'editor') {
          throw new ForbiddenError('An editor may create photographer and press tokens only');
        }
        if (req.event === undefined && principal.role === 'admin') throw new ValidationError(`A ${req.role} token needs an "event"`);
        const slug = req.event;
        const event = slug === undefined ? undefined : await findEventBySlug(db, slug);
        if (slug !== undefined && !event) throw new NotFoundError(`No event "${slug}"`);
        eventId = event?.id ?? principal.eventId;
        if (principal.role === 'editor' && eventId !== principal.eventId) {
          throw new ForbiddenError('An editor may create tokens for its own event only');
        }
        eventSlug = event?.slug ?? null;
      }
      let albumId: string | null = null;
      if (req.album !== undefined) {
        if (req.role !== 'photographer') throw new ValidationError('Only photographer tokens are fixed to an album');
        const album = eventId === null ? undefined : await findAlbum(db, eventId, req.album);
        if (!album) throw new ValidationError(`album must be an album of the token's event; there is no "${req.album}"`);
        albumId = album.id;
      }
      // a minted token never outlives its parent: no expiry, or a later one, becomes the parent's
      const parent = await findToken(db, principal.tokenId);
      if (parent?.expiresAt && (expiresAt === null || expiresAt > parent.expiresAt)) expiresAt = parent.expiresAt;
      const token = generateToken();
      const row = await insertToken(db, {
        hash: hashToken(token), role: req.role, eventId, label: req.label, createdBy: principal.tokenId, expiresAt, albumId, link,
      });
      if (eventSlug === null && eventId !== null) eventSlug = (await eventSlugOf(db, eventId)) ?? null;
      return { id: row.id, token, role: row.role, event: eventSlug, label: row.label, album: req.album ?? null, expiresAt: row.expiresAt };
    },

    async revoke(p: Principal | null, id: string): Promise<void> {
      demand(p, p?.role === 'admin' || p?.role === 'editor', 'revoke tokens');
      const row: TokenRow | undefined = await findToken(db, id);
      const visible = row && (p!.role === 'admin' || row.eventId === p!.eventId);
      if (!visible) throw new NotFoundError(`No token ${id}`);
      if (p!.role === 'editor' && row.id !== p!.tokenId && !['photographer', 'press'].includes(row.role)) {
        throw new ForbiddenError('An editor may revoke photographer and press tokens only');
      }
      await revokeToken(db, id);
    },

    /** Tokens in the caller's scope (admin: all; editor: its event's), newest first, never a secret. */
    async list(p: Principal | null, q: { cursor?: string | undefined; limit: number; eventId?: string; linksOnly?: boolean }): Promise<{ tokens: TokenListRow[]; nextCursor: string | null }> {
      demand(p, p?.role === 'admin' || p?.role === 'editor', 'list tokens');
      if (q.eventId !== undefined && p!.role !== 'admin' && q.eventId !== p!.eventId) throw new ForbiddenError('An editor may list its own event\'s tokens only');
      // the cursor is the id of the last token of the previous page
      const rows = await listTokens(db, { eventId: q.eventId ?? (p!.role === 'admin' ? undefined : p!.eventId!), after: q.cursor, limit: q.limit + 1, linksOnly: q.linksOnly ?? false });
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      const nextCursor = rows.length > q.limit && last ? last.id : null;
      return { tokens: page, nextCursor };
    },

    /**
     * Start-up: the configured ADMIN_TOKEN becomes a live admin token; with none configured and
     * no admin yet, one is made and returned so the caller can print it once.
     */
    async bootstrapAdmin(adminToken: string | undefined): Promise<string | undefined> {
      if (adminToken !== undefined) {
        await upsertBootstrapAdmin(db, hashToken(adminToken));
        return undefined;
      }
      if ((await countLiveAdmins(db)) > 0) return undefined;
      const token = generateToken();
      await insertToken(db, { hash: hashToken(token), role: 'admin', eventId: null, label: 'first admin', createdBy: null, expiresAt: null });
      return token;
    },
  };
}

async function eventSlugOf(db: Db, eventId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ slug: string }>('SELECT slug FROM events WHERE id = $1', [eventId]);
  return rows[0]?.slug;
}

export type TokenService = ReturnType<typeof createTokenService>;
