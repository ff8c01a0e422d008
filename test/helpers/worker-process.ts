/**
 * For tests that run worker processes (workers/main.ts) on a test context and stop or kill them:
 * their environment, what they leave in their temp dir, the tools they leave running.
 */
import { readdir, readFile } from 'node:fs/promises';
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
