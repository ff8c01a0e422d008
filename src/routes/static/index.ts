/**
 * `/static/*`: the gallery's scripts and styles and the vendor browser files listed in files.ts;
 * and `/favicon.ico`.
 *
 * Caching: every reply has an ETag (and Last-Modified) and a short max-age, after which browsers
 * revalidate cheaply (304); a URL whose `?v=` names the file's current version (staticUrl) is
 * immutable for a year. A stale `?v=` gets the current file with the short max-age. Scripts and
 * styles go out in brotli or gzip when the client takes it (compress.ts).
 */
import fastifyStatic from '@fastify/static';
import type { Stats } from 'node:fs';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { IMMUTABLE, notModified } from '../../http-cache.js';
import { createCompressor } from './compress.js';
import { renderFavicon } from './favicon.js';
import { ownVersion, STATIC_DIR, VENDOR } from './files.js';

const SHORT = { own: 'public, max-age=600', vendor: 'public, max-age=86400' };

function cacheHeaders(kind: 'own' | 'vendor', current: (file: string) => string | undefined, compressor: ReturnType<typeof createCompressor>) {
  return (reply: FastifyReply, file: string, stat: Stats) => {
    compressor.note(reply, file, stat);
    const asked = (reply.request.query as { v?: unknown } | undefined)?.v;
    const immutable = typeof asked === 'string' && asked === current(file);
    reply.header('cache-control', immutable ? IMMUTABLE : SHORT[kind]);
    reply.header('x-content-type-options', 'nosniff');
  };
}

const staticFiles: FastifyPluginAsync = async (app) => {
  const compressor = createCompressor();
  app.addHook('onSend', compressor.onSend);

  for (const [name, vendor] of Object.entries(VENDOR)) {
    const allowed = new Set(vendor.files);
    await app.register(fastifyStatic, {
      root: vendor.dir,
      prefix: `/static/vendor/${name}/`,
      decorateReply: false,
      index: false,
      cacheControl: false,
      dotfiles: 'deny',
      allowedPath: (pathName) => allowed.has(pathName.replace(/^\/+/, '')),
      setHeaders: cacheHeaders('vendor', () => vendor.version, compressor),
    });
  }

  await app.register(fastifyStatic, {
    root: STATIC_DIR,
    prefix: '/static/',
    decorateReply: false,
    index: false,
    cacheControl: false,
    dotfiles: 'deny',
    setHeaders: cacheHeaders('own', (file) => ownVersion(file), compressor),
  });

  const favicon = await renderFavicon();
  app.get('/favicon.ico', { schema: { hide: true } }, async (request, reply) => {
    reply.header('etag', favicon.etag).header('cache-control', 'public, max-age=86400');
    if (notModified(request.headers, favicon.etag)) return reply.code(304).send();
    return reply.type('image/x-icon').send(favicon.body);
  });
};

export default staticFiles;
