import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorRefs } from '../common.js';
import { MintBody, MintedToken, TokenList, TokenListQuery, TokenParams } from './schemas.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

const tokens: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/api/v1/tokens', {
    schema: {
      tags: ['tokens'], summary: 'mint a bearer token (admin; editor for photographer/press tokens of its event)',
      security: [{ bearer: [] }], body: MintBody, response: { 201: MintedToken, ...errorRefs(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const minted = await app.services.tokens.mint(request.principal, request.body);
    return reply.code(201).send({ ...minted, expiresAt: minted.expiresAt?.toISOString() ?? null });
  });

  app.get('/api/v1/tokens', {
    schema: {
      tags: ['tokens'], summary: 'tokens in scope (admin: all; editor: its event\'s), newest first; never the secret',
      security: [{ bearer: [] }], querystring: TokenListQuery, response: { 200: TokenList, ...errorRefs(400, 401, 403) },
    },
  }, async (request) => {
    const { tokens: rows, nextCursor } = await app.services.tokens.list(request.principal, request.query);
    return {
      nextCursor,
      tokens: rows.map((r) => ({
        id: r.id, role: r.role, label: r.label, event: r.eventSlug, album: r.albumSlug, link: r.link,
        creator: r.createdBy === null ? null : { id: r.createdBy, label: r.creatorLabel },
        createdAt: r.createdAt.toISOString(), expiresAt: iso(r.expiresAt), revokedAt: iso(r.revokedAt), lastUsedAt: iso(r.lastUsedAt),
      })),
    };
  });

  app.delete('/api/v1/tokens/:id', {
    schema: { tags: ['tokens'], summary: 'revoke a token', security: [{ bearer: [] }], params: TokenParams, response: { ...errorRefs(401, 403, 404) } },
  }, async (request, reply) => {
    await app.services.tokens.revoke(request.principal, request.params.id);
    return reply.code(204).send();
  });
};

export default tokens;
