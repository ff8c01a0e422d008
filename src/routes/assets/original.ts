/**
 * GET /api/v1/assets/:id/original: the press file (services/press.ts) for press of the event,
 * its editors and admins, never the public. Saved under a meaningful name: the header is written
 * by `content-disposition` (RFC 6266 with RFC 8187 `filename*`), so an Arabic credit arrives
 * whole and quotes, semicolons or line breaks cannot end the parameter. Range, ETag and HEAD as
 * for renditions; never kept by a shared cache.
 */
import { create as contentDisposition } from 'content-disposition';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PressFile } from '../../services/press.js';
import { Type } from 'typebox';
import { notModified } from '../../http-cache.js';
import { errorRefs } from '../common.js';
import { sendBytes } from '../media/http.js';

const Params = Type.Object({ id: Type.String({ format: 'uuid' }) });

const original: FastifyPluginAsyncTypebox = async (app) => {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/v1/assets/:id/original',
    schema: {
      tags: ['assets'],
      summary: 'the press file: the original without location, serials, owner names and maker notes, with the caption in every locale, credit, copyright, licence and event written in (press of the event, editors, admins)',
      security: [{ bearer: [] }],
      params: Params,
      response: { ...errorRefs(401, 403, 404, 409, 416, 422) },
    },
    handler: async (request, reply) => sendPressFile(app, request, reply, await app.services.press.file(request.principal, request.params.id)),
  });
};

/** Sends a press file: its name, validators, one byte range, no shared caching. */
export async function sendPressFile(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, file: PressFile): Promise<FastifyReply> {
  void reply
    .header('etag', file.etag)
    .header('cache-control', 'private, no-store')
    .header('accept-ranges', 'bytes')
    .header('x-content-type-options', 'nosniff')
    .header('content-disposition', contentDisposition(file.filename, { type: 'attachment', fallback: file.fallbackFilename }));
  if (notModified(request.headers, file.etag)) return reply.code(304).send();
  return sendBytes(request, reply, { etag: file.etag, size: file.bytes, type: file.type, body: (range) => (range ? app.storage.get(file.key, range) : app.storage.get(file.key)) });
}

export default original;
