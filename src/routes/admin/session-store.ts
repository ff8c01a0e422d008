/**
 * Console sessions in Redis, through the app's own ioredis connection: @fastify/session's store
 * interface (express-session's) over GET/SET/DEL. connect-redis speaks only node-redis, which
 * the app does not otherwise use. A session lives in Redis no longer than its cookie.
 */
import type { Redis } from 'ioredis';
import type { SessionStore } from '@fastify/session';

type Stored = Parameters<SessionStore['set']>[1];

export function createRedisSessionStore({ redis, prefix, ttlMs }: { redis: Redis; prefix: string; ttlMs: number }): SessionStore {
  const key = (id: string) => `${prefix}:admin-session:${id}`;
  return {
    set(id, session, callback) {
      const expires = (session as { cookie?: { expires?: Date | string | null } }).cookie?.expires;
      const ms = expires ? new Date(expires).getTime() - Date.now() : ttlMs;
      if (ms <= 0) {
        redis.del(key(id)).then(() => callback(), callback);
        return;
      }
      redis.set(key(id), JSON.stringify(session), 'PX', Math.min(ms, ttlMs)).then(() => callback(), callback);
    },
    get(id, callback) {
      redis.get(key(id)).then((raw) => callback(null, raw === null ? null : (JSON.parse(raw) as Stored)), (err: unknown) => callback(err, null));
    },
    destroy(id, callback) {
      redis.del(key(id)).then(() => callback(), callback);
    },
  };
}

/**
 * The key that signs session cookies, shared by every API process through Redis (made once, by
 * whichever process starts first). Sessions live in Redis too: if Redis loses this key, it has
 * lost the sessions with it, and organisers sign in again either way. An API that starts while
 * Redis is down must still serve the gallery: it then signs with a key of its own (a console
 * sign-in needs Redis anyway, and works on this process once Redis is back).
 */
export async function sessionSecret(redis: Redis, prefix: string, fresh: () => string, timeoutMs = 3_000): Promise<string> {
  const key = `${prefix}:admin-session-secret`;
  const own = fresh();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      (async () => {
        await redis.set(key, own, 'NX');
        return (await redis.get(key)) ?? own;
      })(),
      new Promise<string>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Redis did not answer')), timeoutMs);
      }),
    ]);
  } catch {
    return own;
  } finally {
    clearTimeout(timer);
  }
}
