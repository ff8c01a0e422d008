/**
 * What the jobs of a video's flow share: the plan, the source file on this machine, the checks
 * on outputs, and `advance` — called by each part's job once its part is stored — which
 * publishes every rung whose pieces are all done, rewrites the master playlist, and makes the
 * asset playable as soon as its poster, its audio and one rung are there.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { inTransaction } from '../../src/db/database.js';
import { completeAsset, findAssetToProcess, type AssetToProcess, type NewRendition } from '../../src/db/processing.js';
import { findVideoPlan, listVideoParts, setPublishedRungs } from '../../src/db/video-flow.js';
import { probeTags, ToolError, type VideoProbe } from '../../src/media/ffmpeg.js';
import { masterPlaylist, rungPlaylist, segmentRates, type MasterAudio, type MasterVariant } from '../../src/media/hls-pieces.js';
import { pieceSeconds, type DownloadPlan, type Piece, type Rung } from '../../src/media/video-plan.js';
import { JOB_POLICY } from '../../src/queues/jobs.js';
import { publishAssetReady } from '../../src/redis/live.js';
import { originalKey, renditionKey } from '../../src/storage/keys.js';
import { spool } from '../../src/storage/spool.js';
import type { ProcessorDeps } from './registry.js';
import { isAlive, SOURCES, storeRenditions } from './steps.js';

/** What transcode-video decided for a video, kept for the run's other jobs. */
export interface VideoPlan {
  probe: VideoProbe;
  rungs: Rung[];
  pieces: Piece[];
  download: DownloadPlan;
  /**
   * The stored original still holds what an event that does not keep locations may not keep:
   * the flow's video-original job cleans it (absent in plans made before that job: their plan
   * cleaned it itself).
   */
  cleanOriginal?: boolean;
}

/** A stored part of an HLS rung or the audio: what the joins and the master playlist need. */
export interface HlsPartResult {
  /** SHA-256 of the init segment: every piece of a rung must have the same one */
  initSha256: string;
  codecs: string;
  segments: { name: string; seconds: number; bytes: number }[];
}

export interface PosterPartResult {
  placeholder: string | null;
  renditions: NewRendition[];
}

/** Tags an output may carry: container bookkeeping, nothing about the source or the device. */
const ALLOWED_TAGS = /^(major_brand|minor_version|compatible_brands|handler_name|vendor_id|language|encoder)$/i;

/** The outputs are probed, not trusted: a tag about the source or the device fails the job. */
export async function assertNoMetadata(files: string[], ctl: Parameters<typeof probeTags>[1]): Promise<void> {
  for (const file of files) {
    const { tags } = await probeTags(file, ctl);
    const leaked = Object.keys(tags).filter((k) => !ALLOWED_TAGS.test(k));
    if (leaked.length > 0) throw new Error(`an output still carries metadata (${leaked.join(', ')}) in ${path.basename(file)}`);
  }
}

/**
 * The plan of run `run` and the asset, for a job of that run; or why the job has nothing to do:
 * a later run replaced it, or the asset was deleted or failed meanwhile.
 */
export async function currentRun(deps: ProcessorDeps, assetId: string, run: string): Promise<{ plan: VideoPlan; asset: AssetToProcess } | string> {
  const row = await findVideoPlan<VideoPlan>(deps.db, assetId);
  if (!row || row.run !== run) return 'skipped: a later run replaced this one';
  const asset = await findAssetToProcess(deps.db, assetId);
  if (!asset || asset.status === 'failed') return 'skipped: the asset is gone or failed';
  return { plan: revivePlan(row.plan), asset };
}

/** The plan as stored (JSON): its dates back to dates. */
export function revivePlan(plan: VideoPlan): VideoPlan {
  const probe = plan.probe as VideoProbe & { creationTime: Date | string | null };
  return { ...plan, probe: { ...probe, creationTime: probe.creationTime === null ? null : new Date(probe.creationTime) } };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

// ---------------------------------------------------------------- the source on this machine


/**
 * This install's directory of video sources on this machine: under the temp dir, one per install
 * (its Redis, queue prefix, database and bucket), so that a second install on the machine, or a
 * second database, never sees the first's sources as stale ones of assets it does not know.
 */
export function sourcesDir(install: { redisUrl: string; redisPrefix: string; databaseUrl: string; bucket: string }, root = os.tmpdir()): string {
  const key = createHash('sha256').update([install.redisUrl, install.redisPrefix, install.databaseUrl, install.bucket].join('\n')).digest('hex').slice(0, 16);
  return path.join(root, SOURCES, key);
}

/** The machine's directory as any user may make it; this install's inside it, its own user's alone. */
async function makeSourcesDir(dir: string): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true });
  await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}

