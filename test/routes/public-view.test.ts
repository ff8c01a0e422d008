/**
 * What the public may learn of an album and its assets through the API and the pages: no
 * fingerprint of an original (its SHA-256 and size), and no trace of hidden or unready assets
 * in an album's count or cover. Insiders (admins, the event's editors, the uploader) see them.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import sharp from 'sharp';
import t from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { runWorkers, settled } from '../helpers/workers.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

async function upload(ctx: TestContext, token: string, body: Buffer, filename = 'photo.png'): Promise<string> {
  const form = multipart([{ name: 'file', filename, body }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(token), ...form.headers }, payload: form.body });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  return res.json().assets[0].id;
}

function png(i: number): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 8, channels: 3, background: { r: i, g: 80, b: 0 } } }).png().toBuffer();
}

t.test('the SHA-256 and size of an original reach only admins, the event\'s editors and its uploader', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const photographer = await ctx.mint('photographer', 'conf');
  const bytes = await png(1);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const id = await upload(ctx, photographer, bytes);
  // a size no rendition or other number on the page shares
  await ctx.db.query("UPDATE assets SET status = 'ready', bytes = 7654321 WHERE id = $1", [id]);
  await ctx.db.query(
    "INSERT INTO renditions (asset_id, name, key, width, height, bytes, type) VALUES ($1, 'thumb.webp', $2, 8, 8, 100, 'image/webp')",
    [id, `renditions/${id}/thumb.webp`],
  );

  const insiders: [string, string][] = [
    ['admin', ctx.admin], ['editor', await ctx.mint('editor', 'conf')], ['uploader', photographer],
  ];
  for (const [who, token] of insiders) {
    const asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: ctx.auth(token) })).json();
    t.equal(asset.sha256, sha, `${who} gets the SHA-256`);
    t.equal(asset.bytes, 7654321, `${who} gets the size`);
  }

  const outsiders: [string, Record<string, string>][] = [
    ['public', {}],
    ['press', ctx.auth(await ctx.mint('press', 'conf'))],
    ['another photographer', ctx.auth(await ctx.mint('photographer', 'conf'))],
  ];
  for (const [who, headers] of outsiders) {
    const asset = await ctx.app.inject({ url: `/api/v1/assets/${id}`, headers });
    t.equal(asset.statusCode, 200, `${who} sees the asset`);
    t.notOk('sha256' in asset.json() || 'bytes' in asset.json(), `${who}: no sha256 or bytes in the asset`);
    const album = await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1', headers });
    t.equal(album.json().assets.length, 1, `${who} sees it in the album`);
    t.notOk('sha256' in album.json().assets[0] || 'bytes' in album.json().assets[0], `${who}: no sha256 or bytes in the album`);
    const event = await ctx.app.inject({ url: '/api/v1/events/conf', headers });
    for (const [what, body] of [['asset', asset.body], ['album', album.body], ['event', event.body]]) {
      t.notOk(body!.includes(sha) || body!.includes('7654321'), `${who} ${what} JSON holds neither the hash nor the size`);
    }
  }
  for (const url of ['/en/', '/en/e/conf', '/en/e/conf/day-1', `/en/e/conf/day-1/${id}`]) {
    const page = await ctx.app.inject({ url });
    t.equal(page.statusCode, 200, url);
    t.notOk(page.body.includes(sha) || page.body.includes(sha.slice(0, 16)) || page.body.includes('7654321'), `${url} holds neither the hash nor the size`);
  }

  const doc = (await ctx.app.inject({ url: '/openapi.json' })).json();
  const schema = doc.paths['/api/v1/assets/{id}'].get.responses['200'].content['application/json'].schema;
  for (const field of ['sha256', 'bytes', 'originalFilename']) {
    t.notOk(schema.required.includes(field), `OpenAPI: ${field} is optional`);
    t.match(schema.properties[field].description, /editors and the uploader only/, `OpenAPI: ${field} says who gets it`);
  }
});

t.test('the public is told only of the assets it may see in an album\'s count and cover; insiders of every asset', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const editor = await ctx.mint('editor', 'conf');
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push(await upload(ctx, editor, await png(10 + i)));
  const [processing, failed, hidden, visible] = ids as [string, string, string, string];
  await ctx.db.query("UPDATE assets SET status = 'failed', error = 'x' WHERE id = $1", [failed]);
  await ctx.db.query("UPDATE assets SET status = 'ready', hidden = true WHERE id = $1", [hidden]);
  await ctx.db.query("UPDATE assets SET status = 'ready' WHERE id = $1", [visible]);
  for (const id of ids) {
    // what a page needs to show an asset as a cover
    await ctx.db.query(
      "INSERT INTO renditions (asset_id, name, key, width, height, bytes, type) VALUES ($1, 'thumb.webp', $2, 8, 8, 100, 'image/webp')",
      [id, `renditions/${id}/thumb.webp`],
    );
  }
  const setCover = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf/albums/day-1', headers: ctx.auth(editor), payload: { coverAssetId: hidden } });
  t.equal(setCover.statusCode, 200, setCover.body);
  t.match(setCover.json(), { coverAssetId: hidden, assetCount: 4 }, 'the editor is answered with the cover it set');

  const albumOf = async (headers: Record<string, string>) => {
    const album = (await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1', headers })).json();
    const listed = (await ctx.app.inject({ url: '/api/v1/events/conf', headers })).json().albums[0];
    return { album, listed };
  };
  for (const [who, headers] of [['public', {}], ['press', ctx.auth(await ctx.mint('press', 'conf'))]] as [string, Record<string, string>][]) {
    const { album, listed } = await albumOf(headers);
    t.equal(album.assetCount, 1, `${who}: the album counts only the ready, visible asset`);
    t.equal(album.assetCount, album.assets.length, `${who}: the count matches the listing`);
    t.equal(album.coverAssetId, visible, `${who}: a hidden cover gives way to the first visible asset`);
    t.match(listed, { slug: 'day-1', assetCount: 1, coverAssetId: visible }, `${who}: the event's album list says the same`);
    for (const other of [processing, failed, hidden]) {
      t.notOk(JSON.stringify({ album, listed }).includes(other), `${who}: asset ${other} is not named`);
    }
  }
  for (const [who, token] of [['editor', editor], ['admin', ctx.admin], ['photographer', await ctx.mint('photographer', 'conf')]]) {
    const { album, listed } = await albumOf(ctx.auth(token!));
    t.match(album, { assetCount: 4, coverAssetId: hidden }, `${who}: every asset counted, the cover as set`);
    t.equal(album.assets.length, 4, `${who}: the listing holds all four`);
    t.match(listed, { assetCount: 4, coverAssetId: hidden }, `${who}: the event's album list says the same`);
  }
  for (const url of ['/en/', '/en/e/conf', '/en/e/conf/day-1']) {
    const page = await ctx.app.inject({ url });
    t.equal(page.statusCode, 200, url);
    t.notOk(page.body.includes(hidden), `${url}: the hidden cover is not shown or named`);
    t.ok(page.body.includes(visible), `${url}: the visible asset is`);
  }

  await ctx.db.query('UPDATE assets SET hidden = true WHERE id = $1', [visible]);
  const none = (await albumOf({})).album;
  t.match(none, { assetCount: 0, coverAssetId: null, assets: [] }, 'nothing visible: no count and no cover');
  t.match((await albumOf(ctx.auth(editor))).album, { assetCount: 4, coverAssetId: hidden });
});

t.test('a camera body\'s owner name, copyright, comment and serials never become public text (Canon 600D, EXIF only)', async (t) => {
  const work = await mkdtemp(path.join(tmpdir(), 'lamha-names-'));
  const exiftool = new ExifTool({ maxProcs: 1 });
  t.teardown(async () => {
    await exiftool.end();
    await rm(work, { recursive: true, force: true });
  });
  // the real camera file: its owner name "Patrik" in IFD0:Artist, body and lens serials in
  // ExifIFD; a copyright, owner and comment set in the body's menus too; no IPTC or XMP
  const file = path.join(work, 'IMG_5910.jpg');
  await copyFile(fixture('jpeg_canon-600d_gps_iptc_xmp.jpg'), file);
  await exiftool.write(file, { 'IFD0:Copyright': 'Copyright Patrik Owner', 'ExifIFD:OwnerName': 'Patrik Owner', 'IFD0:ImageDescription': 'Camera of Patrik Owner' } as never,
    { writeArgs: ['-overwrite_original', '-XMP:all=', '-IPTC:all=', '-Photoshop:all='] });
  const raw = await exiftool.readRaw(file, { readArgs: ['-G1', '-a', '-IFD0:Artist', '-IFD0:Copyright', '-XMP:all', '-IPTC:all'] });
  t.match(raw, { 'IFD0:Artist': 'Patrik', 'IFD0:Copyright': 'Copyright Patrik Owner' }, 'the upload names its owner in EXIF');
  t.notOk(Object.keys(raw).some((k) => /^(XMP|IPTC)/.test(k)), 'and has no IPTC or XMP');

  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  // uploaded without a credit: the photographer chose not to be named
  const id = await upload(ctx, await ctx.mint('photographer', 'conf'), await readFile(file), 'IMG_5910.jpg');
  t.match(await settled(ctx, id), { status: 'ready' });

  const asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}` })).json();
  t.equal(asset.credit, null, 'no credit');
  t.notOk('copyright' in asset.metadata, 'no copyright');
  t.same(asset.caption, {}, 'no caption');
  t.match(asset.metadata.camera, { model: 'Canon EOS 600D' }, 'the camera model is still shown');
  const outputs: [string, string][] = [
    ['asset JSON', JSON.stringify(asset)],
    ['album JSON', (await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1' })).body],
  ];
  for (const url of ['/en/e/conf/day-1', `/en/e/conf/day-1/${id}`, `/ar/e/conf/day-1/${id}`]) {
    const page = await ctx.app.inject({ url });
    t.equal(page.statusCode, 200, url);
    outputs.push([url, page.body]);
  }
  for (const [what, body] of outputs) {
    t.notMatch(body, /Patrik|Owner|123063022888|0000129324/, `${what}: no owner name or serial`);
  }
});
