/**
 * Moderation: while an event's uploads wait for approval, a new upload is in no public output —
 * asset JSON, album JSON, gallery pages, /media, the live feed, a press link's page, the album's
 * archive for press, the press original — until an editor approves it; then it is in all of them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { uploadOne } from '../helpers/originals.js';
import { runWorkers, settled } from '../helpers/workers.js';

/** The live feed of `conf` as a visitor holds it open; `data` is every byte received so far. */
function liveFeed(t: { teardown(fn: () => unknown): void }, base: string): Promise<{ data: () => string }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const req = http.get(`${base}/api/v1/events/conf/live`, { headers: { accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8').on('data', (c: string) => {
        if (buf === '') resolve({ data: () => buf });
        buf += c;
      });
    });
    req.on('error', reject);
    t.teardown(() => req.destroy());
  });
}

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Entries of a ZIP: its central directory has one header per entry. */
function zipEntries(zip: Buffer): number {
  let n = 0;
  for (let i = zip.indexOf('PK\x01\x02'); i !== -1; i = zip.indexOf('PK\x01\x02', i + 4)) n++;
  return n;
}

/** What the public (and press) see of `id` through every output, as one object to compare. */
async function publicOutputs(ctx: TestContext, id: string, thumbPath: string, press: string, shareUrl: string) {
  const get = (url: string, headers: Record<string, string> = {}) => ctx.app.inject({ url, headers });
  const album = (await get('/api/v1/events/conf/albums/day-1')).json() as { assets: { id: string }[] };
  const archive = await get('/api/v1/events/conf/albums/day-1/archive.zip', ctx.auth(press));
  return {
    assetJson: (await get(`/api/v1/assets/${id}`)).statusCode,
    inAlbumJson: album.assets.some((a) => a.id === id),
    inAlbumPage: (await get('/en/e/conf/day-1')).body.includes(id),
    inEventPage: (await get('/ar/e/conf')).body.includes(id),
    assetPage: (await get(`/en/e/conf/day-1/${id}`)).statusCode,
    media: (await get(thumbPath)).statusCode,
    inPressLinkPage: (await get(new URL(shareUrl).pathname)).body.includes(id),
    archiveEntries: zipEntries(archive.rawPayload),
    pressOriginal: (await get(`/api/v1/assets/${id}/original`, ctx.auth(press))).statusCode,
  };
}

