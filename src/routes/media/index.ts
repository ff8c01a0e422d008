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
import { notModified } from '../../http-cache.js';
import { errorRefs } from '../common.js';
import { documentDisposition, PUBLIC_PDF_RENDITION } from './document.js';
import { cacheControl, entityTag, sendBytes } from './http.js';
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
      summary: 'a rendition of an asset (thumb.webp, medium.webp, large.webp, fallback.jpg, …); Range, If-None-Match and HEAD supported',
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

      return sendBytes(request, reply, {
        etag, size, type: r.type,
        body: async (range) => {
          if (playlist) return range ? playlist.subarray(range.start, range.end + 1) : playlist;
          return range ? app.storage.get(r.key, range) : app.storage.get(r.key);
        },
      });
    },
  });
};

/** The whole of a small object (a playlist, at most MAX_REWRITTEN_PLAYLIST bytes). */
async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}


export default media;
