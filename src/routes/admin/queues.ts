/**
 * The BullMQ dashboard (bull-board) at `/admin/queues`, for admins only: signed in to the
 * console with an admin token, or calling with one as a bearer token. An editor gets the
 * console's 403 page; anyone else the sign-in page (a browser) or 401 (a script). It reads and
 * acts on the app's three queues (under REDIS_PREFIX); its changes (retry, clean, pause) are
 * taken from the console's own pages only (Origin or Sec-Fetch-Site), as the console's forms are
 * by their CSRF token. Its page gets a Content-Security-Policy of its own: its scripts and
 * styles from itself, nothing from elsewhere (its Google Fonts link is refused, so the
 * organiser's browser tells Google nothing).
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { adminContext } from '../../web/admin/context.js';
import { errorPage } from '../../web/admin/pages/error.js';
import { negotiatedLocale } from '../pages/index.js';
import { sendAdminPage } from './respond.js';
import { signedIn } from './signed-in.js';

export const QUEUES_PATH = '/admin/queues';

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self' data:",
  "connect-src 'self'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

function json(reply: FastifyReply, statusCode: number, code: string, message: string): FastifyReply {
  return reply.code(statusCode).header('cache-control', 'no-store').send({ statusCode, code, error: STATUS_CODES[statusCode], message });
}

const queuesDashboard: FastifyPluginAsync = async (app) => {
  const publicOrigin = new URL(app.config.publicUrl).origin;
  const wantsPage = (request: FastifyRequest) => request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');

  async function refuseEditor(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!wantsPage(request)) return json(reply, 403, 'LAMHA_FORBIDDEN', 'The queue dashboard is for admins');
    const locale = negotiatedLocale(request);
    const ctx = adminContext({ locale, publicUrl: app.config.publicUrl, path: '', csrf: reply.generateCsrf(), user: request.admin });
    return sendAdminPage(reply, locale, errorPage(ctx, 'error.forbidden'), 403);
  }

  app.addHook('preHandler', async (request, reply) => {
    if (request.principal) {
      // a bearer token (the app's auth hook): no cookie, so no cross-site request can carry it
      if (request.principal.role !== 'admin') return json(reply, 403, 'LAMHA_FORBIDDEN', 'The queue dashboard is for admins');
      return;
    }
    const who = await signedIn(request);
    if (who.state !== 'in') {
      if (!wantsPage(request)) return json(reply, 401, 'LAMHA_UNAUTHORIZED', 'Sign in to the console with an admin token, or send one as a bearer token');
      const next = new URLSearchParams({ next: request.url.split('?')[0]! });
      return reply.header('cache-control', 'no-store').redirect(`/${negotiatedLocale(request)}/admin/login?${next}`, 303);
    }
    request.admin = who.user;
    if (who.principal.role !== 'admin') return refuseEditor(request, reply);
    request.principal = who.principal;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const site = request.headers['sec-fetch-site'];
      const origin = request.headers.origin;
      if (!(site === 'same-origin' || (site === undefined && origin === publicOrigin))) {
        return json(reply, 403, 'LAMHA_CSRF', 'A change to the queues must come from the dashboard itself');
      }
    }
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer').header('x-robots-tag', 'noindex');
    // the page and the jobs' data are one admin's; the scripts and styles are versioned files
    if (!request.url.startsWith(`${QUEUES_PATH}/static/`)) reply.header('cache-control', 'private, no-store');
  });

  const serverAdapter = new FastifyAdapter();
  createBullBoard({
    queues: Object.values(app.queues.queues).map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Lamha queues' } },
  });
  // bull-board's own handler would answer any error with its message; ours keeps the API's shape
  serverAdapter.setErrorHandler((error: { statusCode?: number; code?: string; message: string }) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const ours = typeof error.code === 'string' && error.code.startsWith('LAMHA_');
    if (status >= 500) app.log.error({ err: error }, 'queue dashboard failed');
    return {
      status: status as 500,
      body: { statusCode: status, code: ours ? error.code : status >= 500 ? 'LAMHA_INTERNAL' : 'LAMHA_BAD_REQUEST', error: STATUS_CODES[status], message: status >= 500 ? 'Internal server error' : error.message },
    };
  });
  serverAdapter.setBasePath(QUEUES_PATH);
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUES_PATH });
};

export default queuesDashboard;
