/**
 * The live hub of one API process: one Redis subscriber connection (a duplicate of the app's),
 * subscribed to every event's live channel by pattern, and the open Server-Sent Event streams,
 * grouped by event, that its messages fan out to. Workers publish on Redis (redis/live.ts), so
 * a gallery open on any API process hears of an asset whichever worker made it.
 *
 * Only what the public may see is announced: each message is checked against the asset's row
 * once per process (not once per stream), since it may be hidden or in a draft album.
 */
import type { ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { Db } from '../../db/database.js';
import { findAsset, listPublicReadyAfter } from '../../db/assets.js';
import type { Log } from '../../log.js';
import type { AssetReady } from '../../redis/live.js';
import { isPublic } from '../../services/assets.js';

export interface LiveHubOptions {
  /** the app's Redis connection; the hub subscribes on a duplicate of it */
  redis: Redis;
  prefix: string;
  db: Db;
  log: Log;
  /** how often an idle stream gets a comment, so proxies and phones keep it open */
  heartbeatMs?: number;
  /** the client's reconnection delay, sent as `retry:` */
  retryMs?: number;
  /** a client that has this much unsent data is too slow to follow and is dropped */
  maxBufferedBytes?: number;
}

export interface LiveHub {
  /** Resolves once this process is subscribed; rejects when Redis cannot be reached. */
  ready(): Promise<void>;
  /**
   * Starts an event stream on `res` (the caller has checked that the event is visible) until the
   * response closes. With `lastEventId` (a reconnecting EventSource sends the last id it got),
   * the public assets that became ready since that one are sent first.
   */
  open(eventId: string, res: ServerResponse, lastEventId?: string): void;
  /** open streams, all events together */
  readonly size: number;
  /** Ends every stream and closes the subscriber connection. */
  close(): Promise<void>;
}

/** At most this many missed announcements are replayed; a client that missed more reloads anyway. */
const REPLAY_LIMIT = 100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createLiveHub(options: LiveHubOptions): LiveHub {
  const { redis, prefix, db, log } = options;
  const heartbeatMs = options.heartbeatMs ?? 20_000;
  const retryMs = options.retryMs ?? 5_000;
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;
  const channelPrefix = `${prefix}:live:`;
  const byEvent = new Map<string, Set<ServerResponse>>();
  let size = 0;
  let subscribed: Promise<Redis> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;

  function subscribe(): Promise<Redis> {
    subscribed ??= (async () => {
      // named, so CLIENT LIST shows which process's subscriber it is
      const subscriber = redis.duplicate({ connectionName: `${prefix}:live` });
      subscriber.on('error', (err) => log.warn({ err }, 'live: Redis subscriber error'));
      subscriber.on('pmessage', (_pattern, channel, message) => void deliver(channel, message));
      try {
        // ioredis subscribes again by itself after a reconnection.
        await subscriber.psubscribe(`${escapeGlob(channelPrefix)}*`);
      } catch (err) {
        subscriber.disconnect(); // a fresh connection is made for the next stream
        throw err;
      }
      return subscriber;
    })();
    subscribed.catch(() => {
      subscribed = undefined; // the next stream tries again
    });
    return subscribed;
  }

  async function deliver(channel: string, message: string): Promise<void> {
    const eventId = channel.slice(channelPrefix.length);
    const streams = byEvent.get(eventId);
    if (!streams || streams.size === 0) return;
    let m: AssetReady;
    try {
      m = JSON.parse(message) as AssetReady;
    } catch {
      return;
    }
    if (m.type !== 'asset.ready' || m.eventId !== eventId || !UUID.test(m.assetId ?? '')) return;
    try {
      const asset = await findAsset(db, m.assetId);
      if (!asset || asset.eventId !== eventId || !isPublic(asset)) return;
      const frame = readyFrame(asset.id, asset.albumId, eventId);
      for (const res of byEvent.get(eventId) ?? []) send(res, frame);
    } catch (err) {
      log.warn({ err, assetId: m.assetId }, 'live: could not check an announced asset');
    }
  }

  function send(res: ServerResponse, frame: string): void {
    if (res.writableLength > maxBuffered) {
      // The client reads slower than we write: drop it; EventSource reconnects.
      res.destroy();
      return;
    }
    res.write(frame);
  }

  function remove(eventId: string, res: ServerResponse): void {
    const streams = byEvent.get(eventId);
    if (!streams?.delete(res)) return;
    size--;
    if (streams.size === 0) byEvent.delete(eventId);
    if (size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  return {
    get size() {
      return size;
    },

    async ready() {
      if (closed) throw new Error('the live hub is closed');
      await subscribe();
    },

    open(eventId, res, lastEventId) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        // no-transform: a compressing proxy would hold events back
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      res.write(`retry: ${retryMs}\n: live\n\n`);
      let streams = byEvent.get(eventId);
      if (!streams) byEvent.set(eventId, (streams = new Set()));
      streams.add(res);
      size++;
      heartbeat ??= setInterval(() => {
        for (const set of byEvent.values()) for (const r of set) send(r, ': heartbeat\n\n');
      }, heartbeatMs);
      res.once('close', () => remove(eventId, res));
      if (lastEventId !== undefined && UUID.test(lastEventId)) {
        // Announcements that also arrive live meanwhile come twice; clients skip what they have.
        listPublicReadyAfter(db, eventId, lastEventId, REPLAY_LIMIT).then(
          (missed) => { for (const a of missed) if (!res.destroyed) send(res, readyFrame(a.id, a.albumId, eventId)); },
          (err: unknown) => log.warn({ err }, 'live: could not replay missed announcements'),
        );
      }
    },

    async close() {
      closed = true;
      for (const [eventId, streams] of [...byEvent]) {
        for (const res of [...streams]) {
          remove(eventId, res);
          res.end();
        }
      }
      const subscriber = await subscribed?.catch(() => undefined);
      subscribed = undefined;
      subscriber?.disconnect();
    },
  };
}

function readyFrame(assetId: string, albumId: string, eventId: string): string {
  return `id: ${assetId}\nevent: asset.ready\ndata: ${JSON.stringify({ assetId, albumId, eventId })}\n\n`;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