t.test('an upload waiting for approval is in no public output until an editor approves it', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const editor = await ctx.mint('editor', 'conf');
  const press = await ctx.mint('press', 'conf');
  // one photo from before moderation: public, so the outputs below are not simply empty
  const before = await uploadOne(ctx, 'exif-orientation_1.jpg');
  t.equal((await settled(ctx, before.id)).status, 'ready');

  const on = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers: ctx.auth(editor), payload: { moderation: true } });
  t.equal(on.statusCode, 200, on.body);
  t.equal(on.json().moderation, true, 'insiders see the setting');
  t.notOk('moderation' in (await ctx.app.inject({ url: '/api/v1/events/conf' })).json(), 'the public does not');

  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const feed = await liveFeed(t, `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`);
  const link = await ctx.app.inject({
    method: 'POST', url: '/api/v1/events/conf/albums/day-1/share-links', headers: ctx.auth(editor),
    payload: { expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
  });
  t.equal(link.statusCode, 201, link.body);
  const shareUrl = link.json().url as string;

  const waiting = await uploadOne(ctx, 'exif-orientation_3.jpg');
  t.equal((await settled(ctx, waiting.id)).status, 'ready', 'it is processed as any upload');
  const insider = (await ctx.app.inject({ url: `/api/v1/assets/${waiting.id}`, headers: ctx.auth(editor) })).json();
  t.equal(insider.awaitingApproval, true);
  t.equal(insider.hidden, true);
  const thumb = new URL(insider.renditions['thumb.webp'].url);
  const thumbPath = thumb.pathname + thumb.search;

  const control = await publicOutputs(ctx, before.id, thumbPath.replace(waiting.id, before.id), press, shareUrl);
  t.same(control, {
    assetJson: 200, inAlbumJson: true, inAlbumPage: true, inEventPage: true, assetPage: 200, media: 200, inPressLinkPage: true, archiveEntries: control.archiveEntries, pressOriginal: 200,
  }, 'the photo from before moderation is in every output');
  const hiddenNow = await publicOutputs(ctx, waiting.id, thumbPath, press, shareUrl);
  t.same(hiddenNow, {
    assetJson: 404, inAlbumJson: false, inAlbumPage: false, inEventPage: false, assetPage: 404, media: 404, inPressLinkPage: false, archiveEntries: control.archiveEntries, pressOriginal: 404,
  }, 'the waiting upload is in none');
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(feed.data().includes(waiting.id), 'the live feed did not announce it');

  const queue = await ctx.app.inject({ url: '/api/v1/events/conf/moderation', headers: ctx.auth(editor) });
  t.equal(queue.statusCode, 200, queue.body);
  t.same(queue.json().assets.map((a: { id: string }) => a.id), [waiting.id], 'the queue holds it, and only it');

  const approved = await ctx.app.inject({ method: 'POST', url: `/api/v1/assets/${waiting.id}/approve`, headers: ctx.auth(editor) });
  t.equal(approved.statusCode, 200, approved.body);
  t.equal(approved.json().awaitingApproval, false);
  t.equal(approved.json().hidden, false);
  await until('the live feed to announce the approved photo', 5_000, () => feed.data().includes(waiting.id));
  t.pass('the live feed announced it once approved');
  t.same(await publicOutputs(ctx, waiting.id, thumbPath, press, shareUrl), {
    assetJson: 200, inAlbumJson: true, inAlbumPage: true, inEventPage: true, assetPage: 200, media: 200, inPressLinkPage: true, archiveEntries: control.archiveEntries + 1, pressOriginal: 200,
  }, 'approved, it is in every output');
  const publicView = (await ctx.app.inject({ url: `/api/v1/assets/${waiting.id}` })).json();
  t.notOk('awaitingApproval' in publicView, 'the public JSON never says an asset waited');
  t.same((await ctx.app.inject({ url: '/api/v1/events/conf/moderation', headers: ctx.auth(editor) })).json().assets, [], 'the queue is empty');
  const again = await ctx.app.inject({ method: 'POST', url: `/api/v1/assets/${waiting.id}/approve`, headers: ctx.auth(editor) });
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'LAMHA_CONFLICT');
});

t.test('only the event\'s editors and admins see the queue and approve; showing a waiting upload approves it', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await seedEvent(ctx, { event: 'other', album: 'day-1' });
  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers: ctx.auth(ctx.admin), payload: { moderation: true } });
  const { id } = await uploadOne(ctx, 'exif-orientation_1.jpg');
  const tokens = {
    photographer: await ctx.mint('photographer', 'conf'),
    press: await ctx.mint('press', 'conf'),
    otherEditor: await ctx.mint('editor', 'other'),
  };
  for (const [who, token, status] of [['public', undefined, 401], ['photographer', tokens.photographer, 403], ['press', tokens.press, 403], ['editor of another event', tokens.otherEditor, 403]] as const) {
    const headers = token ? ctx.auth(token) : {};
    t.equal((await ctx.app.inject({ url: '/api/v1/events/conf/moderation', headers })).statusCode, status, `${who}: the queue`);
    const approve = await ctx.app.inject({ method: 'POST', url: `/api/v1/assets/${id}/approve`, headers });
    // an asset the caller may not see is answered 404: nothing is revealed of it
    t.ok(approve.statusCode === status || approve.statusCode === 404, `${who}: approve refused (${approve.statusCode})`);
    t.equal((await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers, payload: { hidden: false } })).statusCode >= 400, true, `${who}: cannot show it either`);
  }
  const { rows } = await ctx.db.query<{ awaiting_approval: boolean; hidden: boolean }>('SELECT awaiting_approval, hidden FROM assets WHERE id = $1', [id]);
  t.same(rows[0], { awaiting_approval: true, hidden: true }, 'still waiting');

  const shown = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin), payload: { hidden: false } });
  t.equal(shown.statusCode, 200, shown.body);
  t.equal(shown.json().awaitingApproval, false, 'an admin showing it approves it');
  const off = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers: ctx.auth(ctx.admin), payload: { moderation: false } });
  t.equal(off.json().moderation, false);
  const next = await uploadOne(ctx, 'exif-orientation_3.jpg');
  const row = await ctx.db.query<{ awaiting_approval: boolean; hidden: boolean }>('SELECT awaiting_approval, hidden FROM assets WHERE id = $1', [next.id]);
  t.same(row.rows[0], { awaiting_approval: false, hidden: false }, 'with moderation off, uploads are public once processed');
});
