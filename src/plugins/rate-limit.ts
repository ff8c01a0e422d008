/**
 * Request rates per client, counted in Redis so every API process shares one count: per token
 * for authenticated calls (a press room or a venue shares one address), per address (an IPv6
 * /64 as one) for the public. Pages, media and the live feed get the generous public budget;
 * the rest of the API the stricter one. Over it: 429 `LAMHA_RATE_LIMITED` with `Retry-After`.
 * A Redis that fails lets requests through rather than taking the gallery down with it.
 * Press downloads have a budget of their own, per token: a whole original or album each, from
 * a press room that shares one address. A limit of 0 turns that class off.
 */
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { RateLimitedError } from '../errors.js';

export interface RateLimits {
  /** requests per minute of one token */
  tokenPerMinute: number;
  /** requests per minute of one address to the JSON API without a token */
  apiPerMinute: number;
  /** requests per minute of one address to pages, media, static files and the live feed */
  pagesPerMinute: number;
  /** press downloads (originals, album archives) per minute of one token */
  downloadsPerMinute: number;
}

const API = /^\/api\//;
const LIVE = /^\/api\/v1\/events\/[^/]+\/live(?:\?|$)/;
/** what press downloads: each one reads a whole original or album, and may make press files */
const DOWNLOAD = /^\/(api\/v1\/(assets\/[^/?]+\/original|events\/[^/?]+\/albums\/[^/?]+\/archive\.zip)|s\/[^/?]+\/(files\/[^/?]+|archive\.zip))(?:\?|$)/;

type Budget = keyof RateLimits;

function budget(request: FastifyRequest): Budget {
  if (request.principal) return DOWNLOAD.test(request.url) ? 'downloadsPerMinute' : 'tokenPerMinute';
  return API.test(request.url) && !LIVE.test(request.url) ? 'apiPerMinute' : 'pagesPerMinute';
}

const rateLimits: FastifyPluginAsync<{ limits: RateLimits; prefix: string }> = async (app, { limits, prefix }) => {
  await app.register(rateLimit, {
    global: true,
    // after authentication, so a token's calls count against the token
    hook: 'preHandler',
    redis: app.redis,
    nameSpace: `${prefix}:rate:`,
    skipOnError: true,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const b = budget(request);
      if (b === 'tokenPerMinute') return `t:${request.principal!.tokenId}`;
      if (b === 'downloadsPerMinute') return `d:${request.principal!.tokenId}`;
      return `${b === 'apiPerMinute' ? 'a' : 'p'}:${normalizeIP(request.ip, 64)}`;
    },
    allowList: (request) => limits[budget(request)] === 0,
    max: (request) => limits[budget(request)] || 1,
    errorResponseBuilder: (_request, context) => new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
};

export default fp(rateLimits, { name: 'lamha-rate-limit', dependencies: ['lamha-auth'] });
