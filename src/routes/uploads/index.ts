/**
 * Resumable uploads: tus 1.0 (core, creation, creation-with-upload, termination, expiration) at
 * /api/v1/uploads, for tus-js-client, Uppy and the mobile tus clients as they are. @tus/server
 * speaks the protocol over our store (tus-store.ts); this plugin runs it inside Fastify so the
 * auth, rate limits, logs and error replies are the rest of the API's. A request body is left
 * unread until the store reads it: the first bytes are typed before the rest is taken.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Server } from '@tus/server';
import { NodeRequest } from 'srvx/node';
import { NotFoundError, TooLargeError, UploadExpiredError, UploadProtocolError } from '../../errors.js';
import { recorded, ResumableStore, tusRequest, type TusRequestState } from './tus-store.js';

const PATH = '/api/v1/uploads';
/** response headers that name a finished upload's asset; browsers may read them */
const RESULT_HEADERS = ['Lamha-Asset-Id', 'Lamha-Duplicate', 'Lamha-Sha256'];

/** Our error for one @tus/server answered itself (a protocol breach), with its status. */
function protocolError(status: number, text: string): Error {
  const message = text.trim() || `tus request refused (${status})`;
  if (status === 404) return new NotFoundError('No such upload');
  if (status === 410) return new UploadExpiredError();
  if (status === 413) return new TooLargeError(0);
  const err = new UploadProtocolError(message);
  (err as { statusCode: number }).statusCode = status;
  return err;
}

const uploads: FastifyPluginAsync = async (app) => {
  const service = app.services.resumable;
  const base = `${app.config.publicUrl}${PATH}`;
  const origin = new URL(app.config.publicUrl).origin;
  const tus = new Server({
    path: PATH,
    datastore: new ResumableStore(service),
    maxSize: app.config.uploadMaxBytes,
    // the public address, whatever proxy the request came through
    generateUrl: (_req, { id }) => `${base}/${id}`,
    namingFunction: () => crypto.getRandomValues(Buffer.alloc(16)).toString('hex'),
    allowedOrigins: [origin],
    exposedHeaders: RESULT_HEADERS,
    disableTerminationForFinishedUploads: true,
    async onUploadFinish(_req, upload) {
      const s = tusRequest.getStore()!;
      s.finished = await recorded(() => service.finish(upload.id));
      return {};
    },
  });

  // the body stays unread for the store; other types get the framework's 415
  app.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));

  async function handle(request: FastifyRequest, reply: FastifyReply) {
    const s: TusRequestState = { principal: request.principal };
    const response = await tusRequest.run(s, () => tus.handleWeb(new NodeRequest({ req: request.raw, res: reply.raw })));
    reply.header('Tus-Resumable', '1.0.0');
    // our own errors keep their code and status: the app's error handler answers them
    if (s.error) throw s.error;
    if (response.status >= 400) throw protocolError(response.status, await response.text());
    if (request.method === 'HEAD' && s.finished === 'pending') {
      // every byte is in but the asset was not made (the finishing request failed): make it now
      s.finished = await service.finish((request.params as { id: string }).id);
    }
    reply.code(response.status);
    response.headers.forEach((value, name) => {
      reply.header(name, value);
    });
    if (s.finished && s.finished !== 'pending') {
      reply.header('Lamha-Asset-Id', s.finished.id);
      reply.header('Lamha-Duplicate', String(s.finished.duplicate));
      reply.header('Lamha-Sha256', s.finished.sha256);
    }
    const body = await response.text();
    return reply.send(body === '' ? undefined : body);
  }

  const schema = {
    tags: ['uploads'],
    security: [{ bearer: [] }],
    description: 'tus 1.0 resumable upload (https://tus.io/protocols/resumable-upload): POST with Upload-Length and Upload-Metadata '
      + '(event, album, filename, filetype, caption, locale) creates it; PATCH appends at Upload-Offset; HEAD answers the offset; '
      + 'DELETE stops it. The response that completes an upload (and a HEAD of a complete one) names the asset in Lamha-Asset-Id, '
      + 'Lamha-Duplicate and Lamha-Sha256.',
  };
  app.route({ method: ['POST', 'OPTIONS'], url: PATH, schema: { ...schema, summary: 'create a resumable upload (tus)' }, handler: handle });
  app.route({ method: ['HEAD', 'PATCH', 'DELETE', 'OPTIONS'], url: `${PATH}/:id`, schema: { ...schema, summary: 'resume, query or stop a resumable upload (tus)' }, handler: handle });
};

export default uploads;
