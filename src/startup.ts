/**
 * The start-up wiring every Lamha process shares (the API, the worker, both in one): the
 * configuration, the connections, prepared (database created and migrated, object storage
 * reachable with its bucket, Redis safe for queues), and a graceful close on SIGTERM.
 */
import type { Redis } from 'ioredis';
import { ConfigError, loadConfig, type Config, type LoadOptions } from './config.js';
import { setToolLimits } from './media/run.js';
import { createDb, ensureDatabase, migrate, type Db } from './db/database.js';
import type { Log } from './log.js';
import { assertNoEviction, createRedis } from './redis/connection.js';
import { EMBEDDED_S3_WARNING, startEmbeddedS3, type EmbeddedS3 } from './storage/embedded-s3.js';
import { createObjectStore, uploadMemory, type ObjectStore } from './storage/object-store.js';

/** Reads the configuration or ends the process with one message naming every bad key. */
export function configOrExit(options: LoadOptions = {}): Readonly<Config> {
  try {
    const config = loadConfig(process.env, options);
    // every external tool this process runs (API and worker alike) is held to these
    setToolLimits(config.toolLimits);
    // and its uploads (the API's from clients, the worker's of renditions) to this much part memory
    uploadMemory.setLimit(config.uploadMemoryBytes);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`lamha: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

export function storageFromConfig(config: Readonly<Config>, endpoint = config.s3.endpoint): ObjectStore {
  if (!endpoint) throw new Error('no S3 endpoint: start the embedded S3 server first');
  return createObjectStore({ ...config.s3, endpoint, maxObjectBytes: config.uploadMaxBytes });
}

/** Prepares the database, Redis and the bucket, or ends the process with one plain message. */
export async function prepareOrExit({ config, redis, storage, log }: { config: Readonly<Config>; redis: Redis; storage: ObjectStore; log: Log }): Promise<void> {
  try {
    await ensureDatabase(config.databaseUrl);
    await migrate(config.databaseUrl, 'public', log);
    await assertNoEviction(redis);
    await storage.ensureBucket();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.error({ err }, 'cannot start');
    process.stderr.write(`lamha: cannot start: ${message}\n`);
    process.exit(1);
  }
}

/** The embedded S3 server's address, as the API process that runs it and the worker both see it. */
export function embeddedEndpoint(config: Readonly<Config>): string {
  return `http://127.0.0.1:${config.embeddedS3Port}`;
}

export interface Connections {
  db: Db;
  redis: Redis;
  storage: ObjectStore;
  close(): Promise<void>;
}

/**
 * The process's connections, prepared. Without S3_ENDPOINT the process that serves the API
 * runs the embedded S3 server (`runEmbeddedS3`); a worker on the same machine uses it there.
 * A worker's Redis connection retries forever (BullMQ blocks on it); the API's fails fast.
 */
export async function openConnections(config: Readonly<Config>, log: Log, options: { runEmbeddedS3: boolean; forWorker: boolean }): Promise<Connections> {
  let embedded: EmbeddedS3 | undefined;
  if (options.runEmbeddedS3 && !config.s3.endpoint) {
    embedded = await startEmbeddedS3({ dataDir: config.dataDir, port: config.embeddedS3Port });
    log.info(`embedded S3 server on ${embedded.endpoint}, objects under ${config.dataDir}`);
    // It listens on loopback only, but anything on this machine may read and write every object.
    log.warn(EMBEDDED_S3_WARNING);
  }
  const storage = storageFromConfig(config, config.s3.endpoint ?? embeddedEndpoint(config));
  const redis = createRedis(config.redisUrl, { forWorker: options.forWorker });
  await prepareOrExit({ config, redis, storage, log });
  const db = createDb({ url: config.databaseUrl });
  return {
    db, redis, storage,
    async close() {
      redis.disconnect();
      await db.end();
      await embedded?.close();
    },
  };
}

/** SIGINT/SIGTERM run `close` once; a second signal forces the exit. */
export function onShutdown(log: Log, close: () => Promise<void>): void {
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) process.exit(1);
      closing = true;
      log.info(`${signal}: closing`);
      close().then(() => process.exit(0), (err) => {
        log.error({ err }, 'error while closing');
        process.exit(1);
      });
    });
  }
}
