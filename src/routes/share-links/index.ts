/**
 * Press links: the API editors manage them with, and what their URL opens without a token — the
 * press page (`/s/:secret`, `/{locale}/s/:secret`), one file (`/s/:secret/files/:id`: the press
 * file, or the web-size rendition for a 'web' link) and the album's ZIP (`/s/:secret/archive.zip`).
 * The auth plugin has resolved the link by then (request.shareLink, and the principal when live).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import { Type } from 'typebox';
import { LinkGoneError, NotFoundError } from '../../errors.js';
import { LOCALES, type Locale } from '../../locales.js';
import { fallbackJpeg } from '../../media/fallback-jpeg.js';
import { renditionUrl } from '../../services/urls.js';
import { shareUrl, type ResolvedLink } from '../../services/share-links.js';
import { pageContext } from '../../web/context.js';
import { pressGonePage, pressPage } from '../../web/pages/press.js';
import { sendArchive } from '../archive.js';
import { sendPressFile } from '../assets/original.js';
import { errorRefs, Slug } from '../common.js';

const AlbumParams = Type.Object({ event: Slug, album: Slug });
const ShareLink = Type.Object({
  id: Type.String(),
  variant: Type.Union([Type.Literal('original'), Type.Literal('web')]),
  label: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  expiresAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
});
const CreatedLink = Type.Object({ ...ShareLink.properties, url: Type.String({ description: 'the link to hand out; shown once' }) });
const CreateBody = Type.Object({
  expiresAt: Type.String({ format: 'date-time', description: 'when the link stops working; at most 90 days ahead' }),
  variant: Type.Union([Type.Literal('original'), Type.Literal('web')], { default: 'original', description: 'original: press files; web: web-size copies' }),
  label: Type.Optional(Type.String({ maxLength: 200, description: 'whom it is for, to tell links apart' })),
}, { additionalProperties: false });

declare module 'fastify' {
  interface FastifyRequest {
    /** what a /s/:secret URL's link is, set by the auth plugin */
    shareLink?: ResolvedLink;
  }
}

type LinkRow = Extract<ResolvedLink, { link: unknown }>['link'];
const view = (l: LinkRow) => ({
  id: l.id, variant: l.variant, label: l.label, createdAt: l.createdAt.toISOString(), expiresAt: l.expiresAt.toISOString(),
  revokedAt: l.revokedAt?.toISOString() ?? null, lastUsedAt: l.lastUsedAt?.toISOString() ?? null,
});

const HIDDEN = { schema: { hide: true } };
const NEGOTIATION_ORDER: string[] = ['en', ...LOCALES.filter((l) => l !== 'en')];

const shareLinks: FastifyPluginAsyncTypebox = async (app) => {
  const service = app.services.shareLinks;

  app.post('/api/v1/events/:event/albums/:album/share-links', {
    schema: { tags: ['albums'], summary: 'a press link for the album (editors of the event, admins)', security: [{ bearer: [] }], params: AlbumParams, body: CreateBody, response: { 201: CreatedLink, ...errorRefs(400, 401, 403, 404) } },
  }, async (request, reply) => {
    const { link, secret } = await service.create(request.principal, request.params.event, request.params.album, request.body);
    return reply.code(201).send({ ...view(link), url: shareUrl(app.config.publicUrl, secret) });
  });

  app.get('/api/v1/events/:event/albums/:album/share-links', {
    schema: { tags: ['albums'], summary: "the album's press links, with their last use", security: [{ bearer: [] }], params: AlbumParams, response: { 200: Type.Object({ links: Type.Array(ShareLink) }), ...errorRefs(401, 403, 404) } },
  }, async (request) => ({ links: (await service.list(request.principal, request.params.event, request.params.album)).map(view) }));

  app.delete('/api/v1/share-links/:id', {
    schema: { tags: ['albums'], summary: 'withdraw a press link', security: [{ bearer: [] }], params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { ...errorRefs(401, 403, 404) } },
  }, async (request, reply) => {
    await service.revoke(request.principal, request.params.id);
    return reply.code(204).send();
  });

  /** The live link of this request, or the refusal an API client gets. */
  function live(request: FastifyRequest): Extract<ResolvedLink, { state: 'live' }> {
    const r = request.shareLink;
    if (r?.state === 'live') return r;
    if (r?.state === 'expired' || r?.state === 'revoked') throw new LinkGoneError();
    throw new NotFoundError('No such press link');
  }

  async function page(request: FastifyRequest, reply: FastifyReply, locale: Locale, secret: string) {
    const r = request.shareLink;
    void reply.header('cache-control', 'private, no-store').header('referrer-policy', 'no-referrer').header('x-robots-tag', 'noindex')
      .header('content-type', 'text/html; charset=utf-8').header('content-language', locale);
    const ctx = (event?: { locales: string[]; defaultLocale: string }) => pageContext({
      locale, publicUrl: app.config.publicUrl, path: `s/${secret}`, ...(event && { contentLocales: event.locales, defaultLocale: event.defaultLocale }),
    });
    if (r?.state !== 'live') return reply.code(r?.state === 'expired' || r?.state === 'revoked' ? 410 : 404).send(pressGonePage(ctx()));
    const assets = await service.files(r.link);
    return reply.send(pressPage(ctx(r.event), { event: r.event, album: r.album, assets, variant: r.link.variant, expiresAt: r.link.expiresAt, base: `/s/${secret}` }));
  }

  app.get<{ Params: { secret: string } }>('/s/:secret', HIDDEN, async (request, reply) => {
    const r = request.shareLink;
    const offered = [...new Set(r?.state === 'live' ? [r.event.defaultLocale, ...NEGOTIATION_ORDER] : NEGOTIATION_ORDER)];
    const locale = ((new Negotiator(request).language(offered) as string | undefined) ?? offered[0]) as Locale;
    void reply.header('vary', 'Accept-Language');
    return page(request, reply, locale, request.params.secret);
  });
  for (const locale of LOCALES) {
    app.get<{ Params: { secret: string } }>(`/${locale}/s/:secret`, HIDDEN, async (request, reply) => page(request, reply, locale, request.params.secret));
  }

  // the id is checked before it reaches the database, which would refuse a malformed uuid with a 500
  app.get('/s/:secret/files/:id', { schema: { hide: true, params: Type.Object({ secret: Type.String(), id: Type.String({ format: 'uuid' }) }) } }, async (request, reply) => {
    const r = live(request);
    if (r.link.variant === 'original') return sendPressFile(app, request, reply, await app.services.press.file(r.principal, request.params.id));
    // a web-size link: the public rendition, from its public URL
    const asset = await app.services.assets.get(null, request.params.id).catch(() => undefined);
    if (!asset || asset.albumId !== r.link.albumId) throw new NotFoundError(`No asset ${request.params.id}`);
    const rendition = asset.kind === 'video' ? asset.renditions.find((x) => x.name === 'download.mp4')
      : asset.kind === 'document' ? asset.renditions.find((x) => x.name === 'document.pdf') : fallbackJpeg(asset.renditions);
    if (!rendition) throw new NotFoundError(`Asset ${asset.id} has no web-size file`);
    return reply.header('referrer-policy', 'no-referrer').redirect(renditionUrl('', rendition), 302);
  });

  app.get<{ Params: { secret: string } }>('/s/:secret/archive.zip', HIDDEN, async (request, reply) => {
    const r = live(request);
    return sendArchive(app, request, reply, r.principal, r.event.slug, r.album.slug);
  });
};

export default shareLinks;
