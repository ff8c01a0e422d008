/**
 * /media delivery against renditions the real worker made, on each S3 server this run has:
 * versioned URLs cached a day by browsers and at most 60 s by shared caches, ETag and 304, single byte ranges, 416, HEAD, HLS parts,
 * and nothing for the public once an asset is hidden.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { createTestContext, s3Kinds, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { runWorkers, settled } from '../helpers/workers.js';
/** what the media route sends with the default CACHE_SHARED_MAX_AGE */
const VERSIONED = 'public, max-age=86400, s-maxage=55, proxy-revalidate';
const SHORT = 'public, max-age=300, s-maxage=55, proxy-revalidate';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

async function readyImage(t: Parameters<typeof createTestContext>[0], ctx: TestContext): Promise<{ id: string; url: string; key: string; bytes: Buffer }> {
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const form = multipart([{ name: 'file', filename: 'a.jpg', body: await readFile(fixture('exif-orientation_1.jpg')) }]);
  const up = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  const id = up.json().assets[0].id as string;
  if ((await settled(ctx, id)).status !== 'ready') throw new Error('the image did not become ready');
  const asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}` })).json();
  const url = new URL(asset.renditions['medium.webp'].url);
  const key = `renditions/${id}/medium.webp`;
  return { id, url: url.pathname + url.search, key, bytes: await objectBytes(ctx, key) };
}

/** Whether a shared cache must ask the origin again within 60 s (RFC 9111 §5.2.2.10, §5.2.2.8). */
function sharedWithin60s(cacheControl: string | undefined): boolean {
  const d = new Map((cacheControl ?? '').split(',').map((p) => p.trim().toLowerCase().split('=') as [string, string | undefined]));
  const shared = Number(d.get('s-maxage') ?? d.get('max-age'));
  return !d.has('immutable') && shared <= 60 && (d.has('proxy-revalidate') || d.has('must-revalidate'));
}

async function objectBytes(ctx: TestContext, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await ctx.storage.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

for (const kind of s3Kinds()) {
  t.test(`${kind}: a versioned URL is kept a day by browsers and 60 s by shared caches; ETag gives 304; a stale or missing version is cached briefly`, async (t) => {
    const ctx = await createTestContext(t, { s3: kind });
    const { url, bytes } = await readyImage(t, ctx);
    t.match(url, /\?v=[0-9a-z]+$/);

    const res = await ctx.app.inject({ url });
    t.equal(res.statusCode, 200);
    t.equal(res.headers['content-type'], 'image/webp');
    t.ok(sharedWithin60s(res.headers['cache-control']), 'shared caches revalidate within 60 s');
    t.equal(res.headers['cache-control'], VERSIONED);
    t.equal(res.headers['accept-ranges'], 'bytes');
    t.equal(Number(res.headers['content-length']), bytes.length);
    t.ok(res.rawPayload.equals(bytes), 'the bytes of the object');
    const etag = res.headers.etag as string;
    t.match(etag, /^"[^"]+"$/, 'a strong ETag');

    const again = await ctx.app.inject({ url, headers: { 'if-none-match': etag } });
    t.equal(again.statusCode, 304);
    t.equal(again.rawPayload.length, 0);
    t.equal(again.headers.etag, etag);
    t.ok(sharedWithin60s(again.headers['cache-control']), 'shared caches revalidate within 60 s');
    t.equal(again.headers['cache-control'], VERSIONED);
    t.equal((await ctx.app.inject({ url, headers: { 'if-none-match': `"other", W/${etag}` } })).statusCode, 304, 'weak comparison in a list');
    t.equal((await ctx.app.inject({ url, headers: { 'if-none-match': '"other"' } })).statusCode, 200, 'another tag: the bytes');

    const bare = await ctx.app.inject({ url: url.replace(/\?.*$/, '') });
    t.equal(bare.statusCode, 200);
    t.ok(sharedWithin60s(bare.headers['cache-control']), 'shared caches revalidate within 60 s');
    t.equal(bare.headers['cache-control'], SHORT, 'no version: a short lifetime');
    t.equal(bare.headers.etag, etag, 'the same bytes, the same tag');
    const stale = await ctx.app.inject({ url: url.replace(/\?v=.*$/, '?v=0') });
    t.equal(stale.statusCode, 200, 'an old version gets the current bytes');
    t.ok(sharedWithin60s(stale.headers['cache-control']), 'shared caches revalidate within 60 s');
    t.equal(stale.headers['cache-control'], SHORT);
    t.ok(stale.rawPayload.equals(bytes));

    // a re-made rendition has a new version: the old URL stops being immutable
    await ctx.db.query("UPDATE renditions SET created_at = created_at + interval '1 second' WHERE name = 'medium.webp'");
    const remade = await ctx.app.inject({ url });
    t.ok(sharedWithin60s(remade.headers['cache-control']), 'shared caches revalidate within 60 s');
    t.equal(remade.headers['cache-control'], SHORT);
    t.not(remade.headers.etag, etag, 'a new version, a new tag');
    t.equal((await ctx.app.inject({ url, headers: { 'if-none-match': etag } })).statusCode, 200, 'the old tag no longer matches');
  });

  t.test(`${kind}: single byte ranges are 206 with the object's bytes; past the end is 416; several ranges get the whole`, async (t) => {
    const ctx = await createTestContext(t, { s3: kind });
    const { url, bytes } = await readyImage(t, ctx);
    const size = bytes.length;
    t.ok(size > 200, `the rendition has ${size} bytes`);

    for (const [range, start, end] of [['bytes=0-0', 0, 0], ['bytes=10-99', 10, 99], [`bytes=${size - 50}-`, size - 50, size - 1], ['bytes=-30', size - 30, size - 1], [`bytes=100-${size + 1000}`, 100, size - 1], ['bytes=0-', 0, size - 1]] as const) {
      const res = await ctx.app.inject({ url, headers: { range } });
      t.equal(res.statusCode, 206, range);
      t.equal(res.headers['content-range'], `bytes ${start}-${end}/${size}`, range);
      t.equal(Number(res.headers['content-length']), end - start + 1, `${range}: length`);
      t.ok(res.rawPayload.equals(bytes.subarray(start, end + 1)), `${range}: the object's bytes`);
      t.ok(sharedWithin60s(res.headers['cache-control']), 'shared caches revalidate within 60 s');
    t.equal(res.headers['cache-control'], VERSIONED);
    }

    const past = await ctx.app.inject({ url, headers: { range: `bytes=${size}-` } });
    t.equal(past.statusCode, 416);
    t.equal(past.headers['content-range'], `bytes */${size}`);
    t.equal(past.json().code, 'LAMHA_RANGE_NOT_SATISFIABLE');

    const several = await ctx.app.inject({ url, headers: { range: 'bytes=0-9,50-59' } });
    t.equal(several.statusCode, 200, 'several ranges: the whole object');
    t.ok(several.rawPayload.equals(bytes));
    const adjacent = await ctx.app.inject({ url, headers: { range: 'bytes=0-9,10-19' } });
    t.equal(adjacent.statusCode, 206, 'adjacent ranges combine into one');
    t.ok(adjacent.rawPayload.equals(bytes.subarray(0, 20)));
    const malformed = await ctx.app.inject({ url, headers: { range: 'bytes=abc' } });
    t.equal(malformed.statusCode, 200, 'a malformed Range is ignored');
    const otherUnit = await ctx.app.inject({ url, headers: { range: 'items=0-1' } });
    t.equal(otherUnit.statusCode, 200, 'another unit is ignored');

    const etag = (await ctx.app.inject({ method: 'HEAD', url })).headers.etag as string;
    const ifRange = await ctx.app.inject({ url, headers: { range: 'bytes=0-9', 'if-range': etag } });
    t.equal(ifRange.statusCode, 206, 'If-Range with the current tag: the range');
    const ifRangeOld = await ctx.app.inject({ url, headers: { range: 'bytes=0-9', 'if-range': '"old"' } });
    t.equal(ifRangeOld.statusCode, 200, 'If-Range with another tag: the whole object');
    t.ok(ifRangeOld.rawPayload.equals(bytes));
  });
}

