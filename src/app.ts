/**
 * buildApp(config, deps?) → a Fastify instance with every plugin and route; it never listens.
 * Tests build it and use inject(); server.ts builds it and listens.
 */
import { STATUS_CODES } from 'node:http';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import { isDatabaseUnavailable } from './db/database.js';
import { FRAMEWORK_ERRORS, HANDLER_ERRORS, NotFoundError } from './errors.js';
import auth from './plugins/auth.js';
import infra, { type Infra } from './plugins/infra.js';
import metrics from './plugins/metrics.js';
import services from './plugins/services.js';
import shutdown from './plugins/shutdown.js';
import rateLimits from './plugins/rate-limit.js';
import securityHeaders from './plugins/security-headers.js';
import { ErrorReply } from './routes/common.js';
import assets from './routes/assets/index.js';
import moderation from './routes/assets/moderation.js';
import auditLog from './routes/audit/index.js';
import operations from './routes/operations/index.js';
import pressOriginal from './routes/assets/original.js';
import albumArchive from './routes/archive.js';
import licenseList from './routes/licenses.js';
import resumableUploads from './routes/uploads/index.js';
import uploadLinkRoutes from './routes/upload-links/index.js';
import shareLinkRoutes from './routes/share-links/index.js';
import uploaderPage from './routes/uploader/index.js';
import adminConsole from './routes/admin/index.js';
import bulkAssets from './routes/bulk/index.js';
import events from './routes/events/index.js';
import health from './routes/health/index.js';
import live, { type LiveOptions } from './routes/live/index.js';
import media from './routes/media/index.js';
import metricsRoute from './routes/metrics/index.js';
import pages, { wantsNotFoundPage, type PagesOptions } from './routes/pages/index.js';
import staticFiles from './routes/static/index.js';
import subtitles from './routes/subtitles/index.js';
import tokens from './routes/tokens/index.js';
import { anonymizeIp } from './anonymize-ip.js';
import { serverWaitsAreNotIdle } from './http-idle.js';

export interface BuildOptions {
  deps?: Partial<Infra>;
  /** where log lines go; stdout by default */
  logStream?: { write(line: string): void };
  /** live streams' heartbeat and retry periods (tests shorten them) */
  live?: LiveOptions;
}

/**
 * One access line per request, when it completes, with the request in it — instead of Fastify's
 * two (one on arrival, one on completion): at gallery rates the log costs about as much CPU as
 * serving a cached page (bench/gallery).
 */
class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

