/**
 * The public gallery's HTML pages, served from the page cache. Pages show only what the public
 * may see, whoever asks (a token changes nothing here), which is what makes one cached copy
 * right for everybody. Paths: `/` (picks a language), and under each `/{locale}`: `/` events,
 * `/e/:event`, `/e/:event/:album`, `/e/:event/:album/:asset` and its `/tile` fragment.
 *
 * A locale the event does not use still renders: the interface speaks the visitor's chosen
 * language and the content falls back to the event's own, marked with its lang and dir. A
 * visitor who picked Kurmanji keeps Kurmanji menus and dates rather than being switched to
 * another language they may not read; the canonical URL points to the event's default language.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import { LRUCache } from 'lru-cache';
import { createGallery, type Gallery } from '../../services/gallery.js';
import { LOCALES, type Locale } from '../../locales.js';
import { pageContext, pathOf } from '../../web/context.js';
import { albumPage } from '../../web/pages/album.js';
import { assetPage } from '../../web/pages/asset.js';
import { eventPage } from '../../web/pages/event.js';
import { eventsPage } from '../../web/pages/events.js';
import { notFoundPage } from '../../web/pages/not-found.js';
import { tile } from '../../web/partials/tile.js';
import { createPageCache, type PageCache, type Rendered } from './page-cache.js';
import { sendPage } from './respond.js';

/** The language for a visitor arriving at `/`, when their browser names none Lamha speaks. */
const FALLBACK_LOCALE: Locale = 'en';
const NEGOTIATION_ORDER: string[] = [FALLBACK_LOCALE, ...LOCALES.filter((l) => l !== FALLBACK_LOCALE)];

/** HTML pages are not part of the API's OpenAPI document. */
const HIDDEN = { schema: { hide: true } };

interface LocaleOptions {
  locale: Locale;
  gallery: Gallery;
  cache: PageCache;
  scopeOf: (eventSlug: string) => Promise<string>;
  sendNotFound: SendNotFound;
}

/** The site's 404 page in `locale`; `vary` as sendPage's. */
type SendNotFound = (request: FastifyRequest, reply: FastifyReply, locale: Locale, vary?: string) => Promise<FastifyReply>;

interface EventParams { event: string }
interface AlbumParams extends EventParams { album: string }
interface AssetParams extends AlbumParams { asset: string }

const localePages = async (app: FastifyInstance, { locale, gallery, cache, scopeOf, sendNotFound }: LocaleOptions) => {
  const publicUrl = app.config.publicUrl;
  const ctxFor = (path: string, event?: { locales: string[]; defaultLocale: string }) =>
    pageContext({ locale, publicUrl, path, ...(event && { contentLocales: event.locales, defaultLocale: event.defaultLocale }) });
  const notFound = (path: string): Rendered => ({ status: 404, html: notFoundPage(ctxFor(path)) });

  /** `share`: keep a copy in Redis for the other API processes (lists and album grids only). */
  async function serve(request: FastifyRequest, reply: FastifyReply, scope: string, path: string, render: () => Promise<Rendered>, share = false) {
    const { page, source } = await cache.get(scope, `${locale}:${path}`, render, { share });
    return sendPage(request, reply, page, source, locale);
  }

  app.get('/', HIDDEN, async (request, reply) => serve(request, reply, 'site', '', async () => ({ status: 200, html: eventsPage(ctxFor(''), await gallery.events()) }), true));

  app.get<{ Params: EventParams }>('/e/:event', HIDDEN, async (request, reply) => {
    const { event } = request.params;
    const path = pathOf('e', event);
    return serve(request, reply, await scopeOf(event), path, async () => {
      const data = await gallery.event(event);
      return data ? { status: 200, html: eventPage(ctxFor(path, data.event), data) } : notFound(path);
    }, true);
  });

  app.get<{ Params: AlbumParams; Querystring: { page?: string } }>('/e/:event/:album', HIDDEN, async (request, reply) => {
    const { event, album } = request.params;
    const raw = request.query.page;
    const page = raw === undefined ? 1 : /^[1-9]\d{0,4}$/.test(raw) ? Number(raw) : 0;
    const path = pathOf('e', event, album);
    const key = page > 1 ? `${path}?page=${page}` : page === 1 ? path : `${path}?page=bad`;
    return serve(request, reply, await scopeOf(event), key, async () => {
      const data = page > 0 ? await gallery.album(event, album, page) : null;
      // Page 2 onwards keeps its number in the canonical URL, alternates and language switcher.
      return data ? { status: 200, html: albumPage(ctxFor(page > 1 ? key : path, data.event), data) } : notFound(path);
    }, true);
  });

  app.get<{ Params: AssetParams }>('/e/:event/:album/:asset', HIDDEN, async (request, reply) => {
    const { event, album, asset } = request.params;
    const path = pathOf('e', event, album, asset);
    return serve(request, reply, await scopeOf(event), path, async () => {
      const data = await gallery.asset(event, album, asset);
      return data ? { status: 200, html: assetPage(ctxFor(path, data.event), data) } : notFound(path);
    });
  });

  app.get<{ Params: AssetParams }>('/e/:event/:album/:asset/tile', HIDDEN, async (request, reply) => {
    const { event, album, asset } = request.params;
    const path = pathOf('e', event, album, asset);
    return serve(request, reply, await scopeOf(event), `${path}/tile`, async () => {
      const data = await gallery.asset(event, album, asset);
      if (!data) return { status: 404, html: '' };
      return { status: 200, html: tile(ctxFor(path, data.event), data.event, data.album, data.asset, { index: data.index, lazy: false, placed: true }) };
    });
  });

  // A hand-typed or pasted link with a trailing slash (which the router would read as an empty
  // last segment): the page without it. The locale's own `/{locale}/` keeps its slash.
  app.addHook('onRequest', async (request, reply) => {
    const url = request.url;
    const q = url.indexOf('?');
    const end = q === -1 ? url.length : q;
    if (end > locale.length + 2 && url.charCodeAt(end - 1) === 47 /* / */ && (request.method === 'GET' || request.method === 'HEAD')) {
      return reply.redirect(`${url.slice(0, end).replace(/\/+$/, '')}${url.slice(end)}`, 301);
    }
  });

  app.setNotFoundHandler(async (request, reply) => sendNotFound(request, reply, locale));
};

