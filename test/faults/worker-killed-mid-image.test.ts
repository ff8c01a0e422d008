/**
 * A worker process killed with SIGKILL while it derives a photo's renditions: another worker
 * takes the job over once BullMQ sees it stalled, the asset ends ready with exactly one set of
 * renditions, and the dead process's work dir does not stay on the disk.
 *
 * The same fault mid-transcode of a video is proven in test/workers/transcode-video-kill.test.ts
 * (killed while its ffmpeg runs, the job taken over, one complete set of renditions checked
 * object by object, no work dir, no copy of the video and no ffmpeg left): not repeated here.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { createTestContext, seedEvent } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { descendants, runEntry, waitFor, type Running } from '../helpers/processes.js';
import { lamhaDirs, processesMentioning, workerEnv } from '../helpers/worker-process.js';

// renewed every 2 s: a dead worker's job is free again 4 s after its last renewal
const LOCK_MS = 4000;

t.test('a worker killed with SIGKILL mid-image: another finishes the photo with one set of renditions and no work dir left', async (t) => {
  const ctx = await createTestContext(t, { ownDatabase: true });
  // an event that keeps locations: nothing is cleaned at upload, so the worker reads the photo's
  // tags with exiftool while it decodes, and its exiftool pool is up mid-job
  await seedEvent(ctx, { keepLocation: true });
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'lamha-kill-image-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  // the workers' own temp dir, to see what a killed run leaves there
  const tmp = path.join(scratch, 'tmp');
  await mkdir(tmp);

  // 24 megapixels of noise: deriving it takes seconds, long enough to be killed in the middle
  const photo = await sharp({ create: { width: 6000, height: 4000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).jpeg({ quality: 90 }).toBuffer();
  const form = multipart([{ name: 'file', filename: 'hall.jpg', body: photo }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  t.equal(res.statusCode, 201, res.body);
  const id: string = res.json().assets[0].id;

  const env = workerEnv(ctx, tmp, { LOG_LEVEL: 'warn', WORKER_LOCK_MS: String(LOCK_MS), WORKER_STALLED_INTERVAL_MS: '1000' });
  const children: Running[] = [];
  t.teardown(() => children.forEach((c) => c.child.kill('SIGKILL')));
  const first = runEntry('workers/main.ts', env);
  children.push(first);

  // mid-job: its work dir is there and BullMQ has the job active
  const workDir = new RegExp(`^lamha-image-${first.child.pid}-`);
  t.ok(await waitFor(async () => (await lamhaDirs(tmp)).some((d) => workDir.test(d)), 60_000), `the first worker is deriving the photo\n${first.output()}`);
  // its exiftool pool (long-lived perl processes) is up by then
  t.ok(await waitFor(() => exiftools(first.child.pid!).length > 0, 30_000), 'the first worker runs exiftool');
  const pool = exiftools(first.child.pid!);
  first.child.kill('SIGKILL');
  t.equal((await first.exit).signal, 'SIGKILL');
  t.ok(await waitFor(() => pool.every((pid) => !alive(pid)), 5_000), `its exiftool processes (${pool.join(', ')}) ended with it`);
  const job = await ctx.queues.queues.images.getJob(`derive-image-${id}`);
  t.equal(await job?.getState(), 'active', 'the job was running when the worker died');
  const atKill = (await ctx.db.query<{ status: string }>('SELECT status FROM assets WHERE id = $1', [id])).rows[0];
  t.equal(atKill?.status, 'processing', 'the photo was not done');
  t.match(await lamhaDirs(tmp), [workDir], 'the dead worker\'s work dir is left behind');
  t.ok(await waitFor(async () => (await processesMentioning(tmp)).length === 0, 5_000), 'no tool of the killed worker outlives it');

  const second = runEntry('workers/main.ts', env);
  children.push(second);
  const done = await waitFor(async () => (await ctx.db.query<{ status: string }>('SELECT status FROM assets WHERE id = $1', [id])).rows[0]?.status !== 'processing', 90_000);
  t.ok(done, `the second worker finished it\n${second.output()}`);
  const { rows: [asset] } = await ctx.db.query<{ status: string; error: string | null }>('SELECT status, error FROM assets WHERE id = $1', [id]);
  t.equal(asset?.status, 'ready', asset?.error ?? '');
  const again = await ctx.queues.queues.images.getJob(`derive-image-${id}`);
  t.equal(again?.attemptsStarted, 2, 'the killed run\'s job ran once more, on the other worker');
  t.match(again?.processedBy, new RegExp(`:${second.child.pid}$`));

  // one set: every object under renditions/<id>/ is a rendition row, each row's object is there
  const { rows } = await ctx.db.query<{ name: string; key: string }>('SELECT name, key FROM renditions WHERE asset_id = $1 ORDER BY name', [id]);
  t.ok(rows.length >= 4, `renditions: ${rows.map((r) => r.name).join(', ')}`);
  t.equal(new Set(rows.map((r) => r.name)).size, rows.length, 'each rendition once');
  t.same((await ctx.storage.list(`renditions/${id}/`)).sort(), rows.map((r) => r.key).sort(), 'no object outside the one set');

  // the second worker's first job removed the dead process's dir; its own went with its job
  t.same(await lamhaDirs(tmp, true), [], 'no work dir left');
  second.child.kill('SIGTERM');
  t.equal((await second.exit).code, 0);
});

/** exiftool processes below `pid`: perl running the exiftool script (the worker runs no other perl) */
function exiftools(pid: number): number[] {
  return descendants(pid).filter((p) => p.command === 'perl').map((p) => p.pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
