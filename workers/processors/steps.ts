/**
 * Steps every media processor takes: spool the original to disk once, report progress, store
 * renditions under deterministic keys, record the result or the failure, announce readiness.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import { completeAsset, failAsset, findAssetToProcess, setProgress, type NewRendition, type ProcessedImage } from '../../src/db/processing.js';
import { takedownable } from '../../src/http-cache.js';
import { publishAssetReady } from '../../src/redis/live.js';
import { originalKey, renditionKey, renditionPrefix, subtitlePrefix } from '../../src/storage/keys.js';
import { spool } from '../../src/storage/spool.js';
import type { ProcessorDeps } from './registry.js';

/**
 * Runs `fn` in a fresh work dir, removed afterwards. The dir's name carries this process's id,
 * so that the dirs of a worker killed outright (SIGKILL, out of memory) are found and removed
 * by the next job of any worker on the machine, instead of piling up on the disk.
 */
export async function inWorkDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  await removeOrphanedWorkDirs(prefix);
  const dir = await mkdtemp(path.join(os.tmpdir(), `${prefix}${process.pid}-`));
  inUse.add(dir);
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
    inUse.delete(dir);
  }
}

/** this process's work dirs, which no sweep removes however old */
const inUse = new Set<string>();

/**
 * The temp dirs Lamha's processes make: the workers' (inWorkDir), ffmpeg's probes (withTempDir)
 * and the API's press files. Only these are swept: other programs' `lamha-…` names are not ours.
 * The shared video sources (`lamha-video-sources`) have their own rule (removeStaleSources).
 */
/** this machine's copies of the originals of videos being made, under the temp dir (video-flow.ts) */
export const SOURCES = 'lamha-video-sources';

/** how long a photo's or a document's job runs before it reports its steps' progress (progressReporter) */
export const QUIET_PROGRESS_MS = 1000;

const TEMP_PREFIXES = ['lamha-image-', 'lamha-video-', 'lamha-document-', 'lamha-extent-', 'lamha-press-'];

/**
 * What the maintenance sweep removes from this machine's temp dir: the work dirs of processes
 * that no longer exist, and any of Lamha's temp dirs older than `graceMs` that no job of this
 * process uses (a container restarted gives its new processes the old ones' ids; the API's
 * temp dirs carry none).
 */
export async function sweepTempDir(graceMs: number, { root = os.tmpdir() }: { root?: string } = {}): Promise<number> {
  const oldest = Date.now() - graceMs;
  let removed = 0;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!TEMP_PREFIXES.some((p) => name.startsWith(p)) || name === SOURCES) continue;
    const full = path.join(root, name);
    if (inUse.has(full)) continue;
    const pid = /^lamha-[a-z]+-(\d+)-/.exec(name)?.[1];
    const dead = pid !== undefined && !isAlive(Number(pid));
    const mtime = dead ? undefined : (await stat(full).catch(() => undefined))?.mtimeMs;
    if (!dead && !(mtime !== undefined && mtime < oldest)) continue;
    await rm(full, { recursive: true, force: true }).then(() => removed++, () => {});
  }
  return removed;
}

/**
 * Removes the work dirs of processes that no longer exist. Workers sharing a temp dir must
 * share a process-id namespace too (one machine, or one container), as they do by default.
 */
export async function removeOrphanedWorkDirs(prefix: string): Promise<number> {
  const root = os.tmpdir();
  const names = await readdir(root).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)-/.exec(name.slice(prefix.length)) : null;
    if (!m || isAlive(Number(m[1]))) continue;
    await rm(path.join(root, name), { recursive: true, force: true }).then(() => removed++, () => {});
  }
  return removed;
}

/** Whether process `pid` exists (on this machine). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The original, copied to `dir/original` (decoders need a file; S3 streams are read once): the
 * API's copy when this worker shares its hand-off directory and finds one, else downloaded.
 */
export async function spoolOriginal(deps: ProcessorDeps, assetId: string, dir: string, signal: AbortSignal): Promise<string> {
  const file = path.join(dir, 'original');
  if (await deps.handoff?.take(assetId, file)) return file;
  await spool(await deps.storage.get(originalKey(assetId)), file, signal);
  return file;
}

/**
 * Where a job's time went, for its report: each `lap` names the step that ended since the last
 * one. One clock shared by the helpers a job calls (cleanOriginal), so their steps follow its own.
 */
export class StepTimes {
  readonly seconds: Record<string, number> = {};
  #since = performance.now();

