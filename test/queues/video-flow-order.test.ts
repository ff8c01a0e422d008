/**
 * The order in which workers take a video's flow, on a real Redis through BullMQ: what makes the
 * video playable first, then the stored original's clean, then the storyboard, then the larger
 * rungs — and a storyboard put back to wait (another worker still makes the smallest rung) comes
 * back before the larger rungs' pieces.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, type Job } from 'bullmq';
import t from 'tap';
import { REDIS_URL } from '../helpers/context.js';
import { tenMinutePlan } from '../helpers/video-plans.js';
import { createQueues } from '../../src/queues/producer.js';
import { createRedis } from '../../src/redis/connection.js';
import { flowChildren } from '../../workers/processors/transcode-video.js';

const plan = tenMinutePlan();

/** What a job is, for reading the order: `video-piece 360p #2`, `video-storyboard`, … */
const label = (job: Job) => (job.name === 'video-piece' ? `video-piece ${(job.data as { rungs: string[] }).rungs.join('+')} #${(job.data as { piece: number }).piece}` : job.name);

t.test('a storyboard that waited for the smallest rung comes back before the larger rungs\' pieces', async (t) => {
  const prefix = `lamha-test-order-${randomBytes(4).toString('hex')}`;
  const connection = createRedis(REDIS_URL, { forWorker: true });
  const queues = createQueues({ connection, prefix });
  // taking jobs by hand, as many workers would: each keeps its lock for the test's length
  const workerConnection = connection.duplicate();
  const worker = new Worker('videos', null, { connection: workerConnection, prefix, lockDuration: 120_000, autorun: false });
  t.teardown(async () => {
    await worker.close(true);
    await queues.queues.videos.obliterate({ force: true });
    await queues.close();
    workerConnection.disconnect();
    connection.disconnect();
  });
  const assetId = '00000000-0000-4000-8000-000000000001';
  await queues.addVideoFlow(assetId, 'run-1', flowChildren(assetId, 'run-1', plan));
  let n = 0;
  const next = async () => {
    const token = `token-${n++}`;
    const job = await worker.getNextJob(token, { block: false });
    if (!job) throw new Error('no job to take');
    return { job, token };
  };

  const first: string[] = [];
  let taken = await next();
  while (taken.job.name !== 'video-storyboard') {
    first.push(label(taken.job));
    taken = await next();
  }
  t.same(first, ['video-poster', 'video-audio', ...plan.pieces.map((p) => `video-piece 360p #${p.index}`), 'video-original'], 'what makes the video playable first, pieces in order, then the clean of the original');

  // the storyboard came while the smallest rung's last piece is still being made: it waits
  await taken.job.moveToDelayed(Date.now() + 200, taken.token);
  t.equal(label((await next()).job), 'video-piece 720p+1080p #0', 'meanwhile, the larger rungs');
  await sleep(400);
  t.equal(label((await next()).job), 'video-storyboard', 'then the storyboard, back before the other pieces of the larger rungs');
  const rest: string[] = [];
  for (let i = 1; i < plan.pieces.length; i++) rest.push(label((await next()).job));
  t.same(rest, plan.pieces.slice(1).map((p) => `video-piece 720p+1080p #${p.index}`), 'and the larger rungs\' other pieces in order');
});

t.test('an original already clean, or kept as uploaded (the event keeps locations), has no clean in the flow', async (t) => {
  const names = (p: typeof plan) => flowChildren('a', 'run-1', p).map((c) => c.name);
  t.equal(names(plan).filter((n) => n === 'video-original').length, 1, 'one clean when the plan asks for it');
  t.notOk(names({ ...plan, cleanOriginal: false }).includes('video-original'), 'none when it does not');
  const { cleanOriginal: _, ...before } = plan;
  t.notOk(names(before).includes('video-original'), 'nor in a plan stored before the flow cleaned originals (its plan job did)');
});
