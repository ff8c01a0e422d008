/**
 * Signing in and out: `GET /{locale}/admin/login` (the form), `POST /admin/login` (form field
 * `token`: the token itself, or a link holding it as `#token=` or `?token=`, as upload and
 * console links do), `POST /admin/logout`. Only admin and editor tokens open the console.
 * `GET /admin` and `/admin/login` send the browser on in its language, as `/` does.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { isLocale, LOCALES, type Locale } from '../../locales.js';
import { adminContext } from '../../web/admin/context.js';
import { loginPage, type LoginView } from '../../web/admin/pages/login.js';
import { negotiatedLocale } from '../pages/index.js';
import { safeNext, sendAdminPage } from './respond.js';
import { signedIn } from './signed-in.js';

const HIDDEN = { schema: { hide: true } };
const NOTICES = { signedOut: 'login.signedOut', expired: 'login.expired', revoked: 'login.revoked' } as const;

/** The secret in what was pasted: a bare token, or a link with `token=` in its fragment or query. */
export function tokenFrom(input: string): { token?: string; shareLink?: true } {
  const text = input.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text === '' ? {} : { token: text };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return {};
  }
  const token = new URLSearchParams(url.hash.slice(1)).get('token') ?? url.searchParams.get('token');
  if (token) return { token };
  // a press link (`/s/<secret>`, `/{locale}/s/<secret>`): a credential, but not one for the console
  return /^\/(?:[a-z]{2,3}\/)?s\/[^/]+/.test(url.pathname) ? { shareLink: true } : {};
}

/** The page's locale for a form posted to a path without one: the form says it, else the browser. */
function formLocale(request: FastifyRequest): Locale {
  const lang = (request.body as Record<string, unknown> | undefined)?.lang;
  return typeof lang === 'string' && isLocale(lang) ? lang : negotiatedLocale(request);
}

function chosenLocale(request: FastifyRequest): Locale {
  const lang = (request.query as Record<string, unknown>).lang;
  return typeof lang === 'string' && isLocale(lang) ? lang : negotiatedLocale(request);
}

const login: FastifyPluginAsync = async (app) => {
  const publicUrl = app.config.publicUrl;
  const render = (locale: Locale, csrf: string, view: LoginView) =>
    loginPage(adminContext({ locale, publicUrl, path: 'login', csrf, user: null }), view);

  for (const [from, to] of [['/admin', 'admin'], ['/admin/login', 'admin/login']] as const) {
    app.get(from, HIDDEN, async (request, reply) => reply
      .header('vary', 'Accept-Language').header('cache-control', 'no-store')
      .redirect(`/${chosenLocale(request)}/${to}`, 302));
  }

  for (const locale of LOCALES) {
    app.get<{ Querystring: { notice?: string; next?: string } }>(`/${locale}/admin/login`, HIDDEN, async (request, reply) => {
      const next = safeNext(request.query.next);
      if ((await signedIn(request)).state === 'in') return reply.header('cache-control', 'no-store').redirect(next ?? `/${locale}/admin`, 303);
      const notice = NOTICES[request.query.notice as keyof typeof NOTICES];
      return sendAdminPage(reply, locale, render(locale, reply.generateCsrf(), { notice, next }));
    });
  }

  app.post<{ Body: Record<string, unknown> }>('/admin/login', { ...HIDDEN, preHandler: app.csrfProtection }, async (request, reply) => {
    const locale = formLocale(request);
    const next = safeNext(request.body.next);
    const pasted = tokenFrom(typeof request.body.token === 'string' ? request.body.token : '');
    const principal = pasted.token ? await app.services.tokens.authenticate(pasted.token) : undefined;
    if (!principal || (principal.role !== 'admin' && principal.role !== 'editor')) {
      const known = principal !== undefined || pasted.shareLink === true;
      const view: LoginView = { notice: known ? 'login.refused.role' : 'login.refused.unknown', refused: true, next };
      return sendAdminPage(reply, locale, render(locale, reply.generateCsrf(), view), known ? 403 : 401);
    }
    // a new session id at sign-in: one planted before it (session fixation) is worth nothing
    await request.session.regenerate();
    request.session.tokenId = principal.tokenId;
    request.session.signedInAt = Date.now();
    await app.services.audit.record(principal, { action: 'console.sign-in', eventId: principal.eventId, targetKind: 'console', targetId: null, targetLabel: null });
    return reply.header('cache-control', 'no-store').redirect(next ?? `/${locale}/admin`, 303);
  });

  app.post('/admin/logout', { ...HIDDEN, preHandler: app.csrfProtection }, async (request, reply) => {
    const locale = formLocale(request);
    const tokenId = request.session.tokenId;
    const who = typeof tokenId === 'string' ? await app.services.tokens.principalById(tokenId) : undefined;
    await request.session.destroy();
    if (who) await app.services.audit.record(who, { action: 'console.sign-out', eventId: who.eventId, targetKind: 'console', targetId: null, targetLabel: null });
    return reply.header('cache-control', 'no-store').redirect(`/${locale}/admin/login?notice=signedOut`, 303);
  });
};

export default login;
