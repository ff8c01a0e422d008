/**
 * Subtitle tracks of a video: PUT a WebVTT or SRT file as the raw body, GET the stored WebVTT,
 * DELETE it. The text parsers live in this plugin only: elsewhere a text/plain body stays a 415.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { UnsupportedMediaTypeError, InvalidSubtitlesError } from '../../errors.js';
import { notModified, takedownable } from '../../http-cache.js';
import { createSubtitleService, SUBTITLE_CONTENT_TYPE, SUBTITLE_MAX_BYTES } from '../../services/subtitles.js';
import { errorRefs } from '../common.js';
import { SubtitleParams, SubtitleReply, subtitleReply } from './schemas.js';

const BODY_TYPES = ['text/vtt', 'application/x-subrip', 'text/plain'];

const subtitles: FastifyPluginAsyncTypebox = async (app) => {
  const service = createSubtitleService({
    db: app.db, storage: app.storage, assets: app.services.assets, changes: app.services.changes, log: app.log.child({ component: 'subtitles' }),
  });

  // The body is read whole (at most 1 MiB): it has to be decoded and parsed as one text anyway.
  // Whether it is WebVTT or SRT is decided from the text, never from the Content-Type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(BODY_TYPES, { parseAs: 'buffer', bodyLimit: SUBTITLE_MAX_BYTES }, (_request, body, done) => done(null, body));

  app.put('/api/v1/assets/:id/subtitles/:locale', {
    bodyLimit: SUBTITLE_MAX_BYTES,
    schema: {
      tags: ['subtitles'],
      summary: 'add or replace the subtitles of a video in one of its event\'s locales (WebVTT or SRT, UTF-8, at most 1 MiB; stored as WebVTT)',
      consumes: BODY_TYPES,
      security: [{ bearer: [] }],
      params: SubtitleParams,
      response: { 200: SubtitleReply, 201: SubtitleReply, ...errorRefs(400, 401, 403, 404, 409, 413, 415) },
    },
    // Who may write, to which video and locale, is settled before the body is read.
    preParsing: async (request, _reply, payload) => {
      const { id, locale } = request.params as { id: string; locale: string };
      await service.writable(request.principal, id, locale);
      return payload;
    },
  }, async (request, reply) => {
    const body: unknown = request.body;
    if (body !== undefined && !Buffer.isBuffer(body)) throw new UnsupportedMediaTypeError(`Send the file as ${BODY_TYPES.join(', ')}`);
    if (body === undefined || body.length === 0) throw new InvalidSubtitlesError('The subtitle file is empty');
    const { subtitle, created } = await service.put(request.principal, request.params.id, request.params.locale, body);
    return reply.code(created ? 201 : 200).send(subtitleReply(app.config.publicUrl, subtitle));
  });

  app.get('/api/v1/assets/:id/subtitles/:locale', {
    schema: {
      tags: ['subtitles'],
      summary: 'the subtitles of a video in one locale, as WebVTT (text/vtt)',
      produces: ['text/vtt'],
      params: SubtitleParams,
      response: { ...errorRefs(400, 401, 404) },
    },
  }, async (request, reply) => {
    const { subtitle, open, body } = await service.get(request.principal, request.params.id, request.params.locale);
    const etag = `"${subtitle.assetId}-${subtitle.locale}-${subtitle.updatedAt.getTime().toString(36)}-${subtitle.bytes}"`;
    void reply
      .header('etag', etag)
      // Tracks can be replaced: browsers revalidate after a few minutes; shared caches within the
      // takedown bound, as for the video's renditions.
      .header('cache-control', open ? takedownable(300, app.config.cacheSharedSeconds) : 'private, no-store')
      .header('x-content-type-options', 'nosniff');
    if (notModified(request.headers, etag)) return reply.code(304).send();
    return reply
      .header('content-type', SUBTITLE_CONTENT_TYPE)
      .header('content-length', subtitle.bytes)
      .send(await body());
  });

  app.delete('/api/v1/assets/:id/subtitles/:locale', {
    schema: {
      tags: ['subtitles'],
      summary: 'remove the subtitles of a video in one locale',
      security: [{ bearer: [] }],
      params: SubtitleParams,
      response: { ...errorRefs(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    await service.remove(request.principal, request.params.id, request.params.locale);
    return reply.code(204).send();
  });
};

export default subtitles;
