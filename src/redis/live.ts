/**
 * Live updates over Redis pub/sub, so every API process can tell its open galleries that an
 * asset became ready, whichever worker made it.
 */
import type { Redis } from 'ioredis';

export interface AssetReady {
  type: 'asset.ready';
  eventId: string;
  albumId: string;
  assetId: string;
}

export function liveChannel(prefix: string, eventId: string): string {
  return `${prefix}:live:${eventId}`;
}

export async function publishAssetReady(redis: Redis, prefix: string, message: Omit<AssetReady, 'type'>): Promise<void> {
  await redis.publish(liveChannel(prefix, message.eventId), JSON.stringify({ type: 'asset.ready', ...message }));
}
