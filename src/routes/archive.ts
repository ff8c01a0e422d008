/**
 * GET /api/v1/events/:event/albums/:album/archive.zip: the album's press files, captions and a
 * README as one streamed ZIP (services/archive.ts), for press of the event, its editors and
 * admins. No Content-Length: the size is known only once every press file is made. A client
 * that goes away stops the work.
 */
import { create as contentDisposition } from 'content-disposition';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../services/access.js';
import { Type } from 'typebox';
import { errorRefs, Slug } from './common.js';

const Params = Type.Object({ event: Slug, album: Slug });

const archive: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/events/:event/albums/:album/archive.zip', {
    schema: {
      tags: ['albums'],
      summary: 'the album as a ZIP: press files, captions.csv, captions.json and README.txt (press of the event, editors, admins)',
      security: [{ bearer: [] }],
      params: Params,
      response: { ...errorRefs(401, 403, 404) },
    },
  }, async (request, reply) => sendArchive(app, request, reply, request.principal, request.params.event, request.params.album));
};

/** Streams an album's ZIP to `p`; a client that goes away stops the work. */
export async function sendArchive(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, p: Principal | null, event: string, album: string): Promise<FastifyReply> {
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort(new Error('the client went away'));
  });
  const zip = await app.services.archive.album(p, event, album, gone.signal);
  return reply
    .header('content-type', 'application/zip')
    .header('content-disposition', contentDisposition(zip.filename, { type: 'attachment', fallback: zip.fallbackFilename }))
    .header('cache-control', 'private, no-store')
    .header('x-content-type-options', 'nosniff')
    .send(zip.stream);
}

export default archive;
