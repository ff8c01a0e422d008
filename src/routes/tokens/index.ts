import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorRefs } from '../common.js';
import { MintBody, MintedToken, TokenParams } from './schemas.js';

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

  app.delete('/api/v1/tokens/:id', {
    schema: { tags: ['tokens'], summary: 'revoke a token', security: [{ bearer: [] }], params: TokenParams, response: { ...errorRefs(401, 403, 404) } },
  }, async (request, reply) => {
    await app.services.tokens.revoke(request.principal, request.params.id);
    return reply.code(204).send();
  });
};

export default tokens;