export async function buildApp(config: Readonly<Config>, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // a number of hops, as Fastify's own trustProxy counts them (its types take it as a function)
    trustProxy: typeof config.trustProxy === 'number' ? ((hops: number) => (_address: string, hop: number) => hop < hops)(config.trustProxy) : config.trustProxy,
    logger: {
      level: config.logLevel,
      ...(options.logStream && { stream: options.logStream }),
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], remove: true },
      serializers: {
        // Visitors' addresses are cut to their network; query strings and press links' secrets
        // (`/s/<secret>`) are not logged.
        req: (req: { method: string; url: string; ip?: string }) => ({
          method: req.method,
          url: req.url.split('?')[0]!.replace(/^(\/(?:[a-z]{2,3}\/)?s\/)[^/]+/, '$1…'),
          remoteAddress: req.ip ? anonymizeIp(req.ip) : undefined,
        }),
      },
    },
    // Slow clients: a connection idle for httpIdleTimeoutMs is closed (a slow upload that keeps
    // sending is not: each byte resets it), headers must arrive within httpHeadersTimeoutMs, and
    // no whole-request deadline cuts a long upload (requestTimeout 0).
    connectionTimeout: config.httpIdleTimeoutMs,
    keepAliveTimeout: config.httpKeepAliveTimeoutMs,
    requestTimeout: 0,
    http: {
      headersTimeout: config.httpHeadersTimeoutMs,
      // how often Node looks for connections past headersTimeout (its default, 30 s, would let a short one run long)
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(config.httpHeadersTimeoutMs / 4))),
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    logController: new AccessLog(),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are JSON or multipart: Fastify's text/plain parser would turn a mistyped body into a
  // string and the client would get a puzzling 400 "body must be object" instead of 415.
  app.removeContentTypeParser('text/plain');
  app.addSchema(ErrorReply);
  app.setErrorHandler(errorHandler);
  serverWaitsAreNotIdle(app, config.httpIdleTimeoutMs);
  // before every route: it follows their handlers, for a graceful stop (src/shutdown.ts)
  await app.register(shutdown);
  await app.register(securityHeaders, { publicUrl: config.publicUrl });
  // A browser that follows a broken link gets the gallery's own 404 page, in its language; the
  // API and everything else get the JSON error.
  const notFoundPage: PagesOptions['notFound'] = {};
  app.setNotFoundHandler(async (request, reply) => {
    if (notFoundPage.send && wantsNotFoundPage(request)) return notFoundPage.send(request, reply);
    throw new NotFoundError(`No route ${request.method} ${request.url.split('?')[0]}`);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Lamha', version: '1', description: 'Media gallery and video archive for events' },
      servers: [{ url: config.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(multipart, {
    limits: {
      // one byte over, so the upload service's own limit (with its clear message) fires first
      fileSize: config.uploadMaxBytes + 1,
      files: 1000,
      fields: 20,
      parts: 1020,
      fieldSize: 64 * 1024,
      headerPairs: 100,
    },
  });

  await app.register(metrics);
  await app.register(infra, { config, deps: options.deps ?? {} });
  await app.register(services);
  await app.register(auth);
  await app.register(rateLimits, { limits: config.rateLimits, prefix: config.redisPrefix });

  await app.register(health);
  await app.register(metricsRoute);
  await app.register(tokens);
  await app.register(events);
  await app.register(assets);
  await app.register(moderation);
  await app.register(auditLog);
  await app.register(operations);
  await app.register(bulkAssets);
  await app.register(pressOriginal);
  await app.register(albumArchive);
  await app.register(licenseList);
  await app.register(shareLinkRoutes);
  await app.register(resumableUploads);
  await app.register(uploadLinkRoutes);
  await app.register(uploaderPage);
  await app.register(adminConsole);
  await app.register(media);
  await app.register(subtitles);
  await app.register(live, options.live ?? {});
  await app.register(pages, { notFound: notFoundPage });
  await app.register(staticFiles);
  return app;
}

/** How long a refused upload's remaining body is read and dropped before its connection is cut. */
const LINGER_MS = 5_000;

function errorHandler(this: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  let { statusCode, code }: { statusCode: number; code: string } = HANDLER_ERRORS.internal;
  let message = error.message;
  if (error.validation) {
    statusCode = 400;
    code = 'LAMHA_VALIDATION';
  } else if (typeof error.code === 'string' && error.code.startsWith('LAMHA_')) {
    statusCode = error.statusCode ?? 500;
    code = error.code;
  } else if (error.code && FRAMEWORK_ERRORS[error.code]) {
    ({ statusCode, code } = FRAMEWORK_ERRORS[error.code]!);
  } else if (/Unexpected end of (form|multipart data)/i.test(error.message)) {
    ({ statusCode, code, message } = HANDLER_ERRORS.uploadAborted);
  } else if (isDatabaseUnavailable(error)) {
    ({ statusCode, code } = HANDLER_ERRORS.databaseUnavailable);
  } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    statusCode = error.statusCode;
    code = HANDLER_ERRORS.badRequest.code;
  }
  if (statusCode >= 500) {
    request.log.error({ err: error }, 'request failed');
    // Internals (hosts, SQL, stack) stay in the log.
    message = statusCode === 503 ? 'A service Lamha depends on is unavailable; try again shortly' : 'Internal server error';
  } else {
    request.log.info({ code, message }, 'request refused');
  }
  if (!request.raw.complete) {
    // Refused before the body was read (too large, wrong type, no rights): the rest is read and
    // dropped for a while after the answer (a lingering close), because closing at once resets a
    // client that is still sending before it has read the answer. A client that keeps sending
    // longer than that is cut off.
    request.raw.unpipe();
    request.raw.resume();
    const cutOff = setTimeout(() => request.raw.destroy(), LINGER_MS);
    cutOff.unref();
    request.raw.once('end', () => clearTimeout(cutOff));
    request.raw.once('close', () => clearTimeout(cutOff));
  }
  return reply.code(statusCode).send({ statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message });
}