/** The visitor's language from Accept-Language, English when none Lamha speaks matches. */
export function negotiatedLocale(request: FastifyRequest): Locale {
  // The fallback first: with no header, or `*`, Negotiator answers the first it is offered.
  return (new Negotiator(request).language(NEGOTIATION_ORDER) as Locale | undefined) ?? FALLBACK_LOCALE;
}

/** Paths that are never pages: their 404 stays JSON whoever asks. */
const NOT_PAGES = /^\/(api|media|static|docs)(\/|$)/;

/**
 * Whether a request that matched no route should get the localized HTML 404 rather than the
 * API's JSON one: a browser (it asks for text/html) fetching a path outside the API, as when a
 * visitor follows a broken link or mistypes a language (`/de/`).
 */
export function wantsNotFoundPage(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (NOT_PAGES.test(request.url)) return false;
  return (request.headers.accept ?? '').includes('text/html');
}

export interface PagesOptions {
  /** filled in at registration: sends the localized 404 page, for the app's own not-found handler */
  notFound?: { send?: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> };
}

const pages: FastifyPluginAsync<PagesOptions> = async (app, options) => {
  const gallery = createGallery({ db: app.db });
  const cache = createPageCache({
    redis: app.redis,
    prefix: app.config.redisPrefix,
    version: (scope) => app.services.changes.version(scope),
    onError: (err) => app.log.warn({ err }, 'page cache: Redis unavailable, rendering without it'),
  });

  // Event slugs never change (PATCH cannot rename), so slug → id is learnt once per process.
  // An unknown slug is not remembered: its 404 is cached under the site's version, which the
  // event's creation bumps.
  const eventIds = new LRUCache<string, string>({ max: 10_000 });
  async function scopeOf(slug: string): Promise<string> {
    const known = eventIds.get(slug);
    if (known) return known;
    const id = await gallery.eventId(slug);
    if (!id) return 'site';
    eventIds.set(slug, id);
    return id;
  }

  const sendNotFound: SendNotFound = async (request, reply, locale, vary) => {
    const { page, source } = await cache.get('site', `${locale}:404`, async () => ({
      status: 404, html: notFoundPage(pageContext({ locale, publicUrl: app.config.publicUrl, path: '' })),
    }));
    return sendPage(request, reply, page, source, locale, vary);
  };
  if (options.notFound) {
    // outside every locale, the language comes from the browser
    options.notFound.send = (request, reply) => sendNotFound(request, reply, negotiatedLocale(request), 'Accept, Accept-Encoding, Accept-Language');
  }

  app.get('/', HIDDEN, async (request, reply) => {
    const locale = negotiatedLocale(request);
    return reply
      .header('vary', 'Accept-Language')
      .header('cache-control', 'public, max-age=0, must-revalidate')
      .redirect(`/${locale}/`, 302);
  });

  for (const locale of LOCALES) {
    await app.register(localePages, { prefix: `/${locale}`, locale, gallery, cache, scopeOf, sendNotFound });
  }
};

export default pages;