/**
 * The original of `assetId` on this machine's disk, fetched once and shared by every part this
 * machine's workers take of it; removed by finalize-video, or by `removeStaleSources` once the
 * asset is no longer processing. The upload or its cleaned copy, whichever was stored when it was
 * fetched: the same packets (video-original copies them), so every part comes out the same.
 */
export async function sourceFile(deps: ProcessorDeps, assetId: string, signal: AbortSignal): Promise<string> {
  const dir = deps.settings.sourcesDir;
  const file = path.join(dir, assetId);
  if (await stat(file).then((s) => s.isFile(), () => false)) return file;
  await makeSourcesDir(dir);
  // another worker of this machine may fetch it at the same time: each into its own name, then renamed whole
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  try {
    await spool(await deps.storage.get(originalKey(assetId)), partial, signal);
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return file;
}

/**
 * Moves a file this process already has (the plan's copy of the upload, or video-original's
 * cleaned copy, in its work dir on the same disk) to where sourceFile looks, in place of what
 * was there: no second copy of a recording that may be gigabytes.
 */
export async function keepSource(deps: ProcessorDeps, assetId: string, file: string): Promise<void> {
  const dir = deps.settings.sourcesDir;
  await makeSourcesDir(dir);
  await rename(file, path.join(dir, assetId));
}

export async function removeSource(deps: ProcessorDeps, assetId: string): Promise<void> {
  const dir = deps.settings.sourcesDir;
  await rm(path.join(dir, assetId), { force: true });
  await removeIfEmpty(dir);
}

/** The last one out leaves no empty dir behind: this install's, then the machine's. */
async function removeIfEmpty(dir: string): Promise<void> {
  await rmdir(dir).catch(() => {});
  await rmdir(path.dirname(dir)).catch(() => {});
}

/**
 * Removes this install's sources of videos no longer processing, and partial fetches of dead
 * processes. Only this install's directory: an asset its database does not know is one deleted
 * here, not another install's.
 */
export async function removeStaleSources(deps: ProcessorDeps): Promise<number> {
  const dir = deps.settings.sourcesDir;
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const partial = /^([\w-]+)\.(\d+)\.\d+\.partial$/.exec(name);
    let stale: boolean;
    if (partial) stale = !isAlive(Number(partial[2]));
    else stale = (await findAssetToProcess(deps.db, name).catch(() => undefined))?.status !== 'processing' && !(await hasPlan(deps, name));
    if (stale) await rm(path.join(dir, name), { force: true }).then(() => removed++, () => {});
  }
  if (removed > 0) await removeIfEmpty(dir);
  return removed;
}

async function hasPlan(deps: ProcessorDeps, assetId: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/.test(assetId)) return false;
  return (await findVideoPlan(deps.db, assetId).catch(() => undefined)) !== undefined;
}


/**
 * Requests of a join's segments open at once: one at a time, the round trips of a rung's 150
 * small GETs were most of finalize-video's 10 s on the benchmark clip, with the cores idle.
 */
const JOIN_PREFETCH = 8;

/**
 * A rung's (or the audio's) init segment and the named segments of it, fetched from storage
 * into one fragmented MP4 (its fragments keep their times in the recording). The next few
 * segments' requests are opened while one is written; each body is read in order, as it comes.
 */
export async function joinStoredPart(deps: ProcessorDeps, assetId: string, part: string, segments: string[], out: string): Promise<void> {
  const names = ['init.mp4', ...segments];
  const opened: Promise<Readable>[] = [];
  let next = 0;
  const request = () => {
    while (next < names.length && opened.length < JOIN_PREFETCH) {
      const body = deps.storage.get(renditionKey(assetId, `hls/${part}/${names[next++]!}`));
      body.catch(() => {}); // awaited in its turn below; not an unhandled rejection meanwhile
      opened.push(body);
    }
  };
  const target = await open(out, 'w');
  try {
    request();
    while (opened.length > 0) {
      const body = await opened.shift()!;
      request();
      for await (const chunk of body) await target.write(chunk as Buffer);
    }
  } finally {
    // a failed join leaves no request open
    for (const body of opened) void body.then((b) => b.destroy(), () => {});
    await target.close();
  }
}

// ---------------------------------------------------------------- advancing the flow

/** Relative cost of each part, for the asset's progress: a rung's pieces by their pixels. */
function weights(plan: VideoPlan): Map<string, number> {
  const w = new Map<string, number>([['poster', 1], ['storyboard', 1]]);
  if (plan.probe.hasAudio) w.set('audio', 1);
  for (const r of plan.rungs) w.set(r.name, (r.width * r.height) / (640 * 360));
  return w;
}

