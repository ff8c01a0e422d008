/**
 * What `npm run backup` and `npm run restore` share: the installation's connections from the
 * configuration (src/config.ts), the embedded S3 server included when S3_ENDPOINT is unset.
 */
import { loadConfig, type Config } from '../src/config.js';
import { createDb, type Db } from '../src/db/database.js';
import { embeddedEndpoint, storageFromConfig } from '../src/startup.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../src/storage/embedded-s3.js';
import type { ObjectStore } from '../src/storage/object-store.js';

export interface Installation {
  config: Readonly<Config>;
  db: Db;
  storage: ObjectStore;
  close(): Promise<void>;
}

/**
 * Without S3_ENDPOINT the objects are the embedded server's, under DATA_DIR: the running
 * Lamha's server when there is one on its port, else one started here for the command.
 */
export async function openInstallation(): Promise<Installation> {
  const config = loadConfig(process.env, { process: 'worker' });
  let embedded: EmbeddedS3 | undefined;
  let storage = storageFromConfig(config, config.s3.endpoint ?? embeddedEndpoint(config));
  if (!config.s3.endpoint) {
    const running = await storage.client.bucketExists(storage.bucket).then(() => true, () => false);
    if (!running) {
      embedded = await startEmbeddedS3({ dataDir: config.dataDir, port: config.embeddedS3Port });
      storage = storageFromConfig(config, embedded.endpoint);
    }
  }
  const db = createDb({ url: config.databaseUrl, max: 2 });
  return {
    config, db, storage,
    async close() {
      await db.end();
      await embedded?.close();
    },
  };
}

/** The command's one argument, or its usage and exit status 2. */
export function dirArgument(command: string): string {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    process.stderr.write(`usage: npm run ${command} -- <dir>\n`);
    process.exit(2);
  }
  return args[0]!;
}

export function fail(command: string, err: unknown): never {
  process.stderr.write(`lamha ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
