/**
 * The console's processing page (a failure's reason in the reader's words, retry, the queues)
 * and an event's dashboard.
 */
import { parse } from 'node-html-parser';
import t from 'tap';
import { TEXT } from '../../src/web/locales/index.js';
import { opsStrings } from '../../src/web/locales/admin/ops.js';
import { jobInWords } from '../../src/web/admin/pages/ops.js';
import { createTestContext } from '../helpers/context.js';
import { seedAlbum, seedAsset, seedGalleryEvent } from '../web/seed.js';
import { browser } from './helpers.js';

t.test('a failure is shown with its reason in Arabic, and Try again queues it; the dashboard counts', async (t) => {
  const ctx = await createTestContext(t);
  const conf = await seedGalleryEvent(ctx, { slug: 'conf' });
  const day1 = await seedAlbum(ctx, conf.id, { slug: 'day-1' });
  await seedAsset(ctx, conf, day1);
  const failed = await seedAsset(ctx, conf, day1);
  await ctx.db.query("UPDATE assets SET status = 'failed', error = 'LAMHA_UNDECODABLE: The file cannot be decoded: VipsJpeg: premature end of JPEG image' WHERE id = $1", [failed]);
  const other = await seedGalleryEvent(ctx, { slug: 'other' });
  const elsewhere = await seedAsset(ctx, other, await seedAlbum(ctx, other.id, { slug: 'main' }));
  await ctx.db.query("UPDATE assets SET status = 'failed', error = 'LAMHA_PIXEL_LIMIT: too big' WHERE id = $1", [elsewhere]);

  const b = browser(ctx.app);
  t.equal((await b.signIn(await ctx.mint('editor', 'conf'), 'ar')).statusCode, 303);
  const doc = parse((await b.get('/ar/admin/processing')).body);
  t.same(doc.querySelectorAll('tr[data-id]').map((r) => r.getAttribute('data-id')), [failed], 'its event\'s failure only');
  t.equal(doc.querySelector('.admin-reason')?.textContent, TEXT.ar.strings['upload.error.LAMHA_UNDECODABLE' as keyof typeof TEXT.ar.strings], 'the reason in Arabic words');
  t.same(doc.querySelectorAll('tr[data-queue]').map((r) => r.getAttribute('data-queue')).sort(), ['images', 'maintenance', 'videos']);

  const form = doc.querySelector(`tr[data-id="${failed}"] form`)!;
  const res = await b.post(form.getAttribute('action')!, { _csrf: form.querySelector('input[name=_csrf]')!.getAttribute('value')! });
  t.equal(res.statusCode, 303);
  const { rows } = await ctx.db.query<{ status: string; error: string | null }>('SELECT status, error FROM assets WHERE id = $1', [failed]);
  t.same(rows[0], { status: 'processing', error: null }, 'back to processing');
  t.ok(await ctx.queues.queues.images.getJob(`derive-image-${failed}`), 'its job is queued');
  const after = parse((await b.get(res.headers.location as string)).body);
  t.equal(after.querySelector('.admin-notice')?.textContent.trim(), opsStrings.translator('ar')('ops.retried'));
  t.equal(after.querySelector('tr[data-queue="images"] td')?.textContent, new Intl.NumberFormat('ar').format(1), 'one photo waiting in its queue, in Arabic digits');

  const dash = parse((await b.get('/ar/admin/e/conf/dashboard')).body);
  t.equal(dash.querySelector('tr[data-count="ready"] td')?.textContent, new Intl.NumberFormat('ar').format(1));
  t.equal(dash.querySelector('tr[data-count="processing"] td')?.textContent, new Intl.NumberFormat('ar').format(1));
  t.equal((await b.get('/ar/admin/e/other/dashboard')).statusCode, 403, 'not another event\'s');
});

t.test('a running job is named in the reader\'s words: which rungs and which part of a video', async (t) => {
  const ar = opsStrings.translator('ar');
  t.equal(jobInWords(ar, { name: 'video-piece', rungs: ['720p', '1080p'], piece: 2 }), 'فيديو: 720p, 1080p، الجزء 3', 'parts counted from 1');
  t.equal(jobInWords(opsStrings.translator('en'), { name: 'video-storyboard', rungs: null, piece: null }), 'Video: preview thumbnails');
  t.equal(jobInWords(opsStrings.translator('fr'), { name: 'derive-image', rungs: null, piece: null }), 'Tailles de la photo');
  t.equal(jobInWords(ar, { name: 'a-job-of-a-newer-worker', rungs: null, piece: null }), 'a-job-of-a-newer-worker', 'a name it does not know, as it is');
});
