/**
 * What every Lamha process does before it serves: database created and migrated, object
 * storage reachable with its bucket, Redis safe for queues.
 */
import type { Redis } from 'ioredis';
import { ConfigError, loadConfig, type Config } from './config.js';
import { ensureDatabase, migrate } from './db/database.js';
import type { Log } from './log.js';
import { assertNoEviction } from './queues/redis.js';
import type { ObjectStore } from './storage/object-store.js';

/** Reads the configuration or ends the process with one message naming every bad key. */
export function configOrExit(): Readonly<Config> {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`lamha: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
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