/**
 * Each piece's share of the recording: its seconds (the last one's to the end) over the whole.
 * Pieces differ in length (the last ones are halves, planPieces), so a rung's progress counts
 * seconds, not pieces.
 */
function pieceShares(plan: VideoPlan): number[] {
  const lengths = plan.pieces.map((p) => pieceSeconds(p, plan.probe.durationMs));
  const sum = lengths.reduce((a, b) => a + b, 0);
  return lengths.map((l) => (sum > 0 ? l / sum : 1 / lengths.length));
}

/** Per rendition, the share of it done (0–100), and the whole asset's, from the parts recorded so far. */
export function progressOf(plan: VideoPlan, done: readonly { part: string; piece: number }[], finished = false): { overall: number; parts: Record<string, number> } {
  const shares = pieceShares(plan);
  const parts: Record<string, number> = {};
  let total = 0;
  let got = 0;
  for (const [part, weight] of weights(plan)) {
    const pieces = new Set(done.filter((d) => d.part === part).map((d) => d.piece));
    const share = plan.rungs.some((r) => r.name === part)
      ? Math.min(1, [...pieces].reduce((sum, i) => sum + (shares[i] ?? 0), 0))
      : pieces.size > 0 ? 1 : 0;
    parts[part] = Math.round(share * 100);
    total += weight;
    got += weight * share;
  }
  parts['download.mp4'] = finished ? 100 : 0;
  // the last few per cent are the download MP4 and the finish
  return { overall: finished ? 100 : Math.min(95, Math.round(5 + (90 * got) / total)), parts };
}

/**
 * After a part of run `run` was recorded: under the plan's row lock (parts finishing at once on
 * several workers take turns), publishes each rung whose pieces are all done (its playlist, then
 * the master playlist naming it), makes the asset playable once the poster, the audio and a rung
 * are there, and records the progress. `pictures`: the part was the poster or the storyboard,
 * whose renditions join the asset's here.
 */
export async function advance(deps: ProcessorDeps, assetId: string, run: string, options: { pictures?: boolean } = {}): Promise<void> {
  const asset = await findAssetToProcess(deps.db, assetId);
  if (!asset || asset.status === 'failed') return;
  const outcome = await inTransaction(deps.db, async (q) => {
    const row = await findVideoPlan<VideoPlan>(q, assetId, { lock: true });
    if (!row || row.run !== run) return undefined;
    const plan = revivePlan(row.plan);
    const parts = await listVideoParts<HlsPartResult & PosterPartResult>(q, assetId);
    const done = new Map<string, number>();
    for (const p of parts) done.set(p.part, (done.get(p.part) ?? 0) + 1);
    const of = (part: string) => parts.filter((p) => p.part === part).map((p) => p.result);

    const newly: NewRendition[] = [];
    const published = [...row.published];
    for (const rung of plan.rungs) {
      if (published.includes(rung.name) || done.get(rung.name) !== plan.pieces.length) continue;
      const pieces = of(rung.name);
      if (new Set(pieces.map((p) => p.initSha256)).size !== 1) throw new Error(`the pieces of ${rung.name} were not encoded alike (their init segments differ)`);
      const segments = pieces.flatMap((p) => p.segments);
      newly.push(...(await storeRenditions(deps, assetId, [{
        name: `hls/${rung.name}/index.m3u8`, type: 'application/vnd.apple.mpegurl', width: rung.width, height: rung.height,
        data: Buffer.from(rungPlaylist('init.mp4', segments.map((s) => ({ name: s.name, seconds: s.seconds })))),
      }])));
      published.push(rung.name);
    }
    const poster = of('poster')[0];
    const canPlay = poster !== undefined && (!plan.probe.hasAudio || done.get('audio') === 1) && published.length > 0;
    const becomesPlayable = canPlay && asset.status !== 'ready';
    if (canPlay && (newly.length > 0 || becomesPlayable)) {
      const audioPart = of('audio')[0];
      const audio: MasterAudio | null = audioPart ? { uri: 'audio/index.m3u8', codecs: audioPart.codecs, ...segmentRates(audioPart.segments) } : null;
      const rungs = plan.rungs.filter((r) => published.includes(r.name));
      const variants: MasterVariant[] = rungs.map((r) => {
        const pieces = of(r.name);
        return { uri: `${r.name}/index.m3u8`, width: r.width, height: r.height, codecs: pieces[0]!.codecs, ...segmentRates(pieces.flatMap((p) => p.segments)) };
      });
      const top = rungs.at(-1)!;
      newly.push(...(await storeRenditions(deps, assetId, [{
        name: 'hls/master.m3u8', type: 'application/vnd.apple.mpegurl', width: top.width, height: top.height, data: Buffer.from(masterPlaylist(variants, audio)),
      }])));
    }
    // the poster's and storyboard's rows, here under the lock (see below) and again after a crash
    const pictures = parts.filter((p) => p.part === 'poster' || p.part === 'storyboard').flatMap((p) => p.result.renditions);
    // rows of an asset still processing are seen by no one; once it is ready, its event's version moves below
    await upsertRenditions(q, assetId, [...pictures, ...newly]);
    await setPublishedRungs(q, assetId, published);
    const progress = progressOf(plan, parts);
    await q.query('UPDATE assets SET progress = $2, progress_detail = $3, updated_at = now() WHERE id = $1', [assetId, progress.overall, JSON.stringify(progress.parts)]);
    return { plan, poster, becomesPlayable, changed: newly.length > 0 || options.pictures === true, progress };
  });
  if (!outcome) return;
  if (outcome.becomesPlayable) {
    // playable: ready for the public with the renditions it has; the rest join it as they come
    const { plan, poster, progress } = outcome;
    const made = await deps.changes.write(asset.eventId, async (w) => {
      // completeAsset keeps only the renditions it is given: under the plan's lock, a part
      // finishing meanwhile (the storyboard) cannot add rows between this read and it
      if ((await w.query('SELECT 1 FROM video_plans WHERE asset_id = $1 AND run = $2 FOR UPDATE', [assetId, run])).rowCount === 0) return false;
      const { rows } = await w.query<NewRendition>('SELECT name, key, width, height, bytes, type FROM renditions WHERE asset_id = $1', [assetId]);
      if (!(await completeAsset(w, assetId, readyResult(plan, poster!.placeholder, asset.keepLocation, rows)))) return false;
      await w.query('UPDATE assets SET progress = $2 WHERE id = $1', [assetId, progress.overall]);
      return true;
    });
    if (made) await publishAssetReady(deps.publisher, deps.settings.redisPrefix, { eventId: asset.eventId, albumId: asset.albumId, assetId });
  } else if (outcome.changed && asset.status === 'ready') {
    await deps.changes.touch(asset.eventId);
  }
}