t.test('HEAD answers the headers of GET without a body', async (t) => {
  const ctx = await createTestContext(t);
  const { url, bytes } = await readyImage(t, ctx);
  const head = await ctx.app.inject({ method: 'HEAD', url });
  t.equal(head.statusCode, 200);
  t.equal(Number(head.headers['content-length']), bytes.length);
  t.equal(head.headers['content-type'], 'image/webp');
  t.ok(sharedWithin60s(head.headers['cache-control']), 'shared caches revalidate within 60 s');
    t.equal(head.headers['cache-control'], VERSIONED);
  t.equal(head.rawPayload.length, 0);
  const ranged = await ctx.app.inject({ method: 'HEAD', url, headers: { range: 'bytes=5-14' } });
  t.equal(ranged.statusCode, 206);
  t.equal(ranged.headers['content-range'], `bytes 5-14/${bytes.length}`);
  t.equal(Number(ranged.headers['content-length']), 10);
});

t.test('hidden, unpublished and unfinished assets are 404 to the public and private, no-store to the event\'s people', async (t) => {
  const ctx = await createTestContext(t);
  const { id, url, bytes } = await readyImage(t, ctx);
  const editor = await ctx.mint('editor', 'conf');
  const photographer = await ctx.mint('photographer', 'conf');
  const cases: [string, string, string][] = [
    ['hidden', 'UPDATE assets SET hidden = true WHERE id = $1', 'UPDATE assets SET hidden = false WHERE id = $1'],
    ['in a draft album', "UPDATE albums SET status = 'draft' WHERE id = (SELECT album_id FROM assets WHERE id = $1)", "UPDATE albums SET status = 'published' WHERE id = (SELECT album_id FROM assets WHERE id = $1)"],
    ['in a draft event', "UPDATE events SET status = 'draft' WHERE id = (SELECT event_id FROM assets WHERE id = $1)", "UPDATE events SET status = 'published' WHERE id = (SELECT event_id FROM assets WHERE id = $1)"],
    ['failed', "UPDATE assets SET status = 'failed' WHERE id = $1", "UPDATE assets SET status = 'ready' WHERE id = $1"],
  ];
  for (const [what, hide, show] of cases) {
    await ctx.db.query(hide, [id]);
    const pub = await ctx.app.inject({ url });
    t.equal(pub.statusCode, 404, `${what}: 404 to the public`);
    t.equal(pub.json().code, 'LAMHA_NOT_FOUND');
    t.equal((await ctx.app.inject({ method: 'HEAD', url })).statusCode, 404, `${what}: HEAD too`);
    t.equal((await ctx.app.inject({ url, headers: { range: 'bytes=0-9' } })).statusCode, 404, `${what}: ranges too`);
    for (const token of [editor, photographer]) {
      const own = await ctx.app.inject({ url, headers: ctx.auth(token) });
      t.equal(own.statusCode, 200, `${what}: the event's people get it`);
      t.equal(own.headers['cache-control'], 'private, no-store', `${what}: never kept by a cache`);
      t.ok(own.rawPayload.equals(bytes));
    }
    await ctx.db.query(show, [id]);
    t.equal((await ctx.app.inject({ url })).statusCode, 200, `${what}: shown again`);
  }
  const press = await ctx.mint('press', 'conf');
  await ctx.db.query('UPDATE assets SET hidden = true WHERE id = $1', [id]);
  t.equal((await ctx.app.inject({ url, headers: ctx.auth(press) })).statusCode, 404, 'press sees what the public sees');
  t.equal((await ctx.app.inject({ url: `/media/${id}/nope.webp` , headers: ctx.auth(editor) })).statusCode, 404, 'no such rendition');
});

