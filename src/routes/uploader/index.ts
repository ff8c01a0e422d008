/**
 * The uploader page: `/upload` (the language from the browser, like `/`) and `/{locale}/upload`.
 * It is the same HTML for everybody, but it is where credentials are used, so no cache keeps it
 * (a stale copy could hold an old script talking to a changed API) and it is not indexed.
 */
import type { FastifyPluginAsync } from 'fastify';
import { LOCALES, type Locale } from '../../locales.js';
import { pageContext } from '../../web/context.js';
import { uploadPage } from '../../web/pages/upload.js';
import { negotiatedLocale } from '../pages/index.js';
import { sendPrivatePage } from '../pages/respond.js';

const HIDDEN = { schema: { hide: true } };

const uploaderPage: FastifyPluginAsync = async (app) => {
  // Rendered once per locale: nothing in it depends on the request.
  const rendered = new Map<Locale, string>(LOCALES.map((l) => [l, uploadPage(pageContext({ locale: l, publicUrl: app.config.publicUrl, path: 'upload' }))]));

  // The fragment (`#token=…`) is not sent to the server; browsers carry it over this redirect.
  app.get('/upload', HIDDEN, async (request, reply) => {
    return reply.header('vary', 'Accept-Language').header('cache-control', 'no-store').redirect(`/${negotiatedLocale(request)}/upload`, 302);
  });

  for (const locale of LOCALES) {
    app.get(`/${locale}/upload`, HIDDEN, async (_request, reply) => sendPrivatePage(reply, locale, rendered.get(locale)!));
  }
};

export default uploaderPage;
