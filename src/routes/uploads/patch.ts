/**
 * tus PATCH, served here rather than by @tus/server: the request's own stream goes to the store.
 * @tus/server turns the body into a web stream and back (srvx's Readable.toWeb, then
 * Readable.fromWeb), which on the hot path of a 3 GB upload costs CPU and, measured with
 * bench/resumable, some 20 MB more of the API's RSS than a multipart upload. It keeps the
 * protocol: the same lock as the server's other handlers (a HEAD from a resuming client takes
 * the upload over and this request ends, keeping what arrived), the same headers and answers.
 */
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Locker } from '@tus/utils';
import { UnsupportedMediaTypeError, UploadProtocolError } from '../../errors.js';
import type { ResumableService } from '../../services/resumable.js';

export const TUS_VERSION = '1.0.0';

export function protocolError(status: number, message: string): Error {
  const err = new UploadProtocolError(message);
  (err as { statusCode: number }).statusCode = status;
  return err;
}

export function patchHandler({ service, locker, finished }: {
  service: ResumableService;
  locker: Locker;
  /** sets the headers that name a finished upload's asset */
  finished(reply: FastifyReply, id: string): Promise<void>;
}) {
  return async function patch(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
    reply.header('Tus-Resumable', TUS_VERSION);
    if (request.headers['tus-resumable'] !== TUS_VERSION) throw protocolError(412, `Tus-Resumable: ${TUS_VERSION} is required`);
    if (request.headers['content-type'] !== 'application/offset+octet-stream') {
      throw new UnsupportedMediaTypeError('A PATCH carries Content-Type: application/offset+octet-stream');
    }
    const offsetHeader = request.headers['upload-offset'];
    if (typeof offsetHeader !== 'string' || !/^\d{1,16}$/.test(offsetHeader)) throw protocolError(400, 'Upload-Offset must be the offset to write at');
    const { id } = request.params;

    // The body ends, rather than fails, when the client goes away or another request takes the
    // upload over: what arrived is stored and counted, and the next request continues from it.
    const raw = request.raw;
    const body = new PassThrough();
    const stop = () => {
      raw.unpipe(body);
      if (!body.writableEnded) body.end();
    };
    raw.once('error', stop);
    raw.once('aborted', stop);
    raw.pipe(body);

    const lock = locker.newLock(id);
    const gaveUp = new AbortController();
    await lock.lock(gaveUp.signal, stop);
    let offset: number;
    try {
      offset = await service.write(request.principal, id, Number(offsetHeader), body);
    } finally {
      stop();
      await lock.unlock();
    }
    const upload = await service.get(request.principal, id);
    if (offset === upload.length) {
      await finished(reply, id);
    } else {
      reply.header('Upload-Expires', upload.expiresAt.toUTCString());
    }
    return reply.code(204).header('Upload-Offset', String(offset)).send();
  };
}
