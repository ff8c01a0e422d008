/**
 * Renditions, streamed from object storage: public for published, visible, ready assets;
 * otherwise only to tokens of the event. Originals are never served here.
 *
 * URLs carry the rendition's version (`?v=`, see services/urls.ts). With the current version the
 * bytes behind the URL never change, so browsers keep it a day; shared caches revalidate within a minute, so a takedown reaches them. Without it, or with
 * an old one, the current bytes are served with a short lifetime rather than a redirect to the
 * current URL: a redirect costs a visitor on a slow link a second round trip for every image of a
 * page cached before the rendition was re-made, and the page itself is refreshed on that change.
 * HLS playlists are served with the version added to the URIs they name (see playlist.ts).
 */
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RangeNotSatisfiableError } from '../../errors.js';
import { notModified } from '../../http-cache.js';
import { errorRefs } from '../common.js';
import { documentDisposition, PUBLIC_PDF_RENDITION } from './document.js';
import { answerRange, cacheControl, entityTag } from './http.js';
import { MAX_REWRITTEN_PLAYLIST, PLAYLIST_TYPE, versionPlaylist } from './playlist.js';

const MediaParams = Type.Object({
  assetId: Type.String({ format: 'uuid' }),
  '*': Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$', maxLength: 200 }),
});

const MediaQuery = Type.Object({
  v: Type.Optional(Type.String({ maxLength: 40, description: 'the rendition\'s version, as in the URLs the API gives out' })),
});

const media: FastifyPluginAsyncTypebox = async (app) => {
  // HEAD is declared, not derived: Fastify's derived HEAD route would answer Content-Length: 0.
  app.route({
    method: ['GET', 'HEAD'],
    url: '/media/:assetId/*',
    schema: {
      tags: ['media'],
      summary: 'a rendition of an asset (thumb.webp, medium.webp, large.webp, large.jpg, …); Range, If-None-Match and HEAD supported',
      params: MediaParams,
      querystring: MediaQuery,
      response: { ...errorRefs(400, 404, 416) },
    },
    handler: async (request, reply) => {
      const { assetId, '*': name } = request.params;
      const r = await app.services.assets.rendition(request.principal, assetId, name);
      if (name === PUBLIC_PDF_RENDITION) void reply.header('content-disposition', await documentDisposition(app.services, request.principal, assetId));
      // A playlist is read whole (it is small) to carry the version to the URIs it names.
      const playlist = r.type === PLAYLIST_TYPE && r.bytes <= MAX_REWRITTEN_PLAYLIST
        ? Buffer.from(versionPlaylist((await readAll(await app.storage.get(r.key))).toString('utf8'), r.version), 'utf8')
        : undefined;
      const size = playlist?.length ?? r.bytes;
      const etag = entityTag(r.version, size);
      void reply
        .header('etag', etag)
        .header('cache-control', cacheControl(r.open, request.query.v, r.version, app.config.cacheSharedSeconds))
        .header('accept-ranges', 'bytes')
        .header('x-content-type-options', 'nosniff');
      if (notModified(request.headers, etag)) return reply.code(304).send();

      const range = answerRange(request.headers.range, header(request.headers['if-range']), etag, size);
      if (range.kind === 'unsatisfiable') {
        void reply.header('content-range', `bytes */${size}`);
        throw new RangeNotSatisfiableError(`The rendition has ${size} bytes`);
      }
      void reply.header('content-type', r.type);
      if (range.kind === 'partial') {
        void reply.code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
          .header('content-length', range.end - range.start + 1);
      } else {
        void reply.header('content-length', size);
      }
      // HEAD answers the same headers without opening the object.
      if (request.method === 'HEAD') return reply.send();
      if (playlist) return reply.send(range.kind === 'partial' ? playlist.subarray(range.start, range.end + 1) : playlist);
      const body = range.kind === 'partial'
        ? await app.storage.get(r.key, { start: range.start, end: range.end })
        : await app.storage.get(r.key);
      return reply.send(body);
    },
  });
};

/** The whole of a small object (a playlist, at most MAX_REWRITTEN_PLAYLIST bytes). */
async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export default media;