/** Rendition rows, the last of each name winning. */
export function mergeRenditions(rows: NewRendition[]): NewRendition[] {
  return [...new Map(rows.map((r) => [r.name, r])).values()];
}

export async function upsertRenditions(q: { query: (text: string, values: unknown[]) => Promise<unknown> }, assetId: string, renditions: NewRendition[]): Promise<void> {
  for (const r of renditions) {
    await q.query(
      `INSERT INTO renditions (asset_id, name, key, width, height, bytes, type) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (asset_id, name) DO UPDATE SET key = EXCLUDED.key, width = EXCLUDED.width, height = EXCLUDED.height,
         bytes = EXCLUDED.bytes, type = EXCLUDED.type, created_at = now()`,
      [assetId, r.name, r.key, r.width, r.height, r.bytes, r.type],
    );
  }
}

/** What the asset records once playable (and again, complete). */
export function readyResult(plan: VideoPlan, placeholder: string | null, keepLocation: boolean, renditions: NewRendition[]) {
  const { probe } = plan;
  return {
    width: probe.width,
    height: probe.height,
    durationMs: probe.durationMs,
    placeholder,
    capturedAt: probe.creationTime,
    capturedOffset: null,
    metadata: {
      video: { codec: probe.videoCodec, frameRate: probe.frameRate, bitDepth: probe.bitDepth, hdr: probe.hdr, rotation: probe.rotation },
      audio: probe.hasAudio ? { codec: probe.audioCodec } : null,
      ladder: plan.rungs.map((r) => r.name),
    },
    caption: {},
    credit: null,
    license: null,
    location: keepLocation ? probe.location : null,
    renditions,
  };
}

/**
 * A part that ran out of time, or a tool stopped at a resource limit, fails the asset without a
 * retry (JOB_POLICY retryAfterDeadline): the same file would take as long again.
 */
export function stoppedForGood(err: unknown, deadline: { ms: number; of: string } | undefined): Error | undefined {
  if (!(err instanceof ToolError) || JOB_POLICY['video-piece'].retryAfterDeadline) return undefined;
  if (err.limit !== undefined) return new Error(`the video needs more than the tools may use: ${err.message}`, { cause: err });
  const timedOut = err.kind === 'timeout' || (err.kind === 'abort' && err.cause instanceof DOMException && err.cause.name === 'TimeoutError');
  if (!timedOut) return undefined;
  return new Error(`the transcode passed its deadline${deadline === undefined ? '' : ` of ${Math.round(deadline.ms / 1000)} s for ${deadline.of}`} (${err.message})`, { cause: err });
}