  lap(step: string): void {
    const now = performance.now();
    this.seconds[step] = (now - this.#since) / 1000;
    this.#since = now;
  }

  toString(): string {
    return Object.entries(this.seconds).map(([step, s]) => `${step} ${s.toFixed(1)} s`).join(', ');
  }
}

/**
 * Removes what processors made for the asset; subtitle tracks beside them are people's uploads,
 * recorded in their own rows, and stay.
 */
export async function clearRenditions(deps: ProcessorDeps, assetId: string): Promise<number> {
  return deps.storage.deletePrefix(renditionPrefix(assetId), { except: subtitlePrefix(assetId) });
}

/**
 * The job's progress, on the job (Redis) and the asset's row (PostgreSQL), each new value once.
 * With `quietMs`, nothing is written before the job has run that long: a photo is made in well
 * under a second on a worker with room, and its steps' progress, seen by nobody, cost a Redis
 * script and a PostgreSQL update each (four of each a photo); one that takes longer (a large
 * PNG, a busy worker) reports its steps from then on. The end (ready, failed) is written anyway.
 */
export function progressReporter(
  job: Pick<Job, 'updateProgress'>, deps: Pick<ProcessorDeps, 'db'>, assetId: string,
  { quietMs = 0, now = () => performance.now() }: { quietMs?: number; now?: () => number } = {},
): (percent: number) => Promise<void> {
  let last = -1;
  const started = now();
  return async (percent) => {
    const p = Math.max(0, Math.min(100, Math.round(percent)));
    if (p === last || now() - started < quietMs) return;
    last = p;
    await job.updateProgress(p);
    await setProgress(deps.db, assetId, p);
  };
}

export interface RenditionSource {
  name: string;
  type: string;
  width: number | null;
  height: number | null;
  /** the bytes, or a file to stream */
  data: Buffer | { file: string };
}

/** renditions uploaded at once: a photo's four go together instead of each waiting for the one before */
const PUTS_AT_ONCE = 4;

export async function storeRenditions(deps: ProcessorDeps, assetId: string, items: RenditionSource[]): Promise<NewRendition[]> {
  const out: NewRendition[] = new Array(items.length);
  let next = 0;
  let failed = false;
  // Rendition keys are deterministic and their objects rewritten whole, never edited; but an
  // asset can be taken down, so a cache put straight in front of the bucket may not keep them for long.
  const store = async (r: RenditionSource): Promise<NewRendition> => {
    const key = renditionKey(assetId, r.name);
    const options = { contentType: r.type, headers: { 'Cache-Control': takedownable(86400) } };
    let bytes: number;
    if (Buffer.isBuffer(r.data)) {
      await deps.storage.put(key, r.data, options);
      bytes = r.data.length;
    } else {
      bytes = (await stat(r.data.file)).size;
      await deps.storage.put(key, createReadStream(r.data.file), options);
    }
    return { name: r.name, key, width: r.width, height: r.height, bytes, type: r.type };
  };
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await store(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  // every upload settled before a failure is reported: the caller's clean-up must come after the last PUT
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(PUTS_AT_ONCE, items.length) }, lane));
  const failure = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failure) throw failure.reason;
  return out;
}

/** Records the result and announces it; answers false (and removes the renditions) when the asset was deleted meanwhile. */
export async function complete(deps: ProcessorDeps, asset: { id: string; eventId: string; albumId: string }, result: ProcessedImage): Promise<boolean> {
  // write() bumps the version before the announcement: a gallery told of the asset then fetches pages that already show it.
  const stillThere = await deps.changes.write(asset.eventId, (w) => completeAsset(w, asset.id, result));
  if (!stillThere) {
    await deps.storage.deletePrefix(renditionPrefix(asset.id));
    return false;
  }
  await publishAssetReady(deps.publisher, deps.settings.redisPrefix, { eventId: asset.eventId, albumId: asset.albumId, assetId: asset.id });
  return true;
}

/**
 * An input fault ends the asset `failed` at once (UnrecoverableError: no retry); any other
 * error is retried, and marks the asset failed only on the last attempt.
 */
export async function recordFailure(job: Job, deps: ProcessorDeps, assetId: string, err: unknown, inputFault: boolean): Promise<never> {
  // stopped by the worker's shutdown, not by the file or the tools: nothing to record, the job goes back
  if (deps.handBack?.aborted) throw new HandedBackError({ cause: err });
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  if (inputFault || lastAttempt) {
    // The code first: the uploader page and the console put a known code into the reader's words.
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' && code.startsWith('LAMHA_') && !message.startsWith(code) ? `${code}: ${message}` : message;
    const eventId = (await findAssetToProcess(deps.db, assetId))?.eventId;
    // A re-processed asset that was public is public no more.
    if (eventId) await deps.changes.write(eventId, (w) => failAsset(w, assetId, reason));
    await clearRenditions(deps, assetId).catch(() => 0);
    if (inputFault) throw new UnrecoverableError(reason);
  }
  throw err;
}

/** A job interrupted by its worker's shutdown: it is returned to the queue, not failed. */
export class HandedBackError extends Error {
  constructor(options?: ErrorOptions) {
    super('the worker is stopping: the job goes back to the queue', options);
    this.name = 'HandedBackError';
  }
}

/** A job's abort signal: its own deadline, or the worker's shutdown bound, whichever comes first. */
export function jobSignal(deps: Pick<ProcessorDeps, 'handBack'>, deadlineMs: number): AbortSignal {
  const deadline = AbortSignal.timeout(deadlineMs);
  return deps.handBack ? AbortSignal.any([deadline, deps.handBack]) : deadline;
}

const INPUT_FAULTS = new Set(['LAMHA_NOT_FOUND', 'LAMHA_UNDECODABLE', 'LAMHA_PIXEL_LIMIT', 'LAMHA_UNSUPPORTED_TYPE', 'LAMHA_VIDEO_TOO_LONG', 'LAMHA_VIDEO_TOO_LARGE', 'LAMHA_PRIVATE_METADATA']);

/** Faults of the file itself (or of its absence): retrying cannot help. */
export function isInputFault(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && INPUT_FAULTS.has(code);
}