t.test('HLS segments are served (sized from the store) only when the asset has its master playlist', async (t) => {
  const ctx = await createTestContext(t);
  const { id } = await readyImage(t, ctx);
  const segment = Buffer.alloc(3000, 7);
  segment.write('segment bytes', 100);
  await ctx.storage.put(`renditions/${id}/hls/720p/seg-1.m4s`, segment, { contentType: 'video/iso.segment' });
  const url = `/media/${id}/hls/720p/seg-1.m4s`;
  t.equal((await ctx.app.inject({ url })).statusCode, 404, 'no master playlist: no segments');

  const master = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=1400000,RESOLUTION=1280x720\n720p/index.m3u8\n';
  const variant = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.000000,\nseg-1.m4s\n#EXT-X-ENDLIST\n';
  for (const [name, text] of [['hls/master.m3u8', master], ['hls/720p/index.m3u8', variant]] as const) {
    await ctx.storage.put(`renditions/${id}/${name}`, Buffer.from(text), { contentType: 'application/vnd.apple.mpegurl' });
    await ctx.db.query("INSERT INTO renditions (asset_id, name, key, bytes, type) VALUES ($1, $2, $3, $4, 'application/vnd.apple.mpegurl')", [id, name, `renditions/${id}/${name}`, text.length]);
  }
  const { rows } = await ctx.db.query<{ created_at: Date }>("SELECT created_at FROM renditions WHERE asset_id = $1 AND name = 'hls/master.m3u8'", [id]);
  const v = rows[0]!.created_at.getTime().toString(36);

  const m = await ctx.app.inject({ url: `/media/${id}/hls/master.m3u8?v=${v}` });
  t.equal(m.statusCode, 200);
  t.equal(m.headers['content-type'], 'application/vnd.apple.mpegurl');
  t.equal(m.body, master.replace('720p/index.m3u8', `720p/index.m3u8?v=${v}`), 'the master playlist names its variants with the version');
  t.equal(Number(m.headers['content-length']), m.rawPayload.length);
  t.ok(sharedWithin60s(m.headers['cache-control']), 'shared caches revalidate within 60 s');
    t.equal(m.headers['cache-control'], VERSIONED);
  const vp = await ctx.app.inject({ url: `/media/${id}/hls/720p/index.m3u8?v=${v}` });
  t.equal(vp.body, variant.replace('URI="init.mp4"', `URI="init.mp4?v=${v}"`).replace('seg-1.m4s', `seg-1.m4s?v=${v}`), 'the variant names its init and media segments with the version');
  t.ok(sharedWithin60s(vp.headers['cache-control']), 'shared caches revalidate within 60 s');
    t.equal(vp.headers['cache-control'], VERSIONED);
  const vpRange = await ctx.app.inject({ url: `/media/${id}/hls/720p/index.m3u8?v=${v}`, headers: { range: 'bytes=0-6' } });
  t.equal(vpRange.statusCode, 206);
  t.equal(vpRange.body, '#EXTM3U');
  t.equal(vpRange.headers['content-range'], `bytes 0-6/${vp.rawPayload.length}`, 'ranges count the bytes served');
  const segImmutable = await ctx.app.inject({ url: `/media/${id}/hls/720p/seg-1.m4s?v=${v}` });
  t.ok(sharedWithin60s(segImmutable.headers['cache-control']), 'shared caches revalidate within 60 s');
    t.equal(segImmutable.headers['cache-control'], VERSIONED, 'a segment named by a served playlist keeps its version');

  const full = await ctx.app.inject({ url });
  t.equal(full.statusCode, 200);
  t.equal(full.headers['content-type'], 'video/iso.segment');
  t.equal(Number(full.headers['content-length']), segment.length);
  t.ok(full.rawPayload.equals(segment));
  const part = await ctx.app.inject({ url, headers: { range: 'bytes=100-112' } });
  t.equal(part.statusCode, 206);
  t.equal(part.headers['content-range'], `bytes 100-112/${segment.length}`);
  t.equal(part.rawPayload.toString(), 'segment bytes');
  t.equal((await ctx.app.inject({ url, headers: { range: 'bytes=5000-' } })).statusCode, 416);
  t.equal((await ctx.app.inject({ url: `/media/${id}/hls/720p/seg-2.m4s` })).statusCode, 404, 'a segment that is not there');
  t.equal((await ctx.app.inject({ url, headers: { 'if-none-match': full.headers.etag as string } })).statusCode, 304);
});
