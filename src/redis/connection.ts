import { Redis } from 'ioredis';

export function createRedis(url: string, options: { forWorker?: boolean } = {}): Redis {
  return new Redis(url, {
    // BullMQ workers block on Redis and must retry forever; API calls should fail fast.
    maxRetriesPerRequest: options.forWorker ? null : 3,
    lazyConnect: false,
  });
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
