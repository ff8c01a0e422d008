/**
 * The only reader of process.env. Every variable is parsed once, every bad one is
 * reported together, and the result is frozen.
 */
import path from 'node:path';
import { DEFAULT_UPLOAD_MEMORY_MB } from './storage/object-store.js';
import { DEFAULT_TOOL_LIMITS } from './media/run.js';
import { SHARED_MAX_SECONDS } from './http-cache.js';

export interface S3Config {
  /** undefined: the embedded S3 server is used */
  endpoint: string | undefined;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string;
  redisUrl: string;
  s3: S3Config;
  /** loopback port of the embedded S3 server (used only when s3.endpoint is unset) */
  embeddedS3Port: number;
  dataDir: string;
  adminToken: string | undefined;
  uploadMaxBytes: number;
  /** bytes of S3 part buffers all uploads of one process may hold at once (more wait their turn) */
  uploadMemoryBytes: number;
  /** an unfinished resumable upload not written to for this long is deleted */
  resumableExpiryMs: number;
  /** photos with more pixels than this are refused (decompression bombs) */
  imageMaxPixels: number;
  /** videos longer than this are refused */
  videoMaxSeconds: number;
  /** videos whose frame (width × height) has more pixels than this are refused */
  videoMaxPixels: number;
  /** seconds of video per encoding job of a long recording (a multiple of the 4 s HLS segment) */
  videoPieceSeconds: number;
  /**
   * ffmpeg processes a piece's job of the smallest rung runs side by side, each on a span of the
   * piece with one thread; 0: one per core this process may use
   */
  videoFirstRungProcesses: number;
  ffmpegPath: string;
  ffprobePath: string;
  logLevel: string;
  /** prefix of every Redis key (BullMQ queues, pub/sub channels) */
  redisPrefix: string;
  /** how long a worker's lock on a running job lasts unrenewed: a dead worker's job is taken over after it */
  workerLockMs: number;
  /** how often workers look for jobs whose lock expired (stalled) and queue them again */
  workerStalledIntervalMs: number;
  /** kernel limits for every external tool process (ffmpeg, ffprobe, heif-*, pdftoppm, exiftool) */
  toolLimits: { memoryBytes: number; cpuSeconds: number; fileBytes: number };
  /** a video's transcode may take factor × its duration, within [minMs, maxMs]; past it, the asset fails without a retry */
  transcodeDeadline: { factor: number; minMs: number; maxMs: number };
  /** a connection on which nothing moves for this long is closed (a stalled client); any byte either way resets it */
  httpIdleTimeoutMs: number;
  /** a client must have sent its request headers within this long */
  httpHeadersTimeoutMs: number;
  /** how long an idle kept-alive connection waits for its next request */
  httpKeepAliveTimeoutMs: number;
  /** open live streams (Server-Sent Events) this API process holds, all clients together */
  liveMaxStreams: number;
  /** open live streams per client address (an IPv6 /64 counts as one address) */
  liveMaxStreamsPerAddress: number;
  /** requests per minute: of one token, of one address to the JSON API, of one address to pages and media; 0 turns one off */
  rateLimits: { tokenPerMinute: number; apiPerMinute: number; pagesPerMinute: number; downloadsPerMinute: number };
  /**
   * Which proxies' X-Forwarded-For to believe (Fastify's trustProxy): false (none: the socket's
   * peer is the client), true (any), a number of hops, or addresses and CIDR ranges
   */
  trustProxy: boolean | number | string[];
  /** s-maxage of public media: how long a shared cache may serve it without asking, so the bound on a takedown (at most 55 s) */
  cacheSharedSeconds: number;
  /** how long a sign-in to the organisers' console (/admin) lasts, from the moment of signing in */
  adminSessionMs: number;
  /**
   * Prometheus scraping: `token` (METRICS_TOKEN) opens the API's `/metrics` besides an admin
   * token, and is the only key to the worker's; `workerPort` (WORKER_METRICS_PORT, undefined: off)
   * and `workerHost` are where a worker process serves its own.
   */
  metrics: { token: string | undefined; workerPort: number | undefined; workerHost: string };
  /**
   * On SIGTERM: `drainMs`, how long the API still serves while /readyz answers 503 (a load
   * balancer's time to see it); `timeoutMs`, how long in-flight requests and running jobs then
   * have before they are cut (requests) or handed back to the queue (jobs).
   */
  shutdown: { drainMs: number; timeoutMs: number };
  /**
   * The maintenance sweep: `everyMs`, how often it runs (besides at every worker start);
   * `graceMs`, how old an object with no row, an unfinished S3 multipart upload or a worker's
   * temp dir must be before it is removed — longer than any upload request or job takes.
   */
  sweep: { everyMs: number; graceMs: number };
  /**
   * The hand-off (src/storage/handoff.ts): the directory where the API leaves a copy of each
   * upload for a worker that shares it (undefined: off), the size above which it writes no
   * more, and how long an untaken copy stays.
   */
  handoff: { dir: string | undefined; maxBytes: number; ttlMs: number };
}

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const GiB = 1024 ** 3;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The embedded server's credentials: it listens on loopback only and checks no signatures. */
export const EMBEDDED_S3_KEYS = { accessKey: 'S3RVER', secretKey: 'S3RVER' } as const;

