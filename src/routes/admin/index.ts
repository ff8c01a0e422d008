/**
 * The organiser's console (`/admin`, `/{locale}/admin/…`): server-rendered forms that work
 * without JavaScript, signed in with an admin or editor token. Cookies, the Redis-held session
 * and CSRF checks are registered here only, so the gallery and the API never read the cookie:
 * the API keeps taking bearer tokens only, which no other site can make a browser send.
 *
 * Areas: one file each, registered below under every locale behind sign-in and the CSRF check
 * on every request that is not a read. A new area is `src/routes/admin/<area>.ts` (a plugin
 * taking AreaOptions; its pages render with `pageOf` and web/admin/layout.ts), its strings in
 * `src/web/locales/admin/<area>.ts` (defineStrings), and one line in AREAS.
 */
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import session from '@fastify/session';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { FRAMEWORK_ERRORS } from '../../errors.js';
import { isLocale, LOCALES, type Locale } from '../../locales.js';
import { adminContext } from '../../web/admin/context.js';
import { errorPage } from '../../web/admin/pages/error.js';
import type { ConsoleKey } from '../../web/locales/admin/console.js';
import { negotiatedLocale } from '../pages/index.js';
import type { AreaOptions } from './area.js';
import albums from './albums.js';
import events from './events.js';
import home from './home.js';
import links from './links.js';
import audit from './audit.js';
import login from './login.js';
import moderation from './moderation.js';
import ops from './ops.js';
import queuesDashboard from './queues.js';
import { sendAdminPage } from './respond.js';
import { createRedisSessionStore, sessionSecret } from './session-store.js';
import { requireSignIn } from './signed-in.js';

export const SESSION_COOKIE = 'lamha_admin';

/** The areas, each a plugin of its own file, registered under `/{locale}/admin`. */
const AREAS: FastifyPluginAsync<AreaOptions>[] = [home, events, albums, links, moderation, audit, ops];

const REASONS: Record<string, ConsoleKey> = {
  LAMHA_CSRF: 'error.csrf',
  LAMHA_FORBIDDEN: 'error.forbidden',
  LAMHA_UNAUTHORIZED: 'error.forbidden',
  LAMHA_NOT_FOUND: 'error.notFound',
  LAMHA_VALIDATION: 'error.invalid',
  LAMHA_BAD_REQUEST: 'error.invalid',
  LAMHA_CONFLICT: 'error.conflict',
};

function localeOf(request: FastifyRequest): Locale {
  const segment = request.url.split('/')[1] ?? '';
  if (isLocale(segment)) return segment;
  const lang = (request.body as Record<string, unknown> | undefined)?.lang;
  return typeof lang === 'string' && isLocale(lang) ? lang : negotiatedLocale(request);
}

/**
 * A refused console form gets a page in the organiser's language with the status the API would
 * give; a script asking for JSON gets the API's JSON error (the app's handler).
 */
function errorHandler(this: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if ((request.headers.accept ?? '').includes('application/json')) throw error;
  const mapped = error.code ? FRAMEWORK_ERRORS[error.code] : undefined;
  const code = mapped?.code ?? (error.validation ? 'LAMHA_VALIDATION' : error.code);
  const status = mapped?.statusCode ?? (error.validation ? 400 : error.statusCode ?? 500);
  if (status >= 500) request.log.error({ err: error }, 'console request failed');
  else request.log.info({ code, message: error.message }, 'console request refused');
  const reason = status >= 500 ? 'error.generic' : REASONS[code ?? ''] ?? 'error.generic';
  const details = status < 500 && reason === 'error.invalid' ? error.message : undefined;
  let csrfToken = '';
  try {
    csrfToken = reply.generateCsrf();
  } catch {
    // no session to hold a secret (the store failed): the page's sign-out form will be refused
  }
  const locale = localeOf(request);
  const ctx = adminContext({ locale, publicUrl: this.config.publicUrl, path: '', csrf: csrfToken, user: request.admin });
  return sendAdminPage(reply, locale, errorPage(ctx, reason, details), status);
}

const admin: FastifyPluginAsync = async (app) => {
  const { config, redis } = app;
  // an album's "Save all": hundreds of items, each with captions in every language, URL-encoded
  await app.register(formbody, { bodyLimit: 16 * 1024 * 1024 });
  if (new URL(config.publicUrl).protocol === 'https:' && config.trustProxy === false) {
    // the cookie is Secure, and a browser only gets it over a request Fastify sees as https
    app.log.warn('PUBLIC_URL is https but TRUST_PROXY is unset: behind a proxy that ends TLS, signing in to /admin cannot keep its session; set TRUST_PROXY');
  }
  await app.register(cookie);
  await app.register(session, {
    secret: await sessionSecret(redis, config.redisPrefix, () => randomBytes(32).toString('base64url')),
    cookieName: SESSION_COOKIE,
    store: createRedisSessionStore({ redis, prefix: config.redisPrefix, ttlMs: config.adminSessionMs }),
    // nothing is stored for a visitor until a form needs its CSRF secret
    saveUninitialized: false,
    // the cookie ends when the sign-in does, not later for being used
    rolling: false,
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: new URL(config.publicUrl).protocol === 'https:',
      maxAge: config.adminSessionMs,
    },
  });
  await app.register(csrf, {
    sessionPlugin: '@fastify/session',
    // a form's hidden field, or a header from the console's own scripts; never the query string
    getToken: (request) => {
      const field = (request.body as Record<string, unknown> | undefined)?._csrf;
      return typeof field === 'string' ? field : request.headers['x-csrf-token'] as string | undefined;
    },
  });
  app.decorateRequest('admin', null);
  app.setErrorHandler(errorHandler);

  await app.register(login);
  await app.register(queuesDashboard);
  for (const locale of LOCALES) {
    await app.register(async (area) => {
      area.addHook('preHandler', requireSignIn(locale));
      // callback style: a refused request is answered by the plugin itself, and goes no further
      area.addHook('preHandler', (request, reply, done) => {
        if (request.method === 'GET' || request.method === 'HEAD') return done();
        app.csrfProtection(request, reply, done);
      });
      for (const plugin of AREAS) await area.register(plugin, { locale });
    }, { prefix: `/${locale}/admin` });
  }
};

export default admin;
