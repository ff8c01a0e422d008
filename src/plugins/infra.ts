/**
 * Infrastructure decorators: PostgreSQL pool, Redis, object store and queues. What the caller
 * passes in is used as is (and left open); what is made here is closed with the app.
 */
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { createDb, type Db } from '../db/database.js';
import { createQueues, type Queues } from '../queues/producer.js';
import { createRedis } from '../redis/connection.js';
import { storageFromConfig } from '../startup.js';
import { countingErrors, storageErrorCode } from '../storage/counted.js';
import type { ObjectStore } from '../storage/object-store.js';

export interface Infra {
  db: Db;
  redis: Redis;
  storage: ObjectStore;
  queues: Queues;
}

declare module 'fastify' {
  interface FastifyInstance extends Infra {
    config: Readonly<Config>;
  }
}

export interface InfraOptions {
  config: Readonly<Config>;
  deps?: Partial<Infra>;
}

export default fp<InfraOptions>(async (app, { config, deps = {} }) => {
  const db = deps.db ?? createDb({ url: config.databaseUrl });
  const redis = deps.redis ?? createRedis(config.redisUrl);
  // what the store throws is counted for /metrics, whether the store was made here or given
  const storage = countingErrors(deps.storage ?? storageFromConfig(config), (operation, err) =>
    app.metrics.storageErrors.inc({ operation, code: storageErrorCode(err) }));
  const queues = deps.queues ?? createQueues({ connection: redis, prefix: config.redisPrefix });
  app.decorate('config', config);
  app.decorate('db', db);
  app.decorate('redis', redis);
  app.decorate('storage', storage);
  app.decorate('queues', queues);
  app.addHook('onClose', async () => {
    if (!deps.queues) await queues.close();
    if (!deps.redis) redis.disconnect();
    if (!deps.db) await db.end();
  });
}, { name: 'lamha-infra', dependencies: ['lamha-metrics'] });
