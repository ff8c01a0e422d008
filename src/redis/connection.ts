import { Redis, type RedisOptions } from 'ioredis';

export function createRedis(url: string, options: { forWorker?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    // BullMQ workers block on Redis and must retry forever; API calls should fail fast.
    maxRetriesPerRequest: options.forWorker ? null : 3,
    lazyConnect: false,
  });
  if (!options.forWorker) {
    // Once connected, a command while Redis is away fails at once instead of waiting in the
    // offline queue through up to three reconnection attempts (2 s apart once the back-off is at
    // its cap): with Redis down every request — the rate limit asks Redis first — took 20 s.
    // Nothing the API keeps there is the archive: an upload's job is queued again by the sweep,
    // a rate limit is skipped, the live feed and console sessions wait. Before the first
    // connection, commands still wait for it (start-up).
    redis.once('ready', () => {
      redis.options.enableOfflineQueue = false;
    });
    // a copy (the live feed's subscriber) is a new connection: its commands wait for it to connect
    const duplicate = redis.duplicate.bind(redis);
    redis.duplicate = ((override?: Partial<RedisOptions>) => duplicate({ enableOfflineQueue: true, ...override })) as Redis['duplicate'];
  }
  return redis;
}

/**
 * BullMQ loses jobs when Redis evicts keys: refuse to run unless the policy is noeviction.
 * INFO is read rather than CONFIG GET, which managed Redis services often forbid.
 */
export async function assertNoEviction(redis: Redis): Promise<void> {
  const info = await redis.info('memory');
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy !== undefined && policy !== 'noeviction') {
    throw new Error(
      `Redis maxmemory-policy is "${policy}", but Lamha's queues need "noeviction" (set "maxmemory-policy noeviction" in redis.conf or run "CONFIG SET maxmemory-policy noeviction").`,
    );
  }
}
