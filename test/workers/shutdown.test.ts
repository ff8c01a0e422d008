/**
 * A worker stopped with SIGTERM while a video piece's ffmpeg runs, with a short
 * SHUTDOWN_TIMEOUT_MS: the job is handed back (its ffmpeg killed, its work dir removed, the job
 * back in the queue without a failed attempt), the process exits 0 within the bound, and a worker
 * started afterwards finishes the video with one complete set of renditions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { createTestContext, REDIS_URL, seedEvent, type TestContext } from '../helpers/context.js';
import { testClip } from '../helpers/clips.js';
import { multipart } from '../helpers/multipart.js';
import { runEntry, waitFor, type Running } from '../helpers/processes.js';
import { assertOneVideoSet, lamhaDirs, processesMentioning, workerEnv } from '../helpers/worker-process.js';

const SECONDS = 60;
const TIMEOUT_MS = 300;

t.test('a worker stopped with SIGTERM mid-piece hands the job back, exits in time, and another finishes the video', async (t) => {
  const ctx = await createTestContext(t, { ownDatabase: true });
  await seedEvent(ctx);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'lamha-stop-'));
  const tmp = path.join(scratch, 'tmp');
  execFileSync('mkdir', ['-p', tmp]);
  t.teardown(() => rm(scratch, { recursive: true, force: true }));

  const source = await testClip({ width: 1280, height: 720, fps: 30, seconds: SECONDS });
  const form = multipart([{ name: 'file', filename: 'panel.mp4', body: await readFile(source) }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  t.equal(res.statusCode, 201, res.body);
  const id: string = res.json().assets[0].id;

  const env = workerEnv(ctx, tmp, {
    LOG_LEVEL: 'info',
    // BullMQ's own lock and stalled check (30 s): a job left active would wait that long, one handed back does not
    SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
    // one piece per rung of the whole clip: its ffmpeg runs long enough to be caught
    VIDEO_PIECE_SECONDS: '60',
  });
  const children: Running[] = [];
  t.teardown(() => children.forEach((c) => c.child.kill('SIGKILL')));
  const first = runEntry('workers/main.ts', env);
  children.push(first);

  const videos = ctx.queues.queues.videos;
  const pieceRunning = async () => (await videos.getJobs(['active'])).find((j) => j.name === 'video-piece');
  t.ok(await waitFor(async () => (await pieceRunning()) !== undefined && (await processesMentioning(tmp)).length > 0, 180_000), `a video piece's ffmpeg runs\n${first.output()}`);
  const piece = (await pieceRunning())!;
  const attemptsMade = piece.attemptsMade;

  const signalled = Date.now();
  first.child.kill('SIGTERM');
  const exit = await Promise.race([first.exit, sleep(30_000, 'too late' as const)]);
  const took = Date.now() - signalled;
  t.same(exit, { code: 0, signal: null }, `exits 0\n${first.output()}`);
  // the bound, and a margin for killing ffmpeg, removing the work dir and closing the connections
  t.ok(took < TIMEOUT_MS + 2500, `within the bound and a margin (${took} ms)`);
  t.match(first.output(), /job handed back to the queue/, 'the job was handed back');

  t.same(await processesMentioning(tmp), [], 'no ffmpeg of it left running');
  t.same(await lamhaDirs(tmp), [], 'its work dir is gone');
  const back = await videos.getJob(piece.id!);
  // jobs carry a priority (uploads before backfills): a prioritized job waits in that list
  t.match(await back!.getState(), /^(waiting|prioritized)$/, 'the job is back in the queue, not left active');
  t.equal(back!.attemptsMade, attemptsMade, 'not counted as a failed attempt');
  t.same(await videos.getJobs(['failed']), [], 'no failed job');
  const { rows: [stopped] } = await ctx.db.query('SELECT status, error FROM assets WHERE id = $1', [id]);
  t.equal(stopped.error, null, 'no failure recorded on the asset');
  t.not(stopped.status, 'failed');

  const second = runEntry('workers/main.ts', env);
  children.push(second);
  const done = await waitFor(async () => {
    const { status, progress } = (await ctx.db.query('SELECT status, progress FROM assets WHERE id = $1', [id])).rows[0];
    return status === 'failed' || (status === 'ready' && progress === 100);
  }, 240_000);
  t.ok(done, `the video finished\n${second.output()}`);
  const { rows: [asset] } = await ctx.db.query('SELECT status, error FROM assets WHERE id = $1', [id]);
  t.equal(asset.status, 'ready', asset.error ?? '');
  const finished = (await videos.getJob(piece.id!))!;
  t.equal(await finished.getState(), 'completed');
  // BullMQ counts a completed run as an attempt made: the handed-back run counted for nothing
  t.equal(finished.attemptsMade, attemptsMade + 1, 'one attempt made: the one that completed');
  t.equal(finished.attemptsStarted, 2, 'started twice: handed back once, then completed');
  await assertOneVideoSet(t, ctx, id, SECONDS);

  t.same(await lamhaDirs(tmp, true), [], 'no work dir left, no copy of the video');
  t.same(await processesMentioning(tmp), [], 'no ffmpeg left');
  second.child.kill('SIGTERM');
  t.equal((await second.exit).code, 0);
});