/**
 * `worker`: the process never reads ADMIN_TOKEN (only the API makes the bootstrap admin), so a
 * worker neither needs the secret nor fails on it.
 */
export interface LoadOptions {
  process?: 'api' | 'worker';
}

const ADDRESS_OR_RANGE = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)(\/\d{1,3})?$/i;

function proxyTrust(raw: string, problems: string[]): boolean | number | string[] {
  const v = raw.trim().toLowerCase();
  if (v === 'false' || v === '0' || v === '') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  const bad = list.filter((s) => !named.has(s) && !ADDRESS_OR_RANGE.test(s));
  if (bad.length > 0) problems.push(`TRUST_PROXY must be false, true, a number of hops, or addresses and CIDR ranges separated by commas (got "${bad.join(', ')}")`);
  return list;
}

export function loadConfig(env: Env = process.env, options: LoadOptions = {}): Readonly<Config> {
  const problems: string[] = [];
  const str = (key: string, fallback: string): string => {
    const v = env[key];
    return v === undefined || v === '' ? fallback : v;
  };
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw.trim())) {
      problems.push(`${key} must be a whole number (got "${raw}")`);
      return fallback;
    }
    const n = Number(raw.trim());
    if (n < min || n > max) problems.push(`${key} must be between ${min} and ${max} (got ${n})`);
    return n;
  };
  const url = (key: string, fallback: string, protocols: string[]): string => {
    const v = str(key, fallback);
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) problems.push(`${key} must use ${protocols.join(' or ')} (got "${u.protocol}")`);
    } catch {
      problems.push(`${key} is not a valid URL (got "${v}")`);
    }
    return v;
  };

  const port = int('PORT', 3000, 0, 65535);
  const host = str('HOST', '127.0.0.1');
  const publicUrl = url('PUBLIC_URL', 'http://127.0.0.1:3000', ['http:', 'https:']).replace(/\/+$/, '');
  const databaseUrl = url('DATABASE_URL', 'postgres://localhost/lamha', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);

  const endpointRaw = env.S3_ENDPOINT === '' ? undefined : env.S3_ENDPOINT;
  const endpoint = endpointRaw === undefined ? undefined : url('S3_ENDPOINT', endpointRaw, ['http:', 'https:']);
  let accessKey = str('S3_ACCESS_KEY', '');
  let secretKey = str('S3_SECRET_KEY', '');
  if (endpoint !== undefined) {
    if (!accessKey) problems.push('S3_ACCESS_KEY is required when S3_ENDPOINT is set');
    if (!secretKey) problems.push('S3_SECRET_KEY is required when S3_ENDPOINT is set');
  } else {
    accessKey = EMBEDDED_S3_KEYS.accessKey;
    secretKey = EMBEDDED_S3_KEYS.secretKey;
  }
  const bucket = str('S3_BUCKET', 'lamha');
  // S3 bucket naming rules: 3-63 chars, lowercase letters, digits, dots and hyphens.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push(`S3_BUCKET is not a valid bucket name (got "${bucket}")`);
  const region = str('S3_REGION', 'us-east-1');

  const adminToken = options.process === 'worker' || env.ADMIN_TOKEN === '' ? undefined : env.ADMIN_TOKEN;
  if (adminToken !== undefined && adminToken.length < 32) problems.push('ADMIN_TOKEN must be at least 32 characters');

  const uploadMaxBytes = int('UPLOAD_MAX_BYTES', 10 * GiB, 1, Number.MAX_SAFE_INTEGER);
  // 200 MP: above every camera sold (the largest make about 100 MP) with room for stitched panoramas
  const imageMaxPixels = int('IMAGE_MAX_PIXELS', 200_000_000, 1, 1_000_000_000);
  // 6 h: a full conference day recorded in one piece
  const videoMaxSeconds = int('VIDEO_MAX_SECONDS', 6 * 3600, 1, 48 * 3600);
  // 8K UHD (7680 × 4320): the largest frame cameras record; beyond it decoding one frame is the bomb
  const videoMaxPixels = int('VIDEO_MAX_PIXELS', 7680 * 4320, 1, 1_000_000_000);
  // a long recording is encoded in pieces of this length, each a job any worker may take
  const videoPieceSeconds = int('VIDEO_PIECE_SECONDS', 120, 4, 3600);
  if (videoPieceSeconds % 4 !== 0) problems.push(`VIDEO_PIECE_SECONDS must be a multiple of 4, the HLS segment length (got ${videoPieceSeconds})`);
  // the smallest rung is decoding-bound, and ffmpeg's own threads leave part of a core idle
  const videoFirstRungProcesses = int('VIDEO_FIRST_RUNG_PROCESSES', 0, 0, 64);
  const logLevel = str('LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  const redisPrefix = str('REDIS_PREFIX', 'lamha');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(redisPrefix)) problems.push(`REDIS_PREFIX may hold only letters, digits, "_", "." and "-" (got "${redisPrefix}")`);

  // BullMQ's defaults; tests shorten them so a killed worker's job is taken over in seconds
  const workerLockMs = int('WORKER_LOCK_MS', 30_000, 1_000, 3_600_000);
  const workerStalledIntervalMs = int('WORKER_STALLED_INTERVAL_MS', 30_000, 500, 3_600_000);

  // Backstops under the pixel and duration limits: what a tool that a crafted file drives wild
  // may take. Memory is address space (see DEFAULT_TOOL_LIMITS for what the tools reserve).
  const MiB = 1024 * 1024;
  const toolLimits = {
    memoryBytes: int('TOOL_MAX_MEMORY_MB', DEFAULT_TOOL_LIMITS.memoryBytes / MiB, 64, 1024 * 1024) * MiB,
    cpuSeconds: int('TOOL_MAX_CPU_SECONDS', DEFAULT_TOOL_LIMITS.cpuSeconds, 1, 7 * 24 * 3600),
    // a tool writes at most a copy of the upload (ffmpeg's stream copy, exiftool's rewrite) or a decoded photo
    fileBytes: int('TOOL_MAX_FILE_MB', Math.ceil(Math.max(DEFAULT_TOOL_LIMITS.fileBytes, 2 * uploadMaxBytes) / MiB), 1, 1024 * 1024 * 1024) * MiB,
  };

  // 10 s of work per second of video (measured up to 5.8 on 2 busy vCPUs), 10 min at least; at most
  // 72 h: the longest video accepted (6 h) at 10× and more (raise it with VIDEO_MAX_SECONDS)
  const transcodeDeadline = {
    factor: int('TRANSCODE_DEADLINE_FACTOR', 10, 0, 1000),
    minMs: int('TRANSCODE_DEADLINE_MIN_SECONDS', 600, 1, 20 * 24 * 3600) * 1000,
    // under 2^31 ms: Node's timers fire at once beyond it
    maxMs: int('TRANSCODE_DEADLINE_MAX_SECONDS', 72 * 3600, 1, 20 * 24 * 3600) * 1000,
  };
  if (transcodeDeadline.maxMs < transcodeDeadline.minMs) problems.push('TRANSCODE_DEADLINE_MAX_SECONDS must not be below TRANSCODE_DEADLINE_MIN_SECONDS');
  // No deadline for a whole request: a long upload over venue Wi-Fi may take hours. A stalled
  // one is ended by the idle timeout instead, which every byte received or sent resets.
  const httpIdleTimeoutMs = int('HTTP_IDLE_TIMEOUT_MS', 60_000, 100, 3_600_000);
  const httpHeadersTimeoutMs = int('HTTP_HEADERS_TIMEOUT_MS', 30_000, 100, 600_000);
  // above the 60 s idle timeout of common load balancers, so they never reuse a connection we close
  const httpKeepAliveTimeoutMs = int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000);

  // a venue's Wi-Fi puts hundreds of phones behind one IPv4 address
  const liveMaxStreams = int('LIVE_MAX_STREAMS', 10_000, 1, 1_000_000);
  const liveMaxStreamsPerAddress = int('LIVE_MAX_STREAMS_PER_ADDRESS', 500, 1, 1_000_000);

  // Generous: a phone scrolling an album fetches a few hundred thumbnails a minute, and a
  // venue's Wi-Fi puts many phones behind one address; a photographer's uploader or a press
  // room behind one NAT is counted per token instead.
  const rateLimits = {
    tokenPerMinute: int('RATE_LIMIT_TOKEN_PER_MINUTE', 3_000, 0, 10_000_000),
    apiPerMinute: int('RATE_LIMIT_API_PER_MINUTE', 1_200, 0, 10_000_000),
    pagesPerMinute: int('RATE_LIMIT_PAGES_PER_MINUTE', 12_000, 0, 10_000_000),
    // a press room downloading albums is one token or one share link, whatever its address
    downloadsPerMinute: int('RATE_LIMIT_DOWNLOADS_PER_MINUTE', 120, 0, 10_000_000),
  };

  // Behind a reverse proxy the socket's peer is the proxy: the client's address, which rate
  // limits, live stream caps and logs use, is believed from X-Forwarded-For only when the
  // operator says which proxy sets it. A header from anyone else could name any address.
  const trustProxy = proxyTrust(str('TRUST_PROXY', 'false'), problems);

  // A scraper holds a key of its own, which opens the metrics and nothing else: an admin token in
  // a Prometheus configuration would open everything.
  const metricsToken = env.METRICS_TOKEN === undefined || env.METRICS_TOKEN === '' ? undefined : env.METRICS_TOKEN;
  if (metricsToken !== undefined && (metricsToken.length < 32 || /\s/.test(metricsToken))) problems.push('METRICS_TOKEN must be at least 32 characters, without spaces');
  const workerMetricsPort = env.WORKER_METRICS_PORT === undefined || env.WORKER_METRICS_PORT === '' ? undefined : int('WORKER_METRICS_PORT', 9465, 1, 65535);
  if (workerMetricsPort !== undefined && metricsToken === undefined) problems.push('WORKER_METRICS_PORT needs METRICS_TOKEN: the worker\'s metrics are served to that token only');

  // a load balancer polling /readyz every few seconds sees it fail before the listener goes;
  // 30 s: a photo's upload over venue Wi-Fi mostly ends in it, a long video's job is handed back
  const shutdown = {
    drainMs: int('SHUTDOWN_DRAIN_MS', 5_000, 0, 600_000),
    timeoutMs: int('SHUTDOWN_TIMEOUT_MS', 30_000, 0, 3_600_000),
  };

  const config: Config = {
    shutdown,
    // a day: far beyond the longest video job (transcodeDeadline's cap) and any upload request
    sweep: { everyMs: int('SWEEP_EVERY_MINUTES', 15, 1, 24 * 60) * 60_000, graceMs: int('SWEEP_GRACE_HOURS', 24, 1, 24 * 30) * 3600_000 },
    // beside the embedded S3 server's objects by default; "off" where no worker shares the API's disk
    handoff: {
      dir: str('HANDOFF_DIR', '') === 'off' ? undefined : path.resolve(str('HANDOFF_DIR', path.join(str('DATA_DIR', './data'), 'handoff'))),
      maxBytes: int('HANDOFF_MAX_MB', 4096, 1, 1024 * 1024) * MiB,
      ttlMs: int('HANDOFF_TTL_MINUTES', 30, 1, 24 * 60) * 60_000,
    },
    trustProxy,
    cacheSharedSeconds: int('CACHE_SHARED_MAX_AGE', SHARED_MAX_SECONDS, 1, SHARED_MAX_SECONDS),
    // a working day at the event; an organiser signs in again the next morning
    adminSessionMs: int('ADMIN_SESSION_HOURS', 12, 1, 24 * 30) * 3600_000,
    metrics: { token: metricsToken, workerPort: workerMetricsPort, workerHost: str('WORKER_METRICS_HOST', '127.0.0.1') },
    port,
    host,
    publicUrl,
    databaseUrl,
    redisUrl,
    s3: { endpoint, accessKey, secretKey, bucket, region },
    embeddedS3Port: int('S3_EMBEDDED_PORT', 9310, 1, 65535),
    dataDir: path.resolve(str('DATA_DIR', './data')),
    adminToken,
    uploadMaxBytes,
    uploadMemoryBytes: int('UPLOAD_MEMORY_MB', DEFAULT_UPLOAD_MEMORY_MB, 16, 1024 * 1024) * MiB,
    // a day: a photographer whose Wi-Fi failed in the afternoon resumes from the hotel that night
    resumableExpiryMs: int('RESUMABLE_EXPIRY_HOURS', 24, 1, 24 * 30) * 3600_000,
    imageMaxPixels,
    videoMaxSeconds,
    videoMaxPixels,
    videoPieceSeconds,
    videoFirstRungProcesses,
    ffmpegPath: str('FFMPEG_PATH', 'ffmpeg'),
    ffprobePath: str('FFPROBE_PATH', 'ffprobe'),
    logLevel,
    redisPrefix,
    workerLockMs,
    workerStalledIntervalMs,
    toolLimits,
    transcodeDeadline,
    httpIdleTimeoutMs,
    httpHeadersTimeoutMs,
    httpKeepAliveTimeoutMs,
    liveMaxStreams,
    liveMaxStreamsPerAddress,
    rateLimits,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}
