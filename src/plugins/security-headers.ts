/**
 * @fastify/helmet on every answer (JSON, media, pages, errors). The pages send their own
 * Content-Security-Policy (routes/pages/respond.ts), so helmet sends none and theirs stays as
 * it is; the API docs page (/docs) brings its own scripts, which a global policy would block.
 */
import helmet from '@fastify/helmet';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

const securityHeaders: FastifyPluginAsync<{ publicUrl: string }> = async (app, { publicUrl }) => {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: false,
    // Renditions are public and meant to be embedded (the event's own website shows them).
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    // HSTS over plain http would be ignored at best; behind https it pins the site to it.
    strictTransportSecurity: new URL(publicUrl).protocol === 'https:' ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  });
};

export default fp(securityHeaders, { name: 'lamha-security-headers' });
