/**
 * Upload links (a photographer token shown as a URL and a QR code) and `GET /api/v1/me`, what
 * a bearer is and where it may upload: the uploader page's first request.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorRefs, Localized, Slug } from '../common.js';

const Stamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const EventParams = Type.Object({ event: Slug });
const CreateBody = Type.Object({
  expiresAt: Type.String({ format: 'date-time', description: 'when the link stops working; at most 90 days ahead' }),
  album: Type.Optional({ ...Slug, description: 'the only album the link uploads into; any album of the event when left out' }),
  label: Type.Optional(Type.String({ maxLength: 200, description: 'whom it is for, to tell links apart' })),
}, { additionalProperties: false });
const CreatedLink = Type.Object({
  id: Type.String({ format: 'uuid', description: 'the token id: DELETE /api/v1/upload-links/:id (or /api/v1/tokens/:id) revokes it' }),
  url: Type.String({ description: 'the link to hand out, its secret in the fragment; shown once' }),
  qrSvg: Type.String({ description: 'the link as a QR code (SVG), for a phone to scan' }),
  label: Type.String(),
  album: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.String({ format: 'date-time' }),
});
const LinkInfo = Type.Object({
  id: Type.String({ format: 'uuid' }),
  label: Type.String(),
  album: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Stamp,
  revokedAt: Stamp,
  lastUsedAt: Stamp,
});
const Me = Type.Object({
  role: Type.String(),
  label: Type.String(),
  expiresAt: Stamp,
  album: Type.Union([Type.String(), Type.Null()], { description: 'the album this token is fixed to' }),
  canMintLinks: Type.Boolean(),
  events: Type.Array(Type.Object({
    slug: Type.String(),
    title: Localized,
    locales: Type.Array(Type.String()),
    defaultLocale: Type.String(),
    albums: Type.Array(Type.Object({ slug: Type.String(), title: Localized, status: Type.String() })),
  }), { description: 'the events this bearer may upload to, with the albums it may choose' }),
});

const iso = (d: Date | null) => d?.toISOString() ?? null;

const uploadLinks: FastifyPluginAsyncTypebox = async (app) => {
  const service = app.services.uploadLinks;

  app.post('/api/v1/events/:event/upload-links', {
    schema: {
      tags: ['uploads'], summary: 'make a photographer upload link (editor, admin): a URL and QR code that open the uploader signed in',
      security: [{ bearer: [] }], params: EventParams, body: CreateBody, response: { 201: CreatedLink, ...errorRefs(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const link = await service.create(request.principal, request.params.event, request.body);
    reply.header('cache-control', 'no-store');
    return reply.code(201).send({ ...link, expiresAt: link.expiresAt.toISOString() });
  });

  app.get('/api/v1/events/:event/upload-links', {
    schema: {
      tags: ['uploads'], summary: 'the event\'s upload links, newest first, with their last use (never their secret)',
      security: [{ bearer: [] }], params: EventParams, response: { 200: Type.Object({ links: Type.Array(LinkInfo) }), ...errorRefs(401, 403, 404) },
    },
  }, async (request) => ({
    links: (await service.list(request.principal, request.params.event)).map((r) => ({
      id: r.id, label: r.label, album: r.albumSlug, createdAt: r.createdAt.toISOString(), expiresAt: iso(r.expiresAt), revokedAt: iso(r.revokedAt), lastUsedAt: iso(r.lastUsedAt),
    })),
  }));

  app.delete('/api/v1/upload-links/:id', {
    schema: {
      tags: ['uploads'], summary: 'revoke an upload link: it uploads nothing more, even mid-file',
      security: [{ bearer: [] }], params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: errorRefs(401, 403, 404),
    },
  }, async (request, reply) => {
    await app.services.tokens.revoke(request.principal, request.params.id);
    return reply.code(204).send();
  });

  app.get('/api/v1/me', {
    schema: {
      tags: ['tokens'], summary: 'who this bearer is and where it may upload', security: [{ bearer: [] }], response: { 200: Me, ...errorRefs(401) },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'private, no-store');
    return service.me(request.principal);
  });
};

export default uploadLinks;
