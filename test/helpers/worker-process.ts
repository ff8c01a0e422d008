/**
 * For tests that run worker processes (workers/main.ts) on a test context and stop or kill them:
 * their environment, what they leave in their temp dir, the tools they leave running.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Test } from 'tap';
import { REDIS_URL, type TestContext } from './context.js';

/** A worker process's environment on `ctx`'s database, Redis prefix and bucket, temp files in `tmp`. */
export function workerEnv(ctx: TestContext, tmp: string, env: Record<string, string>): Record<string, string> {
  return {
    DATABASE_URL: ctx.config.databaseUrl,
    REDIS_URL, REDIS_PREFIX: ctx.config.redisPrefix,
    S3_ENDPOINT: ctx.storage.endpoint,
    S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? 'S3RVER', S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? 'S3RVER',
    S3_BUCKET: ctx.storage.bucket, TMPDIR: tmp,
    ...env,
  };
}

/** An object's bytes as text. */
export async function objectText(ctx: TestContext, key: string): Promise<string> {
  let out = '';
  for await (const c of await ctx.storage.get(key)) out += (c as Buffer).toString('utf8');
  return out;
}

/** Process ids whose command line mentions `needle` (ffmpeg runs on files under the worker's temp dir). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

/** Lamha's work dirs (tsx keeps a cache of its own there too); with `sources`, the machine's copies of videos being processed too. */
export async function lamhaDirs(dir: string, sources = false): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('lamha-') && (sources || n !== 'lamha-video-sources'));
}

/**
 * The video `id` (a 720p source of `seconds`) has exactly one set of renditions: every object is
 * a rendition row or a file a playlist names, and every named file exists.
 */
export async function assertOneVideoSet(t: Test, ctx: TestContext, id: string, seconds: number): Promise<void> {
  const prefix = `renditions/${id}/`;
  const objects = new Set((await ctx.storage.list(prefix)).map((k) => k.slice(prefix.length)));
  const { rows } = await ctx.db.query<{ name: string }>('SELECT name FROM renditions WHERE asset_id = $1', [id]);
  const named = new Set(rows.map((r) => r.name));
  for (const name of named) t.ok(objects.has(name), `rendition ${name} is stored`);
  const master = await objectText(ctx, `${prefix}hls/master.m3u8`);
  const variants = master.split('\n').filter((l) => l && !l.startsWith('#'));
  t.equal(variants.length, 2, '720p source: 360p and 720p');
  const groups = [...master.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!);
  t.same(groups, ['audio/index.m3u8'], 'and the audio');
  for (const v of [...variants, ...groups]) {
    const dir = path.posix.dirname(`hls/${v}`);
    const playlist = await objectText(ctx, `${prefix}hls/${v}`);
    named.add(`hls/${v}`);
    const uris = [...playlist.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!).concat(playlist.split('\n').filter((l) => l && !l.startsWith('#')));
    // its init segment and one per 4 s
    t.ok(uris.length >= 1 + seconds / 4, `${v}: ${uris.length} files named`);
    for (const uri of uris) {
      t.ok(objects.has(`${dir}/${uri}`), `${dir}/${uri} exists`);
      named.add(`${dir}/${uri}`);
    }
  }
  t.same([...objects].filter((o) => !named.has(o)), [], 'no object outside the one set');
}
