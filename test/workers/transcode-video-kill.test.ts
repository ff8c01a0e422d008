/**
 * A worker process killed with SIGKILL in the middle of a transcode: another worker takes the
 * job over once BullMQ sees it stalled, and the asset ends ready with exactly one complete set
 * of renditions; the killed run's ffmpeg does not outlive it and its work dir does not stay.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createTestContext, REDIS_URL, seedEvent, type TestContext } from '../helpers/context.js';
import { testClip } from '../helpers/clips.js';
import { multipart } from '../helpers/multipart.js';
import { runEntry, waitFor, type Running } from '../helpers/processes.js';
import { assertOneVideoSet, lamhaDirs, processesMentioning, workerEnv } from '../helpers/worker-process.js';

// renewed every half of it; in a full parallel test run (load 10 on 2 cores) a 6 s lock lapsed
// on the live worker and its job ran twice
const LOCK_MS = 15_000;
const SECONDS = 20;

t.test('a worker killed with SIGKILL mid-transcode: another finishes the job with one complete set of renditions', async (t) => {
  const ctx = await createTestContext(t, { ownDatabase: true });
  await seedEvent(ctx);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'lamha-kill-'));
  // the workers' own temp dir, to see what a killed run leaves there
  const tmp = path.join(scratch, 'tmp');
  execFileSync('mkdir', ['-p', tmp]);
  t.teardown(() => rm(scratch, { recursive: true, force: true }));

  // long enough that the HLS ladder is still encoding when the worker is killed (at 15 %)
  const source = await testClip({ width: 1280, height: 720, fps: 30, seconds: SECONDS });
  const form = multipart([{ name: 'file', filename: 'panel.mp4', body: await readFile(source) }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  t.equal(res.statusCode, 201, res.body);
  const id: string = res.json().assets[0].id;

  const env = workerEnv(ctx, tmp, {
    LOG_LEVEL: 'warn',
    // a dead worker's job is taken over within seconds instead of BullMQ's 30 s
    WORKER_LOCK_MS: String(LOCK_MS), WORKER_STALLED_INTERVAL_MS: '1000',
    // three pieces per rung: the kill lands in the middle of the flow
    VIDEO_PIECE_SECONDS: '8',
  });
  const children: Running[] = [];
  t.teardown(() => children.forEach((c) => c.child.kill('SIGKILL')));
  const first = runEntry('workers/main.ts', env);
  children.push(first);

  const progress = async () => (await ctx.db.query<{ progress: number | null }>('SELECT progress FROM assets WHERE id = $1', [id])).rows[0]?.progress ?? 0;
  t.ok(await waitFor(async () => (await progress()) >= 15, 120_000), `the first worker is encoding the ladder\n${first.output()}`);
  // a video is many short jobs: the kill lands while one of them runs its ffmpeg
  t.ok(await waitFor(async () => (await processesMentioning(tmp)).length > 0, 60_000), 'ffmpeg is running on it');
  const workDirs = await lamhaDirs(tmp);
  t.match(workDirs, [new RegExp(`^lamha-video-${first.child.pid}-`)], 'its work dir holds its process id');
  first.child.kill('SIGKILL');
  t.equal((await first.exit).signal, 'SIGKILL');
  const killedAt = await progress();

  // ffmpeg ignores SIGPIPE: only its parent-death signal stops it
  t.ok(await waitFor(async () => (await processesMentioning(tmp)).length === 0, 5_000), 'the killed worker\'s ffmpeg does not outlive it');
  t.equal((await lamhaDirs(tmp)).length, 1, 'its work dir is there until a worker cleans it');
  const atKill = (await ctx.db.query('SELECT status, progress FROM assets WHERE id = $1', [id])).rows[0];
  t.ok(atKill.status === 'processing' || (atKill.status === 'ready' && atKill.progress < 100), `not done when killed (${atKill.status}, ${atKill.progress} %)`);

  const second = runEntry('workers/main.ts', env);
  children.push(second);
  // BullMQ hands the stalled job over once the dead worker's lock expires
  // playable (ready) comes before the last rung: done is every rendition there, or failed
  const done = await waitFor(async () => {
    const { status, progress } = (await ctx.db.query('SELECT status, progress FROM assets WHERE id = $1', [id])).rows[0];
    return status === 'failed' || (status === 'ready' && progress === 100);
  }, 240_000);
  t.ok(done, `the job finished\n${second.output()}`);
  const { rows: [asset] } = await ctx.db.query('SELECT status, error FROM assets WHERE id = $1', [id]);
  t.equal(asset.status, 'ready', asset.error ?? '');
  t.ok(killedAt < 100, `killed at ${killedAt} %`);
  const jobs = await ctx.queues.queues.videos.getJobs(['completed']);
  // ran again: taken back from the dead worker (stalled), or tried again after a failure; a job
  // that only waited (the storyboard, taken before the smallest rung was complete) is neither
  const again = jobs.filter((j) => j.stalledCounter >= 1 || j.attemptsMade >= 2).map((j) => `${j.id} (started ${j.attemptsStarted} times)`);
  t.equal(again.length, 1, `the killed worker's job ran again, and only it (${again.join(', ')})`);

  await assertOneVideoSet(t, ctx, id, SECONDS);

  // the killed run's work dir went with the retry; the retry's own is gone too
  t.same(await lamhaDirs(tmp, true), [], 'no work dir left, no copy of the video');
  t.same(await processesMentioning(tmp), [], 'no ffmpeg left');
  second.child.kill('SIGTERM');
  t.equal((await second.exit).code, 0);
});
