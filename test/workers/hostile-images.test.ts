/**
 * Files whose first image is small and another one huge: refused at upload with 422 and nothing
 * stored; one that reached storage another way fails in the worker, once, before any decoding.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { DEFAULT_TOOL_LIMITS, setToolLimits } from '../../src/media/run.js';
import { createTestContext, seedEvent } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { unchangedIfRefused } from '../helpers/state.js';
import { waitFor } from '../helpers/processes.js';
import { runWorkers, settled } from '../helpers/workers.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const HOSTILE = ['heif_small-primary_huge-secondary.heic', 'tiff_small-page1_huge-page2.tif'];

t.test('refuses at upload, with 422 LAMHA_PIXEL_LIMIT and nothing stored, a file whose second image is huge', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  for (const name of HOSTILE) {
    const form = multipart([{ name: 'file', filename: name, body: await readFile(fixture(name)) }]);
    const res = await unchangedIfRefused(t, ctx, name, () =>
      ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body }));
    t.equal(res.statusCode, 422, name);
    t.equal(res.json().code, 'LAMHA_PIXEL_LIMIT', name);
    t.match(res.json().message, /20000×20000/, name);
  }
  t.same(await ctx.storage.list(''), [], 'no object');
});

t.test('a file with a huge second image that reached storage fails in the worker without a retry', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  for (const [name, mime, stand] of [[HOSTILE[0]!, 'image/heic', 'exif-orientation_1.jpg'], [HOSTILE[1]!, 'image/tiff', 'exif-orientation_2.jpg']] as const) {
    const form = multipart([{ name: 'file', filename: 'small.jpg', body: await readFile(fixture(stand)) }]);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
    const id = res.json().assets[0].id as string;
    await settled(ctx, id);
    // the row is ready a moment before BullMQ marks the job done; a job still active is not removed
    const first = await ctx.queues.queues.images.getJob(`derive-image-${id}`);
    await waitFor(async () => (await first!.getState()) === 'completed');
    await ctx.queues.queues.images.remove(`derive-image-${id}`);
    // as if the limit had been lowered after the upload, or the file had come in another way
    await ctx.db.query("UPDATE assets SET status = 'processing', mime_type = $2 WHERE id = $1", [id, mime]);
    await ctx.storage.put(`originals/${id}`, await readFile(fixture(name)));
    await ctx.queues.enqueue('derive-image', { assetId: id });
    const end = await settled(ctx, id);
    t.equal(end.status, 'failed', name);
    t.match(end.error, /20000×20000.*limit/, name);
    const job = await ctx.queues.queues.images.getJob(`derive-image-${id}`);
    await waitFor(async () => (await job!.getState()) === 'failed');
    t.equal((await ctx.queues.queues.images.getJob(`derive-image-${id}`))?.attemptsStarted, 1, `${name}: not retried`);
    t.same(await ctx.storage.list(`renditions/${id}/`), [], `${name}: no rendition left in storage`);
  }
});

t.test('a photo whose decoding passes a tool resource limit fails with the limit named, without a retry', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  // the in-process worker's tools; 64 MiB of address space is less than libheif needs to start
  setToolLimits({ ...DEFAULT_TOOL_LIMITS, memoryBytes: 64 * 1024 * 1024 });
  t.teardown(() => setToolLimits(DEFAULT_TOOL_LIMITS));
  const form = multipart([{ name: 'file', filename: 'photo.heic', body: await readFile(fixture('heic_iphone-xs-max_gps.heic')) }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  t.equal(res.statusCode, 201);
  const id = res.json().assets[0].id as string;
  const end = await settled(ctx, id);
  t.equal(end.status, 'failed');
  t.match(end.error, /heif-info failed within its address space limit of 64 MiB \(out of memory\)/);
  const job = await ctx.queues.queues.images.getJob(`derive-image-${id}`);
  await waitFor(async () => (await job!.getState()) === 'failed');
  t.equal((await ctx.queues.queues.images.getJob(`derive-image-${id}`))?.attemptsStarted, 1, 'not retried');
});
